// The one exported symbol of libvnr_reference_filters.so: the reference slot filters
// behind the same entry point a vendor library provides.
#include "stack/iochain/reference.h"

extern "C" __attribute__((visibility("default"))) const vnr_filter_ops* vnr_filter_entry(uint32_t host_abi_version,
                                                                                          uint32_t slot) {
  if (host_abi_version != VNR_FILTER_ABI_VERSION) return nullptr;
  return vnr_reference_filter_ops(slot);
}
