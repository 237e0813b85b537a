// The boundary between the IPv4 layer and its transports (UDP, TCP).
//
// A transport hands the IP layer a packet that starts at its own header (with
// headroom for IPv4 + Ethernet) and the addressing; the IP layer prepends the IPv4
// header, routes, resolves the next hop through ARP (holding the packet while
// unresolved), fragments when allowed, and transmits. Inbound, the IP layer strips
// the IPv4 header and calls the transport with the segment and an `IpMeta`.
// Transports compute their own checksums (pseudo-header uses `src`/`dst`).
#pragma once

#include <cstdint>
#include <optional>

#include "stack/core/packet.h"
#include "stack/core/result.h"

namespace vnetref::inet {

// Addresses are IPv4 in host byte order (as wire::Ipv4Address::value()).
struct IpMeta {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint8_t protocol = 0;
  uint8_t ttl = 0;
  uint8_t tos = 0;  // DSCP + ECN bits
  bool dont_fragment = false;
  uint32_t ifindex = 0;  // arrival interface (inbound)
  // Inbound: length of the stripped IPv4 header, which still sits in the head
  // segment's headroom (lets a transport quote it in an ICMP error). 0 outbound.
  uint8_t header_len = 0;
};

enum class IpSendError : uint8_t {
  kNoRoute,         // no route to the destination (EHOSTUNREACH / ENETUNREACH)
  kHostUnreachable, // ARP resolution failed earlier and the entry is still failed
  kMessageTooBig,   // DF set and larger than the path MTU (EMSGSIZE)
  kNoBuffers,       // pool exhausted (ENOBUFS)
  kDown,            // interface down
  kCount
};
const char* name_of(IpSendError e);

// ICMP errors delivered to a transport about one of its own earlier packets.
struct IcmpErrorInfo {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t next_hop_mtu = 0;  // fragmentation needed (RFC 1191)
  uint32_t orig_src = 0, orig_dst = 0;
  uint16_t orig_sport = 0, orig_dport = 0;  // first 8 bytes of the quoted transport header
  uint32_t orig_seq = 0;                    // TCP: quoted sequence number (RFC 5927 checks)
};

// What the IP layer offers transports (implemented by the netstack instance).
class IpOutput {
 public:
  virtual ~IpOutput() = default;
  // Sends `segment` (starting at the transport header). meta.src == 0 means "choose".
  virtual core::Status<IpSendError> ip_output(core::PacketPtr segment, const IpMeta& meta) = 0;
  // Source address the instance would use towards `dst`; nullopt when unroutable.
  virtual std::optional<uint32_t> source_for(uint32_t dst) const = 0;
  // Current path MTU towards `dst` (interface MTU, lowered by RFC 1191 PMTUD).
  virtual uint32_t path_mtu(uint32_t dst) const = 0;
  // Whether `addr` is one of the instance's own addresses.
  virtual bool is_local_address(uint32_t addr) const = 0;
};

// What a transport offers the IP layer.
class TransportInput {
 public:
  virtual ~TransportInput() = default;
  // `segment` starts at the transport header; its length is the IP payload length.
  virtual void input(core::PacketPtr segment, const IpMeta& meta) = 0;
  // An ICMP error quoting one of our packets (unreachable, frag needed, time exceeded).
  virtual void icmp_error(const IcmpErrorInfo& info) = 0;
};

}  // namespace vnetref::inet
