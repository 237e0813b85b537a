#include "conformance/trace/pcapng_export.h"

#include "stack/core/pcap.h"

namespace vnetref::conformance {

namespace {

// "bytes 18-19, 24" for the bytes holding at least one don't-care nibble.
std::string wildcard_ranges(const PacketPattern& p) {
  std::string out;
  size_t i = 0;
  while (i < p.care.size()) {
    if (p.care[i] == 0xff) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < p.care.size() && p.care[j + 1] != 0xff) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(i);
    if (j > i) out += "-" + std::to_string(j);
    i = j + 1;
  }
  return out;
}

std::string header_comment(const Trace& t) {
  std::string clauses;
  for (const auto& c : t.clauses) clauses += (clauses.empty() ? "" : " ") + c;
  return t.suite() + "/" + t.case_name + " [" + clauses + "]";
}

}  // namespace

PcapngExportStats export_pcapng(const Trace& trace, std::ostream& out) {
  core::PcapngWriter w(out, "vnetref conformance trace export");
  const uint32_t if_in_egress = w.add_interface("inject egress (VM to switch)");
  const uint32_t if_in_ingress = w.add_interface("inject ingress (switch to VM)");
  const uint32_t if_exp_egress = w.add_interface("expect egress (leaves toward the switch)");
  const uint32_t if_exp_ingress = w.add_interface("expect ingress (leaves toward the VM)");
  const uint32_t if_exp_slow = w.add_interface("expect slowpath (faulted by a filter)");
  const std::string head = header_comment(trace);

  PcapngExportStats stats;
  int64_t now = 0;
  for (const Step& step : trace.steps) {
    const std::string where = head + " line " + std::to_string(step.line);
    if (const auto* a = std::get_if<AdvanceStep>(&step.op)) {
      now += a->ns;
    } else if (const auto* in = std::get_if<InjectStep>(&step.op)) {
      std::string c = "input " + std::string(name_of(in->dir));
      if (!in->id.empty()) c += " id=" + in->id;
      if (in->vlan_tci != 0) c += " vlan_tci=" + std::to_string(in->vlan_tci);
      c += "; " + where;
      if (!step.note.empty()) c += "\n" + step.note;
      w.write(in->dir == Port::kEgress ? if_in_egress : if_in_ingress, core::from_nanos(now), in->bytes, c);
      ++stats.inputs;
    } else if (const auto* ex = std::get_if<ExpectPacketStep>(&step.op)) {
      if (ex->pattern.any) {
        ++stats.skipped;
        continue;
      }
      std::string c = "expected " + std::string(name_of(ex->where));
      if (!ex->id.empty()) c += " id=" + ex->id;
      if (ex->slot) c += " from slot " + std::to_string(*ex->slot);
      c += ex->pattern.prefix ? " (prefix match)" : " (exact length)";
      const std::string wild = wildcard_ranges(ex->pattern);
      if (!wild.empty()) c += "; don't-care bytes (written as 0): " + wild;
      c += "; " + where;
      if (!step.note.empty()) c += "\n" + step.note;
      const uint32_t ifc = ex->where == Port::kEgress ? if_exp_egress : ex->where == Port::kIngress ? if_exp_ingress
                                                                                                     : if_exp_slow;
      w.write(ifc, core::from_nanos(now), ex->pattern.bytes, c);
      ++stats.expected;
    }
  }
  return stats;
}

}  // namespace vnetref::conformance
