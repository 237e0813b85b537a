#include "stack/iochain/filter.h"

namespace vnetref::iochain {

const char* name_of(Direction d) { return d == Direction::kEgress ? "OUT" : "IN"; }

const char* name_of(FilterError e) {
  switch (e) {
    case FilterError::kInvalid: return "invalid";
    case FilterError::kNoMem: return "no memory";
    case FilterError::kBusy: return "busy";
    case FilterError::kUnsupported: return "unsupported";
    case FilterError::kState: return "bad state";
    case FilterError::kFailed: return "failed";
    case FilterError::kVersion: return "version";
    case FilterError::kDown: return "down";
  }
  return "?";
}

std::string FilterFailure::to_string() const { return std::string(name_of(code)) + ": " + message; }

FilterStatus Filter::process_returned(core::PacketBatch&, Direction, std::span<const uint8_t>, FilterHost&) {
  return core::Ok{};
}
std::optional<core::Instant> Filter::timer(core::Instant, FilterHost&) { return std::nullopt; }
void Filter::counters(core::CounterList&) const {}
FilterResult<std::vector<uint8_t>> Filter::save_state() const { return std::vector<uint8_t>{}; }
FilterStatus Filter::restore_state(std::span<const uint8_t> state) {
  if (!state.empty()) return filter_error(FilterError::kState, "this filter keeps no state");
  return core::Ok{};
}
FilterResult<std::string> Filter::ioctl(std::string_view request) {
  return filter_error(FilterError::kUnsupported, "unknown ioctl '" + std::string(request) + "'");
}
FilterStatus Filter::config_changed(std::string_view) {
  return filter_error(FilterError::kUnsupported, "this filter cannot be reconfigured");
}

std::string filter_name(uint32_t vm_id, uint32_t vnic_index, std::string_view agent, uint32_t slot) {
  return "nic-" + std::to_string(vm_id) + "-eth" + std::to_string(vnic_index) + "-" + std::string(agent) + "." +
         std::to_string(slot);
}

}  // namespace vnetref::iochain
