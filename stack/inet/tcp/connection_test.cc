// Connection establishment, data transfer and termination (RFC 9293), options
// negotiation (RFC 7323, RFC 2018, MSS), under clean and impaired links.
#include <gtest/gtest.h>

#include <set>

#include "stack/core/views.h"

#include "stack/inet/tcp/testing/tcp_harness.h"

namespace vnetref::inet::tcp {
namespace {

using testing::Impairment;
using testing::pattern;
using testing::TcpPair;
using namespace std::chrono_literals;

TEST(Rfc9293, ThreeWayHandshakeNegotiatesOptions) {
  TcpPair net;
  net.record = true;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(net.a().state(c->client), TcpState::kEstablished);
  EXPECT_EQ(net.b().state(c->server), TcpState::kEstablished);
  ASSERT_GE(net.wire_log.size(), 3u);
  // SYN, SYN-ACK, ACK.
  EXPECT_TRUE(net.wire_log[0].flags.syn() && !net.wire_log[0].flags.ack());
  EXPECT_TRUE(net.wire_log[1].flags.syn() && net.wire_log[1].flags.ack());
  EXPECT_EQ(net.wire_log[1].ack, net.wire_log[0].seq + 1);
  EXPECT_TRUE(!net.wire_log[2].flags.syn() && net.wire_log[2].flags.ack());
  EXPECT_EQ(net.wire_log[2].ack, net.wire_log[1].seq + 1);
  // MSS = MTU - 40, window scale, SACK-permitted and timestamps offered and accepted.
  EXPECT_EQ(net.wire_log[0].options.mss, 1460);
  EXPECT_TRUE(net.wire_log[0].options.window_scale.has_value());
  EXPECT_TRUE(net.wire_log[0].options.sack_permitted);
  EXPECT_TRUE(net.wire_log[0].options.timestamps.has_value());
  EXPECT_TRUE(net.wire_log[1].options.sack_permitted);
  auto ia = net.a().info(c->client);
  ASSERT_TRUE(ia);
  EXPECT_TRUE(ia->timestamps);
  EXPECT_TRUE(ia->sack);
  EXPECT_EQ(ia->mss, 1460u - 12u);  // timestamps take 12 bytes of every segment
  EXPECT_EQ(ia->cwnd, 10u * ia->mss);  // initcwnd_segments
}

TEST(Rfc9293, BulkTransferIsByteExactBothWays) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto data = pattern(1 << 20, 1);
  auto got = net.transfer(0, c->client, c->server, data, 60s);
  EXPECT_EQ(got, data);
  auto back = pattern(300000, 2);
  auto got2 = net.transfer(1, c->server, c->client, back, 60s);
  EXPECT_EQ(got2, back);
  EXPECT_EQ(net.a().stats().sndrexmitpack, 0u);
  EXPECT_EQ(net.b().stats().sndrexmitpack, 0u);
}

TEST(Rfc9293, ConnectToClosedPortIsRefusedByRst) {
  TcpPair net;
  auto s = net.a().open();
  ASSERT_TRUE(s);
  std::optional<TcpError> closed_with;
  bool closed = false;
  TcpCallbacks cb;
  cb.on_closed = [&](SocketId, std::optional<TcpError> e) {
    closed = true;
    closed_with = e;
  };
  net.a().set_callbacks(*s, cb);
  ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 9}));
  net.run_until([&] { return closed; }, 5s);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed_with, TcpError::kConnectionRefused);
  EXPECT_EQ(net.b().stats().dropped[TcpDropReason::kNoSocket], 1u);
  EXPECT_EQ(net.b().stats().sndrst, 1u);
}

TEST(Rfc9293, OrderlyCloseVisitsFinStatesAndTimeWaitLastsTwoMsl) {
  TcpTunables t;
  t.msl_ms = 1000;
  TcpPair net({}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  std::set<TcpState> seen_a, seen_b;
  ASSERT_TRUE(net.a().shutdown(c->client, Shutdown::kWrite));
  seen_a.insert(net.a().state(c->client));
  net.run_until([&] {
    seen_a.insert(net.a().state(c->client));
    seen_b.insert(net.b().state(c->server));
    return net.b().state(c->server) == TcpState::kCloseWait && net.a().state(c->client) == TcpState::kFinWait2;
  }, 5s);
  EXPECT_TRUE(seen_a.count(TcpState::kFinWait1));
  EXPECT_EQ(net.a().state(c->client), TcpState::kFinWait2);
  EXPECT_EQ(net.b().state(c->server), TcpState::kCloseWait);
  uint8_t buf[8];
  auto eof = net.b().recv(c->server, buf);
  ASSERT_TRUE(eof);
  EXPECT_EQ(*eof, 0u);  // end of stream
  ASSERT_TRUE(net.b().close(c->server));
  EXPECT_EQ(net.b().connection_count(), 1u);  // LAST_ACK in the background
  net.run_until([&] { return net.a().state(c->client) == TcpState::kTimeWait; }, 5s);
  ASSERT_EQ(net.a().state(c->client), TcpState::kTimeWait);
  net.run_for(10ms);
  EXPECT_EQ(net.b().connection_count(), 0u);  // LAST_ACK -> CLOSED
  const core::Instant tw = net.clock.now();
  net.run_until([&] { return net.a().state(c->client) == TcpState::kClosed; }, 10s);
  const auto waited = net.clock.now() - tw;
  EXPECT_GE(waited, 2000ms - 20ms);
  EXPECT_LE(waited, 2000ms + 20ms);
  EXPECT_EQ(net.a().connection_count(), 0u);
}

TEST(Rfc9293, SimultaneousOpen) {
  TcpPair net;
  net.record = true;
  auto sa = net.a().open();
  auto sb = net.b().open();
  ASSERT_TRUE(sa && sb);
  ASSERT_TRUE(net.a().bind(*sa, Endpoint{TcpPair::kAddrA, 5000}));
  ASSERT_TRUE(net.b().bind(*sb, Endpoint{TcpPair::kAddrB, 6000}));
  ASSERT_TRUE(net.a().connect(*sa, Endpoint{TcpPair::kAddrB, 6000}));
  ASSERT_TRUE(net.b().connect(*sb, Endpoint{TcpPair::kAddrA, 5000}));
  bool saw_syn_received = false;
  net.run_until([&] {
    saw_syn_received |= net.a().state(*sa) == TcpState::kSynReceived;
    return net.a().state(*sa) == TcpState::kEstablished && net.b().state(*sb) == TcpState::kEstablished;
  }, 10s);
  EXPECT_TRUE(saw_syn_received);
  ASSERT_EQ(net.a().state(*sa), TcpState::kEstablished);
  ASSERT_EQ(net.b().state(*sb), TcpState::kEstablished);
  auto data = pattern(50000, 3);
  EXPECT_EQ(net.transfer(0, *sa, *sb, data, 10s), data);
}

TEST(Rfc9293, SimultaneousCloseGoesThroughClosing) {
  TcpTunables t;
  t.msl_ms = 500;
  TcpPair net({}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(net.a().shutdown(c->client, Shutdown::kWrite));
  ASSERT_TRUE(net.b().shutdown(c->server, Shutdown::kWrite));
  bool a_closing = false, b_closing = false;
  net.run_until([&] {
    a_closing |= net.a().state(c->client) == TcpState::kClosing;
    b_closing |= net.b().state(c->server) == TcpState::kClosing;
    return net.a().state(c->client) == TcpState::kTimeWait && net.b().state(c->server) == TcpState::kTimeWait;
  }, 5s);
  EXPECT_TRUE(a_closing);
  EXPECT_TRUE(b_closing);
  EXPECT_EQ(net.a().state(c->client), TcpState::kTimeWait);
  EXPECT_EQ(net.b().state(c->server), TcpState::kTimeWait);
  net.run_for(2s);
  EXPECT_EQ(net.a().connection_count(), 0u);
  EXPECT_EQ(net.b().connection_count(), 0u);
}

TEST(Rfc9293, AllElevenStatesAreReachable) {
  // LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1/2, CLOSE_WAIT, CLOSING,
  // LAST_ACK, TIME_WAIT and CLOSED, observed across the scenarios of this file.
  std::set<TcpState> seen;
  TcpTunables t;
  t.msl_ms = 200;
  {
    TcpPair net({}, t, t);
    auto l = net.b().open();
    ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
    ASSERT_TRUE(net.b().listen(*l, 4));
    seen.insert(net.b().state(*l));
    auto s = net.a().open();
    seen.insert(net.a().state(*s));
    ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 80}));
    seen.insert(net.a().state(*s));
    std::optional<SocketId> srv;
    net.run_until([&] {
      if (!srv) {
        auto r = net.b().accept(*l);
        if (r) srv = *r;
      }
      seen.insert(net.a().state(*s));
      return srv && net.a().state(*s) == TcpState::kEstablished;
    }, 5s);
    ASSERT_TRUE(srv);
    ASSERT_TRUE(net.b().shutdown(*srv, Shutdown::kWrite));
    net.run_until([&] {
      seen.insert(net.a().state(*s));
      seen.insert(net.b().state(*srv));
      return net.a().state(*s) == TcpState::kCloseWait && net.b().state(*srv) == TcpState::kFinWait2;
    }, 5s);
    ASSERT_TRUE(net.a().shutdown(*s, Shutdown::kWrite));
    net.run_until([&] {
      seen.insert(net.a().state(*s));
      seen.insert(net.b().state(*srv));
      return net.a().state(*s) == TcpState::kClosed;
    }, 5s);
    seen.insert(net.a().state(*s));
  }
  {
    TcpPair net({}, t, t);
    auto sa = net.a().open();
    auto sb = net.b().open();
    ASSERT_TRUE(net.a().bind(*sa, Endpoint{TcpPair::kAddrA, 5000}));
    ASSERT_TRUE(net.b().bind(*sb, Endpoint{TcpPair::kAddrB, 6000}));
    ASSERT_TRUE(net.a().connect(*sa, Endpoint{TcpPair::kAddrB, 6000}));
    ASSERT_TRUE(net.b().connect(*sb, Endpoint{TcpPair::kAddrA, 5000}));
    net.run_until([&] {
      seen.insert(net.a().state(*sa));
      return net.a().state(*sa) == TcpState::kEstablished && net.b().state(*sb) == TcpState::kEstablished;
    }, 5s);
    ASSERT_TRUE(net.a().shutdown(*sa, Shutdown::kWrite));
    ASSERT_TRUE(net.b().shutdown(*sb, Shutdown::kWrite));
    net.run_until([&] {
      seen.insert(net.a().state(*sa));
      return net.a().state(*sa) == TcpState::kTimeWait;
    }, 5s);
  }
  for (int s = 0; s < static_cast<int>(TcpState::kCount); ++s) {
    EXPECT_TRUE(seen.count(static_cast<TcpState>(s))) << name_of(static_cast<TcpState>(s));
  }
}

TEST(Rfc7323, WindowScalingAllowsMoreThan64KInFlight) {
  TcpTunables t;
  t.recvspace = 1 << 20;
  t.sendspace = 1 << 20;
  TcpPair net({.delay = 5ms}, t, t);
  net.record = true;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto ia = net.a().info(c->client);
  ASSERT_TRUE(ia);
  EXPECT_EQ(ia->rcv_wscale, 5);  // 65535 << 5 >= 1 MiB
  EXPECT_EQ(ia->snd_wscale, 5);
  auto data = pattern(4 << 20, 4);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 60s), data);
  uint32_t max_flight = 0;
  wire::SeqNum highest;
  bool have = false;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.len > 0) {
      if (!have || w.seq + w.len > highest) highest = w.seq + w.len;
      have = true;
    }
    if (w.from == 1 && have && w.flags.ack()) max_flight = std::max<uint32_t>(max_flight, highest - w.ack);
  }
  EXPECT_GT(max_flight, 65535u);
}

TEST(Rfc9293, MssOptionAndTcpMaxseg) {
  TcpPair net;
  net.record = true;
  auto l = net.b().open();
  ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
  ASSERT_TRUE(net.b().setsockopt(*l, SockOpt::kMaxSeg, 500));
  ASSERT_TRUE(net.b().listen(*l, 4));
  auto s = net.a().open();
  ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 80}));
  std::optional<SocketId> srv;
  net.run_until([&] {
    if (!srv) {
      auto r = net.b().accept(*l);
      if (r) srv = *r;
    }
    return srv.has_value();
  }, 5s);
  ASSERT_TRUE(srv);
  auto data = pattern(20000, 5);
  EXPECT_EQ(net.transfer(0, *s, *srv, data, 10s), data);
  for (const auto& w : net.wire_log) {
    if (w.from == 1 && w.flags.syn()) {
      EXPECT_EQ(w.options.mss, 500);
    }
    if (w.from == 0) {
      EXPECT_LE(w.len, 500u - 12u);
    }
  }
}

TEST(Rfc9293, ZeroCopySendMbufSharesStorage) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto data = pattern(100000, 6);
  ASSERT_TRUE(net.a().setsockopt(c->client, SockOpt::kSndBuf, 200000));
  core::PacketPtr chain = net.pool.alloc_copy(data);
  ASSERT_TRUE(chain);
  const uint64_t copies_before = net.pool.stats().copies;
  auto r = net.a().send_mbuf(c->client, chain);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, data.size());
  EXPECT_FALSE(chain);
  std::vector<uint8_t> got;
  std::vector<uint8_t> buf(8192);
  net.run_until([&] {
    for (;;) {
      auto n = net.b().recv(c->server, buf);
      if (!n || *n == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    return got.size() == data.size();
  }, 10s);
  EXPECT_EQ(got, data);
  EXPECT_EQ(net.pool.stats().copies, copies_before);  // no payload copy on the way
}

TEST(Rfc9293, RecvMbufHandsOutChains) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto data = pattern(10000, 7);
  ASSERT_TRUE(net.a().send(c->client, data));
  net.run_for(100ms);
  std::vector<uint8_t> got;
  for (;;) {
    auto r = net.b().recv_mbuf(c->server, 3000);
    if (!r || !*r) break;
    std::vector<uint8_t> part((*r)->pkt_len);
    core::Mbuf(**r).copy_data(0, part);
    EXPECT_LE(part.size(), 3000u);
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, data);
}

struct ImpairCase {
  const char* name;
  Impairment imp;
  CongestionAlgo cc;
};

class BulkUnderImpairment : public ::testing::TestWithParam<ImpairCase> {};

TEST_P(BulkUnderImpairment, ByteExactIntegrity) {
  const ImpairCase& p = GetParam();
  TcpTunables t;
  t.cc_algorithm = static_cast<uint32_t>(p.cc);
  TcpPair net(p.imp, t, t);
  auto c = net.connect_pair(80, 120s);
  ASSERT_TRUE(c.has_value());
  auto data = pattern(1 << 20, 42);
  auto got = net.transfer(0, c->client, c->server, data, 600s);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  if (p.imp.corrupt > 0) {
    EXPECT_GT(net.corrupted(), 0u);
    EXPECT_GT(net.a().stats().dropped[TcpDropReason::kBadChecksum] +
                  net.b().stats().dropped[TcpDropReason::kBadChecksum],
              0u);
  }
  if (p.imp.loss > 0) {
    EXPECT_GT(net.a().stats().sndrexmitpack, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Impairments, BulkUnderImpairment,
    ::testing::Values(ImpairCase{"loss2_newreno", {.loss = 0.02, .seed = 11}, CongestionAlgo::kNewReno},
                      ImpairCase{"loss2_cubic", {.loss = 0.02, .seed = 12}, CongestionAlgo::kCubic},
                      ImpairCase{"reorder", {.reorder = 0.05, .seed = 13}, CongestionAlgo::kCubic},
                      ImpairCase{"duplicate", {.duplicate = 0.05, .seed = 14}, CongestionAlgo::kNewReno},
                      ImpairCase{"delay50ms", {.delay = 50ms, .seed = 15}, CongestionAlgo::kCubic},
                      ImpairCase{"corrupt", {.corrupt = 0.02, .seed = 16}, CongestionAlgo::kNewReno},
                      ImpairCase{"everything",
                                 {.loss = 0.01, .duplicate = 0.01, .reorder = 0.02, .corrupt = 0.01,
                                  .delay = 10ms, .seed = 17},
                                 CongestionAlgo::kCubic}),
    [](const ::testing::TestParamInfo<ImpairCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace vnetref::inet::tcp

namespace vnetref::inet::tcp {
namespace {

// Both directions at once over a harsh link, many seeds: data and ACKs share
// segments, losses hit both, and every byte must still arrive exactly once in order.
class BidirectionalSoak : public ::testing::TestWithParam<uint64_t> {};

TEST_P(BidirectionalSoak, BothStreamsByteExact) {
  const uint64_t seed = GetParam();
  TcpTunables t;
  t.cc_algorithm = static_cast<uint32_t>(seed % 2 == 0 ? CongestionAlgo::kCubic : CongestionAlgo::kNewReno);
  t.sack_enable = seed % 3 == 0 ? 0 : 1;
  t.rfc1323 = seed % 5 == 0 ? 0 : 1;
  testing::Impairment imp{.loss = 0.05, .duplicate = 0.03, .reorder = 0.05, .corrupt = 0.02,
                          .delay = std::chrono::milliseconds(1 + seed % 7), .seed = seed};
  testing::TcpPair net(imp, t, t);
  auto c = net.connect_pair(80, 300s);
  ASSERT_TRUE(c.has_value());
  auto ab = testing::pattern(300000, seed * 2 + 1);
  auto ba = testing::pattern(200000, seed * 2 + 2);
  size_t sent_ab = 0, sent_ba = 0;
  std::vector<uint8_t> got_ab, got_ba;
  std::vector<uint8_t> buf(65536);
  auto pump = [&](TcpStack& tx, SocketId s, const std::vector<uint8_t>& d, size_t& sent) {
    while (sent < d.size()) {
      auto r = tx.send(s, std::span<const uint8_t>(d).subspan(sent));
      if (!r || *r == 0) break;
      sent += *r;
    }
  };
  auto drain = [&](TcpStack& rx, SocketId s, std::vector<uint8_t>& got) {
    for (;;) {
      auto r = rx.recv(s, buf);
      if (!r || *r == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
    }
  };
  net.run_until([&] {
    pump(net.a(), c->client, ab, sent_ab);
    pump(net.b(), c->server, ba, sent_ba);
    drain(net.b(), c->server, got_ab);
    drain(net.a(), c->client, got_ba);
    return got_ab.size() >= ab.size() && got_ba.size() >= ba.size();
  }, 1200s);
  EXPECT_TRUE(got_ab == ab) << "seed " << seed << " got " << got_ab.size();
  EXPECT_TRUE(got_ba == ba) << "seed " << seed << " got " << got_ba.size();
  // Orderly close of both directions afterwards.
  ASSERT_TRUE(net.a().close(c->client));
  ASSERT_TRUE(net.b().close(c->server));
  net.run_for(600s);
  EXPECT_EQ(net.a().connection_count(), 0u);
  EXPECT_EQ(net.b().connection_count(), 0u);
  EXPECT_EQ(net.pool.stats().in_use, 0u);  // nothing leaked
}

INSTANTIATE_TEST_SUITE_P(Seeds, BidirectionalSoak, ::testing::Range<uint64_t>(1, 21));

}  // namespace
}  // namespace vnetref::inet::tcp
