// Destination lookup: a small open-addressing hash on (MAC, VLAN) -> port.
//
// The data path does one lookup per frame, so the table is a flat array of 16-byte
// entries (key, port, age stamp) with linear probing: a hit is usually one cache
// line. Capacity is fixed at construction (a power of two, at most half full), so
// the table is bounded; a full table refuses inserts and counts them. Deletion
// uses backward shifting, so there are no tombstones and lookups never degrade.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "stack/vswitch/types.h"

namespace vnetref::vswitch {

// (MAC, VLAN) packed into 60 bits; bit 63 marks a used slot.
inline uint64_t mac_key(const uint8_t* mac, uint16_t vlan) {
  uint64_t m = 0;
  for (int i = 0; i < 6; ++i) m = (m << 8) | mac[i];
  return (m << 12) | (vlan & 0x0fff);
}
inline uint64_t mac_to_u64(const uint8_t* mac) {
  uint64_t m = 0;
  for (int i = 0; i < 6; ++i) m = (m << 8) | mac[i];
  return m;
}

enum class MacOrigin : uint8_t { kRegistered, kLearned };

struct MacEntry {
  uint64_t key = 0;       // 0 = empty; else mac_key | kUsed
  PortId port = kNoPort;
  MacOrigin origin = MacOrigin::kRegistered;
  int64_t last_seen_ns = 0;  // learned entries: for aging
};

struct MacTableStats {
  uint64_t inserts = 0;
  uint64_t removals = 0;
  uint64_t full_rejects = 0;  // inserts refused: table at its bound
  uint64_t moves = 0;         // an existing key re-pointed to another port
};

class MacTable {
 public:
  static constexpr uint64_t kUsed = 1ull << 63;

  // Holds at most `max_entries`; the array is 2x that, rounded to a power of two.
  explicit MacTable(uint32_t max_entries = 16384);

  // Hot path: the port for (mac, vlan), or kNoPort.
  PortId lookup(uint64_t key) const {
    const uint64_t k = key | kUsed;
    for (uint32_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
      const MacEntry& e = slots_[i];
      if (e.key == k) return e.port;
      if (e.key == 0) return kNoPort;
    }
  }
  MacEntry* find(uint64_t key);
  // Inserts or updates; false when the table is full.
  bool upsert(uint64_t key, PortId port, MacOrigin origin, int64_t now_ns);
  bool remove(uint64_t key);
  // Removes every entry pointing at `port` (optionally only learned ones); returns how many.
  uint32_t remove_port(PortId port, bool learned_only = false);
  // Removes learned entries not seen since `cutoff_ns`; returns how many.
  uint32_t age_out(int64_t cutoff_ns);
  uint32_t count_port(PortId port, MacOrigin origin) const;

  uint32_t size() const { return size_; }
  uint32_t max_entries() const { return max_entries_; }
  const MacTableStats& stats() const { return stats_; }
  template <typename F>
  void for_each(F&& f) const {
    for (uint32_t i = 0; i <= mask_; ++i)
      if (slots_[i].key != 0) f(slots_[i]);
  }

 private:
  static uint32_t hash(uint64_t key) {
    // Fibonacci hashing: the MAC's low bytes vary most, the multiply spreads them.
    return static_cast<uint32_t>((key * 0x9E3779B97F4A7C15ull) >> 32);
  }
  void erase_slot(uint32_t i);

  uint32_t max_entries_;
  uint32_t mask_;
  uint32_t size_ = 0;
  std::unique_ptr<MacEntry[]> slots_;
  MacTableStats stats_;
};

}  // namespace vnetref::vswitch
