// Throughput of the Internet checksum (every implementation) against memcpy of the
// same buffer, and per-packet cost of every parser.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "stack/wire/arp.h"
#include "stack/wire/checksum.h"
#include "stack/wire/dhcpv4.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/frame_builder.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/pretty.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace vnetref::wire {
namespace {

std::vector<uint8_t> random_buffer(size_t n) {
  std::mt19937 rng(42);
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

void BM_Memcpy(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto src = random_buffer(n);
  std::vector<uint8_t> dst(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(src.data());
    std::memcpy(dst.data(), src.data(), n);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Memcpy)->Arg(64)->Arg(1500);

// The dispatched fast path, as the stack calls it.
void BM_Checksum(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto buf = random_buffer(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(buf.data());
    benchmark::DoNotOptimize(ones_sum(buf));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
  state.SetLabel(to_string(active_checksum_impl()));
}
BENCHMARK(BM_Checksum)->Arg(64)->Arg(1500);

template <ChecksumImpl kImpl>
void BM_ChecksumImpl(benchmark::State& state) {
  if (!checksum_impl_supported(kImpl)) {
    state.SkipWithError("not supported on this CPU");
    return;
  }
  const size_t n = static_cast<size_t>(state.range(0));
  const auto buf = random_buffer(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(buf.data());
    benchmark::DoNotOptimize(ones_sum_with(kImpl, buf));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK_TEMPLATE(BM_ChecksumImpl, ChecksumImpl::Reference)->Name("BM_ChecksumReference")->Arg(64)->Arg(1500);
BENCHMARK_TEMPLATE(BM_ChecksumImpl, ChecksumImpl::Scalar64)->Name("BM_ChecksumScalar64")->Arg(64)->Arg(1500);
BENCHMARK_TEMPLATE(BM_ChecksumImpl, ChecksumImpl::Sse2)->Name("BM_ChecksumSse2")->Arg(64)->Arg(1500);
BENCHMARK_TEMPLATE(BM_ChecksumImpl, ChecksumImpl::Avx2)->Name("BM_ChecksumAvx2")->Arg(64)->Arg(1500);

// --- parsers: one representative packet each -------------------------------------
const MacAddress kMacA(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
const MacAddress kMacB(0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb);

EthernetHeader eth() {
  EthernetHeader h;
  h.src = kMacA;
  h.dst = kMacB;
  return h;
}

Ipv4Header ip() {
  Ipv4Header h;
  h.src = Ipv4Address(10, 0, 0, 1);
  h.dst = Ipv4Address(10, 0, 0, 2);
  return h;
}

std::vector<uint8_t> tcp_syn_frame() {
  TcpHeader t;
  t.src_port = 1234;
  t.dst_port = 80;
  t.flags = TcpFlags{TcpFlags::kSyn};
  t.window = 65535;
  t.options.mss = 1460;
  t.options.sack_permitted = true;
  t.options.timestamps = TcpTimestamps{1, 0};
  t.options.window_scale = 7;
  return FrameBuilder::tcp(eth(), ip(), t);
}

std::vector<uint8_t> udp_frame() {
  static const uint8_t payload[64] = {};
  return FrameBuilder::udp(eth(), ip(), UdpHeader{5353, 53, payload});
}

void BM_ParseEthernet(benchmark::State& state) {
  auto f = tcp_syn_frame();
  f.insert(f.begin() + 12, {0x81, 0x00, 0x00, 0x64});  // one VLAN tag
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.data());
    auto h = EthernetHeader::parse(f);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseEthernet);

void BM_ParseArp(benchmark::State& state) {
  const auto f = FrameBuilder::arp(eth(), ArpRepr{1, kMacA, Ipv4Address(10, 0, 0, 1), {}, Ipv4Address(10, 0, 0, 2)});
  const auto body = std::span(f).subspan(14);
  for (auto _ : state) {
    benchmark::DoNotOptimize(body.data());
    auto a = ArpView::parse(body);
    benchmark::DoNotOptimize(a->target_ip());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseArp);

void BM_ParseIpv4(benchmark::State& state) {
  const auto f = udp_frame();
  const auto d = std::span(f).subspan(14);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.data());
    auto v = Ipv4View::parse(d);
    benchmark::DoNotOptimize(v->dst());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseIpv4);

void BM_ParseIpv4WithChecksum(benchmark::State& state) {
  const auto f = udp_frame();
  const auto d = std::span(f).subspan(14);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.data());
    auto v = Ipv4View::parse(d);
    benchmark::DoNotOptimize(v->checksum_valid());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseIpv4WithChecksum);

void BM_ParseIcmp(benchmark::State& state) {
  static const uint8_t payload[56] = {};
  const auto f = FrameBuilder::icmp(eth(), ip(), Icmpv4Header::echo_request(1, 1, payload));
  const auto d = std::span(f).subspan(34);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.data());
    auto v = Icmpv4View::parse(d);
    benchmark::DoNotOptimize(v->echo_seq());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseIcmp);

void BM_ParseUdp(benchmark::State& state) {
  const auto f = udp_frame();
  const auto d = std::span(f).subspan(34);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.data());
    auto v = UdpView::parse(d);
    benchmark::DoNotOptimize(v->dst_port());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseUdp);

void BM_ParseTcp(benchmark::State& state) {
  const auto f = tcp_syn_frame();
  const auto d = std::span(f).subspan(34);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.data());
    auto v = TcpView::parse(d);  // includes option validation
    benchmark::DoNotOptimize(v->flags());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseTcp);

void BM_ParseTcpOptions(benchmark::State& state) {
  const auto f = tcp_syn_frame();
  const auto v = TcpView::parse(std::span(f).subspan(34));
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.data());
    auto o = v->parsed_options();
    benchmark::DoNotOptimize(o);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseTcpOptions);

void BM_ParseDhcp(benchmark::State& state) {
  DhcpMessage m;
  m.xid = 7;
  m.set_client_mac(kMacA);
  m.message_type = DhcpMessageType::Request;
  m.requested_ip = Ipv4Address(10, 0, 0, 5);
  m.server_id = Ipv4Address(10, 0, 0, 1);
  m.lease_time = 3600;
  std::vector<uint8_t> b(m.size());
  (void)m.emit(b);
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.data());
    auto v = DhcpView::parse(b);
    benchmark::DoNotOptimize(v->message_type());
    benchmark::DoNotOptimize(v->server_id());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseDhcp);

void BM_DescribeFrame(benchmark::State& state) {
  const auto f = tcp_syn_frame();
  for (auto _ : state) {
    auto s = describe_frame(f);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DescribeFrame);

}  // namespace
}  // namespace vnetref::wire
