// TCP. Input: 4-byte source and destination addresses, then the segment.
// parse -> rebuild (canonical option layout) -> parse agrees field by field; the
// rebuilt checksum verifies; option iteration stays inside the option area.
#include <algorithm>
#include <vector>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/tcp.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::AddressedInput in;
  if (!fuzz::split_addresses(data, size, in)) return 0;
  auto opts_only = TcpOptions::parse(in.rest.subspan(0, std::min<size_t>(in.rest.size(), 40)));
  if (opts_only) {
    // Any option list that parses re-encodes within 40 bytes and decodes the same.
    std::vector<uint8_t> buf(opts_only->encoded_len());
    auto n = opts_only->emit(buf);
    WIRE_FUZZ_CHECK(n.has_value());
    auto back = TcpOptions::parse(buf);
    WIRE_FUZZ_CHECK(back.has_value() && *back == *opts_only);
  }

  auto t = TcpView::parse(in.rest);
  if (!t) return 0;
  WIRE_FUZZ_CHECK(t->header_len() >= 20 && t->header_len() <= in.rest.size());
  for (const RawOption& o : t->option_list()) {
    WIRE_FUZZ_CHECK(o.data.data() + o.data.size() <= t->options().data() + t->options().size());
  }
  const TcpHeader h = TcpHeader::from(*t);
  std::vector<uint8_t> out(h.size());
  auto n = h.emit(out, in.src, in.dst);
  WIRE_FUZZ_CHECK(n.has_value() && *n == out.size());
  auto again = TcpView::parse(out);
  WIRE_FUZZ_CHECK(again.has_value());
  WIRE_FUZZ_CHECK(TcpHeader::from(*again) == h);
  WIRE_FUZZ_CHECK(again->checksum_valid(in.src, in.dst));
  WIRE_FUZZ_CHECK(again->seq_len() == t->seq_len());
  fuzz::consume(t->flags().to_scapy());
  return 0;
}
