#include "stack/inet/transport.h"

namespace vnetref::inet {

const char* name_of(IpSendError e) {
  switch (e) {
    case IpSendError::kNoRoute: return "no_route";
    case IpSendError::kHostUnreachable: return "host_unreachable";
    case IpSendError::kMessageTooBig: return "message_too_big";
    case IpSendError::kNoBuffers: return "no_buffers";
    case IpSendError::kDown: return "interface_down";
    case IpSendError::kCount: break;
  }
  return "?";
}

}  // namespace vnetref::inet
