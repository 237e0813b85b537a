#include "stack/vswitch/dvs.h"

#include <algorithm>

namespace vnetref::vswitch {

DistributedSwitch::DistributedSwitch(DvsConfig cfg) : cfg_(std::move(cfg)) {
  cfg_.options.distributed = true;
  cfg_.options.name = cfg_.name;
}

DistributedSwitch::Host* DistributedSwitch::find_host(const std::string& name) {
  for (auto& h : hosts_)
    if (h.name == name) return &h;
  return nullptr;
}

VirtualSwitch* DistributedSwitch::proxy(const std::string& host) const {
  for (const auto& h : hosts_)
    if (h.name == host) return h.proxy.get();
  return nullptr;
}

std::vector<std::string> DistributedSwitch::hosts() const {
  std::vector<std::string> out;
  for (const auto& h : hosts_) out.push_back(h.name);
  return out;
}

PortId DistributedSwitch::next_id() { return next_++; }

core::Result<VirtualSwitch*, SwitchError> DistributedSwitch::add_host(const std::string& host, core::BufferPool& pool,
                                                                      const core::Clock& clock, core::TimerWheel& wheel) {
  if (find_host(host) != nullptr) return core::Err(SwitchError::kDuplicateName);
  SwitchOptions o = cfg_.options;
  // The proxy's name carries the host so beacons of different hosts differ.
  o.name = cfg_.name + "@" + host;
  auto sw = std::make_unique<VirtualSwitch>(o, pool, clock, wheel);
  for (const auto& pv : cfg_.pvlans)
    if (auto st = sw->add_pvlan(pv); !st) return core::Err(st.error());
  Host h{host, std::move(sw)};
  hosts_.push_back(std::move(h));
  VirtualSwitch* p = hosts_.back().proxy.get();
  // Teaming lists name DVS uplinks; a proxy resolves them as its uplinks appear.
  for (const auto& pg : cfg_.port_groups)
    if (auto st = p->add_port_group(pg); !st) return core::Err(st.error());
  if (cfg_.ipfix.enabled)
    if (auto st = p->configure_ipfix(cfg_.ipfix); !st) return core::Err(st.error());
  return p;
}

core::Result<PortId, SwitchError> DistributedSwitch::add_uplink(const std::string& host, const std::string& dvs_uplink,
                                                                wire::MacAddress mac, uint64_t speed_mbps,
                                                                PortEndpoint* endpoint) {
  Host* h = find_host(host);
  if (h == nullptr) return core::Err(SwitchError::kUnknownPort);
  if (std::find(cfg_.uplink_names.begin(), cfg_.uplink_names.end(), dvs_uplink) == cfg_.uplink_names.end())
    return core::Err(SwitchError::kUnknownUplink);
  UplinkSpec spec;
  spec.name = dvs_uplink;
  spec.mac = mac;
  spec.speed_mbps = speed_mbps;
  spec.id = next_id();
  auto id = h->proxy->add_uplink(spec, endpoint);
  if (!id) return id;
  return id;
}

core::Result<PortId, SwitchError> DistributedSwitch::connect(const std::string& host, PortSpec spec,
                                                             PortEndpoint* endpoint) {
  Host* h = find_host(host);
  if (h == nullptr) return core::Err(SwitchError::kUnknownPort);
  if (spec.id == kNoPort) spec.id = next_id();
  if (spec.id >= next_) next_ = spec.id + 1;
  auto id = h->proxy->connect(spec, endpoint);
  if (!id) return id;
  ports_.push_back({*id, host, spec});
  return id;
}

std::string DistributedSwitch::host_of(PortId id) const {
  for (const auto& r : ports_)
    if (r.id == id) return r.host;
  return {};
}

core::Status<SwitchError> DistributedSwitch::migrate(PortId id, const std::string& to_host, PortEndpoint* endpoint) {
  auto it = std::find_if(ports_.begin(), ports_.end(), [id](const PortRecord& r) { return r.id == id; });
  if (it == ports_.end()) return core::Err(SwitchError::kUnknownPort);
  Host* from = find_host(it->host);
  Host* to = find_host(to_host);
  if (from == nullptr || to == nullptr) return core::Err(SwitchError::kUnknownPort);
  if (auto st = from->proxy->disconnect(id); !st) return st;
  auto r = to->proxy->connect(it->spec, endpoint);
  if (!r) return core::Err(r.error());
  it->host = to_host;
  // The physical network learns the VM's new location from the RARP.
  to->proxy->notify_port(id);
  return core::Ok{};
}

core::Status<SwitchError> DistributedSwitch::update_port_group(const PortGroupConfig& pg) {
  bool found = false;
  for (auto& g : cfg_.port_groups)
    if (g.name == pg.name) {
      g = pg;
      found = true;
    }
  if (!found) return core::Err(SwitchError::kUnknownPortGroup);
  for (auto& h : hosts_)
    if (auto st = h.proxy->update_port_group(pg); !st) return st;
  return core::Ok{};
}

core::Status<SwitchError> DistributedSwitch::add_mirror(const MirrorSession& s) {
  if (!validate(s).empty()) return core::Err(SwitchError::kInvalidMirror);
  cfg_.mirrors.push_back(s);
  for (auto& h : hosts_)
    if (auto st = h.proxy->add_mirror(s); !st) return st;
  return core::Ok{};
}

core::Status<SwitchError> DistributedSwitch::configure_ipfix(const IpfixConfig& cfg) {
  cfg_.ipfix = cfg;
  for (auto& h : hosts_)
    if (auto st = h.proxy->configure_ipfix(cfg); !st) return st;
  return core::Ok{};
}

}  // namespace vnetref::vswitch
