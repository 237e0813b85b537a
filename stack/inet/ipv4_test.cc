// IPv4: input validation (RFC 791 / RFC 1122), routing (LPM, default gateway),
// fragmentation honouring DF, reassembly end to end, PMTUD (RFC 1191), forwarding
// TTL handling (RFC 1812), 802.1Q on an interface, loopback to own addresses.
#include <gtest/gtest.h>

#include "stack/inet/test_util.h"

namespace vnetref::inet::testing {
namespace {

using wire::EthernetHeader;
using wire::FrameBuilder;
using wire::Ipv4Header;

struct Harness : ::testing::Test {
  Harness() : node("n", clock, wheel), peer(peer_pool) {
    ifindex = *node.stack.add_interface({"vmk0", mac(1), 1500, std::nullopt, 0});
    EXPECT_TRUE(node.stack.attach(ifindex, peer));
    EXPECT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
    EXPECT_TRUE(node.stack.arp().add_static(ifindex, ipu("10.0.0.9"), mac(9)));
    EXPECT_TRUE(node.stack.arp().add_static(ifindex, ipu("10.0.0.254"), mac(254)));
    run(3s);
    peer.sent.clear();
  }
  void run(core::Duration d) { core::advance_virtual_time_by(clock, wheel, d); }
  EthernetHeader eth_to_us() const {
    EthernetHeader e;
    e.dst = mac(1);
    e.src = mac(9);
    return e;
  }
  Ipv4Header ip_hdr(const char* src = "10.0.0.9", const char* dst = "10.0.0.1") const {
    Ipv4Header h;
    h.src = ip(src);
    h.dst = ip(dst);
    h.ttl = 64;
    h.ident = 77;
    return h;
  }
  std::vector<uint8_t> udp_frame(const std::vector<uint8_t>& payload, uint16_t dport = 5000,
                                 const char* dst = "10.0.0.1") {
    return FrameBuilder::udp(eth_to_us(), ip_hdr("10.0.0.9", dst), {4000, dport, payload});
  }
  // Sent frames parsed back as (IP header view over our own copy).
  std::vector<std::vector<uint8_t>> ip_packets_sent() const {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& f : peer.sent) {
      auto eth = EthernetHeader::parse(f);
      if (!eth || eth->ethertype != 0x0800) continue;
      out.emplace_back(f.begin() + static_cast<long>(eth->header_len()), f.end());
    }
    return out;
  }

  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  core::BufferPool peer_pool{512};
  Node node;
  ScriptedPeer peer;
  uint32_t ifindex = 0;
};

TEST_F(Harness, Rfc791InputValidationCountsEachDefect) {
  auto s = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().bind(s, {0, 5000}));
  auto good = udp_frame({1, 2, 3});
  peer.inject(good);
  EXPECT_EQ(node.stack.udp().queued_datagrams(s), 1u);

  auto f = good;
  f[14] = 0x65;  // version 6
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpBadVersion), 1u);
  f = good;
  f[14] = 0x44;  // IHL 4
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpBadHeaderLength), 1u);
  f = good;
  f[16] = 0;
  f[17] = 10;  // total length below the header length
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpBadTotalLength), 1u);
  f = good;
  f[17] = static_cast<uint8_t>(f[17] + 40);  // claims more than the frame holds
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpTruncated), 1u);
  f = good;
  f[14 + 10] ^= 0x01;  // header checksum
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpBadChecksum), 1u);
  f = std::vector<uint8_t>(good.begin(), good.begin() + 14 + 12);
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpTruncated), 2u);
  EXPECT_EQ(node.stack.udp().queued_datagrams(s), 1u);  // none of the bad ones got through
}

TEST_F(Harness, Rfc1122DropsMartianSources) {
  auto s = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().bind(s, {0, 5000}));
  for (const char* src : {"255.255.255.255", "224.0.0.5", "127.0.0.1", "10.0.0.255"}) {
    peer.inject(FrameBuilder::udp(eth_to_us(), ip_hdr(src, "10.0.0.1"), {1, 5000, {}}));
  }
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpBadSource), 4u);
  EXPECT_EQ(node.stack.udp().queued_datagrams(s), 0u);
}

TEST_F(Harness, Rfc1122HostAcceptsTtlZeroAndOneForItself) {
  auto s = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().bind(s, {0, 5000}));
  for (uint8_t ttl : {0, 1}) {
    auto h = ip_hdr();
    h.ttl = ttl;
    peer.inject(FrameBuilder::udp(eth_to_us(), h, {1, 5000, {}}));
  }
  EXPECT_EQ(node.stack.udp().queued_datagrams(s), 2u);
}

TEST_F(Harness, EthernetPaddingIsTrimmedByTotalLength) {
  auto s = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().bind(s, {0, 5000}));
  auto f = udp_frame({0xaa});
  FrameBuilder::pad_to_minimum(f);
  peer.inject(f);
  uint8_t buf[16];
  auto n = node.stack.udp().recv_from(s, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
}

TEST_F(Harness, NotForUsIsDroppedWhenNotForwarding) {
  peer.inject(udp_frame({1}, 5000, "10.0.0.77"));
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpNotForUs), 1u);
  EXPECT_TRUE(peer.sent.empty());
}

TEST_F(Harness, Rfc1812ForwardingDecrementsTtlAndSendsTimeExceededAtOne) {
  ASSERT_TRUE(node.stack.tunables().set("net.inet.ip.forwarding", 1));
  // TTL 1: time exceeded back to the source, nothing forwarded.
  auto h = ip_hdr("10.0.0.9", "10.0.0.254");
  h.ttl = 1;
  peer.inject(FrameBuilder::udp(eth_to_us(), h, {1, 2, {}}));
  auto sent = ip_packets_sent();
  ASSERT_EQ(sent.size(), 1u);
  auto v = wire::Ipv4View::parse(sent[0]);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->dst(), ip("10.0.0.9"));
  auto icmp = wire::Icmpv4View::parse(v->payload());
  EXPECT_EQ(icmp->type(), wire::icmp_type::kTimeExceeded);
  EXPECT_EQ(icmp->code(), wire::icmp_time_exceeded::kTtl);
  EXPECT_TRUE(icmp->checksum_valid());
  // TTL 5: forwarded with TTL 4 and a still valid header checksum.
  peer.sent.clear();
  h.ttl = 5;
  peer.inject(FrameBuilder::udp(eth_to_us(), h, {1, 2, {}}));
  sent = ip_packets_sent();
  ASSERT_EQ(sent.size(), 1u);
  v = wire::Ipv4View::parse(sent[0]);
  EXPECT_EQ(v->ttl(), 4);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_EQ(EthernetHeader::parse(peer.sent[0])->dst, mac(254));
}

TEST_F(Harness, LongestPrefixMatchAndDefaultGateway) {
  ASSERT_TRUE(node.stack.set_default_gateway(ip("10.0.0.254")));
  ASSERT_TRUE(node.stack.add_route(*wire::Ipv4Prefix::parse("192.168.0.0/16"), ip("10.0.0.9"), ifindex));
  auto s = *node.stack.udp().open();
  uint8_t p[1] = {1};
  ASSERT_TRUE(node.stack.udp().send_to(s, p, {ipu("192.168.3.4"), 9}));  // /16 via .9
  ASSERT_TRUE(node.stack.udp().send_to(s, p, {ipu("8.8.8.8"), 9}));      // default via .254
  ASSERT_TRUE(node.stack.udp().send_to(s, p, {ipu("10.0.0.9"), 9}));     // connected
  ASSERT_EQ(peer.sent.size(), 3u);
  EXPECT_EQ(EthernetHeader::parse(peer.sent[0])->dst, mac(9));
  EXPECT_EQ(EthernetHeader::parse(peer.sent[1])->dst, mac(254));
  EXPECT_EQ(EthernetHeader::parse(peer.sent[2])->dst, mac(9));
  const auto sent = ip_packets_sent();
  auto v = wire::Ipv4View::parse(sent[1]);
  EXPECT_EQ(v->dst(), ip("8.8.8.8"));  // the gateway is only the link-layer next hop
  EXPECT_EQ(v->src(), ip("10.0.0.1"));
  // Without a matching route: ENETUNREACH.
  ASSERT_TRUE(node.stack.routes().remove(*wire::Ipv4Prefix::parse("0.0.0.0/0")));
  auto r = node.stack.udp().send_to(s, p, {ipu("8.8.8.8"), 9});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SocketError::kNetworkUnreachable);
}

TEST_F(Harness, Rfc791FragmentsOnOutputInMultiplesOfEight) {
  ASSERT_TRUE(node.stack.set_mtu(ifindex, 576));
  auto s = *node.stack.udp().open();
  std::vector<uint8_t> payload(2000);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(node.stack.udp().send_to(s, payload, {ipu("10.0.0.9"), 9}));
  auto frags = ip_packets_sent();
  ASSERT_EQ(frags.size(), 4u);  // 2008 bytes of UDP in 552-byte pieces
  uint16_t ident = 0;
  std::vector<uint8_t> joined;
  for (size_t i = 0; i < frags.size(); ++i) {
    auto v = wire::Ipv4View::parse(frags[i]);
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->checksum_valid());
    EXPECT_LE(v->total_len(), 576);
    if (i == 0) ident = v->ident();
    EXPECT_EQ(v->ident(), ident);
    EXPECT_EQ(v->fragment_offset_bytes(), joined.size());
    EXPECT_EQ(v->more_fragments(), i + 1 < frags.size());
    if (v->more_fragments()) {
      EXPECT_EQ(v->payload().size() % 8, 0u);
    }
    joined.insert(joined.end(), v->payload().begin(), v->payload().end());
  }
  ASSERT_EQ(joined.size(), 2008u);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), joined.begin() + 8));
}

TEST_F(Harness, Rfc791DontFragmentIsHonouredWithMessageTooBig) {
  auto s = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().setsockopt(s, UdpOpt::kDontFragment, 1));
  std::vector<uint8_t> payload(1473);
  auto r = node.stack.udp().send_to(s, payload, {ipu("10.0.0.9"), 9});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SocketError::kMessageTooBig);
  payload.resize(1472);
  EXPECT_TRUE(node.stack.udp().send_to(s, payload, {ipu("10.0.0.9"), 9}));
  const auto sent = ip_packets_sent();
  auto v = wire::Ipv4View::parse(sent.at(0));
  EXPECT_TRUE(v->dont_fragment());
  EXPECT_EQ(v->total_len(), 1500);
}

TEST_F(Harness, Rfc1191FragNeededLowersPathMtuAndAges) {
  const uint32_t far = ipu("10.0.0.9");
  EXPECT_EQ(node.stack.path_mtu(far), 1500u);
  // A router reports MTU 1280 for a datagram we sent to 10.0.0.9.
  std::vector<uint8_t> quoted(28);
  Ipv4Header q = ip_hdr("10.0.0.1", "10.0.0.9");
  q.protocol = 17;
  q.dont_fragment = true;
  q.payload_len = 1480;
  ASSERT_TRUE(q.emit(quoted));
  auto frame = FrameBuilder::icmp(eth_to_us(), ip_hdr("10.0.0.254", "10.0.0.1"),
                                  wire::Icmpv4Header::frag_needed(1280, quoted));
  peer.inject(frame);
  EXPECT_EQ(node.stack.path_mtu(far), 1280u);
  // Never raised by a later message (RFC 1191 6.1).
  peer.inject(FrameBuilder::icmp(eth_to_us(), ip_hdr("10.0.0.254", "10.0.0.1"),
                                 wire::Icmpv4Header::frag_needed(1400, quoted)));
  EXPECT_EQ(node.stack.path_mtu(far), 1280u);
  // Old routers send 0: use the plateau below the quoted length (1500 -> 1492).
  peer.inject(FrameBuilder::icmp(eth_to_us(), ip_hdr("10.0.0.254", "10.0.0.1"),
                                 wire::Icmpv4Header::frag_needed(0, quoted)));
  EXPECT_EQ(node.stack.path_mtu(far), 1280u);
  // DF datagrams larger than the path MTU now fail locally.
  auto s = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().setsockopt(s, UdpOpt::kDontFragment, 1));
  std::vector<uint8_t> payload(1300);
  EXPECT_EQ(node.stack.udp().send_to(s, payload, {far, 9}).error(), SocketError::kMessageTooBig);
  // RFC 1191 6.3: after the aging period the larger MTU is tried again.
  run(std::chrono::seconds(601));
  EXPECT_EQ(node.stack.path_mtu(far), 1500u);
}

TEST_F(Harness, Rfc1191PlateauForZeroMtu) {
  std::vector<uint8_t> quoted(28);
  Ipv4Header q = ip_hdr("10.0.0.1", "10.0.0.9");
  q.protocol = 17;
  q.payload_len = 1480;
  ASSERT_TRUE(q.emit(quoted));
  peer.inject(FrameBuilder::icmp(eth_to_us(), ip_hdr("10.0.0.254", "10.0.0.1"),
                                 wire::Icmpv4Header::frag_needed(0, quoted)));
  EXPECT_EQ(node.stack.path_mtu(ipu("10.0.0.9")), 1492u);
}

TEST_F(Harness, VlanTaggedInterfaceTagsOutputAndFiltersInput) {
  Node v("v", clock, wheel);
  ScriptedPeer vp(peer_pool);
  auto idx = *v.stack.add_interface({"vmk1", mac(3), 1500, uint16_t{42}, 5});
  ASSERT_TRUE(v.stack.attach(idx, vp));
  ASSERT_TRUE(v.stack.add_address(idx, ip("10.1.0.1"), 24));
  ASSERT_FALSE(vp.sent.empty());
  auto eth = EthernetHeader::parse(vp.sent[0]);
  ASSERT_TRUE(eth);
  ASSERT_EQ(eth->tag_count, 1);
  EXPECT_EQ(eth->tags[0].tci.vid, 42);
  EXPECT_EQ(eth->tags[0].tci.pcp, 5);
  auto s = *v.stack.udp().open();
  ASSERT_TRUE(v.stack.udp().bind(s, {0, 5000}));
  EthernetHeader e;
  e.dst = mac(3);
  e.src = mac(9);
  Ipv4Header h = ip_hdr("10.1.0.9", "10.1.0.1");
  vp.inject(FrameBuilder::udp(e, h, {1, 5000, {}}));  // untagged: wrong network
  e.push_tag({0x8100, {0, false, 7}});
  vp.inject(FrameBuilder::udp(e, h, {1, 5000, {}}));  // VLAN 7: wrong network
  EXPECT_EQ(drop_count(v.stack, InetDrop::kEthVlanMismatch), 2u);
  e.tags[0].tci.vid = 42;
  vp.inject(FrameBuilder::udp(e, h, {1, 5000, {}}));
  EXPECT_EQ(v.stack.udp().queued_datagrams(s), 1u);
  // And the untagged interface refuses tagged frames (but takes priority tags).
  auto s2 = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().bind(s2, {0, 5000}));
  EthernetHeader t = eth_to_us();
  t.push_tag({0x8100, {3, false, 0}});
  peer.inject(FrameBuilder::udp(t, ip_hdr(), {1, 5000, {}}));
  EXPECT_EQ(node.stack.udp().queued_datagrams(s2), 1u);
  t.tags[0].tci.vid = 42;
  peer.inject(FrameBuilder::udp(t, ip_hdr(), {1, 5000, {}}));
  EXPECT_EQ(node.stack.udp().queued_datagrams(s2), 1u);
}

TEST_F(Harness, EthernetDropsFramesForOtherMacsAndUnknownTypes) {
  auto f = udp_frame({1});
  f[5] = 0x77;  // dst MAC not ours
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kEthNotForUs), 1u);
  f = udp_frame({1});
  f[12] = 0x86;
  f[13] = 0xdd;
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kEthUnknownType), 1u);
  peer.inject(std::vector<uint8_t>(10, 0));
  EXPECT_EQ(drop_count(node.stack, InetDrop::kEthTruncated), 1u);
}

TEST_F(Harness, LoopbackToOwnAddressNeverTouchesTheLink) {
  auto rx = *node.stack.udp().open();
  ASSERT_TRUE(node.stack.udp().bind(rx, {0, 6000}));
  auto tx = *node.stack.udp().open();
  uint8_t p[3] = {9, 8, 7};
  ASSERT_TRUE(node.stack.udp().send_to(tx, p, {ipu("10.0.0.1"), 6000}));
  EXPECT_EQ(node.stack.udp().queued_datagrams(rx), 0u);  // deferred: no re-entrancy
  run(1ms);
  uint8_t buf[8];
  SockAddr from;
  auto n = node.stack.udp().recv_from(rx, buf, &from);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(from.addr, ipu("10.0.0.1"));
  EXPECT_TRUE(peer.sent.empty());
}

TEST_F(Harness, ProtocolUnreachableForUnknownProtocol) {
  auto h = ip_hdr();
  h.protocol = 99;
  std::vector<uint8_t> body(12, 0);
  peer.inject(FrameBuilder::ipv4_raw(eth_to_us(), h, body));
  EXPECT_EQ(drop_count(node.stack, InetDrop::kIpUnknownProtocol), 1u);
  auto sent = ip_packets_sent();
  ASSERT_EQ(sent.size(), 1u);
  auto icmp = wire::Icmpv4View::parse(wire::Ipv4View::parse(sent[0])->payload());
  EXPECT_EQ(icmp->type(), wire::icmp_type::kDestUnreachable);
  EXPECT_EQ(icmp->code(), wire::icmp_unreach::kProtocol);
}

// ---- two instances through the impairment link --------------------------------------

class TwoNodesIp : public TwoNodes {};

TEST_F(TwoNodesIp, Rfc791FragmentationAndReassemblyEndToEnd) {
  build();
  auto rx = *b->stack.udp().open();
  ASSERT_TRUE(b->stack.udp().bind(rx, {0, 7000}));
  auto tx = *a->stack.udp().open();
  ASSERT_TRUE(a->stack.tunables().set("net.inet.udp.maxdgram", 65507));
  std::vector<uint8_t> payload(20000);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i ^ (i >> 8));
  ASSERT_TRUE(a->stack.udp().send_to(tx, payload, {ipu("10.0.0.2"), 7000}));
  run(10ms);
  std::vector<uint8_t> got(65536);
  auto n = b->stack.udp().recv_from(rx, got);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, payload.size());
  got.resize(*n);
  EXPECT_EQ(got, payload);
  EXPECT_EQ(a->stack.ip_stats().fragments_out, 14u);
  EXPECT_EQ(b->stack.reassembler().stats().reassembled, 1u);
  EXPECT_EQ(b->stack.reassembler().queues(), 0u);
}

TEST_F(TwoNodesIp, ReassemblyUnderReorderingAndDuplication) {
  link::ImpairmentConfig c;
  c.reorder = 0.3;
  c.duplicate = 0.2;
  c.reorder_delay = 2ms;
  build(c, 7);
  auto rx = *b->stack.udp().open();
  ASSERT_TRUE(b->stack.udp().bind(rx, {0, 7000}));
  ASSERT_TRUE(a->stack.tunables().set("net.inet.udp.maxdgram", 65507));
  auto tx = *a->stack.udp().open();
  int received = 0;
  for (int k = 0; k < 20; ++k) {
    std::vector<uint8_t> payload(6000 + k * 100, static_cast<uint8_t>(k));
    ASSERT_TRUE(a->stack.udp().send_to(tx, payload, {ipu("10.0.0.2"), 7000}));
    run(20ms);
    std::vector<uint8_t> got(65536);
    while (auto n = b->stack.udp().recv_from(rx, got)) {
      ASSERT_EQ(*n, payload.size());
      EXPECT_TRUE(std::all_of(got.begin(), got.begin() + static_cast<long>(*n),
                              [&](uint8_t x) { return x == static_cast<uint8_t>(k); }));
      ++received;
    }
  }
  // Duplicated whole datagrams can arrive twice; every one arrives at least once.
  EXPECT_GE(received, 20);
  EXPECT_GT(b->stack.drops()[InetDrop::kReassDuplicate], 0u);
}

}  // namespace
}  // namespace vnetref::inet::testing
