// A seeded impairment link: loss, duplication, corruption, delay + jitter and
// reordering, all in the injected clock's time and reproducible from the seed.
//
// Each direction has its own PRNG (splitmix64-seeded xoshiro256**, so the sequence is
// fixed by the seed alone and independent of the standard library) and its own
// bounded in-flight set ordered by delivery time. A frame picks its fate when it is
// transmitted: lost (counted), corrupted (one byte flipped in a private copy),
// duplicated (a zero-copy clone follows it), delayed by `delay` plus a uniform
// jitter, and with probability `reorder` held back an extra `reorder_delay` so later
// frames overtake it. Frames of equal delivery time keep their transmit order.
// Delivery happens from a timer on the given wheel.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"
#include "stack/link/link.h"
#include "stack/link/pipe.h"

namespace vnetref::link {

struct ImpairmentConfig {
  double loss = 0.0;       // probability a frame is dropped
  double duplicate = 0.0;  // probability a frame is delivered twice
  double corrupt = 0.0;    // probability one byte of the frame is flipped
  double reorder = 0.0;    // probability a frame is held back by reorder_delay
  core::Duration delay{0};
  core::Duration jitter{0};  // uniform in [0, jitter]
  core::Duration reorder_delay = std::chrono::milliseconds(3);
  uint32_t max_in_flight = 4096;  // per direction; beyond it frames drop (queue_full)
  uint32_t max_frame_len = 65535;
};

struct ImpairmentStats {
  LinkDirectionStats link;
  uint64_t duplicated = 0;
  uint64_t corrupted = 0;
  uint64_t reordered = 0;
};

// Deterministic PRNG (xoshiro256**), public so tests and fuzzers can share it.
class Prng {
 public:
  explicit Prng(uint64_t seed);
  uint64_t next();
  double uniform();                  // [0, 1)
  uint64_t below(uint64_t n);        // [0, n), n > 0
  bool chance(double p) { return p > 0.0 && uniform() < p; }

 private:
  std::array<uint64_t, 4> s_{};
};

class ImpairedLink {
 public:
  ImpairedLink(core::TimerWheel& wheel, const ImpairmentConfig& a_to_b, const ImpairmentConfig& b_to_a,
               uint64_t seed);
  ImpairedLink(core::TimerWheel& wheel, const ImpairmentConfig& both, uint64_t seed)
      : ImpairedLink(wheel, both, both, seed) {}
  ImpairedLink(const ImpairedLink&) = delete;
  ImpairedLink& operator=(const ImpairedLink&) = delete;

  Endpoint& a() { return ends_[0]; }
  Endpoint& b() { return ends_[1]; }
  // Changes a direction's impairments from now on (frames in flight keep their fate).
  void set_config(int dir, const ImpairmentConfig& c) { dir_[dir].config = c; }
  const ImpairmentStats& stats(int dir) const { return dir_[dir].stats; }
  size_t in_flight(int dir) const { return dir_[dir].flight.size(); }

 private:
  class End final : public Endpoint {
   public:
    void transmit(core::PacketPtr frame) override;
    uint32_t max_frame_len() const override;
    ImpairedLink* link = nullptr;
    int index = 0;
  };
  struct InFlight {
    core::Instant due;
    uint64_t seq;  // transmit order, the tie-breaker
    core::Packet* frame;
  };
  struct Direction {
    Direction(const ImpairmentConfig& c, uint64_t seed) : config(c), prng(seed) {}
    ~Direction();
    ImpairmentConfig config;
    Prng prng;
    ImpairmentStats stats;
    std::vector<InFlight> flight;  // binary min-heap on (due, seq)
    uint64_t next_seq = 0;
    core::Timer timer;
  };
  void send(int from, core::PacketPtr frame);
  void schedule(int dir, core::PacketPtr frame, core::Instant due);
  void deliver_due(int dir);

  core::TimerWheel& wheel_;
  std::array<End, 2> ends_;
  std::array<Direction, 2> dir_;
};

}  // namespace vnetref::link
