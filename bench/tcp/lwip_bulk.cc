// lwIP side of the benchmark. Debian's liblwip is built with NO_SYS=0 and core
// locking: lwIP runs in its own tcpip thread and other threads call the raw API
// under LOCK_TCPIP_CORE(). Both pcbs live in the one lwIP instance on two netif
// addresses; a segment between them takes lwIP's netif loopback path (a pbuf copy
// and a tcpip-thread callback), with TCP checksums generated and checked.
#include "bench/tcp/lwip_bulk.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <chrono>
#include <thread>
#include <vector>

extern "C" {
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
}

namespace lwip_bench {

struct Conn {
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> rx_pbufs{0};
  std::atomic<bool> connected{false};
  uint64_t target = 0;
  uint64_t queued = 0;
  struct tcp_pcb* listener = nullptr;
  struct tcp_pcb* tx = nullptr;
  struct tcp_pcb* rx = nullptr;
  std::vector<uint8_t> src = std::vector<uint8_t>(1460, 0x5a);

  // In the tcpip thread (or under the core lock): fill the send buffer, 1460 B per write.
  void pump_tx() {
    while (queued < target) {
      if (tcp_sndbuf(tx) < 1460 || tcp_sndqueuelen(tx) + 2 > TCP_SND_QUEUELEN) break;
      u16_t n = static_cast<u16_t>(std::min<uint64_t>(1460, target - queued));
      if (tcp_write(tx, src.data(), n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
      queued += n;
    }
    tcp_output(tx);
  }
};

namespace {

struct netif g_a, g_b;
bool g_ready = false;

err_t netif_out(struct netif*, struct pbuf*, const ip4_addr_t*) { return ERR_OK; }

err_t netif_setup(struct netif* n) {
  n->name[0] = 'v';
  n->name[1] = 'n';
  n->mtu = 1500;
  n->output = netif_out;
  n->flags = NETIF_FLAG_UP | NETIF_FLAG_LINK_UP;
  return ERR_OK;
}

err_t on_recv(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
  auto* c = static_cast<Conn*>(arg);
  if (p == nullptr) return ERR_OK;
  c->received += p->tot_len;
  for (struct pbuf* q = p; q != nullptr; q = q->next) ++c->rx_pbufs;
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

err_t on_accept(void* arg, struct tcp_pcb* newpcb, err_t) {
  auto* c = static_cast<Conn*>(arg);
  c->rx = newpcb;
  tcp_arg(newpcb, c);
  tcp_recv(newpcb, on_recv);
  return ERR_OK;
}

err_t on_sent(void* arg, struct tcp_pcb*, u16_t) {
  static_cast<Conn*>(arg)->pump_tx();
  return ERR_OK;
}

err_t on_connected(void* arg, struct tcp_pcb*, err_t) {
  static_cast<Conn*>(arg)->connected = true;
  return ERR_OK;
}

}  // namespace

bool setup() {
  if (g_ready) return true;
  tcpip_init(nullptr, nullptr);
  LOCK_TCPIP_CORE();
  ip4_addr_t a, b, mask, gw;
  IP4_ADDR(&a, 10, 1, 0, 1);
  IP4_ADDR(&b, 10, 2, 0, 1);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  IP4_ADDR(&gw, 0, 0, 0, 0);
  bool ok = netif_add(&g_a, &a, &mask, &gw, nullptr, netif_setup, tcpip_input) != nullptr &&
            netif_add(&g_b, &b, &mask, &gw, nullptr, netif_setup, tcpip_input) != nullptr;
  if (ok) {
    netif_set_up(&g_a);
    netif_set_up(&g_b);
    netif_set_link_up(&g_a);
    netif_set_link_up(&g_b);
  }
  UNLOCK_TCPIP_CORE();
  g_ready = ok;
  return ok;
}

ConnPtr open() {
  static uint16_t port = 6000;
  ConnPtr c(std::make_unique<Conn>().release());  // lwIP callbacks hold the raw pointer as arg
  ip_addr_t a, b;
  IP_ADDR4(&a, 10, 1, 0, 1);
  IP_ADDR4(&b, 10, 2, 0, 1);
  LOCK_TCPIP_CORE();
  ++port;
  struct tcp_pcb* l = tcp_new();
  tcp_bind(l, &b, port);
  c->listener = tcp_listen(l);
  tcp_arg(c->listener, c.get());
  tcp_accept(c->listener, on_accept);
  c->tx = tcp_new();
  tcp_arg(c->tx, c.get());
  tcp_bind(c->tx, &a, 0);
  tcp_sent(c->tx, on_sent);
  tcp_nagle_disable(c->tx);  // as for vnetref: no Nagle / delayed-ACK stall at the end of a burst
  tcp_connect(c->tx, &b, port, on_connected);
  UNLOCK_TCPIP_CORE();
  for (int i = 0; i < 2000 && !c->connected; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!c->connected) return nullptr;
  return c;
}

bool transfer(Conn& c, uint64_t bytes) {
  const uint64_t goal = c.received + bytes;
  LOCK_TCPIP_CORE();
  c.target += bytes;
  c.pump_tx();
  UNLOCK_TCPIP_CORE();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  // Sleep rather than spin: the work happens in lwIP's tcpip thread, and a spinning
  // waiter would be charged to lwIP's CPU time (and steal its core).
  while (c.received < goal) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

uint64_t segments(const Conn& c) { return c.rx_pbufs; }

void ConnDeleter::operator()(Conn* c) const {
  LOCK_TCPIP_CORE();
  if (c->tx != nullptr) tcp_abort(c->tx);
  if (c->rx != nullptr) tcp_abort(c->rx);
  if (c->listener != nullptr) tcp_close(c->listener);
  UNLOCK_TCPIP_CORE();
  std::unique_ptr<Conn> owned(c);
}

}  // namespace lwip_bench
