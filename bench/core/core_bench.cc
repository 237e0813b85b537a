// Packet core costs that every layer pays per packet or per batch.
#include <benchmark/benchmark.h>

#include <vector>

#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/timer_wheel.h"
#include "stack/core/views.h"

namespace vnetref::core {
namespace {

void BM_PoolAllocFree(benchmark::State& state) {
  BufferPool pool(1024);
  for (auto _ : state) {
    PacketPtr p = pool.alloc();
    benchmark::DoNotOptimize(p.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PoolAllocFree);

// A batch of 256 allocated and freed in bulk: the per-packet cost on the data path.
void BM_PoolBulkBatch(benchmark::State& state) {
  BufferPool pool(1024);
  Packet* pkts[PacketBatch::kMaxPackets];
  for (auto _ : state) {
    size_t n = pool.alloc_bulk(pkts);
    benchmark::DoNotOptimize(pkts[0]);
    pool.free_bulk(std::span<Packet*>(pkts, n));
  }
  state.SetItemsProcessed(state.iterations() * PacketBatch::kMaxPackets);
}
BENCHMARK(BM_PoolBulkBatch);

void BM_CloneRelease(benchmark::State& state) {
  BufferPool pool(1024);
  std::vector<uint8_t> frame(1514, 0x5a);
  PacketPtr orig = pool.alloc_copy(frame);
  for (auto _ : state) {
    PacketPtr c = pool.clone(*orig);
    benchmark::DoNotOptimize(c.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CloneRelease);

// Converting between the three views is free: measure that it stays so.
void BM_ViewConversions(benchmark::State& state) {
  BufferPool pool(4);
  PacketPtr p = pool.alloc_copy(std::vector<uint8_t>(64, 1));
  for (auto _ : state) {
    Mbuf m = as_mbuf(*p);
    PacketHandle h = as_handle(m.packet());
    SkBuff s = as_skbuff(h.packet());
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ViewConversions);

void BM_MbufPrependAdj(benchmark::State& state) {
  BufferPool pool(4);
  PacketPtr p = pool.alloc_copy(std::vector<uint8_t>(64, 1));
  for (auto _ : state) {
    benchmark::DoNotOptimize(mbuf::prepend(p, 14, pool));
    mbuf::adj(p, 14);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MbufPrependAdj);

void BM_TimerRearm(benchmark::State& state) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  std::vector<Timer> timers(static_cast<size_t>(state.range(0)));
  for (auto& t : timers) wheel.schedule_after(t, std::chrono::milliseconds(200));
  size_t i = 0;
  for (auto _ : state) {
    // TCP re-arms its retransmit timer on every ACK.
    wheel.schedule_after(timers[i], std::chrono::milliseconds(200 + (i & 63)));
    if (++i == timers.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerRearm)->Arg(1000)->Arg(100000);

void BM_TimerAdvanceFire(benchmark::State& state) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  std::vector<Timer> timers(1000);
  uint64_t fired = 0;
  for (auto& t : timers) t.set_callback([&] { ++fired; });
  for (auto _ : state) {
    for (size_t k = 0; k < timers.size(); ++k) wheel.schedule_after(timers[k], std::chrono::milliseconds(1 + k % 100));
    advance_virtual_time_by(clock, wheel, std::chrono::milliseconds(100));
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_TimerAdvanceFire);

}  // namespace
}  // namespace vnetref::core
