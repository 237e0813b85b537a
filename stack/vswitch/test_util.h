// Test helpers: recording endpoints, frame makers, a deterministic rig.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/dispatch/runner.h"
#include "stack/vswitch/switch.h"
#include "stack/wire/frame_builder.h"

namespace vnetref::vswitch::testing {

// One received frame, copied out.
struct Received {
  std::vector<uint8_t> bytes;
  uint16_t vlan_tci = 0;
  uint64_t user = 0;
  uint32_t ingress_port = 0;
  int64_t time_ns = 0;
};

// Records everything delivered to it.
class Recorder final : public PortEndpoint {
 public:
  explicit Recorder(const core::Clock* clock = nullptr) : clock_(clock) {}
  void deliver(PortId, core::PacketBatch& b) override {
    for (const core::Packet* p : b) {
      Received r;
      r.bytes.resize(p->pkt_len);
      uint32_t off = 0;
      for (const core::Packet* s = p; s != nullptr; s = s->next) {
        std::memcpy(r.bytes.data() + off, s->data(), s->data_len);
        off += s->data_len;
      }
      r.vlan_tci = p->meta.vlan_tci;
      r.user = p->meta.user;
      r.ingress_port = p->meta.ingress_port;
      r.time_ns = clock_ != nullptr ? core::to_nanos(clock_->now()) : 0;
      frames.push_back(std::move(r));
      bytes += p->pkt_len;
    }
  }
  size_t count() const { return frames.size(); }
  size_t count_ethertype(uint16_t et) const {
    size_t n = 0;
    for (const auto& f : frames)
      if (f.bytes.size() >= 14 && ((f.bytes[12] << 8) | f.bytes[13]) == et) ++n;
    return n;
  }
  void clear() {
    frames.clear();
    bytes = 0;
  }
  std::vector<Received> frames;
  uint64_t bytes = 0;

 private:
  const core::Clock* clock_;
};

inline wire::MacAddress mac(uint8_t last, uint8_t prefix = 0x02) { return wire::MacAddress(prefix, 0, 0, 0, 0, last); }

// A raw Ethernet frame of `len` bytes (>= 14) with an optional in-band 802.1Q tag.
inline std::vector<uint8_t> frame(wire::MacAddress dst, wire::MacAddress src, uint16_t ethertype = 0x0800,
                                  size_t len = 64, int vlan = -1) {
  std::vector<uint8_t> f(len, 0);
  dst.write_to(std::span<uint8_t>(f.data(), 6));
  src.write_to(std::span<uint8_t>(f.data() + 6, 6));
  size_t off = 12;
  if (vlan >= 0) {
    f[12] = 0x81;
    f[13] = 0x00;
    f[14] = static_cast<uint8_t>(vlan >> 8);
    f[15] = static_cast<uint8_t>(vlan);
    off = 16;
  }
  f[off] = static_cast<uint8_t>(ethertype >> 8);
  f[off + 1] = static_cast<uint8_t>(ethertype);
  for (size_t i = off + 2; i < len; ++i) f[i] = static_cast<uint8_t>(i);
  return f;
}

// An IPv4/UDP frame between two addresses (for IP-hash teaming and IPFIX).
inline std::vector<uint8_t> udp_frame(wire::MacAddress dst, wire::MacAddress src, wire::Ipv4Address sip,
                                      wire::Ipv4Address dip, uint16_t sport = 1000, uint16_t dport = 2000,
                                      size_t payload = 18) {
  wire::EthernetHeader eth;
  eth.dst = dst;
  eth.src = src;
  wire::Ipv4Header ip;
  ip.src = sip;
  ip.dst = dip;
  ip.ttl = 64;
  wire::UdpHeader udp;
  udp.src_port = sport;
  udp.dst_port = dport;
  std::vector<uint8_t> data(payload, 0xab);
  udp.payload = data;
  auto f = wire::FrameBuilder::udp(eth, ip, udp);
  wire::FrameBuilder::pad_to_minimum(f);
  return f;
}

// A deterministic rig: pool, virtual clock, timer wheel, runner.
struct Rig {
  core::BufferPool pool{8192};
  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  dispatch::DeterministicRunner runner{clock, wheel};

  void add(VirtualSwitch& sw) {
    runner.add(&sw.switching_poller());
    runner.add(&sw.delivery_poller());
  }
  // Sends one frame from `port` of `sw` (meta.user = id) and runs until idle.
  void send(VirtualSwitch& sw, PortId port, const std::vector<uint8_t>& f, uint64_t id = 0, uint16_t tci = 0,
            bool run = true) {
    core::PacketBatch b;
    core::PacketPtr p = pool.alloc_copy(f);
    ASSERT_TRUE(p);
    p->meta.user = id;
    p->meta.vlan_tci = tci;
    (void)b.push(std::move(p));
    sw.transmit(port, b);
    if (run) runner.run_until_idle();
  }
};

// Accounting invariant of one switch at quiescence.
inline void expect_accounted(const VirtualSwitch& sw) {
  const auto& s = sw.stats();
  EXPECT_EQ(sw.in_flight(), 0u);
  EXPECT_EQ(s.injected + s.generated + s.copies, s.delivered + s.dropped)
      << "injected " << s.injected << " generated " << s.generated << " copies " << s.copies << " delivered "
      << s.delivered << " dropped " << s.dropped;
  EXPECT_EQ(sw.drops().total(), s.dropped);
}

}  // namespace vnetref::vswitch::testing
