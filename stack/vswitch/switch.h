// VirtualSwitch: the forwarding engine of a standard switch (VSS) and of each
// host's proxy of a distributed switch (DVS), over packet batches.
//
// Forwarding follows the real switch, not a learning bridge: the MACs of local
// vNICs and vmknics are registered when they connect; unknown unicast from a VM
// leaves by the team's uplink, unknown unicast from an uplink is dropped; broadcast
// and multicast flood within the VLAN; a frame that arrived on an uplink never
// leaves by another (split horizon: no STP needed, BPDUs are dropped).
//
// VLAN tags live out of band inside the switch (PacketMeta::vlan_tci, like
// vmxnet3's VLAN offload): an in-band tag is stripped into the metadata on input;
// frames handed to uplinks and guest-tagging (trunk) ports carry the tag in the
// metadata, frames handed to other ports carry none ("strip on delivery").
//
// Per port: Tx queue (endpoint -> switch), attach stages before/after the IOChain
// in both directions, optional shapers, Rx queue (switch -> endpoint), capture
// points. Everything bounded; every drop has a DropReason.
//
// Threading: one worker drives switching_poller() and the timers; the delivery
// poller may run on another worker (the queues between them are SPSC rings).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/counters.h"
#include "stack/core/result.h"
#include "stack/core/timer_wheel.h"
#include "stack/dispatch/capture.h"
#include "stack/dispatch/packet_queue.h"
#include "stack/dispatch/runner.h"
#include "stack/vswitch/ipfix.h"
#include "stack/vswitch/mac_table.h"
#include "stack/vswitch/mirror.h"
#include "stack/vswitch/policy.h"
#include "stack/vswitch/port.h"
#include "stack/vswitch/shaper.h"
#include "stack/vswitch/types.h"
#include "stack/wire/mac_address.h"

namespace vnetref::vswitch {

enum class SwitchError : uint8_t {
  kDuplicateName,
  kUnknownPortGroup,
  kUnknownUplink,
  kUnknownPort,
  kPortIdInUse,
  kPortTableFull,
  kInvalidPolicy,
  kNotDistributed,
  kInvalidMirror,
  kCount
};
const char* name_of(SwitchError e);

struct SwitchOptions {
  std::string name = "vSwitch0";
  bool distributed = false;       // enables PVLAN, mirroring, LBT, MAC learning, IPFIX, egress shaping
  uint32_t max_ports = 4096;
  uint32_t mac_table_entries = 16384;
  uint32_t tx_queue = 1024;       // per port, packets
  uint32_t rx_queue = 1024;
  uint32_t shaper_queue = 1024;
  uint32_t reinject_queue = 256;
  core::Duration beacon_interval = std::chrono::seconds(1);
  uint32_t beacon_miss_limit = 3;  // intervals without beacons before an uplink is suspect
  core::Duration lbt_interval = std::chrono::seconds(30);
  double lbt_threshold = 0.75;
  core::Duration learning_sweep = std::chrono::seconds(10);
};

struct UplinkSpec {
  std::string name;
  wire::MacAddress mac;      // the physical NIC's MAC (beacons, encapsulation source)
  uint64_t speed_mbps = 10'000;
  bool link_up = true;
  PortId id = kNoPort;       // 0: next free id
};

struct PortSpec {
  PortKind kind = PortKind::kVnic;
  std::string name;           // e.g. "vm1.eth0", "vmk0"
  std::string port_group;
  wire::MacAddress mac;
  PortOverrides overrides;
  PortId id = kNoPort;        // 0: next free id (a DVS passes its DVS-wide id)
};

struct PortCounters {
  uint64_t in_packets = 0, in_bytes = 0;    // endpoint -> switch
  uint64_t out_packets = 0, out_bytes = 0;  // switch -> endpoint
  uint64_t drops = 0;
};

struct SwitchStats {
  uint64_t injected = 0;    // frames that entered from ports (incl. re-injections)
  uint64_t generated = 0;   // frames the switch made (RARP, beacons, IPFIX, ERSPAN)
  uint64_t copies = 0;      // extra copies made by flooding, promiscuous ports and mirroring
  uint64_t delivered = 0;   // copies handed to endpoints
  uint64_t dropped = 0;     // copies dropped (sum of drop reasons)
  uint64_t rarp_sent = 0;
  uint64_t beacons_sent = 0;
  uint64_t lbt_moves = 0;
  uint64_t failovers = 0;   // port -> uplink mapping changes caused by uplink state
  uint64_t mirrored = 0;
  uint64_t learned = 0;
  uint64_t aged = 0;
};

class VirtualSwitch {
 public:
  using DropObserver = std::function<void(const core::Packet&, PortId at, DropReason)>;

  VirtualSwitch(SwitchOptions opts, core::BufferPool& pool, const core::Clock& clock, core::TimerWheel& wheel);
  ~VirtualSwitch();
  VirtualSwitch(const VirtualSwitch&) = delete;
  VirtualSwitch& operator=(const VirtualSwitch&) = delete;

  const std::string& name() const { return opts_.name; }
  const SwitchOptions& options() const { return opts_; }
  bool distributed() const { return opts_.distributed; }

  // ---- configuration (control path) ----
  core::Status<SwitchError> add_port_group(PortGroupConfig pg);
  core::Status<SwitchError> update_port_group(const PortGroupConfig& pg);
  const PortGroupConfig* port_group(const std::string& name) const;
  core::Result<PortId, SwitchError> add_uplink(const UplinkSpec& spec, PortEndpoint* endpoint);
  core::Result<PortId, SwitchError> connect(const PortSpec& spec, PortEndpoint* endpoint);
  core::Status<SwitchError> disconnect(PortId id);
  core::Status<SwitchError> set_overrides(PortId id, const PortOverrides& o);
  // The guest changed its MAC (effective MAC); notify switches follows the policy.
  core::Status<SwitchError> set_effective_mac(PortId id, wire::MacAddress mac);
  // Physical link state of an uplink (link-status failure detection).
  core::Status<SwitchError> set_link(PortId uplink, bool up);
  core::Status<SwitchError> add_pvlan(const PvlanEntry& e);
  core::Status<SwitchError> add_mirror(const MirrorSession& s);
  core::Status<SwitchError> configure_ipfix(const IpfixConfig& cfg);
  core::Status<SwitchError> attach(PortId id, AttachStage stage, PortFilter* filter);
  // Sends RARP frames for the port's MAC on its current uplink (VM power-on / move).
  void notify_port(PortId id);

  // ---- data path ----
  // Endpoint -> switch: queues the batch on the port's Tx queue. Frames that do not
  // fit are dropped (kTxQueueFull) and counted. Returns how many were queued.
  // Runs on the caller's (the endpoint's) worker: its drop counting touches only the
  // queue's producer-side counter, and a drop observer / capture is called there.
  uint32_t transmit(PortId id, core::PacketBatch& batch);
  // Switches frames queued on every port's Tx queue (and re-injected ones).
  dispatch::Pollable& switching_poller() { return switching_poller_; }
  // Hands frames queued on every port's Rx queue to the endpoints.
  dispatch::Pollable& delivery_poller() { return delivery_poller_; }
  // Processes a batch as if it came from `id` right now, bypassing the Tx queue
  // (used by the poll loop itself and by benchmarks of the single-threaded path).
  void process_input(PortId id, core::PacketBatch& batch);

  dispatch::CaptureSet& captures() { return captures_; }
  void set_drop_observer(DropObserver f) { drop_observer_ = std::move(f); }

  // ---- introspection ----
  bool has_port(PortId id) const { return find(id) != nullptr; }
  PortKind port_kind(PortId id) const;
  const std::string& port_name(PortId id) const;
  std::string port_group_of(PortId id) const;
  PortCounters port_counters(PortId id) const;
  // The uplink the port's traffic currently uses (for a broadcast from its own MAC).
  PortId current_uplink(PortId id);
  bool uplink_usable(PortId uplink) const;
  PortId uplink_by_name(const std::string& name) const;
  std::vector<PortId> ports() const;
  std::vector<PortId> uplinks() const;
  // Counters written by other workers (delivery, transmit overflow) are folded in here.
  SwitchStats stats() const;
  core::ReasonCounters<DropReason> drops() const;
  const MacTable& mac_table() const { return table_; }
  uint32_t learned_count(PortId id) const;
  const FlowExporter* ipfix() const { return ipfix_.get(); }
  // Frames currently inside the switch: queues, shapers, filters.
  uint64_t in_flight() const;
  core::CounterList counters() const;
  core::BufferPool& pool() { return pool_; }
  const core::Clock& clock() const { return clock_; }
  // The ids a PVLAN secondary maps to (DVS), for tests and the fuzzer's oracle.
  PvlanType pvlan_type(uint16_t vlan) const { return pvlan_[vlan & 0xfff].type; }
  uint16_t pvlan_primary(uint16_t vlan) const { return pvlan_[vlan & 0xfff].primary; }

 private:
  struct Port;
  struct TeamState;
  struct Classified;
  friend class FilterContext;

  class SwitchingPoller final : public dispatch::Pollable {
   public:
    explicit SwitchingPoller(VirtualSwitch& s) : s_(s) {}
    uint32_t poll(uint32_t budget) override { return s_.poll_switching(budget); }

   private:
    VirtualSwitch& s_;
  };
  class DeliveryPoller final : public dispatch::Pollable {
   public:
    explicit DeliveryPoller(VirtualSwitch& s) : s_(s) {}
    uint32_t poll(uint32_t budget) override { return s_.poll_delivery(budget); }

   private:
    VirtualSwitch& s_;
  };

  Port* find(PortId id) const { return id < by_id_.size() ? by_id_[id] : nullptr; }
  core::Result<PortId, SwitchError> allocate_id(PortId wanted);
  void apply_policy(Port& p);
  void register_mac(Port& p);
  void unregister_mac(Port& p);
  void rebuild_membership();
  void recompute_teams(bool notify);
  TeamState* team_of(const Port& p) const;
  Port* select_uplink(Port& src, const core::Packet& pkt);
  Port* home_uplink(Port& src);
  void send_rarp(Port& port, Port& uplink);

  uint32_t poll_switching(uint32_t budget);
  uint32_t poll_delivery(uint32_t budget);
  void run_filters(Port& p, core::PacketBatch& b, core::Direction dir, int from_stage);
  void input_after_filters(Port& p, core::PacketBatch& b);
  void switch_batch(Port& src, core::PacketBatch& b);
  void forward_one(Port& src, core::Packet* pkt);
  bool classify(Port& src, core::Packet* pkt, Classified& c);
  DropReason vlan_admits(const Classified& c, const Port& dst) const;
  void enqueue_out(Port& dst, core::Packet* pkt);
  void enqueue_copy(Port& dst, const core::Packet& pkt);
  void flush_outputs();
  void output_path(Port& dst, core::PacketBatch& b, int from_stage);
  void output_after_filters(Port& dst, core::PacketBatch& b);
  void to_rx_queue(Port& dst, core::PacketBatch& b);
  void drop(Port* at, core::PacketPtr p, DropReason r);
  void drop_batch(Port* at, core::PacketBatch& b, DropReason r);
  void emit_generated(Port& uplink, core::PacketPtr p);
  void handle_beacon(Port& uplink, const core::Packet& pkt);
  void beacon_tick();
  void lbt_tick();
  void learning_sweep();
  void ipfix_tick();
  void arm_shaper_timer(Port& p, bool input);
  void mirror_frame(Port& src, const core::Packet& pkt, MirrorDirection dir);
  bool remote_destination(Port& uplink, core::Packet* pkt, uint16_t vlan);
  void send_ipfix(std::span<const uint8_t> msg);
  Port* first_usable_uplink() const;

  SwitchOptions opts_;
  core::BufferPool& pool_;
  const core::Clock& clock_;
  core::TimerWheel& wheel_;
  uint32_t switch_tag_;  // identifies our beacons

  std::vector<std::unique_ptr<Port>> port_store_;
  std::vector<Port*> by_id_;
  std::vector<Port*> uplinks_;
  std::vector<Port*> endpoints_;  // non-uplink ports
  std::vector<Port*> dirty_;      // ports with pending output this batch
  std::vector<PortGroupConfig> groups_;
  std::vector<std::unique_ptr<TeamState>> teams_;  // parallel to groups_
  MacTable table_;
  // Flood membership by key VLAN (non-uplink, non-trunk ports); trunk ports separately.
  std::unordered_map<uint16_t, std::vector<Port*>> members_;
  std::vector<Port*> trunk_ports_;
  std::vector<Port*> promisc_ports_;
  std::vector<Port*> learning_ports_;
  struct PvlanInfo {
    uint16_t primary = 0;
    PvlanType type = PvlanType::kNone;
  };
  std::array<PvlanInfo, 4096> pvlan_{};
  std::vector<MirrorSession> mirrors_;
  bool mirror_any_ = false;
  std::unique_ptr<FlowExporter> ipfix_;
  uint32_t mirror_seq_ = 0;
  uint32_t beacon_seq_ = 0;

  core::Timer beacon_timer_;
  core::Timer lbt_timer_;
  core::Timer learning_timer_;
  core::Timer ipfix_timer_;

  dispatch::CaptureSet captures_;
  DropObserver drop_observer_;
  SwitchingPoller switching_poller_{*this};
  DeliveryPoller delivery_poller_{*this};
  SwitchStats stats_;  // written by the switching worker
  // Written by the delivery poller, which may run on another worker: own cache line.
  alignas(dispatch::kCacheLine) std::atomic<uint64_t> delivered_{0};
  // transmit() to a port id that does not exist (caller's worker).
  alignas(dispatch::kCacheLine) dispatch::OwnedCounter tx_no_port_;
  core::ReasonCounters<DropReason> drops_;
  uint32_t rr_cursor_ = 0;
};

}  // namespace vnetref::vswitch
