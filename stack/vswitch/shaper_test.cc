// Traffic shaping: average, peak and burst in virtual time, within 1 %.
#include "stack/vswitch/shaper.h"

#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

// Offers `offered_bps` of `frame_len`-byte frames to a shaped port for `secs`
// and returns the receiver's arrival times and sizes.
struct ShapedRun {
  std::vector<std::pair<int64_t, uint32_t>> arrivals;
};

ShapedRun run_shaped(const ShapingPolicy& pol, uint64_t offered_bps, uint32_t frame_len, int secs, bool distributed,
                     bool egress) {
  Rig rig;
  SwitchOptions o;
  o.distributed = distributed;
  o.shaper_queue = 100000;
  VirtualSwitch sw(o, rig.pool, rig.clock, rig.wheel);
  rig.add(sw);
  PortGroupConfig pg;
  pg.name = "pg";
  if (egress) {
    pg.shaping_out = pol;
  } else {
    pg.shaping_in = pol;
  }
  EXPECT_TRUE(sw.add_port_group(pg));
  Recorder a(&rig.clock), b(&rig.clock);
  PortSpec s;
  s.port_group = "pg";
  s.mac = mac(1);
  const PortId pa = *sw.connect(s, &a);
  s.mac = mac(2);
  (void)*sw.connect(s, &b);
  const int64_t gap = static_cast<int64_t>(frame_len) * 8 * 1'000'000'000 / static_cast<int64_t>(offered_bps);
  const auto f = frame(mac(2), mac(1), 0x0800, frame_len);
  const int64_t end = int64_t{secs} * 1'000'000'000;
  for (int64_t t = 0; t < end; t += gap) {
    rig.runner.advance_to(core::from_nanos(t));
    rig.send(sw, pa, f, 0, 0, false);
  }
  rig.runner.advance_to(core::from_nanos(end + 60'000'000'000));  // drain the queue
  ShapedRun r;
  for (const auto& fr : b.frames) r.arrivals.emplace_back(fr.time_ns, static_cast<uint32_t>(fr.bytes.size()));
  expect_accounted(sw);
  return r;
}

double rate_bps(const ShapedRun& r, int64_t from_ns, int64_t to_ns) {
  uint64_t bytes = 0;
  for (const auto& [t, len] : r.arrivals)
    if (t >= from_ns && t < to_ns) bytes += len;
  return static_cast<double>(bytes) * 8.0 / (static_cast<double>(to_ns - from_ns) / 1e9);
}

TEST(Shaping, AverageRateHoldsWithinOnePercent) {
  ShapingPolicy p;
  p.enabled = true;
  p.average_bps = 10'000'000;
  p.peak_bps = 20'000'000;
  p.burst_bytes = 100'000;
  const auto r = run_shaped(p, 12'000'000, 1000, 12, false, false);
  // After the burst is spent (~100 KB at peak), the long-run rate is the average.
  const double avg = rate_bps(r, 2'000'000'000, 12'000'000'000);
  EXPECT_NEAR(avg, 10e6, 10e6 * 0.01) << avg;
}

TEST(Shaping, BurstLeavesAtPeakNotFaster) {
  ShapingPolicy p;
  p.enabled = true;
  p.average_bps = 10'000'000;
  p.peak_bps = 40'000'000;
  p.burst_bytes = 200'000;
  const auto r = run_shaped(p, 50'000'000, 1000, 1, false, false);
  // First 20 ms: the burst is available, the peak bucket limits.
  const double early = rate_bps(r, 0, 20'000'000);
  EXPECT_NEAR(early, 40e6, 40e6 * 0.02) << early;
  // Over 300 ms: what the average earned plus the burst (200 KB lasts ~53 ms at 40 Mbit/s).
  uint64_t sent = 0;
  for (const auto& [t, len] : r.arrivals)
    if (t < 300'000'000) sent += len;
  EXPECT_NEAR(static_cast<double>(sent), 10e6 / 8 * 0.3 + 200'000.0, 3000.0);
}

TEST(Shaping, UnderTheAverageNothingIsDelayed) {
  ShapingPolicy p;
  p.enabled = true;
  p.average_bps = 10'000'000;
  p.peak_bps = 10'000'000;
  p.burst_bytes = 10'000;
  const auto r = run_shaped(p, 5'000'000, 500, 2, false, false);
  const double avg = rate_bps(r, 0, 2'000'000'000);
  EXPECT_NEAR(avg, 5e6, 5e6 * 0.01);
}

TEST(Shaping, DistributedEgressShapingOnDelivery) {
  ShapingPolicy p;
  p.enabled = true;
  p.average_bps = 2'000'000;
  p.peak_bps = 2'000'000;
  p.burst_bytes = 5'000;
  const auto r = run_shaped(p, 2'400'000, 800, 10, true, true);
  const double avg = rate_bps(r, 1'000'000'000, 10'000'000'000);
  EXPECT_NEAR(avg, 2e6, 2e6 * 0.01) << avg;
}

TEST(Shaping, StandardSwitchRefusesEgressShaping) {
  Rig rig;
  VirtualSwitch sw(SwitchOptions{}, rig.pool, rig.clock, rig.wheel);
  PortGroupConfig pg;
  pg.name = "pg";
  pg.shaping_out.enabled = true;
  auto st = sw.add_port_group(pg);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), SwitchError::kNotDistributed);
}

TEST(Shaping, FullShaperQueueDropsWithReason) {
  Rig rig;
  SwitchOptions o;
  o.shaper_queue = 4;
  VirtualSwitch sw(o, rig.pool, rig.clock, rig.wheel);
  rig.add(sw);
  PortGroupConfig pg;
  pg.name = "pg";
  pg.shaping_in = ShapingPolicy{true, 1'000'000, 1'000'000, 1};
  ASSERT_TRUE(sw.add_port_group(pg));
  Recorder a, b;
  PortSpec s;
  s.port_group = "pg";
  s.mac = mac(1);
  const PortId pa = *sw.connect(s, &a);
  s.mac = mac(2);
  (void)*sw.connect(s, &b);
  core::PacketBatch batch;
  for (int i = 0; i < 10; ++i) (void)batch.push(rig.pool.alloc_copy(frame(mac(2), mac(1))));
  (void)sw.transmit(pa, batch);
  rig.runner.run_until_idle();
  // The bucket holds one 1 ms tick at 1 Mbit/s (125 bytes): two 64-byte frames pass
  // while it is positive, 4 wait in the queue, 4 are dropped.
  EXPECT_EQ(b.count(), 2u);
  EXPECT_EQ(sw.drops()[DropReason::kShaperQueueFull], 4u);
  rig.runner.advance_by(std::chrono::seconds(1));
  EXPECT_EQ(b.count(), 6u);
  expect_accounted(sw);
}

}  // namespace
}  // namespace vnetref::vswitch
