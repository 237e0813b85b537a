#include "stack/wire/icmpv4.h"

#include <algorithm>
#include <cstring>

namespace vnetref::wire {

Result<size_t, BuildError> Icmpv4Header::emit(std::span<uint8_t> out) const {
  const size_t len = size();
  if (out.size() < len) return Err(BuildError::BufferTooSmall);
  // Data first with memmove: it may already sit at out[8..] (e.g. an echo reply built
  // in the request's buffer).
  if (!data.empty()) std::memmove(out.data() + Icmpv4View::kHeaderLen, data.data(), data.size());
  out[0] = type;
  out[1] = code;
  store_be16(out, 2, 0);
  store_be32(out, 4, rest_of_header);
  store_be16(out, 2, internet_checksum(out.subspan(0, len)));
  return len;
}

bool operator==(const Icmpv4Header& a, const Icmpv4Header& b) {
  return a.type == b.type && a.code == b.code && a.rest_of_header == b.rest_of_header &&
         std::ranges::equal(a.data, b.data);
}

size_t icmp_quote_len(const Ipv4View& datagram) {
  return std::min(datagram.bytes().size(), datagram.header_len() + 8);
}

}  // namespace vnetref::wire
