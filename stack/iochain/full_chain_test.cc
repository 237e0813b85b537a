// All reference slots in one chain, configured from host-configuration slot sections,
// run natively and through the C ABI: the two must behave identically.
#include <gtest/gtest.h>

#include "stack/iochain/reference.h"
#include "stack/iochain/svcins/svcins.h"
#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain {
namespace {

using testing::Harness;
using testing::ip;
using namespace std::chrono_literals;

const char* kSlots[] = {
    R"({"slot": 0, "config": {"rules": [{"id": 1, "action": "drop", "protocol": "udp", "dst_ports": [9999]}]}})",
    R"({"slot": 1, "config": {"segment": "SEG", "vnic_mac": "02:00:00:00:00:01", "arp_binding_limit": 2}})",
    R"({"slot": 2, "config": {"sections": [{"id": 5, "rules": [
        {"id": 100, "action": "allow", "services": [{"protocol": "tcp", "dst_ports": [80]}]},
        {"id": 101, "action": "reject", "services": [{"protocol": "tcp", "dst_ports": [23]}]},
        {"id": 102, "action": "allow", "services": [{"protocol": "udp"}]}]}],
        "default_rule": {"id": 2, "action": "drop"}}})",
    R"({"slot": 5, "config": {"service": "mon", "match": [{"protocol": "udp", "dst_ports": [5353]}]}})",
    R"({"slot": 15, "config": {"policies": [{"match": [{"dst": ["10.9.0.0/16"]}], "spi_out": 4096, "spi_in": 8192,
        "key_out": "0000000000000000000000000000000000000000000000000000000000000001cafef00d",
        "key_in": "0000000000000000000000000000000000000000000000000000000000000002cafef00d"}]}})",
};

struct Outcome {
  std::vector<std::vector<uint8_t>> out;  // everything that left the chain, in order
  core::CounterList counters;
  std::string trace;
};

Outcome scenario(bool via_abi, const std::string& seg) {
  Harness h;
  svcins::ServiceHub hub(h.chain);
  h.chain.set_slow_path(&hub);
  h.chain.set_services(&hub);
  hub.add_service("mon", [](core::PacketPtr&, Direction) { return true; });
  PacketTracer tracer;
  h.chain.set_tracer(&tracer);
  for (const char* text : kSlots) {
    std::string t = text;
    if (auto at = t.find("SEG"); at != std::string::npos) t.replace(at, 3, seg);
    auto spec = parse_slot_section_text(t);
    EXPECT_TRUE(spec) << spec.error().message;
    spec->via_abi = via_abi;
    auto st = install_filter(h.chain, *spec);
    EXPECT_TRUE(st) << st.error().message;
  }
  testing::L2 vm{0x020000000001, 0x020000000002, -1};
  testing::L2 in{0x020000000002, 0x020000000001, -1};
  uint64_t id = 1;
  auto send = [&](const std::vector<uint8_t>& f, Direction d) { h.send(f, d, id++); };
  send(testing::arp_frame(testing::L2{0x020000000001, 0xffffffffffff, -1}, 1, 0x020000000001, ip("10.0.0.1"), 0,
                          ip("10.0.0.1")),
       Direction::kEgress);
  testing::TcpSeg syn;
  send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.5.5"), syn), Direction::kEgress);
  testing::TcpSeg sa{80, 1234, 9000, 1001, 0x12, 5000};
  send(testing::tcp_frame(in, ip("10.0.5.5"), ip("10.0.0.1"), sa), Direction::kIngress);
  syn.dport = 23;
  send(testing::tcp_frame(vm, ip("10.0.0.1"), ip("10.0.5.5"), syn), Direction::kEgress);   // reject -> RST
  send(testing::udp_frame(vm, ip("10.0.0.1"), ip("10.0.5.5"), 5, 9999), Direction::kEgress);  // ACL drop
  send(testing::udp_frame(vm, ip("10.0.0.7"), ip("10.0.5.5"), 5, 53), Direction::kEgress);    // spoofed IP
  send(testing::udp_frame(vm, ip("10.0.0.1"), ip("10.0.5.5"), 5, 5353), Direction::kEgress);  // to the service
  send(testing::udp_frame(vm, ip("10.0.0.1"), ip("10.9.1.1"), 5, 53, 77), Direction::kEgress);  // encrypted
  send(testing::icmp_frame(vm, ip("10.0.0.1"), ip("10.0.5.5"), 8, 0), Direction::kEgress);    // default drop
  hub.pump();
  h.advance(11s);
  Outcome r;
  auto grab = [&](std::vector<core::PacketPtr>& v) {
    for (auto& p : v) r.out.emplace_back(p->data(), p->data() + p->data_len);
  };
  grab(h.passed_egress);
  grab(h.passed_ingress);
  grab(h.sink.egress);
  grab(h.sink.ingress);
  for (auto& c : h.chain.counters()) {
    if (c.name.find(".abi") == std::string::npos) r.counters.push_back(c);
  }
  for (uint64_t i = 1; i < id; ++i) r.trace += tracer.format_packet(i);
  return r;
}

TEST(FullChain, AllSlotsTogetherNativeAndThroughTheAbiAgree) {
  Outcome native = scenario(false, "full-native");
  Outcome abi = scenario(true, "full-abi");
  ASSERT_EQ(native.out.size(), abi.out.size());
  for (size_t i = 0; i < native.out.size(); ++i) EXPECT_EQ(native.out[i], abi.out[i]) << i;
  ASSERT_EQ(native.counters.size(), abi.counters.size());
  for (size_t i = 0; i < native.counters.size(); ++i) {
    EXPECT_EQ(native.counters[i].name, abi.counters[i].name);
    EXPECT_EQ(native.counters[i].value, abi.counters[i].value) << native.counters[i].name;
  }
  EXPECT_EQ(native.trace, abi.trace);
  auto find = [&](const char* n) {
    uint64_t v = ~0ull;
    core::find_counter(native.counters, n, &v);
    return v;
  };
  EXPECT_EQ(find("acl.drop.rule_match"), 1u);
  EXPECT_EQ(find("swsec.drop.spoof_ip"), 1u);
  EXPECT_EQ(find("dfw.drop.rule_match"), 2u);  // reject + default
  EXPECT_EQ(find("dfw.reject.rst"), 1u);
  EXPECT_EQ(find("svc5.returned"), 1u);
  EXPECT_EQ(find("crypt.encrypted"), 1u);
  EXPECT_EQ(find("dfw.conn.active"), 3u);
  EXPECT_NE(native.trace.find("slot 2 out drop rule_match"), std::string::npos) << native.trace;
}

}  // namespace
}  // namespace vnetref::iochain
