// Invariant: parse never crashes; anything accepted dumps to text that parses to
// the same dump (a fixed point after one round).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "stack/config/json.h"

using namespace vnetref::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = parse_json(text, JsonLimits{1 << 20, 32});
  if (!j) return 0;
  std::string once = j->dump();
  auto again = parse_json(once, JsonLimits{1 << 22, 40});
  if (!again) __builtin_trap();
  if (again->dump() != once) __builtin_trap();
  std::string pretty = j->dump(2);
  auto p = parse_json(pretty, JsonLimits{1 << 24, 40});
  if (!p || p->dump() != once) __builtin_trap();
  return 0;
}
