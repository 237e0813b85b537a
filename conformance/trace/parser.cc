#include "conformance/trace/parser.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "stack/config/schema.h"

namespace vnetref::conformance {

const char* name_of(TraceErrorKind k) {
  switch (k) {
    case TraceErrorKind::kTooLarge: return "too large";
    case TraceErrorKind::kBadVersion: return "bad version";
    case TraceErrorKind::kUnknownDirective: return "unknown directive";
    case TraceErrorKind::kSyntax: return "syntax";
    case TraceErrorKind::kBadHex: return "bad hex";
    case TraceErrorKind::kBadNumber: return "bad number";
    case TraceErrorKind::kMissingHeader: return "missing header";
    case TraceErrorKind::kDuplicateHeader: return "duplicate header";
    case TraceErrorKind::kConfig: return "config";
    case TraceErrorKind::kUnterminated: return "unterminated block";
    case TraceErrorKind::kDuplicateId: return "duplicate packet id";
  }
  return "?";
}

std::string TraceError::to_string() const {
  std::string s = "line " + std::to_string(line);
  if (column != 0) s += ", column " + std::to_string(column);
  s += ": ";
  s += name_of(kind);
  s += ": ";
  s += message;
  return s;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':' || c == '/';
}

bool valid_name(std::string_view s) {
  return !s.empty() && s.size() <= kMaxNameBytes && std::all_of(s.begin(), s.end(), is_name_char);
}

struct Token {
  std::string_view text;
  uint32_t column = 0;  // 1-based
};

std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i >= line.size()) break;
    const size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    out.push_back(Token{line.substr(start, i - start), static_cast<uint32_t>(start + 1)});
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Text after the first `skip` tokens, trimmed (for free-text arguments).
std::string_view rest_after(std::string_view line, const std::vector<Token>& toks, size_t skip) {
  if (toks.size() <= skip) return {};
  const size_t start = toks[skip].column - 1;
  return trim(line.substr(start));
}

template <typename T>
bool parse_uint(std::string_view s, T max, T& out) {
  if (s.empty()) return false;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > static_cast<uint64_t>(max)) return false;
  out = static_cast<T>(v);
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  core::Result<Trace, TraceError> run();

 private:
  using Status = core::Status<TraceError>;

  core::Err<TraceError> fail(TraceErrorKind k, uint32_t column, std::string msg) const {
    return core::Err<TraceError>(TraceError{k, line_no_, column, std::move(msg)});
  }
  bool next_line(std::string_view& out);
  Status header_line(const std::vector<Token>& t, std::string_view line);
  Status step_line(const std::vector<Token>& t, std::string_view line);
  core::Result<std::string, TraceError> json_block(uint32_t start_line);
  Status parse_filters(const std::string& json_text, uint32_t start_line);
  Status expect_line(const std::vector<Token>& t, std::string_view line, Step& step);
  // key=value options between fixed arguments and the payload. Returns the index of
  // the first token that is not an option.
  core::Result<size_t, TraceError> options(const std::vector<Token>& t, size_t from,
                                           const std::vector<std::string_view>& allowed,
                                           std::vector<std::pair<std::string_view, Token>>& out);
  core::Result<uint32_t, TraceError> slot_arg(const std::vector<Token>& t, size_t i);
  core::Result<OpStatus, TraceError> status_opt(const std::vector<std::pair<std::string_view, Token>>& opts);
  core::Result<std::vector<uint8_t>, TraceError> exact_hex(const std::vector<Token>& t, size_t from,
                                                           std::string_view line);

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_no_ = 0;
  Trace trace_;
  bool seen_version_ = false;
  bool seen_slot_ = false;
  bool seen_case_ = false;
  bool seen_clauses_ = false;
  bool seen_vnic_ = false;
  bool seen_config_ = false;
  bool in_steps_ = false;
  std::string note_;
  std::set<std::string, std::less<>> ids_;
};

bool Parser::next_line(std::string_view& out) {
  if (pos_ >= text_.size()) return false;
  const size_t nl = text_.find('\n', pos_);
  const size_t end = nl == std::string_view::npos ? text_.size() : nl;
  out = text_.substr(pos_, end - pos_);
  pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
  ++line_no_;
  return true;
}

core::Result<Trace, TraceError> Parser::run() {
  if (text_.size() > kMaxTraceBytes) {
    return fail(TraceErrorKind::kTooLarge, 0, "trace is " + std::to_string(text_.size()) + " bytes, limit " +
                                                  std::to_string(kMaxTraceBytes));
  }
  std::string_view raw;
  while (next_line(raw)) {
    if (raw.size() > kMaxLineBytes) return fail(TraceErrorKind::kTooLarge, 1, "line longer than 256 KiB");
    if (raw.find('\0') != std::string_view::npos) {
      return fail(TraceErrorKind::kSyntax, static_cast<uint32_t>(raw.find('\0') + 1), "NUL byte in trace");
    }
    const std::string_view line = trim(raw);
    if (line.empty()) {
      note_.clear();
      continue;
    }
    if (line[0] == '#') {
      std::string_view c = trim(line.substr(1));
      if (note_.size() + c.size() < 4096) {  // notes are for humans; long ones are cut
        if (!note_.empty()) note_ += '\n';
        note_ += c;
      }
      continue;
    }
    // Tokens keep columns of the raw line, so errors point where an editor shows them.
    std::string_view body = raw;
    while (!body.empty() && (is_space(body.back()) || body.back() == '\r')) body.remove_suffix(1);
    const std::vector<Token> toks = tokenize(body);
    if (!seen_version_) {
      if (toks[0].text != "vnetref-trace") {
        return fail(TraceErrorKind::kBadVersion, toks[0].column,
                    "a trace starts with \"vnetref-trace " + std::to_string(kTraceFormatVersion) + "\"");
      }
      uint32_t v = 0;
      if (toks.size() != 2 || !parse_uint(toks[1].text, uint32_t{1000000}, v)) {
        return fail(TraceErrorKind::kBadVersion, toks.size() > 1 ? toks[1].column : 1, "expected a version number");
      }
      if (v != kTraceFormatVersion) {
        return fail(TraceErrorKind::kBadVersion, toks[1].column,
                    "format version " + std::to_string(v) + " is not supported (this parser reads version " +
                        std::to_string(kTraceFormatVersion) + ")");
      }
      trace_.version = v;
      seen_version_ = true;
      note_.clear();
      continue;
    }
    const std::string_view kw = toks[0].text;
    const bool is_header = kw == "slot" || kw == "case" || kw == "clauses" || kw == "description" || kw == "vnic" ||
                           kw == "config" || kw == "vnetref-trace";
    if (is_header) {
      if (in_steps_) return fail(TraceErrorKind::kSyntax, toks[0].column, "header line after the first step");
      if (auto st = header_line(toks, body); !st) return core::Err<TraceError>(st.error());
    } else {
      if (trace_.steps.size() >= kMaxSteps) {
        return fail(TraceErrorKind::kTooLarge, 1, "more than " + std::to_string(kMaxSteps) + " steps");
      }
      in_steps_ = true;
      if (auto st = step_line(toks, body); !st) return core::Err<TraceError>(st.error());
    }
    note_.clear();
  }
  ++line_no_;
  if (!seen_version_) return fail(TraceErrorKind::kBadVersion, 0, "empty trace (no \"vnetref-trace\" line)");
  if (!seen_slot_) return fail(TraceErrorKind::kMissingHeader, 0, "no \"slot\" line");
  if (!seen_case_) return fail(TraceErrorKind::kMissingHeader, 0, "no \"case\" line");
  if (!seen_clauses_) return fail(TraceErrorKind::kMissingHeader, 0, "no \"clauses\" line");
  if (trace_.description.empty()) return fail(TraceErrorKind::kMissingHeader, 0, "no \"description\" line");
  if (trace_.slot && trace_.filter(*trace_.slot) == nullptr) {
    // A slot trace without configuration runs the slot with its defaults.
    FilterSpec f;
    f.slot = *trace_.slot;
    f.config_json = "{}";
    trace_.filters.push_back(std::move(f));
    std::sort(trace_.filters.begin(), trace_.filters.end(),
              [](const FilterSpec& a, const FilterSpec& b) { return a.slot < b.slot; });
  }
  return std::move(trace_);
}

Parser::Status Parser::header_line(const std::vector<Token>& t, std::string_view line) {
  const std::string_view kw = t[0].text;
  if (kw == "vnetref-trace") return fail(TraceErrorKind::kDuplicateHeader, t[0].column, "second version line");
  if (kw == "slot") {
    if (seen_slot_) return fail(TraceErrorKind::kDuplicateHeader, t[0].column, "second \"slot\" line");
    if (t.size() != 2) return fail(TraceErrorKind::kSyntax, t[0].column, "usage: slot <0-15>|chain");
    if (t[1].text == "chain") {
      trace_.slot.reset();
    } else {
      uint32_t s = 0;
      if (!parse_uint(t[1].text, uint32_t{15}, s)) {
        return fail(TraceErrorKind::kBadNumber, t[1].column, "slot must be 0-15 or \"chain\"");
      }
      trace_.slot = s;
    }
    seen_slot_ = true;
    return core::Ok{};
  }
  if (kw == "case") {
    if (seen_case_) return fail(TraceErrorKind::kDuplicateHeader, t[0].column, "second \"case\" line");
    if (t.size() != 2 || !valid_name(t[1].text)) {
      return fail(TraceErrorKind::kSyntax, t.size() > 1 ? t[1].column : t[0].column,
                  "usage: case <name> (letters, digits, _ - . : /; at most 128)");
    }
    trace_.case_name = std::string(t[1].text);
    seen_case_ = true;
    return core::Ok{};
  }
  if (kw == "clauses") {
    if (seen_clauses_) return fail(TraceErrorKind::kDuplicateHeader, t[0].column, "second \"clauses\" line");
    if (t.size() < 2) return fail(TraceErrorKind::kSyntax, t[0].column, "usage: clauses <id> [<id>...]");
    for (size_t i = 1; i < t.size(); ++i) {
      if (!valid_name(t[i].text)) return fail(TraceErrorKind::kSyntax, t[i].column, "bad clause id");
      if (trace_.clauses.size() >= 64) return fail(TraceErrorKind::kTooLarge, t[i].column, "more than 64 clauses");
      trace_.clauses.emplace_back(t[i].text);
    }
    seen_clauses_ = true;
    return core::Ok{};
  }
  if (kw == "description") {
    const std::string_view text = rest_after(line, t, 1);
    if (text.empty()) return fail(TraceErrorKind::kSyntax, t[0].column, "empty description");
    if (trace_.description.size() + text.size() > 16384) {
      return fail(TraceErrorKind::kTooLarge, t[0].column, "description longer than 16 KiB");
    }
    if (!trace_.description.empty()) trace_.description += ' ';
    trace_.description += text;
    return core::Ok{};
  }
  if (kw == "vnic") {
    if (seen_vnic_) return fail(TraceErrorKind::kDuplicateHeader, t[0].column, "second \"vnic\" line");
    std::vector<std::pair<std::string_view, Token>> opts;
    auto end = options(t, 1, {"vm", "index", "port"}, opts);
    if (!end) return core::Err<TraceError>(end.error());
    if (*end != t.size()) return fail(TraceErrorKind::kSyntax, t[*end].column, "usage: vnic vm=N index=N port=N");
    for (const auto& [k, tok] : opts) {
      uint32_t v = 0;
      const std::string_view val = tok.text.substr(k.size() + 1);
      if (!parse_uint(val, uint32_t{0xffffffff}, v)) return fail(TraceErrorKind::kBadNumber, tok.column, "bad number");
      if (k == "vm") trace_.vnic.vm_id = v;
      if (k == "index") trace_.vnic.vnic_index = v;
      if (k == "port") trace_.vnic.port_id = v;
    }
    seen_vnic_ = true;
    return core::Ok{};
  }
  // config: a JSON block up to a line "end".
  if (seen_config_) return fail(TraceErrorKind::kDuplicateHeader, t[0].column, "second \"config\" block");
  if (t.size() != 1) return fail(TraceErrorKind::kSyntax, t[1].column, "\"config\" stands alone; JSON follows on the next lines");
  const uint32_t start = line_no_;
  auto json = json_block(start);
  if (!json) return core::Err<TraceError>(json.error());
  seen_config_ = true;
  return parse_filters(*json, start);
}

core::Result<std::string, TraceError> Parser::json_block(uint32_t start_line) {
  std::string out;
  std::string_view raw;
  while (next_line(raw)) {
    if (raw.size() > kMaxLineBytes) return fail(TraceErrorKind::kTooLarge, 1, "line longer than 256 KiB");
    if (trim(raw) == "end") return out;
    out += raw;
    out += '\n';
  }
  line_no_ = start_line;
  return fail(TraceErrorKind::kUnterminated, 1, "JSON block has no closing \"end\" line");
}

Parser::Status Parser::parse_filters(const std::string& json_text, uint32_t start_line) {
  config::JsonLimits limits;
  limits.max_bytes = kMaxTraceBytes;
  limits.max_depth = 32;
  auto parsed = config::parse_json(json_text, limits);
  if (!parsed) {
    const auto& e = parsed.error();
    TraceError err{TraceErrorKind::kConfig, start_line + e.where.line, e.where.column, e.message};
    return core::Err<TraceError>(err);
  }
  const config::Json& root = *parsed;
  const auto config_error = [&](const config::ConfigError& e) {
    return core::Err<TraceError>(
        TraceError{TraceErrorKind::kConfig, start_line + e.where.line, e.where.column, e.path + ": " + e.message});
  };
  if (!root.is_array()) {
    return core::Err<TraceError>(TraceError{TraceErrorKind::kConfig, start_line + 1, 1,
                                            "the chain configuration is a JSON array of filters"});
  }
  if (root.items().size() > 16) {
    return core::Err<TraceError>(TraceError{TraceErrorKind::kConfig, start_line + 1, 1, "more than 16 filters"});
  }
  std::vector<config::ConfigError> errors;
  for (size_t i = 0; i < root.items().size(); ++i) {
    const config::Json& item = root.items()[i];
    const std::string path = config::ObjectReader::index_path("iochain", i);
    if (!item.is_object()) {
      errors.push_back(config::ConfigError{path, item.location(), "a filter entry is an object"});
      break;
    }
    config::ObjectReader r(item, path, errors);
    FilterSpec f;
    f.line = start_line + item.location().line;
    auto slot = r.integer("slot", 0, 15, std::nullopt);
    auto agent = r.string("agent", std::string());
    auto policy = r.choice("failure_policy", {"failOpen", "failClosed", ""}, std::string());
    const config::Json* cfg = r.object("config", false);
    const config::Json* params = r.object("params", false);
    r.reject_unknown_keys();
    if (!r.ok()) break;
    f.slot = static_cast<uint32_t>(*slot);
    f.agent = *agent;
    f.failure_policy = *policy;
    f.config_json = cfg != nullptr ? cfg->dump() : "{}";
    if (params != nullptr) {
      if (params->members().size() > 16) {
        errors.push_back(config::ConfigError{r.child_path("params"), params->location(), "more than 16 parameters"});
        break;
      }
      for (const auto& [k, v] : params->members()) {
        if (!v.is_string() || k.size() >= 256 || v.as_string().size() >= 256) {
          errors.push_back(config::ConfigError{r.child_path("params") + "." + k, v.location(),
                                               "parameters are strings shorter than 256 bytes"});
          break;
        }
        f.params.emplace_back(k, v.as_string());
      }
      if (!errors.empty()) break;
    }
    if (trace_.filter(f.slot) != nullptr) {
      errors.push_back(config::ConfigError{r.child_path("slot"), item.location(),
                                           "slot " + std::to_string(f.slot) + " configured twice"});
      break;
    }
    trace_.filters.push_back(std::move(f));
  }
  if (!errors.empty()) return config_error(errors.front());
  std::sort(trace_.filters.begin(), trace_.filters.end(),
            [](const FilterSpec& a, const FilterSpec& b) { return a.slot < b.slot; });
  return core::Ok{};
}

core::Result<size_t, TraceError> Parser::options(const std::vector<Token>& t, size_t from,
                                                 const std::vector<std::string_view>& allowed,
                                                 std::vector<std::pair<std::string_view, Token>>& out) {
  size_t i = from;
  for (; i < t.size(); ++i) {
    const size_t eq = t[i].text.find('=');
    if (eq == std::string_view::npos) break;
    const std::string_view key = t[i].text.substr(0, eq);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return fail(TraceErrorKind::kSyntax, t[i].column,
                  "unknown option \"" + std::string(key) + "\" (allowed: " + (list.empty() ? "none" : list) + ")");
    }
    for (const auto& [k, tok] : out) {
      if (k == key) return fail(TraceErrorKind::kSyntax, t[i].column, "option \"" + std::string(key) + "\" given twice");
    }
    if (eq + 1 == t[i].text.size()) {
      return fail(TraceErrorKind::kSyntax, t[i].column, "option \"" + std::string(key) + "\" has no value");
    }
    out.emplace_back(key, t[i]);
  }
  return i;
}

core::Result<uint32_t, TraceError> Parser::slot_arg(const std::vector<Token>& t, size_t i) {
  uint32_t s = 0;
  if (i >= t.size()) return fail(TraceErrorKind::kSyntax, t[0].column, "missing slot number");
  if (!parse_uint(t[i].text, uint32_t{15}, s)) return fail(TraceErrorKind::kBadNumber, t[i].column, "slot must be 0-15");
  return s;
}

core::Result<OpStatus, TraceError> Parser::status_opt(const std::vector<std::pair<std::string_view, Token>>& opts) {
  for (const auto& [k, tok] : opts) {
    if (k != "expect") continue;
    const std::string_view v = tok.text.substr(k.size() + 1);
    auto s = op_status_from(v);
    if (!s) {
      return fail(TraceErrorKind::kSyntax, tok.column,
                  "unknown status \"" + std::string(v) +
                      "\" (ok, invalid, nomem, busy, unsupported, state, failed, version, too_small, down, error)");
    }
    return *s;
  }
  return OpStatus::kOk;
}

core::Result<std::vector<uint8_t>, TraceError> Parser::exact_hex(const std::vector<Token>& t, size_t from,
                                                                 std::string_view line) {
  if (from >= t.size()) return fail(TraceErrorKind::kBadHex, t.back().column, "missing packet bytes");
  auto p = parse_hex_pattern(rest_after(line, t, from), false);
  if (!p) return fail(TraceErrorKind::kBadHex, t[from].column, p.error());
  return std::move(p->bytes);
}

Parser::Status Parser::step_line(const std::vector<Token>& t, std::string_view line) {
  Step step;
  step.line = line_no_;
  step.note = note_;
  const std::string_view kw = t[0].text;
  std::vector<std::pair<std::string_view, Token>> opts;
  const auto opt = [&](std::string_view key) -> const Token* {
    for (const auto& [k, tok] : opts) {
      if (k == key) return &tok;
    }
    return nullptr;
  };
  const auto opt_value = [](std::string_view key, const Token& tok) { return tok.text.substr(key.size() + 1); };

  if (kw == "inject") {
    InjectStep s;
    if (t.size() < 2 || (t[1].text != "egress" && t[1].text != "ingress")) {
      return fail(TraceErrorKind::kSyntax, t.size() > 1 ? t[1].column : t[0].column,
                  "usage: inject egress|ingress [id=NAME] [port=N] [vlan=N] HEX...");
    }
    s.dir = t[1].text == "egress" ? Port::kEgress : Port::kIngress;
    auto end = options(t, 2, {"id", "port", "vlan"}, opts);
    if (!end) return core::Err<TraceError>(end.error());
    if (const Token* id = opt("id")) {
      s.id = std::string(opt_value("id", *id));
      if (!valid_name(s.id)) return fail(TraceErrorKind::kSyntax, id->column, "bad packet id");
      if (!ids_.insert(s.id).second) {
        return fail(TraceErrorKind::kDuplicateId, id->column, "packet id \"" + s.id + "\" used twice");
      }
    }
    if (const Token* p = opt("port")) {
      if (!parse_uint(opt_value("port", *p), uint32_t{0xffffffff}, s.ingress_port)) {
        return fail(TraceErrorKind::kBadNumber, p->column, "bad port");
      }
    }
    if (const Token* v = opt("vlan")) {
      if (!parse_uint(opt_value("vlan", *v), uint16_t{0xffff}, s.vlan_tci)) {
        return fail(TraceErrorKind::kBadNumber, v->column, "vlan is a 16-bit TCI");
      }
    }
    auto bytes = exact_hex(t, *end, line);
    if (!bytes) return core::Err<TraceError>(bytes.error());
    s.bytes = std::move(*bytes);
    step.op = std::move(s);
  } else if (kw == "advance") {
    if (t.size() != 2) return fail(TraceErrorKind::kSyntax, t[0].column, "usage: advance <N>(ns|us|ms|s|m|h)");
    std::string_view v = t[1].text;
    size_t digits = 0;
    while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
    const std::string_view unit = v.substr(digits);
    int64_t mult = 0;
    if (unit == "ns") mult = 1;
    else if (unit == "us") mult = 1000;
    else if (unit == "ms") mult = 1000000;
    else if (unit == "s") mult = 1000000000;
    else if (unit == "m") mult = int64_t{60} * 1000000000;
    else if (unit == "h") mult = int64_t{3600} * 1000000000;
    uint64_t n = 0;
    if (mult == 0 || !parse_uint(v.substr(0, digits), uint64_t{1} << 62, n)) {
      return fail(TraceErrorKind::kBadNumber, t[1].column, "a duration is digits and a unit: ns, us, ms, s, m or h");
    }
    if (n > static_cast<uint64_t>(kMaxAdvanceNs / mult)) {
      return fail(TraceErrorKind::kBadNumber, t[1].column, "duration longer than 400 days");
    }
    step.op = AdvanceStep{static_cast<int64_t>(n) * mult};
  } else if (kw == "expect") {
    if (auto st = expect_line(t, line, step); !st) return st;
  } else if (kw == "reconfigure") {
    ReconfigureStep s;
    auto slot = slot_arg(t, 1);
    if (!slot) return core::Err<TraceError>(slot.error());
    s.slot = *slot;
    auto end = options(t, 2, {"expect"}, opts);
    if (!end) return core::Err<TraceError>(end.error());
    if (*end != t.size()) return fail(TraceErrorKind::kSyntax, t[*end].column, "usage: reconfigure SLOT [expect=STATUS]");
    auto st = status_opt(opts);
    if (!st) return core::Err<TraceError>(st.error());
    s.expect = *st;
    const uint32_t start = line_no_;
    auto json = json_block(start);
    if (!json) return core::Err<TraceError>(json.error());
    // The block is the slot's "config" object; it is handed to the filter as text,
    // but must be JSON so a malformed trace fails here, not inside a vendor filter.
    auto parsed = config::parse_json(*json);
    if (!parsed) {
      return core::Err<TraceError>(TraceError{TraceErrorKind::kConfig, start + parsed.error().where.line,
                                              parsed.error().where.column, parsed.error().message});
    }
    if (!parsed->is_object()) {
      return core::Err<TraceError>(TraceError{TraceErrorKind::kConfig, start + 1, 1, "a slot configuration is an object"});
    }
    s.config_json = parsed->dump();
    step.op = std::move(s);
  } else if (kw == "migrate") {
    MigrateStep s;
    auto slot = slot_arg(t, 1);
    if (!slot) return core::Err<TraceError>(slot.error());
    s.slot = *slot;
    auto end = options(t, 2, {"expect"}, opts);
    if (!end) return core::Err<TraceError>(end.error());
    if (*end != t.size()) return fail(TraceErrorKind::kSyntax, t[*end].column, "usage: migrate SLOT [expect=STATUS]");
    auto st = status_opt(opts);
    if (!st) return core::Err<TraceError>(st.error());
    s.expect = *st;
    step.op = s;
  } else if (kw == "restore") {
    RestoreStep s;
    auto slot = slot_arg(t, 1);
    if (!slot) return core::Err<TraceError>(slot.error());
    s.slot = *slot;
    auto end = options(t, 2, {"expect"}, opts);
    if (!end) return core::Err<TraceError>(end.error());
    auto st = status_opt(opts);
    if (!st) return core::Err<TraceError>(st.error());
    s.expect = *st;
    if (*end < t.size()) {  // an empty blob is allowed: "restore 2 expect=state"
      auto p = parse_hex_pattern(rest_after(line, t, *end), false);
      if (!p) return fail(TraceErrorKind::kBadHex, t[*end].column, p.error());
      s.blob = std::move(p->bytes);
    }
    step.op = std::move(s);
  } else if (kw == "ioctl") {
    IoctlStep s;
    auto slot = slot_arg(t, 1);
    if (!slot) return core::Err<TraceError>(slot.error());
    s.slot = *slot;
    auto end = options(t, 2, {"expect"}, opts);
    if (!end) return core::Err<TraceError>(end.error());
    auto st = status_opt(opts);
    if (!st) return core::Err<TraceError>(st.error());
    s.expect = *st;
    s.request = std::string(rest_after(line, t, *end));
    if (s.request.empty()) return fail(TraceErrorKind::kSyntax, t.back().column, "usage: ioctl SLOT [expect=STATUS] REQUEST");
    step.op = std::move(s);
  } else if (kw == "service") {
    if (t.size() != 3 || !valid_name(t[1].text) || (t[2].text != "up" && t[2].text != "down")) {
      return fail(TraceErrorKind::kSyntax, t[0].column, "usage: service NAME up|down");
    }
    step.op = ServiceStep{std::string(t[1].text), t[2].text == "up"};
  } else if (kw == "slowpath") {
    SlowPathStep s;
    if (t.size() < 2 || (t[1].text != "return" && t[1].text != "drop")) {
      return fail(TraceErrorKind::kSyntax, t.size() > 1 ? t[1].column : t[0].column,
                  "usage: slowpath return|drop [count=N] [meta=HEX]");
    }
    s.give_back = t[1].text == "return";
    auto end = options(t, 2, {"count", "meta"}, opts);
    if (!end) return core::Err<TraceError>(end.error());
    if (*end != t.size()) return fail(TraceErrorKind::kSyntax, t[*end].column, "unexpected argument");
    if (const Token* c = opt("count")) {
      if (!parse_uint(opt_value("count", *c), uint32_t{1000000}, s.count) || s.count == 0) {
        return fail(TraceErrorKind::kBadNumber, c->column, "count is 1..1000000 (omit it for all)");
      }
    }
    if (const Token* m = opt("meta")) {
      auto p = parse_hex_pattern(opt_value("meta", *m), false);
      if (!p) return fail(TraceErrorKind::kBadHex, m->column, p.error());
      if (p->bytes.size() > 2048) return fail(TraceErrorKind::kTooLarge, m->column, "slow-path metadata is at most 2048 bytes");
      if (!s.give_back) return fail(TraceErrorKind::kSyntax, m->column, "meta= only applies to slowpath return");
      s.meta = std::move(p->bytes);
    }
    step.op = std::move(s);
  } else {
    return fail(TraceErrorKind::kUnknownDirective, t[0].column, "unknown directive \"" + std::string(kw) + "\"");
  }
  trace_.steps.push_back(std::move(step));
  return core::Ok{};
}

Parser::Status Parser::expect_line(const std::vector<Token>& t, std::string_view line, Step& step) {
  if (t.size() < 2) return fail(TraceErrorKind::kSyntax, t[0].column, "usage: expect egress|ingress|slowpath|none|counter|reply ...");
  const std::string_view what = t[1].text;
  std::vector<std::pair<std::string_view, Token>> opts;
  if (what == "none") {
    ExpectNoneStep s;
    if (t.size() > 3) return fail(TraceErrorKind::kSyntax, t[3].column, "usage: expect none [egress|ingress|slowpath]");
    if (t.size() == 3) {
      if (t[2].text == "egress") s.where = Port::kEgress;
      else if (t[2].text == "ingress") s.where = Port::kIngress;
      else if (t[2].text == "slowpath") s.where = Port::kSlowPath;
      else return fail(TraceErrorKind::kSyntax, t[2].column, "expected egress, ingress or slowpath");
    }
    step.op = s;
    return core::Ok{};
  }
  if (what == "counter") {
    ExpectCounterStep s;
    if (t.size() != 4 || !valid_name(t[2].text)) {
      return fail(TraceErrorKind::kSyntax, t[0].column, "usage: expect counter NAME VALUE");
    }
    s.name = std::string(t[2].text);
    if (!parse_uint(t[3].text, ~uint64_t{0}, s.value)) return fail(TraceErrorKind::kBadNumber, t[3].column, "bad counter value");
    step.op = std::move(s);
    return core::Ok{};
  }
  if (what == "reply") {
    if (t.size() < 4 || t[2].text != "contains") {
      return fail(TraceErrorKind::kSyntax, t[0].column, "usage: expect reply contains TEXT");
    }
    step.op = ExpectReplyStep{std::string(rest_after(line, t, 3))};
    return core::Ok{};
  }
  ExpectPacketStep s;
  if (what == "egress") s.where = Port::kEgress;
  else if (what == "ingress") s.where = Port::kIngress;
  else if (what == "slowpath") s.where = Port::kSlowPath;
  else return fail(TraceErrorKind::kSyntax, t[1].column, "unknown expectation \"" + std::string(what) + "\"");
  std::vector<std::string_view> allowed = {"id", "match"};
  if (s.where == Port::kSlowPath) {
    allowed.push_back("slot");
    allowed.push_back("meta");
  }
  auto end = options(t, 2, allowed, opts);
  if (!end) return core::Err<TraceError>(end.error());
  for (const auto& [k, tok] : opts) {
    const std::string_view v = tok.text.substr(k.size() + 1);
    if (k == "id") {
      if (!valid_name(v)) return fail(TraceErrorKind::kSyntax, tok.column, "bad id");
      s.id = std::string(v);
    } else if (k == "match") {
      if (v == "prefix") s.pattern.prefix = true;
      else if (v != "exact") return fail(TraceErrorKind::kSyntax, tok.column, "match is exact or prefix");
    } else if (k == "slot") {
      uint32_t n = 0;
      if (!parse_uint(v, uint32_t{15}, n)) return fail(TraceErrorKind::kBadNumber, tok.column, "slot must be 0-15");
      s.slot = n;
    } else if (k == "meta") {
      if (v == "-") {
        s.meta = std::vector<uint8_t>{};
      } else {
        auto m = parse_hex_pattern(v, false);
        if (!m) return fail(TraceErrorKind::kBadHex, tok.column, m.error());
        if (m->bytes.size() > 2048) return fail(TraceErrorKind::kTooLarge, tok.column, "metadata is at most 2048 bytes");
        s.meta = std::move(m->bytes);
      }
    }
  }
  if (*end == t.size()) return fail(TraceErrorKind::kBadHex, t.back().column, "missing packet bytes (or \"any\")");
  if (t[*end].text == "any" && *end + 1 == t.size()) {
    if (s.pattern.prefix) return fail(TraceErrorKind::kSyntax, t[*end].column, "\"any\" takes no match= option");
    s.pattern.any = true;
  } else {
    const bool prefix = s.pattern.prefix;
    auto p = parse_hex_pattern(rest_after(line, t, *end), true);
    if (!p) return fail(TraceErrorKind::kBadHex, t[*end].column, p.error());
    s.pattern = std::move(*p);
    s.pattern.prefix = prefix;
  }
  step.op = std::move(s);
  return core::Ok{};
}

}  // namespace

core::Result<PacketPattern, std::string> parse_hex_pattern(std::string_view text, bool allow_wildcards) {
  PacketPattern p;
  int high = -1;  // pending high nibble value (-2: pending wildcard)
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_space(c) || c == '\r') continue;
    int v = -1;
    if (c == '*') {
      if (!allow_wildcards) return core::Err<std::string>("'*' (don't care) is only allowed in expected packets");
      v = -2;
    } else {
      v = hex_value(c);
      if (v < 0) return core::Err<std::string>(std::string("bad hex digit '") + c + "' at offset " + std::to_string(i));
    }
    if (high == -1) {
      high = v;
      continue;
    }
    if (p.bytes.size() >= kMaxPacketBytes) {
      return core::Err<std::string>("packet longer than " + std::to_string(kMaxPacketBytes) + " bytes");
    }
    uint8_t byte = 0;
    uint8_t care = 0;
    if (high >= 0) {
      byte |= static_cast<uint8_t>(high << 4);
      care |= 0xf0;
    }
    if (v >= 0) {
      byte |= static_cast<uint8_t>(v);
      care |= 0x0f;
    }
    p.bytes.push_back(byte);
    p.care.push_back(care);
    high = -1;
  }
  if (high != -1) return core::Err<std::string>("odd number of hex digits");
  if (p.bytes.empty()) return core::Err<std::string>("no packet bytes");
  return p;
}

core::Result<Trace, TraceError> parse_trace(std::string_view text) { return Parser(text).run(); }

}  // namespace vnetref::conformance
