// Segment output: what to send (tcp_output's decisions: windows, Nagle, SWS, FIN,
// RFC 6675 NextSeg) and how (header + options in a fresh pool buffer, payload as
// zero-copy clones of the send buffer, checksum over the chain, ip_output).
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
constexpr uint8_t kTtl = 64;          // net.inet.ip.ttl default
constexpr uint8_t kEct0 = 0x02;       // RFC 3168 ECT(0) codepoint
constexpr uint32_t kMaxHeader = 60;

void write_header(uint8_t* h, const FourTuple& t, SeqNum seq, SeqNum ack, uint16_t flags, uint16_t window,
                  size_t hlen) {
  std::span<uint8_t> b(h, hlen);
  wire::store_be16(b, 0, t.lport);
  wire::store_be16(b, 2, t.rport);
  wire::store_be32(b, 4, seq.raw());
  wire::store_be32(b, 8, ack.raw());
  wire::store_be16(b, 12, static_cast<uint16_t>(((hlen / 4) << 12) | (flags & TcpFlags::kMask)));
  wire::store_be16(b, 14, window);
  wire::store_be16(b, 16, 0);
  wire::store_be16(b, 18, 0);
}
}  // namespace

bool TcpStackImpl::transmit(core::PacketPtr p, const FourTuple& tuple, uint8_t tos, const uint16_t* pseudo_base) {
  // Checksum over pseudo-header + every segment of the chain (SIMD ones_sum inside).
  wire::ChecksumAccumulator acc;
  if (pseudo_base != nullptr) {
    acc.add16(wire::ones_add(*pseudo_base, static_cast<uint16_t>(p->pkt_len)));
  } else {
    acc.add16(wire::ipv4_pseudo_header_sum(wire::Ipv4Address(tuple.laddr), wire::Ipv4Address(tuple.raddr),
                                           wire::kIpProtoTcp, static_cast<uint16_t>(p->pkt_len)));
  }
  for (const core::Packet* s = p.get(); s != nullptr; s = s->next) acc.add(s->bytes());
  wire::store_be16(std::span<uint8_t>(p->data(), 20), 16, acc.checksum());
  ++stats_.sndtotal;
  IpMeta meta;
  meta.src = tuple.laddr;
  meta.dst = tuple.raddr;
  meta.protocol = wire::kIpProtoTcp;
  meta.ttl = kTtl;
  meta.tos = tos;
  meta.dont_fragment = true;  // RFC 1191 path MTU discovery
  auto st = ip_.ip_output(std::move(p), meta);
  if (!st) {
    stats_.dropped.inc(TcpDropReason::kIpOutput);
    last_ip_error_ = st.error();
    return false;
  }
  return true;
}

void TcpStackImpl::send_bare(const FourTuple& tuple, SeqNum seq, SeqNum ack, uint16_t flags, uint16_t window,
                             const wire::TcpOptions& opts) {
  core::PacketPtr p = pool_.alloc();
  if (!p) {
    stats_.dropped.inc(TcpDropReason::kNoBuffers);
    return;
  }
  size_t hlen = 20 + opts.encoded_len();
  if (p->tailroom() < hlen) return;
  uint8_t* h = p->data();
  write_header(h, tuple, seq, ack, flags, window, hlen);
  if (hlen > 20) {
    auto r = opts.emit(std::span<uint8_t>(h + 20, hlen - 20));
    if (!r) return;
  }
  p->data_len = p->pkt_len = static_cast<uint32_t>(hlen);
  if (flags & TcpFlags::kRst) ++stats_.sndrst;
  ++stats_.sndctrl;
  transmit(std::move(p), tuple, 0);
}

void TcpStackImpl::send_rst_reply(const SegInfo& seg) {
  if (seg.flags.rst()) return;  // never answer a RST (RFC 9293 3.10.7.1)
  // Not to broadcast/multicast sources (RFC 1122 4.2.3.10 in spirit).
  if (seg.tuple.raddr == 0 || seg.tuple.raddr == 0xffffffffu || (seg.tuple.raddr >> 28) == 0xe) return;
  wire::TcpOptions none;
  if (seg.flags.ack()) {
    send_bare(seg.tuple, seg.ack, SeqNum(0), TcpFlags::kRst, 0, none);
  } else {
    send_bare(seg.tuple, SeqNum(0), seg.seq + seg.seq_len(), TcpFlags::kRst | TcpFlags::kAck, 0, none);
  }
}

void TcpStackImpl::send_rst(Tcb& t) {
  if (t.tuple.raddr == 0) return;
  send_segment(t, t.snd_max, 0, TcpFlags::kRst | TcpFlags::kAck);
}

void TcpStackImpl::challenge_ack(Tcb& t, TcpDropReason why) {
  stats_.dropped.inc(why);
  Instant now = this->now();
  if (now - t.ack_war_start >= milliseconds(tun_.ack_war_timewindow_ms)) {
    t.ack_war_start = now;
    t.ack_war_cnt = 0;
  }
  // RFC 5961 section 7: bound challenge ACKs per time window (0 = no limit).
  if (tun_.ack_war_maxcnt != 0 && t.ack_war_cnt >= tun_.ack_war_maxcnt) {
    stats_.dropped.inc(TcpDropReason::kChallengeRateLimit);
    return;
  }
  ++t.ack_war_cnt;
  ++stats_.challenge_acks;
  ++t.st.challenge_acks;
  send_ack(t);
}

uint32_t TcpStackImpl::receive_window(Tcb& t) const {
  uint32_t space = t.rcvbuf_limit > t.rcvq.size() ? t.rcvbuf_limit - t.rcvq.size() : 0;
  // Receiver SWS avoidance (RFC 9293 3.8.6.2.2): do not offer a sliver.
  if (space < t.rcvbuf_limit / 4 && space < t.maxseg) space = 0;
  uint32_t max_win = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{65535} << t.rcv_wscale, 0x3fffffff));
  space = std::min(space, max_win);
  // Never shrink the window already offered (RFC 9293 3.8.6).
  return std::max(space, seq_diff(t.rcv_adv, t.rcv_nxt));
}

void TcpStackImpl::maybe_window_update(Tcb& t) {
  if (t.dead || !t.synchronized() || t.fin_received) return;
  uint32_t now_win = receive_window(t);
  uint32_t offered = seq_diff(t.rcv_adv, t.rcv_nxt);
  if (now_win <= offered) return;
  uint32_t inc = now_win - offered;
  if (inc >= std::min(t.rcvbuf_limit / 2, 2 * t.maxseg) || (offered == 0 && inc >= t.maxseg)) {
    ++stats_.sndwinup;
    send_ack(t);
  }
}

bool TcpStackImpl::send_segment(Tcb& t, SeqNum seq, uint32_t len, uint16_t flags) {
  core::PacketPtr p = pool_.alloc();
  if (!p) {
    stats_.dropped.inc(TcpDropReason::kNoBuffers);
    retry_later(t);
    return false;
  }
  const bool syn = flags & TcpFlags::kSyn;
  const bool rst = flags & TcpFlags::kRst;
  wire::TcpOptions o;
  if (syn) {
    o.mss = static_cast<uint16_t>(local_mss(t.tuple.raddr, t.user_maxseg));
    const bool synack = flags & TcpFlags::kAck;
    if (synack ? t.ws_ok : t.req_ws) o.window_scale = t.rcv_wscale;
    if (synack ? t.sack_ok : t.req_sack) o.sack_permitted = true;
    if (synack ? t.ts_ok : t.req_ts) o.timestamps = wire::TcpTimestamps{ts_now(t), synack ? t.ts_recent : 0};
  } else {
    if (t.ts_ok) o.timestamps = wire::TcpTimestamps{ts_now(t), t.ts_recent};
    if (t.sack_ok && !rst && !t.reass.empty() && (flags & TcpFlags::kAck)) {
      o.sack_count = static_cast<uint8_t>(
          t.reass.sack_blocks(std::span<wire::SackBlock>(o.sack_blocks.data(), t.ts_ok ? 3 : 4)));
    }
  }
  // Timestamps alone (every data segment and most ACKs): NOP, NOP, TS written directly.
  const bool ts_only = !syn && o.timestamps && o.sack_count == 0;
  const size_t hlen = ts_only ? 32 : 20 + o.encoded_len();
  if (hlen > kMaxHeader || p->tailroom() < hlen) return false;
  // Window: unscaled in SYNs (RFC 7323 2.2); rounded up so the offered edge never recedes.
  uint32_t win = receive_window(t);
  uint16_t field;
  if (syn) {
    field = static_cast<uint16_t>(std::min<uint32_t>(win, 65535));
  } else {
    uint32_t unit = 1u << t.rcv_wscale;
    field = static_cast<uint16_t>(std::min<uint32_t>((win + unit - 1) >> t.rcv_wscale, 65535));
  }
  if ((flags & TcpFlags::kAck) && t.ecn_ok && t.ece_pending && !syn) flags |= TcpFlags::kEce;
  uint8_t* h = p->data();
  const SeqNum ack = (flags & TcpFlags::kAck) ? t.rcv_nxt : SeqNum(0);
  write_header(h, t.tuple, seq, ack, flags, field, hlen);
  if (ts_only) {
    std::span<uint8_t> b(h, hlen);
    h[20] = wire::tcp_option::kNop;
    h[21] = wire::tcp_option::kNop;
    h[22] = wire::tcp_option::kTimestamps;
    h[23] = 10;
    wire::store_be32(b, 24, o.timestamps->value);
    wire::store_be32(b, 28, o.timestamps->echo_reply);
  } else if (hlen > 20) {
    auto r = o.emit(std::span<uint8_t>(h + 20, hlen - 20));
    if (!r) return false;
  }
  p->data_len = p->pkt_len = static_cast<uint32_t>(hlen);
  if (len > 0) {
    core::Packet* tail = p.get();
    uint32_t off = seq_diff(seq, t.data_start());
    if (!t.sndq.clone_range(off, len, pool_, &tail)) {
      stats_.dropped.inc(TcpDropReason::kNoBuffers);
      retry_later(t);
      return false;
    }
    p->pkt_len += len;
  }
  // Bookkeeping before handing the segment over (the IP layer may deliver synchronously).
  const bool rexmit = len > 0 && seq < t.snd_max;
  if (flags & TcpFlags::kAck) {
    t.last_ack_sent = t.rcv_nxt;
    if (!syn) {
      SeqNum edge = t.rcv_nxt + (uint32_t{field} << t.rcv_wscale);
      if (edge > t.rcv_adv) t.rcv_adv = edge;
    } else {
      t.rcv_adv = t.rcv_nxt + field;
    }
    t.ack_now = false;
    t.unacked_segs = 0;
    if (t.delack_pending) {
      t.delack_pending = false;
      t.delack_timer.cancel();
    }
  }
  ++t.st.segs_out;
  if (len > 0) {
    t.st.bytes_sent += len;
    if (rexmit) {
      ++stats_.sndrexmitpack;
      stats_.sndrexmitbyte += len;
      ++t.st.retransmits;
    } else {
      ++stats_.sndpack;
      stats_.sndbyte += len;
    }
  } else if (flags & (TcpFlags::kSyn | TcpFlags::kFin | TcpFlags::kRst)) {
    ++stats_.sndctrl;
    if (rst) ++stats_.sndrst;
  } else {
    ++stats_.sndacks;
  }
  uint8_t tos = (t.ecn_ok && len > 0 && !rexmit) ? kEct0 : 0;
  if (!transmit(std::move(p), t.tuple, tos, t.in_demux ? &t.pseudo_base : nullptr)) {
    switch (last_ip_error_) {
      case IpSendError::kMessageTooBig: {
        // The path MTU shrank under us (RFC 1191): resize and resend from SND.UNA.
        const uint32_t before = t.maxseg;
        compute_maxseg(t);
        if (t.maxseg < before) t.snd_nxt = t.snd_una;
        break;
      }
      case IpSendError::kNoRoute:
        t.soft_error = TcpError::kNetworkUnreachable;
        break;
      case IpSendError::kNoBuffers:
        break;
      default:
        t.soft_error = TcpError::kHostUnreachable;
        break;
    }
    // The segment is lost; the retransmission timer resends it.
    retry_later(t);
    return false;
  }
  return true;
}

void TcpStackImpl::retry_later(Tcb& t) {
  // Out of buffers: make sure a timer brings us back (rexmt_timeout() resends
  // whatever is unacknowledged or unsent; it ignores an idle connection).
  if (!t.rexmt_timer.armed()) arm_rexmt(t);
}

uint32_t TcpStackImpl::retransmit_at(Tcb& t, SeqNum seq, uint32_t max) {
  SeqNum data_end = t.data_start() + t.sndq.size();
  uint32_t len = std::min(max, seq_diff(data_end, seq));
  uint16_t flags = TcpFlags::kAck;
  // The FIN rides along when the segment reaches it and it was sent before.
  if (t.fin_queued && seq + len == t.fin_seq && t.snd_max > t.fin_seq) flags |= TcpFlags::kFin;
  if (len == 0 && !(flags & TcpFlags::kFin)) return 0;
  if (len > 0 && seq + len == data_end) flags |= TcpFlags::kPsh;
  if (!send_segment(t, seq, len, flags)) return 0;
  return len + ((flags & TcpFlags::kFin) ? 1 : 0);
}

bool TcpStackImpl::try_send_new(Tcb& t, bool use_cwnd, bool force) {
  const SeqNum ds = t.data_start();
  const uint32_t size = t.sndq.size();
  const uint32_t off = seq_diff(t.snd_nxt, ds);
  const uint32_t avail = off < size ? size - off : 0;
  const bool fin_unsent = t.fin_queued && t.snd_nxt <= t.fin_seq;
  if (avail == 0 && !fin_unsent) return false;
  const uint32_t inflight = seq_diff(t.snd_nxt, t.snd_una);
  uint32_t wnd = use_cwnd ? std::min(t.snd_wnd, t.cc.cwnd) : t.snd_wnd;
  uint32_t usable = wnd > inflight ? wnd - inflight : 0;
  if (force && usable == 0) usable = 1;  // persist probe: one byte past the window
  uint32_t len = std::min({avail, usable, t.maxseg});
  const bool fin = fin_unsent && t.snd_nxt + len == t.fin_seq;
  bool send = false;
  if (len > 0) {
    if (len == t.maxseg || force) {
      send = true;
    } else if ((t.nodelay || inflight == 0) && off + len == size) {
      send = true;  // Nagle (RFC 896): small segments only when nothing is unacknowledged
    } else if (t.max_sndwnd > 0 && len >= t.max_sndwnd / 2) {
      send = true;  // sender SWS avoidance (RFC 9293 3.8.6.2.1)
    } else if (t.snd_nxt < t.snd_max) {
      send = true;  // going back over data sent before (after a timeout)
    }
  }
  if (fin && len == avail) send = true;
  if (!send) return false;
  uint16_t flags = TcpFlags::kAck;
  if (fin) flags |= TcpFlags::kFin;
  if (len > 0 && off + len == size) flags |= TcpFlags::kPsh;
  if (t.cwr_pending && len > 0) {
    flags |= TcpFlags::kCwr;
    t.cwr_pending = false;
  }
  const bool new_data = t.snd_nxt == t.snd_max;
  if (!send_segment(t, t.snd_nxt, len, flags)) return false;
  if (len > 0 && new_data && !t.rtt_timing) {
    t.rtt_timing = true;
    t.rtt_seq = t.snd_nxt;
    t.rtt_start = now();
  }
  t.snd_nxt += len + (fin ? 1 : 0);
  if (t.snd_nxt > t.snd_max) t.snd_max = t.snd_nxt;
  if (!t.rexmt_timer.armed()) arm_rexmt(t);
  return true;
}

void TcpStackImpl::sack_recovery_output(Tcb& t) {
  // RFC 6675 section 5, step (C): while cwnd - pipe >= 1 SMSS, send NextSeg().
  for (int guard = 0; guard < 4096; ++guard) {
    uint32_t pipe = t.sb.pipe(t.snd_una, t.snd_max, t.high_rxt, t.maxseg);
    if (t.cc.cwnd <= pipe || t.cc.cwnd - pipe < t.maxseg) return;
    if (auto r = t.sb.next_lost(t.snd_una, t.high_rxt, t.maxseg)) {
      uint32_t sent = retransmit_at(t, r->start, r->len);
      if (sent == 0) return;
      t.high_rxt = r->start + sent;
      ++stats_.sack_rexmits;
      continue;
    }
    if (t.snd_nxt == t.snd_max && try_send_new(t, /*use_cwnd=*/false, false)) continue;
    if (auto r = t.sb.next_unsacked(t.snd_una, t.high_rxt, t.maxseg)) {
      uint32_t sent = retransmit_at(t, r->start, r->len);
      if (sent == 0) return;
      t.high_rxt = r->start + sent;
      ++stats_.sack_rexmits;
      continue;
    }
    // Rule (4): one rescue retransmission per recovery, of the highest un-SACKed
    // segment, so a lost last segment does not wait for the timer. HighRxt unchanged.
    if (!t.rescue_valid || t.snd_una > t.rescue_rxt) {
      if (auto r = t.sb.rescue(t.snd_una, t.snd_max, t.maxseg)) {
        if (retransmit_at(t, r->start, r->len) == 0) return;
        t.rescue_rxt = t.recover;
        t.rescue_valid = true;
        ++stats_.sack_rexmits;
        ++stats_.sack_rescue_rexmits;
        continue;
      }
    }
    return;
  }
}

void TcpStackImpl::output(Tcb& t) {
  if (t.dead) return;
  if (t.state == TcpState::kSynSent || t.state == TcpState::kSynReceived) {
    if (t.snd_nxt == t.iss) {
      uint16_t flags = TcpFlags::kSyn;
      if (t.state == TcpState::kSynReceived) {
        flags |= TcpFlags::kAck;
        if (t.ecn_ok) flags |= TcpFlags::kEce;
      } else if (t.req_ecn) {
        flags |= TcpFlags::kEce | TcpFlags::kCwr;
      }
      if (send_segment(t, t.iss, 0, flags) && t.rxtshift == 0 && !t.rtt_timing) {
        t.rtt_timing = true;
        t.rtt_seq = t.iss;
        t.rtt_start = now();
      }
      t.snd_nxt = t.iss + 1;
      if (t.snd_max < t.snd_nxt) t.snd_max = t.snd_nxt;
      if (!t.rexmt_timer.armed()) arm_rexmt(t);
    } else if (t.ack_now) {
      send_ack(t);
    }
    return;
  }
  if (!t.synchronized()) return;
  if (!t.in_persist) {
    if (t.in_recovery && t.sack_ok) {
      sack_recovery_output(t);
    } else {
      for (int guard = 0; guard < 65536 && try_send_new(t, true, false); ++guard) {
      }
    }
  }
  if (t.ack_now) send_ack(t);
  // Data waiting, nothing in flight, and the window too small to send: persist
  // (RFC 9293 3.8.6.1), so a lost window update cannot deadlock the connection.
  const uint32_t off = seq_diff(t.snd_nxt, t.data_start());
  const bool pending = off < t.sndq.size();
  if (pending && !t.in_persist && t.snd_nxt == t.snd_una && !t.rexmt_timer.armed() &&
      t.snd_wnd < std::min<uint32_t>(t.sndq.size() - off, t.maxseg)) {
    start_persist(t);
  }
}

}  // namespace vnetref::inet::tcp
