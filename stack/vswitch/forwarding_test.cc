// Standard-switch forwarding rules: registration not learning, unknown unicast,
// flooding, split horizon, BPDUs, reflections, accounting, queues, captures.
#include <sstream>

#include "stack/core/pcap.h"
#include "stack/vswitch/frames.h"
#include "stack/vswitch/test_util.h"

namespace vnetref::vswitch {
namespace {
using namespace testing;

struct Vss : ::testing::Test {
  Rig rig;
  VirtualSwitch sw{SwitchOptions{}, rig.pool, rig.clock, rig.wheel};
  Recorder vm[3], up[2];
  PortId vp[3]{}, upid[2]{};

  void SetUp() override {
    rig.add(sw);
    for (int i = 0; i < 2; ++i) {
      UplinkSpec u;
      u.name = "vmnic" + std::to_string(i);
      u.mac = mac(static_cast<uint8_t>(0xe0 + i), 0x00);
      upid[i] = *sw.add_uplink(u, &up[i]);
    }
    PortGroupConfig pg;
    pg.name = "VM Network";
    ASSERT_TRUE(sw.add_port_group(pg));
    for (int i = 0; i < 3; ++i) {
      PortSpec s;
      s.name = "vm" + std::to_string(i);
      s.port_group = "VM Network";
      s.mac = mac(static_cast<uint8_t>(i + 1));
      auto id = sw.connect(s, &vm[i]);
      ASSERT_TRUE(id);
      vp[i] = *id;
    }
  }
  size_t uplink_frames() const { return up[0].count() + up[1].count(); }
};

TEST_F(Vss, KnownUnicastGoesOnlyToTheRegisteredPort) {
  rig.send(sw, vp[0], frame(mac(2), mac(1)));
  EXPECT_EQ(vm[1].count(), 1u);
  EXPECT_EQ(vm[2].count(), 0u);
  EXPECT_EQ(vm[0].count(), 0u);
  EXPECT_EQ(uplink_frames(), 0u);
  expect_accounted(sw);
}

TEST_F(Vss, UnknownUnicastFromVmLeavesByTheTeamUplinkOnly) {
  rig.send(sw, vp[0], frame(mac(0x77), mac(1)));
  EXPECT_EQ(uplink_frames(), 1u);
  EXPECT_EQ(vm[1].count() + vm[2].count(), 0u);
  EXPECT_EQ(sw.current_uplink(vp[0]), upid[vp[0] % 2]);  // originating port id: id mod uplink count
  expect_accounted(sw);
}

TEST_F(Vss, UnknownUnicastFromUplinkIsDropped) {
  rig.send(sw, upid[0], frame(mac(0x77), mac(0x55)));
  EXPECT_EQ(vm[0].count() + vm[1].count() + vm[2].count() + uplink_frames(), 0u);
  EXPECT_EQ(sw.drops()[DropReason::kUnknownUnicastUplink], 1u);
  expect_accounted(sw);
}

TEST_F(Vss, NoLearningOnVmPorts) {
  // A VM sourcing a foreign MAC (forged transmits accepted by default) does not make
  // the switch learn it: frames to that MAC still go to the uplink.
  rig.send(sw, vp[0], frame(mac(0x99), mac(0x42)));
  rig.send(sw, vp[1], frame(mac(0x42), mac(2)));
  EXPECT_EQ(vm[0].count(), 0u);
  EXPECT_EQ(uplink_frames(), 2u);
}

TEST_F(Vss, BroadcastFromVmFloodsVmsAndOneUplink) {
  rig.send(sw, vp[0], frame(wire::MacAddress::broadcast(), mac(1)));
  EXPECT_EQ(vm[0].count(), 0u);
  EXPECT_EQ(vm[1].count(), 1u);
  EXPECT_EQ(vm[2].count(), 1u);
  EXPECT_EQ(uplink_frames(), 1u);
  expect_accounted(sw);
}

TEST_F(Vss, MulticastFloodsLikeBroadcast) {
  rig.send(sw, vp[1], frame(wire::MacAddress(0x01, 0x00, 0x5e, 0, 0, 1), mac(2)));
  EXPECT_EQ(vm[0].count() + vm[2].count(), 2u);
  EXPECT_EQ(uplink_frames(), 1u);
}

TEST_F(Vss, BroadcastFromUplinkNeverLeavesByAnotherUplink) {
  // Each VM receives the flood only from the uplink it is teamed to (reverse filter).
  rig.send(sw, upid[0], frame(wire::MacAddress::broadcast(), mac(0x55)));
  rig.send(sw, upid[1], frame(wire::MacAddress::broadcast(), mac(0x55)));
  EXPECT_EQ(uplink_frames(), 0u);
  EXPECT_EQ(vm[0].count() + vm[1].count() + vm[2].count(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(vm[i].count(), 1u);
  expect_accounted(sw);
}

TEST_F(Vss, UnicastFromUplinkToLocalVmIsDelivered) {
  rig.send(sw, upid[1], frame(mac(3), mac(0x55)));
  EXPECT_EQ(vm[2].count(), 1u);
  EXPECT_EQ(uplink_frames(), 0u);
}

TEST_F(Vss, BpdusAreNotForwarded) {
  rig.send(sw, upid[0], frame(wire::MacAddress(0x01, 0x80, 0xc2, 0, 0, 0), mac(0x55), 0x0026));
  rig.send(sw, vp[0], frame(wire::MacAddress(0x01, 0x80, 0xc2, 0, 0, 0), mac(1), 0x0026));
  EXPECT_EQ(vm[0].count() + vm[1].count() + vm[2].count() + uplink_frames(), 0u);
  EXPECT_EQ(sw.drops()[DropReason::kBpdu], 2u);
}

TEST_F(Vss, OwnFramesReflectedByThePhysicalNetworkAreDropped) {
  rig.send(sw, upid[0], frame(wire::MacAddress::broadcast(), mac(1)));
  EXPECT_EQ(vm[1].count() + vm[2].count(), 0u);
  EXPECT_EQ(sw.drops()[DropReason::kReflected], 1u);
}

TEST_F(Vss, FrameToItselfAndRuntsAreDroppedWithReasons) {
  rig.send(sw, vp[0], frame(mac(1), mac(1)));
  rig.send(sw, vp[0], std::vector<uint8_t>(10, 0));
  EXPECT_EQ(sw.drops()[DropReason::kSameSegment], 1u);
  EXPECT_EQ(sw.drops()[DropReason::kRunt], 1u);
  expect_accounted(sw);
}

TEST_F(Vss, VmknicPortsAreRegisteredLikeVnics) {
  Recorder vmk;
  PortSpec s;
  s.kind = PortKind::kVmknic;
  s.name = "vmk0";
  s.port_group = "VM Network";
  s.mac = mac(0x50, 0x00);
  const PortId id = *sw.connect(s, &vmk);
  EXPECT_EQ(sw.port_kind(id), PortKind::kVmknic);
  rig.send(sw, vp[0], frame(mac(0x50, 0x00), mac(1)));
  EXPECT_EQ(vmk.count(), 1u);
  EXPECT_EQ(uplink_frames(), 0u);
}

TEST_F(Vss, TxQueueOverflowIsCountedNotLost) {
  SwitchOptions o;
  o.tx_queue = 8;
  VirtualSwitch small(o, rig.pool, rig.clock, rig.wheel);
  PortGroupConfig pg;
  pg.name = "pg";
  ASSERT_TRUE(small.add_port_group(pg));
  Recorder a, b;
  PortSpec s;
  s.port_group = "pg";
  s.mac = mac(1);
  const PortId pa = *small.connect(s, &a);
  s.mac = mac(2);
  (void)*small.connect(s, &b);
  core::PacketBatch batch;
  for (int i = 0; i < 20; ++i) (void)batch.push(rig.pool.alloc_copy(frame(mac(2), mac(1))));
  EXPECT_EQ(small.transmit(pa, batch), 8u);
  rig.runner.add(&small.switching_poller());
  rig.runner.add(&small.delivery_poller());
  rig.runner.run_until_idle();
  EXPECT_EQ(b.count(), 8u);
  EXPECT_EQ(small.drops()[DropReason::kTxQueueFull], 12u);
  expect_accounted(small);
}

TEST_F(Vss, DisconnectedPortStopsReceivingAndIsUnregistered) {
  ASSERT_TRUE(sw.disconnect(vp[1]));
  rig.send(sw, vp[0], frame(mac(2), mac(1)));
  EXPECT_EQ(vm[1].count(), 0u);
  EXPECT_EQ(uplink_frames(), 1u);  // now unknown unicast
  EXPECT_FALSE(sw.has_port(vp[1]));
}

TEST_F(Vss, CapturePointsWriteAPcapngFile) {
  std::ostringstream out;
  dispatch::CaptureFilter f;
  dispatch::Capture cap(out, rig.clock, f);
  sw.captures().attach(&cap);
  rig.send(sw, vp[0], frame(mac(2), mac(1)));
  rig.send(sw, vp[0], frame(wire::MacAddress(0x01, 0x80, 0xc2, 0, 0, 0), mac(1)));
  sw.captures().detach(&cap);
  const std::string s = out.str();
  auto c = core::read_capture(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  ASSERT_TRUE(c.has_value());
  // Frame 1: PortInput, InputPre/PostChain, OutputPre/PostChain, PortOutput. Frame 2: PortInput,
  // InputPre/PostChain, Drop.
  EXPECT_EQ(c->records.size(), 10u);
  bool saw_drop = false;
  for (const auto& r : c->records) saw_drop |= r.comment.find("Drop") != std::string::npos && r.comment.find("bpdu") != std::string::npos;
  EXPECT_TRUE(saw_drop);
}

TEST_F(Vss, ManyPacketsInOneBatchAllArrive) {
  core::PacketBatch b;
  for (int i = 0; i < 256; ++i) (void)b.push(rig.pool.alloc_copy(frame(mac(static_cast<uint8_t>(2 + i % 2)), mac(1))));
  (void)sw.transmit(vp[0], b);
  rig.runner.run_until_idle();
  EXPECT_EQ(vm[1].count(), 128u);
  EXPECT_EQ(vm[2].count(), 128u);
  expect_accounted(sw);
  EXPECT_EQ(rig.pool.stats().in_use, 0u);
}

}  // namespace
}  // namespace vnetref::vswitch
