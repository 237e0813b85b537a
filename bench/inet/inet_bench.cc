// inet layer micro/macro benchmarks: UDP packets per second between two instances in
// one process (full path: socket -> UDP -> IPv4 -> ARP -> Ethernet -> pipe -> Ethernet
// -> IPv4 -> UDP -> socket, checksums computed and verified), route lookups (LPM) and
// ARP cache lookups.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/inet/netstack.h"
#include "stack/inet/route.h"
#include "stack/inet/udp.h"
#include "stack/link/pipe.h"

namespace {

using namespace vnetref;

struct UdpPair {
  UdpPair()
      : wheel(clock),
        pool_a(8192, 2048 + 128, 128, "a"),
        pool_b(8192, 2048 + 128, 128, "b"),
        a("a", clock, wheel, pool_a),
        b("b", clock, wheel, pool_b),
        pipe(4096) {
    const uint32_t ia = *a.add_interface({"vmk0", wire::MacAddress(2, 0, 0, 0, 0, 1), 1500, std::nullopt, 0});
    const uint32_t ib = *b.add_interface({"vmk0", wire::MacAddress(2, 0, 0, 0, 0, 2), 1500, std::nullopt, 0});
    (void)a.attach(ia, pipe.a());
    (void)b.attach(ib, pipe.b());
    (void)a.add_address(ia, wire::Ipv4Address(10, 0, 0, 1), 24);
    (void)b.add_address(ib, wire::Ipv4Address(10, 0, 0, 2), 24);
    (void)a.arp().add_static(ia, wire::Ipv4Address(10, 0, 0, 2).to_u32(), wire::MacAddress(2, 0, 0, 0, 0, 2));
    (void)b.arp().add_static(ib, wire::Ipv4Address(10, 0, 0, 1).to_u32(), wire::MacAddress(2, 0, 0, 0, 0, 1));
    pipe.pump();  // the address announcements
    tx = *a.udp().open();
    rx = *b.udp().open();
    (void)b.udp().bind(rx, {0, 9});
    (void)b.udp().setsockopt(rx, inet::UdpOpt::kRcvBuf, 16 << 20);
  }
  core::VirtualClock clock;
  core::TimerWheel wheel;
  core::BufferPool pool_a, pool_b;
  inet::Netstack a, b;
  link::Pipe pipe;
  inet::UdpSocketId tx, rx;
};

void BM_UdpPps(benchmark::State& state) {
  UdpPair p;
  const size_t len = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> payload(len, 0xab), buf(2048);
  const inet::SockAddr dst{wire::Ipv4Address(10, 0, 0, 2).to_u32(), 9};
  constexpr int kBurst = 32;
  uint64_t received = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) {
      if (!p.a.udp().send_to(p.tx, payload, dst)) state.SkipWithError("send failed");
    }
    p.pipe.pump();
    while (auto n = p.b.udp().recv_from(p.rx, buf)) ++received;
  }
  if (received != static_cast<uint64_t>(state.iterations()) * kBurst) state.SkipWithError("datagrams lost");
  state.SetItemsProcessed(static_cast<int64_t>(received));
  state.SetBytesProcessed(static_cast<int64_t>(received * len));
  state.counters["pps"] = benchmark::Counter(static_cast<double>(received), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_UdpPps)->Arg(64)->Arg(1400);

// Zero-copy variant: send_mbuf_to / recv_mbuf (no payload copies at either end).
void BM_UdpPpsZeroCopy(benchmark::State& state) {
  UdpPair p;
  const size_t len = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> payload(len, 0xab);
  const inet::SockAddr dst{wire::Ipv4Address(10, 0, 0, 2).to_u32(), 9};
  constexpr int kBurst = 32;
  uint64_t received = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBurst; ++i) {
      core::PacketPtr m = p.pool_a.alloc();
      std::memcpy(m->data(), payload.data(), len);  // the application filling its buffer
      m->data_len = m->pkt_len = static_cast<uint32_t>(len);
      if (!p.a.udp().send_mbuf_to(p.tx, m, dst)) state.SkipWithError("send failed");
    }
    p.pipe.pump();
    while (auto m = p.b.udp().recv_mbuf(p.rx)) ++received;
  }
  if (received != static_cast<uint64_t>(state.iterations()) * kBurst) state.SkipWithError("datagrams lost");
  state.SetItemsProcessed(static_cast<int64_t>(received));
  state.counters["pps"] = benchmark::Counter(static_cast<double>(received), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_UdpPpsZeroCopy)->Arg(64)->Arg(1400);

// A host-like table: N routes spread over /8../32 plus a default route.
void BM_RouteLookup(benchmark::State& state) {
  inet::RouteTable t(1 << 20);
  std::mt19937 rng(42);
  const int n = static_cast<int>(state.range(0));
  (void)t.add({wire::Ipv4Prefix(wire::Ipv4Address(0u), 0), 1, 1, 0, 0, false});
  static constexpr uint8_t kLens[] = {8, 16, 20, 24, 24, 24, 28, 32};
  for (int i = 0; i < n; ++i) {
    const uint8_t len = kLens[rng() % 8];
    (void)t.add({wire::Ipv4Prefix(wire::Ipv4Address(rng()), len), 0, 1, 0, 0, true});
  }
  std::vector<uint32_t> dsts(4096);
  for (auto& d : dsts) d = rng();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.lookup(dsts[i++ & 4095]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteLookup)->Arg(16)->Arg(1000)->Arg(4000);

void BM_ArpLookup(benchmark::State& state) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  core::BufferPool pool(256);
  inet::Netstack s("s", clock, wheel, pool);
  const uint32_t ifx = *s.add_interface({"vmk0", wire::MacAddress(2, 0, 0, 0, 0, 1), 1500, std::nullopt, 0});
  const int n = static_cast<int>(state.range(0));
  for (int i = 0; i < n; ++i) {
    (void)s.arp().add_static(ifx, 0x0a000000u + static_cast<uint32_t>(i + 1),
                             wire::MacAddress(2, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)));
  }
  std::mt19937 rng(7);
  std::vector<uint32_t> addrs(4096);
  for (auto& a : addrs) a = 0x0a000000u + 1 + static_cast<uint32_t>(rng() % static_cast<uint32_t>(n));
  size_t i = 0;
  core::PacketPtr none;
  for (auto _ : state) {
    auto r = s.arp().resolve(ifx, addrs[i++ & 4095], none);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ArpLookup)->Arg(16)->Arg(1000);

}  // namespace
