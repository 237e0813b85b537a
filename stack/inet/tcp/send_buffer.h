// The send buffer: the bytes between SND.UNA and the end of what the application
// queued, as a list of single pool segments.
//
// Segments on the wire are zero-copy clones of ranges of these buffers, so a
// retransmission re-clones the same storage and never copies payload. Copy-in
// sends fill the tail buffer we own before allocating another; zero-copy sends
// (send_mbuf) link the caller's segments as they are.
#pragma once

#include <cstdint>
#include <deque>
#include <span>

#include "stack/core/buffer_pool.h"
#include "stack/core/packet.h"

namespace vnetref::inet::tcp {

class SendBuffer {
 public:
  SendBuffer() = default;
  SendBuffer(const SendBuffer&) = delete;
  SendBuffer& operator=(const SendBuffer&) = delete;
  ~SendBuffer() { clear(); }

  uint32_t size() const { return static_cast<uint32_t>(end_ - begin_); }
  bool empty() const { return end_ == begin_; }

  // Copies up to bytes.size() bytes; returns how many (fewer when the pool runs dry).
  size_t append_copy(std::span<const uint8_t> bytes, core::BufferPool& pool);
  // Links every segment of `chain` (no copy). Empty segments are freed.
  void append_chain(core::PacketPtr chain);
  // Drops `n` acknowledged bytes from the front.
  void drop_front(uint32_t n);
  // Appends zero-copy clones covering [off, off + len) (offsets from the front) to
  // the chain whose last segment is `*tail`, updating `*tail`. False when the pool
  // is exhausted (the partial chain stays linked and is freed with its head).
  bool clone_range(uint32_t off, uint32_t len, core::BufferPool& pool, core::Packet** tail) const;
  // Copies [off, off + len) into `out` (used by tests and the fuzzer's oracle).
  bool copy_range(uint32_t off, std::span<uint8_t> out) const;
  void clear();

 private:
  struct Entry {
    core::Packet* pkt;  // owned, single segment (next == nullptr)
    uint64_t start;     // stream offset of its first byte
    bool own;           // allocated by append_copy: its tailroom is ours to fill
  };
  size_t find(uint64_t abs) const;  // index of the entry holding stream offset `abs`

  std::deque<Entry> q_;
  mutable size_t hint_ = 0;  // entry of the last lookup: sends walk the buffer in order
  uint64_t begin_ = 0;  // stream offset of the first byte held
  uint64_t end_ = 0;    // stream offset just past the last byte
};

}  // namespace vnetref::inet::tcp
