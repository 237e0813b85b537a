#include "conformance/verify/result.h"

#include "conformance/trace/parser.h"
#include "conformance/trace/trace.h"

namespace vnetref::conformance {

const char* name_of(CaseStatus s) {
  switch (s) {
    case CaseStatus::kPass: return "pass";
    case CaseStatus::kFail: return "fail";
    case CaseStatus::kCrash: return "crash";
    case CaseStatus::kTimeout: return "timeout";
    case CaseStatus::kError: return "error";
    case CaseStatus::kSkip: return "skip";
  }
  return "?";
}

bool counts_as_failure(CaseStatus s) {
  return s == CaseStatus::kFail || s == CaseStatus::kCrash || s == CaseStatus::kTimeout || s == CaseStatus::kError;
}

namespace {

using config::Json;

Json strings(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.push(Json::string(s));
  return a;
}

Json hex(const std::vector<uint8_t>& b) { return Json::string(to_hex(b)); }

Json arrived_json(const ArrivedPacket& p) {
  Json o = Json::object();
  o.set("where", Json::string(p.where));
  o.set("id", Json::string(p.id));
  o.set("slot", Json::integer(p.slot));
  o.set("line", Json::integer(p.step_line));
  o.set("bytes", hex(p.bytes));
  o.set("meta", hex(p.meta));
  return o;
}

// Lenient readers: the JSON comes from our own child process, but a corrupted pipe
// must yield an error, never a crash.
const std::string& str(const Json& o, const char* k) {
  static const std::string kEmpty;
  const Json* v = o.find(k);
  return v != nullptr && v->is_string() ? v->as_string() : kEmpty;
}
int64_t num(const Json& o, const char* k) {
  const Json* v = o.find(k);
  return v != nullptr && v->is_integer() ? v->as_int() : 0;
}
bool flag(const Json& o, const char* k) {
  const Json* v = o.find(k);
  return v != nullptr && v->is_bool() && v->as_bool();
}
std::vector<std::string> str_list(const Json& o, const char* k) {
  std::vector<std::string> out;
  const Json* v = o.find(k);
  if (v == nullptr || !v->is_array()) return out;
  for (const Json& i : v->items()) {
    if (i.is_string()) out.push_back(i.as_string());
  }
  return out;
}
std::vector<uint8_t> bytes(const Json& o, const char* k) {
  const std::string& h = str(o, k);
  if (h.empty()) return {};
  auto p = parse_hex_pattern(h, false);
  return p ? p->bytes : std::vector<uint8_t>{};
}

}  // namespace

config::Json to_json(const CaseResult& r) {
  Json o = Json::object();
  o.set("suite", Json::string(r.suite));
  o.set("case", Json::string(r.case_name));
  o.set("file", Json::string(r.file));
  o.set("clauses", strings(r.clauses));
  o.set("description", Json::string(r.description));
  o.set("implementation", Json::string(r.implementation));
  o.set("status", Json::string(name_of(r.status)));
  o.set("seconds", Json::number(r.seconds));
  o.set("steps_run", Json::integer(r.steps_run));
  o.set("steps_total", Json::integer(r.steps_total));
  o.set("detail", Json::string(r.detail));
  o.set("log", Json::string(r.log));
  if (r.failure) {
    const Failure& f = *r.failure;
    Json fj = Json::object();
    fj.set("step_index", Json::integer(f.step_index));
    fj.set("step_line", Json::integer(f.step_line));
    fj.set("step", Json::string(f.step));
    fj.set("kind", Json::string(f.kind));
    fj.set("message", Json::string(f.message));
    fj.set("note", Json::string(f.note));
    fj.set("has_packets", Json::boolean(f.has_packets));
    fj.set("expected_hex", Json::string(f.expected_hex));
    fj.set("expected_prefix", Json::boolean(f.expected_prefix));
    fj.set("expected_resolved", hex(f.expected_resolved));
    fj.set("actual", hex(f.actual));
    Json diffs = Json::array();
    for (const FieldDiff& d : f.diffs) {
      Json dj = Json::object();
      dj.set("layer", Json::string(d.layer));
      dj.set("field", Json::string(d.field));
      dj.set("expected", Json::string(d.expected));
      dj.set("actual", Json::string(d.actual));
      diffs.push(std::move(dj));
    }
    fj.set("diffs", std::move(diffs));
    Json arrived = Json::array();
    for (const ArrivedPacket& p : f.arrived) arrived.push(arrived_json(p));
    fj.set("arrived", std::move(arrived));
    fj.set("chain_trace", strings(f.chain_trace));
    fj.set("counters", strings(f.counters));
    o.set("failure", std::move(fj));
  }
  return o;
}

core::Result<CaseResult, std::string> case_result_from_json(const config::Json& o) {
  if (!o.is_object()) return core::Err<std::string>("case result is not an object");
  CaseResult r;
  r.suite = str(o, "suite");
  r.case_name = str(o, "case");
  r.file = str(o, "file");
  r.clauses = str_list(o, "clauses");
  r.description = str(o, "description");
  r.implementation = str(o, "implementation");
  const std::string& st = str(o, "status");
  bool known = false;
  for (uint8_t i = 0; i <= static_cast<uint8_t>(CaseStatus::kSkip); ++i) {
    if (st == name_of(static_cast<CaseStatus>(i))) {
      r.status = static_cast<CaseStatus>(i);
      known = true;
    }
  }
  if (!known) return core::Err<std::string>("unknown case status \"" + st + "\"");
  if (const Json* s = o.find("seconds"); s != nullptr && s->is_number()) r.seconds = s->as_double();
  r.steps_run = static_cast<uint32_t>(num(o, "steps_run"));
  r.steps_total = static_cast<uint32_t>(num(o, "steps_total"));
  r.detail = str(o, "detail");
  r.log = str(o, "log");
  if (const Json* fj = o.find("failure"); fj != nullptr && fj->is_object()) {
    Failure f;
    f.step_index = static_cast<uint32_t>(num(*fj, "step_index"));
    f.step_line = static_cast<uint32_t>(num(*fj, "step_line"));
    f.step = str(*fj, "step");
    f.kind = str(*fj, "kind");
    f.message = str(*fj, "message");
    f.note = str(*fj, "note");
    f.has_packets = flag(*fj, "has_packets");
    f.expected_hex = str(*fj, "expected_hex");
    f.expected_prefix = flag(*fj, "expected_prefix");
    f.expected_resolved = bytes(*fj, "expected_resolved");
    f.actual = bytes(*fj, "actual");
    if (const Json* d = fj->find("diffs"); d != nullptr && d->is_array()) {
      for (const Json& dj : d->items()) {
        f.diffs.push_back(FieldDiff{str(dj, "layer"), str(dj, "field"), str(dj, "expected"), str(dj, "actual")});
      }
    }
    if (const Json* a = fj->find("arrived"); a != nullptr && a->is_array()) {
      for (const Json& aj : a->items()) {
        ArrivedPacket p;
        p.where = str(aj, "where");
        p.id = str(aj, "id");
        p.slot = static_cast<uint32_t>(num(aj, "slot"));
        p.step_line = static_cast<uint32_t>(num(aj, "line"));
        p.bytes = bytes(aj, "bytes");
        p.meta = bytes(aj, "meta");
        f.arrived.push_back(std::move(p));
      }
    }
    f.chain_trace = str_list(*fj, "chain_trace");
    f.counters = str_list(*fj, "counters");
    r.failure = std::move(f);
  }
  return r;
}

}  // namespace vnetref::conformance
