// Runs one case in a child process with a time limit, so an implementation that
// crashes (segfault, abort) or hangs fails that case — with the step it was running
// — and the verifier carries on with the next one.
#pragma once

#include <chrono>
#include <string>

#include "conformance/trace/trace.h"
#include "conformance/verify/implementation.h"
#include "conformance/verify/result.h"

namespace vnetref::conformance {

struct IsolateOptions {
  std::chrono::milliseconds timeout{10000};
  size_t max_output = 64u << 10;  // child stdout/stderr kept (tail) for the report
};

CaseResult run_isolated(const Trace& trace, const std::string& file, Implementation& iut, Implementation& reference,
                        const IsolateOptions& options = {});

}  // namespace vnetref::conformance
