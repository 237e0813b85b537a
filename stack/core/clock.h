// Time in vnetref: one injectable clock.
//
// Every layer reads time through a `Clock&` it was given. Tests, fuzzing and
// conformance use `VirtualClock`, which only moves when told to, so runs are
// bit-for-bit reproducible. `MonotonicClock` is the single adapter that reads the
// wall clock; only binaries that talk to the real world (TAP, benchmarks, CLI in
// live mode) construct one.
#pragma once

#include <chrono>
#include <cstdint>

namespace vnetref::core {

using Duration = std::chrono::nanoseconds;

// The epoch is the clock's own start (virtual time 0), not the Unix epoch.
struct ClockEpoch {
  using duration = Duration;
  using rep = Duration::rep;
  using period = Duration::period;
  using time_point = std::chrono::time_point<ClockEpoch, Duration>;
  static constexpr bool is_steady = true;
};

using Instant = ClockEpoch::time_point;

constexpr Instant kEpoch{};

constexpr int64_t to_nanos(Instant t) { return t.time_since_epoch().count(); }
constexpr Instant from_nanos(int64_t ns) { return Instant(Duration(ns)); }

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

// Moves only when advanced; never goes backwards.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(Instant start = kEpoch) : now_(start) {}
  Instant now() const override { return now_; }
  void advance(Duration d) {
    if (d.count() > 0) now_ += d;
  }
  // Sets the time; a target in the past is ignored (time is monotonic).
  void set(Instant t) {
    if (t > now_) now_ = t;
  }

 private:
  Instant now_;
};

// The only place that reads the host's clock (std::chrono::steady_clock).
class MonotonicClock final : public Clock {
 public:
  MonotonicClock();
  Instant now() const override;

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace vnetref::core
