// The host model: hosts with VMs, vmknics, standard switches and pNICs, distributed
// switches spanning them and the physical network, built from a TopologyConfig.
//
// Port names are "<host>/<vm>.<vnic>" for vNICs and "<host>/<vmknic>" for vmknics;
// uplinks are "<host>/<pnic>". Every vNIC and vmknic gets a GuestPort endpoint that
// counts what it receives and passes it to an optional handler (a guest model, an
// inet netstack instance, a test), so tests, benches, fuzzing and the CLI share it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/dispatch/runner.h"
#include "stack/host/config.h"
#include "stack/vswitch/dvs.h"
#include "stack/vswitch/physical.h"
#include "stack/vswitch/switch.h"

namespace vnetref::host {

// The endpoint behind a vNIC or vmknic: a frame sink/source.
class GuestPort final : public vswitch::PortEndpoint {
 public:
  using Handler = std::function<void(vswitch::PortId, core::PacketBatch&)>;

  void deliver(vswitch::PortId port, core::PacketBatch& batch) override {
    received_ += batch.size();
    for (const core::Packet* p : batch) received_bytes_ += p->pkt_len;
    if (handler_) handler_(port, batch);
  }
  // Frames for the guest go to `h` (it takes what it keeps; the rest is released).
  void set_handler(Handler h) { handler_ = std::move(h); }
  uint64_t received() const { return received_; }
  uint64_t received_bytes() const { return received_bytes_; }

 private:
  Handler handler_;
  uint64_t received_ = 0;
  uint64_t received_bytes_ = 0;
};

struct PortRef {
  vswitch::VirtualSwitch* sw = nullptr;
  vswitch::PortId id = vswitch::kNoPort;
  GuestPort* guest = nullptr;  // null for uplinks
  explicit operator bool() const { return sw != nullptr; }
  // Endpoint -> switch.
  uint32_t transmit(core::PacketBatch& b) const { return sw->transmit(id, b); }
};

// Sizes applied to every switch built (the schema keeps to policy; these are
// resource knobs of the process, e.g. small tables for fast fuzzing).
struct BuildOptions {
  uint32_t mac_table_entries = 16384;
  uint32_t queue_packets = 1024;  // each port's Tx and Rx queue
  uint32_t shaper_queue = 1024;
};

class Topology {
 public:
  ~Topology();
  static core::Result<std::unique_ptr<Topology>, std::string> build(const TopologyConfig& cfg, core::BufferPool& pool,
                                                                    const core::Clock& clock, core::TimerWheel& wheel,
                                                                    BuildOptions opts = {});

  const TopologyConfig& config() const { return cfg_; }
  PortRef port(const std::string& name) const;
  PortRef uplink(const std::string& host, const std::string& pnic) const;
  std::vector<std::string> port_names() const;
  vswitch::PhysicalSwitch* physical() const { return phys_.get(); }
  vswitch::DistributedSwitch* dvs(const std::string& name) const;
  vswitch::VirtualSwitch* standard_switch(const std::string& host, const std::string& name) const;
  std::vector<vswitch::VirtualSwitch*> switches() const;
  // Cable state of a pNIC: through the physical network when cabled (both ends see it).
  bool set_pnic_link(const std::string& host, const std::string& pnic, bool up);
  // Every poll function, for a runner (deterministic or one worker).
  std::vector<dispatch::Pollable*> pollables() const;
  void add_to(dispatch::DeterministicRunner& r) const {
    for (auto* p : pollables()) r.add(p);
  }
  // Observes every frame a switch puts on the wire through a cabled uplink.
  void set_uplink_tap(std::function<void(vswitch::VirtualSwitch&, vswitch::PortId, const core::PacketBatch&)> tap);
  // Frames still inside any switch or the physical network.
  uint64_t in_flight() const;

 private:
  Topology() = default;
  std::string attach_uplink(const std::string& host, const PnicConfig& pnic, vswitch::VirtualSwitch& sw,
                            vswitch::PortId id);

  TopologyConfig cfg_;
  std::unique_ptr<vswitch::PhysicalSwitch> phys_;
  std::map<std::string, std::unique_ptr<vswitch::VirtualSwitch>> vss_;  // "host/switch"
  std::map<std::string, std::unique_ptr<vswitch::DistributedSwitch>> dvs_;
  std::map<std::string, PortRef> ports_;
  std::map<std::string, PortRef> uplinks_;  // "host/pnic"
  std::vector<std::unique_ptr<GuestPort>> guests_;
  std::vector<std::unique_ptr<vswitch::UplinkCable>> cables_;
  std::vector<vswitch::VirtualSwitch*> cable_switch_;  // parallel to cables_
  std::vector<std::unique_ptr<vswitch::UplinkDevice>> devices_;
  std::map<uint32_t, PortRef> phys_to_uplink_;
};

}  // namespace vnetref::host
