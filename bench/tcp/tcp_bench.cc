// TCP throughput and connection rate, side by side with lwIP 2.1.3 and Linux.
//
//   BM_VnetrefBulk        two in-process TcpStacks, MSS 1460, checksums computed on
//                         send and verified on receive, one thread (one core)
//   BM_VnetrefConnRate    connect / accept / send 1 byte / close both / TIME_WAIT expiry
//   BM_LwipBulk           lwIP 2.1.3 (Debian liblwip) raw API, sender and receiver pcbs
//                         on two netif addresses of the one lwIP instance
//   BM_LinuxLoopbackBulk  the kernel's TCP over 127.0.0.1, 1460-byte writes, a sender
//                         and a receiver thread
//
// Every benchmark reports Gbit/s (payload bits over wall time) and, where it knows
// them, segments/s. Run with --config=bench; keep --benchmark_min_time short on a
// shared machine and compare the three figures from the same run.
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/inet/tcp/tcp.h"

#include "bench/tcp/lwip_bulk.h"

namespace {

using namespace vnetref;
using inet::IpMeta;
using inet::tcp::Endpoint;
using inet::tcp::SocketId;
using inet::tcp::TcpStack;
using inet::tcp::TcpTunables;
using Clock = std::chrono::steady_clock;

// CPU time of the whole process (every thread: lwIP's tcpip thread, the Linux
// benchmark's sender and receiver, and the kernel work done in their syscalls).
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Gbit/s over wall time, and per CPU-second ("per core": on a loaded shared machine
// wall time includes time other processes held the core; CPU time does not).
void report(benchmark::State& state, uint64_t bytes, uint64_t segments, Clock::duration wall, double cpu_secs) {
  const double secs = std::chrono::duration<double>(wall).count();
  const double bits = static_cast<double>(bytes) * 8;
  state.counters["Gbit/s"] = secs > 0 ? bits / secs / 1e9 : 0;
  state.counters["Gbit/s/core"] = cpu_secs > 0 ? bits / cpu_secs / 1e9 : 0;
  if (segments > 0) {
    state.counters["Msegs/s"] = secs > 0 ? static_cast<double>(segments) / secs / 1e6 : 0;
    state.counters["Msegs/s/core"] = cpu_secs > 0 ? static_cast<double>(segments) / cpu_secs / 1e6 : 0;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// ---- vnetref -------------------------------------------------------------------

// A wire between two stacks: a FIFO per direction, drained by the benchmark loop
// (delivering inline would recurse sender -> receiver -> sender).
class Wire {
 public:
  class Side final : public inet::IpOutput {
   public:
    Side(Wire& w, int i) : w_(w), i_(i) {}
    core::Status<inet::IpSendError> ip_output(core::PacketPtr seg, const IpMeta& m) override {
      w_.q_[1 - i_].push_back({seg.release(), m});
      return core::Ok{};
    }
    std::optional<uint32_t> source_for(uint32_t) const override { return i_ == 0 ? kA : kB; }
    uint32_t path_mtu(uint32_t) const override { return 1500; }
    bool is_local_address(uint32_t a) const override { return a == (i_ == 0 ? kA : kB); }

   private:
    Wire& w_;
    int i_;
  };
  static constexpr uint32_t kA = 0x0a000001, kB = 0x0a000002;

  Wire() : side_{Side(*this, 0), Side(*this, 1)} {}
  ~Wire() {
    for (auto& q : q_) {
      for (auto& e : q) core::free_chain(e.p);
    }
  }
  Side& side(int i) { return side_[i]; }
  // Delivers everything queued towards `to`; returns how many segments.
  size_t deliver(int to, TcpStack& s) {
    size_t n = 0;
    while (!q_[to].empty()) {
      Entry e = q_[to].front();
      q_[to].pop_front();
      IpMeta in;
      in.src = e.m.src;
      in.dst = e.m.dst;
      in.protocol = 6;
      in.ttl = 64;
      s.input(core::PacketPtr(e.p), in);
      ++n;
    }
    return n;
  }
  bool idle() const { return q_[0].empty() && q_[1].empty(); }

 private:
  struct Entry {
    core::Packet* p;
    IpMeta m;
  };
  std::deque<Entry> q_[2];
  Side side_[2];
};

struct VnetrefPair {
  explicit VnetrefPair(core::Clock& clock, const TcpTunables& t)
      : wheel(clock), pool(4096), a(clock, wheel, pool, wire.side(0), t), b(clock, wheel, pool, wire.side(1), t) {}
  core::TimerWheel wheel;
  core::BufferPool pool;
  Wire wire;
  TcpStack a, b;
  uint64_t segments = 0;
  void pump() {
    segments += wire.deliver(1, b);
    segments += wire.deliver(0, a);
    wheel.run_expired();
  }
};

void BM_VnetrefBulk(benchmark::State& state) {
  const bool timestamps = state.range(0) != 0;
  core::MonotonicClock clock;
  TcpTunables t;
  t.rfc1323 = timestamps ? 1 : 0;  // off: 1460-byte payloads exactly (no 12-byte option)
  t.sendspace = 256 * 1024;
  t.recvspace = 256 * 1024;
  VnetrefPair p(clock, t);
  auto l = p.b.open();
  (void)p.b.bind(*l, Endpoint{Wire::kB, 5001});
  (void)p.b.listen(*l, 4);
  auto c = p.a.open();
  (void)p.a.connect(*c, Endpoint{Wire::kB, 5001});
  std::optional<SocketId> s;
  for (int i = 0; i < 100 && !s; ++i) {
    p.pump();
    auto r = p.b.accept(*l);
    if (r) s = *r;
  }
  if (!s) {
    state.SkipWithError("handshake failed");
    return;
  }
  // TCP_NODELAY: the last, partial segment of each iteration must not wait for the
  // receiver's delayed ACK (Nagle + delayed ACK would add up to delacktime per iteration).
  (void)p.a.setsockopt(*c, inet::tcp::SockOpt::kNoDelay, 1);
  std::vector<uint8_t> src(64 * 1024, 0x5a), dst(256 * 1024);
  const uint64_t per_iter = 64ull << 20;  // 64 MiB per iteration
  uint64_t total = 0;
  p.segments = 0;
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    uint64_t sent = 0, got = 0;
    while (got < per_iter) {
      while (sent < per_iter) {
        auto r = p.a.send(*c, std::span<const uint8_t>(src).first(std::min<uint64_t>(src.size(), per_iter - sent)));
        if (!r || *r == 0) break;
        sent += *r;
      }
      p.pump();
      for (;;) {
        auto r = p.b.recv(*s, dst);
        if (!r || *r == 0) break;
        got += *r;
      }
    }
    total += got;
  }
  const auto wall = Clock::now() - start;
  report(state, total, p.segments, wall, process_cpu_seconds() - cpu_start);
  auto info = p.a.info(*c);
  state.counters["mss"] = info ? info->mss : 0;
  state.counters["rexmit"] = static_cast<double>(p.a.stats().sndrexmitpack);
  state.counters["pool_copies"] = static_cast<double>(p.pool.stats().copies);
  const auto& rs = p.b.stats();
  state.counters["acks/seg"] = rs.rcvpack > 0 ? static_cast<double>(rs.sndacks) / static_cast<double>(rs.rcvpack) : 0;
  state.counters["winupd/seg"] = rs.rcvpack > 0 ? static_cast<double>(rs.sndwinup) / static_cast<double>(rs.rcvpack) : 0;
}
BENCHMARK(BM_VnetrefBulk)->Arg(0)->Arg(1)->ArgName("timestamps")->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_VnetrefConnRate(benchmark::State& state) {
  core::VirtualClock clock;  // virtual: TIME_WAIT (2 MSL) expires without waiting
  TcpTunables t;
  VnetrefPair p(clock, t);
  auto l = p.b.open();
  (void)p.b.bind(*l, Endpoint{Wire::kB, 80});
  (void)p.b.listen(*l, 128);
  uint64_t conns = 0;
  uint8_t byte = 1;
  uint8_t buf[16];
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    auto c = p.a.open();
    (void)p.a.connect(*c, Endpoint{Wire::kB, 80});
    std::optional<SocketId> s;
    while (!s) {
      p.pump();
      auto r = p.b.accept(*l);
      if (r) s = *r;
      if (p.wire.idle() && !s) break;
    }
    if (!s) {
      state.SkipWithError("accept failed");
      return;
    }
    (void)p.a.send(*c, std::span<const uint8_t>(&byte, 1));
    while (!p.wire.idle()) p.pump();
    (void)p.b.recv(*s, buf);
    (void)p.a.close(*c);
    while (!p.wire.idle()) p.pump();
    (void)p.b.close(*s);
    while (!p.wire.idle()) p.pump();
    // Expire TIME_WAIT now and then so the table stays small.
    if (++conns % 256 == 0) core::advance_virtual_time_by(clock, p.wheel, std::chrono::seconds(61));
  }
  const auto wall = Clock::now() - start;
  state.counters["conn/s"] = static_cast<double>(conns) / std::chrono::duration<double>(wall).count();
  state.counters["conn/s/core"] = static_cast<double>(conns) / (process_cpu_seconds() - cpu_start);
}
BENCHMARK(BM_VnetrefConnRate)->UseRealTime();

// ---- lwIP 2.1.3 ------------------------------------------------------------------

void BM_LwipBulk(benchmark::State& state) {
  // lwIP lives in its own translation unit: its headers define macros (ip_output ...)
  // that collide with ordinary C++ names.
  if (!lwip_bench::setup()) {
    state.SkipWithError("lwIP setup failed");
    return;
  }
  lwip_bench::ConnPtr c = lwip_bench::open();
  if (!c) {
    state.SkipWithError("lwIP handshake failed");
    return;
  }
  const uint64_t per_iter = 16ull << 20;
  uint64_t total = 0;
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    if (!lwip_bench::transfer(*c, per_iter)) {
      state.SkipWithError("lwIP transfer stalled");
      break;
    }
    total += per_iter;
  }
  const auto wall = Clock::now() - start;
  report(state, total, lwip_bench::segments(*c), wall, process_cpu_seconds() - cpu_start);
}
BENCHMARK(BM_LwipBulk)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- Linux loopback -----------------------------------------------------------------

void BM_LinuxLoopbackBulk(benchmark::State& state) {
  int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
  addr.sin_port = 0;
  int one = 1;
  ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(ls, 1) != 0) {
    state.SkipWithError("bind/listen failed");
    ::close(ls);
    return;
  }
  socklen_t alen = sizeof(addr);
  ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &alen);
  int cs = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(cs, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    state.SkipWithError("connect failed");
    ::close(ls);
    ::close(cs);
    return;
  }
  int ss = ::accept(ls, nullptr, nullptr);
  const uint64_t per_iter = 256ull << 20;
  uint64_t total = 0;
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    std::thread rx([&] {
      std::vector<char> buf(256 * 1024);
      uint64_t got = 0;
      while (got < per_iter) {
        ssize_t n = ::recv(ss, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        got += static_cast<uint64_t>(n);
      }
    });
    std::vector<char> chunk(1460, 'x');
    uint64_t sent = 0;
    while (sent < per_iter) {
      ssize_t n = ::send(cs, chunk.data(), std::min<uint64_t>(chunk.size(), per_iter - sent), 0);
      if (n <= 0) break;
      sent += static_cast<uint64_t>(n);
    }
    rx.join();
    total += sent;
  }
  const auto wall = Clock::now() - start;
  report(state, total, 0, wall, process_cpu_seconds() - cpu_start);
  ::close(cs);
  ::close(ss);
  ::close(ls);
}
BENCHMARK(BM_LinuxLoopbackBulk)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
