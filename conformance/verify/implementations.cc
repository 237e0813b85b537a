#include "conformance/verify/implementations.h"

#include <algorithm>

namespace vnetref::conformance {

AbiImplementation::AbiImplementation(std::string name, vnr_filter_entry_fn entry)
    : name_(std::move(name)), entry_(entry) {}

AbiImplementation::AbiImplementation(std::shared_ptr<iochain::FilterLibrary> library)
    : name_(library->path()), lib_(std::move(library)) {}

const vnr_filter_ops* AbiImplementation::ops(uint32_t slot) const {
  if (lib_) return lib_->ops(slot);
  return entry_ != nullptr ? entry_(VNR_FILTER_ABI_VERSION, slot) : nullptr;
}

iochain::FilterResult<std::unique_ptr<iochain::Filter>> AbiImplementation::create(
    const FilterSpec& spec, const iochain::FilterPlacement& where) {
  const vnr_filter_ops* o = ops(spec.slot);
  if (o == nullptr) {
    return iochain::filter_error(iochain::FilterError::kUnsupported,
                                 name_ + " has no filter for slot " + std::to_string(spec.slot));
  }
  iochain::FilterPlacement w = where;
  if (w.name.empty()) w.name = iochain::filter_name(w.vm_id, w.vnic_index, o->agent_name ? o->agent_name : "filter", w.slot);
  auto f = iochain::AbiFilter::create(o, w, spec.config_json, spec.params, lib_);
  if (!f) return core::Err<iochain::FilterFailure>(f.error());
  return std::unique_ptr<iochain::Filter>(std::move(*f));
}

core::Result<std::unique_ptr<CommandImplementation>, std::string> CommandImplementation::start(
    const std::string& command) {
  std::string error;
  std::vector<uint32_t> slots = probe_slots(command, error);
  if (slots.empty()) {
    return core::Err<std::string>("cmd:" + command + ": " + (error.empty() ? "it implements no slot" : error));
  }
  auto impl = std::unique_ptr<CommandImplementation>(new CommandImplementation());
  impl->command_ = command;
  impl->slots_ = std::move(slots);
  impl->journal_ = std::make_shared<ProtocolJournal>();
  return impl;
}

bool CommandImplementation::provides(uint32_t slot) const {
  return std::find(slots_.begin(), slots_.end(), slot) != slots_.end();
}

void CommandImplementation::begin_case() { journal_ = std::make_shared<ProtocolJournal>(); }

std::vector<std::string> CommandImplementation::take_violations() {
  std::vector<std::string> v = std::move(journal_->violations);
  journal_->violations.clear();
  return v;
}

iochain::FilterResult<std::unique_ptr<iochain::Filter>> CommandImplementation::create(
    const FilterSpec& spec, const iochain::FilterPlacement& where) {
  iochain::FilterPlacement w = where;
  if (w.name.empty()) w.name = iochain::filter_name(w.vm_id, w.vnic_index, "cmd", w.slot);
  auto f = ProtocolFilter::create(command_, w, spec.config_json, spec.params, journal_);
  if (!f) return core::Err<iochain::FilterFailure>(f.error());
  return std::unique_ptr<iochain::Filter>(std::move(*f));
}

core::Result<std::unique_ptr<Implementation>, std::string> make_implementation(const std::string& spec,
                                                                               vnr_filter_entry_fn reference_entry) {
  if (spec == "reference") {
    if (reference_entry == nullptr) return core::Err<std::string>("this build has no reference slots");
    return std::unique_ptr<Implementation>(std::make_unique<AbiImplementation>("reference", reference_entry));
  }
  if (spec.rfind("cmd:", 0) == 0) {
    const std::string command = spec.substr(4);
    if (command.empty()) return core::Err<std::string>("cmd: needs a command line, e.g. cmd:'python3 my_filter.py'");
    auto c = CommandImplementation::start(command);
    if (!c) return core::Err<std::string>(c.error());
    return std::unique_ptr<Implementation>(std::move(*c));
  }
  auto lib = iochain::FilterLibrary::open(spec);
  if (!lib) return core::Err<std::string>(spec + ": " + lib.error().message);
  return std::unique_ptr<Implementation>(std::make_unique<AbiImplementation>(std::move(*lib)));
}

}  // namespace vnetref::conformance
