// The socket API, the socket table and connection lifecycle.
#include <algorithm>
#include <chrono>

#include "stack/inet/tcp/tcb.h"
#include "stack/wire/checksum.h"

namespace vnetref::inet::tcp {

using core::Err;
using core::Ok;
using std::chrono::milliseconds;

const char* name_of(TcpState s) {
  switch (s) {
    case TcpState::kClosed: return "CLOSED";
    case TcpState::kListen: return "LISTEN";
    case TcpState::kSynSent: return "SYN_SENT";
    case TcpState::kSynReceived: return "SYN_RECEIVED";
    case TcpState::kEstablished: return "ESTABLISHED";
    case TcpState::kFinWait1: return "FIN_WAIT_1";
    case TcpState::kFinWait2: return "FIN_WAIT_2";
    case TcpState::kCloseWait: return "CLOSE_WAIT";
    case TcpState::kClosing: return "CLOSING";
    case TcpState::kLastAck: return "LAST_ACK";
    case TcpState::kTimeWait: return "TIME_WAIT";
    case TcpState::kCount: break;
  }
  return "?";
}

const char* name_of(TcpError e) {
  switch (e) {
    case TcpError::kInvalidArgument: return "invalid_argument";
    case TcpError::kBadSocket: return "bad_socket";
    case TcpError::kAddressInUse: return "address_in_use";
    case TcpError::kAddressNotAvailable: return "address_not_available";
    case TcpError::kNotConnected: return "not_connected";
    case TcpError::kAlreadyConnected: return "already_connected";
    case TcpError::kInProgress: return "in_progress";
    case TcpError::kNotListening: return "not_listening";
    case TcpError::kWouldBlock: return "would_block";
    case TcpError::kConnectionRefused: return "connection_refused";
    case TcpError::kConnectionReset: return "connection_reset";
    case TcpError::kConnectionAborted: return "connection_aborted";
    case TcpError::kTimedOut: return "timed_out";
    case TcpError::kHostUnreachable: return "host_unreachable";
    case TcpError::kNetworkUnreachable: return "network_unreachable";
    case TcpError::kNoBuffers: return "no_buffers";
    case TcpError::kBrokenPipe: return "broken_pipe";
    case TcpError::kTooManySockets: return "too_many_sockets";
    case TcpError::kCount: break;
  }
  return "?";
}

// ---------------------------------------------------------------------------------
// Tcb

Tcb::Tcb(TcpStackImpl& s, uint32_t slot_index)
    : stack(s),
      slot(slot_index),
      rtt(RttEstimator::Params{milliseconds(s.tun_.rexmit_initial_ms), milliseconds(s.tun_.rexmit_min_ms),
                               milliseconds(s.tun_.rexmit_max_ms), milliseconds(s.tun_.rexmit_slop_ms)}) {
  rexmt_timer.set_callback([this] {
    TcpStackImpl::Guard g(stack);
    if (in_persist) stack.persist_timeout(*this); else stack.rexmt_timeout(*this);
  });
  delack_timer.set_callback([this] {
    TcpStackImpl::Guard g(stack);
    stack.delack_timeout(*this);
  });
  keep_timer.set_callback([this] {
    TcpStackImpl::Guard g(stack);
    stack.keep_timeout(*this);
  });
  twomsl_timer.set_callback([this] {
    TcpStackImpl::Guard g(stack);
    stack.twomsl_timeout(*this);
  });
  keepidle_ms = s.tun_.keepidle_ms;
  keepintvl_ms = s.tun_.keepintvl_ms;
  keepcnt = s.tun_.keepcnt;
  keepalive = s.tun_.always_keepalive != 0;
  sndbuf_limit = s.tun_.sendspace;
  rcvbuf_limit = s.tun_.recvspace;
  cca = make_congestion_control(s.tun_.congestion());
}

Tcb::~Tcb() = default;

// ---------------------------------------------------------------------------------
// TcpStackImpl: construction, table, lifecycle

TcpStackImpl::TcpStackImpl(TcpStack& owner, core::Clock& clock, core::TimerWheel& wheel, core::BufferPool& pool,
                           IpOutput& ip, const TcpTunables& tunables)
    : owner_(owner),
      clock_(clock),
      wheel_(wheel),
      pool_(pool),
      ip_(ip),
      tun_(tunables),
      isn_key_{siphash_words(SipKey{tunables.secret_seed, 1}, 1), siphash_words(SipKey{tunables.secret_seed, 1}, 2)},
      ts_key_{siphash_words(SipKey{tunables.secret_seed, 2}, 1), siphash_words(SipKey{tunables.secret_seed, 2}, 2)},
      cookies_(SipKey{siphash_words(SipKey{tunables.secret_seed, 3}, 1),
                      siphash_words(SipKey{tunables.secret_seed, 3}, 2)}),
      port_rng_(siphash_words(SipKey{tunables.secret_seed, 4}, 1) | 1) {}

TcpStackImpl::~TcpStackImpl() {
  // Timers first (their callbacks reference the TCBs), then the TCBs.
  for (Slot& s : slots_) {
    if (s.tcb) {
      s.tcb->rexmt_timer.cancel();
      s.tcb->delack_timer.cancel();
      s.tcb->keep_timer.cancel();
      s.tcb->twomsl_timer.cancel();
    }
  }
  slots_.clear();
}

void TcpStackImpl::flush() {
  ++depth_;  // callbacks re-enter the API; keep deferring while we drain
  for (size_t i = 0; i < events_.size(); ++i) {
    PendingEvent ev = events_[i];
    Tcb* t = lookup(ev.id);
    if (t == nullptr) continue;
    if (!t->cb) continue;
    const std::shared_ptr<const TcpCallbacks> keep = t->cb;
    const TcpCallbacks& cb = *keep;
    switch (ev.e) {
      case Event::kConnected:
        if (cb.on_connected) cb.on_connected(ev.id);
        break;
      case Event::kAcceptable:
        if (cb.on_acceptable) cb.on_acceptable(ev.id);
        break;
      case Event::kReadable:
        if (cb.on_readable) cb.on_readable(ev.id);
        break;
      case Event::kWritable:
        if (cb.on_writable) cb.on_writable(ev.id);
        break;
      case Event::kClosed:
        if (cb.on_closed) cb.on_closed(ev.id, ev.err);
        break;
    }
  }
  events_.clear();
  for (uint32_t idx : to_free_) {
    Slot& s = slots_[idx];
    if (s.tcb && s.tcb->dead && !s.tcb->handle) {
      s.tcb.reset();
      ++s.gen;
      free_slots_.push_back(idx);
      --live_;
    }
  }
  to_free_.clear();
  --depth_;
}

Tcb* TcpStackImpl::lookup(SocketId id) const {
  if (id.index >= slots_.size()) return nullptr;
  const Slot& s = slots_[id.index];
  if (!s.tcb || s.gen != id.generation || !s.tcb->handle) return nullptr;
  return s.tcb.get();
}

core::Result<Tcb*, TcpError> TcpStackImpl::alloc_tcb() {
  if (live_ >= tun_.maxsockets) return Err(TcpError::kTooManySockets);
  uint32_t idx;
  if (!free_slots_.empty()) {
    idx = free_slots_.back();
    free_slots_.pop_back();
  } else {
    idx = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[idx].tcb = std::make_unique<Tcb>(*this, idx);
  ++live_;
  return slots_[idx].tcb.get();
}

void TcpStackImpl::release_handle(Tcb& t) {
  t.handle = false;
  ++slots_[t.slot].gen;  // the id the application held is now stale
  t.cb.reset();
  if (t.dead) to_free_.push_back(t.slot);
}

void TcpStackImpl::notify(Tcb& t, Event e, std::optional<TcpError> err) {
  if (!t.handle) {
    // An unaccepted child: its listener hears about it instead.
    if (e == Event::kConnected && t.parent != nullptr && t.parent->handle) {
      events_.push_back({id_of(*t.parent), Event::kAcceptable, std::nullopt});
    }
    return;
  }
  const SocketId id = id_of(t);
  // A burst of segments in one call needs one readable / writable callback, not one each.
  if (!events_.empty() && !err && events_.back().e == e && events_.back().id == id && !events_.back().err) return;
  events_.push_back({id, e, err});
}

void TcpStackImpl::set_state(Tcb& t, TcpState s) { t.state = s; }

void TcpStackImpl::demux_insert(Tcb& t) {
  if (t.in_demux) return;
  if (last_hit_ != nullptr && last_hit_->tuple == t.tuple) last_hit_ = nullptr;
  conns_[t.tuple] = &t;
  t.pseudo_base = wire::ipv4_pseudo_header_sum(wire::Ipv4Address(t.tuple.laddr), wire::Ipv4Address(t.tuple.raddr),
                                               wire::kIpProtoTcp, 0);
  t.in_demux = true;
}

void TcpStackImpl::demux_remove(Tcb& t) {
  if (last_hit_ == &t) last_hit_ = nullptr;
  if (!t.in_demux) return;
  auto it = conns_.find(t.tuple);
  if (it != conns_.end() && it->second == &t) conns_.erase(it);
  t.in_demux = false;
}

void TcpStackImpl::drop(Tcb& t, std::optional<TcpError> err) {
  if (t.dead) return;
  const bool listener = t.state == TcpState::kListen;
  const bool was_synced = t.have_established();
  const bool embryonic = t.state == TcpState::kSynReceived || t.state == TcpState::kSynSent;
  if (err) {
    if (embryonic) ++stats_.conndrops; else if (was_synced && t.state != TcpState::kTimeWait) ++stats_.drops;
  }
  ++stats_.closed;
  t.state = TcpState::kClosed;
  t.dead = true;
  demux_remove(t);
  if (listener) {
    auto it = listeners_.find((uint64_t{t.tuple.laddr} << 16) | t.tuple.lport);
    if (it != listeners_.end() && it->second == &t) listeners_.erase(it);
  }
  if (t.bound) {
    auto it = bound_ports_.find(t.tuple.lport);
    if (it != bound_ports_.end() && --it->second == 0) bound_ports_.erase(it);
    t.bound = false;
  }
  t.rexmt_timer.cancel();
  t.delack_timer.cancel();
  t.keep_timer.cancel();
  t.twomsl_timer.cancel();
  if (t.parent != nullptr) {
    Tcb& l = *t.parent;
    if (t.in_accept_q) {
      auto it = std::find(l.accept_q.begin(), l.accept_q.end(), &t);
      if (it != l.accept_q.end()) l.accept_q.erase(it);
      t.in_accept_q = false;
    } else if (l.embryonic > 0) {
      --l.embryonic;
      --embryonic_total_;
    }
    t.parent = nullptr;
  }
  t.sndq.clear();
  t.reass.clear();
  if (err) {
    // RFC 9293 3.10.7: a reset flushes the queues; the application sees the error.
    t.rcvq.clear();
    t.so_error = err;
  }
  if (!t.notified_closed) {
    t.notified_closed = true;
    notify(t, Event::kClosed, err);
  }
  if (!t.handle) to_free_.push_back(t.slot);
}

void TcpStackImpl::init_connection(Tcb& t) {
  t.rtt = RttEstimator(RttEstimator::Params{milliseconds(tun_.rexmit_initial_ms), milliseconds(tun_.rexmit_min_ms),
                                            milliseconds(tun_.rexmit_max_ms), milliseconds(tun_.rexmit_slop_ms)});
  t.cc.abc_l = tun_.abc_l_var;
}

uint32_t TcpStackImpl::local_mss(uint32_t raddr, uint32_t user_maxseg) const {
  uint32_t mtu = ip_.path_mtu(raddr);
  uint32_t mss = mtu > 40 ? mtu - 40 : tun_.mssdflt;
  if (mss > 65495) mss = 65495;
  if (user_maxseg > 0) mss = std::min(mss, user_maxseg);
  return std::max(mss, tun_.minmss);
}

void TcpStackImpl::compute_maxseg(Tcb& t) {
  uint32_t mss = std::min(t.peer_mss, local_mss(t.tuple.raddr, t.user_maxseg));
  if (t.pmtu_mss > 0) mss = std::min(mss, t.pmtu_mss);
  mss = std::max(mss, tun_.minmss);
  // Options that ride on every segment come out of the MSS (FreeBSD's t_maxseg).
  if (t.ts_ok) mss -= 12;
  t.maxseg = mss;
  t.cc.smss = mss;
}

uint32_t TcpStackImpl::ts_now(const Tcb& t) const {
  // 1 ms timestamp clock (RFC 7323 section 5.4 allows 1 ms .. 1 s per tick).
  int64_t ms = core::to_nanos(now()) / 1000000;
  return static_cast<uint32_t>(ms) + t.ts_offset;
}

uint32_t TcpStackImpl::make_iss(const FourTuple& ft) const {
  // RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us timer.
  uint64_t m = static_cast<uint64_t>(core::to_nanos(now()) / 4000);
  uint64_t f = siphash_words(isn_key_, (uint64_t{ft.laddr} << 32) | ft.raddr,
                             (uint64_t{ft.lport} << 16) | ft.rport);
  return static_cast<uint32_t>(m + f);
}

uint32_t TcpStackImpl::make_ts_offset(const FourTuple& ft) const {
  // RFC 7323 5.4 / RFC 6528-style: a per-connection random offset hides uptime.
  return static_cast<uint32_t>(
      siphash_words(ts_key_, (uint64_t{ft.laddr} << 32) | ft.raddr, (uint64_t{ft.lport} << 16) | ft.rport));
}

uint8_t TcpStackImpl::wscale_for(uint32_t rcvbuf) const {
  uint8_t s = 0;
  while (s < 14 && (uint64_t{65535} << s) < rcvbuf) ++s;
  return s;
}

Tcb* TcpStackImpl::find_listener(uint32_t addr, uint16_t port) const {
  auto it = listeners_.find((uint64_t{addr} << 16) | port);
  if (it != listeners_.end()) return it->second;
  it = listeners_.find(port);  // wildcard address
  return it != listeners_.end() ? it->second : nullptr;
}

// ---------------------------------------------------------------------------------
// API

core::Result<SocketId, TcpError> TcpStackImpl::open() {
  auto r = alloc_tcb();
  if (!r) return Err(r.error());
  Tcb* t = *r;
  t->handle = true;
  init_connection(*t);
  return id_of(*t);
}

core::Status<TcpError> TcpStackImpl::bind(Tcb& t, Endpoint local) {
  if (t.bound || t.state != TcpState::kClosed || t.dead) return Err(TcpError::kInvalidArgument);
  if (local.addr != 0 && !ip_.is_local_address(local.addr)) return Err(TcpError::kAddressNotAvailable);
  uint16_t port = local.port;
  if (port == 0) {
    uint32_t first = tun_.portrange_first, last = std::max(tun_.portrange_last, tun_.portrange_first);
    uint32_t n = last - first + 1;
    bool found = false;
    for (uint32_t tries = 0; tries < n; ++tries) {
      port_rng_ = port_rng_ * 6364136223846793005ull + 1442695040888963407ull;
      uint16_t cand = static_cast<uint16_t>(first + (port_rng_ >> 33) % n);
      if (!bound_ports_.count(cand)) {
        port = cand;
        found = true;
        break;
      }
    }
    if (!found) return Err(TcpError::kAddressNotAvailable);
  } else if (bound_ports_.count(port)) {
    return Err(TcpError::kAddressInUse);
  }
  t.tuple.laddr = local.addr;
  t.tuple.lport = port;
  ++bound_ports_[port];
  t.bound = true;
  return Ok{};
}

core::Status<TcpError> TcpStackImpl::listen(Tcb& t, uint32_t backlog) {
  if (t.state == TcpState::kListen) {
    t.backlog = std::max<uint32_t>(backlog, 1);
    return Ok{};
  }
  if (t.state != TcpState::kClosed || t.dead) return Err(TcpError::kInvalidArgument);
  if (!t.bound) {
    auto r = bind(t, Endpoint{0, 0});
    if (!r) return r;
  }
  uint64_t key = (uint64_t{t.tuple.laddr} << 16) | t.tuple.lport;
  if (listeners_.count(key)) return Err(TcpError::kAddressInUse);
  listeners_[key] = &t;
  t.backlog = std::max<uint32_t>(backlog, 1);
  set_state(t, TcpState::kListen);
  return Ok{};
}

core::Result<SocketId, TcpError> TcpStackImpl::accept(Tcb& l) {
  if (l.state != TcpState::kListen) return Err(TcpError::kNotListening);
  while (!l.accept_q.empty()) {
    Tcb* c = l.accept_q.front();
    l.accept_q.pop_front();
    c->in_accept_q = false;
    c->parent = nullptr;
    c->handle = true;
    ++stats_.accepts;
    return id_of(*c);
  }
  return Err(TcpError::kWouldBlock);
}

core::Status<TcpError> TcpStackImpl::connect(Tcb& t, Endpoint remote) {
  if (t.state == TcpState::kSynSent || t.state == TcpState::kSynReceived) return Err(TcpError::kInProgress);
  if (t.state != TcpState::kClosed || t.dead) return Err(TcpError::kAlreadyConnected);
  if (remote.addr == 0 || remote.port == 0 || remote.addr == 0xffffffffu || (remote.addr >> 28) == 0xe) {
    return Err(TcpError::kInvalidArgument);
  }
  std::optional<uint32_t> src = t.tuple.laddr != 0 ? std::optional<uint32_t>(t.tuple.laddr) : ip_.source_for(remote.addr);
  if (!src) return Err(TcpError::kNetworkUnreachable);
  FourTuple ft{*src, remote.addr, t.tuple.lport, remote.port};
  if (!t.bound) {
    // Ephemeral port: random start, first free tuple (RFC 6056 algorithm 1 in spirit).
    uint32_t first = tun_.portrange_first, last = std::max(tun_.portrange_last, tun_.portrange_first);
    uint32_t n = last - first + 1;
    bool found = false;
    port_rng_ = port_rng_ * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t start = static_cast<uint32_t>((port_rng_ >> 33) % n);
    for (uint32_t i = 0; i < n; ++i) {
      ft.lport = static_cast<uint16_t>(first + (start + i) % n);
      if (!bound_ports_.count(ft.lport) && !conns_.count(ft)) {
        found = true;
        break;
      }
    }
    if (!found) return Err(TcpError::kAddressNotAvailable);
    ++bound_ports_[ft.lport];
    t.bound = true;
  } else if (conns_.count(ft)) {
    return Err(TcpError::kAddressInUse);
  }
  t.tuple = ft;
  t.iss = SeqNum(make_iss(ft));
  t.snd_una = t.snd_nxt = t.snd_max = t.iss;
  t.high_rxt = t.recover = t.iss;
  t.ts_offset = make_ts_offset(ft);
  t.req_ws = tun_.rfc1323 != 0;
  t.req_ts = tun_.rfc1323 != 0;
  t.req_sack = tun_.sack_enable != 0;
  t.req_ecn = tun_.ecn_enable == 1;
  t.rcv_wscale = t.req_ws ? wscale_for(t.rcvbuf_limit) : 0;
  t.peer_mss = tun_.mssdflt;
  compute_maxseg(t);
  demux_insert(t);
  set_state(t, TcpState::kSynSent);
  ++stats_.connattempt;
  after(t.keep_timer, milliseconds(tun_.keepinit_ms));
  output(t);
  return Ok{};
}

core::Result<size_t, TcpError> TcpStackImpl::send(Tcb& t, std::span<const uint8_t> bytes, core::PacketPtr* chain) {
  if (t.so_error && t.state == TcpState::kClosed) {
    TcpError e = *t.so_error;
    return Err(e);
  }
  switch (t.state) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
      break;
    case TcpState::kSynSent:
    case TcpState::kSynReceived:
      break;  // queued until the handshake completes (RFC 9293 3.10.2)
    case TcpState::kClosed:
    case TcpState::kListen:
      return Err(TcpError::kNotConnected);
    default:
      return Err(TcpError::kBrokenPipe);
  }
  if (t.fin_queued) return Err(TcpError::kBrokenPipe);
  uint32_t room = t.sndbuf_limit > t.sndq.size() ? t.sndbuf_limit - t.sndq.size() : 0;
  size_t taken = 0;
  if (chain != nullptr) {
    if (!*chain) return Err(TcpError::kInvalidArgument);
    uint32_t len = (*chain)->pkt_len;
    if (len > room) {
      ++t.st.send_buffer_full;
      return Err(TcpError::kWouldBlock);
    }
    t.sndq.append_chain(std::move(*chain));
    taken = len;
  } else {
    if (bytes.empty()) return size_t{0};
    if (room == 0) {
      ++t.st.send_buffer_full;
      return Err(TcpError::kWouldBlock);
    }
    size_t want = std::min<size_t>(room, bytes.size());
    if (want < bytes.size()) ++t.st.send_buffer_full;
    taken = t.sndq.append_copy(bytes.first(want), pool_);
    if (taken == 0) {
      stats_.dropped.inc(TcpDropReason::kNoBuffers);
      return Err(TcpError::kNoBuffers);
    }
  }
  if (t.synchronized()) output(t);
  return taken;
}

core::Result<size_t, TcpError> TcpStackImpl::recv(Tcb& t, std::span<uint8_t> out) {
  if (!t.rcvq.empty()) {
    size_t n = t.rcvq.read(out);
    maybe_window_update(t);
    return n;
  }
  if (t.so_error && t.state == TcpState::kClosed) {
    TcpError e = *t.so_error;
    t.so_error.reset();
    return Err(e);
  }
  if (t.fin_received || t.shut_rd) return size_t{0};
  if (t.state == TcpState::kListen) return Err(TcpError::kNotConnected);
  if (t.state == TcpState::kClosed) {
    if (t.syn_acked) return size_t{0};
    return Err(TcpError::kNotConnected);
  }
  return Err(TcpError::kWouldBlock);
}

core::Result<core::PacketPtr, TcpError> TcpStackImpl::recv_mbuf(Tcb& t, uint32_t max) {
  if (!t.rcvq.empty()) {
    core::PacketPtr p = t.rcvq.read_mbuf(max, pool_);
    if (!p) return Err(TcpError::kNoBuffers);
    maybe_window_update(t);
    return p;
  }
  auto r = recv(t, {});
  if (!r) return Err(r.error());
  return core::PacketPtr();  // end of stream
}

core::Status<TcpError> TcpStackImpl::shutdown(Tcb& t, Shutdown how) {
  if (t.state == TcpState::kListen || (t.state == TcpState::kClosed && !t.have_established())) {
    if (t.state != TcpState::kListen) return Err(TcpError::kNotConnected);
  }
  if (how == Shutdown::kRead || how == Shutdown::kBoth) {
    t.shut_rd = true;
    t.rcvq.clear();
  }
  if (how == Shutdown::kWrite || how == Shutdown::kBoth) {
    switch (t.state) {
      case TcpState::kSynSent:
        drop(t, std::nullopt);
        return Ok{};
      case TcpState::kSynReceived:
        // The FIN follows the handshake: established() moves us to FIN_WAIT_1.
        if (!t.fin_queued) {
          t.fin_queued = true;
          t.fin_seq = t.data_start() + t.sndq.size();
        }
        break;
      case TcpState::kEstablished:
        if (!t.fin_queued) {
          t.fin_queued = true;
          t.fin_seq = t.data_start() + t.sndq.size();
          set_state(t, TcpState::kFinWait1);
          output(t);
        }
        break;
      case TcpState::kCloseWait:
        if (!t.fin_queued) {
          t.fin_queued = true;
          t.fin_seq = t.data_start() + t.sndq.size();
          set_state(t, TcpState::kLastAck);
          output(t);
        }
        break;
      default:
        break;
    }
  }
  return Ok{};
}

core::Status<TcpError> TcpStackImpl::close(Tcb& t) {
  if (t.state == TcpState::kListen) {
    // Abort every child: embryonic ones and those waiting for accept().
    std::vector<Tcb*> kids;
    for (Slot& s : slots_) {
      if (s.tcb && s.tcb->parent == &t) kids.push_back(s.tcb.get());
    }
    for (Tcb* c : kids) {
      send_rst(*c);
      drop(*c, TcpError::kConnectionAborted);
    }
    auto it = listeners_.find((uint64_t{t.tuple.laddr} << 16) | t.tuple.lport);
    if (it != listeners_.end() && it->second == &t) listeners_.erase(it);
    t.backlog = 0;
    t.notified_closed = true;
    drop(t, std::nullopt);
    release_handle(t);
    return Ok{};
  }
  t.user_closed = true;
  bool unread = !t.rcvq.empty();
  if (t.linger_ms == 0 || unread) {
    // SO_LINGER 0, or data the application will never read (RFC 2525 2.17): reset.
    if (t.synchronized() || t.state == TcpState::kSynReceived) send_rst(t);
    t.notified_closed = true;
    drop(t, std::nullopt);
    release_handle(t);
    return Ok{};
  }
  switch (t.state) {
    case TcpState::kClosed:
    case TcpState::kSynSent:
      t.notified_closed = true;
      drop(t, std::nullopt);
      break;
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
    case TcpState::kCloseWait: {
      auto r = shutdown(t, Shutdown::kWrite);
      (void)r;
      break;
    }
    case TcpState::kFinWait2:
      // Orphaned FIN_WAIT_2 does not wait forever (net.inet.tcp.finwait2_timeout).
      after(t.twomsl_timer, milliseconds(tun_.finwait2_timeout_ms));
      break;
    default:
      break;
  }
  t.shut_rd = true;
  t.notified_closed = true;  // the application gave up the handle: no more callbacks
  release_handle(t);
  return Ok{};
}

core::Status<TcpError> TcpStackImpl::abort(Tcb& t) {
  if (t.state == TcpState::kListen) return close(t);
  if (t.synchronized() || t.state == TcpState::kSynReceived) send_rst(t);
  t.notified_closed = true;
  drop(t, std::nullopt);
  release_handle(t);
  return Ok{};
}

core::Status<TcpError> TcpStackImpl::setsockopt(Tcb& t, SockOpt opt, int64_t v) {
  switch (opt) {
    case SockOpt::kNoDelay:
      t.nodelay = v != 0;
      if (t.nodelay && t.synchronized()) output(t);
      return Ok{};
    case SockOpt::kKeepAlive:
      t.keepalive = v != 0;
      if (t.have_established()) arm_keepalive(t);
      return Ok{};
    case SockOpt::kKeepIdleMs:
      if (v < 1 || v > 864000000) return Err(TcpError::kInvalidArgument);
      t.keepidle_ms = static_cast<uint32_t>(v);
      if (t.have_established()) arm_keepalive(t);
      return Ok{};
    case SockOpt::kKeepIntvlMs:
      if (v < 1 || v > 86400000) return Err(TcpError::kInvalidArgument);
      t.keepintvl_ms = static_cast<uint32_t>(v);
      return Ok{};
    case SockOpt::kKeepCnt:
      if (v < 1 || v > 1000) return Err(TcpError::kInvalidArgument);
      t.keepcnt = static_cast<uint32_t>(v);
      return Ok{};
    case SockOpt::kSndBuf:
      if (v < 512) return Err(TcpError::kInvalidArgument);
      t.sndbuf_limit = static_cast<uint32_t>(std::min<int64_t>(v, tun_.sendbuf_max));
      return Ok{};
    case SockOpt::kRcvBuf:
      if (v < 512) return Err(TcpError::kInvalidArgument);
      t.rcvbuf_limit = static_cast<uint32_t>(std::min<int64_t>(v, tun_.recvbuf_max));
      if (t.synchronized()) maybe_window_update(t);
      return Ok{};
    case SockOpt::kLingerMs:
      t.linger_ms = v < 0 ? -1 : v;
      return Ok{};
    case SockOpt::kMaxSeg:
      if (v < 0 || v > 65495) return Err(TcpError::kInvalidArgument);
      t.user_maxseg = static_cast<uint32_t>(v);
      if (t.synchronized()) compute_maxseg(t);
      return Ok{};
    case SockOpt::kCongestion: {
      if (v != 0 && v != 1) return Err(TcpError::kInvalidArgument);
      auto algo = static_cast<CongestionAlgo>(v);
      if (t.cca->algo() != algo) t.cca = make_congestion_control(algo);
      return Ok{};
    }
    case SockOpt::kCount:
      break;
  }
  return Err(TcpError::kInvalidArgument);
}

core::Result<int64_t, TcpError> TcpStackImpl::getsockopt(const Tcb& t, SockOpt opt) const {
  switch (opt) {
    case SockOpt::kNoDelay: return int64_t{t.nodelay};
    case SockOpt::kKeepAlive: return int64_t{t.keepalive};
    case SockOpt::kKeepIdleMs: return int64_t{t.keepidle_ms};
    case SockOpt::kKeepIntvlMs: return int64_t{t.keepintvl_ms};
    case SockOpt::kKeepCnt: return int64_t{t.keepcnt};
    case SockOpt::kSndBuf: return int64_t{t.sndbuf_limit};
    case SockOpt::kRcvBuf: return int64_t{t.rcvbuf_limit};
    case SockOpt::kLingerMs: return t.linger_ms;
    case SockOpt::kMaxSeg: return int64_t{t.synchronized() ? t.maxseg : t.user_maxseg};
    case SockOpt::kCongestion: return static_cast<int64_t>(t.cca->algo());
    case SockOpt::kCount: break;
  }
  return Err(TcpError::kInvalidArgument);
}

uint32_t TcpStackImpl::poll(const Tcb& t) const {
  uint32_t ev = 0;
  if (t.state == TcpState::kListen) return t.accept_q.empty() ? 0 : PollBits::kIn;
  if (!t.rcvq.empty() || t.fin_received) ev |= PollBits::kIn;
  if (t.fin_received) ev |= PollBits::kRdHup;
  bool can_send = t.state == TcpState::kEstablished || t.state == TcpState::kCloseWait;
  if (can_send && !t.fin_queued && t.sndq.size() < t.sndbuf_limit) ev |= PollBits::kOut;
  if (t.so_error) ev |= PollBits::kErr | PollBits::kIn;
  if (t.state == TcpState::kClosed && t.have_established() == false && (t.so_error || t.dead)) ev |= PollBits::kHup;
  if (t.state == TcpState::kClosed && t.dead) ev |= PollBits::kHup;
  return ev;
}

TcpInfo TcpStackImpl::info(const Tcb& t) const {
  TcpInfo i;
  i.state = t.state;
  i.local = Endpoint{t.tuple.laddr, t.tuple.lport};
  i.remote = Endpoint{t.tuple.raddr, t.tuple.rport};
  i.iss = t.iss.raw();
  i.irs = t.irs.raw();
  i.snd_una = t.snd_una.raw();
  i.snd_nxt = t.snd_nxt.raw();
  i.snd_max = t.snd_max.raw();
  i.rcv_nxt = t.rcv_nxt.raw();
  i.snd_wnd = t.snd_wnd;
  i.rcv_wnd = seq_diff(t.rcv_adv, t.rcv_nxt);
  i.snd_wscale = t.snd_wscale;
  i.rcv_wscale = t.rcv_wscale;
  i.timestamps = t.ts_ok;
  i.sack = t.sack_ok;
  i.ecn = t.ecn_ok;
  i.mss = t.maxseg;
  i.cwnd = t.cc.cwnd;
  i.ssthresh = t.cc.ssthresh;
  i.srtt_us = std::chrono::duration_cast<std::chrono::microseconds>(t.rtt.srtt()).count();
  i.rttvar_us = std::chrono::duration_cast<std::chrono::microseconds>(t.rtt.rttvar()).count();
  i.rto_ms = std::chrono::duration_cast<milliseconds>(t.rtt.rto(t.rxtshift)).count();
  i.rxtshift = t.rxtshift;
  i.in_recovery = t.in_recovery;
  i.cc = t.cca->algo();
  i.send_queued = t.sndq.size();
  i.recv_queued = t.rcvq.size();
  i.reass_segments = static_cast<uint32_t>(t.reass.segments());
  i.stats = t.st;
  return i;
}

// ---------------------------------------------------------------------------------
// TcpStack: the public face forwards to the implementation under an entry guard.

TcpStack::TcpStack(core::Clock& clock, core::TimerWheel& wheel, core::BufferPool& pool, IpOutput& ip,
                   const TcpTunables& tunables)
    : impl_(std::make_unique<TcpStackImpl>(*this, clock, wheel, pool, ip, tunables)) {}

TcpStack::~TcpStack() = default;

void TcpStack::input(core::PacketPtr segment, const IpMeta& meta) {
  TcpStackImpl::Guard g(*impl_);
  impl_->input(std::move(segment), meta);
}

void TcpStack::icmp_error(const IcmpErrorInfo& info) {
  TcpStackImpl::Guard g(*impl_);
  impl_->icmp_error(info);
}

core::Result<SocketId, TcpError> TcpStack::open() {
  TcpStackImpl::Guard g(*impl_);
  return impl_->open();
}

#define VNETREF_TCP_WITH(id, expr)                  \
  TcpStackImpl::Guard g(*impl_);                    \
  Tcb* t = impl_->lookup(id);                       \
  if (t == nullptr) return Err(TcpError::kBadSocket); \
  return expr

core::Status<TcpError> TcpStack::bind(SocketId s, Endpoint local) { VNETREF_TCP_WITH(s, impl_->bind(*t, local)); }
core::Status<TcpError> TcpStack::listen(SocketId s, uint32_t backlog) {
  VNETREF_TCP_WITH(s, impl_->listen(*t, backlog));
}
core::Result<SocketId, TcpError> TcpStack::accept(SocketId l) { VNETREF_TCP_WITH(l, impl_->accept(*t)); }
core::Status<TcpError> TcpStack::connect(SocketId s, Endpoint remote) {
  VNETREF_TCP_WITH(s, impl_->connect(*t, remote));
}
core::Result<size_t, TcpError> TcpStack::send(SocketId s, std::span<const uint8_t> bytes) {
  VNETREF_TCP_WITH(s, impl_->send(*t, bytes, nullptr));
}
core::Result<size_t, TcpError> TcpStack::send_mbuf(SocketId s, core::PacketPtr& chain) {
  VNETREF_TCP_WITH(s, impl_->send(*t, {}, &chain));
}
core::Result<size_t, TcpError> TcpStack::recv(SocketId s, std::span<uint8_t> out) {
  VNETREF_TCP_WITH(s, impl_->recv(*t, out));
}
core::Result<core::PacketPtr, TcpError> TcpStack::recv_mbuf(SocketId s, uint32_t max) {
  VNETREF_TCP_WITH(s, impl_->recv_mbuf(*t, max));
}
core::Status<TcpError> TcpStack::shutdown(SocketId s, Shutdown how) { VNETREF_TCP_WITH(s, impl_->shutdown(*t, how)); }
core::Status<TcpError> TcpStack::close(SocketId s) { VNETREF_TCP_WITH(s, impl_->close(*t)); }
core::Status<TcpError> TcpStack::abort(SocketId s) { VNETREF_TCP_WITH(s, impl_->abort(*t)); }
core::Status<TcpError> TcpStack::setsockopt(SocketId s, SockOpt opt, int64_t value) {
  VNETREF_TCP_WITH(s, impl_->setsockopt(*t, opt, value));
}
core::Result<int64_t, TcpError> TcpStack::getsockopt(SocketId s, SockOpt opt) const {
  Tcb* t = impl_->lookup(s);
  if (t == nullptr) return Err(TcpError::kBadSocket);
  return impl_->getsockopt(*t, opt);
}
core::Status<TcpError> TcpStack::set_congestion(SocketId s, std::string_view name) {
  CongestionAlgo a;
  if (!parse_congestion_algo(name, &a)) return Err(TcpError::kInvalidArgument);
  return setsockopt(s, SockOpt::kCongestion, static_cast<int64_t>(a));
}
#undef VNETREF_TCP_WITH

void TcpStack::set_callbacks(SocketId s, TcpCallbacks callbacks) {
  if (Tcb* t = impl_->lookup(s)) t->cb = std::make_shared<const TcpCallbacks>(std::move(callbacks));
}
uint32_t TcpStack::poll(SocketId s) const {
  Tcb* t = impl_->lookup(s);
  return t == nullptr ? PollBits::kErr : impl_->poll(*t);
}
TcpState TcpStack::state(SocketId s) const {
  Tcb* t = impl_->lookup(s);
  return t == nullptr ? TcpState::kClosed : t->state;
}
core::Result<TcpInfo, TcpError> TcpStack::info(SocketId s) const {
  Tcb* t = impl_->lookup(s);
  if (t == nullptr) return Err(TcpError::kBadSocket);
  return impl_->info(*t);
}
core::Result<Endpoint, TcpError> TcpStack::local_endpoint(SocketId s) const {
  Tcb* t = impl_->lookup(s);
  if (t == nullptr) return Err(TcpError::kBadSocket);
  return Endpoint{t->tuple.laddr, t->tuple.lport};
}
core::Result<Endpoint, TcpError> TcpStack::remote_endpoint(SocketId s) const {
  Tcb* t = impl_->lookup(s);
  if (t == nullptr) return Err(TcpError::kBadSocket);
  if (t->tuple.raddr == 0) return Err(TcpError::kNotConnected);
  return Endpoint{t->tuple.raddr, t->tuple.rport};
}
std::optional<TcpError> TcpStack::take_error(SocketId s) {
  Tcb* t = impl_->lookup(s);
  if (t == nullptr) return TcpError::kBadSocket;
  std::optional<TcpError> e = t->so_error;
  t->so_error.reset();
  return e;
}
TcpTunables& TcpStack::tunables() { return impl_->tun_; }
const TcpTunables& TcpStack::tunables() const { return impl_->tun_; }
const TcpStats& TcpStack::stats() const { return impl_->stats_; }
core::CounterList TcpStack::counters() const {
  core::CounterList out;
  impl_->stats_.append_to(out);
  out.push_back({"tcp.sockets", impl_->live_});
  out.push_back({"tcp.connections", impl_->conns_.size()});
  out.push_back({"tcp.embryonic", impl_->embryonic_total_});
  return out;
}
size_t TcpStack::socket_count() const { return impl_->live_; }
size_t TcpStack::connection_count() const { return impl_->conns_.size(); }

// ---------------------------------------------------------------------------------
// TcpSocket

core::Status<TcpError> TcpSocket::bind(Endpoint local) { return stack_->bind(id_, local); }
core::Status<TcpError> TcpSocket::listen(uint32_t backlog) { return stack_->listen(id_, backlog); }
core::Result<TcpSocket, TcpError> TcpSocket::accept() {
  auto r = stack_->accept(id_);
  if (!r) return Err(r.error());
  return TcpSocket(stack_, *r);
}
core::Status<TcpError> TcpSocket::connect(Endpoint remote) { return stack_->connect(id_, remote); }
core::Result<size_t, TcpError> TcpSocket::send(std::span<const uint8_t> bytes) { return stack_->send(id_, bytes); }
core::Result<size_t, TcpError> TcpSocket::recv(std::span<uint8_t> out) { return stack_->recv(id_, out); }
core::Status<TcpError> TcpSocket::shutdown(Shutdown how) { return stack_->shutdown(id_, how); }
core::Status<TcpError> TcpSocket::close() { return stack_->close(id_); }
core::Status<TcpError> TcpSocket::abort() { return stack_->abort(id_); }
TcpState TcpSocket::state() const { return stack_->state(id_); }
uint32_t TcpSocket::poll() const { return stack_->poll(id_); }

}  // namespace vnetref::inet::tcp
