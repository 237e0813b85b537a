// The IPv4 / ARP / ICMP / UDP tunables of one instance, under FreeBSD sysctl names
// with FreeBSD's documented defaults (ip(4), icmp(4), udp(4), arp(4), sysctl -d).
// TCP defines its own `net.inet.tcp.*` set into the same `Tunables`.
#pragma once

#include "stack/inet/tunables.h"

namespace vnetref::inet {

// Ids of the tunables the IPv4 layer reads on the data path.
struct InetTunableIds {
  TunableId ip_ttl;                  // net.inet.ip.ttl
  TunableId ip_forwarding;           // net.inet.ip.forwarding
  TunableId ip_maxfragpackets;       // net.inet.ip.maxfragpackets
  TunableId ip_maxfragsperpacket;    // net.inet.ip.maxfragsperpacket
  TunableId ip_maxfrags;             // net.inet.ip.maxfrags
  TunableId ip_fragttl;              // net.inet.ip.fragttl (seconds)
  TunableId ip_portrange_first;      // net.inet.ip.portrange.first
  TunableId ip_portrange_last;       // net.inet.ip.portrange.last
  TunableId icmp_icmplim;            // net.inet.icmp.icmplim (errors per second, 0 = unlimited)
  TunableId icmp_bmcastecho;         // net.inet.icmp.bmcastecho
  TunableId icmp_pmtud;              // net.inet.ip.path_mtu_discovery (RFC 1191 on output)
  TunableId udp_checksum;            // net.inet.udp.checksum
  TunableId udp_maxdgram;            // net.inet.udp.maxdgram
  TunableId udp_recvspace;           // net.inet.udp.recvspace
  TunableId udp_blackhole;           // net.inet.udp.blackhole
  TunableId arp_max_age;             // net.link.ether.inet.max_age (seconds)
  TunableId arp_maxtries;            // net.link.ether.inet.maxtries
  TunableId arp_maxhold;             // net.link.ether.inet.maxhold
  TunableId arp_wait;                // net.link.ether.inet.wait (seconds, failed entry hold-down)
  TunableId arp_max_entries;         // vnetref.arp.max_entries (our bound; FreeBSD's is memory)
  TunableId pmtu_expire;             // net.inet.ip.pmtu_expire (seconds; RFC 1191 aging)
};

// Defines every IPv4-layer tunable in `t` (idempotent) and returns their ids.
InetTunableIds define_inet_tunables(Tunables& t);

}  // namespace vnetref::inet
