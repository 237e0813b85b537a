#include <gtest/gtest.h>

#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"

namespace vnetref::wire {
namespace {

TEST(MacAddress, ParseAndFormatRoundTrip) {
  auto m = MacAddress::parse("00:1A:2b:3c:4D:5e");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->to_string(), "00:1a:2b:3c:4d:5e");
  EXPECT_EQ(MacAddress::parse("00-1a-2b-3c-4d-5e"), m);
  EXPECT_FALSE(MacAddress::parse("00:1a:2b:3c:4d").has_value());
  EXPECT_FALSE(MacAddress::parse("00:1a:2b:3c:4d:5g").has_value());
  EXPECT_FALSE(MacAddress::parse("00:1a-2b:3c:4d:5e").has_value());
  EXPECT_FALSE(MacAddress::parse("").has_value());
}

TEST(MacAddress, Classification) {
  EXPECT_TRUE(MacAddress::broadcast().is_broadcast());
  EXPECT_TRUE(MacAddress::broadcast().is_multicast());
  const MacAddress mcast(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
  EXPECT_TRUE(mcast.is_multicast());
  EXPECT_FALSE(mcast.is_broadcast());
  const MacAddress local(0x02, 0, 0, 0, 0, 1);
  EXPECT_TRUE(local.is_unicast());
  EXPECT_TRUE(local.is_local());
  EXPECT_TRUE(MacAddress().is_zero());
  uint8_t buf[6];
  local.write_to(buf);
  EXPECT_EQ(MacAddress::from_bytes(buf), local);
}

TEST(Ipv4Address, ParseAndFormat) {
  auto a = Ipv4Address::parse("192.168.0.199");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->to_u32(), 0xc0a800c7u);
  EXPECT_EQ(a->to_string(), "192.168.0.199");
  EXPECT_EQ(Ipv4Address(10, 0, 0, 1).to_string(), "10.0.0.1");
  EXPECT_EQ(Ipv4Address::parse("010.0.0.1"), Ipv4Address(10, 0, 0, 1));  // decimal, not octal
  uint8_t buf[4];
  a->write_to(buf);
  EXPECT_EQ(buf[0], 192);
  EXPECT_EQ(buf[3], 199);
  EXPECT_EQ(Ipv4Address::from_bytes(buf), *a);
}

TEST(Ipv4Address, ParseRejectsMalformed) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
                          "1.2.3.0004", "-1.2.3.4", "1.2.3."}) {
    EXPECT_FALSE(Ipv4Address::parse(bad).has_value()) << bad;
  }
}

TEST(Ipv4Address, Classification) {
  EXPECT_TRUE(Ipv4Address(224, 0, 0, 1).is_multicast());
  EXPECT_TRUE(Ipv4Address(239, 255, 255, 255).is_multicast());
  EXPECT_FALSE(Ipv4Address(240, 0, 0, 1).is_multicast());
  EXPECT_TRUE(Ipv4Address::broadcast().is_broadcast());
  EXPECT_TRUE(Ipv4Address(127, 0, 0, 1).is_loopback());
  EXPECT_TRUE(Ipv4Address(169, 254, 3, 4).is_link_local());
  EXPECT_TRUE(Ipv4Address::any().is_unspecified());
  EXPECT_LT(Ipv4Address(10, 0, 0, 1), Ipv4Address(10, 0, 0, 2));
}

TEST(Ipv4Prefix, ContainsAndParts) {
  auto p = Ipv4Prefix::parse("10.1.2.3/16");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->network(), Ipv4Address(10, 1, 0, 0));  // host bits masked
  EXPECT_EQ(p->netmask(), Ipv4Address(255, 255, 0, 0));
  EXPECT_EQ(p->broadcast(), Ipv4Address(10, 1, 255, 255));
  EXPECT_TRUE(p->contains(Ipv4Address(10, 1, 200, 7)));
  EXPECT_FALSE(p->contains(Ipv4Address(10, 2, 0, 0)));
  EXPECT_EQ(p->to_string(), "10.1.0.0/16");

  const Ipv4Prefix all(Ipv4Address(1, 2, 3, 4), 0);
  EXPECT_TRUE(all.contains(Ipv4Address(255, 255, 255, 255)));
  EXPECT_EQ(all.netmask(), Ipv4Address(0u));
  const Ipv4Prefix host(Ipv4Address(1, 2, 3, 4), 32);
  EXPECT_TRUE(host.contains(Ipv4Address(1, 2, 3, 4)));
  EXPECT_FALSE(host.contains(Ipv4Address(1, 2, 3, 5)));
}

TEST(Ipv4Prefix, ParseRejectsMalformed) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/1a", "x/8", "10.0.0.0/008"}) {
    EXPECT_FALSE(Ipv4Prefix::parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(Ipv4Prefix::parse("0.0.0.0/0")->length(), 0);
}

}  // namespace
}  // namespace vnetref::wire
