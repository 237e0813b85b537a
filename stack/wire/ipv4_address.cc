#include "stack/wire/ipv4_address.h"

#include <charconv>

#include "stack/wire/bytes.h"

namespace vnetref::wire {

Ipv4Address Ipv4Address::from_bytes(std::span<const uint8_t> b) { return Ipv4Address(load_be32(b, 0)); }

void Ipv4Address::write_to(std::span<uint8_t> out) const { store_be32(out, 0, v_); }

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  uint32_t v = 0;
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    size_t digits = 0;
    uint32_t octet = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      octet = octet * 10 + static_cast<uint32_t>(text[pos] - '0');
      ++pos;
      if (++digits > 3) return std::nullopt;
    }
    if (digits == 0 || octet > 255) return std::nullopt;
    v = (v << 8) | octet;
  }
  if (pos != text.size()) return std::nullopt;
  return Ipv4Address(v);
}

std::string Ipv4Address::to_string() const {
  std::string s;
  s.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    if (shift != 24) s.push_back('.');
    s += std::to_string((v_ >> shift) & 0xff);
  }
  return s;
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto addr = Ipv4Address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const std::string_view len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 2) return std::nullopt;
  unsigned len = 0;
  const auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || end != len_text.data() + len_text.size() || len > 32) return std::nullopt;
  return Ipv4Prefix(*addr, static_cast<uint8_t>(len));
}

std::string Ipv4Prefix::to_string() const { return addr_.to_string() + "/" + std::to_string(len_); }

}  // namespace vnetref::wire
