// Distributed switch: proxies per host, private VLANs, mirroring (local, RSPAN,
// ERSPAN), load-based teaming, MAC learning, migration.
#include "stack/vswitch/dvs.h"

#include "stack/vswitch/frames.h"
#include "stack/vswitch/test_util.h"
#include "stack/wire/bytes.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

struct Dvs : ::testing::Test {
  Rig rig;
  std::unique_ptr<DistributedSwitch> dvs;
  VirtualSwitch* sw = nullptr;
  Recorder up[2];
  PortId u[2]{};
  std::map<std::string, PortId> port;
  std::map<std::string, std::unique_ptr<Recorder>> rx;

  void make(std::vector<PortGroupConfig> groups, std::vector<PvlanEntry> pvlans = {}) {
    DvsConfig c;
    c.name = "dvs";
    c.port_groups = std::move(groups);
    c.pvlans = std::move(pvlans);
    dvs = std::make_unique<DistributedSwitch>(c);
    sw = *dvs->add_host("esx1", rig.pool, rig.clock, rig.wheel);
    rig.add(*sw);
    u[0] = *dvs->add_uplink("esx1", "uplink1", mac(0xe0, 0), 1000, &up[0]);
    u[1] = *dvs->add_uplink("esx1", "uplink2", mac(0xe1, 0), 1000, &up[1]);
  }
  PortId add(const std::string& name, const std::string& pg, uint8_t m) {
    rx[name] = std::make_unique<Recorder>(&rig.clock);
    PortSpec s;
    s.name = name;
    s.port_group = pg;
    s.mac = mac(m);
    auto id = dvs->connect("esx1", s, rx[name].get());
    EXPECT_TRUE(id);
    port[name] = *id;
    return *id;
  }
  Recorder& r(const std::string& n) { return *rx[n]; }
};

PortGroupConfig pg(const std::string& name, VlanMode mode, uint16_t vlan) {
  PortGroupConfig g;
  g.name = name;
  g.vlan.mode = mode;
  g.vlan.vlan = vlan;
  g.security = SecurityPolicy::distributed_defaults();
  return g;
}

TEST_F(Dvs, PrivateVlanRules) {
  make({pg("prom", VlanMode::kPvlan, 100), pg("iso", VlanMode::kPvlan, 101), pg("comA", VlanMode::kPvlan, 102),
        pg("comB", VlanMode::kPvlan, 103)},
       {{100, 100, PvlanType::kPromiscuous}, {100, 101, PvlanType::kIsolated}, {100, 102, PvlanType::kCommunity},
        {100, 103, PvlanType::kCommunity}});
  add("p", "prom", 1);
  add("i1", "iso", 2);
  add("i2", "iso", 3);
  add("a1", "comA", 4);
  add("a2", "comA", 5);
  add("b1", "comB", 6);
  const auto bc = wire::MacAddress::broadcast();
  rig.send(*sw, port["i1"], frame(bc, mac(2)));
  EXPECT_EQ(r("p").count(), 1u);
  EXPECT_EQ(r("i2").count() + r("a1").count() + r("a2").count() + r("b1").count(), 0u);
  ASSERT_EQ(up[0].count() + up[1].count(), 1u);
  const auto& out = up[0].count() ? up[0].frames[0] : up[1].frames[0];
  EXPECT_EQ(out.vlan_tci & 0x0fff, 101u);  // isolated frames leave tagged with the isolated VLAN
  rig.send(*sw, port["a1"], frame(bc, mac(4)));
  EXPECT_EQ(r("a2").count(), 1u);
  EXPECT_EQ(r("p").count(), 2u);
  EXPECT_EQ(r("b1").count() + r("i1").count() + r("i2").count(), 0u);
  rig.send(*sw, port["p"], frame(bc, mac(1)));
  for (const char* n : {"i1", "i2", "a1", "b1"}) EXPECT_EQ(r(n).count(), 1u) << n;
  EXPECT_EQ(r("a2").count(), 2u);
  // Unicast across isolation is dropped with its reason.
  rig.send(*sw, port["i1"], frame(mac(3), mac(2)));
  rig.send(*sw, port["a1"], frame(mac(6), mac(4)));
  EXPECT_EQ(sw->drops()[DropReason::kPvlanIsolation], 2u);
  // From the uplink, tagged with a community VLAN: that community and promiscuous only.
  rig.send(*sw, u[0], frame(bc, mac(0x70)), 0, 103);
  EXPECT_EQ(r("b1").count(), 2u);
  EXPECT_EQ(r("a1").count(), 1u);
  expect_accounted(*sw);
}

TEST_F(Dvs, LocalMirrorWithDirectionAndLength) {
  make({pg("pg", VlanMode::kAccess, 10)});
  add("src", "pg", 1);
  add("dst", "pg", 2);
  add("mon", "pg", 3);
  MirrorSession s;
  s.name = "m";
  s.sources = {port["src"]};
  s.destinations = {port["mon"]};
  s.direction = MirrorDirection::kIngress;
  s.mirrored_length = 60;
  ASSERT_TRUE(dvs->add_mirror(s));
  rig.send(*sw, port["src"], frame(mac(2), mac(1), 0x0800, 200));
  rig.send(*sw, port["dst"], frame(mac(1), mac(2), 0x0800, 200));  // egress of src: not mirrored
  ASSERT_EQ(r("mon").count(), 1u);
  EXPECT_EQ(r("mon").frames[0].bytes.size(), 60u);
  EXPECT_EQ(r("dst").count(), 1u);
  EXPECT_EQ(r("dst").frames[0].bytes.size(), 200u);  // the original is untouched
  MirrorSession bad = s;
  bad.destinations = {port["src"]};
  EXPECT_FALSE(dvs->add_mirror(bad));
  expect_accounted(*sw);
}

TEST_F(Dvs, RemoteSourceAndRemoteDestination) {
  make({pg("pg", VlanMode::kAccess, 10)});
  add("src", "pg", 1);
  add("dst", "pg", 2);
  add("mon", "pg", 3);
  MirrorSession rs;
  rs.name = "rspan-src";
  rs.type = MirrorType::kRemoteSource;
  rs.sources = {port["src"]};
  rs.uplinks = {"uplink2"};
  rs.rspan_vlan = 999;
  ASSERT_TRUE(dvs->add_mirror(rs));
  rig.send(*sw, port["src"], frame(mac(2), mac(1)));
  ASSERT_EQ(up[1].count(), 1u);
  EXPECT_EQ(up[1].frames[0].vlan_tci & 0x0fff, 999u);
  MirrorSession rd;
  rd.name = "rspan-dst";
  rd.type = MirrorType::kRemoteDestination;
  rd.rspan_vlan = 998;
  rd.destinations = {port["mon"]};
  ASSERT_TRUE(dvs->add_mirror(rd));
  rig.send(*sw, u[0], frame(mac(0x70), mac(0x71)), 0, 998);
  ASSERT_EQ(r("mon").count(), 1u);
  EXPECT_EQ(r("mon").frames[0].vlan_tci, 0u);
  expect_accounted(*sw);
}

TEST_F(Dvs, EncapsulatedRemoteMirroringIsGreErspan) {
  make({pg("pg", VlanMode::kAccess, 10)});
  add("src", "pg", 1);
  add("dst", "pg", 2);
  MirrorSession s;
  s.name = "erspan";
  s.session_id = 77;
  s.type = MirrorType::kEncapsulatedL3;
  s.sources = {port["src"]};
  s.erspan_src = wire::Ipv4Address(10, 0, 0, 1);
  s.erspan_dst = wire::Ipv4Address(10, 9, 9, 9);
  s.erspan_next_hop = mac(0x99, 0);
  s.erspan_uplink = "uplink1";
  ASSERT_TRUE(dvs->add_mirror(s));
  const auto inner = frame(mac(2), mac(1), 0x0800, 100);
  rig.send(*sw, port["src"], inner);
  ASSERT_EQ(up[0].count(), 1u);
  const auto& f = up[0].frames[0].bytes;
  ASSERT_EQ(f.size(), 50u + 100u);
  EXPECT_EQ(wire::load_be16(f, 12), 0x0800);
  EXPECT_EQ(f[23], 47);                                // GRE
  EXPECT_EQ(wire::load_be16(f, 36), 0x88BE);           // ERSPAN type II
  EXPECT_EQ(wire::load_be16(f, 42) & 0x0fff, 10u);     // original VLAN
  EXPECT_EQ(wire::load_be16(f, 44) & 0x03ff, 77u);     // session id
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), f.begin() + 50));
}

TEST_F(Dvs, LoadBasedTeamingLeavesPortsAloneBelowTheThreshold) {
  PortGroupConfig g = pg("pg", VlanMode::kAccess, 10);
  g.teaming.policy = TeamingPolicy::kLoadBased;
  make({g});  // 1 Gbit/s uplinks
  std::vector<PortId> ids;
  std::vector<uint8_t> macs;
  for (uint8_t i = 1; ids.size() < 2 && i < 10; ++i) {
    const PortId id = add("vm" + std::to_string(i), "pg", i);
    if (sw->current_uplink(id) == u[0]) {
      ids.push_back(id);
      macs.push_back(i);
    }
  }
  ASSERT_EQ(ids.size(), 2u);
  // 2 ports x 5 x 1250 B per 10 ms = 10 Mbit/s: 1 % of the uplink for 31 s.
  for (int ms = 0; ms < 31'000; ms += 10) {
    rig.runner.advance_to(core::from_nanos(int64_t{ms} * 1'000'000));
    for (size_t k = 0; k < ids.size(); ++k) {
      core::PacketBatch b;
      for (int j = 0; j < 5; ++j) (void)b.push(rig.pool.alloc_copy(frame(mac(0x99), mac(macs[k]), 0x0800, 1250)));
      (void)sw->transmit(ids[k], b);
    }
  }
  rig.runner.run_until_idle();
  EXPECT_EQ(sw->stats().lbt_moves, 0u);
  EXPECT_GT(sw->port_counters(u[0]).out_bytes, 30'000'000u);  // the traffic did flow
  for (PortId id : ids) EXPECT_EQ(sw->current_uplink(id), u[0]);
}

TEST_F(Dvs, LoadBasedTeamingMovesWhenAboveSeventyFivePercent) {
  PortGroupConfig g = pg("pg", VlanMode::kAccess, 10);
  g.teaming.policy = TeamingPolicy::kLoadBased;
  DvsConfig c;
  c.name = "dvs";
  c.port_groups = {g};
  dvs = std::make_unique<DistributedSwitch>(c);
  sw = *dvs->add_host("esx1", rig.pool, rig.clock, rig.wheel);
  rig.add(*sw);
  u[0] = *dvs->add_uplink("esx1", "uplink1", mac(0xe0, 0), 10, &up[0]);  // 10 Mbit/s uplinks
  u[1] = *dvs->add_uplink("esx1", "uplink2", mac(0xe1, 0), 10, &up[1]);
  std::vector<PortId> ids;
  std::vector<uint8_t> macs;
  for (uint8_t i = 1; ids.size() < 2 && i < 10; ++i) {
    const PortId id = add("vm" + std::to_string(i), "pg", i);
    if (sw->current_uplink(id) == u[0]) {
      ids.push_back(id);
      macs.push_back(i);
    }
  }
  ASSERT_EQ(ids.size(), 2u);
  // Port A: 6 Mbit/s, port B: 2 Mbit/s, both on uplink1 (80 %) for 30 s. (Sources are
  // the ports' own MACs: distributed port groups reject forged transmits.)
  const auto fa = frame(mac(0x99), mac(macs[0]), 0x0800, 1500);
  const auto fb = frame(mac(0x99), mac(macs[1]), 0x0800, 1500);
  for (int ms = 0; ms < 30'000; ms += 10) {
    rig.runner.advance_to(core::from_nanos(int64_t{ms} * 1'000'000));
    core::PacketBatch a, b;
    for (int k = 0; k < 5; ++k) (void)a.push(rig.pool.alloc_copy(fa));  // 7500 B / 10 ms = 6 Mbit/s
    if (ms % 30 == 0)
      for (int k = 0; k < 5; ++k) (void)b.push(rig.pool.alloc_copy(fb));  // 7500 B / 30 ms = 2 Mbit/s
    (void)sw->transmit(ids[0], a);
    (void)sw->transmit(ids[1], b);
  }
  up[1].clear();
  rig.runner.advance_to(core::from_nanos(30'000'000'001));
  EXPECT_EQ(sw->stats().lbt_moves, 1u);
  EXPECT_EQ(sw->current_uplink(ids[0]), u[1]);  // the busiest port moved
  EXPECT_EQ(sw->current_uplink(ids[1]), u[0]);
  EXPECT_EQ(up[1].count_ethertype(kRarpEtherType), 1u);  // and was announced
}

TEST_F(Dvs, MacLearningWithLimitAndAging) {
  PortGroupConfig g = pg("pg", VlanMode::kAccess, 10);
  PortGroupConfig nested = g;
  nested.name = "nested";
  nested.mac_learning.enabled = true;
  nested.mac_learning.limit = 2;
  nested.mac_learning.aging_seconds = 600;
  make({g, nested});
  add("vm", "pg", 1);
  add("esxi-nested", "nested", 2);
  // The nested hypervisor sources its guests' MACs: learned (2), third refused.
  for (uint8_t k = 0; k < 3; ++k) rig.send(*sw, port["esxi-nested"], frame(wire::MacAddress::broadcast(), mac(0x40 + k)));
  EXPECT_EQ(sw->learned_count(port["esxi-nested"]), 2u);
  EXPECT_EQ(sw->drops()[DropReason::kMacLimit], 1u);
  EXPECT_EQ(r("vm").count(), 2u);
  // Unicast to a learned MAC reaches the learning port, not the uplink.
  rig.send(*sw, port["vm"], frame(mac(0x41), mac(1)));
  EXPECT_EQ(r("esxi-nested").count(), 1u);
  // Unknown unicast from the uplink floods to the learning port (unknown unicast flooding).
  rig.send(*sw, u[0], frame(mac(0x55), mac(0x70)), 0, 10);
  EXPECT_EQ(r("esxi-nested").count(), 2u);
  // Aging: after 600 s without traffic the entries go.
  rig.runner.advance_by(std::chrono::seconds(615));
  EXPECT_EQ(sw->learned_count(port["esxi-nested"]), 0u);
  EXPECT_EQ(sw->stats().aged, 2u);
  up[0].clear();
  up[1].clear();
  rig.send(*sw, port["vm"], frame(mac(0x41), mac(1)));
  EXPECT_EQ(up[0].count() + up[1].count(), 1u);  // unknown again: out by the uplink
  expect_accounted(*sw);
}

TEST_F(Dvs, MigrationKeepsThePortIdAndAnnouncesTheMove) {
  make({pg("pg", VlanMode::kAccess, 10)});
  auto* sw2 = *dvs->add_host("esx2", rig.pool, rig.clock, rig.wheel);
  rig.add(*sw2);
  Recorder up2;
  (void)*dvs->add_uplink("esx2", "uplink1", mac(0xe2, 0), 1000, &up2);
  const PortId id = add("vm", "pg", 1);
  Recorder new_home;
  ASSERT_TRUE(dvs->migrate(id, "esx2", &new_home));
  EXPECT_EQ(dvs->host_of(id), "esx2");
  EXPECT_FALSE(sw->has_port(id));
  EXPECT_TRUE(sw2->has_port(id));
  rig.runner.run_until_idle();
  ASSERT_EQ(up2.count_ethertype(kRarpEtherType), 1u);
  EXPECT_EQ(up2.frames[0].vlan_tci & 0x0fff, 10u);
}

TEST_F(Dvs, PortGroupChangeReachesEveryProxy) {
  make({pg("pg", VlanMode::kAccess, 10)});
  auto* sw2 = *dvs->add_host("esx2", rig.pool, rig.clock, rig.wheel);
  PortGroupConfig g = pg("pg", VlanMode::kAccess, 30);
  ASSERT_TRUE(dvs->update_port_group(g));
  EXPECT_EQ(sw->port_group("pg")->vlan.vlan, 30);
  EXPECT_EQ(sw2->port_group("pg")->vlan.vlan, 30);
}

}  // namespace
}  // namespace vnetref::vswitch
