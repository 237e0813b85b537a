// Vocabulary shared by UDP and the BSD-style socket façade: typed errno values,
// socket addresses and poll(2) bits.
#pragma once

#include <cstdint>

namespace vnetref::inet {

// errno-like, typed (the POSIX name each one stands for is in the comment).
enum class SocketError : uint8_t {
  kInvalidArgument,     // EINVAL
  kBadDescriptor,       // EBADF
  kAddressInUse,        // EADDRINUSE
  kAddressNotAvailable, // EADDRNOTAVAIL
  kNotConnected,        // ENOTCONN
  kAlreadyConnected,    // EISCONN
  kWouldBlock,          // EAGAIN / EWOULDBLOCK
  kMessageTooBig,       // EMSGSIZE
  kNetworkUnreachable,  // ENETUNREACH
  kHostUnreachable,     // EHOSTUNREACH
  kConnectionRefused,   // ECONNREFUSED
  kConnectionReset,     // ECONNRESET
  kConnectionAborted,   // ECONNABORTED
  kTimedOut,            // ETIMEDOUT
  kNoBuffers,           // ENOBUFS
  kBrokenPipe,          // EPIPE
  kTooManySockets,      // EMFILE
  kNotSupported,        // EOPNOTSUPP
  kInProgress,          // EINPROGRESS / EALREADY
  kNetworkDown,         // ENETDOWN
  kPermissionDenied,    // EACCES (broadcast without SO_BROADCAST)
  kCount
};
const char* name_of(SocketError e);

// IPv4 socket address; addr in host byte order (wire::Ipv4Address::to_u32()).
struct SockAddr {
  uint32_t addr = 0;
  uint16_t port = 0;
  friend constexpr bool operator==(SockAddr, SockAddr) = default;
};

// poll(2) event bits (same values as Linux/BSD).
struct PollEvents {
  static constexpr uint32_t kIn = 0x001;
  static constexpr uint32_t kOut = 0x004;
  static constexpr uint32_t kErr = 0x008;
  static constexpr uint32_t kHup = 0x010;
  static constexpr uint32_t kRdHup = 0x2000;
};

enum class ShutdownHow : uint8_t { kRead, kWrite, kBoth };

}  // namespace vnetref::inet
