#include "stack/vswitch/ipfix.h"

#include <algorithm>
#include <tuple>

#include "stack/wire/bytes.h"

namespace vnetref::vswitch {

namespace {
// (information element id, length) of the template, RFC 7012 numbering.
struct Field {
  uint16_t id;
  uint16_t len;
};
constexpr Field kFields[] = {
    {8, 4},    // sourceIPv4Address
    {12, 4},   // destinationIPv4Address
    {4, 1},    // protocolIdentifier
    {7, 2},    // sourceTransportPort
    {11, 2},   // destinationTransportPort
    {58, 2},   // vlanId
    {10, 4},   // ingressInterface
    {14, 4},   // egressInterface
    {2, 8},    // packetDeltaCount
    {1, 8},    // octetDeltaCount
    {152, 8},  // flowStartMilliseconds
    {153, 8},  // flowEndMilliseconds
    {136, 1},  // flowEndReason
};
constexpr uint16_t kRecordLen = 4 + 4 + 1 + 2 + 2 + 2 + 4 + 4 + 8 + 8 + 8 + 8 + 1;
constexpr size_t kMaxRecordsPerMessage = 20;  // keeps a message well under a 1500-byte MTU

void put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  put16(v, static_cast<uint16_t>(x >> 16));
  put16(v, static_cast<uint16_t>(x));
}
void put64(std::vector<uint8_t>& v, uint64_t x) {
  put32(v, static_cast<uint32_t>(x >> 32));
  put32(v, static_cast<uint32_t>(x));
}
}  // namespace

size_t FlowExporter::KeyHash::operator()(const FlowKey& k) const {
  uint64_t h = (uint64_t{k.src} << 32) ^ k.dst;
  h ^= (uint64_t{k.sport} << 48) ^ (uint64_t{k.dport} << 32) ^ (uint64_t{k.proto} << 24) ^ (uint64_t{k.vlan} << 8);
  h ^= uint64_t{k.in_port} * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h * 0xff51afd7ed558ccdull);
}

void FlowExporter::observe(std::span<const uint8_t> frame, uint32_t frame_len, uint16_t vlan, uint32_t in_port,
                           uint32_t out_port, int64_t now_ns) {
  ++stats_.observed;
  if (cfg_.sampling_rate > 1 && (sample_counter_++ % cfg_.sampling_rate) != 0) {
    ++stats_.sampled_out;
    return;
  }
  if (frame.size() < 14 + 20 || wire::load_be16(frame, 12) != 0x0800 || (frame[14] >> 4) != 4) {
    ++stats_.non_ip;
    return;
  }
  const std::span<const uint8_t> ip = frame.subspan(14);
  const uint32_t ihl = (ip[0] & 0x0f) * 4u;
  if (ihl < 20 || ip.size() < ihl) {
    ++stats_.non_ip;
    return;
  }
  FlowKey k;
  k.src = wire::load_be32(ip, 12);
  k.dst = wire::load_be32(ip, 16);
  k.proto = ip[9];
  const bool first_fragment = (wire::load_be16(ip, 6) & 0x1fff) == 0;
  if (first_fragment && (k.proto == 6 || k.proto == 17) && ip.size() >= ihl + 4) {
    k.sport = wire::load_be16(ip, ihl);
    k.dport = wire::load_be16(ip, ihl + 2);
  }
  k.vlan = vlan;
  k.in_port = in_port;
  auto it = flows_.find(k);
  if (it == flows_.end()) {
    if (flows_.size() >= cfg_.max_flows) {
      ++stats_.table_full;
      return;
    }
    FlowRecord r;
    r.key = k;
    r.first_ns = now_ns;
    it = flows_.emplace(k, r).first;
  }
  FlowRecord& r = it->second;
  r.out_port = out_port;
  ++r.packets;
  r.bytes += frame_len;
  r.last_ns = now_ns;
}

uint32_t FlowExporter::expire(int64_t now_ns) {
  std::vector<FlowRecord> out;
  const int64_t idle = int64_t{cfg_.idle_timeout_s} * 1'000'000'000;
  const int64_t active = int64_t{cfg_.active_timeout_s} * 1'000'000'000;
  for (auto it = flows_.begin(); it != flows_.end();) {
    FlowRecord& r = it->second;
    if (now_ns - r.last_ns >= idle) {
      r.end_reason = 1;
      out.push_back(r);
      it = flows_.erase(it);
    } else if (now_ns - r.first_ns >= active) {
      // Active timeout: report the delta and keep counting from zero.
      r.end_reason = 2;
      out.push_back(r);
      r.packets = 0;
      r.bytes = 0;
      r.first_ns = now_ns;
      ++it;
    } else {
      ++it;
    }
  }
  export_records(out, now_ns);
  return static_cast<uint32_t>(out.size());
}

uint32_t FlowExporter::flush(int64_t now_ns) {
  std::vector<FlowRecord> out;
  for (auto& [k, r] : flows_) {
    r.end_reason = 4;
    out.push_back(r);
  }
  flows_.clear();
  export_records(out, now_ns);
  return static_cast<uint32_t>(out.size());
}

void FlowExporter::export_records(std::vector<FlowRecord>& recs, int64_t now_ns) {
  // Deterministic order (the hash map's is not): by start time, then key.
  std::sort(recs.begin(), recs.end(), [](const FlowRecord& a, const FlowRecord& b) {
    return std::tie(a.first_ns, a.key.src, a.key.dst, a.key.sport, a.key.dport, a.key.in_port) <
           std::tie(b.first_ns, b.key.src, b.key.dst, b.key.sport, b.key.dport, b.key.in_port);
  });
  for (size_t i = 0; i < recs.size(); i += kMaxRecordsPerMessage) {
    std::vector<FlowRecord> part(recs.begin() + static_cast<std::ptrdiff_t>(i),
                                 recs.begin() + static_cast<std::ptrdiff_t>(std::min(recs.size(), i + kMaxRecordsPerMessage)));
    std::vector<uint8_t> msg = encode(part, now_ns);
    ++stats_.messages;
    stats_.records_exported += part.size();
    if (sink_) sink_(msg);
  }
}

std::vector<uint8_t> FlowExporter::encode(const std::vector<FlowRecord>& records, int64_t now_ns) {
  std::vector<uint8_t> m;
  // Message header (RFC 7011 3.1): version 10, length, export time, sequence, domain.
  put16(m, 10);
  put16(m, 0);  // patched below
  put32(m, static_cast<uint32_t>(now_ns / 1'000'000'000));
  put32(m, sequence_);
  put32(m, cfg_.observation_domain);
  // Template set (id 2).
  const size_t nfields = sizeof(kFields) / sizeof(kFields[0]);
  put16(m, 2);
  put16(m, static_cast<uint16_t>(4 + 4 + 4 * nfields));
  put16(m, kTemplateId);
  put16(m, static_cast<uint16_t>(nfields));
  for (const Field& f : kFields) {
    put16(m, f.id);
    put16(m, f.len);
  }
  if (!records.empty()) {
    put16(m, kTemplateId);
    put16(m, static_cast<uint16_t>(4 + kRecordLen * records.size()));
    for (const FlowRecord& r : records) {
      put32(m, r.key.src);
      put32(m, r.key.dst);
      m.push_back(r.key.proto);
      put16(m, r.key.sport);
      put16(m, r.key.dport);
      put16(m, r.key.vlan);
      put32(m, r.key.in_port);
      put32(m, r.out_port);
      put64(m, r.packets);
      put64(m, r.bytes);
      put64(m, static_cast<uint64_t>(r.first_ns / 1'000'000));
      put64(m, static_cast<uint64_t>(r.last_ns / 1'000'000));
      m.push_back(r.end_reason);
    }
    sequence_ += static_cast<uint32_t>(records.size());
  }
  m[2] = static_cast<uint8_t>(m.size() >> 8);
  m[3] = static_cast<uint8_t>(m.size());
  return m;
}

}  // namespace vnetref::vswitch
