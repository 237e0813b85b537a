#include "stack/inet/reassembly.h"

#include <algorithm>

#include "stack/core/views.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace vnetref::inet {

Reassembler::Reassembler(core::TimerWheel& wheel, core::BufferPool& pool, const Tunables& tunables,
                         const InetTunableIds& ids, DropFn drop, TimeoutFn timeout)
    : wheel_(wheel), pool_(pool), tunables_(tunables), ids_(ids), drop_(std::move(drop)),
      timeout_(std::move(timeout)) {
  timer_.set_callback([this] { on_timer(); });
}

Reassembler::~Reassembler() {
  for (auto& q : queues_) {
    if (q->used) free_queue(*q);
  }
}

Reassembler::Queue* Reassembler::find(uint32_t src, uint32_t dst, uint16_t id, uint8_t proto) {
  for (auto& q : queues_) {
    if (q->used && q->id == id && q->src == src && q->dst == dst && q->proto == proto) return q.get();
  }
  return nullptr;
}

Reassembler::Queue* Reassembler::allocate() {
  const size_t limit = std::min<size_t>(kHardMaxQueues, static_cast<size_t>(tunables_.value(ids_.ip_maxfragpackets)));
  if (active_ >= limit) return nullptr;
  for (auto& q : queues_) {
    if (!q->used) {
      q->used = true;
      ++active_;
      return q.get();
    }
  }
  queues_.push_back(std::make_unique<Queue>());  // grows once up to the limit, then reused
  queues_.back()->used = true;
  ++active_;
  return queues_.back().get();
}

void Reassembler::free_queue(Queue& q) {
  for (uint32_t i = 0; i < q.nfrags; ++i) core::free_chain(q.frags[i].pkt);
  frags_total_ -= q.nfrags;
  if (q.first != nullptr) core::free_chain(q.first);
  q = Queue{};
  --active_;
}

void Reassembler::discard(Queue& q, InetDrop reason) {
  drop_(reason);
  ++stats_.discarded;
  free_queue(q);
}

core::PacketPtr Reassembler::input(core::PacketPtr fragment) {
  core::Packet& h = *fragment;
  const uint8_t* b = h.data();
  const uint32_t hlen = uint32_t{static_cast<uint8_t>(b[0] & 0x0f)} * 4;
  const uint32_t total = wire::load_be16({b, 4}, 2);
  const uint16_t id = wire::load_be16({b + 4, 2}, 0);
  const uint16_t ff = wire::load_be16({b + 6, 2}, 0);
  const bool mf = (ff & 0x2000) != 0;
  const uint32_t off = uint32_t{static_cast<uint16_t>(ff & 0x1fff)} * 8;
  const uint8_t proto = b[9];
  const uint32_t src = wire::load_be32({b + 12, 4}, 0);
  const uint32_t dst = wire::load_be32({b + 16, 4}, 0);
  const uint32_t len = total - hlen;

  // RFC 791: every fragment but the last carries a multiple of 8 octets.
  if (len == 0 || (mf && len % 8 != 0)) {
    drop_(InetDrop::kReassBadFragment);
    return {};
  }
  if (off + len + hlen > 65535) {
    drop_(InetDrop::kReassTooBig);
    return {};
  }
  Queue* q = find(src, dst, id, proto);
  if (frags_total_ >= static_cast<size_t>(tunables_.value(ids_.ip_maxfrags))) {
    drop_(InetDrop::kReassFragLimit);
    return {};
  }
  if (q == nullptr) {
    q = allocate();
    if (q == nullptr) {
      drop_(InetDrop::kReassQueueLimit);
      return {};
    }
    q->src = src;
    q->dst = dst;
    q->id = id;
    q->proto = proto;
    q->expiry = wheel_.clock().now() + std::chrono::seconds(tunables_.value(ids_.ip_fragttl));
    arm_timer();
  }
  const size_t per_packet =
      std::min<size_t>(kHardMaxFragsPerPacket, static_cast<size_t>(tunables_.value(ids_.ip_maxfragsperpacket)));
  if (q->nfrags >= per_packet) {
    discard(*q, InetDrop::kReassFragsPerPacket);
    return {};
  }
  const uint32_t end = off + len;
  // The last fragment fixes the end; everything must agree with it.
  if (!mf) {
    if ((q->have_last && q->end != end) || (q->nfrags > 0 && q->frags[q->nfrags - 1].off + q->frags[q->nfrags - 1].len > end)) {
      discard(*q, InetDrop::kReassBadFragment);
      return {};
    }
  } else if (q->have_last && end > q->end) {
    discard(*q, InetDrop::kReassBadFragment);
    return {};
  }
  // Find the insertion point and check both neighbours for overlap.
  uint32_t pos = 0;
  while (pos < q->nfrags && q->frags[pos].off < off) ++pos;
  if (pos < q->nfrags && q->frags[pos].off == off && q->frags[pos].len == len) {
    drop_(InetDrop::kReassDuplicate);  // a retransmitted copy: keep the first
    return {};
  }
  const bool overlaps_prev = pos > 0 && q->frags[pos - 1].off + q->frags[pos - 1].len > off;
  const bool overlaps_next = pos < q->nfrags && q->frags[pos].off < end;
  if (overlaps_prev || overlaps_next) {
    discard(*q, InetDrop::kReassOverlap);
    return {};
  }
  if (off == 0) {
    // Keep the header plus 8 payload bytes: the header for the result, the whole
    // thing as the quote of an ICMP time exceeded.
    const uint32_t keep = hlen + std::min<uint32_t>(8, len);
    core::PacketPtr first = pool_.alloc();
    if (!first || first->tailroom() < keep || !core::Mbuf(h).copy_data(0, {first->data(), keep})) {
      drop_(InetDrop::kIpNoBuffers);
      return {};
    }
    first->data_len = keep;
    first->pkt_len = keep;
    first->meta = h.meta;
    q->first = first.release();
  }
  core::mbuf::adj(fragment, static_cast<int64_t>(hlen));
  std::copy_backward(q->frags.begin() + pos, q->frags.begin() + q->nfrags, q->frags.begin() + q->nfrags + 1);
  q->frags[pos] = Frag{fragment.release(), off, len};
  ++q->nfrags;
  ++frags_total_;
  ++stats_.fragments;
  if (!mf) {
    q->have_last = true;
    q->end = end;
  }
  if (q->first == nullptr || !q->have_last) return {};
  uint32_t expect = 0;
  for (uint32_t i = 0; i < q->nfrags; ++i) {
    if (q->frags[i].off != expect) return {};
    expect += q->frags[i].len;
  }
  if (expect != q->end) return {};
  return complete(*q);
}

core::PacketPtr Reassembler::complete(Queue& q) {
  core::PacketPtr head(q.first);
  q.first = nullptr;
  uint8_t* b = head->data();
  const uint32_t hlen = uint32_t{static_cast<uint8_t>(b[0] & 0x0f)} * 4;
  head->data_len = hlen;
  head->pkt_len = hlen;
  std::span<uint8_t> hdr(b, hlen);
  wire::store_be16(hdr, 2, static_cast<uint16_t>(hlen + q.end));
  wire::store_be16(hdr, 6, static_cast<uint16_t>(wire::load_be16(hdr, 6) & 0x4000));  // keep DF only
  wire::store_be16(hdr, 10, 0);
  wire::store_be16(hdr, 10, wire::internet_checksum(hdr));
  for (uint32_t i = 0; i < q.nfrags; ++i) {
    core::mbuf::cat(head, core::PacketPtr(q.frags[i].pkt));
    q.frags[i].pkt = nullptr;
  }
  frags_total_ -= q.nfrags;
  q.nfrags = 0;
  free_queue(q);
  frags_total_ += 0;
  ++stats_.reassembled;
  return head;
}

void Reassembler::arm_timer() {
  std::optional<core::Instant> first;
  for (auto& q : queues_) {
    if (q->used && (!first || q->expiry < *first)) first = q->expiry;
  }
  if (!first) {
    timer_.cancel();
  } else if (!timer_.armed() || timer_.deadline() > *first) {
    wheel_.schedule(timer_, *first);
  }
}

void Reassembler::on_timer() {
  const core::Instant now = wheel_.clock().now();
  for (auto& q : queues_) {
    if (!q->used || q->expiry > now) continue;
    ++stats_.timeouts;
    core::PacketPtr first(q->first);
    q->first = nullptr;
    discard(*q, InetDrop::kReassTimeout);
    if (first && timeout_) timeout_(std::move(first));
  }
  arm_timer();
}

}  // namespace vnetref::inet
