// Slot 0: the DVFilter stateless ACL (agent "dvfilter-generic-vmware").
//
// Ordered rules on MAC, ethertype, VLAN, IPv4 CIDRs, protocol, port ranges and ICMP
// type/code; the first match decides allow or drop, else the default action. The
// ACL is evaluated per packet with no state, by a linear walk over compact rules: the
// table is bounded at 1,024 rules (a per-vNIC ACL, not the firewall), and each rule
// test is a handful of compares on pre-decoded fields.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stack/iochain/config_util.h"
#include "stack/iochain/filter.h"
#include "stack/iochain/packet_info.h"

namespace vnetref::iochain::acl {

inline constexpr const char* kAclAgent = "dvfilter-generic-vmware";
inline constexpr uint32_t kMaxAclRules = 1024;

enum class DropReason : uint8_t { kRuleMatch, kDefaultAction, kCount };
const char* name_of(DropReason r);

struct AclRule {
  uint32_t id = 0;
  bool allow = true;
  int dir = -1;  // -1 both, 0 egress ("out"), 1 ingress ("in")
  std::vector<uint64_t> src_mac, dst_mac;
  int ethertype = -1;
  int vlan = -1;
  std::vector<U32Range> src, dst;  // empty: any
  int proto = -1;
  std::vector<U32Range> sport, dport;
  int icmp_type = -1, icmp_code = -1;
  bool needs_ip = false;
};

struct AclConfig {
  bool default_allow = true;
  std::vector<AclRule> rules;
};

FilterResult<AclConfig> parse_acl_config(std::string_view json, const FilterParams& params);
// Index of the first matching rule, or -1.
int acl_match(const AclConfig& cfg, const PacketInfo& pi, bool parsed_ok, Direction dir);

class AclFilter final : public Filter {
 public:
  static FilterResult<std::unique_ptr<AclFilter>> create(const FilterPlacement& where, std::string_view config_json,
                                                         const FilterParams& params = {});
  const FilterInfo& info() const override { return info_; }
  FilterStatus process(core::PacketBatch& batch, Direction dir, FilterHost& host) override;
  void counters(core::CounterList& out) const override;
  FilterResult<std::string> ioctl(std::string_view request) override;
  FilterStatus config_changed(std::string_view config_json) override;

 private:
  explicit AclFilter(AclConfig cfg);
  FilterInfo info_;
  AclConfig cfg_;
  std::vector<uint64_t> hits_;
  uint64_t default_hits_ = 0;
};

}  // namespace vnetref::iochain::acl
