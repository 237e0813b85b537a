// The three layer views over one `Packet`: O(1) to form, never copying payload.
//
//   Mbuf         inet layer (FreeBSD mbuf idioms): chains, prepend/adj/pullup/split/cat.
//   PacketHandle dispatch, switch, IOChain, netsched: the frame plus its metadata.
//   SkBuff       driver layer (Linux sk_buff idioms): head/data/tail/end, push/pull/put.
//
// Invariant kept by every mutating call: the head segment's `pkt_len` equals the sum
// of `data_len` over the chain.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "stack/core/buffer_pool.h"
#include "stack/core/packet.h"

namespace vnetref::core {

// ---- inet layer ---------------------------------------------------------------
class Mbuf {
 public:
  explicit Mbuf(Packet& p) : p_(&p) {}
  Packet& packet() const { return *p_; }
  uint8_t* data() const { return p_->data(); }
  uint32_t len() const { return p_->data_len; }          // this segment
  uint32_t pkt_len() const { return p_->pkt_len; }       // whole chain (head only)
  bool has_next() const { return p_->next != nullptr; }
  Mbuf next() const { return Mbuf(*p_->next); }
  PacketMeta& meta() const { return p_->meta; }
  uint32_t segments() const { return p_->segments(); }

  // Copies `len` bytes from chain offset `off` into `out`; false if the chain is shorter.
  bool copy_data(uint32_t off, std::span<uint8_t> out) const;

 private:
  Packet* p_;
};

namespace mbuf {
// Makes `n` bytes room at the front; uses headroom, else chains a new leading
// segment from `pool`. Returns the new front bytes, or nullptr (pool exhausted).
uint8_t* prepend(PacketPtr& m, uint32_t n, BufferPool& pool);
// Trims `n` bytes from the front (n > 0) or -n from the back (n < 0); empty
// segments stay in the chain (harmless) except that the head is never freed.
void adj(PacketPtr& m, int64_t n);
// Appends bytes at the tail, chaining segments from `pool` as needed.
bool append(PacketPtr& m, std::span<const uint8_t> bytes, BufferPool& pool);
// Makes the first `n` bytes contiguous in the head segment; false if the chain
// is shorter than `n`, `n` exceeds a slot, or the pool is exhausted.
bool pullup(PacketPtr& m, uint32_t n, BufferPool& pool);
// Splits the chain at `off`: `m` keeps [0, off), the result holds the rest
// (a zero-copy clone of the straddling segment). Null on exhaustion.
PacketPtr split(PacketPtr& m, uint32_t off, BufferPool& pool);
// Appends chain `tail` to `m` (no copy).
void cat(PacketPtr& m, PacketPtr tail);
// Recomputes the head's pkt_len from the segments.
void fix_pkt_len(Packet& head);
}  // namespace mbuf

// ---- dispatch / switch / IOChain / netsched -----------------------------------
class PacketHandle {
 public:
  explicit PacketHandle(Packet& p) : p_(&p) {}
  Packet& packet() const { return *p_; }
  PacketMeta& meta() const { return p_->meta; }
  // The frame's first contiguous bytes (the whole frame when `linear()`).
  std::span<uint8_t> frame() const { return p_->bytes(); }
  uint32_t frame_len() const { return p_->pkt_len; }
  bool linear() const { return p_->next == nullptr; }

 private:
  Packet* p_;
};

// ---- driver layer -------------------------------------------------------------
class SkBuff {
 public:
  explicit SkBuff(Packet& p) : p_(&p) {}
  Packet& packet() const { return *p_; }
  uint8_t* head() const { return p_->buf; }
  uint8_t* data() const { return p_->data(); }
  uint8_t* tail() const { return p_->data() + p_->data_len; }
  uint8_t* end() const { return p_->buf + p_->buf_size; }
  uint32_t len() const { return p_->pkt_len; }
  uint32_t headlen() const { return p_->data_len; }
  uint32_t headroom() const { return p_->headroom(); }
  uint32_t tailroom() const { return p_->tailroom(); }

  // Each returns nullptr (and changes nothing) when the room is not there.
  uint8_t* push(uint32_t n);   // grow at the front
  uint8_t* pull(uint32_t n);   // shrink at the front; returns the new data start
  uint8_t* put(uint32_t n);    // grow at the tail; returns the old tail
  bool reserve(uint32_t n);    // move an empty buffer's data start forward
  void trim(uint32_t len);     // cut a linear buffer to `len`

 private:
  Packet* p_;
};

inline Mbuf as_mbuf(Packet& p) { return Mbuf(p); }
inline PacketHandle as_handle(Packet& p) { return PacketHandle(p); }
inline SkBuff as_skbuff(Packet& p) { return SkBuff(p); }

}  // namespace vnetref::core
