// Invariant checks for the wire fuzz targets: a violated invariant is a crash the
// fuzzing engine records (trap rather than assert so it fires under -DNDEBUG too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "stack/wire/ipv4_address.h"
#include "stack/wire/bytes.h"

#define WIRE_FUZZ_CHECK(cond) \
  do {                        \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace vnetref::wire::fuzz {

// Targets whose checksum covers a pseudo-header take the two addresses from the
// first 8 input bytes so the fuzzer explores them too.
struct AddressedInput {
  Ipv4Address src;
  Ipv4Address dst;
  std::span<const uint8_t> rest;
};

inline bool split_addresses(const uint8_t* data, size_t size, AddressedInput& out) {
  if (size < 8) return false;
  const std::span<const uint8_t> in(data, size);
  out.src = Ipv4Address::from_bytes(in.subspan(0, 4));
  out.dst = Ipv4Address::from_bytes(in.subspan(4, 4));
  out.rest = in.subspan(8);
  return true;
}

// Keeps data the optimiser would otherwise discard (accessors without side effects).
template <class T>
inline void consume(const T& v) {
  asm volatile("" : : "r"(&v) : "memory");
}

}  // namespace vnetref::wire::fuzz
