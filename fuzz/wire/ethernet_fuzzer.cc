// Ethernet II + 802.1Q/802.1ad: parse -> rebuild -> parse agrees, and the rebuilt
// header is byte-identical to the input's header.
#include <algorithm>
#include <vector>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/ethernet.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  auto eth = EthernetView::parse(in);
  auto hdr = EthernetHeader::parse(in);
  WIRE_FUZZ_CHECK(eth.has_value() == (size >= EthernetView::kHeaderLen));
  if (!hdr) return 0;
  WIRE_FUZZ_CHECK(eth.has_value());
  WIRE_FUZZ_CHECK(hdr->header_len() <= size);
  WIRE_FUZZ_CHECK(eth->dst() == hdr->dst && eth->src() == hdr->src);
  if (hdr->tag_count == 0) WIRE_FUZZ_CHECK(eth->ethertype_raw() == hdr->ethertype);

  std::vector<uint8_t> out(hdr->header_len());
  auto n = hdr->emit(out);
  WIRE_FUZZ_CHECK(n.has_value() && *n == out.size());
  WIRE_FUZZ_CHECK(std::equal(out.begin(), out.end(), in.begin()));
  auto again = EthernetHeader::parse(out);
  WIRE_FUZZ_CHECK(again.has_value() && *again == *hdr);

  // Walking the tags one by one with the tag view agrees with the peeled header.
  std::span<const uint8_t> rest = eth->payload();
  for (size_t i = 0; i < hdr->tag_count; ++i) {
    auto tag = VlanTagView::parse(rest);
    WIRE_FUZZ_CHECK(tag.has_value() && tag->tci() == hdr->tags[i].tci);
    rest = tag->payload();
  }
  WIRE_FUZZ_CHECK(rest.size() == size - hdr->header_len());
  return 0;
}
