#include "stack/wire/mac_address.h"

#include <cstdio>

namespace vnetref::wire {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  // Exactly six two-digit groups separated by one consistent separator.
  if (text.size() != 17) return std::nullopt;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  std::array<uint8_t, kSize> a{};
  for (size_t i = 0; i < kSize; ++i) {
    const size_t p = i * 3;
    if (i > 0 && text[p - 1] != sep) return std::nullopt;
    const int hi = hex_value(text[p]);
    const int lo = hex_value(text[p + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    a[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return MacAddress(a);
}

std::string MacAddress::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b_[0], b_[1], b_[2], b_[3], b_[4],
                b_[5]);
  return buf;
}

}  // namespace vnetref::wire
