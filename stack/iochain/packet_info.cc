#include "stack/iochain/packet_info.h"


namespace vnetref::iochain {

const char* name_of(ParseIssue i) {
  switch (i) {
    case ParseIssue::kNone: return "none";
    case ParseIssue::kTruncatedL2: return "truncated_l2";
    case ParseIssue::kBadIp: return "bad_ip";
    case ParseIssue::kTruncatedL4: return "truncated_l4";
    case ParseIssue::kBadTcp: return "bad_tcp";
  }
  return "?";
}

uint64_t mac_to_u64(const uint8_t* b) {
  return (uint64_t{b[0]} << 40) | (uint64_t{b[1]} << 32) | (uint64_t{b[2]} << 24) | (uint64_t{b[3]} << 16) |
         (uint64_t{b[4]} << 8) | uint64_t{b[5]};
}

void mac_from_u64(uint64_t v, uint8_t* out) {
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v >> (8 * (5 - i)));
}

static inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
static inline uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool parse_packet(std::span<const uint8_t> frame, uint16_t oob_vlan_tci, PacketInfo& out) {
  out = PacketInfo{};
  const uint8_t* b = frame.data();
  const size_t n = frame.size();
  if (n < 14) {
    out.issue = ParseIssue::kTruncatedL2;
    return false;
  }
  out.dst_mac = mac_to_u64(b);
  out.src_mac = mac_to_u64(b + 6);
  size_t off = 12;
  uint16_t et = be16(b + off);
  out.vlan_id = static_cast<uint16_t>(oob_vlan_tci & 0x0fff);
  while ((et == 0x8100 || et == 0x88a8) && out.tags < 4) {
    if (n < off + 6) {
      out.issue = ParseIssue::kTruncatedL2;
      return false;
    }
    out.vlan_id = static_cast<uint16_t>(be16(b + off + 2) & 0x0fff);
    off += 4;
    ++out.tags;
    et = be16(b + off);
  }
  out.ethertype = et;
  off += 2;
  out.l3_off = static_cast<uint16_t>(off);
  if (et != kEtherIpv4) return true;

  const uint8_t* ip = b + off;
  const size_t avail = n - off;
  if (avail < 20 || (ip[0] >> 4) != 4) {
    out.issue = ParseIssue::kBadIp;
    return false;
  }
  const size_t ihl = size_t{static_cast<uint8_t>(ip[0] & 0x0f)} * 4;
  const uint16_t total = be16(ip + 2);
  if (ihl < 20 || total < ihl || total > avail) {
    out.issue = ParseIssue::kBadIp;
    return false;
  }
  out.ipv4 = true;
  out.ip_options = ihl > 20;
  out.ip_total_len = total;
  out.ip_id = be16(ip + 4);
  const uint16_t ff = be16(ip + 6);
  out.fragment = (ff & 0x3fff) != 0;
  out.later_fragment = (ff & 0x1fff) != 0;
  out.ttl = ip[8];
  out.proto = ip[9];
  out.src_ip = be32(ip + 12);
  out.dst_ip = be32(ip + 16);
  out.l4_off = static_cast<uint16_t>(off + ihl);
  if (out.later_fragment) return true;

  const uint8_t* l4 = ip + ihl;
  const size_t l4len = total - ihl;
  switch (out.proto) {
    case 6: {
      if (l4len < 20) {
        out.issue = ParseIssue::kTruncatedL4;
        return false;
      }
      const size_t thl = size_t{static_cast<uint8_t>(l4[12] >> 4)} * 4;
      if (thl < 20 || thl > l4len) {
        out.issue = ParseIssue::kBadTcp;
        return false;
      }
      out.sport = be16(l4);
      out.dport = be16(l4 + 2);
      out.seq = be32(l4 + 4);
      out.ack = be32(l4 + 8);
      out.tcp_flags = static_cast<uint16_t>(be16(l4 + 12) & 0x1ff);
      out.window = be16(l4 + 14);
      out.l4_payload_len = static_cast<uint32_t>(l4len - thl);
      if ((out.tcp_flags & 0x02) != 0) {
        // Window scale lives in SYN options only (RFC 7323 2.2).
        size_t i = 20;
        while (i < thl) {
          const uint8_t kind = l4[i];
          if (kind == 0) break;
          if (kind == 1) {
            ++i;
            continue;
          }
          if (i + 1 >= thl) break;
          const uint8_t len = l4[i + 1];
          if (len < 2 || i + len > thl) break;
          if (kind == 3 && len == 3) out.wscale = static_cast<int8_t>(l4[i + 2] > 14 ? 14 : l4[i + 2]);
          i += len;
        }
      }
      out.l4 = true;
      break;
    }
    case 17: {
      if (l4len < 8) {
        out.issue = ParseIssue::kTruncatedL4;
        return false;
      }
      out.sport = be16(l4);
      out.dport = be16(l4 + 2);
      out.l4_payload_len = static_cast<uint32_t>(l4len - 8);
      out.l4 = true;
      break;
    }
    case 1: {
      if (l4len < 8) {
        out.issue = ParseIssue::kTruncatedL4;
        return false;
      }
      out.icmp_type = l4[0];
      out.icmp_code = l4[1];
      // Echo identifier doubles as the "port" of an ICMP pseudo-session.
      out.sport = be16(l4 + 4);
      out.l4 = true;
      break;
    }
    default:
      break;
  }
  return true;
}

}  // namespace vnetref::iochain
