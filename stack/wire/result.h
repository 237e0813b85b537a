// Result<T, E> and Status<E> for the wire layer: the project-wide core types.
//
// (While stack/core did not exist yet, wire carried its own copy with the same API;
// it is now an alias so wire results flow into core-based code without conversion.)
#pragma once

#include "stack/core/result.h"

namespace vnetref::wire {

using core::Err;
using core::Ok;
using core::Result;
using core::Status;

}  // namespace vnetref::wire
