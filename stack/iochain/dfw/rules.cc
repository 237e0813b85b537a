#include "stack/iochain/dfw/rules.h"

#include <algorithm>
#include <cstdio>

#include "stack/config/schema.h"

namespace vnetref::iochain::dfw {

using config::Json;
using config::ObjectReader;

const char* name_of(Category c) {
  switch (c) {
    case Category::kEthernet: return "ethernet";
    case Category::kEmergency: return "emergency";
    case Category::kInfrastructure: return "infrastructure";
    case Category::kEnvironment: return "environment";
    case Category::kApplication: return "application";
    case Category::kDefault: return "default";
  }
  return "?";
}

const char* name_of(Action a) {
  switch (a) {
    case Action::kAllow: return "accept";
    case Action::kDrop: return "drop";
    case Action::kReject: return "reject";
    case Action::kJumpToApplication: return "jump-to-application";
  }
  return "?";
}

namespace {

const std::vector<std::string> kCategories = {"ethernet", "emergency", "infrastructure",
                                              "environment", "application", "default"};

Category category_from(const std::string& s) {
  for (size_t i = 0; i < kCategories.size(); ++i) {
    if (kCategories[i] == s) return static_cast<Category>(i);
  }
  return Category::kApplication;
}

int proto_from(const Json& v, const std::string& path, std::vector<config::ConfigError>& errors) {
  if (v.is_integer()) {
    if (v.as_int() < 0 || v.as_int() > 255) {
      errors.push_back({path, v.location(), "protocol number must be 0..255"});
      return -2;
    }
    return static_cast<int>(v.as_int());
  }
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (s == "any") return -1;
    if (s == "tcp") return 6;
    if (s == "udp") return 17;
    if (s == "icmp") return 1;
  }
  errors.push_back({path, v.location(), "protocol must be \"any\", \"tcp\", \"udp\", \"icmp\" or 0..255"});
  return -2;
}

void parse_service(const Json& s, const std::string& path, Service& out, std::vector<config::ConfigError>& errors) {
  ObjectReader r(s, path, errors);
  if (const Json* p = s.find("protocol")) {
    out.proto = proto_from(*p, r.child_path("protocol"), errors);
  }
  if (const Json* a = r.array("src_ports", false)) parse_port_list(*a, r.child_path("src_ports"), out.src_ports, errors);
  if (const Json* a = r.array("dst_ports", false)) parse_port_list(*a, r.child_path("dst_ports"), out.dst_ports, errors);
  out.icmp_type = static_cast<int>(r.integer("icmp_type", -1, 255, -1).value_or(-1));
  out.icmp_code = static_cast<int>(r.integer("icmp_code", -1, 255, -1).value_or(-1));
  if ((!out.src_ports.empty() || !out.dst_ports.empty()) && out.proto != 6 && out.proto != 17) {
    r.error_at(s, "dst_ports", "ports need protocol tcp or udp");
  }
  if ((out.icmp_type >= 0 || out.icmp_code >= 0) && out.proto != 1) {
    r.error_at(s, "icmp_type", "icmp_type/icmp_code need protocol icmp");
  }
  // "protocol" may be a string or a number, so unknown keys are checked here.
  for (const auto& [k, v] : s.members()) {
    if (k != "protocol" && k != "src_ports" && k != "dst_ports" && k != "icmp_type" && k != "icmp_code") {
      r.error_at(v, k, "unknown field");
    }
  }
}

std::vector<std::string> string_list(const Json* a) {
  std::vector<std::string> out;
  if (a == nullptr) return out;
  for (const Json& e : a->items()) {
    if (e.is_string()) out.push_back(e.as_string());
  }
  return out;
}

}  // namespace

core::Result<DfwConfig, FilterFailure> parse_dfw_config(const Json& cfg) {
  std::vector<config::ConfigError> errors;
  DfwConfig out;
  ObjectReader top(cfg, "config", errors);
  out.conn_limit = static_cast<uint32_t>(top.integer("conn_limit", 16, 1 << 24, 1 << 20).value_or(1 << 20));
  out.frag_limit = static_cast<uint32_t>(top.integer("frag_limit", 16, 1 << 20, 4096).value_or(4096));
  out.drop_ip_options = top.boolean("drop_ip_options", false).value_or(false);
  out.vnic_name = top.string("vnic_name", "").value_or("");
  const bool strict_default = top.boolean("tcp_strict", false).value_or(false);
  if (const Json* t = top.object("timeouts", false)) {
    ObjectReader tr(*t, top.child_path("timeouts"), errors);
    Timeouts& to = out.timeouts;
    auto get = [&](const char* k, uint32_t& v) {
      v = static_cast<uint32_t>(tr.integer(k, 1, 10 * 86400, v).value_or(v));
    };
    get("tcp_first", to.tcp_first);
    get("tcp_opening", to.tcp_opening);
    get("tcp_established", to.tcp_established);
    get("tcp_closing", to.tcp_closing);
    get("tcp_finwait", to.tcp_finwait);
    get("tcp_closed", to.tcp_closed);
    get("udp_first", to.udp_first);
    get("udp_single", to.udp_single);
    get("udp_multiple", to.udp_multiple);
    get("icmp_first", to.icmp_first);
    get("icmp_error_reply", to.icmp_error_reply);
    get("other_first", to.other_first);
    get("other_single", to.other_single);
    get("other_multiple", to.other_multiple);
    get("frag", to.frag);
    get("purge_interval", to.purge_interval);
    tr.reject_unknown_keys();
  }
  if (const Json* sets = top.object("addrsets", false)) {
    for (const auto& [name, list] : sets->members()) {
      const std::string path = top.child_path("addrsets") + "." + name;
      if (!list.is_array()) {
        errors.push_back({path, list.location(), "must be an array of addresses"});
        continue;
      }
      std::vector<U32Range> ranges;
      bool any = false;
      parse_addr_list(list, path, nullptr, ranges, any, errors);
      if (any) ranges.push_back({0, 0xffffffffu});
      out.addrsets[name] = ranges;
      out.addrset_text.push_back({name, string_list(&list)});
    }
  }
  struct SectionRules {
    Category cat;
    std::vector<Rule> rules;
  };
  std::vector<SectionRules> sections;
  if (const Json* secs = top.array("sections", false)) {
    for (size_t si = 0; si < secs->items().size(); ++si) {
      const Json& sj = secs->items()[si];
      ObjectReader sr(sj, ObjectReader::index_path(top.child_path("sections"), si), errors);
      SectionRules sec;
      const uint32_t sid = static_cast<uint32_t>(sr.integer("id", 0, 0xffffffffLL, static_cast<int64_t>(si + 1)).value_or(0));
      (void)sr.string("name", "");
      sec.cat = category_from(sr.choice("category", kCategories, "application").value_or("application"));
      const bool strict = sr.boolean("tcp_strict", strict_default).value_or(false);
      if (const Json* rules = sr.array("rules", false)) {
        for (size_t ri = 0; ri < rules->items().size(); ++ri) {
          const Json& rj = rules->items()[ri];
          ObjectReader rr(rj, ObjectReader::index_path(sr.child_path("rules"), ri), errors);
          Rule rule;
          rule.id = static_cast<uint32_t>(rr.integer("id", 0, 0xffffffffLL, std::nullopt).value_or(0));
          rule.section_id = sid;
          rule.category = sec.cat;
          rule.tcp_strict = strict;
          const std::string action =
              rr.choice("action", {"allow", "drop", "reject", "jump_to_application"}, "allow").value_or("allow");
          rule.action = action == "allow"  ? Action::kAllow
                        : action == "drop" ? Action::kDrop
                        : action == "reject" ? Action::kReject
                                             : Action::kJumpToApplication;
          if (rule.action == Action::kJumpToApplication && sec.cat != Category::kEnvironment) {
            rr.error_at(rj, "action", "jump_to_application is only allowed in the environment category");
          }
          const std::string dir = rr.choice("direction", {"in", "out", "inout"}, "inout").value_or("inout");
          rule.dir = dir == "in" ? RuleDir::kIn : dir == "out" ? RuleDir::kOut : RuleDir::kInOut;
          rule.log = rr.boolean("log", false).value_or(false);
          const bool disabled = rr.boolean("disabled", false).value_or(false);
          rule.applied_to = string_list(rr.array("applied_to", false));
          if (sec.cat == Category::kEthernet) {
            if (const Json* a = rr.array("src_mac", false)) {
              for (size_t i = 0; i < a->items().size(); ++i) {
                const Json& m = a->items()[i];
                auto v = m.is_string() ? parse_mac_text(m.as_string()) : std::nullopt;
                if (!v) errors.push_back({ObjectReader::index_path(rr.child_path("src_mac"), i), m.location(), "bad MAC"});
                else rule.src_mac.push_back(*v);
              }
            }
            if (const Json* a = rr.array("dst_mac", false)) {
              for (size_t i = 0; i < a->items().size(); ++i) {
                const Json& m = a->items()[i];
                auto v = m.is_string() ? parse_mac_text(m.as_string()) : std::nullopt;
                if (!v) errors.push_back({ObjectReader::index_path(rr.child_path("dst_mac"), i), m.location(), "bad MAC"});
                else rule.dst_mac.push_back(*v);
              }
            }
            rule.ethertype = static_cast<int>(rr.integer("ethertype", -1, 0xffff, -1).value_or(-1));
            if (rule.action == Action::kReject) rule.action = Action::kDrop;  // no L2 reject message exists
          } else {
            if (const Json* a = rr.array("sources", false)) {
              parse_addr_list(*a, rr.child_path("sources"), &out.addrsets, rule.src, rule.src_any, errors);
              rule.src_text = string_list(a);
              rule.src_any = rule.src_any || a->items().empty();
            }
            if (const Json* a = rr.array("destinations", false)) {
              parse_addr_list(*a, rr.child_path("destinations"), &out.addrsets, rule.dst, rule.dst_any, errors);
              rule.dst_text = string_list(a);
              rule.dst_any = rule.dst_any || a->items().empty();
            }
            rule.src_negate = rr.boolean("sources_negate", false).value_or(false);
            rule.dst_negate = rr.boolean("destinations_negate", false).value_or(false);
            if (const Json* a = rr.array("services", false)) {
              for (size_t i = 0; i < a->items().size(); ++i) {
                Service s;
                parse_service(a->items()[i], ObjectReader::index_path(rr.child_path("services"), i), s, errors);
                rule.services.push_back(std::move(s));
              }
            }
          }
          rr.reject_unknown_keys();
          if (!disabled) sec.rules.push_back(std::move(rule));
        }
      }
      sr.reject_unknown_keys();
      sections.push_back(std::move(sec));
    }
  }
  Rule def;
  def.category = Category::kDefault;
  def.id = 2;
  if (const Json* d = top.object("default_rule", false)) {
    ObjectReader dr(*d, top.child_path("default_rule"), errors);
    def.id = static_cast<uint32_t>(dr.integer("id", 0, 0xffffffffLL, 2).value_or(2));
    const std::string a = dr.choice("action", {"allow", "drop", "reject"}, "allow").value_or("allow");
    def.action = a == "allow" ? Action::kAllow : a == "drop" ? Action::kDrop : Action::kReject;
    def.log = dr.boolean("log", false).value_or(false);
    def.section_id = static_cast<uint32_t>(dr.integer("section", 0, 0xffffffffLL, 0).value_or(0));
    dr.reject_unknown_keys();
  }
  top.reject_unknown_keys();
  if (!errors.empty()) return core::Err(FilterFailure{FilterError::kInvalid, config::format_errors(errors)});
  std::stable_sort(sections.begin(), sections.end(),
                   [](const SectionRules& a, const SectionRules& b) { return a.cat < b.cat; });
  size_t total = 0;
  for (auto& s : sections) {
    for (auto& r : s.rules) {
      out.rules.push_back(std::move(r));
      ++total;
    }
  }
  if (total > 120000) {
    return core::Err(FilterFailure{FilterError::kInvalid,
                                   "config: " + std::to_string(total) + " rules exceed the 120,000 per host maximum"});
  }
  out.rules.push_back(def);
  return out;
}

namespace {
constexpr size_t kMaxRulesPerVnic = 4000;  // documented NSX limit
}  // namespace

core::Result<std::shared_ptr<const RuleTable>, FilterFailure> RuleTable::compile(
    const DfwConfig& cfg, const std::vector<std::string>& vnic_names, uint32_t generation) {
  auto t = std::make_shared<RuleTable>();
  t->generation_ = generation;
  std::vector<classify::RuleSpec> specs;
  t->first_app_entry_ = classify::kNoMatch;
  // The documented per-vNIC maximum counts the rules installed on this vNIC (applied
  // to all vNICs, or naming one of ours); the trailing default rule is not counted.
  size_t installed = 0;
  for (size_t i = 0; i + 1 < cfg.rules.size(); ++i) {
    const Rule& r = cfg.rules[i];
    bool mine = r.applied_to.empty();
    for (const auto& a : r.applied_to) {
      if (std::find(vnic_names.begin(), vnic_names.end(), a) != vnic_names.end()) mine = true;
    }
    installed += mine ? 1 : 0;
  }
  if (installed > kMaxRulesPerVnic) {
    return core::Err(FilterFailure{FilterError::kInvalid, "config: " + std::to_string(installed) +
                                                              " rules on this vNIC exceed the 4,000 per vNIC maximum"});
  }
  for (const Rule& r : cfg.rules) {
    if (!r.applied_to.empty()) {
      bool mine = false;
      for (const auto& a : r.applied_to) {
        if (std::find(vnic_names.begin(), vnic_names.end(), a) != vnic_names.end()) mine = true;
      }
      if (!mine) continue;
    }
    if (r.category == Category::kEthernet) {
      t->l2_.push_back(r);
      continue;
    }
    const uint32_t ri = static_cast<uint32_t>(t->rules_.size());
    t->rules_.push_back(r);
    if (r.category >= Category::kApplication && t->first_app_entry_ == classify::kNoMatch) {
      t->first_app_entry_ = static_cast<uint32_t>(specs.size());
    }
    classify::RuleSpec base;
    if (!r.src_any) {
      for (const auto& x : r.src) base.add(classify::kSrcIp, x.lo, x.hi);
      if (r.src.empty()) base.never_ = true;  // only unresolved/empty sets: matches nothing
    }
    if (r.src_negate) base.negate(classify::kSrcIp);
    if (!r.dst_any) {
      for (const auto& x : r.dst) base.add(classify::kDstIp, x.lo, x.hi);
      if (r.dst.empty()) base.never_ = true;
    }
    if (r.dst_negate) base.negate(classify::kDstIp);
    if (r.dir == RuleDir::kOut) base.add(classify::kDir, 0, 0);
    if (r.dir == RuleDir::kIn) base.add(classify::kDir, 1, 1);
    auto push = [&](classify::RuleSpec s) {
      specs.push_back(std::move(s));
      t->entries_.push_back({ri});
    };
    if (r.services.empty()) {
      push(base);
    } else {
      for (const Service& s : r.services) {
        classify::RuleSpec e = base;
        if (s.proto >= 0) e.add(classify::kProto, static_cast<uint32_t>(s.proto), static_cast<uint32_t>(s.proto));
        for (const auto& p : s.src_ports) e.add(classify::kSrcPort, p.lo, p.hi);
        for (const auto& p : s.dst_ports) e.add(classify::kDstPort, p.lo, p.hi);
        if (s.icmp_type >= 0) e.add(classify::kSrcPort, static_cast<uint32_t>(s.icmp_type), static_cast<uint32_t>(s.icmp_type));
        if (s.icmp_code >= 0) e.add(classify::kDstPort, static_cast<uint32_t>(s.icmp_code), static_cast<uint32_t>(s.icmp_code));
        push(std::move(e));
      }
    }
  }
  if (t->first_app_entry_ == classify::kNoMatch) t->first_app_entry_ = static_cast<uint32_t>(specs.size());
  auto c = classify::Classifier::build(specs);
  if (!c) return core::Err(FilterFailure{FilterError::kInvalid, "classifier: " + c.error()});
  t->cls_ = std::move(c).value();
  return std::shared_ptr<const RuleTable>(std::move(t));
}

namespace {

std::string addr_words(const std::vector<std::string>& text, bool any, bool negate) {
  std::string s;
  if (any || text.empty()) {
    s = "any";
  } else if (text.size() == 1) {
    s = text[0].rfind("addrset:", 0) == 0 ? "addrset " + text[0].substr(8) : text[0];
  } else {
    s = "{ ";
    for (size_t i = 0; i < text.size(); ++i) {
      if (i > 0) s += ", ";
      s += text[i].rfind("addrset:", 0) == 0 ? "addrset " + text[i].substr(8) : text[i];
    }
    s += " }";
  }
  return negate ? "not " + s : s;
}

const char* proto_word(int p) {
  switch (p) {
    case -1: return "any";
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    default: return nullptr;
  }
}

}  // namespace

std::string RuleTable::format_rules(const std::string& name) const {
  std::string out = "ruleset " + name + " {\n  # generation number: " + std::to_string(generation_) +
                    "\n  # FILTER rules\n";
  uint32_t at = 1;
  for (const Rule& r : rules_) {
    const char* dir = r.dir == RuleDir::kIn ? "in" : r.dir == RuleDir::kOut ? "out" : "inout";
    std::vector<Service> svcs = r.services.empty() ? std::vector<Service>{Service{}} : r.services;
    for (const Service& s : svcs) {
      std::string line = "  rule " + std::to_string(r.id) + " at " + std::to_string(at) + " " + dir + " protocol ";
      const char* pw = proto_word(s.proto);
      line += pw != nullptr ? pw : std::to_string(s.proto);
      if (s.icmp_type >= 0) line += " icmptype " + std::to_string(s.icmp_type);
      if (s.icmp_code >= 0) line += " icmpcode " + std::to_string(s.icmp_code);
      line += " from " + addr_words(r.src_text, r.src_any, r.src_negate);
      if (!s.src_ports.empty()) {
        line += " port ";
        for (size_t i = 0; i < s.src_ports.size(); ++i) line += (i ? "," : "") + range_text(s.src_ports[i], false);
      }
      line += " to " + addr_words(r.dst_text, r.dst_any, r.dst_negate);
      if (!s.dst_ports.empty()) {
        line += " port ";
        for (size_t i = 0; i < s.dst_ports.size(); ++i) line += (i ? "," : "") + range_text(s.dst_ports[i], false);
      }
      if (r.tcp_strict && (s.proto == 6 || s.proto == -1)) line += " strict";
      line += std::string(" ") + name_of(r.action);
      if (r.log) line += " with log";
      out += line + ";\n";
    }
    ++at;
  }
  out += "}\n\nruleset " + name + "_L2 {\n  # FILTER rules\n";
  at = 1;
  for (const Rule& r : l2_) {
    const char* dir = r.dir == RuleDir::kIn ? "in" : r.dir == RuleDir::kOut ? "out" : "inout";
    std::string line = "  rule " + std::to_string(r.id) + " at " + std::to_string(at++) + " " + dir;
    if (r.ethertype >= 0) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%04x", r.ethertype);
      line += std::string(" ethertype ") + buf;
    } else {
      line += " ethertype any";
    }
    line += " from " + (r.src_mac.empty() ? std::string("any") : mac_text(r.src_mac[0]) + (r.src_mac.size() > 1 ? ",..." : ""));
    line += " to " + (r.dst_mac.empty() ? std::string("any") : mac_text(r.dst_mac[0]) + (r.dst_mac.size() > 1 ? ",..." : ""));
    line += std::string(" ") + name_of(r.action);
    if (r.log) line += " with log";
    out += line + ";\n";
  }
  out += "}\n";
  return out;
}

}  // namespace vnetref::iochain::dfw
