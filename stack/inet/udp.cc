#include "stack/inet/udp.h"

#include <algorithm>
#include <array>

#include "stack/core/views.h"
#include "stack/inet/netstack.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/udp.h"

namespace vnetref::inet {

namespace {

constexpr uint32_t kLimitedBroadcast = 0xffffffffu;

uint16_t chain_sum(const core::Packet& head) {
  wire::ChecksumAccumulator acc;
  for (const core::Packet* s = &head; s != nullptr; s = s->next) acc.add({s->data(), s->data_len});
  return acc.sum();
}

SocketError from_ip_error(IpSendError e) {
  switch (e) {
    case IpSendError::kNoRoute: return SocketError::kNetworkUnreachable;
    case IpSendError::kHostUnreachable: return SocketError::kHostUnreachable;
    case IpSendError::kMessageTooBig: return SocketError::kMessageTooBig;
    case IpSendError::kNoBuffers: return SocketError::kNoBuffers;
    case IpSendError::kDown: return SocketError::kNetworkDown;
    case IpSendError::kCount: break;
  }
  return SocketError::kInvalidArgument;
}

}  // namespace

const char* name_of(SocketError e) {
  switch (e) {
    case SocketError::kInvalidArgument: return "EINVAL";
    case SocketError::kBadDescriptor: return "EBADF";
    case SocketError::kAddressInUse: return "EADDRINUSE";
    case SocketError::kAddressNotAvailable: return "EADDRNOTAVAIL";
    case SocketError::kNotConnected: return "ENOTCONN";
    case SocketError::kAlreadyConnected: return "EISCONN";
    case SocketError::kWouldBlock: return "EWOULDBLOCK";
    case SocketError::kMessageTooBig: return "EMSGSIZE";
    case SocketError::kNetworkUnreachable: return "ENETUNREACH";
    case SocketError::kHostUnreachable: return "EHOSTUNREACH";
    case SocketError::kConnectionRefused: return "ECONNREFUSED";
    case SocketError::kConnectionReset: return "ECONNRESET";
    case SocketError::kConnectionAborted: return "ECONNABORTED";
    case SocketError::kTimedOut: return "ETIMEDOUT";
    case SocketError::kNoBuffers: return "ENOBUFS";
    case SocketError::kBrokenPipe: return "EPIPE";
    case SocketError::kTooManySockets: return "EMFILE";
    case SocketError::kNotSupported: return "EOPNOTSUPP";
    case SocketError::kInProgress: return "EINPROGRESS";
    case SocketError::kNetworkDown: return "ENETDOWN";
    case SocketError::kPermissionDenied: return "EACCES";
    case SocketError::kCount: break;
  }
  return "?";
}

Udp::Udp(Netstack& stack) : stack_(stack) {}
Udp::~Udp() = default;

Udp::Socket* Udp::get(UdpSocketId s) {
  if (s.index >= sockets_.size()) return nullptr;
  Socket& so = sockets_[s.index];
  return so.open && so.generation == s.generation ? &so : nullptr;
}

const Udp::Socket* Udp::get(UdpSocketId s) const { return const_cast<Udp*>(this)->get(s); }

UdpSocketId Udp::id_of(const Socket& so) const {
  return UdpSocketId{static_cast<uint32_t>(&so - sockets_.data()), so.generation};
}

core::Result<UdpSocketId, SocketError> Udp::open() {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if (sockets_.size() >= kMaxSockets) return core::Err(SocketError::kTooManySockets);
    // The vector's storage moves when it grows; sockets are referred to by index only.
    sockets_.emplace_back();
    index = static_cast<uint32_t>(sockets_.size() - 1);
  }
  Socket& so = sockets_[index];
  const uint32_t gen = so.generation + 1;
  std::vector<Datagram> ring = std::move(so.ring);
  so = Socket{};
  so.generation = gen;
  so.open = true;
  so.ring = std::move(ring);
  if (so.ring.size() != kMaxQueuedDatagrams) so.ring.resize(kMaxQueuedDatagrams);
  so.rcvbuf = static_cast<uint32_t>(stack_.tunables().value(stack_.tunable_ids().udp_recvspace));
  ++open_count_;
  return id_of(so);
}

bool Udp::port_conflict(uint16_t port, uint32_t addr, bool reuse) const {
  auto it = by_port_.find(port);
  if (it == by_port_.end()) return false;
  for (uint32_t i : it->second) {
    const Socket& o = sockets_[i];
    if (o.local.addr != addr && o.local.addr != 0 && addr != 0) continue;
    if (reuse && o.reuse_port) continue;
    return true;
  }
  return false;
}

core::Result<uint16_t, SocketError> Udp::ephemeral_port(uint32_t addr) {
  const auto& t = stack_.tunables();
  const auto& ids = stack_.tunable_ids();
  uint32_t first = static_cast<uint32_t>(t.value(ids.ip_portrange_first));
  uint32_t last = static_cast<uint32_t>(t.value(ids.ip_portrange_last));
  if (first > last) std::swap(first, last);
  const uint32_t span = last - first + 1;
  for (uint32_t n = 0; n < span; ++n) {
    const uint16_t port = static_cast<uint16_t>(first + (next_ephemeral_++ % span));
    if (!port_conflict(port, addr, false)) return port;
  }
  return core::Err(SocketError::kAddressNotAvailable);
}

void Udp::index_add(Socket& so) {
  by_port_[so.local.port].push_back(id_of(so).index);
}

void Udp::index_remove(Socket& so) {
  auto it = by_port_.find(so.local.port);
  if (it == by_port_.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), id_of(so).index), v.end());
  if (v.empty()) by_port_.erase(it);
}

core::Status<SocketError> Udp::bind(UdpSocketId s, SockAddr local) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (so->bound) return core::Err(SocketError::kInvalidArgument);
  if (local.addr != 0 && local.addr != kLimitedBroadcast && !stack_.is_local_address(local.addr)) {
    return core::Err(SocketError::kAddressNotAvailable);
  }
  if (local.port == 0) {
    auto p = ephemeral_port(local.addr);
    if (!p) return core::Err(p.error());
    local.port = *p;
  } else if (port_conflict(local.port, local.addr, so->reuse_port)) {
    return core::Err(SocketError::kAddressInUse);
  }
  so->local = local;
  so->bound = true;
  index_add(*so);
  return core::Ok{};
}

core::Status<SocketError> Udp::connect(UdpSocketId s, SockAddr remote) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (remote.addr == 0) {  // AF_UNSPEC: dissolve the association
    so->connected = false;
    so->remote = {};
    return core::Ok{};
  }
  if (remote.port == 0) return core::Err(SocketError::kInvalidArgument);
  if (remote.addr == kLimitedBroadcast && !so->broadcast) return core::Err(SocketError::kPermissionDenied);
  if (so->local.addr == 0) {
    auto src = stack_.source_for(remote.addr);
    if (!src) return core::Err(SocketError::kNetworkUnreachable);
    if (so->bound) {
      // Keep the port; the socket stays in the same index bucket.
      so->local.addr = *src;
    } else {
      so->local.addr = *src;
    }
  }
  if (!so->bound) {
    auto p = ephemeral_port(so->local.addr);
    if (!p) return core::Err(p.error());
    so->local.port = *p;
    so->bound = true;
    index_add(*so);
  }
  so->remote = remote;
  so->connected = true;
  return core::Ok{};
}

core::Result<size_t, SocketError> Udp::output(Socket& so, core::PacketPtr payload, SockAddr dst) {
  if (so.shut_wr) return core::Err(SocketError::kBrokenPipe);
  if (dst.port == 0 || dst.addr == 0) return core::Err(SocketError::kInvalidArgument);
  const auto& t = stack_.tunables();
  const auto& ids = stack_.tunable_ids();
  const uint32_t len = payload->pkt_len;
  if (len > static_cast<uint32_t>(t.value(ids.udp_maxdgram)) || len + 8 > 65535 - 20) {
    return core::Err(SocketError::kMessageTooBig);
  }
  const bool bcast = dst.addr == kLimitedBroadcast || (dst.addr >> 28) == 0xe;
  if (dst.addr == kLimitedBroadcast && !so.broadcast) return core::Err(SocketError::kPermissionDenied);
  if (!so.bound) {
    auto p = ephemeral_port(so.local.addr);
    if (!p) return core::Err(p.error());
    so.local.port = *p;
    so.bound = true;
    index_add(so);
  }
  uint32_t src = so.local.addr;
  if (src == 0 || src == kLimitedBroadcast) {
    auto s = stack_.source_for(dst.addr);
    if (!s) return core::Err(SocketError::kNetworkUnreachable);
    src = *s;
  }
  uint8_t* h = core::mbuf::prepend(payload, 8, stack_.pool());
  if (h == nullptr) return core::Err(SocketError::kNoBuffers);
  std::span<uint8_t> hdr(h, 8);
  wire::store_be16(hdr, 0, so.local.port);
  wire::store_be16(hdr, 2, dst.port);
  wire::store_be16(hdr, 4, static_cast<uint16_t>(len + 8));
  wire::store_be16(hdr, 6, 0);
  if (t.value(ids.udp_checksum) != 0) {
    wire::ChecksumAccumulator acc;
    acc.add16(wire::ipv4_pseudo_header_sum(wire::Ipv4Address(src), wire::Ipv4Address(dst.addr), wire::kIpProtoUdp,
                                           static_cast<uint16_t>(len + 8)));
    const uint16_t c = wire::ones_add(acc.sum(), chain_sum(*payload));
    const uint16_t csum = static_cast<uint16_t>(~c);
    wire::store_be16(hdr, 6, csum == 0 ? 0xffff : csum);  // RFC 768: 0 means "none"
  }
  IpMeta m;
  m.src = src;
  m.dst = dst.addr;
  m.protocol = wire::kIpProtoUdp;
  m.ttl = so.ttl;
  m.tos = so.tos;
  m.dont_fragment = so.dont_fragment;
  (void)bcast;
  auto st = stack_.ip_output(std::move(payload), m);
  if (!st) return core::Err(from_ip_error(st.error()));
  ++stats_.datagrams_out;
  return static_cast<size_t>(len);
}

core::Result<size_t, SocketError> Udp::send(UdpSocketId s, std::span<const uint8_t> bytes) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (!so->connected) return core::Err(SocketError::kNotConnected);
  return send_to(s, bytes, so->remote);
}

core::Result<size_t, SocketError> Udp::send_to(UdpSocketId s, std::span<const uint8_t> bytes, SockAddr dst) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (so->connected && !(dst == so->remote)) return core::Err(SocketError::kAlreadyConnected);
  if (bytes.size() > 65507) return core::Err(SocketError::kMessageTooBig);
  core::PacketPtr p = stack_.pool().alloc();
  if (!p) return core::Err(SocketError::kNoBuffers);
  if (!core::mbuf::append(p, bytes, stack_.pool())) return core::Err(SocketError::kNoBuffers);
  return output(*so, std::move(p), dst);
}

core::Result<size_t, SocketError> Udp::send_mbuf_to(UdpSocketId s, core::PacketPtr& payload, SockAddr dst) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (!payload) return core::Err(SocketError::kInvalidArgument);
  if (so->connected && !(dst == so->remote)) return core::Err(SocketError::kAlreadyConnected);
  return output(*so, std::move(payload), dst);
}

void Udp::enqueue(Socket& so, core::PacketPtr payload, SockAddr from) {
  const uint32_t len = payload->pkt_len;
  if (so.shut_rd || so.count >= kMaxQueuedDatagrams || so.queued_bytes + len > so.rcvbuf) {
    stack_.count_drop(InetDrop::kUdpRecvBufFull);
    return;
  }
  Datagram& d = so.ring[(so.head + so.count) % kMaxQueuedDatagrams];
  d.payload = std::move(payload);
  d.from = from;
  ++so.count;
  so.queued_bytes += len;
  ++stats_.delivered;
  fire(so);
}

void Udp::fire(Socket& so) {
  if (!so.on_event) return;
  ++callback_depth_;
  so.on_event(id_of(so));  // no copy: close() keeps the function alive (graveyard_)
  if (--callback_depth_ == 0) graveyard_.clear();
}

void Udp::input(core::PacketPtr segment, const IpMeta& meta) {
  ++stats_.datagrams_in;
  if (segment->pkt_len < 8 || !core::mbuf::pullup(segment, 8, stack_.pool())) {
    stack_.count_drop(InetDrop::kUdpTruncated);
    return;
  }
  std::span<const uint8_t> hdr(segment->data(), 8);
  const uint16_t sport = wire::load_be16(hdr, 0);
  const uint16_t dport = wire::load_be16(hdr, 2);
  const uint16_t ulen = wire::load_be16(hdr, 4);
  const uint16_t csum = wire::load_be16(hdr, 6);
  if (ulen < 8 || ulen > segment->pkt_len) {
    stack_.count_drop(ulen < 8 ? InetDrop::kUdpBadLength : InetDrop::kUdpTruncated);
    return;
  }
  if (ulen < segment->pkt_len) core::mbuf::adj(segment, -static_cast<int64_t>(segment->pkt_len - ulen));
  if (csum != 0 && segment->meta.csum != core::CsumState::kVerified) {
    wire::ChecksumAccumulator acc;
    acc.add16(wire::ipv4_pseudo_header_sum(wire::Ipv4Address(meta.src), wire::Ipv4Address(meta.dst),
                                           wire::kIpProtoUdp, ulen));
    if (wire::ones_add(acc.sum(), chain_sum(*segment)) != 0xffff) {
      stack_.count_drop(InetDrop::kUdpBadChecksum);
      return;
    }
  }
  const bool multi = meta.dst == kLimitedBroadcast || (meta.dst >> 28) == 0xe || !stack_.is_local_address(meta.dst);
  const SockAddr from{meta.src, sport};
  auto it = by_port_.find(dport);
  if (it != by_port_.end()) {
    if (!multi) {
      // Most specific match: connected > bound to this address > wildcard.
      Socket* best = nullptr;
      int best_score = -1;
      for (uint32_t i : it->second) {
        Socket& so = sockets_[i];
        if (so.local.addr != 0 && so.local.addr != meta.dst) continue;
        if (so.connected && !(so.remote == from)) continue;
        const int score = (so.connected ? 2 : 0) + (so.local.addr != 0 ? 1 : 0);
        if (score > best_score) {
          best = &so;
          best_score = score;
        }
      }
      if (best != nullptr) {
        core::mbuf::adj(segment, 8);
        enqueue(*best, std::move(segment), from);
        return;
      }
    } else {
      // Every interested socket gets the datagram (clones share the bytes). Collect
      // first, deliver after: a callback may open, bind or close sockets.
      std::array<UdpSocketId, kMaxFanout> targets;
      size_t n = 0;
      for (uint32_t i : it->second) {
        Socket& so = sockets_[i];
        if (so.local.addr != 0 && so.local.addr != meta.dst && !stack_.is_local_address(so.local.addr)) continue;
        if (so.connected && !(so.remote == from)) continue;
        if (n == kMaxFanout) break;
        targets[n++] = id_of(so);
      }
      if (n > 0) {
        core::mbuf::adj(segment, 8);
        for (size_t k = 0; k < n; ++k) {
          core::PacketPtr copy = k + 1 < n ? stack_.pool().clone(*segment) : std::move(segment);
          Socket* so = get(targets[k]);
          if (copy && so != nullptr) enqueue(*so, std::move(copy), from);
        }
        return;
      }
    }
  }
  stack_.count_drop(InetDrop::kUdpNoSocket);
  // RFC 1122 4.1.3.1: port unreachable for unicast only.
  if (!multi && stack_.tunables().value(stack_.tunable_ids().udp_blackhole) == 0) {
    ++stats_.port_unreachable_sent;
    stack_.send_icmp_unreachable(std::move(segment), meta, wire::icmp_unreach::kPort);
  }
}

void Udp::icmp_error(const IcmpErrorInfo& info) {
  if (info.type == wire::icmp_type::kDestUnreachable && info.code == wire::icmp_unreach::kFragNeeded) {
    return;  // the path MTU was updated by the IP layer; datagram sockets just see EMSGSIZE later
  }
  SocketError err;
  if (info.type == wire::icmp_type::kDestUnreachable) {
    switch (info.code) {
      case wire::icmp_unreach::kPort:
      case wire::icmp_unreach::kProtocol: err = SocketError::kConnectionRefused; break;
      case wire::icmp_unreach::kNet: err = SocketError::kNetworkUnreachable; break;
      default: err = SocketError::kHostUnreachable; break;
    }
  } else if (info.type == wire::icmp_type::kTimeExceeded) {
    err = SocketError::kHostUnreachable;
  } else {
    return;
  }
  // BSD semantics: asynchronous errors go to connected sockets only. Collect, then
  // notify: a callback may change the port table.
  auto it = by_port_.find(info.orig_sport);
  if (it == by_port_.end()) return;
  std::array<UdpSocketId, kMaxFanout> targets;
  size_t n = 0;
  for (uint32_t i : it->second) {
    Socket& so = sockets_[i];
    if (!so.connected || so.remote.addr != info.orig_dst || so.remote.port != info.orig_dport) continue;
    if (so.local.addr != 0 && so.local.addr != info.orig_src) continue;
    so.error = err;
    if (n < kMaxFanout) targets[n++] = id_of(so);
  }
  for (size_t k = 0; k < n; ++k) {
    if (Socket* so = get(targets[k])) fire(*so);
  }
}

core::Result<size_t, SocketError> Udp::recv_from(UdpSocketId s, std::span<uint8_t> out, SockAddr* from) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (so->count == 0) {
    if (so->error) {
      SocketError e = *so->error;
      so->error.reset();
      return core::Err(e);
    }
    return core::Err(SocketError::kWouldBlock);
  }
  Datagram& d = so->ring[so->head];
  const uint32_t n = std::min<uint32_t>(d.payload->pkt_len, static_cast<uint32_t>(out.size()));
  (void)core::Mbuf(*d.payload).copy_data(0, out.subspan(0, n));
  if (from != nullptr) *from = d.from;
  so->queued_bytes -= d.payload->pkt_len;
  d.payload.reset();
  so->head = static_cast<uint32_t>((so->head + 1) % kMaxQueuedDatagrams);
  --so->count;
  return static_cast<size_t>(n);
}

core::Result<core::PacketPtr, SocketError> Udp::recv_mbuf(UdpSocketId s, SockAddr* from) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (so->count == 0) {
    if (so->error) {
      SocketError e = *so->error;
      so->error.reset();
      return core::Err(e);
    }
    return core::Err(SocketError::kWouldBlock);
  }
  Datagram& d = so->ring[so->head];
  if (from != nullptr) *from = d.from;
  so->queued_bytes -= d.payload->pkt_len;
  core::PacketPtr p = std::move(d.payload);
  so->head = static_cast<uint32_t>((so->head + 1) % kMaxQueuedDatagrams);
  --so->count;
  return p;
}

core::Status<SocketError> Udp::shutdown(UdpSocketId s, ShutdownHow how) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (!so->connected) return core::Err(SocketError::kNotConnected);
  if (how != ShutdownHow::kWrite) so->shut_rd = true;
  if (how != ShutdownHow::kRead) so->shut_wr = true;
  return core::Ok{};
}

core::Status<SocketError> Udp::close(UdpSocketId s) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (so->bound) index_remove(*so);
  for (auto& d : so->ring) d.payload.reset();
  so->open = false;
  if (callback_depth_ > 0 && so->on_event) {
    graveyard_.push_back(std::move(so->on_event));  // it may be the one running now
  }
  so->on_event = nullptr;
  so->count = 0;
  so->queued_bytes = 0;
  free_.push_back(s.index);
  --open_count_;
  return core::Ok{};
}

core::Status<SocketError> Udp::setsockopt(UdpSocketId s, UdpOpt opt, int64_t value) {
  Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  switch (opt) {
    case UdpOpt::kRcvBuf:
      if (value < 1 || value > 16 * 1024 * 1024) return core::Err(SocketError::kInvalidArgument);
      so->rcvbuf = static_cast<uint32_t>(value);
      return core::Ok{};
    case UdpOpt::kBroadcast: so->broadcast = value != 0; return core::Ok{};
    case UdpOpt::kReusePort:
      if (so->bound) return core::Err(SocketError::kInvalidArgument);
      so->reuse_port = value != 0;
      return core::Ok{};
    case UdpOpt::kDontFragment: so->dont_fragment = value != 0; return core::Ok{};
    case UdpOpt::kTtl:
      if (value < 0 || value > 255) return core::Err(SocketError::kInvalidArgument);
      so->ttl = static_cast<uint8_t>(value);
      return core::Ok{};
    case UdpOpt::kTos:
      if (value < 0 || value > 255) return core::Err(SocketError::kInvalidArgument);
      so->tos = static_cast<uint8_t>(value);
      return core::Ok{};
    case UdpOpt::kCount: break;
  }
  return core::Err(SocketError::kInvalidArgument);
}

core::Result<int64_t, SocketError> Udp::getsockopt(UdpSocketId s, UdpOpt opt) const {
  const Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  switch (opt) {
    case UdpOpt::kRcvBuf: return int64_t{so->rcvbuf};
    case UdpOpt::kBroadcast: return int64_t{so->broadcast};
    case UdpOpt::kReusePort: return int64_t{so->reuse_port};
    case UdpOpt::kDontFragment: return int64_t{so->dont_fragment};
    case UdpOpt::kTtl: return int64_t{so->ttl};
    case UdpOpt::kTos: return int64_t{so->tos};
    case UdpOpt::kCount: break;
  }
  return core::Err(SocketError::kInvalidArgument);
}

uint32_t Udp::poll(UdpSocketId s) const {
  const Socket* so = get(s);
  if (so == nullptr) return PollEvents::kErr;
  uint32_t ev = 0;
  if (so->count > 0 || so->shut_rd) ev |= PollEvents::kIn;
  if (!so->shut_wr) ev |= PollEvents::kOut;
  if (so->error) ev |= PollEvents::kErr;
  return ev;
}

std::optional<SocketError> Udp::take_error(UdpSocketId s) {
  Socket* so = get(s);
  if (so == nullptr) return SocketError::kBadDescriptor;
  auto e = so->error;
  so->error.reset();
  return e;
}

core::Result<SockAddr, SocketError> Udp::local_endpoint(UdpSocketId s) const {
  const Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  return so->local;
}

core::Result<SockAddr, SocketError> Udp::remote_endpoint(UdpSocketId s) const {
  const Socket* so = get(s);
  if (so == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (!so->connected) return core::Err(SocketError::kNotConnected);
  return so->remote;
}

void Udp::set_callback(UdpSocketId s, std::function<void(UdpSocketId)> on_event) {
  Socket* so = get(s);
  if (so == nullptr) return;
  if (callback_depth_ > 0 && so->on_event) graveyard_.push_back(std::move(so->on_event));
  so->on_event = std::move(on_event);
}

size_t Udp::queued_datagrams(UdpSocketId s) const {
  const Socket* so = get(s);
  return so == nullptr ? 0 : so->count;
}

}  // namespace vnetref::inet
