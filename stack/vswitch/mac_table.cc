#include "stack/vswitch/mac_table.h"

#include <vector>

namespace vnetref::vswitch {

namespace {
uint32_t table_size_for(uint32_t max_entries) {
  uint32_t n = 16;
  while (n < 2ull * max_entries && n < (1u << 30)) n <<= 1;
  return n;
}
}  // namespace

MacTable::MacTable(uint32_t max_entries)
    : max_entries_(max_entries == 0 ? 1 : max_entries),
      mask_(table_size_for(max_entries_) - 1),
      slots_(std::make_unique<MacEntry[]>(mask_ + 1)) {}

MacEntry* MacTable::find(uint64_t key) {
  const uint64_t k = key | kUsed;
  for (uint32_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].key == k) return &slots_[i];
    if (slots_[i].key == 0) return nullptr;
  }
}

bool MacTable::upsert(uint64_t key, PortId port, MacOrigin origin, int64_t now_ns) {
  const uint64_t k = key | kUsed;
  uint32_t i = hash(key) & mask_;
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].key == k) {
      if (slots_[i].port != port) ++stats_.moves;
      slots_[i].port = port;
      slots_[i].origin = origin;
      slots_[i].last_seen_ns = now_ns;
      return true;
    }
    if (slots_[i].key == 0) break;
  }
  if (size_ >= max_entries_) {
    ++stats_.full_rejects;
    return false;
  }
  slots_[i] = MacEntry{k, port, origin, now_ns};
  ++size_;
  ++stats_.inserts;
  return true;
}

// Backward-shift deletion for linear probing: move later entries of the cluster
// back into the hole when their home slot allows it.
void MacTable::erase_slot(uint32_t hole) {
  uint32_t j = hole;
  for (;;) {
    j = (j + 1) & mask_;
    if (slots_[j].key == 0) break;
    const uint32_t home = hash(slots_[j].key & ~kUsed) & mask_;
    // The entry at j may move to `hole` iff `home` is not cyclically within (hole, j].
    const bool in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!in_range) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = MacEntry{};
  --size_;
  ++stats_.removals;
}

bool MacTable::remove(uint64_t key) {
  const uint64_t k = key | kUsed;
  for (uint32_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
    if (slots_[i].key == k) {
      erase_slot(i);
      return true;
    }
    if (slots_[i].key == 0) return false;
  }
}

uint32_t MacTable::remove_port(PortId port, bool learned_only) {
  std::vector<uint64_t> keys;
  for (uint32_t i = 0; i <= mask_; ++i) {
    const MacEntry& e = slots_[i];
    if (e.key != 0 && e.port == port && (!learned_only || e.origin == MacOrigin::kLearned)) keys.push_back(e.key & ~kUsed);
  }
  for (uint64_t k : keys) remove(k);
  return static_cast<uint32_t>(keys.size());
}

uint32_t MacTable::age_out(int64_t cutoff_ns) {
  std::vector<uint64_t> keys;
  for (uint32_t i = 0; i <= mask_; ++i) {
    const MacEntry& e = slots_[i];
    if (e.key != 0 && e.origin == MacOrigin::kLearned && e.last_seen_ns < cutoff_ns) keys.push_back(e.key & ~kUsed);
  }
  for (uint64_t k : keys) remove(k);
  return static_cast<uint32_t>(keys.size());
}

uint32_t MacTable::count_port(PortId port, MacOrigin origin) const {
  uint32_t n = 0;
  for (uint32_t i = 0; i <= mask_; ++i)
    if (slots_[i].key != 0 && slots_[i].port == port && slots_[i].origin == origin) ++n;
  return n;
}

}  // namespace vnetref::vswitch
