// IPv4: parse -> rebuild from the parsed fields (+ payload) -> parse agrees field by
// field; the rebuilt checksum verifies; options iterate exactly as validated; the
// RFC 1624 TTL update keeps a valid checksum valid.
#include <algorithm>
#include <vector>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/ipv4.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  auto quoted = Ipv4View::parse_quoted(in);
  auto ip = Ipv4View::parse(in);
  if (ip) WIRE_FUZZ_CHECK(quoted.has_value());  // the lenient parse accepts a superset
  if (!ip) return 0;
  WIRE_FUZZ_CHECK(ip->bytes().size() == ip->total_len() && ip->total_len() <= size);
  WIRE_FUZZ_CHECK(ip->header_len() >= 20 && ip->header_len() <= ip->total_len());

  size_t opts = 0;
  for (const RawOption& o : ip->option_list()) {
    WIRE_FUZZ_CHECK(o.data.data() >= ip->options().data());
    WIRE_FUZZ_CHECK(o.data.data() + o.data.size() <= ip->options().data() + ip->options().size());
    ++opts;
  }
  auto validated = validate_options(ip->options(), kIpTcpOptionSyntax);
  WIRE_FUZZ_CHECK(validated.has_value() && *validated == opts);

  const Ipv4Header h = Ipv4Header::from(*ip);
  std::vector<uint8_t> out(ip->total_len());
  auto n = h.emit(out);
  WIRE_FUZZ_CHECK(n.has_value() && *n == ip->header_len());
  std::copy(ip->payload().begin(), ip->payload().end(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  auto again = Ipv4View::parse(out);
  WIRE_FUZZ_CHECK(again.has_value());
  WIRE_FUZZ_CHECK(Ipv4Header::from(*again) == h);
  WIRE_FUZZ_CHECK(again->checksum_valid());
  WIRE_FUZZ_CHECK(std::ranges::equal(again->payload(), ip->payload()));
  // Everything but the checksum field equals the input; a verifying input checksum
  // equals ours up to the two encodings of zero (0x0000 / 0xFFFF).
  WIRE_FUZZ_CHECK(std::equal(out.begin(), out.begin() + 10, in.begin()));
  WIRE_FUZZ_CHECK(std::equal(out.begin() + 12, out.end(), in.begin() + 12));
  if (ip->checksum_valid()) {
    const uint16_t a = ip->checksum(), b = again->checksum();
    WIRE_FUZZ_CHECK(a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff)));
  }

  auto mut = Ipv4ViewMut::parse(out);
  WIRE_FUZZ_CHECK(mut.has_value());
  mut->set_ttl_adjusting_checksum(static_cast<uint8_t>(mut->ttl() - 1));
  WIRE_FUZZ_CHECK(mut->checksum_valid());

  fuzz::consume(validate_checksums(*ip).has_value());
  return 0;
}
