// Per-packet trace: which slots saw a packet and what each decided.
//
// Packets are identified by `PacketMeta::user` (the caller's packet id), the way a
// conformance trace names its packets. Tracing costs nothing unless a tracer is set.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "stack/core/packet.h"

namespace vnetref::iochain {

enum class TraceVerdict : uint8_t {
  kPass,         // left in the batch by the filter
  kDrop,         // dropped by the filter (reason = its drop reason name)
  kFault,        // sent to the slow path
  kFaultCopy,    // a copy went to the slow path, the packet continued
  kQueued,       // taken and held by the filter
  kInjected,     // injected by the filter (new or re-injected packet)
  kPolicyPass,   // slot failed / down, fail-open let it through
  kPolicyDrop,   // slot failed / down, fail-closed dropped it
  kErrorDrop,    // the filter failed the batch
  kChainDrop,    // dropped by the chain itself (reason names it)
};
const char* name_of(TraceVerdict v);

struct TraceEvent {
  uint64_t packet = 0;  // PacketMeta::user
  uint32_t slot = 0;
  core::Direction dir = core::Direction::kEgress;
  TraceVerdict verdict = TraceVerdict::kPass;
  std::string reason;
  std::string to_string() const;  // "pkt 7 slot 2 out drop rule_match"
};

// A bounded record of trace events (oldest overwritten, counted).
class PacketTracer {
 public:
  explicit PacketTracer(size_t capacity = 4096) : capacity_(capacity) {}
  void record(TraceEvent e);
  const std::deque<TraceEvent>& events() const { return events_; }
  std::vector<TraceEvent> events_for(uint64_t packet) const;
  std::string format_packet(uint64_t packet) const;
  uint64_t overwritten() const { return overwritten_; }
  void clear() {
    events_.clear();
    overwritten_ = 0;
  }

 private:
  size_t capacity_;
  std::deque<TraceEvent> events_;
  uint64_t overwritten_ = 0;
};

}  // namespace vnetref::iochain
