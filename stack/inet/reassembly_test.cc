// Reassembly in isolation: arbitrary fragment orders, exact duplicates, overlap
// defence, bounds, and the timeout with its ICMP time exceeded report.
#include "stack/inet/reassembly.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/core/views.h"
#include "stack/wire/ipv4.h"

namespace vnetref::inet {
namespace {

using namespace std::chrono_literals;

struct ReassemblyTest : ::testing::Test {
  ReassemblyTest()
      : ids(define_inet_tunables(tunables)),
        reass(wheel, pool, tunables, ids, [this](InetDrop d) { ++drops[static_cast<size_t>(d)]; },
              [this](core::PacketPtr first) { timed_out.push_back(first->pkt_len); }) {}

  // A fragment of datagram `id` carrying payload[off, off+len) of a deterministic pattern.
  core::PacketPtr frag(uint16_t id, uint32_t off, uint32_t len, bool mf, uint8_t fill = 0, bool pattern = true) {
    std::vector<uint8_t> b(20 + len);
    wire::Ipv4Header h;
    h.src = wire::Ipv4Address(10, 0, 0, 9);
    h.dst = wire::Ipv4Address(10, 0, 0, 1);
    h.protocol = 17;
    h.ident = id;
    h.more_fragments = mf;
    h.fragment_offset = static_cast<uint16_t>(off / 8);
    h.payload_len = static_cast<uint16_t>(len);
    EXPECT_TRUE(h.emit(b));
    for (uint32_t i = 0; i < len; ++i) b[20 + i] = pattern ? static_cast<uint8_t>((off + i) * 13) : fill;
    return pool.alloc_copy(b);
  }
  std::vector<uint8_t> bytes(const core::PacketPtr& p) {
    std::vector<uint8_t> out(p->pkt_len);
    EXPECT_TRUE(core::Mbuf(*p).copy_data(0, out));
    return out;
  }
  uint64_t dropped(InetDrop d) const { return drops[static_cast<size_t>(d)]; }

  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  core::BufferPool pool{1024};
  Tunables tunables;
  InetTunableIds ids;
  std::array<uint64_t, static_cast<size_t>(InetDrop::kCount)> drops{};
  std::vector<uint32_t> timed_out;
  Reassembler reass;
};

TEST_F(ReassemblyTest, Rfc791ReassemblesInAnyOrder) {
  const std::vector<std::pair<uint32_t, uint32_t>> pieces = {{800, 400}, {0, 400}, {1200, 100}, {400, 400}};
  core::PacketPtr out;
  for (auto [off, len] : pieces) {
    EXPECT_FALSE(out);
    out = reass.input(frag(1, off, len, off + len < 1300));
  }
  ASSERT_TRUE(out);
  auto b = bytes(out);
  ASSERT_EQ(b.size(), 1320u);
  auto v = wire::Ipv4View::parse(b);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_FALSE(v->is_fragment());
  EXPECT_EQ(v->total_len(), 1320);
  for (uint32_t i = 0; i < 1300; ++i) ASSERT_EQ(b[20 + i], static_cast<uint8_t>(i * 13)) << i;
  EXPECT_EQ(reass.queues(), 0u);
  EXPECT_EQ(reass.fragments_held(), 0u);
  EXPECT_EQ(pool.stats().in_use, 1 + out->segments() - 1);
}

TEST_F(ReassemblyTest, ExactDuplicateIsDroppedAndDatagramSurvives) {
  EXPECT_FALSE(reass.input(frag(2, 0, 64, true)));
  EXPECT_FALSE(reass.input(frag(2, 0, 64, true)));
  EXPECT_EQ(dropped(InetDrop::kReassDuplicate), 1u);
  EXPECT_TRUE(reass.input(frag(2, 64, 10, false)));
}

TEST_F(ReassemblyTest, OverlapDiscardsTheWholeDatagram) {
  // Teardrop-style: the second fragment starts inside the first.
  EXPECT_FALSE(reass.input(frag(3, 0, 64, true)));
  EXPECT_FALSE(reass.input(frag(3, 56, 64, false, 0xee, false)));
  EXPECT_EQ(dropped(InetDrop::kReassOverlap), 1u);
  EXPECT_EQ(reass.queues(), 0u);
  // The rest of the old datagram starts a fresh queue that never completes on its own.
  EXPECT_FALSE(reass.input(frag(3, 64, 8, false)));
  EXPECT_EQ(reass.queues(), 1u);
}

TEST_F(ReassemblyTest, Rfc1858TinyFragmentOverwritingTransportHeaderIsRejected) {
  EXPECT_FALSE(reass.input(frag(4, 0, 16, true)));
  // Offset 8 (one unit) rewriting bytes 8..15 (e.g. TCP flags).
  EXPECT_FALSE(reass.input(frag(4, 8, 16, false, 0xff, false)));
  EXPECT_EQ(dropped(InetDrop::kReassOverlap), 1u);
}

TEST_F(ReassemblyTest, BadFragmentsAreRejected) {
  EXPECT_FALSE(reass.input(frag(5, 0, 12, true)));  // not a multiple of 8 with MF
  EXPECT_EQ(dropped(InetDrop::kReassBadFragment), 1u);
  EXPECT_FALSE(reass.input(frag(5, 65528, 16, false)));  // beyond 65535
  EXPECT_EQ(dropped(InetDrop::kReassTooBig), 1u);
  // Two different ends for one datagram.
  EXPECT_FALSE(reass.input(frag(6, 64, 16, false)));
  EXPECT_FALSE(reass.input(frag(6, 96, 16, false)));
  EXPECT_EQ(dropped(InetDrop::kReassBadFragment), 2u);
  // A fragment beyond the known end.
  EXPECT_FALSE(reass.input(frag(7, 16, 8, false)));
  EXPECT_FALSE(reass.input(frag(7, 24, 8, true)));
  EXPECT_EQ(dropped(InetDrop::kReassBadFragment), 3u);
  EXPECT_EQ(reass.queues(), 0u);
}

TEST_F(ReassemblyTest, Rfc1122TimeoutDiscardsAndReportsWhenFirstFragmentArrived) {
  EXPECT_FALSE(reass.input(frag(8, 0, 64, true)));
  EXPECT_FALSE(reass.input(frag(9, 64, 64, true)));  // no first fragment
  core::advance_virtual_time_by(clock, wheel, 29s);
  EXPECT_EQ(reass.queues(), 2u);
  core::advance_virtual_time_by(clock, wheel, 2s);  // net.inet.ip.fragttl = 30 s
  EXPECT_EQ(reass.queues(), 0u);
  EXPECT_EQ(dropped(InetDrop::kReassTimeout), 2u);
  ASSERT_EQ(timed_out.size(), 1u);  // only the datagram whose fragment 0 we had
  EXPECT_EQ(timed_out[0], 28u);     // its header + 8 bytes, to quote
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST_F(ReassemblyTest, QueueAndFragmentBoundsHold) {
  ASSERT_TRUE(tunables.set("net.inet.ip.maxfragpackets", 4));
  for (uint16_t id = 100; id < 110; ++id) EXPECT_FALSE(reass.input(frag(id, 0, 8, true)));
  EXPECT_EQ(reass.queues(), 4u);
  EXPECT_EQ(dropped(InetDrop::kReassQueueLimit), 6u);
  ASSERT_TRUE(tunables.set("net.inet.ip.maxfragsperpacket", 3));
  EXPECT_FALSE(reass.input(frag(100, 8, 8, true)));
  EXPECT_FALSE(reass.input(frag(100, 16, 8, true)));
  EXPECT_FALSE(reass.input(frag(100, 24, 8, true)));  // the 4th fragment of id 100
  EXPECT_EQ(dropped(InetDrop::kReassFragsPerPacket), 1u);
  EXPECT_EQ(reass.queues(), 3u);
  ASSERT_TRUE(tunables.set("net.inet.ip.maxfrags", 3));
  EXPECT_FALSE(reass.input(frag(101, 8, 8, true)));
  EXPECT_EQ(dropped(InetDrop::kReassFragLimit), 1u);
  EXPECT_LE(reass.fragments_held(), 3u);
}

}  // namespace
}  // namespace vnetref::inet
