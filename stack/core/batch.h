// PacketBatch: up to 256 packets, the unit passed between layers.
//
// Fixed capacity (no heap), owns its packets: whatever is left in a batch when it
// is destroyed or cleared is freed. Filters walk a batch and take packets out with
// `take(i)`; `compact()` then closes the gaps while keeping order, so a batch walk
// costs O(n) however many packets were taken.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "stack/core/packet.h"

namespace vnetref::core {

class PacketBatch {
 public:
  static constexpr uint32_t kMaxPackets = 256;

  PacketBatch() = default;
  ~PacketBatch() { clear(); }
  PacketBatch(PacketBatch&& o) noexcept;
  PacketBatch& operator=(PacketBatch&& o) noexcept;
  PacketBatch(const PacketBatch&) = delete;
  PacketBatch& operator=(const PacketBatch&) = delete;

  uint32_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  bool full() const { return n_ == kMaxPackets; }
  static constexpr uint32_t capacity() { return kMaxPackets; }

  // Adds a packet; when the batch is full the packet is handed back (not lost).
  PacketPtr push(PacketPtr p) {
    if (full() || !p) return p;
    pkts_[n_++] = p.release();
    return {};
  }
  // Index access; an entry is null after take(i) until compact().
  Packet* operator[](uint32_t i) const { return pkts_[i]; }
  // Takes packet i out of the batch (leaves a hole until compact()).
  PacketPtr take(uint32_t i) {
    Packet* p = pkts_[i];
    pkts_[i] = nullptr;
    return PacketPtr(p);
  }
  // Closes holes left by take(), keeping order.
  void compact() {
    uint32_t w = 0;
    for (uint32_t r = 0; r < n_; ++r) {
      if (pkts_[r] != nullptr) pkts_[w++] = pkts_[r];
    }
    n_ = w;
  }
  // Removes and returns the last packet.
  PacketPtr pop_back() { return n_ == 0 ? PacketPtr() : PacketPtr(pkts_[--n_]); }
  // Moves every packet of `other` to the end of this batch; what does not fit stays in `other`.
  void append(PacketBatch& other);
  // Frees every packet.
  void clear();

  std::span<Packet* const> packets() const { return {pkts_.data(), n_}; }
  Packet* const* begin() const { return pkts_.data(); }
  Packet* const* end() const { return pkts_.data() + n_; }

 private:
  std::array<Packet*, kMaxPackets> pkts_{};
  uint32_t n_ = 0;
};

inline PacketBatch::PacketBatch(PacketBatch&& o) noexcept : n_(o.n_) {
  for (uint32_t i = 0; i < n_; ++i) pkts_[i] = o.pkts_[i];
  o.n_ = 0;
}

inline PacketBatch& PacketBatch::operator=(PacketBatch&& o) noexcept {
  if (this != &o) {
    clear();
    n_ = o.n_;
    for (uint32_t i = 0; i < n_; ++i) pkts_[i] = o.pkts_[i];
    o.n_ = 0;
  }
  return *this;
}

inline void PacketBatch::append(PacketBatch& other) {
  uint32_t room = kMaxPackets - n_;
  uint32_t moved = other.n_ < room ? other.n_ : room;
  for (uint32_t i = 0; i < moved; ++i) pkts_[n_++] = other.pkts_[i];
  for (uint32_t i = moved; i < other.n_; ++i) other.pkts_[i - moved] = other.pkts_[i];
  other.n_ -= moved;
}

inline void PacketBatch::clear() {
  for (uint32_t i = 0; i < n_; ++i) {
    if (pkts_[i] != nullptr) free_chain(pkts_[i]);
  }
  n_ = 0;
}

}  // namespace vnetref::core
