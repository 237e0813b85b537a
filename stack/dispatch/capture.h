// Capture points along a port's path, in the spirit of pktcap-uw's points, writing
// pcapng (one interface per capture point and port, with a per-packet comment).
//
// Capturing copies at most `snaplen` bytes of each frame into the writer; the
// out-of-band VLAN tag (PacketMeta::vlan_tci, the switch's internal form) is
// written back in-band so a capture shows what would be on the wire. A capture is
// bounded by `max_packets`; what it skipped past the bound is counted.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/batch.h"
#include "stack/core/clock.h"
#include "stack/core/pcap.h"

namespace vnetref::dispatch {

// Where along a port's path a frame is observed. Direction is relative to the
// port's endpoint: "input" frames come from the endpoint into the switch, "output"
// frames go from the switch to the endpoint.
enum class CapturePoint : uint8_t {
  kPortInput = 0,       // as the endpoint handed it over (pktcap-uw PortInput)
  kInputPreChain,       // before the port's IOChain, input direction (PreDVFilter)
  kInputPostChain,      // after the IOChain, input direction (PostDVFilter)
  kOutputPreChain,      // before the IOChain, output direction
  kOutputPostChain,     // after the IOChain, output direction
  kPortOutput,          // as handed to the endpoint (pktcap-uw PortOutput)
  kDrop,                // every frame dropped at this port, with the reason
  kCount
};
const char* name_of(CapturePoint p);

inline constexpr uint32_t point_bit(CapturePoint p) { return 1u << static_cast<uint32_t>(p); }
inline constexpr uint32_t kAllPoints = (1u << static_cast<uint32_t>(CapturePoint::kCount)) - 1;

struct CaptureFilter {
  uint32_t port = 0;               // 0: every port
  uint32_t points = kAllPoints;    // bit mask of CapturePoint
  uint32_t snaplen = 65535;
  uint64_t max_packets = 1u << 20;
};

struct CaptureStats {
  uint64_t written = 0;
  uint64_t skipped_bound = 0;  // frames past max_packets (not written)
};

// One capture file. Not thread-safe: owned by the worker that drives the ports it watches.
class Capture {
 public:
  Capture(std::ostream& out, const core::Clock& clock, CaptureFilter filter, std::string name = "vnetref");

  bool wants(uint32_t port, CapturePoint p) const {
    return (filter_.points & point_bit(p)) != 0 && (filter_.port == 0 || filter_.port == port);
  }
  // Writes one frame; `note` (e.g. a drop reason) goes into the packet comment.
  void write(uint32_t port, std::string_view port_name, CapturePoint p, const core::Packet& pkt,
             std::string_view note = {});
  void write_batch(uint32_t port, std::string_view port_name, CapturePoint p, const core::PacketBatch& b);

  CaptureStats stats() const { return stats_; }
  const CaptureFilter& filter() const { return filter_; }

 private:
  uint32_t interface_for(uint32_t port, std::string_view port_name, CapturePoint p);

  core::PcapngWriter writer_;
  const core::Clock& clock_;
  CaptureFilter filter_;
  CaptureStats stats_;
  std::map<std::pair<uint32_t, uint8_t>, uint32_t> interfaces_;
  std::vector<uint8_t> scratch_;
};

// The capture points of one component: zero or more captures, checked with one
// branch on the data path when none is attached.
class CaptureSet {
 public:
  bool active() const { return !captures_.empty(); }
  void attach(Capture* c) { captures_.push_back(c); }
  void detach(Capture* c);
  void on_batch(uint32_t port, std::string_view port_name, CapturePoint p, const core::PacketBatch& b) {
    for (Capture* c : captures_)
      if (c->wants(port, p)) c->write_batch(port, port_name, p, b);
  }
  void on_packet(uint32_t port, std::string_view port_name, CapturePoint p, const core::Packet& pkt,
                 std::string_view note = {}) {
    for (Capture* c : captures_)
      if (c->wants(port, p)) c->write(port, port_name, p, pkt, note);
  }

 private:
  std::vector<Capture*> captures_;
};

}  // namespace vnetref::dispatch
