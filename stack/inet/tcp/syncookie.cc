#include "stack/inet/tcp/syncookie.h"

namespace vnetref::inet::tcp {

uint32_t SynCookies::mac(const FourTuple& t, uint32_t peer_isn, uint32_t low_bits, int64_t period) const {
  uint64_t a = (uint64_t{t.laddr} << 32) | t.raddr;
  uint64_t b = (uint64_t{t.lport} << 48) | (uint64_t{t.rport} << 32) | peer_isn;
  uint64_t h = siphash_words(key_, a, b, static_cast<uint64_t>(period), low_bits);
  return static_cast<uint32_t>(h) & 0x7fffffu;
}

uint32_t SynCookies::make(const FourTuple& t, uint32_t peer_isn, const CookieParams& p, int64_t now_seconds) const {
  uint32_t mss_idx = 0;
  for (uint32_t i = 0; i < kMssTable.size(); ++i) {
    if (kMssTable[i] <= p.mss) mss_idx = i;
  }
  uint32_t ws = p.wscale ? (*p.wscale > 14 ? 14u : *p.wscale) : 15u;
  uint32_t low = mss_idx | (ws << 3) | (p.sack ? 1u << 7 : 0) | (p.timestamps ? 1u << 8 : 0);
  return (mac(t, peer_isn, low, now_seconds / kPeriodSeconds) << 9) | low;
}

std::optional<CookieParams> SynCookies::check(const FourTuple& t, uint32_t peer_isn, uint32_t iss,
                                              int64_t now_seconds) const {
  uint32_t low = iss & 0x1ff;
  uint32_t got = iss >> 9;
  int64_t period = now_seconds / kPeriodSeconds;
  for (int64_t p = period; p >= period - 1; --p) {
    if (mac(t, peer_isn, low, p) != got) continue;
    CookieParams out;
    out.mss = kMssTable[low & 7];
    uint32_t ws = (low >> 3) & 0xf;
    if (ws != 15) out.wscale = static_cast<uint8_t>(ws);
    out.sack = (low >> 7) & 1;
    out.timestamps = (low >> 8) & 1;
    return out;
  }
  return std::nullopt;
}

}  // namespace vnetref::inet::tcp
