#include "stack/link/impaired_link.h"

#include <algorithm>

#include "stack/core/buffer_pool.h"
#include "stack/core/views.h"

namespace vnetref::link {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

bool later(const auto& a, const auto& b) {  // heap comparator: a after b
  return a.due != b.due ? a.due > b.due : a.seq > b.seq;
}
}  // namespace

Prng::Prng(uint64_t seed) {
  for (auto& w : s_) w = splitmix64(seed);
}

uint64_t Prng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Prng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t Prng::below(uint64_t n) { return n == 0 ? 0 : next() % n; }

ImpairedLink::Direction::~Direction() {
  for (InFlight& f : flight) core::free_chain(f.frame);
}

ImpairedLink::ImpairedLink(core::TimerWheel& wheel, const ImpairmentConfig& a_to_b,
                           const ImpairmentConfig& b_to_a, uint64_t seed)
    : wheel_(wheel), dir_{Direction(a_to_b, seed ^ 0xa0b0), Direction(b_to_a, seed ^ 0xb0a0)} {
  for (int i = 0; i < 2; ++i) {
    ends_[i].link = this;
    ends_[i].index = i;
    dir_[i].timer.set_callback([this, i] { deliver_due(i); });
  }
}

void ImpairedLink::End::transmit(core::PacketPtr frame) { link->send(index, std::move(frame)); }
uint32_t ImpairedLink::End::max_frame_len() const { return link->dir_[index].config.max_frame_len; }

void ImpairedLink::send(int from, core::PacketPtr frame) {
  if (!frame) return;
  Direction& d = dir_[from];
  const ImpairmentConfig& c = d.config;
  ++d.stats.link.frames_in;
  if (frame->pkt_len > c.max_frame_len) {
    d.stats.link.drops.inc(LinkDrop::kTooBig);
    return;
  }
  // Draw every decision for every frame, in a fixed order, so one impairment's
  // probability does not shift the random stream of the others.
  const bool lose = d.prng.chance(c.loss);
  const bool dup = d.prng.chance(c.duplicate);
  const bool corrupt = d.prng.chance(c.corrupt);
  const bool reorder = d.prng.chance(c.reorder);
  const uint64_t corrupt_at = d.prng.next();
  const uint64_t jitter_ns = c.jitter.count() > 0 ? d.prng.below(static_cast<uint64_t>(c.jitter.count()) + 1) : 0;
  if (lose) {
    d.stats.link.drops.inc(LinkDrop::kLoss);
    return;
  }
  if (corrupt && frame->pkt_len > 0) {
    core::BufferPool& pool = *frame->pool;
    if (!pool.make_writable(frame)) {
      d.stats.link.drops.inc(LinkDrop::kPoolExhausted);
      return;
    }
    uint32_t off = static_cast<uint32_t>(corrupt_at % frame->pkt_len);
    for (core::Packet* s = frame.get(); s != nullptr; s = s->next) {
      if (off < s->data_len) {
        s->data()[off] ^= static_cast<uint8_t>(1u << ((corrupt_at >> 32) % 8));
        break;
      }
      off -= s->data_len;
    }
    ++d.stats.corrupted;
  }
  core::Instant due = wheel_.clock().now() + c.delay + core::Duration(static_cast<int64_t>(jitter_ns));
  if (reorder) {
    due += c.reorder_delay;
    ++d.stats.reordered;
  }
  if (dup) {
    core::PacketPtr copy = frame->pool->clone(*frame);
    if (copy) {
      ++d.stats.duplicated;
      schedule(from, std::move(copy), due);
    }
  }
  schedule(from, std::move(frame), due);
}

void ImpairedLink::schedule(int dir, core::PacketPtr frame, core::Instant due) {
  Direction& d = dir_[dir];
  if (d.flight.size() >= d.config.max_in_flight) {
    d.stats.link.drops.inc(LinkDrop::kQueueFull);
    return;
  }
  d.flight.push_back(InFlight{due, d.next_seq++, frame.release()});
  std::push_heap(d.flight.begin(), d.flight.end(), [](const InFlight& a, const InFlight& b) { return later(a, b); });
  const core::Instant first = d.flight.front().due;
  if (!d.timer.armed() || d.timer.deadline() > first) wheel_.schedule(d.timer, first);
}

void ImpairedLink::deliver_due(int dir) {
  Direction& d = dir_[dir];
  const core::Instant now = wheel_.clock().now();
  auto cmp = [](const InFlight& a, const InFlight& b) { return later(a, b); };
  // The wheel rounds deadlines up to its tick, so everything due by now goes out.
  while (!d.flight.empty() && d.flight.front().due <= now) {
    std::pop_heap(d.flight.begin(), d.flight.end(), cmp);
    core::PacketPtr f(d.flight.back().frame);
    d.flight.pop_back();
    Endpoint& to = ends_[1 - dir];
    if (to.receiver() == nullptr) {
      d.stats.link.drops.inc(LinkDrop::kNoReceiver);
      continue;
    }
    ++d.stats.link.frames_out;
    d.stats.link.bytes_out += f->pkt_len;
    to.receiver()->receive_frame(std::move(f));
  }
  if (!d.flight.empty() && !d.timer.armed()) wheel_.schedule(d.timer, d.flight.front().due);
}

}  // namespace vnetref::link
