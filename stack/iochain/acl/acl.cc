#include "stack/iochain/acl/acl.h"

#include <algorithm>
#include <cstdio>

namespace vnetref::iochain::acl {

using config::Json;
using config::ObjectReader;

const char* name_of(DropReason r) {
  switch (r) {
    case DropReason::kRuleMatch: return "rule_match";
    case DropReason::kDefaultAction: return "default_action";
    case DropReason::kCount: break;
  }
  return "?";
}

namespace {

void macs(ObjectReader& rr, const char* key, std::vector<uint64_t>& out, std::vector<config::ConfigError>& errors) {
  const Json* a = rr.array(key, false);
  if (a == nullptr) return;
  for (size_t i = 0; i < a->items().size(); ++i) {
    const Json& m = a->items()[i];
    auto v = m.is_string() ? parse_mac_text(m.as_string()) : std::nullopt;
    if (!v) {
      errors.push_back({ObjectReader::index_path(rr.child_path(key), i), m.location(), "bad MAC address"});
    } else {
      out.push_back(*v);
    }
  }
}

bool in_ranges(const std::vector<U32Range>& v, uint32_t x) {
  for (const auto& r : v) {
    if (x >= r.lo && x <= r.hi) return true;
  }
  return false;
}

}  // namespace

FilterResult<AclConfig> parse_acl_config(std::string_view json, const FilterParams& params) {
  auto j0 = parse_config_text(json);
  if (!j0) return core::Err(j0.error());
  auto j = apply_params(std::move(j0).value(), params);
  if (!j) return core::Err(j.error());
  std::vector<config::ConfigError> errors;
  AclConfig cfg;
  ObjectReader top(*j, "config", errors);
  cfg.default_allow = top.choice("default_action", {"allow", "drop"}, "allow").value_or("allow") == "allow";
  if (const Json* rules = top.array("rules", false)) {
    if (rules->items().size() > kMaxAclRules) {
      top.error_at(*rules, "rules", "at most " + std::to_string(kMaxAclRules) + " rules");
    }
    for (size_t i = 0; i < rules->items().size() && i < kMaxAclRules; ++i) {
      const Json& rj = rules->items()[i];
      ObjectReader rr(rj, ObjectReader::index_path(top.child_path("rules"), i), errors);
      AclRule r;
      r.id = static_cast<uint32_t>(rr.integer("id", 0, 0xffffffffLL, static_cast<int64_t>(i + 1)).value_or(0));
      r.allow = rr.choice("action", {"allow", "drop"}, std::nullopt).value_or("allow") == "allow";
      const std::string d = rr.choice("direction", {"in", "out", "inout"}, "inout").value_or("inout");
      r.dir = d == "out" ? 0 : d == "in" ? 1 : -1;
      macs(rr, "src_mac", r.src_mac, errors);
      macs(rr, "dst_mac", r.dst_mac, errors);
      r.ethertype = static_cast<int>(rr.integer("ethertype", -1, 0xffff, -1).value_or(-1));
      r.vlan = static_cast<int>(rr.integer("vlan", -1, 4095, -1).value_or(-1));
      bool any = false;
      if (const Json* a = rr.array("src", false)) {
        parse_addr_list(*a, rr.child_path("src"), nullptr, r.src, any, errors);
        if (any) r.src.clear();
      }
      if (const Json* a = rr.array("dst", false)) {
        parse_addr_list(*a, rr.child_path("dst"), nullptr, r.dst, any, errors);
        if (any) r.dst.clear();
      }
      if (const Json* p = rj.is_object() ? rj.find("protocol") : nullptr) {
        if (p->is_integer() && p->as_int() >= 0 && p->as_int() <= 255) {
          r.proto = static_cast<int>(p->as_int());
        } else if (p->is_string() && (p->as_string() == "tcp" || p->as_string() == "udp" || p->as_string() == "icmp" ||
                                      p->as_string() == "any")) {
          r.proto = p->as_string() == "tcp" ? 6 : p->as_string() == "udp" ? 17 : p->as_string() == "icmp" ? 1 : -1;
        } else {
          rr.error_at(*p, "protocol", "must be \"tcp\", \"udp\", \"icmp\", \"any\" or 0..255");
        }
      }
      if (const Json* a = rr.array("src_ports", false)) parse_port_list(*a, rr.child_path("src_ports"), r.sport, errors);
      if (const Json* a = rr.array("dst_ports", false)) parse_port_list(*a, rr.child_path("dst_ports"), r.dport, errors);
      r.icmp_type = static_cast<int>(rr.integer("icmp_type", -1, 255, -1).value_or(-1));
      r.icmp_code = static_cast<int>(rr.integer("icmp_code", -1, 255, -1).value_or(-1));
      if ((!r.sport.empty() || !r.dport.empty()) && r.proto != 6 && r.proto != 17) {
        rr.error_at(rj, "dst_ports", "ports need protocol tcp or udp");
      }
      if ((r.icmp_type >= 0 || r.icmp_code >= 0) && r.proto != 1) {
        rr.error_at(rj, "icmp_type", "icmp_type/icmp_code need protocol icmp");
      }
      r.needs_ip = !r.src.empty() || !r.dst.empty() || r.proto >= 0;
      for (const auto& member : rj.members()) {
        const std::string& k = member.first;
        const config::Json& v = member.second;
        static const char* kKnown[] = {"id", "action", "direction", "src_mac", "dst_mac", "ethertype", "vlan", "src",
                                       "dst", "protocol", "src_ports", "dst_ports", "icmp_type", "icmp_code"};
        if (std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char* s) { return k == s; }) ==
            std::end(kKnown)) {
          rr.error_at(v, k, "unknown field");
        }
      }
      cfg.rules.push_back(std::move(r));
    }
  }
  top.reject_unknown_keys();
  if (auto st = config_errors_status(errors); !st) return core::Err(st.error());
  return cfg;
}

int acl_match(const AclConfig& cfg, const PacketInfo& pi, bool parsed_ok, Direction dir) {
  const int d = dir == Direction::kEgress ? 0 : 1;
  for (size_t i = 0; i < cfg.rules.size(); ++i) {
    const AclRule& r = cfg.rules[i];
    if (r.dir >= 0 && r.dir != d) continue;
    if (r.ethertype >= 0 && r.ethertype != pi.ethertype) continue;
    if (r.vlan >= 0 && r.vlan != pi.vlan_id) continue;
    if (!r.src_mac.empty() && std::find(r.src_mac.begin(), r.src_mac.end(), pi.src_mac) == r.src_mac.end()) continue;
    if (!r.dst_mac.empty() && std::find(r.dst_mac.begin(), r.dst_mac.end(), pi.dst_mac) == r.dst_mac.end()) continue;
    if (r.needs_ip) {
      // L3 conditions only match well-formed IPv4.
      if (!pi.ipv4 || !parsed_ok) continue;
      if (!r.src.empty() && !in_ranges(r.src, pi.src_ip)) continue;
      if (!r.dst.empty() && !in_ranges(r.dst, pi.dst_ip)) continue;
      if (r.proto >= 0 && r.proto != pi.proto) continue;
    }
    if (!r.sport.empty() || !r.dport.empty()) {
      if (!pi.l4 || (pi.proto != 6 && pi.proto != 17)) continue;
      if (!r.sport.empty() && !in_ranges(r.sport, pi.sport)) continue;
      if (!r.dport.empty() && !in_ranges(r.dport, pi.dport)) continue;
    }
    if (r.icmp_type >= 0 || r.icmp_code >= 0) {
      if (!pi.is_icmp()) continue;
      if (r.icmp_type >= 0 && r.icmp_type != pi.icmp_type) continue;
      if (r.icmp_code >= 0 && r.icmp_code != pi.icmp_code) continue;
    }
    return static_cast<int>(i);
  }
  return -1;
}

AclFilter::AclFilter(AclConfig cfg) : cfg_(std::move(cfg)) {
  info_.agent = kAclAgent;
  info_.counter_prefix = "acl";
  info_.drop_reasons = {name_of(DropReason::kRuleMatch), name_of(DropReason::kDefaultAction)};
  hits_.assign(cfg_.rules.size(), 0);
}

FilterResult<std::unique_ptr<AclFilter>> AclFilter::create(const FilterPlacement&, std::string_view config_json,
                                                           const FilterParams& params) {
  auto cfg = parse_acl_config(config_json, params);
  if (!cfg) return core::Err(cfg.error());
  return std::unique_ptr<AclFilter>(new AclFilter(std::move(cfg).value()));
}

FilterStatus AclFilter::process(core::PacketBatch& batch, Direction dir, FilterHost& host) {
  if (cfg_.rules.empty()) {
    if (!cfg_.default_allow) {
      default_hits_ += batch.size();
      for (uint32_t i = 0; i < batch.size(); ++i) host.drop(batch.take(i), static_cast<uint32_t>(DropReason::kDefaultAction));
      batch.compact();
    } else {
      default_hits_ += batch.size();
    }
    return core::Ok{};
  }
  for (uint32_t i = 0; i < batch.size(); ++i) {
    PacketInfo pi;
    const bool ok = parse_packet(*batch[i], pi);
    const int m = acl_match(cfg_, pi, ok, dir);
    if (m < 0) {
      ++default_hits_;
      if (!cfg_.default_allow) host.drop(batch.take(i), static_cast<uint32_t>(DropReason::kDefaultAction));
      continue;
    }
    ++hits_[static_cast<size_t>(m)];
    if (!cfg_.rules[static_cast<size_t>(m)].allow) host.drop(batch.take(i), static_cast<uint32_t>(DropReason::kRuleMatch));
  }
  batch.compact();
  return core::Ok{};
}

void AclFilter::counters(core::CounterList& out) const {
  out.push_back({"rules", cfg_.rules.size()});
  out.push_back({"default.hits", default_hits_});
  for (size_t i = 0; i < cfg_.rules.size(); ++i) {
    out.push_back({"rule." + std::to_string(cfg_.rules[i].id) + ".hits", hits_[i]});
  }
}

FilterResult<std::string> AclFilter::ioctl(std::string_view request) {
  if (request != "getrules") return filter_error(FilterError::kUnsupported, "unknown ioctl (getrules)");
  std::string out;
  for (const AclRule& r : cfg_.rules) {
    out += "rule " + std::to_string(r.id) + (r.dir == 0 ? " out" : r.dir == 1 ? " in" : " inout");
    if (r.ethertype >= 0) out += " ethertype " + std::to_string(r.ethertype);
    if (r.vlan >= 0) out += " vlan " + std::to_string(r.vlan);
    for (uint64_t m : r.src_mac) out += " srcmac " + mac_text(m);
    for (uint64_t m : r.dst_mac) out += " dstmac " + mac_text(m);
    if (r.proto >= 0) out += " protocol " + std::to_string(r.proto);
    for (const auto& x : r.src) out += " from " + range_text(x, true);
    for (const auto& x : r.dst) out += " to " + range_text(x, true);
    for (const auto& x : r.sport) out += " sport " + range_text(x, false);
    for (const auto& x : r.dport) out += " dport " + range_text(x, false);
    if (r.icmp_type >= 0) out += " icmptype " + std::to_string(r.icmp_type);
    if (r.icmp_code >= 0) out += " icmpcode " + std::to_string(r.icmp_code);
    out += r.allow ? " allow;\n" : " drop;\n";
  }
  out += std::string("default ") + (cfg_.default_allow ? "allow;\n" : "drop;\n");
  return out;
}

FilterStatus AclFilter::config_changed(std::string_view config_json) {
  auto cfg = parse_acl_config(config_json, {});
  if (!cfg) return core::Err(cfg.error());
  cfg_ = std::move(cfg).value();
  hits_.assign(cfg_.rules.size(), 0);
  default_hits_ = 0;
  return core::Ok{};
}

}  // namespace vnetref::iochain::acl
