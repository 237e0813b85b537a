#include "conformance/trace/writer.h"

#include <gtest/gtest.h>

#include "conformance/trace/parser.h"

namespace vnetref::conformance {
namespace {

constexpr const char* kTrace = R"(vnetref-trace 1
slot chain
case chain.order
clauses CH-1 CH-2
description two
description lines
vnic vm=5 index=2 port=11
config
[{"slot": 2, "failure_policy": "failOpen", "config": {"a": [1, 2.5, "x"]}, "params": {"p": "q"}},
 {"slot": 1}]
end
# scapy: Ether()
#
# second line
inject ingress id=a port=4 vlan=100 00112233
advance 1500ms
advance 7ns
advance 2h
expect egress id=b match=prefix 00**
expect slowpath slot=2 any
expect none slowpath
expect counter slot1.drop.x 18446744073709551615
reconfigure 1 expect=error
{"z": null}
end
migrate 2 expect=state
restore 2 00
ioctl 2 dump  all
expect reply contains a b
service s-1 up
slowpath return count=3 meta=ff
slowpath drop
)";

TEST(WriterTest, RoundTripsEveryDirective) {
  auto first = parse_trace(kTrace);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  const std::string text = format_trace(*first);
  auto second = parse_trace(text);
  ASSERT_TRUE(second.has_value()) << second.error().to_string() << "\n" << text;
  EXPECT_EQ(format_trace(*second), text);
  EXPECT_EQ(second->steps.size(), first->steps.size());
  EXPECT_EQ(second->steps[0].note, "scapy: Ether()\n\nsecond line");
  EXPECT_EQ(std::get<AdvanceStep>(second->steps[1].op).ns, 1'500'000'000);
  EXPECT_EQ(std::get<AdvanceStep>(second->steps[3].op).ns, int64_t{7200} * 1'000'000'000);
  EXPECT_NE(text.find("advance 1500ms"), std::string::npos);
  EXPECT_NE(text.find("vnic vm=5 index=2 port=11"), std::string::npos);
  EXPECT_EQ(second->filters[1].config_json, first->filters[1].config_json);
  EXPECT_EQ(second->description, "two lines");
}

}  // namespace
}  // namespace vnetref::conformance

namespace vnetref::conformance {
namespace {

// Found by the fuzzer: a slot trace whose configuration lacks its own slot gets a
// default filter, which must be kept in slot order so the text round-trips.
TEST(WriterTest, DefaultFilterKeepsSlotOrder) {
  auto t = parse_trace("vnetref-trace 1\nslot 2\ncase c\nclauses X-1\ndescription d\nconfig\n[{\"slot\": 4}]\nend\n");
  ASSERT_TRUE(t.has_value()) << t.error().to_string();
  ASSERT_EQ(t->filters.size(), 2u);
  EXPECT_EQ(t->filters[0].slot, 2u);
  EXPECT_EQ(t->filters[1].slot, 4u);
  const std::string once = format_trace(*t);
  auto again = parse_trace(once);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(format_trace(*again), once);
}

}  // namespace
}  // namespace vnetref::conformance
