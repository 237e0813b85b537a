// IPv4 header (RFC 791) with options, and its builder.
#pragma once

#include <cstdint>
#include <span>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/errors.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/options.h"
#include "stack/wire/result.h"
#include "stack/wire/view_base.h"

namespace vnetref::wire {

enum class IpProtocol : uint8_t { Icmp = 1, Igmp = 2, Tcp = 6, Udp = 17 };  // open enum

// IPv4 option kinds (IANA "ip-parameters"): the copied flag is part of the kind.
namespace ipv4_option {
inline constexpr uint8_t kEnd = 0;
inline constexpr uint8_t kNop = 1;
inline constexpr uint8_t kRecordRoute = 7;
inline constexpr uint8_t kTimestamp = 68;
inline constexpr uint8_t kLooseSourceRoute = 131;
inline constexpr uint8_t kStrictSourceRoute = 137;
inline constexpr uint8_t kRouterAlert = 148;
}  // namespace ipv4_option

template <ByteType B>
class Ipv4Packet {
 public:
  static constexpr size_t kMinHeaderLen = 20;
  static constexpr size_t kMaxHeaderLen = 60;
  static constexpr uint16_t kFlagReserved = 0x8000;  // the "evil bit" (RFC 3514)
  static constexpr uint16_t kFlagDontFragment = 0x4000;
  static constexpr uint16_t kFlagMoreFragments = 0x2000;

  // Structural checks: version 4, IHL >= 5, header and total length inside the buffer,
  // total length >= header length, options well formed. Bytes after total length
  // (Ethernet padding) are excluded from the view. The checksum is NOT verified here
  // (see checksum_valid()) so NICs with checksum offload can skip it.
  static Result<Ipv4Packet, ParseError> parse(std::span<B> bytes) { return parse_impl(bytes, false); }

  // For the datagram quoted inside an ICMP error: the header must be complete, but
  // the payload may be cut short of the total length (RFC 792 quotes only 8 bytes).
  static Result<Ipv4Packet, ParseError> parse_quoted(std::span<B> bytes) { return parse_impl(bytes, true); }

  uint8_t version() const { return b_[0] >> 4; }
  uint8_t ihl() const { return b_[0] & 0x0f; }
  size_t header_len() const { return size_t{ihl()} * 4; }
  uint8_t tos() const { return b_[1]; }
  uint8_t dscp() const { return b_[1] >> 2; }
  uint8_t ecn() const { return b_[1] & 0x3; }
  uint16_t total_len() const { return load_be16(b_, 2); }
  uint16_t ident() const { return load_be16(b_, 4); }
  uint16_t flags_fragment_raw() const { return load_be16(b_, 6); }
  bool reserved_flag() const { return (flags_fragment_raw() & kFlagReserved) != 0; }
  bool dont_fragment() const { return (flags_fragment_raw() & kFlagDontFragment) != 0; }
  bool more_fragments() const { return (flags_fragment_raw() & kFlagMoreFragments) != 0; }
  uint16_t fragment_offset() const { return flags_fragment_raw() & 0x1fff; }  // 8-byte units
  uint32_t fragment_offset_bytes() const { return uint32_t{fragment_offset()} * 8; }
  bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
  uint8_t ttl() const { return b_[8]; }
  uint8_t protocol_raw() const { return b_[9]; }
  IpProtocol protocol() const { return static_cast<IpProtocol>(b_[9]); }
  uint16_t checksum() const { return load_be16(b_, 10); }
  Ipv4Address src() const { return Ipv4Address::from_bytes(b_.subspan(12, 4)); }
  Ipv4Address dst() const { return Ipv4Address::from_bytes(b_.subspan(16, 4)); }

  std::span<B> header() const { return b_.subspan(0, header_len()); }
  std::span<B> options() const { return b_.subspan(kMinHeaderLen, header_len() - kMinHeaderLen); }
  OptionRange option_list() const { return OptionRange(options(), kIpTcpOptionSyntax); }
  // Up to total length (or, for parse_quoted, as much as the buffer holds).
  std::span<B> payload() const { return b_.subspan(header_len()); }
  // The datagram, trimmed to total length.
  std::span<B> bytes() const { return b_; }
  // Payload length the header claims (may exceed payload().size() for quoted datagrams).
  size_t claimed_payload_len() const { return total_len() - header_len(); }

  bool checksum_valid() const { return internet_checksum(header()) == 0; }

  void set_tos(uint8_t v) requires MutableByte<B> { b_[1] = v; }
  void set_total_len(uint16_t v) requires MutableByte<B> { store_be16(b_, 2, v); }
  void set_ident(uint16_t v) requires MutableByte<B> { store_be16(b_, 4, v); }
  void set_flags_fragment_raw(uint16_t v) requires MutableByte<B> { store_be16(b_, 6, v); }
  void set_ttl(uint8_t v) requires MutableByte<B> { b_[8] = v; }
  void set_protocol(uint8_t v) requires MutableByte<B> { b_[9] = v; }
  void set_checksum(uint16_t v) requires MutableByte<B> { store_be16(b_, 10, v); }
  void set_src(Ipv4Address a) requires MutableByte<B> { a.write_to(b_.subspan(12, 4)); }
  void set_dst(Ipv4Address a) requires MutableByte<B> { a.write_to(b_.subspan(16, 4)); }
  void fill_checksum() requires MutableByte<B> {
    set_checksum(0);
    set_checksum(internet_checksum(header()));
  }
  // Forwarding path: TTL lives in the high byte of word 4 (TTL, protocol), so the
  // checksum follows with one RFC 1624 update instead of a full recomputation.
  void set_ttl_adjusting_checksum(uint8_t ttl) requires MutableByte<B> {
    const uint16_t old_word = load_be16(b_, 8);
    set_ttl(ttl);
    set_checksum(checksum_adjust(checksum(), old_word, load_be16(b_, 8)));
  }

 private:
  explicit Ipv4Packet(std::span<B> b) : b_(b) {}

  static Result<Ipv4Packet, ParseError> parse_impl(std::span<B> bytes, bool quoted) {
    if (bytes.size() < kMinHeaderLen) return Err(ParseError::Truncated);
    if ((bytes[0] >> 4) != 4) return Err(ParseError::BadVersion);
    const size_t hlen = size_t{static_cast<uint8_t>(bytes[0] & 0x0f)} * 4;
    if (hlen < kMinHeaderLen) return Err(ParseError::BadHeaderLength);
    if (bytes.size() < hlen) return Err(ParseError::Truncated);
    const size_t total = load_be16(bytes, 2);
    if (total < hlen) return Err(ParseError::BadTotalLength);
    if (total > bytes.size() && !quoted) return Err(ParseError::Truncated);
    auto opts = validate_options(bytes.subspan(kMinHeaderLen, hlen - kMinHeaderLen), kIpTcpOptionSyntax);
    if (!opts) return Err(opts.error());
    return Ipv4Packet(bytes.subspan(0, total < bytes.size() ? total : bytes.size()));
  }

  std::span<B> b_;
};

using Ipv4View = Ipv4Packet<const uint8_t>;
using Ipv4ViewMut = Ipv4Packet<uint8_t>;

// The fields of an IPv4 header, to build one (checksum computed) or to compare.
struct Ipv4Header {
  Ipv4Address src;
  Ipv4Address dst;
  uint8_t protocol = 0;
  uint8_t ttl = 64;
  uint8_t dscp = 0;
  uint8_t ecn = 0;
  uint16_t ident = 0;
  bool reserved_flag = false;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;      // 8-byte units, 13 bits
  std::span<const uint8_t> options;  // raw option bytes; padded with zeros (EOL) to 4
  uint16_t payload_len = 0;          // total length = header_len() + payload_len

  static Ipv4Header from(const Ipv4View& v);
  size_t header_len() const { return Ipv4View::kMinHeaderLen + (options.size() + 3) / 4 * 4; }
  // Writes the header only (the payload follows at header_len()). InvalidField when
  // options exceed 40 bytes, the total length exceeds 65535, or a field overflows.
  Result<size_t, BuildError> emit(std::span<uint8_t> out) const;

  friend bool operator==(const Ipv4Header& a, const Ipv4Header& b);
};

// Verifies the IPv4 header checksum, and the transport checksum (TCP, UDP, ICMP) of
// an unfragmented datagram; BadChecksum on mismatch. Structural errors of the inner
// header are returned as they are.
Status<ParseError> validate_checksums(const Ipv4View& ip);

}  // namespace vnetref::wire
