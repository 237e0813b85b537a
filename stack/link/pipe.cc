#include "stack/link/pipe.h"

namespace vnetref::link {

const char* name_of(LinkDrop d) {
  switch (d) {
    case LinkDrop::kQueueFull: return "queue_full";
    case LinkDrop::kNoReceiver: return "no_receiver";
    case LinkDrop::kTooBig: return "frame_too_big";
    case LinkDrop::kLoss: return "impairment_loss";
    case LinkDrop::kPoolExhausted: return "pool_exhausted";
    case LinkDrop::kCount: break;
  }
  return "?";
}

core::PacketPtr FrameQueue::push(core::PacketPtr p) {
  if (full() || ring_.empty()) return p;
  ring_[(head_ + count_) % ring_.size()] = std::move(p);
  ++count_;
  return {};
}

core::PacketPtr FrameQueue::pop() {
  if (count_ == 0) return {};
  core::PacketPtr p = std::move(ring_[head_]);
  head_ = static_cast<uint32_t>((head_ + 1) % ring_.size());
  --count_;
  return p;
}

Pipe::Pipe(uint32_t queue_capacity, core::TimerWheel* wheel, uint32_t max_frame_len)
    : dir_{Direction(queue_capacity), Direction(queue_capacity)}, wheel_(wheel), max_frame_len_(max_frame_len) {
  for (int i = 0; i < 2; ++i) {
    ends_[i].pipe = this;
    ends_[i].index = i;
  }
  // A bounded amount per kick: two peers that keep answering each other cannot spin
  // the timer pass forever; leftovers wait for the next tick.
  kick_.set_callback([this, queue_capacity] {
    pump(2 * static_cast<size_t>(queue_capacity) + 2);
    if (!idle()) wheel_->schedule(kick_, wheel_->clock().now() + wheel_->tick());
  });
}

void Pipe::End::transmit(core::PacketPtr frame) { pipe->enqueue(index, std::move(frame)); }
uint32_t Pipe::End::max_frame_len() const { return pipe->max_frame_len_; }

void Pipe::enqueue(int from, core::PacketPtr frame) {
  if (!frame) return;
  Direction& d = dir_[from];
  ++d.stats.frames_in;
  if (frame->pkt_len > max_frame_len_) {
    d.stats.drops.inc(LinkDrop::kTooBig);
    return;
  }
  if (d.queue.push(std::move(frame))) {
    d.stats.drops.inc(LinkDrop::kQueueFull);  // the returned frame is freed here
    return;
  }
  if (wheel_ != nullptr && !kick_.armed()) wheel_->schedule(kick_, wheel_->clock().now());
}

bool Pipe::deliver_one(int dir) {
  core::PacketPtr f = dir_[dir].queue.pop();
  if (!f) return false;
  Endpoint& to = ends_[1 - dir];
  if (to.receiver() == nullptr) {
    dir_[dir].stats.drops.inc(LinkDrop::kNoReceiver);
    return true;
  }
  ++dir_[dir].stats.frames_out;
  dir_[dir].stats.bytes_out += f->pkt_len;
  to.receiver()->receive_frame(std::move(f));
  return true;
}

size_t Pipe::pump(size_t max) {
  size_t n = 0;
  // Deliveries may queue answers; keep going until both FIFOs are empty or `max`.
  while (n < max) {
    bool any = false;
    for (int d = 0; d < 2 && n < max; ++d) {
      if (deliver_one(d)) {
        ++n;
        any = true;
      }
    }
    if (!any) break;
  }
  return n;
}

}  // namespace vnetref::link
