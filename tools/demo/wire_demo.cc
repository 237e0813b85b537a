// Builds a frame of every protocol the wire layer knows (plus broken variants),
// carries each through the packet core (pool -> packet-handle view -> mbuf view),
// dissects it, validates checksums, and prints one line per layer and a summary.
// Writes the frames to a pcapng (one comment per frame) and reads it back.
//
//   wire_demo [--pcap PATH] [--quiet]
//   wire_demo --self-test      exit status says whether every expectation held
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/pcap.h"
#include "stack/core/views.h"
#include "stack/wire/frame_builder.h"
#include "stack/wire/pretty.h"

namespace {

using namespace vnetref;
using wire::FrameBuilder;

struct DemoFrame {
  std::string name;
  std::vector<uint8_t> bytes;
  bool expect_valid;  // every layer parses and every checksum is right
};

wire::EthernetHeader Eth(uint16_t vlan = 0) {
  wire::EthernetHeader e;
  e.src = wire::MacAddress(0x02, 0, 0, 0, 0, 0x01);
  e.dst = wire::MacAddress(0x02, 0, 0, 0, 0, 0x02);
  if (vlan != 0) {
    wire::VlanTagRepr tag;
    tag.tci.vid = vlan;
    e.push_tag(tag);
  }
  return e;
}

wire::Ipv4Header Ip(uint16_t id) {
  wire::Ipv4Header ip;
  ip.src = wire::Ipv4Address(10, 0, 0, 1);
  ip.dst = wire::Ipv4Address(10, 0, 0, 2);
  ip.ident = id;
  return ip;
}

std::vector<DemoFrame> BuildFrames() {
  std::vector<DemoFrame> out;
  static const uint8_t kPayload[] = {'v', 'n', 'e', 't', 'r', 'e', 'f'};

  wire::ArpRepr arp;
  arp.op = 1;
  arp.sender_mac = wire::MacAddress(0x02, 0, 0, 0, 0, 0x01);
  arp.sender_ip = wire::Ipv4Address(10, 0, 0, 1);
  arp.target_ip = wire::Ipv4Address(10, 0, 0, 2);
  auto eth_bcast = Eth();
  eth_bcast.dst = wire::MacAddress::broadcast();
  out.push_back({"arp-request", FrameBuilder::arp(eth_bcast, arp), true});

  out.push_back({"icmp-echo", FrameBuilder::icmp(Eth(), Ip(1), wire::Icmpv4Header::echo_request(7, 1, kPayload)), true});

  wire::UdpHeader udp;
  udp.src_port = 5000;
  udp.dst_port = 53;
  udp.payload = kPayload;
  out.push_back({"udp", FrameBuilder::udp(Eth(), Ip(2), udp), true});
  out.push_back({"udp-vlan100", FrameBuilder::udp(Eth(100), Ip(3), udp), true});

  wire::TcpHeader syn;
  syn.src_port = 40000;
  syn.dst_port = 80;
  syn.seq = wire::SeqNum(1000);
  syn.flags.bits = wire::TcpFlags::kSyn;
  syn.window = 65535;
  syn.options.mss = 1460;
  syn.options.sack_permitted = true;
  syn.options.window_scale = 7;
  syn.options.timestamps = wire::TcpTimestamps{1, 0};
  out.push_back({"tcp-syn-options", FrameBuilder::tcp(Eth(), Ip(4), syn), true});

  wire::TcpHeader data = syn;
  data.flags.bits = wire::TcpFlags::kAck | wire::TcpFlags::kPsh;
  data.options = {};
  data.ack = wire::SeqNum(5000);
  data.payload = kPayload;
  out.push_back({"tcp-data", FrameBuilder::tcp(Eth(), Ip(5), data), true});

  wire::DhcpMessage dhcp;
  dhcp.xid = 0x12345678;
  dhcp.chaddr[0] = 0x02;
  dhcp.chaddr[5] = 0x01;
  dhcp.message_type = wire::DhcpMessageType::Discover;
  auto dhcp_ip = Ip(6);
  dhcp_ip.src = wire::Ipv4Address(0u);
  dhcp_ip.dst = wire::Ipv4Address::broadcast();
  out.push_back({"dhcp-discover", FrameBuilder::dhcp(eth_bcast, dhcp_ip, 68, 67, dhcp), true});

  // Broken variants: each must be reported, none may crash anything.
  auto bad_csum = out[2].bytes;
  bad_csum[24] ^= 0xff;  // IPv4 header checksum
  out.push_back({"bad-ip-checksum", bad_csum, false});
  auto bad_l4 = out[5].bytes;
  bad_l4.back() ^= 0x01;  // TCP payload byte: TCP checksum no longer matches
  out.push_back({"bad-tcp-checksum", bad_l4, false});
  auto truncated = out[4].bytes;
  truncated.resize(14 + 20 + 10);  // TCP header cut short
  out.push_back({"truncated-tcp", truncated, false});
  auto bad_ihl = out[1].bytes;
  bad_ihl[14] = 0x43;  // IHL 3 words
  out.push_back({"bad-ihl", bad_ihl, false});
  return out;
}

// A frame is valid when every layer parsed and every checksum verifies.
bool Valid(std::span<const uint8_t> frame, const std::vector<wire::LayerFields>& layers, std::string* why) {
  for (const auto& l : layers) {
    if (!l.error.empty()) {
      *why = l.layer + ": " + l.error;
      return false;
    }
  }
  auto eth = wire::EthernetHeader::parse(frame);
  if (!eth || eth->ethertype != 0x0800) return true;
  auto ip = wire::Ipv4View::parse(frame.subspan(eth->header_len()));
  if (!ip) {
    *why = std::string("IPv4: ") + wire::to_string(ip.error());
    return false;
  }
  auto sums = wire::validate_checksums(*ip);
  if (!sums) {
    *why = std::string("checksum: ") + wire::to_string(sums.error());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool self_test = false, quiet = false;
  std::string pcap_path = "vnetref-demo.pcapng";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--self-test") == 0) self_test = quiet = true;
    if (std::strcmp(argv[i], "--quiet") == 0) quiet = true;
    if (std::strcmp(argv[i], "--pcap") == 0 && i + 1 < argc) pcap_path = argv[++i];
  }
  if (self_test) pcap_path.clear();

  core::VirtualClock clock;
  core::BufferPool pool(64);
  std::ostringstream capture;
  core::PcapngWriter writer(capture);
  uint32_t iface = writer.add_interface("demo");

  auto frames = BuildFrames();
  std::map<std::string, int> layer_counts;
  int valid = 0, invalid = 0, mismatches = 0;
  for (const auto& f : frames) {
    // Through the packet core: one pool buffer, seen by the switch's and inet's views.
    core::PacketPtr pkt = pool.alloc_copy(f.bytes);
    core::PacketHandle handle = core::as_handle(*pkt);
    core::Mbuf mbuf = core::as_mbuf(handle.packet());
    auto layers = wire::dissect(handle.frame());
    std::string why;
    bool ok = Valid(handle.frame(), layers, &why);
    ok ? ++valid : ++invalid;
    if (ok != f.expect_valid) ++mismatches;
    for (const auto& l : layers) ++layer_counts[l.layer];
    if (!quiet) {
      std::printf("== %s (%u bytes, %u segment%s)%s%s\n", f.name.c_str(), mbuf.pkt_len(), mbuf.segments(),
                  mbuf.segments() == 1 ? "" : "s", ok ? "" : "  INVALID: ", ok ? "" : why.c_str());
      std::printf("%s\n", wire::describe_frame(handle.frame()).c_str());
    }
    clock.advance(std::chrono::milliseconds(1));
    writer.write(iface, clock.now(), handle.frame(), f.name + (ok ? "" : " (invalid: " + why + ")"));
  }

  std::string bytes = capture.str();
  auto back = core::read_capture({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  bool capture_ok = back && back->records.size() == frames.size();
  if (!pcap_path.empty()) {
    std::ofstream(pcap_path, std::ios::binary) << bytes;
  }

  std::printf("\nvnetref wire demo: %zu frames, %d valid, %d invalid (as expected: %s)\n", frames.size(), valid,
              invalid, mismatches == 0 ? "yes" : "NO");
  std::printf("layers seen:");
  for (const auto& [layer, n] : layer_counts) std::printf(" %s=%d", layer.c_str(), n);
  std::printf("\npool: %u buffers in use after the run, %llu allocations\n", pool.stats().in_use,
              static_cast<unsigned long long>(pool.stats().allocs));
  if (!pcap_path.empty()) std::printf("capture: %s (%s)\n", pcap_path.c_str(), capture_ok ? "reads back" : "BROKEN");
  return (mismatches == 0 && capture_ok && pool.stats().in_use == 0) ? 0 : 1;
}
