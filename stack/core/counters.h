// Counters cheap enough for the data path.
//
// A counter is a plain uint64_t member of the object that owns it: each object is
// driven by one worker at a time, so no atomics are needed. `ReasonCounters` keeps
// one counter per drop reason (an enum) — every bounded table, queue and buffer in
// vnetref counts what it dropped and why. `CounterList` names counters for dumps.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vnetref::core {

// `Enum` must have a last enumerator `kCount`; `name_of(Enum)` must be findable by ADL.
template <typename Enum>
class ReasonCounters {
 public:
  static constexpr size_t kSize = static_cast<size_t>(Enum::kCount);
  void inc(Enum r, uint64_t n = 1) { c_[static_cast<size_t>(r)] += n; }
  uint64_t operator[](Enum r) const { return c_[static_cast<size_t>(r)]; }
  uint64_t total() const {
    uint64_t t = 0;
    for (uint64_t v : c_) t += v;
    return t;
  }
  void reset() { c_.fill(0); }
  // Calls f(name, value) for every non-zero reason (all reasons when `all`).
  template <typename F>
  void for_each(F&& f, bool all = false) const {
    for (size_t i = 0; i < kSize; ++i) {
      if (all || c_[i] != 0) f(name_of(static_cast<Enum>(i)), c_[i]);
    }
  }

 private:
  std::array<uint64_t, kSize> c_{};
};

// A list of named counter values, for printing and for conformance `expect counter` steps.
struct NamedCounter {
  std::string name;
  uint64_t value;
};
using CounterList = std::vector<NamedCounter>;

// Finds a counter by name; returns false when absent.
inline bool find_counter(const CounterList& list, std::string_view name, uint64_t* out) {
  for (const auto& c : list) {
    if (c.name == name) {
      *out = c.value;
      return true;
    }
  }
  return false;
}

std::string format_counters(const CounterList& list, std::string_view indent = "  ");

}  // namespace vnetref::core
