// Vocabulary of the switching layer: port ids, VLAN policy, drop reasons.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vnetref::vswitch {

// Port ids are switch-wide (a DVS's ids are DVS-wide, like its port keys). 0 means
// "no port" (PacketMeta::ingress_port's unset value), so real ports start at 1.
using PortId = uint32_t;
inline constexpr PortId kNoPort = 0;

enum class PortKind : uint8_t { kVnic, kVmknic, kUplink };
const char* name_of(PortKind k);

// VLAN modes of a port group (vSphere's VLAN ID 0 / 1-4094 / 4095 / private VLAN).
enum class VlanMode : uint8_t {
  kNone,    // VLAN 0: external switch tagging, frames untagged inside and on uplinks
  kAccess,  // 1..4094: virtual switch tagging, tag on uplink egress, strip on delivery
  kTrunk,   // 4095 (or a DVS trunk range): guest tagging, tags pass through
  kPvlan,   // DVS private VLAN: the port's secondary (or primary, for promiscuous) VLAN
};
const char* name_of(VlanMode m);

struct VlanRange {
  uint16_t first = 0;
  uint16_t last = 4094;
  bool contains(uint16_t v) const { return v >= first && v <= last; }
};

struct VlanPolicy {
  VlanMode mode = VlanMode::kNone;
  uint16_t vlan = 0;                 // kAccess: the VLAN id; kPvlan: secondary (or primary) id
  std::vector<VlanRange> trunk;      // kTrunk: allowed VLANs (4095 = {0..4094})
  bool trunk_allows(uint16_t v) const {
    for (const auto& r : trunk)
      if (r.contains(v)) return true;
    return false;
  }
};

enum class PvlanType : uint8_t { kNone, kPromiscuous, kIsolated, kCommunity };
const char* name_of(PvlanType t);

// Why a frame (or one copy of it) went no further. Every drop has one.
enum class DropReason : uint8_t {
  kRunt,                   // shorter than an Ethernet header
  kBadVlanTag,             // malformed 802.1Q tag or reserved VID 4095
  kVlanNotAllowed,         // tag not allowed on this port (VST/EST guest tag, outside trunk)
  kBpdu,                   // IEEE 802.1D BPDU: the switch runs no STP and forwards none
  kForgedTransmit,         // source MAC differs from the port's effective MAC (policy reject)
  kMacChangeBlocked,       // effective MAC differs from configured one (policy reject), inbound
  kUnknownUnicastUplink,   // unknown unicast arriving on an uplink
  kNoUplink,               // unknown unicast / flood from a VM port with no usable uplink
  kSplitHorizon,           // would leave by an uplink after arriving on one
  kReflected,              // arrived on an uplink with a local port's source MAC (loop guard)
  kReverseFilter,          // broadcast/multicast on an uplink the destination is not teamed to
  kNoDestination,          // flood found no member (the VLAN has no other port)
  kSameSegment,            // destination is the source port itself
  kPvlanIsolation,         // private VLAN rules forbid this destination
  kMacLimit,               // MAC learning limit reached with policy drop
  kShaperQueueFull,        // traffic shaper's bounded queue was full
  kTxQueueFull,            // port's transmit (into switch) queue was full
  kRxQueueFull,            // port's receive (to endpoint) queue was full
  kFilterDrop,             // an attached filter (IOChain) dropped it
  kPortDown,               // port disconnected / blocked / link down
  kBeaconConsumed,         // a beacon probe terminated at the switch (not an error)
  kPoolExhausted,          // a copy (flood, mirror, encapsulation) could not be allocated
  kTooManyTags,            // more stacked tags than supported
  kCount
};
const char* name_of(DropReason r);

enum class TeamingPolicy : uint8_t {
  kOriginatingPortId,  // default
  kSourceMacHash,
  kIpHash,
  kExplicitFailover,
  kLoadBased,  // distributed switch only
};
const char* name_of(TeamingPolicy p);

enum class FailureDetection : uint8_t { kLinkStatus, kBeaconProbing };

}  // namespace vnetref::vswitch
