// A small JSON reader/writer for configuration files, golden traces and reports.
//
// Why our own: configuration errors must name the field and the line it is on, so
// every value remembers where it was parsed. Input is bounded (size and nesting
// depth) and malformed text yields a typed error with line and column; the parser is
// fuzzed. Objects keep their key order so written files diff cleanly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stack/core/result.h"

namespace vnetref::config {

struct Location {
  uint32_t line = 0;    // 1-based; 0 for values built in code
  uint32_t column = 0;  // 1-based
};

class Json {
 public:
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Json>;

  Json() = default;
  static Json null() { return Json(); }
  static Json boolean(bool b);
  static Json number(double d);
  static Json integer(int64_t i);
  static Json string(std::string s);
  static Json array(std::vector<Json> items = {});
  static Json object(std::vector<Member> members = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  // True for numbers written without fraction or exponent that fit int64.
  bool is_integer() const { return type_ == Type::kNumber && integral_; }

  bool as_bool() const { return bool_; }
  double as_double() const { return number_; }
  int64_t as_int() const { return integer_; }
  const std::string& as_string() const { return string_; }
  const std::vector<Json>& items() const { return items_; }
  std::vector<Json>& items() { return items_; }
  const std::vector<Member>& members() const { return members_; }
  std::vector<Member>& members() { return members_; }

  // Object lookup; nullptr when absent or not an object.
  const Json* find(std::string_view key) const;
  // Object insert-or-replace, keeping first-insertion order.
  Json& set(std::string key, Json value);
  // Array append.
  void push(Json value) { items_.push_back(std::move(value)); }

  const Location& location() const { return loc_; }
  void set_location(Location l) { loc_ = l; }

  // Compact (indent < 0) or pretty (indent >= 0 spaces per level) text.
  std::string dump(int indent = -1) const;

  static const char* type_name(Type t);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool integral_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<Member> members_;
  Location loc_;
};

struct JsonError {
  Location where;
  std::string message;
  std::string to_string() const;
};

struct JsonLimits {
  size_t max_bytes = 64u << 20;
  uint32_t max_depth = 64;
};

core::Result<Json, JsonError> parse_json(std::string_view text, JsonLimits limits = {});

}  // namespace vnetref::config
