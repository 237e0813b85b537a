// Segment arrival (RFC 9293 3.10.7) with RFC 5961 validation, RFC 7323 PAWS,
// RFC 2018/6675 SACK processing, RFC 5681/6582 loss detection, listeners, the
// SYN backlog and SYN cookies.
#include <algorithm>
#include <chrono>

#include "stack/core/views.h"
#include "stack/inet/tcp/tcb.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace vnetref::inet::tcp {

using std::chrono::milliseconds;
using wire::TcpFlags;

namespace {
constexpr Duration kPawsIdle = std::chrono::hours(24 * 24);  // RFC 7323 5.5: 24 days
bool bad_unicast(uint32_t a) { return a == 0 || a == 0xffffffffu || (a >> 28) == 0xe; }
}  // namespace

void TcpStackImpl::input(core::PacketPtr pkt, const IpMeta& m) {
  ++stats_.rcvtotal;
  if (!pkt) return;
  const uint32_t total = pkt->pkt_len;
  if (total < 20) {
    stats_.dropped.inc(TcpDropReason::kShort);
    return;
  }
  if (!core::mbuf::pullup(pkt, 20, pool_)) {
    stats_.dropped.inc(TcpDropReason::kNoBuffers);
    return;
  }
  const uint32_t hlen = uint32_t{static_cast<uint8_t>(pkt->data()[12] >> 4)} * 4;
  if (hlen < 20 || hlen > total) {
    stats_.dropped.inc(TcpDropReason::kShort);
    return;
  }
  if (!core::mbuf::pullup(pkt, hlen, pool_)) {
    stats_.dropped.inc(TcpDropReason::kNoBuffers);
    return;
  }
  if (pkt->meta.csum != core::CsumState::kVerified) {
    if (total > 0xffff) {
      stats_.dropped.inc(TcpDropReason::kShort);
      return;
    }
    wire::ChecksumAccumulator acc;
    acc.add16(wire::ipv4_pseudo_header_sum(wire::Ipv4Address(m.src), wire::Ipv4Address(m.dst), wire::kIpProtoTcp,
                                           static_cast<uint16_t>(total)));
    for (const core::Packet* s = pkt.get(); s != nullptr; s = s->next) acc.add(s->bytes());
    if (acc.sum() != 0xffff) {
      stats_.dropped.inc(TcpDropReason::kBadChecksum);
      return;
    }
  }
  const std::span<const uint8_t> h(pkt->data(), hlen);
  SegInfo seg;
  seg.tuple = FourTuple{m.dst, m.src, wire::load_be16(h, 2), wire::load_be16(h, 0)};
  seg.seq = SeqNum(wire::load_be32(h, 4));
  seg.ack = SeqNum(wire::load_be32(h, 8));
  seg.flags = wire::TcpFlags{static_cast<uint16_t>(wire::load_be16(h, 12) & TcpFlags::kMask)};
  seg.wnd = wire::load_be16(h, 14);
  if (hlen == 32 && h[20] == 1 && h[21] == 1 && h[22] == 8 && h[23] == 10) {
    // The layout every timestamp-bearing data segment uses (RFC 7323 appendix A):
    // decode it directly instead of walking the option list.
    seg.opts.timestamps = wire::TcpTimestamps{wire::load_be32(h, 24), wire::load_be32(h, 28)};
  } else if (hlen > 20) {
    auto opts = wire::TcpOptions::parse(h.subspan(20));
    if (!opts) {
      stats_.dropped.inc(TcpDropReason::kBadOptions);
      return;
    }
    seg.opts = *opts;
  }
  seg.len = total - hlen;
  seg.tos = m.tos;
  if (bad_unicast(m.src) || bad_unicast(m.dst) || seg.tuple.lport == 0 || seg.tuple.rport == 0) {
    stats_.dropped.inc(TcpDropReason::kBadAddress);
    return;
  }
  if (seg.flags.syn() && seg.flags.fin() && tun_.drop_synfin) {
    stats_.dropped.inc(TcpDropReason::kSynBadFlags);
    return;
  }
  core::mbuf::adj(pkt, static_cast<int64_t>(hlen));  // pkt now holds the payload only
  if (last_hit_ != nullptr && last_hit_->tuple == seg.tuple) {
    tcb_input(*last_hit_, seg, std::move(pkt));
    return;
  }
  auto it = conns_.find(seg.tuple);
  if (it != conns_.end()) {
    last_hit_ = it->second;
    tcb_input(*it->second, seg, std::move(pkt));
    return;
  }
  if (Tcb* l = find_listener(m.dst, seg.tuple.lport)) {
    listen_input(*l, seg, std::move(pkt));
    return;
  }
  stats_.dropped.inc(TcpDropReason::kNoSocket);
  send_rst_reply(seg);
}

void TcpStackImpl::icmp_error(const IcmpErrorInfo& info) {
  FourTuple ft{info.orig_src, info.orig_dst, info.orig_sport, info.orig_dport};
  auto it = conns_.find(ft);
  if (it == conns_.end()) return;
  Tcb& t = *it->second;
  // RFC 5927 section 4.1: only believe errors quoting a sequence number in flight.
  SeqNum q(info.orig_seq);
  if (!(t.snd_una <= q && q < seq_max(t.snd_max, t.snd_una + 1))) return;
  if (info.type == 3 && info.code == 4) {
    // RFC 1191: shrink the segment size and resend what did not fit.
    if (info.next_hop_mtu >= 68) {
      uint32_t mss = std::max(info.next_hop_mtu - 40, tun_.minmss);
      if (t.pmtu_mss == 0 || mss < t.pmtu_mss) {
        t.pmtu_mss = mss;
        uint32_t before = t.maxseg;
        compute_maxseg(t);
        if (t.maxseg < before && t.synchronized()) {
          t.snd_nxt = t.snd_una;
          output(t);
        }
      }
    }
    return;
  }
  TcpError soft = TcpError::kHostUnreachable;
  if (info.type == 3 && info.code == 0) soft = TcpError::kNetworkUnreachable;
  if (info.type == 3 && (info.code == 2 || info.code == 3) && t.state == TcpState::kSynSent) {
    // RFC 1122 4.2.3.9: protocol/port unreachable are hard errors for a connect.
    drop(t, TcpError::kConnectionRefused);
    return;
  }
  t.soft_error = soft;  // reported if the connection later times out
}

// ---------------------------------------------------------------------------------
// Listeners

void TcpStackImpl::apply_syn_options(Tcb& t, const SegInfo& seg) {
  const wire::TcpOptions& o = seg.opts;
  t.peer_mss = o.mss ? std::max<uint32_t>(*o.mss, tun_.minmss) : tun_.mssdflt;
  if (t.passive) {
    t.ws_ok = tun_.rfc1323 && o.window_scale.has_value();
    t.ts_ok = tun_.rfc1323 && o.timestamps.has_value();
    t.sack_ok = tun_.sack_enable && o.sack_permitted;
    t.rcv_wscale = t.ws_ok ? wscale_for(t.rcvbuf_limit) : 0;
  } else {
    t.ws_ok = t.req_ws && o.window_scale.has_value();
    t.ts_ok = t.req_ts && o.timestamps.has_value();
    t.sack_ok = t.req_sack && o.sack_permitted;
    if (!t.ws_ok) t.rcv_wscale = 0;
  }
  t.snd_wscale = t.ws_ok ? std::min<uint8_t>(*o.window_scale, 14) : 0;  // RFC 7323 2.3: cap at 14
  if (t.ts_ok) {
    t.ts_recent = o.timestamps->value;
    t.ts_recent_age = now();
  }
  compute_maxseg(t);
}

Tcb* TcpStackImpl::spawn_child(Tcb& l, const SegInfo& seg) {
  auto r = alloc_tcb();
  if (!r) return nullptr;
  Tcb& c = **r;
  init_connection(c);
  c.passive = true;
  c.parent = &l;
  c.nodelay = l.nodelay;
  c.keepalive = l.keepalive;
  c.keepidle_ms = l.keepidle_ms;
  c.keepintvl_ms = l.keepintvl_ms;
  c.keepcnt = l.keepcnt;
  c.sndbuf_limit = l.sndbuf_limit;
  c.rcvbuf_limit = l.rcvbuf_limit;
  c.user_maxseg = l.user_maxseg;
  c.linger_ms = l.linger_ms;
  if (c.cca->algo() != l.cca->algo()) c.cca = make_congestion_control(l.cca->algo());
  c.tuple = seg.tuple;
  c.ts_offset = make_ts_offset(seg.tuple);
  return &c;
}

void TcpStackImpl::send_syn_ack_cookie(Tcb& l, const SegInfo& seg) {
  CookieParams p;
  p.mss = static_cast<uint16_t>(seg.opts.mss ? std::max<uint32_t>(*seg.opts.mss, tun_.minmss) : tun_.mssdflt);
  p.mss = static_cast<uint16_t>(std::min<uint32_t>(p.mss, local_mss(seg.tuple.raddr, l.user_maxseg)));
  if (tun_.rfc1323 && seg.opts.window_scale) p.wscale = *seg.opts.window_scale;
  p.sack = tun_.sack_enable && seg.opts.sack_permitted;
  p.timestamps = tun_.rfc1323 && seg.opts.timestamps.has_value();
  const int64_t secs = core::to_nanos(now()) / 1000000000;
  const uint32_t iss = cookies_.make(seg.tuple, seg.seq.raw(), p, secs);
  wire::TcpOptions o;
  o.mss = static_cast<uint16_t>(local_mss(seg.tuple.raddr, l.user_maxseg));
  if (p.wscale) o.window_scale = wscale_for(l.rcvbuf_limit);
  o.sack_permitted = p.sack;
  if (p.timestamps) {
    uint32_t off = make_ts_offset(seg.tuple);
    uint32_t now_ms = static_cast<uint32_t>(core::to_nanos(now()) / 1000000);
    o.timestamps = wire::TcpTimestamps{now_ms + off, seg.opts.timestamps->value};
  }
  ++stats_.sc_sendcookie;
  send_bare(seg.tuple, SeqNum(iss), seg.seq + 1, TcpFlags::kSyn | TcpFlags::kAck,
            static_cast<uint16_t>(std::min<uint32_t>(l.rcvbuf_limit, 65535)), o);
}

void TcpStackImpl::cookie_ack(Tcb& l, const SegInfo& seg, core::PacketPtr pkt) {
  const int64_t secs = core::to_nanos(now()) / 1000000000;
  auto p = cookies_.check(seg.tuple, (seg.seq - 1).raw(), (seg.ack - 1).raw(), secs);
  if (!p) {
    stats_.dropped.inc(TcpDropReason::kBadCookie);
    send_rst_reply(seg);
    return;
  }
  if (l.accept_q.size() >= l.backlog) {
    stats_.dropped.inc(TcpDropReason::kListenOverflow);
    return;
  }
  Tcb* c = spawn_child(l, seg);
  if (c == nullptr) {
    stats_.dropped.inc(TcpDropReason::kSocketLimit);
    return;
  }
  ++stats_.sc_recvcookie;
  Tcb& t = *c;
  t.iss = seg.ack - 1;
  t.snd_una = t.snd_nxt = t.snd_max = seg.ack;
  t.high_rxt = t.recover = t.snd_una;
  t.irs = seg.seq - 1;
  t.rcv_nxt = seg.seq;
  t.rcv_adv = t.rcv_nxt + std::min<uint32_t>(l.rcvbuf_limit, 65535);
  t.peer_mss = p->mss;
  t.ws_ok = tun_.rfc1323 && p->wscale.has_value();
  t.snd_wscale = t.ws_ok ? std::min<uint8_t>(*p->wscale, 14) : 0;
  t.rcv_wscale = t.ws_ok ? wscale_for(t.rcvbuf_limit) : 0;
  t.sack_ok = p->sack && tun_.sack_enable;
  t.ts_ok = p->timestamps && seg.has_ts();
  if (t.ts_ok) {
    t.ts_recent = seg.opts.timestamps->value;
    t.ts_recent_age = now();
  }
  compute_maxseg(t);
  t.snd_wnd = uint32_t{seg.wnd} << t.snd_wscale;
  t.max_sndwnd = t.snd_wnd;
  t.snd_wl1 = seg.seq;
  t.snd_wl2 = seg.ack;
  t.state = TcpState::kSynReceived;
  ++l.embryonic;
  ++embryonic_total_;
  demux_insert(t);
  established(t);
  SegInfo rest = seg;
  tcb_input(t, rest, std::move(pkt));
}

void TcpStackImpl::listen_input(Tcb& l, const SegInfo& seg, core::PacketPtr pkt) {
  if (seg.flags.rst()) {
    stats_.dropped.inc(TcpDropReason::kSynBadFlags);  // RFC 9293: ignore RST in LISTEN
    return;
  }
  if (seg.flags.ack()) {
    if (!seg.flags.syn() && tun_.syncookies) {
      cookie_ack(l, seg, std::move(pkt));
      return;
    }
    stats_.dropped.inc(TcpDropReason::kNoSocket);
    send_rst_reply(seg);
    return;
  }
  if (!seg.flags.syn()) {
    stats_.dropped.inc(TcpDropReason::kSynBadFlags);
    return;
  }
  if (l.accept_q.size() >= l.backlog) {
    stats_.dropped.inc(TcpDropReason::kListenOverflow);
    return;
  }
  const bool cache_full = l.embryonic >= l.backlog || embryonic_total_ >= tun_.syncache_cachelimit;
  if (tun_.syncookies_only || cache_full) {
    if (tun_.syncookies) {
      send_syn_ack_cookie(l, seg);
    } else {
      ++stats_.sc_dropped;
      stats_.dropped.inc(TcpDropReason::kSyncacheFull);
    }
    return;
  }
  Tcb* c = spawn_child(l, seg);
  if (c == nullptr) {
    stats_.dropped.inc(TcpDropReason::kSocketLimit);
    if (tun_.syncookies) send_syn_ack_cookie(l, seg);
    return;
  }
  Tcb& t = *c;
  t.irs = seg.seq;
  t.rcv_nxt = seg.seq + 1;
  t.rcv_adv = t.rcv_nxt;
  t.iss = SeqNum(make_iss(seg.tuple));
  t.snd_una = t.snd_nxt = t.snd_max = t.iss;
  t.high_rxt = t.recover = t.iss;
  apply_syn_options(t, seg);
  t.snd_wnd = seg.wnd;  // never scaled in a SYN
  t.max_sndwnd = t.snd_wnd;
  t.snd_wl1 = seg.seq;
  t.snd_wl2 = t.iss;
  if (tun_.ecn_enable >= 1 && seg.flags.has(TcpFlags::kEce | TcpFlags::kCwr)) t.ecn_ok = true;
  t.state = TcpState::kSynReceived;
  ++l.embryonic;
  ++embryonic_total_;
  ++stats_.sc_added;
  demux_insert(t);
  t.last_rcv = now();
  output(t);  // SYN-ACK; data on the SYN is not queued (the peer resends it)
}

void TcpStackImpl::established(Tcb& t) {
  t.syn_acked = true;
  t.ecn_recover = t.snd_una;
  set_state(t, t.fin_queued ? TcpState::kFinWait1 : TcpState::kEstablished);
  ++stats_.connects;
  if (t.ecn_ok) ++stats_.ecn_shs;
  // Initial window: initcwnd_segments (RFC 6928 via FreeBSD); one segment if the
  // SYN or SYN-ACK had to be retransmitted (RFC 5681 section 3.1).
  t.cc.smss = t.maxseg;
  t.cc.cwnd = t.rxtshift > 0 ? t.maxseg : tun_.initcwnd_segments * t.maxseg;
  if (t.rxtshift > 0) t.rtt.after_syn_timeout();
  t.rxtshift = 0;
  t.keep_timer.cancel();
  t.last_rcv = now();
  arm_keepalive(t);
  if (t.parent != nullptr) {
    Tcb& l = *t.parent;
    if (l.embryonic > 0) {
      --l.embryonic;
      --embryonic_total_;
    }
    l.accept_q.push_back(&t);
    t.in_accept_q = true;
    ++stats_.sc_completed;
    if (l.handle) events_.push_back({id_of(l), Event::kAcceptable, std::nullopt});
  } else {
    notify(t, Event::kConnected);
  }
}

// ---------------------------------------------------------------------------------
// Connections

void TcpStackImpl::rtt_sample(Tcb& t, Duration r) {
  t.rtt.sample(r);
  ++stats_.rttupdated;
}

void TcpStackImpl::syn_sent_input(Tcb& t, SegInfo& seg, core::PacketPtr pkt) {
  const bool ack = seg.flags.ack();
  if (ack && (seg.ack <= t.iss || seg.ack > t.snd_max)) {
    stats_.dropped.inc(TcpDropReason::kAckTooNew);
    send_rst_reply(seg);
    return;
  }
  if (seg.flags.rst()) {
    // RFC 5961 3.2 / RFC 9293: a RST is believed only if it acknowledges our SYN.
    if (ack) {
      drop(t, TcpError::kConnectionRefused);
    } else {
      stats_.dropped.inc(TcpDropReason::kRstOutOfWindow);
    }
    return;
  }
  if (!seg.flags.syn()) {
    stats_.dropped.inc(TcpDropReason::kSynBadFlags);
    return;
  }
  t.irs = seg.seq;
  t.rcv_nxt = seg.seq + 1;
  t.rcv_adv = t.rcv_nxt;
  apply_syn_options(t, seg);
  t.snd_wnd = seg.wnd;
  t.max_sndwnd = t.snd_wnd;
  t.snd_wl1 = seg.seq;
  t.snd_wl2 = seg.ack;
  if (!ack) {
    // Simultaneous open (RFC 9293 figure 7): answer with SYN,ACK from our ISS.
    set_state(t, TcpState::kSynReceived);
    t.snd_nxt = t.iss;
    t.rexmt_timer.cancel();
    output(t);
    return;
  }
  if (t.req_ecn && seg.flags.has(TcpFlags::kEce) && !seg.flags.has(TcpFlags::kCwr)) t.ecn_ok = true;
  // Our SYN is acknowledged.
  if (t.ts_ok && seg.opts.timestamps && seg.opts.timestamps->echo_reply != 0) {
    rtt_sample(t, milliseconds(ts_now(t) - seg.opts.timestamps->echo_reply));
  } else if (t.rtt_timing && t.rxtshift == 0) {
    rtt_sample(t, now() - t.rtt_start);  // Karn: only a SYN sent once is timed
  }
  t.rtt_timing = false;
  t.snd_una = seg.ack;
  if (t.snd_nxt < t.snd_una) t.snd_nxt = t.snd_una;
  t.rexmt_timer.cancel();
  t.snd_wnd = uint32_t{seg.wnd};  // the SYN-ACK's window is unscaled too
  established(t);
  t.ack_now = true;
  if (seg.len > 0 || seg.flags.fin()) {
    seg.seq += 1;
    seg.flags.bits &= static_cast<uint16_t>(~TcpFlags::kSyn);
    process_data(t, seg, std::move(pkt));
  }
  if (!t.dead) output(t);
}

void TcpStackImpl::update_window(Tcb& t, const SegInfo& seg) {
  // RFC 9293 3.10.7.4: take the window from the newest segment (SND.WL1/WL2 rule).
  if (t.snd_wl1 < seg.seq || (t.snd_wl1 == seg.seq && t.snd_wl2 <= seg.ack)) {
    uint32_t w = uint32_t{seg.wnd} << t.snd_wscale;
    if (w != t.snd_wnd && seg.len == 0 && seg.ack == t.snd_wl2) ++stats_.rcvwinupd;
    t.snd_wnd = w;
    t.snd_wl1 = seg.seq;
    t.snd_wl2 = seg.ack;
    t.max_sndwnd = std::max(t.max_sndwnd, w);
    if (w > 0 && t.in_persist) exit_persist(t);
  }
}

void TcpStackImpl::handle_dupack(Tcb& t, const SegInfo& seg) {
  (void)seg;
  if (t.in_recovery) {
    if (!t.sack_ok) t.cc.cwnd += t.maxseg;  // RFC 6582 / 5681: inflate per extra dupack
    return;                                 // output() sends what the window allows
  }
  const bool lost = t.sack_ok && t.sb.is_lost(t.snd_una, t.maxseg);
  if (t.dupacks >= SackScoreboard::kDupThresh || lost) {
    // RFC 6582 3.2 step 2: one recovery per window of data.
    // (Strictly below "recover": a loss of the segment right at "recover" still
    // recovers fast instead of waiting for the timer.)
    if (t.snd_una < t.recover) return;
    t.in_recovery = true;
    t.recover = t.snd_max;
    ++stats_.fastrexmit;
    ++t.st.fast_recoveries;
    t.rtt_timing = false;
    t.cca->on_congestion(t.cc, t.flight(), now());
    if (t.sack_ok) {
      // RFC 6675 section 5 step (4): cwnd = ssthresh, retransmit the first lost segment.
      ++stats_.sack_recovery_episode;
      t.cc.cwnd = t.cc.ssthresh;
      t.high_rxt = t.snd_una;
      uint32_t sent = retransmit_at(t, t.snd_una, t.maxseg);
      t.high_rxt = t.snd_una + sent;
    } else {
      retransmit_at(t, t.snd_una, t.maxseg);
      t.cc.cwnd = t.cc.ssthresh + SackScoreboard::kDupThresh * t.maxseg;
    }
    arm_rexmt(t);
    return;
  }
  if (tun_.rfc3042 && t.dupacks <= 2) {
    // RFC 3042 limited transmit: one new segment per early dupack, within cwnd + 2 SMSS.
    if (t.flight() + t.maxseg <= t.cc.cwnd + 2 * t.maxseg) try_send_new(t, false, false);
  }
}

void TcpStackImpl::process_ack(Tcb& t, const SegInfo& seg, bool* stop) {
  if (t.state == TcpState::kSynReceived) {
    if (!(t.snd_una < seg.ack && seg.ack <= t.snd_max)) {
      stats_.dropped.inc(TcpDropReason::kAckTooNew);
      send_rst_reply(seg);
      *stop = true;
      return;
    }
    if (t.parent != nullptr && t.parent->accept_q.size() >= t.parent->backlog) {
      // The accept queue is full: ignore the ACK; the SYN-ACK retransmission gives
      // the application time to accept (FreeBSD drops it in syncache_expand too).
      stats_.dropped.inc(TcpDropReason::kListenOverflow);
      *stop = true;
      return;
    }
    if (t.ts_ok && seg.opts.timestamps && seg.opts.timestamps->echo_reply != 0) {
      rtt_sample(t, milliseconds(ts_now(t) - seg.opts.timestamps->echo_reply));
    } else if (t.rtt_timing && t.rxtshift == 0) {
      rtt_sample(t, now() - t.rtt_start);
    }
    t.rtt_timing = false;
    t.snd_una = t.iss + 1;
    t.rexmt_timer.cancel();
    t.snd_wnd = uint32_t{seg.wnd} << t.snd_wscale;
    t.max_sndwnd = std::max(t.max_sndwnd, t.snd_wnd);
    t.snd_wl1 = seg.seq;
    t.snd_wl2 = seg.ack;
    established(t);
    if (t.dead) {
      *stop = true;
      return;
    }
  }
  // RFC 5961 5.2: acceptable iff SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT.
  if (seg.ack > t.snd_max) {
    ++stats_.rcvacktoomuch;
    challenge_ack(t, TcpDropReason::kAckTooNew);
    *stop = true;
    return;
  }
  if (seg.ack < t.snd_una - std::max<uint32_t>(t.max_sndwnd, 1)) {
    challenge_ack(t, TcpDropReason::kAckTooOld);
    *stop = true;
    return;
  }
  const Instant now = this->now();
  // ECN-Echo (RFC 3168 6.1.2): react once per window of data.
  if (t.ecn_ok && seg.flags.has(TcpFlags::kEce) && !t.in_recovery && t.ecn_recover <= t.snd_una &&
      t.flight() > 0) {
    ++stats_.ecn_ece;
    t.cca->on_congestion(t.cc, t.flight(), now);
    t.cc.cwnd = std::max(t.cc.ssthresh, t.maxseg);
    t.ecn_recover = t.snd_max;
    t.cwr_pending = true;
  }
  // SACK scoreboard first: loss detection below reads it.
  if (t.sack_ok) {
    if (seg.ack > t.snd_una) t.sb.advance(seg.ack);
    if (seg.opts.sack_count > 0) {
      stats_.rcvsackblocks += seg.opts.sack_count;
      uint32_t ignored = 0;
      t.sb.update(seq_max(seg.ack, t.snd_una), t.snd_max,
                  std::span<const wire::SackBlock>(seg.opts.sack_blocks.data(), seg.opts.sack_count),
                  tun_.sack_maxholes, &ignored);
      if (ignored > 0) stats_.dropped.inc(TcpDropReason::kSackHolesLimit, ignored);
    }
  }
  if (seg.ack <= t.snd_una) {
    // RFC 5681 section 2 "duplicate acknowledgment".
    const bool dup = seg.ack == t.snd_una && seg.len == 0 && !seg.flags.syn() && !seg.flags.fin() &&
                     t.snd_una != t.snd_max && (uint32_t{seg.wnd} << t.snd_wscale) == t.snd_wnd;
    if (dup) {
      ++t.dupacks;
      ++stats_.rcvdupack;
      ++t.st.dupacks_in;
      handle_dupack(t, seg);
    }
    update_window(t, seg);
    return;
  }
  // New data acknowledged.
  const uint32_t acked = seq_diff(seg.ack, t.snd_una);
  ++stats_.rcvackpack;
  stats_.rcvackbyte += acked;
  t.st.bytes_acked += acked;
  if (t.ts_ok && seg.opts.timestamps && seg.opts.timestamps->echo_reply != 0) {
    // RFC 7323 section 4.1: timestamps time every ACK, retransmissions included, as
    // long as the echo is of a segment sent after the last timeout.
    const uint32_t ecr = seg.opts.timestamps->echo_reply;
    uint32_t d = ts_now(t) - ecr;
    const bool fresh = !t.ts_floor_valid || static_cast<int32_t>(ecr - t.ts_floor) >= 0;
    if (d < 0x7fffffff && fresh) rtt_sample(t, milliseconds(d));
    t.rtt_timing = false;
  } else if (t.rtt_timing && seg.ack > t.rtt_seq) {
    rtt_sample(t, now - t.rtt_start);  // Karn: the timed segment was never retransmitted
    t.rtt_timing = false;
  }
  t.rxtshift = 0;
  const bool fin_acked = t.fin_queued && t.snd_max > t.fin_seq && seg.ack > t.fin_seq;
  const uint32_t data_acked = acked - (fin_acked ? 1 : 0);
  const uint32_t sndq_before = t.sndq.size();
  t.sndq.drop_front(data_acked);
  t.snd_una = seg.ack;
  if (t.snd_nxt < t.snd_una) t.snd_nxt = t.snd_una;
  if (t.high_rxt < t.snd_una) t.high_rxt = t.snd_una;
  if (t.in_recovery) {
    if (t.snd_una >= t.recover) {
      // Full acknowledgment: recovery ends (RFC 6582 3.2 step 3, RFC 6675 step (B)).
      t.in_recovery = false;
      t.dupacks = 0;
      t.cca->on_recovery_end(t.cc, now);
    } else if (!t.sack_ok) {
      // NewReno partial ACK: retransmit the next hole, deflate by what was acked.
      ++stats_.newreno_partial_acks;
      retransmit_at(t, t.snd_una, t.maxseg);
      t.cc.cwnd = t.cc.cwnd > data_acked ? t.cc.cwnd - data_acked : t.maxseg;
      if (data_acked >= t.maxseg) t.cc.cwnd += t.maxseg;
    }
  } else {
    t.dupacks = 0;
    t.cca->on_ack(t.cc, data_acked, now, t.rtt.srtt());
  }
  // RFC 6298 5.2 / 5.3: stop the timer when all is acked, else restart it.
  if (t.snd_una == t.snd_max) {
    if (!t.in_persist) t.rexmt_timer.cancel();
  } else if (!t.in_persist) {
    arm_rexmt(t);
  }
  update_window(t, seg);
  if (sndq_before > t.sndq.size() && (t.state == TcpState::kEstablished || t.state == TcpState::kCloseWait)) {
    notify(t, Event::kWritable);
  }
  if (fin_acked) {
    switch (t.state) {
      case TcpState::kFinWait1:
        set_state(t, TcpState::kFinWait2);
        if (t.user_closed) after(t.twomsl_timer, milliseconds(tun_.finwait2_timeout_ms));
        break;
      case TcpState::kClosing:
        enter_time_wait(t);
        break;
      case TcpState::kLastAck:
        drop(t, std::nullopt);
        *stop = true;
        return;
      default:
        break;
    }
  }
}

void TcpStackImpl::process_fin(Tcb& t) {
  t.rcv_nxt += 1;
  t.fin_received = true;
  t.ack_now = true;
  switch (t.state) {
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
      set_state(t, TcpState::kCloseWait);
      break;
    case TcpState::kFinWait1:
      set_state(t, TcpState::kClosing);  // simultaneous close (RFC 9293 figure 13)
      break;
    case TcpState::kFinWait2:
      t.twomsl_timer.cancel();
      enter_time_wait(t);
      break;
    default:
      break;
  }
  notify(t, Event::kReadable);
}

void TcpStackImpl::process_data(Tcb& t, SegInfo& seg, core::PacketPtr pkt) {
  SeqNum seq = seg.seq;
  uint32_t len = seg.len;
  bool fin = seg.flags.fin();
  if (t.state != TcpState::kEstablished && t.state != TcpState::kFinWait1 && t.state != TcpState::kFinWait2 &&
      t.state != TcpState::kSynReceived) {
    // CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT: the peer already sent its FIN.
    if (t.state == TcpState::kTimeWait && fin) {
      t.ack_now = true;  // a retransmitted FIN: ACK it and restart 2 MSL (RFC 9293)
      after(t.twomsl_timer, milliseconds(2ull * tun_.msl_ms));
    }
    return;
  }
  if (len > 0 && t.user_closed) {
    // Data for an application that closed: it can never be read (RFC 9293 3.10.4,
    // RFC 2525 2.17), so reset rather than acknowledge it.
    stats_.dropped.inc(TcpDropReason::kClosedSocket);
    send_rst(t);
    drop(t, TcpError::kConnectionReset);
    return;
  }
  // Trim what we already have.
  if (seq < t.rcv_nxt) {
    uint32_t dup = seq_diff(t.rcv_nxt, seq);
    if (dup >= len) {
      if (len > 0) {
        ++stats_.rcvduppack;
        stats_.rcvdupbyte += len;
      }
      if (!(fin && dup == len)) fin = false;
      len = 0;
      pkt.reset();
    } else {
      ++stats_.rcvpartduppack;
      stats_.rcvdupbyte += dup;
      core::mbuf::adj(pkt, static_cast<int64_t>(dup));
      len -= dup;
    }
    seq = t.rcv_nxt;
    t.ack_now = true;
  }
  // Trim what lies beyond the offered window.
  SeqNum edge = seq_max(t.rcv_adv, t.rcv_nxt);
  if (len > 0 && seq + len > edge) {
    uint32_t over = seq_diff(seq + len, edge);
    ++stats_.rcvpackafterwin;
    stats_.dropped.inc(TcpDropReason::kRcvBufFull);
    if (over >= len) {
      len = 0;
      pkt.reset();
    } else {
      core::mbuf::adj(pkt, -static_cast<int64_t>(over));
      len -= over;
    }
    fin = false;
    t.ack_now = true;
  }
  if (len == 0) pkt.reset();
  if (seq == t.rcv_nxt) {
    bool delivered = false;
    if (len > 0) {
      ++stats_.rcvpack;
      stats_.rcvbyte += len;
      t.st.bytes_received += len;
      if (t.shut_rd) pkt.reset(); else t.rcvq.append(std::move(pkt), len);
      t.rcv_nxt += len;
      delivered = true;
    }
    if (!t.reass.empty()) {
      // Filling a hole: pull what became contiguous and ACK at once (RFC 5681 4.2).
      t.reass.pull(t.rcv_nxt, [&](core::PacketPtr data, uint32_t n, bool f) {
        if (n > 0) {
          stats_.rcvbyte += n;
          t.st.bytes_received += n;
          if (t.shut_rd) data.reset(); else t.rcvq.append(std::move(data), n);
          delivered = true;
        }
        if (f) fin = true;
      });
      t.ack_now = true;
    }
    if (delivered) {
      ++t.unacked_segs;
      if (!tun_.delayed_ack || t.unacked_segs >= 2 || fin) {
        t.ack_now = true;
      } else if (!t.ack_now && !t.delack_pending) {
        t.delack_pending = true;
        after(t.delack_timer, milliseconds(tun_.delacktime_ms));
      }
      notify(t, Event::kReadable);
    }
    if (fin) process_fin(t);
    return;
  }
  // Out of order: queue it and send a duplicate ACK (with SACK blocks) at once.
  if (len > 0 || fin) {
    auto r = t.reass.insert(seq, std::move(pkt), len, fin, tun_.reass_maxqueuelen);
    if (r == Reassembly::Insert::kOverflow) {
      stats_.dropped.inc(TcpDropReason::kReassOverflow);
      ++t.st.reass_drops;
    } else if (r == Reassembly::Insert::kQueued) {
      ++stats_.rcvoopack;
      stats_.rcvoobyte += len;
      ++t.st.ooo_segments;
    }
  }
  t.ack_now = true;
}

void TcpStackImpl::tcb_input(Tcb& t, SegInfo& seg, core::PacketPtr pkt) {
  ++t.st.segs_in;
  if (t.state == TcpState::kSynSent) {
    syn_sent_input(t, seg, std::move(pkt));
    return;
  }
  if (t.state == TcpState::kTimeWait && seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst()) {
    // A new incarnation may reuse the tuple when its SYN is above our RCV.NXT
    // (RFC 9293 3.10.7.4 note; RFC 6191 with timestamps).
    bool newer = seg.seq > t.rcv_nxt;
    if (t.ts_ok && seg.has_ts()) newer = static_cast<int32_t>(seg.opts.timestamps->value - t.ts_recent) > 0;
    Tcb* l = find_listener(seg.tuple.laddr, seg.tuple.lport);
    if (newer && l != nullptr) {
      drop(t, std::nullopt);
      listen_input(*l, seg, std::move(pkt));
      return;
    }
  }
  const Instant now = this->now();
  t.last_rcv = now;
  if (t.keep_probes > 0) {
    // The peer answered: the next probe comes a full keepidle later, not keepintvl.
    t.keep_probes = 0;
    arm_keepalive(t);
  }
  if (t.ecn_ok && (seg.tos & 0x3) == 0x3) {
    ++stats_.ecn_ce;
    t.ece_pending = true;  // echo ECE until the peer's CWR (RFC 3168 6.1.3)
  }
  if (t.ecn_ok && seg.flags.has(TcpFlags::kCwr)) t.ece_pending = false;
  // RFC 7323 5.3 R1: PAWS.
  if (t.ts_ok && !seg.flags.rst()) {
    if (seg.has_ts()) {
      if (static_cast<int32_t>(seg.opts.timestamps->value - t.ts_recent) < 0) {
        if (now - t.ts_recent_age > kPawsIdle) {
          t.ts_recent = seg.opts.timestamps->value;  // TS.Recent too old to trust (RFC 7323 5.5)
        } else {
          ++stats_.pawsdrop;
          ++t.st.paws_drops;
          stats_.dropped.inc(TcpDropReason::kPaws);
          t.ack_now = true;
          output(t);
          return;
        }
      }
    } else if (!tun_.tolerate_missing_ts) {
      stats_.dropped.inc(TcpDropReason::kPaws);
      return;
    }
  }
  // The peer retransmitted its SYN: our SYN,ACK was lost. Send it again.
  if (t.state == TcpState::kSynReceived && seg.flags.syn() && !seg.flags.ack() && seg.seq == t.irs) {
    t.snd_nxt = t.iss;
    output(t);
    return;
  }
  // A retransmitted SYN,ACK in SYN_RECEIVED (simultaneous open): the SYN is old,
  // the ACK is new. Trim the SYN and keep going (FreeBSD does the same).
  if (t.state == TcpState::kSynReceived && seg.flags.syn() && seg.seq == t.irs) {
    seg.seq += 1;
    seg.flags.bits &= static_cast<uint16_t>(~TcpFlags::kSyn);
  }
  // RFC 9293 3.10.7.4 first: sequence number acceptability.
  const uint32_t rcv_wnd = seq_diff(t.rcv_adv, t.rcv_nxt);
  const uint32_t seglen = seg.seq_len();
  bool acceptable;
  if (seglen == 0) {
    acceptable = rcv_wnd == 0 ? seg.seq == t.rcv_nxt : SeqNum::in_window(seg.seq, t.rcv_nxt, rcv_wnd);
  } else {
    acceptable = rcv_wnd != 0 && (SeqNum::in_window(seg.seq, t.rcv_nxt, rcv_wnd) ||
                                  SeqNum::in_window(seg.seq + (seglen - 1), t.rcv_nxt, rcv_wnd));
    // Old duplicates overlapping RCV.NXT carry new bytes or a FIN: accept, trim later.
    if (!acceptable && seg.seq < t.rcv_nxt && seg.seq + seglen > t.rcv_nxt) acceptable = rcv_wnd != 0;
  }
  if (!acceptable) {
    if (seg.flags.rst()) {
      stats_.dropped.inc(TcpDropReason::kRstOutOfWindow);
      return;
    }
    if (seg.len > 0 && rcv_wnd == 0 && seg.seq == t.rcv_nxt) {
      ++stats_.rcvwinprobe;
    } else if (seglen > 0 && seg.seq + seglen <= t.rcv_nxt) {
      ++stats_.rcvduppack;
      stats_.rcvdupbyte += seg.len;
    } else {
      ++stats_.rcvpackafterwin;
    }
    stats_.dropped.inc(TcpDropReason::kOutOfWindow);
    if (t.state == TcpState::kTimeWait && seg.flags.fin() && seg.seq + seglen == t.rcv_nxt) {
      // The peer retransmitted its FIN (our ACK was lost): ACK it again and restart
      // 2 MSL (RFC 9293 3.10.7.4, TIME-WAIT).
      after(t.twomsl_timer, milliseconds(2ull * tun_.msl_ms));
    }
    // The ACK field of an old segment can still open our send window (zero-window
    // probe replies): process ACK-only information when the segment is not in the future.
    if (seg.flags.ack() && t.synchronized() && seg.seq <= t.rcv_nxt && seg.ack >= t.snd_una &&
        seg.ack <= t.snd_max) {
      bool stop = false;
      SegInfo ack_only = seg;
      ack_only.len = 0;
      ack_only.flags.bits &= static_cast<uint16_t>(~(TcpFlags::kFin | TcpFlags::kSyn));
      process_ack(t, ack_only, &stop);
      if (stop || t.dead) return;
    }
    t.ack_now = true;
    output(t);
    return;
  }
  // Timestamp bookkeeping (RFC 7323 4.3): TS.Recent from the segment at the left edge.
  if (t.ts_ok && seg.has_ts() && seg.seq <= t.last_ack_sent &&
      static_cast<int32_t>(seg.opts.timestamps->value - t.ts_recent) >= 0) {
    t.ts_recent = seg.opts.timestamps->value;
    t.ts_recent_age = now;
  }
  // Second: RST (RFC 5961 3.2).
  if (seg.flags.rst()) {
    if (seg.seq != t.rcv_nxt) {
      challenge_ack(t, TcpDropReason::kRstChallenged);
      return;
    }
    switch (t.state) {
      case TcpState::kSynReceived:
        drop(t, t.passive ? std::nullopt : std::optional<TcpError>(TcpError::kConnectionRefused));
        break;
      case TcpState::kClosing:
      case TcpState::kLastAck:
      case TcpState::kTimeWait:
        drop(t, std::nullopt);
        break;
      default:
        drop(t, TcpError::kConnectionReset);
        break;
    }
    return;
  }
  // Fourth: SYN in a synchronized state (RFC 5961 4.2): challenge ACK, never reset.
  if (seg.flags.syn()) {
    challenge_ack(t, TcpDropReason::kSynChallenged);
    return;
  }
  // Fifth: the ACK field.
  if (!seg.flags.ack()) {
    stats_.dropped.inc(TcpDropReason::kSynBadFlags);
    return;
  }
  bool stop = false;
  process_ack(t, seg, &stop);
  if (stop || t.dead) return;
  // Seventh / eighth: segment text and FIN.
  if (seg.len > 0 || seg.flags.fin()) {
    process_data(t, seg, std::move(pkt));
    if (t.dead) return;
  }
  output(t);
}

}  // namespace vnetref::inet::tcp
