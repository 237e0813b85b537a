#include "stack/wire/dhcpv4.h"

#include <gtest/gtest.h>

#include "stack/wire/frame_builder.h"
#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

using testing::from_hex;

const MacAddress kClient(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);

// BOOTP(op 1, xid 0x12345678, broadcast flag, chaddr 00:11:22:33:44:55)/
// DHCP(message-type discover, requested_addr 10.0.0.5, param_req_list [1,3,6], end):
// the fixed part is zeros apart from those fields, as Scapy 2.5 produces it.
std::vector<uint8_t> scapy_discover() {
  std::vector<uint8_t> m(236, 0);
  const auto head = from_hex("01010600 12345678 0000 8000");
  std::copy(head.begin(), head.end(), m.begin());
  const auto mac = from_hex("001122334455");
  std::copy(mac.begin(), mac.end(), m.begin() + 28);
  const auto opts = from_hex("63825363 350101 3204 0a000005 3703 010306 ff");
  m.insert(m.end(), opts.begin(), opts.end());
  return m;
}

DhcpMessage offer() {
  DhcpMessage m;
  m.op = 2;
  m.xid = 0xcafe0001;
  m.yiaddr = Ipv4Address(10, 0, 0, 5);
  m.siaddr = Ipv4Address(10, 0, 0, 1);
  m.set_client_mac(kClient);
  m.message_type = DhcpMessageType::Offer;
  m.subnet_mask = Ipv4Address(255, 255, 255, 0);
  m.router = Ipv4Address(10, 0, 0, 1);
  m.dns_count = 2;
  m.dns_servers[0] = Ipv4Address(10, 0, 0, 1);
  m.dns_servers[1] = Ipv4Address(8, 8, 8, 8);
  m.lease_time = 3600;
  m.renewal_time = 1800;
  m.rebinding_time = 3150;
  m.server_id = Ipv4Address(10, 0, 0, 1);
  return m;
}

TEST(Dhcp, ParsesScapyDiscover) {
  const auto b = scapy_discover();
  ASSERT_EQ(b.size(), 255u);
  auto d = DhcpView::parse(b);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->op(), 1);
  EXPECT_EQ(d->xid(), 0x12345678u);
  EXPECT_TRUE(d->broadcast_flag());
  EXPECT_EQ(d->client_mac(), kClient);
  EXPECT_EQ(d->message_type(), DhcpMessageType::Discover);
  EXPECT_EQ(d->requested_ip(), Ipv4Address(10, 0, 0, 5));
  auto prl = d->parameter_request_list();
  ASSERT_TRUE(prl.has_value());
  EXPECT_EQ(std::vector<uint8_t>(prl->begin(), prl->end()), (std::vector<uint8_t>{1, 3, 6}));
  EXPECT_FALSE(d->server_id().has_value());
  EXPECT_FALSE(d->lease_time().has_value());
}

TEST(Dhcp, TruncatedFixedPart) {
  const auto b = scapy_discover();
  for (size_t n = 0; n < DhcpView::kOptionsOffset; ++n) {
    EXPECT_EQ(DhcpView::parse(std::span(b).subspan(0, n)).error(), ParseError::Truncated) << n;
  }
}

TEST(Dhcp, TruncatedInsideOptionsIsBadOption) {
  const auto b = scapy_discover();
  // Cuts that fall inside a TLV (not on a boundary) are malformed options.
  for (size_t n : {241u, 242u, 244u, 246u, 248u, 250u, 252u}) {
    EXPECT_EQ(DhcpView::parse(std::span(b).subspan(0, n)).error(), ParseError::BadOption) << n;
  }
  // Cutting right before End is tolerated (End missing).
  auto d = DhcpView::parse(std::span(b).subspan(0, 254));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message_type(), DhcpMessageType::Discover);
}

TEST(Dhcp, RejectsBadFixedFields) {
  auto b = scapy_discover();
  b[0] = 3;
  EXPECT_EQ(DhcpView::parse(b).error(), ParseError::BadField);
  b = scapy_discover();
  b[2] = 17;
  EXPECT_EQ(DhcpView::parse(b).error(), ParseError::BadField);
  b = scapy_discover();
  b[239] = 0x64;  // wrong magic cookie: plain BOOTP or garbage
  EXPECT_EQ(DhcpView::parse(b).error(), ParseError::Unsupported);
}

TEST(Dhcp, PadAndTrailingBytesAfterEnd) {
  auto b = scapy_discover();
  b.insert(b.begin() + 240, {0, 0, 0});  // three pads before the first option
  b.push_back(0x35);                     // junk after End is ignored
  auto d = DhcpView::parse(b);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message_type(), DhcpMessageType::Discover);
}

TEST(Dhcp, HelpersIgnoreWrongLengths) {
  auto b = scapy_discover();
  b.pop_back();  // drop End
  const auto extra = from_hex("3303 000e10 3602 0a00 ff");  // lease time len 3, server id len 2
  b.insert(b.end(), extra.begin(), extra.end());
  auto d = DhcpView::parse(b);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->lease_time().has_value());
  EXPECT_FALSE(d->server_id().has_value());
  EXPECT_TRUE(d->find_option(dhcp_option::kLeaseTime).has_value());
}

TEST(Dhcp, OfferRoundTrip) {
  const DhcpMessage m = offer();
  std::vector<uint8_t> buf(m.size());
  auto n = m.emit(buf);
  ASSERT_TRUE(n.has_value());
  auto d = DhcpView::parse(buf);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->op(), 2);
  EXPECT_EQ(d->message_type(), DhcpMessageType::Offer);
  EXPECT_EQ(d->yiaddr(), Ipv4Address(10, 0, 0, 5));
  EXPECT_EQ(d->lease_time(), 3600u);
  EXPECT_EQ(d->renewal_time(), 1800u);
  EXPECT_EQ(d->rebinding_time(), 3150u);
  EXPECT_EQ(d->subnet_mask(), Ipv4Address(255, 255, 255, 0));
  EXPECT_EQ(d->router(), Ipv4Address(10, 0, 0, 1));
  EXPECT_EQ(d->server_id(), Ipv4Address(10, 0, 0, 1));
  EXPECT_EQ(d->client_mac(), kClient);
  EXPECT_EQ(DhcpMessage::from(*d), m);
}

TEST(Dhcp, RequestWithHostNameAndPadding) {
  DhcpMessage m;
  m.xid = 42;
  m.set_client_mac(kClient);
  m.message_type = DhcpMessageType::Request;
  m.requested_ip = Ipv4Address(10, 0, 0, 5);
  m.server_id = Ipv4Address(10, 0, 0, 1);
  const std::string host = "vm-1";
  m.host_name = std::span(reinterpret_cast<const uint8_t*>(host.data()), host.size());
  const uint8_t cid[] = {1, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  m.client_id = cid;
  m.max_message_size = 1500;
  m.pad_to_bootp_min = true;
  EXPECT_EQ(m.size(), 300u);
  const auto frame = FrameBuilder::dhcp(EthernetHeader{}, Ipv4Header{}, kDhcpClientPort, kDhcpServerPort, m);
  auto d = DhcpView::parse(std::span(frame).subspan(14 + 20 + 8));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->host_name(), "vm-1");
  EXPECT_EQ(d->max_message_size(), 1500);
  EXPECT_EQ(d->client_id()->size(), 7u);
  EXPECT_EQ(DhcpMessage::from(*d), m);
  EXPECT_STREQ(to_string(DhcpMessageType::Request), "request");
  EXPECT_STREQ(dhcp_option_name(dhcp_option::kMessageType), "message-type");
}

TEST(Dhcp, EmitRejectsOversizedFields) {
  DhcpMessage m = offer();
  const std::vector<uint8_t> big(256, 'x');
  m.host_name = std::span<const uint8_t>(big);
  std::vector<uint8_t> buf(1024);
  EXPECT_EQ(m.emit(buf).error(), BuildError::InvalidField);
  m.host_name.reset();
  EXPECT_EQ(m.emit(std::span(buf).subspan(0, 250)).error(), BuildError::BufferTooSmall);
}

}  // namespace
}  // namespace vnetref::wire
