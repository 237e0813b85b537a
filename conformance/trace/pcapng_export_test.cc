#include "conformance/trace/pcapng_export.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "conformance/trace/parser.h"
#include "stack/core/pcap.h"

namespace vnetref::conformance {
namespace {

constexpr const char* kTrace = R"(vnetref-trace 1
slot 0
case export
clauses ACL-1
description export test
# scapy: Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01', type=0x88b5)/Raw(b'abcd')
inject egress id=p1 020000000002 020000000001 88b5 61626364
expect egress id=p1 020000000002 020000000001 88b5 6162****
advance 2s
inject ingress id=p2 020000000001 020000000002 88b5 00
expect ingress match=prefix 020000000001
expect slowpath any
)";

TEST(PcapngExportTest, WritesInputsAndExpectationsWithComments) {
  auto t = parse_trace(kTrace);
  ASSERT_TRUE(t.has_value()) << t.error().to_string();
  std::ostringstream out;
  PcapngExportStats st = export_pcapng(*t, out);
  EXPECT_EQ(st.inputs, 2u);
  EXPECT_EQ(st.expected, 2u);
  EXPECT_EQ(st.skipped, 1u);
  const std::string bytes = out.str();
  auto cap = core::read_capture(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(cap.has_value());
  ASSERT_EQ(cap->records.size(), 4u);
  EXPECT_EQ(cap->interface_names.size(), 5u);
  EXPECT_EQ(cap->records[0].interface_id, 0u);
  EXPECT_EQ(cap->records[1].interface_id, 2u);
  EXPECT_EQ(cap->records[2].interface_id, 1u);
  EXPECT_EQ(cap->records[3].interface_id, 3u);
  EXPECT_EQ(core::to_nanos(cap->records[2].time), 2'000'000'000);
  EXPECT_NE(cap->records[0].comment.find("input egress id=p1"), std::string::npos);
  EXPECT_NE(cap->records[0].comment.find("scapy: Ether("), std::string::npos);
  EXPECT_NE(cap->records[0].comment.find("slot0/export [ACL-1] line 7"), std::string::npos);
  EXPECT_NE(cap->records[1].comment.find("don't-care bytes (written as 0): 16-17"), std::string::npos);
  EXPECT_NE(cap->records[3].comment.find("prefix match"), std::string::npos);
  EXPECT_EQ(cap->records[1].data.size(), 18u);
  EXPECT_EQ(cap->records[1].data[16], 0u);

  // Cross-check with Wireshark's reader when it is installed.
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
  char path[] = "/tmp/vnetref_export_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
  }
  const std::string cmd = std::string("tshark -r ") + path + " -T fields -e frame.comment -e frame.len 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string got;
  char buf[4096];
  while (fgets(buf, sizeof buf, p) != nullptr) got += buf;
  pclose(p);
  std::remove(path);
  EXPECT_NE(got.find("input egress id=p1"), std::string::npos) << got;
  EXPECT_NE(got.find("expected ingress"), std::string::npos) << got;
}

}  // namespace
}  // namespace vnetref::conformance
