// A bounded per-port packet queue (Tx or Rx) over an SPSC ring.
//
// Producer and consumer may be different workers (multi-worker mode) or the same
// thread (deterministic mode): same code. A full queue never drops silently: what
// does not fit stays in the caller's batch so the caller drops it with its own
// reason (and its drop counter), and the queue counts the overflow too.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "stack/core/batch.h"
#include "stack/dispatch/spsc_ring.h"

namespace vnetref::dispatch {

// A counter written by one thread and read by any: a relaxed load+store (no locked
// RMW) keeps the writer cheap while readers never see a torn value.
class OwnedCounter {
 public:
  void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct QueueStats {
  uint64_t enqueued = 0;
  uint64_t dequeued = 0;
  uint64_t rejected_full = 0;  // packets that did not fit (the caller dropped them)
};

class PacketQueue {
  using Packet = core::Packet;

 public:
  explicit PacketQueue(uint32_t capacity) : ring_(capacity) {}
  ~PacketQueue() { drain_and_free(); }
  PacketQueue(const PacketQueue&) = delete;
  PacketQueue& operator=(const PacketQueue&) = delete;

  uint32_t capacity() const { return ring_.capacity(); }
  uint32_t size() const { return ring_.size(); }
  bool empty() const { return ring_.empty(); }

  // Producer: moves as many packets of `b` as fit (in order); the rest stay in `b`.
  uint32_t enqueue(core::PacketBatch& b) {
    const uint32_t n = b.size();
    if (n == 0) return 0;
    const uint32_t done = ring_.enqueue_burst(std::span<Packet* const>(b.begin(), n));
    for (uint32_t i = 0; i < done; ++i) (void)b.take(i).release();  // ownership moved to the ring
    b.compact();
    enq_.add(done);
    if (done < n) rejected_.add(n - done);
    return done;
  }
  // Producer: one packet; handed back when the queue is full.
  core::PacketPtr enqueue_one(core::PacketPtr p) {
    Packet* raw = p.get();
    if (!ring_.enqueue(raw)) {
      rejected_.add(1);
      return p;
    }
    (void)p.release();
    enq_.add(1);
    return {};
  }
  // Consumer: appends up to `max` packets to `out` (bounded by its free room).
  uint32_t dequeue(core::PacketBatch& out, uint32_t max = core::PacketBatch::kMaxPackets) {
    std::array<Packet*, core::PacketBatch::kMaxPackets> tmp;
    uint32_t room = core::PacketBatch::kMaxPackets - out.size();
    if (max < room) room = max;
    const uint32_t n = ring_.dequeue_burst(std::span<Packet*>(tmp.data(), room));
    for (uint32_t i = 0; i < n; ++i) (void)out.push(core::PacketPtr(tmp[i]));
    deq_.add(n);
    return n;
  }
  // Consumer side: frees everything queued (teardown). Returns how many.
  uint32_t drain_and_free() {
    uint32_t total = 0;
    core::PacketBatch b;
    while (dequeue(b) > 0) {
      total += b.size();
      b.clear();
    }
    return total;
  }

  QueueStats stats() const { return {enq_.get(), deq_.get(), rejected_.get()}; }

 private:
  SpscRing<Packet*> ring_;
  // Producer-side and consumer-side counters on separate cache lines: sharing one
  // would bounce it between the two workers on every burst.
  alignas(kCacheLine) OwnedCounter enq_;
  OwnedCounter rejected_;
  alignas(kCacheLine) OwnedCounter deq_;
};

}  // namespace vnetref::dispatch
