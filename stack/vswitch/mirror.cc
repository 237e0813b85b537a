#include "stack/vswitch/mirror.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace vnetref::vswitch {

const char* name_of(MirrorType t) {
  switch (t) {
    case MirrorType::kLocal: return "local";
    case MirrorType::kRemoteSource: return "remote_source";
    case MirrorType::kRemoteDestination: return "remote_destination";
    case MirrorType::kEncapsulatedL3: return "encapsulated_l3";
  }
  return "?";
}

std::string validate(const MirrorSession& s) {
  for (PortId p : s.sources)
    if (std::find(s.destinations.begin(), s.destinations.end(), p) != s.destinations.end())
      return "port " + std::to_string(p) + " is both source and destination of session " + s.name;
  switch (s.type) {
    case MirrorType::kLocal:
      if (s.sources.empty() || s.destinations.empty()) return "a local session needs sources and destinations";
      break;
    case MirrorType::kRemoteSource:
      if (s.sources.empty() || s.uplinks.empty()) return "a remote source session needs sources and uplinks";
      if (s.rspan_vlan == 0 || s.rspan_vlan > 4094) return "a remote source session needs an RSPAN VLAN 1..4094";
      break;
    case MirrorType::kRemoteDestination:
      if (s.destinations.empty()) return "a remote destination session needs destinations";
      if (s.rspan_vlan == 0 || s.rspan_vlan > 4094) return "a remote destination session needs an RSPAN VLAN 1..4094";
      break;
    case MirrorType::kEncapsulatedL3:
      if (s.sources.empty()) return "an encapsulated session needs sources";
      if (s.erspan_dst.is_unspecified()) return "an encapsulated session needs a destination IP";
      break;
  }
  return {};
}

core::PacketPtr encapsulate_erspan(core::BufferPool& pool, const MirrorSession& s, const core::Packet& inner,
                                   uint32_t inner_len, uint16_t vlan, uint32_t seq, wire::MacAddress outer_src_mac,
                                   PortId source_port) {
  // 14 Ethernet + 20 IPv4 + 8 GRE (with sequence number) + 8 ERSPAN II.
  constexpr uint32_t kOuter = 14 + 20 + 8 + 8;
  core::PacketPtr p = pool.alloc();
  if (!p) return p;
  const uint32_t room = p->tailroom();
  if (room < kOuter + 14) return {};
  const uint32_t copy_len = std::min({inner_len, inner.pkt_len, room - kOuter});
  std::span<uint8_t> b(p->data(), kOuter + copy_len);
  std::memset(b.data(), 0, kOuter);
  s.erspan_next_hop.write_to(b.subspan(0, 6));
  outer_src_mac.write_to(b.subspan(6, 6));
  wire::store_be16(b, 12, 0x0800);
  // IPv4
  std::span<uint8_t> ip = b.subspan(14, 20);
  ip[0] = 0x45;
  wire::store_be16(ip, 2, static_cast<uint16_t>(20 + 8 + 8 + copy_len));
  wire::store_be16(ip, 4, static_cast<uint16_t>(seq));
  wire::store_be16(ip, 6, 0x4000);  // DF: mirrored traffic is not worth fragmenting
  ip[8] = 64;
  ip[9] = 47;  // GRE
  s.erspan_src.write_to(ip.subspan(12, 4));
  s.erspan_dst.write_to(ip.subspan(16, 4));
  wire::store_be16(ip, 10, wire::internet_checksum(ip));
  // GRE: S bit set (sequence present), protocol ERSPAN type II.
  std::span<uint8_t> gre = b.subspan(34, 8);
  wire::store_be16(gre, 0, 0x1000);
  wire::store_be16(gre, 2, 0x88BE);
  wire::store_be32(gre, 4, seq);
  // ERSPAN II: ver=1 | vlan(12); cos(3) en(2) t(1) session(10); reserved(12) index(20).
  std::span<uint8_t> er = b.subspan(42, 8);
  wire::store_be16(er, 0, static_cast<uint16_t>(0x1000 | (vlan & 0x0fff)));
  wire::store_be16(er, 2, static_cast<uint16_t>((0x3 << 11) | (s.session_id & 0x03ff)));  // en=3: tags preserved
  wire::store_be32(er, 4, source_port & 0xfffff);
  // Inner frame (possibly chained) copied after the headers.
  uint32_t off = kOuter;
  uint32_t left = copy_len;
  for (const core::Packet* seg = &inner; seg != nullptr && left > 0; seg = seg->next) {
    const uint32_t n = std::min(left, seg->data_len);
    std::memcpy(b.data() + off, seg->data(), n);
    off += n;
    left -= n;
  }
  p->data_len = off;
  p->pkt_len = off;
  p->meta = core::PacketMeta{};
  p->meta.timestamp_ns = inner.meta.timestamp_ns;
  return p;
}

}  // namespace vnetref::vswitch
