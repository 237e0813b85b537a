#include "stack/core/views.h"

#include <algorithm>

namespace vnetref::core {

bool Mbuf::copy_data(uint32_t off, std::span<uint8_t> out) const {
  const Packet* s = p_;
  while (s != nullptr && off >= s->data_len) {
    off -= s->data_len;
    s = s->next;
  }
  size_t done = 0;
  while (done < out.size()) {
    if (s == nullptr) return false;
    size_t n = std::min<size_t>(s->data_len - off, out.size() - done);
    std::memcpy(out.data() + done, s->data() + off, n);
    done += n;
    off = 0;
    s = s->next;
  }
  return true;
}

namespace mbuf {

void fix_pkt_len(Packet& head) {
  uint32_t total = 0;
  for (const Packet* s = &head; s != nullptr; s = s->next) total += s->data_len;
  head.pkt_len = total;
}

uint8_t* prepend(PacketPtr& m, uint32_t n, BufferPool& pool) {
  if (m->headroom() >= n && !m->shared()) {
    m->data_off -= n;
    m->data_len += n;
    m->pkt_len += n;
    return m->data();
  }
  if (n > pool.buf_size()) return nullptr;
  PacketPtr front = pool.alloc();
  if (!front) return nullptr;
  front->data_off = pool.buf_size() - n;  // keep the new bytes at the end: later prepends fit
  front->data_len = n;
  front->meta = m->meta;
  front->pkt_len = m->pkt_len + n;
  front->next = m.release();
  m = std::move(front);
  return m->data();
}

void adj(PacketPtr& m, int64_t n) {
  if (n >= 0) {
    auto left = static_cast<uint64_t>(n);
    for (Packet* s = m.get(); s != nullptr && left > 0; s = s->next) {
      uint32_t cut = static_cast<uint32_t>(std::min<uint64_t>(left, s->data_len));
      s->data_off += cut;
      s->data_len -= cut;
      left -= cut;
    }
  } else {
    uint64_t total = m->pkt_len;
    uint64_t keep = static_cast<uint64_t>(-n) >= total ? 0 : total - static_cast<uint64_t>(-n);
    for (Packet* s = m.get(); s != nullptr; s = s->next) {
      if (keep >= s->data_len) {
        keep -= s->data_len;
      } else {
        s->data_len = static_cast<uint32_t>(keep);
        keep = 0;
        if (s->next != nullptr) {
          free_chain(s->next);
          s->next = nullptr;
        }
        break;
      }
    }
  }
  fix_pkt_len(*m);
}

bool append(PacketPtr& m, std::span<const uint8_t> bytes, BufferPool& pool) {
  Packet* tail = m.get();
  while (tail->next != nullptr) tail = tail->next;
  size_t off = 0;
  while (off < bytes.size()) {
    if (tail->tailroom() == 0 || tail->shared()) {
      Packet* seg = pool.alloc().release();
      if (seg == nullptr) {
        fix_pkt_len(*m);
        return false;
      }
      seg->data_off = 0;
      tail->next = seg;
      tail = seg;
    }
    size_t n = std::min<size_t>(bytes.size() - off, tail->tailroom());
    std::memcpy(tail->data() + tail->data_len, bytes.data() + off, n);
    tail->data_len += static_cast<uint32_t>(n);
    off += n;
  }
  fix_pkt_len(*m);
  return true;
}

bool pullup(PacketPtr& m, uint32_t n, BufferPool& pool) {
  if (m->data_len >= n) return true;
  if (m->pkt_len < n) return false;
  Packet* head = m.get();
  if (head->shared() || head->buf_size - head->data_off < n) {
    // Make a fresh head with room for n bytes after the usual headroom.
    if (n > pool.buf_size()) return false;
    PacketPtr fresh = pool.alloc();
    if (!fresh) return false;
    fresh->data_off = std::min(pool.headroom(), pool.buf_size() - n);
    fresh->meta = head->meta;
    fresh->next = m.release();
    m = std::move(fresh);
    head = m.get();
  }
  // Move bytes from the following segments into the head until it holds n.
  while (head->data_len < n && head->next != nullptr) {
    Packet* s = head->next;
    uint32_t take = std::min(n - head->data_len, s->data_len);
    std::memcpy(head->data() + head->data_len, s->data(), take);
    head->data_len += take;
    s->data_off += take;
    s->data_len -= take;
    if (s->data_len == 0) {
      head->next = s->next;
      s->next = nullptr;
      free_chain(s);
    }
  }
  fix_pkt_len(*head);
  return head->data_len >= n;
}

PacketPtr split(PacketPtr& m, uint32_t off, BufferPool& pool) {
  if (off >= m->pkt_len) return {};
  Packet* s = m.get();
  Packet* prev = nullptr;
  uint32_t pos = 0;
  while (pos + s->data_len <= off) {
    pos += s->data_len;
    prev = s;
    s = s->next;
  }
  uint32_t within = off - pos;
  PacketPtr rest;
  if (within == 0 && prev != nullptr) {
    prev->next = nullptr;
    rest = PacketPtr(s);
  } else {
    // Clone the straddling segment alone, then move the remaining chain behind it.
    Packet* after = s->next;
    s->next = nullptr;
    rest = pool.clone(*s);
    s->next = after;
    if (!rest) return {};
    rest->data_off += within;
    rest->data_len -= within;
    rest->next = after;
    s->next = nullptr;
    s->data_len = within;
  }
  rest->meta = m->meta;
  fix_pkt_len(*rest);
  fix_pkt_len(*m);
  return rest;
}

void cat(PacketPtr& m, PacketPtr tail) {
  if (!tail) return;
  Packet* s = m.get();
  while (s->next != nullptr) s = s->next;
  s->next = tail.release();
  fix_pkt_len(*m);
}

}  // namespace mbuf

uint8_t* SkBuff::push(uint32_t n) {
  if (p_->headroom() < n) return nullptr;
  p_->data_off -= n;
  p_->data_len += n;
  p_->pkt_len += n;
  return p_->data();
}

uint8_t* SkBuff::pull(uint32_t n) {
  if (p_->data_len < n) return nullptr;
  p_->data_off += n;
  p_->data_len -= n;
  p_->pkt_len -= n;
  return p_->data();
}

uint8_t* SkBuff::put(uint32_t n) {
  if (p_->tailroom() < n) return nullptr;
  uint8_t* old_tail = tail();
  p_->data_len += n;
  p_->pkt_len += n;
  return old_tail;
}

bool SkBuff::reserve(uint32_t n) {
  if (p_->data_len != 0 || p_->buf_size - p_->data_off < n) return false;
  p_->data_off += n;
  return true;
}

void SkBuff::trim(uint32_t len) {
  if (len < p_->data_len) {
    p_->pkt_len -= p_->data_len - len;
    p_->data_len = len;
  }
}

}  // namespace vnetref::core
