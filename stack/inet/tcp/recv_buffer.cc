#include "stack/inet/tcp/recv_buffer.h"

#include <algorithm>
#include <cstring>

#include "stack/core/views.h"

namespace vnetref::inet::tcp {

namespace {
core::Packet* last_segment(core::Packet* p) {
  while (p->next != nullptr) p = p->next;
  return p;
}
}  // namespace

void RecvBuffer::append(core::PacketPtr payload, uint32_t len) {
  if (!payload || len == 0) return;
  if (len <= kCoalesceMax && !q_.empty()) {
    core::Packet* tail = last_segment(q_.back().get());
    if (!tail->shared() && tail->tailroom() >= len) {
      core::Mbuf(*payload).copy_data(0, std::span<uint8_t>(tail->data() + tail->data_len, len));
      tail->data_len += len;
      q_.back()->pkt_len += len;
      bytes_ += len;
      return;  // `payload` is freed here
    }
  }
  q_.push_back(std::move(payload));
  bytes_ += len;
}

size_t RecvBuffer::read(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size() && !q_.empty()) {
    core::PacketPtr& head = q_.front();
    uint32_t avail = head->pkt_len;
    uint32_t n = static_cast<uint32_t>(std::min<size_t>(avail, out.size() - done));
    core::Mbuf(*head).copy_data(0, out.subspan(done, n));
    done += n;
    bytes_ -= n;
    if (n == avail) {
      q_.pop_front();
    } else {
      core::mbuf::adj(head, n);
      // Free segments emptied by adj so a long chain does not pin slots it no longer uses.
      while (head->data_len == 0 && head->next != nullptr) {
        core::Packet* next = head->next;
        head->next = nullptr;
        next->pkt_len = head->pkt_len;
        head = core::PacketPtr(next);
      }
    }
  }
  return done;
}

core::PacketPtr RecvBuffer::read_mbuf(uint32_t max, core::BufferPool& pool) {
  if (q_.empty() || max == 0) return {};
  core::PacketPtr out;
  uint32_t got = 0;
  while (!q_.empty() && got < max) {
    core::PacketPtr& head = q_.front();
    uint32_t len = head->pkt_len;
    if (got + len <= max) {
      core::PacketPtr taken = std::move(head);
      q_.pop_front();
      got += len;
      bytes_ -= len;
      if (!out) out = std::move(taken); else core::mbuf::cat(out, std::move(taken));
      continue;
    }
    uint32_t want = max - got;
    core::PacketPtr rest = core::mbuf::split(head, want, pool);
    if (!rest) break;  // pool exhausted: hand out what we have
    core::PacketPtr taken = std::move(head);
    head = std::move(rest);
    got += want;
    bytes_ -= want;
    if (!out) out = std::move(taken); else core::mbuf::cat(out, std::move(taken));
    break;
  }
  return out;
}

void RecvBuffer::clear() {
  q_.clear();
  bytes_ = 0;
}

}  // namespace vnetref::inet::tcp
