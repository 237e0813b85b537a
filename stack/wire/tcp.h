// TCP segment header (RFC 9293) and options: MSS, window scale and timestamps
// (RFC 7323), SACK-permitted and SACK (RFC 2018).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/errors.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/options.h"
#include "stack/wire/result.h"
#include "stack/wire/seq.h"
#include "stack/wire/view_base.h"

namespace vnetref::wire {

inline constexpr uint8_t kIpProtoTcp = 6;

// The 9 flag bits of byte 12-13 (AE, formerly NS, is bit 8).
struct TcpFlags {
  static constexpr uint16_t kFin = 0x001;
  static constexpr uint16_t kSyn = 0x002;
  static constexpr uint16_t kRst = 0x004;
  static constexpr uint16_t kPsh = 0x008;
  static constexpr uint16_t kAck = 0x010;
  static constexpr uint16_t kUrg = 0x020;
  static constexpr uint16_t kEce = 0x040;
  static constexpr uint16_t kCwr = 0x080;
  static constexpr uint16_t kAe = 0x100;
  static constexpr uint16_t kMask = 0x1ff;

  uint16_t bits = 0;

  constexpr bool has(uint16_t f) const { return (bits & f) == f; }
  constexpr bool fin() const { return has(kFin); }
  constexpr bool syn() const { return has(kSyn); }
  constexpr bool rst() const { return has(kRst); }
  constexpr bool psh() const { return has(kPsh); }
  constexpr bool ack() const { return has(kAck); }
  constexpr bool urg() const { return has(kUrg); }

  // Scapy's rendering: letters of set bits in bit order "FSRPAUECN" ("SA", "RA", "").
  std::string to_scapy() const;
  // tcpdump's rendering without brackets: "S.", "P.", "R", "." (ack only), "none".
  std::string to_tcpdump() const;

  friend constexpr bool operator==(TcpFlags, TcpFlags) = default;
};

namespace tcp_option {
inline constexpr uint8_t kEnd = 0;
inline constexpr uint8_t kNop = 1;
inline constexpr uint8_t kMss = 2;
inline constexpr uint8_t kWindowScale = 3;
inline constexpr uint8_t kSackPermitted = 4;
inline constexpr uint8_t kSack = 5;
inline constexpr uint8_t kTimestamps = 8;
}  // namespace tcp_option

struct SackBlock {
  SeqNum left;   // first sequence number of the block
  SeqNum right;  // sequence number just past the block
  friend constexpr bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct TcpTimestamps {
  uint32_t value = 0;
  uint32_t echo_reply = 0;
  friend constexpr bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

// The options we understand, decoded. Unknown kinds are skipped; a repeated kind
// keeps its last occurrence.
struct TcpOptions {
  static constexpr size_t kMaxLen = 40;     // data offset 15 words minus 5
  static constexpr size_t kMaxSackBlocks = 4;  // (40 - 2) / 8

  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;  // shift count as received (RFC 7323 caps use at 14)
  bool sack_permitted = false;
  std::array<SackBlock, kMaxSackBlocks> sack_blocks{};
  uint8_t sack_count = 0;
  std::optional<TcpTimestamps> timestamps;

  // BadOption for malformed lists and for known kinds with the wrong length.
  static Result<TcpOptions, ParseError> parse(std::span<const uint8_t> area);

  // Encoded size, a multiple of 4. Uses the customary NOP-aligned layout (as Linux
  // sends: "mss, sackOK, TS, nop, wscale") when it fits in 40 bytes, otherwise the
  // packed layout without NOPs.
  size_t encoded_len() const;
  // Writes encoded_len() bytes. InvalidField when even the packed layout exceeds 40.
  Result<size_t, BuildError> emit(std::span<uint8_t> out) const;

  friend bool operator==(const TcpOptions& a, const TcpOptions& b);

 private:
  size_t aligned_len() const;
  size_t packed_len() const;
};

template <ByteType B>
class TcpSegment {
 public:
  static constexpr size_t kMinHeaderLen = 20;

  // `bytes` is the IP payload (the whole segment). Checks data offset >= 5
  // (BadHeaderLength), the header within the segment (Truncated), and the options
  // (BadOption). The checksum is separate: checksum_valid().
  static Result<TcpSegment, ParseError> parse(std::span<B> bytes) {
    if (bytes.size() < kMinHeaderLen) return Err(ParseError::Truncated);
    const size_t hlen = size_t{static_cast<uint8_t>(bytes[12] >> 4)} * 4;
    if (hlen < kMinHeaderLen) return Err(ParseError::BadHeaderLength);
    if (hlen > bytes.size()) return Err(ParseError::Truncated);
    auto opts = TcpOptions::parse(bytes.subspan(kMinHeaderLen, hlen - kMinHeaderLen));
    if (!opts) return Err(opts.error());
    return TcpSegment(bytes);
  }

  uint16_t src_port() const { return load_be16(b_, 0); }
  uint16_t dst_port() const { return load_be16(b_, 2); }
  SeqNum seq() const { return SeqNum(load_be32(b_, 4)); }
  SeqNum ack() const { return SeqNum(load_be32(b_, 8)); }
  uint8_t data_offset() const { return b_[12] >> 4; }
  size_t header_len() const { return size_t{data_offset()} * 4; }
  uint8_t reserved() const { return (b_[12] >> 1) & 0x7; }  // must be zero, not checked
  TcpFlags flags() const { return TcpFlags{static_cast<uint16_t>(load_be16(b_, 12) & TcpFlags::kMask)}; }
  uint16_t window() const { return load_be16(b_, 14); }
  uint16_t checksum() const { return load_be16(b_, 16); }
  uint16_t urgent_ptr() const { return load_be16(b_, 18); }

  std::span<B> options() const { return b_.subspan(kMinHeaderLen, header_len() - kMinHeaderLen); }
  OptionRange option_list() const { return OptionRange(options(), kIpTcpOptionSyntax); }
  // Validated by parse(), so this cannot fail.
  TcpOptions parsed_options() const { return TcpOptions::parse(options()).value_or(TcpOptions{}); }
  std::span<B> payload() const { return b_.subspan(header_len()); }
  std::span<B> bytes() const { return b_; }
  // Sequence space the segment occupies: payload plus one each for SYN and FIN.
  uint32_t seq_len() const {
    return static_cast<uint32_t>(payload().size()) + (flags().syn() ? 1 : 0) + (flags().fin() ? 1 : 0);
  }

  bool checksum_valid(Ipv4Address src, Ipv4Address dst) const {
    return transport_sum(src, dst) == 0xffff;
  }

  void set_src_port(uint16_t v) requires MutableByte<B> { store_be16(b_, 0, v); }
  void set_dst_port(uint16_t v) requires MutableByte<B> { store_be16(b_, 2, v); }
  void set_seq(SeqNum v) requires MutableByte<B> { store_be32(b_, 4, v.raw()); }
  void set_ack(SeqNum v) requires MutableByte<B> { store_be32(b_, 8, v.raw()); }
  void set_flags(TcpFlags f) requires MutableByte<B> {
    const uint16_t keep = load_be16(b_, 12) & static_cast<uint16_t>(~TcpFlags::kMask);
    store_be16(b_, 12, static_cast<uint16_t>(keep | (f.bits & TcpFlags::kMask)));
  }
  void set_window(uint16_t v) requires MutableByte<B> { store_be16(b_, 14, v); }
  void set_checksum(uint16_t v) requires MutableByte<B> { store_be16(b_, 16, v); }
  void set_urgent_ptr(uint16_t v) requires MutableByte<B> { store_be16(b_, 18, v); }
  void fill_checksum(Ipv4Address src, Ipv4Address dst) requires MutableByte<B> {
    set_checksum(0);
    set_checksum(static_cast<uint16_t>(~transport_sum(src, dst)));
  }

 private:
  explicit TcpSegment(std::span<B> b) : b_(b) {}

  uint16_t transport_sum(Ipv4Address src, Ipv4Address dst) const {
    ChecksumAccumulator acc;
    acc.add16(ipv4_pseudo_header_sum(src, dst, kIpProtoTcp, static_cast<uint16_t>(b_.size())));
    acc.add(b_);
    return acc.sum();
  }

  std::span<B> b_;
};

using TcpView = TcpSegment<const uint8_t>;
using TcpViewMut = TcpSegment<uint8_t>;

struct TcpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;
  TcpFlags flags;
  uint8_t reserved = 0;  // 3 bits, sent as given (tests of peers' handling)
  uint16_t window = 0;
  uint16_t urgent_ptr = 0;
  TcpOptions options;
  std::span<const uint8_t> payload;

  static TcpHeader from(const TcpView& v);
  size_t header_len() const { return TcpView::kMinHeaderLen + options.encoded_len(); }
  size_t size() const { return header_len() + payload.size(); }
  // Writes header, options and payload with the checksum over the pseudo-header.
  Result<size_t, BuildError> emit(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst) const;

  friend bool operator==(const TcpHeader& a, const TcpHeader& b);
};

}  // namespace vnetref::wire
