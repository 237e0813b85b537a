// The packet descriptor shared by every layer, and its owning pointer.
//
// One `Packet` describes one segment of packet data living in a `BufferPool` slot.
// Segments chain through `next` (the inet layer's mbuf chains). The three layer
// views — `Mbuf` (inet), `PacketHandle` (dispatch/switch/IOChain/netsched) and
// `SkBuff` (driver) — are thin wrappers over a `Packet*`: converting between them
// is a pointer cast in spirit and never copies payload.
//
// A clone ("indirect" packet) borrows another slot's storage and holds a reference
// on it, so mirroring, fault-copies and TCP's retransmit queue share bytes instead
// of copying them. Shared storage is read-only by convention: call
// `BufferPool::make_writable` before modifying a packet that may be shared.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace vnetref::core {

class BufferPool;

// Direction relative to the VM, as in the IOChain: egress leaves the VM (slots
// 0 -> 15), ingress enters it (slots 15 -> 0).
enum class Direction : uint8_t { kEgress = 0, kIngress = 1 };

// Checksum offload state carried with a packet (vmxnet3-like offload modes).
enum class CsumState : uint8_t {
  kNone = 0,      // nothing known; verify in software if needed
  kVerified = 1,  // a lower layer (or the sender in-process) vouches for it
  kPartial = 2,   // transmit: L4 checksum left for the driver to complete
};

// Metadata of the packet-handle view. Kept to one cache line with the descriptor.
struct PacketMeta {
  uint32_t ingress_port = 0;  // switch port the frame arrived on
  uint32_t egress_port = 0;   // switch port chosen for it (0 = none yet)
  uint16_t vlan_tci = 0;      // out-of-band 802.1Q TCI (PCP/DEI/VID); 0 = untagged
  uint16_t slots_passed = 0;  // bit i set: IOChain slot i has seen this packet
  uint32_t flow_hash = 0;     // RSS/teaming hash, 0 = not computed
  Direction direction = Direction::kEgress;
  uint8_t traffic_class = 0;  // netsched class
  CsumState csum = CsumState::kNone;
  uint8_t flags = 0;          // layer-private bits
  uint16_t tso_mss = 0;       // > 0: segment on transmit to this MSS
  uint16_t l3_offset = 0;     // cached header offsets (0 = unknown)
  uint64_t timestamp_ns = 0;  // arrival time (virtual clock)
  uint64_t user = 0;          // owner-defined (e.g. a conformance case's packet id)
};

struct Packet {
  uint8_t* buf = nullptr;     // storage start (the owner's storage for a clone)
  uint32_t buf_size = 0;      // storage size
  uint32_t data_off = 0;      // first byte of data, from buf
  uint32_t data_len = 0;      // bytes of data in this segment
  uint32_t pkt_len = 0;       // total bytes of the chain (kept in the head segment)
  Packet* next = nullptr;     // next segment of the chain
  Packet* owner = nullptr;    // clone: the packet whose storage we borrow
  std::atomic<uint32_t> refs{0};  // references to this slot's storage
  uint32_t index = 0;         // slot number in the pool
  BufferPool* pool = nullptr;
  PacketMeta meta;

  uint8_t* data() { return buf + data_off; }
  const uint8_t* data() const { return buf + data_off; }
  std::span<uint8_t> bytes() { return {data(), data_len}; }
  std::span<const uint8_t> bytes() const { return {data(), data_len}; }
  uint32_t headroom() const { return data_off; }
  uint32_t tailroom() const { return buf_size - data_off - data_len; }
  bool is_clone() const { return owner != nullptr; }
  // True when other packets may see these bytes (clone, or cloned-from).
  bool shared() const {
    return owner != nullptr || refs.load(std::memory_order_acquire) > 1;
  }
  uint32_t segments() const {
    uint32_t n = 0;
    for (const Packet* p = this; p != nullptr; p = p->next) ++n;
    return n;
  }
};

// Unique owner of a packet chain; releasing it returns every segment to its pool.
class PacketPtr {
 public:
  PacketPtr() = default;
  explicit PacketPtr(Packet* p) : p_(p) {}
  PacketPtr(PacketPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  PacketPtr& operator=(PacketPtr&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  PacketPtr(const PacketPtr&) = delete;
  PacketPtr& operator=(const PacketPtr&) = delete;
  ~PacketPtr() { reset(); }

  Packet* get() const { return p_; }
  Packet* operator->() const { return p_; }
  Packet& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  // Gives up ownership without freeing (e.g. into a batch or a ring).
  Packet* release() { return std::exchange(p_, nullptr); }
  void reset();

 private:
  Packet* p_ = nullptr;
};

// Frees a whole chain (defined in buffer_pool.cc).
void free_chain(Packet* head);

inline void PacketPtr::reset() {
  if (p_ != nullptr) free_chain(std::exchange(p_, nullptr));
}

}  // namespace vnetref::core
