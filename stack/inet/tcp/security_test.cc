// Robustness against blind attacks and bad input: RFC 5961 (RST, SYN and ACK
// validation with rate-limited challenge ACKs), RFC 7323 PAWS, the bounded SYN
// backlog with SYN cookies, checksum and header validation, resets on abort.
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

struct Established {
  TcpPair net;
  TcpPair::Conn c;
  explicit Established(TcpTunables t = {}) : net({}, t, t) {
    auto r = net.connect_pair(80);
    EXPECT_TRUE(r.has_value());
    c = *r;
    net.record = true;
  }
  // A segment "from A" to B's server socket, built from B's view of the connection.
  TcpHeader from_client(uint16_t flags, int32_t seq_off, int32_t ack_off = 0) {
    auto info = net.b().info(c.server);
    TcpHeader h;
    h.src_port = info->remote.port;
    h.dst_port = info->local.port;
    h.seq = SeqNum(info->rcv_nxt) + static_cast<uint32_t>(seq_off);
    h.ack = SeqNum(info->snd_nxt) + static_cast<uint32_t>(ack_off);
    h.flags = wire::TcpFlags{flags};
    h.window = 1000;
    return h;
  }
  size_t acks_from_b_since(size_t mark) {
    size_t n = 0;
    for (size_t i = mark; i < net.wire_log.size(); ++i) {
      if (net.wire_log[i].from == 1 && net.wire_log[i].flags.ack() && !net.wire_log[i].flags.rst()) ++n;
    }
    return n;
  }
};

TEST(Rfc5961, RstWithExactSequenceNumberResets) {
  Established e;
  std::optional<TcpError> err;
  TcpCallbacks cb;
  cb.on_closed = [&](SocketId, std::optional<TcpError> x) { err = x; };
  e.net.b().set_callbacks(e.c.server, cb);
  e.net.inject(1, e.from_client(TcpFlags::kRst, 0));
  EXPECT_EQ(e.net.b().state(e.c.server), TcpState::kClosed);
  EXPECT_EQ(err, TcpError::kConnectionReset);
  uint8_t buf[4];
  auto r = e.net.b().recv(e.c.server, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), TcpError::kConnectionReset);
}

TEST(Rfc5961, InWindowRstGetsAChallengeAckInsteadOfAReset) {
  Established e;
  size_t mark = e.net.wire_log.size();
  e.net.inject(1, e.from_client(TcpFlags::kRst, 100));
  EXPECT_EQ(e.net.b().state(e.c.server), TcpState::kEstablished);
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kRstChallenged], 1u);
  EXPECT_EQ(e.net.b().stats().challenge_acks, 1u);
  EXPECT_EQ(e.acks_from_b_since(mark), 1u);
  // The real peer answers the challenge ACK with nothing harmful; the connection lives on.
  e.net.run_for(100ms);
  auto data = pattern(5000, 1);
  EXPECT_EQ(e.net.transfer(0, e.c.client, e.c.server, data, 5s), data);
}

TEST(Rfc5961, OutOfWindowRstIsIgnoredSilently) {
  Established e;
  size_t mark = e.net.wire_log.size();
  e.net.inject(1, e.from_client(TcpFlags::kRst, 10000000));
  EXPECT_EQ(e.net.b().state(e.c.server), TcpState::kEstablished);
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kRstOutOfWindow], 1u);
  EXPECT_EQ(e.acks_from_b_since(mark), 0u);
}

TEST(Rfc5961, SynOnAnEstablishedConnectionGetsAChallengeAck) {
  Established e;
  size_t mark = e.net.wire_log.size();
  e.net.inject(1, e.from_client(TcpFlags::kSyn, 5));  // in window: RFC 793 would reset
  EXPECT_EQ(e.net.b().state(e.c.server), TcpState::kEstablished);
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kSynChallenged], 1u);
  EXPECT_EQ(e.acks_from_b_since(mark), 1u);
}

TEST(Rfc5961, AckOfUnsentDataIsDroppedWithAChallengeAck) {
  Established e;
  size_t mark = e.net.wire_log.size();
  auto h = e.from_client(TcpFlags::kAck, 0, 5000);
  std::vector<uint8_t> payload(10, 0xee);
  h.payload = payload;
  e.net.inject(1, h);
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kAckTooNew], 1u);
  EXPECT_EQ(e.acks_from_b_since(mark), 1u);
  uint8_t buf[16];
  EXPECT_FALSE(e.net.b().recv(e.c.server, buf));  // the payload was not accepted
}

TEST(Rfc5961, ChallengeAcksAreRateLimited) {
  Established e;
  size_t mark = e.net.wire_log.size();
  for (int i = 0; i < 20; ++i) e.net.inject(1, e.from_client(TcpFlags::kRst, 50 + i));
  EXPECT_EQ(e.acks_from_b_since(mark), 5u);  // net.inet.tcp.ack_war_maxcnt
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kChallengeRateLimit], 15u);
  e.net.run_for(1100ms);  // a new ack_war_timewindow
  mark = e.net.wire_log.size();
  e.net.inject(1, e.from_client(TcpFlags::kRst, 50));
  EXPECT_EQ(e.acks_from_b_since(mark), 1u);
}

TEST(Rfc7323, PawsDropsSegmentsWithOldTimestamps) {
  Established e;
  auto data = pattern(3000, 2);
  ASSERT_EQ(e.net.transfer(0, e.c.client, e.c.server, data, 5s), data);
  uint32_t last_tsval = 0;
  for (const auto& w : e.net.wire_log) {
    if (w.from == 0 && w.options.timestamps) last_tsval = w.options.timestamps->value;
  }
  ASSERT_NE(last_tsval, 0u);
  auto h = e.from_client(TcpFlags::kAck | TcpFlags::kPsh, 0);
  std::vector<uint8_t> payload(100, 0x55);
  h.payload = payload;
  h.options.timestamps = wire::TcpTimestamps{last_tsval - 100000, 0};  // an old duplicate
  e.net.inject(1, h);
  EXPECT_EQ(e.net.b().stats().pawsdrop, 1u);
  uint8_t buf[200];
  EXPECT_FALSE(e.net.b().recv(e.c.server, buf));
  // The same segment with a current timestamp is accepted.
  h.options.timestamps = wire::TcpTimestamps{last_tsval + 1, 0};
  e.net.inject(1, h);
  auto r = e.net.b().recv(e.c.server, buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 100u);
}

TEST(SynFlood, BacklogOverflowSwitchesToSynCookies) {
  TcpPair net;
  auto l = net.b().open();
  ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
  ASSERT_TRUE(net.b().listen(*l, 8));
  // Spoofed sources never answer (a real host would reset the SYN-ACK).
  net.filter = [](int, core::PacketPtr&, IpMeta& m) { return m.dst == TcpPair::kAddrA || m.dst == TcpPair::kAddrB; };
  // 200 spoofed SYNs from addresses that never answer.
  for (uint32_t i = 0; i < 200; ++i) {
    TcpHeader h;
    h.src_port = static_cast<uint16_t>(1000 + i);
    h.dst_port = 80;
    h.seq = SeqNum(1000000 * i);
    h.flags = wire::TcpFlags{TcpFlags::kSyn};
    h.window = 65535;
    h.options.mss = 1460;
    net.inject(1, h, 0xc6120000 + i);  // 198.18.0.0/15 benchmark addresses
  }
  const TcpStats& st = net.b().stats();
  EXPECT_EQ(st.sc_added, 8u);         // the backlog is bounded...
  EXPECT_EQ(st.sc_sendcookie, 192u);  // ...and the rest were answered statelessly
  EXPECT_LE(net.b().socket_count(), 1u + 8u);
  // A legitimate client still gets in (its handshake completes through a cookie).
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
  ASSERT_TRUE(srv.has_value());
  EXPECT_EQ(st.sc_recvcookie, 1u);
  auto data = pattern(100000, 3);
  EXPECT_EQ(net.transfer(0, *s, *srv, data, 10s), data);
  auto info = net.b().info(*srv);
  EXPECT_TRUE(info->sack);        // options survived the cookie
  EXPECT_TRUE(info->timestamps);
  EXPECT_EQ(info->snd_wscale, net.a().info(*s)->rcv_wscale);
  // The embryonic connections give up after syncache.rexmtlimit retransmissions.
  net.run_for(120s);
  EXPECT_EQ(st.sc_dropped, 8u);
  EXPECT_EQ(net.b().socket_count(), 2u);  // listener + the accepted connection
}

TEST(SynFlood, ForgedCookieAckIsRejected) {
  TcpPair net;
  auto l = net.b().open();
  ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
  ASSERT_TRUE(net.b().listen(*l, 8));
  TcpHeader h;
  h.src_port = 4444;
  h.dst_port = 80;
  h.seq = SeqNum(1234);
  h.ack = SeqNum(0xdeadbeef);
  h.flags = wire::TcpFlags{TcpFlags::kAck};
  h.window = 1000;
  net.inject(1, h);
  EXPECT_EQ(net.b().stats().dropped[TcpDropReason::kBadCookie], 1u);
  EXPECT_EQ(net.b().socket_count(), 1u);
}

TEST(Validation, BadChecksumAndShortHeadersAreDroppedAndCounted) {
  Established e;
  auto h = e.from_client(TcpFlags::kAck, 0);
  std::vector<uint8_t> buf(h.size());
  ASSERT_TRUE(h.emit(buf, wire::Ipv4Address(TcpPair::kAddrA), wire::Ipv4Address(TcpPair::kAddrB)));
  buf[16] ^= 0x40;
  e.net.inject(1, buf);
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kBadChecksum], 1u);
  e.net.inject(1, std::span<const uint8_t>(buf.data(), 12));
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kShort], 1u);
  buf[12] = 0x30;  // data offset 3 words
  e.net.inject(1, buf);
  EXPECT_EQ(e.net.b().stats().dropped[TcpDropReason::kShort], 2u);
  EXPECT_EQ(e.net.b().state(e.c.server), TcpState::kEstablished);
}

TEST(Rfc9293, AbortSendsRstAndThePeerSeesReset) {
  Established e;
  std::optional<TcpError> err;
  TcpCallbacks cb;
  cb.on_closed = [&](SocketId, std::optional<TcpError> x) { err = x; };
  e.net.b().set_callbacks(e.c.server, cb);
  ASSERT_TRUE(e.net.a().abort(e.c.client));
  e.net.run_for(100ms);
  EXPECT_EQ(err, TcpError::kConnectionReset);
  EXPECT_EQ(e.net.a().connection_count(), 0u);
  EXPECT_EQ(e.net.b().connection_count(), 0u);
}

TEST(Rfc9293, CloseWithUnreadDataResets) {
  Established e;
  auto data = pattern(1000, 4);
  ASSERT_TRUE(e.net.a().send(e.c.client, data));
  e.net.run_for(100ms);
  std::optional<TcpError> err;
  TcpCallbacks cb;
  cb.on_closed = [&](SocketId, std::optional<TcpError> x) { err = x; };
  e.net.a().set_callbacks(e.c.client, cb);
  ASSERT_TRUE(e.net.b().close(e.c.server));  // 1000 bytes never read
  e.net.run_for(100ms);
  EXPECT_EQ(err, TcpError::kConnectionReset);
}

TEST(Rfc9293, StaleHandlesAreRejected) {
  TcpPair net;
  auto s = net.a().open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(net.a().close(*s));
  uint8_t b = 0;
  auto r = net.a().send(*s, std::span<const uint8_t>(&b, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), TcpError::kBadSocket);
  auto s2 = net.a().open();
  ASSERT_TRUE(s2);
  EXPECT_EQ(s2->index, s->index);  // the slot is reused...
  EXPECT_NE(s2->generation, s->generation);  // ...under a new generation
}

TEST(Limits, MaxSocketsBoundsAccepts) {
  TcpTunables t;
  t.maxsockets = 4;
  TcpPair net({}, {}, t);
  auto l = net.b().open();
  ASSERT_TRUE(net.b().bind(*l, Endpoint{0, 80}));
  ASSERT_TRUE(net.b().listen(*l, 64));
  std::vector<SocketId> clients;
  for (int i = 0; i < 6; ++i) {
    auto s = net.a().open();
    ASSERT_TRUE(net.a().connect(*s, Endpoint{TcpPair::kAddrB, 80}));
    clients.push_back(*s);
  }
  net.run_for(200ms);
  EXPECT_LE(net.b().socket_count(), 4u);
  EXPECT_GT(net.b().stats().dropped[TcpDropReason::kSocketLimit], 0u);
}

}  // namespace
}  // namespace vnetref::inet::tcp
