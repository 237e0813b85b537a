// Deterministic synthetic firewall rule sets and matching traces for the benchmarks,
// in the spirit of ClassBench's ACL seeds: prefixes of mixed length, a few wildcard-
// heavy rules, popular destination ports and port ranges. Every trace packet is
// generated inside a randomly chosen rule (so lookups end at varied depths), plus
// 10 % uniformly random headers.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "stack/iochain/classify/classifier.h"

namespace vnetref::bench {

struct SynthRule {
  uint32_t src = 0;
  uint8_t src_len = 0;  // 0 = any
  uint32_t dst = 0;
  uint8_t dst_len = 0;
  int proto = -1;  // -1 any
  uint16_t sport_lo = 0, sport_hi = 65535;
  uint16_t dport_lo = 0, dport_hi = 65535;
};

inline std::vector<SynthRule> make_rules(uint32_t n, uint32_t seed = 42) {
  std::mt19937 rng(seed);  // 32-bit outputs
  static const uint16_t kPorts[] = {22, 25, 53, 80, 110, 123, 143, 443, 445, 993, 3306, 5432, 6379, 8080, 8443, 9090};
  std::vector<SynthRule> v(n);
  for (SynthRule& r : v) {
    const uint32_t a = rng() % 100;
    if (a < 40) {
      r.src_len = 0;
    } else {
      r.src_len = static_cast<uint8_t>(a < 70 ? 8 + rng() % 17 : 32);
      r.src = static_cast<uint32_t>(0x0a000000u | (rng() & 0x00ffffffu));
    }
    const uint32_t b = rng() % 100;
    if (b < 15) {
      r.dst_len = 0;
    } else {
      r.dst_len = static_cast<uint8_t>(b < 60 ? 16 + rng() % 9 : 32);
      r.dst = static_cast<uint32_t>(0xac100000u | (rng() & 0x000fffffu));
    }
    const uint32_t c = rng() % 100;
    r.proto = c < 50 ? 6 : c < 85 ? 17 : -1;
    if (r.proto >= 0) {
      const uint32_t d = rng() % 100;
      if (d < 60) {
        r.dport_lo = r.dport_hi = kPorts[rng() % 16];
      } else if (d < 85) {
        r.dport_lo = static_cast<uint16_t>(1024 + rng() % 30000);
        r.dport_hi = static_cast<uint16_t>(r.dport_lo + rng() % 2000);
      }
      if (rng() % 10 == 0) {
        r.sport_lo = static_cast<uint16_t>(1024 + rng() % 60000);
        r.sport_hi = static_cast<uint16_t>(r.sport_lo + rng() % 500);
      }
    }
  }
  return v;
}

inline uint32_t mask_of(uint8_t len) { return len == 0 ? 0u : ~0u << (32 - len); }

inline std::vector<iochain::classify::RuleSpec> to_specs(const std::vector<SynthRule>& rules) {
  using namespace iochain::classify;
  std::vector<RuleSpec> out(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    const SynthRule& r = rules[i];
    if (r.src_len) out[i].add_prefix(kSrcIp, r.src, r.src_len);
    if (r.dst_len) out[i].add_prefix(kDstIp, r.dst, r.dst_len);
    if (r.proto >= 0) out[i].add(kProto, static_cast<uint32_t>(r.proto), static_cast<uint32_t>(r.proto));
    if (r.sport_lo != 0 || r.sport_hi != 65535) out[i].add(kSrcPort, r.sport_lo, r.sport_hi);
    if (r.dport_lo != 0 || r.dport_hi != 65535) out[i].add(kDstPort, r.dport_lo, r.dport_hi);
  }
  return out;
}

struct Header {
  uint32_t src, dst;
  uint8_t proto;
  uint16_t sport, dport;
};

inline std::vector<Header> make_trace(const std::vector<SynthRule>& rules, uint32_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);  // 32-bit outputs
  std::vector<Header> t(n);
  for (Header& h : t) {
    if (rules.empty() || rng() % 10 == 0) {
      h = {static_cast<uint32_t>(0x0a000000u | (rng() & 0xffffffu)), static_cast<uint32_t>(0xac100000u | (rng() & 0xfffffu)),
           static_cast<uint8_t>(rng() % 2 ? 6 : 17), static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())};
      continue;
    }
    const SynthRule& r = rules[rng() % rules.size()];
    h.src = (r.src & mask_of(r.src_len)) | (static_cast<uint32_t>(rng()) & ~mask_of(r.src_len));
    if (r.src_len == 0) h.src = static_cast<uint32_t>(0x0a000000u | (rng() & 0xffffffu));
    h.dst = (r.dst & mask_of(r.dst_len)) | (static_cast<uint32_t>(rng()) & ~mask_of(r.dst_len));
    if (r.dst_len == 0) h.dst = static_cast<uint32_t>(0xac100000u | (rng() & 0xfffffu));
    h.proto = static_cast<uint8_t>(r.proto >= 0 ? r.proto : (rng() % 2 ? 6 : 17));
    h.sport = static_cast<uint16_t>(r.sport_lo + rng() % (uint32_t{r.sport_hi} - r.sport_lo + 1));
    h.dport = static_cast<uint16_t>(r.dport_lo + rng() % (uint32_t{r.dport_hi} - r.dport_lo + 1));
  }
  return t;
}

}  // namespace vnetref::bench
