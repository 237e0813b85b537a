#include "stack/wire/tcp.h"

#include <gtest/gtest.h>

#include "stack/wire/frame_builder.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

using testing::from_hex;

std::vector<uint8_t> syn_segment() {
  const auto f = from_hex(testing::kScapyTcpSyn);
  return std::vector<uint8_t>(f.begin() + 34, f.end());
}

// A 20-byte header (data offset 5) followed by `opts` padded to 4 bytes; data offset set.
std::vector<uint8_t> segment_with_options(const std::vector<uint8_t>& opts) {
  auto s = from_hex("04d2 0050 00000001 00000000 5002 ffff 0000 0000");
  s.insert(s.end(), opts.begin(), opts.end());
  while (s.size() % 4) s.push_back(0);
  s[12] = static_cast<uint8_t>((s.size() / 4) << 4);
  return s;
}

TEST(Tcp, ParsesScapySynWithOptions) {
  const auto b = syn_segment();
  auto t = TcpView::parse(b);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->src_port(), 1234);
  EXPECT_EQ(t->dst_port(), 80);
  EXPECT_EQ(t->seq(), SeqNum(1));
  EXPECT_EQ(t->ack(), SeqNum(0));
  EXPECT_EQ(t->data_offset(), 10);
  EXPECT_EQ(t->flags(), TcpFlags{TcpFlags::kSyn});
  EXPECT_EQ(t->window(), 65535);
  EXPECT_EQ(t->checksum(), 0x2eda);
  EXPECT_TRUE(t->checksum_valid(testing::kIpA, testing::kIpB));
  EXPECT_TRUE(t->payload().empty());
  EXPECT_EQ(t->seq_len(), 1u);  // SYN occupies one sequence number
  const TcpOptions o = t->parsed_options();
  EXPECT_EQ(o.mss, 1460);
  EXPECT_TRUE(o.sack_permitted);
  ASSERT_TRUE(o.timestamps.has_value());
  EXPECT_EQ(o.timestamps->value, 1u);
  EXPECT_EQ(o.timestamps->echo_reply, 0u);
  EXPECT_EQ(o.window_scale, 7);
  EXPECT_EQ(o.sack_count, 0);
}

TEST(Tcp, TruncatedAtEveryOffset) {
  const auto b = syn_segment();
  for (size_t n = 0; n < 40; ++n) {
    EXPECT_EQ(TcpView::parse(std::span(b).subspan(0, n)).error(), ParseError::Truncated) << n;
  }
}

TEST(Tcp, DataOffsetBelowFive) {
  auto b = syn_segment();
  for (uint8_t off = 0; off < 5; ++off) {
    b[12] = static_cast<uint8_t>(off << 4);
    EXPECT_EQ(TcpView::parse(b).error(), ParseError::BadHeaderLength) << int(off);
  }
}

TEST(Tcp, DataOffsetBeyondSegment) {
  auto b = syn_segment();
  b[12] = 0xf0;  // 60-byte header in a 40-byte segment
  EXPECT_EQ(TcpView::parse(b).error(), ParseError::Truncated);
}

struct BadOptionCase {
  const char* hex;
  const char* why;
};

class TcpBadOption : public ::testing::TestWithParam<BadOptionCase> {};

TEST_P(TcpBadOption, IsRejected) {
  const auto b = segment_with_options(from_hex(GetParam().hex));
  auto t = TcpView::parse(b);
  ASSERT_FALSE(t.has_value()) << GetParam().why;
  EXPECT_EQ(t.error(), ParseError::BadOption) << GetParam().why;
}

INSTANTIATE_TEST_SUITE_P(
    MalformedLengths, TcpBadOption,
    ::testing::Values(BadOptionCase{"0203 05", "MSS with length 3"}, BadOptionCase{"0205 05b4 00", "MSS with length 5"},
                      BadOptionCase{"0302", "window scale with length 2"},
                      BadOptionCase{"0403", "SACK-permitted with length 3"},
                      BadOptionCase{"080a 0000 0001 0000", "timestamps cut by the option area"},
                      BadOptionCase{"0809 00000001 000000", "timestamps with length 9"},
                      BadOptionCase{"0502 0000", "SACK with no blocks"},
                      BadOptionCase{"050b 00000001 00000002 00", "SACK length not 2 + 8n"},
                      BadOptionCase{"fe01", "unknown option with length 1"},
                      BadOptionCase{"fe00", "unknown option with length 0"},
                      BadOptionCase{"0101 01fe", "length byte missing at the end"}));

TEST(Tcp, UnknownOptionsAreSkipped) {
  // Kind 30 (MPTCP) with 6 bytes, then MSS.
  const auto b = segment_with_options(from_hex("1e06 00000000 0204 0218"));
  auto t = TcpView::parse(b);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->parsed_options().mss, 536);
  size_t seen = 0;
  for (const RawOption& o : t->option_list()) {
    if (seen == 0) {
      EXPECT_EQ(o.kind, 30);
    }
    ++seen;
  }
  EXPECT_EQ(seen, 3u);  // kind 30, MSS, then the first EOL pad byte ends the list
}

TEST(Tcp, SackBlocks) {
  const auto b = segment_with_options(from_hex("0101 0512 000003e9 000007d1 00000bb9 00000fa1"));
  auto t = TcpView::parse(b);
  ASSERT_TRUE(t.has_value());
  const TcpOptions o = t->parsed_options();
  ASSERT_EQ(o.sack_count, 2);
  EXPECT_EQ(o.sack_blocks[0], (SackBlock{SeqNum(1001), SeqNum(2001)}));
  EXPECT_EQ(o.sack_blocks[1], (SackBlock{SeqNum(3001), SeqNum(4001)}));
}

TEST(Tcp, BuildMatchesScapySyn) {
  TcpHeader h;
  h.src_port = 1234;
  h.dst_port = 80;
  h.seq = SeqNum(1);
  h.flags = TcpFlags{TcpFlags::kSyn};
  h.window = 65535;
  h.options.mss = 1460;
  h.options.sack_permitted = true;
  h.options.timestamps = TcpTimestamps{1, 0};
  h.options.window_scale = 7;
  // Our canonical layout is Linux's: mss, sackOK, TS, nop, wscale. Scapy was given the same.
  const auto frame = FrameBuilder::tcp(testing::eth_a_to_b(), testing::ip_a_to_b(1), h);
  EXPECT_EQ(frame, from_hex(testing::kScapyTcpSyn));
}

TEST(Tcp, BuildMatchesScapySynAck) {
  TcpHeader h;
  h.src_port = 80;
  h.dst_port = 1234;
  h.seq = SeqNum(1000);
  h.ack = SeqNum(2);
  h.flags = TcpFlags{TcpFlags::kSyn | TcpFlags::kAck};
  h.window = 28960;
  h.options.mss = 1460;
  Ipv4Header ip;
  ip.src = testing::kIpB;
  ip.dst = testing::kIpA;
  ip.dont_fragment = true;
  ip.ident = 0;
  ip.protocol = kIpProtoTcp;
  ip.payload_len = static_cast<uint16_t>(h.size());
  std::vector<uint8_t> buf(ip.header_len() + h.size());
  ASSERT_TRUE(ip.emit(buf).has_value());
  ASSERT_TRUE(h.emit(std::span(buf).subspan(20), ip.src, ip.dst).has_value());
  EXPECT_EQ(buf, from_hex(testing::kScapyIpTcpSynAck));
}

TEST(Tcp, RoundTripWithPayloadAndSack) {
  const std::vector<uint8_t> payload = {1, 2, 3, 4, 5};
  TcpHeader h;
  h.src_port = 40000;
  h.dst_port = 443;
  h.seq = SeqNum(0xfffffff0u);
  h.ack = SeqNum(77);
  h.flags = TcpFlags{TcpFlags::kAck | TcpFlags::kPsh};
  h.window = 512;
  h.options.timestamps = TcpTimestamps{100, 200};
  h.options.sack_count = 3;
  h.options.sack_blocks[0] = {SeqNum(10), SeqNum(20)};
  h.options.sack_blocks[1] = {SeqNum(30), SeqNum(40)};
  h.options.sack_blocks[2] = {SeqNum(50), SeqNum(60)};
  h.payload = payload;
  EXPECT_EQ(h.options.encoded_len(), 40u);  // TS (12) + NOP NOP SACK (28)
  std::vector<uint8_t> buf(h.size());
  ASSERT_TRUE(h.emit(buf, testing::kIpA, testing::kIpB).has_value());
  auto t = TcpView::parse(buf);
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->checksum_valid(testing::kIpA, testing::kIpB));
  EXPECT_EQ(TcpHeader::from(*t), h);
}

TEST(Tcp, PackedLayoutWhenAlignedDoesNotFit) {
  // TS + wscale + 3 SACK blocks fit in 40 bytes only without NOP alignment.
  TcpOptions o;
  o.timestamps = TcpTimestamps{1, 2};
  o.window_scale = 14;
  o.sack_count = 3;
  for (int i = 0; i < 3; ++i) o.sack_blocks[i] = {SeqNum(i * 100u), SeqNum(i * 100u + 50)};
  EXPECT_EQ(o.encoded_len(), 40u);
  uint8_t buf[40];
  ASSERT_TRUE(o.emit(buf).has_value());
  auto back = TcpOptions::parse(buf);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, o);
  // With MSS added nothing fits.
  o.mss = 1000;
  EXPECT_EQ(o.emit(buf).error(), BuildError::InvalidField);
}

TEST(Tcp, FlagRenderings) {
  EXPECT_EQ((TcpFlags{TcpFlags::kSyn | TcpFlags::kAck}).to_scapy(), "SA");
  EXPECT_EQ((TcpFlags{TcpFlags::kRst | TcpFlags::kAck}).to_scapy(), "RA");
  EXPECT_EQ((TcpFlags{TcpFlags::kFin | TcpFlags::kPsh | TcpFlags::kAck}).to_scapy(), "FPA");
  EXPECT_EQ((TcpFlags{TcpFlags::kMask}).to_scapy(), "FSRPAUECN");
  EXPECT_EQ((TcpFlags{0}).to_scapy(), "");
  EXPECT_EQ((TcpFlags{TcpFlags::kSyn | TcpFlags::kAck}).to_tcpdump(), "S.");
  EXPECT_EQ((TcpFlags{TcpFlags::kAck}).to_tcpdump(), ".");
  EXPECT_EQ((TcpFlags{0}).to_tcpdump(), "none");
}

TEST(Tcp, MutableViewEditsAndChecksum) {
  auto b = syn_segment();
  auto t = TcpViewMut::parse(b);
  ASSERT_TRUE(t.has_value());
  t->set_flags(TcpFlags{TcpFlags::kRst | TcpFlags::kAck});
  t->set_seq(SeqNum(0));
  t->set_ack(SeqNum(2));
  t->set_window(0);
  EXPECT_FALSE(t->checksum_valid(testing::kIpA, testing::kIpB));
  t->fill_checksum(testing::kIpA, testing::kIpB);
  EXPECT_TRUE(t->checksum_valid(testing::kIpA, testing::kIpB));
  auto v = TcpView::parse(b);
  EXPECT_EQ(v->flags().to_scapy(), "RA");
  EXPECT_EQ(v->data_offset(), 10);  // flag edits keep the data offset
}

}  // namespace
}  // namespace vnetref::wire
