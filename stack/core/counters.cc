#include "stack/core/counters.h"

#include <algorithm>

namespace vnetref::core {

std::string format_counters(const CounterList& list, std::string_view indent) {
  size_t width = 0;
  for (const auto& c : list) width = std::max(width, c.name.size());
  std::string out;
  for (const auto& c : list) {
    out += indent;
    out += c.name;
    out.append(width - c.name.size() + 2, ' ');
    out += std::to_string(c.value);
    out += '\n';
  }
  return out;
}

}  // namespace vnetref::core
