// Drives a TimerWheel with arbitrary arm / re-arm / cancel / advance operations and
// checks it against a plain ordered model: every timer fires once, at its
// tick-rounded deadline, in (deadline, arming order) order, and never early.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "stack/core/timer_wheel.h"

using namespace vnetref::core;

namespace {
constexpr int kTimers = 16;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  VirtualClock clock;
  TimerWheel wheel(clock, std::chrono::milliseconds(1));
  std::array<std::unique_ptr<Timer>, kTimers> timers;
  std::array<int64_t, kTimers> due_ms{};      // model: armed deadline in ticks, -1 when idle
  std::array<uint64_t, kTimers> armed_seq{};  // model: arming order
  due_ms.fill(-1);
  uint64_t seq = 0;
  std::vector<int> fired;
  for (int i = 0; i < kTimers; ++i) {
    timers[i] = std::make_unique<Timer>();
    timers[i]->set_callback([&, i] {
      int64_t now_ms = to_nanos(clock.now()) / 1000000;
      if (due_ms[i] != now_ms) __builtin_trap();  // fired at the wrong time
      due_ms[i] = -1;
      fired.push_back(i);
    });
  }
  size_t pos = 0;
  auto next = [&]() -> uint8_t { return pos < size ? data[pos++] : 0; };
  while (pos + 3 <= size) {
    uint8_t op = next();
    int idx = next() % kTimers;
    uint32_t amount = next();
    int64_t now_ms = to_nanos(clock.now()) / 1000000;
    switch (op % 3) {
      case 0: {  // arm with a delay spanning several wheel levels
        int64_t delay = static_cast<int64_t>(amount) << (op >> 4);
        wheel.schedule_after(*timers[idx], std::chrono::milliseconds(delay));
        due_ms[idx] = now_ms + delay;
        armed_seq[idx] = seq++;
        break;
      }
      case 1:
        timers[idx]->cancel();
        due_ms[idx] = -1;
        break;
      case 2: {
        int64_t step = static_cast<int64_t>(amount) << (op >> 4);
        int64_t target = now_ms + step;
        // Expected firing order: by deadline, then arming order.
        std::multimap<std::pair<int64_t, uint64_t>, int> expect;
        for (int i = 0; i < kTimers; ++i) {
          if (due_ms[i] >= 0 && due_ms[i] <= target) expect.emplace(std::make_pair(due_ms[i], armed_seq[i]), i);
        }
        fired.clear();
        advance_virtual_time(clock, wheel, kEpoch + std::chrono::milliseconds(target));
        if (fired.size() != expect.size()) __builtin_trap();
        size_t k = 0;
        for (auto& [key, i] : expect) {
          if (fired[k++] != i) __builtin_trap();
        }
        break;
      }
    }
    size_t armed = 0;
    for (int i = 0; i < kTimers; ++i) armed += due_ms[i] >= 0;
    if (armed != wheel.size()) __builtin_trap();
  }
  return 0;
}
