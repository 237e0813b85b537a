// The DFW connection table: 5-tuple keyed, preallocated, bounded.
//
// Entries live in one array allocated at construction (the configured limit; 1 Mi by
// default) and are found through an open-addressing index (linear probing, twice the
// capacity, backward-shift deletion). Both directions of a connection hash to the
// same key, so an established flow costs one lookup per packet. When the table is
// full, insert fails and the caller drops the new connection with a counter; existing
// entries are untouched.
//
// Expiry is exact and lazy: an entry whose deadline has passed is treated as absent
// by lookups; the periodic purge only reclaims the memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/iochain/packet_info.h"

namespace vnetref::iochain::dfw {

// Per-peer TCP state, after pf's names (the documented timers match them).
enum class PeerState : uint8_t {
  kClosed = 0,
  kSynSent = 1,
  kEstablished = 2,
  kClosing = 3,    // sent FIN
  kFinWait2 = 4,   // its FIN was acknowledged
  kTimeWait = 5,   // RST seen
};
const char* name_of(PeerState s);

struct Peer {
  uint32_t seqlo = 0;    // next sequence number after the highest this peer sent
  uint32_t seqhi = 0;    // highest sequence number (exclusive end) this peer may send
  uint16_t max_win = 0;  // largest window this peer advertised (unscaled, as on the wire)
  int8_t wscale = -1;    // window scale from its SYN, -1 none
  PeerState state = PeerState::kClosed;
  uint8_t seen = 0;
  uint8_t pad = 0;
  uint16_t packets = 0;  // saturating
};

enum class ConnFlag : uint8_t { kLoose = 1, kIcmpErrorSeen = 2 };

// One connection. Everything a packet of an established flow reads or writes sits in
// the first 64 bytes (one cache line); the rest is only used on creation, rule
// re-checks and listings.
struct alignas(64) Conn {
  uint32_t a_ip = 0, b_ip = 0;  // a: initiator, b: responder
  uint16_t a_port = 0, b_port = 0;
  uint8_t proto = 0;
  uint8_t init_dir = 0;  // Direction of the initiating packet
  uint8_t flags = 0;
  uint8_t in_use = 0;
  int64_t expires_ns = 0;
  uint32_t generation = 0;  // RuleTable generation it was checked against
  uint32_t bytes = 0;       // saturating
  Peer peer[2];
  // ---- cold
  uint32_t rule = 0;        // RuleTable index of the rule that allowed it
  uint32_t rule_id = 0;
  uint32_t hash = 0;
  int64_t created_ns = 0;
};
static_assert(sizeof(Peer) == 16);
static_assert(offsetof(Conn, rule) == 64, "hot part of a connection must fill exactly one cache line");

class ConnTable {
 public:
  explicit ConnTable(uint32_t capacity);

  struct Hit {
    uint32_t idx;
    bool from_initiator;
  };
  std::optional<Hit> find(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto) const;
  // Batch prefetching (the table is far bigger than the caches): first the index slot
  // a key hashes to, then (once that line has arrived) the entry it names.
  uint32_t prefetch_slot(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto) const {
    const uint32_t h = hash_of(src, dst, sport, dport, proto);
    __builtin_prefetch(&slots_[h & mask_]);
    return h;
  }
  void prefetch_entry(uint32_t h) const {
    const uint64_t s = slots_[h & mask_];
    if (s != 0) __builtin_prefetch(&entries_[static_cast<uint32_t>(s) - 1]);
  }
  // A fresh entry for src -> dst (src is the initiator); null when full.
  Conn* insert(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto, uint32_t* idx_out);
  // Places an entry at a given index (state restore); false if taken / out of range.
  // The free list is rebuilt once, lazily, after a series of these.
  bool insert_at(uint32_t idx, const Conn& c);
  void erase(uint32_t idx);
  void clear();
  Conn& at(uint32_t idx) { return entries_[idx]; }
  const Conn& at(uint32_t idx) const { return entries_[idx]; }
  uint32_t size() const { return used_; }
  uint32_t capacity() const { return static_cast<uint32_t>(entries_.size()); }
  uint32_t high_water() const { return high_; }
  // Removes entries with expires_ns <= now; returns how many.
  uint32_t purge(int64_t now_ns);
  template <typename F>
  void for_each(F&& f) const {
    for (uint32_t i = 0; i < high_; ++i) {
      if (entries_[i].in_use) f(i, entries_[i]);
    }
  }

 private:
  static uint32_t hash_of(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto);
  void index_insert(uint32_t idx);

  std::vector<Conn> entries_;
  std::vector<uint64_t> slots_;  // (hash << 32) | (idx + 1); 0 = empty
  void rebuild_free_list();
  std::vector<uint32_t> free_;   // stack of unused indices
  bool free_dirty_ = false;      // insert_at() ran: free_ must be rebuilt
  uint64_t mask_ = 0;
  uint32_t used_ = 0;
  uint32_t high_ = 0;  // 1 + highest index ever used
};

// TCP window tracking (after G. van Rooij, "Real Stateful TCP Packet Filtering in
// IP Filter", 2001, as pf does it). Returns false when the segment falls outside the
// windows; updates the peers when it is inside.
enum class TcpCheck : uint8_t { kOk, kBadWindow, kHandshake };
TcpCheck tcp_track(Conn& c, bool from_initiator, const PacketInfo& pi);
// Initialises a new connection from its first segment (a SYN, or a mid-stream pickup).
void tcp_init(Conn& c, const PacketInfo& pi, bool loose);

}  // namespace vnetref::iochain::dfw
