// The two execution modes of the data path, over the same poll functions.
//
//   DeterministicRunner  one thread, virtual clock: polls every Pollable until no
//                        work is left, then moves virtual time to the next timer
//                        deadline. Tests, fuzzing and conformance use it, so runs are
//                        bit-for-bit reproducible.
//   WorkerPool           one poll loop per worker thread; components on different
//                        workers talk only through SPSC rings (PacketQueue), so the
//                        loops share no locks. For throughput.
//
// A component (a switch, a port's delivery side, the physical network) exposes one
// or more Pollables; which runner polls them is the only difference between modes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stack/core/clock.h"
#include "stack/core/timer_wheel.h"

namespace vnetref::dispatch {

class Pollable {
 public:
  virtual ~Pollable() = default;
  // Does up to `budget` packets of work; returns how much was done (0 = idle).
  virtual uint32_t poll(uint32_t budget) = 0;
};

// Adapts a lambda (tests, glue code).
class PollFn final : public Pollable {
 public:
  explicit PollFn(std::function<uint32_t(uint32_t)> f) : f_(std::move(f)) {}
  uint32_t poll(uint32_t budget) override { return f_(budget); }

 private:
  std::function<uint32_t(uint32_t)> f_;
};

struct RunnerStats {
  uint64_t rounds = 0;          // poll rounds over all pollables
  uint64_t work = 0;            // sum of poll() results
  uint64_t timer_fires = 0;
  uint64_t idle_limit_hits = 0; // run_until_idle stopped at its round bound (a livelock)
};

class DeterministicRunner {
 public:
  static constexpr uint32_t kBudget = 256;

  DeterministicRunner(core::VirtualClock& clock, core::TimerWheel& wheel) : clock_(clock), wheel_(wheel) {}

  void add(Pollable* p) { pollables_.push_back(p); }
  void remove(Pollable* p);
  core::VirtualClock& clock() { return clock_; }
  core::TimerWheel& wheel() { return wheel_; }

  // Polls in registration order until a whole round does no work, firing timers
  // already due. Bounded by `max_rounds` (counted in idle_limit_hits when reached).
  uint64_t run_until_idle(uint64_t max_rounds = 1u << 20);
  // Moves virtual time to `target`, stopping at every timer deadline on the way and
  // running until idle after each.
  void advance_to(core::Instant target);
  void advance_by(core::Duration d) { advance_to(clock_.now() + d); }

  const RunnerStats& stats() const { return stats_; }

 private:
  core::VirtualClock& clock_;
  core::TimerWheel& wheel_;
  std::vector<Pollable*> pollables_;
  RunnerStats stats_;
};

// One worker: a thread running `poll` over its pollables (and optionally its own
// timer wheel, with a clock the caller chose) until stopped.
struct WorkerStats {
  uint64_t loops = 0;
  uint64_t work = 0;
  uint64_t idle_loops = 0;
};

class WorkerPool {
 public:
  WorkerPool() = default;
  ~WorkerPool() { stop(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Adds a worker; returns its index. `wheel` (may be null) is run by that worker only.
  uint32_t add_worker(std::string name, core::TimerWheel* wheel = nullptr);
  void assign(uint32_t worker, Pollable* p);
  uint32_t workers() const { return static_cast<uint32_t>(workers_.size()); }

  // Starts every worker thread; optionally pins worker i to CPU cpus[i].
  void start(const std::vector<int>& cpus = {});
  // Asks every loop to finish its current round and joins the threads.
  void stop();
  bool running() const { return running_; }

  WorkerStats stats(uint32_t worker) const;

 private:
  struct Worker {
    std::string name;
    core::TimerWheel* wheel = nullptr;
    std::vector<Pollable*> pollables;
    std::thread thread;
    std::atomic<uint64_t> loops{0};
    std::atomic<uint64_t> work{0};
    std::atomic<uint64_t> idle{0};
  };
  static void loop(Worker& w, const std::atomic<bool>& stop);

  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stop_{false};
  bool running_ = false;
};

}  // namespace vnetref::dispatch
