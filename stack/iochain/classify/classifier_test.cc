#include "stack/iochain/classify/classifier.h"

#include <gtest/gtest.h>

#include <random>

namespace vnetref::iochain::classify {
namespace {

uint32_t linear_first(const std::vector<RuleSpec>& rules, const Key& k, uint32_t from = 0) {
  for (uint32_t i = from; i < rules.size(); ++i) {
    if (rule_matches(rules[i], k)) return i;
  }
  return kNoMatch;
}

TEST(Classifier, EmptyRuleSetMatchesNothing) {
  auto c = Classifier::build({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->match(Key{}), kNoMatch);
}

TEST(Classifier, FirstMatchWins) {
  std::vector<RuleSpec> rules(3);
  rules[0].add_prefix(kSrcIp, 0x0a000000, 8).add(kProto, 6, 6).add(kDstPort, 80, 80);
  rules[1].add_prefix(kSrcIp, 0x0a000000, 8);
  // rule 2: any
  auto c = Classifier::build(rules);
  ASSERT_TRUE(c);
  Key k;
  k.v = {0x0a010203, 0x0b000001, 6, 1234, 80, 0};
  EXPECT_EQ(c->match(k), 0u);
  k.v[kDstPort] = 81;
  EXPECT_EQ(c->match(k), 1u);
  k.v[kSrcIp] = 0x0b000001;
  EXPECT_EQ(c->match(k), 2u);
  EXPECT_EQ(c->match(k, 3), kNoMatch);
  k.v[kSrcIp] = 0x0a010203;
  k.v[kDstPort] = 80;
  EXPECT_EQ(c->match(k, 1), 1u);  // search from a later rule (jump-to-application)
}

TEST(Classifier, NegationAndUnions) {
  std::vector<RuleSpec> rules(2);
  rules[0].add_prefix(kDstIp, 0xc0a80000, 16).add_prefix(kDstIp, 0x0a000000, 8).negate(kDstIp);
  rules[1].add(kSrcPort, 10, 20).add(kSrcPort, 15, 30);
  auto c = Classifier::build(rules);
  ASSERT_TRUE(c);
  Key k;
  k.v[kDstIp] = 0xc0a80101;
  k.v[kSrcPort] = 25;
  EXPECT_EQ(c->match(k), 1u);
  k.v[kDstIp] = 0x08080808;
  EXPECT_EQ(c->match(k), 0u);
  k.v[kDstIp] = 0x0a000001;
  k.v[kSrcPort] = 31;
  EXPECT_EQ(c->match(k), kNoMatch);
  RuleSpec never;
  never.negate(kProto);
  EXPECT_TRUE(never.never_matches());
}

TEST(Classifier, RejectsBadRanges) {
  std::vector<RuleSpec> rules(1);
  rules[0].add(kProto, 0, 300);
  auto c = Classifier::build(rules);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("bad range"), std::string::npos);
}

// Randomised equivalence with the linear oracle, across several groups.
TEST(Classifier, MatchesLinearScanOnRandomRules) {
  std::mt19937 rng(12345);
  for (uint32_t nrules : {1u, 63u, 64u, 65u, 700u, 5000u}) {
    std::vector<RuleSpec> rules(nrules);
    for (auto& r : rules) {
      if (rng() % 3 != 0) r.add_prefix(kSrcIp, 0x0a000000 | (rng() & 0xffff00), static_cast<uint8_t>(8 + rng() % 25));
      if (rng() % 2 != 0) r.add_prefix(kDstIp, 0x0a000000 | (rng() & 0xffffff), static_cast<uint8_t>(16 + rng() % 17));
      if (rng() % 4 == 0) r.negate(kDstIp);
      if (rng() % 2 != 0) {
        const uint32_t proto = rng() % 2 ? 6 : 17;
        r.add(kProto, proto, proto);
      }
      if (rng() % 2 != 0) {
        uint32_t lo = rng() % 2000;
        r.add(kDstPort, lo, lo + rng() % 50);
      }
      if (rng() % 5 == 0) r.add(kDir, rng() % 2, 1);
    }
    auto c = Classifier::build(rules);
    ASSERT_TRUE(c) << c.error();
    std::vector<Key> keys;
    for (int i = 0; i < 3000; ++i) {
      Key k;
      k.v[kSrcIp] = 0x0a000000 | (rng() & 0xffffff);
      k.v[kDstIp] = rng() % 8 == 0 ? rng() : (0x0a000000 | (rng() & 0xffffff));
      k.v[kProto] = rng() % 3 == 0 ? 6 : (rng() % 2 ? 17 : 1);
      k.v[kSrcPort] = rng() & 0xffff;
      k.v[kDstPort] = rng() % 2100;
      k.v[kDir] = rng() % 2;
      const uint32_t from = rng() % 4 == 0 ? rng() % nrules : 0;
      ASSERT_EQ(c->match(k, from), linear_first(rules, k, from)) << "rules=" << nrules << " i=" << i;
      keys.push_back(k);
    }
    std::vector<uint32_t> got(keys.size());
    c->match_batch(keys.data(), static_cast<uint32_t>(keys.size()), got.data());
    for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(got[i], linear_first(rules, keys[i])) << i;
  }
}

}  // namespace
}  // namespace vnetref::iochain::classify
