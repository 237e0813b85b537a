// Host configuration: one schema for hosts (VMs with vNICs, netstack instances with
// vmknics, standard switches, physical NICs), distributed switches spanning hosts,
// and the physical network between them. Parsed from JSON with //stack/config so
// every error names the field path and its line. docs/config-schema.md documents it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/config/json.h"
#include "stack/config/schema.h"
#include "stack/core/result.h"
#include "stack/vswitch/ipfix.h"
#include "stack/vswitch/mirror.h"
#include "stack/vswitch/policy.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"

namespace vnetref::host {

// A port on a switch (vNIC or vmknic): where it connects and its per-port settings.
struct PortAttachment {
  std::string name;         // "eth0" / "vmk0"
  wire::MacAddress mac;
  std::string switch_name;  // a standard switch of the host or a distributed switch
  std::string port_group;
  vswitch::PortOverrides overrides;
  config::Json iochain;     // raw `iochain` array ({slot, agent, config}) for the IOChain layer
  uint32_t line = 0;
};

struct VmConfig {
  std::string name;
  std::vector<PortAttachment> vnics;
};

struct VmknicConfig {
  PortAttachment port;
  wire::Ipv4Address address;
  uint8_t prefix_len = 24;
};

struct NetstackConfig {
  std::string name;  // "default", "vmotion", "provisioning" or custom
  std::optional<wire::Ipv4Address> gateway;
  std::vector<VmknicConfig> vmknics;
};

struct PnicConfig {
  std::string name;  // "vmnic0"
  wire::MacAddress mac;
  uint64_t speed_mbps = 10'000;
  std::string physical_port;  // port of the physical network it is cabled to ("" = not cabled)
};

struct StandardSwitchConfig {
  std::string name;
  std::vector<std::string> uplinks;  // pNIC names
  std::vector<vswitch::PortGroupConfig> port_groups;
  uint32_t max_ports = 4096;
};

struct HostConfig {
  std::string name;
  std::vector<PnicConfig> pnics;
  std::vector<StandardSwitchConfig> switches;
  std::vector<NetstackConfig> netstacks;
  std::vector<VmConfig> vms;
};

// Mirror sessions name ports as "<host>/<vm>.<vnic>" or "<host>/<vmknic>"; resolved at build time.
struct MirrorConfig {
  vswitch::MirrorSession session;  // sources/destinations filled in at build
  std::vector<std::string> sources;
  std::vector<std::string> destinations;
};

struct DvsHostBinding {
  std::string host;
  std::vector<std::pair<std::string, std::string>> uplinks;  // DVS uplink name -> pNIC
};

struct DvsConfig {
  std::string name;
  std::vector<std::string> uplink_names;
  std::vector<vswitch::PortGroupConfig> port_groups;
  std::vector<vswitch::PvlanEntry> pvlans;
  std::vector<MirrorConfig> mirrors;
  vswitch::IpfixConfig ipfix;
  std::vector<DvsHostBinding> hosts;
};

struct PhysicalPortConfig {
  std::string name;
  bool trunk = true;
  uint16_t access_vlan = 0;
  uint16_t native_vlan = 0;
  std::vector<vswitch::VlanRange> allowed;
  bool link_up = true;
};

struct PhysicalNetworkConfig {
  std::string name = "physical";
  uint32_t mac_table_size = 8192;
  uint32_t aging_seconds = 300;
  std::vector<PhysicalPortConfig> ports;
};

struct TopologyConfig {
  std::vector<HostConfig> hosts;
  std::vector<DvsConfig> distributed_switches;
  std::optional<PhysicalNetworkConfig> physical_network;
};

struct LoadError {
  std::vector<config::ConfigError> errors;
  std::string to_string() const;
};

// Parses and validates a whole topology (JSON text). Cross-references (port groups,
// uplinks, physical ports, mirror ports) are checked too, with the referring field's path.
core::Result<TopologyConfig, LoadError> load_topology(std::string_view json_text);
core::Result<TopologyConfig, LoadError> load_topology_file(const std::string& path);

}  // namespace vnetref::host
