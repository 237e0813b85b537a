// Forwarding throughput of the switching layer, 64-byte frames, in both execution
// modes, beside DPDK's testpmd forwarding between two null devices (same run).
//
//   BM_Deterministic/<mode>/<ports>  one thread: Tx queue -> switching -> Rx queue ->
//                                    endpoint, the path tests and fuzzing use.
//   BM_MultiWorker/<mode>/<ports>    the switching worker on its own thread (one core);
//                                    a "guest" worker on the other core feeds the ports'
//                                    Tx rings and drains their Rx rings. Reported: what
//                                    the switching worker forwarded per wall second
//                                    (Mpps_wall), per second of its own CPU time
//                                    (Mpps_core, includes spinning on empty rings) and
//                                    per second of its CPU time spent in polls that
//                                    moved packets (Mpps_busy: the data path's own
//                                    cost per packet, not counting empty polls).
//   BM_Testpmd/<fwd>                 dpdk-testpmd --no-huge --no-pci, net_null0 <-> net_null1,
//                                    bounded by timeout; Mpps = sum of both ports' Rx-pps.
//
// No allocation per packet: frames are allocated once and recirculated by the
// endpoints (a frame delivered to port k is sent again from port k).
#include <benchmark/benchmark.h>

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/dispatch/packet_queue.h"
#include "stack/dispatch/runner.h"
#include "stack/vswitch/switch.h"

namespace vnetref::vswitch {
namespace {

constexpr uint32_t kFrameLen = 64;

wire::MacAddress vm_mac(uint32_t i) {
  return wire::MacAddress(0x02, 0, 0, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
}

// Keeps what it receives in a bounded return ring so the generator can resend it.
class Recirculator final : public PortEndpoint {
 public:
  explicit Recirculator(uint32_t cap) : ring_(cap) {}
  void deliver(PortId, core::PacketBatch& b) override {
    std::array<core::Packet*, core::PacketBatch::kMaxPackets> tmp;
    const uint32_t n = b.size();
    for (uint32_t i = 0; i < n; ++i) tmp[i] = b[i];
    const uint32_t done = ring_.enqueue_burst(std::span<core::Packet* const>(tmp.data(), n));
    for (uint32_t i = 0; i < done; ++i) (void)b.take(i).release();
    b.compact();  // anything that did not fit is released by the switch
  }
  // Takes up to `max` packets back into `out`.
  uint32_t refill(core::PacketBatch& out, uint32_t max) {
    std::array<core::Packet*, core::PacketBatch::kMaxPackets> tmp;
    const uint32_t n = ring_.dequeue_burst(std::span<core::Packet*>(tmp.data(), std::min<uint32_t>(max, 256)));
    for (uint32_t i = 0; i < n; ++i) (void)out.push(core::PacketPtr(tmp[i]));
    return n;
  }

 private:
  dispatch::SpscRing<core::Packet*> ring_;
};

// N VM ports (+ one uplink); every frame from VM i goes to VM (i+1)%N, or to the
// uplink (unknown destination) in "to_uplink" mode.
struct Fixture {
  core::BufferPool pool;
  core::VirtualClock vclock;
  core::TimerWheel wheel{vclock};
  VirtualSwitch sw;
  std::vector<std::unique_ptr<Recirculator>> ends;
  std::vector<PortId> ports;
  std::unique_ptr<Recirculator> uplink_end;
  PortId uplink = kNoPort;
  bool to_uplink;

  Fixture(uint32_t nports, bool to_uplink_mode, uint32_t frames_per_port)
      : pool(nports * frames_per_port + 4096), sw(options(), pool, vclock, wheel), to_uplink(to_uplink_mode) {
    uplink_end = std::make_unique<Recirculator>(1u << 16);
    UplinkSpec u;
    u.name = "vmnic0";
    uplink = *sw.add_uplink(u, uplink_end.get());
    PortGroupConfig pg;
    pg.name = "pg";
    (void)sw.add_port_group(pg);
    for (uint32_t i = 0; i < nports; ++i) {
      ends.push_back(std::make_unique<Recirculator>(8192));
      PortSpec s;
      s.port_group = "pg";
      s.mac = vm_mac(i);
      ports.push_back(*sw.connect(s, ends.back().get()));
    }
    // Seed every port's return ring with frames addressed to its successor.
    for (uint32_t i = 0; i < nports; ++i) {
      core::PacketBatch b;
      for (uint32_t k = 0; k < frames_per_port; ++k) {
        std::array<uint8_t, kFrameLen> f{};
        const wire::MacAddress dst = to_uplink ? wire::MacAddress(0x02, 0xff, 0, 0, 0, 1) : vm_mac((i + 1) % nports);
        dst.write_to(std::span<uint8_t>(f.data(), 6));
        vm_mac(i).write_to(std::span<uint8_t>(f.data() + 6, 6));
        f[12] = 0x08;
        (void)b.push(pool.alloc_copy(f));
        if (b.full()) ends[i]->deliver(ports[i], b);
      }
      ends[i]->deliver(ports[i], b);
    }
  }
  static SwitchOptions options() {
    SwitchOptions o;
    o.tx_queue = 4096;
    o.rx_queue = 4096;
    return o;
  }
  // Frames that arrived at port i (or the uplink) are sent again from port i. With
  // every frame addressed to the successor, a frame keeps walking around the ring.
  uint32_t refill_port(uint32_t i, core::PacketBatch& b) {
    uint32_t n = ends[i]->refill(b, 256);
    if (to_uplink && n < 256) n += uplink_end->refill(b, 256 - n);
    return n;
  }
};

// Rewrites the destination so a frame received at port i goes on to port i+1.
inline void retarget(core::PacketBatch& b, uint32_t i, uint32_t n, bool to_uplink) {
  if (to_uplink) return;
  const uint32_t next = (i + 1) % n;
  for (core::Packet* p : b) {
    uint8_t* d = p->data();
    d[3] = static_cast<uint8_t>(next >> 16);
    d[4] = static_cast<uint8_t>(next >> 8);
    d[5] = static_cast<uint8_t>(next);
  }
}

void BM_Deterministic(benchmark::State& state) {
  const bool to_uplink = state.range(0) == 1;
  const uint32_t n = static_cast<uint32_t>(state.range(1));
  Fixture fx(n, to_uplink, 512);
  uint64_t pkts = 0;
  uint32_t i = 0;
  for (auto _ : state) {
    core::PacketBatch b;
    fx.refill_port(i, b);
    retarget(b, i, n, to_uplink);
    const uint32_t got = b.size();
    fx.sw.transmit(fx.ports[i], b);
    fx.sw.switching_poller().poll(256);
    fx.sw.delivery_poller().poll(256);
    pkts += got;
    i = (i + 1) % n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(pkts));
  state.counters["Mpps"] = benchmark::Counter(static_cast<double>(pkts) / 1e6, benchmark::Counter::kIsRate);
  state.counters["drops"] = static_cast<double>(fx.sw.stats().dropped);
}

// The switching worker polls the Tx rings and switches; the guest worker moves
// delivered frames back into the Tx rings. Runs a fixed number of packets.
void BM_MultiWorker(benchmark::State& state) {
  const bool to_uplink = state.range(0) == 1;
  const uint32_t n = static_cast<uint32_t>(state.range(1));
  Fixture fx(n, to_uplink, 512);
  for (auto _ : state) {
    const uint64_t start_injected = fx.sw.stats().injected;
    const uint64_t target = 20'000'000;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> guest_loops{0};
    std::thread guest([&] {
      uint64_t loops = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        fx.sw.delivery_poller().poll(256);
        for (uint32_t i = 0; i < n; ++i) {
          core::PacketBatch b;
          if (fx.refill_port(i, b) == 0) continue;
          retarget(b, i, n, to_uplink);
          fx.sw.transmit(fx.ports[i], b);
        }
        ++loops;
      }
      guest_loops = loops;
    });
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    (void)pthread_setaffinity_np(guest.native_handle(), sizeof(set), &set);
    cpu_set_t mine;
    CPU_ZERO(&mine);
    CPU_SET(0, &mine);
    cpu_set_t saved;
    (void)pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved);
    (void)pthread_setaffinity_np(pthread_self(), sizeof(mine), &mine);
    auto thread_cpu = [] {
      timespec ts;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
    };
    const double cpu0 = thread_cpu();
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t done = 0;
    // The switching worker: this thread. Bounded by the packet target and 20 s.
    // Busy time: wall time inside polls that moved packets. On a loaded 2-core
    // machine the guest worker is often descheduled and the switching worker then
    // spins on empty rings; busy time measures the data path itself.
    // Busy CPU: this thread's CPU time inside polls that moved packets (thread CPU
    // clock, so time the thread spent descheduled does not count).
    double busy = 0;
    uint64_t idle_polls = 0;
    while (done < target && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20)) {
      for (int k = 0; k < 64; ++k) {
        const double a = thread_cpu();
        const uint32_t w = fx.sw.switching_poller().poll(256);
        if (w > 0) {
          busy += thread_cpu() - a;
        } else {
          ++idle_polls;
        }
      }
      done = fx.sw.stats().injected - start_injected;
    }
    const auto t1 = std::chrono::steady_clock::now();
    const double cpu = thread_cpu() - cpu0;
    stop = true;
    guest.join();
    (void)pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
    const double secs = std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(secs);
    // Mpps_wall: per wall-clock second; Mpps_core: per second of the switching
    // worker's own CPU time (the per-core figure on a shared, oversubscribed machine).
    state.counters["Mpps_wall"] = static_cast<double>(done) / secs / 1e6;
    state.counters["Mpps_core"] = static_cast<double>(done) / cpu / 1e6;
    state.counters["Mpps_busy"] = static_cast<double>(done) / busy / 1e6;
    state.counters["idle_polls"] = static_cast<double>(idle_polls);
    state.counters["pkts"] = static_cast<double>(done);
  }
  state.counters["drops"] = static_cast<double>(fx.sw.stats().dropped);
}

// dpdk-testpmd between two null devices; -1 when it cannot run (reason printed).
void BM_Testpmd(benchmark::State& state) {
  const bool io = state.range(0) == 1;
  for (auto _ : state) {
    const std::string cmd = std::string("timeout -s INT 15 dpdk-testpmd --no-huge --no-pci -m 512 ") +
                            "--vdev=net_null0 --vdev=net_null1 -l 0-1 --file-prefix=vnetref-vswitch-bench " +
                            "-- --forward-mode=" + (io ? "io" : "mac") +
                            " --stats-period 1 --total-num-mbufs=32768 -a 2>&1";
    FILE* f = popen(cmd.c_str(), "r");
    if (f == nullptr) {
      state.SkipWithError("popen failed");
      return;
    }
    char line[512];
    std::vector<double> samples;  // per stats period: sum of the two ports' Rx-pps
    double cur = 0;
    int in_period = 0;
    std::string cause;
    while (fgets(line, sizeof line, f) != nullptr) {
      double pps = 0;
      if (std::sscanf(line, " Rx-pps: %lf", &pps) == 1) {
        cur += pps;
        if (++in_period == 2) {
          samples.push_back(cur);
          cur = 0;
          in_period = 0;
        }
      }
      if (std::string(line).find("Cause") != std::string::npos) cause = line;
    }
    pclose(f);
    // Skip the periods before forwarding started and the first (partial) one with
    // traffic; average the rest. (EAL start-up takes seconds on a loaded machine.)
    double sum = 0;
    int used = 0;
    bool started = false;
    for (double v : samples) {
      if (v <= 0) continue;
      if (!started) {
        started = true;
        continue;
      }
      sum += v;
      ++used;
    }
    if (used == 0) {
      state.SkipWithError(("testpmd produced no stats: " + (cause.empty() ? "is dpdk installed?" : cause)).c_str());
      return;
    }
    state.SetIterationTime(static_cast<double>(used));
    state.counters["Mpps"] = sum / used / 1e6;
  }
}

BENCHMARK(BM_Deterministic)
    ->ArgNames({"to_uplink", "ports"})
    ->ArgsProduct({{0, 1}, {2, 8, 64}});
BENCHMARK(BM_MultiWorker)
    ->ArgNames({"to_uplink", "ports"})
    ->ArgsProduct({{0, 1}, {2, 8, 64}})
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK(BM_Testpmd)->ArgName("io")->Arg(0)->Arg(1)->UseManualTime()->Iterations(1);

}  // namespace
}  // namespace vnetref::vswitch

BENCHMARK_MAIN();
