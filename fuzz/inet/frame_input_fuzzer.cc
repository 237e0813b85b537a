// Frame input into a live instance that has UDP sockets, a TCP listener and an
// established TCP connection.
//
// Input: a sequence of records, each [op][len_hi][len_lo][len bytes]:
//   op % 4 == 0  the bytes are an Ethernet frame arriving on the instance's link
//   op % 4 == 1  advance virtual time by (1 + first byte) * 10 ms (timers fire)
//   op % 4 == 2  the application drains every socket and accepts (bytes ignored)
//   op % 4 == 3  the application sends the bytes on the UDP and TCP sockets
// Invariants: no crash or sanitizer report; every table stays within its bound;
// after teardown every packet is back in the pool (nothing leaked, nothing freed twice).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/core/views.h"
#include "stack/inet/instance.h"
#include "stack/link/link.h"

namespace {

using namespace vnetref;
using namespace std::chrono_literals;

// The link side of the instance: what it transmits is dropped (after a look).
class SinkLink final : public link::Endpoint {
 public:
  void transmit(core::PacketPtr frame) override {
    ++frames;
    if (frame->pkt_len < 14 || frame->pkt_len > 65535 + 18) std::abort();
  }
  void inject(core::PacketPtr f) { receiver()->receive_frame(std::move(f)); }
  uint64_t frames = 0;
};

void check(bool ok) {
  if (!ok) std::abort();
}

void run_one(const uint8_t* data, size_t size) {
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  core::BufferPool inject_pool(64, 2048 + 128, 128, "inject");
  SinkLink sink;
  {
    inet::InstanceConfig cfg;
    cfg.name = "fuzz";
    cfg.pool_packets = 256;  // small: a fresh instance per input must be cheap to build
    inet::Instance in(cfg, clock, wheel);
    inet::Netstack& net = in.net();
    const uint32_t ifx = *net.add_interface({"vmk0", wire::MacAddress(2, 0, 0, 0, 0, 1), 1500, std::nullopt, 0});
    check(net.attach(ifx, sink).ok());
    check(net.add_address(ifx, wire::Ipv4Address(10, 0, 0, 1), 24).ok());
    check(net.arp().add_static(ifx, wire::Ipv4Address(10, 0, 0, 2).to_u32(), wire::MacAddress(2, 0, 0, 0, 0, 2)));
    check(net.set_default_gateway(wire::Ipv4Address(10, 0, 0, 2)).ok());
    (void)net.tunables().set("net.inet.ip.maxfragpackets", 8);
    (void)net.tunables().set("net.inet.ip.maxfrags", 32);
    inet::Sockets& so = in.sockets();
    const int u1 = *so.socket(inet::SockType::kDgram);
    check(so.bind(u1, {0, 5000}).ok());
    const int u2 = *so.socket(inet::SockType::kDgram);
    check(so.connect(u2, {wire::Ipv4Address(10, 0, 0, 2).to_u32(), 6000}).ok());
    const int lst = *so.socket(inet::SockType::kStream);
    check(so.bind(lst, {0, 80}).ok());
    check(so.listen(lst, 4).ok());
    const int cli = *so.socket(inet::SockType::kStream);
    (void)so.connect(cli, {wire::Ipv4Address(10, 0, 0, 2).to_u32(), 443});
    std::vector<int> accepted;

    size_t pos = 0;
    uint8_t buf[2048];
    while (pos + 3 <= size) {
      const uint8_t op = data[pos];
      const size_t len = std::min<size_t>((size_t{data[pos + 1]} << 8) | data[pos + 2], size - pos - 3);
      const uint8_t* body = data + pos + 3;
      pos += 3 + len;
      switch (op % 4) {
        case 0: {
          core::PacketPtr f = inject_pool.alloc_copy({body, len});
          if (f) sink.inject(std::move(f));
          break;
        }
        case 1:
          core::advance_virtual_time_by(clock, wheel, std::chrono::milliseconds(10 * (1 + (len > 0 ? body[0] : 0))));
          break;
        case 2: {
          for (int fd : {u1, u2, cli}) {
            while (so.recv(fd, buf)) {
            }
            (void)so.take_error(fd);
          }
          while (auto a = so.accept(lst)) {
            if (accepted.size() < 8) {
              accepted.push_back(*a);
            } else {
              (void)so.close(*a);
            }
          }
          for (int fd : accepted) {
            while (auto n = so.recv(fd, buf)) {
              if (*n == 0) break;
            }
          }
          break;
        }
        case 3: {
          std::span<const uint8_t> b(body, len);
          (void)so.send_to(u1, b, {wire::Ipv4Address(10, 0, 0, 2).to_u32(), 7});
          (void)so.send(u2, b);
          (void)so.send(cli, b);
          for (int fd : accepted) (void)so.send(fd, b);
          break;
        }
      }
      // Bounds hold at every step.
      check(net.reassembler().queues() <= 8);
      check(net.reassembler().fragments_held() <= 32);
      check(net.arp().size() <= net.arp().capacity());
    }
    core::advance_virtual_time_by(clock, wheel, 1s);
  }
  // Everything injected was consumed and freed; the instance pool died with it.
  check(inject_pool.stats().in_use == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) return 0;
  run_one(data, size);
  return 0;
}
