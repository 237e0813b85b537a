// In-order received bytes waiting for the application, as payload chains.
//
// Arriving segments are queued zero-copy (the packet that carried them, with the
// headers trimmed off). Small segments are copied into the tail buffer instead so
// a stream of 1-byte segments cannot pin one pool slot per byte: pool use stays
// proportional to the bytes queued, which the receive window bounds.
#pragma once

#include <cstdint>
#include <deque>
#include <span>

#include "stack/core/buffer_pool.h"
#include "stack/core/packet.h"

namespace vnetref::inet::tcp {

class RecvBuffer {
 public:
  static constexpr uint32_t kCoalesceMax = 512;  // payloads up to this size are copied

  uint32_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }

  // Queues a payload chain of `len` bytes (len == pkt_len of the chain).
  void append(core::PacketPtr payload, uint32_t len);
  // Copies up to out.size() bytes out and frees what was consumed.
  size_t read(std::span<uint8_t> out);
  // Up to `max` bytes as one chain (zero-copy; splits the last chain when needed).
  // Null when empty or when the pool cannot provide a split clone.
  core::PacketPtr read_mbuf(uint32_t max, core::BufferPool& pool);
  void clear();

 private:
  std::deque<core::PacketPtr> q_;
  uint32_t bytes_ = 0;
};

}  // namespace vnetref::inet::tcp
