#include "stack/vswitch/shaper.h"

#include <algorithm>

namespace vnetref::vswitch {

namespace {
constexpr __int128 kScale = 1'000'000'000;  // tokens are bits x 1e9 (bit-nanoseconds per second)
}

Shaper::Shaper(uint32_t queue_capacity)
    : ring_(std::make_unique<core::Packet*[]>(queue_capacity == 0 ? 1 : queue_capacity)),
      cap_(queue_capacity == 0 ? 1 : queue_capacity) {}

Shaper::~Shaper() { flush(); }

void Shaper::configure(const ShapingPolicy& p, core::Instant now) {
  policy_ = p;
  if (policy_.average_bps == 0) policy_.average_bps = 1;
  if (policy_.peak_bps < policy_.average_bps) policy_.peak_bps = policy_.average_bps;
  // Releases happen on timer ticks (1 ms): a bucket shallower than one tick's worth
  // of tokens would throw tokens away between ticks and undershoot its rate.
  const uint64_t avg_tick = policy_.average_bps / 8 / 1000;
  const uint64_t peak_tick = policy_.peak_bps / 8 / 1000;
  avg_depth_ = static_cast<i128>(std::max<uint64_t>({policy_.burst_bytes, avg_tick, 1})) * 8 * kScale;
  peak_depth_ = static_cast<i128>(std::max<uint64_t>(kPeakDepthBytes, peak_tick)) * 8 * kScale;
  avg_tokens_ = avg_depth_;  // a new policy starts with its burst earned
  peak_tokens_ = peak_depth_;
  last_ = now;
}

void Shaper::refill(core::Instant now) {
  if (now <= last_) return;
  const i128 dt = static_cast<i128>((now - last_).count());
  last_ = now;
  avg_tokens_ = std::min(avg_depth_, avg_tokens_ + dt * static_cast<i128>(policy_.average_bps));
  peak_tokens_ = std::min(peak_depth_, peak_tokens_ + dt * static_cast<i128>(policy_.peak_bps));
}

void Shaper::consume(uint32_t bytes) {
  const i128 cost = static_cast<i128>(bytes) * 8 * kScale;
  avg_tokens_ -= cost;
  peak_tokens_ -= cost;
  ++stats_.passed;
  stats_.passed_bytes += bytes;
}

bool Shaper::push(core::PacketPtr& p) {
  if (count_ == cap_) return false;
  ring_[(head_ + count_) % cap_] = p.release();
  ++count_;
  ++stats_.queued;
  return true;
}

void Shaper::admit(core::PacketBatch& in, core::PacketBatch& out, core::PacketBatch& rejected, core::Instant now) {
  refill(now);
  for (uint32_t i = 0; i < in.size(); ++i) {
    core::PacketPtr p = in.take(i);
    if (count_ == 0 && can_pass() && !out.full()) {
      consume(p->pkt_len);
      (void)out.push(std::move(p));
      continue;
    }
    if (!push(p)) {
      ++stats_.dropped_full;
      if (core::PacketPtr back = rejected.push(std::move(p))) {
        // `rejected` is sized like `in`, so this cannot happen; never lose a packet silently.
        (void)back;
      }
    }
  }
  in.compact();
}

uint32_t Shaper::release(core::PacketBatch& out, core::Instant now) {
  refill(now);
  uint32_t n = 0;
  while (count_ > 0 && can_pass() && !out.full()) {
    core::PacketPtr p(ring_[head_]);
    head_ = (head_ + 1) % cap_;
    --count_;
    consume(p->pkt_len);
    (void)out.push(std::move(p));
    ++n;
  }
  return n;
}

std::optional<core::Instant> Shaper::next_release(core::Instant now) const {
  if (count_ == 0) return std::nullopt;
  // Time until both buckets are strictly positive again.
  auto wait_ns = [](i128 tokens, uint64_t rate) -> i128 {
    if (tokens > 0) return 0;
    return (-tokens) / static_cast<i128>(rate) + 1;
  };
  const i128 w = std::max(wait_ns(avg_tokens_, policy_.average_bps), wait_ns(peak_tokens_, policy_.peak_bps));
  const core::Instant base = std::max(now, last_);
  return base + core::Duration(static_cast<int64_t>(w));
}

uint32_t Shaper::flush() {
  const uint32_t n = count_;
  while (count_ > 0) {
    core::PacketPtr p(ring_[head_]);
    head_ = (head_ + 1) % cap_;
    --count_;
  }
  return n;
}

}  // namespace vnetref::vswitch
