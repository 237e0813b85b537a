// Port mirroring sessions (distributed switch): configuration and the encapsulation
// of copies for the encapsulated-remote (ERSPAN-like GRE) type.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/vswitch/types.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"

namespace vnetref::vswitch {

enum class MirrorType : uint8_t {
  kLocal,              // source ports -> destination ports of the same switch
  kRemoteSource,       // source ports -> uplinks, tagged with an RSPAN VLAN
  kRemoteDestination,  // frames arriving on uplinks in the RSPAN VLAN -> destination ports
  kEncapsulatedL3,     // source ports -> GRE/ERSPAN type II to a destination IP
};
const char* name_of(MirrorType t);

// Relative to the source port: ingress = from the port into the switch, egress = from
// the switch to the port (the distributed switch's traffic-shaping naming).
enum class MirrorDirection : uint8_t { kIngress = 1, kEgress = 2, kBoth = 3 };

struct MirrorSession {
  std::string name;
  uint16_t session_id = 1;              // ERSPAN session id (10 bits)
  MirrorType type = MirrorType::kLocal;
  bool enabled = true;
  std::vector<PortId> sources;          // kLocal / kRemoteSource / kEncapsulatedL3
  MirrorDirection direction = MirrorDirection::kBoth;
  std::vector<PortId> destinations;     // kLocal / kRemoteDestination
  std::vector<std::string> uplinks;     // kRemoteSource: where copies leave
  uint16_t rspan_vlan = 0;              // kRemoteSource / kRemoteDestination
  uint32_t mirrored_length = 0;         // 0 = whole frame; else truncate copies to this many bytes
  // kEncapsulatedL3:
  wire::Ipv4Address erspan_src;
  wire::Ipv4Address erspan_dst;
  wire::MacAddress erspan_next_hop;     // destination MAC of the outer frame
  std::string erspan_uplink;            // empty: the switch's first usable uplink
};

// Returns an error text when the session is inconsistent (e.g. a port is both source
// and destination), empty when valid.
std::string validate(const MirrorSession& s);

// Wraps `inner` (the mirrored frame, `inner_len` bytes, already truncated) into
// Ethernet / IPv4 / GRE (protocol 0x88BE) / ERSPAN type II into a fresh packet from
// `pool`. `outer_src_mac` is the sending uplink's MAC. Null when the pool is empty.
core::PacketPtr encapsulate_erspan(core::BufferPool& pool, const MirrorSession& s, const core::Packet& inner,
                                   uint32_t inner_len, uint16_t vlan, uint32_t seq, wire::MacAddress outer_src_mac,
                                   PortId source_port);

}  // namespace vnetref::vswitch
