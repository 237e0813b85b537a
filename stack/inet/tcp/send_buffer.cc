#include "stack/inet/tcp/send_buffer.h"

#include <algorithm>
#include <cstring>

namespace vnetref::inet::tcp {

size_t SendBuffer::append_copy(std::span<const uint8_t> bytes, core::BufferPool& pool) {
  size_t done = 0;
  while (done < bytes.size()) {
    core::Packet* tail = q_.empty() ? nullptr : q_.back().pkt;
    // Clones of this segment only cover bytes that already existed, so filling the
    // tailroom of a buffer we allocated ourselves never changes bytes in flight.
    if (tail == nullptr || !q_.back().own || tail->tailroom() == 0) {
      core::PacketPtr fresh = pool.alloc();
      if (!fresh) break;
      fresh->data_off = 0;  // no headers ever go in front of send-buffer bytes
      q_.push_back(Entry{fresh.release(), end_, true});
      tail = q_.back().pkt;
    }
    size_t n = std::min<size_t>(bytes.size() - done, tail->tailroom());
    std::memcpy(tail->data() + tail->data_len, bytes.data() + done, n);
    tail->data_len += static_cast<uint32_t>(n);
    tail->pkt_len = tail->data_len;
    done += n;
    end_ += n;
  }
  return done;
}

void SendBuffer::append_chain(core::PacketPtr chain) {
  core::Packet* s = chain.release();
  while (s != nullptr) {
    core::Packet* next = s->next;
    s->next = nullptr;
    if (s->data_len == 0) {
      core::free_chain(s);
    } else {
      s->pkt_len = s->data_len;
      q_.push_back(Entry{s, end_, false});
      end_ += s->data_len;
    }
    s = next;
  }
}

void SendBuffer::drop_front(uint32_t n) {
  n = std::min<uint32_t>(n, size());
  uint64_t target = begin_ + n;
  while (!q_.empty()) {
    Entry& e = q_.front();
    uint64_t e_end = e.start + e.pkt->data_len;
    if (e_end <= target) {
      core::free_chain(e.pkt);
      q_.pop_front();
      if (hint_ > 0) --hint_;
      continue;
    }
    if (e.start < target) {
      // Trim the front of our own descriptor; clones in flight keep their own offsets.
      uint32_t cut = static_cast<uint32_t>(target - e.start);
      e.pkt->data_off += cut;
      e.pkt->data_len -= cut;
      e.pkt->pkt_len = e.pkt->data_len;
      e.start = target;
    }
    break;
  }
  begin_ = target;
}

size_t SendBuffer::find(uint64_t abs) const {
  // Sequential transmission asks for the entry of the last lookup or the next one.
  for (size_t i = hint_; i < q_.size() && i < hint_ + 2; ++i) {
    if (q_[i].start <= abs && abs < q_[i].start + q_[i].pkt->data_len) return hint_ = i;
  }
  // Binary search on start offsets: the entry with the last start <= abs.
  size_t lo = 0, hi = q_.size();
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (q_[mid].start <= abs) lo = mid; else hi = mid;
  }
  return hint_ = lo;
}

bool SendBuffer::clone_range(uint32_t off, uint32_t len, core::BufferPool& pool, core::Packet** tail) const {
  if (len == 0) return true;
  if (uint64_t{off} + len > size()) return false;
  uint64_t abs = begin_ + off;
  const uint64_t stop = abs + len;
  for (size_t i = find(abs); abs < stop && i < q_.size(); ++i) {
    const Entry& e = q_[i];
    uint32_t within = static_cast<uint32_t>(abs - e.start);
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(e.pkt->data_len - within, stop - abs));
    core::PacketPtr c = pool.clone(*e.pkt);  // single segment: e.pkt->next is null
    if (!c) return false;
    c->data_off += within;
    c->data_len = n;
    c->pkt_len = n;
    (*tail)->next = c.release();
    *tail = (*tail)->next;
    abs += n;
  }
  return abs == stop;
}

bool SendBuffer::copy_range(uint32_t off, std::span<uint8_t> out) const {
  if (uint64_t{off} + out.size() > size()) return false;
  uint64_t abs = begin_ + off;
  size_t done = 0;
  for (size_t i = find(abs); done < out.size() && i < q_.size(); ++i) {
    const Entry& e = q_[i];
    uint32_t within = static_cast<uint32_t>(abs - e.start);
    size_t n = std::min<size_t>(e.pkt->data_len - within, out.size() - done);
    std::memcpy(out.data() + done, e.pkt->data() + within, n);
    done += n;
    abs += n;
  }
  return done == out.size();
}

void SendBuffer::clear() {
  for (Entry& e : q_) core::free_chain(e.pkt);
  q_.clear();
  begin_ = end_;
}

}  // namespace vnetref::inet::tcp
