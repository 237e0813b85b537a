// Ethernet II frames and IEEE 802.1Q / 802.1ad (QinQ) VLAN tags.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "stack/wire/bytes.h"
#include "stack/wire/errors.h"
#include "stack/wire/mac_address.h"
#include "stack/wire/result.h"
#include "stack/wire/view_base.h"

namespace vnetref::wire {

// Any 16-bit value may appear on the wire, so this enum is open: unnamed values are
// fine. Values below 0x0600 are IEEE 802.3 length fields, not EtherTypes.
enum class EtherType : uint16_t {
  Ipv4 = 0x0800,
  Arp = 0x0806,
  Vlan = 0x8100,  // 802.1Q C-tag TPID
  Ipv6 = 0x86dd,
  QinQ = 0x88a8,  // 802.1ad S-tag TPID
};

constexpr bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88a8; }
constexpr bool is_8023_length(uint16_t t) { return t < 0x0600; }

// Ethernet II header: destination, source, EtherType (or outer TPID when tagged).
template <ByteType B>
class EthernetFrame {
 public:
  static constexpr size_t kHeaderLen = 14;

  static Result<EthernetFrame, ParseError> parse(std::span<B> bytes) {
    if (bytes.size() < kHeaderLen) return Err(ParseError::Truncated);
    return EthernetFrame(bytes);
  }

  MacAddress dst() const { return MacAddress::from_bytes(b_.subspan(0, 6)); }
  MacAddress src() const { return MacAddress::from_bytes(b_.subspan(6, 6)); }
  uint16_t ethertype_raw() const { return load_be16(b_, 12); }
  EtherType ethertype() const { return static_cast<EtherType>(ethertype_raw()); }
  std::span<B> payload() const { return b_.subspan(kHeaderLen); }
  std::span<B> bytes() const { return b_; }

  void set_dst(MacAddress m) requires MutableByte<B> { m.write_to(b_.subspan(0, 6)); }
  void set_src(MacAddress m) requires MutableByte<B> { m.write_to(b_.subspan(6, 6)); }
  void set_ethertype(EtherType t) requires MutableByte<B> { store_be16(b_, 12, static_cast<uint16_t>(t)); }

 private:
  explicit EthernetFrame(std::span<B> b) : b_(b) {}
  std::span<B> b_;
};

using EthernetView = EthernetFrame<const uint8_t>;
using EthernetViewMut = EthernetFrame<uint8_t>;

// Tag control information (802.1Q-2018 9.6): PCP (3 bits), DEI (1 bit), VID (12 bits).
struct VlanTci {
  uint8_t pcp = 0;
  bool dei = false;
  uint16_t vid = 0;

  static constexpr VlanTci from_u16(uint16_t tci) {
    return VlanTci{static_cast<uint8_t>(tci >> 13), (tci & 0x1000) != 0, static_cast<uint16_t>(tci & 0x0fff)};
  }
  constexpr uint16_t to_u16() const {
    return static_cast<uint16_t>(((pcp & 0x7) << 13) | (dei ? 0x1000 : 0) | (vid & 0x0fff));
  }
  friend constexpr bool operator==(const VlanTci&, const VlanTci&) = default;
};

// The 4 bytes after a TPID: TCI and the next EtherType (or the next TPID for QinQ).
// The view starts at the TCI, i.e. right after the TPID that announced it.
template <ByteType B>
class VlanTag {
 public:
  static constexpr size_t kHeaderLen = 4;
  static constexpr uint16_t kReservedVid = 0x0fff;  // must not be transmitted

  static Result<VlanTag, ParseError> parse(std::span<B> bytes) {
    if (bytes.size() < kHeaderLen) return Err(ParseError::Truncated);
    if ((load_be16(bytes, 0) & 0x0fff) == kReservedVid) return Err(ParseError::BadField);
    return VlanTag(bytes);
  }

  VlanTci tci() const { return VlanTci::from_u16(load_be16(b_, 0)); }
  uint16_t ethertype_raw() const { return load_be16(b_, 2); }
  EtherType ethertype() const { return static_cast<EtherType>(ethertype_raw()); }
  std::span<B> payload() const { return b_.subspan(kHeaderLen); }

  void set_tci(VlanTci t) requires MutableByte<B> { store_be16(b_, 0, t.to_u16()); }
  void set_ethertype(EtherType t) requires MutableByte<B> { store_be16(b_, 2, static_cast<uint16_t>(t)); }

 private:
  explicit VlanTag(std::span<B> b) : b_(b) {}
  std::span<B> b_;
};

using VlanTagView = VlanTag<const uint8_t>;
using VlanTagViewMut = VlanTag<uint8_t>;

// One tag as it sits in a header: the TPID that announced it plus its TCI.
struct VlanTagRepr {
  uint16_t tpid = 0x8100;
  VlanTci tci;
  friend constexpr bool operator==(const VlanTagRepr&, const VlanTagRepr&) = default;
};

// The whole L2 header with any stacked tags peeled: the value to build frames from
// and what the switch classifies on.
struct EthernetHeader {
  static constexpr size_t kMaxTags = 4;  // QinQ needs 2; more is a loop or an attack

  MacAddress dst;
  MacAddress src;
  std::array<VlanTagRepr, kMaxTags> tags{};  // outermost first
  uint8_t tag_count = 0;
  uint16_t ethertype = 0;  // innermost EtherType (what the payload is)

  // Peels up to kMaxTags tags (TPIDs 0x8100/0x88a8 in any order). More tags than
  // that: Unsupported.
  static Result<EthernetHeader, ParseError> parse(std::span<const uint8_t> frame);

  size_t header_len() const { return EthernetFrame<const uint8_t>::kHeaderLen + 4 * tag_count; }
  Result<size_t, BuildError> emit(std::span<uint8_t> out) const;
  // Appends a tag as the innermost one; false when kMaxTags are already present.
  bool push_tag(VlanTagRepr t);
  // The VID of the innermost tag, 0 when untagged (0 also means "priority tagged").
  uint16_t inner_vid() const { return tag_count == 0 ? 0 : tags[tag_count - 1].tci.vid; }

  friend bool operator==(const EthernetHeader& a, const EthernetHeader& b);
};

}  // namespace vnetref::wire
