// Runs one golden trace in this process: builds a port's IOChain on a virtual
// clock, creates the configured filters (the implementation under test for the
// slots it provides, the reference for the rest), executes the steps, and returns
// pass or the first failing step with its diagnosis.
//
// The verifier calls this inside a child process (isolate.h) so a crashing or
// hanging implementation only fails its own case.
#pragma once

#include <functional>
#include <string>

#include "conformance/trace/trace.h"
#include "conformance/verify/implementation.h"
#include "conformance/verify/result.h"

namespace vnetref::conformance {

// Largest frame a trace may inject (jumbo frames; one buffer each).
inline constexpr uint32_t kRunnerMaxFrame = 9216;

struct RunHooks {
  // Called before each step with its index (the isolation layer publishes it so a
  // crash report can name the step that was running).
  std::function<void(uint32_t step_index)> on_step;
};

// `iut` provides the slot(s) under test; `reference` fills every other configured
// slot (it may be the same object). A single-slot trace whose slot `iut` lacks, or a
// chain trace that uses none of its slots, is skipped.
CaseResult run_case(const Trace& trace, const std::string& file, Implementation& iut, Implementation& reference,
                    const RunHooks& hooks = {});

// Whether run_case would skip, and why (empty when it runs).
std::string skip_reason(const Trace& trace, const Implementation& iut);

}  // namespace vnetref::conformance
