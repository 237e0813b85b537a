// DHCPv4 (RFC 2131) over the BOOTP fixed format (RFC 951), options per RFC 2132.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "stack/wire/bytes.h"
#include "stack/wire/errors.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"
#include "stack/wire/options.h"
#include "stack/wire/result.h"
#include "stack/wire/view_base.h"

namespace vnetref::wire {

inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;

enum class DhcpMessageType : uint8_t {
  Discover = 1,
  Offer = 2,
  Request = 3,
  Decline = 4,
  Ack = 5,
  Nak = 6,
  Release = 7,
  Inform = 8,
};

const char* to_string(DhcpMessageType t);  // "discover", ... ; "unknown" otherwise

namespace dhcp_option {
inline constexpr uint8_t kPad = 0;
inline constexpr uint8_t kSubnetMask = 1;
inline constexpr uint8_t kRouter = 3;
inline constexpr uint8_t kDnsServer = 6;
inline constexpr uint8_t kHostName = 12;
inline constexpr uint8_t kDomainName = 15;
inline constexpr uint8_t kBroadcastAddress = 28;
inline constexpr uint8_t kRequestedIp = 50;
inline constexpr uint8_t kLeaseTime = 51;
inline constexpr uint8_t kOverload = 52;
inline constexpr uint8_t kMessageType = 53;
inline constexpr uint8_t kServerId = 54;
inline constexpr uint8_t kParameterRequestList = 55;
inline constexpr uint8_t kMessage = 56;
inline constexpr uint8_t kMaxMessageSize = 57;
inline constexpr uint8_t kRenewalTime = 58;
inline constexpr uint8_t kRebindingTime = 59;
inline constexpr uint8_t kVendorClassId = 60;
inline constexpr uint8_t kClientId = 61;
inline constexpr uint8_t kEnd = 255;
}  // namespace dhcp_option

const char* dhcp_option_name(uint8_t code);  // Scapy-like names, nullptr if unknown

template <ByteType B>
class DhcpPacket {
 public:
  static constexpr size_t kFixedLen = 236;  // BOOTP header up to the vendor area
  static constexpr size_t kOptionsOffset = 240;
  static constexpr uint32_t kMagicCookie = 0x63825363;  // 99.130.83.99
  static constexpr uint16_t kBroadcastFlag = 0x8000;

  // `bytes` is the UDP payload. Checks the length (Truncated below 240 bytes), op 1
  // or 2 and hlen <= 16 (BadField), the magic cookie (Unsupported: plain BOOTP) and
  // the option list (BadOption).
  // A missing End option is tolerated; options after End are ignored.
  static Result<DhcpPacket, ParseError> parse(std::span<B> bytes) {
    if (bytes.size() < kOptionsOffset) return Err(ParseError::Truncated);
    if (bytes[0] != 1 && bytes[0] != 2) return Err(ParseError::BadField);
    if (bytes[2] > 16) return Err(ParseError::BadField);
    if (load_be32(bytes, kFixedLen) != kMagicCookie) return Err(ParseError::Unsupported);
    auto opts = validate_options(bytes.subspan(kOptionsOffset), kDhcpOptionSyntax);
    if (!opts) return Err(opts.error());
    return DhcpPacket(bytes);
  }

  uint8_t op() const { return b_[0]; }  // 1 BOOTREQUEST, 2 BOOTREPLY
  uint8_t htype() const { return b_[1]; }
  uint8_t hlen() const { return b_[2]; }
  uint8_t hops() const { return b_[3]; }
  uint32_t xid() const { return load_be32(b_, 4); }
  uint16_t secs() const { return load_be16(b_, 8); }
  uint16_t flags() const { return load_be16(b_, 10); }
  bool broadcast_flag() const { return (flags() & kBroadcastFlag) != 0; }
  Ipv4Address ciaddr() const { return Ipv4Address::from_bytes(b_.subspan(12, 4)); }
  Ipv4Address yiaddr() const { return Ipv4Address::from_bytes(b_.subspan(16, 4)); }
  Ipv4Address siaddr() const { return Ipv4Address::from_bytes(b_.subspan(20, 4)); }
  Ipv4Address giaddr() const { return Ipv4Address::from_bytes(b_.subspan(24, 4)); }
  std::span<B> chaddr() const { return b_.subspan(28, 16); }
  // The client MAC when the hardware is Ethernet (htype 1, hlen 6).
  std::optional<MacAddress> client_mac() const {
    if (htype() != 1 || hlen() != 6) return std::nullopt;
    return MacAddress::from_bytes(chaddr());
  }
  std::span<B> sname() const { return b_.subspan(44, 64); }
  std::span<B> file() const { return b_.subspan(108, 128); }
  std::span<B> options() const { return b_.subspan(kOptionsOffset); }
  OptionRange option_list() const { return OptionRange(options(), kDhcpOptionSyntax); }
  std::span<B> bytes() const { return b_; }

  // First occurrence of an option's data (RFC 3396 concatenation is not done).
  std::optional<std::span<const uint8_t>> find_option(uint8_t code) const {
    for (const RawOption& o : option_list()) {
      if (o.kind == code && code != dhcp_option::kPad && code != dhcp_option::kEnd) return o.data;
    }
    return std::nullopt;
  }

  // Typed helpers: nullopt when the option is absent or has the wrong length.
  std::optional<DhcpMessageType> message_type() const {
    auto d = find_option(dhcp_option::kMessageType);
    if (!d || d->size() != 1) return std::nullopt;
    return static_cast<DhcpMessageType>((*d)[0]);
  }
  std::optional<Ipv4Address> requested_ip() const { return address_option(dhcp_option::kRequestedIp); }
  std::optional<Ipv4Address> server_id() const { return address_option(dhcp_option::kServerId); }
  std::optional<Ipv4Address> subnet_mask() const { return address_option(dhcp_option::kSubnetMask); }
  std::optional<Ipv4Address> router() const {  // first router of the list
    auto d = find_option(dhcp_option::kRouter);
    if (!d || d->empty() || d->size() % 4 != 0) return std::nullopt;
    return Ipv4Address::from_bytes(*d);
  }
  std::optional<uint32_t> lease_time() const { return u32_option(dhcp_option::kLeaseTime); }
  std::optional<uint32_t> renewal_time() const { return u32_option(dhcp_option::kRenewalTime); }
  std::optional<uint32_t> rebinding_time() const { return u32_option(dhcp_option::kRebindingTime); }
  std::optional<uint16_t> max_message_size() const {
    auto d = find_option(dhcp_option::kMaxMessageSize);
    if (!d || d->size() != 2) return std::nullopt;
    return load_be16(*d, 0);
  }
  std::optional<std::string_view> host_name() const {
    auto d = find_option(dhcp_option::kHostName);
    if (!d) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(d->data()), d->size());
  }
  std::optional<std::span<const uint8_t>> parameter_request_list() const {
    return find_option(dhcp_option::kParameterRequestList);
  }
  std::optional<std::span<const uint8_t>> client_id() const { return find_option(dhcp_option::kClientId); }

  void set_op(uint8_t v) requires MutableByte<B> { b_[0] = v; }
  void set_hops(uint8_t v) requires MutableByte<B> { b_[3] = v; }
  void set_xid(uint32_t v) requires MutableByte<B> { store_be32(b_, 4, v); }
  void set_flags(uint16_t v) requires MutableByte<B> { store_be16(b_, 10, v); }
  void set_yiaddr(Ipv4Address a) requires MutableByte<B> { a.write_to(b_.subspan(16, 4)); }
  void set_giaddr(Ipv4Address a) requires MutableByte<B> { a.write_to(b_.subspan(24, 4)); }

 private:
  explicit DhcpPacket(std::span<B> b) : b_(b) {}

  std::optional<Ipv4Address> address_option(uint8_t code) const {
    auto d = find_option(code);
    if (!d || d->size() != 4) return std::nullopt;
    return Ipv4Address::from_bytes(*d);
  }
  std::optional<uint32_t> u32_option(uint8_t code) const {
    auto d = find_option(code);
    if (!d || d->size() != 4) return std::nullopt;
    return load_be32(*d, 0);
  }

  std::span<B> b_;
};

using DhcpView = DhcpPacket<const uint8_t>;
using DhcpViewMut = DhcpPacket<uint8_t>;

// A DHCP message to build, with the options a client and server of ours exchange.
// Options are written in a fixed order (message type first, as RFC 2131 recommends
// servers expect) followed by End; unknown options of a parsed message are dropped.
struct DhcpMessage {
  static constexpr size_t kMaxDnsServers = 4;
  static constexpr size_t kBootpMinLen = 300;  // RFC 1542 minimum BOOTP message

  uint8_t op = 1;
  uint8_t htype = 1;
  uint8_t hlen = 6;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  Ipv4Address ciaddr, yiaddr, siaddr, giaddr;
  std::array<uint8_t, 16> chaddr{};
  std::span<const uint8_t> sname;  // at most 64 bytes, zero-padded
  std::span<const uint8_t> file;   // at most 128 bytes, zero-padded

  std::optional<DhcpMessageType> message_type;
  std::optional<Ipv4Address> subnet_mask;
  std::optional<Ipv4Address> router;
  std::array<Ipv4Address, kMaxDnsServers> dns_servers{};
  uint8_t dns_count = 0;
  std::optional<std::span<const uint8_t>> host_name;
  std::optional<Ipv4Address> requested_ip;
  std::optional<uint32_t> lease_time;
  std::optional<Ipv4Address> server_id;
  std::optional<std::span<const uint8_t>> parameter_request_list;
  std::optional<uint16_t> max_message_size;
  std::optional<uint32_t> renewal_time;
  std::optional<uint32_t> rebinding_time;
  std::optional<std::span<const uint8_t>> client_id;
  bool pad_to_bootp_min = false;  // zero-fill up to 300 bytes like most clients do

  void set_client_mac(MacAddress m) {
    chaddr = {};
    for (size_t i = 0; i < 6; ++i) chaddr[i] = m.bytes()[i];
    htype = 1;
    hlen = 6;
  }

  static DhcpMessage from(const DhcpView& v);
  size_t size() const;
  Result<size_t, BuildError> emit(std::span<uint8_t> out) const;

  friend bool operator==(const DhcpMessage& a, const DhcpMessage& b);
};

}  // namespace vnetref::wire
