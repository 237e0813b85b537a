#include "stack/wire/udp.h"

#include <gtest/gtest.h>

#include "stack/wire/frame_builder.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

using testing::from_hex;

const Ipv4Address kSrc(192, 168, 1, 1);
const Ipv4Address kDst(192, 168, 1, 2);

std::vector<uint8_t> scapy_udp() {
  const auto f = from_hex(testing::kScapyUdp);
  return std::vector<uint8_t>(f.begin() + 34, f.end());
}

TEST(Udp, ParsesScapyDatagram) {
  const auto b = scapy_udp();
  auto u = UdpView::parse(b);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->src_port(), 5353);
  EXPECT_EQ(u->dst_port(), 53);
  EXPECT_EQ(u->length(), 13);
  EXPECT_EQ(u->checksum(), 0x2390);
  EXPECT_TRUE(u->checksum_valid(kSrc, kDst));
  EXPECT_FALSE(u->checksum_valid(kSrc, Ipv4Address(192, 168, 1, 3)));  // pseudo-header matters
  EXPECT_EQ(std::string(u->payload().begin(), u->payload().end()), "hello");
}

TEST(Udp, TruncatedAtEveryOffset) {
  const auto b = scapy_udp();
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_EQ(UdpView::parse(std::span(b).subspan(0, n)).error(), ParseError::Truncated) << n;
  }
}

TEST(Udp, LengthBelowHeaderIsBadLength) {
  auto b = scapy_udp();
  for (uint8_t len = 0; len < 8; ++len) {
    b[5] = len;
    EXPECT_EQ(UdpView::parse(b).error(), ParseError::BadLength) << int(len);
  }
}

TEST(Udp, LengthShorterThanBufferTrims) {
  auto b = scapy_udp();
  b[5] = 10;  // only "he" belongs to the datagram
  auto u = UdpView::parse(b);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->payload().size(), 2u);
}

TEST(Udp, ZeroChecksumMeansNone) {
  auto b = scapy_udp();
  b[6] = b[7] = 0;
  EXPECT_TRUE(UdpView::parse(b)->checksum_valid(kSrc, kDst));
  b[7] = 1;
  EXPECT_FALSE(UdpView::parse(b)->checksum_valid(kSrc, kDst));
}

TEST(Udp, BuildMatchesScapyAndRoundTrips) {
  const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  Ipv4Header ip;
  ip.src = kSrc;
  ip.dst = kDst;
  ip.ident = 0x1234;
  ip.dont_fragment = true;
  const auto frame = FrameBuilder::udp(testing::eth_a_to_b(), ip, UdpHeader{5353, 53, hello});
  EXPECT_EQ(frame, from_hex(testing::kScapyUdp));
  auto u = UdpView::parse(std::span(frame).subspan(34));
  EXPECT_EQ(UdpHeader::from(*u), (UdpHeader{5353, 53, hello}));
}

TEST(Udp, ComputedZeroChecksumIsSentAsAllOnes) {
  // Search for a payload word that makes the checksum come out as 0: it must then be
  // transmitted as 0xFFFF (RFC 768), which still verifies.
  for (uint32_t w = 0; w <= 0xffff; ++w) {
    const uint8_t payload[2] = {static_cast<uint8_t>(w >> 8), static_cast<uint8_t>(w)};
    std::vector<uint8_t> out(10);
    ASSERT_TRUE((UdpHeader{1, 2, payload}).emit(out, kSrc, kDst).has_value());
    auto u = UdpView::parse(out);
    ASSERT_TRUE(u->checksum_valid(kSrc, kDst));
    ASSERT_NE(u->checksum(), 0);
    if (u->checksum() == 0xffff) return;  // found and verified the corner case
  }
  FAIL() << "no payload produced the 0xFFFF checksum";
}

TEST(Udp, MutableViewUpdatesPortsAndChecksum) {
  auto b = scapy_udp();
  auto u = UdpViewMut::parse(b);
  u->set_src_port(1000);
  u->set_dst_port(2000);
  EXPECT_FALSE(u->checksum_valid(kSrc, kDst));
  u->fill_checksum(kSrc, kDst);
  EXPECT_TRUE(u->checksum_valid(kSrc, kDst));
  EXPECT_EQ(UdpView::parse(b)->dst_port(), 2000);
}

}  // namespace
}  // namespace vnetref::wire
