// Whole-frame construction for tests, fuzzers and tools (not for the data path: it
// allocates). Lengths, the IPv4 protocol number and every checksum are filled in.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/wire/arp.h"
#include "stack/wire/dhcpv4.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace vnetref::wire {

class FrameBuilder {
 public:
  // Each returns the complete frame. `eth.ethertype` and `ip.protocol`/`payload_len`
  // are overwritten to match what is built.
  static std::vector<uint8_t> arp(EthernetHeader eth, const ArpRepr& arp);
  static std::vector<uint8_t> ipv4_raw(EthernetHeader eth, Ipv4Header ip, std::span<const uint8_t> payload);
  static std::vector<uint8_t> icmp(EthernetHeader eth, Ipv4Header ip, const Icmpv4Header& icmp);
  static std::vector<uint8_t> udp(EthernetHeader eth, Ipv4Header ip, const UdpHeader& udp);
  static std::vector<uint8_t> tcp(EthernetHeader eth, Ipv4Header ip, const TcpHeader& tcp);
  static std::vector<uint8_t> dhcp(EthernetHeader eth, Ipv4Header ip, uint16_t sport, uint16_t dport,
                                   const DhcpMessage& msg);

  // Pads to the 60-byte Ethernet minimum (without FCS), as a NIC would.
  static void pad_to_minimum(std::vector<uint8_t>& frame);
};

}  // namespace vnetref::wire
