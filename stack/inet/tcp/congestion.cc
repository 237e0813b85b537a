#include "stack/inet/tcp/congestion.h"

#include <algorithm>
#include <cmath>

namespace vnetref::inet::tcp {

namespace {
// RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS).
uint32_t half_flight(const CcState& s, uint32_t flight) { return std::max(flight / 2, 2 * s.smss); }

void slow_start(CcState& s, uint32_t acked) {
  // RFC 3465: grow by the bytes acked, at most L * SMSS per ACK.
  uint32_t inc = std::min(acked, s.abc_l * s.smss);
  s.cwnd = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{s.cwnd} + inc, 0x7fffffff));
}
}  // namespace

void NewRenoCc::on_ack(CcState& s, uint32_t acked, core::Instant, core::Duration) {
  if (s.cwnd < s.ssthresh) {
    slow_start(s, acked);
    return;
  }
  // Congestion avoidance (RFC 5681 3.1, byte counting): one SMSS per cwnd of bytes acked.
  s.bytes_acked += acked;
  if (s.bytes_acked >= s.cwnd) {
    s.bytes_acked -= s.cwnd;
    s.cwnd = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{s.cwnd} + s.smss, 0x7fffffff));
  }
}

void NewRenoCc::on_congestion(CcState& s, uint32_t flight, core::Instant) {
  s.ssthresh = half_flight(s, flight);
  s.bytes_acked = 0;
}

void NewRenoCc::on_recovery_end(CcState& s, core::Instant) {
  s.cwnd = s.ssthresh;
  s.bytes_acked = 0;
}

void NewRenoCc::on_rto(CcState& s, uint32_t flight, core::Instant) {
  s.ssthresh = half_flight(s, flight);
  s.cwnd = s.smss;
  s.bytes_acked = 0;
}

// ---- CUBIC -------------------------------------------------------------------

void CubicCc::start_epoch(const CcState& s, core::Instant now) {
  // RFC 9438 4.2: the epoch starts at the first ACK in congestion avoidance.
  epoch_started_ = true;
  t_epoch_ = now;
  double cwnd = static_cast<double>(s.cwnd) / s.smss;
  cwnd_epoch_ = cwnd;
  if (w_max_ < cwnd) w_max_ = cwnd;  // no reduction seen yet: plateau at the current window
  k_ = std::cbrt((w_max_ - cwnd_epoch_) / kC);  // eq. 2
  w_est_ = cwnd_epoch_;
  cwnd_frac_ = 0;
}

void CubicCc::on_ack(CcState& s, uint32_t acked, core::Instant now, core::Duration srtt) {
  if (s.cwnd < s.ssthresh) {
    slow_start(s, acked);
    return;
  }
  if (!epoch_started_) start_epoch(s, now);
  const double smss = s.smss;
  const double cwnd = s.cwnd / smss;
  const double segs = acked / smss;
  const double t = std::chrono::duration<double>(now - t_epoch_).count();
  const double rtt = std::chrono::duration<double>(srtt).count();
  // Reno-friendly region (4.3): W_est grows by alpha_cubic per window of segments acked.
  const double alpha = w_est_ >= w_max_ ? 1.0 : 3.0 * (1.0 - kBeta) / (1.0 + kBeta);
  w_est_ += alpha * segs / cwnd;
  const double wc = w_cubic(t, k_, w_max_);
  double next;
  if (wc < w_est_) {
    next = w_est_;
  } else {
    // Concave / convex regions (4.4, 4.5): target = W_cubic(t + RTT), within [cwnd, 1.5 cwnd].
    double target = std::clamp(w_cubic(t + rtt, k_, w_max_), cwnd, 1.5 * cwnd);
    cwnd_frac_ += (target - cwnd) / cwnd * segs;
    next = cwnd + cwnd_frac_;
  }
  uint64_t bytes = static_cast<uint64_t>(next * smss);
  if (bytes > s.cwnd) {
    cwnd_frac_ = 0;
    s.cwnd = static_cast<uint32_t>(std::min<uint64_t>(bytes, 0x7fffffff));
  }
}

void CubicCc::on_congestion(CcState& s, uint32_t, core::Instant) {
  const double cwnd = static_cast<double>(s.cwnd) / s.smss;
  // Fast convergence (4.7): release bandwidth when the plateau is falling.
  if (cwnd < w_max_) {
    w_max_ = cwnd * (1.0 + kBeta) / 2.0;
  } else {
    w_max_ = cwnd;
  }
  // 4.6: ssthresh = cwnd * beta_cubic, at least 2 segments.
  s.ssthresh = std::max<uint32_t>(static_cast<uint32_t>(s.cwnd * kBeta), 2 * s.smss);
  s.bytes_acked = 0;
  epoch_started_ = false;
}

void CubicCc::on_recovery_end(CcState& s, core::Instant) {
  s.cwnd = s.ssthresh;
  epoch_started_ = false;
}

void CubicCc::on_rto(CcState& s, uint32_t flight, core::Instant now) {
  // 4.8: a timeout is a congestion event too; cwnd restarts from one segment.
  on_congestion(s, flight, now);
  s.cwnd = s.smss;
}

std::unique_ptr<CongestionControl> make_congestion_control(CongestionAlgo algo) {
  if (algo == CongestionAlgo::kCubic) return std::make_unique<CubicCc>();
  return std::make_unique<NewRenoCc>();
}

}  // namespace vnetref::inet::tcp
