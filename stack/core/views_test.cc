#include "stack/core/views.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace vnetref::core {
namespace {

std::vector<uint8_t> Iota(size_t n, uint8_t start = 0) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<uint8_t> Flatten(const Packet& p) {
  std::vector<uint8_t> out(p.pkt_len);
  EXPECT_TRUE(Mbuf(const_cast<Packet&>(p)).copy_data(0, out));
  return out;
}

TEST(Views, AllThreeViewsSeeTheSameBytes) {
  BufferPool pool(4, 512, 64);
  PacketPtr p = pool.alloc_copy(Iota(60));
  Mbuf m = as_mbuf(*p);
  PacketHandle h = as_handle(*p);
  SkBuff s = as_skbuff(*p);
  EXPECT_EQ(m.data(), h.frame().data());
  EXPECT_EQ(s.data(), m.data());
  EXPECT_EQ(h.frame_len(), 60u);
  EXPECT_EQ(s.len(), 60u);
  h.meta().ingress_port = 3;
  EXPECT_EQ(m.meta().ingress_port, 3u);  // metadata is shared too
}

TEST(Mbuf, PrependUsesHeadroomThenChains) {
  BufferPool pool(4, 256, 14);
  PacketPtr p = pool.alloc_copy(Iota(20, 100));
  uint8_t* eth = mbuf::prepend(p, 14, pool);
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(p->segments(), 1u);
  uint8_t* more = mbuf::prepend(p, 4, pool);  // no headroom left: new leading segment
  ASSERT_NE(more, nullptr);
  EXPECT_EQ(p->segments(), 2u);
  EXPECT_EQ(p->pkt_len, 38u);
}

TEST(Mbuf, AdjTrimsFrontAndBackAcrossSegments) {
  BufferPool pool(8, 128, 0);
  auto bytes = Iota(300);
  PacketPtr p = pool.alloc_copy(bytes);
  mbuf::adj(p, 130);
  EXPECT_EQ(p->pkt_len, 170u);
  mbuf::adj(p, -100);
  EXPECT_EQ(p->pkt_len, 70u);
  auto flat = Flatten(*p);
  EXPECT_EQ(flat, std::vector<uint8_t>(bytes.begin() + 130, bytes.begin() + 200));
}

TEST(Mbuf, AppendGrowsTheChain) {
  BufferPool pool(8, 128, 0);
  PacketPtr p = pool.alloc_copy(Iota(100));
  ASSERT_TRUE(mbuf::append(p, Iota(200, 100), pool));
  EXPECT_EQ(p->pkt_len, 300u);
  EXPECT_EQ(Flatten(*p), Iota(300));
}

TEST(Mbuf, PullupMakesHeadersContiguous) {
  BufferPool pool(8, 128, 0);
  PacketPtr p = pool.alloc_copy(Iota(300));
  mbuf::adj(p, 120);  // head segment now holds 8 bytes
  ASSERT_EQ(p->data_len, 8u);
  ASSERT_TRUE(mbuf::pullup(p, 60, pool));
  EXPECT_GE(p->data_len, 60u);
  EXPECT_EQ(Flatten(*p), Iota(180, 120));
  EXPECT_FALSE(mbuf::pullup(p, 1000, pool));
}

TEST(Mbuf, SplitIsZeroCopyAndPreservesBytes) {
  BufferPool pool(8, 256, 0);
  auto bytes = Iota(500);
  PacketPtr p = pool.alloc_copy(bytes);
  PacketPtr rest = mbuf::split(p, 300, pool);
  ASSERT_TRUE(rest);
  EXPECT_EQ(p->pkt_len, 300u);
  EXPECT_EQ(rest->pkt_len, 200u);
  EXPECT_EQ(Flatten(*p), std::vector<uint8_t>(bytes.begin(), bytes.begin() + 300));
  EXPECT_EQ(Flatten(*rest), std::vector<uint8_t>(bytes.begin() + 300, bytes.end()));
  mbuf::cat(p, std::move(rest));
  EXPECT_EQ(Flatten(*p), bytes);
}

TEST(Mbuf, CopyDataOutOfRangeFails) {
  BufferPool pool(2, 128, 0);
  PacketPtr p = pool.alloc_copy(Iota(10));
  std::vector<uint8_t> out(5);
  EXPECT_TRUE(Mbuf(*p).copy_data(5, out));
  EXPECT_FALSE(Mbuf(*p).copy_data(6, out));
}

TEST(SkBuff, PushPullPutReserveRespectBounds) {
  BufferPool pool(2, 128, 0);
  PacketPtr p = pool.alloc();
  SkBuff s(*p);
  EXPECT_TRUE(s.reserve(16));
  EXPECT_EQ(s.headroom(), 16u);
  ASSERT_NE(s.put(100), nullptr);
  EXPECT_EQ(s.len(), 100u);
  EXPECT_EQ(s.put(13), nullptr);  // only 12 bytes of tailroom
  ASSERT_NE(s.push(16), nullptr);
  EXPECT_EQ(s.push(1), nullptr);
  EXPECT_EQ(s.len(), 116u);
  ASSERT_NE(s.pull(16), nullptr);
  EXPECT_EQ(s.pull(200), nullptr);
  s.trim(50);
  EXPECT_EQ(s.len(), 50u);
  EXPECT_EQ(s.end() - s.head(), 128);
  EXPECT_FALSE(s.reserve(1));  // only an empty buffer can reserve
}

}  // namespace
}  // namespace vnetref::core
