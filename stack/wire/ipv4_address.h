// IPv4 address (host-order uint32 inside) and CIDR prefix.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vnetref::wire {

class Ipv4Address {
 public:
  static constexpr size_t kSize = 4;

  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(uint32_t host_order) : v_(host_order) {}
  constexpr Ipv4Address(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
      : v_((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d) {}

  // Reads 4 network-order bytes; the span must hold at least 4.
  static Ipv4Address from_bytes(std::span<const uint8_t> b);
  // Strict dotted quad: four decimal octets 0..255, no leading '+', no empty parts,
  // at most 3 digits each (so "010" is 10, not octal as inet_aton would read it).
  static std::optional<Ipv4Address> parse(std::string_view text);

  static constexpr Ipv4Address any() { return Ipv4Address(0u); }
  static constexpr Ipv4Address broadcast() { return Ipv4Address(0xffffffffu); }

  void write_to(std::span<uint8_t> out) const;  // writes 4 network-order bytes
  constexpr uint32_t to_u32() const { return v_; }

  constexpr bool is_unspecified() const { return v_ == 0; }
  constexpr bool is_broadcast() const { return v_ == 0xffffffffu; }
  constexpr bool is_multicast() const { return (v_ >> 28) == 0xe; }  // 224.0.0.0/4
  constexpr bool is_loopback() const { return (v_ >> 24) == 127; }
  constexpr bool is_link_local() const { return (v_ >> 16) == 0xa9fe; }  // 169.254/16

  std::string to_string() const;

  friend constexpr bool operator==(Ipv4Address, Ipv4Address) = default;
  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;

 private:
  uint32_t v_ = 0;
};

class Ipv4Prefix {
 public:
  constexpr Ipv4Prefix() = default;
  // The address is masked to the network so equal prefixes compare equal.
  constexpr Ipv4Prefix(Ipv4Address addr, uint8_t len)
      : len_(len > 32 ? 32 : len), addr_(Ipv4Address(addr.to_u32() & mask_bits(len_))) {}

  // "10.0.0.0/8"; host bits set in the text are accepted and masked off.
  static std::optional<Ipv4Prefix> parse(std::string_view text);

  constexpr Ipv4Address network() const { return addr_; }
  constexpr uint8_t length() const { return len_; }
  constexpr Ipv4Address netmask() const { return Ipv4Address(mask_bits(len_)); }
  constexpr Ipv4Address broadcast() const { return Ipv4Address(addr_.to_u32() | ~mask_bits(len_)); }
  constexpr bool contains(Ipv4Address a) const { return (a.to_u32() & mask_bits(len_)) == addr_.to_u32(); }

  std::string to_string() const;

  friend constexpr bool operator==(const Ipv4Prefix&, const Ipv4Prefix&) = default;

 private:
  // Shifting a uint32 by 32 is undefined, hence the explicit /0 case.
  static constexpr uint32_t mask_bits(uint8_t len) { return len == 0 ? 0u : ~0u << (32 - len); }

  uint8_t len_ = 0;
  Ipv4Address addr_;
};

}  // namespace vnetref::wire
