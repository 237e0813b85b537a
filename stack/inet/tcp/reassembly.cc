#include "stack/inet/tcp/reassembly.h"

#include <algorithm>

#include "stack/core/views.h"

namespace vnetref::inet::tcp {

void Reassembly::trim_front(Seg& s, uint32_t n) {
  if (n == 0) return;
  n = std::min(n, s.len);
  if (s.data) core::mbuf::adj(s.data, static_cast<int64_t>(n));
  s.seq += n;
  s.len -= n;
}

void Reassembly::trim_back(Seg& s, uint32_t n) {
  if (n == 0) return;
  n = std::min(n, s.len);
  if (s.data) core::mbuf::adj(s.data, -static_cast<int64_t>(n));
  s.len -= n;
  s.fin = false;  // the FIN sat after the bytes we cut: a conflicting end, ignore it
}

Reassembly::Insert Reassembly::insert(SeqNum seq, core::PacketPtr data, uint32_t len, bool fin,
                                      uint32_t max_segments) {
  Seg n{seq, len, std::move(data), fin};
  // First queued segment that ends after the newcomer starts.
  size_t i = 0;
  while (i < q_.size() && q_[i].end() <= n.seq && !(q_[i].len == 0 && q_[i].seq == n.seq)) ++i;
  if (i < q_.size() && q_[i].seq <= n.seq) {
    if (q_[i].end() >= n.end()) {
      if (n.fin && !q_[i].fin && q_[i].end() == n.end()) {
        q_[i].fin = true;  // same bytes, now with the FIN
        return Insert::kQueued;
      }
      return Insert::kDuplicate;
    }
    trim_front(n, static_cast<uint32_t>(q_[i].end() - n.seq));
    ++i;
  }
  // Remove queued segments the newcomer covers completely.
  while (i < q_.size() && q_[i].end() <= n.end() && q_[i].seq >= n.seq && !(q_[i].fin && !n.fin)) {
    bytes_ -= q_[i].len;
    q_.erase(q_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  if (i < q_.size() && q_[i].seq < n.end()) trim_back(n, static_cast<uint32_t>(n.end() - q_[i].seq));
  if (n.len == 0 && !n.fin) return Insert::kDuplicate;
  if (q_.size() >= max_segments) return Insert::kOverflow;
  // Remember for SACK: newest first, no repeats.
  SeqNum start = n.seq;
  size_t keep = 0;
  SeqNum next[4];
  next[keep++] = start;
  for (uint8_t k = 0; k < recent_count_ && keep < 4; ++k) {
    if (recent_[k] != start) next[keep++] = recent_[k];
  }
  std::copy(next, next + keep, recent_);
  recent_count_ = static_cast<uint8_t>(keep);
  bytes_ += n.len;
  q_.insert(q_.begin() + static_cast<std::ptrdiff_t>(i), std::move(n));
  return Insert::kQueued;
}

size_t Reassembly::sack_blocks(std::span<wire::SackBlock> out) const {
  if (q_.empty() || out.empty()) return 0;
  // Merge adjacent segments into blocks (at most maxqueuelen of them; small).
  wire::SackBlock merged[8];
  size_t all = 0;
  auto block_of = [&](SeqNum seq, wire::SackBlock* b) {
    for (size_t i = 0; i < q_.size(); ++i) {
      if (q_[i].seq <= seq && seq < q_[i].end() + (q_[i].len == 0 ? 1 : 0)) {
        size_t lo = i, hi = i;
        while (lo > 0 && q_[lo - 1].end() == q_[lo].seq) --lo;
        while (hi + 1 < q_.size() && q_[hi].end() == q_[hi + 1].seq) ++hi;
        *b = wire::SackBlock{q_[lo].seq, q_[hi].end()};
        return b->left != b->right;
      }
    }
    return false;
  };
  for (uint8_t k = 0; k < recent_count_ && all < 8; ++k) {
    wire::SackBlock b;
    if (!block_of(recent_[k], &b)) continue;
    if (std::find(merged, merged + all, b) == merged + all) merged[all++] = b;
  }
  // Fill with the remaining blocks in sequence order.
  for (size_t i = 0; i < q_.size() && all < 8; ++i) {
    wire::SackBlock b;
    if (!block_of(q_[i].seq, &b)) continue;
    if (std::find(merged, merged + all, b) == merged + all) merged[all++] = b;
  }
  size_t n = std::min(all, out.size());
  std::copy(merged, merged + n, out.begin());
  return n;
}

void Reassembly::clear() {
  q_.clear();
  bytes_ = 0;
  recent_count_ = 0;
}

}  // namespace vnetref::inet::tcp
