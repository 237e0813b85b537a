#include "stack/iochain/swsec/swsec.h"

#include <gtest/gtest.h>

#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain::swsec {
namespace {

using testing::Harness;
using testing::ip;
using namespace std::chrono_literals;

constexpr Direction kOut = Direction::kEgress;
constexpr Direction kIn = Direction::kIngress;
constexpr uint64_t kVm = 0x020000000001;
constexpr uint64_t kPeer = 0x020000000002;

std::unique_ptr<Filter> make(const std::string& cfg) {
  auto f = SwsecFilter::create(FilterPlacement{1, 1, 0, 7, "sw"}, cfg);
  EXPECT_TRUE(f) << (f ? "" : f.error().to_string());
  return f ? std::unique_ptr<Filter>(std::move(f).value()) : nullptr;
}

struct Swsec : ::testing::Test {
  void attach(const std::string& extra = "") {
    ASSERT_TRUE(h.chain.attach(1, make(R"({"segment": ")" + seg + R"(", "vnic_mac": "02:00:00:00:00:01")" + extra + "}"),
                               FailurePolicy::kFailClosed));
  }
  SwsecFilter& f() { return *static_cast<SwsecFilter*>(h.chain.filter(1)); }
  std::vector<uint8_t> garp(uint32_t a) {
    return testing::arp_frame(testing::L2{kVm, 0xffffffffffff, -1}, 1, kVm, a, 0, a);
  }
  std::vector<uint8_t> udp_from(uint32_t a) {
    return testing::udp_frame(testing::L2{kVm, kPeer, -1}, a, ip("10.0.0.99"), 1000, 2000);
  }
  std::string seg = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  Harness h;
};

TEST_F(Swsec, ArpSnoopingTrustOnFirstUseWithLimitOne) {
  attach();
  EXPECT_FALSE(h.send(udp_from(ip("10.0.0.1")), kOut));  // nothing bound yet
  EXPECT_EQ(h.counter("swsec.drop.spoof_ip"), 1u);
  EXPECT_TRUE(h.send(garp(ip("10.0.0.1")), kOut));
  EXPECT_TRUE(h.send(udp_from(ip("10.0.0.1")), kOut));
  // Limit 1 with TOFU: a second address is not learned, and its ARP is spoofed.
  EXPECT_FALSE(h.send(garp(ip("10.0.0.2")), kOut));
  EXPECT_EQ(h.counter("swsec.drop.spoof_arp"), 1u);
  EXPECT_EQ(h.counter("swsec.bindings.limit_ignored"), 1u);
  EXPECT_FALSE(h.send(udp_from(ip("10.0.0.2")), kOut));
}

TEST_F(Swsec, LoweringTheLimitKeepsTheNewest) {
  attach(R"(, "arp_binding_limit": 3)");
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(h.send(garp(ip("10.0.0.0") + static_cast<uint32_t>(i)), kOut));
    h.advance(1s);
  }
  ASSERT_TRUE(h.chain.config_changed(1, R"({"segment": ")" + seg + R"(", "vnic_mac": "02:00:00:00:00:01", "arp_binding_limit": 1})"));
  ASSERT_EQ(f().bindings().size(), 1u);
  EXPECT_EQ(f().bindings()[0].ip, ip("10.0.0.3"));
}

TEST_F(Swsec, BindingTimeout) {
  attach(R"(, "binding_timeout_min": 5)");
  ASSERT_TRUE(h.send(garp(ip("10.0.0.1")), kOut));
  h.advance(299s);
  EXPECT_TRUE(h.send(udp_from(ip("10.0.0.1")), kOut));
  h.advance(2s);
  EXPECT_FALSE(h.send(udp_from(ip("10.0.0.1")), kOut));
  EXPECT_EQ(h.counter("swsec.bindings.expired"), 1u);
}

TEST_F(Swsec, DhcpSnoopingBindsOnAck) {
  attach();
  testing::L2 srv{kPeer, kVm, -1};
  // OFFER does not bind; ACK does, for the lease.
  ASSERT_TRUE(h.send(testing::dhcp_frame(srv, ip("10.0.0.254"), ip("10.0.0.50"), 67, 68, 2, kVm, ip("10.0.0.50"), 60), kIn));
  EXPECT_FALSE(h.send(udp_from(ip("10.0.0.50")), kOut));
  ASSERT_TRUE(h.send(testing::dhcp_frame(srv, ip("10.0.0.254"), ip("10.0.0.50"), 67, 68, 5, kVm, ip("10.0.0.50"), 60), kIn));
  EXPECT_TRUE(h.send(udp_from(ip("10.0.0.50")), kOut));
  EXPECT_EQ(h.counter("swsec.bindings.dhcp"), 1u);
  h.advance(61s);
  EXPECT_FALSE(h.send(udp_from(ip("10.0.0.50")), kOut));
  // A DHCP client's own DISCOVER from 0.0.0.0 passes SpoofGuard.
  EXPECT_TRUE(h.send(testing::dhcp_frame(testing::L2{kVm, 0xffffffffffff, -1}, 0, 0xffffffffu, 68, 67, 1, kVm, 0), kOut));
}

TEST_F(Swsec, SpoofGuardChecksTheSourceMac) {
  attach();
  ASSERT_TRUE(h.send(garp(ip("10.0.0.1")), kOut));
  auto f = testing::udp_frame(testing::L2{0x020000000077, kPeer, -1}, ip("10.0.0.1"), ip("10.0.0.9"), 1, 2);
  EXPECT_FALSE(h.send(f, kOut));
  EXPECT_EQ(h.counter("swsec.drop.spoof_mac"), 1u);
}

TEST_F(Swsec, DuplicateAddressesAcrossPortsAndPromotion) {
  attach();
  Harness other;
  auto g = SwsecFilter::create(FilterPlacement{1, 2, 0, 8, "sw2"},
                               R"({"segment": ")" + seg + R"(", "vnic_mac": "02:00:00:00:00:02"})");
  ASSERT_TRUE(g);
  ASSERT_TRUE(other.chain.attach(1, std::move(g).value(), FailurePolicy::kFailClosed));
  ASSERT_TRUE(h.send(garp(ip("10.0.0.1")), kOut));
  other.advance(1s);
  // The second port discovers the same IP: discovered, not realised.
  auto garp2 = testing::arp_frame(testing::L2{kPeer, 0xffffffffffff, -1}, 1, kPeer, ip("10.0.0.1"), 0, ip("10.0.0.1"));
  EXPECT_FALSE(other.send(garp2, kOut));
  EXPECT_EQ(other.counter("swsec.bindings.duplicate"), 1u);
  // When the first port's binding goes, the duplicate is promoted.
  ASSERT_TRUE(h.chain.detach(1));
  EXPECT_EQ(other.counter("swsec.bindings.duplicate"), 0u);
  EXPECT_TRUE(other.send(testing::udp_frame(testing::L2{kPeer, kVm, -1}, ip("10.0.0.1"), ip("10.0.0.9"), 1, 2), kOut));
}

TEST_F(Swsec, ArpSuppressionLocalCentralAndMiss) {
  attach(R"(, "central_table": [{"ip": "10.0.0.200", "mac": "02:00:00:00:00:c8"}])");
  ASSERT_TRUE(h.send(garp(ip("10.0.0.1")), kOut));
  // A second port on the segment owns 10.0.0.2.
  Harness other;
  auto g = SwsecFilter::create(FilterPlacement{1, 2, 0, 8, "sw2"},
                               R"({"segment": ")" + seg + R"(", "vnic_mac": "02:00:00:00:00:02"})");
  ASSERT_TRUE(g);
  ASSERT_TRUE(other.chain.attach(1, std::move(g).value(), FailurePolicy::kFailClosed));
  auto garp2 = testing::arp_frame(testing::L2{kPeer, 0xffffffffffff, -1}, 1, kPeer, ip("10.0.0.2"), 0, ip("10.0.0.2"));
  ASSERT_TRUE(other.send(garp2, kOut));
  auto who = [&](const char* t) {
    return testing::arp_frame(testing::L2{kVm, 0xffffffffffff, -1}, 1, kVm, ip("10.0.0.1"), 0, ip(t));
  };
  EXPECT_FALSE(h.send(who("10.0.0.2"), kOut));  // answered locally
  ASSERT_EQ(h.sink.ingress.size(), 1u);
  PacketInfo pi;
  ASSERT_TRUE(parse_packet(*h.sink.ingress[0], pi));
  EXPECT_EQ(pi.ethertype, kEtherArp);
  EXPECT_EQ(pi.src_mac, kPeer);
  EXPECT_EQ(pi.dst_mac, kVm);
  EXPECT_FALSE(h.send(who("10.0.0.200"), kOut));  // from the central table
  EXPECT_EQ(h.sink.ingress.size(), 2u);
  EXPECT_TRUE(h.send(who("10.0.0.201"), kOut));  // nobody knows: broadcast goes out
  EXPECT_EQ(h.counter("swsec.drop.arp_suppressed"), 2u);
  EXPECT_EQ(h.counter("swsec.arp_suppression.miss"), 1u);
}

TEST_F(Swsec, SegmentSecurityBlocks) {
  attach(R"(, "dhcp_client_block": true, "non_ip_block": true, "broadcast_rate_limit_pps": {"tx": 2})");
  ASSERT_TRUE(h.send(garp(ip("10.0.0.1")), kOut));  // 1 broadcast token used
  testing::L2 l2{kVm, kPeer, -1};
  EXPECT_FALSE(h.send(testing::udp_frame(l2, ip("10.0.0.1"), ip("10.0.0.9"), 67, 68), kOut));
  EXPECT_EQ(h.counter("swsec.drop.dhcp_server_block"), 1u);
  EXPECT_FALSE(h.send(testing::udp_frame(l2, ip("10.0.0.1"), ip("10.0.0.9"), 68, 67), kOut));
  EXPECT_EQ(h.counter("swsec.drop.dhcp_client_block"), 1u);
  EXPECT_FALSE(h.send(testing::raw_frame(l2, 0x88b5, 20), kOut));
  EXPECT_EQ(h.counter("swsec.drop.non_ip"), 1u);
  EXPECT_FALSE(h.send(testing::raw_frame(testing::L2{kVm, 0x0180c2000000, -1}, 0x0026, 40), kOut));
  EXPECT_EQ(h.counter("swsec.drop.bpdu"), 1u);
  auto bc = testing::udp_frame(testing::L2{kVm, 0xffffffffffff, -1}, ip("10.0.0.1"), 0xffffffffu, 1, 2);
  EXPECT_TRUE(h.send(bc, kOut));
  EXPECT_FALSE(h.send(bc, kOut));  // 2 pps used up
  EXPECT_EQ(h.counter("swsec.drop.broadcast_rate"), 1u);
  h.advance(1s);
  EXPECT_TRUE(h.send(bc, kOut));
}

TEST_F(Swsec, BlockVnicDropsBothWays) {
  attach(R"(, "block_vnic": true)");
  EXPECT_FALSE(h.send(garp(ip("10.0.0.1")), kOut));
  EXPECT_FALSE(h.send(testing::udp_frame(testing::L2{kPeer, kVm, -1}, ip("10.0.0.9"), ip("10.0.0.1"), 1, 2), kIn));
  EXPECT_EQ(h.counter("swsec.drop.vnic_blocked"), 2u);
}

TEST_F(Swsec, SaveRestoreRoundTrips) {
  attach(R"(, "arp_binding_limit": 4)");
  ASSERT_TRUE(h.send(garp(ip("10.0.0.1")), kOut));
  h.advance(5s);
  ASSERT_TRUE(h.send(garp(ip("10.0.0.2")), kOut));
  auto saved = h.chain.save_state(1);
  ASSERT_TRUE(saved);
  ASSERT_TRUE(h.chain.detach(1));
  Harness other;
  other.advance(5s);
  ASSERT_TRUE(other.chain.attach(
      1, make(R"({"segment": ")" + seg + R"(", "vnic_mac": "02:00:00:00:00:01", "arp_binding_limit": 4})"),
      FailurePolicy::kFailClosed));
  ASSERT_TRUE(other.chain.restore_state(1, *saved));
  auto again = other.chain.save_state(1);
  ASSERT_TRUE(again);
  EXPECT_EQ(*saved, *again);
  EXPECT_TRUE(other.send(udp_from(ip("10.0.0.2")), kOut));
}

TEST(SwsecConfig, RangesFromTheDocumentation) {
  EXPECT_FALSE(SwsecFilter::create(FilterPlacement{}, R"({"arp_binding_limit": 0})"));
  EXPECT_FALSE(SwsecFilter::create(FilterPlacement{}, R"({"arp_binding_limit": 257})"));
  EXPECT_FALSE(SwsecFilter::create(FilterPlacement{}, R"({"binding_timeout_min": 4})"));
  EXPECT_FALSE(SwsecFilter::create(FilterPlacement{}, R"({"binding_timeout_min": 121})"));
  EXPECT_TRUE(SwsecFilter::create(FilterPlacement{}, R"({"arp_binding_limit": 256, "binding_timeout_min": 120})"));
  auto f = SwsecFilter::create(FilterPlacement{}, R"({"vnic_mac": "nope"})");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("config.vnic_mac"), std::string::npos);
}

}  // namespace
}  // namespace vnetref::iochain::swsec
