// The three kinds of implementation under test:
//   reference        the built-in reference slots, through their C ABI ops table
//   PATH.so          a vendor library built against include/vnetref/filter_abi.h
//   cmd:COMMAND      a process speaking conformance/PROTOCOL.md on stdin/stdout
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "conformance/verify/implementation.h"
#include "conformance/verify/protocol_filter.h"
#include "stack/core/result.h"
#include "stack/iochain/abi_host.h"
#include "vnetref/filter_abi.h"

namespace vnetref::conformance {

// Any ops table reachable through the C ABI (a dlopen()ed library or in-process).
class AbiImplementation final : public Implementation {
 public:
  AbiImplementation(std::string name, vnr_filter_entry_fn entry);
  explicit AbiImplementation(std::shared_ptr<iochain::FilterLibrary> library);
  std::string name() const override { return name_; }
  bool provides(uint32_t slot) const override { return ops(slot) != nullptr; }
  iochain::FilterResult<std::unique_ptr<iochain::Filter>> create(const FilterSpec& spec,
                                                                 const iochain::FilterPlacement& where) override;

 private:
  const vnr_filter_ops* ops(uint32_t slot) const;
  std::string name_;
  vnr_filter_entry_fn entry_ = nullptr;
  std::shared_ptr<iochain::FilterLibrary> lib_;
};

class CommandImplementation final : public Implementation {
 public:
  // Asks the command for its slots once; the error names what went wrong.
  static core::Result<std::unique_ptr<CommandImplementation>, std::string> start(const std::string& command);
  std::string name() const override { return "cmd:" + command_; }
  bool provides(uint32_t slot) const override;
  iochain::FilterResult<std::unique_ptr<iochain::Filter>> create(const FilterSpec& spec,
                                                                 const iochain::FilterPlacement& where) override;
  void begin_case() override;
  std::vector<std::string> take_violations() override;
  std::string log_tail() const override { return journal_ ? journal_->log : std::string(); }

 private:
  std::string command_;
  std::vector<uint32_t> slots_;
  std::shared_ptr<ProtocolJournal> journal_;
};

// "reference" (served by `reference_entry`, the C ABI export of the built-in
// slots), a path to a shared library, or "cmd:COMMAND".
core::Result<std::unique_ptr<Implementation>, std::string> make_implementation(const std::string& spec,
                                                                               vnr_filter_entry_fn reference_entry);

}  // namespace vnetref::conformance
