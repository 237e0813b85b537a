// Loads the example vendor filter by path into a service-insertion slot.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "stack/iochain/abi_host.h"
#include "stack/iochain/reference.h"
#include "stack/iochain/testing/harness.h"

namespace vnetref::iochain {
namespace {

using testing::Harness;
using testing::ip;

std::string runfile(const char* rel) {
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return std::string(dir != nullptr ? dir : ".") + "/" + (ws != nullptr ? ws : "vnetref") + "/" + rel;
}

std::vector<uint8_t> frame_with(const char* text) {
  auto f = testing::udp_frame(testing::L2{}, ip("10.0.0.1"), ip("10.0.0.2"), 1, 2, 32);
  std::memcpy(f.data() + 14 + 20 + 8, text, std::strlen(text));
  return f;
}

SlotSpec spec(uint32_t slot, const char* action) {
  SlotSpec s;
  s.slot = slot;
  s.agent = "acme-sigfilter";
  s.policy = FailurePolicy::kFailOpen;
  s.library = runfile("examples/libsignature_filter.so");
  s.params = {{"signature", "4556494c"}, {"action", action}};  // "EVIL"
  return s;
}

TEST(SignatureFilter, LoadsByPathIntoSlots4To12AndDrops) {
  Harness h;
  ASSERT_TRUE(install_filter(h.chain, spec(6, "drop")));
  EXPECT_EQ(h.chain.filter_name(6), "nic-1001-eth0-acme-sigfilter.6");
  EXPECT_TRUE(h.send(frame_with("hello"), Direction::kEgress));
  EXPECT_FALSE(h.send(frame_with("an EVIL payload"), Direction::kEgress, 5));
  EXPECT_EQ(h.counter("sig.drop.signature_match"), 1u);
  EXPECT_EQ(h.counter("sig.matched"), 1u);
  EXPECT_EQ(h.counter("sig.seen"), 2u);
  auto stats = h.chain.ioctl(6, "stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(*stats, "seen 2 matched 1 faulted 0\n");
  EXPECT_NE(h.chain.summarize().find("agentName: acme-sigfilter"), std::string::npos);
}

TEST(SignatureFilter, FaultCopiesAndFaults) {
  Harness h;
  ASSERT_TRUE(install_filter(h.chain, spec(4, "copy")));
  EXPECT_TRUE(h.send(frame_with("EVIL"), Direction::kEgress, 1));
  ASSERT_EQ(h.slow.size(), 1u);
  auto rec = h.slow.pop();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->slot, 4u);
  EXPECT_EQ(std::string(rec->meta.begin(), rec->meta.end()), "sigfilter");
  Harness g;
  ASSERT_TRUE(install_filter(g.chain, spec(5, "fault")));
  EXPECT_FALSE(g.send(frame_with("EVIL"), Direction::kEgress, 2));
  auto r2 = g.slow.pop();
  ASSERT_TRUE(r2);
  // Back from the slow path: process_returned lets it through, and it leaves the chain.
  g.chain.reinject(r2->slot, std::move(r2->packet), r2->dir, r2->meta);
  EXPECT_EQ(g.sink.egress.size(), 1u);
}

TEST(SignatureFilter, RefusesOtherSlotsAndBadParams) {
  Harness h;
  SlotSpec s = spec(2, "drop");
  auto st = install_filter(h.chain, s);
  ASSERT_FALSE(st);
  EXPECT_EQ(h.chain.slot_state(2), SlotState::kFailed);  // failure policy now applies
  SlotSpec bad = spec(7, "explode");
  ASSERT_FALSE(install_filter(h.chain, bad));
  EXPECT_NE(h.chain.summarize().find("failure: invalid: acme-sigfilter: action: drop, copy or fault"), std::string::npos)
      << h.chain.summarize();
  // failOpen: traffic passes the failed slots.
  EXPECT_TRUE(h.send(frame_with("EVIL"), Direction::kEgress));
}

TEST(SignatureFilter, SaveRestoreAndConfigChanged) {
  Harness h;
  ASSERT_TRUE(install_filter(h.chain, spec(8, "drop")));
  EXPECT_FALSE(h.send(frame_with("EVIL"), Direction::kEgress));
  auto saved = h.chain.save_state(8);
  ASSERT_TRUE(saved);
  Harness other;
  ASSERT_TRUE(install_filter(other.chain, spec(8, "drop")));
  ASSERT_TRUE(other.chain.restore_state(8, *saved));
  EXPECT_EQ(*other.chain.save_state(8), *saved);
  ASSERT_TRUE(other.chain.config_changed(8, R"({"signature": "474f4f44"})"));  // "GOOD"
  EXPECT_TRUE(other.send(frame_with("EVIL"), Direction::kEgress));
  EXPECT_FALSE(other.send(frame_with("GOOD"), Direction::kEgress));
  EXPECT_FALSE(other.chain.config_changed(8, R"({"signature": "zz"})"));
}

TEST(ReferenceLibrary, LoadsByPathLikeAVendorLibrary) {
  auto lib = FilterLibrary::open(runfile("stack/iochain/libvnr_reference_filters.so"));
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ((*lib)->ops(3), nullptr);
  const vnr_filter_ops* dfw = (*lib)->ops(2);
  ASSERT_NE(dfw, nullptr);
  EXPECT_STREQ(dfw->agent_name, "vmware-sfw");
  Harness h;
  SlotSpec s;
  s.slot = 2;
  s.agent = "vmware-sfw";
  s.library = runfile("stack/iochain/libvnr_reference_filters.so");
  s.config_json = R"({"default_rule": {"id": 2, "action": "drop"}})";
  ASSERT_TRUE(install_filter(h.chain, s));
  EXPECT_FALSE(h.send(frame_with("x"), Direction::kEgress));
  EXPECT_EQ(h.counter("dfw.drop.rule_match"), 1u);
  EXPECT_EQ(h.counter("dfw.rule.2.hits"), 1u);
}

TEST(ReferenceLibrary, MissingLibraryIsAClearError) {
  auto lib = FilterLibrary::open("/nonexistent/libnothing.so");
  ASSERT_FALSE(lib);
  EXPECT_NE(lib.error().message.find("dlopen /nonexistent/libnothing.so"), std::string::npos);
}

}  // namespace
}  // namespace vnetref::iochain
