#include "stack/iochain/svcins/svcins.h"

#include <gtest/gtest.h>

#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain::svcins {
namespace {

using testing::Harness;
using testing::ip;

std::unique_ptr<Filter> make(uint32_t slot, const char* cfg) {
  auto f = SvcFilter::create(FilterPlacement{slot, 1, 0, 7, "svc"}, cfg);
  EXPECT_TRUE(f) << (f ? "" : f.error().to_string());
  return f ? std::unique_ptr<Filter>(std::move(f).value()) : nullptr;
}

struct Svc : ::testing::Test {
  Svc() : hub(h.chain) {
    h.chain.set_slow_path(&hub);
    h.chain.set_services(&hub);
  }
  Harness h;
  ServiceHub hub;
  testing::L2 l2;
};

TEST_F(Svc, RedirectsMatchingTrafficAndReturnsItIntoTheChain) {
  ASSERT_TRUE(h.chain.attach(5, make(5, R"({"service": "ids", "direction": "out",
      "match": [{"protocol": "tcp", "dst_ports": [80]}]})"), FailurePolicy::kFailOpen));
  int seen = 0;
  hub.add_service("ids", [&](core::PacketPtr& p, Direction) {
    ++seen;
    p->meta.traffic_class = 3;  // the service may touch the packet
    return true;
  });
  testing::TcpSeg t;
  EXPECT_FALSE(h.send(testing::tcp_frame(l2, ip("10.0.0.1"), ip("10.0.0.2"), t), Direction::kEgress, 1));
  t.dport = 81;
  EXPECT_TRUE(h.send(testing::tcp_frame(l2, ip("10.0.0.1"), ip("10.0.0.2"), t), Direction::kEgress, 2));
  // Ingress is not in the chain's direction.
  t.dport = 80;
  EXPECT_TRUE(h.send(testing::tcp_frame(l2, ip("10.0.0.2"), ip("10.0.0.1"), t), Direction::kIngress, 3));
  EXPECT_EQ(hub.queued(), 1u);
  EXPECT_EQ(hub.pump(), 1u);
  EXPECT_EQ(seen, 1);
  ASSERT_EQ(h.sink.egress.size(), 1u);  // continued past slot 5 and out of the chain
  EXPECT_EQ(h.sink.egress[0]->meta.user, 1u);
  EXPECT_EQ(h.sink.egress[0]->meta.traffic_class, 3);
  EXPECT_EQ(h.counter("svc5.redirected"), 1u);
  EXPECT_EQ(h.counter("svc5.returned"), 1u);
  EXPECT_EQ(h.counter("svc5.faulted"), 1u);
}

TEST_F(Svc, ReturnedPacketsStillMeetLaterSlots) {
  ASSERT_TRUE(h.chain.attach(4, make(4, R"({"service": "a"})"), FailurePolicy::kFailOpen));
  ASSERT_TRUE(h.chain.attach(6, make(6, R"({"service": "b"})"), FailurePolicy::kFailOpen));
  std::vector<std::string> order;
  hub.add_service("a", [&](core::PacketPtr&, Direction) { order.push_back("a"); return true; });
  hub.add_service("b", [&](core::PacketPtr&, Direction) { order.push_back("b"); return true; });
  EXPECT_FALSE(h.send(testing::udp_frame(l2, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2), Direction::kEgress, 7));
  hub.pump();
  ASSERT_EQ(order, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(h.sink.egress.size(), 1u);
  // Ingress walks 15 -> 0: b first.
  order.clear();
  EXPECT_FALSE(h.send(testing::udp_frame(l2, ip("10.0.0.2"), ip("10.0.0.1"), 2, 1), Direction::kIngress, 8));
  hub.pump();
  EXPECT_EQ(order, (std::vector<std::string>{"b", "a"}));
  ASSERT_EQ(h.sink.ingress.size(), 1u);
  EXPECT_EQ(h.sink.ingress[0]->meta.slots_passed & 0x50, 0x50);
}

TEST_F(Svc, FailurePolicyWhenTheServiceIsDown) {
  ASSERT_TRUE(h.chain.attach(4, make(4, R"({"service": "fw", "failure_policy": "allow"})"), FailurePolicy::kFailOpen));
  ASSERT_TRUE(h.chain.attach(7, make(7, R"({"service": "dpi", "failure_policy": "block"})"), FailurePolicy::kFailClosed));
  hub.add_service("fw", [](core::PacketPtr&, Direction) { return true; });
  hub.add_service("dpi", [](core::PacketPtr&, Direction) { return true; });
  hub.set_up("fw", false);
  hub.set_up("dpi", false);
  EXPECT_FALSE(h.send(testing::udp_frame(l2, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2), Direction::kEgress));
  EXPECT_EQ(h.counter("svc4.bypassed"), 1u);
  EXPECT_EQ(h.counter("svc7.drop.service_down"), 1u);
  hub.set_up("dpi", true);
  EXPECT_FALSE(h.send(testing::udp_frame(l2, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2), Direction::kEgress));
  hub.pump();
  EXPECT_EQ(h.sink.egress.size(), 1u);
}

TEST_F(Svc, ServiceMayConsumeAndQueueIsBounded) {
  ServiceHub small(h.chain, 2);
  h.chain.set_slow_path(&small);
  h.chain.set_services(&small);
  ASSERT_TRUE(h.chain.attach(4, make(4, R"({"service": "sink"})"), FailurePolicy::kFailOpen));
  small.add_service("sink", [](core::PacketPtr&, Direction) { return false; });
  for (int i = 0; i < 3; ++i) h.send(testing::udp_frame(l2, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2), Direction::kEgress);
  EXPECT_EQ(h.counter("svc4.drop.slowpath_full"), 1u);
  small.pump();
  EXPECT_EQ(small.consumed(), 2u);
  EXPECT_EQ(h.pool.available(), h.pool.capacity());  // nothing leaked
}

TEST_F(Svc, ServiceVmBehindAPort) {
  ASSERT_TRUE(h.chain.attach(9, make(9, R"({"service": "svm"})"), FailurePolicy::kFailOpen));
  testing::CaptureSink svm_port;
  hub.add_port_service("svm", svm_port);
  EXPECT_FALSE(h.send(testing::udp_frame(l2, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2), Direction::kIngress, 42));
  hub.pump();
  ASSERT_EQ(svm_port.ingress.size(), 1u);
  EXPECT_EQ(hub.outstanding(), 1u);
  // The service VM sends it back; it continues down the chain toward the VM.
  EXPECT_TRUE(hub.return_from_service(std::move(svm_port.ingress[0])));
  ASSERT_EQ(h.sink.ingress.size(), 1u);
  EXPECT_EQ(h.sink.ingress[0]->meta.user, 42u);
  EXPECT_FALSE(hub.return_from_service(testing::make_packet(h.pool, testing::raw_frame(l2, 0x88b5, 10), 99)));
  EXPECT_EQ(hub.unmatched_returns(), 1u);
}

TEST(SvcConfig, SlotsAndSchema) {
  EXPECT_FALSE(SvcFilter::create(FilterPlacement{3, 1, 0, 7, "x"}, R"({"service": "a"})"));
  EXPECT_FALSE(SvcFilter::create(FilterPlacement{13, 1, 0, 7, "x"}, R"({"service": "a"})"));
  EXPECT_FALSE(SvcFilter::create(FilterPlacement{5, 1, 0, 7, "x"}, R"({})"));
  auto f = SvcFilter::create(FilterPlacement{5, 1, 0, 7, "x"}, R"({"service": "a", "match": [{"dst_ports": [80]}]})");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("config.match"), std::string::npos);
}

}  // namespace
}  // namespace vnetref::iochain::svcins
