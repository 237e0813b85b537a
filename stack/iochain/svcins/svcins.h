// Slots 4-12: service insertion (NetX-style redirect to a service).
//
// Matching traffic (per-chain direction, ACL-style match list) is faulted to the
// slow path with metadata naming the service; the service (a service VM port or an
// in-process function behind a ServiceHub) hands it back with IoChain::reinject, and
// it continues past the slot. When the service is unreachable the failure policy
// decides: "allow" lets traffic bypass the service, "block" drops it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "stack/iochain/acl/acl.h"
#include "stack/iochain/chain.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain::svcins {

inline constexpr const char* kSvcAgent = "serviceinsertion";  // third-party slot role

enum class DropReason : uint8_t {
  kServiceDown,  // failure policy "block" while the service is unreachable
  kCount
};
const char* name_of(DropReason r);

struct SvcConfig {
  std::string service;
  int dir = -1;  // -1 both, 0 egress, 1 ingress
  bool fail_allow = true;
  acl::AclConfig match;  // rules with "allow" = redirect; empty rules = redirect all
  bool match_all = true;
};

FilterResult<SvcConfig> parse_svc_config(std::string_view json, const FilterParams& params);

class SvcFilter final : public Filter {
 public:
  static FilterResult<std::unique_ptr<SvcFilter>> create(const FilterPlacement& where, std::string_view config_json,
                                                         const FilterParams& params = {});
  const FilterInfo& info() const override { return info_; }
  FilterStatus process(core::PacketBatch& batch, Direction dir, FilterHost& host) override;
  FilterStatus process_returned(core::PacketBatch& batch, Direction dir, std::span<const uint8_t> meta,
                                FilterHost& host) override;
  void counters(core::CounterList& out) const override;
  FilterStatus config_changed(std::string_view config_json) override;
  FilterResult<std::string> ioctl(std::string_view request) override;

 private:
  SvcFilter(FilterPlacement where, SvcConfig cfg);
  FilterPlacement where_;
  FilterInfo info_;
  SvcConfig cfg_;
  std::string meta_;
  uint64_t redirected_ = 0, returned_ = 0, bypassed_ = 0, unmatched_ = 0, redirect_failed_ = 0;
};

// Services for one chain: the slow path of the chain (routes faults by service name)
// and its service directory. A service is a function run on `pump()`: it may modify
// the packet and returns true to hand it back into the chain, false to consume it.
class ServiceHub final : public SlowPath, public ServiceDirectory {
 public:
  using Service = std::function<bool(core::PacketPtr& packet, Direction dir)>;
  explicit ServiceHub(IoChain& chain, size_t queue_limit = 1024) : chain_(chain), limit_(queue_limit) {}

  void add_service(const std::string& name, Service fn) { services_[name] = Entry{std::move(fn), true}; }
  // A service VM behind a switch port: redirected packets are delivered to `port` (in
  // their direction) and come back through return_from_service(), matched by
  // PacketMeta::user. At most `queue_limit` packets may be outstanding.
  void add_port_service(const std::string& name, ChainSink& port);
  // A packet back from a port service; false (and freed) when it is not outstanding.
  bool return_from_service(core::PacketPtr packet);
  size_t outstanding() const { return outstanding_.size(); }
  uint64_t unmatched_returns() const { return unmatched_returns_; }
  void set_up(const std::string& name, bool up) { services_[name].up = up; }
  bool service_up(std::string_view name) const override;
  bool on_fault(FaultRecord& record) override;
  // Runs queued packets through their services and reinjects the returned ones.
  size_t pump();
  size_t queued() const { return q_.size(); }
  uint64_t consumed() const { return consumed_; }
  uint64_t unknown() const { return unknown_; }
  // Faults that were not service redirects (e.g. a filter's own slow path).
  std::vector<FaultRecord>& other() { return other_; }

 private:
  struct Entry {
    Service fn;
    bool up = true;
    ChainSink* port = nullptr;  // port service
  };
  IoChain& chain_;
  size_t limit_;
  std::map<std::string, Entry, std::less<>> services_;
  std::deque<std::pair<std::string, FaultRecord>> q_;
  std::vector<FaultRecord> other_;
  struct Pending {
    uint32_t slot;
    Direction dir;
    std::vector<uint8_t> meta;
  };
  std::map<uint64_t, Pending> outstanding_;  // port services: packet id -> where it returns
  uint64_t consumed_ = 0, unknown_ = 0, unmatched_returns_ = 0;
};

}  // namespace vnetref::iochain::svcins
