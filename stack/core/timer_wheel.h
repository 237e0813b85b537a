// Hierarchical timing wheel: O(1) arm/cancel, skips empty time in O(levels).
//
// Time is cut into ticks (1 ms by default, FreeBSD's hz=1000). Eleven levels of 64
// slots cover the whole 64-bit tick range. A timer lives in the level given by the
// highest 6-bit group in which its expiry tick differs from the wheel's current
// tick, so every timer in level L expires after every timer in levels below L; that
// is what lets `next_deadline()` be exact and `advance` jump over idle time (a DFW
// entry's 12-hour timeout costs no 43 million empty ticks).
//
// Timers are intrusive objects owned by their users (no allocation when arming);
// destroying an armed Timer cancels it. Timers due at the same tick fire in the
// order they were armed, so virtual-time runs are deterministic.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "stack/core/clock.h"

namespace vnetref::core {

class TimerWheel;

class Timer {
 public:
  Timer() = default;
  explicit Timer(std::function<void()> callback) : callback_(std::move(callback)) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void set_callback(std::function<void()> callback) { callback_ = std::move(callback); }
  bool armed() const { return wheel_ != nullptr; }
  // The tick-rounded time at which an armed timer fires.
  Instant deadline() const;
  void cancel();

 private:
  friend class TimerWheel;
  std::function<void()> callback_;
  TimerWheel* wheel_ = nullptr;
  Timer* prev_ = nullptr;
  Timer* next_ = nullptr;
  uint64_t expiry_tick_ = 0;
};

class TimerWheel {
 public:
  static constexpr int kLevelBits = 6;
  static constexpr int kSlots = 1 << kLevelBits;
  static constexpr int kLevels = 11;  // 11 * 6 >= 64 bits of ticks

  explicit TimerWheel(const Clock& clock, Duration tick = std::chrono::milliseconds(1));
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  const Clock& clock() const { return clock_; }
  Duration tick() const { return tick_; }

  // Arms (or re-arms) `t` to fire at the first tick at or after `deadline`.
  // A deadline in the past fires at the next `run_expired()`.
  void schedule(Timer& t, Instant deadline);
  void schedule_after(Timer& t, Duration delay) { schedule(t, clock_.now() + delay); }
  void cancel(Timer& t);

  // Fires every timer due at or before the clock's current time. Returns how many fired.
  size_t run_expired();

  // When the earliest armed timer fires (tick-rounded); nullopt when none is armed.
  std::optional<Instant> next_deadline() const;

  size_t size() const { return size_; }
  uint64_t fired_total() const { return fired_total_; }

 private:
  struct Slot {
    Timer* head = nullptr;
    Timer* tail = nullptr;
  };

  uint64_t tick_of_ceil(Instant t) const;
  uint64_t tick_of_floor(Instant t) const;
  Instant instant_of(uint64_t tick) const;
  void insert(Timer& t);
  void unlink(Timer& t);
  std::optional<uint64_t> next_expiry_tick() const;
  void move_to(uint64_t tick);
  size_t fire_current();

  const Clock& clock_;
  Duration tick_;
  uint64_t current_tick_ = 0;
  size_t size_ = 0;
  uint64_t fired_total_ = 0;
  std::array<std::array<Slot, kSlots>, kLevels> slots_{};
  std::array<uint64_t, kLevels> occupied_{};  // bit i: slot i of that level non-empty
};

// Drives virtual time: moves `clock` to `target`, stopping at every timer deadline
// on the way so each callback observes its own deadline as "now".
size_t advance_virtual_time(VirtualClock& clock, TimerWheel& wheel, Instant target);
inline size_t advance_virtual_time_by(VirtualClock& clock, TimerWheel& wheel, Duration d) {
  return advance_virtual_time(clock, wheel, clock.now() + d);
}

}  // namespace vnetref::core
