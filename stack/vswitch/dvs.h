// Distributed switch: one configuration spanning several hosts.
//
// The DVS object owns the configuration (distributed port groups, private VLANs,
// mirroring sessions, IPFIX) and hands out DVS-wide port ids; each host holds a
// proxy switch (a VirtualSwitch in distributed mode) built from that
// configuration. Changing a port group reconfigures every proxy; a port keeps its
// id when its VM moves to another host (and notify-switches announces the move).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stack/core/result.h"
#include "stack/vswitch/switch.h"

namespace vnetref::vswitch {

struct DvsConfig {
  std::string name = "dvs0";
  std::vector<std::string> uplink_names = {"uplink1", "uplink2"};
  std::vector<PortGroupConfig> port_groups;
  std::vector<PvlanEntry> pvlans;
  std::vector<MirrorSession> mirrors;  // port ids are DVS-wide
  IpfixConfig ipfix;
  SwitchOptions options;  // name and `distributed` are set by the DVS
};

class DistributedSwitch {
 public:
  explicit DistributedSwitch(DvsConfig cfg);

  const std::string& name() const { return cfg_.name; }
  const DvsConfig& config() const { return cfg_; }

  // Creates the host's proxy switch with every port group and PVLAN.
  core::Result<VirtualSwitch*, SwitchError> add_host(const std::string& host, core::BufferPool& pool,
                                                     const core::Clock& clock, core::TimerWheel& wheel);
  VirtualSwitch* proxy(const std::string& host) const;
  std::vector<std::string> hosts() const;

  // Binds a host's physical NIC to one of the DVS uplink names.
  core::Result<PortId, SwitchError> add_uplink(const std::string& host, const std::string& dvs_uplink,
                                               wire::MacAddress mac, uint64_t speed_mbps, PortEndpoint* endpoint);
  // Connects a VM vNIC or vmknic on `host`; the id is DVS-wide.
  core::Result<PortId, SwitchError> connect(const std::string& host, PortSpec spec, PortEndpoint* endpoint);
  // Moves a connected port to another host (a vMotion), keeping its id and policy.
  core::Status<SwitchError> migrate(PortId id, const std::string& to_host, PortEndpoint* endpoint);
  std::string host_of(PortId id) const;

  core::Status<SwitchError> update_port_group(const PortGroupConfig& pg);
  // Mirroring sessions and IPFIX apply to every proxy (call after ports exist or before: both work).
  core::Status<SwitchError> add_mirror(const MirrorSession& s);
  core::Status<SwitchError> configure_ipfix(const IpfixConfig& cfg);

 private:
  struct Host {
    std::string name;
    std::unique_ptr<VirtualSwitch> proxy;
  };
  struct PortRecord {
    PortId id;
    std::string host;
    PortSpec spec;
  };
  Host* find_host(const std::string& name);
  PortId next_id();

  DvsConfig cfg_;
  std::vector<Host> hosts_;
  std::vector<PortRecord> ports_;
  PortId next_ = 1;
};

}  // namespace vnetref::vswitch
