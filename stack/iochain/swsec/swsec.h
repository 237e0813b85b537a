// Slot 1: switch security (agent "dvfilter-switch-security").
//
// IP/MAC discovery by ARP snooping (trust on first use) and DHCP snooping (binding on
// the DHCP ACK the VM receives), binding limits and timeouts with the documented
// defaults, duplicate-address handling across the ports of a segment, SpoofGuard,
// ARP suppression, DHCP server/client block, non-IP block, BPDU filter and
// broadcast/multicast rate limits. See docs/iochain.md for the schema and reasons.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "stack/iochain/filter.h"
#include "stack/iochain/packet_info.h"

namespace vnetref::iochain::swsec {

inline constexpr const char* kSwsecAgent = "dvfilter-switch-security";

enum class DropReason : uint8_t {
  kVnicBlocked,
  kSpoofMac,
  kSpoofIp,
  kSpoofArp,
  kArpSuppressed,  // answered locally: the request is consumed, not forwarded
  kDhcpServerBlock,
  kDhcpClientBlock,
  kNonIp,
  kBpdu,
  kBroadcastRate,
  kMulticastRate,
  kMalformed,      // ARP/IPv4 header the frame announces is truncated or bad
  kCount
};
const char* name_of(DropReason r);

// Which port realises which IP on a segment; duplicates wait in discovery order.
class SegmentRegistry {
 public:
  static constexpr size_t kMaxAddresses = 65536;
  static constexpr size_t kMaxClaimsPerAddress = 64;

  // Shared per segment name (process-wide); released with its last user.
  static std::shared_ptr<SegmentRegistry> get(const std::string& segment);

  // Records that `owner` discovered `ip` (mac) at time t. False when full.
  bool claim(uint32_t ip, uint64_t owner, uint64_t mac, int64_t t);
  // Withdraws the claim; the oldest duplicate becomes realised.
  void release(uint32_t ip, uint64_t owner);
  bool realized_by(uint32_t ip, uint64_t owner) const;
  std::optional<uint64_t> realized_mac(uint32_t ip) const;
  size_t size() const;

 private:
  struct Claim {
    uint64_t owner;
    uint64_t mac;
    int64_t t;
  };
  mutable std::mutex mu_;  // ports of one segment may run on different workers
  std::map<uint32_t, std::vector<Claim>> claims_;  // front = realised
};

enum class BindingSource : uint8_t { kArp, kDhcp, kStatic };
const char* name_of(BindingSource s);

struct Binding {
  uint32_t ip = 0;
  uint64_t mac = 0;
  BindingSource source = BindingSource::kArp;
  int64_t learned_ns = 0;
  int64_t expires_ns = 0;  // 0: never
};

struct RateBucket {
  uint32_t pps = 0;  // 0: unlimited
  int64_t tokens = 0;  // in 1e-9 packets
  int64_t last_ns = -1;
  bool take(int64_t now_ns);
};

struct SwsecConfig {
  std::string segment = "default";
  uint64_t vnic_mac = 0;  // 0: unknown (MAC check against bound MACs)
  bool arp_snooping = true;
  bool dhcp_snooping = true;
  uint32_t arp_binding_limit = 1;
  uint32_t binding_timeout_min = 10;
  bool tofu = true;
  bool spoofguard = true;
  bool block_vnic = false;
  bool arp_suppression = true;
  bool dhcp_server_block = true;
  bool dhcp_client_block = false;
  bool non_ip_block = false;
  bool bpdu_filter = true;
  uint32_t bcast_tx_pps = 0, bcast_rx_pps = 0, mcast_tx_pps = 0, mcast_rx_pps = 0;
  std::vector<Binding> static_bindings;
  std::map<uint32_t, uint64_t> central_table;
};

FilterResult<SwsecConfig> parse_swsec_config(std::string_view json, const FilterParams& params);

class SwsecFilter final : public Filter {
 public:
  static FilterResult<std::unique_ptr<SwsecFilter>> create(const FilterPlacement& where, std::string_view config_json,
                                                           const FilterParams& params = {});
  ~SwsecFilter() override;

  const FilterInfo& info() const override { return info_; }
  FilterStatus process(core::PacketBatch& batch, Direction dir, FilterHost& host) override;
  std::optional<core::Instant> timer(core::Instant now, FilterHost& host) override;
  void counters(core::CounterList& out) const override;
  FilterResult<std::vector<uint8_t>> save_state() const override;
  FilterStatus restore_state(std::span<const uint8_t> state) override;
  FilterResult<std::string> ioctl(std::string_view request) override;
  FilterStatus config_changed(std::string_view config_json) override;

  const std::vector<Binding>& bindings() const { return bindings_; }
  bool realized(uint32_t ip) const;

 private:
  SwsecFilter(FilterPlacement where, SwsecConfig cfg);
  DropReason egress(core::Packet& p, const PacketInfo& pi, bool ok, FilterHost& host, int64_t now);
  DropReason ingress(core::Packet& p, const PacketInfo& pi, bool ok, int64_t now);
  void learn(uint32_t ip, uint64_t mac, BindingSource src, int64_t now, int64_t lifetime_ns);
  void remove_at(size_t i);
  void enforce_limit();
  bool mac_allowed(uint64_t mac) const;
  bool ip_bound(uint32_t ip) const;
  std::optional<int64_t> next_expiry() const;
  void apply_config(SwsecConfig cfg);

  FilterPlacement where_;
  FilterInfo info_;
  SwsecConfig cfg_;
  std::shared_ptr<SegmentRegistry> registry_;
  uint64_t owner_ = 0;
  std::vector<Binding> bindings_;  // static, DHCP and ARP; ARP ones bounded by the limit
  RateBucket bcast_tx_, bcast_rx_, mcast_tx_, mcast_rx_;
  int64_t last_now_ns_ = 0;
  uint64_t arp_snooped_ = 0, dhcp_snooped_ = 0, limit_ignored_ = 0, evicted_ = 0, expired_ = 0,
           suppressed_local_ = 0, suppressed_central_ = 0, suppression_miss_ = 0, registry_full_ = 0;
};

}  // namespace vnetref::iochain::swsec
