// The port-side interfaces of a switch: what sits at each end of a port.
//
//   PortEndpoint  the thing behind the port (a vNIC, a netstack's vmknic, a physical
//                 NIC / the physical network). The switch hands it frames with
//                 deliver(); it sends frames into the switch with
//                 VirtualSwitch::transmit(). Both move whole batches.
//   PortFilter    something attached on the port's path (the IOChain, a test
//                 filter): called once per batch and direction at an AttachStage.
//
// Direction (core::Direction) is relative to the endpoint, as in the IOChain:
// kEgress = from the endpoint into the switch, kIngress = from the switch to it.
#pragma once

#include <cstdint>

#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/vswitch/types.h"

namespace vnetref::vswitch {

class PortEndpoint {
 public:
  virtual ~PortEndpoint() = default;
  // Frames for the endpoint. It takes (take()/pop_back()) what it keeps; whatever is
  // left in the batch afterwards is released by the switch.
  virtual void deliver(PortId port, core::PacketBatch& batch) = 0;
};

// Where on a port's path a filter sits. Egress walks kPreChain -> kChain ->
// kPostChain; ingress walks the same order (the IOChain reverses its slots inside).
enum class AttachStage : uint8_t { kPreChain = 0, kChain = 1, kPostChain = 2, kCount = 3 };
const char* name_of(AttachStage s);

class VirtualSwitch;

// Given to a filter with every batch, and valid for as long as it stays attached:
// a filter that takes a packet out of the batch must complete it explicitly,
// either now or later (after a slow path): drop() or reinject().
class FilterContext {
 public:
  PortId port() const { return port_; }
  AttachStage stage() const { return stage_; }
  core::Instant now() const;
  core::BufferPool& pool() const;
  // Releases a packet the filter took, counted as DropReason::kFilterDrop.
  void drop(core::PacketPtr p);
  // Hands a taken (or new) packet back: it continues after this filter's stage in
  // direction `dir`. Queued in the port's bounded re-injection queue and processed
  // on the switch's next poll; false (packet dropped and counted) when that is full.
  bool reinject(core::PacketPtr p, core::Direction dir);

  // Packets currently held by this filter (taken and not yet completed).
  int64_t held() const { return held_; }
  uint64_t drops() const { return drops_; }
  uint64_t reinjected() const { return reinjected_; }

 private:
  friend class VirtualSwitch;
  VirtualSwitch* sw_ = nullptr;
  PortId port_ = kNoPort;
  AttachStage stage_ = AttachStage::kChain;
  int64_t held_ = 0;
  bool in_call_ = false;           // inside process(): completions net against what it took
  int64_t completed_in_call_ = 0;
  uint64_t drops_ = 0;
  uint64_t reinjected_ = 0;
};

class PortFilter {
 public:
  virtual ~PortFilter() = default;
  // Packets left in `batch` continue; packets taken must be completed through `ctx`.
  virtual void process(core::PacketBatch& batch, core::Direction dir, FilterContext& ctx) = 0;
};

}  // namespace vnetref::vswitch
