// Applies arbitrary mbuf operations (prepend, adj, append, pullup, split+cat, clone,
// make_writable) to a chain and a plain byte-vector model side by side: the chain's
// bytes and pkt_len must always equal the model, and when everything is released the
// pool is back to zero packets in use (no leak, no double free).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/core/views.h"

using namespace vnetref::core;

namespace {
std::vector<uint8_t> Flatten(const Packet& p) {
  std::vector<uint8_t> out(p.pkt_len);
  if (!Mbuf(const_cast<Packet&>(p)).copy_data(0, out)) __builtin_trap();
  uint32_t sum = 0;
  for (const Packet* s = &p; s != nullptr; s = s->next) sum += s->data_len;
  if (sum != p.pkt_len) __builtin_trap();
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BufferPool pool(64, 256, 32);
  {
    std::vector<uint8_t> model(data, data + (size < 40 ? size : 40));
    PacketPtr m = pool.alloc_copy(model);
    if (!m) return 0;
    PacketPtr keep;  // a clone kept alive to exercise shared storage
    size_t pos = model.size();
    while (pos + 2 <= size) {
      uint8_t op = data[pos++];
      uint8_t arg = data[pos++];
      switch (op % 7) {
        case 0:
          if (uint8_t* p = mbuf::prepend(m, arg % 64, pool)) {
            for (int i = 0; i < arg % 64; ++i) p[i] = static_cast<uint8_t>(op + i);
            std::vector<uint8_t> front(p, p + arg % 64);
            model.insert(model.begin(), front.begin(), front.end());
          }
          break;
        case 1: {
          int64_t n = static_cast<int8_t>(arg);
          mbuf::adj(m, n);
          if (n >= 0) {
            model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(n, model.size())));
          } else {
            model.resize(model.size() - std::min<size_t>(static_cast<size_t>(-n), model.size()));
          }
          break;
        }
        case 2: {
          std::vector<uint8_t> more(arg * 3u, op);
          if (mbuf::append(m, more, pool)) {
            model.insert(model.end(), more.begin(), more.end());
          } else {
            model = Flatten(*m);  // partial append on exhaustion: resync with what is there
          }
          break;
        }
        case 3:
          (void)mbuf::pullup(m, arg, pool);
          break;
        case 4: {
          PacketPtr rest = mbuf::split(m, arg, pool);
          if (rest) mbuf::cat(m, std::move(rest));
          break;
        }
        case 5:
          keep = pool.clone(*m);
          break;
        case 6:
          (void)pool.make_writable(m);
          break;
      }
      if (Flatten(*m) != model) __builtin_trap();
      if (keep && keep->pkt_len > 0 && Flatten(*keep).size() != keep->pkt_len) __builtin_trap();
    }
  }
  if (pool.stats().in_use != 0) __builtin_trap();
  return 0;
}
