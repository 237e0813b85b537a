// TCP over two real netstack instances (Ethernet, ARP, IPv4) joined back to back by
// the seeded impairment link: the TcpStack API end to end through the IP layer.
#include <gtest/gtest.h>

#include "stack/inet/instance.h"
#include "stack/inet/tcp/testing/tcp_harness.h"
#include "stack/inet/test_util.h"

namespace vnetref::inet::tcp {
namespace {

using inet::testing::ip;
using inet::testing::ipu;
using inet::testing::mac;
using tcp::testing::pattern;
using namespace std::chrono_literals;

struct Hosts {
  explicit Hosts(const link::ImpairmentConfig& cfg = {}, uint64_t seed = 1)
      : ha(clock, wheel, config()), hb(clock, wheel, config()), link(wheel, cfg, seed) {
    setup(ha.default_instance(), link.a(), mac(1), "10.0.0.1");
    setup(hb.default_instance(), link.b(), mac(2), "10.0.0.2");
  }
  static InstanceConfig config() {
    InstanceConfig c;
    c.pool_packets = 8192;
    return c;
  }
  static void setup(Instance& in, link::Endpoint& ep, wire::MacAddress m, const char* addr) {
    auto idx = *in.net().add_interface({"vmk0", m, 1500, std::nullopt, 0});
    ASSERT_TRUE(in.net().attach(idx, ep));
    ASSERT_TRUE(in.net().add_address(idx, ip(addr), 24));
  }
  TcpStack& a() { return *ha.default_instance().tcp(); }
  TcpStack& b() { return *hb.default_instance().tcp(); }
  bool run_until(const std::function<bool()>& pred, core::Duration limit) {
    const core::Instant end = clock.now() + limit;
    while (clock.now() < end) {
      if (pred()) return true;
      core::advance_virtual_time_by(clock, wheel, 1ms);
    }
    return pred();
  }

  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  Host ha, hb;
  link::ImpairedLink link;  // after the hosts: frames in flight belong to their pools
};

struct Conn {
  SocketId client, server;
};

std::optional<Conn> connect(Hosts& h, uint16_t port) {
  auto l = h.b().open();
  if (!l || !h.b().bind(*l, Endpoint{0, port}) || !h.b().listen(*l, 8)) return std::nullopt;
  auto s = h.a().open();
  if (!s || !h.a().connect(*s, Endpoint{ipu("10.0.0.2"), port})) return std::nullopt;
  std::optional<SocketId> srv;
  h.run_until([&] {
    if (!srv) {
      auto r = h.b().accept(*l);
      if (r) srv = *r;
    }
    return srv && h.a().state(*s) == TcpState::kEstablished;
  }, 30s);
  if (!srv) return std::nullopt;
  return Conn{*s, *srv};
}

std::vector<uint8_t> move_bytes(Hosts& h, TcpStack& tx, SocketId from, TcpStack& rx, SocketId to,
                                const std::vector<uint8_t>& data, core::Duration limit) {
  std::vector<uint8_t> got;
  size_t sent = 0;
  std::vector<uint8_t> buf(65536);
  h.run_until([&] {
    while (sent < data.size()) {
      auto r = tx.send(from, std::span<const uint8_t>(data).subspan(sent));
      if (!r || *r == 0) break;
      sent += *r;
    }
    for (;;) {
      auto r = rx.recv(to, buf);
      if (!r || *r == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
    }
    return got.size() >= data.size();
  }, limit);
  return got;
}

TEST(Integration, HandshakeThroughArpBulkBothWaysAndOrderlyClose) {
  Hosts h;
  auto c = connect(h, 80);  // the first SYN waits in the ARP hold queue
  ASSERT_TRUE(c.has_value());
  auto info = h.a().info(c->client);
  EXPECT_EQ(info->mss, 1460u - 12u);  // MTU 1500 path, timestamps on
  EXPECT_TRUE(info->sack);
  auto data = pattern(2 << 20, 1);
  EXPECT_EQ(move_bytes(h, h.a(), c->client, h.b(), c->server, data, 60s), data);
  auto back = pattern(500000, 2);
  EXPECT_EQ(move_bytes(h, h.b(), c->server, h.a(), c->client, back, 60s), back);
  ASSERT_TRUE(h.a().close(c->client));
  h.run_until([&] { return h.b().state(c->server) == TcpState::kCloseWait; }, 10s);
  ASSERT_EQ(h.b().state(c->server), TcpState::kCloseWait);
  ASSERT_TRUE(h.b().close(c->server));  // LAST_ACK, then CLOSED
  h.run_until([&] { return h.b().connection_count() == 0; }, 10s);
  EXPECT_EQ(h.b().connection_count(), 0u);
  EXPECT_EQ(h.a().connection_count(), 1u);  // TIME_WAIT
  h.run_until([&] { return h.a().connection_count() == 0; }, 70s);
  EXPECT_EQ(h.a().connection_count(), 0u);
  EXPECT_EQ(h.a().stats().sndrexmitpack, 0u);
}

TEST(Integration, ConnectionRefusedByRstThroughIp) {
  Hosts h;
  auto s = h.a().open();
  ASSERT_TRUE(h.a().connect(*s, Endpoint{ipu("10.0.0.2"), 9}));
  h.run_until([&] { return h.a().state(*s) == TcpState::kClosed; }, 10s);
  EXPECT_EQ(h.a().state(*s), TcpState::kClosed);
  EXPECT_EQ(h.a().take_error(*s), TcpError::kConnectionRefused);
}

TEST(Integration, SackRecoveryOverALossyReorderingLink) {
  link::ImpairmentConfig cfg;
  cfg.loss = 0.02;
  cfg.reorder = 0.02;
  cfg.duplicate = 0.01;
  cfg.corrupt = 0.005;
  cfg.delay = 5ms;
  cfg.reorder_delay = 2ms;
  Hosts h(cfg, 99);
  // Static ARP: this test is about TCP recovery, not ARP losing its replies.
  ASSERT_TRUE(h.ha.default_instance().net().arp().add_static(1, ipu("10.0.0.2"), mac(2)));
  ASSERT_TRUE(h.hb.default_instance().net().arp().add_static(1, ipu("10.0.0.1"), mac(1)));
  auto c = connect(h, 80);
  ASSERT_TRUE(c.has_value());
  auto data = pattern(1 << 20, 3);
  auto got = move_bytes(h, h.a(), c->client, h.b(), c->server, data, 600s);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_GT(h.a().stats().sack_recovery_episode, 0u);
  EXPECT_GT(h.a().stats().sack_rexmits + h.a().stats().fastrexmit, 0u);
}

}  // namespace
}  // namespace vnetref::inet::tcp
