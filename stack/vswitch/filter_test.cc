// The attach stages a port offers the IOChain: before/after the chain in both
// directions, explicit completion (drop / re-inject), capture points around the chain.
#include <sstream>

#include "stack/core/pcap.h"
#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

// Records what it sees; optionally drops or holds frames of a given length.
class TestFilter final : public PortFilter {
 public:
  explicit TestFilter(std::string tag, std::vector<std::string>* log) : tag_(std::move(tag)), log_(log) {}
  void process(core::PacketBatch& b, core::Direction dir, FilterContext& ctx) override {
    for (uint32_t i = 0; i < b.size(); ++i) {
      log_->push_back(tag_ + (dir == core::Direction::kEgress ? ":egress" : ":ingress"));
      if (drop_len != 0 && b[i]->pkt_len == drop_len) ctx.drop(b.take(i));
      else if (hold_len != 0 && b[i]->pkt_len == hold_len) held.push_back(b.take(i));
    }
    ctx_ = &ctx;
    last_dir_ = dir;
  }
  void release_held() {
    for (auto& p : held) ctx_->reinject(std::move(p), last_dir_);
    held.clear();
  }
  uint32_t drop_len = 0;
  uint32_t hold_len = 0;
  std::vector<core::PacketPtr> held;
  FilterContext* ctx_ = nullptr;
  core::Direction last_dir_ = core::Direction::kEgress;

 private:
  std::string tag_;
  std::vector<std::string>* log_;
};

struct Filters : ::testing::Test {
  Rig rig;
  VirtualSwitch sw{SwitchOptions{}, rig.pool, rig.clock, rig.wheel};
  Recorder a, b, up;
  PortId pa{}, pb{};
  std::vector<std::string> log;
  TestFilter pre_a{"a.pre", &log}, chain_a{"a.chain", &log}, post_a{"a.post", &log};
  TestFilter pre_b{"b.pre", &log}, chain_b{"b.chain", &log}, post_b{"b.post", &log};

  void SetUp() override {
    rig.add(sw);
    UplinkSpec u;
    u.name = "vmnic0";
    (void)*sw.add_uplink(u, &up);
    PortGroupConfig pg;
    pg.name = "pg";
    ASSERT_TRUE(sw.add_port_group(pg));
    PortSpec s;
    s.port_group = "pg";
    s.mac = mac(1);
    pa = *sw.connect(s, &a);
    s.mac = mac(2);
    pb = *sw.connect(s, &b);
    ASSERT_TRUE(sw.attach(pa, AttachStage::kPreChain, &pre_a));
    ASSERT_TRUE(sw.attach(pa, AttachStage::kChain, &chain_a));
    ASSERT_TRUE(sw.attach(pa, AttachStage::kPostChain, &post_a));
    ASSERT_TRUE(sw.attach(pb, AttachStage::kPreChain, &pre_b));
    ASSERT_TRUE(sw.attach(pb, AttachStage::kChain, &chain_b));
    ASSERT_TRUE(sw.attach(pb, AttachStage::kPostChain, &post_b));
  }
};

TEST_F(Filters, StagesRunInOrderInBothDirections) {
  rig.send(sw, pa, frame(mac(2), mac(1)));
  EXPECT_EQ(log, (std::vector<std::string>{"a.pre:egress", "a.chain:egress", "a.post:egress", "b.pre:ingress",
                                           "b.chain:ingress", "b.post:ingress"}));
  EXPECT_EQ(b.count(), 1u);
}

TEST_F(Filters, AFilterDropIsCountedWithItsReason) {
  chain_a.drop_len = 100;
  rig.send(sw, pa, frame(mac(2), mac(1), 0x0800, 100));
  rig.send(sw, pa, frame(mac(2), mac(1), 0x0800, 101));
  EXPECT_EQ(b.count(), 1u);
  EXPECT_EQ(sw.drops()[DropReason::kFilterDrop], 1u);
  EXPECT_EQ(std::count(log.begin(), log.end(), "a.post:egress"), 1);  // the dropped frame went no further
  expect_accounted(sw);
}

TEST_F(Filters, HeldPacketsAreInFlightUntilReinjectedAfterTheFilter) {
  chain_b.hold_len = 90;  // a slow path holds it on the way to b
  rig.send(sw, pa, frame(mac(2), mac(1), 0x0800, 90));
  EXPECT_EQ(b.count(), 0u);
  EXPECT_EQ(sw.in_flight(), 1u);
  log.clear();
  chain_b.release_held();
  rig.runner.run_until_idle();
  EXPECT_EQ(b.count(), 1u);
  // It resumed after the chain stage: only the post stage saw it again.
  EXPECT_EQ(log, (std::vector<std::string>{"b.post:ingress"}));
  expect_accounted(sw);
}

TEST_F(Filters, CapturePointsSurroundTheChain) {
  std::ostringstream out;
  dispatch::CaptureFilter f;
  f.port = pa;
  f.points = dispatch::point_bit(dispatch::CapturePoint::kInputPreChain) | dispatch::point_bit(dispatch::CapturePoint::kInputPostChain);
  dispatch::Capture cap(out, rig.clock, f);
  sw.captures().attach(&cap);
  chain_a.drop_len = 70;
  rig.send(sw, pa, frame(mac(2), mac(1), 0x0800, 70));
  rig.send(sw, pa, frame(mac(2), mac(1), 0x0800, 71));
  sw.captures().detach(&cap);
  const std::string s = out.str();
  auto c = core::read_capture(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  ASSERT_TRUE(c.has_value());
  // Pre-chain saw both frames, post-chain only the one the chain let through.
  ASSERT_EQ(c->records.size(), 3u);
  EXPECT_EQ(c->records[0].data.size(), 70u);
  EXPECT_EQ(c->records[1].data.size(), 71u);
  EXPECT_EQ(c->records[2].data.size(), 71u);
  EXPECT_NE(c->records[2].comment.find("InputPostChain"), std::string::npos);
}

}  // namespace
}  // namespace vnetref::vswitch
