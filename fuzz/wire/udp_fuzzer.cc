// UDP. Input: 4-byte source and destination addresses, then the datagram.
// parse -> rebuild -> parse agrees; the rebuilt checksum verifies and is never 0.
#include <algorithm>
#include <vector>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/udp.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::AddressedInput in;
  if (!fuzz::split_addresses(data, size, in)) return 0;
  auto u = UdpView::parse(in.rest);
  if (!u) return 0;
  WIRE_FUZZ_CHECK(u->length() >= 8 && u->length() <= in.rest.size() && u->bytes().size() == u->length());
  const UdpHeader h = UdpHeader::from(*u);
  std::vector<uint8_t> out(h.size());
  auto n = h.emit(out, in.src, in.dst);
  WIRE_FUZZ_CHECK(n.has_value() && *n == u->length());
  auto again = UdpView::parse(out);
  WIRE_FUZZ_CHECK(again.has_value() && UdpHeader::from(*again) == h);
  WIRE_FUZZ_CHECK(again->checksum() != 0 && again->checksum_valid(in.src, in.dst));
  if (u->checksum() != 0 && u->checksum_valid(in.src, in.dst)) {
    // A verified non-zero checksum is unique except for the 0x0000/0xFFFF ambiguity.
    WIRE_FUZZ_CHECK(u->checksum() == again->checksum() || u->checksum() == 0xffff || again->checksum() == 0xffff);
  }
  return 0;
}
