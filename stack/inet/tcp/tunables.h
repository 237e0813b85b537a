// Per-instance TCP tunables, named after FreeBSD's `net.inet.tcp.*` sysctls.
//
// Each netstack instance owns one TcpTunables (isolation: two instances may run
// different congestion control or buffer sizes). Defaults follow FreeBSD's tcp(4)
// and sysctl documentation; docs/tcp.md lists the sources. Times are kept in
// milliseconds, as the sysctls expose them. One table (tunables.cc) names every
// field: `define_tcp_tunables` registers them in the instance's inet::Tunables
// registry and `tcp_tunables_from` reads them back, so the registry and this
// struct cannot drift apart.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "stack/core/result.h"
#include "stack/inet/tunables.h"

namespace vnetref::inet::tcp {

using inet::TunableError;
using inet::TunableSpec;
using inet::Tunables;

enum class CongestionAlgo : uint8_t { kNewReno = 0, kCubic = 1 };
const char* name_of(CongestionAlgo a);
// "newreno" / "cubic"; false for unknown names.
bool parse_congestion_algo(std::string_view name, CongestionAlgo* out);

struct TcpTunables {
  // Socket buffers (net.inet.tcp.sendspace / recvspace; caps sendbuf_max / recvbuf_max).
  uint32_t sendspace = 32768;
  uint32_t recvspace = 65536;
  uint32_t sendbuf_max = 2097152;
  uint32_t recvbuf_max = 2097152;
  // Segment sizes (net.inet.tcp.mssdflt, minmss).
  uint32_t mssdflt = 536;
  uint32_t minmss = 216;
  // Extensions: RFC 7323 window scaling + timestamps, RFC 2018 SACK, RFC 3168 ECN
  // (0 off, 1 request and accept, 2 accept when the peer requests; FreeBSD's default 2).
  uint32_t rfc1323 = 1;
  uint32_t sack_enable = 1;
  uint32_t ecn_enable = 2;
  // net.inet.tcp.sack.maxholes: per-connection scoreboard bound.
  uint32_t sack_maxholes = 128;
  // Acknowledgements (net.inet.tcp.delayed_ack, delacktime ms).
  uint32_t delayed_ack = 1;
  uint32_t delacktime_ms = 100;
  // Retransmission timer (net.inet.tcp.rexmit_initial, rexmit_min, rexmit_slop, ms).
  uint32_t rexmit_initial_ms = 1000;
  uint32_t rexmit_min_ms = 30;
  uint32_t rexmit_slop_ms = 200;
  uint32_t rexmit_max_ms = 64000;  // TCPTV_REXMTMAX (not a sysctl in FreeBSD)
  uint32_t maxrxtshift = 12;       // TCP_MAXRXTSHIFT: retransmissions before the drop
  // Maximum segment lifetime (net.inet.tcp.msl, ms); TIME_WAIT lasts 2*MSL.
  uint32_t msl_ms = 30000;
  // Keepalive (net.inet.tcp.keepinit, keepidle, keepintvl ms; keepcnt; always_keepalive).
  uint32_t keepinit_ms = 75000;
  uint32_t keepidle_ms = 7200000;
  uint32_t keepintvl_ms = 75000;
  uint32_t keepcnt = 8;
  uint32_t always_keepalive = 1;
  // Orphaned FIN_WAIT_2 timeout (net.inet.tcp.finwait2_timeout, ms).
  uint32_t finwait2_timeout_ms = 60000;
  // Persist timer bounds (TCPTV_PERSMIN / PERSMAX, ms).
  uint32_t persmin_ms = 5000;
  uint32_t persmax_ms = 60000;
  // Congestion control (net.inet.tcp.cc.algorithm, initcwnd_segments, abc_l_var, rfc3042).
  uint32_t cc_algorithm = static_cast<uint32_t>(CongestionAlgo::kCubic);  // CongestionAlgo
  uint32_t initcwnd_segments = 10;
  uint32_t abc_l_var = 2;
  uint32_t rfc3042 = 1;
  // SYN handling (net.inet.tcp.syncookies, syncookies_only, syncache.cachelimit,
  // syncache.rexmtlimit). The cache limit bounds embryonic connections per instance.
  uint32_t syncookies = 1;
  uint32_t syncookies_only = 0;
  uint32_t syncache_cachelimit = 15360;
  uint32_t syncache_rexmtlimit = 3;
  // Reassembly queue bound per connection (net.inet.tcp.reass.maxqueuelen).
  uint32_t reass_maxqueuelen = 100;
  // RFC 5961 challenge-ACK rate limit (net.inet.tcp.ack_war_timewindow ms, ack_war_maxcnt).
  uint32_t ack_war_timewindow_ms = 1000;
  uint32_t ack_war_maxcnt = 5;
  // Socket table bound (kern.ipc.maxsockets, scaled down for an in-process stack).
  uint32_t maxsockets = 65536;
  // Ephemeral ports (net.inet.ip.portrange.first / last).
  uint32_t portrange_first = 10000;
  uint32_t portrange_last = 65535;
  // Accept segments lacking the negotiated timestamp option (RFC 7323 3.2 says SHOULD
  // drop; FreeBSD tolerates by default for interoperability).
  uint32_t tolerate_missing_ts = 1;
  // Drop segments with SYN and FIN both set (net.inet.tcp.drop_synfin).
  uint32_t drop_synfin = 1;
  // Seed for ISNs, SYN cookie secrets, timestamp offsets and port selection. Fixed
  // by default so virtual-time runs are reproducible; a live instance sets it randomly.
  uint64_t secret_seed = 0x7663702d76657472ull;

  CongestionAlgo congestion() const { return static_cast<CongestionAlgo>(cc_algorithm); }

  // Sets one field by its sysctl name ("net.inet.tcp.sendspace"); range-checked.
  core::Status<TunableError> set(std::string_view name, int64_t value);
  core::Result<int64_t, TunableError> get(std::string_view name) const;
};

// The sysctl specs of every field above, in a stable order.
std::span<const TunableSpec> tcp_tunable_specs();
// Defines every TCP tunable (at its default) in an instance's registry.
core::Status<TunableError> define_tcp_tunables(Tunables& registry);
// Reads the TCP tunables from a registry (fields not defined there keep defaults).
TcpTunables tcp_tunables_from(const Tunables& registry);

}  // namespace vnetref::inet::tcp
