#include "stack/vswitch/types.h"

namespace vnetref::vswitch {

const char* name_of(PortKind k) {
  switch (k) {
    case PortKind::kVnic: return "vnic";
    case PortKind::kVmknic: return "vmknic";
    case PortKind::kUplink: return "uplink";
  }
  return "?";
}

const char* name_of(VlanMode m) {
  switch (m) {
    case VlanMode::kNone: return "none";
    case VlanMode::kAccess: return "access";
    case VlanMode::kTrunk: return "trunk";
    case VlanMode::kPvlan: return "pvlan";
  }
  return "?";
}

const char* name_of(PvlanType t) {
  switch (t) {
    case PvlanType::kNone: return "none";
    case PvlanType::kPromiscuous: return "promiscuous";
    case PvlanType::kIsolated: return "isolated";
    case PvlanType::kCommunity: return "community";
  }
  return "?";
}

const char* name_of(DropReason r) {
  switch (r) {
    case DropReason::kRunt: return "runt";
    case DropReason::kBadVlanTag: return "bad_vlan_tag";
    case DropReason::kVlanNotAllowed: return "vlan_not_allowed";
    case DropReason::kBpdu: return "bpdu";
    case DropReason::kForgedTransmit: return "forged_transmit";
    case DropReason::kMacChangeBlocked: return "mac_change_blocked";
    case DropReason::kUnknownUnicastUplink: return "unknown_unicast_from_uplink";
    case DropReason::kNoUplink: return "no_uplink";
    case DropReason::kSplitHorizon: return "split_horizon";
    case DropReason::kReflected: return "reflected";
    case DropReason::kReverseFilter: return "reverse_filter";
    case DropReason::kNoDestination: return "no_destination";
    case DropReason::kSameSegment: return "same_segment";
    case DropReason::kPvlanIsolation: return "pvlan_isolation";
    case DropReason::kMacLimit: return "mac_limit";
    case DropReason::kShaperQueueFull: return "shaper_queue_full";
    case DropReason::kTxQueueFull: return "tx_queue_full";
    case DropReason::kRxQueueFull: return "rx_queue_full";
    case DropReason::kFilterDrop: return "filter_drop";
    case DropReason::kPortDown: return "port_down";
    case DropReason::kBeaconConsumed: return "beacon_consumed";
    case DropReason::kPoolExhausted: return "pool_exhausted";
    case DropReason::kTooManyTags: return "too_many_tags";
    case DropReason::kCount: break;
  }
  return "?";
}

const char* name_of(TeamingPolicy p) {
  switch (p) {
    case TeamingPolicy::kOriginatingPortId: return "originating_port_id";
    case TeamingPolicy::kSourceMacHash: return "source_mac_hash";
    case TeamingPolicy::kIpHash: return "ip_hash";
    case TeamingPolicy::kExplicitFailover: return "explicit_failover";
    case TeamingPolicy::kLoadBased: return "load_based";
  }
  return "?";
}

}  // namespace vnetref::vswitch
