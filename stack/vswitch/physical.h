// A model of the physical network between hosts: one learning 802.1Q bridge.
//
// Hosts' uplinks plug into its ports (access or trunk, with a native VLAN), links go
// up and down, and frames are switched by (MAC, VLAN) with learning and aging, so
// failover and multi-host scenarios run inside one process. Like the virtual
// switches it keeps VLAN tags out of band (PacketMeta::vlan_tci) and runs no STP:
// BPDUs are dropped. Tables and queues are bounded; every drop has a reason.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/counters.h"
#include "stack/core/result.h"
#include "stack/dispatch/capture.h"
#include "stack/dispatch/packet_queue.h"
#include "stack/dispatch/runner.h"
#include "stack/vswitch/mac_table.h"
#include "stack/vswitch/port.h"
#include "stack/vswitch/switch.h"
#include "stack/vswitch/types.h"

namespace vnetref::vswitch {

enum class PhysDropReason : uint8_t {
  kRunt,
  kPortDown,
  kVlanNotAllowed,
  kBpdu,
  kQueueFull,
  kNoDestination,
  kPoolExhausted,
  kSameSegment,
  kCount
};
const char* name_of(PhysDropReason r);

struct PhysPortConfig {
  std::string name;
  bool trunk = true;
  uint16_t access_vlan = 0;          // access ports: the VLAN (0 = the untagged domain)
  uint16_t native_vlan = 0;          // trunks: untagged frames belong to this VLAN
  std::vector<VlanRange> allowed = {VlanRange{0, 4094}};
  bool link_up = true;
};

struct PhysStats {
  uint64_t injected = 0;
  uint64_t copies = 0;
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t learned = 0;
  uint64_t learn_full = 0;  // MACs not learned: table at its bound (frames still forwarded)
};

class PhysicalSwitch {
 public:
  using LinkListener = std::function<void(uint32_t port, bool up)>;

  PhysicalSwitch(std::string name, core::BufferPool& pool, const core::Clock& clock, uint32_t max_macs = 8192,
                 core::Duration aging = std::chrono::seconds(300), uint32_t queue = 2048);
  ~PhysicalSwitch();

  const std::string& name() const { return name_; }
  // Ports are numbered from 1.
  uint32_t add_port(const PhysPortConfig& cfg, PortEndpoint* device);
  uint32_t port_by_name(const std::string& name) const;
  void set_device(uint32_t port, PortEndpoint* device);
  // Link state of the cable: both ends see it (the listener tells the device side).
  core::Status<PhysDropReason> set_link(uint32_t port, bool up);
  bool link_up(uint32_t port) const;
  // Changes a port's VLAN configuration (not its link state): models an upstream
  // misconfiguration that only beacon probing can detect.
  core::Status<PhysDropReason> reconfigure(uint32_t port, PhysPortConfig cfg);
  void set_link_listener(LinkListener l) { link_listener_ = std::move(l); }

  // A device sends frames into the bridge (queued; processed by poller()).
  uint32_t receive(uint32_t port, core::PacketBatch& b);
  dispatch::Pollable& poller() { return poller_; }

  const PhysStats& stats() const { return stats_; }
  const core::ReasonCounters<PhysDropReason>& drops() const { return drops_; }
  uint64_t in_flight() const;
  uint32_t lookup(const wire::MacAddress& mac, uint16_t vlan) const;
  // Shared VLAN learning (IEEE 802.1Q SVL): `vlan` learns and looks up MACs in the
  // filtering database of `shared_with`. Private VLAN-aware switches do this for a
  // primary VLAN and its secondaries, so a reply in another secondary finds the host.
  void share_learning(uint16_t vlan, uint16_t shared_with) { fid_[vlan & 0xfff] = shared_with & 0xfff; }
  dispatch::CaptureSet& captures() { return captures_; }
  void set_drop_observer(std::function<void(const core::Packet&, uint32_t, PhysDropReason)> f) {
    drop_observer_ = std::move(f);
  }

 private:
  struct Port;
  class Poller final : public dispatch::Pollable {
   public:
    explicit Poller(PhysicalSwitch& s) : s_(s) {}
    uint32_t poll(uint32_t budget) override { return s_.poll(budget); }

   private:
    PhysicalSwitch& s_;
  };
  uint32_t poll(uint32_t budget);
  void forward(Port& in, core::Packet* pkt);
  bool admits(const Port& p, uint16_t vlan) const;
  void send(Port& out, core::Packet* pkt, uint16_t vlan);
  void drop(Port* at, core::PacketPtr p, PhysDropReason r);

  std::string name_;
  core::BufferPool& pool_;
  const core::Clock& clock_;
  core::Duration aging_;
  uint32_t queue_;
  std::vector<std::unique_ptr<Port>> ports_;
  MacTable table_;
  std::array<uint16_t, 4096> fid_;
  LinkListener link_listener_;
  Poller poller_{*this};
  PhysStats stats_;
  core::ReasonCounters<PhysDropReason> drops_;
  dispatch::CaptureSet captures_;
  std::function<void(const core::Packet&, uint32_t, PhysDropReason)> drop_observer_;
};

// Connects a virtual switch's uplink to a physical-switch port: frames and link
// state flow both ways. Owned by whoever builds the topology (the host model).
class UplinkCable final : public PortEndpoint {
 public:
  // Observes every frame put on the wire (fuzzing oracles, tools); null = none.
  using Tap = std::function<void(PortId uplink, const core::PacketBatch&)>;

  UplinkCable(PhysicalSwitch& phys, uint32_t phys_port) : phys_(phys), phys_port_(phys_port) {}
  // Virtual switch -> wire.
  void deliver(PortId uplink, core::PacketBatch& batch) override {
    if (tap_) tap_(uplink, batch);
    phys_.receive(phys_port_, batch);
  }
  uint32_t phys_port() const { return phys_port_; }
  void set_tap(Tap t) { tap_ = std::move(t); }

 private:
  PhysicalSwitch& phys_;
  uint32_t phys_port_;
  Tap tap_;
};

// The other direction of the cable: wire -> the virtual switch's uplink Tx queue.
class UplinkDevice final : public PortEndpoint {
 public:
  UplinkDevice(VirtualSwitch& sw, PortId uplink) : sw_(sw), uplink_(uplink) {}
  void deliver(PortId, core::PacketBatch& batch) override { sw_.transmit(uplink_, batch); }

 private:
  VirtualSwitch& sw_;
  PortId uplink_;
};

}  // namespace vnetref::vswitch
