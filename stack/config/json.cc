#include "stack/config/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vnetref::config {

Json Json::boolean(bool b) {
  Json j;
  j.type_ = Type::kBool;
  j.bool_ = b;
  return j;
}

Json Json::number(double d) {
  Json j;
  j.type_ = Type::kNumber;
  j.number_ = d;
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
    j.integral_ = true;
    j.integer_ = static_cast<int64_t>(d);
  }
  return j;
}

Json Json::integer(int64_t i) {
  Json j;
  j.type_ = Type::kNumber;
  j.number_ = static_cast<double>(i);
  j.integer_ = i;
  j.integral_ = true;
  return j;
}

Json Json::string(std::string s) {
  Json j;
  j.type_ = Type::kString;
  j.string_ = std::move(s);
  return j;
}

Json Json::array(std::vector<Json> items) {
  Json j;
  j.type_ = Type::kArray;
  j.items_ = std::move(items);
  return j;
}

Json Json::object(std::vector<Member> members) {
  Json j;
  j.type_ = Type::kObject;
  j.members_ = std::move(members);
  return j;
}

const Json* Json::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Json& Json::set(std::string key, Json value) {
  if (type_ != Type::kObject) *this = object();
  for (auto& [k, v] : members_) {
    if (k == key) {
      v = std::move(value);
      return v;
    }
  }
  members_.emplace_back(std::move(key), std::move(value));
  return members_.back().second;
}

const char* Json::type_name(Type t) {
  switch (t) {
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "?";
}

namespace {

void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void dump_value(std::string& out, const Json& j, int indent, int level) {
  auto newline = [&](int lvl) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (j.type()) {
    case Json::Type::kNull: out += "null"; break;
    case Json::Type::kBool: out += j.as_bool() ? "true" : "false"; break;
    case Json::Type::kNumber:
      if (j.is_integer()) {
        out += std::to_string(j.as_int());
      } else if (!std::isfinite(j.as_double())) {
        out += "null";  // JSON has no NaN/Inf
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", j.as_double());
        out += buf;
      }
      break;
    case Json::Type::kString: dump_string(out, j.as_string()); break;
    case Json::Type::kArray:
      if (j.items().empty()) {
        out += "[]";
        break;
      }
      out += '[';
      for (size_t i = 0; i < j.items().size(); ++i) {
        if (i > 0) out += ',';
        newline(level + 1);
        dump_value(out, j.items()[i], indent, level + 1);
      }
      newline(level);
      out += ']';
      break;
    case Json::Type::kObject:
      if (j.members().empty()) {
        out += "{}";
        break;
      }
      out += '{';
      for (size_t i = 0; i < j.members().size(); ++i) {
        if (i > 0) out += ',';
        newline(level + 1);
        dump_string(out, j.members()[i].first);
        out += indent < 0 ? ":" : ": ";
        dump_value(out, j.members()[i].second, indent, level + 1);
      }
      newline(level);
      out += '}';
      break;
  }
}

class Parser {
 public:
  Parser(std::string_view text, JsonLimits limits) : s_(text), limits_(limits) {}

  core::Result<Json, JsonError> run() {
    if (s_.size() > limits_.max_bytes) return fail("input larger than the configured limit");
    skip_ws();
    Json v;
    if (!value(v, 0)) return core::Err(err_);
    skip_ws();
    if (pos_ != s_.size()) return fail("unexpected text after the JSON value");
    return v;
  }

 private:
  core::Err<JsonError> fail(std::string msg) {
    err_ = JsonError{here(), std::move(msg)};
    return core::Err(err_);
  }
  bool error(std::string msg) {
    err_ = JsonError{here(), std::move(msg)};
    return false;
  }
  Location here() const { return Location{line_, static_cast<uint32_t>(pos_ - line_start_ + 1)}; }

  void skip_ws() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\n') {
        ++line_;
        line_start_ = ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return error("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(Json& out, uint32_t depth) {
    if (depth > limits_.max_depth) return error("nesting deeper than the configured limit");
    if (pos_ >= s_.size()) return error("unexpected end of input");
    Location loc = here();
    char c = s_[pos_];
    bool ok = false;
    if (c == '{') {
      ok = object(out, depth);
    } else if (c == '[') {
      ok = array(out, depth);
    } else if (c == '"') {
      std::string str;
      ok = string(str);
      if (ok) out = Json::string(std::move(str));
    } else if (c == 't') {
      ok = literal("true");
      if (ok) out = Json::boolean(true);
    } else if (c == 'f') {
      ok = literal("false");
      if (ok) out = Json::boolean(false);
    } else if (c == 'n') {
      ok = literal("null");
      if (ok) out = Json::null();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      ok = number(out);
    } else {
      return error(std::string("unexpected character '") + c + "'");
    }
    if (ok) out.set_location(loc);
    return ok;
  }

  bool object(Json& out, uint32_t depth) {
    ++pos_;
    out = Json::object();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return error("expected a string key");
      std::string key;
      if (!string(key)) return false;
      if (out.find(key) != nullptr) return error("duplicate key \"" + key + "\"");
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return error("expected ':' after key");
      ++pos_;
      skip_ws();
      Json v;
      if (!value(v, depth + 1)) return false;
      out.members().emplace_back(std::move(key), std::move(v));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return error("expected ',' or '}' in object");
    }
  }

  bool array(Json& out, uint32_t depth) {
    ++pos_;
    out = Json::array();
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      Json v;
      if (!value(v, depth + 1)) return false;
      out.push(std::move(v));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return error("expected ',' or ']' in array");
    }
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(uint32_t& v) {
    if (s_.size() - pos_ < 4) return error("truncated \\u escape");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return error("bad hex digit in \\u escape");
      }
    }
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    for (;;) {
      if (pos_ >= s_.size()) return error("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return error("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) return error("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t lo;
            if (s_.substr(pos_, 2) != "\\u") return error("unpaired surrogate");
            pos_ += 2;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return error("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return error("unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: return error("unknown escape");
      }
    }
  }

  bool number(Json& out) {
    size_t start = pos_;
    bool integral = true;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return error("truncated number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      return error("invalid number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return error("digits expected after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      size_t digits = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (pos_ == digits) return error("digits expected in exponent");
    }
    std::string text(s_.substr(start, pos_ - start));
    if (integral) {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno == 0) {
        out = Json::integer(v);
        return true;
      }
    }
    out = Json::number(std::strtod(text.c_str(), nullptr));
    return true;
  }

  std::string_view s_;
  JsonLimits limits_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  JsonError err_;
};

}  // namespace

std::string Json::dump(int indent) const {
  std::string out;
  dump_value(out, *this, indent, 0);
  return out;
}

std::string JsonError::to_string() const {
  return "line " + std::to_string(where.line) + ", column " + std::to_string(where.column) + ": " + message;
}

core::Result<Json, JsonError> parse_json(std::string_view text, JsonLimits limits) {
  return Parser(text, limits).run();
}

}  // namespace vnetref::config
