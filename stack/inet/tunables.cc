#include "stack/inet/tunables.h"

#include <algorithm>

namespace vnetref::inet {

const char* name_of(TunableError e) {
  switch (e) {
    case TunableError::kUnknown: return "unknown_tunable";
    case TunableError::kOutOfRange: return "out_of_range";
    case TunableError::kConflict: return "conflicting_definition";
    case TunableError::kTableFull: return "table_full";
    case TunableError::kCount: break;
  }
  return "?";
}

core::Result<TunableId, TunableError> Tunables::define(const TunableSpec& spec) {
  if (auto id = find(spec.name)) {
    const Entry& e = entries_[id->index];
    if (e.default_value != spec.default_value || e.min != spec.min || e.max != spec.max) {
      return core::Err(TunableError::kConflict);
    }
    return *id;
  }
  if (spec.default_value < spec.min || spec.default_value > spec.max) {
    return core::Err(TunableError::kOutOfRange);
  }
  if (entries_.size() >= kMaxTunables) return core::Err(TunableError::kTableFull);
  entries_.push_back(Entry{std::string(spec.name), spec.default_value, spec.default_value, spec.min, spec.max,
                           spec.unit, std::string(spec.description)});
  return TunableId{static_cast<uint32_t>(entries_.size() - 1)};
}

std::optional<TunableId> Tunables::find(std::string_view name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name == name) return TunableId{static_cast<uint32_t>(i)};
  }
  return std::nullopt;
}

core::Result<int64_t, TunableError> Tunables::get(std::string_view name) const {
  auto id = find(name);
  if (!id) return core::Err(TunableError::kUnknown);
  return entries_[id->index].value;
}

core::Status<TunableError> Tunables::set(TunableId id, int64_t value) {
  if (!id.valid() || id.index >= entries_.size()) return core::Err(TunableError::kUnknown);
  Entry& e = entries_[id.index];
  if (value < e.min || value > e.max) return core::Err(TunableError::kOutOfRange);
  if (e.value != value) {
    e.value = value;
    ++generation_;
  }
  return core::Ok{};
}

core::Status<TunableError> Tunables::set(std::string_view name, int64_t value) {
  auto id = find(name);
  if (!id) return core::Err(TunableError::kUnknown);
  return set(*id, value);
}

core::Status<TunableError> Tunables::reset(std::string_view name) {
  auto id = find(name);
  if (!id) return core::Err(TunableError::kUnknown);
  return set(*id, entries_[id->index].default_value);
}

std::string Tunables::dump(std::string_view prefix) const {
  std::vector<const Entry*> sorted;
  for (const Entry& e : entries_) {
    if (e.name.compare(0, prefix.size(), prefix) == 0) sorted.push_back(&e);
  }
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->name < b->name; });
  std::string out;
  for (const Entry* e : sorted) {
    out += e->name;
    out += ": ";
    out += std::to_string(e->value);
    out += '\n';
  }
  return out;
}

}  // namespace vnetref::inet
