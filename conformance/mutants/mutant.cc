// A deliberately broken slot filter, one per build (VNR_MUTANT names it): the
// reference filter of its slot behind the C ABI, with exactly one behaviour changed
// the way a plausible vendor bug would change it — rules read in the wrong order, a
// mode ignored, a wrong default, a timeout misread, a RST without ACK, state lost on
// a VM move (for slot 15: a GCM nonce reused). The suites must catch every one
// (conformance/mutants/run_mutants.sh; a test fails unless all are killed).
//
// The change is made where a vendor's code would make it: in how the configuration
// is read (JSON rewritten before the reference sees it), in what reaches the host
// (drop reasons, injected packets, slow-path metadata, service state), or in saved
// state. Each wrapper forwards everything else unchanged.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "stack/config/json.h"
#include "stack/iochain/reference.h"
#include "vnetref/filter_abi.h"

#ifndef VNR_MUTANT
#error "build with -DVNR_MUTANT=\"<name>\""
#endif

namespace {

using vnetref::config::Json;

constexpr std::string_view kMutant = VNR_MUTANT;
bool is(std::string_view name) { return kMutant == name; }

// ---- configuration rewrites ---------------------------------------------------------

void erase_key(Json& o, std::string_view key) {
  auto& m = o.members();
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i].first == key) {
      m.erase(m.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

void for_each_rule(Json& cfg, void (*fn)(Json&)) {
  if (Json* rules = const_cast<Json*>(cfg.find("rules")); rules != nullptr && rules->is_array()) {
    for (Json& r : rules->items()) fn(r);
  }
  if (Json* secs = const_cast<Json*>(cfg.find("sections")); secs != nullptr && secs->is_array()) {
    for (Json& s : secs->items()) {
      if (Json* rules = const_cast<Json*>(s.find("rules")); rules != nullptr && rules->is_array()) {
        for (Json& r : rules->items()) fn(r);
      }
    }
  }
}

void reverse_array(Json* a) {
  if (a != nullptr && a->is_array()) std::reverse(a->items().begin(), a->items().end());
}

std::string rewrite(std::string_view text) {
  auto parsed = vnetref::config::parse_json(text);
  if (!parsed || !parsed->is_object()) return std::string(text);  // let the reference refuse it
  Json cfg = std::move(*parsed);
  // slot 0 --------------------------------------------------------------------------
  if (is("acl_ignores_rule_order")) reverse_array(const_cast<Json*>(cfg.find("rules")));
  if (is("acl_ignores_direction")) for_each_rule(cfg, [](Json& r) { erase_key(r, "direction"); });
  if (is("acl_ignores_vlan")) for_each_rule(cfg, [](Json& r) { erase_key(r, "vlan"); });
  if (is("acl_default_always_allow")) erase_key(cfg, "default_action");
  if (is("acl_port_range_off_by_one")) {
    for_each_rule(cfg, [](Json& r) {
      for (const char* k : {"src_ports", "dst_ports"}) {
        Json* ports = const_cast<Json*>(r.find(k));
        if (ports == nullptr || !ports->is_array()) continue;
        for (Json& p : ports->items()) {
          if (!p.is_string()) continue;
          const std::string& s = p.as_string();
          const size_t dash = s.find('-');
          if (dash == std::string::npos) continue;
          const long hi = std::stol(s.substr(dash + 1));
          p = Json::string(s.substr(0, dash) + "-" + std::to_string(hi - 1));  // the classic "<" for "<="
        }
      }
    });
  }
  // slot 1 --------------------------------------------------------------------------
  if (is("swsec_no_trust_on_first_use")) cfg.set("tofu", Json::boolean(false));
  if (is("swsec_binding_timeout_ignored")) cfg.set("binding_timeout_min", Json::integer(120));
  if (is("swsec_dhcp_server_block_default_off") && cfg.find("dhcp_server_block") == nullptr) {
    cfg.set("dhcp_server_block", Json::boolean(false));
  }
  if (is("swsec_rate_limits_ignored")) {
    erase_key(cfg, "broadcast_rate_limit_pps");
    erase_key(cfg, "multicast_rate_limit_pps");
  }
  // slot 2 --------------------------------------------------------------------------
  if (is("dfw_ignores_rule_order")) {
    if (Json* secs = const_cast<Json*>(cfg.find("sections")); secs != nullptr && secs->is_array()) {
      for (Json& s : secs->items()) reverse_array(const_cast<Json*>(s.find("rules")));
    }
  }
  if (is("dfw_skips_strict_mode")) {
    erase_key(cfg, "tcp_strict");
    if (Json* secs = const_cast<Json*>(cfg.find("sections")); secs != nullptr && secs->is_array()) {
      for (Json& s : secs->items()) erase_key(s, "tcp_strict");
    }
  }
  if (is("dfw_wrong_timeout")) {
    // Minutes read as seconds would be the other classic; here: established read as a day.
    Json t = cfg.find("timeouts") != nullptr ? *cfg.find("timeouts") : Json::object();
    t.set("tcp_established", Json::integer(86400));
    t.set("udp_first", Json::integer(90));
    cfg.set("timeouts", std::move(t));
  }
  if (is("dfw_ignores_applied_to")) for_each_rule(cfg, [](Json& r) { erase_key(r, "applied_to"); });
  if (is("dfw_default_rule_always_allows")) erase_key(cfg, "default_rule");
  // slots 4-12 ------------------------------------------------------------------------
  if (is("svc_ignores_failure_policy")) erase_key(cfg, "failure_policy");
  if (is("svc_ignores_direction")) erase_key(cfg, "direction");
  if (is("svc_ignores_match")) erase_key(cfg, "match");
  // slot 15 -----------------------------------------------------------------------------
  if (Json* pols = const_cast<Json*>(cfg.find("policies")); pols != nullptr && pols->is_array()) {
    for (Json& p : pols->items()) {
      if (is("enc_replay_window_too_wide")) p.set("replay_window", Json::integer(1024));
      if (is("enc_plaintext_accepted")) p.set("require_encryption", Json::boolean(false));
      if (is("enc_never_rekeys")) {
        erase_key(p, "rekey_after_packets");
        erase_key(p, "rekey_after_seconds");
      }
      if (is("enc_wrong_salt")) {
        const Json* k = p.find("key_out");
        if (k != nullptr && k->is_string() && k->as_string().size() == 72) {
          p.set("key_out", Json::string(k->as_string().substr(0, 64) + "00000000"));  // salt dropped
        }
      }
    }
  }
  return cfg.dump();
}

// ---- the wrapped filter ------------------------------------------------------------------

struct Wrapped {
  const vnr_filter_ops* inner_ops = nullptr;
  vnr_filter* inner = nullptr;
  const vnr_host_api* real = nullptr;
  vnr_host_api host{};
};

const Wrapped* W(void* ctx) { return static_cast<const Wrapped*>(ctx); }
Wrapped* F(vnr_filter* f) { return reinterpret_cast<Wrapped*>(f); }

uint64_t h_now(void* c) { return W(c)->real->now_ns(W(c)->real->ctx); }

void h_drop(void* c, vnr_packet* p, uint32_t reason) {
  // acl_wrong_drop_reason: "rule_match" and "default_action" swapped.
  if (is("acl_wrong_drop_reason") && reason <= 1) reason ^= 1u;
  W(c)->real->drop(W(c)->real->ctx, p, reason);
}

vnr_status h_fault(void* c, vnr_packet* p, int copy, const uint8_t* meta, uint32_t len) {
  if (is("svc_wrong_metadata")) {
    static const uint8_t kMeta[] = {'s', 'v', 'c', '-'};  // "svc-" instead of "svc:"
    std::vector<uint8_t> m(meta, meta + len);
    for (size_t i = 0; i < m.size() && i < 4; ++i) m[i] = kMeta[i];
    return W(c)->real->fault(W(c)->real->ctx, p, copy, m.data(), static_cast<uint32_t>(m.size()));
  }
  return W(c)->real->fault(W(c)->real->ctx, p, copy, meta, len);
}

uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

vnr_status h_inject(void* c, vnr_packet* p, vnr_direction d) {
  if (is("dfw_rst_without_ack") && p->len >= 54 && p->data[12] == 0x08 && p->data[13] == 0x00 && p->data[23] == 6) {
    const size_t ihl = static_cast<size_t>(p->data[14] & 0x0f) * 4;
    uint8_t* tcp = p->data + 14 + ihl;
    if (tcp + 20 <= p->data + p->len && tcp[13] == 0x14) {
      // RFC 9293 says RST+ACK for a segment without ACK; this vendor sends a bare RST
      // (and fixes the checksum incrementally, RFC 1624).
      const uint16_t old_word = static_cast<uint16_t>((tcp[12] << 8) | tcp[13]);
      tcp[13] = 0x04;
      const uint16_t new_word = static_cast<uint16_t>((tcp[12] << 8) | tcp[13]);
      const uint16_t csum = static_cast<uint16_t>((tcp[16] << 8) | tcp[17]);
      const uint16_t fixed = static_cast<uint16_t>(~fold(static_cast<uint16_t>(~csum) + static_cast<uint16_t>(~old_word) + new_word));
      tcp[16] = static_cast<uint8_t>(fixed >> 8);
      tcp[17] = static_cast<uint8_t>(fixed);
    }
  }
  return W(c)->real->inject(W(c)->real->ctx, p, d);
}

vnr_packet* h_alloc(void* c, uint32_t len) { return W(c)->real->alloc(W(c)->real->ctx, len); }
vnr_status h_writable(void* c, vnr_packet* p) { return W(c)->real->make_writable(W(c)->real->ctx, p); }
vnr_status h_head(void* c, vnr_packet* p, int32_t d) { return W(c)->real->adjust_head(W(c)->real->ctx, p, d); }
vnr_status h_tail(void* c, vnr_packet* p, int32_t d) { return W(c)->real->adjust_tail(W(c)->real->ctx, p, d); }
int h_service_up(void* c, const char* s) {
  if (is("svc_service_always_up")) return 1;  // never looks at the service directory
  return W(c)->real->service_up(W(c)->real->ctx, s);
}
void h_log(void* c, int level, const char* line) { W(c)->real->log(W(c)->real->ctx, level, line); }

const vnr_filter_ops* inner_ops_for(uint32_t slot) { return vnr_reference_filter_ops(slot); }

vnr_status m_create(const vnr_filter_create_args* a, vnr_filter** out) {
  if (a == nullptr || out == nullptr || a->host == nullptr) return VNR_ERR_INVALID;
  const vnr_filter_ops* ops = inner_ops_for(a->slot);
  if (ops == nullptr) return VNR_ERR_UNSUPPORTED;
  auto* w = new Wrapped();
  w->inner_ops = ops;
  w->real = a->host;
  w->host = *a->host;
  w->host.ctx = w;
  w->host.now_ns = h_now;
  w->host.drop = h_drop;
  w->host.fault = h_fault;
  w->host.inject = h_inject;
  w->host.alloc = h_alloc;
  w->host.make_writable = h_writable;
  w->host.adjust_head = h_head;
  w->host.adjust_tail = h_tail;
  w->host.service_up = h_service_up;
  w->host.log = h_log;
  const std::string cfg = rewrite(a->config_json != nullptr ? a->config_json : "{}");
  vnr_filter_create_args args = *a;
  args.config_json = cfg.c_str();
  args.host = &w->host;
  const vnr_status st = ops->create(&args, &w->inner);
  if (st != VNR_OK) {
    delete w;
    return st;
  }
  *out = reinterpret_cast<vnr_filter*>(w);
  return VNR_OK;
}

vnr_status m_destroy(vnr_filter* f) {
  const vnr_status st = F(f)->inner_ops->destroy(F(f)->inner);
  if (st == VNR_OK) delete F(f);
  return st;
}

vnr_status m_process(vnr_filter* f, vnr_packet** pkts, uint32_t n, vnr_direction d) {
  Wrapped* w = F(f);
  const vnr_status st = w->inner_ops->process(w->inner, pkts, n, d);
  if (st != VNR_OK || !is("swsec_answers_arp_for_unbound") || d != VNR_DIR_EGRESS) return st;
  // ARP requests the reference let through (nobody knows the address) get an answer
  // anyway, with a made-up MAC: the "helpful" suppression bug.
  for (uint32_t i = 0; i < n; ++i) {
    vnr_packet* p = pkts[i];
    if (p == nullptr || p->len < 42 || p->data[12] != 0x08 || p->data[13] != 0x06 || p->data[21] != 1) continue;
    vnr_packet* r = w->real->alloc(w->real->ctx, 42);
    if (r == nullptr) continue;
    static const uint8_t kFake[6] = {0x02, 0xde, 0xad, 0xbe, 0xef, 0x00};
    std::memcpy(r->data, p->data + 6, 6);
    std::memcpy(r->data + 6, kFake, 6);
    r->data[12] = 0x08;
    r->data[13] = 0x06;
    const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 2};
    std::memcpy(r->data + 14, hdr, 8);
    std::memcpy(r->data + 22, kFake, 6);
    std::memcpy(r->data + 28, p->data + 38, 4);  // the asked-for IP
    std::memcpy(r->data + 32, p->data + 22, 10);  // asker MAC + IP
    w->real->inject(w->real->ctx, r, VNR_DIR_INGRESS);
    pkts[i] = nullptr;
    w->real->drop(w->real->ctx, p, 4);  // "arp_suppressed"
  }
  return VNR_OK;
}

vnr_status m_returned(vnr_filter* f, vnr_packet** pkts, uint32_t n, vnr_direction d, const uint8_t* meta,
                      uint32_t len) {
  Wrapped* w = F(f);
  if (is("svc_drops_returned")) {
    for (uint32_t i = 0; i < n; ++i) {
      if (pkts[i] == nullptr) continue;
      vnr_packet* p = pkts[i];
      pkts[i] = nullptr;
      w->real->drop(w->real->ctx, p, 0);
    }
    return VNR_OK;
  }
  if (w->inner_ops->process_returned == nullptr) return VNR_OK;
  return w->inner_ops->process_returned(w->inner, pkts, n, d, meta, len);
}

vnr_status m_timer(vnr_filter* f, uint64_t now, uint64_t* next) { return F(f)->inner_ops->timer(F(f)->inner, now, next); }
vnr_status m_counters(vnr_filter* f, vnr_counter_fn fn, void* cookie) {
  return F(f)->inner_ops->counters(F(f)->inner, fn, cookie);
}
vnr_status m_save(vnr_filter* f, uint8_t* buf, size_t cap, size_t* needed) {
  return F(f)->inner_ops->save_state(F(f)->inner, buf, cap, needed);
}
vnr_status m_restore(vnr_filter* f, const uint8_t* buf, size_t len) {
  // State "restored" without restoring it: connections, bindings, sequence numbers
  // and replay windows start from zero on the destination host.
  if (is("dfw_forgets_connections_on_migrate") || is("swsec_loses_bindings_on_migrate") ||
      is("enc_reuses_gcm_nonce")) {
    return VNR_OK;
  }
  return F(f)->inner_ops->restore_state(F(f)->inner, buf, len);
}
vnr_status m_ioctl(vnr_filter* f, const char* r, char* reply, size_t cap, size_t* needed) {
  return F(f)->inner_ops->ioctl(F(f)->inner, r, reply, cap, needed);
}
vnr_status m_config(vnr_filter* f, const char* json, char* err, uint32_t cap) {
  const std::string cfg = rewrite(json != nullptr ? json : "{}");
  return F(f)->inner_ops->config_changed(F(f)->inner, cfg.c_str(), err, cap);
}

vnr_filter_ops g_ops[16]{};  // per slot: the reference's table with our entry points

}  // namespace

extern "C" __attribute__((visibility("default"))) const vnr_filter_ops* vnr_filter_entry(uint32_t version,
                                                                                          uint32_t slot) {
  if (version != VNR_FILTER_ABI_VERSION) return nullptr;
  const uint32_t want = VNR_MUTANT_SLOT;
  const bool svc = want == 4;  // service-insertion mutants serve every slot 4-12
  if (!(slot == want || (svc && slot >= 4 && slot <= 12))) return nullptr;
  const vnr_filter_ops* inner = inner_ops_for(slot);
  if (inner == nullptr) return nullptr;
  vnr_filter_ops& ops = g_ops[slot];
  ops = *inner;  // agent, prefix, reasons, slot mask: the reference's
  ops.create = m_create;
  ops.destroy = m_destroy;
  ops.process = m_process;
  ops.process_returned = m_returned;
  ops.timer = m_timer;
  ops.counters = m_counters;
  ops.save_state = m_save;
  ops.restore_state = m_restore;
  ops.ioctl = m_ioctl;
  ops.config_changed = m_config;
  return &ops;
}
