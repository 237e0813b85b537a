// The C ABI host adapter: validation, parameters, wrappers, callbacks.
#include <gtest/gtest.h>

#include "stack/iochain/abi_host.h"
#include "stack/iochain/reference.h"
#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain {
namespace {

using testing::Harness;
using testing::ip;

FilterPlacement at(uint32_t slot) { return FilterPlacement{slot, 1001, 0, 7, filter_name(1001, 0, "x", slot)}; }

TEST(Abi, ReferenceOpsTablesPerSlot) {
  for (uint32_t s = 0; s < 20; ++s) {
    const vnr_filter_ops* ops = vnr_reference_filter_ops(s);
    const bool expect = s <= 15 && !slot_reserved(s);
    EXPECT_EQ(ops != nullptr, expect) << s;
    if (ops != nullptr) {
      EXPECT_TRUE(validate_ops(ops, s)) << s;
      EXPECT_EQ(ops->abi_version, VNR_FILTER_ABI_VERSION);
      EXPECT_EQ(ops->struct_size, sizeof(vnr_filter_ops));
    }
  }
  EXPECT_STREQ(vnr_reference_filter_ops(2)->drop_reasons[0], "rule_match");
}

TEST(Abi, ValidationRefusesBadTables) {
  vnr_filter_ops ops = *vnr_reference_filter_ops(2);
  EXPECT_FALSE(validate_ops(&ops, 1));  // slot mask: DFW only in slot 2
  ops.abi_version = 99;
  auto st = validate_ops(&ops, 2);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, FilterError::kVersion);
  ops = *vnr_reference_filter_ops(2);
  ops.struct_size = 16;
  EXPECT_FALSE(validate_ops(&ops, 2));
  ops = *vnr_reference_filter_ops(2);
  ops.process = nullptr;
  EXPECT_FALSE(validate_ops(&ops, 2));
  EXPECT_FALSE(validate_ops(nullptr, 2));
}

TEST(Abi, ParameterLimits) {
  FilterParams many;
  for (int i = 0; i < 17; ++i) many.push_back({"k" + std::to_string(i), "v"});
  auto f = AbiFilter::create(vnr_reference_filter_ops(0), at(0), "{}", many);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("at most 16"), std::string::npos);
  auto g = AbiFilter::create(vnr_reference_filter_ops(0), at(0), "{}", {{"k", std::string(256, 'v')}});
  ASSERT_FALSE(g);
  FilterPlacement longname = at(0);
  longname.name = std::string(101, 'n');
  EXPECT_FALSE(AbiFilter::create(vnr_reference_filter_ops(0), longname, "{}", {}));
  // Parameters reach the filter: config.<key> overrides the configuration.
  auto h = AbiFilter::create(vnr_reference_filter_ops(0), at(0), R"({"default_action": "allow"})",
                             {{"config.default_action", "drop"}});
  ASSERT_TRUE(h);
  Harness chain;
  ASSERT_TRUE(chain.chain.attach(0, std::move(h).value(), FailurePolicy::kFailClosed));
  EXPECT_FALSE(chain.send(testing::udp_frame(testing::L2{}, ip("1.1.1.1"), ip("2.2.2.2"), 1, 2), Direction::kEgress));
  EXPECT_EQ(chain.counter("acl.drop.default_action"), 1u);
}

TEST(Abi, CreateErrorsCarryTheFiltersMessage) {
  auto f = AbiFilter::create(vnr_reference_filter_ops(2), at(2), R"({"sections": 5})", {});
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("vmware-sfw: "), std::string::npos);
  EXPECT_NE(f.error().message.find("config.sections"), std::string::npos) << f.error().message;
}

TEST(Abi, IoctlStateAndConfigThroughTheAbi) {
  Harness h;
  SlotSpec s;
  s.slot = 2;
  s.agent = "vmware-sfw";
  s.via_abi = true;
  s.config_json = R"({"sections": [{"id": 3, "rules": [{"id": 7, "action": "allow", "services": [{"protocol": "udp"}]}]}],
                      "default_rule": {"id": 2, "action": "drop"}})";
  ASSERT_TRUE(install_filter(h.chain, s));
  EXPECT_TRUE(h.send(testing::udp_frame(testing::L2{}, ip("10.0.0.1"), ip("8.8.8.8"), 5, 53), Direction::kEgress));
  auto rules = h.chain.ioctl(2, "getrules");
  ASSERT_TRUE(rules);
  EXPECT_NE(rules->find("rule 7 at 1 inout protocol udp from any to any accept;"), std::string::npos) << *rules;
  auto bad = h.chain.ioctl(2, "nonsense");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, FilterError::kUnsupported);
  auto saved = h.chain.save_state(2);
  ASSERT_TRUE(saved);
  EXPECT_FALSE(saved->empty());
  ASSERT_TRUE(h.chain.restore_state(2, *saved));
  EXPECT_EQ(*h.chain.save_state(2), *saved);
  auto cfg = h.chain.config_changed(2, R"({"sections": [{"rules": [{"id": 1, "action": "nope"}]}]})");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("action"), std::string::npos);
  EXPECT_EQ(h.counter("dfw.abi.held"), 0u);
}

TEST(Abi, InjectedRepliesAndTimersCrossTheAbi) {
  Harness h;
  SlotSpec s;
  s.slot = 2;
  s.agent = "vmware-sfw";
  s.via_abi = true;
  s.config_json = R"({"conn_limit": 16, "sections": [{"rules": [{"id": 5, "action": "reject", "services": [{"protocol": "tcp"}]},
                      {"id": 6, "action": "allow", "services": [{"protocol": "udp"}]}]}]})";
  ASSERT_TRUE(install_filter(h.chain, s));
  EXPECT_FALSE(h.send(testing::tcp_frame(testing::L2{}, ip("10.0.0.1"), ip("10.0.0.2"), testing::TcpSeg{}), Direction::kEgress));
  ASSERT_EQ(h.sink.ingress.size(), 1u);
  EXPECT_TRUE(h.send(testing::udp_frame(testing::L2{}, ip("10.0.0.1"), ip("8.8.8.8"), 5, 53), Direction::kEgress));
  EXPECT_EQ(h.counter("dfw.conn.active"), 1u);
  h.advance(std::chrono::seconds(75));  // udp.first 60 s, purge every 10 s
  EXPECT_EQ(h.counter("dfw.conn.active"), 0u);
}

}  // namespace
}  // namespace vnetref::iochain
