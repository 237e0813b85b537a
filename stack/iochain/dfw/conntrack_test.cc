#include "stack/iochain/dfw/conntrack.h"

#include <gtest/gtest.h>

#include <random>

namespace vnetref::iochain::dfw {
namespace {

TEST(ConnTable, BothDirectionsFindTheSameEntry) {
  ConnTable t(16);
  uint32_t idx = 0;
  ASSERT_NE(t.insert(1, 2, 10, 20, 6, &idx), nullptr);
  auto a = t.find(1, 2, 10, 20, 6);
  auto b = t.find(2, 1, 20, 10, 6);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->idx, idx);
  EXPECT_TRUE(a->from_initiator);
  EXPECT_FALSE(b->from_initiator);
  EXPECT_FALSE(t.find(1, 2, 10, 20, 17));
  EXPECT_FALSE(t.find(1, 2, 20, 10, 6));
}

TEST(ConnTable, FullTableRefusesAndEraseFrees) {
  ConnTable t(4);
  for (uint16_t i = 0; i < 4; ++i) ASSERT_NE(t.insert(1, 2, i, 80, 6, nullptr), nullptr);
  EXPECT_EQ(t.insert(1, 2, 99, 80, 6, nullptr), nullptr);
  t.erase(t.find(1, 2, 2, 80, 6)->idx);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_NE(t.insert(1, 2, 99, 80, 6, nullptr), nullptr);
  for (uint16_t i : {0, 1, 3, 99}) EXPECT_TRUE(t.find(1, 2, i, 80, 6)) << i;
}

// Random inserts/erases/purges against a reference set; large enough that an O(n)
// step per erase would show up as a timeout.
TEST(ConnTable, MatchesAReferenceUnderChurn) {
  constexpr uint32_t kCap = 50000;
  ConnTable t(kCap);
  std::mt19937 rng(3);
  std::vector<std::array<uint32_t, 3>> live;  // src, sport, expires
  for (int step = 0; step < 100000; ++step) {
    const uint32_t op = rng() % 100;
    if (op < 60 && t.size() < kCap) {
      const uint32_t src = rng(), sp = rng() & 0xffff;
      if (t.find(src, 7, static_cast<uint16_t>(sp), 80, 6)) continue;
      Conn* c = t.insert(src, 7, static_cast<uint16_t>(sp), 80, 6, nullptr);
      ASSERT_NE(c, nullptr);
      c->expires_ns = static_cast<int64_t>(rng() % 1000);
      live.push_back({src, sp, static_cast<uint32_t>(c->expires_ns)});
    } else if (op < 99 && !live.empty()) {
      const size_t k = rng() % live.size();
      auto hit = t.find(live[k][0], 7, static_cast<uint16_t>(live[k][1]), 80, 6);
      ASSERT_TRUE(hit);
      t.erase(hit->idx);
      live[k] = live.back();
      live.pop_back();
    } else {
      const int64_t now = static_cast<int64_t>(rng() % 200);
      t.purge(now);
      std::erase_if(live, [&](const auto& e) { return static_cast<int64_t>(e[2]) <= now; });
    }
    ASSERT_EQ(t.size(), live.size());
  }
  for (const auto& e : live) ASSERT_TRUE(t.find(e[0], 7, static_cast<uint16_t>(e[1]), 80, 6));
}

}  // namespace
}  // namespace vnetref::iochain::dfw
