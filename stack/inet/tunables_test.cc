#include "stack/inet/tunables.h"

#include <gtest/gtest.h>

#include "stack/inet/inet_tunables.h"

namespace vnetref::inet {
namespace {

TEST(Tunables, DefineGetSetWithRange) {
  Tunables t;
  auto id = t.define({"net.inet.test.x", 10, 1, 100, TunableUnit::kCount_, "x"});
  ASSERT_TRUE(id);
  EXPECT_EQ(t.value(*id), 10);
  EXPECT_TRUE(t.set("net.inet.test.x", 50));
  EXPECT_EQ(*t.get("net.inet.test.x"), 50);
  auto bad = t.set("net.inet.test.x", 101);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), TunableError::kOutOfRange);
  EXPECT_EQ(t.value(*id), 50);  // unchanged by the rejected set
  EXPECT_EQ(t.get("nope").error(), TunableError::kUnknown);
  EXPECT_TRUE(t.reset("net.inet.test.x"));
  EXPECT_EQ(t.value(*id), 10);
}

TEST(Tunables, RedefineIsIdempotentButConflictsAreErrors) {
  Tunables t;
  auto a = t.define({"a.b", 1, 0, 2, TunableUnit::kBool, ""});
  auto b = t.define({"a.b", 1, 0, 2, TunableUnit::kBool, ""});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->index, b->index);
  EXPECT_EQ(t.define({"a.b", 2, 0, 2, TunableUnit::kBool, ""}).error(), TunableError::kConflict);
  EXPECT_EQ(t.define({"c", 5, 0, 2, TunableUnit::kBool, ""}).error(), TunableError::kOutOfRange);
}

TEST(Tunables, FreeBsdDefaults) {
  Tunables t;
  define_inet_tunables(t);
  EXPECT_EQ(*t.get("net.inet.ip.ttl"), 64);
  EXPECT_EQ(*t.get("net.inet.icmp.icmplim"), 200);
  EXPECT_EQ(*t.get("net.inet.udp.recvspace"), 42080);
  EXPECT_EQ(*t.get("net.inet.udp.maxdgram"), 9216);
  EXPECT_EQ(*t.get("net.link.ether.inet.max_age"), 1200);
  EXPECT_EQ(*t.get("net.link.ether.inet.maxtries"), 5);
  EXPECT_EQ(*t.get("net.link.ether.inet.maxhold"), 16);
  EXPECT_EQ(*t.get("net.inet.ip.portrange.first"), 10000);
  EXPECT_NE(t.dump("net.inet.udp").find("net.inet.udp.checksum: 1\n"), std::string::npos);
}

TEST(Tunables, PerInstanceStorage) {
  Tunables a, b;
  define_inet_tunables(a);
  define_inet_tunables(b);
  ASSERT_TRUE(a.set("net.inet.ip.ttl", 10));
  EXPECT_EQ(*a.get("net.inet.ip.ttl"), 10);
  EXPECT_EQ(*b.get("net.inet.ip.ttl"), 64);
}

TEST(Tunables, TableIsBounded) {
  Tunables t;
  std::vector<std::string> names;
  for (size_t i = 0; i < Tunables::kMaxTunables; ++i) names.push_back("n" + std::to_string(i));
  for (const auto& n : names) ASSERT_TRUE(t.define({n, 0, 0, 1, TunableUnit::kBool, ""}));
  EXPECT_EQ(t.define({"overflow", 0, 0, 1, TunableUnit::kBool, ""}).error(), TunableError::kTableFull);
}

}  // namespace
}  // namespace vnetref::inet
