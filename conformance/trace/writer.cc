#include "conformance/trace/writer.h"

#include "stack/config/json.h"

namespace vnetref::conformance {

namespace {

std::string duration_text(int64_t ns) {
  struct Unit {
    int64_t n;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{int64_t{3600} * 1000000000, "h"}, {int64_t{60} * 1000000000, "m"},
                                    {1000000000, "s"}, {1000000, "ms"}, {1000, "us"}};
  for (const Unit& u : kUnits) {
    if (ns != 0 && ns % u.n == 0) return std::to_string(ns / u.n) + u.name;
  }
  return std::to_string(ns) + "ns";
}

void note(std::string& out, const std::string& text) {
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const size_t nl = text.find('\n', start);
    const std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    out += line.empty() ? "#\n" : "# " + line + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

std::string filters_json(const Trace& t) {
  config::Json arr = config::Json::array();
  for (const FilterSpec& f : t.filters) {
    config::Json o = config::Json::object();
    o.set("slot", config::Json::integer(f.slot));
    if (!f.agent.empty()) o.set("agent", config::Json::string(f.agent));
    if (!f.failure_policy.empty()) o.set("failure_policy", config::Json::string(f.failure_policy));
    auto cfg = config::parse_json(f.config_json);
    o.set("config", cfg ? std::move(*cfg) : config::Json::object());
    if (!f.params.empty()) {
      config::Json p = config::Json::object();
      for (const auto& [k, v] : f.params) p.set(k, config::Json::string(v));
      o.set("params", std::move(p));
    }
    arr.push(std::move(o));
  }
  return arr.dump(2);
}

std::string status_opt(OpStatus s) { return s == OpStatus::kOk ? "" : std::string(" expect=") + name_of(s); }

}  // namespace

std::string format_trace(const Trace& t) {
  std::string out = "vnetref-trace " + std::to_string(t.version) + "\n";
  out += "slot " + (t.slot ? std::to_string(*t.slot) : std::string("chain")) + "\n";
  out += "case " + t.case_name + "\n";
  out += "clauses";
  for (const auto& c : t.clauses) out += " " + c;
  out += "\ndescription " + t.description + "\n";
  const VnicIdentity def;
  if (t.vnic.vm_id != def.vm_id || t.vnic.vnic_index != def.vnic_index || t.vnic.port_id != def.port_id) {
    out += "vnic vm=" + std::to_string(t.vnic.vm_id) + " index=" + std::to_string(t.vnic.vnic_index) +
           " port=" + std::to_string(t.vnic.port_id) + "\n";
  }
  out += "config\n" + filters_json(t) + "\nend\n";
  for (const Step& s : t.steps) {
    out += "\n";
    note(out, s.note);
    if (const auto* in = std::get_if<InjectStep>(&s.op)) {
      out += std::string("inject ") + name_of(in->dir);
      if (!in->id.empty()) out += " id=" + in->id;
      if (in->ingress_port != 0) out += " port=" + std::to_string(in->ingress_port);
      if (in->vlan_tci != 0) out += " vlan=" + std::to_string(in->vlan_tci);
      out += " " + to_hex(in->bytes) + "\n";
    } else if (const auto* a = std::get_if<AdvanceStep>(&s.op)) {
      out += "advance " + duration_text(a->ns) + "\n";
    } else if (const auto* e = std::get_if<ExpectPacketStep>(&s.op)) {
      out += std::string("expect ") + name_of(e->where);
      if (!e->id.empty()) out += " id=" + e->id;
      if (e->slot) out += " slot=" + std::to_string(*e->slot);
      if (e->meta) out += " meta=" + (e->meta->empty() ? std::string("-") : to_hex(*e->meta));
      if (e->pattern.any) {
        out += " any\n";
      } else {
        if (e->pattern.prefix) out += " match=prefix";
        out += " " + e->pattern.to_hex() + "\n";
      }
    } else if (const auto* n = std::get_if<ExpectNoneStep>(&s.op)) {
      out += "expect none";
      if (n->where) out += std::string(" ") + name_of(*n->where);
      out += "\n";
    } else if (const auto* c = std::get_if<ExpectCounterStep>(&s.op)) {
      out += "expect counter " + c->name + " " + std::to_string(c->value) + "\n";
    } else if (const auto* r = std::get_if<ReconfigureStep>(&s.op)) {
      out += "reconfigure " + std::to_string(r->slot) + status_opt(r->expect) + "\n";
      auto j = config::parse_json(r->config_json);
      out += (j ? j->dump(2) : std::string("{}")) + "\nend\n";
    } else if (const auto* m = std::get_if<MigrateStep>(&s.op)) {
      out += "migrate " + std::to_string(m->slot) + status_opt(m->expect) + "\n";
    } else if (const auto* rs = std::get_if<RestoreStep>(&s.op)) {
      out += "restore " + std::to_string(rs->slot) + status_opt(rs->expect);
      if (!rs->blob.empty()) out += " " + to_hex(rs->blob);
      out += "\n";
    } else if (const auto* io = std::get_if<IoctlStep>(&s.op)) {
      out += "ioctl " + std::to_string(io->slot) + status_opt(io->expect) + " " + io->request + "\n";
    } else if (const auto* rp = std::get_if<ExpectReplyStep>(&s.op)) {
      out += "expect reply contains " + rp->contains + "\n";
    } else if (const auto* sv = std::get_if<ServiceStep>(&s.op)) {
      out += "service " + sv->name + (sv->up ? " up\n" : " down\n");
    } else if (const auto* sp = std::get_if<SlowPathStep>(&s.op)) {
      out += std::string("slowpath ") + (sp->give_back ? "return" : "drop");
      if (sp->count != 0) out += " count=" + std::to_string(sp->count);
      if (!sp->meta.empty()) out += " meta=" + to_hex(sp->meta);
      out += "\n";
    }
  }
  return out;
}

}  // namespace vnetref::conformance
