#include "stack/core/pcap.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace vnetref::core {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

std::vector<uint8_t> Frame(uint8_t fill, size_t n) { return std::vector<uint8_t>(n, fill); }

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Pcap, RoundTripsWithNanosecondTimestamps) {
  std::ostringstream out;
  PcapWriter w(out);
  w.write(kEpoch + seconds(1) + Duration(5), Frame(0xaa, 60));
  w.write(kEpoch + seconds(2), Frame(0xbb, 1514));
  auto bytes = Bytes(out.str());
  auto cap = read_capture(bytes);
  ASSERT_TRUE(cap) << name_of(cap.error());
  ASSERT_EQ(cap->records.size(), 2u);
  EXPECT_FALSE(cap->pcapng);
  EXPECT_EQ(cap->records[0].time, kEpoch + seconds(1) + Duration(5));
  EXPECT_EQ(cap->records[1].data, Frame(0xbb, 1514));
}

TEST(Pcapng, RoundTripsInterfacesAndComments) {
  std::ostringstream out;
  PcapngWriter w(out);
  uint32_t in = w.add_interface("input");
  uint32_t exp = w.add_interface("expected");
  w.write(in, kEpoch + microseconds(10), Frame(1, 61), "inject egress port 1");
  w.write(exp, kEpoch + microseconds(20), Frame(2, 64));
  auto bytes = Bytes(out.str());
  auto cap = read_capture(bytes);
  ASSERT_TRUE(cap) << name_of(cap.error());
  EXPECT_TRUE(cap->pcapng);
  EXPECT_EQ(cap->interface_names, (std::vector<std::string>{"input", "expected"}));
  ASSERT_EQ(cap->records.size(), 2u);
  EXPECT_EQ(cap->records[0].comment, "inject egress port 1");
  EXPECT_EQ(cap->records[0].data.size(), 61u);
  EXPECT_EQ(cap->records[1].interface_id, 1u);
  EXPECT_EQ(cap->records[1].time, kEpoch + microseconds(20));
}

TEST(CaptureReader, RejectsMalformedFilesWithTypedErrors) {
  std::ostringstream out;
  PcapngWriter w(out);
  w.add_interface("x");
  w.write(0, kEpoch, Frame(3, 40), "c");
  auto good = Bytes(out.str());
  // Every truncation is an error or a shorter valid capture, never a crash.
  for (size_t n = 0; n < good.size(); ++n) {
    auto cap = read_capture(std::span<const uint8_t>(good.data(), n));
    if (cap) {
      EXPECT_LE(cap->records.size(), 1u);
    }
  }
  auto bad = good;
  bad[0] = 0x00;
  EXPECT_FALSE(read_capture(bad));
  auto badlen = good;
  badlen[4] = 0x03;  // block length not a multiple of 4
  EXPECT_EQ(read_capture(badlen).error(), CaptureError::kBadBlockLength);
  std::vector<uint8_t> tiny{1, 2};
  EXPECT_EQ(read_capture(tiny).error(), CaptureError::kTruncated);
}

// tshark (installed by tools/setup.sh) must open both files cleanly.
TEST(Pcap, TsharkReadsOurFiles) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark not installed";
  auto dir = std::filesystem::temp_directory_path() / ("vnetref_pcap_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // A minimal valid Ethernet/ARP frame so tshark dissects real layers.
  std::vector<uint8_t> arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06,
                              0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1,
                              0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
  {
    std::ofstream f(dir / "a.pcap", std::ios::binary);
    PcapWriter w(f);
    w.write(kEpoch + seconds(1), arp);
  }
  {
    std::ofstream f(dir / "a.pcapng", std::ios::binary);
    PcapngWriter w(f);
    w.add_interface("cap0");
    w.write(0, kEpoch + seconds(1), arp, "hello comment");
  }
  for (const char* name : {"a.pcap", "a.pcapng"}) {
    std::string cmd = "tshark -r " + (dir / name).string() + " -T fields -e arp.dst.proto_ipv4 -e frame.comment 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[256] = {};
    std::string output;
    while (fgets(buf, sizeof buf, p) != nullptr) output += buf;
    int rc = pclose(p);
    EXPECT_EQ(rc, 0) << output;
    EXPECT_NE(output.find("10.0.0.2"), std::string::npos) << name << ": " << output;
    if (std::string(name) == "a.pcapng") {
      EXPECT_NE(output.find("hello comment"), std::string::npos) << output;
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vnetref::core
