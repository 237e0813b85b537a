// Two netstack instances on one virtual clock, joined by a link; helpers for tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/core/views.h"
#include "stack/inet/netstack.h"
#include "stack/inet/udp.h"
#include "stack/link/impaired_link.h"
#include "stack/link/pipe.h"
#include "stack/wire/frame_builder.h"

namespace vnetref::inet::testing {

using namespace std::chrono_literals;

inline wire::Ipv4Address ip(const char* s) { return *wire::Ipv4Address::parse(s); }
inline uint32_t ipu(const char* s) { return ip(s).to_u32(); }
inline wire::MacAddress mac(uint8_t last) { return wire::MacAddress(0x02, 0, 0, 0, 0, last); }

inline std::vector<uint8_t> bytes_of(const core::Packet& p) {
  std::vector<uint8_t> out(p.pkt_len);
  core::Mbuf(const_cast<core::Packet&>(p)).copy_data(0, out);
  return out;
}

inline uint64_t drop_count(const Netstack& s, InetDrop d) { return s.drops()[d]; }

// Records every frame that crosses an endpoint, and forwards it.
class TapRecorder final : public link::Endpoint {
 public:
  explicit TapRecorder(link::Endpoint& inner) : inner_(inner) {}
  void transmit(core::PacketPtr frame) override {
    frames.push_back(bytes_of(*frame));
    inner_.transmit(std::move(frame));
  }
  std::vector<std::vector<uint8_t>> frames;

 private:
  link::Endpoint& inner_;
};

// A raw endpoint a test drives by hand: what the stack sends is kept; frames are
// injected with inject().
class ScriptedPeer final : public link::Endpoint {
 public:
  explicit ScriptedPeer(core::BufferPool& pool) : pool_(pool) {}
  void transmit(core::PacketPtr frame) override { sent.push_back(bytes_of(*frame)); }
  void inject(const std::vector<uint8_t>& frame) {
    core::PacketPtr p = pool_.alloc_copy(frame);
    ASSERT_TRUE(p);
    receiver()->receive_frame(std::move(p));
  }
  std::vector<std::vector<uint8_t>> sent;

 private:
  core::BufferPool& pool_;
};

struct Node {
  Node(const std::string& name, core::VirtualClock& clock, core::TimerWheel& wheel, uint32_t pool_size = 4096)
      : pool(pool_size, 2048 + 128, 128, name), stack(name, clock, wheel, pool) {}
  core::BufferPool pool;
  Netstack stack;
  uint32_t ifindex = 0;
};

// Two instances, A = 10.0.0.1/24 (mac ..:01), B = 10.0.0.2/24 (mac ..:02).
class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {}

  void build(const link::ImpairmentConfig& cfg = {}, uint64_t seed = 1, uint32_t mtu = 1500) {
    link_ = std::make_unique<link::ImpairedLink>(wheel, cfg, seed);
    a = std::make_unique<Node>("a", clock, wheel);
    b = std::make_unique<Node>("b", clock, wheel);
    InterfaceConfig ca{"vmk0", mac(1), mtu, std::nullopt, 0};
    InterfaceConfig cb{"vmk0", mac(2), mtu, std::nullopt, 0};
    a->ifindex = *a->stack.add_interface(ca);
    b->ifindex = *b->stack.add_interface(cb);
    ASSERT_TRUE(a->stack.attach(a->ifindex, link_->a()));
    ASSERT_TRUE(b->stack.attach(b->ifindex, link_->b()));
    ASSERT_TRUE(a->stack.add_address(a->ifindex, ip("10.0.0.1"), 24));
    ASSERT_TRUE(b->stack.add_address(b->ifindex, ip("10.0.0.2"), 24));
    run(3s);  // let the RFC 5227 announcements settle
  }
  void run(core::Duration d) { core::advance_virtual_time_by(clock, wheel, d); }

  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  std::unique_ptr<Node> a, b;
  // After the nodes: frames in flight belong to their pools, so the link goes first.
  std::unique_ptr<link::ImpairedLink> link_;
};

}  // namespace vnetref::inet::testing
