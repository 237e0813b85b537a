#include "stack/vswitch/physical.h"

#include <cstring>

namespace vnetref::vswitch {

using core::Packet;
using core::PacketBatch;
using core::PacketPtr;

const char* name_of(PhysDropReason r) {
  switch (r) {
    case PhysDropReason::kRunt: return "runt";
    case PhysDropReason::kPortDown: return "port_down";
    case PhysDropReason::kVlanNotAllowed: return "vlan_not_allowed";
    case PhysDropReason::kBpdu: return "bpdu";
    case PhysDropReason::kQueueFull: return "queue_full";
    case PhysDropReason::kNoDestination: return "no_destination";
    case PhysDropReason::kPoolExhausted: return "pool_exhausted";
    case PhysDropReason::kSameSegment: return "same_segment";
    case PhysDropReason::kCount: break;
  }
  return "?";
}

struct PhysicalSwitch::Port {
  uint32_t id = 0;
  PhysPortConfig cfg;
  PortEndpoint* device = nullptr;
  std::unique_ptr<dispatch::PacketQueue> inq;
};

PhysicalSwitch::PhysicalSwitch(std::string name, core::BufferPool& pool, const core::Clock& clock, uint32_t max_macs,
                               core::Duration aging, uint32_t queue)
    : name_(std::move(name)), pool_(pool), clock_(clock), aging_(aging), queue_(queue), table_(max_macs) {
  for (uint16_t v = 0; v < 4096; ++v) fid_[v] = v;
}

PhysicalSwitch::~PhysicalSwitch() = default;

uint32_t PhysicalSwitch::add_port(const PhysPortConfig& cfg, PortEndpoint* device) {
  auto p = std::make_unique<Port>();
  p->id = static_cast<uint32_t>(ports_.size() + 1);
  p->cfg = cfg;
  p->device = device;
  p->inq = std::make_unique<dispatch::PacketQueue>(queue_);
  ports_.push_back(std::move(p));
  return static_cast<uint32_t>(ports_.size());
}

uint32_t PhysicalSwitch::port_by_name(const std::string& name) const {
  for (const auto& p : ports_)
    if (p->cfg.name == name) return p->id;
  return 0;
}

void PhysicalSwitch::set_device(uint32_t port, PortEndpoint* device) {
  if (port >= 1 && port <= ports_.size()) ports_[port - 1]->device = device;
}

core::Status<PhysDropReason> PhysicalSwitch::set_link(uint32_t port, bool up) {
  if (port < 1 || port > ports_.size()) return core::Err(PhysDropReason::kPortDown);
  Port& p = *ports_[port - 1];
  if (p.cfg.link_up == up) return core::Ok{};
  p.cfg.link_up = up;
  if (!up) table_.remove_port(port);  // a link loss flushes what was learned there
  if (link_listener_) link_listener_(port, up);
  return core::Ok{};
}

core::Status<PhysDropReason> PhysicalSwitch::reconfigure(uint32_t port, PhysPortConfig cfg) {
  if (port < 1 || port > ports_.size()) return core::Err(PhysDropReason::kPortDown);
  Port& p = *ports_[port - 1];
  cfg.link_up = p.cfg.link_up;
  p.cfg = std::move(cfg);
  table_.remove_port(port);
  return core::Ok{};
}

bool PhysicalSwitch::link_up(uint32_t port) const {
  return port >= 1 && port <= ports_.size() && ports_[port - 1]->cfg.link_up;
}

uint32_t PhysicalSwitch::receive(uint32_t port, PacketBatch& b) {
  const uint32_t n = b.size();
  stats_.injected += n;
  if (port < 1 || port > ports_.size()) {
    for (uint32_t i = 0; i < b.size(); ++i) drop(nullptr, b.take(i), PhysDropReason::kPortDown);
    b.compact();
    return 0;
  }
  Port& p = *ports_[port - 1];
  if (!p.cfg.link_up) {
    for (uint32_t i = 0; i < b.size(); ++i) drop(&p, b.take(i), PhysDropReason::kPortDown);
    b.compact();
    return 0;
  }
  const uint32_t q = p.inq->enqueue(b);
  for (uint32_t i = 0; i < b.size(); ++i) drop(&p, b.take(i), PhysDropReason::kQueueFull);
  b.compact();
  return q;
}

uint32_t PhysicalSwitch::poll(uint32_t budget) {
  uint32_t work = 0;
  for (auto& up : ports_) {
    Port& p = *up;
    if (p.inq->empty()) continue;
    PacketBatch b;
    const uint32_t got = p.inq->dequeue(b, budget);
    work += got;
    if (captures_.active()) captures_.on_batch(p.id, p.cfg.name, dispatch::CapturePoint::kPortInput, b);
    for (uint32_t i = 0; i < b.size(); ++i) forward(p, b.take(i).release());
    b.clear();
  }
  return work;
}

bool PhysicalSwitch::admits(const Port& p, uint16_t vlan) const {
  if (!p.cfg.trunk) return vlan == p.cfg.access_vlan;
  for (const auto& r : p.cfg.allowed)
    if (r.contains(vlan)) return true;
  return vlan == p.cfg.native_vlan;
}

void PhysicalSwitch::forward(Port& in, Packet* pkt) {
  if (pkt->data_len < 14) {
    drop(&in, PacketPtr(pkt), PhysDropReason::kRunt);
    return;
  }
  const uint8_t* d = pkt->data();
  static constexpr uint8_t kBpdu[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
  if (std::memcmp(d, kBpdu, 6) == 0) {
    drop(&in, PacketPtr(pkt), PhysDropReason::kBpdu);
    return;
  }
  if (!in.cfg.link_up) {
    drop(&in, PacketPtr(pkt), PhysDropReason::kPortDown);
    return;
  }
  // An in-band tag is moved out of band, as the virtual switches do.
  if (pkt->meta.vlan_tci == 0 && ((d[12] == 0x81 && d[13] == 0x00) || (d[12] == 0x88 && d[13] == 0xa8))) {
    if (pkt->data_len < 18) {
      drop(&in, PacketPtr(pkt), PhysDropReason::kRunt);
      return;
    }
    PacketPtr pp(pkt);
    if (pp->shared() && !pool_.make_writable(pp)) {
      drop(&in, std::move(pp), PhysDropReason::kPoolExhausted);
      return;
    }
    pkt = pp.release();
    uint8_t* w = pkt->data();
    const uint16_t tci = static_cast<uint16_t>((w[14] << 8) | w[15]);
    if ((tci & 0x0fff) == 0x0fff) {
      drop(&in, PacketPtr(pkt), PhysDropReason::kVlanNotAllowed);
      return;
    }
    std::memmove(w + 4, w, 12);
    pkt->data_off += 4;
    pkt->data_len -= 4;
    pkt->pkt_len -= 4;
    pkt->meta.vlan_tci = tci;
    d = pkt->data();
  }
  // Ingress VLAN classification.
  const uint16_t vid = pkt->meta.vlan_tci & 0x0fff;
  uint16_t vlan;
  if (!in.cfg.trunk) {
    if (vid != 0) {
      drop(&in, PacketPtr(pkt), PhysDropReason::kVlanNotAllowed);
      return;
    }
    vlan = in.cfg.access_vlan;
  } else {
    vlan = vid == 0 ? in.cfg.native_vlan : vid;
    if (!admits(in, vlan)) {
      drop(&in, PacketPtr(pkt), PhysDropReason::kVlanNotAllowed);
      return;
    }
  }
  const int64_t now = core::to_nanos(clock_.now());
  // Learn the source (unicast sources only).
  if ((d[6] & 1) == 0) {
    const uint64_t skey = mac_key(d + 6, fid_[vlan]);
    MacEntry* e = table_.find(skey);
    if (e != nullptr) {
      e->port = in.id;
      e->last_seen_ns = now;
    } else if (table_.upsert(skey, in.id, MacOrigin::kLearned, now)) {
      ++stats_.learned;
    } else {
      ++stats_.learn_full;
    }
  }
  if ((d[0] & 1) == 0) {
    MacEntry* e = table_.find(mac_key(d, fid_[vlan]));
    if (e != nullptr && now - e->last_seen_ns > aging_.count()) {
      table_.remove(mac_key(d, fid_[vlan]));
      e = nullptr;
    }
    if (e != nullptr) {
      if (e->port == in.id) {
        drop(&in, PacketPtr(pkt), PhysDropReason::kSameSegment);
        return;
      }
      Port& out = *ports_[e->port - 1];
      if (!out.cfg.link_up) {
        drop(&out, PacketPtr(pkt), PhysDropReason::kPortDown);
        return;
      }
      send(out, pkt, vlan);
      return;
    }
  }
  // Flood in the VLAN.
  std::vector<Port*> outs;
  for (auto& up : ports_) {
    Port& p = *up;
    if (&p == &in || !p.cfg.link_up || p.device == nullptr || !admits(p, vlan)) continue;
    outs.push_back(&p);
  }
  if (outs.empty()) {
    drop(&in, PacketPtr(pkt), PhysDropReason::kNoDestination);
    return;
  }
  for (size_t i = 0; i + 1 < outs.size(); ++i) {
    ++stats_.copies;
    PacketPtr c = pool_.clone(*pkt);
    if (!c) {
      drops_.inc(PhysDropReason::kPoolExhausted);
      ++stats_.dropped;
      continue;
    }
    send(*outs[i], c.release(), vlan);
  }
  send(*outs.back(), pkt, vlan);
}

void PhysicalSwitch::send(Port& out, Packet* pkt, uint16_t vlan) {
  // Egress tagging: untagged on access ports and on a trunk's native VLAN.
  const uint16_t prio = pkt->meta.vlan_tci & 0xf000;
  const bool untagged = !out.cfg.trunk || vlan == out.cfg.native_vlan;
  pkt->meta.vlan_tci = untagged ? 0 : static_cast<uint16_t>(prio | vlan);
  if (out.device == nullptr) {
    drop(&out, PacketPtr(pkt), PhysDropReason::kPortDown);
    return;
  }
  PacketBatch b;
  (void)b.push(PacketPtr(pkt));
  if (captures_.active()) captures_.on_batch(out.id, out.cfg.name, dispatch::CapturePoint::kPortOutput, b);
  ++stats_.delivered;
  out.device->deliver(out.id, b);
}

void PhysicalSwitch::drop(Port* at, PacketPtr p, PhysDropReason r) {
  drops_.inc(r);
  ++stats_.dropped;
  if (p) {
    const uint32_t id = at != nullptr ? at->id : 0;
    if (captures_.active()) captures_.on_packet(id, at != nullptr ? at->cfg.name : name_, dispatch::CapturePoint::kDrop, *p, name_of(r));
    if (drop_observer_) drop_observer_(*p, id, r);
  }
}

uint64_t PhysicalSwitch::in_flight() const {
  uint64_t n = 0;
  for (const auto& p : ports_) n += p->inq->size();
  return n;
}

uint32_t PhysicalSwitch::lookup(const wire::MacAddress& mac, uint16_t vlan) const {
  const PortId p = table_.lookup(mac_key(mac.bytes().data(), fid_[vlan & 0xfff]));
  return p;
}

}  // namespace vnetref::vswitch
