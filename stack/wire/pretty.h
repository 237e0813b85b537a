// Human- and diff-friendly renderings of a whole Ethernet frame.
//
// describe_frame(): one tcpdump-like line per layer, e.g.
//   Ether 00:11:22:33:44:55 > ff:ff:ff:ff:ff:ff type 0x0800
//   IPv4 10.0.0.1 > 10.0.0.2 ttl 64 id 1 len 60 proto TCP
//   TCP 1234 > 80 [S] seq 1 ack 0 win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>
// A layer that does not parse is printed as "<truncated IPv4: 7 bytes>" or
// "<malformed IPv4: bad header length, 24 bytes>" and ends the dissection.
//
// dissect(): the same walk as structured fields named like Scapy's
// ("Ether.src", "IP.ttl", "TCP.flags" = "SA", "DHCP.options" = "[('message-type', 1), 'end']")
// so conformance tests can diff against Scapy field by field. Integers are decimal;
// addresses use their usual text form; bytes use Python's bytes repr.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vnetref::wire {

struct LayerFields {
  std::string layer;    // Scapy layer name: Ether, Dot1Q, Dot1AD, ARP, IP, ICMP, IPerror,
                        // TCPerror, UDPerror, ICMPerror, UDP, TCP, BOOTP, DHCP, Raw, Padding
  std::string summary;  // the describe_frame() line of this layer
  std::string error;    // empty, or the parse error of a malformed layer
  std::vector<std::pair<std::string, std::string>> fields;

  // Value of a field by full name ("IP.ttl"), or nullptr.
  const std::string* find(const std::string& name) const;
};

std::vector<LayerFields> dissect(std::span<const uint8_t> frame);
std::string describe_frame(std::span<const uint8_t> frame);  // lines joined with '\n'

// Python's repr() of a bytes object: b'ab\x00'. Exposed for tests and tools.
std::string python_bytes_repr(std::span<const uint8_t> bytes);

}  // namespace vnetref::wire
