// UDP (RFC 768) for one netstack instance: sockets, checksums, port unreachable.
//
// Sockets are slots in a bounded table (kMaxSockets) addressed by a generation-checked
// id. Each has a receive queue bounded both in datagrams (kMaxQueuedDatagrams) and in
// payload bytes (SO_RCVBUF, default net.inet.udp.recvspace); overflow drops the new
// datagram and counts it. Datagrams are kept as the received mbuf chain with the UDP
// header stripped (no copy until the application reads, none at all with recv_mbuf).
//
// Demultiplexing (most specific wins): connected socket matching both ends, then a
// socket bound to the destination address, then a wildcard-bound one. Broadcast and
// multicast datagrams go to every matching socket (zero-copy clones). A unicast
// datagram nobody wants is answered with ICMP port unreachable (RFC 1122 4.1.3.1)
// unless net.inet.udp.blackhole is set.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "stack/core/packet.h"
#include "stack/core/result.h"
#include "stack/inet/socket_types.h"
#include "stack/inet/transport.h"

namespace vnetref::inet {

class Netstack;

struct UdpSocketId {
  uint32_t index = 0;
  uint32_t generation = 0;
  friend constexpr bool operator==(UdpSocketId, UdpSocketId) = default;
};

enum class UdpOpt : uint8_t {
  kRcvBuf,       // SO_RCVBUF (bytes)
  kBroadcast,    // SO_BROADCAST (bool): required to send to a broadcast address
  kReusePort,    // SO_REUSEPORT (bool): share a port (set on every sharer before bind)
  kDontFragment, // IP_DONTFRAG (bool): set DF, fail with EMSGSIZE above the path MTU
  kTtl,          // IP_TTL (1..255; 0 = net.inet.ip.ttl)
  kTos,          // IP_TOS
  kCount
};

struct UdpStats {
  uint64_t datagrams_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t delivered = 0;
  uint64_t port_unreachable_sent = 0;
};

class Udp final : public TransportInput {
 public:
  static constexpr size_t kMaxSockets = 4096;
  static constexpr size_t kMaxQueuedDatagrams = 256;
  // Sockets sharing a port that one broadcast datagram is delivered to (SO_REUSEPORT).
  static constexpr size_t kMaxFanout = 64;

  explicit Udp(Netstack& stack);
  ~Udp() override;

  // ---- TransportInput ----
  void input(core::PacketPtr segment, const IpMeta& meta) override;
  void icmp_error(const IcmpErrorInfo& info) override;

  // ---- sockets ----
  core::Result<UdpSocketId, SocketError> open();
  // Port 0 picks an ephemeral port (net.inet.ip.portrange.first..last).
  core::Status<SocketError> bind(UdpSocketId s, SockAddr local);
  // Sets the default destination and filters input to it; addr 0 disconnects.
  core::Status<SocketError> connect(UdpSocketId s, SockAddr remote);
  core::Result<size_t, SocketError> send(UdpSocketId s, std::span<const uint8_t> bytes);
  core::Result<size_t, SocketError> send_to(UdpSocketId s, std::span<const uint8_t> bytes, SockAddr dst);
  // Zero-copy: `payload` becomes the datagram body (header prepended in its headroom).
  // On success the chain is consumed; on error it is left with the caller.
  core::Result<size_t, SocketError> send_mbuf_to(UdpSocketId s, core::PacketPtr& payload, SockAddr dst);
  // Copies one datagram (truncated to out.size(), the rest discarded as in recvfrom(2)).
  core::Result<size_t, SocketError> recv_from(UdpSocketId s, std::span<uint8_t> out, SockAddr* from = nullptr);
  core::Result<core::PacketPtr, SocketError> recv_mbuf(UdpSocketId s, SockAddr* from = nullptr);
  core::Status<SocketError> shutdown(UdpSocketId s, ShutdownHow how);
  core::Status<SocketError> close(UdpSocketId s);
  core::Status<SocketError> setsockopt(UdpSocketId s, UdpOpt opt, int64_t value);
  core::Result<int64_t, SocketError> getsockopt(UdpSocketId s, UdpOpt opt) const;
  uint32_t poll(UdpSocketId s) const;
  std::optional<SocketError> take_error(UdpSocketId s);
  core::Result<SockAddr, SocketError> local_endpoint(UdpSocketId s) const;
  core::Result<SockAddr, SocketError> remote_endpoint(UdpSocketId s) const;
  // Called (from input or ICMP processing) when the socket became readable or got an error.
  void set_callback(UdpSocketId s, std::function<void(UdpSocketId)> on_event);
  size_t queued_datagrams(UdpSocketId s) const;

  size_t socket_count() const { return open_count_; }
  const UdpStats& stats() const { return stats_; }

 private:
  struct Datagram {
    core::PacketPtr payload;
    SockAddr from;
  };
  struct Socket {
    uint32_t generation = 0;
    bool open = false;
    bool bound = false;
    bool connected = false;
    bool shut_rd = false, shut_wr = false;
    bool broadcast = false, reuse_port = false, dont_fragment = false;
    uint8_t ttl = 0, tos = 0;
    SockAddr local, remote;
    uint32_t rcvbuf = 0;
    uint32_t queued_bytes = 0;
    std::vector<Datagram> ring;  // kMaxQueuedDatagrams slots
    uint32_t head = 0, count = 0;
    std::optional<SocketError> error;
    std::function<void(UdpSocketId)> on_event;
  };

  Socket* get(UdpSocketId s);
  const Socket* get(UdpSocketId s) const;
  UdpSocketId id_of(const Socket& so) const;
  bool port_conflict(uint16_t port, uint32_t addr, bool reuse) const;
  core::Result<uint16_t, SocketError> ephemeral_port(uint32_t addr);
  void index_add(Socket& so);
  void index_remove(Socket& so);
  void enqueue(Socket& so, core::PacketPtr payload, SockAddr from);
  core::Result<size_t, SocketError> output(Socket& so, core::PacketPtr payload, SockAddr dst);
  // Calls the socket's callback; a callback may close its own socket (or others):
  // close() then parks the function in graveyard_ until the outermost call returns.
  void fire(Socket& so);

  Netstack& stack_;
  std::vector<Socket> sockets_;
  std::vector<uint32_t> free_;
  size_t open_count_ = 0;
  std::unordered_map<uint16_t, std::vector<uint32_t>> by_port_;  // bound sockets per local port
  uint32_t next_ephemeral_ = 0;
  int callback_depth_ = 0;
  std::vector<std::function<void(UdpSocketId)>> graveyard_;
  UdpStats stats_;
};

}  // namespace vnetref::inet
