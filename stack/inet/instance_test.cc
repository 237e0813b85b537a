// Instances and the socket façade: isolation (same address in two instances), the
// BSD-style API over UDP and TCP, and TCP bulk transfer between two instances through
// the seeded impairment link with byte-exact integrity under each impairment.
#include <gtest/gtest.h>

#include "stack/inet/instance.h"
#include "stack/inet/test_util.h"

namespace vnetref::inet::testing {
namespace {

struct Pair {
  explicit Pair(const link::ImpairmentConfig& cfg = {}, uint64_t seed = 1)
      : ha(clock, wheel, small()), hb(clock, wheel, small()), link(wheel, cfg, seed) {
    setup(ha.default_instance(), link.a(), mac(1), "10.0.0.1");
    setup(hb.default_instance(), link.b(), mac(2), "10.0.0.2");
    run(3s);
  }
  static InstanceConfig small() {
    InstanceConfig c;
    c.pool_packets = 8192;
    return c;
  }
  static void setup(Instance& in, link::Endpoint& ep, wire::MacAddress m, const char* addr) {
    auto idx = *in.net().add_interface({"vmk0", m, 1500, std::nullopt, 0});
    ASSERT_TRUE(in.net().attach(idx, ep));
    ASSERT_TRUE(in.net().add_address(idx, ip(addr), 24));
  }
  void run(core::Duration d) { core::advance_virtual_time_by(clock, wheel, d); }
  Instance& a() { return ha.default_instance(); }
  Instance& b() { return hb.default_instance(); }

  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  Host ha, hb;
  // Declared after the hosts: frames in flight belong to their pools, so the link
  // must be destroyed first.
  link::ImpairedLink link;
};

TEST(InstanceIsolation, SameAddressInTwoInstancesNoLeakage) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  link::Pipe mgmt(256, &wheel), vmo(256, &wheel);
  Host host(clock, wheel, Pair::small());
  Instance& def = host.default_instance();
  Instance& vm = host.vmotion();
  EXPECT_EQ(host.size(), 2u);
  EXPECT_EQ(&host.vmotion(), &vm);
  // Both instances use 10.0.0.1 and the same MAC, each on its own network.
  Pair::setup(def, mgmt.a(), mac(1), "10.0.0.1");
  Pair::setup(vm, vmo.a(), mac(1), "10.0.0.1");
  Node peer_m("peer_m", clock, wheel), peer_v("peer_v", clock, wheel);
  peer_m.ifindex = *peer_m.stack.add_interface({"eth0", mac(2), 1500, std::nullopt, 0});
  peer_v.ifindex = *peer_v.stack.add_interface({"eth0", mac(3), 1500, std::nullopt, 0});
  ASSERT_TRUE(peer_m.stack.attach(peer_m.ifindex, mgmt.b()));
  ASSERT_TRUE(peer_v.stack.attach(peer_v.ifindex, vmo.b()));
  ASSERT_TRUE(peer_m.stack.add_address(peer_m.ifindex, ip("10.0.0.2"), 24));
  ASSERT_TRUE(peer_v.stack.add_address(peer_v.ifindex, ip("10.0.0.2"), 24));
  core::advance_virtual_time_by(clock, wheel, 3s);

  // The same port bound in both instances: no conflict, separate port spaces.
  auto fd_def = *def.sockets().socket(SockType::kDgram);
  auto fd_vm = *vm.sockets().socket(SockType::kDgram);
  ASSERT_TRUE(def.sockets().bind(fd_def, {0, 8000}));
  ASSERT_TRUE(vm.sockets().bind(fd_vm, {0, 8000}));
  ASSERT_TRUE(vm.sysctl_set("net.inet.ip.ttl", 9));
  EXPECT_EQ(*def.sysctl_get("net.inet.ip.ttl"), 64);

  auto tx_m = *peer_m.stack.udp().open();
  auto tx_v = *peer_v.stack.udp().open();
  ASSERT_TRUE(peer_m.stack.udp().send_to(tx_m, std::vector<uint8_t>{'m'}, {ipu("10.0.0.1"), 8000}));
  ASSERT_TRUE(peer_v.stack.udp().send_to(tx_v, std::vector<uint8_t>{'v'}, {ipu("10.0.0.1"), 8000}));
  core::advance_virtual_time_by(clock, wheel, 10ms);
  uint8_t buf[8];
  auto n = def.sockets().recv(fd_def, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(buf[0], 'm');
  EXPECT_EQ(def.sockets().recv(fd_def, buf).error(), SocketError::kWouldBlock);
  n = vm.sockets().recv(fd_vm, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(buf[0], 'v');
  EXPECT_EQ(vm.sockets().recv(fd_vm, buf).error(), SocketError::kWouldBlock);
  // ARP tables are per instance: each learned only its own peer.
  EXPECT_EQ(def.net().arp().peek(1, ipu("10.0.0.2")), mac(2));
  EXPECT_EQ(vm.net().arp().peek(1, ipu("10.0.0.2")), mac(3));
  // Replies carry each instance's own TTL tunable.
  auto r_v = *peer_v.stack.udp().open();
  ASSERT_TRUE(peer_v.stack.udp().bind(r_v, {0, 9000}));
  ASSERT_TRUE(vm.sockets().send_to(fd_vm, std::vector<uint8_t>{1}, {ipu("10.0.0.2"), 9000}));
  core::advance_virtual_time_by(clock, wheel, 10ms);
  EXPECT_EQ(peer_v.stack.udp().queued_datagrams(r_v), 1u);
  EXPECT_EQ(mgmt.stats(0).frames_out + vmo.stats(0).frames_out > 0, true);
  // Pools are separate: nothing of one instance lives in the other's pool.
  EXPECT_NE(&def.pool(), &vm.pool());
}

TEST(Sockets, UdpThroughTheFacadeWithCallbacks) {
  Pair p;
  Sockets& sa = p.a().sockets();
  Sockets& sb = p.b().sockets();
  auto fa = *sa.socket(SockType::kDgram);
  auto fb = *sb.socket(SockType::kDgram);
  EXPECT_EQ(fa, 0);
  ASSERT_TRUE(sb.bind(fb, {0, 53}));
  std::vector<uint32_t> events;
  sb.set_callback(fb, [&](int fd, uint32_t ev) {
    EXPECT_EQ(fd, fb);
    events.push_back(ev);
  });
  ASSERT_TRUE(sa.connect(fa, {ipu("10.0.0.2"), 53}));
  ASSERT_TRUE(sa.send(fa, std::vector<uint8_t>{1, 2, 3}));
  p.run(5ms);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0] & PollEvents::kIn);
  SockAddr from;
  uint8_t buf[8];
  ASSERT_EQ(*sb.recv_from(fb, buf, &from), 3u);
  EXPECT_EQ(from.addr, ipu("10.0.0.1"));
  EXPECT_EQ(*sa.getsockname(fa), (SockAddr{ipu("10.0.0.1"), from.port}));
  EXPECT_EQ(*sa.getpeername(fa), (SockAddr{ipu("10.0.0.2"), 53}));
  EXPECT_EQ(sa.listen(fa, 5).error(), SocketError::kNotSupported);
  ASSERT_TRUE(sa.close(fa));
  EXPECT_EQ(sa.send(fa, std::vector<uint8_t>{1}).error(), SocketError::kBadDescriptor);
  EXPECT_EQ(sa.poll(99), PollEvents::kErr);
}

// Runs a TCP bulk transfer a -> b of `total` bytes through the façade, both sides
// poll-driven in virtual time. Returns the bytes b read.
std::vector<uint8_t> tcp_transfer(Pair& p, const std::vector<uint8_t>& data, core::Duration limit) {
  Sockets& sa = p.a().sockets();
  Sockets& sb = p.b().sockets();
  auto lfd = *sb.socket(SockType::kStream);
  EXPECT_TRUE(sb.bind(lfd, {0, 5001}));
  EXPECT_TRUE(sb.listen(lfd, 8));
  auto cfd = *sa.socket(SockType::kStream);
  auto c = sa.connect(cfd, {ipu("10.0.0.2"), 5001});
  EXPECT_TRUE(c || c.error() == SocketError::kInProgress);
  std::vector<uint8_t> got;
  int afd = -1;
  size_t sent = 0;
  bool closed_tx = false;
  const core::Instant deadline = p.clock.now() + limit;
  uint8_t buf[16384];
  while (p.clock.now() < deadline) {
    if (afd < 0) {
      auto r = sb.accept(lfd);
      if (r) afd = *r;
    }
    if (sa.poll(cfd) & PollEvents::kOut) {
      while (sent < data.size()) {
        auto n = sa.send(cfd, std::span<const uint8_t>(data).subspan(sent));
        if (!n) break;
        sent += *n;
      }
      if (sent == data.size() && !closed_tx) {
        EXPECT_TRUE(sa.shutdown(cfd, ShutdownHow::kWrite));
        closed_tx = true;
      }
    }
    bool eof = false;
    if (afd >= 0) {
      for (;;) {
        auto n = sb.recv(afd, buf);
        if (!n) break;
        if (*n == 0) {
          eof = true;
          break;
        }
        got.insert(got.end(), buf, buf + *n);
      }
    }
    if (eof) break;
    p.run(1ms);
  }
  if (afd >= 0) {
    EXPECT_TRUE(sb.close(afd));
  }
  EXPECT_TRUE(sa.close(cfd));
  EXPECT_TRUE(sb.close(lfd));
  return got;
}

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed;
  for (auto& b : v) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

TEST(Sockets, TcpStreamBetweenTwoInstances) {
  Pair p;
  auto data = pattern(1 << 20, 1);
  auto got = tcp_transfer(p, data, 60s);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

TEST(Sockets, TcpConnectToClosedPortIsRefused) {
  Pair p;
  Sockets& sa = p.a().sockets();
  auto fd = *sa.socket(SockType::kStream);
  std::vector<uint32_t> events;
  sa.set_callback(fd, [&](int, uint32_t ev) { events.push_back(ev); });
  auto c = sa.connect(fd, {ipu("10.0.0.2"), 4444});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), SocketError::kInProgress);
  p.run(50ms);
  EXPECT_TRUE(sa.poll(fd) & PollEvents::kErr);
  EXPECT_FALSE(events.empty());
  EXPECT_EQ(sa.take_error(fd), SocketError::kConnectionRefused);
  ASSERT_TRUE(sa.close(fd));
}

TEST(Sockets, AcceptReportsPeerAndOptionsReachTcp) {
  Pair p;
  Sockets& sa = p.a().sockets();
  Sockets& sb = p.b().sockets();
  auto l = *sb.socket(SockType::kStream);
  ASSERT_TRUE(sb.bind(l, {0, 7777}));
  ASSERT_TRUE(sb.listen(l, 2));
  int acceptable = 0;
  sb.set_callback(l, [&](int, uint32_t ev) { acceptable += (ev & PollEvents::kIn) ? 1 : 0; });
  auto c = *sa.socket(SockType::kStream);
  ASSERT_TRUE(sa.setsockopt(c, SockOption::kNoDelay, 1));
  EXPECT_EQ(*sa.getsockopt(c, SockOption::kNoDelay), 1);
  EXPECT_EQ(sa.setsockopt(c, SockOption::kBroadcast, 1).error(), SocketError::kNotSupported);
  (void)sa.connect(c, {ipu("10.0.0.2"), 7777});
  p.run(50ms);
  EXPECT_GE(acceptable, 1);
  SockAddr peer;
  auto a = sb.accept(l, &peer);
  ASSERT_TRUE(a);
  EXPECT_EQ(peer.addr, ipu("10.0.0.1"));
  EXPECT_EQ(*sa.getsockname(c), peer);
  EXPECT_EQ(*sb.getpeername(*a), peer);
  EXPECT_EQ(sb.getsockname(*a)->port, 7777);
  EXPECT_TRUE(sa.poll(c) & PollEvents::kOut);
  // send_to on a connected stream: a different address is EISCONN, the peer's is fine.
  EXPECT_EQ(sa.send_to(c, std::vector<uint8_t>{1}, {ipu("10.0.0.9"), 1}).error(), SocketError::kAlreadyConnected);
  EXPECT_EQ(*sa.send_to(c, std::vector<uint8_t>{1, 2}, {ipu("10.0.0.2"), 7777}), 2u);
  core::PacketPtr m = p.a().pool().alloc();
  ASSERT_TRUE(core::mbuf::append(m, std::vector<uint8_t>(100, 3), p.a().pool()));
  EXPECT_EQ(*sa.send_mbuf_to(c, m, {}), 100u);
  p.run(300ms);
  auto chain = sb.recv_mbuf(*a, 1000);
  ASSERT_TRUE(chain);
  EXPECT_EQ((*chain)->pkt_len, 102u);
  ASSERT_TRUE(sa.close(c));
  ASSERT_TRUE(sb.close(*a));
  EXPECT_EQ(sb.open_descriptors(), 1u);
}

TEST(Sockets, CallbackMayCloseItsOwnDescriptor) {
  Pair p;
  Sockets& sb = p.b().sockets();
  auto u = *sb.socket(SockType::kDgram);
  ASSERT_TRUE(sb.bind(u, {0, 53}));
  std::string big_capture(200, 'x');  // larger than std::function's inline buffer
  int calls = 0;
  sb.set_callback(u, [&, big_capture](int fd, uint32_t) {
    ++calls;
    EXPECT_EQ(big_capture.size(), 200u);
    EXPECT_TRUE(sb.close(fd));
  });
  auto l = *sb.socket(SockType::kStream);
  ASSERT_TRUE(sb.bind(l, {0, 80}));
  ASSERT_TRUE(sb.listen(l, 2));
  sb.set_callback(l, [&, big_capture](int fd, uint32_t) { EXPECT_TRUE(sb.close(fd)); });
  auto tx = *p.a().sockets().socket(SockType::kDgram);
  ASSERT_TRUE(p.a().sockets().send_to(tx, std::vector<uint8_t>{1}, {ipu("10.0.0.2"), 53}));
  ASSERT_TRUE(p.a().sockets().send_to(tx, std::vector<uint8_t>{2}, {ipu("10.0.0.2"), 53}));
  auto c = *p.a().sockets().socket(SockType::kStream);
  (void)p.a().sockets().connect(c, {ipu("10.0.0.2"), 80});
  p.run(50ms);
  EXPECT_EQ(calls, 1);  // the second datagram found the port closed
  EXPECT_EQ(sb.open_descriptors(), 0u);
}

TEST(HostTest, InstancesAreBoundedAndNamed) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  InstanceConfig tiny;
  tiny.pool_packets = 16;
  tiny.enable_tcp = false;
  Host h(clock, wheel, tiny);
  EXPECT_EQ(h.default_instance().name(), "defaultTcpipStack");
  EXPECT_EQ(h.default_instance().sockets().socket(SockType::kStream).error(), SocketError::kNotSupported);
  EXPECT_EQ(h.vmotion().name(), "vmotion");
  InstanceConfig c = tiny;
  c.name = "vmotion";
  EXPECT_EQ(h.add_instance(c).error(), ConfigError::kAddressInUse);
  for (size_t i = h.size(); i < Host::kMaxInstances; ++i) {
    c.name = "extra" + std::to_string(i);
    ASSERT_TRUE(h.add_instance(c));
  }
  c.name = "one-too-many";
  EXPECT_EQ(h.add_instance(c).error(), ConfigError::kTooMany);
  EXPECT_EQ(h.find("extra5")->name(), "extra5");
  EXPECT_EQ(h.find("nope"), nullptr);
  EXPECT_EQ(h.default_instance().sysctl_set("net.inet.ip.ttl", 300).error(), TunableError::kOutOfRange);
  EXPECT_EQ(h.default_instance().sysctl_set("net.inet.nope", 1).error(), TunableError::kUnknown);
}

TEST(HostTest, TcpSysctlsReachTheRunningTcpStack) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  InstanceConfig c;
  c.pool_packets = 64;
  Host h(clock, wheel, c);
  Instance& in = h.default_instance();
  EXPECT_EQ(*in.sysctl_get("net.inet.tcp.sendspace"), 32768);
  ASSERT_TRUE(in.sysctl_set("net.inet.tcp.sendspace", 65536));
  EXPECT_EQ(in.tcp()->tunables().sendspace, 65536u);
  EXPECT_EQ(*in.sysctl_get("net.inet.tcp.sendspace"), 65536);
  // The vMotion instance keeps its own value.
  EXPECT_EQ(h.vmotion().tcp()->tunables().sendspace, 32768u);
}

struct Impairment {
  const char* name;
  link::ImpairmentConfig cfg;
};

class TcpUnderImpairment : public ::testing::TestWithParam<Impairment> {};

TEST_P(TcpUnderImpairment, BulkTransferIsByteExact) {
  Pair p(GetParam().cfg, 1234);
  // Static ARP: the test is about TCP recovery, not about ARP losing its replies.
  ASSERT_TRUE(p.a().net().arp().add_static(1, ipu("10.0.0.2"), mac(2)));
  ASSERT_TRUE(p.b().net().arp().add_static(1, ipu("10.0.0.1"), mac(1)));
  auto data = pattern(256 * 1024, 7);
  auto got = tcp_transfer(p, data, 600s);
  EXPECT_EQ(got.size(), data.size()) << GetParam().name;
  EXPECT_TRUE(got == data) << GetParam().name;
  // The impairment really happened on the data direction.
  const auto& st = p.link.stats(0);
  const auto& c = GetParam().cfg;
  if (c.loss > 0) {
    EXPECT_GT(st.link.drops[link::LinkDrop::kLoss], 0u);
  }
  if (c.duplicate > 0) {
    EXPECT_GT(st.duplicated, 0u);
  }
  if (c.corrupt > 0) {
    EXPECT_GT(st.corrupted, 0u);
  }
  if (c.reorder > 0) {
    EXPECT_GT(st.reordered, 0u);
  }
  EXPECT_GT(st.link.frames_out, 180u);  // 256 KiB in ~1448-byte segments at least
}

link::ImpairmentConfig make(double loss, double dup, double corrupt, double reorder, int delay_ms) {
  link::ImpairmentConfig c;
  c.loss = loss;
  c.duplicate = dup;
  c.corrupt = corrupt;
  c.reorder = reorder;
  c.delay = std::chrono::milliseconds(delay_ms);
  c.reorder_delay = 3ms;
  return c;
}

INSTANTIATE_TEST_SUITE_P(Seeded, TcpUnderImpairment,
                         ::testing::Values(Impairment{"loss", make(0.02, 0, 0, 0, 1)},
                                           Impairment{"duplication", make(0, 0.05, 0, 0, 1)},
                                           Impairment{"corruption", make(0, 0, 0.02, 0, 1)},
                                           Impairment{"reordering", make(0, 0, 0, 0.1, 1)},
                                           Impairment{"delay", make(0, 0, 0, 0, 20)},
                                           Impairment{"all", make(0.01, 0.01, 0.01, 0.05, 5)}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vnetref::inet::testing
