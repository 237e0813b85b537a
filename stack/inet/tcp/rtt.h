// Retransmission timer computation (RFC 6298).
//
//   first sample R:   SRTT = R, RTTVAR = R/2
//   later samples R': RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|,  SRTT = 7/8 SRTT + 1/8 R'
//   RTO = SRTT + max(G, 4 * RTTVAR), clamped to [rexmit_min, rexmit_max]
//
// G, the clock granularity term, is FreeBSD's rexmit_slop (200 ms by default): the
// allowance for delayed ACKs and stack overhead that FreeBSD adds to every RTO.
// FreeBSD's rexmit_min (30 ms) replaces RFC 6298's 1 s floor (rule 2.4 is a SHOULD);
// both are tunables. Backoff doubles the RTO per timeout (rule 5.5) up to the max.
// Karn's rule is the caller's: samples only from segments never retransmitted, or
// from timestamp echoes (RFC 7323 section 4).
#pragma once

#include <algorithm>
#include <cstdint>

#include "stack/core/clock.h"

namespace vnetref::inet::tcp {

class RttEstimator {
 public:
  struct Params {
    core::Duration initial;  // RTO before any sample (rule 2.1)
    core::Duration min;
    core::Duration max;
    core::Duration granularity;  // G
  };

  explicit RttEstimator(Params p) : p_(p), rto_(p.initial) {}

  void sample(core::Duration r) {
    if (r.count() < 0) return;
    if (!has_sample_) {
      srtt_ = r;
      rttvar_ = r / 2;
      has_sample_ = true;
    } else {
      core::Duration diff = srtt_ > r ? srtt_ - r : r - srtt_;
      rttvar_ = (rttvar_ * 3 + diff) / 4;
      srtt_ = (srtt_ * 7 + r) / 8;
    }
    ++samples_;
    recompute();
  }

  // RTO for the current backoff shift.
  core::Duration rto(uint32_t shift = 0) const {
    core::Duration r = rto_;
    for (uint32_t i = 0; i < shift && r < p_.max; ++i) r *= 2;
    return std::min(r, p_.max);
  }
  core::Duration base_rto() const { return rto_; }
  core::Duration srtt() const { return srtt_; }
  core::Duration rttvar() const { return rttvar_; }
  bool has_sample() const { return has_sample_; }
  uint64_t samples() const { return samples_; }
  const Params& params() const { return p_; }
  void set_params(Params p) {
    p_ = p;
    if (!has_sample_) rto_ = p.initial;
    else recompute();
  }
  // RFC 6298 5.7: when the SYN (or SYN-ACK) timed out and no sample exists, data
  // transmission starts with an RTO of at least 3 s.
  void after_syn_timeout() {
    if (!has_sample_) rto_ = std::max(rto_, core::Duration(std::chrono::seconds(3)));
  }
  void reset() {
    has_sample_ = false;
    srtt_ = rttvar_ = core::Duration(0);
    rto_ = p_.initial;
  }

 private:
  void recompute() {
    core::Duration var4 = rttvar_ * 4;
    rto_ = srtt_ + std::max(p_.granularity, var4);
    rto_ = std::clamp(rto_, p_.min, p_.max);
  }

  Params p_;
  core::Duration srtt_{0};
  core::Duration rttvar_{0};
  core::Duration rto_;
  bool has_sample_ = false;
  uint64_t samples_ = 0;
};

}  // namespace vnetref::inet::tcp
