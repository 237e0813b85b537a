// NIC teaming: policies, failover and failback on link status and beacon probing,
// notify switches (RARP).
#include "stack/vswitch/frames.h"
#include "stack/vswitch/physical.h"
#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

struct Teaming : ::testing::Test {
  Rig rig;
  VirtualSwitch sw{SwitchOptions{}, rig.pool, rig.clock, rig.wheel};
  Recorder up[3];
  PortId u[3]{};
  std::vector<PortId> vms;
  std::vector<std::unique_ptr<Recorder>> vm_rx;

  void make(TeamingConfig t, int nvms = 4) {
    rig.add(sw);
    for (int i = 0; i < 3; ++i) {
      UplinkSpec s;
      s.name = "vmnic" + std::to_string(i);
      s.mac = mac(static_cast<uint8_t>(0xe0 + i), 0x00);
      u[i] = *sw.add_uplink(s, &up[i]);
    }
    PortGroupConfig pg;
    pg.name = "pg";
    pg.teaming = t;
    ASSERT_TRUE(sw.add_port_group(pg));
    for (int i = 0; i < nvms; ++i) {
      vm_rx.push_back(std::make_unique<Recorder>());
      PortSpec s;
      s.port_group = "pg";
      s.mac = mac(static_cast<uint8_t>(0x10 + i));
      vms.push_back(*sw.connect(s, vm_rx.back().get()));
    }
  }
  int uplink_index(PortId p) {
    const PortId cur = sw.current_uplink(p);
    for (int i = 0; i < 3; ++i)
      if (u[i] == cur) return i;
    return -1;
  }
  // Which uplink a unicast to an unknown MAC from VM i leaves by.
  int sends_via(int i, std::vector<uint8_t> f) {
    for (auto& r : up) r.clear();
    rig.send(sw, vms[i], f);
    int found = -1;
    for (int k = 0; k < 3; ++k)
      if (up[k].count_ethertype(0x0800) > 0) found = k;
    return found;
  }
  size_t rarps(int k) const { return up[k].count_ethertype(kRarpEtherType); }
};

TEST_F(Teaming, OriginatingPortIdSpreadsByPortIdAndIsStable) {
  TeamingConfig t;
  t.active = {"vmnic0", "vmnic1"};
  make(t);
  for (size_t i = 0; i < vms.size(); ++i) {
    EXPECT_EQ(uplink_index(vms[i]), static_cast<int>(vms[i] % 2));
    EXPECT_EQ(sends_via(static_cast<int>(i), frame(mac(0x99), mac(static_cast<uint8_t>(0x10 + i)))), static_cast<int>(vms[i] % 2));
  }
  // Unused vmnic2 never carries traffic.
  EXPECT_EQ(up[2].count(), 0u);
}

TEST_F(Teaming, LinkFailureFailsOverWithRarpAndFailsBack) {
  TeamingConfig t;
  t.active = {"vmnic0", "vmnic1"};
  make(t);
  std::vector<int> before;
  for (PortId p : vms) before.push_back(uplink_index(p));
  for (auto& r : up) r.clear();
  ASSERT_TRUE(sw.set_link(u[0], false));
  rig.runner.run_until_idle();
  size_t moved = 0;
  for (size_t i = 0; i < vms.size(); ++i) {
    EXPECT_EQ(uplink_index(vms[i]), 1);
    if (before[i] == 0) ++moved;
  }
  // One RARP per moved port on its new uplink: broadcast, ethertype 0x8035, VM MAC as source.
  ASSERT_EQ(rarps(1), moved);
  for (const auto& f : up[1].frames) {
    EXPECT_TRUE(std::equal(f.bytes.begin(), f.bytes.begin() + 6, wire::MacAddress::broadcast().bytes().begin()));
    EXPECT_EQ(f.bytes[6], 0x02);
    EXPECT_EQ(f.bytes[14 + 7], 3);  // RARP request reverse
  }
  EXPECT_EQ(sw.stats().failovers, moved);
  for (auto& r : up) r.clear();
  ASSERT_TRUE(sw.set_link(u[0], true));  // failback (on by default)
  rig.runner.run_until_idle();
  for (size_t i = 0; i < vms.size(); ++i) EXPECT_EQ(uplink_index(vms[i]), before[i]);
  EXPECT_EQ(rarps(0), moved);
}

TEST_F(Teaming, FailbackOffKeepsTheReplacement) {
  TeamingConfig t;
  t.policy = TeamingPolicy::kExplicitFailover;
  t.active = {"vmnic0"};
  t.standby = {"vmnic1"};
  t.failback = false;
  make(t, 1);
  EXPECT_EQ(uplink_index(vms[0]), 0);
  ASSERT_TRUE(sw.set_link(u[0], false));
  EXPECT_EQ(uplink_index(vms[0]), 1);
  ASSERT_TRUE(sw.set_link(u[0], true));
  EXPECT_EQ(uplink_index(vms[0]), 1);  // stays on the standby
  ASSERT_TRUE(sw.set_link(u[1], false));
  EXPECT_EQ(uplink_index(vms[0]), 0);  // the recovered adapter replaces the failed one
}

TEST_F(Teaming, ExplicitFailoverOrderUsesFirstActiveThenStandby) {
  TeamingConfig t;
  t.policy = TeamingPolicy::kExplicitFailover;
  t.active = {"vmnic1", "vmnic0"};
  t.standby = {"vmnic2"};
  make(t);
  for (PortId p : vms) EXPECT_EQ(uplink_index(p), 1);
  ASSERT_TRUE(sw.set_link(u[1], false));
  for (PortId p : vms) EXPECT_EQ(uplink_index(p), 0);
  ASSERT_TRUE(sw.set_link(u[0], false));
  for (PortId p : vms) EXPECT_EQ(uplink_index(p), 2);
  ASSERT_TRUE(sw.set_link(u[2], false));
  for (PortId p : vms) EXPECT_EQ(uplink_index(p), -1);
  rig.send(sw, vms[0], frame(mac(0x99), mac(0x10)));
  EXPECT_EQ(sw.drops()[DropReason::kNoUplink], 1u);
  ASSERT_TRUE(sw.set_link(u[1], true));
  for (PortId p : vms) EXPECT_EQ(uplink_index(p), 1);
}

TEST_F(Teaming, SourceMacHashPicksByTheSourceMac) {
  TeamingConfig t;
  t.policy = TeamingPolicy::kSourceMacHash;
  t.active = {"vmnic0", "vmnic1", "vmnic2"};
  make(t);
  for (size_t i = 0; i < vms.size(); ++i) {
    const uint8_t last = static_cast<uint8_t>(0x10 + i);
    const int expect = (0x02 ^ last) % 3;
    EXPECT_EQ(sends_via(static_cast<int>(i), frame(mac(0x99), mac(last))), expect);
  }
}

TEST_F(Teaming, IpHashUsesLastOctetsOfBothAddresses) {
  TeamingConfig t;
  t.policy = TeamingPolicy::kIpHash;
  t.active = {"vmnic0", "vmnic1", "vmnic2"};
  make(t, 1);
  const wire::Ipv4Address src(10, 0, 0, 5);
  for (uint8_t d = 1; d < 10; ++d) {
    const int expect = (5 ^ d) % 3;
    EXPECT_EQ(sends_via(0, udp_frame(mac(0x99), mac(0x10), src, wire::Ipv4Address(10, 0, 1, d))), expect) << int(d);
  }
}

TEST_F(Teaming, IpHashRefusesStandbyUplinks) {
  rig.add(sw);
  UplinkSpec s;
  s.name = "vmnic0";
  (void)*sw.add_uplink(s, &up[0]);
  s.name = "vmnic1";
  (void)*sw.add_uplink(s, &up[1]);
  PortGroupConfig pg;
  pg.name = "pg";
  pg.teaming.policy = TeamingPolicy::kIpHash;
  pg.teaming.active = {"vmnic0"};
  pg.teaming.standby = {"vmnic1"};
  auto st = sw.add_port_group(pg);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error(), SwitchError::kInvalidPolicy);
}

TEST_F(Teaming, NotifySwitchesOffSendsNoRarp) {
  TeamingConfig t;
  t.active = {"vmnic0", "vmnic1"};
  t.notify_switches = false;
  make(t);
  ASSERT_TRUE(sw.set_link(u[0], false));
  rig.runner.run_until_idle();
  EXPECT_EQ(rarps(1), 0u);
  EXPECT_GT(sw.stats().failovers, 0u);
}

// Beacon probing needs a network between the uplinks: the physical model.
TEST(TeamingBeacons, BeaconProbingFindsAnUpstreamFaultLinkStatusCannot) {
  Rig rig;
  VirtualSwitch sw{SwitchOptions{}, rig.pool, rig.clock, rig.wheel};
  PhysicalSwitch phys("tor", rig.pool, rig.clock);
  rig.add(sw);
  rig.runner.add(&phys.poller());
  std::vector<std::unique_ptr<UplinkCable>> cables;
  std::vector<std::unique_ptr<UplinkDevice>> devices;
  PortId u[3];
  uint32_t pp[3];
  for (int i = 0; i < 3; ++i) {
    PhysPortConfig pc;
    pc.allowed = {VlanRange{0, 100}};
    pc.name = "te" + std::to_string(i);
    pp[i] = phys.add_port(pc, nullptr);
    cables.push_back(std::make_unique<UplinkCable>(phys, pp[i]));
    UplinkSpec s;
    s.name = "vmnic" + std::to_string(i);
    s.mac = mac(static_cast<uint8_t>(0xe0 + i), 0x00);
    u[i] = *sw.add_uplink(s, cables.back().get());
    devices.push_back(std::make_unique<UplinkDevice>(sw, u[i]));
    phys.set_device(pp[i], devices.back().get());
  }
  PortGroupConfig pg;
  pg.name = "pg";
  pg.teaming.policy = TeamingPolicy::kExplicitFailover;
  pg.teaming.active = {"vmnic0", "vmnic1", "vmnic2"};
  pg.teaming.detection = FailureDetection::kBeaconProbing;
  ASSERT_TRUE(sw.add_port_group(pg));
  Recorder vm;
  PortSpec s;
  s.port_group = "pg";
  s.mac = mac(1);
  const PortId p = *sw.connect(s, &vm);
  rig.runner.advance_by(std::chrono::seconds(5));
  EXPECT_EQ(sw.current_uplink(p), u[0]);
  EXPECT_GT(sw.stats().beacons_sent, 10u);
  EXPECT_EQ(vm.count(), 0u);  // beacons never reach VMs
  // An upstream misconfiguration: vmnic0's switch port moves to a VLAN of its own.
  // The link stays up, so only beacons can notice.
  PhysPortConfig iso;
  iso.name = "te0";
  iso.trunk = false;
  iso.access_vlan = 999;
  ASSERT_TRUE(phys.reconfigure(pp[0], iso));
  rig.runner.advance_by(std::chrono::seconds(5));
  EXPECT_FALSE(sw.uplink_usable(u[0])) << core::format_counters(sw.counters()) << "phys delivered " << phys.stats().delivered << " dropped " << phys.stats().dropped;
  EXPECT_EQ(sw.current_uplink(p), u[1]);
  EXPECT_TRUE(sw.uplink_usable(u[1]));
  EXPECT_TRUE(sw.uplink_usable(u[2]));
  // Repaired: the uplink hears beacons again and traffic fails back.
  PhysPortConfig fixed;
  fixed.name = "te0";
  fixed.allowed = {VlanRange{0, 100}};
  ASSERT_TRUE(phys.reconfigure(pp[0], fixed));
  rig.runner.advance_by(std::chrono::seconds(3));
  EXPECT_TRUE(sw.uplink_usable(u[0]));
  EXPECT_EQ(sw.current_uplink(p), u[0]);
}

TEST(TeamingBeacons, WithLinkStatusOnlyTheSameFaultGoesUnnoticed) {
  Rig rig;
  VirtualSwitch sw{SwitchOptions{}, rig.pool, rig.clock, rig.wheel};
  PhysicalSwitch phys("tor", rig.pool, rig.clock);
  rig.add(sw);
  rig.runner.add(&phys.poller());
  std::vector<std::unique_ptr<UplinkCable>> cables;
  std::vector<std::unique_ptr<UplinkDevice>> devices;
  PortId u[3];
  uint32_t pp[3];
  for (int i = 0; i < 3; ++i) {
    PhysPortConfig pc;
    pc.name = "te" + std::to_string(i);
    pp[i] = phys.add_port(pc, nullptr);
    cables.push_back(std::make_unique<UplinkCable>(phys, pp[i]));
    UplinkSpec s;
    s.name = "vmnic" + std::to_string(i);
    u[i] = *sw.add_uplink(s, cables.back().get());
    devices.push_back(std::make_unique<UplinkDevice>(sw, u[i]));
    phys.set_device(pp[i], devices.back().get());
  }
  PortGroupConfig pg;
  pg.name = "pg";
  pg.teaming.policy = TeamingPolicy::kExplicitFailover;
  pg.teaming.active = {"vmnic0", "vmnic1", "vmnic2"};
  ASSERT_TRUE(sw.add_port_group(pg));
  Recorder vm;
  PortSpec s;
  s.port_group = "pg";
  s.mac = mac(1);
  const PortId p = *sw.connect(s, &vm);
  PhysPortConfig iso;
  iso.name = "te0";
  iso.trunk = false;
  iso.access_vlan = 999;
  ASSERT_TRUE(phys.reconfigure(pp[0], iso));
  rig.runner.advance_by(std::chrono::seconds(10));
  EXPECT_EQ(sw.current_uplink(p), u[0]);
  EXPECT_EQ(sw.stats().beacons_sent, 0u);
  // A cable pull is seen by link status, on both ends.
  ASSERT_TRUE(phys.set_link(pp[0], false));
  EXPECT_EQ(sw.current_uplink(p), u[0]);  // nobody told the host yet: the listener does that
}

}  // namespace
}  // namespace vnetref::vswitch

namespace vnetref::vswitch {
namespace {
using namespace testing;

// Every teaming policy fails over away from a dead uplink, announces the moved
// MACs, and fails back when it returns.
class EveryPolicy : public ::testing::TestWithParam<TeamingPolicy> {};

TEST_P(EveryPolicy, FailsOverAndBack) {
  Rig rig;
  SwitchOptions o;
  o.distributed = GetParam() == TeamingPolicy::kLoadBased;
  VirtualSwitch sw(o, rig.pool, rig.clock, rig.wheel);
  rig.add(sw);
  Recorder up[3];
  PortId u[3];
  for (int i = 0; i < 3; ++i) {
    UplinkSpec s;
    s.name = "vmnic" + std::to_string(i);
    u[i] = *sw.add_uplink(s, &up[i]);
  }
  PortGroupConfig pg;
  pg.name = "pg";
  pg.teaming.policy = GetParam();
  pg.teaming.active = {"vmnic0", "vmnic1", "vmnic2"};
  ASSERT_TRUE(sw.add_port_group(pg));
  std::vector<PortId> vms;
  std::vector<std::unique_ptr<Recorder>> rx;
  for (uint8_t i = 0; i < 6; ++i) {
    rx.push_back(std::make_unique<Recorder>());
    PortSpec s;
    s.port_group = "pg";
    s.mac = mac(static_cast<uint8_t>(0x10 + i));
    vms.push_back(*sw.connect(s, rx.back().get()));
  }
  auto traffic = [&] {
    for (auto& r : up) r.clear();
    for (size_t i = 0; i < vms.size(); ++i)
      for (uint8_t d = 1; d <= 6; ++d)
        rig.send(sw, vms[i], udp_frame(mac(0x99), mac(static_cast<uint8_t>(0x10 + i)), wire::Ipv4Address(10, 0, 0, static_cast<uint8_t>(i + 1)),
                                        wire::Ipv4Address(10, 0, 1, d)));
  };
  traffic();
  EXPECT_GT(up[0].count_ethertype(0x0800), 0u);
  for (auto& r : up) r.clear();
  ASSERT_TRUE(sw.set_link(u[0], false));
  rig.runner.run_until_idle();
  const size_t rarps = up[1].count_ethertype(kRarpEtherType) + up[2].count_ethertype(kRarpEtherType);
  traffic();
  EXPECT_EQ(up[0].count(), 0u);
  EXPECT_EQ(up[1].count_ethertype(0x0800) + up[2].count_ethertype(0x0800), 36u);
  if (GetParam() != TeamingPolicy::kIpHash) {
    EXPECT_GT(rarps, 0u);  // ports homed on vmnic0 were announced
  }
  ASSERT_TRUE(sw.set_link(u[0], true));
  rig.runner.run_until_idle();
  traffic();
  EXPECT_GT(up[0].count_ethertype(0x0800), 0u);  // failback
  expect_accounted(sw);
}

INSTANTIATE_TEST_SUITE_P(Teaming, EveryPolicy,
                         ::testing::Values(TeamingPolicy::kOriginatingPortId, TeamingPolicy::kSourceMacHash,
                                           TeamingPolicy::kIpHash, TeamingPolicy::kExplicitFailover,
                                           TeamingPolicy::kLoadBased),
                         [](const auto& info) { return std::string(name_of(info.param)); });

}  // namespace
}  // namespace vnetref::vswitch
