#include "stack/vswitch/mac_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace vnetref::vswitch {
namespace {

uint64_t key_of(uint32_t i, uint16_t vlan) {
  uint8_t m[6] = {0x02, 0, static_cast<uint8_t>(i >> 24), static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                  static_cast<uint8_t>(i)};
  return mac_key(m, vlan);
}

TEST(MacTable, SameMacDifferentVlansAreDifferentKeys) {
  MacTable t(16);
  ASSERT_TRUE(t.upsert(key_of(1, 10), 3, MacOrigin::kRegistered, 0));
  ASSERT_TRUE(t.upsert(key_of(1, 20), 4, MacOrigin::kRegistered, 0));
  EXPECT_EQ(t.lookup(key_of(1, 10)), 3u);
  EXPECT_EQ(t.lookup(key_of(1, 20)), 4u);
  EXPECT_EQ(t.lookup(key_of(1, 30)), kNoPort);
}

TEST(MacTable, BoundedAndCountsRejects) {
  MacTable t(4);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_TRUE(t.upsert(key_of(i, 0), i + 1, MacOrigin::kLearned, 0));
  EXPECT_FALSE(t.upsert(key_of(99, 0), 7, MacOrigin::kLearned, 0));
  EXPECT_EQ(t.stats().full_rejects, 1u);
  EXPECT_TRUE(t.upsert(key_of(2, 0), 9, MacOrigin::kLearned, 0));  // update still works when full
  EXPECT_EQ(t.stats().moves, 1u);
}

TEST(MacTable, RandomOperationsMatchAReferenceMap) {
  // Backward-shift deletion must keep every remaining key findable.
  MacTable t(512);
  std::map<uint64_t, PortId> ref;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const uint64_t k = key_of(rng() % 700, static_cast<uint16_t>(rng() % 3));
    if (rng() % 3 == 0) {
      EXPECT_EQ(t.remove(k), ref.erase(k) == 1);
    } else {
      const PortId port = 1 + rng() % 50;
      const bool ok = t.upsert(k, port, MacOrigin::kLearned, step);
      if (ok) ref[k] = port;
      EXPECT_EQ(ok, ref.count(k) == 1);
    }
    ASSERT_EQ(t.size(), ref.size());
  }
  for (const auto& [k, v] : ref) EXPECT_EQ(t.lookup(k), v);
}

TEST(MacTable, AgesOnlyLearnedEntriesAndRemovesByPort) {
  MacTable t(32);
  t.upsert(key_of(1, 0), 1, MacOrigin::kRegistered, 0);
  t.upsert(key_of(2, 0), 2, MacOrigin::kLearned, 100);
  t.upsert(key_of(3, 0), 2, MacOrigin::kLearned, 500);
  EXPECT_EQ(t.age_out(200), 1u);
  EXPECT_EQ(t.lookup(key_of(1, 0)), 1u);
  EXPECT_EQ(t.lookup(key_of(2, 0)), kNoPort);
  EXPECT_EQ(t.count_port(2, MacOrigin::kLearned), 1u);
  EXPECT_EQ(t.remove_port(2), 1u);
  EXPECT_EQ(t.size(), 1u);
}

}  // namespace
}  // namespace vnetref::vswitch
