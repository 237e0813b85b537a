// ICMP (RFC 792, RFC 1122 3.2.2 rules, rate limit) and UDP (RFC 768 sockets,
// checksum, port unreachable), between two instances and against a scripted peer.
#include <gtest/gtest.h>

#include "stack/inet/test_util.h"

namespace vnetref::inet::testing {
namespace {

using wire::EthernetHeader;
using wire::FrameBuilder;
using wire::Ipv4Header;

class IcmpUdp : public TwoNodes {};

TEST_F(IcmpUdp, Rfc792EchoReplyCarriesIdentSeqAndData) {
  build();
  std::vector<EchoReply> replies;
  a->stack.set_echo_reply_handler([&](const EchoReply& r) { replies.push_back(r); });
  for (uint16_t seq = 1; seq <= 3; ++seq) ASSERT_TRUE(a->stack.send_echo_request(ipu("10.0.0.2"), 0x77, seq, 100));
  run(10ms);
  ASSERT_EQ(replies.size(), 3u);
  for (uint16_t i = 0; i < 3; ++i) {
    EXPECT_EQ(replies[i].from, ipu("10.0.0.2"));
    EXPECT_EQ(replies[i].ident, 0x77);
    EXPECT_EQ(replies[i].seq, i + 1);
    EXPECT_EQ(replies[i].payload_len, 100u);
    EXPECT_TRUE(replies[i].payload_matches);
  }
  EXPECT_EQ(b->stack.icmp_stats().echo_replies_out, 3u);
}

TEST_F(IcmpUdp, Rfc792EchoOfFragmentedRequest) {
  build();
  std::vector<EchoReply> replies;
  a->stack.set_echo_reply_handler([&](const EchoReply& r) { replies.push_back(r); });
  ASSERT_TRUE(a->stack.send_echo_request(ipu("10.0.0.2"), 1, 1, 4000));
  run(10ms);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].payload_len, 4000u);
  EXPECT_TRUE(replies[0].payload_matches);
  EXPECT_GE(b->stack.ip_stats().fragments_out, 3u);  // the reply was fragmented too
}

TEST_F(IcmpUdp, Rfc1122PortUnreachableReachesConnectedSocket) {
  build();
  auto s = *a->stack.udp().open();
  ASSERT_TRUE(a->stack.udp().connect(s, {ipu("10.0.0.2"), 9999}));
  uint8_t p[4] = {1, 2, 3, 4};
  ASSERT_TRUE(a->stack.udp().send(s, p));
  run(10ms);
  EXPECT_EQ(b->stack.udp().stats().port_unreachable_sent, 1u);
  EXPECT_EQ(a->stack.icmp_stats().errors_in, 1u);
  EXPECT_TRUE(a->stack.udp().poll(s) & PollEvents::kErr);
  uint8_t buf[8];
  auto r = a->stack.udp().recv_from(s, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SocketError::kConnectionRefused);
  EXPECT_FALSE(a->stack.udp().take_error(s).has_value());  // reported once
}

TEST_F(IcmpUdp, UnconnectedSocketIgnoresAsynchronousErrors) {
  build();
  auto s = *a->stack.udp().open();
  uint8_t p[4] = {1, 2, 3, 4};
  ASSERT_TRUE(a->stack.udp().send_to(s, p, {ipu("10.0.0.2"), 9999}));
  run(10ms);
  EXPECT_EQ(a->stack.icmp_stats().errors_in, 1u);
  EXPECT_FALSE(a->stack.udp().take_error(s).has_value());
}

TEST_F(IcmpUdp, Rfc768DatagramsBothWaysWithSourceAddress) {
  build();
  Udp& ua = a->stack.udp();
  Udp& ub = b->stack.udp();
  auto sa = *ua.open();
  auto sb = *ub.open();
  ASSERT_TRUE(ua.bind(sa, {0, 1111}));
  ASSERT_TRUE(ub.bind(sb, {ipu("10.0.0.2"), 2222}));
  int events = 0;
  ub.set_callback(sb, [&](UdpSocketId) { ++events; });
  std::vector<uint8_t> msg = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(ua.send_to(sa, msg, {ipu("10.0.0.2"), 2222}));
  run(5ms);
  EXPECT_EQ(events, 1);
  uint8_t buf[64];
  SockAddr from;
  auto n = ub.recv_from(sb, buf, &from);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + *n), msg);
  EXPECT_EQ(from, (SockAddr{ipu("10.0.0.1"), 1111}));
  ASSERT_TRUE(ub.send_to(sb, std::vector<uint8_t>{'o', 'k'}, from));
  run(5ms);
  n = ua.recv_from(sa, buf, &from);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(from, (SockAddr{ipu("10.0.0.2"), 2222}));
  EXPECT_EQ(ua.recv_from(sa, buf).error(), SocketError::kWouldBlock);
}

TEST_F(IcmpUdp, Rfc768CorruptedDatagramsNeverReachTheApplication) {
  link::ImpairmentConfig c;
  c.corrupt = 0.5;
  build(c, 99);
  auto rx = *b->stack.udp().open();
  ASSERT_TRUE(b->stack.udp().bind(rx, {0, 3000}));
  ASSERT_TRUE(b->stack.udp().setsockopt(rx, UdpOpt::kRcvBuf, 1 << 20));
  auto tx = *a->stack.udp().open();
  // Static ARP so corrupted ARP frames cannot stall the test.
  ASSERT_TRUE(a->stack.arp().add_static(a->ifindex, ipu("10.0.0.2"), mac(2)));
  int good = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> p(64, static_cast<uint8_t>(i));
    ASSERT_TRUE(a->stack.udp().send_to(tx, p, {ipu("10.0.0.2"), 3000}));
    run(1ms);
    uint8_t buf[128];
    while (auto n = b->stack.udp().recv_from(rx, buf)) {
      ASSERT_EQ(*n, 64u);
      EXPECT_TRUE(std::all_of(buf + 1, buf + 64, [&](uint8_t x) { return x == buf[0]; }));
      ++good;
    }
  }
  const auto& st = link_->stats(0);
  EXPECT_GT(st.corrupted, 50u);
  // Every corrupted frame was caught somewhere (Ethernet, IP or UDP checks) or hit
  // bytes nobody reads (padding); nothing corrupted was delivered (checked above).
  EXPECT_GE(good, 200 - static_cast<int>(st.corrupted));
  EXPECT_GT(b->stack.drops().total(), 0u);
}

TEST_F(IcmpUdp, UdpLossIsReproducibleFromTheSeed) {
  auto run_once = [](uint64_t seed) {
    core::VirtualClock clock;
    core::TimerWheel wheel(clock);
    link::ImpairmentConfig c;
    c.loss = 0.2;
    c.reorder = 0.1;
    c.delay = 1ms;
    link::ImpairedLink l(wheel, c, seed);
    Node a("a", clock, wheel), b("b", clock, wheel);
    a.ifindex = *a.stack.add_interface({"vmk0", mac(1), 1500, std::nullopt, 0});
    b.ifindex = *b.stack.add_interface({"vmk0", mac(2), 1500, std::nullopt, 0});
    EXPECT_TRUE(a.stack.attach(a.ifindex, l.a()));
    EXPECT_TRUE(b.stack.attach(b.ifindex, l.b()));
    EXPECT_TRUE(a.stack.add_address(a.ifindex, ip("10.0.0.1"), 24));
    EXPECT_TRUE(b.stack.add_address(b.ifindex, ip("10.0.0.2"), 24));
    EXPECT_TRUE(a.stack.arp().add_static(a.ifindex, ipu("10.0.0.2"), mac(2)));
    auto rx = *b.stack.udp().open();
    EXPECT_TRUE(b.stack.udp().bind(rx, {0, 3000}));
    auto tx = *a.stack.udp().open();
    std::vector<uint8_t> order;
    for (int i = 0; i < 100; ++i) {
      uint8_t p[1] = {static_cast<uint8_t>(i)};
      EXPECT_TRUE(a.stack.udp().send_to(tx, p, {ipu("10.0.0.2"), 3000}));
      core::advance_virtual_time_by(clock, wheel, 1ms);
      uint8_t buf[4];
      while (auto n = b.stack.udp().recv_from(rx, buf)) order.push_back(buf[0]);
    }
    core::advance_virtual_time_by(clock, wheel, 1s);
    uint8_t buf[4];
    while (auto n = b.stack.udp().recv_from(rx, buf)) order.push_back(buf[0]);
    return order;
  };
  auto r1 = run_once(5), r2 = run_once(5), r3 = run_once(6);
  EXPECT_EQ(r1, r2);
  EXPECT_NE(r1, r3);
  EXPECT_LT(r1.size(), 95u);
  EXPECT_GT(r1.size(), 60u);
}

TEST_F(IcmpUdp, SocketApiErrorsAreTyped) {
  build();
  Udp& u = a->stack.udp();
  auto s1 = *u.open();
  auto s2 = *u.open();
  ASSERT_TRUE(u.bind(s1, {0, 4000}));
  EXPECT_EQ(u.bind(s2, {0, 4000}).error(), SocketError::kAddressInUse);
  EXPECT_EQ(u.bind(s2, {ipu("10.9.9.9"), 4001}).error(), SocketError::kAddressNotAvailable);
  EXPECT_EQ(u.send(s2, std::vector<uint8_t>{1}).error(), SocketError::kNotConnected);
  EXPECT_EQ(u.send_to(s2, std::vector<uint8_t>{1}, {0xffffffffu, 9}).error(), SocketError::kPermissionDenied);
  ASSERT_TRUE(u.setsockopt(s2, UdpOpt::kBroadcast, 1));
  EXPECT_TRUE(u.send_to(s2, std::vector<uint8_t>{1}, {0xffffffffu, 9}));
  std::vector<uint8_t> big(9217);
  EXPECT_EQ(u.send_to(s2, big, {ipu("10.0.0.2"), 9}).error(), SocketError::kMessageTooBig);  // udp.maxdgram
  ASSERT_TRUE(u.close(s1));
  EXPECT_EQ(u.send_to(s1, std::vector<uint8_t>{1}, {ipu("10.0.0.2"), 9}).error(), SocketError::kBadDescriptor);
  auto s3 = *u.open();  // reuses s1's slot with a new generation
  EXPECT_EQ(s3.index, s1.index);
  EXPECT_NE(s3.generation, s1.generation);
  EXPECT_TRUE(u.bind(s3, {0, 4000}));  // the port was released by close
}

TEST_F(IcmpUdp, ReusePortSharesAndBroadcastReachesEverySharer) {
  build();
  Udp& u = b->stack.udp();
  auto s1 = *u.open();
  auto s2 = *u.open();
  ASSERT_TRUE(u.setsockopt(s1, UdpOpt::kReusePort, 1));
  ASSERT_TRUE(u.setsockopt(s2, UdpOpt::kReusePort, 1));
  ASSERT_TRUE(u.bind(s1, {0, 67}));
  ASSERT_TRUE(u.bind(s2, {0, 67}));
  auto tx = *a->stack.udp().open();
  ASSERT_TRUE(a->stack.udp().setsockopt(tx, UdpOpt::kBroadcast, 1));
  ASSERT_TRUE(a->stack.udp().send_to(tx, std::vector<uint8_t>{1, 2}, {0xffffffffu, 67}));
  ASSERT_TRUE(a->stack.udp().send_to(tx, std::vector<uint8_t>{3}, {ipu("10.0.0.255"), 67}));
  run(5ms);
  EXPECT_EQ(u.queued_datagrams(s1), 2u);
  EXPECT_EQ(u.queued_datagrams(s2), 2u);
  EXPECT_EQ(b->stack.udp().stats().port_unreachable_sent, 0u);
}

TEST_F(IcmpUdp, ReceiveBufferIsBoundedAndCounted) {
  build();
  auto rx = *b->stack.udp().open();
  ASSERT_TRUE(b->stack.udp().bind(rx, {0, 3000}));
  ASSERT_TRUE(b->stack.udp().setsockopt(rx, UdpOpt::kRcvBuf, 1000));
  auto tx = *a->stack.udp().open();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(a->stack.udp().send_to(tx, std::vector<uint8_t>(300), {ipu("10.0.0.2"), 3000}));
  run(5ms);
  EXPECT_EQ(b->stack.udp().queued_datagrams(rx), 3u);
  EXPECT_EQ(b->stack.drops()[InetDrop::kUdpRecvBufFull], 7u);
}

TEST_F(IcmpUdp, SendMbufToIsZeroCopyAndRecvMbufHandsTheChain) {
  build();
  auto rx = *b->stack.udp().open();
  ASSERT_TRUE(b->stack.udp().bind(rx, {0, 3000}));
  auto tx = *a->stack.udp().open();
  core::PacketPtr p = a->pool.alloc();
  ASSERT_TRUE(core::mbuf::append(p, std::vector<uint8_t>(100, 0x5a), a->pool));
  const uint8_t* payload_bytes = p->data();
  const auto copies_before = a->pool.stats().copies;
  ASSERT_TRUE(a->stack.udp().send_mbuf_to(tx, p, {ipu("10.0.0.2"), 3000}));
  EXPECT_FALSE(p);  // consumed
  EXPECT_EQ(a->pool.stats().copies, copies_before);
  run(5ms);
  SockAddr from;
  auto m = b->stack.udp().recv_mbuf(rx, &from);
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)->pkt_len, 100u);
  EXPECT_EQ((*m)->data()[0], 0x5a);
  (void)payload_bytes;
}

TEST_F(IcmpUdp, Rfc1122NoIcmpErrorAboutBroadcastsOrIcmpErrors) {
  build();
  auto tx = *a->stack.udp().open();
  ASSERT_TRUE(a->stack.udp().setsockopt(tx, UdpOpt::kBroadcast, 1));
  ASSERT_TRUE(a->stack.udp().send_to(tx, std::vector<uint8_t>{1}, {0xffffffffu, 9999}));
  run(5ms);
  EXPECT_EQ(b->stack.icmp_stats().errors_out, 0u);
  // An ICMP error quoting an ICMP error: silently dropped, never answered.
  ScriptedPeer peer(a->pool);
  Node n("n", clock, wheel);
  auto idx = *n.stack.add_interface({"vmk0", mac(5), 1500, std::nullopt, 0});
  ASSERT_TRUE(n.stack.attach(idx, peer));
  ASSERT_TRUE(n.stack.add_address(idx, ip("10.0.5.1"), 24));
  peer.sent.clear();
  std::vector<uint8_t> inner(28);
  Ipv4Header q;
  q.src = ip("10.0.5.1");
  q.dst = ip("10.0.5.9");
  q.protocol = 1;
  q.payload_len = 8;
  ASSERT_TRUE(q.emit(inner));
  inner[20] = wire::icmp_type::kDestUnreachable;  // the quoted packet is itself an error
  EthernetHeader e;
  e.dst = mac(5);
  e.src = mac(9);
  Ipv4Header h;
  h.src = ip("10.0.5.9");
  h.dst = ip("10.0.5.1");
  h.protocol = 77;  // unknown protocol would normally draw a protocol unreachable...
  h.fragment_offset = 10;  // ...but not for a non-first fragment (RFC 1122 3.2.2)
  h.more_fragments = false;
  ASSERT_TRUE(n.stack.arp().add_static(idx, ipu("10.0.5.9"), mac(9)));
  peer.inject(FrameBuilder::ipv4_raw(e, h, inner));
  run(31s);  // also lets the lonely fragment time out: no first fragment, no report
  EXPECT_EQ(n.stack.icmp_stats().errors_out, 0u);
  for (const auto& f : peer.sent) EXPECT_NE(EthernetHeader::parse(f)->ethertype, 0x0800);
}

TEST_F(IcmpUdp, IcmpErrorsAndEchoRepliesAreRateLimited) {
  build();
  ASSERT_TRUE(b->stack.tunables().set("net.inet.icmp.icmplim", 5));
  ASSERT_TRUE(a->stack.arp().add_static(a->ifindex, ipu("10.0.0.2"), mac(2)));
  ASSERT_TRUE(b->stack.arp().add_static(b->ifindex, ipu("10.0.0.1"), mac(1)));
  auto tx = *a->stack.udp().open();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(a->stack.udp().send_to(tx, std::vector<uint8_t>{1}, {ipu("10.0.0.2"), 9}));
  run(5ms);
  EXPECT_EQ(b->stack.icmp_stats().errors_out, 5u);
  EXPECT_EQ(b->stack.drops()[InetDrop::kIcmpRateLimited], 15u);
  run(1s);  // a new one-second window
  ASSERT_TRUE(a->stack.udp().send_to(tx, std::vector<uint8_t>{1}, {ipu("10.0.0.2"), 9}));
  run(5ms);
  EXPECT_EQ(b->stack.icmp_stats().errors_out, 6u);
  for (uint16_t i = 0; i < 10; ++i) ASSERT_TRUE(a->stack.send_echo_request(ipu("10.0.0.2"), 1, i, 8));
  run(5ms);
  EXPECT_EQ(b->stack.icmp_stats().echo_replies_out, 5u);
}

TEST_F(IcmpUdp, BroadcastEchoIgnoredUnlessBmcastecho) {
  build();
  ASSERT_TRUE(a->stack.send_echo_request(0xffffffffu, 1, 1, 8));
  run(5ms);
  EXPECT_EQ(b->stack.icmp_stats().echo_replies_out, 0u);
  ASSERT_TRUE(b->stack.tunables().set("net.inet.icmp.bmcastecho", 1));
  ASSERT_TRUE(a->stack.send_echo_request(0xffffffffu, 1, 2, 8));
  run(5ms);
  EXPECT_EQ(b->stack.icmp_stats().echo_replies_out, 1u);
}

}  // namespace
}  // namespace vnetref::inet::testing
