// An implementation under test: something that creates slot filters.
//
// The verifier builds the reference chain (stack/iochain) around it and drives it
// with a trace; the implementation only decides what its slot filters do. Three
// kinds exist (see implementations.h): the built-in reference, a vendor shared
// library loaded through the C ABI, and a command speaking PROTOCOL.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conformance/trace/trace.h"
#include "stack/iochain/filter.h"

namespace vnetref::conformance {

class Implementation {
 public:
  virtual ~Implementation() = default;
  // How reports name it: "reference", "/path/libvendor.so", "cmd:python3 my_filter.py".
  virtual std::string name() const = 0;
  // Whether it has a filter for `slot` (a trace for another slot is skipped).
  virtual bool provides(uint32_t slot) const = 0;
  // A filter configured by `spec`, or the failure (the chain then applies the slot's
  // failure policy, as a host does when a filter cannot be configured).
  virtual iochain::FilterResult<std::unique_ptr<iochain::Filter>> create(const FilterSpec& spec,
                                                                         const iochain::FilterPlacement& where) = 0;
  // Called in the case's own process before its first filter is created.
  virtual void begin_case() {}
  // Problems the implementation caused that the chain cannot see: broken ABI
  // contract (unknown packet pointers, a packet disposed twice), protocol errors.
  // Taking them clears the list. A case with violations fails.
  virtual std::vector<std::string> take_violations() { return {}; }
  // Recent diagnostic output of the implementation (bounded).
  virtual std::string log_tail() const { return {}; }
};

}  // namespace vnetref::conformance
