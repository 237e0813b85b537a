#include "stack/inet/arp.h"

#include <algorithm>

namespace vnetref::inet {

using namespace std::chrono_literals;

namespace {
// arp(4): resolution requests are rate-limited to one per second per entry.
constexpr core::Duration kRequestInterval = 1s;
// RFC 5227 section 1.1 constants.
constexpr core::Duration kAnnounceInterval = 2s;
constexpr core::Duration kDefendInterval = 10s;

bool martian_sender(uint32_t a) {
  const wire::Ipv4Address ip(a);
  return ip.is_broadcast() || ip.is_multicast() || ip.is_loopback();
}
}  // namespace

const char* name_of(ArpState s) {
  switch (s) {
    case ArpState::kFree: return "free";
    case ArpState::kIncomplete: return "incomplete";
    case ArpState::kReachable: return "reachable";
    case ArpState::kStale: return "stale";
    case ArpState::kFailed: return "failed";
  }
  return "?";
}

ArpCache::ArpCache(core::TimerWheel& wheel, const Tunables& tunables, const InetTunableIds& ids, ArpHost& host)
    : wheel_(wheel), tunables_(tunables), ids_(ids), host_(host) {
  capacity_ = static_cast<size_t>(tunables_.value(ids_.arp_max_entries));
  entries_ = std::make_unique<Entry[]>(capacity_);
  free_.reserve(capacity_);
  for (size_t i = capacity_; i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
  index_.reserve(capacity_);
  for (size_t i = 0; i < capacity_; ++i) {
    Entry* e = &entries_[i];
    e->timer.set_callback([this, e] { on_timer(*e); });
  }
  announces_ = std::make_unique<Announce[]>(kMaxAnnouncements);
}

ArpCache::~ArpCache() = default;

ArpCache::Entry* ArpCache::find(uint32_t ifindex, uint32_t addr) {
  auto it = index_.find(key(ifindex, addr));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

const ArpCache::Entry* ArpCache::find(uint32_t ifindex, uint32_t addr) const {
  auto it = index_.find(key(ifindex, addr));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

ArpCache::Entry* ArpCache::allocate(uint32_t ifindex, uint32_t addr) {
  if (free_.empty()) {
    // Evict the least recently used entry that holds nothing (not static).
    Entry* victim = nullptr;
    for (size_t i = 0; i < capacity_; ++i) {
      Entry& e = entries_[i];
      if (e.state == ArpState::kFree || e.is_static || !e.hold.empty()) continue;
      if (victim == nullptr || e.last_used < victim->last_used) victim = &e;
    }
    if (victim == nullptr) return nullptr;
    ++stats_.evictions;
    release(*victim);
  }
  const uint32_t slot = free_.back();
  free_.pop_back();
  Entry& e = entries_[slot];
  e.ifindex = ifindex;
  e.addr = addr;
  e.mac = wire::MacAddress();
  e.is_static = false;
  e.refreshing = false;
  e.asked = 0;
  e.last_used = wheel_.clock().now();
  index_.emplace(key(ifindex, addr), slot);
  return &e;
}

void ArpCache::release(Entry& e) {
  e.timer.cancel();
  e.hold.clear();  // frees held packets (callers that must report do so first)
  index_.erase(key(e.ifindex, e.addr));
  e.state = ArpState::kFree;
  free_.push_back(static_cast<uint32_t>(&e - entries_.get()));
}

void ArpCache::send_request(Entry& e, bool unicast) {
  wire::ArpRepr req;
  req.op = static_cast<uint16_t>(wire::ArpOp::Request);
  req.sender_mac = host_.arp_own_mac(e.ifindex);
  // The sender address must be ours on that interface; the host layer fills it in
  // through arp_send when we pass 0 (it knows which address fits the target subnet).
  req.sender_ip = wire::Ipv4Address(0u);
  req.target_mac = wire::MacAddress();
  req.target_ip = wire::Ipv4Address(e.addr);
  host_.arp_send(e.ifindex, req, unicast ? e.mac : wire::MacAddress::broadcast());
  ++stats_.requests_sent;
  ++e.asked;
}

ArpCache::Lookup ArpCache::resolve(uint32_t ifindex, uint32_t next_hop, core::PacketPtr& packet) {
  Entry* e = find(ifindex, next_hop);
  const core::Instant now = wheel_.clock().now();
  if (e != nullptr) {
    e->last_used = now;
    switch (e->state) {
      case ArpState::kReachable:
        return {Outcome::kResolved, e->mac};
      case ArpState::kStale:
        // Keep using the old address while a unicast request confirms it.
        if (!e->refreshing) {
          e->refreshing = true;
          e->asked = 0;
          send_request(*e, true);
          wheel_.schedule_after(e->timer, kRequestInterval);
        }
        return {Outcome::kResolved, e->mac};
      case ArpState::kFailed:
        host_.arp_drop(InetDrop::kArpHostDown);
        return {Outcome::kHostDown, {}};
      case ArpState::kIncomplete:
        break;
      case ArpState::kFree:
        return {Outcome::kDropped, {}};
    }
  } else {
    e = allocate(ifindex, next_hop);
    if (e == nullptr) {
      host_.arp_drop(InetDrop::kArpTableFull);
      packet.reset();
      return {Outcome::kDropped, {}};
    }
    e->state = ArpState::kIncomplete;
    send_request(*e, false);
    wheel_.schedule_after(e->timer, kRequestInterval);
  }
  // Incomplete: hold the packet, keeping only the most recent maxhold.
  const size_t maxhold = static_cast<size_t>(tunables_.value(ids_.arp_maxhold));
  if (maxhold == 0) {
    host_.arp_drop(InetDrop::kArpHoldOverflow);
    packet.reset();
    return {Outcome::kHeld, {}};
  }
  if (e->hold.capacity() < maxhold) e->hold.reserve(maxhold);
  while (e->hold.size() >= maxhold) {
    e->hold.erase(e->hold.begin());
    host_.arp_drop(InetDrop::kArpHoldOverflow);
  }
  e->hold.push_back(std::move(packet));
  ++stats_.held;
  return {Outcome::kHeld, {}};
}

void ArpCache::set_reachable(Entry& e, wire::MacAddress mac) {
  e.mac = mac;
  e.asked = 0;
  e.refreshing = false;
  if (e.is_static) return;
  e.state = ArpState::kReachable;
  wheel_.schedule_after(e.timer, std::chrono::seconds(seconds(ids_.arp_max_age)));
  if (!e.hold.empty()) {
    // Move the queue out first: releasing may re-enter resolve() for this entry.
    std::vector<core::PacketPtr> held;
    held.swap(e.hold);
    for (auto& p : held) {
      ++stats_.released;
      host_.arp_release(e.ifindex, std::move(p), mac);
    }
    held.clear();
    if (e.hold.empty()) e.hold.swap(held);  // keep the reserved capacity
  }
}

void ArpCache::on_timer(Entry& e) {
  const core::Instant now = wheel_.clock().now();
  switch (e.state) {
    case ArpState::kIncomplete:
      if (e.asked < static_cast<uint32_t>(tunables_.value(ids_.arp_maxtries))) {
        send_request(e, false);
        wheel_.schedule_after(e.timer, kRequestInterval);
        return;
      }
      // Give up: drop what we held and tell each sender; hold the failure down.
      e.state = ArpState::kFailed;
      {
        std::vector<core::PacketPtr> held;
        held.swap(e.hold);
        for (auto& p : held) {
          host_.arp_drop(InetDrop::kArpResolveFailed);
          host_.arp_unreachable(std::move(p));
        }
      }
      wheel_.schedule_after(e.timer, std::chrono::seconds(seconds(ids_.arp_wait)));
      return;
    case ArpState::kReachable:
      e.state = ArpState::kStale;
      // A stale entry that nobody uses for another max_age goes away.
      wheel_.schedule_after(e.timer, std::chrono::seconds(seconds(ids_.arp_max_age)));
      return;
    case ArpState::kStale:
      if (e.refreshing) {
        if (e.asked < static_cast<uint32_t>(tunables_.value(ids_.arp_maxtries))) {
          // First retry unicast, then broadcast (the peer may have changed its MAC).
          send_request(e, e.asked < 1);
          wheel_.schedule_after(e.timer, kRequestInterval);
          return;
        }
        release(e);  // the neighbour went away
        return;
      }
      if (now - e.last_used >= std::chrono::seconds(seconds(ids_.arp_max_age))) {
        release(e);
      } else {
        wheel_.schedule(e.timer, e.last_used + std::chrono::seconds(seconds(ids_.arp_max_age)));
      }
      return;
    case ArpState::kFailed:
      release(e);
      return;
    case ArpState::kFree:
      return;
  }
}

void ArpCache::input(uint32_t ifindex, const wire::ArpView& arp) {
  const uint32_t spa = arp.sender_ip().to_u32();
  const uint32_t tpa = arp.target_ip().to_u32();
  const wire::MacAddress sha = arp.sender_mac();
  const wire::MacAddress own_mac = host_.arp_own_mac(ifindex);
  const bool is_request = arp.op() == wire::ArpOp::Request;
  const bool is_reply = arp.op() == wire::ArpOp::Reply;
  if (!is_request && !is_reply) {
    host_.arp_drop(InetDrop::kArpMalformed);
    return;
  }
  if (is_request) ++stats_.requests_received; else ++stats_.replies_received;
  if (sha.is_multicast() || sha.is_zero() || martian_sender(spa)) {
    host_.arp_drop(InetDrop::kArpBadSender);
    return;
  }
  if (sha == own_mac) return;  // our own broadcast looped back
  // RFC 5227 2.4: a packet claiming one of our addresses from another MAC is a conflict.
  if (spa != 0 && host_.arp_is_own_address(ifindex, spa)) {
    ++stats_.conflicts;
    host_.arp_drop(InetDrop::kArpConflict);
    const core::Instant now = wheel_.clock().now();
    if (!last_defend_ || now - *last_defend_ >= kDefendInterval) {
      last_defend_ = now;
      send_announcement(ifindex, spa);
    }
    return;
  }
  // RFC 826 reception: update an existing entry for the sender (merge flag) ...
  bool merged = false;
  if (spa != 0) {
    if (Entry* e = find(ifindex, spa)) {
      if (!e->is_static) set_reachable(*e, sha);
      merged = true;
    }
  }
  const bool for_us = host_.arp_is_own_address(ifindex, tpa);
  if (!for_us) {
    if (!merged) host_.arp_drop(InetDrop::kArpNotForUs);
    return;
  }
  // ... and, when we are the target, add it if it was not there.
  if (!merged && spa != 0) {
    if (Entry* e = allocate(ifindex, spa)) {
      set_reachable(*e, sha);
    } else {
      host_.arp_drop(InetDrop::kArpTableFull);
    }
  }
  if (is_request) {
    wire::ArpRepr reply;
    reply.op = static_cast<uint16_t>(wire::ArpOp::Reply);
    reply.sender_mac = own_mac;
    reply.sender_ip = wire::Ipv4Address(tpa);
    reply.target_mac = sha;
    reply.target_ip = wire::Ipv4Address(spa);
    // RFC 5227 probes (sender 0.0.0.0) are answered too: that is how we defend.
    host_.arp_send(ifindex, reply, sha);
    ++stats_.replies_sent;
  }
}

void ArpCache::send_announcement(uint32_t ifindex, uint32_t addr) {
  wire::ArpRepr a;
  a.op = static_cast<uint16_t>(wire::ArpOp::Request);
  a.sender_mac = host_.arp_own_mac(ifindex);
  a.sender_ip = wire::Ipv4Address(addr);
  a.target_mac = wire::MacAddress();
  a.target_ip = wire::Ipv4Address(addr);
  host_.arp_send(ifindex, a, wire::MacAddress::broadcast());
  ++stats_.announcements_sent;
}

void ArpCache::announce(uint32_t ifindex, uint32_t addr) {
  send_announcement(ifindex, addr);
  // The second announcement ANNOUNCE_INTERVAL later (if a slot is free; the first
  // one already did the essential work).
  for (size_t i = 0; i < kMaxAnnouncements; ++i) {
    Announce& a = announces_[i];
    if (a.timer.armed()) continue;
    a.ifindex = ifindex;
    a.addr = addr;
    a.timer.set_callback([this, &a] {
      if (host_.arp_is_own_address(a.ifindex, a.addr)) send_announcement(a.ifindex, a.addr);
    });
    wheel_.schedule_after(a.timer, kAnnounceInterval);
    return;
  }
}

bool ArpCache::add_static(uint32_t ifindex, uint32_t addr, wire::MacAddress mac) {
  Entry* e = find(ifindex, addr);
  if (e == nullptr) e = allocate(ifindex, addr);
  if (e == nullptr) return false;
  e->is_static = false;
  set_reachable(*e, mac);
  e->is_static = true;
  e->timer.cancel();
  return true;
}

void ArpCache::flush_interface(uint32_t ifindex) {
  for (size_t i = 0; i < capacity_; ++i) {
    Entry& e = entries_[i];
    if (e.state != ArpState::kFree && e.ifindex == ifindex) release(e);
  }
}

std::optional<wire::MacAddress> ArpCache::peek(uint32_t ifindex, uint32_t addr) const {
  const Entry* e = find(ifindex, addr);
  if (e == nullptr || (e->state != ArpState::kReachable && e->state != ArpState::kStale)) return std::nullopt;
  return e->mac;
}

ArpState ArpCache::state(uint32_t ifindex, uint32_t addr) const {
  const Entry* e = find(ifindex, addr);
  return e == nullptr ? ArpState::kFree : e->state;
}

size_t ArpCache::hold_queue_length(uint32_t ifindex, uint32_t addr) const {
  const Entry* e = find(ifindex, addr);
  return e == nullptr ? 0 : e->hold.size();
}

std::vector<ArpCache::EntryInfo> ArpCache::entries() const {
  std::vector<EntryInfo> out;
  for (size_t i = 0; i < capacity_; ++i) {
    const Entry& e = entries_[i];
    if (e.state != ArpState::kFree) out.push_back({e.ifindex, e.addr, e.mac, e.state, e.is_static});
  }
  return out;
}

}  // namespace vnetref::inet
