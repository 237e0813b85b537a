#include "conformance/trace/parser.h"

#include <gtest/gtest.h>

namespace vnetref::conformance {
namespace {

constexpr const char* kGood = R"(# a comment before the version
vnetref-trace 1
slot 2
case dfw.tcp.strict_first_not_syn
clauses DFW-7 DFW-8
description A strict section drops
description a first packet that is not a SYN.
vnic vm=42 index=1 port=9
config
[
  {"slot": 2, "failure_policy": "failClosed", "config": {"rules": []}, "params": {"k": "v"}}
]
end

# scapy: Ether()/IP()/TCP(flags='A')
inject egress id=p1 port=3 vlan=0x0064 0200 0000 0002 020000000001 0800
advance 30s
expect ingress id=rst match=prefix 02**00000001
expect egress any
expect slowpath slot=2 00
expect none
expect none ingress
expect counter slot2.drop.state_mismatch 1
reconfigure 2 expect=invalid
{"rules": [
  {"id": 1}
]}
end
migrate 2
restore 2 expect=state deadbeef
restore 2 expect=error
ioctl 2 getrules -f nic-42-eth1-vmware-sfw.2
expect reply contains rule 1
service fw-svc down
slowpath return count=2 meta=0102
slowpath drop
)";

TEST(ParserTest, ParsesEveryDirective) {
  auto r = parse_trace(kGood);
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  const Trace& t = *r;
  EXPECT_EQ(t.version, 1u);
  ASSERT_TRUE(t.slot.has_value());
  EXPECT_EQ(*t.slot, 2u);
  EXPECT_EQ(t.suite(), "slot2");
  EXPECT_EQ(t.case_name, "dfw.tcp.strict_first_not_syn");
  EXPECT_EQ(t.clauses, (std::vector<std::string>{"DFW-7", "DFW-8"}));
  EXPECT_EQ(t.description, "A strict section drops a first packet that is not a SYN.");
  EXPECT_EQ(t.vnic.vm_id, 42u);
  EXPECT_EQ(t.vnic.vnic_index, 1u);
  EXPECT_EQ(t.vnic.port_id, 9u);
  ASSERT_EQ(t.filters.size(), 1u);
  EXPECT_EQ(t.filters[0].slot, 2u);
  EXPECT_EQ(t.filters[0].failure_policy, "failClosed");
  EXPECT_EQ(t.filters[0].config_json, R"({"rules":[]})");
  ASSERT_EQ(t.filters[0].params.size(), 1u);
  EXPECT_EQ(t.filters[0].line, 11u);
  ASSERT_EQ(t.steps.size(), 17u);

  const auto& inj = std::get<InjectStep>(t.steps[0].op);
  EXPECT_EQ(t.steps[0].line, 16u);
  EXPECT_EQ(t.steps[0].note, "scapy: Ether()/IP()/TCP(flags='A')");
  EXPECT_EQ(inj.dir, Port::kEgress);
  EXPECT_EQ(inj.id, "p1");
  EXPECT_EQ(inj.ingress_port, 3u);
  EXPECT_EQ(inj.vlan_tci, 100u);
  EXPECT_EQ(to_hex(inj.bytes), "0200000000020200000000010800");

  EXPECT_EQ(std::get<AdvanceStep>(t.steps[1].op).ns, 30'000'000'000);
  const auto& ex = std::get<ExpectPacketStep>(t.steps[2].op);
  EXPECT_EQ(ex.where, Port::kIngress);
  EXPECT_TRUE(ex.pattern.prefix);
  EXPECT_EQ(ex.pattern.to_hex(), "02**00000001");
  EXPECT_TRUE(std::get<ExpectPacketStep>(t.steps[3].op).pattern.any);
  EXPECT_EQ(std::get<ExpectPacketStep>(t.steps[4].op).slot.value_or(99), 2u);
  EXPECT_FALSE(std::get<ExpectNoneStep>(t.steps[5].op).where.has_value());
  EXPECT_EQ(std::get<ExpectNoneStep>(t.steps[6].op).where, Port::kIngress);
  const auto& ctr = std::get<ExpectCounterStep>(t.steps[7].op);
  EXPECT_EQ(ctr.name, "slot2.drop.state_mismatch");
  EXPECT_EQ(ctr.value, 1u);
  const auto& rc = std::get<ReconfigureStep>(t.steps[8].op);
  EXPECT_EQ(rc.expect, OpStatus::kInvalid);
  EXPECT_EQ(rc.config_json, R"({"rules":[{"id":1}]})");
  EXPECT_EQ(t.steps[9].line, 29u);  // line numbers continue after the JSON block
  EXPECT_EQ(std::get<RestoreStep>(t.steps[10].op).expect, OpStatus::kState);
  EXPECT_EQ(std::get<RestoreStep>(t.steps[10].op).blob.size(), 4u);
  EXPECT_EQ(std::get<RestoreStep>(t.steps[11].op).expect, OpStatus::kAnyError);
  EXPECT_TRUE(std::get<RestoreStep>(t.steps[11].op).blob.empty());
  EXPECT_EQ(std::get<IoctlStep>(t.steps[12].op).request, "getrules -f nic-42-eth1-vmware-sfw.2");
  EXPECT_EQ(std::get<ExpectReplyStep>(t.steps[13].op).contains, "rule 1");
  EXPECT_FALSE(std::get<ServiceStep>(t.steps[14].op).up);
  const auto& sp = std::get<SlowPathStep>(t.steps[15].op);
  EXPECT_TRUE(sp.give_back);
  EXPECT_EQ(sp.count, 2u);
  EXPECT_EQ(sp.meta, (std::vector<uint8_t>{1, 2}));
  EXPECT_FALSE(std::get<SlowPathStep>(t.steps[16].op).give_back);
}

std::string with_header(const std::string& steps) {
  return "vnetref-trace 1\nslot 0\ncase c\nclauses X-1\ndescription d\n" + steps;
}

TraceError error_of(const std::string& text) {
  auto r = parse_trace(text);
  EXPECT_FALSE(r.has_value()) << text;
  return r.has_value() ? TraceError{} : r.error();
}

TEST(ParserTest, MinimalTraceGetsDefaultFilterForItsSlot) {
  auto r = parse_trace(with_header(""));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  ASSERT_EQ(r->filters.size(), 1u);
  EXPECT_EQ(r->filters[0].slot, 0u);
  EXPECT_EQ(r->filters[0].config_json, "{}");
  EXPECT_EQ(r->vnic.vm_id, 1001u);
}

TEST(ParserTest, ChainTraceHasNoSlot) {
  auto r = parse_trace(
      "vnetref-trace 1\nslot chain\ncase c\nclauses C-1\ndescription d\nconfig\n"
      "[{\"slot\": 2}, {\"slot\": 1, \"agent\": \"x\"}]\nend\n");
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_FALSE(r->slot.has_value());
  EXPECT_EQ(r->suite(), "chain");
  ASSERT_EQ(r->filters.size(), 2u);
  EXPECT_EQ(r->filters[0].slot, 1u);  // sorted
  EXPECT_EQ(r->filters[0].agent, "x");
}

TEST(ParserTest, VersionErrors) {
  EXPECT_EQ(error_of("").kind, TraceErrorKind::kBadVersion);
  EXPECT_EQ(error_of("slot 1\n").kind, TraceErrorKind::kBadVersion);
  TraceError e = error_of("vnetref-trace 2\n");
  EXPECT_EQ(e.kind, TraceErrorKind::kBadVersion);
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.column, 15u);
  EXPECT_NE(e.message.find("version 2 is not supported"), std::string::npos);
}

TEST(ParserTest, MissingAndDuplicateHeaders) {
  EXPECT_EQ(error_of("vnetref-trace 1\ncase c\nclauses a\ndescription d\n").kind, TraceErrorKind::kMissingHeader);
  EXPECT_EQ(error_of("vnetref-trace 1\nslot 1\nclauses a\ndescription d\n").kind, TraceErrorKind::kMissingHeader);
  EXPECT_EQ(error_of("vnetref-trace 1\nslot 1\ncase c\ndescription d\n").kind, TraceErrorKind::kMissingHeader);
  EXPECT_EQ(error_of("vnetref-trace 1\nslot 1\ncase c\nclauses a\n").kind, TraceErrorKind::kMissingHeader);
  TraceError e = error_of(with_header("slot 1\n"));
  EXPECT_EQ(e.kind, TraceErrorKind::kDuplicateHeader);
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(error_of(with_header("advance 1s\ncase again\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of("vnetref-trace 1\nslot 16\n").kind, TraceErrorKind::kBadNumber);
}

TEST(ParserTest, HexErrorsPointAtTheToken) {
  TraceError e = error_of(with_header("inject egress 0g\n"));
  EXPECT_EQ(e.kind, TraceErrorKind::kBadHex);
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.column, 15u);
  EXPECT_EQ(error_of(with_header("inject egress abc\n")).kind, TraceErrorKind::kBadHex);
  EXPECT_EQ(error_of(with_header("inject egress a*\n")).kind, TraceErrorKind::kBadHex);  // no wildcards on input
  EXPECT_EQ(error_of(with_header("inject egress\n")).kind, TraceErrorKind::kBadHex);
  EXPECT_EQ(error_of(with_header("inject egress id=x\n")).kind, TraceErrorKind::kBadHex);
  EXPECT_EQ(error_of(with_header("expect egress\n")).kind, TraceErrorKind::kBadHex);
  std::string big = "inject egress ";
  big.append((kMaxPacketBytes + 1) * 2, 'a');
  EXPECT_EQ(error_of(with_header(big + "\n")).kind, TraceErrorKind::kBadHex);
}

TEST(ParserTest, StepErrors) {
  EXPECT_EQ(error_of(with_header("frobnicate 1\n")).kind, TraceErrorKind::kUnknownDirective);
  EXPECT_EQ(error_of(with_header("advance 10\n")).kind, TraceErrorKind::kBadNumber);
  EXPECT_EQ(error_of(with_header("advance 10d\n")).kind, TraceErrorKind::kBadNumber);
  EXPECT_EQ(error_of(with_header("advance 99999999h\n")).kind, TraceErrorKind::kBadNumber);
  EXPECT_EQ(error_of(with_header("inject sideways 00\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("inject egress colour=red 00\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("inject egress id=a id=b 00\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("inject egress id=a 00\ninject egress id=a 00\n")).kind, TraceErrorKind::kDuplicateId);
  EXPECT_EQ(error_of(with_header("inject egress vlan=70000 00\n")).kind, TraceErrorKind::kBadNumber);
  EXPECT_EQ(error_of(with_header("expect counter x\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("expect counter x -1\n")).kind, TraceErrorKind::kBadNumber);
  EXPECT_EQ(error_of(with_header("expect egress match=fuzzy 00\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("expect egress slot=1 00\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("expect egress match=prefix any\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("expect none upward\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("expect reply 1\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("migrate 3 expect=maybe\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("migrate 16\n")).kind, TraceErrorKind::kBadNumber);
  EXPECT_EQ(error_of(with_header("ioctl 1\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("service x sideways\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("slowpath keep\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("slowpath return count=0\n")).kind, TraceErrorKind::kBadNumber);
  EXPECT_EQ(error_of(with_header("slowpath drop meta=00\n")).kind, TraceErrorKind::kSyntax);
}

TEST(ParserTest, ConfigErrorsCarryTraceLines) {
  TraceError e = error_of(with_header("config\n[\n  {\"slot\": 2,\n   \"colour\": 1}\n]\nend\n"));
  EXPECT_EQ(e.kind, TraceErrorKind::kConfig);
  EXPECT_EQ(e.line, 9u);  // the unknown key's own line
  EXPECT_NE(e.message.find("colour"), std::string::npos);
  e = error_of(with_header("config\n[{\"slot\": 2,}]\nend\n"));
  EXPECT_EQ(e.kind, TraceErrorKind::kConfig);
  EXPECT_EQ(e.line, 7u);
  EXPECT_EQ(error_of(with_header("config\n{}\nend\n")).kind, TraceErrorKind::kConfig);
  EXPECT_EQ(error_of(with_header("config\n[{\"slot\": 1}, {\"slot\": 1}]\nend\n")).kind, TraceErrorKind::kConfig);
  EXPECT_EQ(error_of(with_header("config\n[{\"slot\": 1, \"failure_policy\": \"maybe\"}]\nend\n")).kind,
            TraceErrorKind::kConfig);
  e = error_of(with_header("config\n[]\n"));
  EXPECT_EQ(e.kind, TraceErrorKind::kUnterminated);
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(error_of(with_header("reconfigure 0\n[]\nend\n")).kind, TraceErrorKind::kConfig);
  EXPECT_EQ(error_of(with_header("reconfigure 0\n{\nend\n")).kind, TraceErrorKind::kConfig);
}

TEST(ParserTest, RejectsNulAndOversize) {
  EXPECT_EQ(error_of(with_header(std::string("advance 1s\0\n", 12))).kind, TraceErrorKind::kSyntax);
  std::string huge(kMaxTraceBytes + 1, '#');
  EXPECT_EQ(error_of(huge).kind, TraceErrorKind::kTooLarge);
}

TEST(PatternTest, ExactPrefixAndWildcards) {
  auto p = parse_hex_pattern("0a *b c*", true);
  ASSERT_TRUE(p.has_value());
  const std::vector<uint8_t> same = {0x0a, 0x1b, 0xc7};
  EXPECT_TRUE(p->matches(same));
  EXPECT_FALSE(p->matches(std::vector<uint8_t>{0x0a, 0x1c, 0xc7}));
  EXPECT_EQ(p->first_mismatch(std::vector<uint8_t>{0x0a, 0x1c, 0xc7}).value_or(99), 1u);
  // Longer actual: fails exact, passes prefix.
  const std::vector<uint8_t> longer = {0x0a, 0x1b, 0xc7, 0x00};
  EXPECT_EQ(p->first_mismatch(longer).value_or(99), 3u);
  p->prefix = true;
  EXPECT_TRUE(p->matches(longer));
  // Shorter actual never matches.
  EXPECT_EQ(p->first_mismatch(std::vector<uint8_t>{0x0a}).value_or(99), 1u);
  EXPECT_EQ(p->to_hex(), "0a*bc*");
  EXPECT_EQ(to_hex(p->resolve_with(std::vector<uint8_t>{0xff, 0xff, 0xff})), "0afbcf");
  EXPECT_FALSE(parse_hex_pattern("", true).has_value());
  EXPECT_FALSE(parse_hex_pattern("**", false).has_value());
}

}  // namespace
}  // namespace vnetref::conformance

namespace vnetref::conformance {
namespace {

TEST(ParserTest, SlowPathMetadataExpectation) {
  auto r = parse_trace(with_header("expect slowpath slot=4 meta=7376633a61 00\nexpect slowpath meta=- any\n"));
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  const auto& e = std::get<ExpectPacketStep>(r->steps[0].op);
  ASSERT_TRUE(e.meta.has_value());
  EXPECT_EQ(std::string(e.meta->begin(), e.meta->end()), "svc:a");
  EXPECT_TRUE(std::get<ExpectPacketStep>(r->steps[1].op).meta->empty());
  EXPECT_EQ(error_of(with_header("expect egress meta=00 00\n")).kind, TraceErrorKind::kSyntax);
  EXPECT_EQ(error_of(with_header("expect slowpath meta=0g 00\n")).kind, TraceErrorKind::kBadHex);
}

}  // namespace
}  // namespace vnetref::conformance
