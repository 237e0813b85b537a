#include "conformance/trace/trace.h"

#include <algorithm>

namespace vnetref::conformance {

const char* name_of(Port p) {
  switch (p) {
    case Port::kEgress: return "egress";
    case Port::kIngress: return "ingress";
    case Port::kSlowPath: return "slowpath";
  }
  return "?";
}

const char* name_of(OpStatus s) {
  switch (s) {
    case OpStatus::kOk: return "ok";
    case OpStatus::kInvalid: return "invalid";
    case OpStatus::kNoMem: return "nomem";
    case OpStatus::kBusy: return "busy";
    case OpStatus::kUnsupported: return "unsupported";
    case OpStatus::kState: return "state";
    case OpStatus::kFailed: return "failed";
    case OpStatus::kVersion: return "version";
    case OpStatus::kTooSmall: return "too_small";
    case OpStatus::kDown: return "down";
    case OpStatus::kAnyError: return "error";
  }
  return "?";
}

std::optional<OpStatus> op_status_from(std::string_view name) {
  for (uint8_t i = 0; i <= static_cast<uint8_t>(OpStatus::kAnyError); ++i) {
    const auto s = static_cast<OpStatus>(i);
    if (name == name_of(s)) return s;
  }
  return std::nullopt;
}

bool status_satisfies(OpStatus actual, OpStatus expected) {
  if (expected == OpStatus::kAnyError) return actual != OpStatus::kOk;
  return actual == expected;
}

bool PacketPattern::matches(std::span<const uint8_t> actual) const { return !first_mismatch(actual).has_value(); }

std::optional<size_t> PacketPattern::first_mismatch(std::span<const uint8_t> actual) const {
  if (any) return std::nullopt;
  const size_t n = std::min(actual.size(), bytes.size());
  for (size_t i = 0; i < n; ++i) {
    if (((actual[i] ^ bytes[i]) & care[i]) != 0) return i;
  }
  if (actual.size() < bytes.size()) return actual.size();
  if (!prefix && actual.size() > bytes.size()) return bytes.size();
  return std::nullopt;
}

std::vector<uint8_t> PacketPattern::resolve_with(std::span<const uint8_t> actual) const {
  std::vector<uint8_t> out = bytes;
  for (size_t i = 0; i < out.size(); ++i) {
    const uint8_t a = i < actual.size() ? actual[i] : 0;
    out[i] = static_cast<uint8_t>((bytes[i] & care[i]) | (a & static_cast<uint8_t>(~care[i])));
  }
  return out;
}

std::string PacketPattern::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    s.push_back((care[i] & 0xf0) != 0 ? kDigits[bytes[i] >> 4] : '*');
    s.push_back((care[i] & 0x0f) != 0 ? kDigits[bytes[i] & 0xf] : '*');
  }
  return s;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0xf]);
  }
  return s;
}

const char* step_keyword(const StepOp& op) {
  struct Visitor {
    const char* operator()(const InjectStep&) const { return "inject"; }
    const char* operator()(const AdvanceStep&) const { return "advance"; }
    const char* operator()(const ExpectPacketStep&) const { return "expect packet"; }
    const char* operator()(const ExpectNoneStep&) const { return "expect none"; }
    const char* operator()(const ExpectCounterStep&) const { return "expect counter"; }
    const char* operator()(const ReconfigureStep&) const { return "reconfigure"; }
    const char* operator()(const MigrateStep&) const { return "migrate"; }
    const char* operator()(const RestoreStep&) const { return "restore"; }
    const char* operator()(const IoctlStep&) const { return "ioctl"; }
    const char* operator()(const ExpectReplyStep&) const { return "expect reply"; }
    const char* operator()(const ServiceStep&) const { return "service"; }
    const char* operator()(const SlowPathStep&) const { return "slowpath"; }
  };
  return std::visit(Visitor{}, op);
}

std::string Trace::suite() const { return slot ? "slot" + std::to_string(*slot) : "chain"; }

const FilterSpec* Trace::filter(uint32_t s) const {
  for (const auto& f : filters) {
    if (f.slot == s) return &f;
  }
  return nullptr;
}

}  // namespace vnetref::conformance
