#include "stack/iochain/testing/frames.h"

#include <cstring>

#include "stack/iochain/config_util.h"
#include "stack/iochain/packet_info.h"
#include "stack/wire/checksum.h"

namespace vnetref::iochain::testing {

uint32_t ip(const char* dotted) { return parse_addr_entry(dotted).value_or(U32Range{}).lo; }
uint64_t mac(const char* text) { return parse_mac_text(text).value_or(0); }

namespace {

void put16(std::vector<uint8_t>& v, size_t off, uint16_t x) {
  v[off] = static_cast<uint8_t>(x >> 8);
  v[off + 1] = static_cast<uint8_t>(x);
}
void put32(std::vector<uint8_t>& v, size_t off, uint32_t x) {
  put16(v, off, static_cast<uint16_t>(x >> 16));
  put16(v, off + 2, static_cast<uint16_t>(x));
}

size_t l2_header(std::vector<uint8_t>& f, const L2& l2, uint16_t ethertype) {
  f.resize(l2.vlan >= 0 ? 18 : 14);
  mac_from_u64(l2.dst, f.data());
  mac_from_u64(l2.src, f.data() + 6);
  size_t off = 12;
  if (l2.vlan >= 0) {
    put16(f, 12, 0x8100);
    put16(f, 14, static_cast<uint16_t>(l2.vlan));
    off = 16;
  }
  put16(f, off, ethertype);
  return off + 2;
}

size_t ip_header(std::vector<uint8_t>& f, size_t off, uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4len,
                 uint16_t frag, uint16_t id, uint8_t ttl = 64) {
  f.resize(off + 20 + l4len, 0);
  f[off] = 0x45;
  put16(f, off + 2, static_cast<uint16_t>(20 + l4len));
  put16(f, off + 4, id);
  put16(f, off + 6, frag);
  f[off + 8] = ttl;
  f[off + 9] = proto;
  put32(f, off + 12, src);
  put32(f, off + 16, dst);
  put16(f, off + 10, wire::internet_checksum(std::span<const uint8_t>(f.data() + off, 20)));
  return off + 20;
}

void l4_checksum(std::vector<uint8_t>& f, size_t l4, uint32_t src, uint32_t dst, uint8_t proto, size_t csum_off) {
  wire::ChecksumAccumulator acc;
  acc.add16(wire::ipv4_pseudo_header_sum(wire::Ipv4Address(src), wire::Ipv4Address(dst), proto,
                                         static_cast<uint16_t>(f.size() - l4)));
  acc.add(std::span<const uint8_t>(f.data() + l4, f.size() - l4));
  uint16_t c = acc.checksum();
  if (proto == 17 && c == 0) c = 0xffff;
  put16(f, l4 + csum_off, c);
}

}  // namespace

std::vector<uint8_t> tcp_frame(const L2& l2, uint32_t src, uint32_t dst, const TcpSeg& t, uint8_t ttl) {
  std::vector<uint8_t> f;
  size_t off = l2_header(f, l2, 0x0800);
  const uint32_t optlen = t.wscale >= 0 ? 4 : 0;
  const uint32_t l4len = 20 + optlen + t.payload;
  size_t l4 = ip_header(f, off, src, dst, 6, l4len, 0, 1, ttl);
  put16(f, l4, t.sport);
  put16(f, l4 + 2, t.dport);
  put32(f, l4 + 4, t.seq);
  put32(f, l4 + 8, t.ack);
  f[l4 + 12] = static_cast<uint8_t>(((20 + optlen) / 4) << 4);
  f[l4 + 13] = t.flags;
  put16(f, l4 + 14, t.window);
  if (t.wscale >= 0) {
    f[l4 + 20] = 1;  // NOP
    f[l4 + 21] = 3;
    f[l4 + 22] = 3;
    f[l4 + 23] = static_cast<uint8_t>(t.wscale);
  }
  for (uint32_t i = 0; i < t.payload; ++i) f[l4 + 20 + optlen + i] = static_cast<uint8_t>(i);
  l4_checksum(f, l4, src, dst, 6, 16);
  return f;
}

std::vector<uint8_t> udp_frame(const L2& l2, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                               uint32_t payload, uint16_t frag_field, uint16_t ip_id) {
  std::vector<uint8_t> f;
  size_t off = l2_header(f, l2, 0x0800);
  size_t l4 = ip_header(f, off, src, dst, 17, 8 + payload, frag_field, ip_id);
  put16(f, l4, sport);
  put16(f, l4 + 2, dport);
  put16(f, l4 + 4, static_cast<uint16_t>(8 + payload));
  for (uint32_t i = 0; i < payload; ++i) f[l4 + 8 + i] = static_cast<uint8_t>(0x40 + i);
  l4_checksum(f, l4, src, dst, 17, 6);
  return f;
}

std::vector<uint8_t> icmp_frame(const L2& l2, uint32_t src, uint32_t dst, uint8_t type, uint8_t code, uint16_t ident,
                                uint16_t seq, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> f;
  size_t off = l2_header(f, l2, 0x0800);
  size_t l4 = ip_header(f, off, src, dst, 1, static_cast<uint32_t>(8 + data.size()), 0, 1);
  f[l4] = type;
  f[l4 + 1] = code;
  put16(f, l4 + 4, ident);
  put16(f, l4 + 6, seq);
  if (!data.empty()) std::memcpy(f.data() + l4 + 8, data.data(), data.size());
  put16(f, l4 + 2, wire::internet_checksum(std::span<const uint8_t>(f.data() + l4, f.size() - l4)));
  return f;
}

std::vector<uint8_t> ip_frame(const L2& l2, uint32_t src, uint32_t dst, uint8_t proto, uint32_t payload,
                              uint16_t frag_field, uint16_t ip_id) {
  std::vector<uint8_t> f;
  size_t off = l2_header(f, l2, 0x0800);
  ip_header(f, off, src, dst, proto, payload, frag_field, ip_id);
  return f;
}

std::vector<uint8_t> arp_frame(const L2& l2, uint16_t op, uint64_t sender_mac, uint32_t sender_ip,
                               uint64_t target_mac, uint32_t target_ip) {
  std::vector<uint8_t> f;
  size_t off = l2_header(f, l2, 0x0806);
  f.resize(off + 28, 0);
  put16(f, off, 1);
  put16(f, off + 2, 0x0800);
  f[off + 4] = 6;
  f[off + 5] = 4;
  put16(f, off + 6, op);
  mac_from_u64(sender_mac, f.data() + off + 8);
  put32(f, off + 14, sender_ip);
  mac_from_u64(target_mac, f.data() + off + 18);
  put32(f, off + 24, target_ip);
  return f;
}

std::vector<uint8_t> dhcp_frame(const L2& l2, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t msg,
                                uint64_t chaddr, uint32_t yiaddr, uint32_t lease_secs) {
  std::vector<uint8_t> bootp(240 + 3 + 6 + 1, 0);
  bootp[0] = (msg == 2 || msg == 5 || msg == 6) ? 2 : 1;
  bootp[1] = 1;
  bootp[2] = 6;
  put32(bootp, 4, 0x12345678);
  put32(bootp, 16, yiaddr);
  mac_from_u64(chaddr, bootp.data() + 28);
  put32(bootp, 236, 0x63825363);
  bootp[240] = 53;
  bootp[241] = 1;
  bootp[242] = msg;
  bootp[243] = 51;
  bootp[244] = 4;
  put32(bootp, 245, lease_secs);
  bootp[249] = 255;
  std::vector<uint8_t> f;
  size_t off = l2_header(f, l2, 0x0800);
  size_t l4 = ip_header(f, off, src, dst, 17, static_cast<uint32_t>(8 + bootp.size()), 0, 1);
  put16(f, l4, sport);
  put16(f, l4 + 2, dport);
  put16(f, l4 + 4, static_cast<uint16_t>(8 + bootp.size()));
  std::memcpy(f.data() + l4 + 8, bootp.data(), bootp.size());
  l4_checksum(f, l4, src, dst, 17, 6);
  return f;
}

std::vector<uint8_t> raw_frame(const L2& l2, uint16_t ethertype, uint32_t payload) {
  std::vector<uint8_t> f;
  size_t off = l2_header(f, l2, ethertype);
  f.resize(off + payload, 0xab);
  return f;
}

core::PacketPtr make_packet(core::BufferPool& pool, const std::vector<uint8_t>& frame, uint64_t id) {
  core::PacketPtr p = pool.alloc_copy(frame);
  if (p) p->meta.user = id;
  return p;
}

}  // namespace vnetref::iochain::testing
