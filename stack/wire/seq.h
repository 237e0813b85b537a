// TCP sequence numbers: 32-bit serial arithmetic (RFC 9293 section 3.4, RFC 1982).
//
// Comparison is modulo 2^32: a < b when b is "ahead" of a by less than 2^31. Two
// numbers exactly 2^31 apart are unordered (RFC 1982 leaves it undefined), which
// operator<=> reports as std::partial_ordering::unordered so that neither a < b
// nor b < a holds, instead of silently picking a side.
#pragma once

#include <compare>
#include <cstdint>

namespace vnetref::wire {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(uint32_t v) : v_(v) {}

  constexpr uint32_t raw() const { return v_; }

  constexpr SeqNum operator+(uint32_t n) const { return SeqNum(v_ + n); }  // wraps mod 2^32
  constexpr SeqNum operator-(uint32_t n) const { return SeqNum(v_ - n); }
  constexpr SeqNum& operator+=(uint32_t n) { v_ += n; return *this; }
  constexpr SeqNum& operator-=(uint32_t n) { v_ -= n; return *this; }

  // Signed distance from b to a (a - b), valid when |distance| < 2^31.
  friend constexpr int32_t operator-(SeqNum a, SeqNum b) {
    return static_cast<int32_t>(a.v_ - b.v_);  // two's complement conversion (C++20)
  }

  friend constexpr bool operator==(SeqNum, SeqNum) = default;
  friend constexpr std::partial_ordering operator<=>(SeqNum a, SeqNum b) {
    const uint32_t ahead = b.v_ - a.v_;  // how far b is ahead of a, mod 2^32
    if (ahead == 0) return std::partial_ordering::equivalent;
    if (ahead < 0x80000000u) return std::partial_ordering::less;
    if (ahead > 0x80000000u) return std::partial_ordering::greater;
    return std::partial_ordering::unordered;
  }

  // a <= x < b in sequence space (window checks of RFC 9293 3.10.7.4).
  static constexpr bool in_window(SeqNum x, SeqNum lo, uint32_t len) { return x.v_ - lo.v_ < len; }

 private:
  uint32_t v_ = 0;
};

}  // namespace vnetref::wire
