#include "stack/host/config.h"

#include <gtest/gtest.h>

namespace vnetref::host {
namespace {

std::string first_error(std::string_view text) {
  auto r = load_topology(text);
  if (r) return "";
  return r.error().errors.front().to_string();
}

TEST(Config, ExampleFileLoads) {
  auto r = load_topology_file("examples/hosts/two_hosts.json");
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  const auto& t = *r;
  ASSERT_EQ(t.hosts.size(), 2u);
  EXPECT_EQ(t.hosts[0].pnics.size(), 3u);
  const auto& pg = t.hosts[0].switches[0].port_groups[1];
  EXPECT_EQ(pg.name, "VM Network");
  EXPECT_EQ(pg.vlan.mode, vswitch::VlanMode::kAccess);
  EXPECT_EQ(pg.vlan.vlan, 10);
  EXPECT_FALSE(pg.security.forged_transmits);
  EXPECT_TRUE(pg.shaping_in.enabled);
  EXPECT_EQ(pg.shaping_in.average_bps, 100'000'000u);
  EXPECT_EQ(pg.shaping_in.burst_bytes, 100u * 1024);
  ASSERT_EQ(t.distributed_switches.size(), 1u);
  const auto& d = t.distributed_switches[0];
  EXPECT_EQ(d.pvlans.size(), 3u);
  EXPECT_EQ(d.port_groups[0].teaming.policy, vswitch::TeamingPolicy::kLoadBased);
  EXPECT_EQ(d.port_groups[1].vlan.mode, vswitch::VlanMode::kPvlan);
  // Distributed port groups default to reject/reject/reject.
  EXPECT_FALSE(d.port_groups[0].security.mac_changes);
  EXPECT_EQ(d.port_groups[3].vlan.trunk.size(), 2u);
  EXPECT_TRUE(d.port_groups[3].mac_learning.enabled);
  EXPECT_EQ(d.mirrors[0].session.mirrored_length, 128u);
  EXPECT_TRUE(d.ipfix.enabled);
  // The iochain section is kept raw for the IOChain layer.
  const auto& vk = t.hosts[0].netstacks[0].vmknics[0];
  ASSERT_TRUE(vk.port.iochain.is_array());
  ASSERT_EQ(vk.port.iochain.items().size(), 1u);
  EXPECT_EQ(vk.port.iochain.items()[0].find("agent")->as_string(), "ESXi-Firewall");
  EXPECT_EQ(vk.address, wire::Ipv4Address(10, 0, 0, 11));
  EXPECT_EQ(vk.prefix_len, 24);
}

TEST(Config, OutOfRangeVlanNamesFieldAndLine) {
  const char* text = R"({
  "hosts": [
    {"name": "h", "switches": [
      {"name": "s", "port_groups": [
        {"name": "pg",
         "vlan": 5000}
      ]}
    ]}
  ]
})";
  const std::string e = first_error(text);
  EXPECT_NE(e.find("line 6"), std::string::npos) << e;
  EXPECT_NE(e.find("hosts[0].switches[0].port_groups[0].vlan"), std::string::npos) << e;
  EXPECT_NE(e.find("0..4095"), std::string::npos) << e;
}

TEST(Config, UnknownFieldIsAnError) {
  const std::string e = first_error(R"({"hosts": [{"name": "h", "vlans": 3}]})");
  EXPECT_NE(e.find("hosts[0].vlans: unknown field"), std::string::npos) << e;
}

TEST(Config, SyntaxErrorHasLineAndColumn) {
  const std::string e = first_error("{\n  \"hosts\": [\n  ,]\n}");
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
}

TEST(Config, CrossReferencesAreChecked) {
  const char* text = R"({"hosts": [{"name": "h",
    "pnics": [{"name": "vmnic0", "mac": "00:50:56:00:00:01", "physical_port": "nowhere"}],
    "switches": [{"name": "s", "uplinks": ["vmnic0", "vmnic9"], "port_groups": [{"name": "pg"}]}],
    "vms": [{"name": "vm", "vnics": [
      {"name": "eth0", "mac": "00:50:56:00:00:02", "switch": "s", "port_group": "nope"},
      {"name": "eth1", "mac": "00:50:56:00:00:03", "switch": "dvsX", "port_group": "pg"}]}]}]})";
  auto r = load_topology(text);
  ASSERT_FALSE(r.has_value());
  const std::string all = r.error().to_string();
  EXPECT_NE(all.find("no physical_network port named \"nowhere\""), std::string::npos) << all;
  EXPECT_NE(all.find("no pNIC named \"vmnic9\""), std::string::npos) << all;
  EXPECT_NE(all.find("hosts[0].vms[0].vnics[0].port_group"), std::string::npos) << all;
  EXPECT_NE(all.find("no switch named \"dvsX\""), std::string::npos) << all;
}

TEST(Config, TeamingRulesFromTheDocumentation) {
  const char* ip_hash_standby = R"({"hosts": [{"name": "h",
    "pnics": [{"name": "a", "mac": "00:50:56:00:00:01"}, {"name": "b", "mac": "00:50:56:00:00:02"}],
    "switches": [{"name": "s", "uplinks": ["a", "b"], "port_groups": [
      {"name": "pg", "teaming": {"policy": "ip_hash", "active": ["a"], "standby": ["b"]}}]}]}]})";
  EXPECT_NE(first_error(ip_hash_standby).find("ip_hash needs every uplink active"), std::string::npos);
  const char* beacon_two = R"({"hosts": [{"name": "h",
    "pnics": [{"name": "a", "mac": "00:50:56:00:00:01"}, {"name": "b", "mac": "00:50:56:00:00:02"}],
    "switches": [{"name": "s", "uplinks": ["a", "b"], "port_groups": [
      {"name": "pg", "teaming": {"failure_detection": "beacon_probing"}}]}]}]})";
  EXPECT_NE(first_error(beacon_two).find("at least 3 uplinks"), std::string::npos);
  const char* lbt_on_vss = R"({"hosts": [{"name": "h", "switches": [{"name": "s", "port_groups": [
      {"name": "pg", "teaming": {"policy": "load_based"}}]}]}]})";
  EXPECT_NE(first_error(lbt_on_vss).find("must be one of"), std::string::npos);
  const char* pvlan_on_vss = R"({"hosts": [{"name": "h", "switches": [{"name": "s", "port_groups": [
      {"name": "pg", "pvlan": 101}]}]}]})";
  EXPECT_NE(first_error(pvlan_on_vss).find("pvlan: unknown field"), std::string::npos);
}

TEST(Config, ShapingPeakBelowAverageAndBadMac) {
  const char* text = R"({"hosts": [{"name": "h",
    "pnics": [{"name": "a", "mac": "00:50:56:zz:00:01"}],
    "switches": [{"name": "s", "port_groups": [
      {"name": "pg", "shaping": {"average_kbps": 1000, "peak_kbps": 10}}]}]}]})";
  auto r = load_topology(text);
  ASSERT_FALSE(r.has_value());
  const std::string all = r.error().to_string();
  EXPECT_NE(all.find("not a MAC address"), std::string::npos) << all;
  EXPECT_NE(all.find("peak_kbps: must be >= average_kbps"), std::string::npos) << all;
}

TEST(Config, DvsChecks) {
  const char* text = R"({"hosts": [{"name": "h", "pnics": [{"name": "a", "mac": "00:50:56:00:00:01"}],
    "vms": [{"name": "v", "vnics": [{"name": "eth0", "mac": "00:50:56:00:00:09", "switch": "d", "port_group": "iso"}]}]}],
    "distributed_switches": [{"name": "d", "uplinks": ["u1"],
      "pvlans": [{"primary": 100, "secondary": 101, "type": "isolated"}],
      "port_groups": [{"name": "iso", "pvlan": 102}],
      "mirrors": [{"name": "m", "type": "local", "sources": ["h/v.eth0"], "destinations": ["h/v.eth0"]}],
      "hosts": [{"host": "h", "uplinks": {"u1": "a", "u9": "a"}}]}]})";
  auto r = load_topology(text);
  ASSERT_FALSE(r.has_value());
  const std::string all = r.error().to_string();
  EXPECT_NE(all.find("no private VLAN entry with secondary 102"), std::string::npos) << all;
  EXPECT_NE(all.find("both source and destination"), std::string::npos) << all;
  EXPECT_NE(all.find("uplinks.u9: not an uplink"), std::string::npos) << all;
}

TEST(Config, IochainShapeIsChecked) {
  const char* text = R"({"hosts": [{"name": "h", "switches": [{"name": "s", "port_groups": [{"name": "pg"}]}],
    "vms": [{"name": "v", "vnics": [{"name": "eth0", "mac": "00:50:56:00:00:09", "switch": "s", "port_group": "pg",
      "iochain": [{"slot": 1, "agent": "a"}, {"slot": 1, "agent": "b"}, {"slot": 16, "agent": "c"}]}]}]}]})";
  auto r = load_topology(text);
  ASSERT_FALSE(r.has_value());
  const std::string all = r.error().to_string();
  EXPECT_NE(all.find("iochain[1].slot: slot used twice"), std::string::npos) << all;
  EXPECT_NE(all.find("iochain[2].slot: must be 0..15"), std::string::npos) << all;
}

}  // namespace
}  // namespace vnetref::host
