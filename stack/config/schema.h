// Typed, located reading of configuration objects.
//
// `ObjectReader` walks one JSON object and collects the first error with the
// field's path (e.g. `hosts[0].switches[1].port_groups[2].vlan`) and the line it is
// on, so a user sees "line 14, column 17: hosts[0]...vlan: must be 0..4095, got
// 5000". Unknown keys are errors too (a typo must not silently fall back to a default).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/config/json.h"

namespace vnetref::config {

struct ConfigError {
  std::string path;
  Location where;
  std::string message;
  std::string to_string() const;
};

class ObjectReader {
 public:
  // `path` names `obj` in messages; `errors` collects every problem found.
  ObjectReader(const Json& obj, std::string path, std::vector<ConfigError>& errors);

  bool ok() const { return errors_.size() == errors_at_start_; }
  const std::string& path() const { return path_; }
  const Json& json() const { return obj_; }

  // Each getter marks the key as known. A missing optional key yields `fallback`.
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max, std::optional<int64_t> fallback);
  std::optional<double> number(std::string_view key, double min, double max, std::optional<double> fallback);
  std::optional<bool> boolean(std::string_view key, std::optional<bool> fallback);
  std::optional<std::string> string(std::string_view key, std::optional<std::string> fallback);
  // One of `choices`; error lists them.
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& choices,
                                    std::optional<std::string> fallback);
  // Arrays and objects: null when absent (and `required` is false).
  const Json* array(std::string_view key, bool required);
  const Json* object(std::string_view key, bool required);

  // Reports keys that no getter asked for.
  void reject_unknown_keys();

  std::string child_path(std::string_view key) const;
  static std::string index_path(const std::string& base, size_t i) { return base + "[" + std::to_string(i) + "]"; }
  void error_at(const Json& where, std::string_view key, std::string message);

 private:
  const Json* lookup(std::string_view key, bool required, Json::Type type);

  const Json& obj_;
  std::string path_;
  std::vector<ConfigError>& errors_;
  size_t errors_at_start_;
  std::vector<std::string> known_;
};

std::string format_errors(const std::vector<ConfigError>& errors);

}  // namespace vnetref::config
