// Test harness: two TcpStacks joined by a fake IP layer with seeded impairments.
//
// Each side's IpOutput queues segments on a virtual-time wire; `run_*` moves the
// virtual clock to the next delivery or timer deadline, so whole transfers (with
// loss, reordering, duplication, delay and corruption) run in milliseconds of real
// time and are reproducible bit for bit from the seed. A filter hook lets a test
// drop or rewrite chosen segments; `inject` sends hand-made segments.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/inet/tcp/tcp.h"
#include "stack/wire/tcp.h"

namespace vnetref::inet::tcp::testing {

struct Impairment {
  double loss = 0;       // probability a segment is dropped
  double duplicate = 0;  // probability it is delivered twice
  double reorder = 0;    // probability it is held back by `reorder_delay`
  double corrupt = 0;    // probability one byte is flipped (the checksum must catch it)
  core::Duration delay = std::chrono::milliseconds(1);  // one-way
  core::Duration reorder_delay = std::chrono::milliseconds(3);
  uint64_t seed = 1;
};

// A decoded copy of a segment seen on the wire (for assertions).
struct WireSegment {
  int from = 0;  // 0 = A, 1 = B
  wire::SeqNum seq, ack;
  wire::TcpFlags flags;
  uint16_t window = 0;
  uint32_t len = 0;
  wire::TcpOptions options;
  uint8_t tos = 0;
  core::Instant at{};
};

class TcpPair {
 public:
  static constexpr uint32_t kAddrA = 0x0a000001;  // 10.0.0.1
  static constexpr uint32_t kAddrB = 0x0a000002;  // 10.0.0.2

  explicit TcpPair(Impairment imp = {}, TcpTunables ta = {}, TcpTunables tb = {}, uint32_t pool_slots = 16384);
  ~TcpPair();

  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  core::BufferPool pool;
  TcpStack& a() { return *stack_[0]; }
  TcpStack& b() { return *stack_[1]; }
  TcpStack& side(int i) { return *stack_[i]; }

  // Returns false to drop the segment; may rewrite bytes/meta. `from` is 0 or 1.
  std::function<bool(int from, core::PacketPtr& seg, IpMeta& meta)> filter;
  bool record = false;
  std::vector<WireSegment> wire_log;
  uint32_t mtu = 1500;
  // When set, ip_output refuses (kMessageTooBig, DF) segments that with a 20-byte IPv4
  // header exceed `mtu`, as the IP layer does after a path MTU decrease.
  bool enforce_mtu = false;
  bool link_up = true;  // false: every segment is lost (peer vanished)

  // Runs until `pred` holds (checked after every event) or `limit` of virtual time passes.
  bool run_until(const std::function<bool()>& pred, core::Duration limit);
  void run_for(core::Duration d);
  // Sends raw bytes (a TCP segment) to side `to` as if from the other side's address.
  void inject(int to, std::span<const uint8_t> segment, uint8_t tos = 0, uint32_t src_override = 0);
  // Builds a segment with the given header and delivers it to side `to`.
  void inject(int to, const wire::TcpHeader& h, uint32_t src_override = 0);

  uint64_t delivered() const { return delivered_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t corrupted() const { return corrupted_; }

  // Convenience: listen on B:port, connect A -> B:port, run to ESTABLISHED on both.
  struct Conn {
    SocketId client, server, listener;
  };
  std::optional<Conn> connect_pair(uint16_t port = 80, core::Duration limit = std::chrono::seconds(30));

  // Moves `data` from `from_sock` on side `from` to `to_sock` on the other side,
  // reading as it arrives; returns the bytes read (compare with `data`).
  std::vector<uint8_t> transfer(int from, SocketId from_sock, SocketId to_sock, const std::vector<uint8_t>& data,
                                core::Duration limit, bool close_after = false);

 private:
  class Side;
  struct InFlight {
    core::Instant at;
    uint64_t order;
    int to;
    core::Packet* pkt;
    IpMeta meta;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  void send(int from, core::PacketPtr p, const IpMeta& meta);
  void deliver_due();
  void log(int from, const core::Packet& p, const IpMeta& meta);

  Impairment imp_;
  std::mt19937_64 rng_;
  std::unique_ptr<Side> side_[2];
  std::unique_ptr<TcpStack> stack_[2];
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> q_;
  uint64_t order_ = 0;
  uint64_t delivered_ = 0, dropped_ = 0, corrupted_ = 0;
};

// Deterministic pseudo-random payload.
std::vector<uint8_t> pattern(size_t n, uint64_t seed);

}  // namespace vnetref::inet::tcp::testing
