// Per-instance tunables under FreeBSD sysctl names ("net.inet.udp.recvspace").
//
// Every netstack instance owns one `Tunables`: a small table of int64 values, each
// with a documented default, an inclusive range, a unit and a one-line description.
// Protocols `define()` their tunables when the instance is built (the IPv4/ARP/ICMP/
// UDP set is in inet_tunables.h; TCP registers its own the same way), then read them
// on the data path through the returned `TunableId` (an index: one load, no lookup).
// Setting by name validates the range and returns a typed error, never clamps
// silently. Two instances never share values: the vMotion instance can run other
// buffer sizes or congestion control than the default one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/result.h"

namespace vnetref::inet {

enum class TunableError : uint8_t {
  kUnknown,      // no tunable of that name in this instance
  kOutOfRange,   // value outside [min, max]
  kConflict,     // define(): same name already defined with another default/range
  kTableFull,    // define(): more than kMaxTunables
  kCount
};
const char* name_of(TunableError e);

// Units are informational (for docs and dumps): values are plain integers.
enum class TunableUnit : uint8_t { kCount_, kBytes, kSeconds, kMilliseconds, kMicroseconds, kBool, kEnum };

struct TunableSpec {
  std::string_view name;  // FreeBSD sysctl name, e.g. "net.inet.ip.ttl"
  int64_t default_value = 0;
  int64_t min = 0;
  int64_t max = 0;
  TunableUnit unit = TunableUnit::kCount_;
  std::string_view description;  // what FreeBSD documents it as
};

// Index into one instance's table. Stable for the instance's lifetime.
struct TunableId {
  uint32_t index = UINT32_MAX;
  bool valid() const { return index != UINT32_MAX; }
};

class Tunables {
 public:
  static constexpr size_t kMaxTunables = 256;  // bound: a runaway registration loop fails

  // Adds a tunable at its default. Defining the same name again with the same default
  // and range returns the existing id (protocols may define idempotently).
  core::Result<TunableId, TunableError> define(const TunableSpec& spec);

  std::optional<TunableId> find(std::string_view name) const;
  // Fast path: the id came from define()/find() on this instance.
  int64_t value(TunableId id) const { return entries_[id.index].value; }

  core::Result<int64_t, TunableError> get(std::string_view name) const;
  core::Status<TunableError> set(std::string_view name, int64_t value);
  core::Status<TunableError> set(TunableId id, int64_t value);
  // Back to the documented default.
  core::Status<TunableError> reset(std::string_view name);

  struct Entry {
    std::string name;
    int64_t value;
    int64_t default_value;
    int64_t min;
    int64_t max;
    TunableUnit unit;
    std::string description;
  };
  // In definition order (for `sysctl -a` style dumps and docs).
  const std::vector<Entry>& entries() const { return entries_; }
  // "name: value" lines, sorted by name, like `sysctl net.inet`.
  std::string dump(std::string_view prefix = "") const;

  // Changes bump the generation so cached derived values can be refreshed lazily.
  uint64_t generation() const { return generation_; }

 private:
  std::vector<Entry> entries_;
  uint64_t generation_ = 0;
};

}  // namespace vnetref::inet
