// A bounded pool of fixed-size packet buffers: no heap allocation per packet.
//
// All slots (descriptor + storage) are carved out of one arena at construction.
// Allocation pops a free-list under a spinlock (cheap when uncontended, correct when
// a multi-worker run frees a packet on another core than the one that allocated it);
// bulk calls amortise the lock over a batch. When the pool is empty, allocation
// fails, `exhausted` counts it, and the caller drops with a reason: memory is
// bounded by construction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stack/core/packet.h"

namespace vnetref::core {

struct PoolStats {
  uint64_t allocs = 0;
  uint64_t frees = 0;
  uint64_t exhausted = 0;  // allocation failures: the pool's drop counter
  uint64_t clones = 0;
  uint64_t copies = 0;     // deep copies made by make_writable / copy
  uint32_t in_use = 0;
  uint32_t high_water = 0;
};

class BufferPool {
 public:
  static constexpr uint32_t kDefaultHeadroom = 128;

  // `count` slots of `buf_size` bytes each (storage, including headroom).
  explicit BufferPool(uint32_t count, uint32_t buf_size = 2048 + kDefaultHeadroom,
                      uint32_t headroom = kDefaultHeadroom, std::string name = "pool");
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty packet with `headroom()` bytes reserved in front; null when exhausted.
  PacketPtr alloc();
  // Allocates a packet and copies `bytes` into it, chaining segments when larger than a slot.
  PacketPtr alloc_copy(std::span<const uint8_t> bytes);
  // Fills `out` with up to out.size() packets; returns how many (all or fewer when exhausted).
  size_t alloc_bulk(std::span<Packet*> out);
  void free_bulk(std::span<Packet*> pkts);

  // A zero-copy clone of the whole chain (descriptors share the storage). Null when exhausted.
  PacketPtr clone(const Packet& head);
  // A deep copy of the chain into fresh storage, linearised when it fits one slot.
  PacketPtr copy(const Packet& head);
  // Ensures `p` owns its bytes exclusively (copy-on-write); false when exhausted.
  bool make_writable(PacketPtr& p);

  uint32_t capacity() const { return count_; }
  uint32_t buf_size() const { return buf_size_; }
  uint32_t headroom() const { return headroom_; }
  uint32_t available() const;
  PoolStats stats() const;
  const std::string& name() const { return name_; }

 private:
  friend void free_chain(Packet* head);
  Packet* pop();
  void push(Packet* p);
  void release_storage(Packet* p);
  void release_descriptor(Packet* p);
  void lock() const;
  void unlock() const;
  void reset_descriptor(Packet* p);

  std::string name_;
  uint32_t count_;
  uint32_t buf_size_;
  uint32_t headroom_;
  size_t slot_stride_;
  std::unique_ptr<uint8_t[]> arena_;  // raw storage, aligned within
  uint8_t* base_ = nullptr;
  std::vector<uint32_t> free_;
  mutable std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
  PoolStats stats_;
};

}  // namespace vnetref::core
