// An in-process point-to-point link: two endpoints, two bounded FIFOs.
//
// `transmit` on one endpoint queues the frame for the other (dropping with a counter
// when the FIFO is full). Frames are delivered by `pump()`, or automatically from a
// timer at the current time when the pipe was given a TimerWheel, so a virtual-time
// run delivers everything just by advancing the clock.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "stack/core/counters.h"
#include "stack/core/timer_wheel.h"
#include "stack/link/link.h"

namespace vnetref::link {

enum class LinkDrop : uint8_t { kQueueFull, kNoReceiver, kTooBig, kLoss, kPoolExhausted, kCount };
const char* name_of(LinkDrop d);

struct LinkDirectionStats {
  uint64_t frames_in = 0;      // handed to transmit
  uint64_t frames_out = 0;     // delivered to the receiver
  uint64_t bytes_out = 0;
  core::ReasonCounters<LinkDrop> drops;
};

// A bounded FIFO of frames (ring of PacketPtr; capacity fixed at construction).
class FrameQueue {
 public:
  explicit FrameQueue(uint32_t capacity) : ring_(capacity) {}
  bool full() const { return count_ == ring_.size(); }
  bool empty() const { return count_ == 0; }
  uint32_t size() const { return count_; }
  // Hands the frame back when full.
  core::PacketPtr push(core::PacketPtr p);
  core::PacketPtr pop();

 private:
  std::vector<core::PacketPtr> ring_;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
};

class Pipe {
 public:
  // `wheel` may be null: then only pump() delivers.
  explicit Pipe(uint32_t queue_capacity = 1024, core::TimerWheel* wheel = nullptr,
                uint32_t max_frame_len = 65535);
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  Endpoint& a() { return ends_[0]; }
  Endpoint& b() { return ends_[1]; }

  // Delivers up to `max` queued frames (both directions, alternating); returns how many.
  size_t pump(size_t max = SIZE_MAX);
  // Stats of frames travelling a -> b (index 0) or b -> a (index 1).
  const LinkDirectionStats& stats(int dir) const { return dir_[dir].stats; }
  bool idle() const { return dir_[0].queue.empty() && dir_[1].queue.empty(); }

 private:
  class End final : public Endpoint {
   public:
    void transmit(core::PacketPtr frame) override;
    uint32_t max_frame_len() const override;
    Pipe* pipe = nullptr;
    int index = 0;
  };
  struct Direction {
    explicit Direction(uint32_t cap) : queue(cap) {}
    FrameQueue queue;
    LinkDirectionStats stats;
  };
  void enqueue(int from, core::PacketPtr frame);
  bool deliver_one(int dir);

  std::array<End, 2> ends_;
  std::array<Direction, 2> dir_;
  core::TimerWheel* wheel_;
  core::Timer kick_;
  uint32_t max_frame_len_;
};

}  // namespace vnetref::link
