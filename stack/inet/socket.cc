#include "stack/inet/socket.h"

#include "stack/inet/netstack.h"

namespace vnetref::inet {

static_assert(tcp::PollBits::kIn == PollEvents::kIn && tcp::PollBits::kOut == PollEvents::kOut &&
              tcp::PollBits::kErr == PollEvents::kErr && tcp::PollBits::kHup == PollEvents::kHup &&
              tcp::PollBits::kRdHup == PollEvents::kRdHup);

namespace {
tcp::Endpoint to_tcp(SockAddr a) { return tcp::Endpoint{a.addr, a.port}; }
SockAddr from_tcp_ep(tcp::Endpoint e) { return SockAddr{e.addr, e.port}; }
tcp::Shutdown to_tcp(ShutdownHow h) {
  switch (h) {
    case ShutdownHow::kRead: return tcp::Shutdown::kRead;
    case ShutdownHow::kWrite: return tcp::Shutdown::kWrite;
    case ShutdownHow::kBoth: break;
  }
  return tcp::Shutdown::kBoth;
}
}  // namespace

SocketError Sockets::from_tcp(tcp::TcpError e) {
  using tcp::TcpError;
  switch (e) {
    case TcpError::kInvalidArgument: return SocketError::kInvalidArgument;
    case TcpError::kBadSocket: return SocketError::kBadDescriptor;
    case TcpError::kAddressInUse: return SocketError::kAddressInUse;
    case TcpError::kAddressNotAvailable: return SocketError::kAddressNotAvailable;
    case TcpError::kNotConnected: return SocketError::kNotConnected;
    case TcpError::kAlreadyConnected: return SocketError::kAlreadyConnected;
    case TcpError::kInProgress: return SocketError::kInProgress;
    case TcpError::kNotListening: return SocketError::kInvalidArgument;
    case TcpError::kWouldBlock: return SocketError::kWouldBlock;
    case TcpError::kConnectionRefused: return SocketError::kConnectionRefused;
    case TcpError::kConnectionReset: return SocketError::kConnectionReset;
    case TcpError::kConnectionAborted: return SocketError::kConnectionAborted;
    case TcpError::kTimedOut: return SocketError::kTimedOut;
    case TcpError::kHostUnreachable: return SocketError::kHostUnreachable;
    case TcpError::kNetworkUnreachable: return SocketError::kNetworkUnreachable;
    case TcpError::kNoBuffers: return SocketError::kNoBuffers;
    case TcpError::kBrokenPipe: return SocketError::kBrokenPipe;
    case TcpError::kTooManySockets: return SocketError::kTooManySockets;
    case TcpError::kCount: break;
  }
  return SocketError::kInvalidArgument;
}

Sockets::Sockets(Netstack& stack, tcp::TcpStack* tcp) : stack_(stack), tcp_(tcp) {}

Sockets::~Sockets() {
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i].open) (void)close(static_cast<int>(i));
  }
}

Sockets::Desc* Sockets::get(int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size() || !fds_[static_cast<size_t>(fd)].open) return nullptr;
  return &fds_[static_cast<size_t>(fd)];
}
const Sockets::Desc* Sockets::get(int fd) const { return const_cast<Sockets*>(this)->get(fd); }

core::Result<int, SocketError> Sockets::allocate(SockType type) {
  size_t i = 0;
  while (i < fds_.size() && fds_[i].open) ++i;
  if (i == fds_.size()) {
    if (fds_.size() >= kMaxDescriptors) return core::Err(SocketError::kTooManySockets);
    fds_.emplace_back();
  }
  fds_[i] = Desc{};
  fds_[i].open = true;
  fds_[i].type = type;
  ++open_;
  return static_cast<int>(i);
}

void Sockets::notify(int fd) {
  Desc* d = get(fd);
  if (d != nullptr && d->cb) {
    std::shared_ptr<Callback> keep = d->cb;  // the callback may close the descriptor
    (*keep)(fd, poll(fd));
  }
}

void Sockets::hook_tcp(int fd) {
  tcp::TcpCallbacks cbs;
  auto n = [this, fd](tcp::SocketId) { notify(fd); };
  cbs.on_connected = n;
  cbs.on_acceptable = n;
  cbs.on_readable = n;
  cbs.on_writable = n;
  cbs.on_closed = [this, fd](tcp::SocketId, std::optional<tcp::TcpError>) { notify(fd); };
  tcp_->set_callbacks(fds_[static_cast<size_t>(fd)].tcp, std::move(cbs));
}

core::Result<int, SocketError> Sockets::socket(SockType type) {
  if (type == SockType::kStream && tcp_ == nullptr) return core::Err(SocketError::kNotSupported);
  auto fd = allocate(type);
  if (!fd) return fd;
  Desc& d = fds_[static_cast<size_t>(*fd)];
  if (type == SockType::kDgram) {
    auto s = stack_.udp().open();
    if (!s) {
      d.open = false;
      --open_;
      return core::Err(s.error());
    }
    d.udp = *s;
  } else {
    auto s = tcp_->open();
    if (!s) {
      d.open = false;
      --open_;
      return core::Err(from_tcp(s.error()));
    }
    d.tcp = *s;
    hook_tcp(*fd);
  }
  return fd;
}

#define VNETREF_FD_OR_EBADF(d, fd)                               \
  Desc* d = get(fd);                                             \
  if (d == nullptr) return core::Err(SocketError::kBadDescriptor)

template <typename T>
static core::Result<T, SocketError> map_tcp(core::Result<T, tcp::TcpError> r) {
  if (!r) return core::Err(Sockets::from_tcp(r.error()));
  return std::move(*r);
}
static core::Status<SocketError> map_tcp(core::Status<tcp::TcpError> r) {
  if (!r) return core::Err(Sockets::from_tcp(r.error()));
  return core::Ok{};
}

core::Status<SocketError> Sockets::bind(int fd, SockAddr local) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().bind(d->udp, local);
  return map_tcp(tcp_->bind(d->tcp, to_tcp(local)));
}

core::Status<SocketError> Sockets::listen(int fd, uint32_t backlog) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return core::Err(SocketError::kNotSupported);
  return map_tcp(tcp_->listen(d->tcp, backlog));
}

core::Result<int, SocketError> Sockets::accept(int fd, SockAddr* peer) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return core::Err(SocketError::kNotSupported);
  auto s = tcp_->accept(d->tcp);
  if (!s) return core::Err(from_tcp(s.error()));
  auto nfd = allocate(SockType::kStream);
  if (!nfd) {
    (void)tcp_->abort(*s);
    return nfd;
  }
  fds_[static_cast<size_t>(*nfd)].tcp = *s;
  hook_tcp(*nfd);
  if (peer != nullptr) {
    auto r = tcp_->remote_endpoint(*s);
    if (r) *peer = from_tcp_ep(*r);
  }
  return nfd;
}

core::Status<SocketError> Sockets::connect(int fd, SockAddr remote) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().connect(d->udp, remote);
  auto st = tcp_->connect(d->tcp, to_tcp(remote));
  if (!st) return core::Err(from_tcp(st.error()));
  // Non-blocking connect(2): the handshake runs in the background.
  if (tcp_->state(d->tcp) == tcp::TcpState::kEstablished) return core::Ok{};
  return core::Err(SocketError::kInProgress);
}

core::Result<size_t, SocketError> Sockets::send(int fd, std::span<const uint8_t> bytes) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().send(d->udp, bytes);
  return map_tcp(tcp_->send(d->tcp, bytes));
}

core::Result<size_t, SocketError> Sockets::recv(int fd, std::span<uint8_t> out) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().recv_from(d->udp, out, nullptr);
  return map_tcp(tcp_->recv(d->tcp, out));
}

core::Result<size_t, SocketError> Sockets::send_to(int fd, std::span<const uint8_t> bytes, SockAddr dst) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().send_to(d->udp, bytes, dst);
  if (dst.addr != 0) {
    auto r = tcp_->remote_endpoint(d->tcp);
    if (r && !(from_tcp_ep(*r) == dst)) return core::Err(SocketError::kAlreadyConnected);
  }
  return map_tcp(tcp_->send(d->tcp, bytes));
}

core::Result<size_t, SocketError> Sockets::recv_from(int fd, std::span<uint8_t> out, SockAddr* from) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().recv_from(d->udp, out, from);
  auto n = tcp_->recv(d->tcp, out);
  if (!n) return core::Err(from_tcp(n.error()));
  if (from != nullptr) {
    auto r = tcp_->remote_endpoint(d->tcp);
    if (r) *from = from_tcp_ep(*r);
  }
  return *n;
}

core::Result<size_t, SocketError> Sockets::send_mbuf_to(int fd, core::PacketPtr& chain, SockAddr dst) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().send_mbuf_to(d->udp, chain, dst);
  if (dst.addr != 0) {
    auto r = tcp_->remote_endpoint(d->tcp);
    if (r && !(from_tcp_ep(*r) == dst)) return core::Err(SocketError::kAlreadyConnected);
  }
  return map_tcp(tcp_->send_mbuf(d->tcp, chain));
}

core::Result<core::PacketPtr, SocketError> Sockets::recv_mbuf(int fd, uint32_t max, SockAddr* from) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().recv_mbuf(d->udp, from);
  return map_tcp(tcp_->recv_mbuf(d->tcp, max));
}

core::Status<SocketError> Sockets::shutdown(int fd, ShutdownHow how) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) return stack_.udp().shutdown(d->udp, how);
  return map_tcp(tcp_->shutdown(d->tcp, to_tcp(how)));
}

core::Status<SocketError> Sockets::close(int fd) {
  VNETREF_FD_OR_EBADF(d, fd);
  core::Status<SocketError> st = core::Ok{};
  if (d->type == SockType::kDgram) {
    st = stack_.udp().close(d->udp);
  } else {
    tcp_->set_callbacks(d->tcp, {});
    st = map_tcp(tcp_->close(d->tcp));
  }
  d->open = false;
  d->cb.reset();
  --open_;
  return st;
}


namespace {

// The socket options each protocol understands, one table for set and get.
std::optional<UdpOpt> udp_option(SockOption opt) {
  switch (opt) {
    case SockOption::kRcvBuf: return UdpOpt::kRcvBuf;
    case SockOption::kBroadcast: return UdpOpt::kBroadcast;
    case SockOption::kReusePort: return UdpOpt::kReusePort;
    case SockOption::kDontFragment: return UdpOpt::kDontFragment;
    case SockOption::kTtl: return UdpOpt::kTtl;
    case SockOption::kTos: return UdpOpt::kTos;
    default: return std::nullopt;
  }
}

std::optional<tcp::SockOpt> tcp_option(SockOption opt) {
  switch (opt) {
    case SockOption::kRcvBuf: return tcp::SockOpt::kRcvBuf;
    case SockOption::kSndBuf: return tcp::SockOpt::kSndBuf;
    case SockOption::kKeepAlive: return tcp::SockOpt::kKeepAlive;
    case SockOption::kLingerMs: return tcp::SockOpt::kLingerMs;
    case SockOption::kNoDelay: return tcp::SockOpt::kNoDelay;
    case SockOption::kMaxSeg: return tcp::SockOpt::kMaxSeg;
    case SockOption::kKeepIdleMs: return tcp::SockOpt::kKeepIdleMs;
    case SockOption::kKeepIntvlMs: return tcp::SockOpt::kKeepIntvlMs;
    case SockOption::kKeepCnt: return tcp::SockOpt::kKeepCnt;
    default: return std::nullopt;
  }
}

}  // namespace

core::Status<SocketError> Sockets::setsockopt(int fd, SockOption opt, int64_t value) {
  VNETREF_FD_OR_EBADF(d, fd);
  if (d->type == SockType::kDgram) {
    auto o = udp_option(opt);
    if (!o) return core::Err(SocketError::kNotSupported);
    return stack_.udp().setsockopt(d->udp, *o, value);
  }
  auto o = tcp_option(opt);
  if (!o) return core::Err(SocketError::kNotSupported);
  return map_tcp(tcp_->setsockopt(d->tcp, *o, value));
}

core::Result<int64_t, SocketError> Sockets::getsockopt(int fd, SockOption opt) const {
  const Desc* d = get(fd);
  if (d == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (d->type == SockType::kDgram) {
    auto o = udp_option(opt);
    if (!o) return core::Err(SocketError::kNotSupported);
    return stack_.udp().getsockopt(d->udp, *o);
  }
  auto o = tcp_option(opt);
  if (!o) return core::Err(SocketError::kNotSupported);
  return map_tcp(tcp_->getsockopt(d->tcp, *o));
}

std::optional<SocketError> Sockets::take_error(int fd) {
  Desc* d = get(fd);
  if (d == nullptr) return SocketError::kBadDescriptor;
  if (d->type == SockType::kDgram) return stack_.udp().take_error(d->udp);
  auto e = tcp_->take_error(d->tcp);
  if (!e) return std::nullopt;
  return from_tcp(*e);
}

core::Result<SockAddr, SocketError> Sockets::getsockname(int fd) const {
  const Desc* d = get(fd);
  if (d == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (d->type == SockType::kDgram) return stack_.udp().local_endpoint(d->udp);
  auto r = tcp_->local_endpoint(d->tcp);
  if (!r) return core::Err(from_tcp(r.error()));
  return from_tcp_ep(*r);
}

core::Result<SockAddr, SocketError> Sockets::getpeername(int fd) const {
  const Desc* d = get(fd);
  if (d == nullptr) return core::Err(SocketError::kBadDescriptor);
  if (d->type == SockType::kDgram) return stack_.udp().remote_endpoint(d->udp);
  auto r = tcp_->remote_endpoint(d->tcp);
  if (!r) return core::Err(from_tcp(r.error()));
  return from_tcp_ep(*r);
}

uint32_t Sockets::poll(int fd) const {
  const Desc* d = get(fd);
  if (d == nullptr) return PollEvents::kErr;
  if (d->type == SockType::kDgram) return stack_.udp().poll(d->udp);
  // tcp::PollBits uses the same bit values as PollEvents.
  return tcp_->poll(d->tcp);
}

void Sockets::set_callback(int fd, Callback cb) {
  Desc* d = get(fd);
  if (d == nullptr) return;
  d->cb = cb ? std::make_shared<Callback>(std::move(cb)) : nullptr;
  if (d->type == SockType::kDgram) {
    if (d->cb) {
      stack_.udp().set_callback(d->udp, [this, fd](UdpSocketId) { notify(fd); });
    } else {
      stack_.udp().set_callback(d->udp, nullptr);
    }
  }
}

}  // namespace vnetref::inet
