#include "stack/core/buffer_pool.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>

namespace vnetref::core {

namespace {
constexpr size_t kAlign = 64;
constexpr size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }
}  // namespace

BufferPool::BufferPool(uint32_t count, uint32_t buf_size, uint32_t headroom, std::string name)
    : name_(std::move(name)),
      count_(count),
      buf_size_(buf_size),
      headroom_(std::min(headroom, buf_size)),
      slot_stride_(round_up(sizeof(Packet), kAlign) + round_up(buf_size, kAlign)) {
  arena_ = std::make_unique<uint8_t[]>(slot_stride_ * count_ + kAlign);
  auto addr = reinterpret_cast<uintptr_t>(arena_.get());
  base_ = arena_.get() + (round_up(addr, kAlign) - addr);
  free_.reserve(count_);
  for (uint32_t i = 0; i < count_; ++i) {
    uint8_t* slot = base_ + slot_stride_ * i;
    Packet* p = std::construct_at(reinterpret_cast<Packet*>(slot));
    p->buf = slot + round_up(sizeof(Packet), kAlign);
    p->buf_size = buf_size_;
    p->index = i;
    p->pool = this;
  }
  // Hand out low indices first (LIFO stack: push in reverse).
  for (uint32_t i = count_; i > 0; --i) free_.push_back(i - 1);
}

BufferPool::~BufferPool() {
  for (uint32_t i = 0; i < count_; ++i) std::destroy_at(reinterpret_cast<Packet*>(base_ + slot_stride_ * i));
}

void BufferPool::lock() const {
  while (lock_.test_and_set(std::memory_order_acquire)) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
}

void BufferPool::unlock() const { lock_.clear(std::memory_order_release); }

void BufferPool::reset_descriptor(Packet* p) {
  uint8_t* slot = base_ + slot_stride_ * p->index;
  p->buf = slot + round_up(sizeof(Packet), kAlign);
  p->buf_size = buf_size_;
  p->data_off = headroom_;
  p->data_len = 0;
  p->pkt_len = 0;
  p->next = nullptr;
  p->owner = nullptr;
  p->refs.store(1, std::memory_order_relaxed);
  p->meta = PacketMeta{};
}

Packet* BufferPool::pop() {
  lock();
  if (free_.empty()) {
    ++stats_.exhausted;
    unlock();
    return nullptr;
  }
  uint32_t idx = free_.back();
  free_.pop_back();
  ++stats_.allocs;
  ++stats_.in_use;
  stats_.high_water = std::max(stats_.high_water, stats_.in_use);
  unlock();
  Packet* p = reinterpret_cast<Packet*>(base_ + slot_stride_ * idx);
  reset_descriptor(p);
  return p;
}

void BufferPool::push(Packet* p) {
  lock();
  free_.push_back(p->index);
  ++stats_.frees;
  --stats_.in_use;
  unlock();
}

PacketPtr BufferPool::alloc() { return PacketPtr(pop()); }

size_t BufferPool::alloc_bulk(std::span<Packet*> out) {
  lock();
  size_t n = std::min(out.size(), free_.size());
  for (size_t i = 0; i < n; ++i) {
    out[i] = reinterpret_cast<Packet*>(base_ + slot_stride_ * free_.back());
    free_.pop_back();
  }
  stats_.allocs += n;
  stats_.in_use += static_cast<uint32_t>(n);
  stats_.high_water = std::max(stats_.high_water, stats_.in_use);
  if (n < out.size()) stats_.exhausted += out.size() - n;
  unlock();
  for (size_t i = 0; i < n; ++i) reset_descriptor(out[i]);
  return n;
}

void BufferPool::free_bulk(std::span<Packet*> pkts) {
  for (Packet* p : pkts) free_chain(p);
}

// Drops one reference to a segment's slot and, for a clone, to its owner's slot.
void BufferPool::release_descriptor(Packet* p) {
  Packet* owner = p->owner;
  if (p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) push(p);
  if (owner != nullptr && owner->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) owner->pool->push(owner);
}

void free_chain(Packet* head) {
  while (head != nullptr) {
    Packet* next = head->next;
    head->next = nullptr;
    head->pool->release_descriptor(head);
    head = next;
  }
}

PacketPtr BufferPool::alloc_copy(std::span<const uint8_t> bytes) {
  PacketPtr head = alloc();
  if (!head) return {};
  Packet* tail = head.get();
  size_t off = 0;
  for (;;) {
    size_t n = std::min<size_t>(bytes.size() - off, tail->tailroom());
    if (n > 0) std::memcpy(tail->data() + tail->data_len, bytes.data() + off, n);
    tail->data_len += static_cast<uint32_t>(n);
    off += n;
    if (off == bytes.size()) break;
    Packet* seg = pop();
    if (seg == nullptr) return {};  // frees the partial chain
    seg->data_off = 0;              // continuation segments need no headroom
    tail->next = seg;
    tail = seg;
  }
  head->pkt_len = static_cast<uint32_t>(bytes.size());
  return head;
}

PacketPtr BufferPool::clone(const Packet& head) {
  PacketPtr out;
  Packet* prev = nullptr;
  for (const Packet* src = &head; src != nullptr; src = src->next) {
    Packet* c = pop();
    if (c == nullptr) return {};
    Packet* root = src->owner != nullptr ? src->owner : const_cast<Packet*>(src);
    root->refs.fetch_add(1, std::memory_order_acq_rel);
    c->owner = root;
    c->buf = src->buf;
    c->buf_size = src->buf_size;
    c->data_off = src->data_off;
    c->data_len = src->data_len;
    c->pkt_len = src->pkt_len;
    c->meta = src->meta;
    if (prev == nullptr) {
      out = PacketPtr(c);
    } else {
      prev->next = c;
    }
    prev = c;
  }
  lock();
  ++stats_.clones;
  unlock();
  return out;
}

PacketPtr BufferPool::copy(const Packet& head) {
  uint32_t total = 0;
  for (const Packet* s = &head; s != nullptr; s = s->next) total += s->data_len;
  PacketPtr out = alloc();
  if (!out) return {};
  Packet* tail = out.get();
  // Keep the source's headroom where possible, so a copied frame can still be prefixed.
  if (total <= buf_size_) tail->data_off = std::min<uint32_t>(head.data_off, buf_size_ - total);
  for (const Packet* s = &head; s != nullptr; s = s->next) {
    uint32_t off = 0;
    while (off < s->data_len) {
      if (tail->tailroom() == 0) {
        Packet* seg = pop();
        if (seg == nullptr) return {};
        seg->data_off = 0;
        tail->next = seg;
        tail = seg;
      }
      uint32_t n = std::min(s->data_len - off, tail->tailroom());
      std::memcpy(tail->data() + tail->data_len, s->data() + off, n);
      tail->data_len += n;
      off += n;
    }
  }
  out->pkt_len = total;
  out->meta = head.meta;
  lock();
  ++stats_.copies;
  unlock();
  return out;
}

bool BufferPool::make_writable(PacketPtr& p) {
  bool shared = false;
  for (const Packet* s = p.get(); s != nullptr && !shared; s = s->next) shared = s->shared();
  if (!shared) return true;
  PacketPtr fresh = copy(*p);
  if (!fresh) return false;
  p = std::move(fresh);
  return true;
}

uint32_t BufferPool::available() const {
  lock();
  auto n = static_cast<uint32_t>(free_.size());
  unlock();
  return n;
}

PoolStats BufferPool::stats() const {
  lock();
  PoolStats s = stats_;
  unlock();
  return s;
}

}  // namespace vnetref::core
