#include "conformance/verify/runner.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <map>

#include "conformance/verify/diff.h"
#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/iochain/chain.h"
#include "stack/iochain/trace.h"
#include "stack/wire/pretty.h"

namespace vnetref::conformance {

namespace {

using core::Direction;
using iochain::FilterError;

constexpr size_t kMaxQueued = 4096;          // packets waiting to be expected, per output
constexpr size_t kMaxSlowPath = 1024;        // faulted packets waiting to be returned
constexpr uint32_t kMaxTimerRounds = 1000000;  // timer callbacks within one advance
constexpr size_t kMaxTraceLines = 80;        // chain verdicts kept for a report

Port port_of(Direction d) { return d == Direction::kEgress ? Port::kEgress : Port::kIngress; }
Direction direction_of(Port p) { return p == Port::kIngress ? Direction::kIngress : Direction::kEgress; }

OpStatus op_status(const iochain::FilterFailure& f) {
  switch (f.code) {
    case FilterError::kInvalid: return OpStatus::kInvalid;
    case FilterError::kNoMem: return OpStatus::kNoMem;
    case FilterError::kBusy: return OpStatus::kBusy;
    case FilterError::kUnsupported: return OpStatus::kUnsupported;
    case FilterError::kState: return OpStatus::kState;
    case FilterError::kFailed: return OpStatus::kFailed;
    case FilterError::kVersion: return OpStatus::kVersion;
    case FilterError::kDown: return OpStatus::kDown;
  }
  return OpStatus::kFailed;
}

std::vector<uint8_t> linear_bytes(const core::Packet& p) {
  std::vector<uint8_t> out;
  for (const core::Packet* s = &p; s != nullptr; s = s->next) {
    out.insert(out.end(), s->data(), s->data() + s->data_len);
  }
  return out;
}

// Where packets leaving the chain are collected until a step expects them.
class Outputs {
 public:
  std::deque<ArrivedPacket>& queue(Port p) { return q_[static_cast<size_t>(p)]; }
  bool add(ArrivedPacket a, Port p) {
    auto& q = queue(p);
    if (q.size() >= kMaxQueued) {
      ++overflow_;
      return false;
    }
    q.push_back(std::move(a));
    return true;
  }
  std::vector<ArrivedPacket> all(std::optional<Port> only = std::nullopt) const {
    std::vector<ArrivedPacket> out;
    for (size_t i = 0; i < q_.size(); ++i) {
      if (only && static_cast<size_t>(*only) != i) continue;
      out.insert(out.end(), q_[i].begin(), q_[i].end());
    }
    return out;
  }
  bool empty(std::optional<Port> only = std::nullopt) const { return all(only).empty(); }
  uint64_t overflow() const { return overflow_; }

 private:
  std::array<std::deque<ArrivedPacket>, 3> q_;
  uint64_t overflow_ = 0;
};

class CaseHost;

class Sink final : public iochain::ChainSink {
 public:
  explicit Sink(CaseHost& h) : h_(h) {}
  void deliver(core::PacketBatch& batch, Direction dir) override;

 private:
  CaseHost& h_;
};

class RecordingSlowPath final : public iochain::SlowPath {
 public:
  explicit RecordingSlowPath(CaseHost& h) : h_(h) {}
  bool on_fault(iochain::FaultRecord& record) override;
  std::deque<iochain::FaultRecord>& pending() { return pending_; }

 private:
  CaseHost& h_;
  std::deque<iochain::FaultRecord> pending_;
};

class Services final : public iochain::ServiceDirectory {
 public:
  bool service_up(std::string_view name) const override {
    auto it = state_.find(std::string(name));
    return it == state_.end() || it->second;  // a service nobody took down is up
  }
  void set(const std::string& name, bool up) { state_[name] = up; }

 private:
  std::map<std::string, bool> state_;
};

class CaseHost {
 public:
  CaseHost(const Trace& t, Implementation& iut, Implementation& ref)
      : trace_(t),
        iut_(iut),
        ref_(ref),
        pool_(1024, kRunnerMaxFrame + core::BufferPool::kDefaultHeadroom, core::BufferPool::kDefaultHeadroom,
              "conformance"),
        chain_(iochain::PortIdentity{t.vnic.vm_id, t.vnic.vnic_index, t.vnic.port_id, "vm-" + std::to_string(t.vnic.vm_id)},
               pool_, clock_),
        sink_(*this),
        slow_(*this),
        tracer_(4096) {
    chain_.set_sink(&sink_);
    chain_.set_slow_path(&slow_);
    chain_.set_services(&services_);
    chain_.set_tracer(&tracer_);
    for (const FilterSpec& f : t.filters) specs_[f.slot] = f;
  }

  // Returns an error text when the chain cannot be built at all.
  std::string setup() {
    for (const FilterSpec& f : trace_.filters) {
      if (std::string err = install(f.slot); !err.empty()) return err;
    }
    return {};
  }

  std::optional<Failure> run_step(uint32_t index, const Step& step);
  std::optional<Failure> finish(uint32_t index);

  void collect(const core::Packet& p, Port where, uint32_t slot = 0, std::span<const uint8_t> meta = {}) {
    ArrivedPacket a;
    a.meta.assign(meta.begin(), meta.end());
    a.where = name_of(where);
    a.id = id_name(p.meta.user);
    a.slot = slot;
    a.step_line = cur_line_;
    a.bytes = linear_bytes(p);
    out_.add(std::move(a), where);
  }
  std::vector<std::string> violations() { return iut_.take_violations(); }
  std::string log_tail() {
    std::string s;
    for (const auto& r : chain_.logger().records()) s += core::Logger::format(r) + "\n";
    const std::string impl = iut_.log_tail();
    if (!impl.empty()) s += impl;
    if (s.size() > 8192) s = "...\n" + s.substr(s.size() - 8192);
    return s;
  }
  std::string implementation_for(uint32_t slot) const {
    return iut_.provides(slot) ? iut_.name() : ref_.name();
  }

 private:
  friend class RecordingSlowPath;

  std::string id_name(uint64_t user) const {
    if (user == 0 || user > ids_.size()) return {};
    return ids_[user - 1];
  }
  std::string install(uint32_t slot);
  iochain::FailurePolicy policy_of(const FilterSpec& f) const {
    return f.failure_policy == "failOpen" ? iochain::FailurePolicy::kFailOpen : iochain::FailurePolicy::kFailClosed;
  }
  Implementation& impl_for(uint32_t slot) { return iut_.provides(slot) ? iut_ : ref_; }

  Failure failure(uint32_t index, const Step& step, std::string kind, std::string message) const {
    Failure f;
    f.step_index = index;
    f.step_line = step.line;
    f.step = step_keyword(step.op);
    f.kind = std::move(kind);
    f.message = std::move(message);
    f.note = step.note;
    return f;
  }
  void add_context(Failure& f) const;
  std::optional<Failure> expect_packet(uint32_t index, const Step& step, const ExpectPacketStep& e);
  std::optional<Failure> advance(uint32_t index, const Step& step, int64_t ns);
  std::optional<Failure> op_result(uint32_t index, const Step& step, const iochain::FilterStatus& st, OpStatus want,
                                   const std::string& what);
  Failure no_filter(uint32_t index, const Step& step, uint32_t slot) const {
    Failure f = failure(index, step, "no filter",
                        "slot " + std::to_string(slot) + " has no working filter, so this step cannot run");
    add_context(f);
    return f;
  }

  const Trace& trace_;
  Implementation& iut_;
  Implementation& ref_;
  core::VirtualClock clock_;
  core::BufferPool pool_;
  iochain::IoChain chain_;
  Sink sink_;
  RecordingSlowPath slow_;
  Services services_;
  iochain::PacketTracer tracer_;
  Outputs out_;
  std::map<uint32_t, FilterSpec> specs_;  // current configuration per slot
  std::vector<std::string> ids_;          // injected packet names (user = index + 1)
  uint32_t cur_line_ = 0;
  std::optional<std::string> last_reply_;
  uint64_t queue_overflow_reported_ = 0;
  std::vector<std::string> setup_notes_;  // e.g. a filter that refused its configuration
};

void Sink::deliver(core::PacketBatch& batch, Direction dir) {
  for (core::Packet* p : batch) {
    if (p != nullptr) h_.collect(*p, port_of(dir));
  }
  batch.clear();
}

bool RecordingSlowPath::on_fault(iochain::FaultRecord& record) {
  if (pending_.size() >= kMaxSlowPath) return false;  // the chain counts slowpath_full
  h_.collect(*record.packet, Port::kSlowPath, record.slot, record.meta);
  pending_.push_back(std::move(record));
  return true;
}

std::string CaseHost::install(uint32_t slot) {
  const FilterSpec& f = specs_.at(slot);
  Implementation& impl = impl_for(slot);
  iochain::FilterPlacement where;
  where.slot = slot;
  where.vm_id = trace_.vnic.vm_id;
  where.vnic_index = trace_.vnic.vnic_index;
  where.port_id = trace_.vnic.port_id;
  // The host names the filter; an agent given in the configuration fixes the name
  // for every implementation (applied-to rules may name it).
  if (!f.agent.empty()) where.name = iochain::filter_name(where.vm_id, where.vnic_index, f.agent, slot);
  auto made = impl.create(f, where);
  if (!made) {
    setup_notes_.push_back("setup: " + impl.name() + " refused the configuration of slot " + std::to_string(slot) +
                           " (the chain applies its " +
                           (policy_of(f) == iochain::FailurePolicy::kFailOpen ? "failOpen" : "failClosed") +
                           " policy): " + made.error().to_string());
    // A host keeps the slot and applies its failure policy (facts: fail-open lets
    // traffic through a filter that cannot work, fail-closed denies it).
    auto st = chain_.attach_failed(slot, f.agent.empty() ? "filter" : f.agent, policy_of(f),
                                   made.error().to_string());
    if (!st) return "slot " + std::to_string(slot) + ": " + st.error().message;
    return {};
  }
  auto st = chain_.attach(slot, std::move(*made), policy_of(f));
  if (!st) return "slot " + std::to_string(slot) + ": " + st.error().message;
  return {};
}

void CaseHost::add_context(Failure& f) const {
  for (const auto& n : setup_notes_) f.chain_trace.push_back(n);
  // The chain's per-slot verdicts, newest last, with packet names.
  const auto& ev = tracer_.events();
  const size_t from = ev.size() > kMaxTraceLines ? ev.size() - kMaxTraceLines : 0;
  for (size_t i = from; i < ev.size(); ++i) {
    const iochain::TraceEvent& e = ev[i];
    std::string who = id_name(e.packet);
    if (who.empty()) who = e.packet == 0 ? "(new)" : "#" + std::to_string(e.packet);
    std::string line = "pkt " + who + " slot " + std::to_string(e.slot) + " " + name_of(port_of(e.dir)) + " " +
                       iochain::name_of(e.verdict);
    if (!e.reason.empty()) line += " " + e.reason;
    f.chain_trace.push_back(std::move(line));
  }
  // Non-zero counters only: the full list (every reason of every slot) buries the few that matter.
  for (const auto& c : chain_.counters()) {
    if (c.value != 0) f.counters.push_back(c.name + " = " + std::to_string(c.value));
  }
}

std::optional<Failure> CaseHost::op_result(uint32_t index, const Step& step, const iochain::FilterStatus& st,
                                           OpStatus want, const std::string& what) {
  const OpStatus got = st ? OpStatus::kOk : op_status(st.error());
  if (status_satisfies(got, want)) return std::nullopt;
  std::string msg = what + ": expected status " + name_of(want) + " got " + name_of(got);
  if (!st) msg += " (" + st.error().message + ")";
  Failure f = failure(index, step, "status", msg);
  add_context(f);
  return f;
}

std::optional<Failure> CaseHost::expect_packet(uint32_t index, const Step& step, const ExpectPacketStep& e) {
  auto& q = out_.queue(e.where);
  if (q.empty()) {
    Failure f = failure(index, step, "missing packet",
                        std::string("expected a packet at ") + name_of(e.where) + (e.id.empty() ? "" : " (" + e.id + ")") +
                            ", none arrived there");
    if (!e.pattern.any) {
      f.expected_hex = e.pattern.to_hex();
      f.expected_prefix = e.pattern.prefix;
      f.expected_resolved = e.pattern.bytes;
    }
    f.arrived = out_.all();
    add_context(f);
    return f;
  }
  ArrivedPacket got = std::move(q.front());
  q.pop_front();
  const bool slot_ok = !e.slot || *e.slot == got.slot;
  const bool meta_ok = !e.meta || *e.meta == got.meta;
  const auto mismatch = e.pattern.first_mismatch(got.bytes);
  if (!mismatch && slot_ok && meta_ok) return std::nullopt;
  Failure f = failure(index, step, "packet mismatch", "");
  f.has_packets = true;
  f.expected_hex = e.pattern.to_hex();
  f.expected_prefix = e.pattern.prefix;
  f.expected_resolved = e.pattern.resolve_with(got.bytes);
  f.actual = got.bytes;
  if (!slot_ok) {
    f.message = "packet faulted by slot " + std::to_string(got.slot) + ", expected slot " + std::to_string(*e.slot);
  } else if (!mismatch && !meta_ok) {
    f.message = "slow-path metadata differs: expected " + wire::python_bytes_repr(*e.meta) + " got " +
                wire::python_bytes_repr(got.meta);
    f.diffs.push_back(FieldDiff{"slowpath", "meta", wire::python_bytes_repr(*e.meta), wire::python_bytes_repr(got.meta)});
  } else {
    f.diffs = diff_packets(f.expected_resolved, f.actual, e.pattern.prefix);
    const size_t at = *mismatch;
    if (got.bytes.size() != e.pattern.bytes.size() && at == std::min(got.bytes.size(), e.pattern.bytes.size())) {
      f.message = "length differs: expected " + std::to_string(e.pattern.bytes.size()) +
                  (e.pattern.prefix ? "+" : "") + " bytes, received " + std::to_string(got.bytes.size());
    } else {
      char buf[96];
      std::snprintf(buf, sizeof buf, "packet different at byte %zu: expected %s, received %02x", at,
                    e.pattern.to_hex().substr(at * 2, 2).c_str(), got.bytes[at]);
      f.message = buf;
    }
    if (!f.diffs.empty()) f.message = format_diff(f.diffs.front()) + " (" + f.message + ")";
  }
  f.arrived.push_back(std::move(got));
  for (auto& rest : out_.all()) f.arrived.push_back(std::move(rest));
  add_context(f);
  return f;
}

std::optional<Failure> CaseHost::advance(uint32_t index, const Step& step, int64_t ns) {
  const core::Instant target = clock_.now() + core::Duration(ns);
  uint32_t rounds = 0;
  for (;;) {
    std::optional<core::Instant> due = chain_.next_deadline();
    if (!due || *due > target) break;
    if (++rounds > kMaxTimerRounds) {
      Failure f = failure(index, step, "timer storm",
                          "more than 1000000 timer callbacks within one advance (a filter keeps asking for a "
                          "deadline that has already passed)");
      add_context(f);
      return f;
    }
    clock_.set(*due);  // time stops at every deadline so each timer sees its own "now"
    chain_.run_timers();
  }
  clock_.set(target);
  return std::nullopt;
}

std::optional<Failure> CaseHost::run_step(uint32_t index, const Step& step) {
  cur_line_ = step.line;
  std::optional<Failure> result;
  if (const auto* in = std::get_if<InjectStep>(&step.op)) {
    if (in->bytes.size() > kRunnerMaxFrame) {
      Failure f = failure(index, step, "trace", "frame of " + std::to_string(in->bytes.size()) +
                                                    " bytes is larger than the runner's " +
                                                    std::to_string(kRunnerMaxFrame));
      return f;
    }
    ids_.push_back(in->id.empty() ? "line" + std::to_string(step.line) : in->id);
    core::PacketPtr p = pool_.alloc_copy(in->bytes);
    if (!p) return failure(index, step, "host", "packet pool exhausted (packets held by filters are never released?)");
    const Direction dir = direction_of(in->dir);
    p->meta.direction = dir;
    p->meta.ingress_port = in->ingress_port != 0 ? in->ingress_port : trace_.vnic.port_id;
    p->meta.vlan_tci = in->vlan_tci;
    p->meta.user = ids_.size();
    p->meta.timestamp_ns = static_cast<uint64_t>(core::to_nanos(clock_.now()));
    core::PacketBatch b;
    (void)b.push(std::move(p));
    chain_.process(b, dir);
    for (core::Packet* left : b) collect(*left, in->dir);
    b.clear();
  } else if (const auto* a = std::get_if<AdvanceStep>(&step.op)) {
    result = advance(index, step, a->ns);
  } else if (const auto* e = std::get_if<ExpectPacketStep>(&step.op)) {
    result = expect_packet(index, step, *e);
  } else if (const auto* n = std::get_if<ExpectNoneStep>(&step.op)) {
    if (!out_.empty(n->where)) {
      const auto arrived = out_.all(n->where);
      Failure f = failure(index, step, "unexpected packet",
                          "expected no packet" + (n->where ? std::string(" at ") + name_of(*n->where) : std::string()) +
                              ", " + std::to_string(arrived.size()) + " arrived");
      f.arrived = arrived;
      add_context(f);
      result = std::move(f);
    }
  } else if (const auto* c = std::get_if<ExpectCounterStep>(&step.op)) {
    std::optional<uint64_t> v = chain_.counter(c->name);
    if (!v) {
      Failure f = failure(index, step, "counter", "counter " + c->name + " does not exist");
      add_context(f);
      result = std::move(f);
    } else if (*v != c->value) {
      Failure f = failure(index, step, "counter",
                          c->name + " expected " + std::to_string(c->value) + " got " + std::to_string(*v));
      add_context(f);
      result = std::move(f);
    }
  } else if (const auto* r = std::get_if<ReconfigureStep>(&step.op)) {
    if (chain_.filter(r->slot) == nullptr) return no_filter(index, step, r->slot);
    auto st = chain_.config_changed(r->slot, r->config_json);
    if (st) specs_[r->slot].config_json = r->config_json;  // a migrated filter is created with it
    result = op_result(index, step, st, r->expect, "reconfigure slot " + std::to_string(r->slot));
  } else if (const auto* m = std::get_if<MigrateStep>(&step.op)) {
    if (chain_.filter(m->slot) == nullptr) return no_filter(index, step, m->slot);
    auto saved = chain_.save_state(m->slot);
    if (!saved) {
      result = op_result(index, step, iochain::FilterStatus(core::Err<iochain::FilterFailure>(saved.error())), m->expect,
                         "save state of slot " + std::to_string(m->slot));
    } else {
      (void)chain_.detach(m->slot);
      if (std::string err = install(m->slot); !err.empty()) return failure(index, step, "host", err);
      if (chain_.filter(m->slot) == nullptr) {
        return failure(index, step, "migrate", "the fresh filter for slot " + std::to_string(m->slot) +
                                                   " could not be created with the configuration in force");
      }
      auto st = chain_.restore_state(m->slot, *saved);
      result = op_result(index, step, st, m->expect, "restore state of slot " + std::to_string(m->slot));
    }
  } else if (const auto* rs = std::get_if<RestoreStep>(&step.op)) {
    if (chain_.filter(rs->slot) == nullptr) return no_filter(index, step, rs->slot);
    auto st = chain_.restore_state(rs->slot, rs->blob);
    result = op_result(index, step, st, rs->expect, "restore slot " + std::to_string(rs->slot));
  } else if (const auto* io = std::get_if<IoctlStep>(&step.op)) {
    if (chain_.filter(io->slot) == nullptr) return no_filter(index, step, io->slot);
    auto rep = chain_.ioctl(io->slot, io->request);
    if (rep) {
      last_reply_ = *rep;
      result = op_result(index, step, iochain::FilterStatus(core::Ok{}), io->expect, "ioctl " + io->request);
    } else {
      last_reply_.reset();
      result = op_result(index, step, iochain::FilterStatus(core::Err<iochain::FilterFailure>(rep.error())), io->expect,
                         "ioctl " + io->request);
    }
  } else if (const auto* rp = std::get_if<ExpectReplyStep>(&step.op)) {
    if (!last_reply_) {
      result = failure(index, step, "reply", "no ioctl reply to check (the last ioctl failed or none ran)");
    } else if (last_reply_->find(rp->contains) == std::string::npos) {
      std::string shown = last_reply_->substr(0, 2000);
      result = failure(index, step, "reply", "ioctl reply does not contain \"" + rp->contains + "\"; reply was:\n" + shown);
    }
  } else if (const auto* sv = std::get_if<ServiceStep>(&step.op)) {
    services_.set(sv->name, sv->up);
  } else if (const auto* sp = std::get_if<SlowPathStep>(&step.op)) {
    auto& pend = slow_.pending();
    uint32_t n = sp->count == 0 ? static_cast<uint32_t>(pend.size()) : sp->count;
    if (n > pend.size()) {
      Failure f = failure(index, step, "missing packet",
                          "slowpath " + std::string(sp->give_back ? "return" : "drop") + " of " + std::to_string(n) +
                              " packets, but " + std::to_string(pend.size()) + " are waiting in the slow path");
      add_context(f);
      return f;
    }
    for (uint32_t i = 0; i < n; ++i) {
      iochain::FaultRecord rec = std::move(pend.front());
      pend.pop_front();
      if (!sp->give_back) continue;  // the record (and its packet) is released here
      const std::vector<uint8_t> meta = sp->meta.empty() ? rec.meta : sp->meta;
      chain_.reinject(rec.slot, std::move(rec.packet), rec.dir, meta);
    }
  }
  if (!result && out_.overflow() != queue_overflow_reported_) {
    queue_overflow_reported_ = out_.overflow();
    result = failure(index, step, "unexpected packet",
                     "more than 4096 packets arrived without being expected (output queue overflow)");
  }
  if (!result) {
    auto v = violations();
    if (!v.empty()) {
      std::string msg = v.front();
      if (v.size() > 1) msg += " (and " + std::to_string(v.size() - 1) + " more)";
      Failure f = failure(index, step, "contract violation", msg);
      add_context(f);
      result = std::move(f);
    }
  }
  return result;
}

std::optional<Failure> CaseHost::finish(uint32_t index) {
  Step end;
  end.line = 0;
  end.op = ExpectNoneStep{};
  if (!out_.empty()) {
    const auto arrived = out_.all();
    Failure f = failure(index, end, "unexpected packet",
                        std::to_string(arrived.size()) + " packet(s) arrived that no step expected");
    f.step = "end of trace";
    f.arrived = arrived;
    add_context(f);
    return f;
  }
  if (!slow_.pending().empty()) {
    // Faulted packets are expected by "expect slowpath" steps; the slow path itself
    // may keep them. Not a failure.
  }
  auto v = violations();
  if (!v.empty()) {
    Failure f = failure(index, end, "contract violation", v.front());
    f.step = "end of trace";
    return f;
  }
  return std::nullopt;
}

}  // namespace

std::string skip_reason(const Trace& trace, const Implementation& iut) {
  if (trace.slot) {
    if (!iut.provides(*trace.slot)) return iut.name() + " has no filter for slot " + std::to_string(*trace.slot);
    return {};
  }
  for (const FilterSpec& f : trace.filters) {
    if (iut.provides(f.slot)) return {};
  }
  return iut.name() + " provides none of the slots this chain case uses";
}

CaseResult run_case(const Trace& trace, const std::string& file, Implementation& iut, Implementation& reference,
                    const RunHooks& hooks) {
  const auto start = std::chrono::steady_clock::now();
  CaseResult r;
  r.suite = trace.suite();
  r.case_name = trace.case_name;
  r.file = file;
  r.clauses = trace.clauses;
  r.description = trace.description;
  r.implementation = iut.name();
  r.steps_total = static_cast<uint32_t>(trace.steps.size());
  if (std::string why = skip_reason(trace, iut); !why.empty()) {
    r.status = CaseStatus::kSkip;
    r.detail = why;
    return r;
  }
  iut.begin_case();
  if (&reference != &iut) reference.begin_case();
  CaseHost host(trace, iut, reference);
  if (std::string err = host.setup(); !err.empty()) {
    r.status = CaseStatus::kError;
    r.detail = "cannot build the chain: " + err;
    return r;
  }
  std::optional<Failure> fail;
  uint32_t i = 0;
  for (; i < trace.steps.size() && !fail; ++i) {
    if (hooks.on_step) hooks.on_step(i);
    fail = host.run_step(i, trace.steps[i]);
    r.steps_run = i + 1;
  }
  if (!fail) {
    if (hooks.on_step) hooks.on_step(static_cast<uint32_t>(trace.steps.size()));
    fail = host.finish(static_cast<uint32_t>(trace.steps.size()));
  }
  if (fail) {
    r.status = fail->kind == "trace" || fail->kind == "host" ? CaseStatus::kError : CaseStatus::kFail;
    r.failure = std::move(fail);
    r.log = host.log_tail();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace vnetref::conformance
