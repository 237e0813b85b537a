// Multi-worker mode: the same switch driven by a WorkerPool, the switching loop on
// one thread and the guests (transmit + delivery) on another. Bounded by packet
// count (not time): the test joins the threads and checks every frame arrived.
#include <atomic>
#include <thread>

#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

class Counter final : public PortEndpoint {
 public:
  void deliver(PortId, core::PacketBatch& b) override {
    for (const core::Packet* p : b) {
      ordered_ &= p->meta.user == next_;
      next_ = p->meta.user + 1;
    }
    got.fetch_add(b.size());
  }
  bool ordered() const { return ordered_; }
  std::atomic<uint64_t> got{0};

 private:
  uint64_t next_ = 1;
  bool ordered_ = true;
};

TEST(MultiWorker, SwitchAndGuestsOnSeparateWorkersDeliverEverythingInOrder) {
  constexpr uint64_t kFrames = 100000;
  core::BufferPool pool(4096);
  core::MonotonicClock clock;  // only timers would read it; none are armed here
  core::TimerWheel wheel(clock);
  SwitchOptions o;
  o.tx_queue = 512;
  o.rx_queue = 8192;  // larger than the pool: the Rx side can never overflow, so every queued frame arrives
  VirtualSwitch sw(o, pool, clock, wheel);
  PortGroupConfig pg;
  pg.name = "pg";
  ASSERT_TRUE(sw.add_port_group(pg));
  Counter a, b;
  PortSpec s;
  s.port_group = "pg";
  s.mac = mac(1);
  const PortId pa = *sw.connect(s, &a);
  s.mac = mac(2);
  (void)*sw.connect(s, &b);
  const auto f = frame(mac(2), mac(1));

  uint64_t sent = 0;
  dispatch::PollFn guest_tx([&](uint32_t budget) -> uint32_t {
    if (sent >= kFrames) return 0;
    core::PacketBatch batch;
    while (batch.size() < budget && sent + batch.size() < kFrames) {
      core::PacketPtr p = pool.alloc_copy(f);
      if (!p) break;  // pool momentarily empty: the Rx side frees as it delivers
      p->meta.user = sent + batch.size() + 1;
      (void)batch.push(std::move(p));
    }
    // Only what the Tx queue accepted counts as sent; retry the rest next round.
    const uint32_t n = sw.transmit(pa, batch);
    sent += n;
    return n;
  });
  dispatch::WorkerPool workers;
  const uint32_t w_switch = workers.add_worker("switch", &wheel);
  const uint32_t w_guest = workers.add_worker("guests");
  workers.assign(w_switch, &sw.switching_poller());
  workers.assign(w_guest, &guest_tx);
  workers.assign(w_guest, &sw.delivery_poller());
  workers.start({0, 1});
  for (uint64_t spins = 0; b.got.load() < kFrames && spins < 2'000'000'000ull; ++spins) std::this_thread::yield();
  workers.stop();
  EXPECT_EQ(b.got.load(), kFrames);
  EXPECT_TRUE(b.ordered());
  EXPECT_EQ(a.got.load(), 0u);
  EXPECT_EQ(sw.stats().dropped, sw.drops()[DropReason::kTxQueueFull]);
  EXPECT_EQ(sw.in_flight(), 0u);
  EXPECT_EQ(pool.stats().in_use, 0u);
}

}  // namespace
}  // namespace vnetref::vswitch
