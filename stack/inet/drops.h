// Why the inet layer dropped something: one counter per reason, per instance.
#pragma once

#include <cstdint>

namespace vnetref::inet {

enum class InetDrop : uint8_t {
  // Ethernet
  kEthTruncated,       // shorter than an Ethernet header
  kEthNotForUs,        // unicast to another MAC / multicast group we did not join
  kEthVlanMismatch,    // tag does not match the interface's 802.1Q configuration
  kEthBadTag,          // reserved VID / too many tags
  kEthUnknownType,     // neither IPv4 nor ARP
  kEthOwnSource,       // our own MAC as source (a loop)
  kInterfaceDown,
  kNoLink,             // interface not attached to a link
  // ARP
  kArpMalformed,
  kArpNotForUs,        // request for an address that is not ours (no proxy ARP)
  kArpBadSender,       // broadcast/multicast sender MAC or martian sender IP
  kArpConflict,        // RFC 5227: someone else claims one of our addresses
  kArpHoldOverflow,    // per-entry hold queue full: oldest packet dropped
  kArpResolveFailed,   // maxtries without reply: held packets dropped
  kArpHostDown,        // send while the entry is in its failed hold-down
  kArpTableFull,
  // IPv4 input
  kIpTruncated,
  kIpBadVersion,
  kIpBadHeaderLength,
  kIpBadTotalLength,
  kIpBadChecksum,
  kIpBadOptions,
  kIpBadSource,        // broadcast/multicast/loopback/unspecified source
  kIpNotForUs,         // not ours and forwarding is off
  kIpTtlExceeded,      // forwarding: TTL would reach 0
  kIpUnknownProtocol,  // answered with protocol unreachable
  kIpNoRoute,
  kIpCannotFragment,   // DF set and larger than the MTU
  kIpNoBuffers,        // pool exhausted
  kIpLoopbackFull,     // local-delivery queue bound
  // Reassembly
  kReassTimeout,
  kReassOverlap,       // overlapping fragments: whole datagram discarded
  kReassDuplicate,     // exact duplicate fragment
  kReassQueueLimit,    // net.inet.ip.maxfragpackets
  kReassFragsPerPacket,// net.inet.ip.maxfragsperpacket
  kReassFragLimit,     // net.inet.ip.maxfrags
  kReassTooBig,        // would exceed 65535 bytes
  kReassBadFragment,   // non-final fragment not a multiple of 8, empty, inconsistent end
  // ICMP
  kIcmpTruncated,
  kIcmpBadChecksum,
  kIcmpRateLimited,    // net.inet.icmp.icmplim
  kIcmpNotSent,        // RFC 1122 3.2.2: no error about errors, fragments, broadcasts
  kIcmpIgnored,        // types we do not act on (redirects, timestamps, ...)
  kIcmpBadQuote,       // error quoting something that is not ours
  // UDP
  kUdpTruncated,
  kUdpBadLength,
  kUdpBadChecksum,
  kUdpNoSocket,        // answered with port unreachable (unless broadcast/blackhole)
  kUdpRecvBufFull,     // socket receive buffer (net.inet.udp.recvspace)
  kCount
};

const char* name_of(InetDrop d);

}  // namespace vnetref::inet
