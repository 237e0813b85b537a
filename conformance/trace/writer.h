// Writes a Trace back as text in the canonical layout (the one the Python oracle
// writes). parse_trace(format_trace(t)) reproduces t; the fuzz target checks it.
#pragma once

#include <string>

#include "conformance/trace/trace.h"

namespace vnetref::conformance {

std::string format_trace(const Trace& trace);

}  // namespace vnetref::conformance
