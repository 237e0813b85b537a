// IPv4 routing table with longest-prefix match (RFC 1812 5.2.4.3, as a host uses it).
//
// One exact-match hash table per prefix length plus a bitmask of the lengths in use:
// a lookup probes only the lengths that exist, longest first. A host table has a
// handful (connected /24s, a default route, maybe some /32s), so a lookup is two or
// three hash probes whatever the table size. Bounded: `add` fails beyond max_routes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/core/result.h"
#include "stack/wire/ipv4_address.h"

namespace vnetref::inet {

struct Route {
  wire::Ipv4Prefix prefix;
  uint32_t gateway = 0;   // 0: directly connected (next hop is the destination)
  uint32_t ifindex = 0;
  uint32_t mtu = 0;       // 0: the interface MTU
  uint32_t metric = 0;
  bool connected = false; // installed by address configuration
};

enum class RouteError : uint8_t { kTableFull, kExists, kNotFound, kBadInterface, kCount };
const char* name_of(RouteError e);

class RouteTable {
 public:
  explicit RouteTable(size_t max_routes = 4096) : max_routes_(max_routes) {}

  // One route per prefix (no ECMP); kExists when the prefix is taken.
  core::Status<RouteError> add(const Route& r);
  core::Status<RouteError> remove(wire::Ipv4Prefix prefix);
  // Removes every route through `ifindex` (interface removed or address deleted).
  void remove_interface(uint32_t ifindex);
  void remove_connected(wire::Ipv4Prefix prefix, uint32_t ifindex);

  // Longest-prefix match; nullptr when nothing (not even a default route) matches.
  const Route* lookup(uint32_t dst) const;

  size_t size() const { return size_; }
  std::vector<Route> routes() const;  // sorted by prefix length, longest first

 private:
  std::array<std::unordered_map<uint32_t, Route>, 33> by_len_;
  uint64_t lengths_ = 0;  // bit L: by_len_[L] non-empty
  size_t size_ = 0;
  size_t max_routes_;
};

}  // namespace vnetref::inet
