#include "stack/iochain/trace.h"

#include "stack/iochain/filter.h"

namespace vnetref::iochain {

const char* name_of(TraceVerdict v) {
  switch (v) {
    case TraceVerdict::kPass: return "pass";
    case TraceVerdict::kDrop: return "drop";
    case TraceVerdict::kFault: return "fault";
    case TraceVerdict::kFaultCopy: return "fault-copy";
    case TraceVerdict::kQueued: return "queued";
    case TraceVerdict::kInjected: return "injected";
    case TraceVerdict::kPolicyPass: return "policy-pass";
    case TraceVerdict::kPolicyDrop: return "policy-drop";
    case TraceVerdict::kErrorDrop: return "error-drop";
    case TraceVerdict::kChainDrop: return "chain-drop";
  }
  return "?";
}

std::string TraceEvent::to_string() const {
  std::string s = "pkt " + std::to_string(packet) + " slot " + std::to_string(slot) + " " +
                  (dir == core::Direction::kEgress ? "out" : "in") + " " + name_of(verdict);
  if (!reason.empty()) s += " " + reason;
  return s;
}

void PacketTracer::record(TraceEvent e) {
  if (capacity_ == 0) return;
  if (events_.size() >= capacity_) {
    events_.pop_front();
    ++overwritten_;
  }
  events_.push_back(std::move(e));
}

std::vector<TraceEvent> PacketTracer::events_for(uint64_t packet) const {
  std::vector<TraceEvent> out;
  for (const auto& e : events_) {
    if (e.packet == packet) out.push_back(e);
  }
  return out;
}

std::string PacketTracer::format_packet(uint64_t packet) const {
  std::string out;
  for (const auto& e : events_) {
    if (e.packet == packet) out += e.to_string() + "\n";
  }
  return out;
}

}  // namespace vnetref::iochain
