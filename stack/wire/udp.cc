#include "stack/wire/udp.h"

#include <algorithm>
#include <cstring>

namespace vnetref::wire {

Result<size_t, BuildError> UdpHeader::emit(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst) const {
  const size_t len = size();
  if (len > 0xffff) return Err(BuildError::InvalidField);
  if (out.size() < len) return Err(BuildError::BufferTooSmall);
  if (!payload.empty()) std::memmove(out.data() + UdpView::kHeaderLen, payload.data(), payload.size());
  store_be16(out, 0, src_port);
  store_be16(out, 2, dst_port);
  store_be16(out, 4, static_cast<uint16_t>(len));
  auto view = UdpViewMut::parse(out.subspan(0, len));
  view->fill_checksum(src, dst);  // cannot fail: we just wrote a consistent length
  return len;
}

bool operator==(const UdpHeader& a, const UdpHeader& b) {
  return a.src_port == b.src_port && a.dst_port == b.dst_port && std::ranges::equal(a.payload, b.payload);
}

}  // namespace vnetref::wire
