// More RFC 9293 corner cases, a scripted peer for sequence-number wrap-around, and
// the socket options that change segment-level behaviour (SO_LINGER, RFC 1191 MSS).
#include <gtest/gtest.h>

#include "stack/inet/tcp/testing/tcp_harness.h"

namespace vnetref::inet::tcp {
namespace {

using testing::pattern;
using testing::TcpPair;
using wire::SeqNum;
using wire::TcpFlags;
using wire::TcpHeader;
using namespace std::chrono_literals;

// B listens on port 80; the test plays the client from A's address by hand. Whatever
// B sends is recorded and kept off the wire (A's stack would answer it with RSTs).
struct ScriptedClient {
  TcpPair net;
  SocketId listener{};
  explicit ScriptedClient(TcpTunables tb = {}) : net({}, {}, tb) {
    net.record = true;
    net.filter = [](int from, core::PacketPtr&, IpMeta&) { return from != 1; };
    listener = *net.b().open();
    EXPECT_TRUE(net.b().bind(listener, Endpoint{0, 80}));
    EXPECT_TRUE(net.b().listen(listener, 4));
  }
  TcpHeader seg(SeqNum seq, SeqNum ack, uint16_t flags) {
    TcpHeader h;
    h.src_port = 5555;
    h.dst_port = 80;
    h.seq = seq;
    h.ack = ack;
    h.flags = TcpFlags{flags};
    h.window = 65535;
    return h;
  }
  const testing::WireSegment* last_from_b() const {
    for (auto it = net.wire_log.rbegin(); it != net.wire_log.rend(); ++it) {
      if (it->from == 1) return &*it;
    }
    return nullptr;
  }
  size_t count_from_b(uint16_t flags) const {
    size_t n = 0;
    for (const auto& w : net.wire_log) {
      if (w.from == 1 && (w.flags.bits & flags) == flags) ++n;
    }
    return n;
  }
};

TEST(Rfc9293, SequenceNumbersWrapAround) {
  ScriptedClient s;
  const SeqNum isn(0xfffffc00u);  // the client's data crosses 2^32 after 1 KiB
  s.net.inject(1, s.seg(isn, SeqNum(0), TcpFlags::kSyn));
  const auto* synack = s.last_from_b();
  ASSERT_NE(synack, nullptr);
  ASSERT_TRUE(synack->flags.syn() && synack->flags.ack());
  EXPECT_EQ(synack->ack, isn + 1);
  const SeqNum b_iss = synack->seq;
  s.net.inject(1, s.seg(isn + 1, b_iss + 1, TcpFlags::kAck));
  auto srv = s.net.b().accept(s.listener);
  ASSERT_TRUE(srv);
  auto data = pattern(6000, 77);
  // Send in 1000-byte pieces, the third one out of order, across the wrap.
  const int order[] = {0, 1, 3, 2, 4, 5};
  for (int k : order) {
    auto h = s.seg(isn + 1 + static_cast<uint32_t>(1000 * k), b_iss + 1, TcpFlags::kAck);
    h.payload = std::span<const uint8_t>(data).subspan(1000 * k, 1000);
    s.net.inject(1, h);
  }
  std::vector<uint8_t> got(8000);
  auto n = s.net.b().recv(*srv, got);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, data.size());
  got.resize(*n);
  EXPECT_EQ(got, data);
  EXPECT_EQ(s.net.b().info(*srv)->rcv_nxt, (isn + 1 + 6000).raw());
  EXPECT_LT(s.net.b().info(*srv)->rcv_nxt, 0x2000u);  // wrapped
  EXPECT_EQ(s.net.b().stats().rcvoopack, 1u);
}

TEST(Rfc9293, RetransmittedSynGetsTheSynAckAgain) {
  ScriptedClient s;
  s.net.inject(1, s.seg(SeqNum(1000), SeqNum(0), TcpFlags::kSyn));
  s.net.inject(1, s.seg(SeqNum(1000), SeqNum(0), TcpFlags::kSyn));
  EXPECT_EQ(s.count_from_b(TcpFlags::kSyn | TcpFlags::kAck), 2u);
  EXPECT_EQ(s.net.b().socket_count(), 2u);  // still one embryonic connection
  // And the SYN-ACK is retransmitted by its timer until the limit, then given up.
  s.net.run_for(60s);
  EXPECT_EQ(s.count_from_b(TcpFlags::kSyn | TcpFlags::kAck), 2u + 3u);  // syncache.rexmtlimit
  EXPECT_EQ(s.net.b().socket_count(), 1u);
}

TEST(Rfc9293, ListenOverflowDropsSynsWhileTheAcceptQueueIsFull) {
  TcpPair net;
  auto l = net.b().open();
  ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
  ASSERT_TRUE(net.b().listen(*l, 2));
  std::vector<SocketId> clients;
  for (int i = 0; i < 4; ++i) {
    auto s = net.a().open();
    ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 80}));
    // Queued until the handshake is done; its retransmissions re-present the SYN
    // cookie to the listener once the accept queue has room again.
    uint8_t b = static_cast<uint8_t>(i);
    ASSERT_TRUE(net.a().send(*s, std::span<const uint8_t>(&b, 1)));
    clients.push_back(*s);
  }
  net.run_for(500ms);
  EXPECT_GT(net.b().stats().dropped[TcpDropReason::kListenOverflow], 0u);
  // Accepting makes room; the others get in on their SYN retransmissions.
  int accepted = 0;
  net.run_until([&] {
    while (net.b().accept(*l)) ++accepted;
    return accepted == 4;
  }, 30s);
  EXPECT_EQ(accepted, 4);
}

TEST(Rfc9293, HalfCloseKeepsReceiving) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(net.a().shutdown(c->client, Shutdown::kWrite));
  net.run_for(50ms);
  EXPECT_EQ(net.a().state(c->client), TcpState::kFinWait2);
  uint8_t b = 0;
  auto r = net.a().send(c->client, std::span<const uint8_t>(&b, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), TcpError::kBrokenPipe);
  auto data = pattern(200000, 5);
  EXPECT_EQ(net.transfer(1, c->server, c->client, data, 10s), data);  // B -> A still flows
  EXPECT_EQ(net.a().state(c->client), TcpState::kFinWait2);
}

TEST(Rfc9293, TimeWaitAcksARetransmittedFinAndRestartsTheTimer) {
  TcpTunables t;
  t.msl_ms = 1000;
  TcpPair net({}, t, t);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(net.a().shutdown(c->client, Shutdown::kWrite));
  net.run_for(10ms);
  net.record = true;
  // Lose A's final ACK once: B retransmits its FIN, A (in TIME_WAIT) ACKs it again.
  int dropped = 0;
  net.filter = [&](int from, core::PacketPtr&, IpMeta&) { return !(from == 0 && dropped++ == 0); };
  ASSERT_TRUE(net.b().shutdown(c->server, Shutdown::kWrite));
  net.run_until([&] { return net.a().state(c->client) == TcpState::kTimeWait; }, 1s);
  ASSERT_EQ(net.a().state(c->client), TcpState::kTimeWait);
  const core::Instant entered = net.clock.now();
  net.run_until([&] { return net.b().connection_count() == 0; }, 10s);
  EXPECT_EQ(net.b().connection_count(), 0u);  // B got the second ACK and closed
  const core::Instant restarted = net.clock.now();
  EXPECT_GT(restarted - entered, 100ms);  // B's FIN retransmission needed an RTO
  net.run_until([&] { return net.a().connection_count() == 0; }, 10s);
  // 2 MSL counted from the retransmitted FIN, not from entering TIME_WAIT.
  EXPECT_GE(net.clock.now() - entered, 2s + (restarted - entered) - 20ms);
  size_t fin_acks = 0;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.flags.ack() && w.len == 0 && !w.flags.fin()) ++fin_acks;
  }
  EXPECT_GE(fin_acks, 2u);
}

TEST(Rfc9293, ClosingAListenerResetsItsPendingConnections) {
  TcpPair net;
  auto l = net.b().open();
  ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
  ASSERT_TRUE(net.b().listen(*l, 4));
  auto s = net.a().open();
  ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 80}));
  net.run_for(50ms);
  EXPECT_EQ(net.a().state(*s), TcpState::kEstablished);  // in B's accept queue
  ASSERT_TRUE(net.b().close(*l));
  net.run_for(50ms);
  EXPECT_EQ(net.a().state(*s), TcpState::kClosed);
  EXPECT_EQ(net.a().take_error(*s), TcpError::kConnectionReset);
  EXPECT_EQ(net.b().socket_count(), 0u);
}

TEST(Rfc9293, DataWrittenDuringTheHandshakeFollowsIt) {
  TcpPair net({.delay = 10ms});
  auto l = net.b().open();
  ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
  ASSERT_TRUE(net.b().listen(*l, 4));
  auto s = net.a().open();
  ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 80}));
  auto data = pattern(5000, 6);
  auto r = net.a().send(*s, data);  // SYN_SENT: queued
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, data.size());
  std::optional<SocketId> srv;
  std::vector<uint8_t> got(8000);
  size_t n = 0;
  net.run_until([&] {
    if (!srv) {
      auto a = net.b().accept(*l);
      if (a) srv = *a;
    }
    if (srv) {
      auto x = net.b().recv(*srv, std::span<uint8_t>(got).subspan(n));
      if (x) n += *x;
    }
    return n == data.size();
  }, 5s);
  got.resize(n);
  EXPECT_EQ(got, data);
}

TEST(Rfc7323, NoScalingOrTimestampsWhenThePeerDoesNotOfferThem) {
  TcpTunables off;
  off.rfc1323 = 0;
  off.sack_enable = 0;
  TcpPair net({}, {}, off);
  net.record = true;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto ia = net.a().info(c->client);
  EXPECT_FALSE(ia->timestamps);
  EXPECT_FALSE(ia->sack);
  EXPECT_EQ(ia->snd_wscale, 0);
  EXPECT_EQ(ia->rcv_wscale, 0);
  EXPECT_EQ(ia->mss, 1460u);
  for (const auto& w : net.wire_log) {
    if (w.from == 1) {
      EXPECT_FALSE(w.options.window_scale.has_value());
      EXPECT_FALSE(w.options.timestamps.has_value());
    }
  }
  auto data = pattern(300000, 8);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 10s), data);
}

TEST(Rfc1191, FragmentationNeededLowersTheMssAndResends) {
  TcpPair net({.delay = 5ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.record = true;
  auto data = pattern(50000, 9);
  ASSERT_TRUE(net.a().setsockopt(c->client, SockOpt::kSndBuf, 65536));
  auto sent = net.a().send(c->client, data);
  ASSERT_TRUE(sent);
  ASSERT_EQ(*sent, data.size());
  auto info = net.a().info(c->client);
  // A router on the path reports MTU 1000 for the first segment.
  IcmpErrorInfo e;
  e.type = 3;
  e.code = 4;
  e.next_hop_mtu = 1000;
  e.orig_src = TcpPair::kAddrA;
  e.orig_dst = TcpPair::kAddrB;
  e.orig_sport = info->local.port;
  e.orig_dport = 80;
  e.orig_seq = info->snd_una;
  net.a().icmp_error(e);
  EXPECT_EQ(net.a().info(c->client)->mss, 1000u - 40u - 12u);
  std::vector<uint8_t> got;
  std::vector<uint8_t> buf(65536);
  net.run_until([&] {
    auto r = net.b().recv(c->server, buf);
    if (r) got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
    return got.size() == data.size();
  }, 10s);
  ASSERT_EQ(got.size(), data.size());
  size_t first_bad = 0;
  while (first_bad < got.size() && got[first_bad] == data[first_bad]) ++first_bad;
  EXPECT_EQ(first_bad, data.size());
  size_t small = 0;
  for (const auto& w : net.wire_log) {
    if (w.from == 0 && w.len > 0 && w.len <= 1000u - 40u - 12u) ++small;
  }
  EXPECT_GT(small, 0u);
  // An error quoting a sequence number not in flight is ignored (RFC 5927).
  e.next_hop_mtu = 600;
  e.orig_seq = info->snd_una - 100000;
  net.a().icmp_error(e);
  EXPECT_EQ(net.a().info(c->client)->mss, 1000u - 40u - 12u);
}

TEST(SoLinger, ZeroLingerCloseResets) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(net.a().setsockopt(c->client, SockOpt::kLingerMs, 0));
  ASSERT_TRUE(net.a().close(c->client));
  net.run_for(10ms);
  EXPECT_EQ(net.b().state(c->server), TcpState::kClosed);
  EXPECT_EQ(net.b().take_error(c->server), TcpError::kConnectionReset);
  EXPECT_EQ(net.a().connection_count(), 0u);  // no TIME_WAIT after an abortive close
}

TEST(Poll, ReadinessBitsFollowTheConnection) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(net.b().poll(c->server) & PollBits::kIn, 0u);
  EXPECT_NE(net.b().poll(c->server) & PollBits::kOut, 0u);
  uint8_t b = 1;
  ASSERT_TRUE(net.a().send(c->client, std::span<const uint8_t>(&b, 1)));
  net.run_for(10ms);
  EXPECT_NE(net.b().poll(c->server) & PollBits::kIn, 0u);
  ASSERT_TRUE(net.a().shutdown(c->client, Shutdown::kWrite));
  net.run_for(10ms);
  EXPECT_NE(net.b().poll(c->server) & PollBits::kRdHup, 0u);
  ASSERT_TRUE(net.a().abort(c->client));
  net.run_for(10ms);
  EXPECT_NE(net.b().poll(c->server) & PollBits::kErr, 0u);
}

TEST(Callbacks, MayCloseTheSocketFromInsideACallback) {
  TcpPair net;
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  int readable = 0;
  TcpCallbacks cb;
  cb.on_readable = [&](SocketId id) {
    ++readable;
    uint8_t buf[64];
    (void)net.b().recv(id, buf);
    (void)net.b().close(id);  // re-entrant: the stack defers frees until it returns
  };
  net.b().set_callbacks(c->server, cb);
  auto data = pattern(5000, 10);
  ASSERT_TRUE(net.a().send(c->client, data));
  net.run_for(1s);
  EXPECT_EQ(readable, 1);
  EXPECT_EQ(net.a().state(c->client), TcpState::kClosed);  // unread data: reset
}

}  // namespace
}  // namespace vnetref::inet::tcp

namespace vnetref::inet::tcp {
namespace {

TEST(Limits, ABufferPoolRunningDryLosesNothing) {
  // 20 slots for two stacks, their send and receive queues and the wire: sends fail
  // for lack of buffers again and again; the timers bring the transfer through.
  TcpTunables t;
  t.sendspace = 16384;
  t.recvspace = 16384;
  testing::TcpPair net({.delay = 1ms}, t, t, 20);
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  auto data = testing::pattern(200000, 11);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 600s), data);
  EXPECT_GT(net.a().stats().dropped[TcpDropReason::kNoBuffers] + net.b().stats().dropped[TcpDropReason::kNoBuffers] +
                net.pool.stats().exhausted,
            0u);
}

}  // namespace
}  // namespace vnetref::inet::tcp

namespace vnetref::inet::tcp {
namespace {

TEST(CongestionControl, SelectablePerInstanceAndPerSocket) {
  TcpTunables reno;
  reno.cc_algorithm = static_cast<uint32_t>(CongestionAlgo::kNewReno);
  testing::TcpPair net({.delay = 5ms}, reno, {});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(net.a().info(c->client)->cc, CongestionAlgo::kNewReno);  // instance A: newreno
  EXPECT_EQ(net.b().info(c->server)->cc, CongestionAlgo::kCubic);    // instance B: the default
  ASSERT_TRUE(net.a().set_congestion(c->client, "cubic"));
  EXPECT_EQ(net.a().info(c->client)->cc, CongestionAlgo::kCubic);
  auto bad = net.a().set_congestion(c->client, "bbr");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), TcpError::kInvalidArgument);
  auto v = net.a().getsockopt(c->client, SockOpt::kCongestion);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, static_cast<int64_t>(CongestionAlgo::kCubic));
  auto data = testing::pattern(300000, 12);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
}

}  // namespace
}  // namespace vnetref::inet::tcp

namespace vnetref::inet::tcp {
namespace {

TEST(Rfc1191, LocalMessageTooBigShrinksTheMss) {
  // The IP layer learned a smaller path MTU (from someone else's ICMP) and refuses
  // our DF segments with kMessageTooBig: TCP re-reads the path MTU and resends.
  testing::TcpPair net({.delay = 2ms});
  auto c = net.connect_pair(80);
  ASSERT_TRUE(c.has_value());
  net.mtu = 900;
  net.enforce_mtu = true;
  auto data = testing::pattern(100000, 13);
  EXPECT_EQ(net.transfer(0, c->client, c->server, data, 30s), data);
  EXPECT_EQ(net.a().info(c->client)->mss, 900u - 40u - 12u);
  EXPECT_GT(net.a().stats().dropped[TcpDropReason::kIpOutput], 0u);
}

}  // namespace
}  // namespace vnetref::inet::tcp
