#include "stack/iochain/abi_export.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/views.h"

// The opaque handle of an exported filter.
struct vnr_filter {
  // Declared first so it is destroyed last: the filter may still hold our packets.
  std::unique_ptr<vnetref::core::BufferPool> pool;
  std::unique_ptr<vnetref::iochain::Filter> filter;
  const vnr_host_api* host = nullptr;
  // Our packet -> the host's packet it stands for (while in a call or held).
  std::unordered_map<vnetref::core::Packet*, vnr_packet*> origin;
  std::unordered_map<vnetref::core::Packet*, bool> dirty;  // made writable: copy bytes back
  vnr_packet** arr = nullptr;  // the current call's array (entries set to NULL when taken)
  std::unordered_map<vnr_packet*, uint32_t> index;  // host packet -> array index in the current call
};

namespace vnetref::iochain {
namespace {

constexpr uint32_t kExportPoolPackets = 1024;

void set_error(const vnr_filter_create_args* a, const std::string& msg) {
  if (a->error_buf == nullptr || a->error_cap == 0) return;
  const size_t n = std::min<size_t>(msg.size(), a->error_cap - 1);
  std::memcpy(a->error_buf, msg.data(), n);
  a->error_buf[n] = 0;
}

// Copies our packet's bytes and metadata onto the host packet it came from.
bool copy_back(vnr_filter* f, core::Packet& p, vnr_packet* h) {
  const vnr_host_api* api = f->host;
  h->egress_port = p.meta.egress_port;
  h->vlan_tci = p.meta.vlan_tci;
  h->flow_hash = p.meta.flow_hash;
  h->traffic_class = p.meta.traffic_class;
  auto d = f->dirty.find(&p);
  if (d == f->dirty.end()) return true;
  f->dirty.erase(d);
  const int64_t delta = int64_t{p.pkt_len} - int64_t{h->len};
  if (delta != 0 && api->adjust_tail(api->ctx, h, static_cast<int32_t>(delta)) != VNR_OK) return false;
  if (api->make_writable(api->ctx, h) != VNR_OK) return false;
  core::Mbuf m(p);
  return m.copy_data(0, std::span<uint8_t>(h->data, h->len));
}

class ExportHost final : public FilterHost {
 public:
  explicit ExportHost(vnr_filter* f) : f_(f) {}
  core::Instant now() const override {
    return core::from_nanos(static_cast<int64_t>(f_->host->now_ns(f_->host->ctx)));
  }
  void drop(core::PacketPtr p, uint32_t reason) override {
    if (!p) return;
    if (vnr_packet* h = detach(p.get())) f_->host->drop(f_->host->ctx, h, reason);
    p.reset();
  }
  bool fault(core::PacketPtr p, std::span<const uint8_t> meta) override {
    if (!p) return false;
    vnr_packet* h = detach(p.get());
    if (h == nullptr) h = to_host(*p);
    if (h == nullptr) return false;
    if (!copy_back(f_, *p, h)) {
      f_->host->drop(f_->host->ctx, h, static_cast<uint32_t>(f_->filter->info().drop_reasons.size()));
      return false;
    }
    return f_->host->fault(f_->host->ctx, h, 0, meta.data(), static_cast<uint32_t>(meta.size())) == VNR_OK;
  }
  bool fault_copy(const core::Packet& p, std::span<const uint8_t> meta) override {
    auto it = f_->origin.find(const_cast<core::Packet*>(&p));
    if (it != f_->origin.end()) {
      if (!copy_back(f_, const_cast<core::Packet&>(p), it->second)) return false;
      return f_->host->fault(f_->host->ctx, it->second, 1, meta.data(), static_cast<uint32_t>(meta.size())) == VNR_OK;
    }
    vnr_packet* h = to_host(p);
    if (h == nullptr) return false;
    return f_->host->fault(f_->host->ctx, h, 0, meta.data(), static_cast<uint32_t>(meta.size())) == VNR_OK;
  }
  void inject(core::PacketPtr p, Direction dir) override {
    if (!p) return;
    vnr_packet* h = detach(p.get());
    if (h != nullptr) {
      if (!copy_back(f_, *p, h)) {
        f_->host->drop(f_->host->ctx, h, static_cast<uint32_t>(f_->filter->info().drop_reasons.size()));
        return;
      }
    } else {
      h = to_host(*p);
      if (h == nullptr) return;
    }
    f_->host->inject(f_->host->ctx, h, static_cast<vnr_direction>(dir));
  }
  core::PacketPtr alloc(uint32_t len) override {
    core::PacketPtr p = f_->pool->alloc();
    if (!p) return p;
    core::SkBuff skb(*p);
    if (skb.put(len) == nullptr) return {};
    f_->dirty[p.get()] = true;
    return p;
  }
  bool make_writable(core::PacketPtr& p) override {
    if (!p) return false;
    core::Packet* before = p.get();
    if (!f_->pool->make_writable(p)) return false;
    if (p.get() != before) {
      auto it = f_->origin.find(before);
      if (it != f_->origin.end()) {
        vnr_packet* h = it->second;
        f_->origin.erase(it);
        f_->origin[p.get()] = h;
      }
      f_->dirty.erase(before);
    }
    f_->dirty[p.get()] = true;
    return true;
  }
  bool service_up(std::string_view service) override {
    if (f_->host->service_up == nullptr) return false;
    std::string s(service);
    return f_->host->service_up(f_->host->ctx, s.c_str()) != 0;
  }
  void request_timer(core::Instant when) override {
    if (f_->host->request_timer != nullptr) {
      f_->host->request_timer(f_->host->ctx, static_cast<uint64_t>(core::to_nanos(when)));
    }
  }
  void log(int level, std::string_view line) override {
    if (f_->host->log == nullptr) return;
    std::string s(line);
    f_->host->log(f_->host->ctx, level, s.c_str());
  }

 private:
  // Forgets the mapping of one of our packets; clears its array entry if in the call.
  vnr_packet* detach(core::Packet* p) {
    auto it = f_->origin.find(p);
    if (it == f_->origin.end()) return nullptr;
    vnr_packet* h = it->second;
    f_->origin.erase(it);
    if (f_->arr != nullptr) {
      auto ix = f_->index.find(h);
      if (ix != f_->index.end()) f_->arr[ix->second] = nullptr;
    }
    return h;
  }
  // A new host packet holding a copy of `p` (for packets the filter created).
  vnr_packet* to_host(const core::Packet& p) {
    vnr_packet* h = f_->host->alloc(f_->host->ctx, p.pkt_len);
    if (h == nullptr) return nullptr;
    core::Mbuf m(const_cast<core::Packet&>(p));
    if (!m.copy_data(0, std::span<uint8_t>(h->data, h->len))) return nullptr;
    h->vlan_tci = p.meta.vlan_tci;
    h->user = p.meta.user;
    h->egress_port = p.meta.egress_port;
    f_->dirty.erase(const_cast<core::Packet*>(&p));
    return h;
  }
  vnr_filter* f_;
};

vnr_status run(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir, bool returned,
               const uint8_t* meta, uint32_t meta_len) {
  if (f == nullptr || (pkts == nullptr && count > 0) || count > core::PacketBatch::kMaxPackets) return VNR_ERR_INVALID;
  if (dir != VNR_DIR_EGRESS && dir != VNR_DIR_INGRESS) return VNR_ERR_INVALID;
  core::PacketBatch batch;
  f->arr = pkts;
  f->index.clear();
  for (uint32_t i = 0; i < count; ++i) {
    vnr_packet* h = pkts[i];
    if (h == nullptr) continue;
    core::PacketPtr p = f->pool->alloc_copy(std::span<const uint8_t>(h->data, h->len));
    if (!p) {
      f->arr = nullptr;
      return VNR_ERR_NOMEM;  // the host drops the batch and counts an error
    }
    core::PacketMeta& m = p->meta;
    m.ingress_port = h->ingress_port;
    m.egress_port = h->egress_port;
    m.vlan_tci = h->vlan_tci;
    m.slots_passed = h->slots_passed;
    m.flow_hash = h->flow_hash;
    m.direction = static_cast<core::Direction>(h->direction & 1);
    m.traffic_class = h->traffic_class;
    m.csum = static_cast<core::CsumState>(h->csum_state <= 2 ? h->csum_state : 0);
    m.timestamp_ns = h->timestamp_ns;
    m.user = h->user;
    f->origin[p.get()] = h;
    f->index[h] = i;
    (void)batch.push(std::move(p));
  }
  ExportHost host(f);
  FilterStatus st = returned ? f->filter->process_returned(batch, static_cast<Direction>(dir),
                                                           std::span<const uint8_t>(meta, meta == nullptr ? 0 : meta_len), host)
                             : f->filter->process(batch, static_cast<Direction>(dir), host);
  batch.compact();
  // What is still in the batch passed: copy verdict-free changes back.
  std::vector<bool> kept(count, false);
  for (core::Packet* p : batch) {
    auto it = f->origin.find(p);
    if (it == f->origin.end()) continue;  // cannot happen: filters never add packets
    vnr_packet* h = it->second;
    kept[f->index[h]] = true;
    if (!copy_back(f, *p, h)) st = filter_error(FilterError::kNoMem, "copy back failed");
    f->origin.erase(it);
  }
  // Packets taken without a verdict stay mapped (held); their entries become NULL.
  for (uint32_t i = 0; i < count; ++i) {
    if (pkts[i] != nullptr && !kept[i]) pkts[i] = nullptr;
  }
  batch.clear();
  f->arr = nullptr;
  f->index.clear();
  if (st) return VNR_OK;
  switch (st.error().code) {
    case FilterError::kDown: return VNR_ERR_DOWN;
    case FilterError::kFailed: return VNR_ERR_FAILED;
    case FilterError::kNoMem: return VNR_ERR_NOMEM;
    default: return VNR_ERR_INVALID;
  }
}

vnr_status op_destroy(vnr_filter* f) {
  delete f;  // NOLINT: the ABI hands ownership back through this call
  return VNR_OK;
}

vnr_status op_process(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir) {
  return run(f, pkts, count, dir, false, nullptr, 0);
}

vnr_status op_process_returned(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir,
                               const uint8_t* meta, uint32_t meta_len) {
  return run(f, pkts, count, dir, true, meta, meta_len);
}

vnr_status op_timer(vnr_filter* f, uint64_t now_ns, uint64_t* next_ns) {
  ExportHost host(f);
  auto next = f->filter->timer(core::from_nanos(static_cast<int64_t>(now_ns)), host);
  if (next_ns != nullptr) *next_ns = next ? static_cast<uint64_t>(core::to_nanos(*next)) : 0;
  return VNR_OK;
}

vnr_status op_counters(vnr_filter* f, vnr_counter_fn fn, void* cookie) {
  core::CounterList list;
  f->filter->counters(list);
  for (const auto& c : list) fn(cookie, c.name.c_str(), c.value);
  return VNR_OK;
}

vnr_status write_out(const std::vector<uint8_t>& data, uint8_t* buf, size_t cap, size_t* needed) {
  if (needed != nullptr) *needed = data.size();
  if (data.empty()) return VNR_OK;
  if (buf == nullptr || cap < data.size()) return VNR_ERR_TOO_SMALL;
  std::memcpy(buf, data.data(), data.size());
  return VNR_OK;
}

vnr_status op_save_state(vnr_filter* f, uint8_t* buf, size_t cap, size_t* needed) {
  // Bring the filter to the host's "now" first: lifetimes are saved as what remains
  // at the moment of the save, not at the filter's last packet or timer call.
  ExportHost host(f);
  (void)f->filter->timer(host.now(), host);
  auto s = f->filter->save_state();
  if (!s) return VNR_ERR_FAILED;
  return write_out(*s, buf, cap, needed);
}

vnr_status op_restore_state(vnr_filter* f, const uint8_t* buf, size_t len) {
  // Saved lifetimes are relative: the filter must know "now" before restoring, and
  // asks for its next timer from the restored state afterwards.
  ExportHost host(f);
  (void)f->filter->timer(host.now(), host);
  auto st = f->filter->restore_state(std::span<const uint8_t>(buf, buf == nullptr ? 0 : len));
  if (!st) return VNR_ERR_STATE;
  if (auto next = f->filter->timer(host.now(), host)) host.request_timer(*next);
  return VNR_OK;
}

vnr_status op_ioctl(vnr_filter* f, const char* request, char* reply, size_t cap, size_t* needed) {
  if (request == nullptr) return VNR_ERR_INVALID;
  auto r = f->filter->ioctl(request);
  if (!r) return r.error().code == FilterError::kUnsupported ? VNR_ERR_UNSUPPORTED : VNR_ERR_FAILED;
  if (needed != nullptr) *needed = r->size() + 1;
  if (reply == nullptr || cap < r->size() + 1) return VNR_ERR_TOO_SMALL;
  std::memcpy(reply, r->c_str(), r->size() + 1);
  return VNR_OK;
}

vnr_status op_config_changed(vnr_filter* f, const char* json, char* err, uint32_t cap) {
  auto st = f->filter->config_changed(json == nullptr ? "{}" : json);
  if (st) return VNR_OK;
  if (err != nullptr && cap > 0) {
    const std::string& m = st.error().message;
    const size_t n = std::min<size_t>(m.size(), cap - 1);
    std::memcpy(err, m.data(), n);
    err[n] = 0;
  }
  return st.error().code == FilterError::kUnsupported ? VNR_ERR_UNSUPPORTED : VNR_ERR_INVALID;
}

}  // namespace

namespace abi_export {

vnr_status create(const ExportSpec& spec, const vnr_filter_create_args* a, vnr_filter** out) {
  if (a == nullptr || out == nullptr) return VNR_ERR_INVALID;
  if (a->struct_size < offsetof(vnr_filter_create_args, error_cap) + sizeof(a->error_cap) ||
      a->abi_version != VNR_FILTER_ABI_VERSION) {
    return VNR_ERR_VERSION;
  }
  if (a->host == nullptr || a->host->struct_size < sizeof(vnr_host_api) - sizeof(void*) ||
      a->host->now_ns == nullptr || a->host->drop == nullptr || a->host->inject == nullptr ||
      a->host->alloc == nullptr || a->host->fault == nullptr || a->host->make_writable == nullptr ||
      a->host->adjust_tail == nullptr) {
    set_error(a, "host api incomplete");
    return VNR_ERR_VERSION;
  }
  if (a->slot >= 32 || (spec.slot_mask & (1u << a->slot)) == 0) {
    set_error(a, std::string(spec.agent) + " cannot be placed in slot " + std::to_string(a->slot));
    return VNR_ERR_INVALID;
  }
  if (a->param_count > VNR_MAX_PARAMS || (a->param_count > 0 && a->params == nullptr)) {
    set_error(a, "at most 16 parameters");
    return VNR_ERR_INVALID;
  }
  FilterPlacement where;
  where.slot = a->slot;
  where.vm_id = a->vm_id;
  where.vnic_index = a->vnic_index;
  where.port_id = a->port_id;
  where.name = a->name != nullptr ? a->name : filter_name(a->vm_id, a->vnic_index, spec.agent, a->slot);
  FilterParams params;
  for (uint32_t i = 0; i < a->param_count; ++i) {
    if (a->params[i].key == nullptr || a->params[i].value == nullptr) continue;
    params.push_back({a->params[i].key, a->params[i].value});
  }
  auto f = spec.factory(where, a->config_json != nullptr ? a->config_json : "{}", params);
  if (!f) {
    set_error(a, f.error().message);
    return f.error().code == FilterError::kNoMem ? VNR_ERR_NOMEM : VNR_ERR_INVALID;
  }
  auto h = std::make_unique<vnr_filter>();
  h->filter = std::move(f).value();
  h->host = a->host;
  h->pool = std::make_unique<core::BufferPool>(kExportPoolPackets, 2048 + core::BufferPool::kDefaultHeadroom,
                                               core::BufferPool::kDefaultHeadroom, spec.agent);
  *out = h.release();
  return VNR_OK;
}

void fill_ops(vnr_filter_ops& ops, const ExportSpec& spec,
              vnr_status (*create_fn)(const vnr_filter_create_args*, vnr_filter**)) {
  ops = vnr_filter_ops{};
  ops.struct_size = sizeof(vnr_filter_ops);
  ops.abi_version = VNR_FILTER_ABI_VERSION;
  ops.agent_name = spec.agent;
  ops.counter_prefix = spec.counter_prefix;
  ops.drop_reasons = spec.drop_reasons;
  ops.drop_reason_count = spec.drop_reason_count;
  ops.slot_mask = spec.slot_mask;
  ops.create = create_fn;
  ops.destroy = &op_destroy;
  ops.process = &op_process;
  ops.process_returned = &op_process_returned;
  ops.timer = &op_timer;
  ops.counters = &op_counters;
  ops.save_state = &op_save_state;
  ops.restore_state = &op_restore_state;
  ops.ioctl = &op_ioctl;
  ops.config_changed = &op_config_changed;
}

}  // namespace abi_export
}  // namespace vnetref::iochain
