// Security policy: promiscuous mode, MAC address changes, forged transmits;
// defaults; per-port overrides.
#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

struct Security : ::testing::Test {
  Rig rig;
  VirtualSwitch sw{SwitchOptions{}, rig.pool, rig.clock, rig.wheel};
  Recorder up, a, b, c, other;
  PortId pa{}, pb{}, pc{}, pother{};

  PortId add(const std::string& pg, uint8_t m, Recorder* r) {
    PortSpec s;
    s.port_group = pg;
    s.mac = mac(m);
    return *sw.connect(s, r);
  }
  void make(SecurityPolicy pol) {
    rig.add(sw);
    UplinkSpec u;
    u.name = "vmnic0";
    (void)*sw.add_uplink(u, &up);
    PortGroupConfig pg;
    pg.name = "pg";
    pg.security = pol;
    ASSERT_TRUE(sw.add_port_group(pg));
    PortGroupConfig pg2;
    pg2.name = "v30";
    pg2.vlan.mode = VlanMode::kAccess;
    pg2.vlan.vlan = 30;
    pg2.security.promiscuous = true;
    ASSERT_TRUE(sw.add_port_group(pg2));
    pa = add("pg", 1, &a);
    pb = add("pg", 2, &b);
    pc = add("pg", 3, &c);
    pother = add("v30", 4, &other);
  }
};

TEST_F(Security, StandardDefaultsAreRejectAcceptAccept) {
  PortGroupConfig pg;
  EXPECT_FALSE(pg.security.promiscuous);
  EXPECT_TRUE(pg.security.mac_changes);
  EXPECT_TRUE(pg.security.forged_transmits);
  auto d = SecurityPolicy::distributed_defaults();
  EXPECT_FALSE(d.promiscuous || d.mac_changes || d.forged_transmits);
}

TEST_F(Security, PromiscuousRejectSeesOnlyOwnFrames) {
  make(SecurityPolicy{false, true, true});
  rig.send(sw, pa, frame(mac(2), mac(1)));
  EXPECT_EQ(b.count(), 1u);
  EXPECT_EQ(c.count(), 0u);
}

TEST_F(Security, PromiscuousAcceptSeesEverythingInItsVlanOnly) {
  make(SecurityPolicy{false, true, true});
  PortOverrides o;
  o.security = SecurityPolicy{true, true, true};
  ASSERT_TRUE(sw.set_overrides(pc, o));
  rig.send(sw, pa, frame(mac(2), mac(1)));      // known unicast a -> b
  rig.send(sw, pa, frame(mac(0x70), mac(1)));   // unknown unicast to the uplink
  EXPECT_EQ(b.count(), 1u);
  EXPECT_EQ(c.count(), 2u);
  EXPECT_EQ(up.count(), 1u);
  EXPECT_EQ(other.count(), 0u);  // promiscuous on VLAN 30 sees nothing of VLAN 0
  expect_accounted(sw);
}

TEST_F(Security, ForgedTransmitsRejectDropsForeignSourceMacs) {
  make(SecurityPolicy{false, true, false});
  rig.send(sw, pa, frame(mac(2), mac(0x66)));
  EXPECT_EQ(b.count(), 0u);
  EXPECT_EQ(sw.drops()[DropReason::kForgedTransmit], 1u);
  rig.send(sw, pa, frame(mac(2), mac(1)));
  EXPECT_EQ(b.count(), 1u);
}

TEST_F(Security, ForgedTransmitsAcceptForwards) {
  make(SecurityPolicy{false, true, true});
  rig.send(sw, pa, frame(mac(2), mac(0x66)));
  EXPECT_EQ(b.count(), 1u);
}

TEST_F(Security, ForgedTransmitsComparesWithTheEffectiveMac) {
  make(SecurityPolicy{false, true, false});
  ASSERT_TRUE(sw.set_effective_mac(pa, mac(0x11)));
  rig.send(sw, pa, frame(mac(2), mac(0x11)));
  EXPECT_EQ(b.count(), 1u);
  rig.send(sw, pa, frame(mac(2), mac(1)));
  EXPECT_EQ(sw.drops()[DropReason::kForgedTransmit], 1u);
}

TEST_F(Security, MacChangesRejectBlocksInboundUntilReverted) {
  make(SecurityPolicy{false, false, true});
  ASSERT_TRUE(sw.set_effective_mac(pb, mac(0x22)));
  rig.send(sw, pa, frame(mac(2), mac(1)));
  rig.send(sw, pa, frame(wire::MacAddress::broadcast(), mac(1)));
  EXPECT_EQ(b.count(), 0u);
  EXPECT_EQ(sw.drops()[DropReason::kMacChangeBlocked], 2u);
  ASSERT_TRUE(sw.set_effective_mac(pb, mac(2)));
  rig.send(sw, pa, frame(mac(2), mac(1)));
  EXPECT_EQ(b.count(), 1u);
  expect_accounted(sw);
}

TEST_F(Security, MacChangesAcceptFollowsTheNewMac) {
  make(SecurityPolicy{false, true, true});
  ASSERT_TRUE(sw.set_effective_mac(pb, mac(0x22)));
  rig.send(sw, pa, frame(mac(0x22), mac(1)));
  EXPECT_EQ(b.count(), 1u);
  rig.send(sw, pa, frame(mac(2), mac(1)));  // the old MAC is no longer registered
  EXPECT_EQ(b.count(), 1u);
  EXPECT_EQ(up.count(), 1u);
}

TEST_F(Security, PortOverrideBeatsThePortGroup) {
  make(SecurityPolicy{false, true, false});
  PortOverrides o;
  o.security = SecurityPolicy{false, true, true};
  ASSERT_TRUE(sw.set_overrides(pa, o));
  rig.send(sw, pa, frame(mac(2), mac(0x66)));
  EXPECT_EQ(b.count(), 1u);
  rig.send(sw, pc, frame(mac(2), mac(0x67)));
  EXPECT_EQ(sw.drops()[DropReason::kForgedTransmit], 1u);
}

}  // namespace
}  // namespace vnetref::vswitch
