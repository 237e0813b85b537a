// RFC 1071 Internet checksum and RFC 1624 incremental update.
//
// Terminology: the "sum" is the folded 16-bit ones'-complement sum of the data read
// as big-endian 16-bit words (an odd trailing byte is padded with a zero byte); the
// "checksum" is its complement, the value stored in headers. All 16-bit values here
// are numeric host-order values whose big-endian encoding is the on-wire bytes.
//
// The bulk summation dispatches at run time to AVX2 (when the CPU has it), else SSE2
// (baseline on x86-64), else a 64-bit scalar loop; all produce the same result as the
// plain reference implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/wire/ipv4_address.h"

namespace vnetref::wire {

// Folded ones'-complement sum of `data` (not inverted). Fast path.
uint16_t ones_sum(std::span<const uint8_t> data);

// ~ones_sum(data): the checksum of a header whose checksum field is zero, or 0 when
// the data including its checksum field verifies.
inline uint16_t internet_checksum(std::span<const uint8_t> data) {
  return static_cast<uint16_t>(~ones_sum(data));
}

// Ones'-complement addition with end-around carry.
constexpr uint16_t ones_add(uint16_t a, uint16_t b) {
  const uint32_t s = uint32_t{a} + b;
  return static_cast<uint16_t>((s & 0xffff) + (s >> 16));
}

// Sums a message given in pieces (pseudo-header, header, payload) without copying.
// Pieces of odd length are handled: the next piece continues mid-word, as if all
// pieces were one contiguous buffer.
class ChecksumAccumulator {
 public:
  void add(std::span<const uint8_t> data);
  void add16(uint16_t word);   // must be called at an even offset
  void add32(uint32_t value);  // two words, at an even offset
  uint16_t sum() const { return sum_; }
  uint16_t checksum() const { return static_cast<uint16_t>(~sum_); }

 private:
  uint16_t sum_ = 0;
  bool odd_ = false;  // true when the bytes added so far have odd length
};

// Ones'-complement sum of the IPv4 pseudo-header (RFC 768 / RFC 9293 3.1):
// source, destination, zero, protocol, upper-layer length.
uint16_t ipv4_pseudo_header_sum(Ipv4Address src, Ipv4Address dst, uint8_t protocol, uint16_t length);

// RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changed
// from old_word to new_word: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 it never turns a
// valid checksum into the "-0" form 0xFFFF for non-zero data. (UDP callers still map
// a resulting 0x0000 to 0xFFFF, as for a full computation.)
constexpr uint16_t checksum_adjust(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  uint16_t s = ones_add(static_cast<uint16_t>(~checksum), static_cast<uint16_t>(~old_word));
  s = ones_add(s, new_word);
  return static_cast<uint16_t>(~s);
}

// Same for a 32-bit field (e.g. an IPv4 address in a NAT rewrite): two word updates.
constexpr uint16_t checksum_adjust32(uint16_t checksum, uint32_t old_value, uint32_t new_value) {
  checksum = checksum_adjust(checksum, static_cast<uint16_t>(old_value >> 16),
                             static_cast<uint16_t>(new_value >> 16));
  return checksum_adjust(checksum, static_cast<uint16_t>(old_value), static_cast<uint16_t>(new_value));
}

// --- Implementation selection, for tests and benchmarks --------------------------
enum class ChecksumImpl : uint8_t {
  Reference,  // byte-pair loop straight from RFC 1071 section 4.1; the oracle
  Scalar64,   // 64-bit loads, 32-bit halves into 64-bit accumulators
  Sse2,
  Avx2,
};

const char* to_string(ChecksumImpl impl);
bool checksum_impl_supported(ChecksumImpl impl);  // compiled in and supported by this CPU
ChecksumImpl active_checksum_impl();               // what ones_sum() uses
// ones_sum with a forced implementation; falls back to Reference if unsupported.
uint16_t ones_sum_with(ChecksumImpl impl, std::span<const uint8_t> data);

}  // namespace vnetref::wire
