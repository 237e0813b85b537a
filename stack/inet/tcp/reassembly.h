// The bounded out-of-order queue (RFC 9293 3.10.7.4 "segment text", RFC 2018 SACK
// block generation).
//
// Segments above RCV.NXT wait here, sorted and non-overlapping: on overlap the
// bytes that arrived first are kept and the newcomer is trimmed (payload chains
// are trimmed with mbuf::adj, never copied). The queue holds at most
// `max_segments` entries (net.inet.tcp.reass.maxqueuelen); beyond that a segment is
// refused and counted, and the sender retransmits it later.
#pragma once

#include <cstdint>
#include <deque>
#include <span>

#include "stack/core/packet.h"
#include "stack/wire/seq.h"
#include "stack/wire/tcp.h"

namespace vnetref::inet::tcp {

using wire::SeqNum;

class Reassembly {
 public:
  enum class Insert : uint8_t { kQueued, kDuplicate, kOverflow };

  // `data` holds exactly `len` payload bytes (null when len == 0, i.e. a bare FIN).
  Insert insert(SeqNum seq, core::PacketPtr data, uint32_t len, bool fin, uint32_t max_segments);

  // Delivers the segments that now start at `rcv_nxt`, advancing it past each:
  // deliver(PacketPtr payload /*may be null*/, uint32_t len, bool fin). Stops after a FIN.
  template <typename F>
  void pull(SeqNum& rcv_nxt, F&& deliver) {
    while (!q_.empty()) {
      Seg& s = q_.front();
      if (s.seq > rcv_nxt) return;
      int32_t dup = rcv_nxt - s.seq;  // bytes already delivered (>= 0)
      if (static_cast<uint32_t>(dup) >= s.len && !(s.fin && static_cast<uint32_t>(dup) == s.len)) {
        bytes_ -= s.len;
        q_.pop_front();
        continue;
      }
      trim_front(s, static_cast<uint32_t>(dup));
      Seg taken = std::move(s);
      q_.pop_front();
      bytes_ -= taken.len;
      rcv_nxt += taken.len;
      bool fin = taken.fin;
      deliver(std::move(taken.data), taken.len, fin);
      if (fin) {
        clear();
        return;
      }
    }
  }

  // Up to out.size() SACK blocks, the one holding the most recent arrival first
  // (RFC 2018 section 4), then other recent ones. Returns how many.
  size_t sack_blocks(std::span<wire::SackBlock> out) const;

  size_t segments() const { return q_.size(); }
  uint32_t bytes() const { return bytes_; }
  bool empty() const { return q_.empty(); }
  void clear();

 private:
  struct Seg {
    SeqNum seq;
    uint32_t len = 0;
    core::PacketPtr data;
    bool fin = false;
    SeqNum end() const { return seq + len; }
  };
  static void trim_front(Seg& s, uint32_t n);
  static void trim_back(Seg& s, uint32_t n);

  std::deque<Seg> q_;
  uint32_t bytes_ = 0;
  SeqNum recent_[4];  // starts of the most recent arrivals, newest first
  uint8_t recent_count_ = 0;
};

}  // namespace vnetref::inet::tcp
