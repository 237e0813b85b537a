// Slot 2: the distributed firewall (agent "vmware-sfw").
//
// Per vNIC: Ethernet rules (stateless, linear: the L2 table is small), then L3 rules
// through the classifier, and a connection table that lets established traffic skip
// the rules with one hash lookup. See docs/iochain.md for the configuration schema,
// drop reasons, counters and the rule-update policy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <array>
#include <map>
#include <vector>

#include "stack/iochain/dfw/conntrack.h"
#include "stack/iochain/dfw/rules.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain::dfw {

enum class DropReason : uint8_t {
  kRuleMatch,      // a drop or reject rule matched (including the default rule)
  kStateMismatch,  // TCP segment outside the tracked windows, or strict mode's non-SYN first packet
  k3whError,       // the responder's first segment is not a SYN-ACK (or RST) for the SYN
  kBadOffset,      // TCP data offset below 5 or beyond the segment
  kFragment,       // a later fragment whose first fragment was not allowed / not seen
  kIcmpError,      // an ICMP error whose quoted header is malformed
  kIpOption,       // IPv4 options present and drop_ip_options is set
  kMemory,         // the connection or fragment table is full
  kNormalization,  // malformed IPv4 header or truncated transport header
  kCount
};
const char* name_of(DropReason r);

inline constexpr const char* kDfwAgent = "vmware-sfw";

class DfwFilter final : public Filter {
 public:
  static FilterResult<std::unique_ptr<DfwFilter>> create(const FilterPlacement& where, std::string_view config_json,
                                                         const FilterParams& params = {});

  const FilterInfo& info() const override { return info_; }
  FilterStatus process(core::PacketBatch& batch, Direction dir, FilterHost& host) override;
  std::optional<core::Instant> timer(core::Instant now, FilterHost& host) override;
  void counters(core::CounterList& out) const override;
  FilterResult<std::vector<uint8_t>> save_state() const override;
  FilterStatus restore_state(std::span<const uint8_t> state) override;
  FilterResult<std::string> ioctl(std::string_view request) override;
  FilterStatus config_changed(std::string_view config_json) override;

  const ConnTable& conns() const { return *conns_; }
  const RuleTable& rules() const { return *table_; }
  std::string format_conns(int64_t now_ns) const;
  std::string format_addrsets() const;

 private:
  DfwFilter(FilterPlacement where, DfwConfig cfg, std::shared_ptr<const RuleTable> table);
  enum class Verdict : uint8_t { kPass, kDrop, kReject };
  struct Classified {
    uint32_t rule;  // index in table_->rules(), kNoMatch for none
    Action action;
  };

  Classified classify(const PacketInfo& pi, Direction dir) const;
  bool l2_blocks(const PacketInfo& pi, Direction dir);
  // Returns the drop reason, or kCount to pass. May inject a reject reply.
  DropReason handle_ipv4(core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host, int64_t now);
  DropReason track_fragment(const PacketInfo& pi, DropReason verdict, int64_t now);
  DropReason handle_icmp_error(const core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host,
                               int64_t now);
  DropReason new_connection(core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host, int64_t now);
  void reject(const core::Packet& p, const PacketInfo& pi, Direction dir, FilterHost& host);
  void log_match(const core::Packet& p, const PacketInfo& pi, Direction dir, const Rule& r, const char* action,
                 FilterHost& host) const;
  int64_t timeout_ns(const Conn& c) const;
  std::vector<std::string> vnic_names() const;

  FilterPlacement where_;
  FilterInfo info_;
  DfwConfig cfg_;
  std::vector<PacketInfo> scratch_;  // per-batch decode, kept to avoid allocation
  std::vector<uint32_t> hashes_;
  std::vector<uint8_t> ok_;
  std::shared_ptr<const RuleTable> table_;
  std::unique_ptr<ConnTable> conns_;
  std::vector<uint64_t> hits_;     // per table_->rules() index
  std::vector<uint64_t> l2_hits_;  // per table_->l2_rules() index
  struct Frag {
    bool allowed;
    int64_t expires_ns;
  };
  std::map<std::array<uint32_t, 3>, Frag> frags_;  // {src, dst, proto << 16 | id} -> first fragment's verdict
  uint32_t generation_ = 1;
  int64_t last_now_ns_ = 0;  // latest time seen (process / timer): base of saved state
  uint32_t filter_hash_ = 0;
  // counters
  uint64_t created_ = 0, expired_ = 0, purged_ = 0, table_full_ = 0, rst_sent_ = 0, icmp_sent_ = 0,
           icmp_related_ = 0, frag_tracked_ = 0, rechecked_ = 0, recheck_dropped_ = 0, reopened_ = 0;
};

}  // namespace vnetref::iochain::dfw
