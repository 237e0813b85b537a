#include "stack/iochain/config_util.h"

#include <cstdio>

#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"

namespace vnetref::iochain {

FilterResult<config::Json> parse_config_text(std::string_view text) {
  config::JsonLimits limits;
  limits.max_bytes = 64u << 20;
  limits.max_depth = 32;
  auto j = config::parse_json(text.empty() ? std::string_view("{}") : text, limits);
  if (!j) return filter_error(FilterError::kInvalid, "config: " + j.error().to_string());
  if (!j->is_object()) return filter_error(FilterError::kInvalid, "config: must be a JSON object");
  return std::move(j).value();
}

FilterStatus config_errors_status(const std::vector<config::ConfigError>& errors) {
  if (errors.empty()) return core::Ok{};
  return filter_error(FilterError::kInvalid, config::format_errors(errors));
}

std::optional<U32Range> parse_addr_entry(std::string_view s) {
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    auto a = wire::Ipv4Address::parse(s.substr(0, dash));
    auto b = wire::Ipv4Address::parse(s.substr(dash + 1));
    if (!a || !b || a->to_u32() > b->to_u32()) return std::nullopt;
    return U32Range{a->to_u32(), b->to_u32()};
  }
  if (s.find('/') != std::string_view::npos) {
    auto p = wire::Ipv4Prefix::parse(s);
    if (!p) return std::nullopt;
    return U32Range{p->network().to_u32(), p->broadcast().to_u32()};
  }
  auto a = wire::Ipv4Address::parse(s);
  if (!a) return std::nullopt;
  return U32Range{a->to_u32(), a->to_u32()};
}

bool parse_addr_list(const config::Json& arr, const std::string& path, const AddrSets* sets,
                     std::vector<U32Range>& out, bool& any, std::vector<config::ConfigError>& errors) {
  bool ok = true;
  any = false;
  for (size_t i = 0; i < arr.items().size(); ++i) {
    const config::Json& e = arr.items()[i];
    const std::string p = config::ObjectReader::index_path(path, i);
    if (!e.is_string()) {
      errors.push_back({p, e.location(), "must be an address string"});
      ok = false;
      continue;
    }
    const std::string& s = e.as_string();
    if (s == "any") {
      any = true;
      continue;
    }
    if (s.rfind("addrset:", 0) == 0) {
      const std::string name = s.substr(8);
      if (sets == nullptr || sets->find(name) == sets->end()) {
        errors.push_back({p, e.location(), "unknown addrset '" + name + "'"});
        ok = false;
        continue;
      }
      const auto& v = sets->at(name);
      out.insert(out.end(), v.begin(), v.end());
      continue;
    }
    auto r = parse_addr_entry(s);
    if (!r) {
      errors.push_back({p, e.location(), "not an IPv4 address, CIDR or range: '" + s + "'"});
      ok = false;
      continue;
    }
    out.push_back(*r);
  }
  return ok;
}

bool parse_port_list(const config::Json& arr, const std::string& path, std::vector<U32Range>& out,
                     std::vector<config::ConfigError>& errors) {
  bool ok = true;
  for (size_t i = 0; i < arr.items().size(); ++i) {
    const config::Json& e = arr.items()[i];
    const std::string p = config::ObjectReader::index_path(path, i);
    if (e.is_integer()) {
      if (e.as_int() < 0 || e.as_int() > 65535) {
        errors.push_back({p, e.location(), "port must be 0..65535"});
        ok = false;
        continue;
      }
      out.push_back({static_cast<uint32_t>(e.as_int()), static_cast<uint32_t>(e.as_int())});
      continue;
    }
    if (!e.is_string()) {
      errors.push_back({p, e.location(), "must be a port number or \"lo-hi\""});
      ok = false;
      continue;
    }
    unsigned lo = 0, hi = 0;
    char extra = 0;
    const std::string& s = e.as_string();
    int n = std::sscanf(s.c_str(), "%u-%u%c", &lo, &hi, &extra);
    if (n == 1) hi = lo;
    if ((n != 1 && n != 2) || lo > hi || hi > 65535 || s.empty() || s[0] < '0' || s[0] > '9') {
      errors.push_back({p, e.location(), "bad port or range '" + s + "'"});
      ok = false;
      continue;
    }
    out.push_back({lo, hi});
  }
  return ok;
}

std::optional<uint64_t> parse_mac_text(std::string_view s) {
  auto m = wire::MacAddress::parse(s);
  if (!m) return std::nullopt;
  uint64_t v = 0;
  for (uint8_t b : m->bytes()) v = (v << 8) | b;
  return v;
}

std::string ipv4_text(uint32_t a) { return wire::Ipv4Address(a).to_string(); }

std::string mac_text(uint64_t m) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>((m >> 40) & 0xff),
                static_cast<unsigned>((m >> 32) & 0xff), static_cast<unsigned>((m >> 24) & 0xff),
                static_cast<unsigned>((m >> 16) & 0xff), static_cast<unsigned>((m >> 8) & 0xff),
                static_cast<unsigned>(m & 0xff));
  return buf;
}

std::string range_text(const U32Range& r, bool addr) {
  if (!addr) return r.lo == r.hi ? std::to_string(r.lo) : std::to_string(r.lo) + "-" + std::to_string(r.hi);
  if (r.lo == r.hi) return ipv4_text(r.lo);
  // A CIDR when the range is one.
  const uint32_t span = r.hi - r.lo;
  if ((span & (span + 1)) == 0 && (r.lo & span) == 0) {
    int len = 32;
    for (uint32_t s = span; s != 0; s >>= 1) --len;
    return ipv4_text(r.lo) + "/" + std::to_string(len);
  }
  return ipv4_text(r.lo) + "-" + ipv4_text(r.hi);
}

FilterResult<config::Json> apply_params(config::Json cfg, const FilterParams& params) {
  for (const auto& [k, v] : params) {
    if (k.rfind("config.", 0) != 0) continue;
    const std::string key = k.substr(7);
    if (key.empty()) return filter_error(FilterError::kInvalid, "param '" + k + "': empty key");
    auto parsed = config::parse_json(v);
    if (parsed) {
      cfg.set(key, std::move(parsed).value());
    } else {
      cfg.set(key, config::Json::string(v));
    }
  }
  return cfg;
}

}  // namespace vnetref::iochain
