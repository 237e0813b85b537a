// IOChain throughput: Mpps per core at 64-byte frames, per slot and for the whole
// chain, in virtual time (the clock does not move during timing).
//
//   BM_EmptyChain            no filters
//   BM_Acl                   slot 0 with 8 non-matching rules
//   BM_Swsec                 slot 1, SpoofGuard on, one static binding
//   BM_DfwEstablished        slot 2, 1,000 rules, 100 k established TCP connections
//   BM_FullChainEstablished  slots 0 + 1 + 2 as above (the acceptance configuration)
//   BM_DfwNewFlows/N         slot 2 with N rules, every packet a new UDP flow
//                            (classifier lookup + connection insert)
//   BM_CryptEncrypt          slot 15, AES-256-GCM ESP on every packet
//   BM_FullChainViaAbi       the acceptance configuration through the C ABI (copies)
//
// The established-flow benchmarks cycle through all 100 k flows: before each batch the
// benchmark rewrites each frame's source port and destination address (6 bytes) to
// the next flow, so the connection table is exercised across its whole size.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "bench/iochain/ruleset.h"
#include "stack/iochain/config_util.h"
#include "stack/iochain/reference.h"
#include "stack/iochain/testing/harness.h"

namespace vnetref::bench {
namespace {

using iochain::Direction;
using iochain::testing::Harness;

constexpr uint32_t kFlows = 100000;
constexpr uint32_t kVmIp = 0x0a000001;  // 10.0.0.1

uint32_t flow_dst(uint32_t i) { return 0xac100000u | (i / 50000 + 1); }
uint16_t flow_sport(uint32_t i) { return static_cast<uint16_t>(10000 + i % 50000); }

std::string dfw_config(uint32_t nrules) {
  // Synthetic rules as DFW JSON; all allow, so new flows are admitted.
  std::vector<SynthRule> rules = make_rules(nrules);
  std::string s = R"({"conn_limit": 1048576, "sections": [{"id": 1, "rules": [)";
  char buf[256];
  for (uint32_t i = 0; i < rules.size(); ++i) {
    const SynthRule& r = rules[i];
    s += i ? "," : "";
    std::snprintf(buf, sizeof buf, R"({"id": %u, "action": "allow")", 1000 + i);
    s += buf;
    if (r.src_len) {
      std::snprintf(buf, sizeof buf, R"(, "sources": ["%s/%u"])", iochain::ipv4_text(r.src).c_str(), r.src_len);
      s += buf;
    }
    if (r.dst_len) {
      std::snprintf(buf, sizeof buf, R"(, "destinations": ["%s/%u"])", iochain::ipv4_text(r.dst).c_str(), r.dst_len);
      s += buf;
    }
    if (r.proto >= 0) {
      std::snprintf(buf, sizeof buf, R"(, "services": [{"protocol": %d, "src_ports": ["%u-%u"], "dst_ports": ["%u-%u"]}])",
                    r.proto, r.sport_lo, r.sport_hi, r.dport_lo, r.dport_hi);
      s += buf;
    }
    // Past the documented 4,000 rules per vNIC, the host's rule set is applied to
    // other vNICs: this filter compiles the host-wide set and installs its own 4,000.
    if (i >= 4000) {
      std::snprintf(buf, sizeof buf, R"(, "applied_to": ["nic-other-%u"])", i % 64);
      s += buf;
    }
    s += "}";
  }
  s += R"(]}], "default_rule": {"id": 2, "action": "allow"}})";
  return s;
}

const std::string& cached_dfw_config(uint32_t n) {
  static std::map<uint32_t, std::string> cache;
  auto& s = cache[n];
  if (s.empty()) s = dfw_config(n);
  return s;
}

void install(Harness& h, uint32_t slot, const std::string& cfg, bool via_abi = false) {
  iochain::SlotSpec s;
  s.slot = slot;
  s.agent = iochain::reference_agent_for_slot(slot);
  s.config_json = cfg;
  s.via_abi = via_abi;
  auto st = iochain::install_filter(h.chain, s);
  if (!st) {
    std::fprintf(stderr, "install slot %u: %s\n", slot, st.error().message.c_str());
    std::abort();
  }
}

const char* kAcl = R"({"rules": [
  {"id": 1, "action": "drop", "src_mac": ["02:00:00:00:00:99"]},
  {"id": 2, "action": "drop", "ethertype": 34525},
  {"id": 3, "action": "drop", "vlan": 99},
  {"id": 4, "action": "drop", "src": ["192.168.0.0/16"]},
  {"id": 5, "action": "drop", "protocol": "udp", "dst_ports": [137, 138]},
  {"id": 6, "action": "drop", "protocol": "tcp", "dst_ports": [23]},
  {"id": 7, "action": "drop", "protocol": "icmp", "icmp_type": 13},
  {"id": 8, "action": "drop", "dst": ["224.0.0.0/4"]}]})";
const char* kSwsec = R"({"segment": "bench", "vnic_mac": "02:00:00:00:00:01",
  "static_bindings": [{"ip": "10.0.0.1", "mac": "02:00:00:00:00:01"}]})";

iochain::testing::L2 kVm{0x020000000001, 0x020000000002, -1};
iochain::testing::L2 kIn{0x020000000002, 0x020000000001, -1};

// Handshakes for all flows so they are established.
void establish(Harness& h) {
  iochain::testing::TcpSeg syn{0, 80, 1000, 0, 0x02, 65535};
  iochain::testing::TcpSeg sa{80, 0, 5000, 1001, 0x12, 65535};
  iochain::testing::TcpSeg ack{0, 80, 1001, 5001, 0x10, 65535};
  for (uint32_t i = 0; i < kFlows; ++i) {
    syn.sport = ack.sport = sa.dport = flow_sport(i);
    h.send(iochain::testing::tcp_frame(kVm, kVmIp, flow_dst(i), syn), Direction::kEgress);
    h.send(iochain::testing::tcp_frame(kIn, flow_dst(i), kVmIp, sa), Direction::kIngress);
    h.send(iochain::testing::tcp_frame(kVm, kVmIp, flow_dst(i), ack), Direction::kEgress);
    h.passed_egress.clear();
    h.passed_ingress.clear();
  }
}

// A 64-byte TCP ACK (54 bytes of headers + Ethernet padding).
std::vector<uint8_t> ack64() {
  iochain::testing::TcpSeg ack{flow_sport(0), 80, 1001, 5001, 0x10, 65535};
  auto f = iochain::testing::tcp_frame(kVm, kVmIp, flow_dst(0), ack);
  f.resize(64, 0);
  return f;
}

// Runs `batch`-sized batches of established-flow ACKs through the chain.
void run_established(benchmark::State& state, Harness& h, bool rotate_flows) {
  const uint32_t batch = static_cast<uint32_t>(state.range(0));
  std::vector<core::PacketPtr> pkts;
  const auto frame = ack64();
  for (uint32_t i = 0; i < batch; ++i) pkts.push_back(iochain::testing::make_packet(h.pool, frame, i));
  uint32_t flow = 0;
  uint64_t lost = 0;
  for (auto _ : state) {
    core::PacketBatch b;
    for (auto& p : pkts) {
      if (rotate_flows) {
        uint8_t* d = p->data();
        const uint16_t sp = flow_sport(flow);
        const uint32_t dst = flow_dst(flow);
        d[30] = static_cast<uint8_t>(dst >> 24);
        d[31] = static_cast<uint8_t>(dst >> 16);
        d[32] = static_cast<uint8_t>(dst >> 8);
        d[33] = static_cast<uint8_t>(dst);
        d[34] = static_cast<uint8_t>(sp >> 8);
        d[35] = static_cast<uint8_t>(sp);
        flow = flow + 1 == kFlows ? 0 : flow + 1;
      }
      (void)b.push(std::move(p));
    }
    h.chain.process(b, Direction::kEgress);
    lost += batch - b.size();
    for (uint32_t i = 0; i < b.size(); ++i) pkts[i] = b.take(i);
    b.compact();
    while (pkts.size() > 0 && !pkts.back()) pkts.pop_back();
    if (pkts.size() < batch) {  // a drop would skew the result: refill and report
      while (pkts.size() < batch) pkts.push_back(iochain::testing::make_packet(h.pool, frame, 0));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * batch);
  state.counters["lost"] = static_cast<double>(lost);
}

void BM_EmptyChain(benchmark::State& state) {
  Harness h(8192);
  run_established(state, h, true);
}

void BM_Acl(benchmark::State& state) {
  Harness h(8192);
  install(h, 0, kAcl);
  run_established(state, h, true);
}

void BM_Swsec(benchmark::State& state) {
  Harness h(8192);
  install(h, 1, kSwsec);
  run_established(state, h, true);
}

void BM_DfwEstablished(benchmark::State& state) {
  Harness h(8192);
  install(h, 2, cached_dfw_config(1000));
  establish(h);
  run_established(state, h, true);
  state.counters["conns"] = static_cast<double>(h.chain.counter("dfw.conn.active").value_or(0));
}

void BM_FullChainEstablished(benchmark::State& state) {
  Harness h(8192);
  install(h, 0, kAcl);
  install(h, 1, kSwsec);
  install(h, 2, cached_dfw_config(1000));
  establish(h);
  run_established(state, h, true);
  state.counters["conns"] = static_cast<double>(h.chain.counter("dfw.conn.active").value_or(0));
}

void BM_FullChainViaAbi(benchmark::State& state) {
  Harness h(8192);
  install(h, 0, kAcl, true);
  install(h, 1, kSwsec, true);
  install(h, 2, cached_dfw_config(1000), true);
  establish(h);
  run_established(state, h, true);
}

void BM_DfwNewFlows(benchmark::State& state) {
  const uint32_t nrules = static_cast<uint32_t>(state.range(0));
  constexpr uint32_t kBatch = 64;
  auto h = std::make_unique<Harness>(8192);
  install(*h, 2, cached_dfw_config(nrules));
  std::vector<core::PacketPtr> pkts;
  auto frame = iochain::testing::udp_frame(kVm, kVmIp, 0xac100001, 1, 53, 18);  // 64 bytes
  for (uint32_t i = 0; i < kBatch; ++i) pkts.push_back(iochain::testing::make_packet(h->pool, frame, i));
  const std::vector<Header> trace = make_trace(make_rules(nrules), 1 << 16, 11);
  uint32_t n = 0, inserted = 0;
  for (auto _ : state) {
    if (inserted + kBatch > 1000000) {
      state.PauseTiming();
      for (auto& p : pkts) p.reset();
      h = std::make_unique<Harness>(8192);
      install(*h, 2, cached_dfw_config(nrules));
      for (uint32_t i = 0; i < kBatch; ++i) pkts[i] = iochain::testing::make_packet(h->pool, frame, i);
      inserted = 0;
      state.ResumeTiming();
    }
    core::PacketBatch b;
    for (auto& p : pkts) {
      // A new 5-tuple from the trace, made unique by a counter in the source port.
      const Header& t = trace[n & 0xffff];
      uint8_t* d = p->data();
      const uint32_t src = t.src, dst = t.dst;
      const uint16_t sp = static_cast<uint16_t>(n >> 16 ^ n), dp = t.dport;
      d[23] = 17;
      for (int k = 0; k < 4; ++k) {
        d[26 + k] = static_cast<uint8_t>(src >> (24 - 8 * k));
        d[30 + k] = static_cast<uint8_t>(dst >> (24 - 8 * k));
      }
      d[34] = static_cast<uint8_t>(sp >> 8);
      d[35] = static_cast<uint8_t>(sp);
      d[36] = static_cast<uint8_t>(dp >> 8);
      d[37] = static_cast<uint8_t>(dp);
      ++n;
      (void)b.push(std::move(p));
    }
    h->chain.process(b, Direction::kEgress);
    inserted += kBatch;
    for (uint32_t i = 0; i < b.size(); ++i) pkts[i] = b.take(i);
    for (uint32_t i = b.size(); i < kBatch; ++i) pkts[i] = iochain::testing::make_packet(h->pool, frame, i);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
}

void BM_CryptEncrypt(benchmark::State& state) {
  Harness h(8192);
  install(h, 15, R"({"policies": [{"spi_out": 4096, "spi_in": 8192,
      "key_out": "00000000000000000000000000000000000000000000000000000000000000010a0b0c0d",
      "key_in": "00000000000000000000000000000000000000000000000000000000000000020a0b0c0d"}]})");
  const auto frame = ack64();
  constexpr uint32_t kBatch = 64;
  std::vector<core::PacketPtr> pkts;
  for (uint32_t i = 0; i < kBatch; ++i) pkts.push_back(iochain::testing::make_packet(h.pool, frame, i));
  for (auto _ : state) {
    core::PacketBatch b;
    for (auto& p : pkts) {
      // Fresh plaintext each round (the previous round left ESP in the buffer).
      p->data_off = core::BufferPool::kDefaultHeadroom;
      p->data_len = p->pkt_len = static_cast<uint32_t>(frame.size());
      std::memcpy(p->data(), frame.data(), frame.size());
      (void)b.push(std::move(p));
    }
    h.chain.process(b, Direction::kEgress);
    for (uint32_t i = 0; i < b.size(); ++i) pkts[i] = b.take(i);
    for (uint32_t i = b.size(); i < kBatch; ++i) pkts[i] = iochain::testing::make_packet(h.pool, frame, i);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
}

BENCHMARK(BM_EmptyChain)->Arg(32)->Arg(256);
BENCHMARK(BM_Acl)->Arg(32)->Arg(256);
BENCHMARK(BM_Swsec)->Arg(32)->Arg(256);
BENCHMARK(BM_DfwEstablished)->Arg(32)->Arg(256);
BENCHMARK(BM_FullChainEstablished)->Arg(32)->Arg(256);
BENCHMARK(BM_FullChainViaAbi)->Arg(256);
BENCHMARK(BM_DfwNewFlows)->Arg(10)->Arg(1000)->Arg(4000)->Arg(120000);
BENCHMARK(BM_CryptEncrypt);

}  // namespace
}  // namespace vnetref::bench
