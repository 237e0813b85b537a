#include "stack/driver/tap/tap_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace vnetref::driver::tap {

const char* name_of(TapError e) {
  switch (e) {
    case TapError::kNoDevice: return "no_tun_device";
    case TapError::kNotPermitted: return "not_permitted";
    case TapError::kBadName: return "bad_name";
    case TapError::kIoctl: return "ioctl_failed";
    case TapError::kCount: break;
  }
  return "?";
}

const char* name_of(TapDrop d) {
  switch (d) {
    case TapDrop::kWriteFailed: return "write_failed";
    case TapDrop::kWouldBlock: return "would_block";
    case TapDrop::kShortWrite: return "short_write";
    case TapDrop::kTooManySegs: return "too_many_segments";
    case TapDrop::kReadFailed: return "read_failed";
    case TapDrop::kNoBuffers: return "no_buffers";
    case TapDrop::kNoReceiver: return "no_receiver";
    case TapDrop::kCount: break;
  }
  return "?";
}

core::Result<std::unique_ptr<TapDevice>, TapError> TapDevice::open(std::string_view name, core::BufferPool& rx_pool) {
  if (name.empty() || name.size() >= IFNAMSIZ) return core::Err(TapError::kBadName);
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return core::Err(TapError::kNoDevice);
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int err = errno;
    ::close(fd);
    return core::Err(err == EPERM || err == EACCES ? TapError::kNotPermitted : TapError::kIoctl);
  }
  return std::unique_ptr<TapDevice>(new TapDevice(fd, std::string(ifr.ifr_name), rx_pool));
}

TapDevice::~TapDevice() {
  if (fd_ >= 0) ::close(fd_);
}

void TapDevice::transmit(core::PacketPtr frame) {
  if (!frame) return;
  std::array<struct iovec, kMaxSegments> iov;
  size_t n = 0;
  for (core::Packet* s = frame.get(); s != nullptr; s = s->next) {
    if (s->data_len == 0) continue;
    if (n == kMaxSegments) {
      stats_.drops.inc(TapDrop::kTooManySegs);
      return;
    }
    iov[n].iov_base = s->data();
    iov[n].iov_len = s->data_len;
    ++n;
  }
  const ssize_t w = ::writev(fd_, iov.data(), static_cast<int>(n));
  if (w < 0) {
    stats_.drops.inc(errno == EAGAIN || errno == EWOULDBLOCK ? TapDrop::kWouldBlock : TapDrop::kWriteFailed);
    return;
  }
  if (static_cast<uint32_t>(w) != frame->pkt_len) {
    stats_.drops.inc(TapDrop::kShortWrite);
    return;
  }
  ++stats_.tx_frames;
  stats_.tx_bytes += static_cast<uint64_t>(w);
}

size_t TapDevice::poll_rx(size_t max) {
  size_t got = 0;
  std::array<uint8_t, kMaxFrame> scratch;
  while (got < max) {
    core::PacketPtr p = pool_.alloc();
    ssize_t r;
    if (p && p->tailroom() >= 1518) {
      // Common case: the frame fits one slot; read straight into it.
      r = ::read(fd_, p->data(), p->tailroom());
      if (r > 0 && static_cast<size_t>(r) == p->tailroom()) {
        // Possibly truncated (a jumbo frame larger than the slot): count it as such.
        stats_.drops.inc(TapDrop::kReadFailed);
        ++got;
        continue;
      }
      if (r > 0) {
        p->data_len = static_cast<uint32_t>(r);
        p->pkt_len = static_cast<uint32_t>(r);
      }
    } else {
      // No buffer: read the frame anyway so the queue drains, and drop it.
      r = ::read(fd_, scratch.data(), scratch.size());
      if (r > 0) {
        stats_.drops.inc(TapDrop::kNoBuffers);
        ++got;
        continue;
      }
    }
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) stats_.drops.inc(TapDrop::kReadFailed);
      break;
    }
    if (r == 0) break;
    ++got;
    ++stats_.rx_frames;
    stats_.rx_bytes += static_cast<uint64_t>(r);
    if (receiver() == nullptr) {
      stats_.drops.inc(TapDrop::kNoReceiver);
      continue;
    }
    receiver()->receive_frame(std::move(p));
  }
  return got;
}

bool TapDevice::wait_readable(std::chrono::milliseconds timeout) const {
  struct pollfd pfd;
  pfd.fd = fd_;
  pfd.events = POLLIN;
  pfd.revents = 0;
  const int r = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  return r > 0 && (pfd.revents & POLLIN) != 0;
}

}  // namespace vnetref::driver::tap
