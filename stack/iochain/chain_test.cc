#include "stack/iochain/chain.h"

#include <gtest/gtest.h>

#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain {
namespace {

using testing::Harness;
using testing::ip;
using namespace std::chrono_literals;

// A scriptable test filter: records the order it sees packets in and acts on the
// packet id (PacketMeta::user) per a small script.
struct Script {
  std::vector<std::string>* log = nullptr;
  uint64_t drop_id = ~0ull, hold_id = ~0ull, fault_id = ~0ull, copy_id = ~0ull, reply_id = ~0ull;
  bool fail = false;
  bool healthy = true;
  bool loop = false;  // inject every packet back the other way
};

class TestFilter final : public Filter {
 public:
  TestFilter(std::string name, Script s) : s_(s) {
    info_.agent = "test-" + name;
    info_.counter_prefix = name;
    info_.drop_reasons = {"scripted"};
  }
  const FilterInfo& info() const override { return info_; }
  FilterStatus process(core::PacketBatch& b, Direction dir, FilterHost& host) override {
    for (uint32_t i = 0; i < b.size(); ++i) {
      const uint64_t id = b[i]->meta.user;
      if (s_.log) s_.log->push_back(info_.counter_prefix + (dir == Direction::kEgress ? ">" : "<") + std::to_string(id));
      if (id == s_.drop_id) host.drop(b.take(i), 0);
      else if (id == s_.hold_id) held_.push_back(b.take(i));
      else if (id == s_.fault_id) host.fault(b.take(i), std::span<const uint8_t>());
      else if (id == s_.copy_id) host.fault_copy(*b[i], std::span<const uint8_t>());
      else if (id == s_.reply_id || s_.loop) {
        core::PacketPtr r = host.alloc(60);
        if (r) {
          r->meta.user = 1000 + id;
          host.inject(std::move(r), reverse(dir));
        }
      }
    }
    b.compact();
    if (s_.fail) return filter_error(FilterError::kFailed, "scripted failure");
    return core::Ok{};
  }
  bool healthy() const override { return s_.healthy; }
  std::optional<core::Instant> timer(core::Instant now, FilterHost& host) override {
    ++timer_calls;
    // Release held packets on the timer, re-injected toward the switch.
    for (auto& p : held_) host.inject(std::move(p), Direction::kEgress);
    held_.clear();
    return now + 5s;
  }
  int timer_calls = 0;
  Script s_;

 private:
  FilterInfo info_;
  std::vector<core::PacketPtr> held_;
};

std::unique_ptr<TestFilter> tf(const std::string& n, Script s = {}) { return std::make_unique<TestFilter>(n, s); }

core::PacketBatch batch_of(Harness& h, std::initializer_list<uint64_t> ids) {
  core::PacketBatch b;
  for (uint64_t id : ids) {
    (void)b.push(testing::make_packet(h.pool, testing::udp_frame(testing::L2{}, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2), id));
  }
  return b;
}

TEST(Chain, SlotRules) {
  Harness h;
  auto st = h.chain.attach(3, tf("a"), FailurePolicy::kFailOpen);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ChainError::kReservedSlot);
  EXPECT_EQ(h.chain.attach(13, tf("a"), FailurePolicy::kFailOpen).error().code, ChainError::kReservedSlot);
  EXPECT_EQ(h.chain.attach(14, tf("a"), FailurePolicy::kFailOpen).error().code, ChainError::kReservedSlot);
  EXPECT_EQ(h.chain.attach(16, tf("a"), FailurePolicy::kFailOpen).error().code, ChainError::kBadSlot);
  int n = 0;
  for (uint32_t s = 0; s < 16; ++s) {
    if (slot_reserved(s)) continue;
    ASSERT_TRUE(h.chain.attach(s, tf("f" + std::to_string(s)), FailurePolicy::kFailOpen));
    ++n;
  }
  EXPECT_EQ(n, 13);
  EXPECT_EQ(h.chain.filter_count(), 13u);
  auto busy = h.chain.attach(5, tf("x"), FailurePolicy::kFailOpen);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ChainError::kSlotBusy);
  EXPECT_NE(busy.error().message.find("nic-1001-eth0-test-f5.5"), std::string::npos);
}

TEST(Chain, EgressWalksUpIngressWalksDown) {
  Harness h;
  std::vector<std::string> log;
  for (uint32_t s : {0u, 2u, 15u}) ASSERT_TRUE(h.chain.attach(s, tf("s" + std::to_string(s), Script{&log}), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {1});
  h.chain.process(b, Direction::kEgress);
  auto c = batch_of(h, {2});
  h.chain.process(c, Direction::kIngress);
  EXPECT_EQ(log, (std::vector<std::string>{"s0>1", "s2>1", "s15>1", "s15<2", "s2<2", "s0<2"}));
  EXPECT_EQ(b[0]->meta.slots_passed, (1u << 0) | (1u << 2) | (1u << 15));
}

TEST(Chain, FilterErrorDropsTheWholeBatch) {
  Harness h;
  Script s;
  s.fail = true;
  ASSERT_TRUE(h.chain.attach(4, tf("bad", s), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {1, 2, 3});
  h.chain.process(b, Direction::kEgress);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(h.counter("bad.errors"), 1u);
  EXPECT_EQ(h.counter("bad.drop.filter_error"), 3u);
  EXPECT_EQ(h.pool.available(), h.pool.capacity());
  // It crashed (kFailed): its failure policy (failOpen) now applies.
  EXPECT_EQ(h.chain.slot_state(4), SlotState::kFailed);
  EXPECT_NE(h.chain.summarize().find("failure: crashed: scripted failure"), std::string::npos);
  auto c = batch_of(h, {4});
  h.chain.process(c, Direction::kEgress);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(h.counter("bad.policy_passed"), 1u);
}

TEST(Chain, FailurePolicies) {
  Harness h;
  ASSERT_TRUE(h.chain.attach_failed(1, "dvfilter-switch-security", FailurePolicy::kFailOpen, "bad config"));
  ASSERT_TRUE(h.chain.attach_failed(2, "vmware-sfw", FailurePolicy::kFailClosed, "bad config"));
  auto b = batch_of(h, {1, 2});
  h.chain.process(b, Direction::kEgress);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(h.counter("slot1.policy_passed"), 2u);
  EXPECT_EQ(h.counter("slot2.drop.fail_closed"), 2u);
  Harness g;
  Script down;
  down.healthy = false;
  ASSERT_TRUE(g.chain.attach(6, tf("svc", down), FailurePolicy::kFailOpen));
  auto c = batch_of(g, {1});
  g.chain.process(c, Direction::kEgress);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(g.counter("svc.filtered"), 0u);
  EXPECT_EQ(g.counter("svc.policy_passed"), 1u);
}

TEST(Chain, InjectedPacketsWalkTheRemainingSlotsThenTheSink) {
  Harness h;
  std::vector<std::string> log;
  Script replier{&log};
  replier.reply_id = 7;
  ASSERT_TRUE(h.chain.attach(0, tf("a", Script{&log}), FailurePolicy::kFailOpen));
  ASSERT_TRUE(h.chain.attach(2, tf("r", replier), FailurePolicy::kFailOpen));
  ASSERT_TRUE(h.chain.attach(4, tf("c", Script{&log}), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {7});
  h.chain.process(b, Direction::kEgress);
  // The reply goes back toward the VM: only slot 0 (below 2) sees it.
  EXPECT_EQ(log, (std::vector<std::string>{"a>7", "r>7", "a<1007", "c>7"}));
  ASSERT_EQ(h.sink.ingress.size(), 1u);
  EXPECT_EQ(h.sink.ingress[0]->meta.user, 1007u);
  EXPECT_EQ(h.counter("r.injected"), 1u);
}

TEST(Chain, InjectionLoopsAreBounded) {
  Harness h;
  Script l;
  l.loop = true;
  ASSERT_TRUE(h.chain.attach(0, tf("x", l), FailurePolicy::kFailOpen));
  ASSERT_TRUE(h.chain.attach(15, tf("y", l), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {1});
  h.chain.process(b, Direction::kEgress);
  EXPECT_GE(h.counter("x.drop.inject_loop") + h.counter("y.drop.inject_loop"), 1u);
  b.clear();
  h.sink.egress.clear();
  h.sink.ingress.clear();
  EXPECT_EQ(h.pool.available(), h.pool.capacity());
}

TEST(Chain, FaultCopyAndReinject) {
  Harness h;
  Script s;
  s.fault_id = 1;
  s.copy_id = 2;
  ASSERT_TRUE(h.chain.attach(5, tf("f", s), FailurePolicy::kFailOpen));
  std::vector<std::string> log;
  ASSERT_TRUE(h.chain.attach(9, tf("after", Script{&log}), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {1, 2});
  h.chain.process(b, Direction::kEgress);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]->meta.user, 2u);
  EXPECT_EQ(h.slow.size(), 2u);
  EXPECT_EQ(h.counter("f.faulted"), 2u);
  auto r = h.slow.pop();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->packet->meta.user, 1u);
  h.chain.reinject(r->slot, std::move(r->packet), r->dir);
  EXPECT_EQ(log.back(), "after>1");
  ASSERT_EQ(h.sink.egress.size(), 1u);
  // Reinjecting to an empty slot is counted, not lost silently.
  auto r2 = h.slow.pop();
  h.chain.reinject(11, std::move(r2->packet), Direction::kEgress);
  EXPECT_EQ(h.counter("chain.drop.reinject_no_slot"), 1u);
}

TEST(Chain, HeldPacketsAreQueuedAndReleasedByTimer) {
  Harness h;
  Script s;
  s.hold_id = 3;
  ASSERT_TRUE(h.chain.attach(7, tf("q", s), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {1, 3});
  h.chain.process(b, Direction::kEgress);
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(h.counter("q.queued"), 1u);
  h.advance(5s);  // the filter's timer releases it
  EXPECT_EQ(h.counter("q.queued"), 0u);
  ASSERT_EQ(h.sink.egress.size(), 1u);
  EXPECT_EQ(h.sink.egress[0]->meta.user, 3u);
  auto* f = static_cast<TestFilter*>(h.chain.filter(7));
  EXPECT_EQ(f->timer_calls, 2);  // at attach, at +5 s
}

TEST(Chain, TraceShowsWhichSlotsSawAPacketAndWhatTheyDecided) {
  Harness h;
  PacketTracer tracer;
  h.chain.set_tracer(&tracer);
  Script d;
  d.drop_id = 9;
  ASSERT_TRUE(h.chain.attach(0, tf("a"), FailurePolicy::kFailOpen));
  ASSERT_TRUE(h.chain.attach(2, tf("b", d), FailurePolicy::kFailOpen));
  ASSERT_TRUE(h.chain.attach(4, tf("c"), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {8, 9});
  h.chain.process(b, Direction::kEgress);
  EXPECT_EQ(tracer.format_packet(9), "pkt 9 slot 0 out pass\npkt 9 slot 2 out drop scripted\n");
  EXPECT_EQ(tracer.format_packet(8), "pkt 8 slot 0 out pass\npkt 8 slot 2 out pass\npkt 8 slot 4 out pass\n");
}

TEST(Chain, SummarizeLooksLikeSummarizeDvfilter) {
  Harness h;
  ASSERT_TRUE(h.chain.attach(2, tf("fw"), FailurePolicy::kFailClosed));
  const std::string s = h.chain.summarize();
  EXPECT_NE(s.find("world 1001 vmm0:vm-a"), std::string::npos) << s;
  EXPECT_NE(s.find("   name: nic-1001-eth0-test-fw.2\n   agentName: test-fw\n   state: IOChain Attached\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("   failurePolicy: failClosed\n"), std::string::npos);
}

TEST(Chain, CountersByPrefixAndBySlot) {
  Harness h;
  ASSERT_TRUE(h.chain.attach(4, tf("z"), FailurePolicy::kFailOpen));
  auto b = batch_of(h, {1, 2});
  h.chain.process(b, Direction::kIngress);
  EXPECT_EQ(h.chain.counter("z.filtered"), 2u);
  EXPECT_EQ(h.chain.counter("slot4.filtered"), 2u);
  EXPECT_EQ(h.chain.counter("z.passed"), 2u);
  EXPECT_FALSE(h.chain.counter("nope.filtered"));
  // The same prefix twice in one chain is made unique.
  ASSERT_TRUE(h.chain.attach(5, tf("z"), FailurePolicy::kFailOpen));
  EXPECT_EQ(h.chain.counter("z5.filtered"), 0u);
}

TEST(QueueSlowPath, Bounded) {
  QueueSlowPath q(1);
  FaultRecord a, b;
  EXPECT_TRUE(q.on_fault(a));
  EXPECT_FALSE(q.on_fault(b));
  EXPECT_EQ(q.refused(), 1u);
  EXPECT_TRUE(q.pop());
  EXPECT_FALSE(q.pop());
}

}  // namespace
}  // namespace vnetref::iochain
