// ARP for IPv4 over Ethernet (RFC 826). Other hardware/protocol pairs: Unsupported.
#pragma once

#include <cstdint>
#include <span>

#include "stack/wire/bytes.h"
#include "stack/wire/errors.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"
#include "stack/wire/result.h"
#include "stack/wire/view_base.h"

namespace vnetref::wire {

enum class ArpOp : uint16_t { Request = 1, Reply = 2 };  // open: RARP etc. pass through

template <ByteType B>
class ArpPacket {
 public:
  static constexpr size_t kLen = 28;  // 8 fixed + 2 * (6 + 4)
  static constexpr uint16_t kHtypeEthernet = 1;
  static constexpr uint16_t kPtypeIpv4 = 0x0800;

  static Result<ArpPacket, ParseError> parse(std::span<B> bytes) {
    if (bytes.size() < 8) return Err(ParseError::Truncated);
    if (load_be16(bytes, 0) != kHtypeEthernet || load_be16(bytes, 2) != kPtypeIpv4) {
      return Err(ParseError::Unsupported);
    }
    if (bytes[4] != 6 || bytes[5] != 4) return Err(ParseError::BadLength);
    if (bytes.size() < kLen) return Err(ParseError::Truncated);
    return ArpPacket(bytes.subspan(0, kLen));  // Ethernet padding after 28 bytes is dropped
  }

  uint16_t htype() const { return load_be16(b_, 0); }
  uint16_t ptype() const { return load_be16(b_, 2); }
  uint8_t hlen() const { return b_[4]; }
  uint8_t plen() const { return b_[5]; }
  uint16_t op_raw() const { return load_be16(b_, 6); }
  ArpOp op() const { return static_cast<ArpOp>(op_raw()); }
  MacAddress sender_mac() const { return MacAddress::from_bytes(b_.subspan(8, 6)); }
  Ipv4Address sender_ip() const { return Ipv4Address::from_bytes(b_.subspan(14, 4)); }
  MacAddress target_mac() const { return MacAddress::from_bytes(b_.subspan(18, 6)); }
  Ipv4Address target_ip() const { return Ipv4Address::from_bytes(b_.subspan(24, 4)); }
  std::span<B> bytes() const { return b_; }

  void set_op(ArpOp op) requires MutableByte<B> { store_be16(b_, 6, static_cast<uint16_t>(op)); }
  void set_sender_mac(MacAddress m) requires MutableByte<B> { m.write_to(b_.subspan(8, 6)); }
  void set_sender_ip(Ipv4Address a) requires MutableByte<B> { a.write_to(b_.subspan(14, 4)); }
  void set_target_mac(MacAddress m) requires MutableByte<B> { m.write_to(b_.subspan(18, 6)); }
  void set_target_ip(Ipv4Address a) requires MutableByte<B> { a.write_to(b_.subspan(24, 4)); }

 private:
  explicit ArpPacket(std::span<B> b) : b_(b) {}
  std::span<B> b_;
};

using ArpView = ArpPacket<const uint8_t>;
using ArpViewMut = ArpPacket<uint8_t>;

struct ArpRepr {
  uint16_t op = 1;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;
  Ipv4Address target_ip;

  static ArpRepr from(const ArpView& v) {
    return ArpRepr{v.op_raw(), v.sender_mac(), v.sender_ip(), v.target_mac(), v.target_ip()};
  }
  static constexpr size_t size() { return ArpView::kLen; }
  Result<size_t, BuildError> emit(std::span<uint8_t> out) const {
    if (out.size() < ArpView::kLen) return Err(BuildError::BufferTooSmall);
    store_be16(out, 0, ArpView::kHtypeEthernet);
    store_be16(out, 2, ArpView::kPtypeIpv4);
    out[4] = 6;
    out[5] = 4;
    store_be16(out, 6, op);
    sender_mac.write_to(out.subspan(8, 6));
    sender_ip.write_to(out.subspan(14, 4));
    target_mac.write_to(out.subspan(18, 6));
    target_ip.write_to(out.subspan(24, 4));
    return ArpView::kLen;
  }
  friend constexpr bool operator==(const ArpRepr&, const ArpRepr&) = default;
};

}  // namespace vnetref::wire
