// DFW classifier: vnetref's bitmap-intersection classifier against DPDK librte_acl on
// the same synthetic rule sets and the same traces, in the same run.
//
// Both answer "first (highest-priority) matching rule" for a 5-tuple; the benchmark
// checks that they agree on every trace entry before timing and reports mismatches.
#include <benchmark/benchmark.h>

extern "C" {
#include <rte_acl.h>
#include <rte_eal.h>
}

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "bench/iochain/ruleset.h"

namespace vnetref::bench {
namespace {

constexpr uint32_t kTrace = 1 << 16;

bool eal_ready() {
  static const bool ok = [] {
    const char* args[] = {"classifier_bench", "--no-huge", "--no-pci", "-m", "2048", "--no-telemetry", "--no-shconf",
                          "-l", "0", "--log-level=lib.eal:error"};
    const int r = rte_eal_init(10, const_cast<char**>(args));
    if (r < 0) std::fprintf(stderr, "rte_eal_init failed: DPDK comparison skipped\n");
    return r >= 0;
  }();
  return ok;
}

// DPDK input: proto, src, dst, sport, dport in network order (rte_acl convention).
struct AclInput {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src, dst;
  uint16_t sport, dport;
};

RTE_ACL_RULE_DEF(Acl5, 5);

rte_acl_field_def kDefs[5] = {
    {RTE_ACL_FIELD_TYPE_BITMASK, sizeof(uint8_t), 0, 0, offsetof(AclInput, proto)},
    {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), 1, 1, offsetof(AclInput, src)},
    {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), 2, 2, offsetof(AclInput, dst)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), 3, 3, offsetof(AclInput, sport)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), 4, 3, offsetof(AclInput, dport)},
};

struct Dpdk {
  rte_acl_ctx* ctx = nullptr;
  ~Dpdk() {
    if (ctx != nullptr) rte_acl_free(ctx);
  }
};

std::unique_ptr<Dpdk> build_dpdk(const std::vector<SynthRule>& rules, uint32_t n) {
  if (!eal_ready()) return nullptr;
  auto d = std::make_unique<Dpdk>();
  char name[32];
  std::snprintf(name, sizeof name, "acl%u", n);
  rte_acl_param p{};
  p.name = name;
  p.socket_id = SOCKET_ID_ANY;
  p.rule_size = RTE_ACL_RULE_SZ(5);
  p.max_rule_num = static_cast<uint32_t>(rules.size());
  d->ctx = rte_acl_create(&p);
  if (d->ctx == nullptr) return nullptr;
  std::vector<Acl5> rs(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const SynthRule& r = rules[i];
    Acl5& a = rs[i];
    a.data.category_mask = 1;
    // First match wins in vnetref; DPDK picks the highest priority.
    a.data.priority = static_cast<int32_t>(RTE_ACL_MAX_PRIORITY - i);
    a.data.userdata = static_cast<uint32_t>(i + 1);
    a.field[0].value.u8 = r.proto >= 0 ? static_cast<uint8_t>(r.proto) : 0;
    a.field[0].mask_range.u8 = r.proto >= 0 ? 0xff : 0;
    a.field[1].value.u32 = r.src;
    a.field[1].mask_range.u32 = r.src_len;
    a.field[2].value.u32 = r.dst;
    a.field[2].mask_range.u32 = r.dst_len;
    a.field[3].value.u16 = r.sport_lo;
    a.field[3].mask_range.u16 = r.sport_hi;
    a.field[4].value.u16 = r.dport_lo;
    a.field[4].mask_range.u16 = r.dport_hi;
  }
  if (rte_acl_add_rules(d->ctx, reinterpret_cast<rte_acl_rule*>(rs.data()), static_cast<uint32_t>(rs.size())) != 0) {
    return nullptr;
  }
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.num_fields = 5;
  std::memcpy(cfg.defs, kDefs, sizeof kDefs);
  if (rte_acl_build(d->ctx, &cfg) != 0) return nullptr;
  return d;
}

struct Fixture {
  std::vector<SynthRule> rules;
  std::vector<Header> trace;
  iochain::classify::Classifier ours;
  std::unique_ptr<Dpdk> dpdk;
  std::vector<AclInput> inputs;
  std::vector<const uint8_t*> ptrs;
  uint64_t mismatches = 0;
};

Fixture& fixture(uint32_t n, bool want_dpdk) {
  static std::map<uint32_t, std::unique_ptr<Fixture>> cache;
  auto& f = cache[n];
  if (!f) {
    f = std::make_unique<Fixture>();
    f->rules = make_rules(n);
    f->trace = make_trace(f->rules, kTrace);
    f->ours = std::move(iochain::classify::Classifier::build(to_specs(f->rules))).value();
    f->inputs.resize(kTrace);
    for (uint32_t i = 0; i < kTrace; ++i) {
      const Header& h = f->trace[i];
      f->inputs[i] = AclInput{h.proto, {0, 0, 0}, htonl(h.src), htonl(h.dst), htons(h.sport), htons(h.dport)};
      f->ptrs.push_back(reinterpret_cast<const uint8_t*>(&f->inputs[i]));
    }
  }
  if (want_dpdk && !f->dpdk) {
    f->dpdk = build_dpdk(f->rules, n);
    if (f->dpdk) {
      std::vector<uint32_t> res(kTrace);
      rte_acl_classify(f->dpdk->ctx, f->ptrs.data(), res.data(), kTrace, 1);
      for (uint32_t i = 0; i < kTrace; ++i) {
        const Header& h = f->trace[i];
        iochain::classify::Key k;
        k.v = {h.src, h.dst, h.proto, h.sport, h.dport, 0};
        const uint32_t m = f->ours.match(k);
        const uint32_t ours = m == iochain::classify::kNoMatch ? 0 : m + 1;
        if (ours != res[i]) ++f->mismatches;
      }
    }
  }
  return *f;
}

void BM_VnetrefClassifier(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  Fixture& f = fixture(n, false);
  uint32_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const Header& h = f.trace[i++ & (kTrace - 1)];
    iochain::classify::Key k;
    k.v = {h.src, h.dst, h.proto, h.sport, h.dport, 0};
    sum += f.ours.match(k);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["groups"] = f.ours.group_count();
  state.counters["MiB"] = static_cast<double>(f.ours.memory_bytes()) / (1 << 20);
}

// The same lookups through the batch API (64 per call, like the DPDK side).
void BM_VnetrefClassifierBatch(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  Fixture& f = fixture(n, false);
  constexpr uint32_t kBurst = 64;
  std::vector<iochain::classify::Key> keys(kTrace);
  for (uint32_t i = 0; i < kTrace; ++i) {
    const Header& h = f.trace[i];
    keys[i].v = {h.src, h.dst, h.proto, h.sport, h.dport, 0};
  }
  uint32_t res[kBurst];
  uint32_t i = 0;
  for (auto _ : state) {
    f.ours.match_batch(keys.data() + (i & (kTrace - 1)), kBurst, res);
    i += kBurst;
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
}

void BM_DpdkAcl(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  Fixture& f = fixture(n, true);
  if (!f.dpdk) {
    state.SkipWithError("DPDK EAL or rte_acl_build failed");
    return;
  }
  // rte_acl_classify is a batch API; 64 lookups per call, counted per lookup.
  constexpr uint32_t kBurst = 64;
  uint32_t res[kBurst];
  uint32_t i = 0;
  for (auto _ : state) {
    rte_acl_classify(f.dpdk->ctx, f.ptrs.data() + (i & (kTrace - 1)), res, kBurst, 1);
    i += kBurst;
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBurst);
  state.counters["mismatches_vs_vnetref"] = static_cast<double>(f.mismatches);
}

BENCHMARK(BM_VnetrefClassifier)->Arg(10)->Arg(1000)->Arg(4000)->Arg(120000);
BENCHMARK(BM_VnetrefClassifierBatch)->Arg(10)->Arg(1000)->Arg(4000)->Arg(120000);
BENCHMARK(BM_DpdkAcl)->Arg(10)->Arg(1000)->Arg(4000)->Arg(120000);

}  // namespace
}  // namespace vnetref::bench
