#include "stack/iochain/abi_host.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "stack/core/views.h"

namespace vnetref::iochain {

// ---- library -----------------------------------------------------------------------

FilterResult<std::shared_ptr<FilterLibrary>> FilterLibrary::open(const std::string& path) {
  std::shared_ptr<FilterLibrary> lib(new FilterLibrary());
  lib->path_ = path;
  lib->handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle_ == nullptr) {
    const char* e = dlerror();
    return filter_error(FilterError::kInvalid, "dlopen " + path + ": " + (e != nullptr ? e : "failed"));
  }
  void* sym = dlsym(lib->handle_, VNR_FILTER_ENTRY_SYMBOL);
  if (sym == nullptr) {
    return filter_error(FilterError::kVersion, path + ": no symbol " + VNR_FILTER_ENTRY_SYMBOL);
  }
  lib->entry_ = reinterpret_cast<vnr_filter_entry_fn>(sym);
  return lib;
}

FilterLibrary::~FilterLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

const vnr_filter_ops* FilterLibrary::ops(uint32_t slot) const {
  return entry_ != nullptr ? entry_(VNR_FILTER_ABI_VERSION, slot) : nullptr;
}

FilterStatus validate_ops(const vnr_filter_ops* ops, uint32_t slot) {
  if (ops == nullptr) return filter_error(FilterError::kUnsupported, "no filter for slot " + std::to_string(slot));
  if (ops->struct_size < offsetof(vnr_filter_ops, config_changed) + sizeof(ops->config_changed)) {
    return filter_error(FilterError::kVersion, "ops table too small (struct_size " + std::to_string(ops->struct_size) + ")");
  }
  if (ops->abi_version != VNR_FILTER_ABI_VERSION) {
    return filter_error(FilterError::kVersion, "ABI version " + std::to_string(ops->abi_version) + ", host speaks " +
                                                   std::to_string(VNR_FILTER_ABI_VERSION));
  }
  if (ops->create == nullptr || ops->destroy == nullptr || ops->process == nullptr) {
    return filter_error(FilterError::kInvalid, "ops table lacks create/destroy/process");
  }
  if (ops->agent_name == nullptr || ops->counter_prefix == nullptr) {
    return filter_error(FilterError::kInvalid, "ops table lacks agent_name/counter_prefix");
  }
  if (ops->drop_reason_count > VNR_MAX_DROP_REASONS || (ops->drop_reason_count > 0 && ops->drop_reasons == nullptr)) {
    return filter_error(FilterError::kInvalid, "bad drop reason table");
  }
  if (slot >= 32 || (ops->slot_mask & (1u << slot)) == 0) {
    return filter_error(FilterError::kInvalid, std::string(ops->agent_name) + " may not be placed in slot " +
                                                   std::to_string(slot));
  }
  return core::Ok{};
}

// ---- wrappers ----------------------------------------------------------------------

struct AbiFilter::Wrapper {
  vnr_packet pkt{};  // first member: a vnr_packet* is a Wrapper*
  core::PacketPtr packet;
  bool live = false;
  bool disposed = false;
  bool in_call = false;  // one of the current call's batch packets: run() frees it
};

AbiFilter::Wrapper* AbiFilter::of(vnr_packet* p) { return reinterpret_cast<Wrapper*>(p); }

AbiFilter::Wrapper* AbiFilter::new_wrapper(core::PacketPtr p) {
  Wrapper* w = nullptr;
  if (!free_.empty()) {
    w = free_.back();
    free_.pop_back();
  } else {
    wrappers_.push_back(std::make_unique<Wrapper>());
    w = wrappers_.back().get();
  }
  w->packet = std::move(p);
  w->live = true;
  w->disposed = false;
  ++live_;
  sync_to_wrapper(*w);
  const core::PacketMeta& m = w->packet->meta;
  w->pkt.ingress_port = m.ingress_port;
  w->pkt.egress_port = m.egress_port;
  w->pkt.vlan_tci = m.vlan_tci;
  w->pkt.slots_passed = m.slots_passed;
  w->pkt.flow_hash = m.flow_hash;
  w->pkt.direction = static_cast<uint8_t>(m.direction);
  w->pkt.traffic_class = m.traffic_class;
  w->pkt.csum_state = static_cast<uint8_t>(m.csum);
  w->pkt.timestamp_ns = m.timestamp_ns;
  w->pkt.user = m.user;
  return w;
}

void AbiFilter::free_wrapper(Wrapper* w) {
  w->packet.reset();
  w->live = false;
  w->pkt = vnr_packet{};
  --live_;
  free_.push_back(w);
}

void AbiFilter::sync_to_wrapper(Wrapper& w) {
  core::Packet& p = *w.packet;
  w.pkt.struct_size = sizeof(vnr_packet);
  w.pkt.data = p.data();
  w.pkt.len = p.data_len;
  w.pkt.headroom = p.headroom();
  w.pkt.tailroom = p.tailroom();
  w.pkt.host_ref = &w;
}

void AbiFilter::sync_meta_to_packet(Wrapper& w) {
  core::PacketMeta& m = w.packet->meta;
  m.egress_port = w.pkt.egress_port;
  m.vlan_tci = w.pkt.vlan_tci;
  m.flow_hash = w.pkt.flow_hash;
  m.traffic_class = w.pkt.traffic_class;
  m.user = w.pkt.user;
}

uint32_t AbiFilter::held() const {
  uint32_t n = 0;
  for (const auto& w : wrappers_) n += (w->live && !w->disposed) ? 1 : 0;
  return n;
}

// ---- create / destroy --------------------------------------------------------------

FilterResult<std::unique_ptr<AbiFilter>> AbiFilter::create(const vnr_filter_ops* ops, const FilterPlacement& where,
                                                           std::string_view config_json, const FilterParams& params,
                                                           std::shared_ptr<FilterLibrary> library) {
  if (auto st = validate_ops(ops, where.slot); !st) return core::Err(st.error());
  if (params.size() > VNR_MAX_PARAMS) {
    return filter_error(FilterError::kInvalid, "at most 16 parameters, got " + std::to_string(params.size()));
  }
  for (const auto& [k, v] : params) {
    if (k.size() >= VNR_MAX_PARAM_LEN || v.size() >= VNR_MAX_PARAM_LEN) {
      return filter_error(FilterError::kInvalid, "parameter '" + k.substr(0, 32) + "' longer than 255 characters");
    }
  }
  if (where.name.size() > VNR_MAX_NAME_LEN) {
    return filter_error(FilterError::kInvalid, "filter name longer than 100 characters");
  }
  std::unique_ptr<AbiFilter> f(new AbiFilter());
  f->ops_ = ops;
  f->lib_ = std::move(library);
  f->info_.agent = ops->agent_name;
  f->info_.counter_prefix = ops->counter_prefix;
  if (!f->info_.counter_prefix.empty() && f->info_.counter_prefix.back() == '#') {
    f->info_.counter_prefix.pop_back();
    f->info_.counter_prefix += std::to_string(where.slot);
  }
  for (uint32_t i = 0; i < ops->drop_reason_count; ++i) {
    f->info_.drop_reasons.push_back(ops->drop_reasons[i] != nullptr ? ops->drop_reasons[i] : "unnamed");
  }
  f->abi_reason_base_ = ops->drop_reason_count;
  f->info_.drop_reasons.push_back("abi_linearize");  // a chained packet could not be made contiguous
  f->info_.drop_reasons.push_back("abi_bad_reason"); // the filter named a reason it does not have
  f->api_.struct_size = sizeof(vnr_host_api);
  f->api_.abi_version = VNR_FILTER_ABI_VERSION;
  f->api_.ctx = f.get();
  f->api_.now_ns = &cb_now;
  f->api_.drop = &cb_drop;
  f->api_.fault = &cb_fault;
  f->api_.inject = &cb_inject;
  f->api_.alloc = &cb_alloc;
  f->api_.make_writable = &cb_make_writable;
  f->api_.adjust_head = &cb_adjust_head;
  f->api_.adjust_tail = &cb_adjust_tail;
  f->api_.service_up = &cb_service_up;
  f->api_.log = &cb_log;
  f->api_.request_timer = &cb_request_timer;

  std::string cfg(config_json.empty() ? "{}" : config_json);
  std::vector<vnr_param> ps;
  for (const auto& [k, v] : params) ps.push_back({k.c_str(), v.c_str()});
  char err[1024] = {0};
  vnr_filter_create_args a{};
  a.struct_size = sizeof(a);
  a.abi_version = VNR_FILTER_ABI_VERSION;
  a.slot = where.slot;
  a.vm_id = where.vm_id;
  a.vnic_index = where.vnic_index;
  a.port_id = where.port_id;
  a.name = where.name.c_str();
  a.config_json = cfg.c_str();
  a.params = ps.data();
  a.param_count = static_cast<uint32_t>(ps.size());
  a.host = &f->api_;
  a.error_buf = err;
  a.error_cap = sizeof err;
  vnr_filter* out = nullptr;
  const vnr_status st = ops->create(&a, &out);
  if (st != VNR_OK || out == nullptr) {
    err[sizeof err - 1] = 0;
    return filter_error(st == VNR_ERR_NOMEM ? FilterError::kNoMem : FilterError::kInvalid,
                        std::string(ops->agent_name) + ": " + (err[0] != 0 ? err : "create failed"));
  }
  f->f_ = out;
  return f;
}

AbiFilter::~AbiFilter() {
  if (f_ != nullptr) {
    // destroy may answer "busy, retry": a bounded number of retries, then give up
    // (the library keeps its instance; our wrappers and packets are freed regardless).
    for (int i = 0; i < 16 && ops_->destroy(f_) == VNR_ERR_BUSY; ++i) {
    }
  }
  for (auto& w : wrappers_) w->packet.reset();
}

// ---- data path ---------------------------------------------------------------------

FilterStatus AbiFilter::process(core::PacketBatch& batch, Direction dir, FilterHost& host) {
  return run(batch, dir, false, {}, host);
}

FilterStatus AbiFilter::process_returned(core::PacketBatch& batch, Direction dir, std::span<const uint8_t> meta,
                                         FilterHost& host) {
  if (ops_->process_returned == nullptr) return core::Ok{};
  return run(batch, dir, true, meta, host);
}

FilterStatus AbiFilter::run(core::PacketBatch& batch, Direction dir, bool returned, std::span<const uint8_t> meta,
                            FilterHost& host) {
  host_ = &host;
  last_now_ns_ = static_cast<uint64_t>(core::to_nanos(host.now()));
  std::array<vnr_packet*, core::PacketBatch::kMaxPackets> arr{};
  std::array<Wrapper*, core::PacketBatch::kMaxPackets> orig{};
  uint32_t n = 0;
  for (uint32_t i = 0; i < batch.size(); ++i) {
    core::PacketPtr p = batch.take(i);
    if (p->next != nullptr) {
      // The ABI promises contiguous bytes.
      core::PacketPtr lin = p->pool != nullptr ? p->pool->copy(*p) : core::PacketPtr();
      if (!lin || lin->next != nullptr) {
        host.drop(std::move(p), abi_reason_base_);
        continue;
      }
      p = std::move(lin);
    }
    Wrapper* w = new_wrapper(std::move(p));
    w->in_call = true;
    arr[n] = &w->pkt;
    orig[n] = w;
    ++n;
  }
  batch.compact();
  const vnr_status st = returned ? ops_->process_returned(f_, arr.data(), n, static_cast<vnr_direction>(dir),
                                                          meta.data(), static_cast<uint32_t>(meta.size()))
                                 : ops_->process(f_, arr.data(), n, static_cast<vnr_direction>(dir));
  for (uint32_t i = 0; i < n; ++i) {
    Wrapper* w = orig[i];
    w->in_call = false;
    if (w->disposed || !w->live) {
      if (w->live) free_wrapper(w);
      continue;
    }
    if (arr[i] == nullptr) continue;  // held by the filter
    sync_meta_to_packet(*w);
    (void)batch.push(std::move(w->packet));
    free_wrapper(w);
  }
  host_ = nullptr;
  if (st == VNR_OK) return core::Ok{};
  // VNR_ERR_FAILED is a crash (the failure policy takes over); VNR_ERR_DOWN a service
  // outage; anything else an error that costs this batch only.
  const FilterError code = st == VNR_ERR_DOWN     ? FilterError::kDown
                           : st == VNR_ERR_FAILED ? FilterError::kFailed
                           : st == VNR_ERR_NOMEM  ? FilterError::kNoMem
                                                  : FilterError::kInvalid;
  return filter_error(code, std::string(info_.agent) + ": process returned " + std::to_string(static_cast<int>(st)));
}

std::optional<core::Instant> AbiFilter::timer(core::Instant now, FilterHost& host) {
  if (ops_->timer == nullptr) return std::nullopt;
  host_ = &host;
  last_now_ns_ = static_cast<uint64_t>(core::to_nanos(now));
  uint64_t next = 0;
  const vnr_status st = ops_->timer(f_, last_now_ns_, &next);
  host_ = nullptr;
  if (st != VNR_OK || next == 0) return std::nullopt;
  return core::from_nanos(static_cast<int64_t>(next));
}

namespace {
void push_counter(void* cookie, const char* name, uint64_t value) {
  if (name == nullptr) return;
  static_cast<core::CounterList*>(cookie)->push_back({name, value});
}
}  // namespace

void AbiFilter::counters(core::CounterList& out) const {
  if (ops_->counters != nullptr) ops_->counters(f_, &push_counter, &out);
  out.push_back({"abi.held", held()});
}

FilterResult<std::vector<uint8_t>> AbiFilter::save_state() const {
  if (ops_->save_state == nullptr) return std::vector<uint8_t>{};
  size_t needed = 0;
  vnr_status st = ops_->save_state(f_, nullptr, 0, &needed);
  if (st == VNR_OK) return std::vector<uint8_t>{};
  if (st != VNR_ERR_TOO_SMALL || needed > (256u << 20)) {
    return filter_error(FilterError::kFailed, "save_state failed (" + std::to_string(static_cast<int>(st)) + ")");
  }
  std::vector<uint8_t> buf(needed);
  st = ops_->save_state(f_, buf.data(), buf.size(), &needed);
  if (st != VNR_OK) return filter_error(FilterError::kFailed, "save_state failed (" + std::to_string(static_cast<int>(st)) + ")");
  buf.resize(std::min(buf.size(), needed));
  return buf;
}

FilterStatus AbiFilter::restore_state(std::span<const uint8_t> state) {
  if (ops_->restore_state == nullptr) {
    if (state.empty()) return core::Ok{};
    return filter_error(FilterError::kUnsupported, "filter cannot restore state");
  }
  const vnr_status st = ops_->restore_state(f_, state.data(), state.size());
  if (st != VNR_OK) return filter_error(FilterError::kState, "restore_state failed (" + std::to_string(static_cast<int>(st)) + ")");
  return core::Ok{};
}

FilterResult<std::string> AbiFilter::ioctl(std::string_view request) {
  if (ops_->ioctl == nullptr) return filter_error(FilterError::kUnsupported, "no ioctl");
  std::string req(request);
  std::vector<char> buf(4096);
  size_t needed = 0;
  vnr_status st = ops_->ioctl(f_, req.c_str(), buf.data(), buf.size(), &needed);
  if (st == VNR_ERR_TOO_SMALL && needed <= (64u << 20)) {
    buf.resize(needed);
    st = ops_->ioctl(f_, req.c_str(), buf.data(), buf.size(), &needed);
  }
  if (st == VNR_ERR_UNSUPPORTED) return filter_error(FilterError::kUnsupported, "ioctl '" + req + "' unsupported");
  if (st != VNR_OK) return filter_error(FilterError::kFailed, "ioctl '" + req + "' failed");
  buf.back() = 0;
  return std::string(buf.data());
}

FilterStatus AbiFilter::config_changed(std::string_view config_json) {
  if (ops_->config_changed == nullptr) return filter_error(FilterError::kUnsupported, "no config_changed");
  std::string cfg(config_json);
  char err[1024] = {0};
  const vnr_status st = ops_->config_changed(f_, cfg.c_str(), err, sizeof err);
  err[sizeof err - 1] = 0;
  if (st != VNR_OK) return filter_error(FilterError::kInvalid, err[0] != 0 ? err : "config_changed failed");
  return core::Ok{};
}

// ---- callbacks ---------------------------------------------------------------------

uint64_t AbiFilter::cb_now(void* ctx) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (self->host_ != nullptr) return static_cast<uint64_t>(core::to_nanos(self->host_->now()));
  return self->last_now_ns_;
}

void AbiFilter::cb_drop(void* ctx, vnr_packet* pkt, uint32_t reason) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (pkt == nullptr || self->host_ == nullptr) return;
  Wrapper* w = of(pkt);
  if (!w->live || w->disposed) return;
  const uint32_t r = reason < self->abi_reason_base_ ? reason : self->abi_reason_base_ + 1;
  w->disposed = true;
  self->host_->drop(std::move(w->packet), r);
  if (!w->in_call) self->free_wrapper(w);
}

vnr_status AbiFilter::cb_fault(void* ctx, vnr_packet* pkt, int copy, const uint8_t* meta, uint32_t meta_len) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (pkt == nullptr || self->host_ == nullptr) return VNR_ERR_STATE;
  Wrapper* w = of(pkt);
  if (!w->live || w->disposed) return VNR_ERR_INVALID;
  if (meta_len > VNR_MAX_FAULT_META) meta_len = VNR_MAX_FAULT_META;
  std::span<const uint8_t> m(meta, meta == nullptr ? 0 : meta_len);
  sync_meta_to_packet(*w);
  if (copy != 0) return self->host_->fault_copy(*w->packet, m) ? VNR_OK : VNR_ERR_NOMEM;
  w->disposed = true;
  const bool ok = self->host_->fault(std::move(w->packet), m);
  if (!w->in_call) self->free_wrapper(w);
  return ok ? VNR_OK : VNR_ERR_NOMEM;
}

vnr_status AbiFilter::cb_inject(void* ctx, vnr_packet* pkt, vnr_direction dir) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (pkt == nullptr || self->host_ == nullptr) return VNR_ERR_STATE;
  if (dir != VNR_DIR_EGRESS && dir != VNR_DIR_INGRESS) return VNR_ERR_INVALID;
  Wrapper* w = of(pkt);
  if (!w->live || w->disposed) return VNR_ERR_INVALID;
  sync_meta_to_packet(*w);
  w->disposed = true;
  self->host_->inject(std::move(w->packet), static_cast<Direction>(dir));
  if (!w->in_call) self->free_wrapper(w);
  return VNR_OK;
}

vnr_packet* AbiFilter::cb_alloc(void* ctx, uint32_t len) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (self->host_ == nullptr || self->live_ >= 4096) return nullptr;
  core::PacketPtr p = self->host_->alloc(len);
  if (!p) return nullptr;
  return &self->new_wrapper(std::move(p))->pkt;
}

vnr_status AbiFilter::cb_make_writable(void* ctx, vnr_packet* pkt) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (pkt == nullptr || self->host_ == nullptr) return VNR_ERR_STATE;
  Wrapper* w = of(pkt);
  if (!w->live || w->disposed) return VNR_ERR_INVALID;
  if (!self->host_->make_writable(w->packet)) return VNR_ERR_NOMEM;
  sync_to_wrapper(*w);
  return VNR_OK;
}

vnr_status AbiFilter::cb_adjust_head(void* ctx, vnr_packet* pkt, int32_t delta) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (cb_make_writable(ctx, pkt) != VNR_OK) return VNR_ERR_NOMEM;
  Wrapper* w = of(pkt);
  core::SkBuff skb(*w->packet);
  const bool ok = delta >= 0 ? skb.push(static_cast<uint32_t>(delta)) != nullptr
                             : skb.pull(static_cast<uint32_t>(-static_cast<int64_t>(delta))) != nullptr;
  (void)self;
  sync_to_wrapper(*w);
  return ok ? VNR_OK : VNR_ERR_NOMEM;
}

vnr_status AbiFilter::cb_adjust_tail(void* ctx, vnr_packet* pkt, int32_t delta) {
  if (cb_make_writable(ctx, pkt) != VNR_OK) return VNR_ERR_NOMEM;
  Wrapper* w = of(pkt);
  core::SkBuff skb(*w->packet);
  bool ok = true;
  if (delta >= 0) {
    ok = skb.put(static_cast<uint32_t>(delta)) != nullptr;
  } else {
    const uint32_t cut = static_cast<uint32_t>(-static_cast<int64_t>(delta));
    if (cut > w->packet->data_len) {
      ok = false;
    } else {
      skb.trim(w->packet->data_len - cut);
    }
  }
  sync_to_wrapper(*w);
  return ok ? VNR_OK : VNR_ERR_NOMEM;
}

int AbiFilter::cb_service_up(void* ctx, const char* service) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (self->host_ == nullptr || service == nullptr) return 0;
  return self->host_->service_up(service) ? 1 : 0;
}

void AbiFilter::cb_log(void* ctx, int level, const char* line) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (self->host_ == nullptr || line == nullptr) return;
  self->host_->log(level, std::string_view(line, strnlen(line, 1024)));
}

void AbiFilter::cb_request_timer(void* ctx, uint64_t when_ns) {
  auto* self = static_cast<AbiFilter*>(ctx);
  if (self->host_ == nullptr) return;
  self->host_->request_timer(core::from_nanos(static_cast<int64_t>(when_ns)));
}

}  // namespace vnetref::iochain
