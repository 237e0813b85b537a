// Whole frames through the dissector and pretty-printer: never crash, one summary
// line per layer, at most one malformed layer and only as the last one.
#include <string>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/pretty.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  const auto layers = dissect(in);
  WIRE_FUZZ_CHECK(!layers.empty());
  for (size_t i = 0; i < layers.size(); ++i) {
    WIRE_FUZZ_CHECK(!layers[i].summary.empty());
    WIRE_FUZZ_CHECK(layers[i].summary.find('\n') == std::string::npos);
    if (!layers[i].error.empty()) WIRE_FUZZ_CHECK(i + 1 == layers.size());
  }
  const std::string text = describe_frame(in);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  WIRE_FUZZ_CHECK(lines == layers.size());

  auto l2 = EthernetHeader::parse(in);
  if (l2 && l2->ethertype == 0x0800) {
    auto ip = Ipv4View::parse(in.subspan(l2->header_len()));
    if (ip) fuzz::consume(validate_checksums(*ip).has_value());
  }
  return 0;
}
