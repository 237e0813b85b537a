// ICMPv4: parse -> rebuild -> parse agrees, checksum verifies, quoted header of
// error messages parses leniently without reading out of bounds.
#include <algorithm>
#include <vector>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/icmpv4.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  auto m = Icmpv4View::parse(in);
  if (!m) return 0;
  const Icmpv4Header h = Icmpv4Header::from(*m);
  std::vector<uint8_t> out(h.size());
  auto n = h.emit(out);
  WIRE_FUZZ_CHECK(n.has_value() && *n == size);
  auto again = Icmpv4View::parse(out);
  WIRE_FUZZ_CHECK(again.has_value() && Icmpv4Header::from(*again) == h);
  WIRE_FUZZ_CHECK(again->checksum_valid());
  WIRE_FUZZ_CHECK(std::equal(out.begin(), out.begin() + 2, in.begin()));
  WIRE_FUZZ_CHECK(std::equal(out.begin() + 4, out.end(), in.begin() + 4));
  if (m->checksum_valid()) {
    const uint16_t a = m->checksum(), b = again->checksum();
    WIRE_FUZZ_CHECK(a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff)));
  }

  if (m->is_error()) {
    auto q = m->quoted_packet();
    if (q) {
      WIRE_FUZZ_CHECK(q->bytes().size() <= m->data().size());
      WIRE_FUZZ_CHECK(q->payload().size() <= q->claimed_payload_len());
      fuzz::consume(q->src());
    }
  } else {
    WIRE_FUZZ_CHECK(!m->quoted_packet().has_value());
  }
  fuzz::consume(m->next_hop_mtu());
  return 0;
}
