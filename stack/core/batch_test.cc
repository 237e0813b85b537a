#include "stack/core/batch.h"

#include <gtest/gtest.h>

#include "stack/core/buffer_pool.h"

namespace vnetref::core {
namespace {

TEST(PacketBatch, PushHandsBackWhenFull) {
  BufferPool pool(300, 64, 0);
  PacketBatch b;
  for (uint32_t i = 0; i < PacketBatch::kMaxPackets; ++i) EXPECT_FALSE(b.push(pool.alloc()));
  PacketPtr extra = pool.alloc();
  PacketPtr back = b.push(std::move(extra));
  EXPECT_TRUE(back);  // not lost
  EXPECT_TRUE(b.full());
}

TEST(PacketBatch, TakeAndCompactKeepOrder) {
  BufferPool pool(8, 64, 0);
  PacketBatch b;
  for (uint64_t i = 0; i < 6; ++i) {
    PacketPtr p = pool.alloc();
    p->meta.user = i;
    (void)b.push(std::move(p));
  }
  PacketPtr t1 = b.take(1);
  PacketPtr t4 = b.take(4);
  b.compact();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0]->meta.user, 0u);
  EXPECT_EQ(b[1]->meta.user, 2u);
  EXPECT_EQ(b[2]->meta.user, 3u);
  EXPECT_EQ(b[3]->meta.user, 5u);
  EXPECT_EQ(t4->meta.user, 4u);
}

TEST(PacketBatch, DestructionFreesPackets) {
  BufferPool pool(4, 64, 0);
  {
    PacketBatch b;
    (void)b.push(pool.alloc());
    (void)b.push(pool.alloc());
    EXPECT_EQ(pool.stats().in_use, 2u);
  }
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(PacketBatch, AppendMovesWhatFits) {
  BufferPool pool(600, 64, 0);
  PacketBatch a, b;
  for (int i = 0; i < 200; ++i) (void)a.push(pool.alloc());
  for (int i = 0; i < 100; ++i) (void)b.push(pool.alloc());
  a.append(b);
  EXPECT_EQ(a.size(), 256u);
  EXPECT_EQ(b.size(), 44u);
  PacketBatch c(std::move(a));
  EXPECT_EQ(c.size(), 256u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
}

}  // namespace
}  // namespace vnetref::core
