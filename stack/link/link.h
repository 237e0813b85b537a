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

class Endpoint;

// Receiver and endpoint know each other, so either may be destroyed first: the one
// that goes detaches the other (no dangling pointer whichever order owners use).
class FrameReceiver {
 public:
  virtual ~FrameReceiver();
  virtual void receive_frame(core::PacketPtr frame) = 0;
  // The endpoint this receiver was attached to is being destroyed.
  virtual void link_detached(Endpoint* link) {}

 private:
  friend class Endpoint;
  Endpoint* endpoint_ = nullptr;
};

class Endpoint {
 public:
  virtual ~Endpoint() {
    if (receiver_ != nullptr) {
      FrameReceiver* r = receiver_;
      receiver_ = nullptr;
      r->endpoint_ = nullptr;
      r->link_detached(this);
    }
  }
  virtual void transmit(core::PacketPtr frame) = 0;
  // Frames arriving at this endpoint go to `r` (nullptr: dropped and counted). A
  // receiver is attached to at most one endpoint at a time.
  void attach(FrameReceiver* r) {
    if (receiver_ != nullptr) receiver_->endpoint_ = nullptr;
    receiver_ = r;
    if (r != nullptr) {
      if (r->endpoint_ != nullptr && r->endpoint_ != this) r->endpoint_->receiver_ = nullptr;
      r->endpoint_ = this;
    }
  }
  FrameReceiver* receiver() const { return receiver_; }
  // Largest frame (without FCS) the medium carries; larger frames are dropped.
  virtual uint32_t max_frame_len() const { return 65535; }

 protected:
  FrameReceiver* receiver_ = nullptr;
};

inline FrameReceiver::~FrameReceiver() {
  if (endpoint_ != nullptr) endpoint_->attach(nullptr);
}

}  // namespace vnetref::link
