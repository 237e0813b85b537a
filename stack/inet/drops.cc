#include "stack/inet/drops.h"

namespace vnetref::inet {

const char* name_of(InetDrop d) {
  switch (d) {
    case InetDrop::kEthTruncated: return "eth_truncated";
    case InetDrop::kEthNotForUs: return "eth_not_for_us";
    case InetDrop::kEthVlanMismatch: return "eth_vlan_mismatch";
    case InetDrop::kEthBadTag: return "eth_bad_tag";
    case InetDrop::kEthUnknownType: return "eth_unknown_type";
    case InetDrop::kEthOwnSource: return "eth_own_source";
    case InetDrop::kInterfaceDown: return "interface_down";
    case InetDrop::kNoLink: return "no_link";
    case InetDrop::kArpMalformed: return "arp_malformed";
    case InetDrop::kArpNotForUs: return "arp_not_for_us";
    case InetDrop::kArpBadSender: return "arp_bad_sender";
    case InetDrop::kArpConflict: return "arp_conflict";
    case InetDrop::kArpHoldOverflow: return "arp_hold_overflow";
    case InetDrop::kArpResolveFailed: return "arp_resolve_failed";
    case InetDrop::kArpHostDown: return "arp_host_down";
    case InetDrop::kArpTableFull: return "arp_table_full";
    case InetDrop::kIpTruncated: return "ip_truncated";
    case InetDrop::kIpBadVersion: return "ip_bad_version";
    case InetDrop::kIpBadHeaderLength: return "ip_bad_header_length";
    case InetDrop::kIpBadTotalLength: return "ip_bad_total_length";
    case InetDrop::kIpBadChecksum: return "ip_bad_checksum";
    case InetDrop::kIpBadOptions: return "ip_bad_options";
    case InetDrop::kIpBadSource: return "ip_bad_source";
    case InetDrop::kIpNotForUs: return "ip_not_for_us";
    case InetDrop::kIpTtlExceeded: return "ip_ttl_exceeded";
    case InetDrop::kIpUnknownProtocol: return "ip_unknown_protocol";
    case InetDrop::kIpNoRoute: return "ip_no_route";
    case InetDrop::kIpCannotFragment: return "ip_cannot_fragment";
    case InetDrop::kIpNoBuffers: return "ip_no_buffers";
    case InetDrop::kIpLoopbackFull: return "ip_loopback_full";
    case InetDrop::kReassTimeout: return "reass_timeout";
    case InetDrop::kReassOverlap: return "reass_overlap";
    case InetDrop::kReassDuplicate: return "reass_duplicate";
    case InetDrop::kReassQueueLimit: return "reass_queue_limit";
    case InetDrop::kReassFragsPerPacket: return "reass_frags_per_packet";
    case InetDrop::kReassFragLimit: return "reass_frag_limit";
    case InetDrop::kReassTooBig: return "reass_too_big";
    case InetDrop::kReassBadFragment: return "reass_bad_fragment";
    case InetDrop::kIcmpTruncated: return "icmp_truncated";
    case InetDrop::kIcmpBadChecksum: return "icmp_bad_checksum";
    case InetDrop::kIcmpRateLimited: return "icmp_rate_limited";
    case InetDrop::kIcmpNotSent: return "icmp_not_sent";
    case InetDrop::kIcmpIgnored: return "icmp_ignored";
    case InetDrop::kIcmpBadQuote: return "icmp_bad_quote";
    case InetDrop::kUdpTruncated: return "udp_truncated";
    case InetDrop::kUdpBadLength: return "udp_bad_length";
    case InetDrop::kUdpBadChecksum: return "udp_bad_checksum";
    case InetDrop::kUdpNoSocket: return "udp_no_socket";
    case InetDrop::kUdpRecvBufFull: return "udp_recv_buf_full";
    case InetDrop::kCount: break;
  }
  return "?";
}

}  // namespace vnetref::inet
