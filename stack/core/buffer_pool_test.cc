#include "stack/core/buffer_pool.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace vnetref::core {
namespace {

std::vector<uint8_t> Iota(size_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), uint8_t{0});
  return v;
}

TEST(BufferPool, AllocReservesHeadroomAndCountsUse) {
  BufferPool pool(4, 256, 64);
  PacketPtr p = pool.alloc();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->headroom(), 64u);
  EXPECT_EQ(p->tailroom(), 256u - 64u);
  EXPECT_EQ(p->data_len, 0u);
  EXPECT_EQ(pool.stats().in_use, 1u);
  p.reset();
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_EQ(pool.stats().frees, 1u);
}

TEST(BufferPool, ExhaustionFailsAndIsCounted) {
  BufferPool pool(2, 256, 0);
  PacketPtr a = pool.alloc(), b = pool.alloc(), c = pool.alloc();
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_FALSE(c);
  EXPECT_EQ(pool.stats().exhausted, 1u);
  EXPECT_EQ(pool.stats().high_water, 2u);
  a.reset();
  EXPECT_TRUE(pool.alloc());
}

TEST(BufferPool, AllocCopyChainsWhenLargerThanASlot) {
  BufferPool pool(8, 256, 32);
  auto bytes = Iota(600);
  PacketPtr p = pool.alloc_copy(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pkt_len, 600u);
  EXPECT_EQ(p->segments(), 3u);  // 224 + 256 + 120
  std::vector<uint8_t> back(600);
  size_t off = 0;
  for (Packet* s = p.get(); s != nullptr; s = s->next) {
    std::copy(s->data(), s->data() + s->data_len, back.begin() + static_cast<std::ptrdiff_t>(off));
    off += s->data_len;
  }
  EXPECT_EQ(back, bytes);
}

TEST(BufferPool, AllocCopyFailureReleasesPartialChain) {
  BufferPool pool(2, 128, 0);
  auto bytes = Iota(300);
  EXPECT_FALSE(pool.alloc_copy(bytes));
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(BufferPool, CloneSharesStorageAndKeepsItAlive) {
  BufferPool pool(4, 256, 16);
  auto bytes = Iota(100);
  PacketPtr orig = pool.alloc_copy(bytes);
  PacketPtr c = pool.clone(*orig);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->data(), orig->data());  // zero copy
  EXPECT_TRUE(c->shared());
  EXPECT_TRUE(orig->shared());
  const uint8_t* data = c->data();
  orig.reset();  // storage must survive while the clone lives
  EXPECT_EQ(pool.stats().in_use, 2u);
  EXPECT_EQ(std::vector<uint8_t>(data, data + 100), bytes);
  c.reset();
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(BufferPool, CloneOfCloneReferencesTheRootOwner) {
  BufferPool pool(4, 256, 16);
  PacketPtr a = pool.alloc_copy(Iota(10));
  PacketPtr b = pool.clone(*a);
  PacketPtr c = pool.clone(*b);
  EXPECT_EQ(c->owner, a.get());
  a.reset();
  b.reset();
  EXPECT_EQ(c->data()[9], 9);
  c.reset();
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(BufferPool, MakeWritableCopiesOnlyWhenShared) {
  BufferPool pool(4, 256, 16);
  PacketPtr a = pool.alloc_copy(Iota(50));
  Packet* before = a.get();
  ASSERT_TRUE(pool.make_writable(a));
  EXPECT_EQ(a.get(), before);  // exclusive: untouched
  PacketPtr b = pool.clone(*a);
  ASSERT_TRUE(pool.make_writable(b));
  EXPECT_NE(b->data(), a->data());
  b->data()[0] = 0xff;
  EXPECT_EQ(a->data()[0], 0);
  EXPECT_EQ(pool.stats().copies, 1u);
}

TEST(BufferPool, CopyPreservesMetadataAndBytes) {
  BufferPool pool(8, 128, 16);
  auto bytes = Iota(300);
  PacketPtr a = pool.alloc_copy(bytes);
  a->meta.ingress_port = 7;
  PacketPtr b = pool.copy(*a);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->pkt_len, 300u);
  EXPECT_EQ(b->meta.ingress_port, 7u);
  EXPECT_NE(b->data(), a->data());
}

TEST(BufferPool, BulkAllocReturnsWhatIsAvailable) {
  BufferPool pool(3, 128, 0);
  Packet* out[5] = {};
  EXPECT_EQ(pool.alloc_bulk(out), 3u);
  EXPECT_EQ(pool.stats().exhausted, 2u);
  pool.free_bulk(std::span<Packet*>(out, 3));
  EXPECT_EQ(pool.available(), 3u);
}

}  // namespace
}  // namespace vnetref::core
