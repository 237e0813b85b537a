#include "stack/host/config.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace vnetref::host {

using config::ConfigError;
using config::Json;
using config::ObjectReader;
using vswitch::VlanMode;

std::string LoadError::to_string() const { return config::format_errors(errors); }

namespace {

struct Ctx {
  std::vector<ConfigError>& errors;
};

std::optional<wire::MacAddress> read_mac(ObjectReader& r, std::string_view key, bool required) {
  auto s = r.string(key, required ? std::nullopt : std::optional<std::string>(""));
  if (!s || s->empty()) return std::nullopt;
  auto m = wire::MacAddress::parse(*s);
  if (!m) {
    r.error_at(*r.json().find(key), key, "not a MAC address (want 00:50:56:aa:bb:cc): \"" + *s + "\"");
    return std::nullopt;
  }
  return m;
}

std::vector<std::string> read_names(ObjectReader& r, std::string_view key) {
  std::vector<std::string> out;
  const Json* a = r.array(key, false);
  if (a == nullptr) return out;
  for (size_t i = 0; i < a->items().size(); ++i) {
    const Json& v = a->items()[i];
    if (!v.is_string()) {
      r.error_at(v, std::string(key) + "[" + std::to_string(i) + "]", "must be a string");
      continue;
    }
    out.push_back(v.as_string());
  }
  return out;
}

std::vector<vswitch::VlanRange> read_ranges(ObjectReader& r, std::string_view key) {
  std::vector<vswitch::VlanRange> out;
  const Json* a = r.array(key, false);
  if (a == nullptr) return out;
  for (size_t i = 0; i < a->items().size(); ++i) {
    const Json& v = a->items()[i];
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (v.is_integer() && v.as_int() >= 0 && v.as_int() <= 4094) {
      out.push_back({static_cast<uint16_t>(v.as_int()), static_cast<uint16_t>(v.as_int())});
    } else if (v.is_array() && v.items().size() == 2 && v.items()[0].is_integer() && v.items()[1].is_integer() &&
               v.items()[0].as_int() >= 0 && v.items()[1].as_int() <= 4094 &&
               v.items()[0].as_int() <= v.items()[1].as_int()) {
      out.push_back({static_cast<uint16_t>(v.items()[0].as_int()), static_cast<uint16_t>(v.items()[1].as_int())});
    } else {
      r.error_at(v, where, "must be a VLAN id 0..4094 or a range [first, last]");
    }
  }
  return out;
}

vswitch::SecurityPolicy read_security(const Json& j, const std::string& path, vswitch::SecurityPolicy defaults,
                                      std::vector<ConfigError>& errors) {
  ObjectReader r(j, path, errors);
  vswitch::SecurityPolicy s = defaults;
  s.promiscuous = r.boolean("promiscuous", defaults.promiscuous).value_or(defaults.promiscuous);
  s.mac_changes = r.boolean("mac_changes", defaults.mac_changes).value_or(defaults.mac_changes);
  s.forged_transmits = r.boolean("forged_transmits", defaults.forged_transmits).value_or(defaults.forged_transmits);
  r.reject_unknown_keys();
  return s;
}

vswitch::ShapingPolicy read_shaping(const Json& j, const std::string& path, std::vector<ConfigError>& errors) {
  ObjectReader r(j, path, errors);
  vswitch::ShapingPolicy s;
  s.enabled = r.boolean("enabled", true).value_or(true);
  const int64_t avg = r.integer("average_kbps", 1, 100'000'000, 100'000).value_or(100'000);
  const int64_t peak = r.integer("peak_kbps", 1, 100'000'000, avg).value_or(avg);
  const int64_t burst = r.integer("burst_kb", 1, 100'000, 100).value_or(100);
  if (peak < avg) r.error_at(*j.find("peak_kbps"), "peak_kbps", "must be >= average_kbps (" + std::to_string(avg) + ")");
  s.average_bps = static_cast<uint64_t>(avg) * 1000;
  s.peak_bps = static_cast<uint64_t>(peak) * 1000;
  s.burst_bytes = static_cast<uint64_t>(burst) * 1024;
  r.reject_unknown_keys();
  return s;
}

vswitch::MacLearningPolicy read_learning(const Json& j, const std::string& path, std::vector<ConfigError>& errors) {
  ObjectReader r(j, path, errors);
  vswitch::MacLearningPolicy m;
  m.enabled = r.boolean("enabled", true).value_or(true);
  m.limit = static_cast<uint32_t>(r.integer("limit", 1, 4096, 4096).value_or(4096));
  m.drop_at_limit = r.choice("limit_policy", {"drop", "allow"}, "drop").value_or("drop") == "drop";
  m.aging_seconds = static_cast<uint32_t>(r.integer("aging_seconds", 0, 86400, 600).value_or(600));
  m.unknown_unicast_flooding = r.boolean("unknown_unicast_flooding", true).value_or(true);
  r.reject_unknown_keys();
  return m;
}

vswitch::TeamingConfig read_teaming(const Json& j, const std::string& path, bool distributed,
                                    std::vector<ConfigError>& errors) {
  ObjectReader r(j, path, errors);
  vswitch::TeamingConfig t;
  std::vector<std::string> policies = {"originating_port_id", "source_mac_hash", "ip_hash", "explicit_failover"};
  if (distributed) policies.push_back("load_based");
  const std::string p = r.choice("policy", policies, "originating_port_id").value_or("originating_port_id");
  if (p == "source_mac_hash") t.policy = vswitch::TeamingPolicy::kSourceMacHash;
  if (p == "ip_hash") t.policy = vswitch::TeamingPolicy::kIpHash;
  if (p == "explicit_failover") t.policy = vswitch::TeamingPolicy::kExplicitFailover;
  if (p == "load_based") t.policy = vswitch::TeamingPolicy::kLoadBased;
  t.active = read_names(r, "active");
  t.standby = read_names(r, "standby");
  const std::string fd = r.choice("failure_detection", {"link_status", "beacon_probing"}, "link_status").value_or("link_status");
  t.detection = fd == "beacon_probing" ? vswitch::FailureDetection::kBeaconProbing : vswitch::FailureDetection::kLinkStatus;
  t.notify_switches = r.boolean("notify_switches", true).value_or(true);
  t.failback = r.boolean("failback", true).value_or(true);
  if (t.policy == vswitch::TeamingPolicy::kIpHash && !t.standby.empty())
    r.error_at(*j.find("standby"), "standby", "ip_hash needs every uplink active (a static EtherChannel): no standby uplinks");
  if (t.policy == vswitch::TeamingPolicy::kIpHash && t.detection == vswitch::FailureDetection::kBeaconProbing)
    r.error_at(*j.find("failure_detection"), "failure_detection", "beacon probing cannot be used with ip_hash");
  r.reject_unknown_keys();
  return t;
}

vswitch::PortGroupConfig read_port_group(const Json& j, const std::string& path, bool distributed,
                                         std::vector<ConfigError>& errors) {
  ObjectReader r(j, path, errors);
  vswitch::PortGroupConfig pg;
  pg.security = distributed ? vswitch::SecurityPolicy::distributed_defaults() : vswitch::SecurityPolicy::standard_defaults();
  pg.name = r.string("name", std::nullopt).value_or("");
  const int64_t vlan = r.integer("vlan", 0, 4095, 0).value_or(0);
  if (vlan == 0) {
    pg.vlan.mode = VlanMode::kNone;
  } else if (vlan == 4095) {
    pg.vlan.mode = VlanMode::kTrunk;
    pg.vlan.trunk = {vswitch::VlanRange{0, 4094}};
  } else {
    pg.vlan.mode = VlanMode::kAccess;
    pg.vlan.vlan = static_cast<uint16_t>(vlan);
  }
  if (distributed) {
    if (r.json().find("vlan_trunk") != nullptr) {
      pg.vlan.mode = VlanMode::kTrunk;
      pg.vlan.trunk = read_ranges(r, "vlan_trunk");
    }
    if (auto pv = r.integer("pvlan", 1, 4094, 0); pv && *pv != 0) {
      pg.vlan.mode = VlanMode::kPvlan;
      pg.vlan.vlan = static_cast<uint16_t>(*pv);
    }
  }
  if (const Json* s = r.object("security", false)) pg.security = read_security(*s, r.child_path("security"), pg.security, errors);
  if (const Json* t = r.object("teaming", false)) pg.teaming = read_teaming(*t, r.child_path("teaming"), distributed, errors);
  if (distributed) {
    if (const Json* s = r.object("ingress_shaping", false)) pg.shaping_in = read_shaping(*s, r.child_path("ingress_shaping"), errors);
    if (const Json* s = r.object("egress_shaping", false)) pg.shaping_out = read_shaping(*s, r.child_path("egress_shaping"), errors);
    if (const Json* m = r.object("mac_learning", false)) pg.mac_learning = read_learning(*m, r.child_path("mac_learning"), errors);
  } else {
    if (const Json* s = r.object("shaping", false)) pg.shaping_in = read_shaping(*s, r.child_path("shaping"), errors);
  }
  pg.blocked = r.boolean("blocked", false).value_or(false);
  if (pg.teaming.detection == vswitch::FailureDetection::kBeaconProbing && pg.vlan.mode == VlanMode::kTrunk)
    r.error_at(j, "teaming", "beacon probing cannot be used with guest tagging (VLAN 4095 / trunk)");
  r.reject_unknown_keys();
  return pg;
}

void read_iochain(ObjectReader& r, PortAttachment& pa, std::vector<ConfigError>& errors) {
  const Json* a = r.array("iochain", false);
  if (a == nullptr) {
    pa.iochain = Json::array();
    return;
  }
  // Shape only: the IOChain layer owns the meaning of `agent` and `config`.
  std::set<int64_t> slots;
  for (size_t i = 0; i < a->items().size(); ++i) {
    const std::string p = ObjectReader::index_path(r.child_path("iochain"), i);
    ObjectReader e(a->items()[i], p, errors);
    const auto slot = e.integer("slot", 0, 15, std::nullopt);
    (void)e.string("agent", std::nullopt);
    (void)e.object("config", false);
    (void)e.choice("failure_policy", {"fail_open", "fail_closed"}, "fail_closed");
    if (slot && !slots.insert(*slot).second) e.error_at(*a->items()[i].find("slot"), "slot", "slot used twice on this port");
    e.reject_unknown_keys();
  }
  pa.iochain = *a;
}

PortAttachment read_port(const Json& j, const std::string& path, std::vector<ConfigError>& errors, bool vmknic,
                         VmknicConfig* vk) {
  ObjectReader r(j, path, errors);
  PortAttachment pa;
  pa.line = j.location().line;
  pa.name = r.string("name", std::nullopt).value_or("");
  pa.mac = read_mac(r, "mac", true).value_or(wire::MacAddress());
  pa.switch_name = r.string("switch", std::nullopt).value_or("");
  pa.port_group = r.string("port_group", std::nullopt).value_or("");
  if (const Json* s = r.object("security", false))
    pa.overrides.security = read_security(*s, r.child_path("security"), vswitch::SecurityPolicy::standard_defaults(), errors);
  if (const Json* s = r.object("shaping", false)) pa.overrides.shaping_in = read_shaping(*s, r.child_path("shaping"), errors);
  if (const Json* s = r.object("ingress_shaping", false))
    pa.overrides.shaping_in = read_shaping(*s, r.child_path("ingress_shaping"), errors);
  if (const Json* s = r.object("egress_shaping", false))
    pa.overrides.shaping_out = read_shaping(*s, r.child_path("egress_shaping"), errors);
  if (const Json* m = r.object("mac_learning", false))
    pa.overrides.mac_learning = read_learning(*m, r.child_path("mac_learning"), errors);
  if (auto b = r.boolean("blocked", false); b && *b) pa.overrides.blocked = true;
  read_iochain(r, pa, errors);
  if (vmknic && vk != nullptr) {
    const std::string ip = r.string("ip", std::nullopt).value_or("");
    auto pfx = wire::Ipv4Prefix::parse(ip);
    auto addr = wire::Ipv4Address::parse(ip.substr(0, ip.find('/')));
    if (!pfx || !addr) {
      if (r.json().find("ip") != nullptr) r.error_at(*j.find("ip"), "ip", "must be an IPv4 address with prefix, e.g. 10.0.0.11/24");
    } else {
      vk->address = *addr;
      vk->prefix_len = pfx->length();
    }
  }
  r.reject_unknown_keys();
  return pa;
}

vswitch::IpfixConfig read_ipfix(const Json& j, const std::string& path, std::vector<ConfigError>& errors) {
  ObjectReader r(j, path, errors);
  vswitch::IpfixConfig c;
  c.enabled = r.boolean("enabled", true).value_or(true);
  auto ip = [&](std::string_view key, bool req) -> wire::Ipv4Address {
    auto s = r.string(key, req ? std::nullopt : std::optional<std::string>("0.0.0.0"));
    if (!s) return {};
    auto a = wire::Ipv4Address::parse(*s);
    if (!a) r.error_at(*j.find(key), key, "not an IPv4 address: \"" + *s + "\"");
    return a.value_or(wire::Ipv4Address());
  };
  c.collector_ip = ip("collector_ip", true);
  c.collector_port = static_cast<uint16_t>(r.integer("collector_port", 1, 65535, 4739).value_or(4739));
  c.switch_ip = ip("switch_ip", false);
  c.collector_next_hop = read_mac(r, "collector_mac", false).value_or(wire::MacAddress::broadcast());
  c.observation_domain = static_cast<uint32_t>(r.integer("observation_domain", 0, 0xffffffffll, 0).value_or(0));
  c.active_timeout_s = static_cast<uint32_t>(r.integer("active_timeout_s", 60, 3600, 60).value_or(60));
  c.idle_timeout_s = static_cast<uint32_t>(r.integer("idle_timeout_s", 10, 600, 15).value_or(15));
  c.sampling_rate = static_cast<uint32_t>(r.integer("sampling_rate", 0, 16384, 0).value_or(0));
  c.internal_flows_only = r.boolean("internal_flows_only", false).value_or(false);
  c.max_flows = static_cast<uint32_t>(r.integer("max_flows", 1, 1 << 20, 65536).value_or(65536));
  r.reject_unknown_keys();
  return c;
}

MirrorConfig read_mirror(const Json& j, const std::string& path, std::vector<ConfigError>& errors) {
  ObjectReader r(j, path, errors);
  MirrorConfig m;
  auto& s = m.session;
  s.name = r.string("name", std::nullopt).value_or("");
  s.session_id = static_cast<uint16_t>(r.integer("session_id", 1, 1023, 1).value_or(1));
  const std::string t = r.choice("type", {"local", "remote_source", "remote_destination", "encapsulated_l3"}, std::nullopt)
                            .value_or("local");
  if (t == "remote_source") s.type = vswitch::MirrorType::kRemoteSource;
  if (t == "remote_destination") s.type = vswitch::MirrorType::kRemoteDestination;
  if (t == "encapsulated_l3") s.type = vswitch::MirrorType::kEncapsulatedL3;
  s.enabled = r.boolean("enabled", true).value_or(true);
  m.sources = read_names(r, "sources");
  m.destinations = read_names(r, "destinations");
  const std::string d = r.choice("direction", {"ingress", "egress", "both"}, "both").value_or("both");
  s.direction = d == "ingress" ? vswitch::MirrorDirection::kIngress
                               : d == "egress" ? vswitch::MirrorDirection::kEgress : vswitch::MirrorDirection::kBoth;
  s.uplinks = read_names(r, "uplinks");
  s.rspan_vlan = static_cast<uint16_t>(r.integer("rspan_vlan", 0, 4094, 0).value_or(0));
  s.mirrored_length = static_cast<uint32_t>(r.integer("mirrored_length", 0, 9000, 0).value_or(0));
  auto ip = [&](std::string_view key) -> wire::Ipv4Address {
    auto str = r.string(key, std::string("0.0.0.0"));
    auto a = str ? wire::Ipv4Address::parse(*str) : std::nullopt;
    if (str && !a) r.error_at(*j.find(key), key, "not an IPv4 address");
    return a.value_or(wire::Ipv4Address());
  };
  s.erspan_src = ip("erspan_source_ip");
  s.erspan_dst = ip("erspan_destination_ip");
  s.erspan_next_hop = read_mac(r, "erspan_next_hop_mac", false).value_or(wire::MacAddress::broadcast());
  s.erspan_uplink = r.string("erspan_uplink", std::string()).value_or("");
  for (const auto& src : m.sources)
    if (std::find(m.destinations.begin(), m.destinations.end(), src) != m.destinations.end())
      r.error_at(j, "destinations", "port \"" + src + "\" cannot be both source and destination of one session");
  r.reject_unknown_keys();
  return m;
}

}  // namespace

core::Result<TopologyConfig, LoadError> load_topology(std::string_view text) {
  auto parsed = config::parse_json(text);
  if (!parsed) {
    LoadError e;
    e.errors.push_back({"", parsed.error().where, parsed.error().message});
    return core::Err(e);
  }
  const Json& root = *parsed;
  std::vector<ConfigError> errors;
  TopologyConfig topo;
  ObjectReader r(root, "", errors);
  const Json* hosts = r.array("hosts", true);
  const Json* dvss = r.array("distributed_switches", false);
  const Json* phys = r.object("physical_network", false);
  r.reject_unknown_keys();

  if (phys != nullptr) {
    ObjectReader pr(*phys, "physical_network", errors);
    PhysicalNetworkConfig pn;
    pn.name = pr.string("name", "physical").value_or("physical");
    pn.mac_table_size = static_cast<uint32_t>(pr.integer("mac_table_size", 16, 1 << 20, 8192).value_or(8192));
    pn.aging_seconds = static_cast<uint32_t>(pr.integer("aging_seconds", 10, 1000000, 300).value_or(300));
    if (const Json* ports = pr.array("ports", true)) {
      for (size_t i = 0; i < ports->items().size(); ++i) {
        ObjectReader p(ports->items()[i], ObjectReader::index_path("physical_network.ports", i), errors);
        PhysicalPortConfig pc;
        pc.name = p.string("name", std::nullopt).value_or("");
        pc.trunk = p.choice("mode", {"trunk", "access"}, "trunk").value_or("trunk") == "trunk";
        pc.access_vlan = static_cast<uint16_t>(p.integer("vlan", 0, 4094, 0).value_or(0));
        pc.native_vlan = static_cast<uint16_t>(p.integer("native_vlan", 0, 4094, 0).value_or(0));
        pc.allowed = read_ranges(p, "allowed_vlans");
        if (pc.allowed.empty()) pc.allowed = {vswitch::VlanRange{0, 4094}};
        pc.link_up = p.choice("link", {"up", "down"}, "up").value_or("up") == "up";
        p.reject_unknown_keys();
        for (const auto& other : pn.ports)
          if (other.name == pc.name) p.error_at(ports->items()[i], "name", "duplicate physical port \"" + pc.name + "\"");
        pn.ports.push_back(pc);
      }
    }
    pr.reject_unknown_keys();
    topo.physical_network = pn;
  }

  if (dvss != nullptr) {
    for (size_t i = 0; i < dvss->items().size(); ++i) {
      const std::string path = ObjectReader::index_path("distributed_switches", i);
      ObjectReader d(dvss->items()[i], path, errors);
      DvsConfig dc;
      dc.name = d.string("name", std::nullopt).value_or("");
      dc.uplink_names = read_names(d, "uplinks");
      if (dc.uplink_names.empty()) dc.uplink_names = {"uplink1", "uplink2"};
      if (const Json* pv = d.array("pvlans", false)) {
        for (size_t k = 0; k < pv->items().size(); ++k) {
          ObjectReader e(pv->items()[k], ObjectReader::index_path(d.child_path("pvlans"), k), errors);
          vswitch::PvlanEntry en;
          en.primary = static_cast<uint16_t>(e.integer("primary", 1, 4094, std::nullopt).value_or(1));
          en.secondary = static_cast<uint16_t>(e.integer("secondary", 1, 4094, en.primary).value_or(en.primary));
          const std::string t = e.choice("type", {"promiscuous", "isolated", "community"}, std::nullopt).value_or("promiscuous");
          en.type = t == "isolated" ? vswitch::PvlanType::kIsolated
                                    : t == "community" ? vswitch::PvlanType::kCommunity : vswitch::PvlanType::kPromiscuous;
          if ((en.type == vswitch::PvlanType::kPromiscuous) != (en.primary == en.secondary))
            e.error_at(pv->items()[k], "secondary", "promiscuous entries have secondary == primary, others differ");
          e.reject_unknown_keys();
          dc.pvlans.push_back(en);
        }
      }
      if (const Json* pgs = d.array("port_groups", false)) {
        for (size_t k = 0; k < pgs->items().size(); ++k)
          dc.port_groups.push_back(read_port_group(pgs->items()[k], ObjectReader::index_path(d.child_path("port_groups"), k), true, errors));
      }
      if (const Json* ms = d.array("mirrors", false)) {
        for (size_t k = 0; k < ms->items().size(); ++k)
          dc.mirrors.push_back(read_mirror(ms->items()[k], ObjectReader::index_path(d.child_path("mirrors"), k), errors));
      }
      if (const Json* ip = d.object("ipfix", false)) dc.ipfix = read_ipfix(*ip, d.child_path("ipfix"), errors);
      if (const Json* hs = d.array("hosts", false)) {
        for (size_t k = 0; k < hs->items().size(); ++k) {
          const std::string hp = ObjectReader::index_path(d.child_path("hosts"), k);
          ObjectReader h(hs->items()[k], hp, errors);
          DvsHostBinding b;
          b.host = h.string("host", std::nullopt).value_or("");
          if (const Json* ups = h.object("uplinks", false)) {
            for (const auto& [name, v] : ups->members()) {
              if (!v.is_string()) {
                h.error_at(v, "uplinks." + name, "must be a pNIC name");
                continue;
              }
              if (std::find(dc.uplink_names.begin(), dc.uplink_names.end(), name) == dc.uplink_names.end())
                h.error_at(v, "uplinks." + name, "not an uplink of distributed switch \"" + dc.name + "\"");
              b.uplinks.emplace_back(name, v.as_string());
            }
          }
          h.reject_unknown_keys();
          dc.hosts.push_back(b);
        }
      }
      // Port groups must reference PVLANs and uplinks that exist.
      const Json* pgs = dvss->items()[i].find("port_groups");
      for (size_t k = 0; k < dc.port_groups.size(); ++k) {
        const auto& pg = dc.port_groups[k];
        const Json& at = pgs != nullptr && k < pgs->items().size() ? pgs->items()[k] : dvss->items()[i];
        const std::string pp = ObjectReader::index_path(path + ".port_groups", k);
        if (pg.vlan.mode == VlanMode::kPvlan &&
            std::none_of(dc.pvlans.begin(), dc.pvlans.end(), [&](const auto& e) { return e.secondary == pg.vlan.vlan; }))
          errors.push_back({pp + ".pvlan", at.location(), "no private VLAN entry with secondary " + std::to_string(pg.vlan.vlan)});
        for (const auto& n : pg.teaming.active)
          if (std::find(dc.uplink_names.begin(), dc.uplink_names.end(), n) == dc.uplink_names.end())
            errors.push_back({pp + ".teaming.active", at.location(), "unknown uplink \"" + n + "\""});
        for (const auto& n : pg.teaming.standby)
          if (std::find(dc.uplink_names.begin(), dc.uplink_names.end(), n) == dc.uplink_names.end())
            errors.push_back({pp + ".teaming.standby", at.location(), "unknown uplink \"" + n + "\""});
        if (pg.teaming.detection == vswitch::FailureDetection::kBeaconProbing) {
          const size_t n = pg.teaming.active.size() + pg.teaming.standby.size();
          if ((n == 0 ? dc.uplink_names.size() : n) < 3)
            errors.push_back({pp + ".teaming.failure_detection", at.location(), "beacon probing needs at least 3 uplinks"});
        }
      }
      d.reject_unknown_keys();
      topo.distributed_switches.push_back(std::move(dc));
    }
  }

  if (hosts != nullptr) {
    for (size_t i = 0; i < hosts->items().size(); ++i) {
      const std::string path = ObjectReader::index_path("hosts", i);
      const Json& hj = hosts->items()[i];
      ObjectReader h(hj, path, errors);
      HostConfig hc;
      hc.name = h.string("name", std::nullopt).value_or("");
      for (const auto& other : topo.hosts)
        if (other.name == hc.name) h.error_at(hj, "name", "duplicate host \"" + hc.name + "\"");
      if (const Json* pn = h.array("pnics", false)) {
        for (size_t k = 0; k < pn->items().size(); ++k) {
          ObjectReader p(pn->items()[k], ObjectReader::index_path(h.child_path("pnics"), k), errors);
          PnicConfig pc;
          pc.name = p.string("name", std::nullopt).value_or("");
          pc.mac = read_mac(p, "mac", true).value_or(wire::MacAddress());
          pc.speed_mbps = static_cast<uint64_t>(p.integer("speed_mbps", 10, 400'000, 10'000).value_or(10'000));
          pc.physical_port = p.string("physical_port", std::string()).value_or("");
          if (!pc.physical_port.empty()) {
            const bool known = topo.physical_network &&
                               std::any_of(topo.physical_network->ports.begin(), topo.physical_network->ports.end(),
                                           [&](const auto& x) { return x.name == pc.physical_port; });
            if (!known)
              p.error_at(*pn->items()[k].find("physical_port"), "physical_port",
                         "no physical_network port named \"" + pc.physical_port + "\"");
          }
          p.reject_unknown_keys();
          hc.pnics.push_back(pc);
        }
      }
      auto has_pnic = [&](const std::string& n) {
        return std::any_of(hc.pnics.begin(), hc.pnics.end(), [&](const PnicConfig& p) { return p.name == n; });
      };
      if (const Json* sws = h.array("switches", false)) {
        for (size_t k = 0; k < sws->items().size(); ++k) {
          const std::string sp = ObjectReader::index_path(h.child_path("switches"), k);
          ObjectReader s(sws->items()[k], sp, errors);
          StandardSwitchConfig sc;
          sc.name = s.string("name", std::nullopt).value_or("");
          sc.max_ports = static_cast<uint32_t>(s.integer("max_ports", 8, 4096, 4096).value_or(4096));
          sc.uplinks = read_names(s, "uplinks");
          for (const auto& u : sc.uplinks)
            if (!has_pnic(u)) s.error_at(*sws->items()[k].find("uplinks"), "uplinks", "no pNIC named \"" + u + "\" on this host");
          if (const Json* pgs = s.array("port_groups", false)) {
            for (size_t g = 0; g < pgs->items().size(); ++g) {
              auto pg = read_port_group(pgs->items()[g], ObjectReader::index_path(s.child_path("port_groups"), g), false, errors);
              const std::string gp = ObjectReader::index_path(s.child_path("port_groups"), g) + ".teaming";
              for (const auto* list : {&pg.teaming.active, &pg.teaming.standby})
                for (const auto& n : *list)
                  if (std::find(sc.uplinks.begin(), sc.uplinks.end(), n) == sc.uplinks.end())
                    errors.push_back({gp, pgs->items()[g].location(), "\"" + n + "\" is not an uplink of switch \"" + sc.name + "\""});
              if (pg.teaming.detection == vswitch::FailureDetection::kBeaconProbing) {
                const size_t n = pg.teaming.active.size() + pg.teaming.standby.size();
                if ((n == 0 ? sc.uplinks.size() : n) < 3)
                  errors.push_back({gp + ".failure_detection", pgs->items()[g].location(), "beacon probing needs at least 3 uplinks"});
              }
              sc.port_groups.push_back(std::move(pg));
            }
          }
          s.reject_unknown_keys();
          hc.switches.push_back(std::move(sc));
        }
      }
      // Which switch names a port may use: the host's own and the DVSes bound to it.
      auto check_port = [&](const PortAttachment& pa, const Json& at, const std::string& pp) {
        for (const auto& sc : hc.switches) {
          if (sc.name != pa.switch_name) continue;
          if (std::none_of(sc.port_groups.begin(), sc.port_groups.end(), [&](const auto& g) { return g.name == pa.port_group; }))
            errors.push_back({pp + ".port_group", at.location(), "switch \"" + sc.name + "\" has no port group \"" + pa.port_group + "\""});
          if (pa.overrides.shaping_out || pa.overrides.mac_learning)
            errors.push_back({pp, at.location(), "egress_shaping and mac_learning need a distributed switch"});
          return;
        }
        for (const auto& dc : topo.distributed_switches) {
          if (dc.name != pa.switch_name) continue;
          if (std::none_of(dc.hosts.begin(), dc.hosts.end(), [&](const auto& b) { return b.host == hc.name; }))
            errors.push_back({pp + ".switch", at.location(), "host \"" + hc.name + "\" is not a member of \"" + dc.name + "\""});
          if (std::none_of(dc.port_groups.begin(), dc.port_groups.end(), [&](const auto& g) { return g.name == pa.port_group; }))
            errors.push_back({pp + ".port_group", at.location(), "switch \"" + dc.name + "\" has no port group \"" + pa.port_group + "\""});
          return;
        }
        errors.push_back({pp + ".switch", at.location(), "no switch named \"" + pa.switch_name + "\""});
      };
      if (const Json* ns = h.array("netstacks", false)) {
        for (size_t k = 0; k < ns->items().size(); ++k) {
          const std::string np = ObjectReader::index_path(h.child_path("netstacks"), k);
          ObjectReader n(ns->items()[k], np, errors);
          NetstackConfig nc;
          nc.name = n.string("name", std::nullopt).value_or("");
          if (auto gw = n.string("gateway", std::string()); gw && !gw->empty()) {
            nc.gateway = wire::Ipv4Address::parse(*gw);
            if (!nc.gateway) n.error_at(*ns->items()[k].find("gateway"), "gateway", "not an IPv4 address");
          }
          if (const Json* vs = n.array("vmknics", false)) {
            for (size_t v = 0; v < vs->items().size(); ++v) {
              const std::string vp = ObjectReader::index_path(n.child_path("vmknics"), v);
              VmknicConfig vk;
              vk.port = read_port(vs->items()[v], vp, errors, true, &vk);
              check_port(vk.port, vs->items()[v], vp);
              nc.vmknics.push_back(std::move(vk));
            }
          }
          n.reject_unknown_keys();
          hc.netstacks.push_back(std::move(nc));
        }
      }
      if (const Json* vms = h.array("vms", false)) {
        for (size_t k = 0; k < vms->items().size(); ++k) {
          const std::string vp = ObjectReader::index_path(h.child_path("vms"), k);
          ObjectReader v(vms->items()[k], vp, errors);
          VmConfig vc;
          vc.name = v.string("name", std::nullopt).value_or("");
          if (const Json* ns = v.array("vnics", true)) {
            for (size_t n = 0; n < ns->items().size(); ++n) {
              const std::string np = ObjectReader::index_path(v.child_path("vnics"), n);
              auto pa = read_port(ns->items()[n], np, errors, false, nullptr);
              check_port(pa, ns->items()[n], np);
              vc.vnics.push_back(std::move(pa));
            }
          }
          v.reject_unknown_keys();
          hc.vms.push_back(std::move(vc));
        }
      }
      h.reject_unknown_keys();
      topo.hosts.push_back(std::move(hc));
    }
  }
  // DVS host bindings must name hosts and their pNICs.
  for (size_t i = 0; i < topo.distributed_switches.size(); ++i) {
    const auto& dc = topo.distributed_switches[i];
    for (size_t k = 0; k < dc.hosts.size(); ++k) {
      const auto& b = dc.hosts[k];
      const std::string bp = ObjectReader::index_path(ObjectReader::index_path("distributed_switches", i) + ".hosts", k);
      const Json& at = dvss->items()[i];
      auto h = std::find_if(topo.hosts.begin(), topo.hosts.end(), [&](const HostConfig& x) { return x.name == b.host; });
      if (h == topo.hosts.end()) {
        errors.push_back({bp + ".host", at.location(), "no host named \"" + b.host + "\""});
        continue;
      }
      for (const auto& binding : b.uplinks) {
        const std::string& pnic = binding.second;  // (clang 14 cannot capture structured bindings)
        if (std::none_of(h->pnics.begin(), h->pnics.end(), [&](const PnicConfig& p) { return p.name == pnic; }))
          errors.push_back({bp + ".uplinks." + binding.first, at.location(),
                            "host \"" + b.host + "\" has no pNIC \"" + pnic + "\""});
      }
    }
  }
  if (!errors.empty()) return core::Err(LoadError{std::move(errors)});
  return topo;
}

core::Result<TopologyConfig, LoadError> load_topology_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadError e;
    e.errors.push_back({path, {}, "cannot open file"});
    return core::Err(e);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_topology(ss.str());
}

}  // namespace vnetref::host
