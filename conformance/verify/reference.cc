#include "conformance/verify/reference.h"

#include "stack/iochain/reference.h"

namespace vnetref::conformance {

namespace {

extern "C" const vnr_filter_ops* conformance_reference_entry(uint32_t host_abi_version, uint32_t slot) {
  if (host_abi_version != VNR_FILTER_ABI_VERSION) return nullptr;
  return vnr_reference_filter_ops(slot);
}

}  // namespace

vnr_filter_entry_fn reference_entry() { return &conformance_reference_entry; }

}  // namespace vnetref::conformance
