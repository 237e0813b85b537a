#include "stack/wire/ethernet.h"

#include <gtest/gtest.h>

#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

using testing::from_hex;

TEST(Ethernet, ParsesKnownFrame) {
  const auto f = from_hex(testing::kScapyArpRequest);
  auto eth = EthernetView::parse(f);
  ASSERT_TRUE(eth.has_value());
  EXPECT_EQ(eth->dst(), MacAddress::broadcast());
  EXPECT_EQ(eth->src(), testing::kMacA);
  EXPECT_EQ(eth->ethertype(), EtherType::Arp);
  EXPECT_EQ(eth->payload().size(), f.size() - 14);
}

TEST(Ethernet, TruncatedAtEveryOffset) {
  const auto f = from_hex(testing::kScapyArpRequest);
  for (size_t n = 0; n < EthernetView::kHeaderLen; ++n) {
    auto eth = EthernetView::parse(std::span(f).subspan(0, n));
    ASSERT_FALSE(eth.has_value()) << n;
    EXPECT_EQ(eth.error(), ParseError::Truncated);
    auto h = EthernetHeader::parse(std::span(f).subspan(0, n));
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error(), ParseError::Truncated);
  }
  EXPECT_TRUE(EthernetView::parse(std::span(f).subspan(0, 14)).has_value());  // empty payload is fine
}

TEST(Ethernet, MutableViewSetsFields) {
  auto f = from_hex(testing::kScapyArpRequest);
  auto eth = EthernetViewMut::parse(f);
  ASSERT_TRUE(eth.has_value());
  eth->set_dst(testing::kMacB);
  eth->set_src(testing::kMacA);
  eth->set_ethertype(EtherType::Ipv4);
  EXPECT_EQ(f[0], 0x66);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x00);
  EXPECT_EQ(EthernetView::parse(f)->dst(), testing::kMacB);
}

TEST(Ethernet, SingleTagRoundTrip) {
  EthernetHeader h = testing::eth_a_to_b();
  ASSERT_TRUE(h.push_tag(VlanTagRepr{0x8100, VlanTci{5, true, 100}}));
  h.ethertype = 0x0800;
  uint8_t buf[18];
  auto n = h.emit(buf);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 18u);
  // TPID 8100, TCI = pcp 5 (101) dei 1 vid 100 = 0xb064, then type 0800.
  EXPECT_EQ(std::vector<uint8_t>(buf + 12, buf + 18), from_hex("8100 b064 0800"));
  auto back = EthernetHeader::parse(buf);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, h);
  EXPECT_EQ(back->inner_vid(), 100);
  EXPECT_EQ(back->header_len(), 18u);
}

TEST(Ethernet, QinQStackedTags) {
  // S-tag 0x88a8 vid 10, C-tag 0x8100 vid 20, IPv4.
  const auto f = from_hex("66778899aabb 001122334455 88a8 000a 8100 0014 0800 45");
  auto h = EthernetHeader::parse(f);
  ASSERT_TRUE(h.has_value());
  ASSERT_EQ(h->tag_count, 2);
  EXPECT_EQ(h->tags[0].tpid, 0x88a8);
  EXPECT_EQ(h->tags[0].tci.vid, 10);
  EXPECT_EQ(h->tags[1].tpid, 0x8100);
  EXPECT_EQ(h->tags[1].tci.vid, 20);
  EXPECT_EQ(h->ethertype, 0x0800);
  EXPECT_EQ(h->header_len(), 22u);
  EXPECT_EQ(h->inner_vid(), 20);
  std::vector<uint8_t> out(22);
  ASSERT_TRUE(h->emit(out).has_value());
  EXPECT_EQ(out, std::vector<uint8_t>(f.begin(), f.begin() + 22));
}

TEST(Ethernet, TagErrors) {
  // Tag cut short.
  auto r = EthernetHeader::parse(from_hex("66778899aabb 001122334455 8100 00"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ParseError::Truncated);
  // Reserved VID 0xFFF.
  r = EthernetHeader::parse(from_hex("66778899aabb 001122334455 8100 0fff 0800"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ParseError::BadField);
  // Five stacked tags is more than we accept.
  r = EthernetHeader::parse(from_hex("66778899aabb 001122334455 8100 0001 8100 0002 8100 0003 8100 0004 8100 0005 0800"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ParseError::Unsupported);
}

TEST(Ethernet, VlanTagViewAccessors) {
  auto b = from_hex("2001 0806 ffff");
  auto t = VlanTagViewMut::parse(b);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->tci().pcp, 1);
  EXPECT_FALSE(t->tci().dei);
  EXPECT_EQ(t->tci().vid, 1);
  EXPECT_EQ(t->ethertype(), EtherType::Arp);
  EXPECT_EQ(t->payload().size(), 2u);
  t->set_tci(VlanTci{7, false, 4094});
  EXPECT_EQ(b[0], 0xef);
  EXPECT_EQ(b[1], 0xfe);
}

TEST(Ethernet, EmitChecksBufferSize) {
  EthernetHeader h = testing::eth_a_to_b();
  uint8_t small[13];
  auto n = h.emit(small);
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error(), BuildError::BufferTooSmall);
  EXPECT_TRUE(is_8023_length(0x05dc));
  EXPECT_FALSE(is_8023_length(0x0800));
}

}  // namespace
}  // namespace vnetref::wire
