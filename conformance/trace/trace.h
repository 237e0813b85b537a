// A golden trace, parsed: header, the chain configuration under test, and steps.
//
// The text format (conformance/FORMAT.md) is line-oriented like P4's STF so traces
// diff well in review and a third party can read them without our code. This header
// is the in-memory form every consumer (verifier, pcapng export, fuzz target) shares.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stack/config/json.h"

namespace vnetref::conformance {

// Version written on a trace's first line ("vnetref-trace 1"). A parser refuses
// versions it does not know rather than guessing.
inline constexpr uint32_t kTraceFormatVersion = 1;

// Bounds: a trace is test data written by a generator, so anything beyond these is
// a broken or hostile file, and the parser says so instead of allocating.
inline constexpr size_t kMaxTraceBytes = 8u << 20;
inline constexpr size_t kMaxLineBytes = 256u << 10;
inline constexpr size_t kMaxSteps = 100000;
inline constexpr size_t kMaxPacketBytes = 65535;
inline constexpr size_t kMaxNameBytes = 128;
inline constexpr int64_t kMaxAdvanceNs = int64_t{400} * 24 * 3600 * 1000000000;  // 400 days

// Where a packet enters the chain (egress/ingress) or is observed leaving it.
// Egress travels VM -> switch (slots 0 -> 15), ingress switch -> VM (15 -> 0); the
// slow path is where filters fault packets to.
enum class Port : uint8_t { kEgress, kIngress, kSlowPath };
const char* name_of(Port p);

// Result an operation step expects from the implementation (vnr_status names);
// kAnyError accepts every non-OK status.
enum class OpStatus : uint8_t {
  kOk,
  kInvalid,
  kNoMem,
  kBusy,
  kUnsupported,
  kState,
  kFailed,
  kVersion,
  kTooSmall,
  kDown,
  kAnyError,
};
const char* name_of(OpStatus s);
std::optional<OpStatus> op_status_from(std::string_view name);
bool status_satisfies(OpStatus actual, OpStatus expected);

// An expected packet: bytes plus a per-bit care mask (a `*` nibble in the text
// clears four bits). Exact by default: the actual packet must have the same length.
struct PacketPattern {
  std::vector<uint8_t> bytes;  // don't-care nibbles hold 0
  std::vector<uint8_t> care;   // same length; 1 bits must match
  bool prefix = false;         // actual may be longer
  bool any = false;            // matches every packet ("expect egress any")

  bool matches(std::span<const uint8_t> actual) const;
  // Byte offset of the first difference, or nullopt when it matches. A length
  // mismatch reports the offset where one of the two ends.
  std::optional<size_t> first_mismatch(std::span<const uint8_t> actual) const;
  // Actual bytes with every don't-care nibble replaced by the actual packet's (used
  // to dissect the expectation without reporting wildcards as differences).
  std::vector<uint8_t> resolve_with(std::span<const uint8_t> actual) const;
  // Hex text with '*' for don't-care nibbles.
  std::string to_hex() const;
};

// The VM port the chain belongs to (placement of every filter in the trace).
struct VnicIdentity {
  uint32_t vm_id = 1001;
  uint32_t vnic_index = 0;
  uint32_t port_id = 7;
};

// One filter of the chain configuration (an entry of the port's "iochain" section).
struct FilterSpec {
  uint32_t slot = 0;
  std::string agent;           // may be empty: the implementation's own agent
  std::string failure_policy;  // "failOpen" / "failClosed" / "" (slot default)
  std::string config_json;     // the entry's "config" object as compact JSON ("{}" if none)
  std::vector<std::pair<std::string, std::string>> params;
  uint32_t line = 0;           // where the entry starts in the trace
};

struct InjectStep {
  Port dir = Port::kEgress;  // never kSlowPath
  std::string id;            // packet name, unique within the trace
  uint32_t ingress_port = 0; // metadata; 0 = the vNIC's port
  uint16_t vlan_tci = 0;     // out-of-band 802.1Q TCI
  std::vector<uint8_t> bytes;
};

struct AdvanceStep {
  int64_t ns = 0;
};

struct ExpectPacketStep {
  Port where = Port::kEgress;
  std::string id;  // label for reports (optional)
  std::optional<uint32_t> slot;  // kSlowPath: the slot that faulted it
  std::optional<std::vector<uint8_t>> meta;  // kSlowPath: the metadata it was faulted with
  PacketPattern pattern;
};

struct ExpectNoneStep {
  std::optional<Port> where;  // nullopt: every output
};

struct ExpectCounterStep {
  std::string name;  // "slot<N>.<counter>" or "chain.<counter>"
  uint64_t value = 0;
};

struct ReconfigureStep {
  uint32_t slot = 0;
  std::string config_json;  // compact JSON
  OpStatus expect = OpStatus::kOk;
};

// Save state, destroy the filter, create a fresh one with the same configuration
// and restore into it: what moving a VM to another host does.
struct MigrateStep {
  uint32_t slot = 0;
  OpStatus expect = OpStatus::kOk;
};

struct RestoreStep {
  uint32_t slot = 0;
  std::vector<uint8_t> blob;
  OpStatus expect = OpStatus::kOk;
};

struct IoctlStep {
  uint32_t slot = 0;
  std::string request;
  OpStatus expect = OpStatus::kOk;
};

struct ExpectReplyStep {
  std::string contains;  // the last ioctl's reply must contain this text
};

struct ServiceStep {
  std::string name;
  bool up = true;
};

// Acts on packets waiting in the slow path (faulted, not yet returned).
struct SlowPathStep {
  bool give_back = true;  // true: return to the faulting slot; false: discard
  uint32_t count = 0;     // 0 = all
  std::vector<uint8_t> meta;  // metadata passed with returned packets
};

using StepOp = std::variant<InjectStep, AdvanceStep, ExpectPacketStep, ExpectNoneStep, ExpectCounterStep,
                            ReconfigureStep, MigrateStep, RestoreStep, IoctlStep, ExpectReplyStep, ServiceStep,
                            SlowPathStep>;

struct Step {
  uint32_t line = 0;
  std::string note;  // the comment lines right above the step (e.g. "scapy: Ether()/...")
  StepOp op;
};

const char* step_keyword(const StepOp& op);

struct Trace {
  uint32_t version = kTraceFormatVersion;
  std::optional<uint32_t> slot;  // nullopt: a chain trace ("slot chain")
  std::string case_name;
  std::vector<std::string> clauses;
  std::string description;
  VnicIdentity vnic;
  std::vector<FilterSpec> filters;  // ordered by slot
  std::vector<Step> steps;

  // "slot2" / "chain": the suite a trace belongs to.
  std::string suite() const;
  const FilterSpec* filter(uint32_t slot) const;
};

// Hex helpers shared by the parser, reports and tools.
std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace vnetref::conformance
