#include "stack/inet/tcp/sack.h"

#include <algorithm>

namespace vnetref::inet::tcp {

namespace {
SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }
uint32_t span_len(SeqNum a, SeqNum b) { return b > a ? static_cast<uint32_t>(b - a) : 0; }
}  // namespace

uint32_t SackScoreboard::update(SeqNum snd_una, SeqNum snd_max, std::span<const SackBlock> in,
                                uint32_t max_blocks, uint32_t* ignored) {
  uint32_t before = sacked_;
  for (const SackBlock& raw : in) {
    // RFC 2018: blocks must lie above the cumulative ACK and within what we sent.
    if (!(raw.left < raw.right)) continue;
    if (raw.right <= snd_una || raw.right > snd_max) continue;
    SackBlock b{seq_max(raw.left, snd_una), raw.right};
    // Merge with every overlapping or adjacent block.
    auto it = blocks_.begin();
    while (it != blocks_.end() && it->right < b.left) ++it;
    auto first = it;
    while (it != blocks_.end() && it->left <= b.right) {
      b.left = seq_min(b.left, it->left);
      b.right = seq_max(b.right, it->right);
      ++it;
    }
    if (first == it && blocks_.size() >= max_blocks) {
      if (ignored != nullptr) ++*ignored;
      continue;
    }
    it = blocks_.erase(first, it);
    blocks_.insert(it, b);
  }
  sacked_ = 0;
  for (const SackBlock& b : blocks_) sacked_ += span_len(b.left, b.right);
  return sacked_ > before ? sacked_ - before : 0;
}

void SackScoreboard::advance(SeqNum snd_una) {
  size_t drop = 0;
  while (drop < blocks_.size() && blocks_[drop].right <= snd_una) ++drop;
  blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(drop));
  if (!blocks_.empty() && blocks_.front().left < snd_una) blocks_.front().left = snd_una;
  sacked_ = 0;
  for (const SackBlock& b : blocks_) sacked_ += span_len(b.left, b.right);
}

void SackScoreboard::clear() {
  blocks_.clear();
  sacked_ = 0;
}

bool SackScoreboard::is_sacked(SeqNum seq) const {
  for (const SackBlock& b : blocks_) {
    if (b.left <= seq && seq < b.right) return true;
  }
  return false;
}

bool SackScoreboard::is_lost(SeqNum seq, uint32_t smss) const {
  uint32_t count = 0, bytes = 0;
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    if (it->right <= seq) break;
    ++count;
    bytes += span_len(seq_max(it->left, seq + 1), it->right);
    if (count >= kDupThresh || bytes > (kDupThresh - 1) * smss) return true;
  }
  return false;
}

uint32_t SackScoreboard::pipe(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt, uint32_t smss) const {
  uint32_t pipe = 0;
  SeqNum hole = snd_una;
  auto account = [&](SeqNum s, SeqNum e, bool lost) {
    if (!(s < e)) return;
    uint32_t len = span_len(s, e);
    uint32_t rexmitted = span_len(s, seq_min(e, seq_max(high_rxt, s)));
    pipe += (lost ? 0 : len) + rexmitted;
  };
  for (const SackBlock& b : blocks_) {
    account(hole, b.left, is_lost(hole, smss));
    hole = b.right;
  }
  account(hole, snd_max, false);  // nothing SACKed above: never presumed lost
  return pipe;
}

std::optional<SackScoreboard::Range> SackScoreboard::next_lost(SeqNum snd_una, SeqNum high_rxt,
                                                               uint32_t smss) const {
  SeqNum hole = snd_una;
  for (const SackBlock& b : blocks_) {
    SeqNum s = seq_max(hole, high_rxt);
    if (s < b.left && is_lost(s, smss)) return Range{s, std::min(smss, span_len(s, b.left))};
    hole = b.right;
  }
  return std::nullopt;
}

std::optional<SackScoreboard::Range> SackScoreboard::next_unsacked(SeqNum snd_una, SeqNum high_rxt,
                                                                   uint32_t smss) const {
  SeqNum hole = snd_una;
  for (const SackBlock& b : blocks_) {
    SeqNum s = seq_max(hole, high_rxt);
    if (s < b.left) return Range{s, std::min(smss, span_len(s, b.left))};
    hole = b.right;
  }
  return std::nullopt;
}

std::optional<SackScoreboard::Range> SackScoreboard::rescue(SeqNum snd_una, SeqNum snd_max, uint32_t smss) const {
  // The highest un-SACKed octet: in the tail above the last block, or else in the
  // hole just below the highest block.
  SeqNum lo = snd_una, end = snd_max;
  if (!blocks_.empty()) {
    if (blocks_.back().right < snd_max) {
      lo = blocks_.back().right;
    } else {
      end = blocks_.back().left;
      lo = blocks_.size() > 1 ? blocks_[blocks_.size() - 2].right : snd_una;
    }
  }
  if (!(lo < end)) return std::nullopt;
  const uint32_t len = std::min(smss, span_len(lo, end));
  return Range{end - len, len};
}

}  // namespace vnetref::inet::tcp
