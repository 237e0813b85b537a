// The verifier's runner and isolation, against toy C filters loaded with dlopen
// (conformance/testdata): passing cases, each kind of failure, and a vendor library
// that segfaults or hangs on a packet.
#include <gtest/gtest.h>

#include "conformance/trace/parser.h"
#include "conformance/verify/diff.h"
#include "conformance/verify/implementations.h"
#include "conformance/verify/isolate.h"
#include "conformance/verify/report.h"
#include "conformance/verify/runner.h"

namespace vnetref::conformance {
namespace {

std::unique_ptr<Implementation> load(const char* path) {
  auto lib = iochain::FilterLibrary::open(path);
  EXPECT_TRUE(lib.has_value()) << (lib ? "" : lib.error().message);
  if (!lib) return nullptr;
  return std::make_unique<AbiImplementation>(std::move(*lib));
}

Trace trace_of(const std::string& steps) {
  const std::string text = "vnetref-trace 1\nslot 0\ncase t\nclauses T-1\ndescription toy\nconfig\n"
                           "[{\"slot\": 0, \"failure_policy\": \"failClosed\", \"config\": {}}]\nend\n" +
                           steps;
  auto t = parse_trace(text);
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().to_string());
  return t ? *t : Trace{};
}

// dst 02:00:00:00:00:02, src 02:00:00:00:00:01, the given ethertype, 4 payload bytes.
std::string frame(const char* type) { return std::string("020000000002 020000000001 ") + type + " 01020304"; }
std::string swapped(const char* type) { return std::string("020000000001 020000000002 ") + type + " 01020304"; }

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    toy_ = load("conformance/testdata/libtoy_filter.so");
    ASSERT_NE(toy_, nullptr);
  }
  CaseResult run(const std::string& steps, Implementation* impl = nullptr) {
    Implementation& i = impl != nullptr ? *impl : *toy_;
    return run_isolated(trace_of(steps), "inline.trace", i, i, IsolateOptions{std::chrono::milliseconds(5000)});
  }
  std::unique_ptr<Implementation> toy_;
};

TEST_F(RunnerTest, PassingCase) {
  CaseResult r = run("inject egress id=a " + frame("0800") + "\nexpect egress id=a " + frame("0800") +
                     "\ninject ingress " + frame("0801") + "\nexpect ingress " + frame("08**") +
                     "\nexpect counter slot0.seen 2\n"
                     "inject egress " + frame("88b6") + "\nexpect none\nexpect counter slot0.drop.toy_block 1\n"
                     "advance 10s\nioctl 0 hello\nexpect reply contains says hello\nmigrate 0\n"
                     "expect counter slot0.seen 3\n");
  EXPECT_EQ(r.status, CaseStatus::kPass) << failure_text(r);
  EXPECT_EQ(r.steps_run, r.steps_total);
}

TEST_F(RunnerTest, InjectedAndFaultedPackets) {
  CaseResult r = run("inject egress id=q " + frame("88b7") + "\nexpect ingress " + swapped("88b7") +
                     "\nexpect none\ninject egress id=s " + frame("88b8") + "\nexpect slowpath slot=0 id=s " +
                     frame("88b8") + "\nexpect none egress\nslowpath return\nexpect egress " + frame("88b8") + "\n");
  EXPECT_EQ(r.status, CaseStatus::kPass) << failure_text(r);
}

TEST_F(RunnerTest, FieldDiffOnMismatch) {
  CaseResult r = run("inject egress id=a " + frame("88b7") + "\nexpect ingress " + frame("88b7") + "\n");
  ASSERT_EQ(r.status, CaseStatus::kFail);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->kind, "packet mismatch");
  EXPECT_EQ(r.failure->step_line, 10u);
  ASSERT_FALSE(r.failure->diffs.empty());
  EXPECT_EQ(format_diff(r.failure->diffs[0]), "Ether.dst expected 02:00:00:00:00:02 got 02:00:00:00:00:01");
  const std::string text = failure_text(r);
  EXPECT_NE(text.find("Ether.dst expected 02:00:00:00:00:02 got 02:00:00:00:00:01"), std::string::npos) << text;
  EXPECT_NE(text.find("received packet:"), std::string::npos);
  EXPECT_NE(text.find("^^"), std::string::npos);  // differing bytes marked in the hex dump
  EXPECT_NE(text.find("pkt a slot 0 egress drop toy_reply"), std::string::npos) << text;
}

TEST_F(RunnerTest, MissingPacketListsWhatArrived) {
  CaseResult r = run("inject egress " + frame("88b7") + "\nexpect egress " + frame("88b7") + "\n");
  ASSERT_EQ(r.status, CaseStatus::kFail);
  EXPECT_EQ(r.failure->kind, "missing packet");
  ASSERT_EQ(r.failure->arrived.size(), 1u);
  EXPECT_EQ(r.failure->arrived[0].where, "ingress");
}

TEST_F(RunnerTest, UnexpectedPacketAtEnd) {
  CaseResult r = run("inject egress id=x " + frame("0800") + "\n");
  ASSERT_EQ(r.status, CaseStatus::kFail);
  EXPECT_EQ(r.failure->kind, "unexpected packet");
  EXPECT_EQ(r.failure->step, "end of trace");
  ASSERT_EQ(r.failure->arrived.size(), 1u);
  EXPECT_EQ(r.failure->arrived[0].id, "x");
}

TEST_F(RunnerTest, LengthAndPrefix) {
  EXPECT_EQ(run("inject egress " + frame("0800") + "\nexpect egress match=prefix 020000000002\n").status,
            CaseStatus::kPass);
  CaseResult r = run("inject egress " + frame("0800") + "\nexpect egress 020000000002\n");
  ASSERT_EQ(r.status, CaseStatus::kFail);
  EXPECT_NE(r.failure->message.find("length differs"), std::string::npos) << r.failure->message;
}

TEST_F(RunnerTest, CounterAndStatusFailures) {
  CaseResult r = run("inject egress " + frame("88b6") + "\nexpect counter slot0.drop.toy_block 2\n");
  ASSERT_EQ(r.status, CaseStatus::kFail);
  EXPECT_EQ(r.failure->message, "slot0.drop.toy_block expected 2 got 1");
  r = run("expect counter slot0.nonexistent 0\n");
  ASSERT_EQ(r.status, CaseStatus::kFail);
  EXPECT_NE(r.failure->message.find("does not exist"), std::string::npos);
  EXPECT_EQ(run("reconfigure 0 expect=invalid\n{\"bad\": 1}\nend\n").status, CaseStatus::kPass);
  r = run("reconfigure 0\n{\"bad\": 1}\nend\n");
  ASSERT_EQ(r.status, CaseStatus::kFail);
  EXPECT_NE(r.failure->message.find("expected status ok got invalid"), std::string::npos) << r.failure->message;
  EXPECT_EQ(run("restore 0 expect=state 00\n").status, CaseStatus::kPass);
  EXPECT_EQ(run("ioctl 0 expect=unsupported nope\n").status, CaseStatus::kPass);
}

TEST_F(RunnerTest, FailedConfigurationAppliesFailurePolicy) {
  auto t = parse_trace(
      "vnetref-trace 1\nslot 0\ncase t\nclauses T-1\ndescription toy\nconfig\n"
      "[{\"slot\": 0, \"failure_policy\": \"failOpen\", \"config\": {\"bad\": 1}}]\nend\n"
      "inject egress " + frame("88b6") + "\nexpect egress " + frame("88b6") + "\n");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(run_case(*t, "x", *toy_, *toy_).status, CaseStatus::kPass);
  auto closed = parse_trace(
      "vnetref-trace 1\nslot 0\ncase t\nclauses T-1\ndescription toy\nconfig\n"
      "[{\"slot\": 0, \"failure_policy\": \"failClosed\", \"config\": {\"bad\": 1}}]\nend\n"
      "inject egress " + frame("0800") + "\nexpect none\nexpect counter slot0.drop.fail_closed 1\n");
  ASSERT_TRUE(closed.has_value());
  CaseResult r = run_case(*closed, "x", *toy_, *toy_);
  EXPECT_EQ(r.status, CaseStatus::kPass) << failure_text(r);
}

TEST_F(RunnerTest, SkipsSlotsTheImplementationLacks) {
  auto t = parse_trace("vnetref-trace 1\nslot 2\ncase t\nclauses T-1\ndescription d\n");
  ASSERT_TRUE(t.has_value());
  CaseResult r = run_case(*t, "x", *toy_, *toy_);
  EXPECT_EQ(r.status, CaseStatus::kSkip);
  EXPECT_NE(r.detail.find("no filter for slot 2"), std::string::npos);
}

// The acceptance test for crashing vendors: a NULL dereference on one packet
// fails that case (with the step), the next case still runs.
TEST_F(RunnerTest, SegfaultingVendorFailsOnlyItsCase) {
  auto segv = load("conformance/testdata/libsegv_filter.so");
  ASSERT_NE(segv, nullptr);
  CaseResult crash = run("inject egress " + frame("0800") + "\nexpect egress " + frame("0800") + "\ninject egress id=boom " +
                             frame("88b5") + "\nexpect egress " + frame("88b5") + "\n",
                         segv.get());
  ASSERT_EQ(crash.status, CaseStatus::kCrash);
  // Under ASan the sanitizer catches the SEGV, reports it and aborts: either way the
  // signal is named.
  EXPECT_TRUE(crash.detail.find("SIGSEGV") != std::string::npos || crash.detail.find("SIGABRT") != std::string::npos)
      << crash.detail;
  EXPECT_NE(crash.detail.find("step 3 (line 11, inject egress boom)"), std::string::npos) << crash.detail;
  ASSERT_TRUE(crash.failure.has_value());
  EXPECT_EQ(crash.failure->step_line, 11u);
  CaseResult after = run("inject egress " + frame("0800") + "\nexpect egress " + frame("0800") + "\n", segv.get());
  EXPECT_EQ(after.status, CaseStatus::kPass) << failure_text(after);
}

TEST_F(RunnerTest, HangingVendorTimesOut) {
  auto segv = load("conformance/testdata/libsegv_filter.so");
  ASSERT_NE(segv, nullptr);
  CaseResult r = run_isolated(trace_of("inject egress " + frame("88b4") + "\n"), "x", *segv, *segv,
                              IsolateOptions{std::chrono::milliseconds(300)});
  ASSERT_EQ(r.status, CaseStatus::kTimeout);
  EXPECT_NE(r.detail.find("killed during step 1"), std::string::npos) << r.detail;
}

TEST_F(RunnerTest, ReportsRender) {
  RunReport rep;
  rep.implementation = "toy";
  rep.suites_dir = "inline";
  rep.results.push_back(run("inject egress " + frame("0800") + "\nexpect egress " + frame("0800") + "\n"));
  rep.results.push_back(run("inject egress " + frame("88b7") + "\nexpect ingress " + frame("88b7") + "\n"));
  std::ostringstream junit;
  write_junit(rep, junit);
  EXPECT_NE(junit.str().find("<testsuites name=\"vnetref-conformance\" tests=\"2\" failures=\"1\""), std::string::npos)
      << junit.str();
  EXPECT_NE(junit.str().find("<failure type=\"fail\""), std::string::npos);
  std::ostringstream html;
  write_html(rep, html);
  EXPECT_NE(html.str().find("<mark>"), std::string::npos);
  EXPECT_NE(html.str().find("Ether.dst"), std::string::npos);
  std::ostringstream sum;
  print_summary(rep, sum);
  EXPECT_NE(sum.str().find("slot0"), std::string::npos);
  EXPECT_NE(sum.str().find("FAIL"), std::string::npos);
}

TEST(ResultJsonTest, RoundTrips) {
  CaseResult r;
  r.suite = "slot2";
  r.case_name = "c";
  r.clauses = {"A-1", "B-2"};
  r.status = CaseStatus::kFail;
  r.steps_total = 4;
  r.log = std::string("bin\x01\xff", 5);
  Failure f;
  f.step_line = 9;
  f.kind = "packet mismatch";
  f.has_packets = true;
  f.actual = {1, 2, 3};
  f.diffs.push_back(FieldDiff{"TCP", "TCP.flags", "RA", "R"});
  f.arrived.push_back(ArrivedPacket{"slowpath", "p", 2, 7, {9}, {1, 2}});
  r.failure = f;
  auto back = case_result_from_json(*config::parse_json(to_json(r).dump()));
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->status, CaseStatus::kFail);
  EXPECT_EQ(back->clauses, r.clauses);
  EXPECT_EQ(back->failure->diffs[0].actual, "R");
  EXPECT_EQ(back->failure->arrived[0].slot, 2u);
  EXPECT_EQ(back->failure->arrived[0].meta, (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(back->failure->actual, f.actual);
  EXPECT_EQ(back->log, r.log);
}

}  // namespace
}  // namespace vnetref::conformance
