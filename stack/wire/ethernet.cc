#include "stack/wire/ethernet.h"

namespace vnetref::wire {

Result<EthernetHeader, ParseError> EthernetHeader::parse(std::span<const uint8_t> frame) {
  auto eth = EthernetView::parse(frame);
  if (!eth) return Err(eth.error());
  EthernetHeader h;
  h.dst = eth->dst();
  h.src = eth->src();
  uint16_t type = eth->ethertype_raw();
  std::span<const uint8_t> rest = eth->payload();
  while (is_vlan_tpid(type)) {
    if (h.tag_count == kMaxTags) return Err(ParseError::Unsupported);
    auto tag = VlanTagView::parse(rest);
    if (!tag) return Err(tag.error());
    h.tags[h.tag_count++] = VlanTagRepr{type, tag->tci()};
    type = tag->ethertype_raw();
    rest = tag->payload();
  }
  h.ethertype = type;
  return h;
}

Result<size_t, BuildError> EthernetHeader::emit(std::span<uint8_t> out) const {
  const size_t len = header_len();
  if (out.size() < len) return Err(BuildError::BufferTooSmall);
  if (tag_count > kMaxTags) return Err(BuildError::InvalidField);
  dst.write_to(out.subspan(0, 6));
  src.write_to(out.subspan(6, 6));
  size_t off = 12;
  for (size_t i = 0; i < tag_count; ++i) {
    store_be16(out, off, tags[i].tpid);
    store_be16(out, off + 2, tags[i].tci.to_u16());
    off += 4;
  }
  store_be16(out, off, ethertype);
  return len;
}

bool EthernetHeader::push_tag(VlanTagRepr t) {
  if (tag_count >= kMaxTags) return false;
  tags[tag_count++] = t;
  return true;
}

bool operator==(const EthernetHeader& a, const EthernetHeader& b) {
  if (a.dst != b.dst || a.src != b.src || a.tag_count != b.tag_count || a.ethertype != b.ethertype) return false;
  for (size_t i = 0; i < a.tag_count && i < EthernetHeader::kMaxTags; ++i) {
    if (a.tags[i] != b.tags[i]) return false;
  }
  return true;
}

}  // namespace vnetref::wire
