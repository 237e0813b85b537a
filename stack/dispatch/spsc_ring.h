// A bounded lock-free single-producer single-consumer ring with burst operations.
//
// The unit of hand-off between two poll loops in multi-worker mode, and the same
// code in deterministic mode (producer and consumer on one thread). Head and tail
// sit on their own cache lines, and each side keeps a cached copy of the other
// side's index so a burst costs at most one cross-core cache miss, not one per
// element. Capacity is a power of two; indexes run freely and wrap by masking.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace vnetref::dispatch {

inline constexpr size_t kCacheLine = 64;

constexpr uint32_t round_up_pow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v && p < (1u << 31)) p <<= 1;
  return p;
}

template <typename T>
class SpscRing {
 public:
  // Holds up to round_up_pow2(capacity) elements.
  explicit SpscRing(uint32_t capacity)
      : mask_(round_up_pow2(capacity < 2 ? 2 : capacity) - 1), slots_(std::make_unique<T[]>(mask_ + 1)) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  uint32_t capacity() const { return mask_ + 1; }

  // Producer side: copies up to in.size() elements; returns how many fit.
  uint32_t enqueue_burst(std::span<const T> in) {
    const uint64_t tail = prod_.tail.load(std::memory_order_relaxed);
    uint64_t free = capacity() - (tail - prod_.cached_head);
    if (free < in.size()) {
      // Refresh the consumer's index only when the cached one says "too full".
      prod_.cached_head = cons_.head.load(std::memory_order_acquire);
      free = capacity() - (tail - prod_.cached_head);
    }
    const uint32_t n = static_cast<uint32_t>(in.size() < free ? in.size() : free);
    for (uint32_t i = 0; i < n; ++i) slots_[(tail + i) & mask_] = in[i];
    prod_.tail.store(tail + n, std::memory_order_release);
    return n;
  }
  bool enqueue(const T& v) { return enqueue_burst(std::span<const T>(&v, 1)) == 1; }

  // Consumer side: moves up to out.size() elements out; returns how many.
  uint32_t dequeue_burst(std::span<T> out) {
    const uint64_t head = cons_.head.load(std::memory_order_relaxed);
    uint64_t avail = cons_.cached_tail - head;
    if (avail < out.size()) {
      cons_.cached_tail = prod_.tail.load(std::memory_order_acquire);
      avail = cons_.cached_tail - head;
    }
    const uint32_t n = static_cast<uint32_t>(out.size() < avail ? out.size() : avail);
    for (uint32_t i = 0; i < n; ++i) out[i] = slots_[(head + i) & mask_];
    cons_.head.store(head + n, std::memory_order_release);
    return n;
  }
  bool dequeue(T& v) { return dequeue_burst(std::span<T>(&v, 1)) == 1; }

  // Approximate when called concurrently; exact when both sides are quiet.
  uint32_t size() const {
    return static_cast<uint32_t>(prod_.tail.load(std::memory_order_acquire) -
                                 cons_.head.load(std::memory_order_acquire));
  }
  bool empty() const { return size() == 0; }

 private:
  struct alignas(kCacheLine) Producer {
    std::atomic<uint64_t> tail{0};
    uint64_t cached_head = 0;
  };
  struct alignas(kCacheLine) Consumer {
    std::atomic<uint64_t> head{0};
    uint64_t cached_tail = 0;
  };

  Producer prod_;
  Consumer cons_;
  alignas(kCacheLine) const uint32_t mask_;
  std::unique_ptr<T[]> slots_;
};

}  // namespace vnetref::dispatch
