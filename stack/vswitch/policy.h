// Port-group and per-port policies of the switches (the configuration model).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/vswitch/shaper.h"
#include "stack/vswitch/types.h"
#include "stack/wire/mac_address.h"

namespace vnetref::vswitch {

// Each field: true = accept, false = reject.
struct SecurityPolicy {
  bool promiscuous = false;
  bool mac_changes = true;
  bool forged_transmits = true;
  // Defaults of a standard switch (and of older distributed switches).
  static SecurityPolicy standard_defaults() { return {false, true, true}; }
  // Newer distributed switches default all three to reject.
  static SecurityPolicy distributed_defaults() { return {false, false, false}; }
};

struct TeamingConfig {
  TeamingPolicy policy = TeamingPolicy::kOriginatingPortId;
  std::vector<std::string> active;   // uplink names, in failover order; empty = every uplink
  std::vector<std::string> standby;  // uplink names; uplinks in neither list are unused
  FailureDetection detection = FailureDetection::kLinkStatus;
  bool notify_switches = true;
  bool failback = true;
};

struct MacLearningPolicy {
  bool enabled = false;
  uint32_t limit = 4096;
  bool drop_at_limit = true;           // false: allow (forward but do not learn)
  uint32_t aging_seconds = 600;
  bool unknown_unicast_flooding = true;  // unknown unicast also floods to learning ports
};

struct PortGroupConfig {
  std::string name;
  VlanPolicy vlan;
  SecurityPolicy security = SecurityPolicy::standard_defaults();
  TeamingConfig teaming;
  ShapingPolicy shaping_in;   // frames from the port into the switch (VSS "traffic shaping", DVS ingress)
  ShapingPolicy shaping_out;  // frames from the switch to the port (DVS egress only)
  MacLearningPolicy mac_learning;  // DVS only
  bool blocked = false;
};

// Per-port overrides of the port group's policy (unset = inherit).
struct PortOverrides {
  std::optional<SecurityPolicy> security;
  std::optional<ShapingPolicy> shaping_in;
  std::optional<ShapingPolicy> shaping_out;
  std::optional<MacLearningPolicy> mac_learning;
  std::optional<VlanPolicy> vlan;
  std::optional<bool> blocked;
};

// One private VLAN: a primary with its secondaries (DVS only).
struct PvlanEntry {
  uint16_t primary = 0;
  uint16_t secondary = 0;  // == primary for the promiscuous entry
  PvlanType type = PvlanType::kPromiscuous;
};

}  // namespace vnetref::vswitch
