// Filter side of the C ABI for C++ filters: turns a factory of `Filter`s into a
// vnr_filter_ops table, so the reference slots are reachable exactly like a vendor
// library (the conformance runner loads both the same way).
//
// The exported filter runs on its own bounded buffer pool: packets handed in through
// the ABI are copied into it, processed, and verdicts are mapped back onto the host's
// packets (drop / fault / inject / held); bytes are copied back only for packets the
// filter made writable (i.e. may have modified). This costs a copy per packet, which
// the conformance path can afford; the in-process chain uses the filters natively.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "vnetref/filter_abi.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain {

using FilterFactory =
    FilterResult<std::unique_ptr<Filter>> (*)(const FilterPlacement& where, std::string_view config_json,
                                              const FilterParams& params);

struct ExportSpec {
  const char* agent;
  const char* counter_prefix;
  uint32_t slot_mask;
  const char* const* drop_reasons;
  uint32_t drop_reason_count;
  FilterFactory factory;
};

// Fills `ops` for `spec`. The create entry must be a distinct C function per spec;
// `make_export_create<&spec>` gives one.
namespace abi_export {
vnr_status create(const ExportSpec& spec, const vnr_filter_create_args* args, vnr_filter** out);
void fill_ops(vnr_filter_ops& ops, const ExportSpec& spec,
              vnr_status (*create_fn)(const vnr_filter_create_args*, vnr_filter**));
}  // namespace abi_export

template <const ExportSpec* Spec>
vnr_status export_create(const vnr_filter_create_args* args, vnr_filter** out) {
  return abi_export::create(*Spec, args, out);
}

}  // namespace vnetref::iochain
