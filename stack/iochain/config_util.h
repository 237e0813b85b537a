// Configuration helpers shared by the reference slots: JSON text -> typed values with
// located errors (via //stack/config), address and port list syntax.
//
// Address entries: "any", "10.0.0.1", "10.0.0.0/8", "10.0.0.1-10.0.0.9",
// "addrset:<name>". Port entries: 80, "80", "8000-8080".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/config/json.h"
#include "stack/config/schema.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain {

struct U32Range {
  uint32_t lo = 0;
  uint32_t hi = 0;
};

using AddrSets = std::map<std::string, std::vector<U32Range>>;

// Parses JSON text; a syntax error becomes kInvalid with line and column.
FilterResult<config::Json> parse_config_text(std::string_view text);
// Turns collected schema errors into one kInvalid failure (empty list: OK).
FilterStatus config_errors_status(const std::vector<config::ConfigError>& errors);

// Parses an address list. `any` is set when the list holds "any" (or is empty and
// `empty_is_any`). Errors go to `errors` with the element's path.
bool parse_addr_list(const config::Json& arr, const std::string& path, const AddrSets* sets,
                     std::vector<U32Range>& out, bool& any, std::vector<config::ConfigError>& errors);
std::optional<U32Range> parse_addr_entry(std::string_view s);
bool parse_port_list(const config::Json& arr, const std::string& path, std::vector<U32Range>& out,
                     std::vector<config::ConfigError>& errors);
std::optional<uint64_t> parse_mac_text(std::string_view s);
std::string ipv4_text(uint32_t a);
std::string mac_text(uint64_t m);
std::string range_text(const U32Range& r, bool addr);

// Parameters arrive as key/value pairs; "config.<key>" params override top-level
// keys of the JSON config (numbers, booleans, strings), so a runner can tweak one
// setting without rewriting the JSON.
FilterResult<config::Json> apply_params(config::Json cfg, const FilterParams& params);

}  // namespace vnetref::iochain
