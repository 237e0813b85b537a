// Loss detection and recovery on a live connection: RFC 6298 timeouts and Karn's
// rule, RFC 5681 fast retransmit, RFC 6582 NewReno partial ACKs, RFC 6675 SACK
// recovery, RFC 2018 SACK generation, RFC 3042 limited transmit.
#include <gtest/gtest.h>

#include <set>

#include "stack/core/views.h"
#include "stack/inet/tcp/testing/tcp_harness.h"

namespace vnetref::inet::tcp {
namespace {

using testing::pattern;
using testing::TcpPair;
using namespace std::chrono_literals;

// Drops the first transmission of the data segments whose index (in order of first
// transmission from side 0) is in `victims`.
struct DropFirstTransmissions {
  std::set<uint32_t> victims;
  std::set<uint32_t> seen_seqs;
  uint32_t index = 0;
  uint32_t dropped = 0;
  bool operator()(int from, core::PacketPtr& p, IpMeta&) {
    if (from != 0) return true;
    std::vector<uint8_t> hdr(20);
    core::Mbuf(*p).copy_data(0, hdr);
    uint32_t hlen = (hdr[12] >> 4) * 4u;
    if (p->pkt_len <= hlen) return true;  // no payload
    uint32_t seq = (uint32_t{hdr[4]} << 24) | (uint32_t{hdr[5]} << 16) | (uint32_t{hdr[6]} << 8) | hdr[7];
    if (!seen_seqs.insert(seq).second) return true;  // a retransmission
    if (victims.count(index++)) {
      ++dropped;
      return false;
    }
    return true;
  }
};

TcpTunables no_delack() {
  TcpTunables t;
  t.sendspace = 256 * 1024;
  t.recvspace = 256 * 1024;
  return t;
}

TEST(Rfc5681, FastRetransmitOnThirdDuplicateAck) {
  TcpTunables t = no_delack();
  t.sack_enable = 0;
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto drop = std::make_shared<DropFirstTransmissions>();
  drop->victims = {20};
  net.filter = [drop](int f, core::PacketPtr& p, IpMeta& m) { return (*drop)(f, p, m); };
  auto data = pattern(200000, 21);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  EXPECT_EQ(drop->dropped, 1u);
  EXPECT_EQ(net.a().stats().fastrexmit, 1u);
  EXPECT_EQ(net.a().stats().rexmttimeo, 0u);  // recovered without a timeout
  EXPECT_EQ(net.a().stats().sndrexmitpack, 1u);
}

TEST(Rfc6582, NewRenoPartialAcksRepairSeveralLossesWithoutTimeout) {
  TcpTunables t = no_delack();
  t.sack_enable = 0;
  t.cc_algorithm = static_cast<uint32_t>(CongestionAlgo::kNewReno);
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto drop = std::make_shared<DropFirstTransmissions>();
  drop->victims = {30, 33, 36};
  net.filter = [drop](int f, core::PacketPtr& p, IpMeta& m) { return (*drop)(f, p, m); };
  auto data = pattern(300000, 22);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  EXPECT_EQ(drop->dropped, 3u);
  EXPECT_EQ(net.a().stats().fastrexmit, 1u);            // one recovery episode
  EXPECT_GE(net.a().stats().newreno_partial_acks, 2u);  // each later hole by a partial ACK
  EXPECT_EQ(net.a().stats().rexmttimeo, 0u);
}

TEST(Rfc6675, SackRecoveryRetransmitsOnlyTheHoles) {
  TcpTunables t = no_delack();
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto drop = std::make_shared<DropFirstTransmissions>();
  drop->victims = {30, 33, 36, 40};
  net.filter = [drop](int f, core::PacketPtr& p, IpMeta& m) { return (*drop)(f, p, m); };
  auto data = pattern(300000, 23);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  EXPECT_EQ(drop->dropped, 4u);
  EXPECT_EQ(net.a().stats().sack_recovery_episode, 1u);
  EXPECT_EQ(net.a().stats().rexmttimeo, 0u);
  EXPECT_EQ(net.a().stats().sndrexmitpack, 4u);  // exactly the lost segments
  EXPECT_GT(net.a().stats().rcvsackblocks, 0u);
}

TEST(Rfc2018, ReceiverReportsSackBlocksForOutOfOrderData) {
  TcpTunables t = no_delack();
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.record = true;
  auto drop = std::make_shared<DropFirstTransmissions>();
  drop->victims = {5};
  net.filter = [drop](int f, core::PacketPtr& p, IpMeta& m) { return (*drop)(f, p, m); };
  auto data = pattern(50000, 24);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  bool saw = false;
  for (const auto& w : net.wire_log) {
    if (w.from == 1 && w.options.sack_count > 0) {
      saw = true;
      EXPECT_LE(w.options.sack_count, 3);  // with timestamps, 3 blocks fit
      EXPECT_GT(w.options.sack_blocks[0].left, w.ack);  // above the cumulative ACK
    }
  }
  EXPECT_TRUE(saw);
}

TEST(Rfc6298, TimeoutRetransmitsAndBacksOff) {
  TcpTunables t;
  t.rfc1323 = 0;  // no timestamps: RTT comes from timed segments
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.record = true;
  net.link_up = false;  // everything lost for a while
  uint8_t byte = 7;
  ASSERT_TRUE(net.a().send(c->client, std::span<const uint8_t>(&byte, 1)));
  net.run_for(5s);
  std::vector<core::Instant> tx;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.len == 1) tx.push_back(w.at);
  }
  ASSERT_GE(tx.size(), 3u);
  auto gap1 = tx[1] - tx[0];
  auto gap2 = tx[2] - tx[1];
  EXPECT_NEAR(std::chrono::duration<double>(gap2).count(), 2 * std::chrono::duration<double>(gap1).count(),
              0.01);  // RFC 6298 5.5: back off the timer
  auto info = net.a().info(c->client);
  EXPECT_GE(info->rxtshift, 2u);
  net.link_up = true;
  std::vector<uint8_t> got(4);
  net.run_until([&] {
    auto r = net.b().recv(c->server, got);
    return r && *r == 1;
  }, 60s);
  EXPECT_EQ(got[0], 7);
  net.run_for(1s);
  EXPECT_EQ(net.a().info(c->client)->rxtshift, 0u);
}

TEST(Rfc6298, KarnsRuleTakesNoSampleFromARetransmission) {
  TcpTunables t;
  t.rfc1323 = 0;  // timestamps would make retransmissions measurable (RFC 7323 4.1)
  TcpPair net({.delay = 20ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto before = net.a().stats().rttupdated;
  auto srtt_before = net.a().info(c->client)->srtt_us;
  // Lose the first transmission of one lone segment; its retransmission is ACKed.
  auto drop = std::make_shared<DropFirstTransmissions>();
  drop->victims = {0};
  net.filter = [drop](int f, core::PacketPtr& p, IpMeta& m) { return (*drop)(f, p, m); };
  uint8_t byte = 1;
  ASSERT_TRUE(net.a().send(c->client, std::span<const uint8_t>(&byte, 1)));
  net.run_for(5s);
  EXPECT_EQ(drop->dropped, 1u);
  EXPECT_EQ(net.a().stats().rexmttimeo, 1u);
  EXPECT_EQ(net.a().stats().rttupdated, before);  // no sample from the ambiguous ACK
  EXPECT_EQ(net.a().info(c->client)->srtt_us, srtt_before);
  // A fresh segment is timed again.
  ASSERT_TRUE(net.a().send(c->client, std::span<const uint8_t>(&byte, 1)));
  net.run_for(2s);
  EXPECT_EQ(net.a().stats().rttupdated, before + 1);
}

TEST(Rfc6298, RttEstimateConvergesToPathDelay) {
  TcpPair net({.delay = 25ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto data = pattern(500000, 25);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  auto info = net.a().info(c->client);
  // 50 ms path RTT; the delayed-ACK timer can add up to 100 ms to a few samples.
  EXPECT_GE(info->srtt_us, 45000);
  EXPECT_LE(info->srtt_us, 120000);
}

// Three segments of initial window, six to send, the second one lost: only two
// duplicate ACKs can come back unless RFC 3042 lets each of them clock out one new
// segment, which produces the third duplicate ACK and a fast retransmit.
uint64_t timeouts_with_limited_transmit(uint32_t rfc3042, uint64_t* fast) {
  TcpTunables t = no_delack();
  t.sack_enable = 0;
  t.initcwnd_segments = 3;
  t.rfc3042 = rfc3042;
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  if (!c) return 999;
  auto drop = std::make_shared<DropFirstTransmissions>();
  drop->victims = {1};
  net.filter = [drop](int f, core::PacketPtr& p, IpMeta& m) { return (*drop)(f, p, m); };
  auto data = pattern(6 * 1448, 26);
  // The receiver reads only at the end: reading would change the advertised window,
  // and an ACK with a new window is not a duplicate ACK (RFC 5681 section 2).
  auto sent = net.a().send(c->client, data);
  if (!sent || *sent != data.size()) return 997;
  net.run_for(5s);
  std::vector<uint8_t> got(data.size() + 1);
  auto n = net.b().recv(c->server, got);
  if (!n || *n != data.size() || !std::equal(data.begin(), data.end(), got.begin())) return 998;
  *fast = net.a().stats().fastrexmit;
  return net.a().stats().rexmttimeo;
}

TEST(Rfc3042, LimitedTransmitAvoidsTheTimeoutInASmallWindow) {
  uint64_t fast_on = 0, fast_off = 0;
  EXPECT_EQ(timeouts_with_limited_transmit(1, &fast_on), 0u);
  EXPECT_EQ(fast_on, 1u);
  EXPECT_EQ(timeouts_with_limited_transmit(0, &fast_off), 1u);
  EXPECT_EQ(fast_off, 0u);
}

TEST(Recovery, RtoCollapsesWindowThenSlowStartsAgain) {
  TcpTunables t = no_delack();
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto data = pattern(400000, 27);
  // Drop everything from A for 300 ms in the middle of the transfer.
  core::Instant blackout_start = net.clock.now() + 100ms;
  core::Instant blackout_end = blackout_start + 300ms;
  net.filter = [&](int from, core::PacketPtr&, IpMeta&) {
    return !(from == 0 && net.clock.now() >= blackout_start && net.clock.now() < blackout_end);
  };
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 60s), data);
  EXPECT_GE(net.a().stats().rexmttimeo, 1u);
}

}  // namespace
}  // namespace vnetref::inet::tcp

namespace vnetref::inet::tcp {
namespace {

TEST(Rfc7323, StaleTimestampEchoAfterATimeoutGivesNoRttSample) {
  // A's segment arrives, B's ACK is lost, A times out and resends; B answers the
  // duplicate echoing the *first* transmission's TSval (its TS.Recent). Timing that
  // echo would measure the whole timeout: Karn's rule, applied to timestamps.
  TcpPair net({.delay = 10ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.run_for(1s);
  const auto before = net.a().stats().rttupdated;
  const auto srtt_before = net.a().info(c->client)->srtt_us;
  int b_acks = 0;
  net.filter = [&](int from, core::PacketPtr&, IpMeta&) { return !(from == 1 && b_acks++ == 0); };
  uint8_t byte = 1;
  ASSERT_TRUE(net.a().send(c->client, std::span<const uint8_t>(&byte, 1)));
  net.run_for(3s);
  EXPECT_EQ(net.a().stats().rexmttimeo, 1u);
  EXPECT_EQ(net.a().info(c->client)->snd_una, net.a().info(c->client)->snd_max);  // acked in the end
  EXPECT_EQ(net.a().stats().rttupdated, before);
  EXPECT_EQ(net.a().info(c->client)->srtt_us, srtt_before);
}

}  // namespace
}  // namespace vnetref::inet::tcp

namespace vnetref::inet::tcp {
namespace {

TEST(Rfc6298, RtoStartsAtThreeSecondsAfterASynTimeout) {
  TcpTunables t;
  t.rfc1323 = 0;  // no timestamps: the retransmitted SYN gives no RTT sample (Karn)
  TcpPair net({.delay = 5ms}, t, t);
  net.record = true;
  int syns = 0;
  net.filter = [&](int from, core::PacketPtr& p, IpMeta&) {
    std::vector<uint8_t> h(14);
    core::Mbuf(*p).copy_data(0, h);
    const bool syn = (h[13] & wire::TcpFlags::kSyn) && !(h[13] & wire::TcpFlags::kAck);
    return !(from == 0 && syn && syns++ == 0);  // lose the first SYN
  };
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(syns, 2);
  EXPECT_GE(net.a().info(c->client)->rto_ms, 3000);  // rule 5.7
  EXPECT_EQ(net.a().info(c->client)->cwnd, net.a().info(c->client)->mss);  // RFC 5681: IW = 1
  // The first sample then brings it down again.
  auto data = pattern(20000, 28);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  EXPECT_LT(net.a().info(c->client)->rto_ms, 3000);
}

}  // namespace
}  // namespace vnetref::inet::tcp

namespace vnetref::inet::tcp {
namespace {

TEST(Rfc6675, RescueRetransmissionRepairsALostLastSegment) {
  // Ten segments, the 4th and the last lost. Duplicate ACKs start recovery for the
  // 4th; nothing is ever SACKed above the last one, so only the rescue
  // retransmission (NextSeg rule 4) saves it from the retransmission timer.
  TcpTunables t = no_delack();
  TcpPair net({.delay = 10ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(net.a().setsockopt(c->client, SockOpt::kNoDelay, 1));
  auto drop = std::make_shared<DropFirstTransmissions>();
  drop->victims = {3, 9};
  net.filter = [drop](int f, core::PacketPtr& p, IpMeta& m) { return (*drop)(f, p, m); };
  auto data = pattern(10 * 1448, 29);
  auto sent = net.a().send(c->client, data);
  ASSERT_TRUE(sent);
  ASSERT_EQ(*sent, data.size());
  net.run_for(3s);
  std::vector<uint8_t> got(data.size() + 1);
  auto n = net.b().recv(c->server, got);
  ASSERT_TRUE(n);
  got.resize(*n);
  EXPECT_EQ(got, data);
  EXPECT_EQ(drop->dropped, 2u);
  EXPECT_EQ(net.a().stats().sack_recovery_episode, 1u);
  EXPECT_EQ(net.a().stats().sack_rescue_rexmits, 1u);
  EXPECT_EQ(net.a().stats().rexmttimeo, 0u);
}

}  // namespace
}  // namespace vnetref::inet::tcp
