// Traffic shaping with token buckets in (virtual) time.
//
// vSphere's three parameters map onto two buckets that a frame must both pass:
//   average bucket: depth = burst size, refilled at the average bandwidth. While
//                   traffic stays under the average it earns up to `burst` bytes
//                   that may later be sent faster than the average.
//   peak bucket:    depth = one maximum frame or one 1 ms timer tick at the peak,
//                   whichever is larger, refilled at the peak bandwidth, so even a
//                   burst never leaves faster than the peak.
// A bucket may go negative by one frame (a frame passes when the bucket is
// positive), which keeps long-run rates exact for any frame size. Frames that
// cannot pass wait in a bounded FIFO; the owner arms a timer for `next_release()`.
// All arithmetic is integer (bits x 1e9 per bucket) on the injected clock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "stack/core/batch.h"
#include "stack/core/clock.h"

namespace vnetref::vswitch {

struct ShapingPolicy {
  bool enabled = false;
  uint64_t average_bps = 100'000'000;  // bits per second
  uint64_t peak_bps = 100'000'000;     // >= average
  uint64_t burst_bytes = 102'400;      // vSphere's default burst is 100 KB
};

struct ShaperStats {
  uint64_t passed = 0;
  uint64_t passed_bytes = 0;
  uint64_t queued = 0;
  uint64_t dropped_full = 0;  // the caller drops these with DropReason::kShaperQueueFull
};

class Shaper {
 public:
  static constexpr uint32_t kPeakDepthBytes = 1518;

  explicit Shaper(uint32_t queue_capacity = 1024);
  ~Shaper();
  Shaper(const Shaper&) = delete;
  Shaper& operator=(const Shaper&) = delete;

  void configure(const ShapingPolicy& p, core::Instant now);
  bool enabled() const { return policy_.enabled; }
  const ShapingPolicy& policy() const { return policy_; }

  // Moves the packets of `in` that may leave now to `out` (in order); the others are
  // queued; what the queue cannot hold is moved to `rejected`.
  void admit(core::PacketBatch& in, core::PacketBatch& out, core::PacketBatch& rejected, core::Instant now);
  // Moves queued packets that may leave by `now` into `out` (up to its room).
  uint32_t release(core::PacketBatch& out, core::Instant now);
  // When the head of the queue may leave; nullopt when the queue is empty.
  std::optional<core::Instant> next_release(core::Instant now) const;
  uint32_t queued() const { return count_; }
  // Frees the queue (teardown); returns how many were dropped.
  uint32_t flush();

  const ShaperStats& stats() const { return stats_; }

 private:
  using i128 = __int128;
  void refill(core::Instant now);
  bool can_pass() const { return avg_tokens_ > 0 && peak_tokens_ > 0; }
  void consume(uint32_t bytes);
  bool push(core::PacketPtr& p);

  ShapingPolicy policy_;
  i128 avg_tokens_ = 0;   // bits * 1e9
  i128 peak_tokens_ = 0;
  i128 avg_depth_ = 0;
  i128 peak_depth_ = 0;
  core::Instant last_{};
  std::unique_ptr<core::Packet*[]> ring_;
  uint32_t cap_;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
  ShaperStats stats_;
};

}  // namespace vnetref::vswitch
