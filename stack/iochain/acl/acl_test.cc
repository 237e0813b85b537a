#include "stack/iochain/acl/acl.h"

#include <gtest/gtest.h>

#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain::acl {
namespace {

using testing::Harness;
using testing::ip;

std::unique_ptr<Filter> make(const char* cfg) {
  auto f = AclFilter::create(FilterPlacement{}, cfg);
  EXPECT_TRUE(f) << (f ? "" : f.error().to_string());
  return f ? std::unique_ptr<Filter>(std::move(f).value()) : nullptr;
}

TEST(Acl, OrderedFirstMatchOnEveryField) {
  Harness h;
  ASSERT_TRUE(h.chain.attach(0, make(R"({"default_action": "drop", "rules": [
      {"id": 1, "action": "drop", "src_mac": ["02:00:00:00:00:66"]},
      {"id": 2, "action": "allow", "ethertype": 2054},
      {"id": 3, "action": "drop", "vlan": 30},
      {"id": 4, "action": "allow", "src": ["10.0.0.0/8"], "dst": ["192.168.1.0-192.168.1.9"],
       "protocol": "tcp", "dst_ports": ["80", "8000-8080"], "direction": "out"},
      {"id": 5, "action": "allow", "protocol": "icmp", "icmp_type": 8, "icmp_code": 0},
      {"id": 6, "action": "allow", "protocol": 47}
    ]})"), FailurePolicy::kFailClosed));
  testing::L2 l2;
  testing::TcpSeg t;
  EXPECT_TRUE(h.send(testing::tcp_frame(l2, ip("10.1.1.1"), ip("192.168.1.5"), t), Direction::kEgress));
  t.dport = 8080;
  EXPECT_TRUE(h.send(testing::tcp_frame(l2, ip("10.1.1.1"), ip("192.168.1.5"), t), Direction::kEgress));
  t.dport = 8081;
  EXPECT_FALSE(h.send(testing::tcp_frame(l2, ip("10.1.1.1"), ip("192.168.1.5"), t), Direction::kEgress));
  t.dport = 80;
  EXPECT_FALSE(h.send(testing::tcp_frame(l2, ip("10.1.1.1"), ip("192.168.1.10"), t), Direction::kEgress));
  EXPECT_FALSE(h.send(testing::tcp_frame(l2, ip("10.1.1.1"), ip("192.168.1.5"), t), Direction::kIngress));
  EXPECT_TRUE(h.send(testing::icmp_frame(l2, ip("1.1.1.1"), ip("2.2.2.2"), 8, 0), Direction::kIngress));
  EXPECT_FALSE(h.send(testing::icmp_frame(l2, ip("1.1.1.1"), ip("2.2.2.2"), 0, 0), Direction::kIngress));
  EXPECT_TRUE(h.send(testing::ip_frame(l2, ip("1.1.1.1"), ip("2.2.2.2"), 47, 20), Direction::kIngress));
  EXPECT_TRUE(h.send(testing::arp_frame(l2, 1, l2.src, ip("10.0.0.1"), 0, ip("10.0.0.2")), Direction::kEgress));
  testing::L2 spoof{0x020000000066, 0x020000000002, -1};
  EXPECT_FALSE(h.send(testing::arp_frame(spoof, 1, spoof.src, ip("10.0.0.1"), 0, ip("10.0.0.2")), Direction::kEgress));
  testing::L2 tagged{0x020000000001, 0x020000000002, 30};
  EXPECT_FALSE(h.send(testing::icmp_frame(tagged, ip("1.1.1.1"), ip("2.2.2.2"), 8, 0), Direction::kEgress));
  EXPECT_EQ(h.counter("acl.rule.1.hits"), 1u);
  EXPECT_EQ(h.counter("acl.rule.3.hits"), 1u);
  EXPECT_EQ(h.counter("acl.rule.4.hits"), 2u);
  EXPECT_EQ(h.counter("acl.drop.rule_match"), 2u);
  EXPECT_EQ(h.counter("acl.drop.default_action"), 4u);
  EXPECT_EQ(h.counter("acl.filtered"), 11u);
}

TEST(Acl, DefaultAllowAndOutOfBandVlan) {
  Harness h;
  ASSERT_TRUE(h.chain.attach(0, make(R"({"rules": [{"id": 9, "action": "drop", "vlan": 12}]})"),
                             FailurePolicy::kFailClosed));
  auto f = testing::udp_frame(testing::L2{}, ip("1.1.1.1"), ip("2.2.2.2"), 1, 2);
  core::PacketBatch b;
  core::PacketPtr p = testing::make_packet(h.pool, f);
  p->meta.vlan_tci = 12;
  (void)b.push(std::move(p));
  (void)b.push(testing::make_packet(h.pool, f));
  h.chain.process(b, Direction::kIngress);
  EXPECT_EQ(b.size(), 1u);
}

TEST(Acl, ConfigErrorsNameTheField) {
  auto f = AclFilter::create(FilterPlacement{}, R"({"rules": [{"action": "drop", "dst_ports": [80]}]})");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("config.rules[0].dst_ports"), std::string::npos) << f.error().message;
  auto g = AclFilter::create(FilterPlacement{}, R"({"rules": [{"action": "drop", "src": ["10.0.0.300"]}]})");
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message.find("config.rules[0].src[0]"), std::string::npos);
  auto k = AclFilter::create(FilterPlacement{}, R"({"rules": [{"action": "drop", "colour": "red"}]})");
  ASSERT_FALSE(k);
}

TEST(Acl, ParamsOverrideTopLevelKeys) {
  auto f = AclFilter::create(FilterPlacement{}, R"({"default_action": "allow"})", {{"config.default_action", "drop"}});
  ASSERT_TRUE(f);
  Harness h;
  ASSERT_TRUE(h.chain.attach(0, std::move(f).value(), FailurePolicy::kFailClosed));
  EXPECT_FALSE(h.send(testing::udp_frame(testing::L2{}, ip("1.1.1.1"), ip("2.2.2.2"), 1, 2), Direction::kEgress));
}

}  // namespace
}  // namespace vnetref::iochain::acl
