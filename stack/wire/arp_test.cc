#include "stack/wire/arp.h"

#include <gtest/gtest.h>

#include "stack/wire/frame_builder.h"
#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

using testing::from_hex;

std::vector<uint8_t> arp_body() {
  const auto f = from_hex(testing::kScapyArpRequest);
  return std::vector<uint8_t>(f.begin() + 14, f.end());
}

TEST(Arp, ParsesScapyRequest) {
  const auto b = arp_body();
  auto a = ArpView::parse(b);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->op(), ArpOp::Request);
  EXPECT_EQ(a->sender_mac(), testing::kMacA);
  EXPECT_EQ(a->sender_ip(), testing::kIpA);
  EXPECT_EQ(a->target_mac(), MacAddress());
  EXPECT_EQ(a->target_ip(), testing::kIpB);
}

TEST(Arp, TruncatedAtEveryOffset) {
  const auto b = arp_body();
  for (size_t n = 0; n < b.size(); ++n) {
    auto a = ArpView::parse(std::span(b).subspan(0, n));
    ASSERT_FALSE(a.has_value()) << n;
    EXPECT_EQ(a.error(), ParseError::Truncated) << n;
  }
}

TEST(Arp, RejectsOtherHardwareAndLengths) {
  auto b = arp_body();
  b[1] = 6;  // IEEE 802 hardware type
  EXPECT_EQ(ArpView::parse(b).error(), ParseError::Unsupported);
  b = arp_body();
  b[2] = 0x86;  // IPv6 protocol type
  b[3] = 0xdd;
  EXPECT_EQ(ArpView::parse(b).error(), ParseError::Unsupported);
  b = arp_body();
  b[4] = 8;  // hardware length that disagrees with Ethernet
  EXPECT_EQ(ArpView::parse(b).error(), ParseError::BadLength);
  b = arp_body();
  b[5] = 16;
  EXPECT_EQ(ArpView::parse(b).error(), ParseError::BadLength);
}

TEST(Arp, IgnoresEthernetPadding) {
  auto b = arp_body();
  b.resize(46, 0);  // padded to the 60-byte minimum frame
  auto a = ArpView::parse(b);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->bytes().size(), 28u);
}

TEST(Arp, BuildMatchesScapyAndRoundTrips) {
  ArpRepr r{1, testing::kMacA, testing::kIpA, MacAddress(), testing::kIpB};
  EthernetHeader eth;
  eth.src = testing::kMacA;
  eth.dst = MacAddress::broadcast();
  const auto frame = FrameBuilder::arp(eth, r);
  EXPECT_EQ(frame, from_hex(testing::kScapyArpRequest));
  auto v = ArpView::parse(std::span(frame).subspan(14));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(ArpRepr::from(*v), r);
}

TEST(Arp, MutableViewTurnsRequestIntoReply) {
  auto b = arp_body();
  auto a = ArpViewMut::parse(b);
  ASSERT_TRUE(a.has_value());
  const MacAddress mine(0x02, 0, 0, 0, 0, 9);
  a->set_op(ArpOp::Reply);
  a->set_target_mac(a->sender_mac());
  a->set_target_ip(a->sender_ip());
  a->set_sender_mac(mine);
  a->set_sender_ip(testing::kIpB);
  auto v = ArpView::parse(b);
  EXPECT_EQ(v->op(), ArpOp::Reply);
  EXPECT_EQ(v->sender_mac(), mine);
  EXPECT_EQ(v->target_mac(), testing::kMacA);
  EXPECT_EQ(v->target_ip(), testing::kIpA);
}

}  // namespace
}  // namespace vnetref::wire
