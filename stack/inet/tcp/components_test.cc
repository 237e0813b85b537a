// Unit tests of TCP's building blocks: RFC 6298 estimator, RFC 5681/9438 window
// growth, RFC 6675 scoreboard, the reassembly queue, buffers, SYN cookies, tunables.
#include <gtest/gtest.h>

#include <cmath>

#include "stack/core/views.h"
#include "stack/inet/tcp/congestion.h"
#include "stack/inet/tcp/reassembly.h"
#include "stack/inet/tcp/recv_buffer.h"
#include "stack/inet/tcp/rtt.h"
#include "stack/inet/tcp/sack.h"
#include "stack/inet/tcp/send_buffer.h"
#include "stack/inet/tcp/siphash.h"
#include "stack/inet/tcp/syncookie.h"
#include "stack/inet/tcp/tunables.h"
#include "stack/inet/tcp/testing/tcp_harness.h"

namespace vnetref::inet::tcp {
namespace {

using namespace std::chrono_literals;
using wire::SackBlock;
using wire::SeqNum;

// ---- RFC 6298 ------------------------------------------------------------------

RttEstimator::Params rfc_params() { return {1000ms, 1000ms, 60000ms, 1ms}; }

TEST(Rfc6298, FirstSampleSetsSrttAndHalfVariance) {
  RttEstimator r(rfc_params());
  EXPECT_EQ(r.rto(), 1000ms);  // 2.1: initial RTO 1 s
  r.sample(200ms);
  EXPECT_EQ(r.srtt(), 200ms);
  EXPECT_EQ(r.rttvar(), 100ms);
  EXPECT_EQ(r.rto(), 1000ms);  // 200 + 4*100 = 600 -> rounded up to the 1 s floor (2.4)
}

TEST(Rfc6298, LaterSamplesUseAlphaBeta) {
  RttEstimator r({1000ms, 10ms, 60000ms, 1ms});
  r.sample(100ms);
  r.sample(200ms);
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5 ; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
  EXPECT_EQ(r.rttvar(), std::chrono::microseconds(62500));
  EXPECT_EQ(r.srtt(), std::chrono::microseconds(112500));
  EXPECT_EQ(r.rto(), std::chrono::microseconds(112500 + 4 * 62500));
}

TEST(Rfc6298, BackoffDoublesUpToTheMaximum) {
  RttEstimator r({1000ms, 30ms, 8000ms, 1ms});
  EXPECT_EQ(r.rto(1), 2000ms);
  EXPECT_EQ(r.rto(2), 4000ms);
  EXPECT_EQ(r.rto(3), 8000ms);
  EXPECT_EQ(r.rto(10), 8000ms);
}

TEST(Rfc6298, GranularityTermIsFreeBsdSlop) {
  RttEstimator r({1000ms, 30ms, 64000ms, 200ms});
  r.sample(10ms);  // 4 * RTTVAR = 20 ms < G = 200 ms
  EXPECT_EQ(r.rto(), 210ms);
}

// ---- RFC 5681 / NewReno ---------------------------------------------------------

TEST(Rfc5681, SlowStartGrowsByBytesAckedCappedByL) {
  NewRenoCc cc;
  CcState s;
  s.smss = 1000;
  s.cwnd = 10000;
  s.abc_l = 2;
  cc.on_ack(s, 1000, {}, {});
  EXPECT_EQ(s.cwnd, 11000u);
  cc.on_ack(s, 5000, {}, {});  // a stretch ACK: at most L * SMSS (RFC 3465)
  EXPECT_EQ(s.cwnd, 13000u);
}

TEST(Rfc5681, CongestionAvoidanceAddsOneSegmentPerWindow) {
  NewRenoCc cc;
  CcState s;
  s.smss = 1000;
  s.cwnd = 10000;
  s.ssthresh = 5000;
  for (int i = 0; i < 9; ++i) cc.on_ack(s, 1000, {}, {});
  EXPECT_EQ(s.cwnd, 10000u);
  cc.on_ack(s, 1000, {}, {});
  EXPECT_EQ(s.cwnd, 11000u);
}

TEST(Rfc5681, LossHalvesFlightAndTimeoutResetsToOneSegment) {
  NewRenoCc cc;
  CcState s;
  s.smss = 1000;
  s.cwnd = 20000;
  cc.on_congestion(s, 20000, {});
  EXPECT_EQ(s.ssthresh, 10000u);  // eq. 4
  cc.on_congestion(s, 1000, {});
  EXPECT_EQ(s.ssthresh, 2000u);  // at least 2 SMSS
  cc.on_rto(s, 8000, {});
  EXPECT_EQ(s.cwnd, 1000u);
  EXPECT_EQ(s.ssthresh, 4000u);
}

// ---- RFC 9438 CUBIC --------------------------------------------------------------

TEST(Rfc9438, WindowFollowsTheCubicFunction) {
  CubicCc cc;
  CcState s;
  s.smss = 1000;
  s.cwnd = 100 * 1000;  // 100 segments at the loss
  core::Instant t0 = core::kEpoch + 10s;
  cc.on_congestion(s, s.cwnd, t0);
  s.cwnd = s.ssthresh;  // what the connection does on entering recovery
  EXPECT_EQ(s.ssthresh, 70u * 1000u);  // beta_cubic = 0.7
  EXPECT_DOUBLE_EQ(cc.w_max(), 100.0);
  // Feed one ACK per segment with a 100 ms RTT and compare to W_cubic(t + RTT).
  const core::Duration rtt = 100ms;
  core::Instant now = t0;
  double max_err = 0;
  for (int step = 0; step < 60; ++step) {
    now += rtt;
    uint32_t segs = s.cwnd / s.smss;
    for (uint32_t i = 0; i < segs; ++i) cc.on_ack(s, s.smss, now, rtt);
    ASSERT_TRUE(cc.epoch_started());
    const double t = std::chrono::duration<double>(now - cc.epoch_start()).count();
    const double k = std::cbrt((100.0 - 70.0) / CubicCc::kC);
    EXPECT_NEAR(cc.k(), k, 1e-9);  // eq. 2
    const double expect = CubicCc::w_cubic(t + 0.1, k, 100.0);
    const double got = static_cast<double>(s.cwnd) / s.smss;
    // cwnd tracks the target within a window's worth of per-ACK increments, and
    // never above it (it approaches from below in the concave region).
    if (expect > 70.0 && expect < 1.5 * got) max_err = std::max(max_err, std::abs(got - expect) / expect);
  }
  EXPECT_LT(max_err, 0.05);
  // After K seconds the window is back at W_max, then it grows convexly past it.
  EXPECT_GT(static_cast<double>(s.cwnd) / s.smss, 100.0);
}

TEST(Rfc9438, FastConvergenceLowersWmax) {
  CubicCc cc;
  CcState s;
  s.smss = 1000;
  s.cwnd = 100000;
  cc.on_congestion(s, s.cwnd, {});
  EXPECT_DOUBLE_EQ(cc.w_max(), 100.0);
  s.cwnd = 80000;  // a second loss below the previous plateau
  cc.on_congestion(s, s.cwnd, {});
  EXPECT_DOUBLE_EQ(cc.w_max(), 80.0 * (1.0 + 0.7) / 2.0);
}

TEST(Rfc9438, RenoFriendlyRegionWhenCubicIsSlower) {
  CubicCc cc;
  CcState s;
  s.smss = 1000;
  s.cwnd = 10000;
  cc.on_congestion(s, s.cwnd, {});
  s.cwnd = s.ssthresh;  // 7 segments, W_max 10: tiny K, Reno estimate dominates early
  core::Instant now = core::kEpoch + 1s;
  for (int i = 0; i < 200; ++i) {
    now += 10ms;
    cc.on_ack(s, 1000, now, 1ms);
  }
  EXPECT_GT(s.cwnd, 10000u);
}

// ---- RFC 6675 scoreboard ---------------------------------------------------------

TEST(Rfc6675, IsLostPipeAndNextSeg) {
  SackScoreboard sb;
  const SeqNum una(1000);
  const SeqNum max(1000 + 10 * 100);
  const uint32_t mss = 100;
  // Segment 0 lost, segments 1..4 SACKed (4 * 100 bytes > 2 * SMSS above it).
  SackBlock b[1] = {{SeqNum(1100), SeqNum(1500)}};
  uint32_t ignored = 0;
  EXPECT_EQ(sb.update(una, max, b, 128, &ignored), 400u);
  EXPECT_TRUE(sb.is_lost(una, mss));
  EXPECT_FALSE(sb.is_lost(SeqNum(1500), mss));
  // pipe: hole [1000,1100) lost and not retransmitted -> 0; [1500,2000) not lost -> 500.
  EXPECT_EQ(sb.pipe(una, max, una, mss), 500u);
  auto n = sb.next_lost(una, una, mss);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->start, una);
  EXPECT_EQ(n->len, 100u);
  // After retransmitting it (HighRxt = 1100) the retransmission is in the pipe.
  EXPECT_EQ(sb.pipe(una, max, SeqNum(1100), mss), 600u);
  EXPECT_FALSE(sb.next_lost(una, SeqNum(1100), mss).has_value());
  sb.advance(SeqNum(1500));
  EXPECT_EQ(sb.sacked_bytes(), 0u);
}

TEST(Rfc2018, ScoreboardMergesAndBoundsBlocks) {
  SackScoreboard sb;
  uint32_t ignored = 0;
  SackBlock b1[2] = {{SeqNum(200), SeqNum(300)}, {SeqNum(400), SeqNum(500)}};
  sb.update(SeqNum(100), SeqNum(1000), b1, 2, &ignored);
  EXPECT_EQ(sb.block_count(), 2u);
  SackBlock b2[1] = {{SeqNum(600), SeqNum(700)}};
  sb.update(SeqNum(100), SeqNum(1000), b2, 2, &ignored);
  EXPECT_EQ(ignored, 1u);  // bound reached: ignored and counted
  SackBlock b3[1] = {{SeqNum(300), SeqNum(400)}};
  sb.update(SeqNum(100), SeqNum(1000), b3, 2, &ignored);
  EXPECT_EQ(sb.block_count(), 1u);  // [200,500) merged
  EXPECT_EQ(sb.sacked_bytes(), 300u);
  SackBlock bogus[2] = {{SeqNum(50), SeqNum(90)}, {SeqNum(900), SeqNum(1200)}};
  sb.update(SeqNum(100), SeqNum(1000), bogus, 8, &ignored);
  EXPECT_EQ(sb.sacked_bytes(), 300u);  // below SND.UNA / beyond SND.MAX: ignored
}

// ---- reassembly -------------------------------------------------------------------

struct ReassFixture : ::testing::Test {
  core::BufferPool pool{256};
  core::PacketPtr bytes(uint8_t first, uint32_t n) {
    std::vector<uint8_t> v(n);
    for (uint32_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(first + i);
    return pool.alloc_copy(v);
  }
};

TEST_F(ReassFixture, OverlapsKeepFirstArrivalAndDeliverInOrder) {
  Reassembly r;
  // Stream bytes are (seq - 100) mod 256 for seq in [100, 400).
  EXPECT_EQ(r.insert(SeqNum(200), bytes(100, 100), 100, false, 10), Reassembly::Insert::kQueued);
  EXPECT_EQ(r.insert(SeqNum(150), bytes(50, 100), 100, false, 10), Reassembly::Insert::kQueued);  // overlaps front
  EXPECT_EQ(r.insert(SeqNum(250), bytes(150, 100), 100, true, 10), Reassembly::Insert::kQueued);  // overlaps back
  EXPECT_EQ(r.insert(SeqNum(210), bytes(110, 20), 20, false, 10), Reassembly::Insert::kDuplicate);
  EXPECT_EQ(r.bytes(), 200u);
  std::array<SackBlock, 4> blocks;
  ASSERT_EQ(r.sack_blocks(blocks), 1u);
  EXPECT_EQ(blocks[0].left, SeqNum(150));
  EXPECT_EQ(blocks[0].right, SeqNum(350));
  SeqNum rcv_nxt(100);
  r.pull(rcv_nxt, [](core::PacketPtr, uint32_t, bool) { FAIL() << "nothing is contiguous yet"; });
  rcv_nxt = SeqNum(150);
  std::vector<uint8_t> out;
  bool fin = false;
  r.pull(rcv_nxt, [&](core::PacketPtr p, uint32_t n, bool f) {
    std::vector<uint8_t> part(n);
    if (n > 0) core::Mbuf(*p).copy_data(0, part);
    out.insert(out.end(), part.begin(), part.end());
    fin |= f;
  });
  EXPECT_EQ(rcv_nxt, SeqNum(350));
  ASSERT_EQ(out.size(), 200u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], static_cast<uint8_t>(50 + i)) << i;
  EXPECT_TRUE(fin);
  EXPECT_TRUE(r.empty());
}

TEST_F(ReassFixture, QueueIsBounded) {
  Reassembly r;
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(r.insert(SeqNum(1000 + 20 * i), bytes(0, 10), 10, false, 5), Reassembly::Insert::kQueued);
  }
  EXPECT_EQ(r.insert(SeqNum(2000), bytes(0, 10), 10, false, 5), Reassembly::Insert::kOverflow);
  EXPECT_EQ(r.segments(), 5u);
}

TEST_F(ReassFixture, SackBlocksListMostRecentFirst) {
  Reassembly r;
  r.insert(SeqNum(200), bytes(0, 10), 10, false, 10);
  r.insert(SeqNum(400), bytes(0, 10), 10, false, 10);
  r.insert(SeqNum(300), bytes(0, 10), 10, false, 10);
  std::array<SackBlock, 4> b;
  ASSERT_EQ(r.sack_blocks(b), 3u);
  EXPECT_EQ(b[0].left, SeqNum(300));
  EXPECT_EQ(b[1].left, SeqNum(400));
  EXPECT_EQ(b[2].left, SeqNum(200));
}

// ---- buffers ----------------------------------------------------------------------

TEST(SendBuffer, ClonesRangesAcrossBuffersWithoutCopying) {
  core::BufferPool pool(64, 256, 0);
  SendBuffer sb;
  auto data = testing::pattern(1000, 9);
  EXPECT_EQ(sb.append_copy(data, pool), 1000u);
  core::PacketPtr head = pool.alloc();
  core::Packet* tail = head.get();
  ASSERT_TRUE(sb.clone_range(100, 600, pool, &tail));
  core::mbuf::fix_pkt_len(*head);
  std::vector<uint8_t> out(600);
  ASSERT_TRUE(core::Mbuf(*head).copy_data(0, out));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + 100));
  EXPECT_EQ(pool.stats().copies, 0u);
  sb.drop_front(150);
  std::vector<uint8_t> rest(850);
  ASSERT_TRUE(sb.copy_range(0, rest));
  EXPECT_TRUE(std::equal(rest.begin(), rest.end(), data.begin() + 150));
  // The clone still sees the bytes it covered after the front was acknowledged.
  ASSERT_TRUE(core::Mbuf(*head).copy_data(0, out));
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + 100));
}

TEST(RecvBuffer, CoalescesSmallSegmentsSoSlotsStayBounded) {
  core::BufferPool pool(64);
  RecvBuffer rb;
  for (int i = 0; i < 500; ++i) {
    uint8_t b = static_cast<uint8_t>(i);
    rb.append(pool.alloc_copy(std::span<const uint8_t>(&b, 1)), 1);
  }
  EXPECT_EQ(rb.size(), 500u);
  EXPECT_LE(pool.stats().in_use, 2u);
  std::vector<uint8_t> out(500);
  EXPECT_EQ(rb.read(out), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(out[i], static_cast<uint8_t>(i));
}

// ---- SipHash / cookies / tunables ------------------------------------------------

TEST(SipHash, ReferenceVectors) {
  SipKey k{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  EXPECT_EQ(siphash24(k, {}), 0x726fdb47dd0e0e31ull);
  uint8_t msg[15];
  for (int i = 0; i < 15; ++i) msg[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(siphash24(k, msg), 0xa129ca6149be45e5ull);
}

TEST(SynCookie, RoundTripAndExpiry) {
  SynCookies c(SipKey{1, 2});
  FourTuple t{0x0a000002, 0x0a000001, 80, 40000};
  CookieParams p;
  p.mss = 1460;
  p.wscale = 7;
  p.sack = true;
  p.timestamps = true;
  uint32_t iss = c.make(t, 12345, p, 1000);
  auto back = c.check(t, 12345, iss, 1000);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->mss, 1460);
  EXPECT_EQ(back->wscale, 7);
  EXPECT_TRUE(back->sack && back->timestamps);
  EXPECT_TRUE(c.check(t, 12345, iss, 1000 + SynCookies::kPeriodSeconds).has_value());
  EXPECT_FALSE(c.check(t, 12345, iss, 1000 + 3 * SynCookies::kPeriodSeconds).has_value());
  EXPECT_FALSE(c.check(t, 12346, iss, 1000).has_value());  // another client ISN
  EXPECT_FALSE(c.check(t, 12345, iss ^ 0x1000, 1000).has_value());
  FourTuple other = t;
  other.rport = 40001;
  EXPECT_FALSE(c.check(other, 12345, iss, 1000).has_value());
}

TEST(Tunables, DefaultsMatchFreeBsdAndTheRegistry) {
  TcpTunables t;
  EXPECT_EQ(*t.get("net.inet.tcp.sendspace"), 32768);
  EXPECT_EQ(*t.get("net.inet.tcp.recvspace"), 65536);
  EXPECT_EQ(*t.get("net.inet.tcp.sack.enable"), 1);
  EXPECT_EQ(*t.get("net.inet.tcp.rfc1323"), 1);
  EXPECT_EQ(*t.get("net.inet.tcp.ecn.enable"), 2);
  EXPECT_EQ(*t.get("net.inet.tcp.delacktime"), 100);
  EXPECT_EQ(*t.get("net.inet.tcp.rexmit_min"), 30);
  EXPECT_EQ(*t.get("net.inet.tcp.msl"), 30000);
  EXPECT_EQ(*t.get("net.inet.tcp.initcwnd_segments"), 10);
  // Every spec default equals the struct's initialiser.
  for (const TunableSpec& s : tcp_tunable_specs()) {
    auto v = t.get(s.name);
    ASSERT_TRUE(v) << s.name;
    EXPECT_EQ(*v, s.default_value) << s.name;
  }
  Tunables reg;
  ASSERT_TRUE(define_tcp_tunables(reg));
  ASSERT_TRUE(reg.set("net.inet.tcp.cc.algorithm", 0));
  ASSERT_TRUE(reg.set("net.inet.tcp.recvspace", 131072));
  TcpTunables from = tcp_tunables_from(reg);
  EXPECT_EQ(from.congestion(), CongestionAlgo::kNewReno);
  EXPECT_EQ(from.recvspace, 131072u);
  EXPECT_FALSE(t.set("net.inet.tcp.delacktime", 100000));  // out of range: typed error
  EXPECT_FALSE(t.set("net.inet.tcp.nonexistent", 1));
}

}  // namespace
}  // namespace vnetref::inet::tcp
