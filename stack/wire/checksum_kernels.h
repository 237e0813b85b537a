// Internal: the bulk summation kernels behind ones_sum(). Not part of the public API.
//
// Every kernel returns an unfolded sum of the data read as *native-endian* (little-
// endian on x86) 16-bit words, odd final byte as the low byte of a zero-padded word.
// RFC 1071 section 2(B): the ones'-complement sum is byte-order independent up to a
// final byte swap, so the caller folds and swaps once instead of swapping each word.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vnetref::wire::detail {

uint64_t sum_reference(const uint8_t* p, size_t n);
uint64_t sum_scalar64(const uint8_t* p, size_t n);
#if defined(__x86_64__)
uint64_t sum_sse2(const uint8_t* p, size_t n);
uint64_t sum_avx2(const uint8_t* p, size_t n);
#endif

// Fold a 64-bit accumulator to 16 bits with end-around carries (2^16 == 1 mod 0xFFFF).
constexpr uint16_t fold64(uint64_t s) {
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffu) + (s >> 16);
  s = (s & 0xffffu) + (s >> 16);
  s = (s & 0xffffu) + (s >> 16);
  return static_cast<uint16_t>(s);
}

}  // namespace vnetref::wire::detail
