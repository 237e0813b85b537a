#include "stack/iochain/classify/classifier.h"

#include <algorithm>
#include <bit>
#include <unordered_map>

namespace vnetref::iochain::classify {

namespace {

uint32_t field_max(Field f) {
  const uint8_t bits = kFieldBits[f];
  return bits == 32 ? 0xffffffffu : (1u << bits) - 1;
}

// Sorted, merged copy of `in`.
std::vector<Range> normalize(std::vector<Range> in) {
  std::sort(in.begin(), in.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  std::vector<Range> out;
  for (const Range& r : in) {
    if (!out.empty() && (out.back().hi == 0xffffffffu || r.lo <= out.back().hi + 1)) {
      out.back().hi = std::max(out.back().hi, r.hi);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace

RuleSpec& RuleSpec::add_prefix(Field f, uint32_t addr, uint8_t len) {
  if (len > 32) len = 32;
  const uint32_t mask = len == 0 ? 0u : ~0u << (32 - len);
  fields[f].push_back({addr & mask, (addr & mask) | ~mask});
  return *this;
}

RuleSpec& RuleSpec::negate(Field f) {
  const uint32_t max = field_max(f);
  if (fields[f].empty()) {
    never_ = true;  // NOT any
    return *this;
  }
  std::vector<Range> merged = normalize(fields[f]);
  std::vector<Range> out;
  uint64_t next = 0;
  for (const Range& r : merged) {
    if (r.lo > next) out.push_back({static_cast<uint32_t>(next), r.lo - 1});
    next = uint64_t{r.hi} + 1;
  }
  if (next <= max) out.push_back({static_cast<uint32_t>(next), max});
  if (out.empty()) never_ = true;
  fields[f] = std::move(out);
  return *this;
}

bool rule_matches(const RuleSpec& r, const Key& k) {
  if (r.never_) return false;
  for (int f = 0; f < kFieldCount; ++f) {
    if (r.fields[f].empty()) continue;
    bool any = false;
    for (const Range& x : r.fields[f]) {
      if (k.v[f] >= x.lo && k.v[f] <= x.hi) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

// One group of <= 4096 rules.
struct Classifier::Group {
  uint32_t base = 0;   // first rule index
  uint32_t words = 0;  // bitset words (<= 64)
  uint32_t stride = 0; // words + 1 (summary first)
  struct FieldTable {
    bool small = false;              // few intervals: scan `starts` instead of tables
    std::vector<uint32_t> starts;    // interval start values (32-bit fields, small fields)
    std::vector<uint32_t> l1;        // 65537 entries: first interval index per /16 (32-bit fields)
    std::vector<uint32_t> set_of;    // interval -> bitset offset (32-bit), or value -> offset (direct)
    std::vector<uint64_t> bits;      // deduplicated bitsets, `stride` words each
  };
  std::array<FieldTable, kFieldCount> f;

  const uint64_t* lookup(int field, uint32_t v) const {
    const FieldTable& t = f[field];
    if (t.small) {
      // <= kSmallIntervals starts, sorted: the last one <= v.
      size_t i = 0;
      while (i + 1 < t.starts.size() && t.starts[i + 1] <= v) ++i;
      return t.bits.data() + t.set_of[i];
    }
    if (kFieldBits[field] == 32) {
      const uint32_t hi = v >> 16;
      uint32_t lo_i = t.l1[hi];
      uint32_t hi_i = t.l1[hi + 1];  // exclusive bound of candidates (start > v beyond)
      // Largest i in [lo_i, hi_i] with starts[i] <= v.
      uint32_t a = lo_i, b = hi_i;
      while (a < b) {
        const uint32_t m = (a + b + 1) / 2;
        if (t.starts[m] <= v) {
          a = m;
        } else {
          b = m - 1;
        }
      }
      return t.bits.data() + t.set_of[a];
    }
    return t.bits.data() + t.set_of[v];
  }
};

Classifier::Classifier() = default;
Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

uint32_t Classifier::group_count() const { return static_cast<uint32_t>(groups_.size()); }

size_t Classifier::memory_bytes() const {
  size_t n = 0;
  for (const auto& g : groups_) {
    for (const auto& t : g->f) {
      n += t.starts.size() * 4 + t.l1.size() * 4 + t.set_of.size() * 4 + t.bits.size() * 8;
    }
  }
  return n;
}

namespace {

constexpr size_t kSmallIntervals = 8;

struct BitsetHash {
  size_t operator()(const std::vector<uint64_t>& v) const {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (uint64_t w : v) h = (h ^ w) * 0xff51afd7ed558ccdull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

}  // namespace

core::Result<Classifier, std::string> Classifier::build(std::span<const RuleSpec> rules) {
  if (rules.size() > kMaxRules) {
    return core::Err(std::string("too many rules: ") + std::to_string(rules.size()) + " > " + std::to_string(kMaxRules));
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    for (int fi = 0; fi < kFieldCount; ++fi) {
      for (const Range& r : rules[i].fields[fi]) {
        if (r.lo > r.hi || r.hi > field_max(static_cast<Field>(fi))) {
          return core::Err(std::string("rule ") + std::to_string(i) + ": bad range in field " + std::to_string(fi));
        }
      }
    }
  }
  Classifier c;
  c.rules_ = static_cast<uint32_t>(rules.size());
  for (uint32_t base = 0; base < rules.size(); base += kGroupRules) {
    const uint32_t n = std::min<uint32_t>(kGroupRules, static_cast<uint32_t>(rules.size()) - base);
    auto g = std::make_unique<Group>();
    g->base = base;
    g->words = (n + 63) / 64;
    g->stride = g->words + 1;
    for (int fi = 0; fi < kFieldCount; ++fi) {
      const Field field = static_cast<Field>(fi);
      const uint32_t max = field_max(field);
      // Interval starts.
      std::vector<uint32_t> starts = {0};
      for (uint32_t r = 0; r < n; ++r) {
        for (const Range& x : rules[base + r].fields[fi]) {
          starts.push_back(x.lo);
          if (x.hi < max) starts.push_back(x.hi + 1);
        }
      }
      std::sort(starts.begin(), starts.end());
      starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
      const size_t ni = starts.size();
      auto idx_of = [&](uint32_t v) {
        return static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), v) - starts.begin() - 1);
      };
      // Sweep: per interval, rules that start/stop covering it.
      std::vector<std::vector<std::pair<uint32_t, int>>> events(ni + 1);
      std::vector<uint64_t> always(g->words, 0);  // rules with "any" in this field
      for (uint32_t r = 0; r < n; ++r) {
        const RuleSpec& rs = rules[base + r];
        if (rs.never_) continue;
        if (rs.fields[fi].empty()) {
          always[r / 64] |= uint64_t{1} << (r % 64);
          continue;
        }
        for (const Range& x : rs.fields[fi]) {
          events[idx_of(x.lo)].push_back({r, +1});
          events[idx_of(x.hi) + 1].push_back({r, -1});
        }
      }
      std::vector<int> cover(n, 0);
      std::vector<uint64_t> cur(always);
      std::unordered_map<std::vector<uint64_t>, uint32_t, BitsetHash> dedup;
      Group::FieldTable& t = g->f[fi];
      std::vector<uint32_t> interval_set(ni);
      std::vector<uint64_t> key(g->stride);
      for (size_t i = 0; i < ni; ++i) {
        for (auto [r, d] : events[i]) {
          cover[r] += d;
          const uint64_t bit = uint64_t{1} << (r % 64);
          if (cover[r] > 0) {
            cur[r / 64] |= bit;
          } else if ((always[r / 64] & bit) == 0) {
            cur[r / 64] &= ~bit;
          }
        }
        uint64_t summary = 0;
        for (uint32_t w = 0; w < g->words; ++w) {
          key[w + 1] = cur[w];
          if (cur[w] != 0) summary |= uint64_t{1} << w;
        }
        key[0] = summary;
        auto [it, fresh] = dedup.try_emplace(key, static_cast<uint32_t>(t.bits.size()));
        if (fresh) t.bits.insert(t.bits.end(), key.begin(), key.end());
        interval_set[i] = it->second;
      }
      // Range fills (no per-value compares): interval i covers [starts[i], starts[i+1]).
      if (ni <= kSmallIntervals) {
        // A handful of intervals: a short scan beats a 256 KiB table (and builds fast).
        t.small = true;
        t.starts = std::move(starts);
        t.set_of = std::move(interval_set);
      } else if (kFieldBits[fi] == 32) {
        t.starts = std::move(starts);
        t.set_of = std::move(interval_set);
        t.l1.assign(65537, 0);
        // l1[hi] = the interval containing hi << 16, i.e. the last interval starting
        // at or before it.
        for (size_t i = 0; i < t.starts.size(); ++i) {
          const uint64_t first_hi = (uint64_t{t.starts[i]} + 0xffff) >> 16;  // first /16 start inside or after
          const uint64_t end = i + 1 < t.starts.size() ? t.starts[i + 1] : (uint64_t{1} << 32);
          const uint64_t last_hi = (end - 1) >> 16;  // last /16 start before the next interval
          if (first_hi <= last_hi) {
            std::fill(t.l1.begin() + static_cast<std::ptrdiff_t>(first_hi),
                      t.l1.begin() + static_cast<std::ptrdiff_t>(last_hi + 1), static_cast<uint32_t>(i));
          }
        }
        // Upper bound for /16 `hi`: the last interval starting inside it.
        t.l1[65536] = static_cast<uint32_t>(t.starts.size() - 1);
        // The binary search uses [l1[hi], l1[hi+1]]: l1[hi+1] is the interval containing
        // the next /16's first value, which may start inside this /16 - correct bound.
      } else {
        t.set_of.assign(size_t{max} + 1, 0);
        for (size_t i = 0; i < ni; ++i) {
          const size_t end = i + 1 < ni ? starts[i + 1] : size_t{max} + 1;
          std::fill(t.set_of.begin() + starts[i], t.set_of.begin() + static_cast<std::ptrdiff_t>(end), interval_set[i]);
        }
      }
    }
    c.groups_.push_back(std::move(g));
  }
  return c;
}

uint32_t Classifier::match(const Key& k, uint32_t from) const {
  for (const auto& gp : groups_) {
    const Group& g = *gp;
    if (from >= g.base + kGroupRules) continue;
    const uint64_t* b0 = g.lookup(0, k.v[0]);
    const uint64_t* b1 = g.lookup(1, k.v[1]);
    const uint64_t* b2 = g.lookup(2, k.v[2]);
    const uint64_t* b3 = g.lookup(3, k.v[3]);
    const uint64_t* b4 = g.lookup(4, k.v[4]);
    const uint64_t* b5 = g.lookup(5, k.v[5] & 1);
    uint64_t sum = b0[0] & b1[0] & b2[0] & b3[0] & b4[0] & b5[0];
    uint32_t first_word = 0;
    uint64_t first_mask = ~uint64_t{0};
    if (from > g.base) {
      const uint32_t rel = from - g.base;
      first_word = rel / 64;
      first_mask = ~uint64_t{0} << (rel % 64);
      sum &= first_word >= 64 ? 0 : (~uint64_t{0} << first_word);
    }
    while (sum != 0) {
      const uint32_t w = static_cast<uint32_t>(std::countr_zero(sum));
      uint64_t x = b0[1 + w] & b1[1 + w] & b2[1 + w] & b3[1 + w] & b4[1 + w] & b5[1 + w];
      if (w == first_word) x &= first_mask;
      if (x != 0) return g.base + w * 64 + static_cast<uint32_t>(std::countr_zero(x));
      sum &= sum - 1;
    }
  }
  return kNoMatch;
}

}  // namespace vnetref::iochain::classify

namespace vnetref::iochain::classify {

void Classifier::match_batch(const Key* keys, uint32_t n, uint32_t* out) const {
  if (groups_.size() != 1) {
    for (uint32_t i = 0; i < n; ++i) out[i] = match(keys[i]);
    return;
  }
  const Group& g = *groups_[0];
  constexpr uint32_t kChunk = 16;
  const uint64_t* b[kChunk][kFieldCount];
  for (uint32_t base = 0; base < n; base += kChunk) {
    const uint32_t m = std::min(kChunk, n - base);
    for (uint32_t i = 0; i < m; ++i) {
      const Key& k = keys[base + i];
      for (int f = 0; f < kFieldCount; ++f) {
        b[i][f] = g.lookup(f, f == kDir ? (k.v[f] & 1) : k.v[f]);
        __builtin_prefetch(b[i][f]);
      }
    }
    for (uint32_t i = 0; i < m; ++i) {
      const uint64_t* const* p = b[i];
      uint64_t sum = p[0][0] & p[1][0] & p[2][0] & p[3][0] & p[4][0] & p[5][0];
      uint32_t r = kNoMatch;
      while (sum != 0) {
        const uint32_t w = static_cast<uint32_t>(std::countr_zero(sum));
        const uint64_t x = p[0][1 + w] & p[1][1 + w] & p[2][1 + w] & p[3][1 + w] & p[4][1 + w] & p[5][1 + w];
        if (x != 0) {
          r = g.base + w * 64 + static_cast<uint32_t>(std::countr_zero(x));
          break;
        }
        sum &= sum - 1;
      }
      out[base + i] = r;
    }
  }
}

}  // namespace vnetref::iochain::classify
