// Stateful TCP fuzzer: the input is a script of segments, socket calls and clock
// advances played against one TcpStack (the DUT) by a scripted peer.
//
// Input format (corpora/gen_tcp_seeds.py writes it; everything is big-endian):
//   byte 0            mode: bit 0 = the DUT connects (active open), else it listens;
//                     bit 1 = NewReno instead of CUBIC; bit 2 = small buffers
//   then records      [op:1][len:2][body:len]
//     0x01 SEGMENT    body = a TCP segment (Scapy-built). Its sequence number is an
//                     offset from the peer's ISN, its ACK and SACK blocks offsets from
//                     the DUT's ISN; ports, payload bytes and checksum are rewritten
//                     (the byte at sequence number s is always stream_byte(s), so
//                     every byte the DUT delivers can be checked against the ISN it
//                     accepted, whichever SYN that was).
//     0x02 ADVANCE    u16 milliseconds (x 16 when the body has a third byte != 0)
//     0x03 RECV       u16 max bytes
//     0x04 SEND       u16 bytes for the DUT application to send
//     0x05 CLOSE      u8 0 shutdown(wr) / 1 shutdown(rd) / 2 close / 3 abort
//     0x06 SOCKOPT    u8 option, u32 value
//     0x07 RAW        raw bytes delivered from a foreign address (parser, listener, RST
//                     paths); the checksum is filled in when the header parses
//     0x08 ICMP       u8 type, u8 code, u16 mtu, u32 seq offset from the DUT's ISN
//     0x09 RECV_MBUF  u16 max bytes (zero-copy receive)
// Invariants (trap on violation): no crash or sanitizer report; the bytes the
// application reads are exactly the peer's stream from offset 0 on (a prefix of
// what the peer sent); socket and pool use stay within their bounds; every pool
// buffer is back when the stack is gone (no leak).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/core/views.h"
#include "stack/inet/tcp/tcp.h"
#include "stack/wire/bytes.h"
#include "stack/wire/tcp.h"

#define TCP_FUZZ_CHECK(cond)          \
  do {                                \
    if (!(cond)) __builtin_trap();    \
  } while (0)

namespace {

using namespace vnetref;
using inet::IpMeta;
using inet::tcp::Endpoint;
using inet::tcp::SocketId;
using inet::tcp::TcpStack;
using wire::SeqNum;

constexpr uint32_t kDutAddr = 0x0a000002;   // 10.0.0.2
constexpr uint32_t kPeerAddr = 0x0a000001;  // 10.0.0.1
constexpr uint32_t kForeign = 0x0a000063;   // 10.0.0.99
constexpr uint16_t kDutPort = 80;
constexpr uint16_t kPeerPort = 40000;
constexpr uint32_t kPeerIsn = 0x10000000;   // near nothing special; offsets make it wrap-safe
constexpr uint32_t kPoolSlots = 1024;
constexpr uint32_t kMaxSockets = 8;

// The peer's byte at absolute sequence number `seq`: whatever ISN the DUT accepted,
// the stream it should deliver is stream_byte(irs + 1), stream_byte(irs + 2), ...
uint8_t stream_byte(uint32_t seq) { return static_cast<uint8_t>((seq * 131u + (seq >> 8) * 7u + 3u) & 0xff); }

// Records what the DUT sends, to learn its ISN and highest sequence number.
class CaptureIp final : public inet::IpOutput {
 public:
  core::Status<inet::IpSendError> ip_output(core::PacketPtr seg, const IpMeta& meta) override {
    ++sent;
    if (meta.dst != kPeerAddr || seg->pkt_len < 20) return core::Ok{};
    uint8_t h[20];
    core::Mbuf(*seg).copy_data(0, std::span<uint8_t>(h, 20));
    const uint16_t flags = static_cast<uint16_t>(((h[12] & 1) << 8) | h[13]);
    const uint32_t seq = wire::load_be32(std::span<const uint8_t>(h, 20), 4);
    const uint32_t hlen = (h[12] >> 4) * 4u;
    const uint32_t len = seg->pkt_len > hlen ? seg->pkt_len - hlen : 0;
    if ((flags & wire::TcpFlags::kSyn) && !have_iss) {
      iss = seq;
      have_iss = true;
    }
    SeqNum end = SeqNum(seq) + len + ((flags & wire::TcpFlags::kSyn) ? 1 : 0) + ((flags & wire::TcpFlags::kFin) ? 1 : 0);
    if (!have_max || end > max) max = end;
    have_max = true;
    return core::Ok{};  // the segment is freed here: the peer is a script
  }
  std::optional<uint32_t> source_for(uint32_t) const override { return kDutAddr; }
  uint32_t path_mtu(uint32_t) const override { return mtu; }
  bool is_local_address(uint32_t a) const override { return a == kDutAddr; }

  uint64_t sent = 0;
  uint32_t iss = 0;
  bool have_iss = false;
  SeqNum max;
  bool have_max = false;
  uint32_t mtu = 1500;
};

struct Reader {
  const uint8_t* p;
  size_t n;
  bool u8(uint8_t& v) {
    if (n < 1) return false;
    v = *p++;
    --n;
    return true;
  }
  bool u16(uint16_t& v) {
    if (n < 2) return false;
    v = static_cast<uint16_t>((p[0] << 8) | p[1]);
    p += 2;
    n -= 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (n < 4) return false;
    v = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    p += 4;
    n -= 4;
    return true;
  }
};

core::BufferPool& pool() {
  static core::BufferPool* p = new core::BufferPool(kPoolSlots, 2048 + 128, 128, "tcp_fuzz");
  return *p;
}

struct Harness {
  core::VirtualClock clock;
  core::TimerWheel wheel{clock};
  CaptureIp ip;
  std::unique_ptr<TcpStack> dut;
  SocketId listener{}, conn{};
  bool have_listener = false, have_conn = false;
  uint64_t read_off = 0;  // stream offset of the next byte the application reads
  uint64_t total_read = 0;
  std::vector<uint8_t> scratch = std::vector<uint8_t>(70000);

  void check_read(std::span<const uint8_t> got) {
    if (got.empty()) return;
    auto info = dut->info(conn);
    TCP_FUZZ_CHECK(info.has_value());
    const uint32_t first = info->irs + 1;
    for (uint8_t b : got) {
      TCP_FUZZ_CHECK(b == stream_byte(static_cast<uint32_t>(first + read_off)));
      ++read_off;
      ++total_read;
    }
  }

  void accept_pending() {
    if (!have_conn && have_listener) {
      auto r = dut->accept(listener);
      if (r) {
        conn = *r;
        have_conn = true;
        read_off = 0;  // a new connection: a new stream
      }
    }
  }

  void deliver(std::vector<uint8_t>& seg, uint32_t src, uint8_t tos = 0) {
    core::PacketPtr p = pool().alloc_copy(seg);
    if (!p) return;
    IpMeta m;
    m.src = src;
    m.dst = kDutAddr;
    m.protocol = 6;
    m.ttl = 64;
    m.tos = tos;
    dut->input(std::move(p), m);
  }

  // Rewrites a scripted segment into a real one for this connection.
  void segment(std::span<const uint8_t> body) {
    if (body.size() < 20 || body.size() > 9000) return;
    std::vector<uint8_t> seg(body.begin(), body.end());
    std::span<uint8_t> s(seg);
    size_t hlen = static_cast<size_t>(seg[12] >> 4) * 4;
    if (hlen < 20 || hlen > seg.size()) hlen = 20, seg[12] = static_cast<uint8_t>((seg[12] & 0x0f) | 0x50);
    const uint32_t seq_off = wire::load_be32(s, 4);
    const uint32_t ack_off = wire::load_be32(s, 8);
    const uint16_t flags = static_cast<uint16_t>(((seg[12] & 1) << 8) | seg[13]);
    const uint32_t seq = kPeerIsn + seq_off;
    wire::store_be16(s, 0, kPeerPort);
    wire::store_be16(s, 2, kDutPort);
    wire::store_be32(s, 4, seq);
    wire::store_be32(s, 8, ip.iss + ack_off);
    // SACK blocks are offsets from the DUT's ISN too.
    for (size_t i = 20; i + 1 < hlen;) {
      uint8_t kind = seg[i];
      if (kind == 0) break;
      if (kind == 1) {
        ++i;
        continue;
      }
      uint8_t len = seg[i + 1];
      if (len < 2 || i + len > hlen) break;
      if (kind == 5) {
        for (size_t b = i + 2; b + 4 <= i + len; b += 4) wire::store_be32(s, b, ip.iss + wire::load_be32(s, b));
      }
      i += len;
    }
    // Payload: the peer's stream at this sequence number (the data begins at ISN + 1).
    const uint32_t first = seq + ((flags & wire::TcpFlags::kSyn) ? 1u : 0u);
    for (size_t i = hlen; i < seg.size(); ++i) seg[i] = stream_byte(static_cast<uint32_t>(first + (i - hlen)));
    auto view = wire::TcpViewMut::parse(s);
    if (view) {
      view->fill_checksum(wire::Ipv4Address(kPeerAddr), wire::Ipv4Address(kDutAddr));
    } else {
      // Malformed options: still deliver (the DUT must reject it cleanly).
      wire::store_be16(s, 16, 0);
    }
    deliver(seg, kPeerAddr);
  }

  void recv(uint16_t max, bool zero_copy) {
    if (!have_conn) return;
    if (zero_copy) {
      auto r = dut->recv_mbuf(conn, max);
      if (r && *r) {
        std::vector<uint8_t> got((*r)->pkt_len);
        core::Mbuf(**r).copy_data(0, got);
        TCP_FUZZ_CHECK(got.size() <= max);
        check_read(got);
      }
      return;
    }
    auto r = dut->recv(conn, std::span<uint8_t>(scratch.data(), std::min<size_t>(max, scratch.size())));
    if (r) {
      TCP_FUZZ_CHECK(*r <= max);
      check_read(std::span<const uint8_t>(scratch.data(), *r));
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t pool_before = pool().stats().in_use;
  {
    Harness h;
    const uint8_t mode = data[0];
    inet::tcp::TcpTunables t;
    t.maxsockets = kMaxSockets;
    t.cc_algorithm = (mode & 2) ? 0 : 1;
    if (mode & 4) {
      t.sendspace = 4096;
      t.recvspace = 4096;
    }
    t.reass_maxqueuelen = 16;
    t.sack_maxholes = 8;
    h.dut = std::make_unique<TcpStack>(h.clock, h.wheel, pool(), h.ip, t);
    if (mode & 1) {
      auto s = h.dut->open();
      TCP_FUZZ_CHECK(s.has_value());
      h.conn = *s;
      h.have_conn = true;
      (void)h.dut->bind(h.conn, Endpoint{kDutAddr, kDutPort});
      (void)h.dut->connect(h.conn, Endpoint{kPeerAddr, kPeerPort});
    } else {
      auto s = h.dut->open();
      TCP_FUZZ_CHECK(s.has_value());
      h.listener = *s;
      h.have_listener = true;
      (void)h.dut->bind(h.listener, Endpoint{0, kDutPort});
      (void)h.dut->listen(h.listener, 2);
    }
    Reader in{data + 1, size - 1};
    int ops = 0;
    while (in.n > 0 && ops++ < 4096) {
      uint8_t op = 0;
      uint16_t len = 0;
      if (!in.u8(op) || !in.u16(len)) break;
      if (len > in.n) len = static_cast<uint16_t>(in.n);
      Reader body{in.p, len};
      in.p += len;
      in.n -= len;
      switch (op) {
        case 0x01:
          h.segment(std::span<const uint8_t>(body.p, body.n));
          break;
        case 0x02: {
          uint16_t ms = 0;
          uint8_t scale = 0;
          body.u16(ms);
          body.u8(scale);
          int64_t d = int64_t{ms} * (scale ? 16 : 1);
          core::advance_virtual_time_by(h.clock, h.wheel, std::chrono::milliseconds(d));
          break;
        }
        case 0x03:
        case 0x09: {
          uint16_t max = 0;
          body.u16(max);
          h.accept_pending();
          h.recv(max, op == 0x09);
          break;
        }
        case 0x04: {
          uint16_t n = 0;
          body.u16(n);
          h.accept_pending();
          if (h.have_conn) {
            std::vector<uint8_t> bytes(n, 0xa5);
            (void)h.dut->send(h.conn, bytes);
          }
          break;
        }
        case 0x05: {
          uint8_t how = 0;
          body.u8(how);
          h.accept_pending();
          if (!h.have_conn) break;
          switch (how & 3) {
            case 0: (void)h.dut->shutdown(h.conn, inet::tcp::Shutdown::kWrite); break;
            case 1: (void)h.dut->shutdown(h.conn, inet::tcp::Shutdown::kRead); break;
            case 2: (void)h.dut->close(h.conn); h.have_conn = false; break;
            case 3: (void)h.dut->abort(h.conn); h.have_conn = false; break;
          }
          break;
        }
        case 0x06: {
          uint8_t opt = 0;
          uint32_t v = 0;
          body.u8(opt);
          body.u32(v);
          h.accept_pending();
          if (h.have_conn) {
            auto o = static_cast<inet::tcp::SockOpt>(opt % static_cast<uint8_t>(inet::tcp::SockOpt::kCount));
            int64_t value = static_cast<int32_t>(v);
            if (o == inet::tcp::SockOpt::kSndBuf || o == inet::tcp::SockOpt::kRcvBuf) value &= 0x3ffff;
            (void)h.dut->setsockopt(h.conn, o, value);
          }
          break;
        }
        case 0x07: {
          // Verbatim bytes from a foreign host; a well-formed header gets a valid checksum
          // so it reaches the listener / RST logic rather than stopping at the checksum.
          std::vector<uint8_t> raw(body.p, body.p + body.n);
          if (auto v = wire::TcpViewMut::parse(std::span<uint8_t>(raw))) {
            v->fill_checksum(wire::Ipv4Address(kForeign), wire::Ipv4Address(kDutAddr));
          }
          h.deliver(raw, kForeign);
          break;
        }
        case 0x08: {
          uint8_t type = 0, code = 0;
          uint16_t mtu = 0;
          uint32_t off = 0;
          body.u8(type);
          body.u8(code);
          body.u16(mtu);
          body.u32(off);
          inet::IcmpErrorInfo e;
          e.type = type;
          e.code = code;
          e.next_hop_mtu = mtu;
          e.orig_src = kDutAddr;
          e.orig_dst = kPeerAddr;
          e.orig_sport = kDutPort;
          e.orig_dport = kPeerPort;
          e.orig_seq = h.ip.iss + off;
          h.dut->icmp_error(e);
          break;
        }
        default:
          break;
      }
      TCP_FUZZ_CHECK(h.dut->socket_count() <= kMaxSockets);
      TCP_FUZZ_CHECK(pool().stats().in_use <= kPoolSlots);
    }
    // Drain: let timers run out a while and read what is left.
    h.accept_pending();
    h.recv(65535, false);
    core::advance_virtual_time_by(h.clock, h.wheel, std::chrono::seconds(5));
    if (std::getenv("TCP_FUZZ_VERBOSE") != nullptr) {
      // For checking what a seed reaches: the DUT's non-zero counters.
      std::fprintf(stderr, "read %llu bytes, DUT sent %llu segments\n", static_cast<unsigned long long>(h.total_read),
                   static_cast<unsigned long long>(h.ip.sent));
      for (const auto& c : h.dut->counters()) {
        if (c.value != 0) std::fprintf(stderr, "  %s %llu\n", c.name.c_str(), static_cast<unsigned long long>(c.value));
      }
    }
    h.dut.reset();
  }
  // Every buffer the stack held is back in the pool.
  TCP_FUZZ_CHECK(pool().stats().in_use == pool_before);
  return 0;
}
