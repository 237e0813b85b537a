#include "stack/iochain/dfw/conntrack.h"

#include <algorithm>
#include <bit>

namespace vnetref::iochain::dfw {

const char* name_of(PeerState s) {
  switch (s) {
    case PeerState::kClosed: return "CLOSED";
    case PeerState::kSynSent: return "SYN_SENT";
    case PeerState::kEstablished: return "ESTABLISHED";
    case PeerState::kClosing: return "CLOSING";
    case PeerState::kFinWait2: return "FIN_WAIT_2";
    case PeerState::kTimeWait: return "TIME_WAIT";
  }
  return "?";
}

ConnTable::ConnTable(uint32_t capacity) : entries_(capacity) {
  uint64_t n = 16;
  while (n < uint64_t{capacity} * 2) n <<= 1;
  slots_.assign(n, 0);
  mask_ = n - 1;
  free_.reserve(capacity);
  for (uint32_t i = capacity; i > 0; --i) free_.push_back(i - 1);
}

uint32_t ConnTable::hash_of(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto) {
  // Order the endpoints so both directions produce the same key.
  const uint64_t e1 = (uint64_t{src} << 16) | sport;
  const uint64_t e2 = (uint64_t{dst} << 16) | dport;
  const uint64_t lo = std::min(e1, e2), hi = std::max(e1, e2);
  uint64_t h = lo * 0x9e3779b97f4a7c15ull;
  h ^= (hi + proto) * 0xc2b2ae3d27d4eb4full;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return static_cast<uint32_t>(h);
}

std::optional<ConnTable::Hit> ConnTable::find(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                              uint8_t proto) const {
  const uint32_t h = hash_of(src, dst, sport, dport, proto);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const uint64_t s = slots_[i];
    if (s == 0) return std::nullopt;
    if (static_cast<uint32_t>(s >> 32) != h) continue;
    const uint32_t idx = static_cast<uint32_t>(s) - 1;
    const Conn& c = entries_[idx];
    if (c.proto != proto) continue;
    if (c.a_ip == src && c.b_ip == dst && c.a_port == sport && c.b_port == dport) return Hit{idx, true};
    if (c.a_ip == dst && c.b_ip == src && c.a_port == dport && c.b_port == sport) return Hit{idx, false};
  }
}

void ConnTable::index_insert(uint32_t idx) {
  const uint32_t h = entries_[idx].hash;
  uint64_t i = h & mask_;
  while (slots_[i] != 0) i = (i + 1) & mask_;
  slots_[i] = (uint64_t{h} << 32) | (uint64_t{idx} + 1);
}

Conn* ConnTable::insert(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t proto, uint32_t* idx_out) {
  if (free_dirty_) rebuild_free_list();
  if (free_.empty()) return nullptr;
  const uint32_t idx = free_.back();
  free_.pop_back();
  Conn& c = entries_[idx];
  c = Conn{};
  c.a_ip = src;
  c.b_ip = dst;
  c.a_port = sport;
  c.b_port = dport;
  c.proto = proto;
  c.in_use = 1;
  c.hash = hash_of(src, dst, sport, dport, proto);
  index_insert(idx);
  ++used_;
  high_ = std::max(high_, idx + 1);
  if (idx_out != nullptr) *idx_out = idx;
  return &c;
}

bool ConnTable::insert_at(uint32_t idx, const Conn& src) {
  if (idx >= entries_.size() || entries_[idx].in_use) return false;
  Conn& c = entries_[idx];
  c = src;
  c.in_use = 1;
  c.hash = hash_of(c.a_ip, c.b_ip, c.a_port, c.b_port, c.proto);
  index_insert(idx);
  ++used_;
  high_ = std::max(high_, idx + 1);
  free_dirty_ = true;
  return true;
}

void ConnTable::rebuild_free_list() {
  // Every unused index, highest first, so allocation continues from the lowest.
  free_.clear();
  for (uint32_t i = static_cast<uint32_t>(entries_.size()); i > 0; --i) {
    if (!entries_[i - 1].in_use) free_.push_back(i - 1);
  }
  free_dirty_ = false;
}

void ConnTable::erase(uint32_t idx) {
  Conn& c = entries_[idx];
  if (!c.in_use) return;
  const uint64_t want = (uint64_t{c.hash} << 32) | (uint64_t{idx} + 1);
  uint64_t i = c.hash & mask_;
  while (slots_[i] != want) i = (i + 1) & mask_;
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  slots_[i] = 0;
  uint64_t j = i;
  for (;;) {
    j = (j + 1) & mask_;
    const uint64_t s = slots_[j];
    if (s == 0) break;
    const uint64_t home = (s >> 32) & mask_;
    const bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      slots_[i] = s;
      slots_[j] = 0;
      i = j;
    }
  }
  c.in_use = 0;
  --used_;
  free_.push_back(idx);  // LIFO reuse: O(1) and deterministic
}

void ConnTable::clear() {
  std::fill(slots_.begin(), slots_.end(), 0);
  for (uint32_t i = 0; i < high_; ++i) entries_[i].in_use = 0;
  free_.clear();
  for (uint32_t i = static_cast<uint32_t>(entries_.size()); i > 0; --i) free_.push_back(i - 1);
  used_ = 0;
  high_ = 0;
  free_dirty_ = false;
}

uint32_t ConnTable::purge(int64_t now_ns) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < high_; ++i) {
    if (entries_[i].in_use && entries_[i].expires_ns <= now_ns) {
      erase(i);
      ++n;
    }
  }
  while (high_ > 0 && !entries_[high_ - 1].in_use) --high_;
  return n;
}

// ---- TCP ---------------------------------------------------------------------------

namespace {
constexpr uint16_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
constexpr uint32_t kMaxAckWindow = 65535 + 1500;  // slack for acks of in-flight data

inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_leq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
inline bool seq_geq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

uint32_t seg_end(const PacketInfo& pi) {
  return pi.seq + pi.l4_payload_len + ((pi.tcp_flags & kSyn) ? 1 : 0) + ((pi.tcp_flags & kFin) ? 1 : 0);
}

void init_peer(Peer& s, const Peer& d, const PacketInfo& pi) {
  s.seen = 1;
  s.seqlo = pi.seq;
  s.max_win = static_cast<uint16_t>(std::max<uint32_t>(pi.window, 1));
  if (pi.tcp_flags & kSyn) s.wscale = pi.wscale;
  const uint32_t dwin = d.seen ? (uint32_t{d.max_win} << ((d.wscale >= 0 && s.wscale >= 0) ? d.wscale : 0)) : 0;
  s.seqhi = seg_end(pi) + std::max<uint32_t>(dwin, 1);
}
}  // namespace

void tcp_init(Conn& c, const PacketInfo& pi, bool loose) {
  Peer& a = c.peer[0];
  init_peer(a, c.peer[1], pi);
  a.state = (pi.tcp_flags & kSyn) ? PeerState::kSynSent : PeerState::kEstablished;
  if (loose) {
    c.flags |= static_cast<uint8_t>(ConnFlag::kLoose);
    c.peer[1].state = PeerState::kEstablished;
    a.seqhi = seg_end(pi) + (uint32_t{65535} << 14);
  }
  a.seqlo = seg_end(pi);
  if (a.packets != 0xffff) ++a.packets;
}

TcpCheck tcp_track(Conn& c, bool from_initiator, const PacketInfo& pi) {
  Peer& s = c.peer[from_initiator ? 0 : 1];
  Peer& d = c.peer[from_initiator ? 1 : 0];
  const uint16_t fl = pi.tcp_flags;
  const bool loose = (c.flags & static_cast<uint8_t>(ConnFlag::kLoose)) != 0;

  if (!s.seen) {
    if (!from_initiator && !loose) {
      // The responder's first segment must be the SYN-ACK for the initiator's SYN
      // (or a RST refusing it).
      if (d.state == PeerState::kSynSent) {
        const bool synack = (fl & (kSyn | kAck)) == (kSyn | kAck) && pi.ack == d.seqlo;
        const bool refuse = (fl & kRst) != 0 && (fl & kAck) != 0 && pi.ack == d.seqlo;
        if (!synack && !refuse) return TcpCheck::kHandshake;
      }
    }
    init_peer(s, d, pi);
    if (loose) s.seqhi = seg_end(pi) + (uint32_t{65535} << 14);
  }

  const bool scaled = s.wscale >= 0 && d.wscale >= 0;
  const uint8_t sws = scaled ? static_cast<uint8_t>(s.wscale) : 0;
  const uint8_t dws = scaled ? static_cast<uint8_t>(d.wscale) : 0;
  // SYN segments carry an unscaled window (RFC 7323 2.2).
  const uint32_t win = (fl & kSyn) ? pi.window : (uint32_t{pi.window} << sws);
  const uint32_t end = seg_end(pi);
  const uint32_t ack = (fl & kAck) ? pi.ack : d.seqlo;
  const int32_t ackskew = static_cast<int32_t>(d.seqlo - ack);
  const bool d_known = d.seen;

  const bool in_window = seq_geq(s.seqhi, end) &&
                         (!d_known || seq_geq(pi.seq, s.seqlo - (std::max<uint32_t>(d.max_win, 1u) << dws))) &&
                         (!d_known || (ackskew >= -static_cast<int32_t>(kMaxAckWindow) &&
                                       ackskew <= static_cast<int32_t>(kMaxAckWindow << sws)));
  if (!in_window && !(loose && !d_known)) return TcpCheck::kBadWindow;

  if (pi.window > s.max_win) s.max_win = pi.window;
  if (seq_gt(end, s.seqlo)) s.seqlo = end;
  if ((fl & kAck) && seq_geq(ack + std::max<uint32_t>(win, 1), d.seqhi)) d.seqhi = ack + std::max<uint32_t>(win, 1);
  if (s.packets != 0xffff) ++s.packets;

  if ((fl & kSyn) && s.state < PeerState::kSynSent) s.state = PeerState::kSynSent;
  if ((fl & kFin) && s.state < PeerState::kClosing) s.state = PeerState::kClosing;
  if (fl & kAck) {
    if (d.state == PeerState::kSynSent) {
      d.state = PeerState::kEstablished;
    } else if (d.state == PeerState::kClosing && seq_geq(ack, d.seqlo)) {
      d.state = PeerState::kFinWait2;
    }
  }
  if (fl & kRst) {
    s.state = PeerState::kTimeWait;
    d.state = PeerState::kTimeWait;
  }
  (void)seq_lt;
  (void)seq_leq;
  return TcpCheck::kOk;
}

}  // namespace vnetref::iochain::dfw
