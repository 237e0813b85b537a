// UDP (RFC 768).
#pragma once

#include <cstdint>
#include <span>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/errors.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/result.h"
#include "stack/wire/view_base.h"

namespace vnetref::wire {

inline constexpr uint8_t kIpProtoUdp = 17;

template <ByteType B>
class UdpPacket {
 public:
  static constexpr size_t kHeaderLen = 8;

  // `bytes` is the IP payload. The UDP length must be >= 8 (BadLength) and fit in the
  // buffer (Truncated); bytes past it are excluded from the view.
  static Result<UdpPacket, ParseError> parse(std::span<B> bytes) {
    if (bytes.size() < kHeaderLen) return Err(ParseError::Truncated);
    const size_t len = load_be16(bytes, 4);
    if (len < kHeaderLen) return Err(ParseError::BadLength);
    if (len > bytes.size()) return Err(ParseError::Truncated);
    return UdpPacket(bytes.subspan(0, len));
  }

  uint16_t src_port() const { return load_be16(b_, 0); }
  uint16_t dst_port() const { return load_be16(b_, 2); }
  uint16_t length() const { return load_be16(b_, 4); }
  uint16_t checksum() const { return load_be16(b_, 6); }
  std::span<B> payload() const { return b_.subspan(kHeaderLen); }
  std::span<B> bytes() const { return b_; }

  // A zero checksum means the sender computed none (allowed over IPv4).
  bool checksum_valid(Ipv4Address src, Ipv4Address dst) const {
    if (checksum() == 0) return true;
    ChecksumAccumulator acc;
    acc.add16(ipv4_pseudo_header_sum(src, dst, kIpProtoUdp, length()));
    acc.add(b_);
    return acc.sum() == 0xffff;
  }

  void set_src_port(uint16_t v) requires MutableByte<B> { store_be16(b_, 0, v); }
  void set_dst_port(uint16_t v) requires MutableByte<B> { store_be16(b_, 2, v); }
  void set_checksum(uint16_t v) requires MutableByte<B> { store_be16(b_, 6, v); }
  void fill_checksum(Ipv4Address src, Ipv4Address dst) requires MutableByte<B> {
    set_checksum(0);
    ChecksumAccumulator acc;
    acc.add16(ipv4_pseudo_header_sum(src, dst, kIpProtoUdp, length()));
    acc.add(b_);
    const uint16_t c = acc.checksum();
    set_checksum(c == 0 ? 0xffff : c);  // 0 would mean "no checksum" (RFC 768)
  }

 private:
  explicit UdpPacket(std::span<B> b) : b_(b) {}
  std::span<B> b_;
};

using UdpView = UdpPacket<const uint8_t>;
using UdpViewMut = UdpPacket<uint8_t>;

struct UdpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  std::span<const uint8_t> payload;

  static UdpHeader from(const UdpView& v) { return {v.src_port(), v.dst_port(), v.payload()}; }
  size_t size() const { return UdpView::kHeaderLen + payload.size(); }
  // Writes header + payload with the checksum over the pseudo-header (src, dst).
  Result<size_t, BuildError> emit(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst) const;

  friend bool operator==(const UdpHeader& a, const UdpHeader& b);
};

}  // namespace vnetref::wire
