#include "stack/wire/pretty.h"

#include <gtest/gtest.h>

#include <random>

#include "stack/wire/frame_builder.h"
#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

using testing::from_hex;

TEST(Pretty, DescribesTcpSynLikeTcpdump) {
  const auto f = from_hex(testing::kScapyTcpSyn);
  EXPECT_EQ(describe_frame(f),
            "Ether 00:11:22:33:44:55 > 66:77:88:99:aa:bb type 0x0800\n"
            "IPv4 10.0.0.1 > 10.0.0.2 ttl 64 id 1 len 60 proto TCP\n"
            "TCP 1234 > 80 [S] seq 1 ack 0 win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>");
}

TEST(Pretty, DissectUsesScapyFieldNames) {
  const auto layers = dissect(from_hex(testing::kScapyTcpSyn));
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].layer, "Ether");
  EXPECT_EQ(*layers[0].find("Ether.src"), "00:11:22:33:44:55");
  EXPECT_EQ(*layers[0].find("Ether.type"), "2048");
  EXPECT_EQ(layers[1].layer, "IP");
  EXPECT_EQ(*layers[1].find("IP.ttl"), "64");
  EXPECT_EQ(*layers[1].find("IP.flags"), "");
  EXPECT_EQ(*layers[1].find("IP.chksum"), std::to_string(0x66b9));
  EXPECT_EQ(*layers[1].find("IP.options"), "[]");
  EXPECT_EQ(layers[2].layer, "TCP");
  EXPECT_EQ(*layers[2].find("TCP.flags"), "S");
  EXPECT_EQ(*layers[2].find("TCP.dataofs"), "10");
  // Exactly Scapy's repr of the parsed options list.
  EXPECT_EQ(*layers[2].find("TCP.options"),
            "[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (1, 0)), ('NOP', None), ('WScale', 7)]");
  EXPECT_EQ(layers[2].find("TCP.nonexistent"), nullptr);
}

TEST(Pretty, SynAckFlagsAndDontFragment) {
  auto ip_tcp = from_hex(testing::kScapyIpTcpSynAck);
  auto frame = from_hex("66778899aabb 001122334455 0800");
  frame.insert(frame.end(), ip_tcp.begin(), ip_tcp.end());
  const auto layers = dissect(frame);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(*layers[1].find("IP.flags"), "DF");
  EXPECT_EQ(*layers[2].find("TCP.flags"), "SA");
  EXPECT_NE(layers[1].summary.find("flags DF"), std::string::npos);
  EXPECT_NE(layers[2].summary.find("[S.]"), std::string::npos);
}

TEST(Pretty, ArpAndPadding) {
  auto f = from_hex(testing::kScapyArpRequest);
  FrameBuilder::pad_to_minimum(f);
  const auto layers = dissect(f);
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[1].summary, "ARP who-has 10.0.0.2 tell 10.0.0.1");
  EXPECT_EQ(*layers[1].find("ARP.op"), "1");
  EXPECT_EQ(*layers[1].find("ARP.hwsrc"), "00:11:22:33:44:55");
  EXPECT_EQ(layers[2].layer, "Padding");
}

TEST(Pretty, UdpAndIcmpLines) {
  auto lines = describe_frame(from_hex(testing::kScapyUdp));
  EXPECT_NE(lines.find("UDP 5353 > 53 len 13"), std::string::npos) << lines;
  EXPECT_NE(lines.find("Raw 5 bytes"), std::string::npos) << lines;
  lines = describe_frame(from_hex(testing::kScapyIcmpEcho));
  EXPECT_NE(lines.find("ICMP echo request id 66 seq 1"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("bad cksum"), std::string::npos) << lines;
}

TEST(Pretty, MalformedLayersAreMarkedNotFatal) {
  auto f = from_hex(testing::kScapyTcpSyn);
  // Cut in the middle of the IPv4 header.
  auto lines = describe_frame(std::span(f).subspan(0, 14 + 7));
  EXPECT_EQ(lines, "Ether 00:11:22:33:44:55 > 66:77:88:99:aa:bb type 0x0800\n<truncated IPv4: 7 bytes>");
  // Bad IHL.
  auto bad = f;
  bad[14] = 0x44;
  lines = describe_frame(bad);
  EXPECT_NE(lines.find("<malformed IPv4: bad header length, 60 bytes>"), std::string::npos) << lines;
  const auto layers = dissect(bad);
  EXPECT_EQ(layers.back().error, "bad header length");
  // Bad TCP checksum is shown, not fatal.
  bad = f;
  bad.back() ^= 1;
  lines = describe_frame(bad);
  EXPECT_NE(lines.find("bad cksum"), std::string::npos) << lines;
  EXPECT_EQ(describe_frame({}), "<truncated Ether: 0 bytes>");
}

TEST(Pretty, VlanAndQinQ) {
  const auto f = from_hex("66778899aabb 001122334455 88a8 000a 8100 2014 0806") ;
  const auto layers = dissect(f);
  ASSERT_GE(layers.size(), 4u);
  EXPECT_EQ(layers[1].layer, "Dot1AD");
  EXPECT_EQ(*layers[1].find("Dot1AD.vlan"), "10");
  EXPECT_EQ(layers[2].layer, "Dot1Q");
  EXPECT_EQ(*layers[2].find("Dot1Q.vlan"), "20");
  EXPECT_EQ(*layers[2].find("Dot1Q.prio"), "1");
  EXPECT_EQ(layers[3].summary, "<truncated ARP: 0 bytes>");
}

TEST(Pretty, IcmpErrorShowsQuotedHeaders) {
  const auto udp_frame = from_hex(testing::kScapyUdp);
  auto orig = Ipv4View::parse(std::span(udp_frame).subspan(14));
  const auto quote = orig->bytes().subspan(0, icmp_quote_len(*orig));
  const auto f = FrameBuilder::icmp(testing::eth_a_to_b(), testing::ip_a_to_b(), Icmpv4Header::frag_needed(1400, quote));
  const auto layers = dissect(f);
  ASSERT_EQ(layers.size(), 5u) << describe_frame(f);
  EXPECT_EQ(layers[2].summary, "ICMP unreachable frag-needed mtu 1400");
  EXPECT_EQ(*layers[2].find("ICMP.nexthopmtu"), "1400");
  EXPECT_EQ(layers[3].layer, "IPerror");
  EXPECT_EQ(*layers[3].find("IPerror.src"), "192.168.1.1");
  EXPECT_EQ(layers[4].layer, "UDPerror");
  EXPECT_EQ(layers[4].summary, "UDPerror 5353 > 53 len 13");
}

TEST(Pretty, DhcpDiscover) {
  DhcpMessage m;
  m.xid = 0x1234;
  m.set_client_mac(testing::kMacA);
  m.message_type = DhcpMessageType::Discover;
  const uint8_t prl[] = {1, 3, 6};
  m.parameter_request_list = std::span<const uint8_t>(prl);
  EthernetHeader eth;
  eth.src = testing::kMacA;
  eth.dst = MacAddress::broadcast();
  Ipv4Header ip;
  ip.dst = Ipv4Address::broadcast();
  const auto f = FrameBuilder::dhcp(eth, ip, 68, 67, m);
  const auto layers = dissect(f);
  ASSERT_EQ(layers.size(), 5u) << describe_frame(f);
  EXPECT_EQ(layers[3].layer, "BOOTP");
  EXPECT_EQ(layers[3].summary, "BOOTP request xid 0x00001234 client 00:11:22:33:44:55");
  EXPECT_EQ(layers[4].layer, "DHCP");
  EXPECT_EQ(layers[4].summary, "DHCP discover");
  EXPECT_EQ(*layers[4].find("DHCP.options"), "[('message-type', 1), ('param_req_list', [1, 3, 6]), 'end']");
}

TEST(Pretty, PythonBytesRepr) {
  const uint8_t b[] = {'a', 0, '\'', '\\', '\n', 0xff};
  EXPECT_EQ(python_bytes_repr(b), "b'a\\x00\\'\\\\\\n\\xff'");
  EXPECT_EQ(python_bytes_repr({}), "b''");
}

TEST(Pretty, NeverCrashesOnRandomOrTruncatedInput) {
  std::mt19937 rng(5);
  const auto syn = from_hex(testing::kScapyTcpSyn);
  for (size_t n = 0; n <= syn.size(); ++n) {
    EXPECT_FALSE(describe_frame(std::span(syn).subspan(0, n)).empty());
  }
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> f = syn;
    for (int k = 0; k < 4; ++k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
    f.resize(rng() % (f.size() + 1));
    EXPECT_FALSE(describe_frame(f).empty());
  }
}

}  // namespace
}  // namespace vnetref::wire
