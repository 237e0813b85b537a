// A multi-field packet classifier: first matching rule in priority order, without a
// linear scan.
//
// Design: bitmap intersection (Lakshman & Stiliadis, SIGCOMM 1998). For every field
// the rules' range end points cut the value space into elementary intervals; each
// interval carries the bitset of rules that match any value in it. A lookup finds the
// interval of each field value, ANDs the bitsets, and the lowest set bit is the first
// matching rule. Bitsets equal across intervals are stored once.
//
// Bounded cost at scale: rules are cut into groups of 4,096 (64 words per bitset),
// each with a one-word summary (bit w: word w is non-zero) so a lookup ANDs six
// summary words and then only the words that can hold a match. Groups are searched
// in priority order and the search stops at the first group that matches, so the
// 4,000-rule per-vNIC case is one group and the 120,000-rule host maximum is 30.
//
// Value lookup per field: 32-bit fields use a 65,536-entry table on the top 16 bits
// that narrows a binary search to the intervals starting inside that /16; 16-bit and
// narrower fields use a direct table.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stack/core/result.h"

namespace vnetref::iochain::classify {

enum Field : uint8_t { kSrcIp = 0, kDstIp, kProto, kSrcPort, kDstPort, kDir, kFieldCount };
inline constexpr std::array<uint8_t, kFieldCount> kFieldBits = {32, 32, 8, 16, 16, 1};
inline constexpr uint32_t kNoMatch = 0xffffffffu;
inline constexpr uint32_t kGroupRules = 4096;
inline constexpr uint32_t kMaxRules = 1u << 20;

struct Range {
  uint32_t lo = 0;
  uint32_t hi = 0;  // inclusive
};

// A rule's condition: per field a union of ranges; an empty list means "any".
struct RuleSpec {
  std::array<std::vector<Range>, kFieldCount> fields;

  RuleSpec& add(Field f, uint32_t lo, uint32_t hi) {
    fields[f].push_back({lo, hi});
    return *this;
  }
  RuleSpec& add_prefix(Field f, uint32_t addr, uint8_t len);
  // Replaces field f's ranges with their complement within the field's value space.
  // The complement of "any" is nothing: such a rule can never match.
  RuleSpec& negate(Field f);
  bool never_matches() const { return never_; }

  bool never_ = false;
};

struct Key {
  std::array<uint32_t, kFieldCount> v{};
};

// Reference semantics, used by tests and the fuzzers as the oracle.
bool rule_matches(const RuleSpec& r, const Key& k);

class Classifier {
 public:
  Classifier();
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  // Rules in priority order (index 0 first). Error text when over kMaxRules or a range
  // exceeds its field's width.
  static core::Result<Classifier, std::string> build(std::span<const RuleSpec> rules);

  // Index of the first rule >= `from` that matches, or kNoMatch.
  uint32_t match(const Key& k, uint32_t from = 0) const;
  // match(keys[i]) for n keys; overlaps the cache misses of neighbouring lookups by
  // resolving all field bitsets of a chunk (and prefetching them) before intersecting.
  void match_batch(const Key* keys, uint32_t n, uint32_t* out) const;
  uint32_t rule_count() const { return rules_; }
  size_t memory_bytes() const;
  uint32_t group_count() const;

 private:
  struct Group;
  std::vector<std::unique_ptr<Group>> groups_;
  uint32_t rules_ = 0;
};

}  // namespace vnetref::iochain::classify
