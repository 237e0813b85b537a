#include "stack/inet/instance.h"

namespace vnetref::inet {

Instance::Instance(const InstanceConfig& config, core::Clock& clock, core::TimerWheel& wheel)
    : pool_(config.pool_packets, config.buffer_size, core::BufferPool::kDefaultHeadroom, config.name) {
  net_ = std::make_unique<Netstack>(config.name, clock, wheel, pool_);
  if (config.enable_tcp) {
    (void)tcp::define_tcp_tunables(net_->tunables());
    tcp_ = std::make_unique<tcp::TcpStack>(clock, wheel, pool_, *net_, tcp::tcp_tunables_from(net_->tunables()));
    net_->register_transport(6, tcp_.get());
  }
  sockets_ = std::make_unique<Sockets>(*net_, tcp_.get());
}

Instance::~Instance() {
  sockets_.reset();
  if (tcp_) net_->register_transport(6, nullptr);
  tcp_.reset();
  net_.reset();
}

core::Status<TunableError> Instance::sysctl_set(std::string_view name, int64_t value) {
  auto st = net_->tunables().set(name, value);
  if (!st) return st;
  if (tcp_ && name.starts_with("net.inet.tcp.")) return tcp_->tunables().set(name, value);
  if (tcp_ && name.starts_with("net.inet.ip.portrange.")) (void)tcp_->tunables().set(name, value);
  return core::Ok{};
}

core::Result<int64_t, TunableError> Instance::sysctl_get(std::string_view name) const {
  return net_->tunables().get(name);
}

Host::Host(core::Clock& clock, core::TimerWheel& wheel, const InstanceConfig& defaults)
    : clock_(clock), wheel_(wheel), defaults_(defaults) {
  InstanceConfig c = defaults_;
  c.name = kDefaultName;
  instances_.push_back(std::make_unique<Instance>(c, clock_, wheel_));
}

Instance& Host::vmotion() {
  if (Instance* i = find(kVmotionName)) return *i;
  InstanceConfig c = defaults_;
  c.name = kVmotionName;
  auto r = add_instance(c);
  return **r;
}

core::Result<Instance*, ConfigError> Host::add_instance(const InstanceConfig& config) {
  if (find(config.name) != nullptr) return core::Err(ConfigError::kAddressInUse);
  if (instances_.size() >= kMaxInstances) return core::Err(ConfigError::kTooMany);
  instances_.push_back(std::make_unique<Instance>(config, clock_, wheel_));
  return instances_.back().get();
}

Instance* Host::find(std::string_view name) {
  for (auto& i : instances_) {
    if (i->name() == name) return i.get();
  }
  return nullptr;
}

}  // namespace vnetref::inet
