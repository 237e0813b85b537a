// IPFIX flow export (RFC 7011) for the distributed switch.
//
// Frames are observed after switching (so the egress port is known), optionally
// sampled 1-in-N; IPv4 frames are keyed on the 5-tuple plus VLAN and ingress port.
// Records expire on the idle timeout (15 s) or the active timeout (60 s), as the
// vSphere defaults, and leave as IPFIX messages (template set + data set, both in
// every message so a collector joining late can decode at once). The flow table is
// bounded; flows that do not fit are counted, never silently lost.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "stack/core/clock.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"

namespace vnetref::vswitch {

struct IpfixConfig {
  bool enabled = false;
  wire::Ipv4Address collector_ip;
  uint16_t collector_port = 4739;
  wire::Ipv4Address switch_ip;          // the exporter's source address
  wire::MacAddress collector_next_hop;  // destination MAC of export frames
  uint32_t observation_domain = 0;
  uint32_t active_timeout_s = 60;
  uint32_t idle_timeout_s = 15;
  uint32_t sampling_rate = 0;  // 0 or 1: every frame; N: one in N
  bool internal_flows_only = false;
  uint32_t max_flows = 65536;
};

struct FlowKey {
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;
  uint16_t vlan = 0;
  uint32_t in_port = 0;
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

struct FlowRecord {
  FlowKey key;
  uint32_t out_port = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  uint8_t end_reason = 0;  // RFC 5102 flowEndReason: 1 idle, 2 active, 4 end of flow (flush)
};

struct IpfixStats {
  uint64_t observed = 0;
  uint64_t sampled_out = 0;
  uint64_t non_ip = 0;
  uint64_t table_full = 0;  // frames of new flows not recorded: table at its bound
  uint64_t records_exported = 0;
  uint64_t messages = 0;
};

class FlowExporter {
 public:
  static constexpr uint16_t kTemplateId = 256;
  using Sink = std::function<void(std::span<const uint8_t> message)>;

  explicit FlowExporter(IpfixConfig cfg) : cfg_(cfg) {}
  void set_sink(Sink s) { sink_ = std::move(s); }
  const IpfixConfig& config() const { return cfg_; }

  // One frame (starting at the Ethernet header, VLAN out of band) seen going
  // in_port -> out_port.
  void observe(std::span<const uint8_t> frame, uint32_t frame_len, uint16_t vlan, uint32_t in_port,
               uint32_t out_port, int64_t now_ns);
  // Exports every record whose timeout passed; returns how many.
  uint32_t expire(int64_t now_ns);
  // Exports everything (end of flow).
  uint32_t flush(int64_t now_ns);
  size_t flows() const { return flows_.size(); }
  const IpfixStats& stats() const { return stats_; }

  // Encodes one IPFIX message (exposed for tests and tools).
  std::vector<uint8_t> encode(const std::vector<FlowRecord>& records, int64_t now_ns);

 private:
  struct KeyHash {
    size_t operator()(const FlowKey& k) const;
  };
  void export_records(std::vector<FlowRecord>& recs, int64_t now_ns);

  IpfixConfig cfg_;
  Sink sink_;
  std::unordered_map<FlowKey, FlowRecord, KeyHash> flows_;
  uint64_t sample_counter_ = 0;
  uint32_t sequence_ = 0;  // data records sent so far (RFC 7011 3.1)
  IpfixStats stats_;
};

}  // namespace vnetref::vswitch
