// DFW rule configuration: sections in categories, rules, address sets, services;
// compiled into one classifier per vNIC (only the rules applied to it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stack/config/json.h"
#include "stack/iochain/classify/classifier.h"
#include "stack/iochain/config_util.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain::dfw {

enum class Category : uint8_t { kEthernet, kEmergency, kInfrastructure, kEnvironment, kApplication, kDefault };
const char* name_of(Category c);

enum class Action : uint8_t { kAllow, kDrop, kReject, kJumpToApplication };
const char* name_of(Action a);  // "accept", "drop", "reject", "jump-to-application" (vsipioctl words)

enum class RuleDir : uint8_t { kIn, kOut, kInOut };

struct Service {
  int proto = -1;  // -1 any
  std::vector<U32Range> src_ports;
  std::vector<U32Range> dst_ports;
  int icmp_type = -1;
  int icmp_code = -1;
};

struct Rule {
  uint32_t id = 0;
  uint32_t section_id = 0;
  Category category = Category::kApplication;
  Action action = Action::kAllow;
  RuleDir dir = RuleDir::kInOut;
  bool log = false;
  bool tcp_strict = false;  // from the section
  // L3
  std::vector<U32Range> src;  // empty + src_any: any
  bool src_any = true;
  bool src_negate = false;
  std::vector<std::string> src_text;  // as configured, for printing
  std::vector<U32Range> dst;
  bool dst_any = true;
  bool dst_negate = false;
  std::vector<std::string> dst_text;
  std::vector<Service> services;  // empty: any
  // L2 (Ethernet category)
  std::vector<uint64_t> src_mac;
  std::vector<uint64_t> dst_mac;
  int ethertype = -1;
  std::vector<std::string> applied_to;  // empty: every vNIC
};

struct Timeouts {  // seconds
  uint32_t tcp_first = 120, tcp_opening = 30, tcp_established = 43200, tcp_closing = 120, tcp_finwait = 45,
           tcp_closed = 20;
  uint32_t udp_first = 60, udp_single = 30, udp_multiple = 60;
  uint32_t icmp_first = 20, icmp_error_reply = 10;
  uint32_t other_first = 60, other_single = 30, other_multiple = 60;
  uint32_t frag = 30;
  uint32_t purge_interval = 10;
};

struct DfwConfig {
  uint32_t conn_limit = 1u << 20;
  uint32_t frag_limit = 4096;
  bool drop_ip_options = false;
  std::string vnic_name;  // matched against applied_to (besides nic-<vm>-eth<n>)
  Timeouts timeouts;
  AddrSets addrsets;
  std::vector<std::pair<std::string, std::vector<std::string>>> addrset_text;
  std::vector<Rule> rules;  // all rules in evaluation order (categories sorted), default last
};

core::Result<DfwConfig, FilterFailure> parse_dfw_config(const config::Json& cfg);

// The rule set realised on one vNIC.
class RuleTable {
 public:
  // Keeps rules applied to `vnic_names` (or to all); builds the classifier.
  static core::Result<std::shared_ptr<const RuleTable>, FilterFailure> compile(const DfwConfig& cfg,
                                                                               const std::vector<std::string>& vnic_names,
                                                                               uint32_t generation);

  struct Entry {       // one classifier row
    uint32_t rule;     // index into rules()
  };
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<Rule>& l2_rules() const { return l2_; }
  const classify::Classifier& classifier() const { return cls_; }
  const std::vector<Entry>& entries() const { return entries_; }
  uint32_t first_application_entry() const { return first_app_entry_; }
  uint32_t generation() const { return generation_; }
  // vsipioctl-style listing: "rule 1045 at 2 inout protocol tcp from any to addrset ip-web port 80 accept with log;"
  std::string format_rules(const std::string& ruleset_name) const;

 private:
  std::vector<Rule> rules_;
  std::vector<Rule> l2_;
  std::vector<Entry> entries_;
  classify::Classifier cls_;
  uint32_t first_app_entry_ = 0;
  uint32_t generation_ = 0;
};

}  // namespace vnetref::iochain::dfw
