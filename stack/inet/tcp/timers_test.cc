// Timer-driven behaviour in virtual time: persist / zero-window probes, keepalive
// (RFC 1122 4.2.3.6), delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2), Nagle (RFC 896),
// connection-establishment and FIN_WAIT_2 timeouts, ECN (RFC 3168).
#include <gtest/gtest.h>

#include "stack/inet/tcp/testing/tcp_harness.h"

namespace vnetref::inet::tcp {
namespace {

using testing::pattern;
using testing::TcpPair;
using namespace std::chrono_literals;

TEST(Rfc9293, ZeroWindowTriggersPersistProbesAndRecovers) {
  TcpTunables t;
  t.recvspace = 8192;
  TcpPair net({.delay = 5ms}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.record = true;
  auto data = pattern(100000, 31);
  size_t sent = 0;
  // The receiver does not read: the window closes.
  net.run_until([&] {
    while (sent < data.size()) {
      auto r = net.a().send(c->client, std::span<const uint8_t>(data).subspan(sent));
      if (!r) break;
      sent += *r;
    }
    return false;
  }, 30s);
  auto ib = net.b().info(c->server);
  EXPECT_EQ(ib->recv_queued, 8192u);
  EXPECT_EQ(ib->rcv_wnd, 0u);
  EXPECT_GE(net.a().stats().persisttimeo, 3u);  // probes keep going while the window is shut
  EXPECT_GE(net.b().stats().rcvwinprobe, 3u);
  EXPECT_EQ(net.a().state(c->client), TcpState::kEstablished);  // never times out
  // Probe spacing backs off between persmin (5 s) and persmax (60 s).
  std::vector<core::Instant> probes;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.len == 1) probes.push_back(w.at);
  }
  ASSERT_GE(probes.size(), 3u);
  EXPECT_GE(probes[1] - probes[0], 5s - 10ms);
  EXPECT_GE(probes[2] - probes[1], probes[1] - probes[0]);
  // Reading reopens the window (a window update) and the transfer completes.
  std::vector<uint8_t> got;
  std::vector<uint8_t> buf(65536);
  net.run_until([&] {
    while (sent < data.size()) {
      auto r = net.a().send(c->client, std::span<const uint8_t>(data).subspan(sent));
      if (!r) break;
      sent += *r;
    }
    for (;;) {
      auto r = net.b().recv(c->server, buf);
      if (!r || *r == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
    }
    return got.size() == data.size();
  }, 60s);
  EXPECT_EQ(got, data);
  EXPECT_GT(net.b().stats().sndwinup, 0u);
}

TEST(Rfc1122, KeepaliveDropsAVanishedPeer) {
  TcpTunables t;
  t.keepidle_ms = 10000;
  t.keepintvl_ms = 1000;
  t.keepcnt = 3;
  TcpPair net({}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  std::optional<TcpError> err;
  bool closed = false;
  TcpCallbacks cb;
  cb.on_closed = [&](SocketId, std::optional<TcpError> e) {
    closed = true;
    err = e;
  };
  net.a().set_callbacks(c->client, cb);
  net.link_up = false;
  const core::Instant start = net.clock.now();
  net.run_until([&] { return closed; }, 60s);
  ASSERT_TRUE(closed);
  EXPECT_EQ(err, TcpError::kTimedOut);
  EXPECT_EQ(net.a().stats().keepprobe, 3u);
  EXPECT_EQ(net.a().stats().keepdrops, 1u);
  // keepidle + keepcnt * keepintvl.
  auto took = net.clock.now() - start;
  EXPECT_GE(took, 13s - 10ms);
  EXPECT_LE(took, 13s + 10ms);
}

TEST(Rfc1122, AnsweredKeepaliveKeepsTheConnection) {
  TcpTunables t;
  t.keepidle_ms = 10000;
  t.keepintvl_ms = 1000;
  t.keepcnt = 3;
  TcpPair net({}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.run_for(100s);
  EXPECT_EQ(net.a().state(c->client), TcpState::kEstablished);
  // One probe per keepidle of silence; either side's probe refreshes the other.
  EXPECT_GE(net.a().stats().keepprobe + net.b().stats().keepprobe, 9u);
  EXPECT_EQ(net.b().state(c->server), TcpState::kEstablished);
  EXPECT_EQ(net.a().stats().keepdrops, 0u);
}

TEST(Rfc1122, SoKeepaliveOffMeansNoProbes) {
  TcpTunables t;
  t.always_keepalive = 0;
  t.keepidle_ms = 1000;
  TcpPair net({}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.run_for(30s);
  EXPECT_EQ(net.a().stats().keepprobe, 0u);
  ASSERT_TRUE(net.a().setsockopt(c->client, SockOpt::kKeepAlive, 1));
  ASSERT_TRUE(net.a().setsockopt(c->client, SockOpt::kKeepIdleMs, 2000));
  net.run_for(10s);
  EXPECT_GE(net.a().stats().keepprobe, 4u);
}

TEST(Rfc1122, DelayedAckFiresAfterDelacktime) {
  TcpPair net({.delay = 1ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.record = true;
  uint8_t b = 1;
  const core::Instant sent_at = net.clock.now();
  ASSERT_TRUE(net.a().send(c->client, std::span<const uint8_t>(&b, 1)));
  net.run_for(500ms);
  const testing::WireSegment* ack = nullptr;
  for (const auto& w : net.wire_log) {
    if (w.from == 1 && w.flags.ack() && w.len == 0) {
      ack = &w;
      break;
    }
  }
  ASSERT_NE(ack, nullptr);
  EXPECT_GE(ack->at - sent_at, 100ms);  // net.inet.tcp.delacktime
  EXPECT_LE(ack->at - sent_at, 103ms);
  EXPECT_EQ(net.b().stats().delack, 1u);
}

TEST(Rfc5681, EverySecondFullSegmentIsAckedAtOnce) {
  TcpPair net({.delay = 1ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.record = true;
  auto data = pattern(10 * 1448, 32);
  ASSERT_TRUE(net.a().send(c->client, data));
  net.run_for(50ms);
  size_t data_segs = 0, acks = 0;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.len > 0) ++data_segs;
    if (w.from == 1 && w.len == 0 && w.flags.ack()) ++acks;
  }
  EXPECT_EQ(data_segs, 10u);
  EXPECT_EQ(acks, 5u);
  EXPECT_EQ(net.b().stats().delack, 0u);
}

TEST(Rfc896, NagleHoldsSmallSegmentsWhileDataIsUnacknowledged) {
  TcpPair net({.delay = 20ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.record = true;
  uint8_t b[10] = {};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net.a().send(c->client, b));
  net.run_for(1s);
  std::vector<uint32_t> lens;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.len > 0) lens.push_back(w.len);
  }
  ASSERT_EQ(lens.size(), 2u);  // the first write, then the rest coalesced
  EXPECT_EQ(lens[0], 10u);
  EXPECT_EQ(lens[1], 40u);
}

TEST(Rfc896, NoDelaySendsEveryWriteAtOnce) {
  TcpPair net({.delay = 20ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(net.a().setsockopt(c->client, SockOpt::kNoDelay, 1));
  net.record = true;
  uint8_t b[10] = {};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(net.a().send(c->client, b));
  net.run_for(1s);
  size_t segs = 0;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.len > 0) ++segs;
  }
  EXPECT_EQ(segs, 5u);
}

TEST(Rfc9293, ConnectTimesOutAfterKeepinit) {
  TcpTunables t;
  t.keepinit_ms = 20000;
  TcpPair net({}, t, t);
  net.link_up = false;
  auto s = net.a().open();
  std::optional<TcpError> err;
  bool closed = false;
  TcpCallbacks cb;
  cb.on_closed = [&](SocketId, std::optional<TcpError> e) {
    closed = true;
    err = e;
  };
  net.a().set_callbacks(*s, cb);
  ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 80}));
  net.run_until([&] { return closed; }, 60s);
  ASSERT_TRUE(closed);
  EXPECT_EQ(err, TcpError::kTimedOut);
  EXPECT_GE(net.a().stats().rexmttimeo, 3u);  // SYN retransmitted 1, 2, 4, 8 s ...
  EXPECT_EQ(net.clock.now(), core::kEpoch + 20s);
}

TEST(Rfc9293, OrphanedFinWait2TimesOut) {
  TcpTunables t;
  t.finwait2_timeout_ms = 5000;
  TcpPair net({}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(net.a().close(c->client));  // peer never closes its side
  net.run_for(1s);
  EXPECT_EQ(net.a().connection_count(), 1u);
  net.run_for(5s);
  EXPECT_EQ(net.a().connection_count(), 0u);
  EXPECT_EQ(net.a().stats().finwait2_drops, 1u);
}

TEST(Rfc3168, EcnNegotiationAndCongestionExperienced) {
  TcpTunables ta;
  ta.ecn_enable = 1;  // A requests; B (default 2) accepts
  TcpPair net({.delay = 5ms}, ta, {});
  // Mark every 20th data segment from A as CE (a router under load would).
  int n = 0;
  net.filter = [&](int from, core::PacketPtr& p, IpMeta& m) {
    if (from == 0 && p->pkt_len > 40 && (m.tos & 3) == 2 && (++n % 20) == 0) m.tos |= 3;
    return true;
  };
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(net.a().info(c->client)->ecn);
  EXPECT_TRUE(net.b().info(c->server)->ecn);
  auto data = pattern(500000, 33);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  EXPECT_GT(net.b().stats().ecn_ce, 0u);
  EXPECT_GT(net.a().stats().ecn_ece, 0u);  // the sender reacted
  EXPECT_EQ(net.a().stats().sndrexmitpack, 0u);  // without losing anything
}

TEST(Rfc3168, EcnNotRequestedByDefault) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(net.a().info(c->client)->ecn);
}

}  // namespace
}  // namespace vnetref::inet::tcp
