#include "stack/core/result.h"

#include <gtest/gtest.h>

#include <string>

namespace vnetref::core {
namespace {

enum class E { kBad, kWorse };

Result<int, E> Half(int x) {
  if (x % 2 != 0) return Err(E::kBad);
  return x / 2;
}

TEST(Result, CarriesValueOrError) {
  auto a = Half(4);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, 2);
  auto b = Half(3);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), E::kBad);
  EXPECT_EQ(b.value_or(-1), -1);
  auto c = Result<std::string, E>::ok("x");
  EXPECT_EQ(c->size(), 1u);
}

TEST(Status, OkOrError) {
  Status<E> ok = Ok{};
  Status<E> bad = Err(E::kWorse);
  EXPECT_TRUE(ok.ok());
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), E::kWorse);
}

}  // namespace
}  // namespace vnetref::core
