// ICMPv4 (RFC 792, RFC 1191 for the next-hop MTU of "fragmentation needed").
#pragma once

#include <cstdint>
#include <span>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/errors.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/result.h"
#include "stack/wire/view_base.h"

namespace vnetref::wire {

namespace icmp_type {
inline constexpr uint8_t kEchoReply = 0;
inline constexpr uint8_t kDestUnreachable = 3;
inline constexpr uint8_t kSourceQuench = 4;
inline constexpr uint8_t kRedirect = 5;
inline constexpr uint8_t kEchoRequest = 8;
inline constexpr uint8_t kTimeExceeded = 11;
inline constexpr uint8_t kParameterProblem = 12;
inline constexpr uint8_t kTimestamp = 13;
inline constexpr uint8_t kTimestampReply = 14;
}  // namespace icmp_type

namespace icmp_unreach {
inline constexpr uint8_t kNet = 0;
inline constexpr uint8_t kHost = 1;
inline constexpr uint8_t kProtocol = 2;
inline constexpr uint8_t kPort = 3;
inline constexpr uint8_t kFragNeeded = 4;
inline constexpr uint8_t kSourceRouteFailed = 5;
inline constexpr uint8_t kAdminProhibited = 13;
}  // namespace icmp_unreach

namespace icmp_time_exceeded {
inline constexpr uint8_t kTtl = 0;
inline constexpr uint8_t kReassembly = 1;
}  // namespace icmp_time_exceeded

// Error messages quote the offending datagram's header + 8 bytes after the 8-byte
// ICMP header; queries (echo etc.) carry an identifier and sequence number instead.
constexpr bool icmp_is_error(uint8_t type) {
  return type == icmp_type::kDestUnreachable || type == icmp_type::kSourceQuench || type == icmp_type::kRedirect ||
         type == icmp_type::kTimeExceeded || type == icmp_type::kParameterProblem;
}

template <ByteType B>
class Icmpv4Packet {
 public:
  static constexpr size_t kHeaderLen = 8;

  // Only the 8-byte header is required; type-specific content is read on demand.
  static Result<Icmpv4Packet, ParseError> parse(std::span<B> bytes) {
    if (bytes.size() < kHeaderLen) return Err(ParseError::Truncated);
    return Icmpv4Packet(bytes);
  }

  uint8_t type() const { return b_[0]; }
  uint8_t code() const { return b_[1]; }
  uint16_t checksum() const { return load_be16(b_, 2); }
  uint32_t rest_of_header() const { return load_be32(b_, 4); }
  uint16_t echo_ident() const { return load_be16(b_, 4); }
  uint16_t echo_seq() const { return load_be16(b_, 6); }
  // Unreachable / fragmentation needed (RFC 1191): MTU of the next-hop link, 0 from
  // routers that predate RFC 1191.
  uint16_t next_hop_mtu() const { return load_be16(b_, 6); }
  Ipv4Address gateway() const { return Ipv4Address(rest_of_header()); }  // redirect
  uint8_t pointer() const { return b_[4]; }                              // parameter problem
  bool is_error() const { return icmp_is_error(type()); }
  bool is_frag_needed() const {
    return type() == icmp_type::kDestUnreachable && code() == icmp_unreach::kFragNeeded;
  }
  std::span<B> data() const { return b_.subspan(kHeaderLen); }
  std::span<B> bytes() const { return b_; }

  // The datagram quoted by an error message: Unsupported for non-error types, or the
  // quoted header's own parse error.
  Result<Ipv4Packet<B>, ParseError> quoted_packet() const {
    if (!is_error()) return Err(ParseError::Unsupported);
    return Ipv4Packet<B>::parse_quoted(data());
  }

  bool checksum_valid() const { return internet_checksum(b_) == 0; }

  void set_type(uint8_t v) requires MutableByte<B> { b_[0] = v; }
  void set_code(uint8_t v) requires MutableByte<B> { b_[1] = v; }
  void set_checksum(uint16_t v) requires MutableByte<B> { store_be16(b_, 2, v); }
  void set_rest_of_header(uint32_t v) requires MutableByte<B> { store_be32(b_, 4, v); }
  void set_echo_ident(uint16_t v) requires MutableByte<B> { store_be16(b_, 4, v); }
  void set_echo_seq(uint16_t v) requires MutableByte<B> { store_be16(b_, 6, v); }
  void fill_checksum() requires MutableByte<B> {
    set_checksum(0);
    set_checksum(internet_checksum(b_));
  }

 private:
  explicit Icmpv4Packet(std::span<B> b) : b_(b) {}
  std::span<B> b_;
};

using Icmpv4View = Icmpv4Packet<const uint8_t>;
using Icmpv4ViewMut = Icmpv4Packet<uint8_t>;

// An ICMP message to build: type, code, the 4 type-specific header bytes, and data.
struct Icmpv4Header {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest_of_header = 0;
  std::span<const uint8_t> data;  // echo payload, or the quoted datagram

  static Icmpv4Header echo_request(uint16_t ident, uint16_t seq, std::span<const uint8_t> payload) {
    return {icmp_type::kEchoRequest, 0, (uint32_t{ident} << 16) | seq, payload};
  }
  static Icmpv4Header echo_reply(uint16_t ident, uint16_t seq, std::span<const uint8_t> payload) {
    return {icmp_type::kEchoReply, 0, (uint32_t{ident} << 16) | seq, payload};
  }
  static Icmpv4Header dest_unreachable(uint8_t code, std::span<const uint8_t> quoted) {
    return {icmp_type::kDestUnreachable, code, 0, quoted};
  }
  static Icmpv4Header frag_needed(uint16_t next_hop_mtu, std::span<const uint8_t> quoted) {
    return {icmp_type::kDestUnreachable, icmp_unreach::kFragNeeded, next_hop_mtu, quoted};
  }
  static Icmpv4Header time_exceeded(uint8_t code, std::span<const uint8_t> quoted) {
    return {icmp_type::kTimeExceeded, code, 0, quoted};
  }

  static Icmpv4Header from(const Icmpv4View& v) { return {v.type(), v.code(), v.rest_of_header(), v.data()}; }
  size_t size() const { return Icmpv4View::kHeaderLen + data.size(); }
  // Writes header + data and the checksum over both.
  Result<size_t, BuildError> emit(std::span<uint8_t> out) const;

  friend bool operator==(const Icmpv4Header& a, const Icmpv4Header& b);
};

// How many bytes of `datagram` an ICMP error should quote (RFC 792: the IP header plus
// the first 64 bits of its payload; RFC 1812 allows more, we stay minimal).
size_t icmp_quote_len(const Ipv4View& datagram);

}  // namespace vnetref::wire
