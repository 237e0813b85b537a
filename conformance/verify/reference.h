// The built-in reference slots as a C ABI entry point (what `--impl reference`
// loads): the same vnr_filter_ops tables libvnr_reference_filters.so exports, called
// in-process, so the reference goes through exactly the path a vendor library does.
#pragma once

#include "vnetref/filter_abi.h"

namespace vnetref::conformance {

vnr_filter_entry_fn reference_entry();

}  // namespace vnetref::conformance
