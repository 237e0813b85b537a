// One pass over a frame's headers, for every slot's classification.
//
// Filters need the same few fields (MACs, VLAN, ethertype, IPv4 5-tuple, ICMP
// type/code, TCP flags/seq/ack/window) and the data path cannot afford to re-parse
// per slot with the general wire views, so this decoder reads exactly these fields
// with one bounds check per header. Malformed headers are reported, never trusted.
#pragma once

#include <cstdint>
#include <span>

#include "stack/core/packet.h"

namespace vnetref::iochain {

enum class ParseIssue : uint8_t {
  kNone,
  kTruncatedL2,  // shorter than an Ethernet header (or a VLAN tag)
  kBadIp,        // IPv4 version/IHL/total length inconsistent with the frame
  kTruncatedL4,  // first fragment too short for its transport header
  kBadTcp,       // TCP data offset < 5 or beyond the segment
};
const char* name_of(ParseIssue i);

struct PacketInfo {
  // L2
  uint64_t dst_mac = 0;  // 48-bit, big-endian order in the low bits
  uint64_t src_mac = 0;
  uint16_t ethertype = 0;  // innermost
  uint16_t vlan_id = 0;    // in-band tag's VID, else the out-of-band TCI's, else 0
  uint8_t tags = 0;        // in-band tags peeled
  uint16_t l3_off = 0;
  // IPv4 (valid when ipv4)
  bool ipv4 = false;
  bool ip_options = false;
  bool fragment = false;        // MF set or offset != 0
  bool later_fragment = false;  // offset != 0: no transport header here
  uint8_t proto = 0;
  uint8_t ttl = 0;
  uint16_t ip_id = 0;
  uint16_t ip_total_len = 0;
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  uint16_t l4_off = 0;
  // Transport (valid when l4)
  bool l4 = false;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t tcp_flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t window = 0;
  int8_t wscale = -1;  // window scale option (SYN only), -1 when absent
  uint32_t l4_payload_len = 0;  // TCP/UDP payload bytes
  ParseIssue issue = ParseIssue::kNone;

  bool is_tcp() const { return l4 && proto == 6; }
  bool is_udp() const { return l4 && proto == 17; }
  bool is_icmp() const { return l4 && proto == 1; }
};

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;

// Decodes `frame` (with the out-of-band VLAN TCI of its metadata). Returns false when
// a header the frame announces is malformed (`out.issue` says which); the fields
// decoded before the problem stay valid.
bool parse_packet(std::span<const uint8_t> frame, uint16_t oob_vlan_tci, PacketInfo& out);
inline bool parse_packet(const core::Packet& p, PacketInfo& out) {
  return parse_packet(p.bytes(), p.meta.vlan_tci, out);
}

uint64_t mac_to_u64(const uint8_t* b);
void mac_from_u64(uint64_t v, uint8_t* out);

}  // namespace vnetref::iochain
