// ARP cache for IPv4 over Ethernet (RFC 826) with RFC 5227 announcements and
// conflict detection.
//
// Entry states: kIncomplete (request sent, packets held), kReachable (answered within
// max_age), kStale (older than max_age: still used, the next use sends a unicast
// refresh request), kFailed (maxtries requests went unanswered: sends fail with
// "host unreachable" for net.link.ether.inet.wait seconds, then the entry goes).
//
// Packets to an unresolved next hop wait in a per-entry hold queue of at most
// net.link.ether.inet.maxhold packets; when it is full the oldest is dropped (arp(4):
// "only the most recently transmitted packets are kept"). Requests are repeated once
// per second (arp(4)'s rate limit); after maxtries the held packets are dropped and
// each one's sender is told the host is unreachable (ArpHost::arp_unreachable).
//
// Storage is a fixed array of entries sized at construction (vnetref.arp.max_entries)
// with an index by (ifindex, address); when full, the least recently used entry that
// holds no packets is evicted, else the new resolution is refused and counted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/core/counters.h"
#include "stack/core/packet.h"
#include "stack/core/timer_wheel.h"
#include "stack/inet/drops.h"
#include "stack/inet/inet_tunables.h"
#include "stack/wire/arp.h"
#include "stack/wire/mac_address.h"

namespace vnetref::inet {

class Interface;

// What the cache needs from its instance.
class ArpHost {
 public:
  virtual ~ArpHost() = default;
  // Sends an ARP packet out of `ifindex` to `eth_dst`.
  virtual void arp_send(uint32_t ifindex, const wire::ArpRepr& arp, wire::MacAddress eth_dst) = 0;
  // A held IPv4 packet can go now.
  virtual void arp_release(uint32_t ifindex, core::PacketPtr ip_packet, wire::MacAddress dst) = 0;
  // A held IPv4 packet is dropped because resolution failed: tell its sender.
  virtual void arp_unreachable(core::PacketPtr ip_packet) = 0;
  // Our own addresses on the interface (RFC 826: "Am I the target protocol address?").
  virtual bool arp_is_own_address(uint32_t ifindex, uint32_t addr) const = 0;
  virtual wire::MacAddress arp_own_mac(uint32_t ifindex) const = 0;
  virtual void arp_drop(InetDrop reason) = 0;
};

enum class ArpState : uint8_t { kFree, kIncomplete, kReachable, kStale, kFailed };
const char* name_of(ArpState s);

struct ArpStats {
  uint64_t requests_sent = 0;
  uint64_t replies_sent = 0;
  uint64_t requests_received = 0;
  uint64_t replies_received = 0;
  uint64_t announcements_sent = 0;
  uint64_t held = 0;       // packets put on hold
  uint64_t released = 0;   // held packets sent after resolution
  uint64_t conflicts = 0;  // RFC 5227 address conflicts seen
  uint64_t evictions = 0;
};

class ArpCache {
 public:
  enum class Outcome : uint8_t {
    kResolved,   // `mac` is valid: send now
    kHeld,       // the packet was taken and waits for the reply
    kHostDown,   // failed entry: the caller drops and reports host unreachable
    kDropped,    // table full: the packet was dropped (counted)
  };
  struct Lookup {
    Outcome outcome;
    wire::MacAddress mac;
  };

  ArpCache(core::TimerWheel& wheel, const Tunables& tunables, const InetTunableIds& ids, ArpHost& host);
  ~ArpCache();
  ArpCache(const ArpCache&) = delete;
  ArpCache& operator=(const ArpCache&) = delete;

  // Resolves `next_hop` on `ifindex`; on kHeld the cache took `packet`.
  Lookup resolve(uint32_t ifindex, uint32_t next_hop, core::PacketPtr& packet);
  // Lookup without side effects (tests, benchmarks, `arp -a`).
  std::optional<wire::MacAddress> peek(uint32_t ifindex, uint32_t addr) const;
  ArpState state(uint32_t ifindex, uint32_t addr) const;
  size_t hold_queue_length(uint32_t ifindex, uint32_t addr) const;

  // An ARP packet arrived on `ifindex` (RFC 826 packet reception algorithm).
  void input(uint32_t ifindex, const wire::ArpView& arp);
  // RFC 5227 2.3: announce a newly configured address (ANNOUNCE_NUM = 2, 2 s apart).
  void announce(uint32_t ifindex, uint32_t addr);
  // Static entry (never expires; `arp -s`).
  bool add_static(uint32_t ifindex, uint32_t addr, wire::MacAddress mac);
  // Forgets every entry of an interface (down / removed); held packets are dropped.
  void flush_interface(uint32_t ifindex);

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  const ArpStats& stats() const { return stats_; }

  struct EntryInfo {
    uint32_t ifindex;
    uint32_t addr;
    wire::MacAddress mac;
    ArpState state;
    bool is_static;
  };
  std::vector<EntryInfo> entries() const;

 private:
  struct Entry {
    ArpState state = ArpState::kFree;
    uint32_t ifindex = 0;
    uint32_t addr = 0;
    wire::MacAddress mac;
    bool is_static = false;
    bool refreshing = false;     // stale entry re-probing
    uint32_t asked = 0;          // requests sent in this resolution round
    core::Instant last_used{};
    std::vector<core::PacketPtr> hold;  // FIFO, bounded by maxhold
    core::Timer timer;
  };
  struct Announce {
    uint32_t ifindex = 0;
    uint32_t addr = 0;
    core::Timer timer;
  };

  static uint64_t key(uint32_t ifindex, uint32_t addr) { return (uint64_t{ifindex} << 32) | addr; }
  Entry* find(uint32_t ifindex, uint32_t addr);
  const Entry* find(uint32_t ifindex, uint32_t addr) const;
  Entry* allocate(uint32_t ifindex, uint32_t addr);
  void release(Entry& e);
  void send_request(Entry& e, bool unicast);
  void on_timer(Entry& e);
  void set_reachable(Entry& e, wire::MacAddress mac);
  void send_announcement(uint32_t ifindex, uint32_t addr);
  int64_t seconds(TunableId id) const { return tunables_.value(id); }

  core::TimerWheel& wheel_;
  const Tunables& tunables_;
  InetTunableIds ids_;
  ArpHost& host_;
  size_t capacity_;
  std::unique_ptr<Entry[]> entries_;
  std::vector<uint32_t> free_;
  std::unordered_map<uint64_t, uint32_t> index_;
  static constexpr size_t kMaxAnnouncements = 16;  // concurrent RFC 5227 announce rounds
  std::unique_ptr<Announce[]> announces_;
  ArpStats stats_;
  std::optional<core::Instant> last_defend_;  // RFC 5227 DEFEND_INTERVAL
};

}  // namespace vnetref::inet
