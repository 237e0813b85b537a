#include "stack/inet/tcp/tunables.h"

#include <array>

namespace vnetref::inet::tcp {

const char* name_of(CongestionAlgo a) {
  switch (a) {
    case CongestionAlgo::kNewReno: return "newreno";
    case CongestionAlgo::kCubic: return "cubic";
  }
  return "?";
}

bool parse_congestion_algo(std::string_view name, CongestionAlgo* out) {
  if (name == "newreno") {
    *out = CongestionAlgo::kNewReno;
    return true;
  }
  if (name == "cubic") {
    *out = CongestionAlgo::kCubic;
    return true;
  }
  return false;
}

namespace {

using U = TunableUnit;
constexpr int64_t kMaxBuf = 64 * 1024 * 1024;

struct Field {
  TunableSpec spec;
  uint32_t TcpTunables::*member;
};

// One row per field: the sysctl name, FreeBSD's default, the accepted range.
// The defaults here must equal the member initialisers in tunables.h (a test checks).
const std::array<Field, 42> kFields = {{
    {{"net.inet.tcp.sendspace", 32768, 512, kMaxBuf, U::kBytes, "Initial send socket buffer size"},
     &TcpTunables::sendspace},
    {{"net.inet.tcp.recvspace", 65536, 512, kMaxBuf, U::kBytes, "Initial receive socket buffer size"},
     &TcpTunables::recvspace},
    {{"net.inet.tcp.sendbuf_max", 2097152, 512, kMaxBuf, U::kBytes, "Max size of automatic send buffer"},
     &TcpTunables::sendbuf_max},
    {{"net.inet.tcp.recvbuf_max", 2097152, 512, kMaxBuf, U::kBytes, "Max size of automatic receive buffer"},
     &TcpTunables::recvbuf_max},
    {{"net.inet.tcp.mssdflt", 536, 88, 65495, U::kBytes, "Default TCP Maximum Segment Size"},
     &TcpTunables::mssdflt},
    {{"net.inet.tcp.minmss", 216, 88, 65495, U::kBytes, "Minimum TCP Maximum Segment Size"},
     &TcpTunables::minmss},
    {{"net.inet.tcp.rfc1323", 1, 0, 1, U::kBool, "Enable rfc1323 (high performance TCP) extensions"},
     &TcpTunables::rfc1323},
    {{"net.inet.tcp.sack.enable", 1, 0, 1, U::kBool, "Enable/Disable TCP SACK support"},
     &TcpTunables::sack_enable},
    {{"net.inet.tcp.ecn.enable", 2, 0, 2, U::kEnum,
      "TCP ECN support (0 off, 1 outgoing and incoming, 2 incoming only)"},
     &TcpTunables::ecn_enable},
    {{"net.inet.tcp.sack.maxholes", 128, 1, 4096, U::kCount_, "Maximum number of TCP SACK holes allowed per connection"},
     &TcpTunables::sack_maxholes},
    {{"net.inet.tcp.delayed_ack", 1, 0, 1, U::kBool, "Delay ACK to try and piggyback it onto a data packet"},
     &TcpTunables::delayed_ack},
    {{"net.inet.tcp.delacktime", 100, 1, 500, U::kMilliseconds, "Time before a delayed ACK is sent"},
     &TcpTunables::delacktime_ms},
    {{"net.inet.tcp.rexmit_initial", 1000, 1, 60000, U::kMilliseconds, "Initial Retransmission Timeout"},
     &TcpTunables::rexmit_initial_ms},
    {{"net.inet.tcp.rexmit_min", 30, 1, 60000, U::kMilliseconds, "Minimum Retransmission Timeout"},
     &TcpTunables::rexmit_min_ms},
    {{"net.inet.tcp.rexmit_slop", 200, 0, 60000, U::kMilliseconds, "Retransmission Timer Slop"},
     &TcpTunables::rexmit_slop_ms},
    {{"vnetref.tcp.rexmit_max", 64000, 1, 3600000, U::kMilliseconds,
      "Maximum Retransmission Timeout (FreeBSD TCPTV_REXMTMAX, not a sysctl there)"},
     &TcpTunables::rexmit_max_ms},
    {{"vnetref.tcp.maxrxtshift", 12, 1, 30, U::kCount_,
      "Retransmissions before a connection is dropped (FreeBSD TCP_MAXRXTSHIFT)"},
     &TcpTunables::maxrxtshift},
    {{"net.inet.tcp.msl", 30000, 1, 600000, U::kMilliseconds, "Maximum Segment Life"}, &TcpTunables::msl_ms},
    {{"net.inet.tcp.keepinit", 75000, 1, 86400000, U::kMilliseconds, "time to establish connection"},
     &TcpTunables::keepinit_ms},
    {{"net.inet.tcp.keepidle", 7200000, 1, 864000000, U::kMilliseconds, "time before keepalive probes begin"},
     &TcpTunables::keepidle_ms},
    {{"net.inet.tcp.keepintvl", 75000, 1, 86400000, U::kMilliseconds, "time between keepalive probes"},
     &TcpTunables::keepintvl_ms},
    {{"net.inet.tcp.keepcnt", 8, 1, 1000, U::kCount_, "Number of keepalive probes to send"},
     &TcpTunables::keepcnt},
    {{"net.inet.tcp.always_keepalive", 1, 0, 1, U::kBool, "Assume SO_KEEPALIVE on all TCP connections"},
     &TcpTunables::always_keepalive},
    {{"net.inet.tcp.finwait2_timeout", 60000, 1, 86400000, U::kMilliseconds, "FIN-WAIT2 timeout"},
     &TcpTunables::finwait2_timeout_ms},
    {{"vnetref.tcp.persmin", 5000, 1, 600000, U::kMilliseconds, "Minimum persist interval (FreeBSD TCPTV_PERSMIN)"},
     &TcpTunables::persmin_ms},
    {{"vnetref.tcp.persmax", 60000, 1, 3600000, U::kMilliseconds, "Maximum persist interval (FreeBSD TCPTV_PERSMAX)"},
     &TcpTunables::persmax_ms},
    {{"net.inet.tcp.cc.algorithm", 1, 0, 1, U::kEnum, "Default congestion control algorithm (0 newreno, 1 cubic)"},
     &TcpTunables::cc_algorithm},
    {{"net.inet.tcp.initcwnd_segments", 10, 1, 1000, U::kCount_, "Slow-start flight size (initial congestion window) in number of segments"},
     &TcpTunables::initcwnd_segments},
    {{"net.inet.tcp.abc_l_var", 2, 1, 100, U::kCount_, "Cap the max cwnd increment during slow-start to this number of segments"},
     &TcpTunables::abc_l_var},
    {{"net.inet.tcp.rfc3042", 1, 0, 1, U::kBool, "Enable RFC 3042 (Limited Transmit)"}, &TcpTunables::rfc3042},
    {{"net.inet.tcp.syncookies", 1, 0, 1, U::kBool, "Use TCP SYN cookies if the syncache overflows"},
     &TcpTunables::syncookies},
    {{"net.inet.tcp.syncookies_only", 0, 0, 1, U::kBool, "Use only TCP SYN cookies"},
     &TcpTunables::syncookies_only},
    {{"net.inet.tcp.syncache.cachelimit", 15360, 1, 1 << 24, U::kCount_, "Overall entry limit for syncache"},
     &TcpTunables::syncache_cachelimit},
    {{"net.inet.tcp.syncache.rexmtlimit", 3, 0, 16, U::kCount_, "Limit on SYN/ACK retransmissions"},
     &TcpTunables::syncache_rexmtlimit},
    {{"net.inet.tcp.reass.maxqueuelen", 100, 1, 1 << 20, U::kCount_,
      "Maximum number of TCP Segments per Reassembly Queue"},
     &TcpTunables::reass_maxqueuelen},
    {{"net.inet.tcp.ack_war_timewindow", 1000, 0, 600000, U::kMilliseconds,
      "Time interval in ms used to limit the number (ack_war_maxcnt) of challenge ACKs sent"},
     &TcpTunables::ack_war_timewindow_ms},
    {{"net.inet.tcp.ack_war_maxcnt", 5, 0, 1000000, U::kCount_,
      "Maximum number of challenge ACKs sent per TCP connection during the time interval"},
     &TcpTunables::ack_war_maxcnt},
    {{"kern.ipc.maxsockets", 65536, 2, 1 << 22, U::kCount_, "Maximum number of sockets available"},
     &TcpTunables::maxsockets},
    {{"net.inet.ip.portrange.first", 10000, 1, 65535, U::kCount_, "First ephemeral port"},
     &TcpTunables::portrange_first},
    {{"net.inet.ip.portrange.last", 65535, 1, 65535, U::kCount_, "Last ephemeral port"},
     &TcpTunables::portrange_last},
    {{"vnetref.tcp.tolerate_missing_ts", 1, 0, 1, U::kBool,
      "Accept non-RST segments without a timestamp once timestamps are negotiated"},
     &TcpTunables::tolerate_missing_ts},
    {{"net.inet.tcp.drop_synfin", 1, 0, 1, U::kBool, "Drop TCP packets with SYN+FIN set"},
     &TcpTunables::drop_synfin},
}};

std::array<TunableSpec, kFields.size()> make_specs() {
  std::array<TunableSpec, kFields.size()> out{};
  for (size_t i = 0; i < kFields.size(); ++i) out[i] = kFields[i].spec;
  return out;
}

const std::array<TunableSpec, kFields.size()> kSpecs = make_specs();

const Field* find_field(std::string_view name) {
  for (const Field& f : kFields) {
    if (f.spec.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

core::Status<TunableError> TcpTunables::set(std::string_view name, int64_t value) {
  const Field* f = find_field(name);
  if (f == nullptr) return core::Err(TunableError::kUnknown);
  if (value < f->spec.min || value > f->spec.max) return core::Err(TunableError::kOutOfRange);
  this->*(f->member) = static_cast<uint32_t>(value);
  return core::Ok{};
}

core::Result<int64_t, TunableError> TcpTunables::get(std::string_view name) const {
  const Field* f = find_field(name);
  if (f == nullptr) return core::Err(TunableError::kUnknown);
  return static_cast<int64_t>(this->*(f->member));
}

std::span<const TunableSpec> tcp_tunable_specs() { return kSpecs; }

core::Status<TunableError> define_tcp_tunables(Tunables& registry) {
  for (const Field& f : kFields) {
    auto r = registry.define(f.spec);
    if (!r) return core::Err(r.error());
  }
  return core::Ok{};
}

TcpTunables tcp_tunables_from(const Tunables& registry) {
  TcpTunables t;
  for (const Field& f : kFields) {
    if (auto id = registry.find(f.spec.name)) t.*(f.member) = static_cast<uint32_t>(registry.value(*id));
  }
  return t;
}

}  // namespace vnetref::inet::tcp
