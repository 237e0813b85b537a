#include "stack/inet/route.h"

#include <bit>

namespace vnetref::inet {

const char* name_of(RouteError e) {
  switch (e) {
    case RouteError::kTableFull: return "table_full";
    case RouteError::kExists: return "exists";
    case RouteError::kNotFound: return "not_found";
    case RouteError::kBadInterface: return "bad_interface";
    case RouteError::kCount: break;
  }
  return "?";
}

core::Status<RouteError> RouteTable::add(const Route& r) {
  auto& m = by_len_[r.prefix.length()];
  if (m.count(r.prefix.network().to_u32()) != 0) return core::Err(RouteError::kExists);
  if (size_ >= max_routes_) return core::Err(RouteError::kTableFull);
  m.emplace(r.prefix.network().to_u32(), r);
  lengths_ |= uint64_t{1} << r.prefix.length();
  ++size_;
  return core::Ok{};
}

core::Status<RouteError> RouteTable::remove(wire::Ipv4Prefix prefix) {
  auto& m = by_len_[prefix.length()];
  if (m.erase(prefix.network().to_u32()) == 0) return core::Err(RouteError::kNotFound);
  --size_;
  if (m.empty()) lengths_ &= ~(uint64_t{1} << prefix.length());
  return core::Ok{};
}

void RouteTable::remove_interface(uint32_t ifindex) {
  for (size_t len = 0; len <= 32; ++len) {
    auto& m = by_len_[len];
    for (auto it = m.begin(); it != m.end();) {
      if (it->second.ifindex == ifindex) {
        it = m.erase(it);
        --size_;
      } else {
        ++it;
      }
    }
    if (m.empty()) lengths_ &= ~(uint64_t{1} << len);
  }
}

void RouteTable::remove_connected(wire::Ipv4Prefix prefix, uint32_t ifindex) {
  auto& m = by_len_[prefix.length()];
  auto it = m.find(prefix.network().to_u32());
  if (it != m.end() && it->second.connected && it->second.ifindex == ifindex) {
    m.erase(it);
    --size_;
    if (m.empty()) lengths_ &= ~(uint64_t{1} << prefix.length());
  }
}

const Route* RouteTable::lookup(uint32_t dst) const {
  uint64_t todo = lengths_;
  while (todo != 0) {
    const int len = 63 - std::countl_zero(todo);  // longest remaining length
    todo &= ~(uint64_t{1} << len);
    const uint32_t mask = len == 0 ? 0u : ~0u << (32 - len);
    const auto& m = by_len_[len];
    auto it = m.find(dst & mask);
    if (it != m.end()) return &it->second;
  }
  return nullptr;
}

std::vector<Route> RouteTable::routes() const {
  std::vector<Route> out;
  for (int len = 32; len >= 0; --len) {
    for (const auto& [k, r] : by_len_[len]) out.push_back(r);
  }
  return out;
}

}  // namespace vnetref::inet
