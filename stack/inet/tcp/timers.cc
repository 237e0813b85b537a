// The per-connection timers: retransmission (RFC 6298), persist (RFC 9293 3.8.6.1),
// delayed ACK (RFC 1122 4.2.3.2), keepalive (RFC 1122 4.2.3.6) and connection-
// establishment timeout, TIME_WAIT (2 MSL) and the orphaned FIN_WAIT_2 timeout.
#include <algorithm>
#include <chrono>

#include "stack/inet/tcp/tcb.h"

namespace vnetref::inet::tcp {

using std::chrono::milliseconds;

void TcpStackImpl::arm_rexmt(Tcb& t) {
  t.in_persist = false;
  after(t.rexmt_timer, t.rtt.rto(t.rxtshift));
}

void TcpStackImpl::rexmt_timeout(Tcb& t) {
  if (t.dead) return;
  const bool handshake = t.state == TcpState::kSynSent || t.state == TcpState::kSynReceived;
  if (!handshake) {
    const bool unsent = seq_diff(t.snd_nxt, t.data_start()) < t.sndq.size() ||
                        (t.fin_queued && t.snd_max <= t.fin_seq);
    if (t.flight() == 0 && !unsent) return;  // armed by retry_later(); nothing left to do
    if (t.flight() == 0) {
      // Earlier sends failed for lack of buffers: try again without counting a timeout.
      output(t);
      return;
    }
  }
  ++t.rxtshift;
  uint32_t limit = tun_.maxrxtshift;
  if (t.state == TcpState::kSynReceived && t.passive) limit = tun_.syncache_rexmtlimit;
  if (t.rxtshift > limit) {
    ++stats_.timeoutdrop;
    if (t.passive && t.state == TcpState::kSynReceived) ++stats_.sc_dropped;
    drop(t, t.soft_error.value_or(TcpError::kTimedOut));
    return;
  }
  ++stats_.rexmttimeo;
  ++t.st.rto_events;
  t.rtt_timing = false;  // Karn: nothing retransmitted may be timed
  if (handshake) {
    if (t.state == TcpState::kSynReceived && t.passive) ++stats_.sc_retransmitted;
    t.snd_nxt = t.iss;
    output(t);
    return;
  }
  // RFC 5681 eq. 4 on the first timeout only; later ones keep ssthresh (cwnd = 1 SMSS).
  if (t.rxtshift == 1) {
    t.cca->on_rto(t.cc, t.flight(), now());
  } else {
    t.cc.cwnd = t.maxseg;
  }
  t.in_recovery = false;
  t.dupacks = 0;
  t.recover = t.snd_max;  // RFC 6582 section 3.2 step 4
  t.high_rxt = t.snd_una;
  t.sb.clear();           // the receiver may have reneged (RFC 2018 section 8)
  if (t.ts_ok) {
    t.ts_floor = ts_now(t);  // Karn's rule for timestamps (see Tcb::ts_floor)
    t.ts_floor_valid = true;
  }
  t.snd_nxt = t.snd_una;  // go back and resend from the first unacknowledged byte
  output(t);
  if (!t.rexmt_timer.armed() && !t.in_persist && t.flight() > 0) arm_rexmt(t);
}

void TcpStackImpl::start_persist(Tcb& t) {
  t.in_persist = true;
  Duration d = t.rtt.rto(t.persist_shift);
  d = std::clamp<Duration>(d, milliseconds(tun_.persmin_ms), milliseconds(tun_.persmax_ms));
  after(t.rexmt_timer, d);
}

void TcpStackImpl::exit_persist(Tcb& t) {
  if (!t.in_persist) return;
  t.in_persist = false;
  t.persist_shift = 0;
  t.rexmt_timer.cancel();
  // The probe byte may have been dropped by the receiver: resend it in order.
  t.snd_nxt = t.snd_una;
}

void TcpStackImpl::persist_timeout(Tcb& t) {
  if (t.dead) return;
  ++stats_.persisttimeo;
  ++stats_.sndprobe;
  ++t.st.zero_window_probes;
  // A probe: one byte at SND.UNA beyond the closed window (or the FIN when only it is left).
  t.snd_nxt = t.snd_una;
  t.in_persist = false;  // let try_send_new run
  bool sent = try_send_new(t, /*use_cwnd=*/false, /*force=*/true);
  (void)sent;
  t.rexmt_timer.cancel();
  ++t.persist_shift;
  if (t.snd_wnd == 0 || seq_diff(t.snd_nxt, t.data_start()) < t.sndq.size()) {
    start_persist(t);
  } else if (t.flight() > 0) {
    arm_rexmt(t);
  }
}

void TcpStackImpl::delack_timeout(Tcb& t) {
  if (t.dead || !t.delack_pending) return;
  t.delack_pending = false;
  ++stats_.delack;
  send_ack(t);
}

void TcpStackImpl::arm_keepalive(Tcb& t) {
  if (!t.keepalive || !t.have_established()) {
    t.keep_timer.cancel();
    return;
  }
  Instant base = std::max(t.last_rcv, now() - milliseconds(t.keepidle_ms));
  wheel_.schedule(t.keep_timer, base + milliseconds(t.keepidle_ms));
}

void TcpStackImpl::keep_timeout(Tcb& t) {
  if (t.dead) return;
  if (t.state == TcpState::kSynSent || t.state == TcpState::kSynReceived) {
    // Connection establishment timeout (net.inet.tcp.keepinit).
    ++stats_.timeoutdrop;
    drop(t, t.soft_error.value_or(TcpError::kTimedOut));
    return;
  }
  if (!t.keepalive || !t.have_established() || t.state == TcpState::kTimeWait) return;
  const Instant now = this->now();
  const Duration idle = now - t.last_rcv;
  if (idle < milliseconds(t.keepidle_ms)) {
    // Traffic arrived since the timer was set: sleep until keepidle after it (lazy
    // re-arming keeps the per-segment path free of timer work).
    wheel_.schedule(t.keep_timer, t.last_rcv + milliseconds(t.keepidle_ms));
    return;
  }
  if (t.keep_probes >= t.keepcnt) {
    ++stats_.keepdrops;
    drop(t, TcpError::kTimedOut);
    return;
  }
  // RFC 1122 4.2.3.6: a segment with SEG.SEQ = SND.NXT - 1 (no data) elicits an ACK.
  ++t.keep_probes;
  ++stats_.keepprobe;
  ++t.st.keepalive_probes;
  send_segment(t, t.snd_una - 1, 0, wire::TcpFlags::kAck);
  after(t.keep_timer, milliseconds(t.keepintvl_ms));
}

void TcpStackImpl::enter_time_wait(Tcb& t) {
  set_state(t, TcpState::kTimeWait);
  t.rexmt_timer.cancel();
  t.keep_timer.cancel();
  t.in_persist = false;
  t.sndq.clear();
  after(t.twomsl_timer, milliseconds(2ull * tun_.msl_ms));
  if (!t.notified_closed) {
    t.notified_closed = true;
    notify(t, Event::kClosed);
  }
}

void TcpStackImpl::twomsl_timeout(Tcb& t) {
  if (t.dead) return;
  if (t.state == TcpState::kFinWait2) ++stats_.finwait2_drops;
  drop(t, std::nullopt);
}

}  // namespace vnetref::inet::tcp
