#include "stack/iochain/swsec/swsec.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "stack/iochain/config_util.h"
#include "stack/iochain/replies.h"
#include "stack/iochain/state_codec.h"

namespace vnetref::iochain::swsec {

using config::Json;
using config::ObjectReader;

const char* name_of(DropReason r) {
  switch (r) {
    case DropReason::kVnicBlocked: return "vnic_blocked";
    case DropReason::kSpoofMac: return "spoof_mac";
    case DropReason::kSpoofIp: return "spoof_ip";
    case DropReason::kSpoofArp: return "spoof_arp";
    case DropReason::kArpSuppressed: return "arp_suppressed";
    case DropReason::kDhcpServerBlock: return "dhcp_server_block";
    case DropReason::kDhcpClientBlock: return "dhcp_client_block";
    case DropReason::kNonIp: return "non_ip";
    case DropReason::kBpdu: return "bpdu";
    case DropReason::kBroadcastRate: return "broadcast_rate";
    case DropReason::kMulticastRate: return "multicast_rate";
    case DropReason::kMalformed: return "malformed";
    case DropReason::kCount: break;
  }
  return "?";
}

const char* name_of(BindingSource s) {
  switch (s) {
    case BindingSource::kArp: return "arp";
    case BindingSource::kDhcp: return "dhcp";
    case BindingSource::kStatic: return "static";
  }
  return "?";
}

namespace {
constexpr int64_t kSec = 1'000'000'000;
constexpr uint64_t kBpduMac = 0x0180c2000000ull;
constexpr uint32_t kStateMagic = 0x31535753;  // "SWS1"
constexpr size_t kMaxDhcpBindings = 16;
constexpr size_t kMaxStaticBindings = 256;

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
}  // namespace

// ---- registry -----------------------------------------------------------------------

std::shared_ptr<SegmentRegistry> SegmentRegistry::get(const std::string& segment) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<SegmentRegistry>> all;
  std::lock_guard<std::mutex> lock(mu);
  // Forget segments nobody uses any more, so arbitrary names cannot grow the map.
  for (auto it = all.begin(); it != all.end();) it = it->second.expired() ? all.erase(it) : std::next(it);
  auto& w = all[segment];
  if (auto s = w.lock()) return s;
  auto s = std::make_shared<SegmentRegistry>();
  w = s;
  return s;
}

bool SegmentRegistry::claim(uint32_t ip, uint64_t owner, uint64_t mac, int64_t t) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = claims_.find(ip);
  if (it == claims_.end()) {
    if (claims_.size() >= kMaxAddresses) return false;
    it = claims_.emplace(ip, std::vector<Claim>{}).first;
  }
  for (Claim& c : it->second) {
    if (c.owner == owner) {
      c.mac = mac;
      return true;
    }
  }
  if (it->second.size() >= kMaxClaimsPerAddress) return false;
  it->second.push_back({owner, mac, t});
  return true;
}

void SegmentRegistry::release(uint32_t ip, uint64_t owner) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = claims_.find(ip);
  if (it == claims_.end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const Claim& c) { return c.owner == owner; }), v.end());
  if (v.empty()) {
    claims_.erase(it);
    return;
  }
  // Promote the oldest remaining duplicate (stable on ties: discovery order).
  std::stable_sort(v.begin(), v.end(), [](const Claim& a, const Claim& b) { return a.t < b.t; });
}

bool SegmentRegistry::realized_by(uint32_t ip, uint64_t owner) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = claims_.find(ip);
  return it != claims_.end() && !it->second.empty() && it->second.front().owner == owner;
}

std::optional<uint64_t> SegmentRegistry::realized_mac(uint32_t ip) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = claims_.find(ip);
  if (it == claims_.end() || it->second.empty()) return std::nullopt;
  return it->second.front().mac;
}

size_t SegmentRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return claims_.size();
}

bool RateBucket::take(int64_t now_ns) {
  if (pps == 0) return true;
  const int64_t cap = int64_t{pps} * kSec;  // one second of burst
  if (last_ns < 0) {
    tokens = cap;
  } else if (now_ns > last_ns) {
    const int64_t add = (now_ns - last_ns) * int64_t{pps};
    tokens = std::min(cap, tokens + add);
  }
  last_ns = now_ns;
  if (tokens < kSec) return false;
  tokens -= kSec;
  return true;
}

// ---- configuration -----------------------------------------------------------------

FilterResult<SwsecConfig> parse_swsec_config(std::string_view json, const FilterParams& params) {
  auto j0 = parse_config_text(json);
  if (!j0) return core::Err(j0.error());
  auto j = apply_params(std::move(j0).value(), params);
  if (!j) return core::Err(j.error());
  std::vector<config::ConfigError> errors;
  SwsecConfig c;
  ObjectReader r(*j, "config", errors);
  c.segment = r.string("segment", "default").value_or("default");
  const std::string vm = r.string("vnic_mac", "").value_or("");
  if (!vm.empty()) {
    auto m = parse_mac_text(vm);
    if (!m) r.error_at(*j->find("vnic_mac"), "vnic_mac", "bad MAC address '" + vm + "'");
    c.vnic_mac = m.value_or(0);
  }
  c.arp_snooping = r.boolean("arp_snooping", true).value_or(true);
  c.dhcp_snooping = r.boolean("dhcp_snooping", true).value_or(true);
  c.arp_binding_limit = static_cast<uint32_t>(r.integer("arp_binding_limit", 1, 256, 1).value_or(1));
  c.binding_timeout_min = static_cast<uint32_t>(r.integer("binding_timeout_min", 5, 120, 10).value_or(10));
  c.tofu = r.boolean("tofu", true).value_or(true);
  c.spoofguard = r.boolean("spoofguard", true).value_or(true);
  c.block_vnic = r.boolean("block_vnic", false).value_or(false);
  c.arp_suppression = r.boolean("arp_suppression", true).value_or(true);
  c.dhcp_server_block = r.boolean("dhcp_server_block", true).value_or(true);
  c.dhcp_client_block = r.boolean("dhcp_client_block", false).value_or(false);
  c.non_ip_block = r.boolean("non_ip_block", false).value_or(false);
  c.bpdu_filter = r.boolean("bpdu_filter", true).value_or(true);
  auto rates = [&](const char* key, uint32_t& tx, uint32_t& rx) {
    if (const Json* o = r.object(key, false)) {
      ObjectReader rr(*o, r.child_path(key), errors);
      tx = static_cast<uint32_t>(rr.integer("tx", 0, 10'000'000, 0).value_or(0));
      rx = static_cast<uint32_t>(rr.integer("rx", 0, 10'000'000, 0).value_or(0));
      rr.reject_unknown_keys();
    }
  };
  rates("broadcast_rate_limit_pps", c.bcast_tx_pps, c.bcast_rx_pps);
  rates("multicast_rate_limit_pps", c.mcast_tx_pps, c.mcast_rx_pps);
  auto pairs = [&](const char* key, auto&& sink) {
    const Json* a = r.array(key, false);
    if (a == nullptr) return;
    for (size_t i = 0; i < a->items().size(); ++i) {
      ObjectReader e(a->items()[i], ObjectReader::index_path(r.child_path(key), i), errors);
      const std::string ips = e.string("ip", std::nullopt).value_or("");
      const std::string macs = e.string("mac", std::nullopt).value_or("");
      auto ip = parse_addr_entry(ips);
      auto mac = parse_mac_text(macs);
      if (!ip || ip->lo != ip->hi) e.error_at(a->items()[i], "ip", "must be one IPv4 address");
      if (!mac) e.error_at(a->items()[i], "mac", "bad MAC address");
      e.reject_unknown_keys();
      if (ip && mac) sink(ip->lo, *mac);
    }
  };
  pairs("static_bindings", [&](uint32_t ip, uint64_t mac) {
    if (c.static_bindings.size() < kMaxStaticBindings) c.static_bindings.push_back({ip, mac, BindingSource::kStatic, 0, 0});
  });
  pairs("central_table", [&](uint32_t ip, uint64_t mac) {
    if (c.central_table.size() < SegmentRegistry::kMaxAddresses) c.central_table[ip] = mac;
  });
  r.reject_unknown_keys();
  if (auto st = config_errors_status(errors); !st) return core::Err(st.error());
  return c;
}

// ---- filter -------------------------------------------------------------------------

SwsecFilter::SwsecFilter(FilterPlacement where, SwsecConfig cfg) : where_(std::move(where)) {
  static std::atomic<uint64_t> next_owner{1};
  owner_ = next_owner.fetch_add(1);
  info_.agent = kSwsecAgent;
  info_.counter_prefix = "swsec";
  for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
    info_.drop_reasons.push_back(name_of(static_cast<DropReason>(i)));
  }
  apply_config(std::move(cfg));
}

SwsecFilter::~SwsecFilter() {
  for (const Binding& b : bindings_) registry_->release(b.ip, owner_);
}

void SwsecFilter::apply_config(SwsecConfig cfg) {
  if (!registry_ || cfg.segment != cfg_.segment) {
    auto reg = SegmentRegistry::get(cfg.segment);
    if (registry_) {
      for (const Binding& b : bindings_) registry_->release(b.ip, owner_);
      for (const Binding& b : bindings_) reg->claim(b.ip, owner_, b.mac, b.learned_ns);
    }
    registry_ = std::move(reg);
  }
  // Static bindings follow the configuration.
  for (size_t i = bindings_.size(); i > 0; --i) {
    if (bindings_[i - 1].source == BindingSource::kStatic) remove_at(i - 1);
  }
  cfg_ = std::move(cfg);
  for (const Binding& s : cfg_.static_bindings) learn(s.ip, s.mac, BindingSource::kStatic, last_now_ns_, 0);
  bcast_tx_.pps = cfg_.bcast_tx_pps;
  bcast_rx_.pps = cfg_.bcast_rx_pps;
  mcast_tx_.pps = cfg_.mcast_tx_pps;
  mcast_rx_.pps = cfg_.mcast_rx_pps;
  enforce_limit();
}

FilterResult<std::unique_ptr<SwsecFilter>> SwsecFilter::create(const FilterPlacement& where,
                                                               std::string_view config_json,
                                                               const FilterParams& params) {
  auto cfg = parse_swsec_config(config_json, params);
  if (!cfg) return core::Err(cfg.error());
  return std::unique_ptr<SwsecFilter>(new SwsecFilter(where, std::move(cfg).value()));
}

bool SwsecFilter::realized(uint32_t ip) const { return registry_->realized_by(ip, owner_); }

bool SwsecFilter::mac_allowed(uint64_t mac) const {
  if (cfg_.vnic_mac != 0) return mac == cfg_.vnic_mac;
  for (const Binding& b : bindings_) {
    if (b.mac == mac) return true;
  }
  return bindings_.empty();  // nothing known yet: the IP check decides
}

bool SwsecFilter::ip_bound(uint32_t ip) const {
  for (const Binding& b : bindings_) {
    if (b.ip == ip) return registry_->realized_by(ip, owner_);
  }
  return false;
}

void SwsecFilter::remove_at(size_t i) {
  const uint32_t ip = bindings_[i].ip;
  bindings_.erase(bindings_.begin() + static_cast<std::ptrdiff_t>(i));
  for (const Binding& b : bindings_) {
    if (b.ip == ip) return;  // still bound by another source
  }
  registry_->release(ip, owner_);
}

void SwsecFilter::enforce_limit() {
  // Lowering the limit keeps the newest ARP bindings.
  for (;;) {
    size_t n = 0, oldest = SIZE_MAX;
    for (size_t i = 0; i < bindings_.size(); ++i) {
      if (bindings_[i].source != BindingSource::kArp) continue;
      ++n;
      if (oldest == SIZE_MAX || bindings_[i].learned_ns < bindings_[oldest].learned_ns) oldest = i;
    }
    if (n <= cfg_.arp_binding_limit) return;
    remove_at(oldest);
    ++evicted_;
  }
}

void SwsecFilter::learn(uint32_t ip, uint64_t mac, BindingSource src, int64_t now, int64_t lifetime_ns) {
  for (Binding& b : bindings_) {
    if (b.ip == ip && b.source == src) {
      // A refresh; a changed MAC for the same IP is a new binding of that MAC.
      b.mac = mac;
      b.learned_ns = src == BindingSource::kArp ? b.learned_ns : now;
      b.expires_ns = lifetime_ns > 0 ? now + lifetime_ns : 0;
      registry_->claim(ip, owner_, mac, b.learned_ns);
      return;
    }
  }
  if (src == BindingSource::kArp) {
    size_t n = 0;
    for (const Binding& b : bindings_) n += b.source == BindingSource::kArp ? 1 : 0;
    if (n >= cfg_.arp_binding_limit) {
      if (cfg_.tofu) {
        ++limit_ignored_;  // trust on first use: the first bindings stay
        return;
      }
      bindings_.push_back({ip, mac, src, now, lifetime_ns > 0 ? now + lifetime_ns : 0});
      if (!registry_->claim(ip, owner_, mac, now)) ++registry_full_;
      enforce_limit();  // newest kept
      return;
    }
  }
  if (src == BindingSource::kDhcp) {
    size_t n = 0;
    for (const Binding& b : bindings_) n += b.source == BindingSource::kDhcp ? 1 : 0;
    if (n >= kMaxDhcpBindings) {
      ++limit_ignored_;
      return;
    }
  }
  if (!registry_->claim(ip, owner_, mac, now)) {
    ++registry_full_;
    return;
  }
  bindings_.push_back({ip, mac, src, now, lifetime_ns > 0 ? now + lifetime_ns : 0});
}

FilterStatus SwsecFilter::process(core::PacketBatch& batch, Direction dir, FilterHost& host) {
  const int64_t now = core::to_nanos(host.now());
  last_now_ns_ = now;
  const size_t before = bindings_.size();
  for (uint32_t i = 0; i < batch.size(); ++i) {
    core::Packet& p = *batch[i];
    PacketInfo pi;
    const bool ok = parse_packet(p, pi);
    const DropReason why = dir == Direction::kEgress ? egress(p, pi, ok, host, now) : ingress(p, pi, ok, now);
    if (why != DropReason::kCount) host.drop(batch.take(i), static_cast<uint32_t>(why));
  }
  batch.compact();
  if (bindings_.size() != before) {
    if (auto e = next_expiry()) host.request_timer(core::from_nanos(*e));
  }
  return core::Ok{};
}

DropReason SwsecFilter::egress(core::Packet& p, const PacketInfo& pi, bool ok, FilterHost& host, int64_t now) {
  if (cfg_.block_vnic) return DropReason::kVnicBlocked;
  if (pi.issue == ParseIssue::kTruncatedL2) return DropReason::kMalformed;
  if (pi.dst_mac == kBpduMac) {
    if (cfg_.bpdu_filter) return DropReason::kBpdu;
  } else if (cfg_.non_ip_block && pi.ethertype != kEtherIpv4 && pi.ethertype != kEtherIpv6 &&
             pi.ethertype != kEtherArp) {
    return DropReason::kNonIp;
  }
  if (pi.dst_mac == 0xffffffffffffull) {
    if (!bcast_tx_.take(now)) return DropReason::kBroadcastRate;
  } else if ((pi.dst_mac >> 40) & 1) {
    if (!mcast_tx_.take(now)) return DropReason::kMulticastRate;
  }
  if (cfg_.spoofguard && !mac_allowed(pi.src_mac)) return DropReason::kSpoofMac;

  if (pi.ethertype == kEtherArp) {
    std::span<const uint8_t> f = p.bytes();
    if (f.size() < size_t{pi.l3_off} + 28) return DropReason::kMalformed;
    const uint8_t* a = f.data() + pi.l3_off;
    if (be16(a) != 1 || be16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4) return DropReason::kMalformed;
    const uint16_t op = be16(a + 6);
    const uint64_t smac = mac_to_u64(a + 8);
    const uint32_t sip = be32(a + 14);
    const uint32_t tip = be32(a + 24);
    if (cfg_.arp_snooping && sip != 0 && smac == pi.src_mac && (cfg_.vnic_mac == 0 || smac == cfg_.vnic_mac)) {
      ++arp_snooped_;
      learn(sip, smac, BindingSource::kArp, now, int64_t{cfg_.binding_timeout_min} * 60 * kSec);
    }
    if (cfg_.spoofguard) {
      if (!mac_allowed(smac)) return DropReason::kSpoofArp;
      if (sip != 0 && !ip_bound(sip)) return DropReason::kSpoofArp;  // sender IP 0: an ARP probe
    }
    if (cfg_.arp_suppression && op == 1 && tip != sip && tip != 0) {
      uint64_t answer = 0;
      bool found = false;
      if (auto local = registry_->realized_mac(tip); local && *local != smac) {
        answer = *local;
        found = true;
        ++suppressed_local_;
      } else if (auto c = cfg_.central_table.find(tip); c != cfg_.central_table.end()) {
        answer = c->second;
        found = true;
        ++suppressed_central_;
      }
      if (!found) {
        ++suppression_miss_;
        return DropReason::kCount;  // neither table knows: the broadcast goes out
      }
      uint8_t buf[64];
      const size_t n = build_arp_reply(smac, sip, answer, tip, buf);
      core::PacketPtr reply = host.alloc(static_cast<uint32_t>(n));
      if (!reply) return DropReason::kCount;  // no buffer: let the request through instead
      std::memcpy(reply->data(), buf, n);
      reply->meta.vlan_tci = p.meta.vlan_tci;
      reply->meta.user = p.meta.user | (uint64_t{1} << 63);  // a new packet, derived from the trigger
      host.inject(std::move(reply), Direction::kIngress);
      return DropReason::kArpSuppressed;
    }
    return DropReason::kCount;
  }

  if (pi.ethertype == kEtherIpv4) {
    if (!ok) return DropReason::kMalformed;
    if (pi.is_udp()) {
      if (pi.dport == 68 && cfg_.dhcp_server_block) return DropReason::kDhcpServerBlock;
      if (pi.dport == 67 && cfg_.dhcp_client_block) return DropReason::kDhcpClientBlock;
    }
    if (cfg_.spoofguard) {
      const bool dhcp_client = pi.src_ip == 0 && pi.is_udp() && pi.sport == 68 && pi.dport == 67;
      if (!dhcp_client && !ip_bound(pi.src_ip)) return DropReason::kSpoofIp;
    }
  }
  return DropReason::kCount;
}

DropReason SwsecFilter::ingress(core::Packet& p, const PacketInfo& pi, bool ok, int64_t now) {
  if (cfg_.block_vnic) return DropReason::kVnicBlocked;
  if (pi.dst_mac == 0xffffffffffffull) {
    if (!bcast_rx_.take(now)) return DropReason::kBroadcastRate;
  } else if ((pi.dst_mac >> 40) & 1) {
    if (!mcast_rx_.take(now)) return DropReason::kMulticastRate;
  }
  if (cfg_.dhcp_snooping && ok && pi.is_udp() && pi.sport == 67 && pi.dport == 68) {
    // Bind on the server's ACK: yiaddr for chaddr, for the lease time.
    std::span<const uint8_t> f = p.bytes();
    const size_t bootp = size_t{pi.l4_off} + 8;
    if (f.size() >= bootp + 240 && be32(f.data() + bootp + 236) == 0x63825363) {
      const uint8_t* b = f.data() + bootp;
      const uint32_t yiaddr = be32(b + 16);
      const uint64_t chaddr = mac_to_u64(b + 28);
      uint8_t msg = 0;
      uint32_t lease = 0;
      size_t i = bootp + 240;
      while (i < f.size() && f[i] != 255) {
        if (f[i] == 0) {
          ++i;
          continue;
        }
        if (i + 1 >= f.size() || i + 2 + f[i + 1] > f.size()) break;
        const uint8_t len = f[i + 1];
        if (f[i] == 53 && len == 1) msg = f[i + 2];
        if (f[i] == 51 && len == 4) lease = be32(f.data() + i + 2);
        i += 2u + len;
      }
      const bool mine = cfg_.vnic_mac == 0 || chaddr == cfg_.vnic_mac;
      if (msg == 5 && yiaddr != 0 && mine) {
        ++dhcp_snooped_;
        const int64_t life = lease == 0xffffffffu ? 0 : int64_t{lease == 0 ? 3600u : lease} * kSec;
        learn(yiaddr, chaddr, BindingSource::kDhcp, now, life);
      }
    }
  }
  return DropReason::kCount;
}

std::optional<int64_t> SwsecFilter::next_expiry() const {
  std::optional<int64_t> best;
  for (const Binding& b : bindings_) {
    if (b.expires_ns != 0 && (!best || b.expires_ns < *best)) best = b.expires_ns;
  }
  return best;
}

std::optional<core::Instant> SwsecFilter::timer(core::Instant now, FilterHost&) {
  const int64_t n = core::to_nanos(now);
  last_now_ns_ = n;
  for (size_t i = bindings_.size(); i > 0; --i) {
    if (bindings_[i - 1].expires_ns != 0 && bindings_[i - 1].expires_ns <= n) {
      remove_at(i - 1);
      ++expired_;
    }
  }
  if (auto e = next_expiry()) return core::from_nanos(*e);
  return std::nullopt;
}

void SwsecFilter::counters(core::CounterList& out) const {
  uint64_t arp = 0, dhcp = 0, stat = 0, dup = 0;
  for (const Binding& b : bindings_) {
    arp += b.source == BindingSource::kArp;
    dhcp += b.source == BindingSource::kDhcp;
    stat += b.source == BindingSource::kStatic;
    dup += registry_->realized_by(b.ip, owner_) ? 0 : 1;
  }
  out.push_back({"bindings.arp", arp});
  out.push_back({"bindings.dhcp", dhcp});
  out.push_back({"bindings.static", stat});
  out.push_back({"bindings.duplicate", dup});
  out.push_back({"bindings.limit_ignored", limit_ignored_});
  out.push_back({"bindings.evicted", evicted_});
  out.push_back({"bindings.expired", expired_});
  out.push_back({"bindings.registry_full", registry_full_});
  out.push_back({"arp.snooped", arp_snooped_});
  out.push_back({"dhcp.snooped", dhcp_snooped_});
  out.push_back({"arp_suppression.local", suppressed_local_});
  out.push_back({"arp_suppression.central", suppressed_central_});
  out.push_back({"arp_suppression.miss", suppression_miss_});
}

FilterResult<std::vector<uint8_t>> SwsecFilter::save_state() const {
  StateWriter w(kStateMagic, 1);
  uint32_t n = 0;
  for (const Binding& b : bindings_) n += b.source != BindingSource::kStatic ? 1 : 0;
  w.u32(n);
  for (const Binding& b : bindings_) {
    if (b.source == BindingSource::kStatic) continue;  // comes from the configuration
    w.u32(b.ip);
    w.u64(b.mac);
    w.u8(static_cast<uint8_t>(b.source));
    w.i64(last_now_ns_ - b.learned_ns);
    w.i64(b.expires_ns == 0 ? -1 : b.expires_ns - last_now_ns_);
  }
  return w.take();
}

FilterStatus SwsecFilter::restore_state(std::span<const uint8_t> state) {
  StateReader r(state, kStateMagic, 1);
  uint32_t n = 0;
  if (!r.ok() || !r.u32(n) || n > 256 + kMaxDhcpBindings) {
    return filter_error(FilterError::kState, "swsec state: bad header or count");
  }
  std::vector<Binding> restored;
  for (uint32_t i = 0; i < n; ++i) {
    Binding b;
    uint8_t src = 0;
    int64_t age = 0, left = 0;
    if (!r.u32(b.ip) || !r.u64(b.mac) || !r.u8(src) || !r.i64(age) || !r.i64(left) || src > 1) {
      return filter_error(FilterError::kState, "swsec state: bad binding");
    }
    b.source = static_cast<BindingSource>(src);
    b.learned_ns = last_now_ns_ - age;
    b.expires_ns = left < 0 ? 0 : last_now_ns_ + left;
    restored.push_back(b);
  }
  if (!r.done()) return filter_error(FilterError::kState, "swsec state: trailing bytes");
  for (size_t i = bindings_.size(); i > 0; --i) {
    if (bindings_[i - 1].source != BindingSource::kStatic) remove_at(i - 1);
  }
  for (const Binding& b : restored) {
    if (!registry_->claim(b.ip, owner_, b.mac, b.learned_ns)) return filter_error(FilterError::kNoMem, "registry full");
    bindings_.push_back(b);
  }
  return core::Ok{};
}

FilterResult<std::string> SwsecFilter::ioctl(std::string_view request) {
  if (request == "getbindings") {
    std::string out;
    for (const Binding& b : bindings_) {
      out += ipv4_text(b.ip) + " " + mac_text(b.mac) + " " + name_of(b.source) +
             (registry_->realized_by(b.ip, owner_) ? " realized" : " duplicate") + "\n";
    }
    return out;
  }
  if (request.rfind("central_add ", 0) == 0) {
    std::string rest(request.substr(12));
    const size_t sp = rest.find(' ');
    auto ip = parse_addr_entry(rest.substr(0, sp));
    auto mac = sp == std::string::npos ? std::nullopt : parse_mac_text(rest.substr(sp + 1));
    if (!ip || ip->lo != ip->hi || !mac) return filter_error(FilterError::kInvalid, "usage: central_add <ip> <mac>");
    if (cfg_.central_table.size() >= SegmentRegistry::kMaxAddresses) return filter_error(FilterError::kNoMem, "central table full");
    cfg_.central_table[ip->lo] = *mac;
    return std::string("ok\n");
  }
  return filter_error(FilterError::kUnsupported, "unknown ioctl (getbindings, central_add <ip> <mac>)");
}

FilterStatus SwsecFilter::config_changed(std::string_view config_json) {
  auto cfg = parse_swsec_config(config_json, {});
  if (!cfg) return core::Err(cfg.error());
  apply_config(std::move(cfg).value());
  return core::Ok{};
}

}  // namespace vnetref::iochain::swsec
