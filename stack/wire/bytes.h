// Big-endian (network order) loads and stores on byte spans.
//
// Callers check bounds once in parse(); these helpers assume the offsets are valid
// (asserted in debug builds) so accessors stay branch-free.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>

namespace vnetref::wire {

inline uint16_t load_be16(std::span<const uint8_t> b, size_t off) {
  assert(off + 2 <= b.size());
  return static_cast<uint16_t>((b[off] << 8) | b[off + 1]);
}

inline uint32_t load_be32(std::span<const uint8_t> b, size_t off) {
  assert(off + 4 <= b.size());
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
         uint32_t{b[off + 3]};
}

inline void store_be16(std::span<uint8_t> b, size_t off, uint16_t v) {
  assert(off + 2 <= b.size());
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

inline void store_be32(std::span<uint8_t> b, size_t off, uint32_t v) {
  assert(off + 4 <= b.size());
  b[off] = static_cast<uint8_t>(v >> 24);
  b[off + 1] = static_cast<uint8_t>(v >> 16);
  b[off + 2] = static_cast<uint8_t>(v >> 8);
  b[off + 3] = static_cast<uint8_t>(v);
}

}  // namespace vnetref::wire
