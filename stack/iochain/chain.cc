#include "stack/iochain/chain.h"

#include "stack/core/views.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace vnetref::iochain {

const char* name_of(FailurePolicy p) { return p == FailurePolicy::kFailOpen ? "failOpen" : "failClosed"; }

const char* name_of(SlotState s) {
  switch (s) {
    case SlotState::kEmpty: return "Empty";
    case SlotState::kAttached: return "IOChain Attached";
    case SlotState::kFailed: return "Failed";
    case SlotState::kDisconnected: return "Disconnected";
  }
  return "?";
}

const char* name_of(ChainDrop d) {
  switch (d) {
    case ChainDrop::kFailClosed: return "fail_closed";
    case ChainDrop::kFilterError: return "filter_error";
    case ChainDrop::kInjectOverflow: return "inject_overflow";
    case ChainDrop::kInjectLoop: return "inject_loop";
    case ChainDrop::kSlowPathFull: return "slowpath_full";
    case ChainDrop::kNoSlowPath: return "no_slowpath";
    case ChainDrop::kDisconnected: return "disconnected";
    case ChainDrop::kReinjectNoSlot: return "reinject_no_slot";
    case ChainDrop::kNoSink: return "no_sink";
    case ChainDrop::kCount: break;
  }
  return "?";
}

const char* name_of(ChainError e) {
  switch (e) {
    case ChainError::kBadSlot: return "bad slot";
    case ChainError::kReservedSlot: return "reserved slot";
    case ChainError::kSlotBusy: return "slot busy";
    case ChainError::kChainFull: return "chain full";
    case ChainError::kSlotNotAllowed: return "slot not allowed";
    case ChainError::kEmptySlot: return "empty slot";
    case ChainError::kFilter: return "filter error";
  }
  return "?";
}

// ---- QueueSlowPath ---------------------------------------------------------------

bool QueueSlowPath::on_fault(FaultRecord& record) {
  if (q_.size() - head_ >= capacity_) {
    ++refused_;
    return false;
  }
  if (head_ > 0 && head_ == q_.size()) {
    q_.clear();
    head_ = 0;
  }
  q_.push_back(std::move(record));
  return true;
}

std::optional<FaultRecord> QueueSlowPath::pop() {
  if (head_ == q_.size()) return std::nullopt;
  FaultRecord r = std::move(q_[head_++]);
  if (head_ == q_.size()) {
    q_.clear();
    head_ = 0;
  }
  return r;
}

// ---- slots -------------------------------------------------------------------------

struct IoChain::Slot {
  uint32_t index = 0;
  std::unique_ptr<Filter> filter;
  std::string agent;
  std::string prefix;
  std::vector<std::string> reasons;  // the filter's drop reasons + "unknown"
  FailurePolicy policy = FailurePolicy::kFailClosed;
  SlotState state = SlotState::kEmpty;
  std::string failure_reason;
  SlotCounters c;
  std::optional<core::Instant> deadline;
  std::unique_ptr<SlotHost> host;
  std::array<core::PacketBatch, 2> injected;
  uint32_t injected_this_call = 0;
  // Only used while tracing: packets disposed of during the current call.
  std::vector<uint64_t> disposed_ids;
  Direction cur_dir = Direction::kEgress;
};

class IoChain::SlotHost final : public FilterHost {
 public:
  SlotHost(IoChain& chain, Slot& slot) : chain_(chain), slot_(slot) {}

  core::Instant now() const override { return chain_.clock_.now(); }

  void drop(core::PacketPtr p, uint32_t reason) override {
    if (!p) return;
    ++slot_.c.disposed;
    const uint32_t r = reason < slot_.c.filter_drops.size() - 1 ? reason
                                                                : static_cast<uint32_t>(slot_.c.filter_drops.size() - 1);
    ++slot_.c.filter_drops[r];
    trace(p->meta.user, TraceVerdict::kDrop, slot_.reasons[r]);
    p.reset();
  }

  bool fault(core::PacketPtr p, std::span<const uint8_t> meta) override {
    if (!p) return false;
    ++slot_.c.disposed;
    ++slot_.c.faulted;
    const uint64_t id = p->meta.user;
    if (chain_.slow_path_ == nullptr) {
      slot_.c.chain_drops.inc(ChainDrop::kNoSlowPath);
      trace(id, TraceVerdict::kChainDrop, name_of(ChainDrop::kNoSlowPath));
      return false;
    }
    FaultRecord rec;
    rec.slot = slot_.index;
    rec.dir = slot_.cur_dir;
    rec.packet = std::move(p);
    rec.meta.assign(meta.begin(), meta.begin() + std::min(meta.size(), kMaxFaultMeta));
    if (!chain_.slow_path_->on_fault(rec)) {
      slot_.c.chain_drops.inc(ChainDrop::kSlowPathFull);
      trace(id, TraceVerdict::kChainDrop, name_of(ChainDrop::kSlowPathFull));
      return false;  // rec.packet freed here
    }
    trace(id, TraceVerdict::kFault, "");
    return true;
  }

  bool fault_copy(const core::Packet& p, std::span<const uint8_t> meta) override {
    if (chain_.slow_path_ == nullptr) return false;
    core::PacketPtr copy = chain_.pool_.clone(p);
    if (!copy) return false;
    FaultRecord rec;
    rec.slot = slot_.index;
    rec.dir = slot_.cur_dir;
    rec.packet = std::move(copy);
    rec.meta.assign(meta.begin(), meta.begin() + std::min(meta.size(), kMaxFaultMeta));
    if (!chain_.slow_path_->on_fault(rec)) return false;
    ++slot_.c.faulted;
    if (chain_.tracer_ != nullptr) {
      chain_.tracer_->record(TraceEvent{p.meta.user, slot_.index, slot_.cur_dir, TraceVerdict::kFaultCopy, ""});
    }
    return true;
  }

  void inject(core::PacketPtr p, Direction dir) override {
    if (!p) return;
    ++slot_.c.disposed;
    ++slot_.c.injected;
    const uint64_t id = p->meta.user;
    p->meta.direction = dir;
    if (slot_.injected_this_call >= chain_.options_.max_inject_per_call) {
      slot_.c.chain_drops.inc(ChainDrop::kInjectOverflow);
      trace(id, TraceVerdict::kChainDrop, name_of(ChainDrop::kInjectOverflow));
      return;
    }
    core::PacketPtr back = slot_.injected[static_cast<size_t>(dir)].push(std::move(p));
    if (back) {
      slot_.c.chain_drops.inc(ChainDrop::kInjectOverflow);
      trace(id, TraceVerdict::kChainDrop, name_of(ChainDrop::kInjectOverflow));
      return;
    }
    ++slot_.injected_this_call;
    trace(id, TraceVerdict::kInjected, name_of(dir));
  }

  core::PacketPtr alloc(uint32_t len) override {
    core::PacketPtr p = chain_.pool_.alloc();
    if (!p) return p;
    core::SkBuff skb(*p);
    if (skb.put(len) == nullptr) return {};  // larger than one buffer: refused
    p->pkt_len = p->data_len;
    p->meta.timestamp_ns = static_cast<uint64_t>(core::to_nanos(chain_.clock_.now()));
    ++slot_.c.allocated;
    return p;
  }

  bool make_writable(core::PacketPtr& p) override {
    if (!p) return false;
    return p->pool != nullptr ? p->pool->make_writable(p) : false;
  }

  bool service_up(std::string_view service) override {
    return chain_.services_ != nullptr && chain_.services_->service_up(service);
  }

  void request_timer(core::Instant when) override {
    if (!slot_.deadline || when < *slot_.deadline) slot_.deadline = when;
    chain_.rearm_timer();
  }

  void log(int level, std::string_view line) override {
    const core::LogLevel l = level <= 0   ? core::LogLevel::kDebug
                             : level == 1 ? core::LogLevel::kInfo
                             : level == 2 ? core::LogLevel::kWarn
                                          : core::LogLevel::kError;
    VNETREF_LOG(chain_.log_, l, slot_.prefix.c_str(), "%.*s", static_cast<int>(line.size()), line.data());
  }

 private:
  void trace(uint64_t id, TraceVerdict v, std::string_view reason) {
    if (chain_.tracer_ == nullptr) return;
    slot_.disposed_ids.push_back(id);
    chain_.tracer_->record(TraceEvent{id, slot_.index, slot_.cur_dir, v, std::string(reason)});
  }

  IoChain& chain_;
  Slot& slot_;
};

// ---- chain -------------------------------------------------------------------------

IoChain::IoChain(PortIdentity port, core::BufferPool& pool, const core::Clock& clock, ChainOptions options)
    : port_(std::move(port)), pool_(pool), clock_(clock), options_(options), log_(clock, 256, core::LogLevel::kInfo) {}

IoChain::~IoChain() {
  if (timer_) timer_->cancel();
  for (auto& s : slots_) {
    if (s) {
      s->filter.reset();  // before the host it may still reference
    }
  }
}

uint32_t IoChain::filter_count() const {
  uint32_t n = 0;
  for (const auto& s : slots_) n += s ? 1 : 0;
  return n;
}

static ChainStatus chain_error(ChainError code, std::string msg) {
  return core::Err<ChainFailure>(ChainFailure{code, std::move(msg)});
}

static ChainStatus check_slot(uint32_t slot) {
  if (slot >= kSlotCount) {
    return chain_error(ChainError::kBadSlot,
                       "slot " + std::to_string(slot) + " does not exist: a port has 16 slots (0-15)");
  }
  if (slot_reserved(slot)) {
    return chain_error(ChainError::kReservedSlot,
                       "slot " + std::to_string(slot) + " is reserved (slots 3, 13 and 14 refuse filters)");
  }
  return core::Ok{};
}

ChainStatus IoChain::attach(uint32_t slot, std::unique_ptr<Filter> filter, FailurePolicy policy) {
  if (auto st = check_slot(slot); !st) return st;
  if (slots_[slot]) return chain_error(ChainError::kSlotBusy, "slot " + std::to_string(slot) + " already has filter " + filter_name(slot));
  if (filter_count() >= kSlotCount) {
    return chain_error(ChainError::kChainFull, "port already has 16 filters; a 17th is refused");
  }
  auto s = std::make_unique<Slot>();
  s->index = slot;
  s->agent = filter->info().agent;
  s->prefix = filter->info().counter_prefix;
  for (const auto& other : slots_) {
    if (other && other->prefix == s->prefix) s->prefix += std::to_string(slot);
  }
  s->reasons = filter->info().drop_reasons;
  s->reasons.push_back("unknown");
  s->c.filter_drops.assign(s->reasons.size(), 0);
  s->policy = policy;
  s->state = SlotState::kAttached;
  s->filter = std::move(filter);
  s->host = std::make_unique<SlotHost>(*this, *s);
  Slot& ref = *s;
  slots_[slot] = std::move(s);
  // The first timer call tells the chain when the filter next wants one.
  ref.cur_dir = Direction::kEgress;
  std::optional<core::Instant> next = ref.filter->timer(clock_.now(), *ref.host);
  if (next && (!ref.deadline || *next < *ref.deadline)) ref.deadline = next;
  rearm_timer();
  return core::Ok{};
}

ChainStatus IoChain::attach_failed(uint32_t slot, std::string agent, FailurePolicy policy, std::string reason) {
  if (auto st = check_slot(slot); !st) return st;
  if (slots_[slot]) return chain_error(ChainError::kSlotBusy, "slot " + std::to_string(slot) + " already has a filter");
  if (filter_count() >= kSlotCount) {
    return chain_error(ChainError::kChainFull, "port already has 16 filters; a 17th is refused");
  }
  auto s = std::make_unique<Slot>();
  s->index = slot;
  s->agent = std::move(agent);
  s->prefix = "slot" + std::to_string(slot);
  s->reasons = {"unknown"};
  s->c.filter_drops.assign(1, 0);
  s->policy = policy;
  s->state = SlotState::kFailed;
  s->failure_reason = std::move(reason);
  s->host = std::make_unique<SlotHost>(*this, *s);
  slots_[slot] = std::move(s);
  return core::Ok{};
}

ChainStatus IoChain::detach(uint32_t slot) {
  if (slot >= kSlotCount || !slots_[slot]) return chain_error(ChainError::kEmptySlot, "slot has no filter");
  Slot& s = *slots_[slot];
  s.filter.reset();
  for (auto& b : s.injected) b.clear();
  slots_[slot].reset();
  rearm_timer();
  return core::Ok{};
}

SlotState IoChain::slot_state(uint32_t slot) const {
  if (slot >= kSlotCount || !slots_[slot]) return SlotState::kEmpty;
  return slots_[slot]->state;
}

Filter* IoChain::filter(uint32_t slot) {
  if (slot >= kSlotCount || !slots_[slot]) return nullptr;
  return slots_[slot]->filter.get();
}

std::string IoChain::filter_name(uint32_t slot) const {
  if (slot >= kSlotCount || !slots_[slot]) return "";
  return iochain::filter_name(port_.vm_id, port_.vnic_index, slots_[slot]->agent, slot);
}

const SlotCounters* IoChain::slot_counters(uint32_t slot) const {
  if (slot >= kSlotCount || !slots_[slot]) return nullptr;
  return &slots_[slot]->c;
}

int IoChain::position_of(uint32_t slot, Direction dir) const {
  return dir == Direction::kEgress ? static_cast<int>(slot) : static_cast<int>(kSlotCount - 1 - slot);
}

void IoChain::process(core::PacketBatch& batch, Direction dir) { walk(batch, dir, 0, 0); }

void IoChain::walk(core::PacketBatch& batch, Direction dir, int start_pos, uint32_t depth) {
  if (disconnected_) {
    if (tracer_ != nullptr) {
      for (core::Packet* p : batch) {
        tracer_->record(TraceEvent{p->meta.user, 0, dir, TraceVerdict::kChainDrop, name_of(ChainDrop::kDisconnected)});
      }
    }
    chain_drops_.inc(ChainDrop::kDisconnected, batch.size());
    batch.clear();
    return;
  }
  for (int pos = start_pos; pos < static_cast<int>(kSlotCount) && !batch.empty(); ++pos) {
    const uint32_t slot = dir == Direction::kEgress ? static_cast<uint32_t>(pos) : kSlotCount - 1 - static_cast<uint32_t>(pos);
    Slot* s = slots_[slot].get();
    if (s == nullptr) continue;
    run_slot(*s, batch, dir, false, {}, depth);
  }
}

void IoChain::drop_all(Slot& s, core::PacketBatch& batch, ChainDrop why, Direction dir) {
  if (tracer_ != nullptr) {
    const TraceVerdict v = why == ChainDrop::kFailClosed  ? TraceVerdict::kPolicyDrop
                           : why == ChainDrop::kFilterError ? TraceVerdict::kErrorDrop
                                                            : TraceVerdict::kChainDrop;
    for (core::Packet* p : batch) {
      if (p != nullptr) tracer_->record(TraceEvent{p->meta.user, s.index, dir, v, name_of(why)});
    }
  }
  batch.compact();
  s.c.chain_drops.inc(why, batch.size());
  batch.clear();
}

void IoChain::run_slot(Slot& s, core::PacketBatch& batch, Direction dir, bool returned, std::span<const uint8_t> meta,
                       uint32_t depth) {
  if (batch.empty()) return;
  const uint16_t bit = static_cast<uint16_t>(1u << s.index);
  for (core::Packet* p : batch) p->meta.slots_passed |= bit;
  const uint32_t before = batch.size();

  if (s.state != SlotState::kAttached || !s.filter->healthy()) {
    if (s.policy == FailurePolicy::kFailOpen) {
      s.c.policy_passed += before;
      if (tracer_ != nullptr) {
        for (core::Packet* p : batch) tracer_->record(TraceEvent{p->meta.user, s.index, dir, TraceVerdict::kPolicyPass, ""});
      }
    } else {
      drop_all(s, batch, ChainDrop::kFailClosed, dir);
    }
    return;
  }

  s.c.filtered += before;
  s.cur_dir = dir;
  s.injected_this_call = 0;
  std::vector<uint64_t> before_ids;
  if (tracer_ != nullptr) {
    s.disposed_ids.clear();
    before_ids.reserve(before);
    for (core::Packet* p : batch) before_ids.push_back(p->meta.user);
  }

  FilterStatus st = returned ? s.filter->process_returned(batch, dir, meta, *s.host)
                             : s.filter->process(batch, dir, *s.host);
  batch.compact();
  const uint32_t after = batch.size();
  if (after < before) s.c.taken += before - after;

  if (tracer_ != nullptr) {
    // Packets still in the batch passed; removed ones without a recorded verdict are held.
    std::vector<uint64_t> after_ids;
    for (core::Packet* p : batch) after_ids.push_back(p->meta.user);
    for (uint64_t id : before_ids) {
      auto in_after = std::find(after_ids.begin(), after_ids.end(), id);
      if (in_after != after_ids.end()) {
        after_ids.erase(in_after);
        continue;
      }
      auto disposed = std::find(s.disposed_ids.begin(), s.disposed_ids.end(), id);
      if (disposed != s.disposed_ids.end()) {
        s.disposed_ids.erase(disposed);
        continue;
      }
      tracer_->record(TraceEvent{id, s.index, dir, TraceVerdict::kQueued, ""});
    }
    if (st) {
      for (core::Packet* p : batch) tracer_->record(TraceEvent{p->meta.user, s.index, dir, TraceVerdict::kPass, ""});
    }
  }

  if (!st && st.error().code == FilterError::kDown) {
    // The filter's service is down: its failure policy decides, not an error drop.
    if (s.policy == FailurePolicy::kFailOpen) {
      s.c.policy_passed += batch.size();
      s.c.passed += batch.size();
    } else {
      drop_all(s, batch, ChainDrop::kFailClosed, dir);
    }
  } else if (!st) {
    ++s.c.errors;
    VNETREF_LOG(log_, core::LogLevel::kWarn, s.prefix.c_str(), "process failed (%s): %s, dropping %u packets",
                name_of(st.error().code), st.error().message.c_str(), batch.size());
    drop_all(s, batch, ChainDrop::kFilterError, dir);
    if (st.error().code == FilterError::kFailed) {
      // The filter crashed out of the operation: from now on its failure policy
      // decides, until a successful reconfiguration.
      s.state = SlotState::kFailed;
      s.failure_reason = "crashed: " + st.error().message;
    }
  } else {
    s.c.passed += batch.size();
  }
  flush_injected(s, depth);
}

void IoChain::flush_injected(Slot& s, uint32_t depth) {
  for (Direction d : {Direction::kEgress, Direction::kIngress}) {
    core::PacketBatch& pending = s.injected[static_cast<size_t>(d)];
    if (pending.empty()) continue;
    core::PacketBatch local = std::move(pending);
    if (depth + 1 > options_.max_inject_depth) {
      if (tracer_ != nullptr) {
        for (core::Packet* p : local) {
          tracer_->record(TraceEvent{p->meta.user, s.index, d, TraceVerdict::kChainDrop, name_of(ChainDrop::kInjectLoop)});
        }
      }
      s.c.chain_drops.inc(ChainDrop::kInjectLoop, local.size());
      local.clear();
      continue;
    }
    walk(local, d, position_of(s.index, d) + 1, depth + 1);
    if (local.empty()) continue;
    if (sink_ != nullptr) {
      sink_->deliver(local, d);
    } else {
      s.c.chain_drops.inc(ChainDrop::kNoSink, local.size());
    }
    local.clear();
  }
}

void IoChain::reinject(uint32_t slot, core::PacketPtr packet, Direction dir, std::span<const uint8_t> meta) {
  if (!packet) return;
  if (slot >= kSlotCount || !slots_[slot] || disconnected_) {
    chain_drops_.inc(disconnected_ ? ChainDrop::kDisconnected : ChainDrop::kReinjectNoSlot);
    return;
  }
  Slot& s = *slots_[slot];
  packet->meta.direction = dir;
  core::PacketBatch b;
  (void)b.push(std::move(packet));
  run_slot(s, b, dir, true, meta, 0);
  walk(b, dir, position_of(slot, dir) + 1, 0);
  if (b.empty()) return;
  if (sink_ != nullptr) {
    sink_->deliver(b, dir);
  } else {
    s.c.chain_drops.inc(ChainDrop::kNoSink, b.size());
  }
  b.clear();
}

void IoChain::run_timers() {
  const core::Instant now = clock_.now();
  for (auto& sp : slots_) {
    if (!sp || !sp->filter || !sp->deadline || *sp->deadline > now) continue;
    Slot& s = *sp;
    s.deadline.reset();
    s.cur_dir = Direction::kEgress;
    s.injected_this_call = 0;
    std::optional<core::Instant> next = s.filter->timer(now, *s.host);
    if (next && (!s.deadline || *next < *s.deadline)) s.deadline = next;
    flush_injected(s, 0);
  }
  rearm_timer();
}

std::optional<core::Instant> IoChain::next_deadline() const {
  std::optional<core::Instant> best;
  for (const auto& s : slots_) {
    if (s && s->deadline && (!best || *s->deadline < *best)) best = s->deadline;
  }
  return best;
}

void IoChain::attach_timer_wheel(core::TimerWheel& wheel) {
  wheel_ = &wheel;
  timer_ = std::make_unique<core::Timer>([this] { run_timers(); });
  rearm_timer();
}

void IoChain::rearm_timer() {
  if (wheel_ == nullptr || !timer_) return;
  std::optional<core::Instant> d = next_deadline();
  if (!d) {
    timer_->cancel();
    return;
  }
  if (timer_->armed() && timer_->deadline() <= *d) return;
  wheel_->schedule(*timer_, *d);
}

core::CounterList IoChain::counters() const {
  core::CounterList out;
  for (const auto& sp : slots_) {
    if (!sp) continue;
    const Slot& s = *sp;
    const std::string& p = s.prefix;
    const uint64_t queued = s.c.taken + s.c.allocated - std::min(s.c.taken + s.c.allocated, s.c.disposed);
    out.push_back({p + ".filtered", s.c.filtered});
    out.push_back({p + ".passed", s.c.passed});
    out.push_back({p + ".faulted", s.c.faulted});
    out.push_back({p + ".queued", queued});
    out.push_back({p + ".errors", s.c.errors});
    out.push_back({p + ".injected", s.c.injected});
    out.push_back({p + ".policy_passed", s.c.policy_passed});
    uint64_t drops = 0;
    for (size_t i = 0; i < s.reasons.size(); ++i) {
      out.push_back({p + ".drop." + s.reasons[i], s.c.filter_drops[i]});
      drops += s.c.filter_drops[i];
    }
    s.c.chain_drops.for_each([&](const char* n, uint64_t v) { out.push_back({p + ".drop." + n, v}); }, true);
    drops += s.c.chain_drops.total();
    out.push_back({p + ".dropped", drops});
    if (s.filter) {
      core::CounterList own;
      s.filter->counters(own);
      for (auto& c : own) out.push_back({p + "." + c.name, c.value});
    }
  }
  chain_drops_.for_each([&](const char* n, uint64_t v) { out.push_back({std::string("chain.drop.") + n, v}); }, true);
  return out;
}

std::optional<uint64_t> IoChain::counter(std::string_view name) const {
  std::string want(name);
  if (want.rfind("slot", 0) == 0) {
    size_t dot = want.find('.');
    if (dot != std::string::npos && dot > 4) {
      uint32_t slot = 0;
      bool ok = true;
      for (size_t i = 4; i < dot; ++i) {
        if (want[i] < '0' || want[i] > '9') ok = false;
        slot = slot * 10 + static_cast<uint32_t>(want[i] - '0');
      }
      if (ok && slot < kSlotCount && slots_[slot]) want = slots_[slot]->prefix + want.substr(dot);
    }
  }
  uint64_t v = 0;
  if (core::find_counter(counters(), want, &v)) return v;
  return std::nullopt;
}

std::string IoChain::summarize() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "world %u vmm0:%s\n port %u %s.eth%u\n", port_.vm_id,
                port_.vm_name.empty() ? ("vm-" + std::to_string(port_.vm_id)).c_str() : port_.vm_name.c_str(),
                port_.port_id,
                port_.vm_name.empty() ? ("vm-" + std::to_string(port_.vm_id)).c_str() : port_.vm_name.c_str(),
                port_.vnic_index);
  out += line;
  for (const auto& sp : slots_) {
    if (!sp) continue;
    const Slot& s = *sp;
    std::snprintf(line, sizeof line,
                  "  vNic slot %u\n   name: %s\n   agentName: %s\n   state: %s\n   vmState: %s\n"
                  "   failurePolicy: %s\n   slowPathID: %s\n   filter source: Dynamic Filter Creation\n",
                  s.index, filter_name(s.index).c_str(), s.agent.c_str(),
                  disconnected_ ? name_of(SlotState::kDisconnected) : name_of(s.state),
                  disconnected_ ? "Disconnected" : "Detached", name_of(s.policy),
                  slow_path_ != nullptr ? "1" : "none");
    out += line;
    if (s.state == SlotState::kFailed) out += "   failure: " + s.failure_reason + "\n";
  }
  return out;
}

FilterResult<std::vector<uint8_t>> IoChain::save_state(uint32_t slot) {
  if (slot >= kSlotCount || !slots_[slot] || !slots_[slot]->filter) {
    return filter_error(FilterError::kInvalid, "slot " + std::to_string(slot) + " has no working filter");
  }
  Slot& s = *slots_[slot];
  s.cur_dir = Direction::kEgress;
  s.injected_this_call = 0;
  std::optional<core::Instant> next = s.filter->timer(clock_.now(), *s.host);
  if (next && (!s.deadline || *next < *s.deadline)) s.deadline = next;
  flush_injected(s, 0);
  rearm_timer();
  return s.filter->save_state();
}

FilterStatus IoChain::restore_state(uint32_t slot, std::span<const uint8_t> state) {
  if (slot >= kSlotCount || !slots_[slot] || !slots_[slot]->filter) {
    return filter_error(FilterError::kInvalid, "slot " + std::to_string(slot) + " has no working filter");
  }
  Slot& s = *slots_[slot];
  // Saved lifetimes are relative: the filter learns "now" before restoring and its
  // next deadline from the restored state afterwards.
  s.cur_dir = Direction::kEgress;
  s.injected_this_call = 0;
  (void)s.filter->timer(clock_.now(), *s.host);
  FilterStatus st = s.filter->restore_state(state);
  if (st) {
    std::optional<core::Instant> next = s.filter->timer(clock_.now(), *s.host);
    if (next && (!s.deadline || *next < *s.deadline)) s.deadline = next;
    rearm_timer();
  }
  flush_injected(s, 0);
  if (!st && s.policy == FailurePolicy::kFailClosed) {
    disconnected_ = true;
    VNETREF_LOG(log_, core::LogLevel::kError, s.prefix.c_str(), "restore failed under failClosed: vNIC disconnected (%s)",
                st.error().message.c_str());
  }
  return st;
}

FilterResult<std::string> IoChain::ioctl(uint32_t slot, std::string_view request) {
  if (slot >= kSlotCount || !slots_[slot] || !slots_[slot]->filter) {
    return filter_error(FilterError::kInvalid, "slot " + std::to_string(slot) + " has no working filter");
  }
  return slots_[slot]->filter->ioctl(request);
}

FilterStatus IoChain::config_changed(uint32_t slot, std::string_view config_json) {
  if (slot >= kSlotCount || !slots_[slot] || !slots_[slot]->filter) {
    return filter_error(FilterError::kInvalid, "slot " + std::to_string(slot) + " has no working filter");
  }
  Slot& s = *slots_[slot];
  FilterStatus st = s.filter->config_changed(config_json);
  if (st && s.state == SlotState::kFailed) {
    s.state = SlotState::kAttached;  // a crashed filter that accepts a new configuration is back
    s.failure_reason.clear();
  }
  std::optional<core::Instant> next = s.filter->timer(clock_.now(), *s.host);
  if (next && (!s.deadline || *next < *s.deadline)) s.deadline = next;
  rearm_timer();
  return st;
}

}  // namespace vnetref::iochain
