#include "stack/iochain/replies.h"

#include <cstring>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace vnetref::iochain {

namespace {

size_t write_l2_swapped(std::span<const uint8_t> trigger, const PacketInfo& pi, uint8_t* o) {
  std::memcpy(o, trigger.data() + 6, 6);
  std::memcpy(o + 6, trigger.data(), 6);
  std::memcpy(o + 12, trigger.data() + 12, pi.l3_off - 12u);
  return pi.l3_off;
}

void write_ipv4(uint8_t* ip, uint32_t src, uint32_t dst, uint8_t proto, uint16_t total) {
  std::span<uint8_t> h(ip, 20);
  h[0] = 0x45;
  h[1] = 0;
  wire::store_be16(h, 2, total);
  wire::store_be16(h, 4, 0);
  wire::store_be16(h, 6, 0x4000);  // DF
  h[8] = 64;
  h[9] = proto;
  wire::store_be16(h, 10, 0);
  wire::store_be32(h, 12, src);
  wire::store_be32(h, 16, dst);
  wire::store_be16(h, 10, wire::internet_checksum(h));
}

}  // namespace

size_t build_tcp_rst(std::span<const uint8_t> trigger, const PacketInfo& pi, std::span<uint8_t> out) {
  if (!pi.is_tcp() || (pi.tcp_flags & 0x04) != 0) return 0;
  const size_t len = size_t{pi.l3_off} + 40;
  if (out.size() < len) return 0;
  uint8_t* o = out.data();
  size_t off = write_l2_swapped(trigger, pi, o);
  write_ipv4(o + off, pi.dst_ip, pi.src_ip, 6, 40);
  std::span<uint8_t> t(o + off + 20, 20);
  std::memset(t.data(), 0, 20);
  wire::store_be16(t, 0, pi.dport);
  wire::store_be16(t, 2, pi.sport);
  // RFC 9293 3.10.7.1: if the trigger had ACK, RST.seq = its ack; otherwise
  // seq 0 and ACK = seq + segment length.
  if (pi.tcp_flags & 0x10) {
    wire::store_be32(t, 4, pi.ack);
    t[13] = 0x04;
  } else {
    const uint32_t seglen = pi.l4_payload_len + ((pi.tcp_flags & 0x02) ? 1 : 0) + ((pi.tcp_flags & 0x01) ? 1 : 0);
    wire::store_be32(t, 8, pi.seq + seglen);
    t[13] = 0x14;
  }
  t[12] = 5 << 4;
  wire::ChecksumAccumulator acc;
  acc.add16(wire::ipv4_pseudo_header_sum(wire::Ipv4Address(pi.dst_ip), wire::Ipv4Address(pi.src_ip), 6, 20));
  acc.add(t);
  wire::store_be16(t, 16, acc.checksum());
  return len;
}

size_t build_icmp_unreachable(std::span<const uint8_t> trigger, const PacketInfo& pi, uint8_t code,
                              std::span<uint8_t> out) {
  if (!pi.ipv4 || pi.later_fragment) return 0;
  if ((pi.dst_ip >> 28) == 0xe || pi.dst_ip == 0xffffffffu || (pi.dst_mac >> 40) & 1) return 0;
  if (pi.proto == 1) {
    // Never about an ICMP error; queries may be answered.
    const uint8_t t = pi.icmp_type;
    if (t == 3 || t == 4 || t == 5 || t == 11 || t == 12 || !pi.l4) return 0;
  }
  const size_t ihl = size_t{pi.l4_off} - pi.l3_off;
  const size_t avail = trigger.size() - pi.l3_off;
  const size_t quote = std::min<size_t>(ihl + 8, avail);
  const size_t len = size_t{pi.l3_off} + 20 + 8 + quote;
  if (out.size() < len) return 0;
  uint8_t* o = out.data();
  size_t off = write_l2_swapped(trigger, pi, o);
  write_ipv4(o + off, pi.dst_ip, pi.src_ip, 1, static_cast<uint16_t>(20 + 8 + quote));
  std::span<uint8_t> ic(o + off + 20, 8 + quote);
  std::memset(ic.data(), 0, 8);
  ic[0] = 3;
  ic[1] = code;
  std::memcpy(ic.data() + 8, trigger.data() + pi.l3_off, quote);
  wire::store_be16(ic, 2, wire::internet_checksum(ic));
  return len;
}

size_t build_arp_reply(uint64_t asker_mac, uint32_t asker_ip, uint64_t answer_mac, uint32_t answer_ip,
                       std::span<uint8_t> out) {
  if (out.size() < 42) return 0;
  uint8_t* o = out.data();
  mac_from_u64(asker_mac, o);
  mac_from_u64(answer_mac, o + 6);
  o[12] = 0x08;
  o[13] = 0x06;
  std::span<uint8_t> a(o + 14, 28);
  wire::store_be16(a, 0, 1);
  wire::store_be16(a, 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  wire::store_be16(a, 6, 2);
  mac_from_u64(answer_mac, a.data() + 8);
  wire::store_be32(a, 14, answer_ip);
  mac_from_u64(asker_mac, a.data() + 18);
  wire::store_be32(a, 24, asker_ip);
  return 42;
}

}  // namespace vnetref::iochain
