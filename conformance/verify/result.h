// What running one golden trace produced: pass, or the first failing step with
// everything a person needs to understand it (field diff, both packets, every
// packet that did arrive, the chain's per-slot verdicts, the implementation's log).
//
// Results cross a process boundary (each case runs in a child), so they convert to
// and from JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/config/json.h"
#include "stack/core/result.h"

namespace vnetref::conformance {

enum class CaseStatus : uint8_t {
  kPass,
  kFail,     // a step's expectation was not met
  kCrash,    // the implementation killed the case process (signal)
  kTimeout,  // the case exceeded its time limit
  kError,    // the case could not run (trace or setup problem, protocol violation)
  kSkip,     // the implementation does not provide the slot(s) the trace needs
};
const char* name_of(CaseStatus s);
bool counts_as_failure(CaseStatus s);

// A packet seen leaving the chain (or faulted to the slow path).
struct ArrivedPacket {
  std::string where;  // egress / ingress / slowpath
  std::string id;     // the injected packet's name, when it is one
  uint32_t slot = 0;  // slowpath: the faulting slot
  uint32_t step_line = 0;  // the step during which it arrived
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> meta;  // slowpath: fault metadata
};

// One field that differs, named like Scapy ("TCP", "TCP.flags", "RA", "R").
struct FieldDiff {
  std::string layer;
  std::string field;
  std::string expected;
  std::string actual;
};

struct Failure {
  uint32_t step_index = 0;  // 0-based; steps_total when after the last step
  uint32_t step_line = 0;
  std::string step;         // the step's keyword ("expect packet", "end of trace", ...)
  std::string kind;         // "packet mismatch", "missing packet", "unexpected packet", ...
  std::string message;      // one line
  std::string note;         // the step's comment (e.g. the Scapy expression)
  // Packet mismatches.
  std::string expected_hex;  // pattern text with '*'
  bool expected_prefix = false;
  std::vector<uint8_t> expected_resolved;  // expected with don't-care nibbles taken from actual
  std::vector<uint8_t> actual;
  bool has_packets = false;
  std::vector<FieldDiff> diffs;
  // Count mismatches / unexpected packets: everything that arrived and was unclaimed.
  std::vector<ArrivedPacket> arrived;
  // What each slot did with the packets involved ("pkt p1 slot 2 out drop rule_match").
  std::vector<std::string> chain_trace;
  std::vector<std::string> counters;  // "name = value" of the slot(s) under test
};

struct CaseResult {
  std::string suite;  // "slot2", "chain"
  std::string case_name;
  std::string file;
  std::vector<std::string> clauses;
  std::string description;
  std::string implementation;  // what ran the slot(s) under test
  CaseStatus status = CaseStatus::kPass;
  double seconds = 0;
  uint32_t steps_run = 0;
  uint32_t steps_total = 0;
  std::optional<Failure> failure;
  std::string detail;  // skip reason, crash signal, setup error
  std::string log;     // implementation/chain log tail (bounded)
};

config::Json to_json(const CaseResult& r);
core::Result<CaseResult, std::string> case_result_from_json(const config::Json& j);

}  // namespace vnetref::conformance
