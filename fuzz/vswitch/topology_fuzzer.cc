// Fuzz target: a small generated two-host topology (standard switches, a distributed
// switch with private VLANs and MAC learning, a physical network), then arbitrary
// frames injected at arbitrary ports and link / time / MAC events. After every step:
//   - no frame is delivered outside its VLAN or across private-VLAN isolation;
//   - no switch sends a frame that arrived on one of its uplinks out of another;
//   - every frame is accounted for: delivered + dropped-with-reason = injected
//     (per switch, per the physical network, and per injected frame);
//   - nothing is left in flight and every buffer returns to the pool.
// Violations abort (the fuzzer reports a crash with the input).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/dispatch/runner.h"
#include "stack/host/config.h"
#include "stack/host/topology.h"

namespace vnetref::fuzz {
namespace {

using vswitch::PortId;

[[noreturn]] void violation(const std::string& what) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s\n", what.c_str());
  std::abort();
}

// Topology text with a few variant knobs chosen by the first input byte.
std::string topology_json(uint8_t v) {
  const char* policies[] = {"originating_port_id", "source_mac_hash", "ip_hash", "explicit_failover"};
  const std::string policy = policies[v & 3];
  const std::string forged = (v & 4) ? "false" : "true";
  const std::string promisc = (v & 8) ? "true" : "false";
  const std::string learn_policy = (v & 16) ? "allow" : "drop";
  auto host = [&](const std::string& h, int n) {
    auto mac = [&](int k) {
      char b[32];
      std::snprintf(b, sizeof b, "02:00:00:%02x:00:%02x", n, k);
      return std::string(b);
    };
    auto pmac = [&](int k) {
      char b[32];
      std::snprintf(b, sizeof b, "00:50:56:%02x:00:%02x", n, k);
      return std::string(b);
    };
    std::string s = R"({"name": ")" + h + R"(", "pnics": [)";
    for (int k = 0; k < 4; ++k) {
      s += R"({"name": "vmnic)" + std::to_string(k) + R"(", "mac": ")" + pmac(k) + R"(", "speed_mbps": 1000, "physical_port": ")" +
           h + "-p" + std::to_string(k) + "\"}";
      s += k < 3 ? "," : "";
    }
    s += R"(], "switches": [{"name": "vs", "uplinks": ["vmnic0", "vmnic1"], "port_groups": [
      {"name": "v0", "vlan": 0, "teaming": {"policy": ")" + policy + R"("}},
      {"name": "v10", "vlan": 10, "security": {"promiscuous": )" + promisc + R"(, "forged_transmits": )" + forged +
         R"(}, "teaming": {"policy": ")" + policy + R"("}},
      {"name": "v20", "vlan": 20},
      {"name": "vt", "vlan": 4095}]}],
      "netstacks": [{"name": "default", "vmknics": [{"name": "vmk0", "mac": ")" + mac(9) +
         R"(", "switch": "vs", "port_group": "v10", "ip": "10.0.0.)" + std::to_string(n) + R"(/24"}]}],
      "vms": [
        {"name": "a", "vnics": [{"name": "e0", "mac": ")" + mac(1) + R"(", "switch": "vs", "port_group": "v0"},
                                {"name": "e1", "mac": ")" + mac(2) + R"(", "switch": "vs", "port_group": "v10"},
                                {"name": "e2", "mac": ")" + mac(3) + R"(", "switch": "d", "port_group": "dp"}]},
        {"name": "b", "vnics": [{"name": "e0", "mac": ")" + mac(4) + R"(", "switch": "vs", "port_group": "v10"},
                                {"name": "e1", "mac": ")" + mac(5) + R"(", "switch": "vs", "port_group": "v20"},
                                {"name": "e2", "mac": ")" + mac(6) + R"(", "switch": "d", "port_group": "di"}]},
        {"name": "c", "vnics": [{"name": "e0", "mac": ")" + mac(7) + R"(", "switch": "vs", "port_group": "vt"},
                                {"name": "e1", "mac": ")" + mac(8) + R"(", "switch": "d", "port_group": "dc"},
                                {"name": "e2", "mac": ")" + mac(10) + R"(", "switch": "d", "port_group": "dc2"},
                                {"name": "e3", "mac": ")" + mac(11) + R"(", "switch": "d", "port_group": "d30"},
                                {"name": "e4", "mac": ")" + mac(12) + R"(", "switch": "d", "port_group": "dlearn"},
                                {"name": "e5", "mac": ")" + mac(13) + R"(", "switch": "d", "port_group": "dtrunk"}]}]})";
    return s;
  };
  std::string s = R"({"physical_network": {"name": "tor", "ports": [)";
  for (const char* h : {"h1", "h2"})
    for (int k = 0; k < 4; ++k) s += R"({"name": ")" + std::string(h) + "-p" + std::to_string(k) + "\"},";
  s += R"({"name": "ext"}]}, "hosts": [)" + host("h1", 1) + "," + host("h2", 2) + R"(],
    "distributed_switches": [{"name": "d", "uplinks": ["u1", "u2"],
      "pvlans": [{"primary": 100, "secondary": 100, "type": "promiscuous"},
                 {"primary": 100, "secondary": 101, "type": "isolated"},
                 {"primary": 100, "secondary": 102, "type": "community"},
                 {"primary": 100, "secondary": 103, "type": "community"}],
      "port_groups": [{"name": "dp", "pvlan": 100}, {"name": "di", "pvlan": 101}, {"name": "dc", "pvlan": 102},
                      {"name": "dc2", "pvlan": 103},
                      {"name": "d30", "vlan": 30, "teaming": {"policy": "load_based"},
                       "security": {"forged_transmits": true, "mac_changes": true}},
                      {"name": "dlearn", "vlan": 30, "mac_learning": {"enabled": true, "limit": 3, "limit_policy": ")" +
       learn_policy + R"(", "aging_seconds": 20}},
                      {"name": "dtrunk", "vlan_trunk": [[0, 50], [100, 103]]}],
      "hosts": [{"host": "h1", "uplinks": {"u1": "vmnic2", "u2": "vmnic3"}},
                {"host": "h2", "uplinks": {"u1": "vmnic2", "u2": "vmnic3"}}]}]})";
  return s;
}

// Which wire VLANs a port may receive (the oracle, from the configuration).
struct PortRule {
  vswitch::VlanMode mode = vswitch::VlanMode::kNone;
  uint16_t vlan = 0;
  std::vector<vswitch::VlanRange> trunk;
};
struct Pvlan {
  uint16_t primary;
  vswitch::PvlanType type;
};

class Harness {
 public:
  explicit Harness(uint8_t variant) {
    // Parsed once per variant: the schema loader is fuzzed elsewhere, the switches here.
    static std::map<uint8_t, host::TopologyConfig> parsed;
    const uint8_t v = variant & 0x1f;
    if (parsed.count(v) == 0) {
      auto cfg = host::load_topology(topology_json(v));
      if (!cfg) violation("fuzz topology does not load: " + cfg.error().to_string());
      parsed[v] = *cfg;
    }
    cfg_ = parsed[v];
    host::BuildOptions bo;
    bo.mac_table_entries = 256;  // small tables: building the topology dominates an input's cost
    bo.queue_packets = 256;
    auto t = host::Topology::build(cfg_, pool(), clock_, wheel_, bo);
    if (!t) violation("fuzz topology does not build: " + t.error());
    topo_ = std::move(*t);
    topo_->add_to(runner_);
    for (const auto& e : cfg_.distributed_switches[0].pvlans) pvlan_[e.secondary] = {e.primary, e.type};
    // Port rules and recorders.
    for (const auto& h : cfg_.hosts) {
      auto rule_of = [&](const host::PortAttachment& pa) {
        PortRule r;
        const std::vector<vswitch::PortGroupConfig>* groups = nullptr;
        for (const auto& sw : h.switches)
          if (sw.name == pa.switch_name) groups = &sw.port_groups;
        if (groups == nullptr) groups = &cfg_.distributed_switches[0].port_groups;
        for (const auto& g : *groups)
          if (g.name == pa.port_group) {
            r.mode = g.vlan.mode;
            r.vlan = g.vlan.vlan;
            r.trunk = g.vlan.trunk;
          }
        return r;
      };
      for (const auto& ns : h.netstacks)
        for (const auto& vk : ns.vmknics) add_port(h.name + "/" + vk.port.name, rule_of(vk.port));
      for (const auto& vm : h.vms)
        for (const auto& n : vm.vnics) add_port(h.name + "/" + vm.name + "." + n.name, rule_of(n));
    }
    for (auto* sw : topo_->switches()) {
      sw->set_drop_observer([this](const core::Packet& p, PortId, vswitch::DropReason) { fate(p.meta.user); });
      for (PortId u : sw->uplinks()) uplinks_[sw].insert(u);
    }
    topo_->physical()->set_drop_observer([this](const core::Packet& p, uint32_t, vswitch::PhysDropReason) { fate(p.meta.user); });
    topo_->set_uplink_tap([this](vswitch::VirtualSwitch& sw, PortId, const core::PacketBatch& b) {
      for (const core::Packet* p : b) {
        if (uplinks_[&sw].count(p->meta.ingress_port) != 0 && p->meta.user != 0)
          violation("uplink-to-uplink forwarding on " + sw.name());
      }
    });
    ext_ = topo_->physical()->port_by_name("ext");
    topo_->physical()->set_device(ext_, &ext_sink_);
  }

  static core::BufferPool& pool() {
    static core::BufferPool p(8192);
    return p;
  }

  void add_port(const std::string& name, PortRule rule) {
    host::PortRef ref = topo_->port(name);
    if (!ref) violation("missing port " + name);
    names_.push_back(name);
    rules_.push_back(rule);
    const size_t idx = rules_.size() - 1;
    ref.guest->set_handler([this, idx](PortId, core::PacketBatch& b) {
      for (const core::Packet* p : b) check_delivery(idx, *p);
    });
  }

  void check_delivery(size_t idx, const core::Packet& p) {
    const uint64_t id = p.meta.user;
    fate(id);
    auto it = wire_vlan_.find(id);
    if (id == 0 || it == wire_vlan_.end() || it->second < 0) return;  // generated or tag unknown
    const uint16_t w = static_cast<uint16_t>(it->second);
    const PortRule& r = rules_[idx];
    bool ok = false;
    switch (r.mode) {
      case vswitch::VlanMode::kNone: ok = w == 0; break;
      case vswitch::VlanMode::kAccess: ok = w == r.vlan; break;
      case vswitch::VlanMode::kTrunk:
        for (const auto& range : r.trunk) ok |= range.contains(w);
        break;
      case vswitch::VlanMode::kPvlan: {
        auto src = pvlan_.find(w);
        const Pvlan dst = pvlan_.at(r.vlan);
        if (src == pvlan_.end() || src->second.primary != dst.primary) break;
        ok = src->second.type == vswitch::PvlanType::kPromiscuous || dst.type == vswitch::PvlanType::kPromiscuous ||
             (src->second.type == vswitch::PvlanType::kCommunity && w == r.vlan);
        break;
      }
    }
    if (!ok) violation("frame " + std::to_string(id) + " of wire VLAN " + std::to_string(w) + " delivered to " + names_[idx]);
  }

  void fate(uint64_t id) {
    if (id != 0) ++fates_[id];
  }

  // The wire VLAN a frame has once it left its source port (-1: dropped at input anyway).
  int wire_vlan_for(size_t port, int tag) const {
    const PortRule& r = rules_[port];
    switch (r.mode) {
      case vswitch::VlanMode::kNone: return tag <= 0 ? 0 : -1;
      case vswitch::VlanMode::kAccess: return tag <= 0 ? r.vlan : -1;
      case vswitch::VlanMode::kTrunk: return tag < 0 ? 0 : tag;
      case vswitch::VlanMode::kPvlan: return tag <= 0 ? r.vlan : -1;
    }
    return -1;
  }

  void inject(const uint8_t*& d, const uint8_t* end) {
    auto next = [&]() -> uint8_t { return d < end ? *d++ : 0; };
    const uint8_t where = next(), dsel = next(), ssel = next(), vsel = next(), len = next(), seed = next();
    const size_t nports = names_.size();
    const bool external = where % (nports + 1) == nports;
    const size_t port = where % (nports + 1);
    // Destination: a known MAC, broadcast, multicast, BPDU, beacon-looking, or random.
    uint8_t frame[256] = {};
    auto put_mac = [&](uint8_t* at, uint8_t sel) {
      const uint8_t kind = sel % 8;
      if (kind < 4) {
        const uint8_t h = 1 + (sel >> 3) % 2, k = 1 + (sel >> 4) % 13;
        const uint8_t m[6] = {0x02, 0, 0, h, 0, k};
        std::copy(m, m + 6, at);
      } else if (kind == 4) {
        std::fill(at, at + 6, 0xff);
      } else if (kind == 5) {
        const uint8_t m[6] = {0x01, 0x00, 0x5e, 0, 0, sel};
        std::copy(m, m + 6, at);
      } else if (kind == 6) {
        const uint8_t m[6] = {0x01, 0x80, 0xc2, 0, 0, 0};
        std::copy(m, m + 6, at);
      } else {
        const uint8_t m[6] = {static_cast<uint8_t>(sel & 0xfe), seed, 3, 4, 5, sel};
        std::copy(m, m + 6, at);
      }
    };
    put_mac(frame, dsel);
    put_mac(frame + 6, ssel);
    frame[6] &= 0xfe;  // sources are unicast
    // VLAN: none, in-band tag, or out-of-band tag, from a small list of interesting ids.
    static const uint16_t kVids[] = {0, 10, 20, 30, 100, 101, 102, 103, 4095, 7};
    const int vid = (vsel & 0x0f) < 10 ? kVids[vsel & 0x0f] : -1;
    const bool inband = (vsel & 0x10) != 0;
    size_t off = 12;
    uint16_t meta_tci = 0;
    if (vid >= 0 && inband) {
      frame[12] = 0x81;
      frame[13] = 0x00;
      frame[14] = static_cast<uint8_t>(vid >> 8);
      frame[15] = static_cast<uint8_t>(vid);
      off = 16;
    } else if (vid > 0) {
      meta_tci = static_cast<uint16_t>(vid);
    }
    const uint16_t ets[] = {0x0800, 0x0806, 0x8035, 0x88b5, 0x86dd, 0x0026};
    frame[off] = static_cast<uint8_t>(ets[seed % 6] >> 8);
    frame[off + 1] = static_cast<uint8_t>(ets[seed % 6]);
    for (size_t i = off + 2; i < sizeof frame; ++i) frame[i] = static_cast<uint8_t>(seed * i + 7);
    const size_t flen = len % 8 == 0 ? len % 14 : 14 + len % 200;  // sometimes a runt
    send(external, port, std::span<const uint8_t>(frame, flen), meta_tci);
  }

  // A frame given whole in the input (the Scapy seeds): port, out-of-band VID index,
  // length, bytes.
  void inject_raw(const uint8_t*& d, const uint8_t* end) {
    auto next = [&]() -> uint8_t { return d < end ? *d++ : 0; };
    const uint8_t where = next(), vsel = next(), len = next();
    const size_t n = std::min<size_t>(len, static_cast<size_t>(end - d));
    std::span<const uint8_t> bytes(d, n);
    d += n;
    static const uint16_t kVids[] = {0, 10, 20, 30, 100, 101, 102, 103};
    const size_t nports = names_.size();
    send(where % (nports + 1) == nports, where % (nports + 1), bytes, kVids[vsel % 8]);
  }

  void send(bool external, size_t port, std::span<const uint8_t> bytes, uint16_t meta_tci) {
    core::PacketPtr p = pool().alloc_copy(bytes);
    if (!p) violation("pool exhausted: something leaked");
    const uint64_t id = ++next_id_;
    p->meta.user = id;
    p->meta.vlan_tci = meta_tci;
    // The tag the switch will see: out of band first, else an in-band 802.1Q/802.1ad tag.
    int tag = -1;
    if (meta_tci != 0) {
      tag = meta_tci & 0x0fff;
    } else if (bytes.size() >= 16 && ((bytes[12] == 0x81 && bytes[13] == 0x00) || (bytes[12] == 0x88 && bytes[13] == 0xa8))) {
      tag = ((bytes[14] << 8) | bytes[15]) & 0x0fff;
    }
    if (tag == 4095) tag = -2;
    core::PacketBatch b;
    (void)b.push(std::move(p));
    if (external) {
      wire_vlan_[id] = tag == -2 ? -1 : (tag < 0 ? 0 : tag);
      topo_->physical()->receive(ext_, b);
    } else {
      wire_vlan_[id] = tag == -2 ? -1 : wire_vlan_for(port, tag);
      topo_->port(names_[port]).transmit(b);
    }
    injected_.push_back(id);
  }

  void step(const uint8_t*& d, const uint8_t* end) {
    const uint8_t op = *d++;
    switch (op % 10) {
      case 0: case 1: case 2: case 3: case 4: inject(d, end); break;
      case 5: inject_raw(d, end); break;
      case 6: {  // link event on one of the pNICs
        const uint8_t sel = d < end ? *d++ : 0;
        const std::string h = (sel & 1) ? "h2" : "h1";
        const std::string pnic = "vmnic" + std::to_string((sel >> 1) % 4);
        (void)topo_->set_pnic_link(h, pnic, (sel & 0x10) != 0);
        break;
      }
      case 7: {  // virtual time passes (beacons, LBT, aging)
        const uint8_t t = d < end ? *d++ : 0;
        runner_.advance_by(std::chrono::milliseconds(50) * (1 + t));
        break;
      }
      case 8: {  // a guest changes its MAC
        const uint8_t sel = d < end ? *d++ : 0;
        host::PortRef r = topo_->port(names_[sel % names_.size()]);
        (void)r.sw->set_effective_mac(r.id, wire::MacAddress(0x02, 0, 0, 9, 9, sel));
        break;
      }
      default: {  // a burst of the same injection
        const uint8_t* save = d;
        for (int i = 0; i < 4; ++i) {
          d = save;
          inject(d, end);
        }
        break;
      }
    }
    runner_.run_until_idle();
    check_accounting();
  }

  void check_accounting() {
    if (topo_->in_flight() != 0) violation("frames left in flight after run_until_idle");
    for (auto* sw : topo_->switches()) {
      const auto s = sw->stats();
      if (s.injected + s.generated + s.copies != s.delivered + s.dropped)
        violation("accounting of " + sw->name() + ": injected " + std::to_string(s.injected) + " + generated " +
                  std::to_string(s.generated) + " + copies " + std::to_string(s.copies) + " != delivered " +
                  std::to_string(s.delivered) + " + dropped " + std::to_string(s.dropped));
      if (sw->drops().total() != s.dropped) violation("drops without a reason on " + sw->name());
    }
    const auto& ps = topo_->physical()->stats();
    if (ps.injected + ps.copies != ps.delivered + ps.dropped) violation("physical network accounting");
    for (uint64_t id : injected_)
      if (fates_[id] == 0) violation("frame " + std::to_string(id) + " vanished: neither delivered nor dropped");
    injected_.clear();
  }

  ~Harness() {
    topo_.reset();
    if (pool().stats().in_use != 0) violation("buffers leaked: " + std::to_string(pool().stats().in_use));
  }

 private:
  // The external port of the physical network: what reaches it is delivered.
  class Sink final : public vswitch::PortEndpoint {
   public:
    explicit Sink(Harness& h) : h_(h) {}
    void deliver(PortId, core::PacketBatch& b) override {
      for (const core::Packet* p : b) h_.fate(p->meta.user);
    }

   private:
    Harness& h_;
  };

  host::TopologyConfig cfg_;
  core::VirtualClock clock_;
  core::TimerWheel wheel_{clock_};
  dispatch::DeterministicRunner runner_{clock_, wheel_};
  std::unique_ptr<host::Topology> topo_;
  std::vector<std::string> names_;
  std::vector<PortRule> rules_;
  std::map<uint16_t, Pvlan> pvlan_;
  std::map<vswitch::VirtualSwitch*, std::set<PortId>> uplinks_;
  std::map<uint64_t, int> wire_vlan_;
  std::map<uint64_t, uint32_t> fates_;
  std::vector<uint64_t> injected_;
  uint64_t next_id_ = 0;
  uint32_t ext_ = 0;
  Sink ext_sink_{*this};
};

}  // namespace
}  // namespace vnetref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  vnetref::fuzz::Harness h(data[0]);
  const uint8_t* d = data + 1;
  const uint8_t* end = data + std::min<size_t>(size, 1 + 64 * 8);  // bounded work per input
  while (d < end) h.step(d, end);
  return 0;
}
