// SYN cookies: a listener under a SYN flood answers without keeping state and
// rebuilds the connection from the returning ACK.
//
// Our ISS carries the cookie (this is our own encoding, not FreeBSD's):
//   bits 0-2   MSS class (index into kMssTable: largest entry <= the peer's MSS)
//   bits 3-6   the peer's window scale shift (15 = no window scaling)
//   bit  7     SACK permitted
//   bit  8     timestamps
//   bits 9-31  23-bit MAC: SipHash(secret, 4-tuple, peer ISN, period, bits 0-8)
// A cookie is valid in the period it was made (64 s) and the one after. The ACK
// carries ISS + 1 in its acknowledgment field.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "stack/inet/tcp/siphash.h"

namespace vnetref::inet::tcp {

struct CookieParams {
  uint16_t mss = 536;
  std::optional<uint8_t> wscale;  // peer's shift, when it sent the option
  bool sack = false;
  bool timestamps = false;
};

struct FourTuple {
  uint32_t laddr = 0, raddr = 0;
  uint16_t lport = 0, rport = 0;
  friend constexpr bool operator==(const FourTuple&, const FourTuple&) = default;
};

class SynCookies {
 public:
  static constexpr std::array<uint16_t, 8> kMssTable = {216, 536, 1200, 1360, 1400, 1440, 1460, 8960};
  static constexpr int64_t kPeriodSeconds = 64;

  explicit SynCookies(SipKey key) : key_(key) {}

  uint32_t make(const FourTuple& t, uint32_t peer_isn, const CookieParams& p, int64_t now_seconds) const;
  // Validates `iss` (= SEG.ACK - 1) against the tuple and the peer's ISN (= SEG.SEQ - 1).
  std::optional<CookieParams> check(const FourTuple& t, uint32_t peer_isn, uint32_t iss, int64_t now_seconds) const;

 private:
  uint32_t mac(const FourTuple& t, uint32_t peer_isn, uint32_t low_bits, int64_t period) const;
  SipKey key_;
};

}  // namespace vnetref::inet::tcp
