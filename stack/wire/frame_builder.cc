#include "stack/wire/frame_builder.h"

#include <algorithm>
#include <cstdlib>

namespace vnetref::wire {
namespace {

// The builders size their buffers exactly, so a failure here is a bug in the caller's
// field values (e.g. options too long): abort loudly rather than return half a frame.
template <class T>
T must(Result<T, BuildError> r) {
  if (!r) std::abort();
  return *r;
}

void l3_frame(EthernetHeader eth, Ipv4Header ip, size_t l4_len, std::vector<uint8_t>& frame) {
  eth.ethertype = static_cast<uint16_t>(EtherType::Ipv4);
  ip.payload_len = static_cast<uint16_t>(l4_len);
  frame.resize(eth.header_len() + ip.header_len() + l4_len);
  std::span<uint8_t> out(frame);
  const size_t eth_len = must(eth.emit(out));
  must(ip.emit(out.subspan(eth_len)));
}

}  // namespace

std::vector<uint8_t> FrameBuilder::arp(EthernetHeader eth, const ArpRepr& arp) {
  eth.ethertype = static_cast<uint16_t>(EtherType::Arp);
  std::vector<uint8_t> frame(eth.header_len() + ArpRepr::size());
  const size_t n = must(eth.emit(frame));
  must(arp.emit(std::span<uint8_t>(frame).subspan(n)));
  return frame;
}

std::vector<uint8_t> FrameBuilder::ipv4_raw(EthernetHeader eth, Ipv4Header ip, std::span<const uint8_t> payload) {
  std::vector<uint8_t> frame;
  l3_frame(eth, ip, payload.size(), frame);
  std::copy(payload.begin(), payload.end(), frame.end() - static_cast<std::ptrdiff_t>(payload.size()));
  return frame;
}

std::vector<uint8_t> FrameBuilder::icmp(EthernetHeader eth, Ipv4Header ip, const Icmpv4Header& icmp) {
  ip.protocol = static_cast<uint8_t>(IpProtocol::Icmp);
  std::vector<uint8_t> frame;
  l3_frame(eth, ip, icmp.size(), frame);
  must(icmp.emit(std::span<uint8_t>(frame).subspan(frame.size() - icmp.size())));
  return frame;
}

std::vector<uint8_t> FrameBuilder::udp(EthernetHeader eth, Ipv4Header ip, const UdpHeader& udp) {
  ip.protocol = kIpProtoUdp;
  std::vector<uint8_t> frame;
  l3_frame(eth, ip, udp.size(), frame);
  must(udp.emit(std::span<uint8_t>(frame).subspan(frame.size() - udp.size()), ip.src, ip.dst));
  return frame;
}

std::vector<uint8_t> FrameBuilder::tcp(EthernetHeader eth, Ipv4Header ip, const TcpHeader& tcp) {
  ip.protocol = kIpProtoTcp;
  std::vector<uint8_t> frame;
  l3_frame(eth, ip, tcp.size(), frame);
  must(tcp.emit(std::span<uint8_t>(frame).subspan(frame.size() - tcp.size()), ip.src, ip.dst));
  return frame;
}

std::vector<uint8_t> FrameBuilder::dhcp(EthernetHeader eth, Ipv4Header ip, uint16_t sport, uint16_t dport,
                                        const DhcpMessage& msg) {
  std::vector<uint8_t> body(msg.size());
  must(msg.emit(body));
  return udp(eth, ip, UdpHeader{sport, dport, body});
}

void FrameBuilder::pad_to_minimum(std::vector<uint8_t>& frame) {
  if (frame.size() < 60) frame.resize(60, 0);
}

}  // namespace vnetref::wire
