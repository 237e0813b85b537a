// Test harness: a chain between two capturing endpoints, in virtual time.
#pragma once

#include <memory>
#include <vector>

#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/iochain/chain.h"
#include "stack/iochain/testing/frames.h"

namespace vnetref::iochain::testing {

// Collects what leaves the chain by injection/reinjection, per direction.
class CaptureSink final : public ChainSink {
 public:
  void deliver(core::PacketBatch& batch, Direction dir) override {
    auto& v = dir == Direction::kEgress ? egress : ingress;
    for (uint32_t i = 0; i < batch.size(); ++i) v.push_back(batch.take(i));
    batch.compact();
  }
  std::vector<core::PacketPtr> egress;   // toward the switch
  std::vector<core::PacketPtr> ingress;  // toward the VM
};

struct Harness {
  explicit Harness(uint32_t pool_size = 4096, PortIdentity port = {1001, 0, 7, "vm-a"})
      : pool(pool_size), wheel(clock), chain(port, pool, clock) {
    chain.set_sink(&sink);
    chain.set_slow_path(&slow);
    chain.attach_timer_wheel(wheel);
  }
  // Sends one frame through the chain; returns true when it passed.
  bool send(const std::vector<uint8_t>& frame, Direction dir, uint64_t id = 0) {
    core::PacketBatch b;
    (void)b.push(make_packet(pool, frame, id));
    chain.process(b, dir);
    const bool passed = b.size() == 1;
    if (passed) (dir == Direction::kEgress ? passed_egress : passed_ingress).push_back(b.take(0));
    b.compact();
    return passed;
  }
  void advance(core::Duration d) { core::advance_virtual_time_by(clock, wheel, d); }
  uint64_t counter(const char* name) const { return chain.counter(name).value_or(~uint64_t{0}); }

  core::VirtualClock clock;
  core::BufferPool pool;
  core::TimerWheel wheel;
  CaptureSink sink;
  QueueSlowPath slow;
  IoChain chain;
  std::vector<core::PacketPtr> passed_egress, passed_ingress;
};

}  // namespace vnetref::iochain::testing
