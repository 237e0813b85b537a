#include "stack/inet/inet_tunables.h"

#include <cstdlib>

namespace vnetref::inet {

namespace {

// Defaults as FreeBSD documents them. Where FreeBSD scales a value with memory
// (maxfrags*), we pick a fixed bound of the same order for one small host.
constexpr TunableSpec kSpecs[] = {
    {"net.inet.ip.ttl", 64, 1, 255, TunableUnit::kCount_, "Maximum TTL on IP packets"},
    {"net.inet.ip.forwarding", 0, 0, 1, TunableUnit::kBool, "Enable IP forwarding between interfaces"},
    {"net.inet.ip.maxfragpackets", 64, 0, 8192, TunableUnit::kCount_,
     "Maximum number of IPv4 fragment reassembly queue entries"},
    {"net.inet.ip.maxfragsperpacket", 16, 1, 1024, TunableUnit::kCount_,
     "Maximum number of IPv4 fragments allowed per packet"},
    {"net.inet.ip.maxfrags", 512, 0, 65536, TunableUnit::kCount_,
     "Maximum number of IPv4 fragments allowed across all reassembly queues"},
    {"net.inet.ip.fragttl", 30, 1, 255, TunableUnit::kSeconds, "IP fragment life time on reassembly queue"},
    {"net.inet.ip.portrange.first", 10000, 1, 65535, TunableUnit::kCount_, "First ephemeral port"},
    {"net.inet.ip.portrange.last", 65535, 1, 65535, TunableUnit::kCount_, "Last ephemeral port"},
    {"net.inet.ip.path_mtu_discovery", 1, 0, 1, TunableUnit::kBool,
     "Set DF on outgoing TCP and honour RFC 1191 fragmentation-needed messages"},
    {"net.inet.ip.pmtu_expire", 600, 0, 86400, TunableUnit::kSeconds,
     "Seconds before a lowered path MTU is raised again (RFC 1191 section 6.3: 10 minutes)"},
    {"net.inet.icmp.icmplim", 200, 0, 1000000, TunableUnit::kCount_,
     "Maximum number of ICMP responses per second (0 = unlimited)"},
    {"net.inet.icmp.bmcastecho", 0, 0, 1, TunableUnit::kBool, "Reply to broadcast/multicast ICMP echo requests"},
    {"net.inet.udp.checksum", 1, 0, 1, TunableUnit::kBool, "Compute UDP checksum on output"},
    {"net.inet.udp.maxdgram", 9216, 8, 65507, TunableUnit::kBytes, "Maximum outgoing UDP datagram size"},
    {"net.inet.udp.recvspace", 42080, 1024, 16777216, TunableUnit::kBytes, "Maximum space for incoming UDP datagrams"},
    {"net.inet.udp.blackhole", 0, 0, 1, TunableUnit::kBool,
     "Do not send port unreachables for refused connects"},
    {"net.link.ether.inet.max_age", 1200, 1, 86400, TunableUnit::kSeconds,
     "Time in seconds an ARP entry remains valid"},
    {"net.link.ether.inet.maxtries", 5, 1, 100, TunableUnit::kCount_, "ARP resolution attempts before returning error"},
    {"net.link.ether.inet.maxhold", 16, 0, 1024, TunableUnit::kCount_,
     "Number of packets to hold per ARP entry"},
    {"net.link.ether.inet.wait", 20, 1, 3600, TunableUnit::kSeconds,
     "Incomplete ARP entry lifetime in seconds (host down hold-down)"},
    {"vnetref.arp.max_entries", 1024, 1, 65536, TunableUnit::kCount_,
     "Bound on ARP cache entries per instance (vnetref; FreeBSD bounds by memory)"},
};

TunableId def(Tunables& t, const char* name) {
  for (const TunableSpec& s : kSpecs) {
    if (s.name == name) {
      auto r = t.define(s);
      // A conflicting earlier definition is a programming error of this file.
      if (!r) std::abort();
      return *r;
    }
  }
  std::abort();
}

}  // namespace

InetTunableIds define_inet_tunables(Tunables& t) {
  InetTunableIds ids;
  ids.ip_ttl = def(t, "net.inet.ip.ttl");
  ids.ip_forwarding = def(t, "net.inet.ip.forwarding");
  ids.ip_maxfragpackets = def(t, "net.inet.ip.maxfragpackets");
  ids.ip_maxfragsperpacket = def(t, "net.inet.ip.maxfragsperpacket");
  ids.ip_maxfrags = def(t, "net.inet.ip.maxfrags");
  ids.ip_fragttl = def(t, "net.inet.ip.fragttl");
  ids.ip_portrange_first = def(t, "net.inet.ip.portrange.first");
  ids.ip_portrange_last = def(t, "net.inet.ip.portrange.last");
  ids.icmp_pmtud = def(t, "net.inet.ip.path_mtu_discovery");
  ids.pmtu_expire = def(t, "net.inet.ip.pmtu_expire");
  ids.icmp_icmplim = def(t, "net.inet.icmp.icmplim");
  ids.icmp_bmcastecho = def(t, "net.inet.icmp.bmcastecho");
  ids.udp_checksum = def(t, "net.inet.udp.checksum");
  ids.udp_maxdgram = def(t, "net.inet.udp.maxdgram");
  ids.udp_recvspace = def(t, "net.inet.udp.recvspace");
  ids.udp_blackhole = def(t, "net.inet.udp.blackhole");
  ids.arp_max_age = def(t, "net.link.ether.inet.max_age");
  ids.arp_maxtries = def(t, "net.link.ether.inet.maxtries");
  ids.arp_maxhold = def(t, "net.link.ether.inet.maxhold");
  ids.arp_wait = def(t, "net.link.ether.inet.wait");
  ids.arp_max_entries = def(t, "vnetref.arp.max_entries");
  return ids;
}

}  // namespace vnetref::inet
