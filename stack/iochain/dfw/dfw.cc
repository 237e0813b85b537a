#include "stack/iochain/dfw/dfw.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "stack/iochain/config_util.h"
#include "stack/iochain/replies.h"
#include "stack/iochain/state_codec.h"

namespace vnetref::iochain::dfw {

const char* name_of(DropReason r) {
  switch (r) {
    case DropReason::kRuleMatch: return "rule_match";
    case DropReason::kStateMismatch: return "state_mismatch";
    case DropReason::k3whError: return "3wh_error";
    case DropReason::kBadOffset: return "bad_offset";
    case DropReason::kFragment: return "fragment";
    case DropReason::kIcmpError: return "icmp_error";
    case DropReason::kIpOption: return "ip_option";
    case DropReason::kMemory: return "memory";
    case DropReason::kNormalization: return "normalization";
    case DropReason::kCount: break;
  }
  return "?";
}

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr uint32_t kStateMagic = 0x31574644;  // "DFW1"
constexpr uint16_t kStateVersion = 1;
constexpr uint32_t kStaleGeneration = 0xffffffffu;

uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

bool icmp_is_error_type(uint8_t t) { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }
bool icmp_is_query(uint8_t t) { return t == 0 || t == 8 || t == 13 || t == 14 || t == 17 || t == 18; }

// Conntrack ports: TCP/UDP ports, ICMP query identifier on both sides, else 0.
inline void ct_ports(const PacketInfo& pi, uint16_t& sp, uint16_t& dp) {
  if (pi.proto == 6 || pi.proto == 17) {
    sp = pi.sport;
    dp = pi.dport;
  } else if (pi.proto == 1) {
    sp = dp = pi.sport;  // echo identifier
  } else {
    sp = dp = 0;
  }
}

}  // namespace

DfwFilter::DfwFilter(FilterPlacement where, DfwConfig cfg, std::shared_ptr<const RuleTable> table)
    : where_(std::move(where)), cfg_(std::move(cfg)), table_(std::move(table)) {
  info_.agent = kDfwAgent;
  info_.counter_prefix = "dfw";
  for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
    info_.drop_reasons.push_back(name_of(static_cast<DropReason>(i)));
  }
  conns_ = std::make_unique<ConnTable>(cfg_.conn_limit);
  hits_.assign(table_->rules().size(), 0);
  l2_hits_.assign(table_->l2_rules().size(), 0);
  filter_hash_ = fnv1a(where_.name);
}

std::vector<std::string> DfwFilter::vnic_names() const {
  std::vector<std::string> v = {"nic-" + std::to_string(where_.vm_id) + "-eth" + std::to_string(where_.vnic_index),
                                where_.name};
  if (!cfg_.vnic_name.empty()) v.push_back(cfg_.vnic_name);
  return v;
}

FilterResult<std::unique_ptr<DfwFilter>> DfwFilter::create(const FilterPlacement& where, std::string_view config_json,
                                                           const FilterParams& params) {
  auto j = parse_config_text(config_json);
  if (!j) return core::Err(j.error());
  auto withp = apply_params(std::move(j).value(), params);
  if (!withp) return core::Err(withp.error());
  auto cfg = parse_dfw_config(*withp);
  if (!cfg) return core::Err(cfg.error());
  std::vector<std::string> names = {"nic-" + std::to_string(where.vm_id) + "-eth" + std::to_string(where.vnic_index),
                                    where.name};
  if (!cfg->vnic_name.empty()) names.push_back(cfg->vnic_name);
  auto table = RuleTable::compile(*cfg, names, 1);
  if (!table) return core::Err(table.error());
  return std::unique_ptr<DfwFilter>(new DfwFilter(where, std::move(cfg).value(), std::move(table).value()));
}

DfwFilter::Classified DfwFilter::classify(const PacketInfo& pi, Direction dir) const {
  classify::Key k;
  k.v[classify::kSrcIp] = pi.src_ip;
  k.v[classify::kDstIp] = pi.dst_ip;
  k.v[classify::kProto] = pi.proto;
  if (pi.proto == 1) {
    k.v[classify::kSrcPort] = pi.icmp_type;
    k.v[classify::kDstPort] = pi.icmp_code;
  } else if (pi.proto == 6 || pi.proto == 17) {
    k.v[classify::kSrcPort] = pi.sport;
    k.v[classify::kDstPort] = pi.dport;
  }
  k.v[classify::kDir] = dir == Direction::kEgress ? 0 : 1;
  const RuleTable& t = *table_;
  uint32_t e = t.classifier().match(k);
  if (e != classify::kNoMatch && t.rules()[t.entries()[e].rule].action == Action::kJumpToApplication) {
    // Skip the rest of Environment: continue with the first Application rule.
    e = t.classifier().match(k, t.first_application_entry());
  }
  if (e == classify::kNoMatch) return {classify::kNoMatch, Action::kAllow};
  const uint32_t r = t.entries()[e].rule;
  return {r, t.rules()[r].action};
}

bool DfwFilter::l2_blocks(const PacketInfo& pi, Direction dir) {
  const auto& l2 = table_->l2_rules();
  for (size_t i = 0; i < l2.size(); ++i) {
    const Rule& r = l2[i];
    if (r.dir == RuleDir::kIn && dir != Direction::kIngress) continue;
    if (r.dir == RuleDir::kOut && dir != Direction::kEgress) continue;
    if (r.ethertype >= 0 && static_cast<uint16_t>(r.ethertype) != pi.ethertype) continue;
    if (!r.src_mac.empty() && std::find(r.src_mac.begin(), r.src_mac.end(), pi.src_mac) == r.src_mac.end()) continue;
    if (!r.dst_mac.empty() && std::find(r.dst_mac.begin(), r.dst_mac.end(), pi.dst_mac) == r.dst_mac.end()) continue;
    ++l2_hits_[i];
    // First match ends the Ethernet category; an allow continues to the L3 rules.
    return r.action != Action::kAllow;
  }
  return false;
}

int64_t DfwFilter::timeout_ns(const Conn& c) const {
  const Timeouts& t = cfg_.timeouts;
  uint32_t s = 0;
  if (c.proto == 6) {
    const PeerState a = c.peer[0].state, b = c.peer[1].state;
    if (c.peer[0].packets <= 1 && c.peer[1].packets == 0) {
      s = t.tcp_first;  // only the creating packet (pf's tcp.first); then tcp.opening
    } else if (a >= PeerState::kFinWait2 && b >= PeerState::kFinWait2) {
      s = t.tcp_closed;
      if (a == PeerState::kFinWait2 || b == PeerState::kFinWait2) s = std::max(s, t.tcp_closed);
    } else if (a >= PeerState::kClosing && b >= PeerState::kClosing) {
      s = t.tcp_finwait;
    } else if (a < PeerState::kEstablished || b < PeerState::kEstablished) {
      s = t.tcp_opening;
    } else if (a >= PeerState::kClosing || b >= PeerState::kClosing) {
      s = t.tcp_closing;
    } else {
      s = t.tcp_established;
    }
  } else if (c.proto == 1) {
    s = (c.flags & static_cast<uint8_t>(ConnFlag::kIcmpErrorSeen)) ? t.icmp_error_reply : t.icmp_first;
  } else {
    const bool udp = c.proto == 17;
    if (c.peer[1].seen) {
      s = udp ? t.udp_multiple : t.other_multiple;
    } else if (c.peer[0].packets > 1) {
      s = udp ? t.udp_single : t.other_single;
    } else {
      s = udp ? t.udp_first : t.other_first;
    }
  }
  return int64_t{s} * kSec;
}

FilterStatus DfwFilter::process(core::PacketBatch& batch, Direction dir, FilterHost& host) {
  const int64_t now = core::to_nanos(host.now());
  last_now_ns_ = now;
  const bool have_l2 = !table_->l2_rules().empty();
  const uint32_t n = batch.size();
  if (scratch_.size() < n) {
    scratch_.resize(core::PacketBatch::kMaxPackets);
    hashes_.resize(core::PacketBatch::kMaxPackets);
    ok_.resize(core::PacketBatch::kMaxPackets);
  }
  // Pass 1: decode every header and start fetching the connection index slots.
  for (uint32_t i = 0; i < n; ++i) {
    PacketInfo& pi = scratch_[i];
    ok_[i] = parse_packet(*batch[i], pi) ? 1 : 0;
    if (ok_[i] && pi.ipv4 && !pi.later_fragment) {
      uint16_t sp, dp;
      ct_ports(pi, sp, dp);
      hashes_[i] = conns_->prefetch_slot(pi.src_ip, pi.dst_ip, sp, dp, pi.proto);
    }
  }
  // Pass 2: the slots have had time to arrive; fetch the entries they name.
  for (uint32_t i = 0; i < n; ++i) {
    if (ok_[i] && scratch_[i].ipv4 && !scratch_[i].later_fragment) conns_->prefetch_entry(hashes_[i]);
  }
  // Pass 3: the verdicts.
  for (uint32_t i = 0; i < n; ++i) {
    core::Packet& p = *batch[i];
    PacketInfo& pi = scratch_[i];
    const bool ok = ok_[i] != 0;
    DropReason why = DropReason::kCount;
    if (have_l2 && l2_blocks(pi, dir)) {
      why = DropReason::kRuleMatch;
    } else if (!ok) {
      why = pi.issue == ParseIssue::kBadTcp ? DropReason::kBadOffset : DropReason::kNormalization;
    } else if (pi.ipv4) {
      why = handle_ipv4(p, pi, dir, host, now);
    }
    if (why != DropReason::kCount) host.drop(batch.take(i), static_cast<uint32_t>(why));
  }
  batch.compact();
  return core::Ok{};
}

DropReason DfwFilter::handle_ipv4(core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host, int64_t now) {
  if (pi.ip_options && cfg_.drop_ip_options) return DropReason::kIpOption;
  if (pi.later_fragment) {
    auto it = frags_.find({pi.src_ip, pi.dst_ip, (uint32_t{pi.proto} << 16) | pi.ip_id});
    if (it == frags_.end() || it->second.expires_ns <= now || !it->second.allowed) return DropReason::kFragment;
    return DropReason::kCount;
  }
  if (pi.proto == 1 && pi.l4 && icmp_is_error_type(pi.icmp_type)) {
    return handle_icmp_error(p, pi, dir, host, now);
  }
  uint16_t sp, dp;
  ct_ports(pi, sp, dp);
  DropReason verdict = DropReason::kCount;
  if (auto hit = conns_->find(pi.src_ip, pi.dst_ip, sp, dp, pi.proto)) {
    Conn& c = conns_->at(hit->idx);
    bool alive = c.expires_ns > now;
    if (!alive) {
      ++expired_;
      conns_->erase(hit->idx);
    } else if (pi.proto == 6 && (pi.tcp_flags & 0x07) == 0x02 && c.peer[0].state == PeerState::kTimeWait &&
               c.peer[1].state == PeerState::kTimeWait && hit->from_initiator) {
      // A new SYN on a reset connection starts over.
      ++reopened_;
      conns_->erase(hit->idx);
      alive = false;
    }
    if (alive) {
      if (c.generation != table_->generation()) {
        // The rule set changed since this connection was checked: it keeps flowing only
        // if the new rules still allow its initiating direction.
        ++rechecked_;
        PacketInfo init = pi;
        init.src_ip = c.a_ip;
        init.dst_ip = c.b_ip;
        if (c.proto != 1) {
          init.sport = c.a_port;
          init.dport = c.b_port;
        }
        const Direction idir = static_cast<Direction>(c.init_dir);
        Classified cl = classify(init, idir);
        if (cl.action != Action::kAllow || cl.rule == classify::kNoMatch) {
          ++recheck_dropped_;
          conns_->erase(hit->idx);
          return DropReason::kRuleMatch;
        }
        c.rule = cl.rule;
        c.rule_id = table_->rules()[cl.rule].id;
        c.generation = table_->generation();
      }
      if (pi.proto == 6) {
        const TcpCheck tc = tcp_track(c, hit->from_initiator, pi);
        if (tc == TcpCheck::kBadWindow) return DropReason::kStateMismatch;
        if (tc == TcpCheck::kHandshake) return DropReason::k3whError;
      } else {
        Peer& s = c.peer[hit->from_initiator ? 0 : 1];
        s.seen = 1;
        if (s.packets != 0xffff) ++s.packets;
      }
      c.bytes = c.bytes > 0xffffffffu - p.pkt_len ? 0xffffffffu : c.bytes + p.pkt_len;
      c.expires_ns = now + timeout_ns(c);
      // A first fragment on a live connection admits the rest of its datagram too.
      return track_fragment(pi, DropReason::kCount, now);
    }
  }
  verdict = new_connection(p, pi, dir, host, now);
  return track_fragment(pi, verdict, now);
}

// Remembers a first fragment's verdict so the datagram's later fragments share it.
DropReason DfwFilter::track_fragment(const PacketInfo& pi, DropReason verdict, int64_t now) {
  if (!pi.fragment) return verdict;
  if (frags_.size() < cfg_.frag_limit) {
    frags_[{pi.src_ip, pi.dst_ip, (uint32_t{pi.proto} << 16) | pi.ip_id}] =
        Frag{verdict == DropReason::kCount, now + int64_t{cfg_.timeouts.frag} * kSec};
    ++frag_tracked_;
  } else if (verdict == DropReason::kCount) {
    return DropReason::kMemory;
  }
  return verdict;
}

DropReason DfwFilter::handle_icmp_error(const core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host,
                                        int64_t now) {
  // The quoted datagram: IPv4 header + at least 8 bytes of its transport header.
  std::span<const uint8_t> f = p.bytes();
  const size_t q = size_t{pi.l4_off} + 8;
  if (f.size() < q + 20) return DropReason::kIcmpError;
  const uint8_t* ip = f.data() + q;
  const size_t ihl = size_t{static_cast<uint8_t>(ip[0] & 0x0f)} * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || f.size() < q + ihl + 8) return DropReason::kIcmpError;
  const uint32_t qs = (uint32_t{ip[12]} << 24) | (uint32_t{ip[13]} << 16) | (uint32_t{ip[14]} << 8) | ip[15];
  const uint32_t qd = (uint32_t{ip[16]} << 24) | (uint32_t{ip[17]} << 16) | (uint32_t{ip[18]} << 8) | ip[19];
  const uint8_t qp = ip[9];
  const uint8_t* l4 = ip + ihl;
  uint16_t sp = 0, dp = 0;
  if (qp == 6 || qp == 17) {
    sp = static_cast<uint16_t>((l4[0] << 8) | l4[1]);
    dp = static_cast<uint16_t>((l4[2] << 8) | l4[3]);
  } else if (qp == 1) {
    sp = dp = static_cast<uint16_t>((l4[4] << 8) | l4[5]);
  }
  if (auto hit = conns_->find(qs, qd, sp, dp, qp)) {
    Conn& c = conns_->at(hit->idx);
    if (c.expires_ns > now) {
      ++icmp_related_;
      if (c.proto == 1) {
        c.flags |= static_cast<uint8_t>(ConnFlag::kIcmpErrorSeen);
        c.expires_ns = now + timeout_ns(c);
      }
      return DropReason::kCount;
    }
  }
  // Unrelated errors go through the rules but never create a session.
  Classified cl = classify(pi, dir);
  if (cl.rule != classify::kNoMatch) {
    ++hits_[cl.rule];
    const Rule& r = table_->rules()[cl.rule];
    if (r.log) log_match(p, pi, dir, r, cl.action == Action::kAllow ? "PASS" : cl.action == Action::kDrop ? "DROP" : "REJECT", host);
  }
  return cl.action == Action::kAllow ? DropReason::kCount : DropReason::kRuleMatch;
}

DropReason DfwFilter::new_connection(core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host,
                                     int64_t now) {
  Classified cl = classify(pi, dir);
  const Rule* r = cl.rule == classify::kNoMatch ? nullptr : &table_->rules()[cl.rule];
  if (r != nullptr) ++hits_[cl.rule];
  if (cl.action != Action::kAllow) {
    if (r != nullptr && r->log) log_match(p, pi, dir, *r, cl.action == Action::kDrop ? "DROP" : "REJECT", host);
    if (cl.action == Action::kReject) reject(p, pi, dir, host);
    return DropReason::kRuleMatch;
  }
  if (r != nullptr && r->log) log_match(p, pi, dir, *r, "PASS", host);
  bool loose = false;
  if (pi.proto == 6) {
    const uint16_t fl = pi.tcp_flags;
    if ((fl & 0x04) != 0) return DropReason::kCount;  // a RST never creates state
    const bool pure_syn = (fl & 0x12) == 0x02;
    if (!pure_syn) {
      if (r != nullptr && r->tcp_strict) return DropReason::kStateMismatch;
      loose = true;  // mid-stream pickup (not strict)
    }
  }
  if (pi.proto == 1 && !icmp_is_query(pi.icmp_type)) return DropReason::kCount;  // stateless ICMP
  uint16_t sp, dp;
  ct_ports(pi, sp, dp);
  uint32_t idx = 0;
  Conn* c = conns_->insert(pi.src_ip, pi.dst_ip, sp, dp, pi.proto, &idx);
  if (c == nullptr) {
    ++table_full_;
    return DropReason::kMemory;
  }
  ++created_;
  c->init_dir = static_cast<uint8_t>(dir);
  c->rule = cl.rule == classify::kNoMatch ? 0 : cl.rule;
  c->rule_id = r != nullptr ? r->id : 0;
  c->generation = table_->generation();
  c->created_ns = now;
  c->bytes = p.pkt_len;
  if (pi.proto == 6) {
    tcp_init(*c, pi, loose);
  } else {
    c->peer[0].seen = 1;
    c->peer[0].packets = 1;
  }
  c->expires_ns = now + timeout_ns(*c);
  return DropReason::kCount;
}

void DfwFilter::reject(const core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host) {
  uint8_t buf[kMaxReplyLen];
  size_t n = 0;
  if (pi.is_tcp()) {
    n = build_tcp_rst(p.bytes(), pi, buf);
    if (n != 0) ++rst_sent_;
  } else {
    // Communication administratively prohibited (RFC 1812 5.2.7.1).
    n = build_icmp_unreachable(p.bytes(), pi, 13, buf);
    if (n != 0) ++icmp_sent_;
  }
  if (n == 0) return;
  core::PacketPtr reply = host.alloc(static_cast<uint32_t>(n));
  if (!reply) return;
  std::copy(buf, buf + n, reply->data());
  reply->meta.vlan_tci = p.meta.vlan_tci;
  reply->meta.user = p.meta.user | (uint64_t{1} << 63);  // a new packet, derived from the trigger
  // Back toward the source: the reverse direction.
  host.inject(std::move(reply), reverse(dir));
}

void DfwFilter::log_match(const core::Packet& p, const PacketInfo& pi, Direction dir, const Rule& r,
                          const char* action, FilterHost& host) const {
  const int64_t ns = core::to_nanos(host.now());
  const int64_t secs = ns / kSec;
  char ts[64];
  std::snprintf(ts, sizeof ts, "1970-01-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%06" PRId64 "Z",
                1 + secs / 86400 % 31, secs / 3600 % 24, secs / 60 % 60, secs % 60, (ns % kSec) / 1000);
  char line[320];
  const std::string src = ipv4_text(pi.src_ip), dst = ipv4_text(pi.dst_ip);
  const char* dw = dir == Direction::kEgress ? "OUT" : "IN";
  if (pi.proto == 6 || pi.proto == 17) {
    std::string flags;
    if (pi.proto == 6) {
      static const char kLetters[] = "FSRPAUEC";
      for (int b = 0; b < 8; ++b) {
        if (pi.tcp_flags & (1u << b)) flags += kLetters[b];
      }
      flags = " " + flags;
    }
    std::snprintf(line, sizeof line, "%s %08x INET match %s %u/%u %s %u %s %s/%u->%s/%u%s", ts, filter_hash_, action,
                  r.section_id, r.id, dw, p.pkt_len, pi.proto == 6 ? "TCP" : "UDP", src.c_str(), pi.sport, dst.c_str(),
                  pi.dport, flags.c_str());
  } else if (pi.proto == 1) {
    std::snprintf(line, sizeof line, "%s %08x INET match %s %u/%u %s %u ICMP %s->%s %u/%u", ts, filter_hash_, action,
                  r.section_id, r.id, dw, p.pkt_len, src.c_str(), dst.c_str(), pi.icmp_type, pi.icmp_code);
  } else {
    std::snprintf(line, sizeof line, "%s %08x INET match %s %u/%u %s %u PROTO %u %s->%s", ts, filter_hash_, action,
                  r.section_id, r.id, dw, p.pkt_len, pi.proto, src.c_str(), dst.c_str());
  }
  host.log(1, line);
}

std::optional<core::Instant> DfwFilter::timer(core::Instant now, FilterHost&) {
  const int64_t n = core::to_nanos(now);
  last_now_ns_ = n;
  purged_ += conns_->purge(n);
  for (auto it = frags_.begin(); it != frags_.end();) {
    it = it->second.expires_ns <= n ? frags_.erase(it) : std::next(it);
  }
  return now + std::chrono::seconds(cfg_.timeouts.purge_interval);
}

void DfwFilter::counters(core::CounterList& out) const {
  out.push_back({"conn.active", conns_->size()});
  out.push_back({"conn.capacity", conns_->capacity()});
  out.push_back({"conn.created", created_});
  out.push_back({"conn.expired", expired_ + purged_});
  out.push_back({"conn.purged", purged_});
  out.push_back({"conn.table_full", table_full_});
  out.push_back({"conn.rechecked", rechecked_});
  out.push_back({"conn.recheck_dropped", recheck_dropped_});
  out.push_back({"conn.reopened", reopened_});
  out.push_back({"reject.rst", rst_sent_});
  out.push_back({"reject.icmp", icmp_sent_});
  out.push_back({"icmp_error.related", icmp_related_});
  out.push_back({"frag.tracked", frag_tracked_});
  out.push_back({"frag.active", frags_.size()});
  out.push_back({"rules.l3", table_->rules().size()});
  out.push_back({"rules.l2", table_->l2_rules().size()});
  out.push_back({"rules.generation", table_->generation()});
  // Hit counters by rule id (a rule id used twice sums).
  std::vector<std::pair<uint32_t, uint64_t>> byid;
  for (size_t i = 0; i < hits_.size(); ++i) byid.push_back({table_->rules()[i].id, hits_[i]});
  for (size_t i = 0; i < l2_hits_.size(); ++i) byid.push_back({table_->l2_rules()[i].id, l2_hits_[i]});
  std::stable_sort(byid.begin(), byid.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < byid.size(); ++i) {
    uint64_t v = byid[i].second;
    while (i + 1 < byid.size() && byid[i + 1].first == byid[i].first) v += byid[++i].second;
    out.push_back({"rule." + std::to_string(byid[i].first) + ".hits", v});
  }
}

FilterResult<std::vector<uint8_t>> DfwFilter::save_state() const {
  // Times are saved relative to the filter's latest "now" (remaining lifetime, age)
  // so a destination host with another clock re-bases them on its own latest "now".
  StateWriter w(kStateMagic, kStateVersion);
  w.u32(conns_->size());
  conns_->for_each([&](uint32_t idx, const Conn& c) {
    w.u32(idx);
    w.u32(c.a_ip);
    w.u32(c.b_ip);
    w.u16(c.a_port);
    w.u16(c.b_port);
    w.u8(c.proto);
    w.u8(c.init_dir);
    w.u8(c.flags);
    w.u32(c.rule_id);
    w.i64(c.expires_ns - last_now_ns_);
    w.i64(last_now_ns_ - c.created_ns);
    w.u64(c.bytes);
    for (const Peer& p : c.peer) {
      w.u32(p.seqlo);
      w.u32(p.seqhi);
      w.u32(p.max_win);
      w.u8(static_cast<uint8_t>(p.wscale));
      w.u8(static_cast<uint8_t>(p.state));
      w.u8(p.seen ? 1 : 0);
      w.u32(p.packets);
    }
  });
  w.u32(static_cast<uint32_t>(frags_.size()));
  for (const auto& [k, f] : frags_) {
    w.u32(k[0]);
    w.u32(k[1]);
    w.u32(k[2]);
    w.u8(f.allowed ? 1 : 0);
    w.i64(f.expires_ns - last_now_ns_);
  }
  return w.take();
}

FilterStatus DfwFilter::restore_state(std::span<const uint8_t> state) {
  StateReader r(state, kStateMagic, kStateVersion);
  if (!r.ok()) return filter_error(FilterError::kState, "dfw state: bad magic or version");
  uint32_t n = 0;
  if (!r.u32(n) || n > conns_->capacity()) return filter_error(FilterError::kState, "dfw state: bad connection count");
  auto fresh = std::make_unique<ConnTable>(conns_->capacity());
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t idx = 0;
    Conn c;
    uint8_t wscale = 0, st = 0, seen = 0;
    uint64_t bytes = 0;
    uint32_t max_win = 0, packets = 0;
    bool ok = r.u32(idx) && r.u32(c.a_ip) && r.u32(c.b_ip) && r.u16(c.a_port) && r.u16(c.b_port) && r.u8(c.proto) &&
              r.u8(c.init_dir) && r.u8(c.flags) && r.u32(c.rule_id) && r.i64(c.expires_ns) && r.i64(c.created_ns) &&
              r.u64(bytes) && bytes <= 0xffffffffu;
    c.bytes = static_cast<uint32_t>(bytes);
    for (Peer& p : c.peer) {
      ok = ok && r.u32(p.seqlo) && r.u32(p.seqhi) && r.u32(max_win) && r.u8(wscale) && r.u8(st) && r.u8(seen) &&
           r.u32(packets) && max_win <= 0xffff && packets <= 0xffff && seen <= 1;
      if (!ok) break;
      p.max_win = static_cast<uint16_t>(max_win);
      p.packets = static_cast<uint16_t>(packets);
      p.wscale = static_cast<int8_t>(wscale);
      if (st > static_cast<uint8_t>(PeerState::kTimeWait)) ok = false;
      p.state = static_cast<PeerState>(st);
      p.seen = seen;
    }
    if (!ok || c.init_dir > 1) return filter_error(FilterError::kState, "dfw state: truncated or bad connection entry");
    c.expires_ns += last_now_ns_;
    c.created_ns = last_now_ns_ - c.created_ns;
    c.generation = kStaleGeneration;  // re-checked against this host's rules on next use
    if (fresh->find(c.a_ip, c.b_ip, c.a_port, c.b_port, c.proto) || !fresh->insert_at(idx, c)) {
      return filter_error(FilterError::kState, "dfw state: duplicate or out-of-range connection");
    }
  }
  uint32_t nf = 0;
  if (!r.u32(nf) || nf > cfg_.frag_limit) return filter_error(FilterError::kState, "dfw state: bad fragment count");
  std::map<std::array<uint32_t, 3>, Frag> frags;
  for (uint32_t i = 0; i < nf; ++i) {
    std::array<uint32_t, 3> k{};
    uint8_t allowed = 0;
    int64_t exp = 0;
    if (!r.u32(k[0]) || !r.u32(k[1]) || !r.u32(k[2]) || !r.u8(allowed) || !r.i64(exp)) {
      return filter_error(FilterError::kState, "dfw state: truncated fragment entry");
    }
    frags[k] = Frag{allowed != 0, exp + last_now_ns_};
  }
  if (!r.done()) return filter_error(FilterError::kState, "dfw state: trailing bytes");
  conns_ = std::move(fresh);
  frags_ = std::move(frags);
  return core::Ok{};
}

std::string DfwFilter::format_conns(int64_t now_ns) const {
  std::string out;
  char line[256];
  conns_->for_each([&](uint32_t, const Conn& c) {
    const char* proto = c.proto == 6 ? "tcp" : c.proto == 17 ? "udp" : c.proto == 1 ? "icmp" : "ip";
    std::snprintf(line, sizeof line, "%s %s %s:%u -> %s:%u %s:%s rule %u expires %llds pkts %u:%u bytes %llu\n",
                  proto, c.init_dir == 0 ? "out" : "in", ipv4_text(c.a_ip).c_str(), c.a_port,
                  ipv4_text(c.b_ip).c_str(), c.b_port, name_of(c.peer[0].state), name_of(c.peer[1].state), c.rule_id,
                  static_cast<long long>((c.expires_ns - now_ns) / kSec), unsigned{c.peer[0].packets},
                  unsigned{c.peer[1].packets}, static_cast<unsigned long long>(c.bytes));
    if (c.expires_ns > now_ns) out += line;
  });
  return out;
}

std::string DfwFilter::format_addrsets() const {
  std::string out;
  for (const auto& [name, list] : cfg_.addrset_text) {
    out += "addrset " + name + " {\n";
    for (size_t i = 0; i < list.size(); ++i) out += "ip " + list[i] + (i + 1 < list.size() ? ",\n" : ",\n");
    out += "}\n";
  }
  return out;
}

FilterResult<std::string> DfwFilter::ioctl(std::string_view request) {
  if (request == "getrules") return table_->format_rules(where_.name);
  if (request == "getaddrsets") return format_addrsets();
  if (request == "getconns" || request == "getflows") {
    return format_conns(last_now_ns_);
  }
  if (request == "getstats") {
    core::CounterList c;
    counters(c);
    return core::format_counters(c);
  }
  return filter_error(FilterError::kUnsupported,
                      "unknown ioctl '" + std::string(request) + "' (getrules, getaddrsets, getconns, getstats)");
}

FilterStatus DfwFilter::config_changed(std::string_view config_json) {
  auto j = parse_config_text(config_json);
  if (!j) return core::Err(j.error());
  auto cfg = parse_dfw_config(*j);
  if (!cfg) return core::Err(cfg.error());
  std::vector<std::string> names = {"nic-" + std::to_string(where_.vm_id) + "-eth" + std::to_string(where_.vnic_index),
                                    where_.name};
  if (!cfg->vnic_name.empty()) names.push_back(cfg->vnic_name);
  auto table = RuleTable::compile(*cfg, names, generation_ + 1);
  if (!table) return core::Err(table.error());
  ++generation_;
  // Hit counters follow rule ids across the update.
  std::vector<uint64_t> hits((*table)->rules().size(), 0);
  for (size_t i = 0; i < hits.size(); ++i) {
    for (size_t j2 = 0; j2 < table_->rules().size(); ++j2) {
      if (table_->rules()[j2].id == (*table)->rules()[i].id) {
        hits[i] = hits_[j2];
        break;
      }
    }
  }
  const uint32_t limit = cfg_.conn_limit;  // the table size is fixed at creation
  cfg_ = std::move(cfg).value();
  cfg_.conn_limit = limit;
  table_ = std::move(table).value();
  hits_ = std::move(hits);
  l2_hits_.assign(table_->l2_rules().size(), 0);
  return core::Ok{};
}

}  // namespace vnetref::iochain::dfw
