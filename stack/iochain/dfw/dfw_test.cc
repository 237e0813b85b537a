#include "stack/iochain/dfw/dfw.h"

#include <gtest/gtest.h>

#include "stack/iochain/packet_info.h"
#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain::dfw {
namespace {

using testing::Harness;
using testing::ip;
using testing::TcpSeg;
using namespace std::chrono_literals;

constexpr Direction kOut = Direction::kEgress;
constexpr Direction kIn = Direction::kIngress;

const char* kBasic = R"({
  "conn_limit": 64,
  "addrsets": {"ip-web": ["10.0.0.10", "10.0.1.0/24"]},
  "sections": [
    {"id": 7, "category": "application", "rules": [
      {"id": 1045, "action": "allow", "direction": "out", "destinations": ["addrset:ip-web"],
       "services": [{"protocol": "tcp", "dst_ports": [80]}], "log": true},
      {"id": 1046, "action": "reject", "destinations": ["10.0.0.20"],
       "services": [{"protocol": "tcp", "dst_ports": ["1-65535"]}, {"protocol": "udp"}]},
      {"id": 1047, "action": "allow", "services": [{"protocol": "udp", "dst_ports": [53]}]},
      {"id": 1048, "action": "allow", "services": [{"protocol": "icmp", "icmp_type": 8}]}
    ]}
  ],
  "default_rule": {"id": 2, "action": "drop"}
})";

std::unique_ptr<DfwFilter> make(const char* cfg, Harness& h) {
  FilterPlacement where{2, h.chain.port().vm_id, 0, 7, filter_name(h.chain.port().vm_id, 0, kDfwAgent, 2)};
  auto f = DfwFilter::create(where, cfg);
  EXPECT_TRUE(f) << (f ? "" : f.error().to_string());
  return f ? std::move(f).value() : nullptr;
}

struct Dfw : ::testing::Test {
  void SetUp() override { ASSERT_TRUE(h.chain.attach(2, make(kBasic, h), FailurePolicy::kFailClosed)); }
  DfwFilter& dfw() { return *static_cast<DfwFilter*>(h.chain.filter(2)); }
  Harness h;
  testing::L2 vm{0x020000000001, 0x020000000002, -1};
  testing::L2 peer{0x020000000002, 0x020000000001, -1};
};

TEST_F(Dfw, FirstMatchAllowsAndDefaultDrops) {
  TcpSeg syn;
  EXPECT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.0.10"), syn), kOut));
  EXPECT_EQ(h.counter("dfw.rule.1045.hits"), 1u);
  syn.dport = 81;
  EXPECT_FALSE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.0.10"), syn), kOut));
  EXPECT_EQ(h.counter("dfw.drop.rule_match"), 1u);
  EXPECT_EQ(h.counter("dfw.rule.2.hits"), 1u);
}

TEST_F(Dfw, DirectionIsPartOfTheMatch) {
  TcpSeg syn;
  // Rule 1045 is "out" only: the same packet entering the VM hits the default drop.
  EXPECT_FALSE(h.send(testing::tcp_frame(peer, ip("10.0.0.1"), ip("10.0.0.10"), syn), kIn));
}

TEST_F(Dfw, EstablishedFlowUsesTheConnectionTable) {
  TcpSeg t;
  t.seq = 100;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), t), kOut));
  TcpSeg sa{80, 1234, 5000, 101, 0x12, 29200};
  ASSERT_TRUE(h.send(testing::tcp_frame(peer, ip("10.0.1.5"), ip("10.0.0.1"), sa), kIn));
  TcpSeg ack{1234, 80, 101, 5001, 0x10, 65535};
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), ack), kOut));
  ack.payload = 100;
  ack.flags = 0x18;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), ack), kOut));
  EXPECT_EQ(h.counter("dfw.rule.1045.hits"), 1u);  // rules consulted once
  EXPECT_EQ(h.counter("dfw.conn.active"), 1u);
  auto conns = dfw().ioctl("getconns");
  ASSERT_TRUE(conns);
  EXPECT_NE(conns->find("tcp out 10.0.0.1:1234 -> 10.0.1.5:80 ESTABLISHED:ESTABLISHED rule 1045"), std::string::npos)
      << *conns;
}

TEST_F(Dfw, SequenceWindowIsEnforced) {
  TcpSeg t;
  t.seq = 100;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), t), kOut));
  TcpSeg sa{80, 1234, 5000, 101, 0x12, 1000};
  ASSERT_TRUE(h.send(testing::tcp_frame(peer, ip("10.0.1.5"), ip("10.0.0.1"), sa), kIn));
  // The peer's window is 1000 bytes: data far beyond it is a state mismatch.
  TcpSeg far{1234, 80, 101 + 500000, 5001, 0x18, 65535, -1, 10};
  EXPECT_FALSE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), far), kOut));
  EXPECT_EQ(h.counter("dfw.drop.state_mismatch"), 1u);
  TcpSeg ok{1234, 80, 101, 5001, 0x18, 65535, -1, 900};
  EXPECT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), ok), kOut));
}

TEST_F(Dfw, WindowScaleWidensTheWindow) {
  TcpSeg t;
  t.seq = 100;
  t.wscale = 7;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), t), kOut));
  TcpSeg sa{80, 1234, 5000, 101, 0x12, 1000, 7};
  ASSERT_TRUE(h.send(testing::tcp_frame(peer, ip("10.0.1.5"), ip("10.0.0.1"), sa), kIn));
  // An ACK from the peer advertising window 1000 << 7 = 128000 bytes.
  TcpSeg pack{80, 1234, 5001, 101, 0x10, 1000};
  ASSERT_TRUE(h.send(testing::tcp_frame(peer, ip("10.0.1.5"), ip("10.0.0.1"), pack), kIn));
  TcpSeg big{1234, 80, 101 + 100000, 5001, 0x18, 500, -1, 100};
  EXPECT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), big), kOut));
}

TEST_F(Dfw, HandshakeErrorFromResponder) {
  TcpSeg t;
  t.seq = 100;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.1.5"), t), kOut));
  TcpSeg bad{80, 1234, 5000, 999, 0x12, 1000};  // acks the wrong sequence number
  EXPECT_FALSE(h.send(testing::tcp_frame(peer, ip("10.0.1.5"), ip("10.0.0.1"), bad), kIn));
  EXPECT_EQ(h.counter("dfw.drop.3wh_error"), 1u);
}

TEST_F(Dfw, RejectSendsRstBackToTheSource) {
  TcpSeg syn{5555, 22, 777, 0, 0x02};
  EXPECT_FALSE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.0.20"), syn), kOut, 9));
  ASSERT_EQ(h.sink.ingress.size(), 1u);  // toward the VM that sent it
  PacketInfo pi;
  ASSERT_TRUE(parse_packet(*h.sink.ingress[0], pi));
  EXPECT_EQ(pi.src_ip, ip("10.0.0.20"));
  EXPECT_EQ(pi.dst_ip, ip("10.0.0.1"));
  EXPECT_EQ(pi.tcp_flags, 0x14);  // RST|ACK
  EXPECT_EQ(pi.ack, 778u);
  EXPECT_EQ(pi.sport, 22);
  EXPECT_EQ(h.counter("dfw.reject.rst"), 1u);
  EXPECT_EQ(h.counter("dfw.injected"), 1u);
}

TEST_F(Dfw, RejectSendsIcmpForUdp) {
  EXPECT_FALSE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("10.0.0.20"), 999, 5000), kOut));
  ASSERT_EQ(h.sink.ingress.size(), 1u);
  PacketInfo pi;
  ASSERT_TRUE(parse_packet(*h.sink.ingress[0], pi));
  EXPECT_EQ(pi.proto, 1);
  EXPECT_EQ(pi.icmp_type, 3);
  EXPECT_EQ(pi.icmp_code, 13);
  EXPECT_EQ(h.counter("dfw.reject.icmp"), 1u);
}

TEST_F(Dfw, UdpTimeoutsFollowTheDocumentedDefaults) {
  ASSERT_TRUE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 3333, 53), kOut));
  // udp.first = 60 s: at 59 s the reply still matches the session...
  h.advance(59s);
  ASSERT_TRUE(h.send(testing::udp_frame(peer, ip("8.8.8.8"), ip("10.0.0.1"), 53, 3333), kIn));
  // ...now both sides have spoken: udp.multiple = 60 s.
  h.advance(59s);
  EXPECT_EQ(h.counter("dfw.conn.active"), 1u);
  h.advance(2s + 10s);  // expired, and the 10 s purge ran
  EXPECT_EQ(h.counter("dfw.conn.active"), 0u);
  EXPECT_GE(h.counter("dfw.conn.purged"), 1u);
}

TEST_F(Dfw, IcmpEchoIsAPseudoSession) {
  ASSERT_TRUE(h.send(testing::icmp_frame(vm, ip("10.0.0.1"), ip("10.9.9.9"), 8, 0, 77, 1), kOut));
  // The echo reply matches the session (rule 1048 only allows type 8).
  EXPECT_TRUE(h.send(testing::icmp_frame(peer, ip("10.9.9.9"), ip("10.0.0.1"), 0, 0, 77, 1), kIn));
  h.advance(21s);
  EXPECT_FALSE(h.send(testing::icmp_frame(peer, ip("10.9.9.9"), ip("10.0.0.1"), 0, 0, 77, 2), kIn));
}

TEST_F(Dfw, TableFullDropsNewConnectionsOnly) {
  // conn_limit 64: fill it.
  for (uint16_t i = 0; i < 64; ++i) {
    ASSERT_TRUE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), static_cast<uint16_t>(1000 + i), 53), kOut));
  }
  EXPECT_FALSE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 2000, 53), kOut));
  EXPECT_EQ(h.counter("dfw.drop.memory"), 1u);
  EXPECT_EQ(h.counter("dfw.conn.table_full"), 1u);
  EXPECT_TRUE(h.send(testing::udp_frame(peer, ip("8.8.8.8"), ip("10.0.0.1"), 53, 1000), kIn));
}

TEST_F(Dfw, RuleUpdateKeepsAllowedConnectionsAndCutsRemovedOnes) {
  ASSERT_TRUE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 3333, 53), kOut));
  TcpSeg t;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.0.10"), t), kOut));
  // New rules: DNS still allowed (under a new id), web no longer.
  const char* cfg = R"({"sections": [{"rules": [
      {"id": 3000, "action": "allow", "services": [{"protocol": "udp", "dst_ports": [53]}]}]}],
      "default_rule": {"id": 2, "action": "drop"}})";
  ASSERT_TRUE(h.chain.config_changed(2, cfg));
  EXPECT_TRUE(h.send(testing::udp_frame(peer, ip("8.8.8.8"), ip("10.0.0.1"), 53, 3333), kIn));
  TcpSeg sa{80, 1234, 5000, 1001, 0x12, 1000};
  EXPECT_FALSE(h.send(testing::tcp_frame(peer, ip("10.0.0.10"), ip("10.0.0.1"), sa), kIn));
  EXPECT_EQ(h.counter("dfw.conn.recheck_dropped"), 1u);
  EXPECT_EQ(h.counter("dfw.rules.generation"), 2u);
}

TEST_F(Dfw, BadConfigKeepsTheOldRules) {
  auto st = h.chain.config_changed(2, R"({"sections": [{"rules": [{"id": 1, "action": "maybe"}]}]})");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("config.sections[0].rules[0].action"), std::string::npos) << st.error().message;
  EXPECT_EQ(h.counter("dfw.rules.generation"), 1u);
}

TEST_F(Dfw, LogLineHasTheDocumentedShape) {
  h.advance(1500ms);
  TcpSeg syn;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.0.10"), syn), kOut));
  auto recs = h.chain.logger().records();
  ASSERT_FALSE(recs.empty());
  const std::string& line = recs.back().text;
  EXPECT_NE(line.find(" INET match PASS 7/1045 OUT 54 TCP 10.0.0.1/1234->10.0.0.10/80 S"), std::string::npos) << line;
  EXPECT_EQ(line.rfind("1970-01-01T00:00:01.500000Z ", 0), 0u) << line;
}

TEST_F(Dfw, GetRulesPrintsVsipioctlStyle) {
  auto r = dfw().ioctl("getrules");
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("rule 1045 at 1 out protocol tcp from any to addrset ip-web port 80 accept with log;"),
            std::string::npos)
      << *r;
  EXPECT_NE(r->find("rule 2 at 5 inout protocol any from any to any drop;"), std::string::npos) << *r;
  auto a = dfw().ioctl("getaddrsets");
  ASSERT_TRUE(a);
  EXPECT_NE(a->find("addrset ip-web {"), std::string::npos);
}

TEST_F(Dfw, SaveRestoreRoundTripsExactly) {
  TcpSeg t;
  ASSERT_TRUE(h.send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.0.10"), t), kOut));
  ASSERT_TRUE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 3333, 53), kOut));
  h.advance(3s);
  auto saved = h.chain.save_state(2);
  ASSERT_TRUE(saved);
  Harness other;
  other.advance(3s);
  ASSERT_TRUE(other.chain.attach(2, make(kBasic, other), FailurePolicy::kFailClosed));
  ASSERT_TRUE(other.chain.restore_state(2, *saved));
  auto again = other.chain.save_state(2);
  ASSERT_TRUE(again);
  EXPECT_EQ(*saved, *again);
  // The restored UDP session lets the reply in on the destination host.
  EXPECT_TRUE(other.send(testing::udp_frame(peer, ip("8.8.8.8"), ip("10.0.0.1"), 53, 3333), kIn));
}

TEST_F(Dfw, CorruptStateUnderFailClosedDisconnects) {
  std::vector<uint8_t> junk = {1, 2, 3};
  EXPECT_FALSE(h.chain.restore_state(2, junk));
  EXPECT_TRUE(h.chain.disconnected());
  EXPECT_FALSE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 3333, 53), kOut));
  EXPECT_EQ(h.counter("chain.drop.disconnected"), 1u);
}

TEST_F(Dfw, FragmentsFollowTheFirstFragment) {
  // First fragment (MF, offset 0) allowed by rule 1047; a later one follows it.
  ASSERT_TRUE(h.send(testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 3333, 53, 32, 0x2000, 42), kOut));
  EXPECT_TRUE(h.send(testing::ip_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 17, 16, 0x0005, 42), kOut));
  // A later fragment nobody announced.
  EXPECT_FALSE(h.send(testing::ip_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 17, 16, 0x0005, 43), kOut));
  EXPECT_EQ(h.counter("dfw.drop.fragment"), 1u);
}

TEST_F(Dfw, MalformedHeadersAreDroppedWithAReason) {
  auto f = testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.0.10"), TcpSeg{});
  f[14 + 20 + 12] = 0x20;  // data offset 2 words
  EXPECT_FALSE(h.send(f, kOut));
  EXPECT_EQ(h.counter("dfw.drop.bad_offset"), 1u);
  auto g = testing::udp_frame(vm, ip("10.0.0.1"), ip("8.8.8.8"), 1, 53);
  g[14 + 2] = 0xff;  // total length beyond the frame
  EXPECT_FALSE(h.send(g, kOut));
  EXPECT_EQ(h.counter("dfw.drop.normalization"), 1u);
}

TEST(DfwCategories, OrderL2JumpStrictAndAppliedTo) {
  Harness h;
  const char* cfg = R"({
    "sections": [
      {"id": 50, "category": "application", "tcp_strict": true, "rules": [
        {"id": 500, "action": "allow", "services": [{"protocol": "tcp"}]}]},
      {"id": 40, "category": "environment", "rules": [
        {"id": 400, "action": "jump_to_application", "sources": ["10.1.0.0/16"]},
        {"id": 401, "action": "drop", "sources": ["10.0.0.0/8"]}]},
      {"id": 10, "category": "emergency", "rules": [
        {"id": 100, "action": "drop", "sources": ["10.1.2.3"]},
        {"id": 101, "action": "drop", "sources": ["10.1.2.4"], "applied_to": ["some-other-vnic"]}]},
      {"id": 1, "category": "ethernet", "rules": [
        {"id": 10, "action": "drop", "ethertype": 34525}]}
    ],
    "default_rule": {"id": 2, "action": "drop"}
  })";
  ASSERT_TRUE(h.chain.attach(2, make(cfg, h), FailurePolicy::kFailClosed));
  testing::L2 l2;
  TcpSeg syn;
  // Emergency beats everything after it.
  EXPECT_FALSE(h.send(testing::tcp_frame(l2, ip("10.1.2.3"), ip("10.2.0.1"), syn), kOut));
  // Rule 101 is applied to another vNIC only: not installed here.
  EXPECT_TRUE(h.send(testing::tcp_frame(l2, ip("10.1.2.4"), ip("10.2.0.1"), syn), kOut));
  // Jump-to-application skips the Environment drop.
  EXPECT_TRUE(h.send(testing::tcp_frame(l2, ip("10.1.9.9"), ip("10.2.0.1"), syn), kOut));
  EXPECT_FALSE(h.send(testing::tcp_frame(l2, ip("10.2.9.9"), ip("10.2.0.1"), syn), kOut));
  // TCP strict: a first packet that is not a SYN is a state mismatch.
  TcpSeg ack{1234, 80, 1, 1, 0x10};
  EXPECT_FALSE(h.send(testing::tcp_frame(l2, ip("10.1.9.8"), ip("10.2.0.1"), ack), kOut));
  EXPECT_EQ(h.counter("dfw.drop.state_mismatch"), 1u);
  // L2 rules come first: IPv6 ethertype dropped by the Ethernet rule.
  EXPECT_FALSE(h.send(testing::raw_frame(l2, 0x86dd, 40), kOut));
  EXPECT_EQ(h.counter("dfw.rule.10.hits"), 1u);
  EXPECT_EQ(h.counter("dfw.rules.l3"), 5u);  // 500, 400, 401, 100, default (101 not applied)
}

TEST(DfwConfig, RejectsBadInputWithPaths) {
  Harness h;
  FilterPlacement where{2, 1, 0, 7, "x"};
  auto f = DfwFilter::create(where, R"({"sections": [{"category": "ethernet", "rules": [{"id": 1, "src_mac": ["zz"]}]}]})");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("src_mac[0]"), std::string::npos) << f.error().message;
  auto g = DfwFilter::create(where, R"({"sections": [{"rules": [{"id": 1, "action": "jump_to_application"}]}]})");
  ASSERT_FALSE(g);
  auto k = DfwFilter::create(where, R"({"bogus": 1})");
  ASSERT_FALSE(k);
  auto m = DfwFilter::create(where, R"({"sections": [{"rules": [{"id": 1, "destinations": ["addrset:nope"]}]}]})");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("unknown addrset"), std::string::npos);
}

}  // namespace
}  // namespace vnetref::iochain::dfw
