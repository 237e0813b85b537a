#include "fuzz/iochain/driver.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "stack/iochain/reference.h"
#include "stack/iochain/svcins/svcins.h"
#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain::fuzz {
namespace {

using testing::Harness;

#define FUZZ_CHECK(cond, msg)                                   \
  do {                                                          \
    if (!(cond)) {                                              \
      std::fprintf(stderr, "invariant violated: %s\n", (msg));  \
      std::abort();                                             \
    }                                                           \
  } while (0)

class Reader {
 public:
  Reader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return p_ >= n_; }
  uint8_t u8() { return p_ < n_ ? d_[p_++] : 0; }
  uint16_t u16() {
    const uint16_t hi = u8();
    return static_cast<uint16_t>((hi << 8) | u8());
  }
  std::vector<uint8_t> bytes(size_t n) {
    n = std::min(n, n_ - std::min(n_, p_));
    std::vector<uint8_t> v(d_ + p_, d_ + p_ + n);
    p_ += n;
    return v;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t p_ = 0;
};

// Small address/port pools so templates hit the configured rules and bindings.
constexpr uint32_t kIps[] = {0x0a000001, 0x0a000002, 0x0a000063, 0x0a010203, 0xac100001,
                             0xac100a0a, 0x08080808, 0xc0a80101, 0x0a090101, 0xe0000001};
constexpr uint64_t kMacs[] = {0x020000000001, 0x020000000002, 0xffffffffffff, 0x0180c2000000, 0x020000000077};
constexpr uint16_t kPorts[] = {80, 443, 53, 67, 68, 22, 23, 5353, 9999, 1234, 3333, 0};

std::vector<uint8_t> template_frame(Reader& r, core::Direction& dir) {
  const uint8_t a = r.u8(), b = r.u8(), c = r.u8(), d = r.u8(), e = r.u8(), f = r.u8();
  dir = (a & 1) ? core::Direction::kIngress : core::Direction::kEgress;
  testing::L2 l2{kMacs[(a >> 1) % 5], kMacs[(a >> 4) % 5], (a & 0x80) ? static_cast<int>(b % 8) : -1};
  const uint32_t src = kIps[b % 10], dst = kIps[c % 10];
  const uint16_t sp = kPorts[d % 12], dp = kPorts[(d >> 4) % 12];
  switch (e % 8) {
    case 0:
    case 1: {
      testing::TcpSeg t{sp, dp, 1000u + (f & 0x0f) * 1000u, 5000u + (f >> 4) * 100u, static_cast<uint8_t>(r.u8()),
                        static_cast<uint16_t>(r.u16()), (e & 0x10) ? static_cast<int>(f % 15) : -1,
                        static_cast<uint32_t>(r.u8() % 64)};
      return testing::tcp_frame(l2, src, dst, t);
    }
    case 2:
      return testing::udp_frame(l2, src, dst, sp, dp, f % 80, (e & 0x10) ? static_cast<uint16_t>(0x2000 | (f & 3)) : 0,
                                static_cast<uint16_t>(f & 7));
    case 3:
      return testing::icmp_frame(l2, src, dst, (f & 1) ? 8 : (f % 19), static_cast<uint8_t>(f >> 5), 7, f);
    case 4:
      return testing::arp_frame(l2, static_cast<uint16_t>(1 + (f & 1)), l2.src, src, 0, dst);
    case 5:
      return testing::dhcp_frame(l2, src, dst, sp, dp, static_cast<uint8_t>(f % 8), kMacs[f % 5], dst, f);
    case 6:
      return testing::ip_frame(l2, src, dst, static_cast<uint8_t>(f), 20, static_cast<uint16_t>((e & 0x20) ? f : 0),
                               static_cast<uint16_t>(f & 7));
    default:
      return testing::raw_frame(l2, static_cast<uint16_t>(0x8800 + f), 30);
  }
}

struct World {
  explicit World(const std::vector<SlotSetup>& s) : h(512), hub(h.chain, 64), setups(s) {
    h.chain.set_slow_path(&hub);
    h.chain.set_services(&hub);
    h.chain.set_tracer(&tracer);
    for (const char* svc : {"ids", "mon"}) {
      hub.add_service(svc, [](core::PacketPtr& p, core::Direction) { return (p->meta.user & 3) != 3; });
    }
  }

  void out(core::PacketPtr p) {
    FUZZ_CHECK(dropped.count(p->meta.user) == 0, "a dropped packet reappeared");
    if (p->meta.direction == core::Direction::kEgress && recent.size() < 8) {
      recent.emplace_back(p->data(), p->data() + p->data_len);
    }
  }

  void collect() {
    for (const auto& e : tracer.events()) {
      if (e.verdict == TraceVerdict::kDrop || e.verdict == TraceVerdict::kPolicyDrop ||
          e.verdict == TraceVerdict::kErrorDrop || e.verdict == TraceVerdict::kChainDrop) {
        dropped.insert(e.packet);
      }
    }
    tracer.clear();
    for (auto* v : {&h.passed_egress, &h.passed_ingress, &h.sink.egress, &h.sink.ingress}) {
      for (auto& p : *v) out(std::move(p));
      v->clear();
    }
    // Conservation: what the pool has out is held by the slow path or by filters.
    uint64_t queued = 0;
    for (uint32_t s = 0; s < kSlotCount; ++s) {
      if (const SlotCounters* c = h.chain.slot_counters(s)) queued += c->taken + c->allocated - std::min(c->taken + c->allocated, c->disposed);
    }
    const uint64_t in_use = h.pool.capacity() - h.pool.available();
    const uint64_t slow = hub.queued() + hub.other().size();
    FUZZ_CHECK(in_use == slow + queued, "pool buffers not accounted for");
  }

  void send(std::vector<uint8_t> frame, core::Direction dir) {
    core::PacketPtr p = h.pool.alloc_copy(frame);
    if (!p) return;
    p->meta.user = ++next_id;
    p->meta.direction = dir;
    core::PacketBatch b;
    (void)b.push(std::move(p));
    h.chain.process(b, dir);
    for (uint32_t i = 0; i < b.size(); ++i) (dir == core::Direction::kEgress ? h.passed_egress : h.passed_ingress).push_back(b.take(i));
  }

  Harness h;
  svcins::ServiceHub hub;
  PacketTracer tracer{1 << 14};
  const std::vector<SlotSetup>& setups;
  std::set<uint64_t> dropped;
  std::vector<std::vector<uint8_t>> recent;
  uint64_t next_id = 0;
};

}  // namespace

void run_input(const uint8_t* data, size_t size, const std::vector<SlotSetup>& slots) {
  Reader r(data, size);
  World w(slots);
  const uint8_t sel = r.u8();
  for (size_t i = 0; i < slots.size(); ++i) {
    const SlotSetup& s = slots[i];
    SlotSpec spec;
    spec.slot = s.slot;
    spec.agent = reference_agent_for_slot(s.slot);
    spec.policy = (sel & 0x40) ? FailurePolicy::kFailOpen : FailurePolicy::kFailClosed;
    spec.via_abi = (sel & 0x20) != 0 && i == 0;  // sometimes through the C ABI
    if (i == 0 && (sel & 0x80)) {
      const uint16_t n = r.u16() % 4096;
      auto text = r.bytes(n);
      spec.config_json.assign(text.begin(), text.end());
      // Keep a fuzzed DFW's preallocated connection table small (it is sized by config).
      if (s.slot == 2) spec.params.push_back({"config.conn_limit", "256"});
    } else {
      spec.config_json = s.configs[sel % s.configs.size()];
    }
    (void)install_filter(w.h.chain, spec);  // failures attach the slot in the failed state
  }
  int ops = 0;
  while (!r.empty() && ops++ < 400) {
    const uint8_t op = r.u8();
    core::Direction dir = core::Direction::kEgress;
    switch (op % 9) {
      case 0:
      case 1: {
        const uint16_t n = r.u16() % 1600;
        w.send(r.bytes(n), (op & 1) ? core::Direction::kIngress : core::Direction::kEgress);
        break;
      }
      case 2: {
        auto f = template_frame(r, dir);
        w.send(std::move(f), dir);
        break;
      }
      case 3:
        w.h.advance(std::chrono::milliseconds(uint64_t{r.u16()} * 10));
        break;
      case 4: {
        const SlotSetup& s = slots[r.u8() % slots.size()];
        (void)w.h.chain.config_changed(s.slot, s.configs[r.u8() % s.configs.size()]);
        break;
      }
      case 5: {
        const uint32_t slot = slots[r.u8() % slots.size()].slot;
        auto saved = w.h.chain.save_state(slot);
        if (saved) {
          auto st = w.h.chain.restore_state(slot, *saved);
          FUZZ_CHECK(st, "restoring a just-saved state failed");
          auto again = w.h.chain.save_state(slot);
          FUZZ_CHECK(again && *again == *saved, "saved state did not round-trip");
        }
        // Corrupted state must be refused cleanly (the chain may disconnect).
        if ((op & 0x10) && saved && !saved->empty()) {
          auto bad = *saved;
          bad[r.u8() % bad.size()] ^= static_cast<uint8_t>(1 + r.u8() % 255);
          (void)w.h.chain.restore_state(slot, bad);
        }
        break;
      }
      case 6: {
        w.hub.pump();
        for (auto& rec : w.hub.other()) w.h.chain.reinject(rec.slot, std::move(rec.packet), rec.dir, rec.meta);
        w.hub.other().clear();
        break;
      }
      case 7: {
        const uint32_t n = r.u8() % 48;
        core::PacketBatch b;
        dir = (op & 0x10) ? core::Direction::kIngress : core::Direction::kEgress;
        for (uint32_t i = 0; i < n; ++i) {
          core::Direction ignored;
          core::PacketPtr p = w.h.pool.alloc_copy(template_frame(r, ignored));
          if (!p) break;
          p->meta.user = ++w.next_id;
          (void)b.push(std::move(p));
        }
        w.h.chain.process(b, dir);
        for (uint32_t i = 0; i < b.size(); ++i) (dir == core::Direction::kEgress ? w.h.passed_egress : w.h.passed_ingress).push_back(b.take(i));
        break;
      }
      default: {
        // Replay an earlier egress output as ingress, maybe corrupted (ESP round trips,
        // replays, forgeries).
        if (w.recent.empty()) break;
        auto f = w.recent[r.u8() % w.recent.size()];
        const uint8_t flip = r.u8();
        if ((flip & 1) && !f.empty()) f[r.u16() % f.size()] ^= static_cast<uint8_t>(flip | 1);
        w.send(std::move(f), core::Direction::kIngress);
        break;
      }
    }
    w.collect();
  }
  (void)w.h.chain.ioctl(slots[0].slot, "getrules");
  (void)w.h.chain.summarize();
  (void)w.h.chain.counters();
}

}  // namespace vnetref::iochain::fuzz
