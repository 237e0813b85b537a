#include "stack/config/schema.h"

#include <algorithm>

namespace vnetref::config {

std::string ConfigError::to_string() const {
  std::string out;
  if (where.line > 0) out = "line " + std::to_string(where.line) + ", column " + std::to_string(where.column) + ": ";
  return out + path + ": " + message;
}

std::string format_errors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.to_string() + "\n";
  return out;
}

ObjectReader::ObjectReader(const Json& obj, std::string path, std::vector<ConfigError>& errors)
    : obj_(obj), path_(std::move(path)), errors_(errors), errors_at_start_(errors.size()) {
  if (!obj_.is_object()) {
    errors_.push_back({path_, obj_.location(), std::string("must be an object, got ") + Json::type_name(obj_.type())});
  }
}

std::string ObjectReader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ObjectReader::error_at(const Json& where, std::string_view key, std::string message) {
  errors_.push_back({child_path(key), where.location(), std::move(message)});
}

const Json* ObjectReader::lookup(std::string_view key, bool required, Json::Type type) {
  known_.emplace_back(key);
  const Json* v = obj_.find(key);
  if (v == nullptr) {
    if (required && obj_.is_object()) errors_.push_back({child_path(key), obj_.location(), "required field is missing"});
    return nullptr;
  }
  if (v->type() != type) {
    error_at(*v, key, std::string("must be ") + (type == Json::Type::kNumber ? "a number" : Json::type_name(type)) +
                          ", got " + Json::type_name(v->type()));
    return nullptr;
  }
  return v;
}

std::optional<int64_t> ObjectReader::integer(std::string_view key, int64_t min, int64_t max,
                                             std::optional<int64_t> fallback) {
  const Json* v = lookup(key, !fallback.has_value(), Json::Type::kNumber);
  if (v == nullptr) return obj_.find(key) == nullptr ? fallback : std::nullopt;
  if (!v->is_integer()) {
    error_at(*v, key, "must be a whole number");
    return std::nullopt;
  }
  if (v->as_int() < min || v->as_int() > max) {
    error_at(*v, key, "must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                          std::to_string(v->as_int()));
    return std::nullopt;
  }
  return v->as_int();
}

std::optional<double> ObjectReader::number(std::string_view key, double min, double max,
                                           std::optional<double> fallback) {
  const Json* v = lookup(key, !fallback.has_value(), Json::Type::kNumber);
  if (v == nullptr) return obj_.find(key) == nullptr ? fallback : std::nullopt;
  if (v->as_double() < min || v->as_double() > max) {
    error_at(*v, key, "out of range " + std::to_string(min) + ".." + std::to_string(max));
    return std::nullopt;
  }
  return v->as_double();
}

std::optional<bool> ObjectReader::boolean(std::string_view key, std::optional<bool> fallback) {
  const Json* v = lookup(key, !fallback.has_value(), Json::Type::kBool);
  if (v == nullptr) return obj_.find(key) == nullptr ? fallback : std::nullopt;
  return v->as_bool();
}

std::optional<std::string> ObjectReader::string(std::string_view key, std::optional<std::string> fallback) {
  const Json* v = lookup(key, !fallback.has_value(), Json::Type::kString);
  if (v == nullptr) return obj_.find(key) == nullptr ? fallback : std::nullopt;
  return v->as_string();
}

std::optional<std::string> ObjectReader::choice(std::string_view key, const std::vector<std::string>& choices,
                                                std::optional<std::string> fallback) {
  auto s = string(key, fallback);
  if (!s) return s;
  if (std::find(choices.begin(), choices.end(), *s) == choices.end()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    const Json* v = obj_.find(key);
    error_at(v != nullptr ? *v : obj_, key, "must be one of " + list + ", got \"" + *s + "\"");
    return std::nullopt;
  }
  return s;
}

const Json* ObjectReader::array(std::string_view key, bool required) {
  return lookup(key, required, Json::Type::kArray);
}

const Json* ObjectReader::object(std::string_view key, bool required) {
  return lookup(key, required, Json::Type::kObject);
}

void ObjectReader::reject_unknown_keys() {
  if (!obj_.is_object()) return;
  for (const auto& [k, v] : obj_.members()) {
    if (std::find(known_.begin(), known_.end(), k) == known_.end()) error_at(v, k, "unknown field");
  }
}

}  // namespace vnetref::config
