#include "stack/vswitch/frames.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace vnetref::vswitch {

size_t build_rarp(std::span<uint8_t> out, wire::MacAddress mac) {
  if (out.size() < 60) return 0;
  std::memset(out.data(), 0, 60);
  wire::MacAddress::broadcast().write_to(out.subspan(0, 6));
  mac.write_to(out.subspan(6, 6));
  wire::store_be16(out, 12, kRarpEtherType);
  std::span<uint8_t> a = out.subspan(14, 28);
  wire::store_be16(a, 0, 1);       // Ethernet
  wire::store_be16(a, 2, 0x0800);  // IPv4
  a[4] = 6;
  a[5] = 4;
  wire::store_be16(a, 6, 3);  // request reverse
  mac.write_to(a.subspan(8, 6));
  mac.write_to(a.subspan(18, 6));
  return 60;
}

size_t build_beacon(std::span<uint8_t> out, wire::MacAddress src, uint32_t switch_tag, uint32_t uplink, uint32_t seq) {
  if (out.size() < 60) return 0;
  std::memset(out.data(), 0, 60);
  wire::MacAddress::broadcast().write_to(out.subspan(0, 6));
  src.write_to(out.subspan(6, 6));
  wire::store_be16(out, 12, kBeaconEtherType);
  wire::store_be32(out, 14, kBeaconMagic);
  wire::store_be32(out, 18, switch_tag);
  wire::store_be32(out, 22, uplink);
  wire::store_be32(out, 26, seq);
  return 60;
}

bool parse_beacon(std::span<const uint8_t> f, BeaconInfo& info) {
  if (f.size() < 30 || wire::load_be16(f, 12) != kBeaconEtherType || wire::load_be32(f, 14) != kBeaconMagic) return false;
  info.switch_tag = wire::load_be32(f, 18);
  info.uplink = wire::load_be32(f, 22);
  info.seq = wire::load_be32(f, 26);
  return true;
}

size_t build_udp4(std::span<uint8_t> out, wire::MacAddress dst_mac, wire::MacAddress src_mac, wire::Ipv4Address src,
                  wire::Ipv4Address dst, uint16_t sport, uint16_t dport, std::span<const uint8_t> payload) {
  const size_t len = 14 + 20 + 8 + payload.size();
  if (out.size() < std::max<size_t>(len, 60) || payload.size() > 65507) return 0;
  std::memset(out.data(), 0, std::max<size_t>(len, 60));
  dst_mac.write_to(out.subspan(0, 6));
  src_mac.write_to(out.subspan(6, 6));
  wire::store_be16(out, 12, 0x0800);
  std::span<uint8_t> ip = out.subspan(14, 20);
  ip[0] = 0x45;
  wire::store_be16(ip, 2, static_cast<uint16_t>(20 + 8 + payload.size()));
  wire::store_be16(ip, 6, 0x4000);
  ip[8] = 64;
  ip[9] = 17;
  src.write_to(ip.subspan(12, 4));
  dst.write_to(ip.subspan(16, 4));
  wire::store_be16(ip, 10, wire::internet_checksum(ip));
  std::span<uint8_t> udp = out.subspan(34, 8);
  wire::store_be16(udp, 0, sport);
  wire::store_be16(udp, 2, dport);
  wire::store_be16(udp, 4, static_cast<uint16_t>(8 + payload.size()));
  std::memcpy(out.data() + 42, payload.data(), payload.size());
  return std::max<size_t>(len, 60);
}

}  // namespace vnetref::vswitch
