// A netstack instance: Ethernet, ARP, IPv4 (with fragmentation, reassembly and
// RFC 1191 PMTUD), ICMP and UDP over any number of interfaces, fully isolated from
// every other instance (own interfaces, addresses, ARP table, routes, ports,
// tunables, counters). TCP plugs in through `register_transport` (see instance.h).
//
// Packets are core::Packet chains seen through the mbuf view; headers are prepended
// into headroom and stripped with mbuf::adj, never copied. Time comes from the
// injected clock and every timeout is a core::Timer on the injected wheel, so a
// virtual-time run is reproducible bit for bit.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/counters.h"
#include "stack/core/result.h"
#include "stack/core/timer_wheel.h"
#include "stack/inet/arp.h"
#include "stack/inet/drops.h"
#include "stack/inet/inet_tunables.h"
#include "stack/inet/interface.h"
#include "stack/inet/reassembly.h"
#include "stack/inet/route.h"
#include "stack/inet/transport.h"
#include "stack/inet/tunables.h"
#include "stack/link/pipe.h"

namespace vnetref::inet {

class Udp;

enum class ConfigError : uint8_t {
  kBadInterface,     // unknown ifindex
  kBadValue,         // MTU / VLAN id / prefix out of range
  kTooMany,          // interface or address bound
  kAddressInUse,     // address already configured
  kNotFound,
  kRouteTable,       // route table refused (full / exists)
  kCount
};
const char* name_of(ConfigError e);

struct IpStats {
  uint64_t received = 0;        // datagrams handed to ip_input
  uint64_t delivered = 0;       // to a local protocol
  uint64_t sent = 0;            // datagrams originated
  uint64_t forwarded = 0;
  uint64_t fragmented = 0;      // datagrams fragmented on output
  uint64_t fragments_out = 0;
  uint64_t loopback = 0;        // delivered to ourselves without a link
};

struct IcmpStats {
  uint64_t echo_requests_in = 0;
  uint64_t echo_replies_out = 0;
  uint64_t echo_replies_in = 0;
  uint64_t errors_in = 0;
  uint64_t errors_out = 0;
  uint64_t pmtu_updates = 0;
};

// An echo reply seen by the instance (its "ping" client).
struct EchoReply {
  uint32_t from = 0;
  uint16_t ident = 0;
  uint16_t seq = 0;
  uint32_t payload_len = 0;
  bool payload_matches = false;  // equals the pattern send_echo_request used
};

class Netstack final : public IpOutput, private ArpHost {
 public:
  static constexpr size_t kMaxInterfaces = 64;
  static constexpr size_t kMaxPmtuEntries = 256;
  static constexpr uint32_t kLoopbackQueue = 1024;

  Netstack(std::string name, const core::Clock& clock, core::TimerWheel& wheel, core::BufferPool& pool);
  ~Netstack() override;
  Netstack(const Netstack&) = delete;
  Netstack& operator=(const Netstack&) = delete;

  const std::string& name() const { return name_; }
  const core::Clock& clock() const { return clock_; }
  core::TimerWheel& wheel() { return wheel_; }
  core::BufferPool& pool() { return pool_; }
  Tunables& tunables() { return tunables_; }
  const Tunables& tunables() const { return tunables_; }
  const InetTunableIds& tunable_ids() const { return ids_; }

  // ---- configuration ------------------------------------------------------------
  core::Result<uint32_t, ConfigError> add_interface(const InterfaceConfig& config);
  core::Status<ConfigError> attach(uint32_t ifindex, link::Endpoint& link);
  core::Status<ConfigError> set_up(uint32_t ifindex, bool up);
  core::Status<ConfigError> set_mtu(uint32_t ifindex, uint32_t mtu);
  // Adds addr/prefix_len, installs the connected route and announces the address
  // with gratuitous ARP (RFC 5227 2.3).
  core::Status<ConfigError> add_address(uint32_t ifindex, wire::Ipv4Address addr, uint8_t prefix_len);
  core::Status<ConfigError> remove_address(uint32_t ifindex, wire::Ipv4Address addr);
  core::Status<ConfigError> add_route(wire::Ipv4Prefix prefix, wire::Ipv4Address gateway, uint32_t ifindex,
                                      uint32_t mtu = 0);
  // Default route (0.0.0.0/0) via `gateway`, on the interface whose subnet holds it.
  core::Status<ConfigError> set_default_gateway(wire::Ipv4Address gateway);
  Interface* interface(uint32_t ifindex);
  const Interface* interface(uint32_t ifindex) const;
  size_t interface_count() const { return ifs_.size(); }

  // Protocol handlers for IP protocol numbers (UDP is built in; TCP registers here).
  void register_transport(uint8_t protocol, TransportInput* handler);

  // ---- IpOutput -------------------------------------------------------------------
  core::Status<IpSendError> ip_output(core::PacketPtr segment, const IpMeta& meta) override;
  std::optional<uint32_t> source_for(uint32_t dst) const override;
  uint32_t path_mtu(uint32_t dst) const override;
  bool is_local_address(uint32_t addr) const override;

  // ---- ICMP echo client (ping) ------------------------------------------------------
  core::Status<IpSendError> send_echo_request(uint32_t dst, uint16_t ident, uint16_t seq, uint32_t payload_len,
                                              bool dont_fragment = false);
  void set_echo_reply_handler(std::function<void(const EchoReply&)> fn) { on_echo_reply_ = std::move(fn); }

  // ---- input from links (Interface::receive_frame) ----------------------------------
  void ether_input(Interface& ifp, core::PacketPtr frame);

  // ---- components and counters --------------------------------------------------------
  Udp& udp() { return *udp_; }
  ArpCache& arp() { return *arp_; }
  const ArpCache& arp() const { return *arp_; }
  RouteTable& routes() { return routes_; }
  const Reassembler& reassembler() const { return *reass_; }
  const core::ReasonCounters<InetDrop>& drops() const { return drops_; }
  void count_drop(InetDrop d) { drops_.inc(d); }
  const IpStats& ip_stats() const { return ip_stats_; }
  const IcmpStats& icmp_stats() const { return icmp_stats_; }
  core::CounterList counters() const;

  // Sends an ICMP error about `offending` (IP header at the front). Applies the RFC 1122
  // 3.2.2 "never about" rules and the net.inet.icmp.icmplim rate limit.
  void send_icmp_error(const core::Packet& offending, uint8_t type, uint8_t code, uint16_t mtu = 0,
                       bool link_broadcast = false);
  // For transports: `segment` as delivered (IP header stripped); answers it with
  // destination unreachable `code` (e.g. port unreachable) quoting the original header.
  void send_icmp_unreachable(core::PacketPtr segment, const IpMeta& meta, uint8_t code);

 private:
  struct PmtuEntry {
    uint32_t mtu;
    core::Instant expires;
  };
  struct RateLimiter {
    core::Instant window{};
    int64_t count = 0;
    bool allow(core::Instant now, int64_t limit);
  };

  // ArpHost
  void arp_send(uint32_t ifindex, const wire::ArpRepr& arp, wire::MacAddress eth_dst) override;
  void arp_release(uint32_t ifindex, core::PacketPtr ip_packet, wire::MacAddress dst) override;
  void arp_unreachable(core::PacketPtr ip_packet) override;
  bool arp_is_own_address(uint32_t ifindex, uint32_t addr) const override;
  wire::MacAddress arp_own_mac(uint32_t ifindex) const override;
  void arp_drop(InetDrop reason) override { drops_.inc(reason); }

  void ether_output(Interface& ifp, core::PacketPtr payload, wire::MacAddress dst, uint16_t ethertype);
  void arp_input(Interface& ifp, core::PacketPtr pkt);
  void ip_input(Interface* ifp, core::PacketPtr pkt, bool link_broadcast);
  void ip_deliver(Interface* ifp, core::PacketPtr pkt, bool broadcast);
  void ip_forward(Interface& in, core::PacketPtr pkt);
  // Sends a complete datagram (header filled) out of `ifp` towards `next_hop`,
  // fragmenting to `mtu` when allowed.
  core::Status<IpSendError> ip_transmit(Interface& ifp, uint32_t next_hop, core::PacketPtr pkt, uint32_t mtu);
  core::Status<IpSendError> ip_fragment(Interface& ifp, uint32_t next_hop, core::PacketPtr pkt, uint32_t mtu);
  core::Status<IpSendError> link_output(Interface& ifp, uint32_t next_hop, core::PacketPtr pkt);
  void icmp_input(Interface* ifp, core::PacketPtr pkt, bool broadcast);
  void icmp_error_input(std::span<const uint8_t> icmp);
  void update_pmtu(uint32_t dst, uint32_t mtu);
  void loopback_enqueue(core::PacketPtr pkt);
  Interface* route_interface(uint32_t dst, uint32_t* next_hop, uint32_t* route_mtu) const;

  std::string name_;
  const core::Clock& clock_;
  core::TimerWheel& wheel_;
  core::BufferPool& pool_;
  Tunables tunables_;
  InetTunableIds ids_;
  std::vector<std::unique_ptr<Interface>> ifs_;  // ifindex = position + 1
  RouteTable routes_;
  std::unique_ptr<ArpCache> arp_;
  std::unique_ptr<Reassembler> reass_;
  std::unique_ptr<Udp> udp_;
  std::array<TransportInput*, 256> transports_{};
  std::unordered_map<uint32_t, PmtuEntry> pmtu_;
  link::FrameQueue loopback_;
  core::Timer loopback_timer_;
  uint16_t next_ident_;
  RateLimiter icmp_error_limit_;
  RateLimiter icmp_echo_limit_;
  std::function<void(const EchoReply&)> on_echo_reply_;
  core::ReasonCounters<InetDrop> drops_;
  IpStats ip_stats_;
  IcmpStats icmp_stats_;
};

}  // namespace vnetref::inet
