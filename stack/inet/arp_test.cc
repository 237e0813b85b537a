// ARP: RFC 826 resolution and replies, RFC 5227 announcements and conflicts, the
// hold queue, retries and the host-unreachable report, entry states and expiry.
#include <gtest/gtest.h>

#include "stack/inet/test_util.h"

namespace vnetref::inet::testing {
namespace {

using wire::ArpRepr;
using wire::EthernetHeader;
using wire::FrameBuilder;

struct ArpTest : ::testing::Test {
  ArpTest() : node("n", clock, wheel), peer(peer_pool) {
    ifindex = *node.stack.add_interface({"vmk0", mac(1), 1500, std::nullopt, 0});
    EXPECT_TRUE(node.stack.attach(ifindex, peer));
  }
  void run(core::Duration d) { core::advance_virtual_time_by(clock, wheel, d); }
  std::vector<wire::ArpRepr> arps_sent() const {
    std::vector<wire::ArpRepr> out;
    for (const auto& f : peer.sent) {
      auto eth = EthernetHeader::parse(f);
      if (!eth || eth->ethertype != 0x0806) continue;
      auto a = wire::ArpView::parse(std::span<const uint8_t>(f).subspan(eth->header_len()));
      if (a) out.push_back(ArpRepr::from(*a));
    }
    return out;
  }
  std::vector<uint8_t> arp_frame(uint16_t op, wire::MacAddress smac, const char* sip, wire::MacAddress tmac,
                                 const char* tip, wire::MacAddress eth_dst) {
    EthernetHeader e;
    e.dst = eth_dst;
    e.src = smac;
    ArpRepr r{op, smac, ip(sip), tmac, ip(tip)};
    auto f = FrameBuilder::arp(e, r);
    FrameBuilder::pad_to_minimum(f);
    return f;
  }

  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  core::BufferPool peer_pool{256};
  Node node;
  ScriptedPeer peer;
  uint32_t ifindex = 0;
};

TEST_F(ArpTest, Rfc5227AnnouncesNewAddressTwiceTwoSecondsApart) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  auto a = arps_sent();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].op, 1);
  EXPECT_EQ(a[0].sender_ip, ip("10.0.0.1"));
  EXPECT_EQ(a[0].target_ip, ip("10.0.0.1"));  // RFC 5227 2.3: sender IP == target IP
  EXPECT_TRUE(a[0].target_mac.is_zero());
  auto eth = EthernetHeader::parse(peer.sent[0]);
  EXPECT_TRUE(eth->dst.is_broadcast());
  run(1900ms);
  EXPECT_EQ(arps_sent().size(), 1u);
  run(200ms);
  EXPECT_EQ(arps_sent().size(), 2u);
  EXPECT_EQ(peer.sent[0].size(), 60u);  // padded to the Ethernet minimum
}

TEST_F(ArpTest, Rfc826RepliesToRequestForOwnAddressAndLearnsSender) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  run(3s);
  peer.sent.clear();
  peer.inject(arp_frame(1, mac(9), "10.0.0.9", wire::MacAddress(), "10.0.0.1", wire::MacAddress::broadcast()));
  auto a = arps_sent();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].op, 2);
  EXPECT_EQ(a[0].sender_mac, mac(1));
  EXPECT_EQ(a[0].sender_ip, ip("10.0.0.1"));
  EXPECT_EQ(a[0].target_mac, mac(9));
  EXPECT_EQ(a[0].target_ip, ip("10.0.0.9"));
  EXPECT_EQ(EthernetHeader::parse(peer.sent[0])->dst, mac(9));  // unicast reply
  // RFC 826: "Am I the target? ... add the triplet" — the requester is now cached.
  EXPECT_EQ(node.stack.arp().peek(ifindex, ipu("10.0.0.9")), mac(9));
}

TEST_F(ArpTest, Rfc826DoesNotAnswerOrLearnForOtherTargets) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  run(3s);
  peer.sent.clear();
  peer.inject(arp_frame(1, mac(9), "10.0.0.9", wire::MacAddress(), "10.0.0.7", wire::MacAddress::broadcast()));
  EXPECT_TRUE(arps_sent().empty());
  EXPECT_FALSE(node.stack.arp().peek(ifindex, ipu("10.0.0.9")));
  EXPECT_EQ(drop_count(node.stack, InetDrop::kArpNotForUs), 1u);
}

TEST_F(ArpTest, Rfc826MergeUpdatesExistingEntryFromAnyPacket) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  peer.inject(arp_frame(1, mac(9), "10.0.0.9", wire::MacAddress(), "10.0.0.1", wire::MacAddress::broadcast()));
  ASSERT_EQ(node.stack.arp().peek(ifindex, ipu("10.0.0.9")), mac(9));
  // A gratuitous ARP from 10.0.0.9 with a new MAC (not targeting us) updates the entry.
  peer.inject(arp_frame(1, mac(10), "10.0.0.9", wire::MacAddress(), "10.0.0.9", wire::MacAddress::broadcast()));
  EXPECT_EQ(node.stack.arp().peek(ifindex, ipu("10.0.0.9")), mac(10));
}

TEST_F(ArpTest, Rfc5227DetectsConflictAndDefendsOncePerInterval) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  run(3s);
  peer.sent.clear();
  peer.inject(arp_frame(1, mac(9), "10.0.0.1", wire::MacAddress(), "10.0.0.1", wire::MacAddress::broadcast()));
  peer.inject(arp_frame(2, mac(9), "10.0.0.1", mac(1), "10.0.0.1", mac(1)));
  EXPECT_EQ(node.stack.arp().stats().conflicts, 2u);
  auto a = arps_sent();
  ASSERT_EQ(a.size(), 1u);  // one defence within DEFEND_INTERVAL
  EXPECT_EQ(a[0].sender_ip, ip("10.0.0.1"));
  EXPECT_EQ(a[0].sender_mac, mac(1));
  EXPECT_FALSE(node.stack.arp().peek(ifindex, ipu("10.0.0.1")));  // never cache our own address
}

TEST_F(ArpTest, ArpRejectsMalformedAndMartianSenders) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  peer.inject(arp_frame(1, wire::MacAddress::broadcast(), "10.0.0.9", wire::MacAddress(), "10.0.0.1",
                        wire::MacAddress::broadcast()));
  EXPECT_EQ(drop_count(node.stack, InetDrop::kArpBadSender), 1u);
  auto f = arp_frame(1, mac(9), "10.0.0.9", wire::MacAddress(), "10.0.0.1", wire::MacAddress::broadcast());
  f[14 + 4] = 8;  // hardware length 8
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kArpMalformed), 1u);
  f.resize(14 + 20);
  peer.inject(f);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kArpMalformed), 2u);
}

TEST_F(ArpTest, HoldQueueKeepsMostRecentMaxholdAndReleasesInOrder) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  ASSERT_TRUE(node.stack.tunables().set("net.link.ether.inet.maxhold", 3));
  run(3s);
  peer.sent.clear();
  Udp& udp = node.stack.udp();
  auto s = *udp.open();
  for (uint8_t i = 0; i < 5; ++i) {
    uint8_t payload[1] = {i};
    ASSERT_TRUE(udp.send_to(s, payload, {ipu("10.0.0.9"), 7}));
  }
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kIncomplete);
  EXPECT_EQ(node.stack.arp().hold_queue_length(ifindex, ipu("10.0.0.9")), 3u);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kArpHoldOverflow), 2u);
  ASSERT_EQ(arps_sent().size(), 1u);  // one request, not one per packet
  peer.sent.clear();
  peer.inject(arp_frame(2, mac(9), "10.0.0.9", mac(1), "10.0.0.1", mac(1)));
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kReachable);
  ASSERT_EQ(peer.sent.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    auto eth = EthernetHeader::parse(peer.sent[k]);
    EXPECT_EQ(eth->dst, mac(9));
    // payload byte after Ethernet(14) + IP(20) + UDP(8)
    EXPECT_EQ(peer.sent[k][42], k + 2);  // packets 2, 3, 4 survived, in order
  }
}

TEST_F(ArpTest, ResolutionRetriesThenDropsAndReportsHostUnreachable) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  run(3s);
  peer.sent.clear();
  Udp& udp = node.stack.udp();
  auto s = *udp.open();
  ASSERT_TRUE(udp.connect(s, {ipu("10.0.0.9"), 7}));
  uint8_t payload[4] = {1, 2, 3, 4};
  ASSERT_TRUE(udp.send(s, payload));
  ASSERT_TRUE(udp.send(s, payload));
  run(4500ms);
  EXPECT_EQ(arps_sent().size(), 5u);  // maxtries = 5, one per second
  EXPECT_FALSE(udp.take_error(s).has_value());
  run(1s);
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kFailed);
  EXPECT_EQ(drop_count(node.stack, InetDrop::kArpResolveFailed), 2u);
  EXPECT_EQ(udp.take_error(s), SocketError::kHostUnreachable);
  // While the failure is held down, sends fail at once without new requests.
  auto r = udp.send(s, payload);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SocketError::kHostUnreachable);
  EXPECT_EQ(arps_sent().size(), 5u);
  // net.link.ether.inet.wait later the entry is gone and resolution starts over.
  run(20s);
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kFree);
  ASSERT_TRUE(udp.send(s, payload));
  EXPECT_EQ(arps_sent().size(), 6u);
}

TEST_F(ArpTest, ReachableBecomesStaleThenRefreshesByUnicast) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  ASSERT_TRUE(node.stack.tunables().set("net.link.ether.inet.max_age", 60));
  peer.inject(arp_frame(1, mac(9), "10.0.0.9", wire::MacAddress(), "10.0.0.1", wire::MacAddress::broadcast()));
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kReachable);
  run(61s);
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kStale);
  peer.sent.clear();
  auto s = *node.stack.udp().open();
  uint8_t payload[1] = {7};
  ASSERT_TRUE(node.stack.udp().send_to(s, payload, {ipu("10.0.0.9"), 7}));
  // The datagram went out at once with the stale address, followed by a unicast request.
  ASSERT_EQ(peer.sent.size(), 2u);
  auto a = arps_sent();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(EthernetHeader::parse(peer.sent[1])->dst, mac(9));
  peer.inject(arp_frame(2, mac(9), "10.0.0.9", mac(1), "10.0.0.1", mac(1)));
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kReachable);
}

TEST_F(ArpTest, StaleUnusedEntryExpires) {
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 24));
  ASSERT_TRUE(node.stack.tunables().set("net.link.ether.inet.max_age", 10));
  peer.inject(arp_frame(1, mac(9), "10.0.0.9", wire::MacAddress(), "10.0.0.1", wire::MacAddress::broadcast()));
  run(25s);
  EXPECT_EQ(node.stack.arp().state(ifindex, ipu("10.0.0.9")), ArpState::kFree);
  EXPECT_EQ(node.stack.arp().size(), 0u);
}

TEST_F(ArpTest, TableIsBoundedAndEvictsIdleEntries) {
  // vnetref.arp.max_entries (default 1024) sizes the cache when the instance is built.
  EXPECT_EQ(node.stack.arp().capacity(), 1024u);
  ASSERT_TRUE(node.stack.add_address(ifindex, ip("10.0.0.1"), 16));
  for (int i = 0; i < 1100; ++i) {
    std::string who = "10.0." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250);
    peer.inject(arp_frame(1, mac(9), who.c_str(), wire::MacAddress(), "10.0.0.1", wire::MacAddress::broadcast()));
  }
  EXPECT_EQ(node.stack.arp().size(), 1024u);
  EXPECT_GE(node.stack.arp().stats().evictions, 76u);
}

TEST(Rfc826, TwoInstancesResolveEachOther) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  link::Pipe pipe(64, &wheel);
  Node a("a", clock, wheel), b("b", clock, wheel);
  a.ifindex = *a.stack.add_interface({"vmk0", mac(1), 1500, std::nullopt, 0});
  b.ifindex = *b.stack.add_interface({"vmk0", mac(2), 1500, std::nullopt, 0});
  ASSERT_TRUE(a.stack.attach(a.ifindex, pipe.a()));
  ASSERT_TRUE(b.stack.attach(b.ifindex, pipe.b()));
  ASSERT_TRUE(a.stack.add_address(a.ifindex, ip("10.0.0.1"), 24));
  ASSERT_TRUE(b.stack.add_address(b.ifindex, ip("10.0.0.2"), 24));
  core::advance_virtual_time_by(clock, wheel, 3s);
  ASSERT_TRUE(a.stack.send_echo_request(ipu("10.0.0.2"), 1, 1, 32));
  core::advance_virtual_time_by(clock, wheel, 10ms);
  EXPECT_EQ(a.stack.arp().peek(a.ifindex, ipu("10.0.0.2")), mac(2));
  EXPECT_EQ(b.stack.arp().peek(b.ifindex, ipu("10.0.0.1")), mac(1));
  EXPECT_EQ(a.stack.icmp_stats().echo_replies_in, 1u);
}

}  // namespace
}  // namespace vnetref::inet::testing
