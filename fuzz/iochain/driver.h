// Shared driver of the IOChain fuzz targets.
//
// An input is: one byte choosing the configuration (a seed configuration of the
// target, or "fuzzed": a length-prefixed JSON text for the target's slot), then a
// sequence of operations: raw frames in either direction, frames built from a compact
// template, batches, clock advances, configuration changes, save/restore round trips,
// slow-path/service returns, and replays of (possibly corrupted) earlier outputs.
//
// Invariants checked after every operation (a violation aborts):
//   * conservation: every buffer the pool has handed out is accounted for — held by
//     the slow path/service queue or queued by a filter (so nothing leaks and nothing
//     is lost silently; double frees are ASan's);
//   * a packet that got a drop verdict never reappears at an output;
//   * bounded memory: the pool is fixed, and tables/queues are capped by configuration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vnetref::iochain::fuzz {

struct SlotSetup {
  uint32_t slot;
  std::vector<std::string> configs;  // seed configurations (index chosen by the input)
};

// Runs one input against a chain holding `slots`. The first slot's configuration may
// be replaced by fuzzed JSON text.
void run_input(const uint8_t* data, size_t size, const std::vector<SlotSetup>& slots);

}  // namespace vnetref::iochain::fuzz
