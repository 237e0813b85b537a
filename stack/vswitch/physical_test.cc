// The physical network model: learning, flooding, VLAN trunks and access ports,
// link state, BPDUs.
#include "stack/vswitch/physical.h"

#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

struct Phys : ::testing::Test {
  Rig rig;
  PhysicalSwitch sw{"tor", rig.pool, rig.clock};
  Recorder dev[4];
  uint32_t port[4]{};
  void SetUp() override {
    rig.runner.add(&sw.poller());
    for (int i = 0; i < 4; ++i) {
      PhysPortConfig c;
      c.name = "p" + std::to_string(i);
      if (i == 3) {
        c.trunk = false;
        c.access_vlan = 20;
      }
      port[i] = sw.add_port(c, &dev[i]);
    }
  }
  void send(int from, const std::vector<uint8_t>& f, uint16_t tci = 0) {
    core::PacketBatch b;
    auto p = rig.pool.alloc_copy(f);
    p->meta.vlan_tci = tci;
    (void)b.push(std::move(p));
    sw.receive(port[from], b);
    rig.runner.run_until_idle();
  }
};

TEST_F(Phys, LearnsAndForwardsUnicastAfterFlooding) {
  send(0, frame(mac(2), mac(1)));
  EXPECT_EQ(dev[1].count() + dev[2].count(), 2u);  // unknown: flooded (p3 is access VLAN 20)
  EXPECT_EQ(dev[3].count(), 0u);
  send(1, frame(mac(1), mac(2)));
  EXPECT_EQ(dev[0].count(), 1u);  // learned
  EXPECT_EQ(dev[2].count(), 1u);
  EXPECT_EQ(sw.lookup(mac(1), 0), port[0]);
}

TEST_F(Phys, AccessPortsUntagAndTrunksTag) {
  send(0, frame(wire::MacAddress::broadcast(), mac(1)), 20);
  ASSERT_EQ(dev[3].count(), 1u);
  EXPECT_EQ(dev[3].frames[0].vlan_tci, 0u);
  ASSERT_EQ(dev[1].count(), 1u);
  EXPECT_EQ(dev[1].frames[0].vlan_tci & 0x0fff, 20u);
  send(3, frame(wire::MacAddress::broadcast(), mac(5)));
  EXPECT_EQ(dev[0].frames.back().vlan_tci & 0x0fff, 20u);
  send(3, frame(wire::MacAddress::broadcast(), mac(5)), 30);  // tagged into an access port: refused
  EXPECT_EQ(sw.drops()[PhysDropReason::kVlanNotAllowed], 1u);
}

TEST_F(Phys, InBandTagsAreClassified) {
  send(0, frame(wire::MacAddress::broadcast(), mac(1), 0x0800, 64, 20));
  ASSERT_EQ(dev[3].count(), 1u);
  EXPECT_EQ(dev[3].frames[0].bytes[12], 0x08);  // delivered untagged on the access port
}

TEST_F(Phys, LinkDownDropsAndFlushesLearnedMacs) {
  bool notified = false;
  sw.set_link_listener([&](uint32_t p, bool up) { notified = p == port[1] && !up; });
  send(1, frame(mac(9), mac(2)));
  EXPECT_EQ(sw.lookup(mac(2), 0), port[1]);
  ASSERT_TRUE(sw.set_link(port[1], false));
  EXPECT_TRUE(notified);
  EXPECT_EQ(sw.lookup(mac(2), 0), 0u);
  send(0, frame(wire::MacAddress::broadcast(), mac(1)));
  EXPECT_EQ(dev[1].count(), 0u);
  send(1, frame(mac(1), mac(2)));
  EXPECT_EQ(sw.drops()[PhysDropReason::kPortDown], 1u);
}

TEST_F(Phys, BpdusAreDroppedAndEverythingIsAccounted) {
  send(0, frame(wire::MacAddress(0x01, 0x80, 0xc2, 0, 0, 0), mac(1), 0x0026));
  EXPECT_EQ(sw.drops()[PhysDropReason::kBpdu], 1u);
  send(2, frame(wire::MacAddress::broadcast(), mac(7)));
  const auto& s = sw.stats();
  EXPECT_EQ(s.injected + s.copies, s.delivered + s.dropped);
  EXPECT_EQ(sw.in_flight(), 0u);
}

}  // namespace
}  // namespace vnetref::vswitch
