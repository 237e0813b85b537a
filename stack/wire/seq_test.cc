#include "stack/wire/seq.h"

#include <gtest/gtest.h>

namespace vnetref::wire {
namespace {

TEST(SeqNum, OrdersWithinHalfSpace) {
  EXPECT_LT(SeqNum(1), SeqNum(2));
  EXPECT_LE(SeqNum(2), SeqNum(2));
  EXPECT_GT(SeqNum(100), SeqNum(99));
  EXPECT_FALSE(SeqNum(2) < SeqNum(2));
}

TEST(SeqNum, OrdersAcrossWrap) {
  const SeqNum before(0xfffffff0u);
  const SeqNum after(0x00000010u);
  EXPECT_LT(before, after);  // after is 32 ahead, across zero
  EXPECT_GT(after, before);
  EXPECT_EQ(after - before, 32);
  EXPECT_EQ(before - after, -32);
  EXPECT_EQ(before + 0x20u, after);
}

TEST(SeqNum, HalfSpaceApartIsUnordered) {
  // RFC 1982 3.2: for i2 = i1 + 2^31 the comparison is undefined; we refuse both.
  const SeqNum a(5);
  const SeqNum b(5 + 0x80000000u);
  EXPECT_FALSE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_FALSE(a == b);
  EXPECT_EQ(a <=> b, std::partial_ordering::unordered);
  // One less than half the space is still ordered.
  EXPECT_LT(a, SeqNum(5 + 0x7fffffffu));
}

TEST(SeqNum, ArithmeticWraps) {
  SeqNum s(0xffffffffu);
  s += 1;
  EXPECT_EQ(s.raw(), 0u);
  s -= 2;
  EXPECT_EQ(s.raw(), 0xfffffffeu);
  EXPECT_EQ((SeqNum(0) - 1u).raw(), 0xffffffffu);
}

TEST(SeqNum, InWindow) {
  EXPECT_TRUE(SeqNum::in_window(SeqNum(5), SeqNum(0xfffffffbu), 16));
  EXPECT_FALSE(SeqNum::in_window(SeqNum(11), SeqNum(0xfffffffbu), 16));
  EXPECT_TRUE(SeqNum::in_window(SeqNum(0xfffffffbu), SeqNum(0xfffffffbu), 1));
  EXPECT_FALSE(SeqNum::in_window(SeqNum(0), SeqNum(0), 0));
}

}  // namespace
}  // namespace vnetref::wire
