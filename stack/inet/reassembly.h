// IPv4 reassembly (RFC 791 section 3.2, RFC 815 hole bookkeeping) with bounds and a
// defence against overlapping fragments.
//
// Bounds (per instance tunables, FreeBSD names): at most net.inet.ip.maxfragpackets
// datagrams in reassembly, net.inet.ip.maxfragsperpacket fragments each (hard cap
// kHardMaxFragsPerPacket) and net.inet.ip.maxfrags fragments overall; a datagram not
// complete within net.inet.ip.fragttl seconds is discarded and, when its first
// fragment had arrived, reported so the caller can send ICMP time exceeded (code 1,
// RFC 792 / RFC 1122 3.2.1.4).
//
// Overlaps: the classic attacks (RFC 1858 tiny/overlapping fragments, and the
// teardrop family) rely on later fragments rewriting earlier bytes. We accept an
// exact duplicate (same offset and length: a retransmission, dropped and counted),
// and discard the whole datagram on any other overlap, as RFC 5722 mandates for
// IPv6 and Linux does for IPv4: no overlap ever decides which bytes a receiver sees.
//
// Fragments are kept as mbuf chains (no copy); the completed datagram is the first
// fragment's header followed by the fragments' payload chains.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/packet.h"
#include "stack/core/timer_wheel.h"
#include "stack/inet/drops.h"
#include "stack/inet/inet_tunables.h"

namespace vnetref::inet {

struct ReassemblyStats {
  uint64_t fragments = 0;    // fragments accepted into a queue
  uint64_t reassembled = 0;  // datagrams completed
  uint64_t timeouts = 0;
  uint64_t discarded = 0;    // datagrams discarded (overlap, limits, timeout)
};

class Reassembler {
 public:
  static constexpr size_t kHardMaxFragsPerPacket = 64;
  static constexpr size_t kHardMaxQueues = 1024;

  using DropFn = std::function<void(InetDrop)>;
  // Called with the first fragment (IP header at the front) of a timed-out datagram.
  using TimeoutFn = std::function<void(core::PacketPtr first_fragment)>;

  Reassembler(core::TimerWheel& wheel, core::BufferPool& pool, const Tunables& tunables,
              const InetTunableIds& ids, DropFn drop, TimeoutFn timeout);
  ~Reassembler();
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // `fragment` is a structurally valid IPv4 fragment (MF set or offset > 0) whose
  // header is contiguous in the head segment and whose pkt_len equals its total
  // length. Returns the reassembled datagram when this fragment completed one.
  core::PacketPtr input(core::PacketPtr fragment);

  size_t queues() const { return active_; }
  size_t fragments_held() const { return frags_total_; }
  const ReassemblyStats& stats() const { return stats_; }

 private:
  struct Frag {
    core::Packet* pkt;  // payload only (header stripped), owned
    uint32_t off;       // payload offset in bytes
    uint32_t len;
  };
  struct Queue {
    bool used = false;
    uint32_t src = 0, dst = 0;
    uint16_t id = 0;
    uint8_t proto = 0;
    core::Instant expiry{};
    core::Packet* first = nullptr;  // first fragment's header-only copy (offset 0), owned
    uint32_t end = 0;               // payload length once the last fragment arrived
    bool have_last = false;
    uint32_t nfrags = 0;
    std::array<Frag, kHardMaxFragsPerPacket> frags{};  // sorted by off
  };

  Queue* find(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto);
  Queue* allocate();
  void discard(Queue& q, InetDrop reason);
  void free_queue(Queue& q);
  core::PacketPtr complete(Queue& q);
  void on_timer();
  void arm_timer();

  core::TimerWheel& wheel_;
  core::BufferPool& pool_;
  const Tunables& tunables_;
  InetTunableIds ids_;
  DropFn drop_;
  TimeoutFn timeout_;
  std::vector<std::unique_ptr<Queue>> queues_;  // grows to the limit, reused
  size_t active_ = 0;
  size_t frags_total_ = 0;
  core::Timer timer_;
  ReassemblyStats stats_;
};

}  // namespace vnetref::inet
