#include "stack/core/timer_wheel.h"

#include <bit>

namespace vnetref::core {

Timer::~Timer() { cancel(); }

void Timer::cancel() {
  if (wheel_ != nullptr) wheel_->cancel(*this);
}

Instant Timer::deadline() const {
  return wheel_ != nullptr ? kEpoch + wheel_->tick() * static_cast<int64_t>(expiry_tick_) : kEpoch;
}

TimerWheel::TimerWheel(const Clock& clock, Duration tick)
    : clock_(clock), tick_(tick.count() > 0 ? tick : Duration(1)) {
  current_tick_ = tick_of_floor(clock_.now());
}

TimerWheel::~TimerWheel() {
  // Disarm whatever is left so the timers' destructors do not touch a dead wheel.
  for (auto& level : slots_) {
    for (auto& slot : level) {
      for (Timer* t = slot.head; t != nullptr;) {
        Timer* next = t->next_;
        t->wheel_ = nullptr;
        t->prev_ = t->next_ = nullptr;
        t = next;
      }
    }
  }
}

uint64_t TimerWheel::tick_of_ceil(Instant t) const {
  int64_t ns = to_nanos(t);
  if (ns <= 0) return 0;
  return static_cast<uint64_t>((ns + tick_.count() - 1) / tick_.count());
}

uint64_t TimerWheel::tick_of_floor(Instant t) const {
  int64_t ns = to_nanos(t);
  if (ns <= 0) return 0;
  return static_cast<uint64_t>(ns / tick_.count());
}

Instant TimerWheel::instant_of(uint64_t tick) const { return kEpoch + tick_ * static_cast<int64_t>(tick); }

void TimerWheel::schedule(Timer& t, Instant deadline) {
  if (t.wheel_ != nullptr) t.wheel_->cancel(t);
  uint64_t tick = tick_of_ceil(deadline);
  t.expiry_tick_ = tick < current_tick_ ? current_tick_ : tick;
  t.wheel_ = this;
  ++size_;
  insert(t);
}

void TimerWheel::cancel(Timer& t) {
  if (t.wheel_ != this) return;
  unlink(t);
  t.wheel_ = nullptr;
  --size_;
}

void TimerWheel::insert(Timer& t) {
  uint64_t diff = t.expiry_tick_ ^ current_tick_;
  int level = diff == 0 ? 0 : (63 - std::countl_zero(diff)) / kLevelBits;
  int index = static_cast<int>((t.expiry_tick_ >> (level * kLevelBits)) & (kSlots - 1));
  Slot& s = slots_[level][index];
  t.next_ = nullptr;
  t.prev_ = s.tail;
  if (s.tail != nullptr) {
    s.tail->next_ = &t;
  } else {
    s.head = &t;
  }
  s.tail = &t;
  occupied_[level] |= uint64_t{1} << index;
}

void TimerWheel::unlink(Timer& t) {
  uint64_t diff = t.expiry_tick_ ^ current_tick_;
  int level = diff == 0 ? 0 : (63 - std::countl_zero(diff)) / kLevelBits;
  int index = static_cast<int>((t.expiry_tick_ >> (level * kLevelBits)) & (kSlots - 1));
  Slot& s = slots_[level][index];
  if (t.prev_ != nullptr) {
    t.prev_->next_ = t.next_;
  } else {
    s.head = t.next_;
  }
  if (t.next_ != nullptr) {
    t.next_->prev_ = t.prev_;
  } else {
    s.tail = t.prev_;
  }
  t.prev_ = t.next_ = nullptr;
  if (s.head == nullptr) occupied_[level] &= ~(uint64_t{1} << index);
}

std::optional<uint64_t> TimerWheel::next_expiry_tick() const {
  for (int level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    int index = std::countr_zero(occupied_[level]);
    if (level == 0) return (current_tick_ & ~uint64_t{kSlots - 1}) | static_cast<uint64_t>(index);
    uint64_t best = UINT64_MAX;
    for (const Timer* t = slots_[level][index].head; t != nullptr; t = t->next_) {
      if (t->expiry_tick_ < best) best = t->expiry_tick_;
    }
    return best;
  }
  return std::nullopt;
}

std::optional<Instant> TimerWheel::next_deadline() const {
  auto tick = next_expiry_tick();
  if (!tick) return std::nullopt;
  return instant_of(*tick);
}

// Moves the current tick forward to `tick`, which must not pass the next expiry.
// Only the slots that `tick` itself selects can hold timers of the new window;
// they cascade down, highest level first.
void TimerWheel::move_to(uint64_t tick) {
  if (tick <= current_tick_) return;
  uint64_t old = current_tick_;
  current_tick_ = tick;
  for (int level = kLevels - 1; level >= 1; --level) {
    int shift = level * kLevelBits;
    if ((old >> shift) == (tick >> shift)) continue;
    int index = static_cast<int>((tick >> shift) & (kSlots - 1));
    Slot& s = slots_[level][index];
    Timer* t = s.head;
    s.head = s.tail = nullptr;
    occupied_[level] &= ~(uint64_t{1} << index);
    while (t != nullptr) {
      Timer* next = t->next_;
      insert(*t);
      t = next;
    }
  }
}

size_t TimerWheel::fire_current() {
  int index = static_cast<int>(current_tick_ & (kSlots - 1));
  size_t fired = 0;
  // Pop one timer at a time: a callback may cancel or re-arm any timer, including
  // the ones still waiting in this slot. Timers armed for "now" by a callback join
  // the tail of the slot and fire in this same pass.
  while (Timer* t = slots_[0][index].head) {
    unlink(*t);
    t->wheel_ = nullptr;
    --size_;
    ++fired;
    if (t->callback_) t->callback_();
  }
  fired_total_ += fired;
  return fired;
}

size_t TimerWheel::run_expired() {
  uint64_t target = tick_of_floor(clock_.now());
  size_t fired = 0;
  for (;;) {
    auto next = next_expiry_tick();
    if (!next || *next > target) {
      move_to(target);
      return fired;
    }
    move_to(*next);
    fired += fire_current();
  }
}

size_t advance_virtual_time(VirtualClock& clock, TimerWheel& wheel, Instant target) {
  size_t fired = wheel.run_expired();
  for (;;) {
    auto next = wheel.next_deadline();
    if (!next || *next > target) break;
    clock.set(*next);
    fired += wheel.run_expired();
  }
  clock.set(target);
  fired += wheel.run_expired();
  return fired;
}

}  // namespace vnetref::core
