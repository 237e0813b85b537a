// The BSD-style socket façade of one netstack instance.
//
// Descriptors are small integers (lowest free first, as POSIX) over UDP sockets
// (this package) and TCP sockets (stack/inet/tcp). Everything is non-blocking and
// runs in the instance's (virtual) time: calls that cannot proceed return
// SocketError::kWouldBlock; `connect` on a stream socket starts the handshake and
// returns kInProgress, completion shows as PollEvents::kOut (failure as kErr with
// the error from take_error / SO_ERROR). Readiness is observed either by `poll(fd)`
// or by a per-descriptor callback (called with the current poll bits from inside
// input processing, timers or other calls; it may call back into the façade).
//
// In-kernel style calls: `send_to` (bytes, with an address; TCP ignores a matching
// address like sendto(2) on a connected socket) and `send_mbuf_to` (an mbuf chain
// handed over without copying: UDP prepends its header into the headroom, TCP
// queues the chain and shares it with retransmissions).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "stack/core/packet.h"
#include "stack/core/result.h"
#include "stack/inet/socket_types.h"
#include "stack/inet/udp.h"
#include "stack/inet/tcp/tcp.h"

namespace vnetref::inet {

class Netstack;

enum class SockType : uint8_t { kStream, kDgram };

// The setsockopt subset. Values are integers; times in milliseconds.
enum class SockOption : uint8_t {
  kRcvBuf,        // SO_RCVBUF
  kSndBuf,        // SO_SNDBUF (TCP)
  kBroadcast,     // SO_BROADCAST (UDP)
  kReusePort,     // SO_REUSEPORT (UDP)
  kKeepAlive,     // SO_KEEPALIVE (TCP)
  kLingerMs,      // SO_LINGER (TCP): -1 off, 0 abortive close
  kNoDelay,       // TCP_NODELAY
  kMaxSeg,        // TCP_MAXSEG
  kKeepIdleMs,    // TCP_KEEPIDLE
  kKeepIntvlMs,   // TCP_KEEPINTVL
  kKeepCnt,       // TCP_KEEPCNT
  kDontFragment,  // IP_DONTFRAG (UDP)
  kTtl,           // IP_TTL (UDP)
  kTos,           // IP_TOS (UDP)
  kCount
};

class Sockets {
 public:
  static constexpr size_t kMaxDescriptors = 8192;
  using Callback = std::function<void(int fd, uint32_t events)>;

  // `tcp` may be null (an instance without TCP): stream sockets then fail with kNotSupported.
  Sockets(Netstack& stack, tcp::TcpStack* tcp);
  ~Sockets();
  Sockets(const Sockets&) = delete;
  Sockets& operator=(const Sockets&) = delete;

  core::Result<int, SocketError> socket(SockType type);
  core::Status<SocketError> bind(int fd, SockAddr local);
  core::Status<SocketError> listen(int fd, uint32_t backlog);
  core::Result<int, SocketError> accept(int fd, SockAddr* peer = nullptr);
  core::Status<SocketError> connect(int fd, SockAddr remote);
  core::Result<size_t, SocketError> send(int fd, std::span<const uint8_t> bytes);
  core::Result<size_t, SocketError> recv(int fd, std::span<uint8_t> out);
  core::Result<size_t, SocketError> send_to(int fd, std::span<const uint8_t> bytes, SockAddr dst);
  core::Result<size_t, SocketError> recv_from(int fd, std::span<uint8_t> out, SockAddr* from);
  // Zero-copy send: on success `chain` is consumed (TCP: only when it fits whole).
  core::Result<size_t, SocketError> send_mbuf_to(int fd, core::PacketPtr& chain, SockAddr dst);
  // Zero-copy receive: UDP one datagram, TCP up to `max` bytes.
  core::Result<core::PacketPtr, SocketError> recv_mbuf(int fd, uint32_t max = UINT32_MAX, SockAddr* from = nullptr);
  core::Status<SocketError> shutdown(int fd, ShutdownHow how);
  core::Status<SocketError> close(int fd);
  core::Status<SocketError> setsockopt(int fd, SockOption opt, int64_t value);
  core::Result<int64_t, SocketError> getsockopt(int fd, SockOption opt) const;
  // SO_ERROR: the pending asynchronous error, cleared by reading.
  std::optional<SocketError> take_error(int fd);
  core::Result<SockAddr, SocketError> getsockname(int fd) const;
  core::Result<SockAddr, SocketError> getpeername(int fd) const;
  uint32_t poll(int fd) const;
  void set_callback(int fd, Callback cb);

  size_t open_descriptors() const { return open_; }
  static SocketError from_tcp(tcp::TcpError e);

 private:
  struct Desc {
    bool open = false;
    SockType type = SockType::kDgram;
    UdpSocketId udp;
    tcp::SocketId tcp;
    // Shared so that notify() can keep it alive while it runs (the callback may close
    // its own descriptor) without copying the function on every event.
    std::shared_ptr<Callback> cb;
  };
  Desc* get(int fd);
  const Desc* get(int fd) const;
  core::Result<int, SocketError> allocate(SockType type);
  void hook_tcp(int fd);
  void notify(int fd);

  Netstack& stack_;
  tcp::TcpStack* tcp_;
  std::vector<Desc> fds_;
  size_t open_ = 0;
};

}  // namespace vnetref::inet
