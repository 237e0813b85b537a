// Frames a filter answers with: TCP RST and ICMP unreachable (DFW reject), ARP reply
// (switch security's ARP suppression). Each writes a complete frame into `out` and
// returns its length, or 0 when `out` is too small or the trigger must not be
// answered (RFC 1812 4.3.2.7: no ICMP error about an ICMP error, a broadcast or
// multicast, or a non-first fragment; RFC 9293: no RST in reply to a RST).
#pragma once

#include <cstdint>
#include <span>

#include "stack/iochain/packet_info.h"

namespace vnetref::iochain {

// The L2 header is the trigger's with source and destination swapped (tags kept).
size_t build_tcp_rst(std::span<const uint8_t> trigger, const PacketInfo& pi, std::span<uint8_t> out);
size_t build_icmp_unreachable(std::span<const uint8_t> trigger, const PacketInfo& pi, uint8_t code,
                              std::span<uint8_t> out);
size_t build_arp_reply(uint64_t asker_mac, uint32_t asker_ip, uint64_t answer_mac, uint32_t answer_ip,
                       std::span<uint8_t> out);
inline constexpr size_t kMaxReplyLen = 14 + 16 + 20 + 8 + 60 + 8;

}  // namespace vnetref::iochain
