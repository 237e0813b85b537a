// A Linux TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI) as a frame link.
//
// The device carries whole Ethernet frames without a packet-information header.
// transmit() writes one frame per write(2) (writev for chained mbufs, no copy);
// poll_rx() reads whatever is pending without blocking, each frame into a packet of
// the given pool, and hands it to the attached receiver. Everything is bounded:
// a burst limit per poll_rx, and every failed read/write is counted with its reason.
//
// This is the live-time path: callers drive it with core::MonotonicClock, in bounded
// loops. Creating the device needs CAP_NET_ADMIN; tests do it inside a network
// namespace they create themselves (see tap_interop_test.sh).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "stack/core/buffer_pool.h"
#include "stack/core/counters.h"
#include "stack/core/result.h"
#include "stack/link/link.h"

namespace vnetref::driver::tap {

enum class TapError : uint8_t {
  kNoDevice,      // /dev/net/tun cannot be opened (ENOENT / EACCES)
  kNotPermitted,  // TUNSETIFF refused: no CAP_NET_ADMIN
  kBadName,       // longer than IFNAMSIZ - 1
  kIoctl,         // any other ioctl failure
  kCount
};
const char* name_of(TapError e);

enum class TapDrop : uint8_t {
  kWriteFailed,   // write(2) error other than EAGAIN
  kWouldBlock,    // the kernel queue is full (EAGAIN)
  kShortWrite,
  kTooManySegs,   // chain longer than the writev bound
  kReadFailed,
  kNoBuffers,     // rx pool exhausted: the frame is read and discarded
  kNoReceiver,
  kCount
};
const char* name_of(TapDrop d);

struct TapStats {
  uint64_t rx_frames = 0, rx_bytes = 0;
  uint64_t tx_frames = 0, tx_bytes = 0;
  core::ReasonCounters<TapDrop> drops;
};

class TapDevice final : public link::Endpoint {
 public:
  static constexpr size_t kMaxSegments = 64;  // writev bound per frame
  static constexpr size_t kMaxFrame = 65535 + 18;

  // Creates (or attaches to) TAP interface `name` in the caller's network namespace.
  static core::Result<std::unique_ptr<TapDevice>, TapError> open(std::string_view name, core::BufferPool& rx_pool);
  ~TapDevice() override;
  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;

  void transmit(core::PacketPtr frame) override;
  uint32_t max_frame_len() const override { return kMaxFrame; }

  // Reads up to `max` pending frames and delivers them; returns how many were read.
  size_t poll_rx(size_t max = 64);
  // Waits at most `timeout` for a frame to be readable (poll(2)); false on timeout.
  bool wait_readable(std::chrono::milliseconds timeout) const;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  const TapStats& stats() const { return stats_; }

 private:
  TapDevice(int fd, std::string name, core::BufferPool& pool) : fd_(fd), name_(std::move(name)), pool_(pool) {}
  int fd_;
  std::string name_;
  core::BufferPool& pool_;
  TapStats stats_;
};

}  // namespace vnetref::driver::tap
