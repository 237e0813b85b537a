// One Ethernet interface of a netstack instance: MAC, MTU, optional 802.1Q tag,
// IPv4 addresses, and the link endpoint it is attached to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/link/link.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"

namespace vnetref::inet {

class Netstack;

struct InterfaceConfig {
  std::string name = "vmk0";
  wire::MacAddress mac;
  uint32_t mtu = 1500;               // IP MTU (Ethernet payload), 68 .. 9000
  std::optional<uint16_t> vlan_id;  // tag every frame with this VID (1..4094)
  uint8_t vlan_pcp = 0;              // 802.1p priority in the tag
};

struct InterfaceAddress {
  wire::Ipv4Address addr;
  wire::Ipv4Prefix prefix;  // the connected subnet
};

struct InterfaceStats {
  uint64_t rx_frames = 0, rx_bytes = 0;
  uint64_t tx_frames = 0, tx_bytes = 0;
  uint64_t rx_broadcast = 0;
};

class Interface final : public link::FrameReceiver {
 public:
  static constexpr size_t kMaxAddresses = 16;

  Interface(Netstack& stack, uint32_t ifindex, InterfaceConfig config)
      : stack_(stack), ifindex_(ifindex), config_(std::move(config)) {}

  uint32_t ifindex() const { return ifindex_; }
  const std::string& name() const { return config_.name; }
  wire::MacAddress mac() const { return config_.mac; }
  uint32_t mtu() const { return config_.mtu; }
  const InterfaceConfig& config() const { return config_; }
  bool up() const { return up_; }
  link::Endpoint* link() const { return link_; }
  const std::vector<InterfaceAddress>& addresses() const { return addrs_; }
  const InterfaceStats& stats() const { return stats_; }

  bool has_address(uint32_t a) const {
    for (const auto& x : addrs_) {
      if (x.addr.to_u32() == a) return true;
    }
    return false;
  }
  // Our address in the subnet of `peer`, else the first address; 0 when none.
  uint32_t source_for(uint32_t peer) const {
    for (const auto& x : addrs_) {
      if (x.prefix.contains(wire::Ipv4Address(peer))) return x.addr.to_u32();
    }
    return addrs_.empty() ? 0 : addrs_.front().addr.to_u32();
  }
  // Directed broadcast of one of our subnets (not for /31 and /32).
  bool is_subnet_broadcast(uint32_t a) const {
    for (const auto& x : addrs_) {
      if (x.prefix.length() <= 30 && x.prefix.broadcast().to_u32() == a) return true;
    }
    return false;
  }

  // link::FrameReceiver: frames from the attached link.
  void receive_frame(core::PacketPtr frame) override;
  void link_detached(link::Endpoint* l) override {
    if (link_ == l) link_ = nullptr;
  }

 private:
  friend class Netstack;
  Netstack& stack_;
  uint32_t ifindex_;
  InterfaceConfig config_;
  bool up_ = true;
  link::Endpoint* link_ = nullptr;
  std::vector<InterfaceAddress> addrs_;
  InterfaceStats stats_;
};

}  // namespace vnetref::inet
