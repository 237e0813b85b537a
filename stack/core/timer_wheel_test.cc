#include "stack/core/timer_wheel.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

namespace vnetref::core {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(VirtualClock, NeverMovesBackwards) {
  VirtualClock c;
  c.advance(seconds(2));
  c.set(from_nanos(1));
  EXPECT_EQ(c.now(), kEpoch + seconds(2));
  c.advance(Duration(-5));
  EXPECT_EQ(c.now(), kEpoch + seconds(2));
}

TEST(TimerWheel, FiresAtDeadlineNotBefore) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  int fired = 0;
  Timer t([&] { ++fired; });
  wheel.schedule_after(t, milliseconds(100));
  clock.advance(milliseconds(99));
  wheel.run_expired();
  EXPECT_EQ(fired, 0);
  clock.advance(milliseconds(1));
  wheel.run_expired();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(t.armed());
}

TEST(TimerWheel, SameTickFiresInArmingOrder) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  std::vector<int> order;
  Timer a([&] { order.push_back(1); }), b([&] { order.push_back(2); }), c([&] { order.push_back(3); });
  wheel.schedule_after(b, milliseconds(5));
  wheel.schedule_after(a, milliseconds(5));
  wheel.schedule_after(c, milliseconds(3));
  advance_virtual_time_by(clock, wheel, milliseconds(10));
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
}

TEST(TimerWheel, CancelAndDestructionDisarm) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  int fired = 0;
  Timer a([&] { ++fired; });
  wheel.schedule_after(a, milliseconds(1));
  a.cancel();
  {
    Timer b([&] { ++fired; });
    wheel.schedule_after(b, milliseconds(1));
  }
  EXPECT_EQ(wheel.size(), 0u);
  advance_virtual_time_by(clock, wheel, seconds(1));
  EXPECT_EQ(fired, 0);
}

TEST(TimerWheel, RearmMovesTheDeadline) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  Instant when{};
  Timer t([&] { when = clock.now(); });
  wheel.schedule_after(t, milliseconds(50));
  wheel.schedule_after(t, milliseconds(200));
  EXPECT_EQ(wheel.size(), 1u);
  advance_virtual_time_by(clock, wheel, seconds(1));
  EXPECT_EQ(when, kEpoch + milliseconds(200));
}

TEST(TimerWheel, CallbackSeesItsOwnDeadlineAsNow) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  std::vector<Instant> seen;
  Timer a([&] { seen.push_back(clock.now()); }), b([&] { seen.push_back(clock.now()); });
  wheel.schedule_after(a, seconds(3));
  wheel.schedule_after(b, hours(12));  // a DFW established-session timeout
  advance_virtual_time_by(clock, wheel, hours(13));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], kEpoch + seconds(3));
  EXPECT_EQ(seen[1], kEpoch + hours(12));
  EXPECT_EQ(clock.now(), kEpoch + hours(13));
}

TEST(TimerWheel, CallbackMayRearmAndCancelOthers) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  int periodic = 0, victim = 0;
  Timer v([&] { ++victim; });
  Timer p;
  p.set_callback([&] {
    ++periodic;
    v.cancel();
    if (periodic < 5) wheel.schedule_after(p, milliseconds(10));
  });
  wheel.schedule_after(p, milliseconds(10));
  wheel.schedule_after(v, milliseconds(10));
  advance_virtual_time_by(clock, wheel, seconds(1));
  EXPECT_EQ(periodic, 5);
  EXPECT_EQ(victim, 0);
}

TEST(TimerWheel, NextDeadlineIsExact) {
  VirtualClock clock;
  TimerWheel wheel(clock);
  Timer a, b;
  EXPECT_FALSE(wheel.next_deadline());
  wheel.schedule_after(a, seconds(100));
  wheel.schedule_after(b, milliseconds(4097));
  EXPECT_EQ(*wheel.next_deadline(), kEpoch + milliseconds(4097));
  b.cancel();
  EXPECT_EQ(*wheel.next_deadline(), kEpoch + seconds(100));
}

TEST(TimerWheel, PastDeadlineFiresOnNextRun) {
  VirtualClock clock(kEpoch + seconds(5));
  TimerWheel wheel(clock);
  int fired = 0;
  Timer t([&] { ++fired; });
  wheel.schedule(t, kEpoch + seconds(1));
  EXPECT_EQ(wheel.run_expired(), 1u);
  EXPECT_EQ(fired, 1);
}

// Randomised check against a simple ordered model: every timer fires exactly once,
// at its tick-rounded deadline, in (deadline, arming order) order.
TEST(TimerWheel, MatchesAnOrderedModelUnderRandomLoad) {
  VirtualClock clock;
  TimerWheel wheel(clock, milliseconds(1));
  std::mt19937_64 rng(12345);
  constexpr int kTimers = 2000;
  std::vector<std::unique_ptr<Timer>> timers;
  std::vector<std::pair<int64_t, int>> fired;
  std::multimap<int64_t, int> model;
  std::vector<bool> cancelled(kTimers, false);
  for (int i = 0; i < kTimers; ++i) {
    auto t = std::make_unique<Timer>();
    t->set_callback([&, i] { fired.emplace_back(to_nanos(clock.now()), i); });
    // Spread over ms .. days to exercise several wheel levels.
    int64_t ms = static_cast<int64_t>(rng() % (1 + (rng() % 4 == 0 ? 86400000 : 70000)));
    wheel.schedule(*t, kEpoch + milliseconds(ms));
    model.emplace(ms * 1000000, i);
    timers.push_back(std::move(t));
  }
  for (int i = 0; i < kTimers; i += 7) {
    timers[i]->cancel();
    cancelled[i] = true;
  }
  // Advance in irregular steps.
  while (wheel.size() > 0) {
    advance_virtual_time_by(clock, wheel, milliseconds(1 + static_cast<int64_t>(rng() % 5000000)));
  }
  std::vector<std::pair<int64_t, int>> expected;
  for (auto& [ns, i] : model) {
    if (!cancelled[i]) expected.emplace_back(ns, i);
  }
  ASSERT_EQ(fired.size(), expected.size());
  EXPECT_EQ(fired, expected);
}

}  // namespace
}  // namespace vnetref::core
