#include "stack/wire/ipv4.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/wire/frame_builder.h"
#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

using testing::from_hex;

// The textbook header: 192.168.0.1 > 192.168.0.199, UDP, DF, total length 0x73.
std::vector<uint8_t> textbook_packet() {
  auto p = from_hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
  p.resize(0x73, 0xab);
  return p;
}

TEST(Ipv4, ParsesKnownHeader) {
  const auto p = textbook_packet();
  auto ip = Ipv4View::parse(p);
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->version(), 4);
  EXPECT_EQ(ip->header_len(), 20u);
  EXPECT_EQ(ip->total_len(), 0x73);
  EXPECT_EQ(ip->ident(), 0);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->more_fragments());
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), IpProtocol::Udp);
  EXPECT_EQ(ip->checksum(), 0xb861);
  EXPECT_EQ(ip->src(), Ipv4Address(192, 168, 0, 1));
  EXPECT_EQ(ip->dst(), Ipv4Address(192, 168, 0, 199));
  EXPECT_TRUE(ip->checksum_valid());
  EXPECT_EQ(ip->payload().size(), 0x73u - 20);
  EXPECT_TRUE(ip->options().empty());
}

TEST(Ipv4, TruncatedAtEveryOffset) {
  const auto p = textbook_packet();
  for (size_t n = 0; n < p.size(); ++n) {
    auto ip = Ipv4View::parse(std::span(p).subspan(0, n));
    ASSERT_FALSE(ip.has_value()) << n;
    EXPECT_EQ(ip.error(), ParseError::Truncated) << n;
  }
}

TEST(Ipv4, RejectsBadVersion) {
  auto p = textbook_packet();
  p[0] = 0x65;
  EXPECT_EQ(Ipv4View::parse(p).error(), ParseError::BadVersion);
}

TEST(Ipv4, RejectsIhlBelowFive) {
  auto p = textbook_packet();
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    p[0] = static_cast<uint8_t>(0x40 | ihl);
    EXPECT_EQ(Ipv4View::parse(p).error(), ParseError::BadHeaderLength) << int(ihl);
  }
}

TEST(Ipv4, RejectsTotalLengthBelowHeader) {
  auto p = textbook_packet();
  p[2] = 0;
  p[3] = 19;
  EXPECT_EQ(Ipv4View::parse(p).error(), ParseError::BadTotalLength);
  p[3] = 20;  // header only: fine
  EXPECT_TRUE(Ipv4View::parse(p).has_value());
}

TEST(Ipv4, TotalLengthBeyondBufferIsTruncated) {
  auto p = textbook_packet();
  p[3] = 0x74;
  EXPECT_EQ(Ipv4View::parse(p).error(), ParseError::Truncated);
  // ... but acceptable for a quoted datagram.
  auto q = Ipv4View::parse_quoted(p);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->payload().size(), p.size() - 20);
  EXPECT_EQ(q->claimed_payload_len(), 0x74u - 20);
}

TEST(Ipv4, ExcludesEthernetPadding) {
  auto p = textbook_packet();
  p.resize(p.size() + 10, 0);
  auto ip = Ipv4View::parse(p);
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->bytes().size(), 0x73u);
  EXPECT_EQ(ip->payload().size(), 0x73u - 20);
}

TEST(Ipv4, DetectsBadChecksum) {
  auto p = textbook_packet();
  p[8] = 63;  // TTL changed without fixing the checksum
  auto ip = Ipv4View::parse(p);
  ASSERT_TRUE(ip.has_value());  // structural parse does not verify the checksum
  EXPECT_FALSE(ip->checksum_valid());
  EXPECT_EQ(validate_checksums(*ip).error(), ParseError::BadChecksum);
}

TEST(Ipv4, IteratesOptions) {
  // IHL 8: NOP, Router Alert (4 bytes), Record Route with 1 slot (7 bytes), EOL, pad.
  Ipv4Header h = testing::ip_a_to_b();
  const auto opts = from_hex("01 9404 0000 0707 04 00000000 00 00");
  h.options = opts;
  h.protocol = 253;
  std::vector<uint8_t> buf(h.header_len());
  ASSERT_EQ(h.header_len(), 36u);
  ASSERT_TRUE(h.emit(buf).has_value());
  auto ip = Ipv4View::parse(buf);
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->ihl(), 9);
  std::vector<uint8_t> kinds;
  std::vector<size_t> lens;
  for (const RawOption& o : ip->option_list()) {
    kinds.push_back(o.kind);
    lens.push_back(o.data.size());
  }
  EXPECT_EQ(kinds, (std::vector<uint8_t>{1, 148, 7, 0}));
  EXPECT_EQ(lens, (std::vector<size_t>{0, 2, 5, 0}));
  EXPECT_TRUE(ip->checksum_valid());
}

TEST(Ipv4, RejectsMalformedOptions) {
  const struct {
    const char* hex;
    const char* why;
  } cases[] = {
      {"07 01 00 00", "length 1 is below the minimum of 2"},
      {"07 00 00 00", "length 0"},
      {"01 01 07 09", "length runs past the option area"},
      {"01 01 01 94", "length byte missing"},
  };
  for (const auto& c : cases) {
    auto p = from_hex("4600 0018 0000 0000 40fd 0000 0a000001 0a000002");
    const auto o = from_hex(c.hex);
    p.insert(p.end(), o.begin(), o.end());
    auto ip = Ipv4View::parse(p);
    ASSERT_FALSE(ip.has_value()) << c.why;
    EXPECT_EQ(ip.error(), ParseError::BadOption) << c.why;
  }
}

TEST(Ipv4, BuildParseRoundTrip) {
  Ipv4Header h = testing::ip_a_to_b(0xbeef);
  h.protocol = 17;
  h.ttl = 3;
  h.dscp = 46;
  h.ecn = 2;
  h.more_fragments = true;
  h.fragment_offset = 185;  // 1480 bytes
  h.payload_len = 8;
  std::vector<uint8_t> buf(28, 0);
  auto n = h.emit(buf);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 20u);
  auto ip = Ipv4View::parse(buf);
  ASSERT_TRUE(ip.has_value());
  EXPECT_TRUE(ip->checksum_valid());
  EXPECT_TRUE(ip->is_fragment());
  EXPECT_EQ(ip->fragment_offset_bytes(), 1480u);
  EXPECT_EQ(ip->tos(), (46 << 2) | 2);
  EXPECT_EQ(Ipv4Header::from(*ip), h);
}

TEST(Ipv4, EmitRejectsImpossibleFields) {
  Ipv4Header h = testing::ip_a_to_b();
  std::vector<uint8_t> buf(64);
  const std::vector<uint8_t> long_opts(41, 1);
  h.options = long_opts;
  EXPECT_EQ(h.emit(buf).error(), BuildError::InvalidField);
  h.options = {};
  h.fragment_offset = 0x2000;
  EXPECT_EQ(h.emit(buf).error(), BuildError::InvalidField);
  h.fragment_offset = 0;
  h.payload_len = 0xfff0;
  EXPECT_EQ(h.emit(buf).error(), BuildError::InvalidField);
  h.payload_len = 0;
  EXPECT_EQ(h.emit(std::span(buf).subspan(0, 19)).error(), BuildError::BufferTooSmall);
}

TEST(Ipv4, TtlDecrementKeepsChecksumValid) {
  auto p = textbook_packet();
  auto ip = Ipv4ViewMut::parse(p);
  ASSERT_TRUE(ip.has_value());
  for (int i = 0; i < 64; ++i) {
    ip->set_ttl_adjusting_checksum(static_cast<uint8_t>(ip->ttl() - 1));
    ASSERT_TRUE(ip->checksum_valid()) << i;
  }
  EXPECT_EQ(ip->ttl(), 0);
}

TEST(Ipv4, MutableSettersThenFillChecksum) {
  auto p = textbook_packet();
  auto ip = Ipv4ViewMut::parse(p);
  ASSERT_TRUE(ip.has_value());
  ip->set_src(testing::kIpA);
  ip->set_dst(testing::kIpB);
  ip->set_ident(77);
  ip->set_tos(0x10);
  EXPECT_FALSE(ip->checksum_valid());
  ip->fill_checksum();
  EXPECT_TRUE(ip->checksum_valid());
  EXPECT_EQ(Ipv4View::parse(p)->ident(), 77);
}

TEST(Ipv4, ValidateChecksumsWholeDatagram) {
  const auto f = from_hex(testing::kScapyTcpSyn);
  auto ip = Ipv4View::parse(std::span(f).subspan(14));
  ASSERT_TRUE(ip.has_value());
  EXPECT_TRUE(validate_checksums(*ip).has_value());
  auto bad = f;
  bad.back() ^= 1;  // corrupt the TCP payload area (wscale value)
  ip = Ipv4View::parse(std::span(bad).subspan(14));
  EXPECT_EQ(validate_checksums(*ip).error(), ParseError::BadChecksum);
}

TEST(Ipv4, ErrorStrings) {
  EXPECT_STREQ(to_string(ParseError::Truncated), "truncated");
  EXPECT_STREQ(to_string(ParseError::BadChecksum), "bad checksum");
  EXPECT_STREQ(to_string(BuildError::BufferTooSmall), "buffer too small");
}

}  // namespace
}  // namespace vnetref::wire
