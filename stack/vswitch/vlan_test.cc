// VLAN modes on a standard switch: 0 (external tagging), 1-4094 (switch tagging),
// 4095 (guest tagging). No frame crosses VLANs in any mode.
#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

struct Vlans : ::testing::Test {
  Rig rig;
  VirtualSwitch sw{SwitchOptions{}, rig.pool, rig.clock, rig.wheel};
  Recorder up;
  PortId upid{};
  Recorder est, a10, b10, a20, trunk;
  PortId p_est{}, p_a10{}, p_b10{}, p_a20{}, p_trunk{};

  void add_pg(const std::string& name, VlanMode mode, uint16_t vlan) {
    PortGroupConfig pg;
    pg.name = name;
    pg.vlan.mode = mode;
    pg.vlan.vlan = vlan;
    if (mode == VlanMode::kTrunk) pg.vlan.trunk = {VlanRange{0, 4094}};
    ASSERT_TRUE(sw.add_port_group(pg));
  }
  PortId add_vm(const std::string& pg, uint8_t m, Recorder* r) {
    PortSpec s;
    s.name = pg + std::to_string(m);
    s.port_group = pg;
    s.mac = mac(m);
    return *sw.connect(s, r);
  }
  void SetUp() override {
    rig.add(sw);
    UplinkSpec u;
    u.name = "vmnic0";
    upid = *sw.add_uplink(u, &up);
    add_pg("est", VlanMode::kNone, 0);
    add_pg("v10", VlanMode::kAccess, 10);
    add_pg("v20", VlanMode::kAccess, 20);
    add_pg("vgt", VlanMode::kTrunk, 4095);
    p_est = add_vm("est", 1, &est);
    p_a10 = add_vm("v10", 2, &a10);
    p_b10 = add_vm("v10", 3, &b10);
    p_a20 = add_vm("v20", 4, &a20);
    p_trunk = add_vm("vgt", 5, &trunk);
  }
};

TEST_F(Vlans, SwitchTaggingTagsOnUplinkAndStaysInVlan) {
  rig.send(sw, p_a10, frame(wire::MacAddress::broadcast(), mac(2)));
  EXPECT_EQ(b10.count(), 1u);
  EXPECT_EQ(b10.frames[0].vlan_tci, 0u);  // stripped on delivery
  EXPECT_EQ(a20.count() + est.count(), 0u);
  ASSERT_EQ(up.count(), 1u);
  EXPECT_EQ(up.frames[0].vlan_tci & 0x0fff, 10u);  // tagged on uplink egress
  EXPECT_EQ(trunk.count(), 1u);                    // the guest-tagging port sees VLAN 10 ...
  EXPECT_EQ(trunk.frames[0].vlan_tci & 0x0fff, 10u);  // ... with its tag
  expect_accounted(sw);
}

TEST_F(Vlans, FramesFromUplinkGoOnlyToTheirVlan) {
  rig.send(sw, upid, frame(wire::MacAddress::broadcast(), mac(0x60)), 0, 20);
  EXPECT_EQ(a20.count(), 1u);
  EXPECT_EQ(a20.frames[0].vlan_tci, 0u);
  EXPECT_EQ(a10.count() + b10.count() + est.count(), 0u);
  rig.send(sw, upid, frame(wire::MacAddress::broadcast(), mac(0x60)));  // untagged -> VLAN 0 only
  EXPECT_EQ(est.count(), 1u);
  EXPECT_EQ(a10.count() + b10.count(), 0u);
  EXPECT_EQ(a20.count(), 1u);
  // In-band tags on the wire are classified the same way.
  rig.send(sw, upid, frame(mac(3), mac(0x60), 0x0800, 64, 10));
  EXPECT_EQ(b10.count(), 1u);
  rig.send(sw, upid, frame(mac(3), mac(0x60), 0x0800, 64, 20));  // MAC of a VLAN-10 VM, tagged 20
  EXPECT_EQ(b10.count(), 1u);
  EXPECT_EQ(sw.drops()[DropReason::kUnknownUnicastUplink], 1u);
}

TEST_F(Vlans, UnicastToAMacOnAnotherVlanNeverCrosses) {
  rig.send(sw, p_a10, frame(mac(4), mac(2)));  // a20's MAC, from VLAN 10
  EXPECT_EQ(a20.count(), 0u);
  ASSERT_EQ(up.count(), 1u);  // unknown in VLAN 10: leaves tagged 10
  EXPECT_EQ(up.frames[0].vlan_tci & 0x0fff, 10u);
}

TEST_F(Vlans, ExternalTaggingKeepsFramesUntagged) {
  rig.send(sw, p_est, frame(wire::MacAddress::broadcast(), mac(1)));
  ASSERT_EQ(up.count(), 1u);
  EXPECT_EQ(up.frames[0].vlan_tci, 0u);
  EXPECT_EQ(a10.count() + a20.count(), 0u);
  EXPECT_EQ(trunk.count(), 1u);  // VLAN 0 is in the 4095 trunk
}

TEST_F(Vlans, GuestTagsAreRefusedOutsideGuestTagging) {
  rig.send(sw, p_a10, frame(wire::MacAddress::broadcast(), mac(2), 0x0800, 64, 20));
  rig.send(sw, p_est, frame(wire::MacAddress::broadcast(), mac(1), 0x0800, 64, 10));
  EXPECT_EQ(sw.drops()[DropReason::kVlanNotAllowed], 2u);
  EXPECT_EQ(a20.count() + a10.count() + b10.count() + up.count(), 0u);
}

TEST_F(Vlans, GuestTaggingPassesTagsThrough) {
  rig.send(sw, p_trunk, frame(wire::MacAddress::broadcast(), mac(5), 0x0800, 64, 20));
  EXPECT_EQ(a20.count(), 1u);
  EXPECT_EQ(a20.frames[0].vlan_tci, 0u);
  EXPECT_EQ(a20.frames[0].bytes[12], 0x08);  // the in-band tag was removed from the bytes
  ASSERT_EQ(up.count(), 1u);
  EXPECT_EQ(up.frames[0].vlan_tci & 0x0fff, 20u);
  EXPECT_EQ(a10.count() + b10.count() + est.count(), 0u);
  // Known unicast from the trunk into VLAN 10.
  rig.send(sw, p_trunk, frame(mac(3), mac(5), 0x0800, 64, 10));
  EXPECT_EQ(b10.count(), 1u);
  // And back: VLAN 10 unicast to the trunk VM's MAC reaches it tagged.
  rig.send(sw, p_a10, frame(mac(5), mac(2)));
  ASSERT_EQ(trunk.count(), 1u);
  EXPECT_EQ(trunk.frames[0].vlan_tci & 0x0fff, 10u);
}

TEST_F(Vlans, TrunkRangeLimitsGuestVlans) {
  PortGroupConfig pg;
  pg.name = "narrow";
  pg.vlan.mode = VlanMode::kTrunk;
  pg.vlan.trunk = {VlanRange{100, 199}};
  ASSERT_TRUE(sw.add_port_group(pg));
  Recorder r;
  const PortId p = add_vm("narrow", 9, &r);
  rig.send(sw, p, frame(wire::MacAddress::broadcast(), mac(9), 0x0800, 64, 10));
  EXPECT_EQ(sw.drops()[DropReason::kVlanNotAllowed], 1u);
  rig.send(sw, p_a10, frame(wire::MacAddress::broadcast(), mac(2)));
  EXPECT_EQ(r.count(), 0u);
}

TEST_F(Vlans, ReservedVid4095IsABadTag) {
  rig.send(sw, p_trunk, frame(wire::MacAddress::broadcast(), mac(5), 0x0800, 64, 4095));
  EXPECT_EQ(sw.drops()[DropReason::kBadVlanTag], 1u);
  expect_accounted(sw);
}

TEST_F(Vlans, PriorityTagIsVlanZero) {
  rig.send(sw, p_est, frame(wire::MacAddress::broadcast(), mac(1), 0x0800, 64, 0x6000));  // PCP 3, VID 0
  EXPECT_EQ(sw.drops()[DropReason::kVlanNotAllowed], 0u);
  ASSERT_EQ(up.count(), 1u);
  EXPECT_EQ(up.frames[0].vlan_tci, 0x6000u);
}

}  // namespace
}  // namespace vnetref::vswitch
