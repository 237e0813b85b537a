#include "stack/inet/tcp/testing/tcp_harness.h"

#include <algorithm>

#include "stack/core/views.h"

namespace vnetref::inet::tcp::testing {

class TcpPair::Side final : public IpOutput {
 public:
  Side(TcpPair& pair, int index) : pair_(pair), index_(index) {}
  core::Status<IpSendError> ip_output(core::PacketPtr segment, const IpMeta& meta) override {
    if (pair_.enforce_mtu && meta.dont_fragment && segment->pkt_len + 20 > pair_.mtu) {
      return core::Err(IpSendError::kMessageTooBig);
    }
    pair_.send(index_, std::move(segment), meta);
    return core::Ok{};
  }
  std::optional<uint32_t> source_for(uint32_t dst) const override {
    if (dst == kAddrA || dst == kAddrB) return index_ == 0 ? kAddrA : kAddrB;
    if ((dst >> 24) == 10) return index_ == 0 ? kAddrA : kAddrB;
    return std::nullopt;
  }
  uint32_t path_mtu(uint32_t) const override { return pair_.mtu; }
  bool is_local_address(uint32_t addr) const override { return addr == (index_ == 0 ? kAddrA : kAddrB); }

 private:
  TcpPair& pair_;
  int index_;
};

TcpPair::TcpPair(Impairment imp, TcpTunables ta, TcpTunables tb, uint32_t pool_slots)
    : pool(pool_slots), imp_(imp), rng_(imp.seed) {
  side_[0] = std::make_unique<Side>(*this, 0);
  side_[1] = std::make_unique<Side>(*this, 1);
  // Distinct secrets per side, as two hosts would have.
  tb.secret_seed ^= 0x5a5a5a5a12345678ull;
  stack_[0] = std::make_unique<TcpStack>(clock, wheel, pool, *side_[0], ta);
  stack_[1] = std::make_unique<TcpStack>(clock, wheel, pool, *side_[1], tb);
}

TcpPair::~TcpPair() {
  while (!q_.empty()) {
    core::free_chain(q_.top().pkt);
    q_.pop();
  }
  stack_[0].reset();
  stack_[1].reset();
}

void TcpPair::log(int from, const core::Packet& p, const IpMeta& meta) {
  std::vector<uint8_t> bytes(p.pkt_len);
  core::Mbuf(const_cast<core::Packet&>(p)).copy_data(0, bytes);
  auto v = wire::TcpView::parse(std::span<const uint8_t>(bytes));
  if (!v) return;
  WireSegment w;
  w.from = from;
  w.seq = v->seq();
  w.ack = v->ack();
  w.flags = v->flags();
  w.window = v->window();
  w.len = static_cast<uint32_t>(v->payload().size());
  w.options = v->parsed_options();
  w.tos = meta.tos;
  w.at = clock.now();
  wire_log.push_back(w);
}

void TcpPair::send(int from, core::PacketPtr p, const IpMeta& meta) {
  if (record) log(from, *p, meta);
  IpMeta m = meta;
  if (filter && !filter(from, p, m)) {
    ++dropped_;
    return;
  }
  if (!p) return;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  if (!link_up || (imp_.loss > 0 && u(rng_) < imp_.loss)) {
    ++dropped_;
    return;
  }
  core::Instant at = clock.now() + imp_.delay;
  if (imp_.reorder > 0 && u(rng_) < imp_.reorder) at += imp_.reorder_delay;
  if (imp_.corrupt > 0 && u(rng_) < imp_.corrupt) {
    if (pool.make_writable(p)) {
      std::uniform_int_distribution<uint32_t> pos(0, p->pkt_len - 1);
      uint32_t k = pos(rng_);
      core::Packet* s = p.get();
      while (k >= s->data_len) {
        k -= s->data_len;
        s = s->next;
      }
      s->data()[k] ^= static_cast<uint8_t>(1u << (rng_() % 8));
      ++corrupted_;
    }
  }
  if (imp_.duplicate > 0 && u(rng_) < imp_.duplicate) {
    core::PacketPtr dup = pool.clone(*p);
    if (dup) q_.push(InFlight{at + std::chrono::microseconds(10), order_++, 1 - from, dup.release(), m});
  }
  q_.push(InFlight{at, order_++, 1 - from, p.release(), m});
}

void TcpPair::deliver_due() {
  while (!q_.empty() && q_.top().at <= clock.now()) {
    InFlight f = q_.top();
    q_.pop();
    ++delivered_;
    IpMeta in;
    in.src = f.meta.src;
    in.dst = f.meta.dst;
    in.protocol = f.meta.protocol;
    in.tos = f.meta.tos;
    in.ttl = 63;
    stack_[f.to]->input(core::PacketPtr(f.pkt), in);
  }
}

bool TcpPair::run_until(const std::function<bool()>& pred, core::Duration limit) {
  const core::Instant end = clock.now() + limit;
  for (uint64_t guard = 0; guard < 200000000ull; ++guard) {
    deliver_due();
    wheel.run_expired();
    if (pred && pred()) return true;
    core::Instant next = end;
    if (!q_.empty()) next = std::min(next, q_.top().at);
    if (auto d = wheel.next_deadline()) next = std::min(next, *d);
    if (next <= clock.now()) next = clock.now() + wheel.tick();  // tick rounding: step on
    if (next >= end) {
      clock.set(end);
      deliver_due();
      wheel.run_expired();
      return pred && pred();
    }
    clock.set(next);
  }
  return false;
}

void TcpPair::run_for(core::Duration d) { run_until(nullptr, d); }

void TcpPair::inject(int to, std::span<const uint8_t> segment, uint8_t tos, uint32_t src_override) {
  core::PacketPtr p = pool.alloc_copy(segment);
  if (!p) return;
  IpMeta m;
  m.src = src_override != 0 ? src_override : (to == 0 ? kAddrB : kAddrA);
  m.dst = to == 0 ? kAddrA : kAddrB;
  m.protocol = 6;
  m.tos = tos;
  m.ttl = 64;
  stack_[to]->input(std::move(p), m);
}

void TcpPair::inject(int to, const wire::TcpHeader& h, uint32_t src_override) {
  std::vector<uint8_t> buf(h.size());
  uint32_t src = src_override != 0 ? src_override : (to == 0 ? kAddrB : kAddrA);
  uint32_t dst = to == 0 ? kAddrA : kAddrB;
  auto r = h.emit(buf, wire::Ipv4Address(src), wire::Ipv4Address(dst));
  if (!r) return;
  inject(to, buf, 0, src);
}

std::optional<TcpPair::Conn> TcpPair::connect_pair(uint16_t port, core::Duration limit) {
  Conn c;
  auto l = b().open();
  if (!l) return std::nullopt;
  c.listener = *l;
  if (!b().bind(c.listener, Endpoint{kAddrB, port})) return std::nullopt;
  if (!b().listen(c.listener, 16)) return std::nullopt;
  auto s = a().open();
  if (!s) return std::nullopt;
  c.client = *s;
  if (!a().connect(c.client, Endpoint{kAddrB, port})) return std::nullopt;
  std::optional<SocketId> server;
  bool ok = run_until(
      [&] {
        if (!server) {
          auto r = b().accept(c.listener);
          if (r) server = *r;
        }
        return server && a().state(c.client) == TcpState::kEstablished;
      },
      limit);
  if (!ok) return std::nullopt;
  c.server = *server;
  return c;
}

std::vector<uint8_t> TcpPair::transfer(int from, SocketId src, SocketId dst, const std::vector<uint8_t>& data,
                                       core::Duration limit, bool close_after) {
  TcpStack& tx = side(from);
  TcpStack& rx = side(1 - from);
  std::vector<uint8_t> got;
  got.reserve(data.size());
  size_t sent = 0;
  bool closed = false;
  std::vector<uint8_t> buf(65536);
  run_until(
      [&] {
        while (sent < data.size()) {
          auto r = tx.send(src, std::span<const uint8_t>(data).subspan(sent));
          if (!r || *r == 0) break;
          sent += *r;
        }
        if (sent == data.size() && close_after && !closed) {
          auto r = tx.shutdown(src, Shutdown::kWrite);
          (void)r;
          closed = true;
        }
        for (;;) {
          auto r = rx.recv(dst, buf);
          if (!r || *r == 0) break;
          got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return got.size() >= data.size();
      },
      limit);
  return got;
}

std::vector<uint8_t> pattern(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v[i] = static_cast<uint8_t>(x);
  }
  return v;
}

}  // namespace vnetref::inet::tcp::testing
