// Internal: the TCP control block and the stack implementation (not a public header).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/core/timer_wheel.h"
#include "stack/inet/tcp/congestion.h"
#include "stack/inet/tcp/reassembly.h"
#include "stack/inet/tcp/recv_buffer.h"
#include "stack/inet/tcp/rtt.h"
#include "stack/inet/tcp/sack.h"
#include "stack/inet/tcp/send_buffer.h"
#include "stack/inet/tcp/syncookie.h"
#include "stack/inet/tcp/tcp.h"
#include "stack/wire/tcp.h"

namespace vnetref::inet::tcp {

using core::Duration;
using core::Instant;
using wire::SeqNum;

inline SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
inline SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }
inline bool seq_lt(SeqNum a, SeqNum b) { return a < b; }
inline bool seq_le(SeqNum a, SeqNum b) { return a <= b; }
inline uint32_t seq_diff(SeqNum hi, SeqNum lo) { return hi > lo ? static_cast<uint32_t>(hi - lo) : 0; }

struct TupleHash {
  size_t operator()(const FourTuple& t) const {
    uint64_t a = (uint64_t{t.laddr} << 32) ^ t.raddr;
    uint64_t b = (uint64_t{t.lport} << 16) | t.rport;
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a >> 29));
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return static_cast<size_t>(h ^ (h >> 27));
  }
};

// A parsed incoming segment (header fields + decoded options; payload stays in the mbuf).
struct SegInfo {
  FourTuple tuple;  // from our point of view (l = destination of the segment)
  SeqNum seq;
  SeqNum ack;
  wire::TcpFlags flags;
  uint16_t wnd = 0;
  wire::TcpOptions opts;
  uint32_t len = 0;  // payload bytes
  uint8_t tos = 0;
  bool has_ts() const { return opts.timestamps.has_value(); }
  uint32_t seq_len() const { return len + (flags.syn() ? 1 : 0) + (flags.fin() ? 1 : 0); }
};

class TcpStackImpl;

enum class Event : uint8_t { kConnected, kAcceptable, kReadable, kWritable, kClosed };

struct Tcb {
  Tcb(TcpStackImpl& s, uint32_t slot_index);
  ~Tcb();
  Tcb(const Tcb&) = delete;
  Tcb& operator=(const Tcb&) = delete;

  TcpStackImpl& stack;
  uint32_t slot;
  TcpState state = TcpState::kClosed;
  FourTuple tuple;
  uint16_t pseudo_base = 0;  // pseudo-header sum without the length (set with the tuple)
  bool bound = false;         // local port reserved in the port table
  bool in_demux = false;      // in the connection table
  bool handle = false;        // the application holds a SocketId for it
  bool dead = false;          // detached; freed at the end of the current entry
  bool user_closed = false;   // close() called: orphaned, finishing in the background
  bool shut_rd = false;
  bool fin_queued = false;    // shutdown(SHUT_WR) or close: FIN follows the queued data
  bool passive = false;       // created by a listener
  bool notified_closed = false;
  bool syn_acked = false;     // our SYN is acknowledged: the send buffer starts at SND.UNA
  std::optional<TcpError> so_error;
  std::optional<TcpError> soft_error;  // ICMP / IP errors reported if the connection times out
  // Shared so a callback that closes its socket (or replaces the callbacks) keeps
  // running on a live object: the invoker holds a reference for the call.
  std::shared_ptr<const TcpCallbacks> cb;

  // socket options
  bool nodelay = false;
  bool keepalive = false;
  int64_t linger_ms = -1;
  uint32_t keepidle_ms = 0, keepintvl_ms = 0, keepcnt = 0;
  uint32_t sndbuf_limit = 0, rcvbuf_limit = 0;
  uint32_t user_maxseg = 0;

  // listener
  uint32_t backlog = 0;
  std::deque<Tcb*> accept_q;  // established children waiting for accept()
  uint32_t embryonic = 0;     // children in SYN_RECEIVED
  Tcb* parent = nullptr;      // for a child not yet accepted
  bool in_accept_q = false;

  // send sequence space (RFC 9293 3.3.1)
  SeqNum iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
  SeqNum fin_seq;             // sequence number of our FIN (valid when fin_queued)
  uint32_t snd_wnd = 0;       // scaled, bytes
  uint32_t max_sndwnd = 0;
  SendBuffer sndq;
  // receive sequence space
  SeqNum irs, rcv_nxt, rcv_adv, last_ack_sent;
  RecvBuffer rcvq;
  Reassembly reass;
  bool fin_received = false;

  // negotiated options
  bool req_ws = false, req_ts = false, req_sack = false, req_ecn = false;  // what our SYN carried
  bool ws_ok = false, ts_ok = false, sack_ok = false, ecn_ok = false;
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  uint32_t peer_mss = 536;
  uint32_t maxseg = 536;      // payload bytes per segment, options excluded (t_maxseg)
  uint32_t pmtu_mss = 0;      // MSS cap learned from ICMP fragmentation-needed (RFC 1191)

  // timestamps (RFC 7323)
  uint32_t ts_offset = 0;
  uint32_t ts_recent = 0;
  Instant ts_recent_age{};
  // TSval we put on the first retransmission after the last timeout: echoes older
  // than this time segments sent before the timeout (the receiver's TS.Recent can lag
  // when it gets duplicates) and would inflate the RTT, so they give no sample.
  uint32_t ts_floor = 0;
  bool ts_floor_valid = false;

  // RTT / RTO (RFC 6298)
  RttEstimator rtt;
  bool rtt_timing = false;
  SeqNum rtt_seq;
  Instant rtt_start{};
  uint32_t rxtshift = 0;

  // congestion control and recovery
  CcState cc;
  std::unique_ptr<CongestionControl> cca;
  uint32_t dupacks = 0;
  bool in_recovery = false;   // fast recovery (NewReno) or SACK recovery
  SeqNum recover;             // RFC 6582 "recover" / RFC 6675 RecoveryPoint
  SeqNum high_rxt;            // RFC 6675 HighRxt
  SeqNum rescue_rxt;          // RFC 6675 RescueRxt (valid when rescue_valid)
  bool rescue_valid = false;
  SackScoreboard sb;
  bool cwr_pending = false;   // ECN: set CWR on the next data segment
  bool ece_pending = false;   // ECN: echo ECE until the peer's CWR
  SeqNum ecn_recover;         // no second ECN reduction before this is acked

  // ACK generation
  bool delack_pending = false;
  bool ack_now = false;
  uint32_t unacked_segs = 0;

  // keepalive / persist / challenge ACK rate limit
  Instant last_rcv{};
  uint32_t keep_probes = 0;
  bool in_persist = false;
  uint32_t persist_shift = 0;
  Instant ack_war_start{};
  uint32_t ack_war_cnt = 0;
  uint32_t synack_rexmits = 0;

  core::Timer rexmt_timer;   // retransmission, or persist while in_persist
  core::Timer delack_timer;
  core::Timer keep_timer;    // connection-establishment timeout, then keepalive
  core::Timer twomsl_timer;  // TIME_WAIT, orphaned FIN_WAIT_2

  ConnStats st;

  bool synchronized() const {
    return state != TcpState::kClosed && state != TcpState::kListen && state != TcpState::kSynSent &&
           state != TcpState::kSynReceived;
  }
  bool have_established() const {
    return state != TcpState::kClosed && state != TcpState::kListen && state != TcpState::kSynSent &&
           state != TcpState::kSynReceived;
  }
  // Bytes in flight by sequence (excluding SYN).
  uint32_t flight() const { return seq_diff(snd_max, snd_una); }
  // Sequence number of the first byte held in the send buffer.
  SeqNum data_start() const { return syn_acked ? snd_una : iss + 1; }
};

class TcpStackImpl {
 public:
  TcpStackImpl(TcpStack& owner, core::Clock& clock, core::TimerWheel& wheel, core::BufferPool& pool, IpOutput& ip,
               const TcpTunables& tunables);
  ~TcpStackImpl();

  // ---- entry guard: defers callbacks and frees until the outermost call returns ----
  struct Guard {
    explicit Guard(TcpStackImpl& s) : s_(s) {
      // One clock read per entry: the data path asks for "now" many times per segment.
      if (s_.depth_++ == 0) s_.now_valid_ = false;
    }
    ~Guard() {
      if (--s_.depth_ == 0) s_.flush();
    }
    TcpStackImpl& s_;
  };
  void flush();
  // Read lazily, once per entry (a recv() that finds nothing never reads the clock).
  Instant now() const {
    if (depth_ == 0) return clock_.now();
    if (!now_valid_) {
      now_ = clock_.now();
      now_valid_ = true;
    }
    return now_;
  }
  void after(core::Timer& timer, Duration d) { wheel_.schedule(timer, now() + d); }

  // ---- socket table ----
  Tcb* lookup(SocketId id) const;
  SocketId id_of(const Tcb& t) const { return SocketId{t.slot, slots_[t.slot].gen}; }
  core::Result<Tcb*, TcpError> alloc_tcb();
  void release_handle(Tcb& t);

  // ---- API (stack.cc) ----
  core::Result<SocketId, TcpError> open();
  core::Status<TcpError> bind(Tcb& t, Endpoint local);
  core::Status<TcpError> listen(Tcb& t, uint32_t backlog);
  core::Result<SocketId, TcpError> accept(Tcb& t);
  core::Status<TcpError> connect(Tcb& t, Endpoint remote);
  core::Result<size_t, TcpError> send(Tcb& t, std::span<const uint8_t> bytes, core::PacketPtr* chain);
  core::Result<size_t, TcpError> recv(Tcb& t, std::span<uint8_t> out);
  core::Result<core::PacketPtr, TcpError> recv_mbuf(Tcb& t, uint32_t max);
  core::Status<TcpError> shutdown(Tcb& t, Shutdown how);
  core::Status<TcpError> close(Tcb& t);
  core::Status<TcpError> abort(Tcb& t);
  core::Status<TcpError> setsockopt(Tcb& t, SockOpt opt, int64_t value);
  core::Result<int64_t, TcpError> getsockopt(const Tcb& t, SockOpt opt) const;
  uint32_t poll(const Tcb& t) const;
  TcpInfo info(const Tcb& t) const;

  // ---- input (input.cc) ----
  void input(core::PacketPtr pkt, const IpMeta& meta);
  void icmp_error(const IcmpErrorInfo& info);

  // ---- output (output.cc) ----
  void output(Tcb& t);
  // Builds and sends one segment of `len` data bytes at `seq` (from the send buffer).
  bool send_segment(Tcb& t, SeqNum seq, uint32_t len, uint16_t flags);
  void send_ack(Tcb& t) { send_segment(t, t.snd_max, 0, wire::TcpFlags::kAck); }
  // Sends one new segment if the send buffer, the peer's window and (when use_cwnd)
  // the congestion window allow it and Nagle / SWS avoidance agree. True if sent.
  bool try_send_new(Tcb& t, bool use_cwnd, bool force);
  // Retransmits up to `max` bytes at `seq` (and the FIN when it sits there).
  uint32_t retransmit_at(Tcb& t, SeqNum seq, uint32_t max);
  void retry_later(Tcb& t);
  // Common tail of every segment we build: checksum, counters, ip_output.
  bool transmit(core::PacketPtr p, const FourTuple& tuple, uint8_t tos, const uint16_t* pseudo_base = nullptr);
  // A segment without a connection (RST replies, SYN cookie SYN-ACKs).
  void send_bare(const FourTuple& tuple, SeqNum seq, SeqNum ack, uint16_t flags, uint16_t window,
                 const wire::TcpOptions& opts);
  void handle_dupack(Tcb& t, const SegInfo& seg);
  void syn_sent_input(Tcb& t, SegInfo& seg, core::PacketPtr pkt);
  void exit_persist(Tcb& t);
  // Stateless RST in reply to `seg` (RFC 9293 3.10.7.1 rules).
  void send_rst_reply(const SegInfo& seg);
  void send_rst(Tcb& t);
  // Challenge ACK (RFC 5961), rate limited by ack_war_*.
  void challenge_ack(Tcb& t, TcpDropReason why);
  void sack_recovery_output(Tcb& t);
  uint32_t receive_window(Tcb& t) const;  // what we would advertise now (bytes)
  void maybe_window_update(Tcb& t);

  // ---- timers (timers.cc) ----
  void arm_rexmt(Tcb& t);
  void rexmt_timeout(Tcb& t);
  void persist_timeout(Tcb& t);
  void delack_timeout(Tcb& t);
  void keep_timeout(Tcb& t);
  void twomsl_timeout(Tcb& t);
  void arm_keepalive(Tcb& t);
  void enter_time_wait(Tcb& t);
  void start_persist(Tcb& t);

  // ---- lifecycle ----
  void set_state(Tcb& t, TcpState s);
  // Connection finished: CLOSED, out of the demux table, timers off; the error goes to
  // so_error and on_closed. Frees the TCB when no handle refers to it.
  void drop(Tcb& t, std::optional<TcpError> err);
  void notify(Tcb& t, Event e, std::optional<TcpError> err = std::nullopt);
  void demux_insert(Tcb& t);
  void demux_remove(Tcb& t);
  void init_connection(Tcb& t);  // per-connection state from tunables (buffers, CC, RTO)
  void compute_maxseg(Tcb& t);
  uint32_t ts_now(const Tcb& t) const;
  uint32_t make_iss(const FourTuple& t) const;
  uint32_t make_ts_offset(const FourTuple& t) const;
  uint8_t wscale_for(uint32_t rcvbuf) const;
  uint32_t local_mss(uint32_t raddr, uint32_t user_maxseg) const;
  void established(Tcb& t);  // SYN_SENT/SYN_RECEIVED -> ESTABLISHED bookkeeping
  // Connection management helpers used by input.cc.
  Tcb* find_listener(uint32_t addr, uint16_t port) const;
  void listen_input(Tcb& l, const SegInfo& seg, core::PacketPtr pkt);
  void cookie_ack(Tcb& l, const SegInfo& seg, core::PacketPtr pkt);
  void tcb_input(Tcb& t, SegInfo& seg, core::PacketPtr pkt);
  void process_ack(Tcb& t, const SegInfo& seg, bool* freed);
  void process_data(Tcb& t, SegInfo& seg, core::PacketPtr pkt);
  void process_fin(Tcb& t);
  void update_window(Tcb& t, const SegInfo& seg);
  void rtt_sample(Tcb& t, Duration r);
  void send_syn_ack_cookie(Tcb& l, const SegInfo& seg);
  Tcb* spawn_child(Tcb& l, const SegInfo& seg);
  void apply_syn_options(Tcb& t, const SegInfo& seg);

  TcpStack& owner_;
  core::Clock& clock_;
  core::TimerWheel& wheel_;
  core::BufferPool& pool_;
  IpOutput& ip_;
  TcpTunables tun_;
  TcpStats stats_;
  SipKey isn_key_, ts_key_;
  SynCookies cookies_;
  uint64_t port_rng_;

  struct Slot {
    std::unique_ptr<Tcb> tcb;
    uint32_t gen = 1;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t live_ = 0;
  std::unordered_map<FourTuple, Tcb*, TupleHash> conns_;
  std::unordered_map<uint64_t, Tcb*> listeners_;  // (addr << 16) | port; addr 0 = wildcard
  std::unordered_map<uint32_t, uint32_t> bound_ports_;  // (addr? no: port) -> users
  uint32_t embryonic_total_ = 0;

  IpSendError last_ip_error_ = IpSendError::kCount;
  int depth_ = 0;
  mutable Instant now_{};
  mutable bool now_valid_ = false;
  // One-entry demux cache: a bulk flow hits the same connection segment after segment.
  Tcb* last_hit_ = nullptr;
  struct PendingEvent {
    SocketId id;
    Event e;
    std::optional<TcpError> err;
  };
  std::vector<PendingEvent> events_;
  std::vector<uint32_t> to_free_;
};

}  // namespace vnetref::inet::tcp
