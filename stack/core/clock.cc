#include "stack/core/clock.h"

namespace vnetref::core {

MonotonicClock::MonotonicClock() : start_(std::chrono::steady_clock::now()) {}

Instant MonotonicClock::now() const {
  return Instant(std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start_));
}

}  // namespace vnetref::core
