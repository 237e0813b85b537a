// Congestion control: RFC 5681 with NewReno (RFC 6582) and CUBIC (RFC 9438).
//
// The loss-recovery mechanics (fast retransmit, NewReno partial ACKs, RFC 6675 SACK
// recovery) live in the connection; an algorithm only decides how the window grows
// on new ACKs and how far it shrinks on a congestion event. Windows are in bytes.
#pragma once

#include <cstdint>
#include <memory>

#include "stack/core/clock.h"
#include "stack/inet/tcp/tunables.h"

namespace vnetref::inet::tcp {

struct CcState {
  uint32_t cwnd = 0;
  uint32_t ssthresh = 0x7fffffff;  // "arbitrarily high" (RFC 5681 3.1)
  uint32_t smss = 536;
  uint32_t bytes_acked = 0;  // RFC 3465 byte counting in congestion avoidance
  uint32_t abc_l = 2;        // slow-start increase cap, in segments (abc_l_var)
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual CongestionAlgo algo() const = 0;
  // Cumulative ACK of `acked` new bytes outside loss recovery. `srtt` may be 0.
  virtual void on_ack(CcState& s, uint32_t acked, core::Instant now, core::Duration srtt) = 0;
  // A congestion event (fast retransmit or ECN): sets ssthresh; the caller sets cwnd.
  virtual void on_congestion(CcState& s, uint32_t flight, core::Instant now) = 0;
  // Recovery finished (RFC 6582 step 3 / RFC 6675 exit): cwnd back to ssthresh.
  virtual void on_recovery_end(CcState& s, core::Instant now) = 0;
  // Retransmission timeout (RFC 5681 eq. 4; cwnd = 1 segment = loss window).
  virtual void on_rto(CcState& s, uint32_t flight, core::Instant now) = 0;
};

// RFC 5681 section 3.1 slow start (with RFC 3465 L) and congestion avoidance.
class NewRenoCc final : public CongestionControl {
 public:
  CongestionAlgo algo() const override { return CongestionAlgo::kNewReno; }
  void on_ack(CcState& s, uint32_t acked, core::Instant now, core::Duration srtt) override;
  void on_congestion(CcState& s, uint32_t flight, core::Instant now) override;
  void on_recovery_end(CcState& s, core::Instant now) override;
  void on_rto(CcState& s, uint32_t flight, core::Instant now) override;
};

// RFC 9438. Window arithmetic in segments (double), stored back in bytes.
class CubicCc final : public CongestionControl {
 public:
  static constexpr double kC = 0.4;
  static constexpr double kBeta = 0.7;

  CongestionAlgo algo() const override { return CongestionAlgo::kCubic; }
  void on_ack(CcState& s, uint32_t acked, core::Instant now, core::Duration srtt) override;
  void on_congestion(CcState& s, uint32_t flight, core::Instant now) override;
  void on_recovery_end(CcState& s, core::Instant now) override;
  void on_rto(CcState& s, uint32_t flight, core::Instant now) override;

  // RFC 9438 eq. 1 and 2 (segments, seconds), exposed for tests.
  double w_max() const { return w_max_; }
  double k() const { return k_; }
  double cwnd_epoch() const { return cwnd_epoch_; }
  bool epoch_started() const { return epoch_started_; }
  core::Instant epoch_start() const { return t_epoch_; }
  static double w_cubic(double t_seconds, double k, double w_max) {
    double d = t_seconds - k;
    return kC * d * d * d + w_max;
  }

 private:
  void start_epoch(const CcState& s, core::Instant now);

  double w_max_ = 0;        // window before the last reduction (segments)
  double k_ = 0;            // seconds to return to w_max
  double cwnd_epoch_ = 0;   // cwnd at the start of the epoch (segments)
  double w_est_ = 0;        // Reno-friendly estimate (segments)
  double cwnd_frac_ = 0;    // fractional segments accumulated between increments
  bool epoch_started_ = false;
  core::Instant t_epoch_{};
};

std::unique_ptr<CongestionControl> make_congestion_control(CongestionAlgo algo);

}  // namespace vnetref::inet::tcp
