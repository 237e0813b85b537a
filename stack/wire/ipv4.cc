#include "stack/wire/ipv4.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/icmpv4.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace vnetref::wire {

Ipv4Header Ipv4Header::from(const Ipv4View& v) {
  Ipv4Header h;
  h.src = v.src();
  h.dst = v.dst();
  h.protocol = v.protocol_raw();
  h.ttl = v.ttl();
  h.dscp = v.dscp();
  h.ecn = v.ecn();
  h.ident = v.ident();
  h.reserved_flag = v.reserved_flag();
  h.dont_fragment = v.dont_fragment();
  h.more_fragments = v.more_fragments();
  h.fragment_offset = v.fragment_offset();
  h.options = v.options();
  h.payload_len = static_cast<uint16_t>(v.claimed_payload_len());
  return h;
}

Result<size_t, BuildError> Ipv4Header::emit(std::span<uint8_t> out) const {
  const size_t hlen = header_len();
  if (hlen > Ipv4View::kMaxHeaderLen || dscp > 63 || ecn > 3 || fragment_offset > 0x1fff) {
    return Err(BuildError::InvalidField);
  }
  if (hlen + payload_len > 0xffff) return Err(BuildError::InvalidField);
  if (out.size() < hlen) return Err(BuildError::BufferTooSmall);
  out[0] = static_cast<uint8_t>(0x40 | (hlen / 4));
  out[1] = static_cast<uint8_t>((dscp << 2) | ecn);
  store_be16(out, 2, static_cast<uint16_t>(hlen + payload_len));
  store_be16(out, 4, ident);
  uint16_t ff = fragment_offset;
  if (reserved_flag) ff |= Ipv4View::kFlagReserved;
  if (dont_fragment) ff |= Ipv4View::kFlagDontFragment;
  if (more_fragments) ff |= Ipv4View::kFlagMoreFragments;
  store_be16(out, 6, ff);
  out[8] = ttl;
  out[9] = protocol;
  store_be16(out, 10, 0);
  src.write_to(out.subspan(12, 4));
  dst.write_to(out.subspan(16, 4));
  // memmove: the options may already sit in `out` (rebuilding a header in place).
  if (!options.empty()) std::memmove(out.data() + 20, options.data(), options.size());
  std::fill(out.begin() + 20 + static_cast<std::ptrdiff_t>(options.size()), out.begin() + static_cast<std::ptrdiff_t>(hlen), 0);
  store_be16(out, 10, internet_checksum(out.subspan(0, hlen)));
  return hlen;
}

bool operator==(const Ipv4Header& a, const Ipv4Header& b) {
  return a.src == b.src && a.dst == b.dst && a.protocol == b.protocol && a.ttl == b.ttl && a.dscp == b.dscp &&
         a.ecn == b.ecn && a.ident == b.ident && a.reserved_flag == b.reserved_flag &&
         a.dont_fragment == b.dont_fragment && a.more_fragments == b.more_fragments &&
         a.fragment_offset == b.fragment_offset && a.payload_len == b.payload_len &&
         std::ranges::equal(a.options, b.options);
}

Status<ParseError> validate_checksums(const Ipv4View& ip) {
  if (!ip.checksum_valid()) return Err(ParseError::BadChecksum);
  // A fragment carries only part of the transport segment: its checksum can only be
  // checked after reassembly.
  if (ip.is_fragment()) return Ok{};
  const auto payload = ip.payload();
  switch (ip.protocol()) {
    case IpProtocol::Tcp: {
      auto tcp = TcpView::parse(payload);
      if (!tcp) return Err(tcp.error());
      if (!tcp->checksum_valid(ip.src(), ip.dst())) return Err(ParseError::BadChecksum);
      return Ok{};
    }
    case IpProtocol::Udp: {
      auto udp = UdpView::parse(payload);
      if (!udp) return Err(udp.error());
      if (!udp->checksum_valid(ip.src(), ip.dst())) return Err(ParseError::BadChecksum);
      return Ok{};
    }
    case IpProtocol::Icmp: {
      auto icmp = Icmpv4View::parse(payload);
      if (!icmp) return Err(icmp.error());
      if (!icmp->checksum_valid()) return Err(ParseError::BadChecksum);
      return Ok{};
    }
    default:
      return Ok{};
  }
}

}  // namespace vnetref::wire
