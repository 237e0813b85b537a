#include <gtest/gtest.h>

#include "stack/core/counters.h"
#include "stack/core/log.h"

namespace vnetref::core {
namespace {

enum class Drop : uint8_t { kNoRoute, kQueueFull, kCount };
const char* name_of(Drop d) { return d == Drop::kNoRoute ? "no_route" : "queue_full"; }

TEST(ReasonCounters, CountPerReasonAndTotal) {
  ReasonCounters<Drop> c;
  c.inc(Drop::kNoRoute);
  c.inc(Drop::kQueueFull, 3);
  EXPECT_EQ(c[Drop::kNoRoute], 1u);
  EXPECT_EQ(c.total(), 4u);
  std::vector<std::string> names;
  c.for_each([&](const char* n, uint64_t) { names.emplace_back(n); });
  EXPECT_EQ(names, (std::vector<std::string>{"no_route", "queue_full"}));
}

TEST(CounterList, FindAndFormat) {
  CounterList l{{"rx", 5}, {"dropped", 1}};
  uint64_t v = 0;
  EXPECT_TRUE(find_counter(l, "dropped", &v));
  EXPECT_EQ(v, 1u);
  EXPECT_FALSE(find_counter(l, "tx", &v));
  EXPECT_EQ(format_counters(l, ""), "rx       5\ndropped  1\n");
}

TEST(Logger, DisabledLevelsCostNothingAndRingIsBounded) {
  VirtualClock clock;
  Logger log(clock, 3, LogLevel::kInfo);
  int evaluated = 0;
  auto expensive = [&] { return ++evaluated; };
  VNETREF_LOG(log, LogLevel::kDebug, "arp", "value %d", expensive());
  EXPECT_EQ(evaluated, 0);  // arguments not evaluated when disabled
  for (int i = 0; i < 5; ++i) {
    clock.advance(std::chrono::milliseconds(1));
    VNETREF_LOG(log, LogLevel::kWarn, "ip", "msg %d", i);
  }
  auto recs = log.records();
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].text, "msg 2");
  EXPECT_EQ(log.overwritten(), 2u);
  EXPECT_EQ(Logger::format(recs[2]), "0.005000000 WARN  ip: msg 4");
}

}  // namespace
}  // namespace vnetref::core
