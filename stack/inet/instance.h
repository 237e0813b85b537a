// A complete netstack instance (IPv4 layer + TCP + socket façade with its own buffer
// pool), and a host holding several of them: the default instance and vMotion.
//
// Instances share nothing but the clock and the timer wheel: each has its own pool,
// interfaces, addresses, ARP table, routes, port spaces and tunables, so the same
// address may be configured in two instances without either seeing the other's
// traffic.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/result.h"
#include "stack/core/timer_wheel.h"
#include "stack/inet/netstack.h"
#include "stack/inet/socket.h"
#include "stack/inet/tcp/tcp.h"
#include "stack/inet/tunables.h"

namespace vnetref::inet {

struct InstanceConfig {
  std::string name = "defaultTcpipStack";
  uint32_t pool_packets = 16384;       // bounded memory of the instance
  uint32_t buffer_size = 2048 + 128;   // per packet slot, incl. headroom
  bool enable_tcp = true;
};

class Instance {
 public:
  Instance(const InstanceConfig& config, core::Clock& clock, core::TimerWheel& wheel);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const std::string& name() const { return net_->name(); }
  Netstack& net() { return *net_; }
  const Netstack& net() const { return *net_; }
  tcp::TcpStack* tcp() { return tcp_.get(); }
  Sockets& sockets() { return *sockets_; }
  core::BufferPool& pool() { return pool_; }

  // `sysctl name=value` for this instance: IPv4/ARP/ICMP/UDP and TCP tunables alike.
  core::Status<TunableError> sysctl_set(std::string_view name, int64_t value);
  core::Result<int64_t, TunableError> sysctl_get(std::string_view name) const;

 private:
  core::BufferPool pool_;
  std::unique_ptr<Netstack> net_;
  std::unique_ptr<tcp::TcpStack> tcp_;
  std::unique_ptr<Sockets> sockets_;
};

class Host {
 public:
  static constexpr size_t kMaxInstances = 16;
  static constexpr const char* kDefaultName = "defaultTcpipStack";
  static constexpr const char* kVmotionName = "vmotion";

  // Creates the default instance; the vMotion one is created on first use.
  Host(core::Clock& clock, core::TimerWheel& wheel, const InstanceConfig& defaults = {});

  Instance& default_instance() { return *instances_.front(); }
  Instance& vmotion();
  core::Result<Instance*, ConfigError> add_instance(const InstanceConfig& config);
  Instance* find(std::string_view name);
  size_t size() const { return instances_.size(); }

 private:
  core::Clock& clock_;
  core::TimerWheel& wheel_;
  InstanceConfig defaults_;
  std::vector<std::unique_ptr<Instance>> instances_;
};

}  // namespace vnetref::inet
