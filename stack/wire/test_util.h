// Helpers shared by the wire unit tests.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"

namespace vnetref::wire::testing {

// "45 00 00 73" or "45000073" -> bytes. Spaces are ignored; the input is trusted.
inline std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

inline const MacAddress kMacA(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
inline const MacAddress kMacB(0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb);
inline constexpr Ipv4Address kIpA(10, 0, 0, 1);
inline constexpr Ipv4Address kIpB(10, 0, 0, 2);

inline EthernetHeader eth_a_to_b() {
  EthernetHeader h;
  h.src = kMacA;
  h.dst = kMacB;
  return h;
}

inline Ipv4Header ip_a_to_b(uint16_t ident = 1) {
  Ipv4Header h;
  h.src = kIpA;
  h.dst = kIpB;
  h.ident = ident;
  return h;
}

// Frames produced by Scapy 2.5 (independent implementation) for known-answer tests.
// Ether(00:11:22:33:44:55 > 66:77:88:99:aa:bb)/IP(10.0.0.1 > 10.0.0.2, id 1)/
// TCP(1234 > 80, S, seq 1, win 65535, mss 1460, sackOK, TS 1/0, nop, wscale 7)
inline constexpr std::string_view kScapyTcpSyn =
    "66778899aabb00112233445508004500003c00010000400666b90a0000010a00000204d20050000000010000"
    "0000a002ffff2eda0000020405b40402080a000000010000000001030307";
// .../IP(192.168.1.1 > 192.168.1.2, id 0x1234, DF)/UDP(5353 > 53)/"hello"
inline constexpr std::string_view kScapyUdp =
    "66778899aabb001122334455080045000021123440004011a544c0a80101c0a8010214e90035000d239068656c6c6f";
// .../IP(10.0.0.1 > 10.0.0.2, id 7)/ICMP(echo-request id 0x42 seq 1)/"ping"
inline constexpr std::string_view kScapyIcmpEcho =
    "66778899aabb00112233445508004500002000070000400166d40a0000010a000002080018ec0042000170696e67";
// Ether(00:11:22:33:44:55 > broadcast)/ARP(who-has 10.0.0.2 tell 10.0.0.1)
inline constexpr std::string_view kScapyArpRequest =
    "ffffffffffff001122334455080600010800060400010011223344550a0000010000000000000a000002";
// IP(10.0.0.2 > 10.0.0.1, DF)/TCP(80 > 1234, SA, seq 1000, ack 2, win 28960, mss 1460)
inline constexpr std::string_view kScapyIpTcpSynAck =
    "4500002c00004000400626ca0a0000020a000001005004d2000003e8000000026012712009e80000020405b4";

}  // namespace vnetref::wire::testing
