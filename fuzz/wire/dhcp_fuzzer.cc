// DHCPv4: parse -> rebuild from the typed fields -> parse agrees field by field;
// typed helpers never read out of bounds.
#include <vector>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/dhcpv4.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  auto d = DhcpView::parse(in);
  if (!d) return 0;
  fuzz::consume(d->host_name());
  fuzz::consume(d->client_mac());
  fuzz::consume(d->max_message_size());
  const DhcpMessage m = DhcpMessage::from(*d);
  std::vector<uint8_t> out(m.size());
  auto n = m.emit(out);
  WIRE_FUZZ_CHECK(n.has_value() && *n == out.size());
  auto again = DhcpView::parse(out);
  WIRE_FUZZ_CHECK(again.has_value());
  WIRE_FUZZ_CHECK(DhcpMessage::from(*again) == m);
  WIRE_FUZZ_CHECK(again->message_type() == d->message_type());
  WIRE_FUZZ_CHECK(again->requested_ip() == d->requested_ip());
  WIRE_FUZZ_CHECK(again->server_id() == d->server_id());
  WIRE_FUZZ_CHECK(again->lease_time() == d->lease_time());
  return 0;
}
