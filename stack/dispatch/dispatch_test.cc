#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/pcap.h"
#include "stack/dispatch/capture.h"
#include "stack/dispatch/packet_queue.h"
#include "stack/dispatch/runner.h"
#include "stack/dispatch/spsc_ring.h"

namespace vnetref::dispatch {
namespace {

TEST(SpscRing, RoundsCapacityAndBurstsInOrder) {
  SpscRing<int> r(5);
  EXPECT_EQ(r.capacity(), 8u);
  std::vector<int> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(r.enqueue_burst(in), 8u);  // bounded: two did not fit
  EXPECT_EQ(r.size(), 8u);
  std::vector<int> out(3);
  EXPECT_EQ(r.dequeue_burst(out), 3u);
  EXPECT_EQ(out, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(r.enqueue_burst(std::span<const int>(in.data() + 8, 2)), 2u);
  std::vector<int> rest(16);
  EXPECT_EQ(r.dequeue_burst(rest), 7u);
  EXPECT_EQ(rest[0], 4);
  EXPECT_EQ(rest[4], 8);
  EXPECT_EQ(rest[5], 9);
  EXPECT_EQ(rest[6], 10);
  EXPECT_TRUE(r.empty());
}

TEST(SpscRing, TwoThreadsTransferEveryElementInOrder) {
  // Bounded by count, not time: the consumer stops after exactly N elements.
  constexpr uint64_t kN = 200000;
  SpscRing<uint64_t> r(64);
  std::thread prod([&] {
    uint64_t next = 0;
    uint64_t buf[16];
    while (next < kN) {
      uint32_t n = 0;
      while (n < 16 && next + n < kN) {
        buf[n] = next + n;
        ++n;
      }
      next += r.enqueue_burst(std::span<const uint64_t>(buf, n));
    }
  });
  uint64_t expect = 0;
  bool ordered = true;
  uint64_t buf[32];
  while (expect < kN) {
    const uint32_t n = r.dequeue_burst(buf);
    for (uint32_t i = 0; i < n; ++i) ordered &= buf[i] == expect++;
  }
  prod.join();
  EXPECT_TRUE(ordered);
  EXPECT_TRUE(r.empty());
}

TEST(PacketQueue, OverflowStaysWithCallerAndIsCounted) {
  core::BufferPool pool(64);
  PacketQueue q(4);
  core::PacketBatch b;
  for (int i = 0; i < 6; ++i) {
    auto p = pool.alloc();
    p->meta.user = static_cast<uint64_t>(i);
    (void)b.push(std::move(p));
  }
  EXPECT_EQ(q.enqueue(b), 4u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0]->meta.user, 4u);  // the rejected tail, in order
  EXPECT_EQ(q.stats().rejected_full, 2u);
  core::PacketBatch out;
  EXPECT_EQ(q.dequeue(out, 3), 3u);
  EXPECT_EQ(out[2]->meta.user, 2u);
  EXPECT_EQ(q.size(), 1u);
  b.clear();
  out.clear();
  EXPECT_EQ(q.drain_and_free(), 1u);
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(Capture, WritesPcapngWithTagReinsertedAndBound) {
  core::BufferPool pool(16);
  core::VirtualClock clock;
  std::ostringstream out;
  CaptureFilter f;
  f.max_packets = 2;
  f.points = point_bit(CapturePoint::kPortInput) | point_bit(CapturePoint::kDrop);
  Capture cap(out, clock, f);
  std::vector<uint8_t> frame(60, 0x11);
  frame[12] = 0x08;
  frame[13] = 0x00;
  auto p = pool.alloc_copy(frame);
  p->meta.vlan_tci = 0x2064;  // PCP 1, VID 100
  EXPECT_TRUE(cap.wants(7, CapturePoint::kPortInput));
  EXPECT_FALSE(cap.wants(7, CapturePoint::kPortOutput));
  clock.advance(std::chrono::microseconds(5));
  cap.write(7, "vm1", CapturePoint::kPortInput, *p);
  cap.write(7, "vm1", CapturePoint::kDrop, *p, "forged_transmit");
  cap.write(7, "vm1", CapturePoint::kDrop, *p, "forged_transmit");
  EXPECT_EQ(cap.stats().written, 2u);
  EXPECT_EQ(cap.stats().skipped_bound, 1u);
  const std::string s = out.str();
  auto parsed = core::read_capture(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->records.size(), 2u);
  const auto& r = parsed->records[0];
  ASSERT_EQ(r.data.size(), 64u);
  EXPECT_EQ(r.data[12], 0x81);
  EXPECT_EQ(r.data[13], 0x00);
  EXPECT_EQ(r.data[14], 0x20);
  EXPECT_EQ(r.data[15], 0x64);
  EXPECT_EQ(r.data[16], 0x08);
  EXPECT_EQ(core::to_nanos(r.time), 5000);
  EXPECT_NE(parsed->records[1].comment.find("forged_transmit"), std::string::npos);
  EXPECT_EQ(parsed->interface_names.size(), 2u);
}

TEST(DeterministicRunner, StopsAtEveryDeadlineAndRunsUntilIdle) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  DeterministicRunner runner(clock, wheel);
  int pending = 0;
  std::vector<int64_t> seen;
  PollFn worker([&](uint32_t) -> uint32_t {
    if (pending == 0) return 0;
    --pending;
    seen.push_back(core::to_nanos(clock.now()));
    return 1;
  });
  runner.add(&worker);
  core::Timer t1([&] { pending += 2; });
  core::Timer t2([&] { pending += 1; });
  wheel.schedule(t1, core::from_nanos(10'000'000));
  wheel.schedule(t2, core::from_nanos(30'000'000));
  runner.advance_to(core::from_nanos(100'000'000));
  EXPECT_EQ(seen, (std::vector<int64_t>{10'000'000, 10'000'000, 30'000'000}));
  EXPECT_EQ(core::to_nanos(clock.now()), 100'000'000);
  EXPECT_EQ(runner.stats().idle_limit_hits, 0u);
}

TEST(DeterministicRunner, LivelockIsBoundedAndCounted) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  DeterministicRunner runner(clock, wheel);
  PollFn busy([](uint32_t) -> uint32_t { return 1; });
  runner.add(&busy);
  EXPECT_EQ(runner.run_until_idle(100), 100u);
  EXPECT_EQ(runner.stats().idle_limit_hits, 1u);
}

TEST(WorkerPool, MovesPacketsAcrossWorkersThroughRings) {
  // Producer worker -> ring -> consumer worker; stops on a packet count, then joins.
  constexpr uint64_t kTotal = 20000;
  core::BufferPool pool(1024);
  PacketQueue q(256);
  std::atomic<uint64_t> produced{0}, consumed{0};
  PollFn producer([&](uint32_t budget) -> uint32_t {
    if (produced.load() >= kTotal) return 0;
    core::PacketBatch b;
    for (uint32_t i = 0; i < budget && produced.load() + b.size() < kTotal; ++i) {
      auto p = pool.alloc();
      if (!p) break;
      (void)b.push(std::move(p));
    }
    const uint32_t n = q.enqueue(b);
    produced += n;
    b.clear();  // what did not fit is freed: the producer only counts what it queued
    return n;
  });
  PollFn consumer([&](uint32_t budget) -> uint32_t {
    core::PacketBatch b;
    const uint32_t n = q.dequeue(b, budget);
    consumed += n;
    return n;
  });
  WorkerPool workers;
  const uint32_t w0 = workers.add_worker("producer");
  const uint32_t w1 = workers.add_worker("consumer");
  workers.assign(w0, &producer);
  workers.assign(w1, &consumer);
  workers.start();
  for (int spins = 0; consumed.load() < kTotal && spins < 100000000; ++spins) std::this_thread::yield();
  workers.stop();
  EXPECT_EQ(consumed.load(), kTotal);
  EXPECT_EQ(produced.load(), kTotal);
  EXPECT_GT(workers.stats(w1).work, 0u);
  EXPECT_EQ(pool.stats().in_use, 0u);
}

}  // namespace
}  // namespace vnetref::dispatch
