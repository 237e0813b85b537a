// TCP (RFC 9293) for one netstack instance: the public API.
//
// A TcpStack is the TCP of one instance. The IP layer feeds it segments through
// `TransportInput::input` (starting at the TCP header) and it sends through
// `IpOutput::ip_output`. Applications (or the inet socket façade) drive sockets by
// `SocketId`: open / bind / listen / accept / connect / send / recv / shutdown /
// close / abort, a setsockopt subset, callbacks and poll-style queries. Everything
// runs on the injected clock and timer wheel; nothing blocks: calls that cannot
// proceed return TcpError::kWouldBlock and a callback says when to retry.
//
// Implemented: the eleven states incl. simultaneous open and close, RFC 6298 RTO
// with Karn's rule, RFC 5681 + RFC 6582 NewReno and RFC 9438 CUBIC (per instance or
// per socket), RFC 7323 window scaling / timestamps / PAWS, RFC 2018 SACK with RFC
// 6675 loss recovery, delayed ACK, Nagle, MSS, keepalive, persist, TIME_WAIT, RFC
// 5961 RST/SYN/ACK validation with rate-limited challenge ACKs, a bounded SYN
// backlog with SYN cookies under flood, and a bounded reassembly queue.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "stack/core/clock.h"
#include "stack/core/counters.h"
#include "stack/core/packet.h"
#include "stack/core/result.h"
#include "stack/core/timer_wheel.h"
#include "stack/core/buffer_pool.h"
#include "stack/inet/tcp/stats.h"
#include "stack/inet/tcp/tunables.h"
#include "stack/inet/transport.h"

namespace vnetref::inet::tcp {

enum class TcpState : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
  kCount
};
const char* name_of(TcpState s);

// errno-like, typed. Returned by calls and passed to on_closed.
enum class TcpError : uint8_t {
  kInvalidArgument,     // EINVAL
  kBadSocket,           // EBADF: unknown or stale SocketId
  kAddressInUse,        // EADDRINUSE
  kAddressNotAvailable, // EADDRNOTAVAIL: no ephemeral port / no source address
  kNotConnected,        // ENOTCONN
  kAlreadyConnected,    // EISCONN
  kInProgress,          // EALREADY / EINPROGRESS misuse
  kNotListening,        // accept on a non-listener
  kWouldBlock,          // EAGAIN
  kConnectionRefused,   // ECONNREFUSED: RST in SYN_SENT
  kConnectionReset,     // ECONNRESET
  kConnectionAborted,   // ECONNABORTED: aborted by the local application
  kTimedOut,            // ETIMEDOUT: retransmission / keepalive / connect timeout
  kHostUnreachable,     // EHOSTUNREACH (ICMP or ARP failure)
  kNetworkUnreachable,  // ENETUNREACH
  kNoBuffers,           // ENOBUFS: buffer pool exhausted
  kBrokenPipe,          // EPIPE: send after shutdown(SHUT_WR) or close
  kTooManySockets,      // EMFILE: maxsockets reached
  kCount
};
const char* name_of(TcpError e);

// A socket handle: slot index plus a generation so a stale id never reaches a
// reused slot.
struct SocketId {
  uint32_t index = 0;
  uint32_t generation = 0;
  friend constexpr bool operator==(SocketId, SocketId) = default;
};

// IPv4 address (host order, as wire::Ipv4Address::to_u32()) and port.
struct Endpoint {
  uint32_t addr = 0;
  uint16_t port = 0;
  friend constexpr bool operator==(Endpoint, Endpoint) = default;
};

enum class Shutdown : uint8_t { kRead, kWrite, kBoth };

// setsockopt / getsockopt subset. Times in milliseconds (TCP_KEEPIDLE/KEEPINTVL are
// seconds in BSD; we keep one unit across the API and say so here).
enum class SockOpt : uint8_t {
  kNoDelay,        // TCP_NODELAY (bool)
  kKeepAlive,      // SO_KEEPALIVE (bool)
  kKeepIdleMs,     // TCP_KEEPIDLE
  kKeepIntvlMs,    // TCP_KEEPINTVL
  kKeepCnt,        // TCP_KEEPCNT
  kSndBuf,         // SO_SNDBUF (bytes, capped by sendbuf_max)
  kRcvBuf,         // SO_RCVBUF (bytes, capped by recvbuf_max; before connect for wscale)
  kLingerMs,       // SO_LINGER: -1 off; 0 = abortive close (RST); >0 not blocking here:
                   // close() returns at once and the connection finishes in the background
  kMaxSeg,         // TCP_MAXSEG (upper bound of the MSS we use and announce)
  kCongestion,     // TCP_CONGESTION as CongestionAlgo value (see set_congestion)
  kCount
};

// poll(2)-style readiness bits.
struct PollBits {
  static constexpr uint32_t kIn = 0x001;     // data, EOF, or a connection to accept
  static constexpr uint32_t kOut = 0x004;    // send buffer space (connected)
  static constexpr uint32_t kErr = 0x008;    // pending error (reset, timeout)
  static constexpr uint32_t kHup = 0x010;    // both directions finished
  static constexpr uint32_t kRdHup = 0x2000; // peer sent FIN
};

// Callbacks run from inside TcpStack calls (input, timers, API calls). They may
// call back into the stack (recv, send, close ...) on the same or other sockets.
struct TcpCallbacks {
  std::function<void(SocketId)> on_connected;   // active open completed
  std::function<void(SocketId)> on_acceptable;  // listener: accept() will succeed
  std::function<void(SocketId)> on_readable;    // new in-order data or FIN
  std::function<void(SocketId)> on_writable;    // send buffer space freed
  // The connection is finished: nullopt after an orderly close, else the error.
  std::function<void(SocketId, std::optional<TcpError>)> on_closed;
};

// A snapshot like FreeBSD's TCP_INFO.
struct TcpInfo {
  TcpState state = TcpState::kClosed;
  Endpoint local, remote;
  uint32_t iss = 0, irs = 0;  // initial send / receive sequence numbers
  uint32_t snd_una = 0, snd_nxt = 0, snd_max = 0, rcv_nxt = 0;
  uint32_t snd_wnd = 0, rcv_wnd = 0;  // bytes (scaled)
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool timestamps = false, sack = false, ecn = false;
  uint32_t mss = 0;  // effective send MSS (payload bytes, options excluded)
  uint32_t cwnd = 0, ssthresh = 0;  // bytes
  int64_t srtt_us = 0, rttvar_us = 0, rto_ms = 0;
  uint32_t rxtshift = 0;  // current backoff
  bool in_recovery = false;
  CongestionAlgo cc = CongestionAlgo::kNewReno;
  uint32_t send_queued = 0;  // bytes in the send buffer (unacked + unsent)
  uint32_t recv_queued = 0;  // bytes ready to read
  uint32_t reass_segments = 0;
  ConnStats stats;  // per-connection counters
};

class TcpStack;

// A convenience handle: a stack pointer plus an id. Copyable; all calls forward.
class TcpSocket {
 public:
  TcpSocket() = default;
  TcpSocket(TcpStack* stack, SocketId id) : stack_(stack), id_(id) {}
  SocketId id() const { return id_; }
  TcpStack* stack() const { return stack_; }
  explicit operator bool() const { return stack_ != nullptr; }

  core::Status<TcpError> bind(Endpoint local);
  core::Status<TcpError> listen(uint32_t backlog);
  core::Result<TcpSocket, TcpError> accept();
  core::Status<TcpError> connect(Endpoint remote);
  core::Result<size_t, TcpError> send(std::span<const uint8_t> bytes);
  core::Result<size_t, TcpError> recv(std::span<uint8_t> out);
  core::Status<TcpError> shutdown(Shutdown how);
  core::Status<TcpError> close();
  core::Status<TcpError> abort();
  TcpState state() const;
  uint32_t poll() const;

 private:
  TcpStack* stack_ = nullptr;
  SocketId id_;
};

class TcpStackImpl;

class TcpStack final : public TransportInput {
 public:
  TcpStack(core::Clock& clock, core::TimerWheel& wheel, core::BufferPool& pool, IpOutput& ip,
           const TcpTunables& tunables = {});
  ~TcpStack() override;
  TcpStack(const TcpStack&) = delete;
  TcpStack& operator=(const TcpStack&) = delete;

  // --- TransportInput (called by the IP layer) ---
  void input(core::PacketPtr segment, const IpMeta& meta) override;
  void icmp_error(const IcmpErrorInfo& info) override;

  // --- sockets ---
  core::Result<SocketId, TcpError> open();
  core::Status<TcpError> bind(SocketId s, Endpoint local);
  core::Status<TcpError> listen(SocketId s, uint32_t backlog);
  core::Result<SocketId, TcpError> accept(SocketId listener);
  core::Status<TcpError> connect(SocketId s, Endpoint remote);
  // Copies what fits in the send buffer; returns bytes taken (kWouldBlock when none).
  core::Result<size_t, TcpError> send(SocketId s, std::span<const uint8_t> bytes);
  // Zero-copy: takes the whole chain when it fits (kWouldBlock otherwise, chain
  // untouched). The payload is shared with retransmissions by clone, never copied.
  core::Result<size_t, TcpError> send_mbuf(SocketId s, core::PacketPtr& chain);
  // Copies up to out.size() bytes; 0 means end of stream (peer FIN); kWouldBlock when empty.
  core::Result<size_t, TcpError> recv(SocketId s, std::span<uint8_t> out);
  // Zero-copy receive: up to `max` bytes as an mbuf chain (may be split).
  core::Result<core::PacketPtr, TcpError> recv_mbuf(SocketId s, uint32_t max);
  core::Status<TcpError> shutdown(SocketId s, Shutdown how);
  // Releases the handle; an established connection finishes its close in the
  // background (FIN, TIME_WAIT). Unread data makes it a reset (RFC 9293 3.10.4 / RFC 2525).
  core::Status<TcpError> close(SocketId s);
  // Sends RST (when synchronized), frees everything, releases the handle.
  core::Status<TcpError> abort(SocketId s);

  core::Status<TcpError> setsockopt(SocketId s, SockOpt opt, int64_t value);
  core::Result<int64_t, TcpError> getsockopt(SocketId s, SockOpt opt) const;
  core::Status<TcpError> set_congestion(SocketId s, std::string_view name);

  void set_callbacks(SocketId s, TcpCallbacks callbacks);
  uint32_t poll(SocketId s) const;
  TcpState state(SocketId s) const;  // kClosed for unknown ids
  core::Result<TcpInfo, TcpError> info(SocketId s) const;
  core::Result<Endpoint, TcpError> local_endpoint(SocketId s) const;
  core::Result<Endpoint, TcpError> remote_endpoint(SocketId s) const;
  // The pending socket error (SO_ERROR), cleared by reading.
  std::optional<TcpError> take_error(SocketId s);

  // --- instance ---
  TcpTunables& tunables();
  const TcpTunables& tunables() const;
  const TcpStats& stats() const;
  // `netstat -s -p tcp`-style names and values, drop reasons included.
  core::CounterList counters() const;
  size_t socket_count() const;      // open handles + orphaned connections
  size_t connection_count() const;  // entries in the demux table

 private:
  std::unique_ptr<TcpStackImpl> impl_;
};

}  // namespace vnetref::inet::tcp
