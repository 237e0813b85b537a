#include "stack/vswitch/switch.h"

#include <algorithm>
#include <cstring>

#include "stack/core/views.h"
#include "stack/vswitch/frames.h"
#include "stack/wire/bytes.h"

namespace vnetref::vswitch {

using core::Packet;
using core::PacketBatch;
using core::PacketPtr;

const char* name_of(SwitchError e) {
  switch (e) {
    case SwitchError::kDuplicateName: return "duplicate_name";
    case SwitchError::kUnknownPortGroup: return "unknown_port_group";
    case SwitchError::kUnknownUplink: return "unknown_uplink";
    case SwitchError::kUnknownPort: return "unknown_port";
    case SwitchError::kPortIdInUse: return "port_id_in_use";
    case SwitchError::kPortTableFull: return "port_table_full";
    case SwitchError::kInvalidPolicy: return "invalid_policy";
    case SwitchError::kNotDistributed: return "not_distributed";
    case SwitchError::kInvalidMirror: return "invalid_mirror";
    case SwitchError::kCount: break;
  }
  return "?";
}

const char* name_of(AttachStage s) {
  switch (s) {
    case AttachStage::kPreChain: return "pre_chain";
    case AttachStage::kChain: return "chain";
    case AttachStage::kPostChain: return "post_chain";
    case AttachStage::kCount: break;
  }
  return "?";
}

namespace {
constexpr uint16_t kTrunkKey = 0x0fff;  // MAC-table VLAN of guest-tagging ports (4095 never occurs in frames)
constexpr uint8_t kFlagMirrorCopy = 0x01;
constexpr uint8_t kBpdu[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};

uint32_t fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

// Cuts a packet (possibly a chain) to `len` bytes; frees segments past the cut.
void truncate_packet(Packet& head, uint32_t len) {
  if (head.pkt_len <= len) return;
  head.pkt_len = len;
  uint32_t left = len;
  for (Packet* s = &head; s != nullptr; s = s->next) {
    if (s->data_len >= left) {
      s->data_len = left;
      if (s->next != nullptr) {
        core::free_chain(s->next);
        s->next = nullptr;
      }
      return;
    }
    left -= s->data_len;
  }
}
}  // namespace

// ---------------------------------------------------------------------------------
struct VirtualSwitch::Port {
  PortId id = kNoPort;
  PortKind kind = PortKind::kVnic;
  bool is_uplink = false;
  std::string name;
  std::string group;
  int group_index = -1;
  wire::MacAddress configured_mac;
  wire::MacAddress effective_mac;
  uint64_t eff_mac = 0;
  uint64_t registered_key = 0;
  bool registered = false;
  PortEndpoint* endpoint = nullptr;
  PortOverrides overrides;

  // Effective policy (port group merged with overrides).
  VlanPolicy vlan;
  SecurityPolicy security;
  MacLearningPolicy learning;
  bool blocked = false;
  uint16_t key_vlan = 0;
  uint16_t wire_vlan = 0;
  PvlanType pvtype = PvlanType::kNone;
  uint16_t pv_primary = 0;

  std::unique_ptr<dispatch::PacketQueue> txq;
  std::unique_ptr<dispatch::PacketQueue> rxq;
  std::unique_ptr<Shaper> shaper_in;
  std::unique_ptr<Shaper> shaper_out;
  core::Timer shaper_in_timer;
  core::Timer shaper_out_timer;
  std::array<PortFilter*, 3> filters{};
  std::array<FilterContext, 3> ctx{};
  struct Reinjected {
    Packet* pkt;
    core::Direction dir;
    uint8_t stage;
  };
  std::vector<Reinjected> reinject;

  PacketBatch out;
  bool dirty = false;
  PortCounters counters;

  // Uplinks.
  uint64_t speed_mbps = 0;
  bool link_up = true;
  bool beacon_failed = false;
  int64_t last_heard_ns = 0;
  int64_t heard_by_others_ns = 0;
  uint64_t lbt_in_snap = 0, lbt_out_snap = 0;

  // Teaming cache and LBT placement.
  Port* home = nullptr;
  uint32_t home_gen = ~0u;
  PortId lbt_uplink = kNoPort;
  uint32_t learned = 0;
  bool mirror_in = false;   // source of an ingress-mirroring session
  bool mirror_out = false;  // source of an egress-mirroring session
};

struct VirtualSwitch::TeamState {
  TeamingConfig cfg;
  std::vector<Port*> active;
  std::vector<Port*> standby;
  std::vector<Port*> effective;
  std::vector<PortId> demoted;  // recovered actives kept as standby (failback off)
  uint32_t gen = 1;
  bool ip_hash() const { return cfg.policy == TeamingPolicy::kIpHash; }
};

struct VirtualSwitch::Classified {
  uint16_t key_vlan = 0;
  uint16_t wire_vlan = 0;
  PvlanType pvtype = PvlanType::kNone;
};

// ---- FilterContext ----------------------------------------------------------------
core::Instant FilterContext::now() const { return sw_->clock_.now(); }
core::BufferPool& FilterContext::pool() const { return sw_->pool_; }

void FilterContext::drop(PacketPtr p) {
  if (!p) return;
  if (in_call_) {
    ++completed_in_call_;
  } else if (held_ > 0) {
    --held_;
  }
  ++drops_;
  sw_->drop(sw_->find(port_), std::move(p), DropReason::kFilterDrop);
}

bool FilterContext::reinject(PacketPtr p, core::Direction dir) {
  if (!p) return false;
  VirtualSwitch::Port* port = sw_->find(port_);
  if (in_call_) {
    ++completed_in_call_;  // netted against the batch's shrinkage after process()
  } else if (held_ > 0) {
    --held_;
  } else {
    ++sw_->stats_.generated;  // a packet the filter made itself
  }
  if (port == nullptr || port->reinject.size() >= sw_->opts_.reinject_queue) {
    sw_->drop(port, std::move(p), DropReason::kFilterDrop);
    return false;
  }
  ++reinjected_;
  port->reinject.push_back({p.release(), dir, static_cast<uint8_t>(stage_)});
  return true;
}

// ---- construction ---------------------------------------------------------------
VirtualSwitch::VirtualSwitch(SwitchOptions opts, core::BufferPool& pool, const core::Clock& clock,
                             core::TimerWheel& wheel)
    : opts_(std::move(opts)),
      pool_(pool),
      clock_(clock),
      wheel_(wheel),
      switch_tag_(fnv1a(opts_.name)),
      table_(opts_.mac_table_entries) {
  beacon_timer_.set_callback([this] { beacon_tick(); });
  lbt_timer_.set_callback([this] { lbt_tick(); });
  learning_timer_.set_callback([this] { learning_sweep(); });
  ipfix_timer_.set_callback([this] { ipfix_tick(); });
}

VirtualSwitch::~VirtualSwitch() {
  beacon_timer_.cancel();
  lbt_timer_.cancel();
  learning_timer_.cancel();
  ipfix_timer_.cancel();
  for (auto& p : port_store_) {
    p->shaper_in_timer.cancel();
    p->shaper_out_timer.cancel();
    for (auto& r : p->reinject) core::free_chain(r.pkt);
    p->reinject.clear();
  }
}

core::Result<PortId, SwitchError> VirtualSwitch::allocate_id(PortId wanted) {
  if (port_store_.size() >= opts_.max_ports) return core::Err(SwitchError::kPortTableFull);
  constexpr PortId kMaxId = 1u << 20;  // bounds the id-indexed array
  if (wanted == kNoPort) {
    wanted = 1;
    while (find(wanted) != nullptr) ++wanted;
  }
  if (wanted >= kMaxId) return core::Err(SwitchError::kPortTableFull);
  if (find(wanted) != nullptr) return core::Err(SwitchError::kPortIdInUse);
  if (by_id_.size() <= wanted) by_id_.resize(wanted + 1, nullptr);
  return wanted;
}

core::Status<SwitchError> VirtualSwitch::add_port_group(PortGroupConfig pg) {
  for (const auto& g : groups_)
    if (g.name == pg.name) return core::Err(SwitchError::kDuplicateName);
  if (!opts_.distributed) {
    if (pg.vlan.mode == VlanMode::kPvlan || pg.shaping_out.enabled || pg.mac_learning.enabled ||
        pg.teaming.policy == TeamingPolicy::kLoadBased)
      return core::Err(SwitchError::kNotDistributed);
  }
  if (pg.vlan.mode == VlanMode::kAccess && (pg.vlan.vlan == 0 || pg.vlan.vlan > 4094))
    return core::Err(SwitchError::kInvalidPolicy);
  if (pg.vlan.mode == VlanMode::kPvlan && pvlan_[pg.vlan.vlan & 0xfff].type == PvlanType::kNone)
    return core::Err(SwitchError::kInvalidPolicy);
  if (pg.teaming.policy == TeamingPolicy::kIpHash && !pg.teaming.standby.empty())
    return core::Err(SwitchError::kInvalidPolicy);  // IP hash needs every uplink active
  // A standard switch's teaming lists must name its uplinks; a DVS proxy resolves
  // the DVS uplink names as the host binds NICs to them.
  if (!opts_.distributed) {
    for (const auto& n : pg.teaming.active)
      if (uplink_by_name(n) == kNoPort) return core::Err(SwitchError::kUnknownUplink);
    for (const auto& n : pg.teaming.standby)
      if (uplink_by_name(n) == kNoPort) return core::Err(SwitchError::kUnknownUplink);
  }
  groups_.push_back(std::move(pg));
  teams_.push_back(std::make_unique<TeamState>());
  recompute_teams(false);
  if (groups_.back().teaming.detection == FailureDetection::kBeaconProbing && !beacon_timer_.armed())
    wheel_.schedule_after(beacon_timer_, opts_.beacon_interval);
  if (groups_.back().teaming.policy == TeamingPolicy::kLoadBased && !lbt_timer_.armed())
    wheel_.schedule_after(lbt_timer_, opts_.lbt_interval);
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::update_port_group(const PortGroupConfig& pg) {
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].name != pg.name) continue;
    PortGroupConfig old = groups_[i];
    groups_.erase(groups_.begin() + static_cast<std::ptrdiff_t>(i));
    auto t = std::move(teams_[i]);
    teams_.erase(teams_.begin() + static_cast<std::ptrdiff_t>(i));
    auto st = add_port_group(pg);
    if (!st) {
      groups_.insert(groups_.begin() + static_cast<std::ptrdiff_t>(i), old);
      teams_.insert(teams_.begin() + static_cast<std::ptrdiff_t>(i), std::move(t));
      return st;
    }
    // Keep indexes stable: move the new group back to its old position.
    std::rotate(groups_.begin() + static_cast<std::ptrdiff_t>(i), groups_.end() - 1, groups_.end());
    std::rotate(teams_.begin() + static_cast<std::ptrdiff_t>(i), teams_.end() - 1, teams_.end());
    for (Port* p : endpoints_)
      if (p->group == pg.name) {
        unregister_mac(*p);
        apply_policy(*p);
        register_mac(*p);
      }
    rebuild_membership();
    recompute_teams(true);
    return core::Ok{};
  }
  return core::Err(SwitchError::kUnknownPortGroup);
}

const PortGroupConfig* VirtualSwitch::port_group(const std::string& name) const {
  for (const auto& g : groups_)
    if (g.name == name) return &g;
  return nullptr;
}

core::Result<PortId, SwitchError> VirtualSwitch::add_uplink(const UplinkSpec& spec, PortEndpoint* endpoint) {
  if (uplink_by_name(spec.name) != kNoPort) return core::Err(SwitchError::kDuplicateName);
  auto id = allocate_id(spec.id);
  if (!id) return id;
  auto p = std::make_unique<Port>();
  p->id = *id;
  p->kind = PortKind::kUplink;
  p->is_uplink = true;
  p->name = spec.name;
  p->configured_mac = p->effective_mac = spec.mac;
  p->eff_mac = mac_to_u64(spec.mac.bytes().data());
  p->endpoint = endpoint;
  p->vlan.mode = VlanMode::kTrunk;
  p->vlan.trunk = {VlanRange{0, 4094}};
  p->speed_mbps = spec.speed_mbps == 0 ? 1 : spec.speed_mbps;
  p->link_up = spec.link_up;
  p->last_heard_ns = p->heard_by_others_ns = core::to_nanos(clock_.now());
  p->txq = std::make_unique<dispatch::PacketQueue>(opts_.tx_queue);
  p->rxq = std::make_unique<dispatch::PacketQueue>(opts_.rx_queue);
  for (int s = 0; s < 3; ++s) {
    p->ctx[s].sw_ = this;
    p->ctx[s].port_ = *id;
    p->ctx[s].stage_ = static_cast<AttachStage>(s);
  }
  by_id_[*id] = p.get();
  uplinks_.push_back(p.get());
  port_store_.push_back(std::move(p));
  recompute_teams(false);
  return id;
}

void VirtualSwitch::apply_policy(Port& p) {
  const PortGroupConfig* g = nullptr;
  p.group_index = -1;
  for (size_t i = 0; i < groups_.size(); ++i)
    if (groups_[i].name == p.group) {
      g = &groups_[i];
      p.group_index = static_cast<int>(i);
    }
  if (g == nullptr) return;
  p.vlan = p.overrides.vlan.value_or(g->vlan);
  if (p.vlan.mode == VlanMode::kTrunk && p.vlan.trunk.empty()) p.vlan.trunk = {VlanRange{0, 4094}};
  p.security = p.overrides.security.value_or(g->security);
  p.learning = p.overrides.mac_learning.value_or(g->mac_learning);
  p.blocked = p.overrides.blocked.value_or(g->blocked);
  p.pvtype = PvlanType::kNone;
  p.pv_primary = 0;
  switch (p.vlan.mode) {
    case VlanMode::kNone: p.key_vlan = p.wire_vlan = 0; break;
    case VlanMode::kAccess: p.key_vlan = p.wire_vlan = p.vlan.vlan; break;
    case VlanMode::kTrunk: p.key_vlan = kTrunkKey; p.wire_vlan = 0; break;
    case VlanMode::kPvlan: {
      const PvlanInfo& info = pvlan_[p.vlan.vlan & 0xfff];
      p.pvtype = info.type;
      p.pv_primary = info.primary;
      p.key_vlan = info.primary;
      p.wire_vlan = p.vlan.vlan;
      break;
    }
  }
  const ShapingPolicy in = p.overrides.shaping_in.value_or(g->shaping_in);
  const ShapingPolicy out = p.overrides.shaping_out.value_or(g->shaping_out);
  if (in.enabled) {
    if (!p.shaper_in) p.shaper_in = std::make_unique<Shaper>(opts_.shaper_queue);
    p.shaper_in->configure(in, clock_.now());
  } else if (p.shaper_in) {
    ShapingPolicy off;
    p.shaper_in->configure(off, clock_.now());
  }
  if (out.enabled && opts_.distributed) {
    if (!p.shaper_out) p.shaper_out = std::make_unique<Shaper>(opts_.shaper_queue);
    p.shaper_out->configure(out, clock_.now());
  } else if (p.shaper_out) {
    ShapingPolicy off;
    p.shaper_out->configure(off, clock_.now());
  }
  p.home_gen = ~0u;
}

void VirtualSwitch::register_mac(Port& p) {
  if (p.is_uplink) return;
  const wire::MacAddress& mac = p.security.mac_changes ? p.effective_mac : p.configured_mac;
  p.registered_key = mac_key(mac.bytes().data(), p.key_vlan);
  p.registered = table_.upsert(p.registered_key, p.id, MacOrigin::kRegistered, core::to_nanos(clock_.now()));
}

void VirtualSwitch::unregister_mac(Port& p) {
  if (p.registered) {
    MacEntry* e = table_.find(p.registered_key);
    if (e != nullptr && e->port == p.id) table_.remove(p.registered_key);
    p.registered = false;
  }
}

core::Result<PortId, SwitchError> VirtualSwitch::connect(const PortSpec& spec, PortEndpoint* endpoint) {
  if (spec.kind == PortKind::kUplink) return core::Err(SwitchError::kInvalidPolicy);
  if (port_group(spec.port_group) == nullptr) return core::Err(SwitchError::kUnknownPortGroup);
  if (!opts_.distributed && (spec.overrides.shaping_out || spec.overrides.mac_learning))
    return core::Err(SwitchError::kNotDistributed);
  if (spec.overrides.vlan && spec.overrides.vlan->mode == VlanMode::kPvlan &&
      pvlan_[spec.overrides.vlan->vlan & 0xfff].type == PvlanType::kNone)
    return core::Err(SwitchError::kInvalidPolicy);
  auto id = allocate_id(spec.id);
  if (!id) return id;
  auto p = std::make_unique<Port>();
  p->id = *id;
  p->kind = spec.kind;
  p->name = spec.name;
  p->group = spec.port_group;
  p->configured_mac = p->effective_mac = spec.mac;
  p->eff_mac = mac_to_u64(spec.mac.bytes().data());
  p->endpoint = endpoint;
  p->overrides = spec.overrides;
  p->txq = std::make_unique<dispatch::PacketQueue>(opts_.tx_queue);
  p->rxq = std::make_unique<dispatch::PacketQueue>(opts_.rx_queue);
  for (int s = 0; s < 3; ++s) {
    p->ctx[s].sw_ = this;
    p->ctx[s].port_ = *id;
    p->ctx[s].stage_ = static_cast<AttachStage>(s);
  }
  Port& ref = *p;
  by_id_[*id] = p.get();
  endpoints_.push_back(p.get());
  port_store_.push_back(std::move(p));
  apply_policy(ref);
  register_mac(ref);
  for (const auto& s : mirrors_) {
    if (std::find(s.sources.begin(), s.sources.end(), ref.id) == s.sources.end()) continue;
    ref.mirror_in |= (static_cast<uint8_t>(s.direction) & 1) != 0;
    ref.mirror_out |= (static_cast<uint8_t>(s.direction) & 2) != 0;
  }
  rebuild_membership();
  if (ref.learning.enabled && !learning_timer_.armed()) wheel_.schedule_after(learning_timer_, opts_.learning_sweep);
  return id;
}

core::Status<SwitchError> VirtualSwitch::disconnect(PortId id) {
  Port* p = find(id);
  if (p == nullptr) return core::Err(SwitchError::kUnknownPort);
  // Whatever is still queued for or from the port is dropped with a reason.
  PacketBatch b;
  while (p->txq->dequeue(b) > 0) drop_batch(p, b, DropReason::kPortDown);
  while (p->rxq->dequeue(b) > 0) drop_batch(p, b, DropReason::kPortDown);
  if (p->shaper_in) {
    while (p->shaper_in->queued() > 0) {
      p->shaper_in->configure(ShapingPolicy{}, clock_.now());
      p->shaper_in->release(b, core::Instant::max());
      drop_batch(p, b, DropReason::kPortDown);
    }
  }
  if (p->shaper_out) {
    while (p->shaper_out->queued() > 0) {
      p->shaper_out->configure(ShapingPolicy{}, clock_.now());
      p->shaper_out->release(b, core::Instant::max());
      drop_batch(p, b, DropReason::kPortDown);
    }
  }
  for (auto& r : p->reinject) drop(p, PacketPtr(r.pkt), DropReason::kPortDown);
  p->reinject.clear();
  if (p->dirty) {
    drop_batch(p, p->out, DropReason::kPortDown);
    dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), p), dirty_.end());
    p->dirty = false;
  }
  p->shaper_in_timer.cancel();
  p->shaper_out_timer.cancel();
  unregister_mac(*p);
  table_.remove_port(id);
  by_id_[id] = nullptr;
  endpoints_.erase(std::remove(endpoints_.begin(), endpoints_.end(), p), endpoints_.end());
  uplinks_.erase(std::remove(uplinks_.begin(), uplinks_.end(), p), uplinks_.end());
  for (auto& other : port_store_)
    if (other->home == p) other->home_gen = ~0u;
  port_store_.erase(std::remove_if(port_store_.begin(), port_store_.end(),
                                   [p](const std::unique_ptr<Port>& x) { return x.get() == p; }),
                    port_store_.end());
  rebuild_membership();
  recompute_teams(true);
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::set_overrides(PortId id, const PortOverrides& o) {
  Port* p = find(id);
  if (p == nullptr || p->is_uplink) return core::Err(SwitchError::kUnknownPort);
  if (!opts_.distributed && (o.shaping_out || o.mac_learning)) return core::Err(SwitchError::kNotDistributed);
  unregister_mac(*p);
  p->overrides = o;
  apply_policy(*p);
  register_mac(*p);
  rebuild_membership();
  if (p->learning.enabled && !learning_timer_.armed()) wheel_.schedule_after(learning_timer_, opts_.learning_sweep);
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::set_effective_mac(PortId id, wire::MacAddress mac) {
  Port* p = find(id);
  if (p == nullptr || p->is_uplink) return core::Err(SwitchError::kUnknownPort);
  unregister_mac(*p);
  p->effective_mac = mac;
  p->eff_mac = mac_to_u64(mac.bytes().data());
  register_mac(*p);
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::set_link(PortId uplink, bool up) {
  Port* p = find(uplink);
  if (p == nullptr || !p->is_uplink) return core::Err(SwitchError::kUnknownUplink);
  if (p->link_up == up) return core::Ok{};
  p->link_up = up;
  if (up) p->last_heard_ns = p->heard_by_others_ns = core::to_nanos(clock_.now());  // beacon grace period
  recompute_teams(true);
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::add_pvlan(const PvlanEntry& e) {
  if (!opts_.distributed) return core::Err(SwitchError::kNotDistributed);
  if (e.primary == 0 || e.primary > 4094 || e.secondary == 0 || e.secondary > 4094)
    return core::Err(SwitchError::kInvalidPolicy);
  const bool promisc = e.type == PvlanType::kPromiscuous;
  if (promisc != (e.primary == e.secondary)) return core::Err(SwitchError::kInvalidPolicy);
  PvlanInfo& cur = pvlan_[e.secondary];
  if (cur.type != PvlanType::kNone && (cur.primary != e.primary || cur.type != e.type))
    return core::Err(SwitchError::kInvalidPolicy);
  if (!promisc && pvlan_[e.primary].type != PvlanType::kPromiscuous) {
    // The primary is implied: create its promiscuous entry.
    pvlan_[e.primary] = PvlanInfo{e.primary, PvlanType::kPromiscuous};
  }
  if (!promisc && e.type == PvlanType::kIsolated) {
    for (const auto& info : pvlan_)
      if (info.primary == e.primary && info.type == PvlanType::kIsolated && &info != &cur)
        return core::Err(SwitchError::kInvalidPolicy);  // one isolated secondary per primary
  }
  cur = PvlanInfo{e.primary, e.type};
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::add_mirror(const MirrorSession& s) {
  if (!opts_.distributed) return core::Err(SwitchError::kNotDistributed);
  if (!validate(s).empty()) return core::Err(SwitchError::kInvalidMirror);
  for (const auto& n : s.uplinks)
    if (uplink_by_name(n) == kNoPort) return core::Err(SwitchError::kUnknownUplink);
  mirrors_.push_back(s);
  mirror_any_ = true;
  for (Port* p : endpoints_) {
    for (PortId src : s.sources) {
      if (src != p->id) continue;
      p->mirror_in |= (static_cast<uint8_t>(s.direction) & 1) != 0;
      p->mirror_out |= (static_cast<uint8_t>(s.direction) & 2) != 0;
    }
  }
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::configure_ipfix(const IpfixConfig& cfg) {
  if (!opts_.distributed) return core::Err(SwitchError::kNotDistributed);
  if (!cfg.enabled) {
    if (ipfix_) ipfix_->flush(core::to_nanos(clock_.now()));
    ipfix_.reset();
    ipfix_timer_.cancel();
    return core::Ok{};
  }
  ipfix_ = std::make_unique<FlowExporter>(cfg);
  ipfix_->set_sink([this](std::span<const uint8_t> m) { send_ipfix(m); });
  wheel_.schedule_after(ipfix_timer_, std::chrono::seconds(1));
  return core::Ok{};
}

core::Status<SwitchError> VirtualSwitch::attach(PortId id, AttachStage stage, PortFilter* filter) {
  Port* p = find(id);
  if (p == nullptr || stage == AttachStage::kCount) return core::Err(SwitchError::kUnknownPort);
  p->filters[static_cast<size_t>(stage)] = filter;
  return core::Ok{};
}

// ---- teaming ------------------------------------------------------------------------
VirtualSwitch::TeamState* VirtualSwitch::team_of(const Port& p) const {
  if (p.group_index < 0 || static_cast<size_t>(p.group_index) >= teams_.size()) return nullptr;
  return teams_[static_cast<size_t>(p.group_index)].get();
}

bool VirtualSwitch::uplink_usable(PortId id) const {
  const Port* p = find(id);
  return p != nullptr && p->is_uplink && p->link_up && !p->beacon_failed;
}

PortId VirtualSwitch::uplink_by_name(const std::string& name) const {
  for (const Port* u : uplinks_)
    if (u->name == name) return u->id;
  return kNoPort;
}

void VirtualSwitch::recompute_teams(bool notify) {
  // Remember each port's current home to detect failovers.
  std::vector<std::pair<Port*, Port*>> before;
  if (notify)
    for (Port* p : endpoints_) before.emplace_back(p, home_uplink(*p));

  for (size_t i = 0; i < groups_.size(); ++i) {
    TeamState& t = *teams_[i];
    t.cfg = groups_[i].teaming;
    t.active.clear();
    t.standby.clear();
    if (t.cfg.active.empty() && t.cfg.standby.empty()) {
      t.active = uplinks_;
    } else {
      for (const auto& n : t.cfg.active)
        if (Port* u = find(uplink_by_name(n))) t.active.push_back(u);
      for (const auto& n : t.cfg.standby)
        if (Port* u = find(uplink_by_name(n))) t.standby.push_back(u);
    }
    auto usable = [](const Port* u) { return u->link_up && !u->beacon_failed; };
    auto demoted = [&t](const Port* u) { return std::find(t.demoted.begin(), t.demoted.end(), u->id) != t.demoted.end(); };
    // Failback off: an active that recovers after a failover waits as a standby.
    if (!t.cfg.failback) {
      for (const Port* u : t.active) {
        const bool was_in_use = std::find(t.effective.begin(), t.effective.end(), u) != t.effective.end();
        if (usable(u) && !was_in_use && !t.effective.empty() && !demoted(u) && t.gen > 1) t.demoted.push_back(u->id);
      }
    } else {
      t.demoted.clear();
    }
    std::vector<Port*> eff;
    for (Port* u : t.active)
      if (usable(u) && !demoted(u)) eff.push_back(u);
    if (eff.empty()) {
      for (Port* u : t.standby)
        if (usable(u)) eff.push_back(u);
      for (Port* u : t.active)
        if (usable(u) && demoted(u)) eff.push_back(u);
    }
    // Explicit failover uses only the first; the others keep the full set.
    if (eff != t.effective) {
      t.effective = std::move(eff);
      ++t.gen;
    }
  }
  if (!notify) return;
  for (auto& [p, old] : before) {
    Port* now = home_uplink(*p);
    if (now != old && old != nullptr) {
      ++stats_.failovers;
      TeamState* t = team_of(*p);
      if (now != nullptr && t != nullptr && t->cfg.notify_switches) send_rarp(*p, *now);
    }
  }
}

VirtualSwitch::Port* VirtualSwitch::home_uplink(Port& src) {
  TeamState* t = team_of(src);
  if (t == nullptr || t->effective.empty()) {
    src.home = nullptr;
    src.home_gen = t != nullptr ? t->gen : ~0u;
    return nullptr;
  }
  if (src.home_gen == t->gen) return src.home;
  const size_t n = t->effective.size();
  Port* h = nullptr;
  switch (t->cfg.policy) {
    case TeamingPolicy::kExplicitFailover: h = t->effective[0]; break;
    case TeamingPolicy::kLoadBased:
      if (src.lbt_uplink != kNoPort) {
        for (Port* u : t->effective)
          if (u->id == src.lbt_uplink) h = u;
      }
      if (h == nullptr) h = t->effective[src.id % n];
      break;
    case TeamingPolicy::kOriginatingPortId: h = t->effective[src.id % n]; break;
    case TeamingPolicy::kSourceMacHash: {
      const auto& m = src.effective_mac.bytes();
      h = t->effective[(m[0] ^ m[1] ^ m[2] ^ m[3] ^ m[4] ^ m[5]) % n];
      break;
    }
    case TeamingPolicy::kIpHash: h = t->effective[src.effective_mac.bytes()[5] % n]; break;
  }
  src.home = h;
  src.home_gen = t->gen;
  return h;
}

VirtualSwitch::Port* VirtualSwitch::select_uplink(Port& src, const Packet& pkt) {
  TeamState* t = team_of(src);
  if (t == nullptr) return nullptr;
  switch (t->cfg.policy) {
    case TeamingPolicy::kSourceMacHash: {
      if (t->effective.empty()) return nullptr;
      const uint8_t* s = pkt.data() + 6;
      return t->effective[(s[0] ^ s[1] ^ s[2] ^ s[3] ^ s[4] ^ s[5]) % t->effective.size()];
    }
    case TeamingPolicy::kIpHash: {
      if (t->effective.empty()) return nullptr;
      const uint8_t* d = pkt.data();
      uint32_t h;
      if (pkt.data_len >= 34 && d[12] == 0x08 && d[13] == 0x00) {
        h = d[14 + 15] ^ d[14 + 19];  // last octets of source and destination IPv4 address
      } else {
        h = d[5] ^ d[11];  // non-IP: last octets of the MACs (vnetref's choice)
      }
      return t->effective[h % t->effective.size()];
    }
    default: return home_uplink(src);
  }
}

PortId VirtualSwitch::current_uplink(PortId id) {
  Port* p = find(id);
  if (p == nullptr || p->is_uplink) return kNoPort;
  Port* u = home_uplink(*p);
  return u != nullptr ? u->id : kNoPort;
}

void VirtualSwitch::send_rarp(Port& port, Port& uplink) {
  PacketPtr p = pool_.alloc();
  if (!p) {
    drops_.inc(DropReason::kPoolExhausted);
    ++stats_.generated;
    ++stats_.dropped;
    return;
  }
  const size_t len = build_rarp(std::span<uint8_t>(p->data(), p->tailroom()), port.effective_mac);
  p->data_len = p->pkt_len = static_cast<uint32_t>(len);
  p->meta.vlan_tci = port.vlan.mode == VlanMode::kTrunk ? 0 : port.wire_vlan;
  p->meta.ingress_port = port.id;
  p->meta.timestamp_ns = static_cast<uint64_t>(core::to_nanos(clock_.now()));
  ++stats_.rarp_sent;
  emit_generated(uplink, std::move(p));
}

void VirtualSwitch::notify_port(PortId id) {
  Port* p = find(id);
  if (p == nullptr || p->is_uplink) return;
  TeamState* t = team_of(*p);
  Port* u = home_uplink(*p);
  if (u != nullptr && t != nullptr && t->cfg.notify_switches) send_rarp(*p, *u);
}

void VirtualSwitch::emit_generated(Port& uplink, PacketPtr p) {
  ++stats_.generated;
  PacketBatch b;
  (void)b.push(std::move(p));
  output_path(uplink, b, 0);
}

VirtualSwitch::Port* VirtualSwitch::first_usable_uplink() const {
  for (Port* u : uplinks_)
    if (u->link_up && !u->beacon_failed) return u;
  return nullptr;
}

// ---- beacon probing ----------------------------------------------------------------
void VirtualSwitch::beacon_tick() {
  const int64_t now = core::to_nanos(clock_.now());
  std::vector<Port*> probed;
  std::vector<uint16_t> vlans;
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].teaming.detection != FailureDetection::kBeaconProbing) continue;
    for (Port* u : teams_[i]->active)
      if (std::find(probed.begin(), probed.end(), u) == probed.end()) probed.push_back(u);
    for (Port* u : teams_[i]->standby)
      if (std::find(probed.begin(), probed.end(), u) == probed.end()) probed.push_back(u);
    uint16_t v = 0;
    if (groups_[i].vlan.mode == VlanMode::kAccess) v = groups_[i].vlan.vlan;
    if (groups_[i].vlan.mode == VlanMode::kPvlan) v = pvlan_[groups_[i].vlan.vlan & 0xfff].primary;
    if (std::find(vlans.begin(), vlans.end(), v) == vlans.end()) vlans.push_back(v);
  }
  if (probed.empty()) return;  // no group probes any more: let the timer lapse
  std::sort(probed.begin(), probed.end(), [](const Port* a, const Port* b) { return a->id < b->id; });
  // Judge the last intervals first, then send this interval's beacons.
  const int64_t limit = static_cast<int64_t>(opts_.beacon_miss_limit) * opts_.beacon_interval.count();
  if (probed.size() >= 3) {
    bool changed = false;
    size_t alive = 0;
    for (Port* u : probed) {
      const int64_t heard = std::max(u->last_heard_ns, u->heard_by_others_ns);
      if (u->link_up && now - heard <= limit) ++alive;
    }
    for (Port* u : probed) {
      const int64_t heard = std::max(u->last_heard_ns, u->heard_by_others_ns);
      // When nobody hears anybody the fault cannot be placed: keep every uplink
      // ("shotgun" mode) rather than failing them all.
      const bool failed = u->link_up && alive > 0 && now - heard > limit;
      if (failed != u->beacon_failed) {
        u->beacon_failed = failed;
        changed = true;
      }
    }
    if (changed) recompute_teams(true);
  }
  for (Port* u : probed) {
    if (!u->link_up) continue;
    for (uint16_t v : vlans) {
      PacketPtr p = pool_.alloc();
      if (!p) {
        drops_.inc(DropReason::kPoolExhausted);
        ++stats_.generated;
        ++stats_.dropped;
        continue;
      }
      const size_t len = build_beacon(std::span<uint8_t>(p->data(), p->tailroom()), u->configured_mac, switch_tag_,
                                      u->id, beacon_seq_);
      p->data_len = p->pkt_len = static_cast<uint32_t>(len);
      p->meta.vlan_tci = v;
      p->meta.timestamp_ns = static_cast<uint64_t>(now);
      ++stats_.beacons_sent;
      emit_generated(*u, std::move(p));
    }
  }
  ++beacon_seq_;
  wheel_.schedule_after(beacon_timer_, opts_.beacon_interval);
}

void VirtualSwitch::handle_beacon(Port& uplink, const Packet& pkt) {
  BeaconInfo info;
  if (!parse_beacon(pkt.bytes(), info) || info.switch_tag != switch_tag_) return;
  Port* sender = find(info.uplink);
  if (sender == nullptr || !sender->is_uplink || sender == &uplink) return;
  const int64_t now = core::to_nanos(clock_.now());
  uplink.last_heard_ns = now;
  sender->heard_by_others_ns = now;
}

// ---- load-based teaming -----------------------------------------------------------
void VirtualSwitch::lbt_tick() {
  bool any = false;
  const double secs = std::chrono::duration<double>(opts_.lbt_interval).count();
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].teaming.policy != TeamingPolicy::kLoadBased) continue;
    any = true;
  }
  if (!any) return;
  struct Load {
    Port* u;
    double util;
  };
  std::vector<Load> loads;
  for (Port* u : uplinks_) {
    const uint64_t din = u->counters.in_bytes - u->lbt_in_snap;
    const uint64_t dout = u->counters.out_bytes - u->lbt_out_snap;
    const double bps = static_cast<double>(std::max(din, dout)) * 8.0 / secs;
    loads.push_back({u, bps / (static_cast<double>(u->speed_mbps) * 1e6)});
  }
  // Per-port load over the same window.
  std::unordered_map<Port*, uint64_t> port_load;
  for (Port* p : endpoints_) {
    port_load[p] = (p->counters.in_bytes - p->lbt_in_snap) + (p->counters.out_bytes - p->lbt_out_snap);
  }
  for (auto& l : loads) {
    if (l.util < opts_.lbt_threshold) continue;
    // Candidate ports of LBT groups whose traffic uses this uplink, busiest first.
    Port* best = nullptr;
    for (Port* p : endpoints_) {
      TeamState* t = team_of(*p);
      if (t == nullptr || t->cfg.policy != TeamingPolicy::kLoadBased) continue;
      if (home_uplink(*p) != l.u) continue;
      if (best == nullptr || port_load[p] > port_load[best]) best = p;
    }
    if (best == nullptr) continue;
    TeamState* t = team_of(*best);
    Load* target = nullptr;
    for (auto& c : loads) {
      if (c.u == l.u || std::find(t->effective.begin(), t->effective.end(), c.u) == t->effective.end()) continue;
      if (target == nullptr || c.util < target->util) target = &c;
    }
    if (target == nullptr || target->util >= opts_.lbt_threshold) continue;
    best->lbt_uplink = target->u->id;
    best->home_gen = ~0u;
    ++stats_.lbt_moves;
    // Account the moved port's load to its new uplink for the rest of this round.
    const double moved = static_cast<double>(port_load[best]) * 8.0 / secs;
    target->util += moved / (static_cast<double>(target->u->speed_mbps) * 1e6);
    l.util -= moved / (static_cast<double>(l.u->speed_mbps) * 1e6);
    if (t->cfg.notify_switches) send_rarp(*best, *target->u);
  }
  for (Port* u : uplinks_) {
    u->lbt_in_snap = u->counters.in_bytes;
    u->lbt_out_snap = u->counters.out_bytes;
  }
  for (Port* p : endpoints_) {
    p->lbt_in_snap = p->counters.in_bytes;
    p->lbt_out_snap = p->counters.out_bytes;
  }
  wheel_.schedule_after(lbt_timer_, opts_.lbt_interval);
}

// ---- MAC learning -----------------------------------------------------------------
void VirtualSwitch::learning_sweep() {
  const int64_t now = core::to_nanos(clock_.now());
  std::vector<std::pair<uint64_t, PortId>> expired;
  table_.for_each([&](const MacEntry& e) {
    if (e.origin != MacOrigin::kLearned) return;
    const Port* p = find(e.port);
    const int64_t aging = int64_t{p != nullptr ? p->learning.aging_seconds : 0} * 1'000'000'000;
    if (p == nullptr || now - e.last_seen_ns >= aging) expired.emplace_back(e.key & ~MacTable::kUsed, e.port);
  });
  for (auto& [k, port] : expired) {
    table_.remove(k);
    if (Port* p = find(port); p != nullptr && p->learned > 0) --p->learned;
    ++stats_.aged;
  }
  if (!learning_ports_.empty() || table_.size() > 0) wheel_.schedule_after(learning_timer_, opts_.learning_sweep);
}

uint32_t VirtualSwitch::learned_count(PortId id) const {
  const Port* p = find(id);
  return p != nullptr ? p->learned : 0;
}

// ---- IPFIX ------------------------------------------------------------------------
void VirtualSwitch::ipfix_tick() {
  if (!ipfix_) return;
  ipfix_->expire(core::to_nanos(clock_.now()));
  wheel_.schedule_after(ipfix_timer_, std::chrono::seconds(1));
}

void VirtualSwitch::send_ipfix(std::span<const uint8_t> msg) {
  Port* u = first_usable_uplink();
  PacketPtr p = u != nullptr ? pool_.alloc() : PacketPtr();
  if (!p || p->tailroom() < msg.size() + 42) {
    drops_.inc(u == nullptr ? DropReason::kNoUplink : DropReason::kPoolExhausted);
    ++stats_.generated;
    ++stats_.dropped;
    return;
  }
  const IpfixConfig& c = ipfix_->config();
  const size_t len = build_udp4(std::span<uint8_t>(p->data(), p->tailroom()), c.collector_next_hop,
                                u->configured_mac, c.switch_ip, c.collector_ip, c.collector_port, c.collector_port, msg);
  p->data_len = p->pkt_len = static_cast<uint32_t>(len);
  emit_generated(*u, std::move(p));
}

// ---- data path: input ---------------------------------------------------------------
uint32_t VirtualSwitch::transmit(PortId id, PacketBatch& batch) {
  Port* p = find(id);
  auto release = [&](Port* at, DropReason r) {
    // Counted by the caller-side counters (tx_no_port_ / the queue's rejected count).
    for (uint32_t i = 0; i < batch.size(); ++i) {
      PacketPtr pkt = batch.take(i);
      if (captures_.active())
        captures_.on_packet(id, at != nullptr ? at->name : name(), dispatch::CapturePoint::kDrop, *pkt, name_of(r));
      if (drop_observer_) drop_observer_(*pkt, id, r);
    }
    batch.compact();
  };
  if (p == nullptr) {
    tx_no_port_.add(batch.size());
    release(nullptr, DropReason::kPortDown);
    return 0;
  }
  const uint32_t queued = p->txq->enqueue(batch);
  if (!batch.empty()) release(p, DropReason::kTxQueueFull);
  return queued;
}

SwitchStats VirtualSwitch::stats() const {
  SwitchStats s = stats_;
  s.delivered = delivered_.load(std::memory_order_relaxed);
  uint64_t rejected = tx_no_port_.get();
  for (const auto& p : port_store_) rejected += p->txq->stats().rejected_full;
  s.injected += rejected;
  s.dropped += rejected;
  return s;
}

core::ReasonCounters<DropReason> VirtualSwitch::drops() const {
  core::ReasonCounters<DropReason> d = drops_;
  uint64_t full = 0;
  for (const auto& p : port_store_) full += p->txq->stats().rejected_full;
  d.inc(DropReason::kTxQueueFull, full);
  d.inc(DropReason::kPortDown, tx_no_port_.get());
  return d;
}

uint32_t VirtualSwitch::poll_switching(uint32_t budget) {
  uint32_t work = 0;
  // Re-injected packets first: they were accepted earlier.
  for (auto& up : port_store_) {
    Port& p = *up;
    if (p.reinject.empty()) continue;
    std::vector<Port::Reinjected> items;
    items.swap(p.reinject);
    for (const auto& r : items) {
      PacketBatch b;
      (void)b.push(PacketPtr(r.pkt));
      ++work;
      run_filters(p, b, r.dir, r.stage + 1);
    }
  }
  const size_t n = port_store_.size();
  for (size_t k = 0; k < n && work < budget * 4; ++k) {
    Port& p = *port_store_[(rr_cursor_ + k) % n];
    if (p.txq->empty()) continue;
    PacketBatch b;
    const uint32_t got = p.txq->dequeue(b, budget);
    if (got == 0) continue;
    work += got;
    stats_.injected += got;
    process_input(p.id, b);
  }
  if (n > 0) rr_cursor_ = (rr_cursor_ + 1) % static_cast<uint32_t>(n);
  return work;
}

void VirtualSwitch::process_input(PortId id, PacketBatch& b) {
  Port* p = find(id);
  if (p == nullptr) {
    drop_batch(nullptr, b, DropReason::kPortDown);
    return;
  }
  uint64_t bytes = 0;
  const int64_t now = core::to_nanos(clock_.now());
  for (Packet* pkt : b) {
    bytes += pkt->pkt_len;
    pkt->meta.ingress_port = id;
    pkt->meta.egress_port = kNoPort;
    pkt->meta.direction = core::Direction::kEgress;
    if (pkt->meta.timestamp_ns == 0) pkt->meta.timestamp_ns = static_cast<uint64_t>(now);
  }
  p->counters.in_packets += b.size();
  p->counters.in_bytes += bytes;
  if (captures_.active()) captures_.on_batch(id, p->name, dispatch::CapturePoint::kPortInput, b);
  run_filters(*p, b, core::Direction::kEgress, 0);
}

void VirtualSwitch::run_filters(Port& p, PacketBatch& b, core::Direction dir, int from_stage) {
  const bool input = dir == core::Direction::kEgress;
  for (int s = from_stage; s < 3 && !b.empty(); ++s) {
    if (s == 1 && captures_.active())
      captures_.on_batch(p.id, p.name,
                         input ? dispatch::CapturePoint::kInputPreChain : dispatch::CapturePoint::kOutputPreChain, b);
    PortFilter* f = p.filters[static_cast<size_t>(s)];
    if (f != nullptr) {
      FilterContext& ctx = p.ctx[static_cast<size_t>(s)];
      const uint32_t before = b.size();
      ctx.in_call_ = true;
      ctx.completed_in_call_ = 0;
      f->process(b, dir, ctx);
      ctx.in_call_ = false;
      b.compact();
      // Taken and not completed yet: held. Completed more than taken: the filter made
      // new packets (e.g. a reply), which count as generated.
      const int64_t net = static_cast<int64_t>(before) - static_cast<int64_t>(b.size()) - ctx.completed_in_call_;
      if (net >= 0) {
        ctx.held_ += net;
      } else {
        stats_.generated += static_cast<uint64_t>(-net);
      }
    }
    if (s == 1 && captures_.active())
      captures_.on_batch(p.id, p.name,
                         input ? dispatch::CapturePoint::kInputPostChain : dispatch::CapturePoint::kOutputPostChain, b);
  }
  if (b.empty()) return;
  if (input) {
    input_after_filters(p, b);
  } else {
    output_after_filters(p, b);
  }
}

void VirtualSwitch::input_after_filters(Port& p, PacketBatch& b) {
  if (p.shaper_in && p.shaper_in->enabled()) {
    PacketBatch pass, rejected;
    p.shaper_in->admit(b, pass, rejected, clock_.now());
    drop_batch(&p, rejected, DropReason::kShaperQueueFull);
    if (p.shaper_in->queued() > 0) arm_shaper_timer(p, true);
    switch_batch(p, pass);
    return;
  }
  switch_batch(p, b);
}

void VirtualSwitch::arm_shaper_timer(Port& p, bool input) {
  Shaper& s = input ? *p.shaper_in : *p.shaper_out;
  core::Timer& t = input ? p.shaper_in_timer : p.shaper_out_timer;
  auto when = s.next_release(clock_.now());
  if (!when) return;
  Port* pp = &p;
  t.set_callback([this, pp, input] {
    PacketBatch out;
    Shaper& sh = input ? *pp->shaper_in : *pp->shaper_out;
    sh.release(out, clock_.now());
    if (input) {
      switch_batch(*pp, out);
    } else {
      to_rx_queue(*pp, out);
    }
    if (sh.queued() > 0) arm_shaper_timer(*pp, input);
  });
  wheel_.schedule(t, *when);
}

void VirtualSwitch::switch_batch(Port& src, PacketBatch& b) {
  if (b.empty()) return;
  if (src.blocked || (src.is_uplink && !src.link_up)) {
    drop_batch(&src, b, DropReason::kPortDown);
    return;
  }
  const uint32_t n = b.size();
  for (uint32_t i = 0; i < n; ++i) {
    if (i + 2 < n) __builtin_prefetch(b[i + 2]->data());
    if (i + 4 < n) __builtin_prefetch(b[i + 4]);
    Packet* pkt = b.take(i).release();
    forward_one(src, pkt);
  }
  b.compact();
  flush_outputs();
}

bool VirtualSwitch::classify(Port& src, Packet* pkt, Classified& c) {
  uint8_t* d = pkt->data();
  uint16_t tci = pkt->meta.vlan_tci;
  const uint16_t et = static_cast<uint16_t>((d[12] << 8) | d[13]);
  if ((et == 0x8100 || et == 0x88a8) && tci == 0) {
    // In-band tag: move it out of band (the frame must be ours to modify).
    if (pkt->data_len < 18) return false;  // caller pulled up 18 bytes when it could
    tci = static_cast<uint16_t>((d[14] << 8) | d[15]);
    if ((tci & 0x0fff) == 0x0fff) {
      drop(&src, PacketPtr(pkt), DropReason::kBadVlanTag);
      return false;
    }
    std::memmove(d + 4, d, 12);
    pkt->data_off += 4;
    pkt->data_len -= 4;
    pkt->pkt_len -= 4;
  }
  const uint16_t vid = tci & 0x0fff;
  const uint16_t prio = tci & 0xf000;
  if (src.is_uplink) {
    c.wire_vlan = vid;
    const PvlanInfo& info = pvlan_[vid];
    c.pvtype = info.type;
    c.key_vlan = info.type != PvlanType::kNone ? info.primary : vid;
  } else {
    switch (src.vlan.mode) {
      case VlanMode::kNone:
        if (vid != 0) goto not_allowed;
        c.key_vlan = c.wire_vlan = 0;
        c.pvtype = PvlanType::kNone;
        break;
      case VlanMode::kAccess:
        if (vid != 0) goto not_allowed;
        c.key_vlan = c.wire_vlan = src.vlan.vlan;
        c.pvtype = PvlanType::kNone;
        break;
      case VlanMode::kTrunk: {
        if (!src.vlan.trunk_allows(vid)) goto not_allowed;
        c.wire_vlan = vid;
        const PvlanInfo& info = pvlan_[vid];
        c.pvtype = info.type;
        c.key_vlan = info.type != PvlanType::kNone ? info.primary : vid;
        break;
      }
      case VlanMode::kPvlan:
        if (vid != 0) goto not_allowed;
        c.key_vlan = src.pv_primary;
        c.wire_vlan = src.wire_vlan;
        c.pvtype = src.pvtype;
        break;
    }
  }
  pkt->meta.vlan_tci = static_cast<uint16_t>(prio | c.wire_vlan);
  return true;
not_allowed:
  drop(&src, PacketPtr(pkt), DropReason::kVlanNotAllowed);
  return false;
}

DropReason VirtualSwitch::vlan_admits(const Classified& c, const Port& dst) const {
  constexpr DropReason kOk = DropReason::kCount;
  if (dst.is_uplink) return kOk;
  switch (dst.vlan.mode) {
    case VlanMode::kNone:
      return c.pvtype == PvlanType::kNone && c.wire_vlan == 0 ? kOk : DropReason::kVlanNotAllowed;
    case VlanMode::kAccess:
      return c.pvtype == PvlanType::kNone && c.wire_vlan == dst.vlan.vlan ? kOk : DropReason::kVlanNotAllowed;
    case VlanMode::kTrunk:
      return dst.vlan.trunk_allows(c.wire_vlan) ? kOk : DropReason::kVlanNotAllowed;
    case VlanMode::kPvlan: {
      if (c.pvtype == PvlanType::kNone || c.key_vlan != dst.pv_primary) return DropReason::kVlanNotAllowed;
      if (c.pvtype == PvlanType::kPromiscuous || dst.pvtype == PvlanType::kPromiscuous) return kOk;
      if (c.pvtype == PvlanType::kCommunity && dst.pvtype == PvlanType::kCommunity && c.wire_vlan == dst.wire_vlan)
        return kOk;
      return DropReason::kPvlanIsolation;
    }
  }
  return DropReason::kVlanNotAllowed;
}

void VirtualSwitch::forward_one(Port& src, Packet* pkt) {
  constexpr DropReason kOk = DropReason::kCount;
  // Headers must be contiguous: pull up the rare chained frame whose head is short.
  if (pkt->data_len < 18 && pkt->pkt_len > pkt->data_len) {
    PacketPtr pp(pkt);
    if (!core::mbuf::pullup(pp, std::min<uint32_t>(pp->pkt_len, 18), pool_)) {
      const DropReason r = pp->pkt_len < 14 ? DropReason::kRunt : DropReason::kPoolExhausted;
      drop(&src, std::move(pp), r);
      return;
    }
    pkt = pp.release();
  }
  if (pkt->data_len < 14) {
    drop(&src, PacketPtr(pkt), DropReason::kRunt);
    return;
  }
  {
    const uint8_t* d = pkt->data();
    const bool tagged = (d[12] == 0x81 && d[13] == 0x00) || (d[12] == 0x88 && d[13] == 0xa8);
    if (tagged && pkt->meta.vlan_tci == 0) {
      if (pkt->data_len < 18) {
        drop(&src, PacketPtr(pkt), DropReason::kRunt);
        return;
      }
      if (pkt->shared()) {
        PacketPtr pp(pkt);
        if (!pool_.make_writable(pp)) {
          drop(&src, std::move(pp), DropReason::kPoolExhausted);
          return;
        }
        pkt = pp.release();
      }
    }
  }
  Classified c;
  if (!classify(src, pkt, c)) return;
  const uint8_t* d = pkt->data();
  if (std::memcmp(d, kBpdu, 6) == 0) {
    drop(&src, PacketPtr(pkt), DropReason::kBpdu);
    return;
  }
  const uint64_t src_mac = mac_to_u64(d + 6);
  if (src.is_uplink) {
    if (d[12] == (kBeaconEtherType >> 8) && d[13] == (kBeaconEtherType & 0xff)) {
      handle_beacon(src, *pkt);
      drop(&src, PacketPtr(pkt), DropReason::kBeaconConsumed);
      return;
    }
    if (mirror_any_ && remote_destination(src, pkt, c.wire_vlan)) return;
    const PortId owner = table_.lookup((src_mac << 12) | c.key_vlan);
    if (owner != kNoPort) {
      const Port* o = find(owner);
      if (o != nullptr && !o->is_uplink) {
        drop(&src, PacketPtr(pkt), DropReason::kReflected);
        return;
      }
    }
  } else if (src_mac != src.eff_mac) {
    if (src.learning.enabled) {
      // MAC learning port: the guest may source other MACs (nested hypervisors, bridges).
      const uint64_t key = (src_mac << 12) | c.key_vlan;
      MacEntry* e = table_.find(key);
      const int64_t now = core::to_nanos(clock_.now());
      if (e != nullptr && e->origin == MacOrigin::kLearned) {
        if (e->port != src.id) {
          if (src.learned >= src.learning.limit) {
            if (src.learning.drop_at_limit) {
              drop(&src, PacketPtr(pkt), DropReason::kMacLimit);
              return;
            }
          } else {
            if (Port* old = find(e->port); old != nullptr && old->learned > 0) --old->learned;
            e->port = src.id;
            ++src.learned;
          }
        }
        e->last_seen_ns = now;
      } else if (e == nullptr) {
        if (src.learned >= src.learning.limit) {
          if (src.learning.drop_at_limit) {
            drop(&src, PacketPtr(pkt), DropReason::kMacLimit);
            return;
          }
        } else if (table_.upsert(key, src.id, MacOrigin::kLearned, now)) {
          ++src.learned;
          ++stats_.learned;
        }
      }
    } else if (!src.security.forged_transmits) {
      drop(&src, PacketPtr(pkt), DropReason::kForgedTransmit);
      return;
    }
  }
  if (src.mirror_in && (pkt->meta.flags & kFlagMirrorCopy) == 0) mirror_frame(src, *pkt, MirrorDirection::kIngress);

  if ((d[0] & 1) == 0) {
    // Known unicast: one lookup on (MAC, VLAN); guest-tagging ports as a fallback.
    PortId dport = table_.lookup((mac_to_u64(d) << 12) | c.key_vlan);
    if (dport == kNoPort && !trunk_ports_.empty()) dport = table_.lookup((mac_to_u64(d) << 12) | kTrunkKey);
    Port* dst = dport != kNoPort ? find(dport) : nullptr;
    if (dst != nullptr) {
      if (dst == &src) {
        drop(&src, PacketPtr(pkt), DropReason::kSameSegment);
        return;
      }
      const DropReason r = vlan_admits(c, *dst);
      if (r != kOk) {
        drop(&src, PacketPtr(pkt), r);
        return;
      }
      if (!promisc_ports_.empty()) {
        for (Port* p : promisc_ports_)
          if (p != &src && p != dst && !p->blocked && vlan_admits(c, *p) == kOk) enqueue_copy(*p, *pkt);
      }
      if (ipfix_ && !(ipfix_->config().internal_flows_only && src.is_uplink))
        ipfix_->observe(pkt->bytes(), pkt->pkt_len, c.wire_vlan, src.id, dst->id, core::to_nanos(clock_.now()));
      enqueue_out(*dst, pkt);
      return;
    }
    // Unknown unicast: to the team's uplink (from a VM), plus MAC-learning ports
    // that flood unknown unicast and promiscuous ports; dropped from an uplink.
    Port* out = src.is_uplink ? nullptr : select_uplink(src, *pkt);
    Port* targets[64];
    uint32_t nt = 0;
    for (Port* p : learning_ports_) {
      if (nt == 63) break;
      if (p == &src || p->blocked || !p->learning.unknown_unicast_flooding || vlan_admits(c, *p) != kOk) continue;
      targets[nt++] = p;
    }
    for (Port* p : promisc_ports_) {
      if (nt == 63) break;
      if (p == &src || p->blocked || p->learning.enabled || vlan_admits(c, *p) != kOk) continue;
      targets[nt++] = p;
    }
    if (out != nullptr) {
      if (ipfix_ && !ipfix_->config().internal_flows_only)
        ipfix_->observe(pkt->bytes(), pkt->pkt_len, c.wire_vlan, src.id, out->id, core::to_nanos(clock_.now()));
      targets[nt++] = out;
    }
    if (nt == 0) {
      drop(&src, PacketPtr(pkt), src.is_uplink ? DropReason::kUnknownUnicastUplink : DropReason::kNoUplink);
      return;
    }
    for (uint32_t i = 0; i + 1 < nt; ++i) enqueue_copy(*targets[i], *pkt);
    enqueue_out(*targets[nt - 1], pkt);
    return;
  }

  // Broadcast / multicast: flood within the VLAN.
  Port* targets[64];
  uint32_t nt = 0;
  std::vector<Port*> more;  // only used past 64 destinations
  auto add = [&](Port* p) {
    if (nt < 64) {
      targets[nt++] = p;
    } else {
      more.push_back(p);
    }
  };
  auto consider = [&](Port* p) {
    if (p == &src || p->blocked || vlan_admits(c, *p) != kOk) return;
    if (src.is_uplink) {
      // Reverse filter: a port accepts floods only from the uplink it is teamed to,
      // so a broadcast the physical network sends down every uplink arrives once.
      TeamState* t = team_of(*p);
      if (t != nullptr && !t->ip_hash() && home_uplink(*p) != &src) return;
    }
    add(p);
  };
  auto it = members_.find(c.key_vlan);
  if (it != members_.end())
    for (Port* p : it->second) consider(p);
  for (Port* p : trunk_ports_) consider(p);
  if (!src.is_uplink) {
    if (Port* u = select_uplink(src, *pkt)) add(u);
  }
  const uint32_t total = nt + static_cast<uint32_t>(more.size());
  if (total == 0) {
    drop(&src, PacketPtr(pkt), DropReason::kNoDestination);
    return;
  }
  if (ipfix_ && !(ipfix_->config().internal_flows_only && src.is_uplink))
    ipfix_->observe(pkt->bytes(), pkt->pkt_len, c.wire_vlan, src.id, 0, core::to_nanos(clock_.now()));
  for (uint32_t i = 0; i + 1 < total; ++i) enqueue_copy(i < nt ? *targets[i] : *more[i - nt], *pkt);
  enqueue_out(total - 1 < nt ? *targets[total - 1] : *more[total - 1 - nt], pkt);
}

void VirtualSwitch::enqueue_out(Port& dst, Packet* pkt) {
  pkt->meta.egress_port = dst.id;
  if (!dst.dirty) {
    dst.dirty = true;
    dirty_.push_back(&dst);
  }
  if (PacketPtr back = dst.out.push(PacketPtr(pkt))) {
    // The pending batch is full: send it on now and start a new one.
    PacketBatch full = std::move(dst.out);
    output_path(dst, full, 0);
    (void)dst.out.push(std::move(back));
  }
}

void VirtualSwitch::enqueue_copy(Port& dst, const Packet& pkt) {
  ++stats_.copies;
  PacketPtr c = pool_.clone(pkt);
  if (!c) {
    drops_.inc(DropReason::kPoolExhausted);
    ++stats_.dropped;
    if (drop_observer_) drop_observer_(pkt, dst.id, DropReason::kPoolExhausted);
    return;
  }
  enqueue_out(dst, c.release());
}

void VirtualSwitch::flush_outputs() {
  // Output paths may add work (egress mirroring): loop until nothing is pending.
  while (!dirty_.empty()) {
    Port* p = dirty_.back();
    dirty_.pop_back();
    p->dirty = false;
    PacketBatch b = std::move(p->out);
    output_path(*p, b, 0);
  }
}

// ---- data path: output ------------------------------------------------------------
void VirtualSwitch::output_path(Port& dst, PacketBatch& b, int from_stage) {
  if (b.empty()) return;
  if (!dst.is_uplink) {
    if (!dst.security.mac_changes && !(dst.effective_mac == dst.configured_mac)) {
      drop_batch(&dst, b, DropReason::kMacChangeBlocked);
      return;
    }
    if (dst.vlan.mode != VlanMode::kTrunk)
      for (Packet* p : b) p->meta.vlan_tci = 0;  // strip on delivery
    if (dst.mirror_out) {
      for (Packet* p : b)
        if ((p->meta.flags & kFlagMirrorCopy) == 0) mirror_frame(dst, *p, MirrorDirection::kEgress);
    }
  }
  for (Packet* p : b) p->meta.direction = core::Direction::kIngress;
  run_filters(dst, b, core::Direction::kIngress, from_stage);
}

void VirtualSwitch::output_after_filters(Port& dst, PacketBatch& b) {
  if (dst.shaper_out && dst.shaper_out->enabled()) {
    PacketBatch pass, rejected;
    dst.shaper_out->admit(b, pass, rejected, clock_.now());
    drop_batch(&dst, rejected, DropReason::kShaperQueueFull);
    if (dst.shaper_out->queued() > 0) arm_shaper_timer(dst, false);
    to_rx_queue(dst, pass);
    return;
  }
  to_rx_queue(dst, b);
}

void VirtualSwitch::to_rx_queue(Port& dst, PacketBatch& b) {
  if (b.empty()) return;
  if (dst.endpoint == nullptr || dst.blocked || (dst.is_uplink && !dst.link_up)) {
    drop_batch(&dst, b, DropReason::kPortDown);
    return;
  }
  uint64_t bytes = 0;
  for (Packet* p : b) bytes += p->pkt_len;
  const uint32_t before = b.size();
  dst.rxq->enqueue(b);
  const uint32_t queued = before - b.size();
  dst.counters.out_packets += queued;
  if (queued == before) {
    dst.counters.out_bytes += bytes;
  } else {
    for (Packet* p : b) bytes -= p->pkt_len;
    dst.counters.out_bytes += bytes;
    drop_batch(&dst, b, DropReason::kRxQueueFull);
  }
}

uint32_t VirtualSwitch::poll_delivery(uint32_t budget) {
  uint32_t work = 0;
  for (auto& up : port_store_) {
    Port& p = *up;
    if (p.rxq->empty()) continue;
    PacketBatch b;
    const uint32_t got = p.rxq->dequeue(b, budget);
    if (got == 0) continue;
    work += got;
    if (captures_.active()) captures_.on_batch(p.id, p.name, dispatch::CapturePoint::kPortOutput, b);
    delivered_.store(delivered_.load(std::memory_order_relaxed) + got, std::memory_order_relaxed);
    if (p.endpoint != nullptr) p.endpoint->deliver(p.id, b);
    b.clear();
  }
  return work;
}

// ---- drops ------------------------------------------------------------------------
void VirtualSwitch::drop(Port* at, PacketPtr p, DropReason r) {
  drops_.inc(r);
  ++stats_.dropped;
  const PortId id = at != nullptr ? at->id : kNoPort;
  if (at != nullptr) ++at->counters.drops;
  if (p) {
    if (captures_.active()) captures_.on_packet(id, at != nullptr ? at->name : name(), dispatch::CapturePoint::kDrop, *p, name_of(r));
    if (drop_observer_) drop_observer_(*p, id, r);
  }
}

void VirtualSwitch::drop_batch(Port* at, PacketBatch& b, DropReason r) {
  for (uint32_t i = 0; i < b.size(); ++i)
    if (b[i] != nullptr) drop(at, b.take(i), r);
  b.compact();
}

// ---- mirroring -----------------------------------------------------------------------
void VirtualSwitch::mirror_frame(Port& src, const Packet& pkt, MirrorDirection dir) {
  for (const MirrorSession& s : mirrors_) {
    if (!s.enabled || (static_cast<uint8_t>(s.direction) & static_cast<uint8_t>(dir)) == 0) continue;
    if (s.type == MirrorType::kRemoteDestination) continue;
    if (std::find(s.sources.begin(), s.sources.end(), src.id) == s.sources.end()) continue;
    const uint32_t len = s.mirrored_length != 0 ? std::min(s.mirrored_length, pkt.pkt_len) : pkt.pkt_len;
    auto make_copy = [&](uint16_t tci) -> Packet* {
      ++stats_.copies;
      ++stats_.mirrored;
      PacketPtr c = pool_.clone(pkt);
      if (!c) {
        drops_.inc(DropReason::kPoolExhausted);
        ++stats_.dropped;
        return nullptr;
      }
      truncate_packet(*c, len);
      c->meta.flags |= kFlagMirrorCopy;
      c->meta.vlan_tci = tci;
      return c.release();
    };
    switch (s.type) {
      case MirrorType::kLocal:
        for (PortId d : s.destinations)
          if (Port* dp = find(d))
            if (Packet* c = make_copy(pkt.meta.vlan_tci)) enqueue_out(*dp, c);
        break;
      case MirrorType::kRemoteSource:
        for (const auto& n : s.uplinks)
          if (Port* u = find(uplink_by_name(n)))
            if (Packet* c = make_copy(s.rspan_vlan)) enqueue_out(*u, c);
        break;
      case MirrorType::kEncapsulatedL3: {
        Port* u = s.erspan_uplink.empty() ? first_usable_uplink() : find(uplink_by_name(s.erspan_uplink));
        ++stats_.copies;
        ++stats_.mirrored;
        if (u == nullptr) {
          drops_.inc(DropReason::kNoUplink);
          ++stats_.dropped;
          break;
        }
        PacketPtr e = encapsulate_erspan(pool_, s, pkt, len, pkt.meta.vlan_tci & 0x0fff, mirror_seq_++,
                                         u->configured_mac, src.id);
        if (!e) {
          drops_.inc(DropReason::kPoolExhausted);
          ++stats_.dropped;
          break;
        }
        e->meta.flags |= kFlagMirrorCopy;
        enqueue_out(*u, e.release());
        break;
      }
      case MirrorType::kRemoteDestination: break;
    }
  }
}

bool VirtualSwitch::remote_destination(Port& uplink, Packet* pkt, uint16_t vlan) {
  for (const MirrorSession& s : mirrors_) {
    if (!s.enabled || s.type != MirrorType::kRemoteDestination || s.rspan_vlan != vlan) continue;
    std::vector<Port*> dests;
    for (PortId d : s.destinations)
      if (Port* dp = find(d)) dests.push_back(dp);
    if (dests.empty()) {
      drop(&uplink, PacketPtr(pkt), DropReason::kNoDestination);
      return true;
    }
    const uint32_t len = s.mirrored_length != 0 ? std::min(s.mirrored_length, pkt->pkt_len) : pkt->pkt_len;
    truncate_packet(*pkt, len);
    pkt->meta.flags |= kFlagMirrorCopy;
    pkt->meta.vlan_tci = 0;
    ++stats_.mirrored;
    for (size_t i = 0; i + 1 < dests.size(); ++i) enqueue_copy(*dests[i], *pkt);
    enqueue_out(*dests.back(), pkt);
    return true;
  }
  return false;
}

// ---- membership / introspection ---------------------------------------------------
void VirtualSwitch::rebuild_membership() {
  members_.clear();
  trunk_ports_.clear();
  promisc_ports_.clear();
  learning_ports_.clear();
  for (Port* p : endpoints_) {
    if (p->vlan.mode == VlanMode::kTrunk) {
      trunk_ports_.push_back(p);
    } else {
      members_[p->key_vlan].push_back(p);
    }
    if (p->security.promiscuous) promisc_ports_.push_back(p);
    if (p->learning.enabled && opts_.distributed) learning_ports_.push_back(p);
  }
}

PortKind VirtualSwitch::port_kind(PortId id) const {
  const Port* p = find(id);
  return p != nullptr ? p->kind : PortKind::kVnic;
}

const std::string& VirtualSwitch::port_name(PortId id) const {
  static const std::string kNone;
  const Port* p = find(id);
  return p != nullptr ? p->name : kNone;
}

std::string VirtualSwitch::port_group_of(PortId id) const {
  const Port* p = find(id);
  return p != nullptr ? p->group : std::string();
}

PortCounters VirtualSwitch::port_counters(PortId id) const {
  const Port* p = find(id);
  return p != nullptr ? p->counters : PortCounters{};
}

std::vector<PortId> VirtualSwitch::ports() const {
  std::vector<PortId> out;
  for (const auto& p : port_store_) out.push_back(p->id);
  return out;
}

std::vector<PortId> VirtualSwitch::uplinks() const {
  std::vector<PortId> out;
  for (const Port* p : uplinks_) out.push_back(p->id);
  return out;
}

uint64_t VirtualSwitch::in_flight() const {
  uint64_t n = 0;
  for (const auto& up : port_store_) {
    const Port& p = *up;
    n += p.txq->size() + p.rxq->size() + p.reinject.size() + p.out.size();
    if (p.shaper_in) n += p.shaper_in->queued();
    if (p.shaper_out) n += p.shaper_out->queued();
    for (const auto& c : p.ctx)
      if (c.held_ > 0) n += static_cast<uint64_t>(c.held_);
  }
  return n;
}

core::CounterList VirtualSwitch::counters() const {
  const SwitchStats st = stats();
  core::CounterList l = {
      {"injected", st.injected},   {"generated", st.generated}, {"copies", st.copies},
      {"delivered", st.delivered}, {"dropped", st.dropped},     {"rarp_sent", stats_.rarp_sent},
      {"beacons_sent", stats_.beacons_sent}, {"lbt_moves", stats_.lbt_moves}, {"failovers", stats_.failovers},
      {"mirrored", stats_.mirrored},   {"learned", stats_.learned},     {"aged", stats_.aged},
      {"mac_table_entries", table_.size()}, {"mac_table_full", table_.stats().full_rejects},
  };
  drops().for_each([&l](const char* n, uint64_t v) { l.push_back({std::string("drop.") + n, v}); });
  return l;
}

}  // namespace vnetref::vswitch
