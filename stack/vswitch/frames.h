// Frames the switch itself originates: RARP announcements ("notify switches"),
// beacon probes and UDP datagrams (IPFIX export). Builders write into a caller's
// buffer (a pool slot) and return the frame length, padded to the 60-byte minimum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"

namespace vnetref::vswitch {

inline constexpr uint16_t kRarpEtherType = 0x8035;
// Beacon probes use the IEEE 802 local experimental EtherType: the real beacon
// format is not documented, and a local EtherType can never collide with traffic.
inline constexpr uint16_t kBeaconEtherType = 0x88B5;
inline constexpr uint32_t kBeaconMagic = 0x564E5242;  // "VNRB"

// RARP request (RFC 903, opcode 3) from `mac` to broadcast: sender and target
// hardware address = `mac`, protocol addresses zero. `out` must hold 60 bytes.
size_t build_rarp(std::span<uint8_t> out, wire::MacAddress mac);

struct BeaconInfo {
  uint32_t switch_tag = 0;
  uint32_t uplink = 0;
  uint32_t seq = 0;
};
size_t build_beacon(std::span<uint8_t> out, wire::MacAddress src, uint32_t switch_tag, uint32_t uplink, uint32_t seq);
// Parses a beacon frame (untagged: the switch keeps tags out of band).
bool parse_beacon(std::span<const uint8_t> frame, BeaconInfo& info);

// Ethernet/IPv4/UDP around `payload` (IPv4 header checksum set, UDP checksum 0 as
// IPv4 allows). Returns 0 when `out` is too small.
size_t build_udp4(std::span<uint8_t> out, wire::MacAddress dst_mac, wire::MacAddress src_mac, wire::Ipv4Address src,
                  wire::Ipv4Address dst, uint16_t sport, uint16_t dport, std::span<const uint8_t> payload);

}  // namespace vnetref::vswitch
