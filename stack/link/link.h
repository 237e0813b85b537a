// The one narrow frame interface between a netstack instance and whatever carries
// its frames: an in-process pipe, a seeded impairment link, a TAP device (and, later,
// a switch port).
//
// A frame is a complete Ethernet frame without FCS, in a core::PacketPtr. `transmit`
// takes ownership whatever happens: a link that cannot carry the frame drops it and
// counts why. Received frames go to the attached `FrameReceiver`. Links never call
// the receiver from inside `transmit` (deliveries happen from a timer or an explicit
// poll), so a stack may answer a frame while it is still sending: no re-entrancy.
#pragma once

#include <cstdint>

#include "stack/core/packet.h"

namespace vnetref::link {

class FrameReceiver {
 public:
  virtual ~FrameReceiver() = default;
  virtual void receive_frame(core::PacketPtr frame) = 0;
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual void transmit(core::PacketPtr frame) = 0;
  // Frames arriving at this endpoint go to `r` (nullptr: dropped and counted).
  void attach(FrameReceiver* r) { receiver_ = r; }
  FrameReceiver* receiver() const { return receiver_; }
  // Largest frame (without FCS) the medium carries; larger frames are dropped.
  virtual uint32_t max_frame_len() const { return 65535; }

 protected:
  FrameReceiver* receiver_ = nullptr;
};

}  // namespace vnetref::link
