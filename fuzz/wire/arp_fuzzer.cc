// ARP (Ethernet/IPv4): parse -> rebuild -> parse agrees and bytes match.
#include <algorithm>
#include <array>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/arp.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  auto arp = ArpView::parse(in);
  if (!arp) return 0;
  WIRE_FUZZ_CHECK(size >= ArpView::kLen && arp->bytes().size() == ArpView::kLen);
  const ArpRepr r = ArpRepr::from(*arp);
  std::array<uint8_t, ArpView::kLen> out{};
  auto n = r.emit(out);
  WIRE_FUZZ_CHECK(n.has_value() && *n == ArpView::kLen);
  WIRE_FUZZ_CHECK(std::equal(out.begin(), out.end(), in.begin()));
  auto again = ArpView::parse(out);
  WIRE_FUZZ_CHECK(again.has_value() && ArpRepr::from(*again) == r);

  // Request -> reply rewrite in place keeps the packet parseable.
  auto mut = ArpViewMut::parse(out);
  WIRE_FUZZ_CHECK(mut.has_value());
  mut->set_op(ArpOp::Reply);
  mut->set_target_mac(r.sender_mac);
  mut->set_target_ip(r.sender_ip);
  auto reply = ArpView::parse(out);
  WIRE_FUZZ_CHECK(reply.has_value() && reply->op() == ArpOp::Reply && reply->target_ip() == r.sender_ip);
  return 0;
}
