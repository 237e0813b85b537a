// Test-only frame construction for the IOChain tests, fuzzers and benchmarks.
//
// //stack/wire's FrameBuilder was not yet exported when this package was written, so
// these few builders (with correct checksums) live here; they allocate and are never
// used on the data path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/packet.h"

namespace vnetref::iochain::testing {

uint32_t ip(const char* dotted);
uint64_t mac(const char* text);

struct L2 {
  uint64_t src = 0x020000000001;
  uint64_t dst = 0x020000000002;
  int vlan = -1;  // >= 0: one in-band 802.1Q tag
};

struct TcpSeg {
  uint16_t sport = 1234, dport = 80;
  uint32_t seq = 1000, ack = 0;
  uint8_t flags = 0x02;  // SYN
  uint16_t window = 65535;
  int wscale = -1;  // >= 0: window scale option
  uint32_t payload = 0;
};

std::vector<uint8_t> tcp_frame(const L2& l2, uint32_t src, uint32_t dst, const TcpSeg& t, uint8_t ttl = 64);
std::vector<uint8_t> udp_frame(const L2& l2, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                               uint32_t payload = 8, uint16_t frag_field = 0, uint16_t ip_id = 1);
std::vector<uint8_t> icmp_frame(const L2& l2, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
                                uint16_t ident = 1, uint16_t seq = 1, const std::vector<uint8_t>& data = {});
std::vector<uint8_t> ip_frame(const L2& l2, uint32_t src, uint32_t dst, uint8_t proto, uint32_t payload,
                              uint16_t frag_field = 0, uint16_t ip_id = 1);
std::vector<uint8_t> arp_frame(const L2& l2, uint16_t op, uint64_t sender_mac, uint32_t sender_ip,
                               uint64_t target_mac, uint32_t target_ip);
// DHCP (BOOTP) message type `msg` (1 discover .. 5 ack) from sport to dport.
std::vector<uint8_t> dhcp_frame(const L2& l2, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                uint8_t msg, uint64_t chaddr, uint32_t yiaddr, uint32_t lease_secs = 3600);
std::vector<uint8_t> raw_frame(const L2& l2, uint16_t ethertype, uint32_t payload);

core::PacketPtr make_packet(core::BufferPool& pool, const std::vector<uint8_t>& frame, uint64_t id = 0);

}  // namespace vnetref::iochain::testing
