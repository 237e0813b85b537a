// The host model end to end: the example file, multi-host forwarding through the
// physical network, cross-host private VLANs, mirroring, IPFIX export, failover.
#include "stack/host/topology.h"

#include <gtest/gtest.h>

#include "stack/vswitch/frames.h"
#include "stack/vswitch/test_util.h"
#include "stack/wire/bytes.h"

namespace vnetref::host {
namespace {
using vswitch::testing::frame;
using vswitch::testing::Recorder;

struct Example : ::testing::Test {
  core::BufferPool pool{16384};
  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  dispatch::DeterministicRunner runner{clock, wheel};
  std::unique_ptr<Topology> topo;
  std::map<std::string, Recorder> rx;
  Recorder collector;

  void SetUp() override {
    auto cfg = load_topology_file("examples/hosts/two_hosts.json");
    ASSERT_TRUE(cfg.has_value()) << cfg.error().to_string();
    auto t = Topology::build(*cfg, pool, clock, wheel);
    ASSERT_TRUE(t.has_value()) << t.error();
    topo = std::move(*t);
    topo->add_to(runner);
    for (const auto& n : topo->port_names()) {
      Recorder* r = &rx[n];
      topo->port(n).guest->set_handler([r](vswitch::PortId id, core::PacketBatch& b) { r->deliver(id, b); });
    }
    topo->physical()->set_device(topo->physical()->port_by_name("collector"), &collector);
  }
  void send(const std::string& port, const std::vector<uint8_t>& f) {
    PortRef p = topo->port(port);
    ASSERT_TRUE(p) << port;
    core::PacketBatch b;
    (void)b.push(pool.alloc_copy(f));
    p.transmit(b);
    runner.run_until_idle();
  }
  wire::MacAddress mac_of(const std::string& s) { return *wire::MacAddress::parse(s); }
  void expect_all_accounted() {
    EXPECT_EQ(topo->in_flight(), 0u);
    for (auto* sw : topo->switches()) vswitch::testing::expect_accounted(*sw);
    const auto& ps = topo->physical()->stats();
    EXPECT_EQ(ps.injected + ps.copies, ps.delivered + ps.dropped);
  }
};

TEST_F(Example, VmToVmAcrossHostsThroughThePhysicalNetwork) {
  const auto web1 = mac_of("00:50:56:a1:00:01"), web2 = mac_of("00:50:56:a2:00:01");
  send("esx1/web1.eth0", frame(web2, web1));
  ASSERT_EQ(rx["esx2/web2.eth0"].count(), 1u);
  EXPECT_EQ(rx["esx2/web2.eth0"].frames[0].vlan_tci, 0u);
  // The physical switch learned web1 on esx1's port, in VLAN 10 (tagged on the uplink).
  EXPECT_EQ(topo->physical()->lookup(web1, 10), topo->physical()->port_by_name("esx1-p0"));
  send("esx2/web2.eth0", frame(web1, web2));
  EXPECT_EQ(rx["esx1/web1.eth0"].count(), 1u);
  // The forged-transmit policy of esx1's VM Network holds across the trip.
  send("esx1/web1.eth0", frame(web2, mac_of("00:50:56:a1:00:99")));
  EXPECT_EQ(rx["esx2/web2.eth0"].count(), 1u);
  expect_all_accounted();
}

TEST_F(Example, PrivateVlanIsolationAcrossHosts) {
  const auto web1b = mac_of("00:50:56:a1:00:02");
  send("esx1/web1.eth1", frame(wire::MacAddress::broadcast(), web1b));
  EXPECT_EQ(rx["esx2/gw.eth0"].count(), 1u);      // promiscuous sees isolated
  EXPECT_EQ(rx["esx2/web2.eth1"].count(), 0u);    // isolated never sees isolated
  // Unicast from isolated to isolated on the other host goes out (unknown locally) and
  // is refused on arrival.
  send("esx1/web1.eth1", frame(mac_of("00:50:56:a2:00:02"), web1b));
  EXPECT_EQ(rx["esx2/web2.eth1"].count(), 0u);
  // The promiscuous port reaches both isolated ports.
  send("esx2/gw.eth0", frame(wire::MacAddress::broadcast(), mac_of("00:50:56:a2:00:03")));
  EXPECT_EQ(rx["esx2/web2.eth1"].count(), 1u);
  EXPECT_EQ(rx["esx1/web1.eth1"].count(), 1u);
  expect_all_accounted();
}

TEST_F(Example, LocalMirrorSessionCopiesTruncatedFrames) {
  // gw -> broadcast: the sniffer (dv-web, VLAN 20) gets the mirrored copy truncated to 128 bytes.
  send("esx2/gw.eth0", frame(wire::MacAddress::broadcast(), mac_of("00:50:56:a2:00:03"), 0x0800, 600));
  ASSERT_EQ(rx["esx2/sniffer.eth0"].count(), 1u);
  EXPECT_EQ(rx["esx2/sniffer.eth0"].frames[0].bytes.size(), 128u);
  // Egress direction: frames delivered to gw are mirrored too.
  send("esx1/web1.eth1", frame(mac_of("00:50:56:a2:00:03"), mac_of("00:50:56:a1:00:02"), 0x0800, 300));
  EXPECT_EQ(rx["esx2/gw.eth0"].count(), 1u);
  EXPECT_EQ(rx["esx2/sniffer.eth0"].count(), 2u);
  expect_all_accounted();
}

TEST_F(Example, IpfixRecordsReachTheCollector) {
  const auto db1 = mac_of("00:50:56:a1:00:03"), sniffer = mac_of("00:50:56:a2:00:04");
  for (int i = 0; i < 5; ++i)
    send("esx1/db1.eth0", vswitch::testing::udp_frame(sniffer, db1, wire::Ipv4Address(10, 2, 0, 1),
                                                    wire::Ipv4Address(10, 2, 0, 2), 5000, 53));
  runner.advance_by(std::chrono::seconds(20));  // idle timeout 15 s
  size_t ipfix = 0;
  for (const auto& f : collector.frames) {
    if (f.bytes.size() < 42 + 16 || f.bytes[23] != 17 || wire::load_be16(f.bytes, 36) != 4739) continue;
    const std::span<const uint8_t> m(f.bytes.data() + 42, f.bytes.size() - 42);
    EXPECT_EQ(wire::load_be16(m, 0), 10);  // IPFIX version
    if (m.size() > 16 + 56 + 4) {
      // Data set after the template set: first record's source address and packet count.
      const size_t data = 16 + 4 + 4 + 13 * 4;
      EXPECT_EQ(wire::load_be16(m, data), vswitch::FlowExporter::kTemplateId);
      EXPECT_EQ(wire::load_be32(m, data + 4), 0x0a020001u);
      EXPECT_EQ(wire::load_be32(m, data + 4 + 4 + 4 + 1 + 2 + 2 + 2 + 4 + 4 + 4), 5u);  // low half of packetDeltaCount
      ++ipfix;
    }
  }
  // Each host's proxy exports its own observation: esx1 saw it leave, esx2 arrive.
  EXPECT_EQ(ipfix, 2u);
}

TEST_F(Example, PnicLinkLossFailsOverOnTheDvsProxy) {
  PortRef db = topo->port("esx1/db1.eth0");
  auto* sw = db.sw;
  const vswitch::PortId before = sw->current_uplink(db.id);
  const std::string pnic = sw->port_name(before) == "uplink1" ? "vmnic1" : "vmnic2";
  ASSERT_TRUE(topo->set_pnic_link("esx1", pnic, false));
  EXPECT_NE(sw->current_uplink(db.id), before);
  EXPECT_NE(sw->current_uplink(db.id), vswitch::kNoPort);
  EXPECT_EQ(sw->stats().rarp_sent, 1u);
  runner.run_until_idle();
  // The RARP taught the physical switch where db1 now is.
  const uint32_t port = topo->physical()->lookup(mac_of("00:50:56:a1:00:03"), 20);
  EXPECT_EQ(port, topo->physical()->port_by_name(pnic == "vmnic1" ? "esx1-p2" : "esx1-p1"));
}

}  // namespace
}  // namespace vnetref::host
