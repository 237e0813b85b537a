// The reference slot filters by agent/slot, the host configuration's slot section,
// and the reference filters' C ABI entry (vnr_reference_filter_ops).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "vnetref/filter_abi.h"
#include "stack/config/json.h"
#include "stack/iochain/chain.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain {

// Reference agent of a slot: 0 ACL, 1 switch security, 2 DFW, 4-12 service
// insertion, 15 encryption; nullptr for reserved slots (3, 13, 14) and > 15.
const char* reference_agent_for_slot(uint32_t slot);

FilterResult<std::unique_ptr<Filter>> create_reference_filter(const FilterPlacement& where, std::string_view agent,
                                                              std::string_view config_json,
                                                              const FilterParams& params = {});

// One entry of a port's "filters" list in the host configuration.
struct SlotSpec {
  uint32_t slot = 0;
  std::string agent;            // default: the slot's reference agent
  FailurePolicy policy = FailurePolicy::kFailClosed;
  std::string config_json = "{}";
  FilterParams params;          // <= 16, each key/value < 256 characters
  std::string library;          // a vendor .so path: load through the C ABI
  bool via_abi = false;         // run a reference filter through its C ABI ops table
};

// Parses {"slot", "agent", "failure_policy", "library", "via_abi", "params", "config"}.
FilterResult<SlotSpec> parse_slot_section(const config::Json& j, const std::string& path = "filters[0]");
FilterResult<SlotSpec> parse_slot_section_text(std::string_view json);

// Creates the filter and attaches it. A filter that fails to configure is attached in
// the failed state (its failure policy then applies to all traffic) and the returned
// status carries the configuration error; slot errors (reserved, busy, 17th) refuse.
ChainStatus install_filter(IoChain& chain, const SlotSpec& spec);

}  // namespace vnetref::iochain

extern "C" {
// The reference filter of `slot` as a C ABI ops table (NULL for reserved slots).
const vnr_filter_ops* vnr_reference_filter_ops(uint32_t slot);
}
