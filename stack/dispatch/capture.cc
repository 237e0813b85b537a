#include "stack/dispatch/capture.h"

#include <algorithm>
#include <cstring>

namespace vnetref::dispatch {

const char* name_of(CapturePoint p) {
  switch (p) {
    case CapturePoint::kPortInput: return "PortInput";
    case CapturePoint::kInputPreChain: return "InputPreChain";
    case CapturePoint::kInputPostChain: return "InputPostChain";
    case CapturePoint::kOutputPreChain: return "OutputPreChain";
    case CapturePoint::kOutputPostChain: return "OutputPostChain";
    case CapturePoint::kPortOutput: return "PortOutput";
    case CapturePoint::kDrop: return "Drop";
    case CapturePoint::kCount: break;
  }
  return "?";
}

Capture::Capture(std::ostream& out, const core::Clock& clock, CaptureFilter filter, std::string name)
    : writer_(out, name), clock_(clock), filter_(filter) {
  if (filter_.snaplen < 64) filter_.snaplen = 64;
  if (filter_.snaplen > 262144) filter_.snaplen = 262144;
}

uint32_t Capture::interface_for(uint32_t port, std::string_view port_name, CapturePoint p) {
  const auto key = std::make_pair(port, static_cast<uint8_t>(p));
  auto it = interfaces_.find(key);
  if (it != interfaces_.end()) return it->second;
  // Built with append(): GCC 12 at -O3 reports a false -Wrestrict on operator+ chains.
  std::string name;
  name.append(port_name).append("@").append(name_of(p));
  const uint32_t id = writer_.add_interface(name, core::kLinkTypeEthernet, filter_.snaplen);
  interfaces_.emplace(key, id);
  return id;
}

void Capture::write(uint32_t port, std::string_view port_name, CapturePoint p, const core::Packet& pkt,
                    std::string_view note) {
  if (stats_.written >= filter_.max_packets) {
    ++stats_.skipped_bound;
    return;
  }
  const uint16_t tci = pkt.meta.vlan_tci;
  const uint32_t tag_len = tci != 0 ? 4 : 0;
  const uint32_t orig = pkt.pkt_len + tag_len;
  const uint32_t take = std::min<uint32_t>(orig, filter_.snaplen);
  scratch_.resize(take);
  // Linearise the chain, re-inserting the out-of-band tag after the two MACs.
  uint32_t out = 0;
  uint32_t frame_off = 0;
  auto emit_byte_range = [&](const uint8_t* src, uint32_t n) {
    for (uint32_t i = 0; i < n && out < take; ++i, ++frame_off) {
      if (tag_len != 0 && frame_off == 12) {
        const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(tci >> 8), static_cast<uint8_t>(tci)};
        for (uint8_t b : tag)
          if (out < take) scratch_[out++] = b;
        if (out >= take) break;
      }
      scratch_[out++] = src[i];
    }
  };
  for (const core::Packet* s = &pkt; s != nullptr && out < take; s = s->next) emit_byte_range(s->data(), s->data_len);
  scratch_.resize(out);
  const uint32_t id = interface_for(port, port_name, p);
  std::string comment;
  comment.append(name_of(p)).append(" port ").append(std::to_string(port));
  if (!note.empty()) comment.append(" ").append(note);
  writer_.write(id, clock_.now(), scratch_, comment, orig);
  ++stats_.written;
}

void Capture::write_batch(uint32_t port, std::string_view port_name, CapturePoint p, const core::PacketBatch& b) {
  for (const core::Packet* pkt : b)
    if (pkt != nullptr) write(port, port_name, p, *pkt);
}

void CaptureSet::detach(Capture* c) { captures_.erase(std::remove(captures_.begin(), captures_.end(), c), captures_.end()); }

}  // namespace vnetref::dispatch
