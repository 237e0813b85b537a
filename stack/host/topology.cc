#include "stack/host/topology.h"

#include <algorithm>

namespace vnetref::host {

Topology::~Topology() = default;

namespace {
std::string err(const std::string& where, vswitch::SwitchError e) { return where + ": " + vswitch::name_of(e); }
}  // namespace

std::string Topology::attach_uplink(const std::string& host, const PnicConfig& pnic, vswitch::VirtualSwitch& sw,
                                    vswitch::PortId id) {
  const std::string key = host + "/" + pnic.name;
  if (uplinks_.count(key) != 0) return key + ": pNIC used by two switches";
  PortRef ref{&sw, id, nullptr};
  uplinks_[key] = ref;
  if (!pnic.physical_port.empty() && phys_) {
    const uint32_t pp = phys_->port_by_name(pnic.physical_port);
    if (phys_to_uplink_.count(pp) != 0) return key + ": physical port " + pnic.physical_port + " already cabled";
    devices_.push_back(std::make_unique<vswitch::UplinkDevice>(sw, id));
    phys_->set_device(pp, devices_.back().get());
    phys_to_uplink_[pp] = ref;
    if (!phys_->link_up(pp)) (void)sw.set_link(id, false);
  }
  return {};
}

core::Result<std::unique_ptr<Topology>, std::string> Topology::build(const TopologyConfig& cfg, core::BufferPool& pool,
                                                                     const core::Clock& clock, core::TimerWheel& wheel,
                                                                     BuildOptions bo) {
  auto sized = [&bo](vswitch::SwitchOptions o) {
    o.mac_table_entries = bo.mac_table_entries;
    o.tx_queue = o.rx_queue = bo.queue_packets;
    o.shaper_queue = bo.shaper_queue;
    return o;
  };
  std::unique_ptr<Topology> t(new Topology());
  t->cfg_ = cfg;
  if (cfg.physical_network) {
    const auto& pn = *cfg.physical_network;
    t->phys_ = std::make_unique<vswitch::PhysicalSwitch>(pn.name, pool, clock, pn.mac_table_size,
                                                         std::chrono::seconds(pn.aging_seconds));
    for (const auto& p : pn.ports) {
      vswitch::PhysPortConfig pc;
      pc.name = p.name;
      pc.trunk = p.trunk;
      pc.access_vlan = p.access_vlan;
      pc.native_vlan = p.native_vlan;
      pc.allowed = p.allowed;
      pc.link_up = p.link_up;
      t->phys_->add_port(pc, nullptr);
    }
    Topology* self = t.get();
    t->phys_->set_link_listener([self](uint32_t port, bool up) {
      auto it = self->phys_to_uplink_.find(port);
      if (it != self->phys_to_uplink_.end()) (void)it->second.sw->set_link(it->second.id, up);
    });
  }
  auto pnic_of = [&](const HostConfig& h, const std::string& name) -> const PnicConfig* {
    for (const auto& p : h.pnics)
      if (p.name == name) return &p;
    return nullptr;
  };
  vswitch::VirtualSwitch* cabling_switch = nullptr;  // the switch the next cable belongs to
  auto cable_for = [&](const PnicConfig& p) -> vswitch::PortEndpoint* {
    if (p.physical_port.empty() || !t->phys_) return nullptr;
    t->cables_.push_back(std::make_unique<vswitch::UplinkCable>(*t->phys_, t->phys_->port_by_name(p.physical_port)));
    t->cable_switch_.push_back(cabling_switch);
    return t->cables_.back().get();
  };
  // Standard switches.
  for (const auto& h : cfg.hosts) {
    for (const auto& sc : h.switches) {
      vswitch::SwitchOptions o;
      o.name = h.name + "/" + sc.name;
      o.max_ports = sc.max_ports;
      auto sw = std::make_unique<vswitch::VirtualSwitch>(sized(o), pool, clock, wheel);
      cabling_switch = sw.get();
      for (const auto& u : sc.uplinks) {
        const PnicConfig* p = pnic_of(h, u);
        if (p == nullptr) return core::Err(o.name + ": unknown pNIC " + u);
        vswitch::UplinkSpec us;
        us.name = p->name;
        us.mac = p->mac;
        us.speed_mbps = p->speed_mbps;
        auto id = sw->add_uplink(us, cable_for(*p));
        if (!id) return core::Err(err(o.name + "/" + u, id.error()));
        if (auto e = t->attach_uplink(h.name, *p, *sw, *id); !e.empty()) return core::Err(e);
      }
      for (const auto& pg : sc.port_groups)
        if (auto st = sw->add_port_group(pg); !st) return core::Err(err(o.name + " port group " + pg.name, st.error()));
      t->vss_[o.name] = std::move(sw);
    }
  }
  // Distributed switches and their proxies.
  for (const auto& dc : cfg.distributed_switches) {
    vswitch::DvsConfig d;
    d.name = dc.name;
    d.uplink_names = dc.uplink_names;
    d.port_groups = dc.port_groups;
    d.pvlans = dc.pvlans;
    d.ipfix = dc.ipfix;
    d.options = sized(d.options);
    auto dvs = std::make_unique<vswitch::DistributedSwitch>(d);
    if (t->phys_)
      for (const auto& pv : dc.pvlans) t->phys_->share_learning(pv.secondary, pv.primary);
    for (const auto& b : dc.hosts) {
      auto proxy = dvs->add_host(b.host, pool, clock, wheel);
      if (!proxy) return core::Err(err(dc.name + "@" + b.host, proxy.error()));
      const HostConfig* h = nullptr;
      for (const auto& x : cfg.hosts)
        if (x.name == b.host) h = &x;
      if (h == nullptr) return core::Err(dc.name + ": unknown host " + b.host);
      cabling_switch = *proxy;
      for (const auto& [up, pn] : b.uplinks) {
        const PnicConfig* p = pnic_of(*h, pn);
        if (p == nullptr) return core::Err(dc.name + ": unknown pNIC " + pn);
        auto id = dvs->add_uplink(b.host, up, p->mac, p->speed_mbps, cable_for(*p));
        if (!id) return core::Err(err(dc.name + "@" + b.host + "/" + up, id.error()));
        if (auto e = t->attach_uplink(b.host, *p, **proxy, *id); !e.empty()) return core::Err(e);
      }
    }
    t->dvs_[dc.name] = std::move(dvs);
  }
  // Ports.
  auto connect = [&](const HostConfig& h, const PortAttachment& pa, vswitch::PortKind kind,
                     const std::string& name) -> std::string {
    vswitch::PortSpec s;
    s.kind = kind;
    s.name = name;
    s.port_group = pa.port_group;
    s.mac = pa.mac;
    s.overrides = pa.overrides;
    t->guests_.push_back(std::make_unique<GuestPort>());
    GuestPort* g = t->guests_.back().get();
    auto vit = t->vss_.find(h.name + "/" + pa.switch_name);
    if (vit != t->vss_.end()) {
      auto id = vit->second->connect(s, g);
      if (!id) return err(name, id.error());
      t->ports_[name] = PortRef{vit->second.get(), *id, g};
      return {};
    }
    auto dit = t->dvs_.find(pa.switch_name);
    if (dit == t->dvs_.end()) return name + ": no switch " + pa.switch_name;
    auto id = dit->second->connect(h.name, s, g);
    if (!id) return err(name, id.error());
    t->ports_[name] = PortRef{dit->second->proxy(h.name), *id, g};
    return {};
  };
  for (const auto& h : cfg.hosts) {
    for (const auto& ns : h.netstacks)
      for (const auto& vk : ns.vmknics)
        if (auto e = connect(h, vk.port, vswitch::PortKind::kVmknic, h.name + "/" + vk.port.name); !e.empty())
          return core::Err(e);
    for (const auto& vm : h.vms)
      for (const auto& n : vm.vnics)
        if (auto e = connect(h, n, vswitch::PortKind::kVnic, h.name + "/" + vm.name + "." + n.name); !e.empty())
          return core::Err(e);
  }
  // Mirroring sessions (ports resolved to DVS-wide ids).
  for (const auto& dc : cfg.distributed_switches) {
    for (const auto& m : dc.mirrors) {
      vswitch::MirrorSession s = m.session;
      for (const auto& n : m.sources) {
        auto it = t->ports_.find(n);
        if (it == t->ports_.end()) return core::Err(dc.name + " mirror " + s.name + ": unknown source port " + n);
        s.sources.push_back(it->second.id);
      }
      for (const auto& n : m.destinations) {
        auto it = t->ports_.find(n);
        if (it == t->ports_.end()) return core::Err(dc.name + " mirror " + s.name + ": unknown destination port " + n);
        s.destinations.push_back(it->second.id);
      }
      if (auto st = t->dvs_[dc.name]->add_mirror(s); !st) return core::Err(err(dc.name + " mirror " + s.name, st.error()));
    }
  }
  return t;
}

PortRef Topology::port(const std::string& name) const {
  auto it = ports_.find(name);
  return it != ports_.end() ? it->second : PortRef{};
}

PortRef Topology::uplink(const std::string& host, const std::string& pnic) const {
  auto it = uplinks_.find(host + "/" + pnic);
  return it != uplinks_.end() ? it->second : PortRef{};
}

std::vector<std::string> Topology::port_names() const {
  std::vector<std::string> out;
  for (const auto& [n, r] : ports_) out.push_back(n);
  return out;
}

vswitch::DistributedSwitch* Topology::dvs(const std::string& name) const {
  auto it = dvs_.find(name);
  return it != dvs_.end() ? it->second.get() : nullptr;
}

vswitch::VirtualSwitch* Topology::standard_switch(const std::string& host, const std::string& name) const {
  auto it = vss_.find(host + "/" + name);
  return it != vss_.end() ? it->second.get() : nullptr;
}

std::vector<vswitch::VirtualSwitch*> Topology::switches() const {
  std::vector<vswitch::VirtualSwitch*> out;
  for (const auto& [n, s] : vss_) out.push_back(s.get());
  for (const auto& [n, d] : dvs_)
    for (const auto& h : d->hosts()) out.push_back(d->proxy(h));
  return out;
}

bool Topology::set_pnic_link(const std::string& host, const std::string& pnic, bool up) {
  PortRef u = uplink(host, pnic);
  if (!u) return false;
  for (const auto& [pp, ref] : phys_to_uplink_) {
    if (ref.sw == u.sw && ref.id == u.id) return static_cast<bool>(phys_->set_link(pp, up));
  }
  return static_cast<bool>(u.sw->set_link(u.id, up));
}

std::vector<dispatch::Pollable*> Topology::pollables() const {
  std::vector<dispatch::Pollable*> out;
  for (auto* s : switches()) {
    out.push_back(&s->switching_poller());
    out.push_back(&s->delivery_poller());
  }
  if (phys_) out.push_back(&phys_->poller());
  return out;
}

void Topology::set_uplink_tap(
    std::function<void(vswitch::VirtualSwitch&, vswitch::PortId, const core::PacketBatch&)> tap) {
  for (size_t i = 0; i < cables_.size(); ++i) {
    vswitch::VirtualSwitch* sw = cable_switch_[i];
    if (!tap || sw == nullptr) {
      cables_[i]->set_tap(nullptr);
      continue;
    }
    cables_[i]->set_tap([tap, sw](vswitch::PortId up, const core::PacketBatch& b) { tap(*sw, up, b); });
  }
}

uint64_t Topology::in_flight() const {
  uint64_t n = phys_ ? phys_->in_flight() : 0;
  for (auto* s : switches()) n += s->in_flight();
  return n;
}

}  // namespace vnetref::host
