#include "stack/inet/netstack.h"

#include <algorithm>
#include <cstring>

#include "stack/core/views.h"
#include "stack/inet/udp.h"
#include "stack/wire/arp.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/options.h"
#include "stack/wire/udp.h"

namespace vnetref::inet {

using namespace std::chrono_literals;

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint32_t kMinEtherFrame = 60;  // without FCS
constexpr uint32_t kMinMtu = 68;         // RFC 791: every host must take 68 octets unfragmented
constexpr uint32_t kLimitedBroadcast = 0xffffffffu;
constexpr uint8_t kIpProtoIcmp = 1;

bool is_multicast(uint32_t a) { return (a >> 28) == 0xe; }
bool is_loopback(uint32_t a) { return (a >> 24) == 127; }

// RFC 1191 section 7 plateau table, for routers that send MTU 0.
uint32_t plateau_below(uint32_t len) {
  static constexpr uint32_t kPlateaus[] = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
  for (uint32_t p : kPlateaus) {
    if (p < len) return p;
  }
  return kMinMtu;
}

// Folded ones'-complement sum over `len` bytes of a chain from offset `off`.
uint16_t chain_sum(const core::Packet& head, uint32_t off, uint32_t len) {
  wire::ChecksumAccumulator acc;
  for (const core::Packet* s = &head; s != nullptr && len > 0; s = s->next) {
    if (off >= s->data_len) {
      off -= s->data_len;
      continue;
    }
    const uint32_t n = std::min(s->data_len - off, len);
    acc.add({s->data() + off, n});
    len -= n;
    off = 0;
  }
  return acc.sum();
}

}  // namespace

const char* name_of(ConfigError e) {
  switch (e) {
    case ConfigError::kBadInterface: return "bad_interface";
    case ConfigError::kBadValue: return "bad_value";
    case ConfigError::kTooMany: return "too_many";
    case ConfigError::kAddressInUse: return "address_in_use";
    case ConfigError::kNotFound: return "not_found";
    case ConfigError::kRouteTable: return "route_table";
    case ConfigError::kCount: break;
  }
  return "?";
}

void Interface::receive_frame(core::PacketPtr frame) { stack_.ether_input(*this, std::move(frame)); }

bool Netstack::RateLimiter::allow(core::Instant now, int64_t limit) {
  if (limit <= 0) return true;  // icmplim 0: unlimited
  if (now - window >= 1s) {
    window = now;
    count = 0;
  }
  if (count >= limit) return false;
  ++count;
  return true;
}

Netstack::Netstack(std::string name, const core::Clock& clock, core::TimerWheel& wheel, core::BufferPool& pool)
    : name_(std::move(name)), clock_(clock), wheel_(wheel), pool_(pool), ids_(define_inet_tunables(tunables_)),
      loopback_(kLoopbackQueue) {
  arp_ = std::make_unique<ArpCache>(wheel_, tunables_, ids_, static_cast<ArpHost&>(*this));
  reass_ = std::make_unique<Reassembler>(
      wheel_, pool_, tunables_, ids_, [this](InetDrop d) { drops_.inc(d); },
      [this](core::PacketPtr first) {
        // RFC 792 / RFC 1122 3.2.1.4: time exceeded in reassembly, if fragment zero arrived.
        send_icmp_error(*first, wire::icmp_type::kTimeExceeded, wire::icmp_time_exceeded::kReassembly);
      });
  udp_ = std::make_unique<Udp>(*this);
  transports_[wire::kIpProtoUdp] = udp_.get();
  // The IP ident starts from the instance name so two instances do not march in step.
  next_ident_ = static_cast<uint16_t>(std::hash<std::string>{}(name_));
  loopback_timer_.set_callback([this] {
    // Bounded per pass: two sockets answering each other cannot spin here forever.
    for (uint32_t n = 0; n < kLoopbackQueue && !loopback_.empty(); ++n) {
      core::PacketPtr p = loopback_.pop();
      ++ip_stats_.loopback;
      ip_input(nullptr, std::move(p), false);
    }
    if (!loopback_.empty()) wheel_.schedule(loopback_timer_, clock_.now() + wheel_.tick());
  });
}

Netstack::~Netstack() {
  // Transports registered from outside may already be gone; only ours remain valid.
  transports_.fill(nullptr);
  // A link outliving us must not deliver into a dead interface.
  for (auto& ifp : ifs_) {
    if (ifp->link_ != nullptr && ifp->link_->receiver() == ifp.get()) ifp->link_->attach(nullptr);
  }
}

// ---------------------------------------------------------------------------------
// configuration

core::Result<uint32_t, ConfigError> Netstack::add_interface(const InterfaceConfig& config) {
  if (ifs_.size() >= kMaxInterfaces) return core::Err(ConfigError::kTooMany);
  if (config.mtu < kMinMtu || config.mtu > 65535) return core::Err(ConfigError::kBadValue);
  if (config.vlan_id && (*config.vlan_id == 0 || *config.vlan_id >= 4095)) return core::Err(ConfigError::kBadValue);
  if (!config.mac.is_unicast() || config.mac.is_zero()) return core::Err(ConfigError::kBadValue);
  const uint32_t ifindex = static_cast<uint32_t>(ifs_.size() + 1);
  ifs_.push_back(std::make_unique<Interface>(*this, ifindex, config));
  return ifindex;
}

Interface* Netstack::interface(uint32_t ifindex) {
  return ifindex == 0 || ifindex > ifs_.size() ? nullptr : ifs_[ifindex - 1].get();
}
const Interface* Netstack::interface(uint32_t ifindex) const {
  return ifindex == 0 || ifindex > ifs_.size() ? nullptr : ifs_[ifindex - 1].get();
}

core::Status<ConfigError> Netstack::attach(uint32_t ifindex, link::Endpoint& link) {
  Interface* ifp = interface(ifindex);
  if (ifp == nullptr) return core::Err(ConfigError::kBadInterface);
  if (ifp->link_ != nullptr) ifp->link_->attach(nullptr);
  ifp->link_ = &link;
  link.attach(ifp);
  return core::Ok{};
}

core::Status<ConfigError> Netstack::set_up(uint32_t ifindex, bool up) {
  Interface* ifp = interface(ifindex);
  if (ifp == nullptr) return core::Err(ConfigError::kBadInterface);
  if (ifp->up_ == up) return core::Ok{};
  ifp->up_ = up;
  if (!up) {
    arp_->flush_interface(ifindex);
  } else {
    for (const auto& a : ifp->addrs_) arp_->announce(ifindex, a.addr.to_u32());
  }
  return core::Ok{};
}

core::Status<ConfigError> Netstack::set_mtu(uint32_t ifindex, uint32_t mtu) {
  Interface* ifp = interface(ifindex);
  if (ifp == nullptr) return core::Err(ConfigError::kBadInterface);
  if (mtu < kMinMtu || mtu > 65535) return core::Err(ConfigError::kBadValue);
  ifp->config_.mtu = mtu;
  return core::Ok{};
}

core::Status<ConfigError> Netstack::add_address(uint32_t ifindex, wire::Ipv4Address addr, uint8_t prefix_len) {
  Interface* ifp = interface(ifindex);
  if (ifp == nullptr) return core::Err(ConfigError::kBadInterface);
  if (prefix_len > 32 || addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast() || addr.is_loopback()) {
    return core::Err(ConfigError::kBadValue);
  }
  if (is_local_address(addr.to_u32())) return core::Err(ConfigError::kAddressInUse);
  if (ifp->addrs_.size() >= Interface::kMaxAddresses) return core::Err(ConfigError::kTooMany);
  const wire::Ipv4Prefix prefix(addr, prefix_len);
  ifp->addrs_.push_back({addr, prefix});
  Route r;
  r.prefix = prefix;
  r.ifindex = ifindex;
  r.connected = true;
  (void)routes_.add(r);  // a second address in the same subnet shares the route
  if (ifp->up_) arp_->announce(ifindex, addr.to_u32());
  return core::Ok{};
}

core::Status<ConfigError> Netstack::remove_address(uint32_t ifindex, wire::Ipv4Address addr) {
  Interface* ifp = interface(ifindex);
  if (ifp == nullptr) return core::Err(ConfigError::kBadInterface);
  auto it = std::find_if(ifp->addrs_.begin(), ifp->addrs_.end(), [&](const auto& a) { return a.addr == addr; });
  if (it == ifp->addrs_.end()) return core::Err(ConfigError::kNotFound);
  const wire::Ipv4Prefix prefix = it->prefix;
  ifp->addrs_.erase(it);
  const bool still = std::any_of(ifp->addrs_.begin(), ifp->addrs_.end(), [&](const auto& a) { return a.prefix == prefix; });
  if (!still) routes_.remove_connected(prefix, ifindex);
  return core::Ok{};
}

core::Status<ConfigError> Netstack::add_route(wire::Ipv4Prefix prefix, wire::Ipv4Address gateway, uint32_t ifindex,
                                              uint32_t mtu) {
  if (interface(ifindex) == nullptr) return core::Err(ConfigError::kBadInterface);
  if (mtu != 0 && mtu < kMinMtu) return core::Err(ConfigError::kBadValue);
  Route r;
  r.prefix = prefix;
  r.gateway = gateway.to_u32();
  r.ifindex = ifindex;
  r.mtu = mtu;
  if (!routes_.add(r)) return core::Err(ConfigError::kRouteTable);
  return core::Ok{};
}

core::Status<ConfigError> Netstack::set_default_gateway(wire::Ipv4Address gateway) {
  for (const auto& ifp : ifs_) {
    for (const auto& a : ifp->addrs_) {
      if (a.prefix.contains(gateway)) {
        (void)routes_.remove(wire::Ipv4Prefix(wire::Ipv4Address(0u), 0));
        return add_route(wire::Ipv4Prefix(wire::Ipv4Address(0u), 0), gateway, ifp->ifindex_);
      }
    }
  }
  return core::Err(ConfigError::kNotFound);
}

void Netstack::register_transport(uint8_t protocol, TransportInput* handler) { transports_[protocol] = handler; }

// ---------------------------------------------------------------------------------
// addresses and routes

bool Netstack::is_local_address(uint32_t addr) const {
  for (const auto& ifp : ifs_) {
    if (ifp->has_address(addr)) return true;
  }
  return false;
}

Interface* Netstack::route_interface(uint32_t dst, uint32_t* next_hop, uint32_t* route_mtu) const {
  const Route* r = routes_.lookup(dst);
  if (r == nullptr) return nullptr;
  *next_hop = r->gateway != 0 ? r->gateway : dst;
  *route_mtu = r->mtu;
  return const_cast<Interface*>(interface(r->ifindex));
}

std::optional<uint32_t> Netstack::source_for(uint32_t dst) const {
  if (is_local_address(dst)) return dst;
  uint32_t nh = 0, mtu = 0;
  if (dst == kLimitedBroadcast) {
    for (const auto& ifp : ifs_) {
      if (!ifp->addrs_.empty()) return ifp->addrs_.front().addr.to_u32();
    }
    return std::nullopt;
  }
  const Interface* ifp = route_interface(dst, &nh, &mtu);
  if (ifp == nullptr) return std::nullopt;
  const uint32_t src = ifp->source_for(nh);
  if (src == 0) return std::nullopt;
  return src;
}

uint32_t Netstack::path_mtu(uint32_t dst) const {
  if (is_local_address(dst)) return 65535;
  uint32_t nh = 0, rmtu = 0;
  const Interface* ifp = route_interface(dst, &nh, &rmtu);
  uint32_t mtu = ifp != nullptr ? ifp->mtu() : 1500;
  if (rmtu != 0) mtu = std::min(mtu, rmtu);
  auto it = pmtu_.find(dst);
  if (it != pmtu_.end() && it->second.expires > clock_.now()) mtu = std::min(mtu, it->second.mtu);
  return mtu;
}

void Netstack::update_pmtu(uint32_t dst, uint32_t mtu) {
  mtu = std::max(mtu, kMinMtu);
  // RFC 1191 section 6.1: never raise the estimate in response to a Datagram Too Big.
  if (mtu >= path_mtu(dst)) return;
  const core::Instant expires = clock_.now() + std::chrono::seconds(tunables_.value(ids_.pmtu_expire));
  if (pmtu_.size() >= kMaxPmtuEntries && pmtu_.count(dst) == 0) {
    // Bounded: replace the entry closest to expiry.
    auto victim = std::min_element(pmtu_.begin(), pmtu_.end(),
                                   [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    pmtu_.erase(victim);
  }
  pmtu_[dst] = PmtuEntry{mtu, expires};
  ++icmp_stats_.pmtu_updates;
}

// ---------------------------------------------------------------------------------
// Ethernet

void Netstack::ether_output(Interface& ifp, core::PacketPtr payload, wire::MacAddress dst, uint16_t ethertype) {
  if (ifp.link_ == nullptr) {
    drops_.inc(InetDrop::kNoLink);
    return;
  }
  const bool tagged = ifp.config_.vlan_id.has_value();
  const uint32_t hlen = tagged ? 18 : 14;
  uint8_t* h = core::mbuf::prepend(payload, hlen, pool_);
  if (h == nullptr) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return;
  }
  std::span<uint8_t> hdr(h, hlen);
  dst.write_to(hdr.subspan(0, 6));
  ifp.config_.mac.write_to(hdr.subspan(6, 6));
  if (tagged) {
    wire::store_be16(hdr, 12, kEtherVlan);
    const wire::VlanTci tci{ifp.config_.vlan_pcp, false, *ifp.config_.vlan_id};
    wire::store_be16(hdr, 14, tci.to_u16());
    wire::store_be16(hdr, 16, ethertype);
  } else {
    wire::store_be16(hdr, 12, ethertype);
  }
  if (payload->pkt_len < kMinEtherFrame) {
    static constexpr uint8_t kZeros[kMinEtherFrame] = {};
    if (!core::mbuf::append(payload, {kZeros, kMinEtherFrame - payload->pkt_len}, pool_)) {
      drops_.inc(InetDrop::kIpNoBuffers);
      return;
    }
  }
  ++ifp.stats_.tx_frames;
  ifp.stats_.tx_bytes += payload->pkt_len;
  payload->meta.direction = core::Direction::kEgress;
  ifp.link_->transmit(std::move(payload));
}

void Netstack::ether_input(Interface& ifp, core::PacketPtr frame) {
  if (!frame) return;
  ++ifp.stats_.rx_frames;
  ifp.stats_.rx_bytes += frame->pkt_len;
  if (!ifp.up_) {
    drops_.inc(InetDrop::kInterfaceDown);
    return;
  }
  if (frame->pkt_len < 14 || !core::mbuf::pullup(frame, std::min<uint32_t>(frame->pkt_len, 18), pool_)) {
    drops_.inc(InetDrop::kEthTruncated);
    return;
  }
  std::span<const uint8_t> b(frame->data(), frame->data_len);
  const wire::MacAddress dst = wire::MacAddress::from_bytes(b.subspan(0, 6));
  const wire::MacAddress src = wire::MacAddress::from_bytes(b.subspan(6, 6));
  uint16_t type = wire::load_be16(b, 12);
  uint32_t hlen = 14;
  // Out-of-band tag (a lower layer stripped it) or an in-band 802.1Q tag.
  std::optional<uint16_t> vid;
  if (frame->meta.vlan_tci != 0) vid = static_cast<uint16_t>(frame->meta.vlan_tci & 0x0fff);
  if (type == kEtherVlan || type == 0x88a8) {
    if (b.size() < 18) {
      drops_.inc(InetDrop::kEthTruncated);
      return;
    }
    const uint16_t tci = wire::load_be16(b, 14);
    if ((tci & 0x0fff) == 0x0fff || type == 0x88a8) {  // reserved VID; no QinQ on a host
      drops_.inc(InetDrop::kEthBadTag);
      return;
    }
    vid = static_cast<uint16_t>(tci & 0x0fff);
    type = wire::load_be16(b, 16);
    hlen = 18;
  }
  // VID 0 is a priority tag: the frame belongs to the untagged network (802.1Q 9.6).
  const uint16_t frame_vid = vid.value_or(0);
  if (ifp.config_.vlan_id ? frame_vid != *ifp.config_.vlan_id : frame_vid != 0) {
    drops_.inc(InetDrop::kEthVlanMismatch);
    return;
  }
  if (src == ifp.config_.mac) {
    drops_.inc(InetDrop::kEthOwnSource);
    return;
  }
  const bool bcast = dst.is_broadcast();
  if (!bcast && dst != ifp.config_.mac) {
    // 01:00:5e:00:00:01 is all-hosts (224.0.0.1), which every IPv4 host belongs to.
    static constexpr wire::MacAddress kAllHosts(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
    if (dst != kAllHosts) {
      drops_.inc(InetDrop::kEthNotForUs);
      return;
    }
  }
  if (bcast) ++ifp.stats_.rx_broadcast;
  core::mbuf::adj(frame, hlen);
  frame->meta.direction = core::Direction::kIngress;
  switch (type) {
    case kEtherIpv4:
      ip_input(&ifp, std::move(frame), dst.is_multicast());
      return;
    case kEtherArp:
      arp_input(ifp, std::move(frame));
      return;
    default:
      drops_.inc(InetDrop::kEthUnknownType);
      return;
  }
}

// ---------------------------------------------------------------------------------
// ARP glue

void Netstack::arp_input(Interface& ifp, core::PacketPtr pkt) {
  if (!core::mbuf::pullup(pkt, std::min<uint32_t>(pkt->pkt_len, wire::ArpView::kLen), pool_)) {
    drops_.inc(InetDrop::kArpMalformed);
    return;
  }
  auto arp = wire::ArpView::parse({pkt->data(), pkt->data_len});
  if (!arp) {
    drops_.inc(InetDrop::kArpMalformed);
    return;
  }
  arp_->input(ifp.ifindex_, *arp);
}

void Netstack::arp_send(uint32_t ifindex, const wire::ArpRepr& arp, wire::MacAddress eth_dst) {
  Interface* ifp = interface(ifindex);
  if (ifp == nullptr || !ifp->up_) return;
  wire::ArpRepr a = arp;
  if (a.sender_ip.is_unspecified()) {
    // A request from the cache: our address on the target's subnet.
    a.sender_ip = wire::Ipv4Address(ifp->source_for(a.target_ip.to_u32()));
  }
  core::PacketPtr p = pool_.alloc();
  if (!p || p->tailroom() < wire::ArpView::kLen) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return;
  }
  (void)a.emit({p->data(), wire::ArpView::kLen});
  p->data_len = wire::ArpView::kLen;
  p->pkt_len = wire::ArpView::kLen;
  ether_output(*ifp, std::move(p), eth_dst, kEtherArp);
}

void Netstack::arp_release(uint32_t ifindex, core::PacketPtr ip_packet, wire::MacAddress dst) {
  Interface* ifp = interface(ifindex);
  if (ifp == nullptr) return;
  ether_output(*ifp, std::move(ip_packet), dst, kEtherIpv4);
}

void Netstack::arp_unreachable(core::PacketPtr ip_packet) {
  // The sender is local: build what an ICMP host unreachable would tell it and hand
  // it to the transport directly (no packet needs to be sent to ourselves).
  std::array<uint8_t, 60 + 8> q{};
  const uint32_t n = std::min<uint32_t>(ip_packet->pkt_len, static_cast<uint32_t>(q.size()));
  if (!core::Mbuf(*ip_packet).copy_data(0, {q.data(), n})) return;
  auto ip = wire::Ipv4View::parse_quoted({q.data(), n});
  if (!ip) return;
  IcmpErrorInfo info;
  info.type = wire::icmp_type::kDestUnreachable;
  info.code = wire::icmp_unreach::kHost;
  info.orig_src = ip->src().to_u32();
  info.orig_dst = ip->dst().to_u32();
  auto l4 = ip->payload();
  if (ip->fragment_offset() == 0 && l4.size() >= 8) {
    info.orig_sport = wire::load_be16(l4, 0);
    info.orig_dport = wire::load_be16(l4, 2);
    info.orig_seq = wire::load_be32(l4, 4);
  }
  if (TransportInput* t = transports_[ip->protocol_raw()]) t->icmp_error(info);
}

bool Netstack::arp_is_own_address(uint32_t ifindex, uint32_t addr) const {
  const Interface* ifp = interface(ifindex);
  return ifp != nullptr && ifp->has_address(addr);
}

wire::MacAddress Netstack::arp_own_mac(uint32_t ifindex) const {
  const Interface* ifp = interface(ifindex);
  return ifp != nullptr ? ifp->mac() : wire::MacAddress();
}

// ---------------------------------------------------------------------------------
// IPv4 output

core::Status<IpSendError> Netstack::ip_output(core::PacketPtr segment, const IpMeta& meta) {
  if (!segment) return core::Err(IpSendError::kNoBuffers);
  const uint32_t dst = meta.dst;
  Interface* ifp = nullptr;
  uint32_t next_hop = dst, route_mtu = 0;
  const bool local = is_local_address(dst);
  if (local) {
    // Delivered to ourselves below, without a link.
  } else if (dst == kLimitedBroadcast || is_multicast(dst)) {
    // RFC 1122 3.3.6 / 3.3.1.6: out of the interface that owns the source, else the first.
    for (const auto& i : ifs_) {
      if ((meta.src != 0 && i->has_address(meta.src)) || (meta.src == 0 && !i->addrs_.empty())) {
        ifp = i.get();
        break;
      }
    }
    if (ifp == nullptr) {
      drops_.inc(InetDrop::kIpNoRoute);
      return core::Err(IpSendError::kNoRoute);
    }
  } else {
    ifp = route_interface(dst, &next_hop, &route_mtu);
    if (ifp == nullptr) {
      drops_.inc(InetDrop::kIpNoRoute);
      return core::Err(IpSendError::kNoRoute);
    }
  }
  uint32_t src = meta.src;
  if (src == 0) src = local ? dst : ifp->source_for(next_hop);
  if (src == 0) {
    drops_.inc(InetDrop::kIpNoRoute);
    return core::Err(IpSendError::kNoRoute);
  }
  if (ifp != nullptr && !ifp->up_) {
    drops_.inc(InetDrop::kInterfaceDown);
    return core::Err(IpSendError::kDown);
  }
  const uint32_t total = segment->pkt_len + 20;
  if (total > 65535) {
    drops_.inc(InetDrop::kIpCannotFragment);
    return core::Err(IpSendError::kMessageTooBig);
  }
  uint8_t* h = core::mbuf::prepend(segment, 20, pool_);
  if (h == nullptr) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return core::Err(IpSendError::kNoBuffers);
  }
  std::span<uint8_t> hdr(h, 20);
  hdr[0] = 0x45;
  hdr[1] = meta.tos;
  wire::store_be16(hdr, 2, static_cast<uint16_t>(total));
  wire::store_be16(hdr, 4, next_ident_++);
  wire::store_be16(hdr, 6, meta.dont_fragment ? 0x4000 : 0);
  // RFC 1122 3.2.1.7: never send TTL 0.
  hdr[8] = meta.ttl != 0 ? meta.ttl : static_cast<uint8_t>(tunables_.value(ids_.ip_ttl));
  hdr[9] = meta.protocol;
  wire::store_be16(hdr, 10, 0);
  wire::store_be32(hdr, 12, src);
  wire::store_be32(hdr, 16, dst);
  wire::store_be16(hdr, 10, wire::internet_checksum(hdr));
  ++ip_stats_.sent;
  if (local) {
    loopback_enqueue(std::move(segment));
    return core::Ok{};
  }
  uint32_t mtu = ifp->mtu();
  if (route_mtu != 0) mtu = std::min(mtu, route_mtu);
  auto it = pmtu_.find(dst);
  if (it != pmtu_.end()) {
    if (it->second.expires > clock_.now()) {
      mtu = std::min(mtu, it->second.mtu);
    } else {
      pmtu_.erase(it);  // RFC 1191 6.3: aged out, try the larger MTU again
    }
  }
  return ip_transmit(*ifp, next_hop, std::move(segment), mtu);
}

void Netstack::loopback_enqueue(core::PacketPtr pkt) {
  if (loopback_.push(std::move(pkt))) {
    drops_.inc(InetDrop::kIpLoopbackFull);
    return;
  }
  if (!loopback_timer_.armed()) wheel_.schedule(loopback_timer_, clock_.now());
}

core::Status<IpSendError> Netstack::ip_transmit(Interface& ifp, uint32_t next_hop, core::PacketPtr pkt, uint32_t mtu) {
  if (pkt->pkt_len <= mtu) return link_output(ifp, next_hop, std::move(pkt));
  if (!core::mbuf::pullup(pkt, 20, pool_)) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return core::Err(IpSendError::kNoBuffers);
  }
  if ((pkt->data()[6] & 0x40) != 0) {
    drops_.inc(InetDrop::kIpCannotFragment);
    return core::Err(IpSendError::kMessageTooBig);
  }
  return ip_fragment(ifp, next_hop, std::move(pkt), mtu);
}

core::Status<IpSendError> Netstack::ip_fragment(Interface& ifp, uint32_t next_hop, core::PacketPtr pkt, uint32_t mtu) {
  const uint32_t hlen = uint32_t{static_cast<uint8_t>(pkt->data()[0] & 0x0f)} * 4;
  if (!core::mbuf::pullup(pkt, hlen, pool_)) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return core::Err(IpSendError::kNoBuffers);
  }
  std::array<uint8_t, 60> first_hdr{};
  std::memcpy(first_hdr.data(), pkt->data(), hlen);
  // RFC 791: later fragments carry only the options whose "copied" flag is set.
  std::array<uint8_t, 60> other_hdr{};
  std::memcpy(other_hdr.data(), first_hdr.data(), 20);
  uint32_t other_hlen = 20;
  for (uint32_t i = 20; i < hlen;) {
    const uint8_t kind = first_hdr[i];
    if (kind == wire::ipv4_option::kEnd) break;
    if (kind == wire::ipv4_option::kNop) {
      ++i;
      continue;
    }
    const uint32_t olen = i + 1 < hlen ? first_hdr[i + 1] : 0;
    if (olen < 2 || i + olen > hlen) break;
    if ((kind & 0x80) != 0) {
      std::memcpy(other_hdr.data() + other_hlen, first_hdr.data() + i, olen);
      other_hlen += olen;
    }
    i += olen;
  }
  while (other_hlen % 4 != 0) other_hdr[other_hlen++] = wire::ipv4_option::kEnd;
  other_hdr[0] = static_cast<uint8_t>(0x40 | (other_hlen / 4));

  const uint16_t orig_ff = wire::load_be16({first_hdr.data(), 20}, 6);
  const uint32_t base_off = uint32_t{static_cast<uint16_t>(orig_ff & 0x1fff)} * 8;  // re-fragmenting a fragment
  const bool orig_mf = (orig_ff & 0x2000) != 0;
  const uint32_t max_hlen = std::max(hlen, other_hlen);
  if (mtu < max_hlen + 8) {
    drops_.inc(InetDrop::kIpCannotFragment);
    return core::Err(IpSendError::kMessageTooBig);
  }
  const uint32_t chunk = (mtu - max_hlen) & ~7u;
  core::mbuf::adj(pkt, static_cast<int64_t>(hlen));
  core::PacketPtr rest = std::move(pkt);
  uint32_t off = 0;
  ++ip_stats_.fragmented;
  while (rest) {
    const bool first = off == 0;
    core::PacketPtr piece = std::move(rest);
    if (piece->pkt_len > chunk) {
      rest = core::mbuf::split(piece, chunk, pool_);
      if (!rest) {
        drops_.inc(InetDrop::kIpNoBuffers);
        return core::Err(IpSendError::kNoBuffers);
      }
    }
    const uint32_t len = piece->pkt_len;
    const uint32_t fh = first ? hlen : other_hlen;
    core::PacketPtr frag = pool_.alloc();
    if (!frag || frag->tailroom() < fh) {
      drops_.inc(InetDrop::kIpNoBuffers);
      return core::Err(IpSendError::kNoBuffers);
    }
    std::memcpy(frag->data(), first ? first_hdr.data() : other_hdr.data(), fh);
    frag->data_len = fh;
    frag->pkt_len = fh;
    frag->meta = piece->meta;
    std::span<uint8_t> hdr(frag->data(), fh);
    const bool more = rest || orig_mf;
    wire::store_be16(hdr, 2, static_cast<uint16_t>(fh + len));
    wire::store_be16(hdr, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | ((base_off + off) / 8)));
    wire::store_be16(hdr, 10, 0);
    wire::store_be16(hdr, 10, wire::internet_checksum(hdr));
    core::mbuf::cat(frag, std::move(piece));
    ++ip_stats_.fragments_out;
    auto st = link_output(ifp, next_hop, std::move(frag));
    if (!st) return st;
    off += len;
  }
  return core::Ok{};
}

core::Status<IpSendError> Netstack::link_output(Interface& ifp, uint32_t next_hop, core::PacketPtr pkt) {
  if (next_hop == kLimitedBroadcast || ifp.is_subnet_broadcast(next_hop)) {
    ether_output(ifp, std::move(pkt), wire::MacAddress::broadcast(), kEtherIpv4);
    return core::Ok{};
  }
  if (is_multicast(next_hop)) {
    // RFC 1112 6.4: 01:00:5e + the low 23 bits of the group.
    const wire::MacAddress m(0x01, 0x00, 0x5e, static_cast<uint8_t>((next_hop >> 16) & 0x7f),
                             static_cast<uint8_t>(next_hop >> 8), static_cast<uint8_t>(next_hop));
    ether_output(ifp, std::move(pkt), m, kEtherIpv4);
    return core::Ok{};
  }
  auto r = arp_->resolve(ifp.ifindex_, next_hop, pkt);
  switch (r.outcome) {
    case ArpCache::Outcome::kResolved:
      ether_output(ifp, std::move(pkt), r.mac, kEtherIpv4);
      return core::Ok{};
    case ArpCache::Outcome::kHeld:
      return core::Ok{};
    case ArpCache::Outcome::kHostDown:
      return core::Err(IpSendError::kHostUnreachable);
    case ArpCache::Outcome::kDropped:
      return core::Err(IpSendError::kNoBuffers);
  }
  return core::Ok{};
}

// ---------------------------------------------------------------------------------
// IPv4 input

void Netstack::ip_input(Interface* ifp, core::PacketPtr pkt, bool link_broadcast) {
  ++ip_stats_.received;
  if (pkt->pkt_len < 20) {
    drops_.inc(InetDrop::kIpTruncated);
    return;
  }
  if (!core::mbuf::pullup(pkt, 20, pool_)) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return;
  }
  if ((pkt->data()[0] >> 4) != 4) {
    drops_.inc(InetDrop::kIpBadVersion);
    return;
  }
  const uint32_t hlen = uint32_t{static_cast<uint8_t>(pkt->data()[0] & 0x0f)} * 4;
  if (hlen < 20) {
    drops_.inc(InetDrop::kIpBadHeaderLength);
    return;
  }
  if (hlen > pkt->pkt_len) {
    drops_.inc(InetDrop::kIpTruncated);
    return;
  }
  if (!core::mbuf::pullup(pkt, hlen, pool_)) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return;
  }
  std::span<const uint8_t> hdr(pkt->data(), hlen);
  const uint32_t total = wire::load_be16(hdr, 2);
  if (total < hlen) {
    drops_.inc(InetDrop::kIpBadTotalLength);
    return;
  }
  if (total > pkt->pkt_len) {
    drops_.inc(InetDrop::kIpTruncated);
    return;
  }
  if (pkt->meta.csum != core::CsumState::kVerified && wire::internet_checksum(hdr) != 0) {
    drops_.inc(InetDrop::kIpBadChecksum);
    return;
  }
  if (hlen > 20 && !wire::validate_options(hdr.subspan(20), wire::kIpTcpOptionSyntax)) {
    drops_.inc(InetDrop::kIpBadOptions);
    return;
  }
  if (pkt->pkt_len > total) core::mbuf::adj(pkt, -static_cast<int64_t>(pkt->pkt_len - total));  // Ethernet padding
  const uint32_t src = wire::load_be32(hdr, 12);
  const uint32_t dst = wire::load_be32(hdr, 16);
  // RFC 1122 3.2.1.3 / RFC 1812 5.3.7: martian sources are silently discarded.
  if (ifp != nullptr && (src == kLimitedBroadcast || is_multicast(src) || is_loopback(src) ||
                         ifp->is_subnet_broadcast(src) || (src == 0 && dst != kLimitedBroadcast))) {
    drops_.inc(InetDrop::kIpBadSource);
    return;
  }
  const bool broadcast = dst == kLimitedBroadcast || is_multicast(dst) ||
                         (ifp != nullptr && ifp->is_subnet_broadcast(dst));
  // Weak host model (FreeBSD's default, net.inet.ip.check_interface=0): any of our
  // addresses on any interface.
  const bool ours = ifp == nullptr || is_local_address(dst) || dst == kLimitedBroadcast ||
                    (ifp->is_subnet_broadcast(dst)) || dst == 0xe0000001u;
  if (!ours) {
    if (tunables_.value(ids_.ip_forwarding) != 0 && !link_broadcast && !is_multicast(dst)) {
      ip_forward(*ifp, std::move(pkt));
    } else {
      drops_.inc(InetDrop::kIpNotForUs);
    }
    return;
  }
  ip_deliver(ifp, std::move(pkt), broadcast || link_broadcast);
}

void Netstack::ip_deliver(Interface* ifp, core::PacketPtr pkt, bool broadcast) {
  // RFC 1122 3.2.1.7: a host does not discard a datagram for itself because of its TTL.
  const uint16_t ff = wire::load_be16({pkt->data(), 20}, 6);
  if ((ff & 0x3fff) != 0) {
    pkt = reass_->input(std::move(pkt));
    if (!pkt) return;
  }
  const uint8_t* h = pkt->data();
  const uint32_t hlen = uint32_t{static_cast<uint8_t>(h[0] & 0x0f)} * 4;
  IpMeta meta;
  meta.src = wire::load_be32({h + 12, 4}, 0);
  meta.dst = wire::load_be32({h + 16, 4}, 0);
  meta.protocol = h[9];
  meta.ttl = h[8];
  meta.tos = h[1];
  meta.dont_fragment = (ff & 0x4000) != 0;
  meta.ifindex = ifp != nullptr ? ifp->ifindex_ : 0;
  ++ip_stats_.delivered;
  if (meta.protocol == kIpProtoIcmp) {
    icmp_input(ifp, std::move(pkt), broadcast);
    return;
  }
  TransportInput* t = transports_[meta.protocol];
  if (t == nullptr) {
    drops_.inc(InetDrop::kIpUnknownProtocol);
    if (!broadcast) send_icmp_error(*pkt, wire::icmp_type::kDestUnreachable, wire::icmp_unreach::kProtocol);
    return;
  }
  if (broadcast && meta.protocol != wire::kIpProtoUdp) {
    // Only UDP has a use for broadcasts; TCP must never see them (RFC 1122 4.2.3.10).
    drops_.inc(InetDrop::kIpNotForUs);
    return;
  }
  // The header stays in the head segment's headroom (see IpMeta::header_len), so a
  // transport can quote it in an ICMP error through send_icmp_unreachable().
  meta.header_len = static_cast<uint8_t>(hlen);
  core::mbuf::adj(pkt, static_cast<int64_t>(hlen));
  t->input(std::move(pkt), meta);
}

void Netstack::ip_forward(Interface& in, core::PacketPtr pkt) {
  // RFC 1812 5.3.1: a router decrements TTL; at 0 (or 1 before decrement) it sends
  // time exceeded instead of forwarding.
  if (!pool_.make_writable(pkt)) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return;
  }
  std::span<uint8_t> hdr(pkt->data(), 20);
  const uint8_t ttl = hdr[8];
  if (ttl <= 1) {
    drops_.inc(InetDrop::kIpTtlExceeded);
    send_icmp_error(*pkt, wire::icmp_type::kTimeExceeded, wire::icmp_time_exceeded::kTtl);
    return;
  }
  const uint32_t dst = wire::load_be32(hdr, 16);
  uint32_t next_hop = 0, route_mtu = 0;
  Interface* out = route_interface(dst, &next_hop, &route_mtu);
  if (out == nullptr) {
    drops_.inc(InetDrop::kIpNoRoute);
    send_icmp_error(*pkt, wire::icmp_type::kDestUnreachable, wire::icmp_unreach::kNet);
    return;
  }
  wire::Ipv4ViewMut v = *wire::Ipv4ViewMut::parse_quoted({pkt->data(), pkt->data_len});
  v.set_ttl_adjusting_checksum(static_cast<uint8_t>(ttl - 1));
  uint32_t mtu = out->mtu();
  if (route_mtu != 0) mtu = std::min(mtu, route_mtu);
  if (pkt->pkt_len > mtu && (hdr[6] & 0x40) != 0) {
    drops_.inc(InetDrop::kIpCannotFragment);
    send_icmp_error(*pkt, wire::icmp_type::kDestUnreachable, wire::icmp_unreach::kFragNeeded,
                    static_cast<uint16_t>(mtu));
    return;
  }
  (void)in;
  ++ip_stats_.forwarded;
  (void)ip_transmit(*out, next_hop, std::move(pkt), mtu);
}

// ---------------------------------------------------------------------------------
// ICMP

void Netstack::icmp_input(Interface* ifp, core::PacketPtr pkt, bool broadcast) {
  const uint32_t hlen = uint32_t{static_cast<uint8_t>(pkt->data()[0] & 0x0f)} * 4;
  const uint32_t len = pkt->pkt_len - hlen;
  if (len < 8) {
    drops_.inc(InetDrop::kIcmpTruncated);
    return;
  }
  if (pkt->meta.csum != core::CsumState::kVerified && chain_sum(*pkt, hlen, len) != 0xffff) {
    drops_.inc(InetDrop::kIcmpBadChecksum);
    return;
  }
  const uint32_t src = wire::load_be32({pkt->data() + 12, 4}, 0);
  const uint32_t dst = wire::load_be32({pkt->data() + 16, 4}, 0);
  if (!core::mbuf::pullup(pkt, hlen + 8, pool_)) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return;
  }
  const uint8_t type = pkt->data()[hlen];
  switch (type) {
    case wire::icmp_type::kEchoRequest: {
      ++icmp_stats_.echo_requests_in;
      if (broadcast && tunables_.value(ids_.icmp_bmcastecho) == 0) {
        drops_.inc(InetDrop::kIcmpIgnored);
        return;
      }
      if (!icmp_echo_limit_.allow(clock_.now(), tunables_.value(ids_.icmp_icmplim))) {
        drops_.inc(InetDrop::kIcmpRateLimited);
        return;
      }
      // Answer in place: same identifier, sequence and data (RFC 792); only the type
      // changes, so the checksum follows with one RFC 1624 update.
      if (!pool_.make_writable(pkt)) {
        drops_.inc(InetDrop::kIpNoBuffers);
        return;
      }
      const uint8_t tos = pkt->data()[1];
      core::mbuf::adj(pkt, static_cast<int64_t>(hlen));
      std::span<uint8_t> icmp(pkt->data(), 8);
      const uint16_t old_word = wire::load_be16(icmp, 0);
      icmp[0] = wire::icmp_type::kEchoReply;
      wire::store_be16(icmp, 2, wire::checksum_adjust(wire::load_be16(icmp, 2), old_word, wire::load_be16(icmp, 0)));
      IpMeta m;
      // Reply from the address the request was sent to, unless that was a broadcast.
      m.src = is_local_address(dst) ? dst : 0;
      m.dst = src;
      m.protocol = 1;
      m.tos = tos;
      pkt->meta.csum = core::CsumState::kNone;
      if (ip_output(std::move(pkt), m)) ++icmp_stats_.echo_replies_out;
      return;
    }
    case wire::icmp_type::kEchoReply: {
      ++icmp_stats_.echo_replies_in;
      if (on_echo_reply_) {
        EchoReply r;
        r.from = src;
        r.ident = wire::load_be16({pkt->data() + hlen, 8}, 4);
        r.seq = wire::load_be16({pkt->data() + hlen, 8}, 6);
        r.payload_len = len - 8;
        // send_echo_request fills byte i with (i & 0xff).
        bool match = true;
        uint32_t i = 0;
        for (const core::Packet* s = pkt.get(); s != nullptr && match; s = s->next) {
          uint32_t start = s == pkt.get() ? hlen + 8 : 0;
          for (uint32_t k = start; k < s->data_len; ++k, ++i) {
            if (s->data()[k] != static_cast<uint8_t>(i)) {
              match = false;
              break;
            }
          }
        }
        r.payload_matches = match;
        on_echo_reply_(r);
      }
      return;
    }
    case wire::icmp_type::kDestUnreachable:
    case wire::icmp_type::kTimeExceeded:
    case wire::icmp_type::kParameterProblem:
    case wire::icmp_type::kSourceQuench: {
      ++icmp_stats_.errors_in;
      std::array<uint8_t, 8 + 60 + 8> buf{};
      const uint32_t n = std::min<uint32_t>(len, static_cast<uint32_t>(buf.size()));
      (void)core::Mbuf(*pkt).copy_data(hlen, {buf.data(), n});
      icmp_error_input({buf.data(), n});
      return;
    }
    default:
      drops_.inc(InetDrop::kIcmpIgnored);  // redirects (a host ignores them here), timestamps, ...
      return;
  }
}

void Netstack::icmp_error_input(std::span<const uint8_t> icmp) {
  auto v = wire::Icmpv4View::parse(icmp);
  if (!v) {
    drops_.inc(InetDrop::kIcmpTruncated);
    return;
  }
  auto ip = v->quoted_packet();
  // RFC 1122 3.2.2: the quote must hold the header and 8 bytes of the transport header.
  if (!ip || ip->payload().size() < 8 || !is_local_address(ip->src().to_u32())) {
    drops_.inc(InetDrop::kIcmpBadQuote);
    return;
  }
  IcmpErrorInfo info;
  info.type = v->type();
  info.code = v->code();
  info.orig_src = ip->src().to_u32();
  info.orig_dst = ip->dst().to_u32();
  auto l4 = ip->payload();
  info.orig_sport = wire::load_be16(l4, 0);
  info.orig_dport = wire::load_be16(l4, 2);
  info.orig_seq = wire::load_be32(l4, 4);
  if (v->is_frag_needed() && tunables_.value(ids_.icmp_pmtud) != 0) {
    // RFC 1191: the next-hop MTU, or a plateau below the quoted length from old routers.
    uint32_t mtu = v->next_hop_mtu();
    if (mtu == 0) mtu = plateau_below(ip->total_len());
    info.next_hop_mtu = std::max(mtu, kMinMtu);
    update_pmtu(info.orig_dst, info.next_hop_mtu);
  }
  if (TransportInput* t = transports_[ip->protocol_raw()]) t->icmp_error(info);
}

void Netstack::send_icmp_error(const core::Packet& offending, uint8_t type, uint8_t code, uint16_t mtu,
                               bool link_broadcast) {
  std::array<uint8_t, 60 + 8> quote{};
  const uint32_t avail = std::min<uint32_t>(offending.pkt_len, static_cast<uint32_t>(quote.size()));
  if (avail < 20 || !core::Mbuf(const_cast<core::Packet&>(offending)).copy_data(0, {quote.data(), avail})) {
    drops_.inc(InetDrop::kIcmpNotSent);
    return;
  }
  auto ip = wire::Ipv4View::parse_quoted({quote.data(), avail});
  if (!ip) {
    drops_.inc(InetDrop::kIcmpNotSent);
    return;
  }
  const uint32_t src = ip->src().to_u32();
  const uint32_t dst = ip->dst().to_u32();
  bool never = link_broadcast || ip->fragment_offset() != 0 || dst == kLimitedBroadcast || is_multicast(dst) ||
               src == 0 || src == kLimitedBroadcast || is_multicast(src) || is_loopback(src);
  for (const auto& i : ifs_) never = never || i->is_subnet_broadcast(dst) || i->is_subnet_broadcast(src);
  if (!never && ip->protocol_raw() == 1) {
    // Never an error about an error (RFC 1122 3.2.2); a quote too short to tell counts as one.
    auto l4 = ip->payload();
    never = l4.empty() || wire::icmp_is_error(l4[0]) || l4[0] > wire::icmp_type::kTimestampReply;
  }
  if (never) {
    drops_.inc(InetDrop::kIcmpNotSent);
    return;
  }
  if (!icmp_error_limit_.allow(clock_.now(), tunables_.value(ids_.icmp_icmplim))) {
    drops_.inc(InetDrop::kIcmpRateLimited);
    return;
  }
  const size_t qlen = wire::icmp_quote_len(*ip);
  core::PacketPtr p = pool_.alloc();
  if (!p || p->tailroom() < 8 + qlen) {
    drops_.inc(InetDrop::kIpNoBuffers);
    return;
  }
  wire::Icmpv4Header h{type, code, mtu, {quote.data(), qlen}};
  if (type == wire::icmp_type::kDestUnreachable && code == wire::icmp_unreach::kFragNeeded) {
    h.rest_of_header = mtu;  // RFC 1191: next-hop MTU in the low 16 bits
  } else {
    h.rest_of_header = 0;
  }
  auto n = h.emit({p->data(), 8 + qlen});
  if (!n) return;
  p->data_len = static_cast<uint32_t>(*n);
  p->pkt_len = p->data_len;
  IpMeta m;
  m.src = is_local_address(dst) ? dst : 0;
  m.dst = src;
  m.protocol = 1;
  m.tos = 0xc0;  // RFC 1812 4.3.2.5: internetwork control precedence
  if (ip_output(std::move(p), m)) ++icmp_stats_.errors_out;
}

void Netstack::send_icmp_unreachable(core::PacketPtr segment, const IpMeta& meta, uint8_t code) {
  const uint32_t hlen = meta.header_len;
  if (hlen >= 20 && !segment->shared() && segment->headroom() >= hlen) {
    // Un-strip: the original header bytes are still in front of the data.
    segment->data_off -= hlen;
    segment->data_len += hlen;
    segment->pkt_len += hlen;
  } else {
    // Shared or re-chained head: rebuild a minimal header from what the meta kept.
    uint8_t* h = core::mbuf::prepend(segment, 20, pool_);
    if (h == nullptr) {
      drops_.inc(InetDrop::kIpNoBuffers);
      return;
    }
    std::span<uint8_t> hdr(h, 20);
    std::fill(hdr.begin(), hdr.end(), 0);
    hdr[0] = 0x45;
    hdr[1] = meta.tos;
    wire::store_be16(hdr, 2, static_cast<uint16_t>(std::min<uint32_t>(segment->pkt_len, 65535)));
    hdr[8] = meta.ttl;
    hdr[9] = meta.protocol;
    wire::store_be32(hdr, 12, meta.src);
    wire::store_be32(hdr, 16, meta.dst);
    wire::store_be16(hdr, 10, wire::internet_checksum(hdr));
  }
  send_icmp_error(*segment, wire::icmp_type::kDestUnreachable, code);
}

core::Status<IpSendError> Netstack::send_echo_request(uint32_t dst, uint16_t ident, uint16_t seq, uint32_t payload_len,
                                                      bool dont_fragment) {
  if (payload_len > 65507) return core::Err(IpSendError::kMessageTooBig);
  core::PacketPtr p = pool_.alloc();
  if (!p) return core::Err(IpSendError::kNoBuffers);
  std::array<uint8_t, 8> hdr{};
  hdr[0] = wire::icmp_type::kEchoRequest;
  wire::store_be16(hdr, 4, ident);
  wire::store_be16(hdr, 6, seq);
  if (!core::mbuf::append(p, hdr, pool_)) return core::Err(IpSendError::kNoBuffers);
  std::array<uint8_t, 256> pattern;
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i);
  for (uint32_t done = 0; done < payload_len;) {
    const uint32_t n = std::min<uint32_t>(payload_len - done, 256);
    if (!core::mbuf::append(p, {pattern.data(), n}, pool_)) return core::Err(IpSendError::kNoBuffers);
    done += n;
  }
  const uint16_t c = static_cast<uint16_t>(~chain_sum(*p, 0, p->pkt_len));
  wire::store_be16({p->data(), 8}, 2, c);
  IpMeta m;
  m.dst = dst;
  m.protocol = 1;
  m.dont_fragment = dont_fragment;
  return ip_output(std::move(p), m);
}

// ---------------------------------------------------------------------------------

core::CounterList Netstack::counters() const {
  core::CounterList out;
  out.push_back({"ip.received", ip_stats_.received});
  out.push_back({"ip.delivered", ip_stats_.delivered});
  out.push_back({"ip.sent", ip_stats_.sent});
  out.push_back({"ip.forwarded", ip_stats_.forwarded});
  out.push_back({"ip.fragmented", ip_stats_.fragmented});
  out.push_back({"ip.fragments_out", ip_stats_.fragments_out});
  out.push_back({"ip.loopback", ip_stats_.loopback});
  out.push_back({"ip.reassembled", reass_->stats().reassembled});
  out.push_back({"icmp.echo_requests_in", icmp_stats_.echo_requests_in});
  out.push_back({"icmp.echo_replies_out", icmp_stats_.echo_replies_out});
  out.push_back({"icmp.echo_replies_in", icmp_stats_.echo_replies_in});
  out.push_back({"icmp.errors_in", icmp_stats_.errors_in});
  out.push_back({"icmp.errors_out", icmp_stats_.errors_out});
  out.push_back({"icmp.pmtu_updates", icmp_stats_.pmtu_updates});
  out.push_back({"arp.requests_sent", arp_->stats().requests_sent});
  out.push_back({"arp.replies_sent", arp_->stats().replies_sent});
  out.push_back({"arp.announcements_sent", arp_->stats().announcements_sent});
  out.push_back({"arp.held", arp_->stats().held});
  out.push_back({"arp.released", arp_->stats().released});
  out.push_back({"arp.conflicts", arp_->stats().conflicts});
  out.push_back({"udp.datagrams_in", udp_->stats().datagrams_in});
  out.push_back({"udp.datagrams_out", udp_->stats().datagrams_out});
  out.push_back({"udp.port_unreachable_sent", udp_->stats().port_unreachable_sent});
  drops_.for_each([&](const char* n, uint64_t v) { out.push_back({std::string("drop.") + n, v}); }, true);
  return out;
}

}  // namespace vnetref::inet
