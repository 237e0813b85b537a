#include "stack/dispatch/runner.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>

namespace vnetref::dispatch {

void DeterministicRunner::remove(Pollable* p) {
  pollables_.erase(std::remove(pollables_.begin(), pollables_.end(), p), pollables_.end());
}

uint64_t DeterministicRunner::run_until_idle(uint64_t max_rounds) {
  uint64_t total = 0;
  for (uint64_t round = 0; round < max_rounds; ++round) {
    const size_t fired = wheel_.run_expired();
    stats_.timer_fires += fired;
    uint64_t work = 0;
    // Index loop: a poll may register new pollables (they join from the next round).
    const size_t n = pollables_.size();
    for (size_t i = 0; i < n && i < pollables_.size(); ++i) work += pollables_[i]->poll(kBudget);
    ++stats_.rounds;
    stats_.work += work;
    total += work;
    if (work == 0 && fired == 0) return total;
  }
  ++stats_.idle_limit_hits;
  return total;
}

void DeterministicRunner::advance_to(core::Instant target) {
  run_until_idle();
  for (;;) {
    const auto next = wheel_.next_deadline();
    if (!next || *next > target) break;
    clock_.set(*next);
    run_until_idle();
  }
  clock_.set(target);
  run_until_idle();
}

uint32_t WorkerPool::add_worker(std::string name, core::TimerWheel* wheel) {
  auto w = std::make_unique<Worker>();
  w->name = std::move(name);
  w->wheel = wheel;
  workers_.push_back(std::move(w));
  return static_cast<uint32_t>(workers_.size() - 1);
}

void WorkerPool::assign(uint32_t worker, Pollable* p) {
  if (worker < workers_.size() && !running_) workers_[worker]->pollables.push_back(p);
}

void WorkerPool::loop(Worker& w, const std::atomic<bool>& stop) {
  uint64_t loops = 0, work = 0, idle = 0;
  while (!stop.load(std::memory_order_acquire)) {
    uint64_t done = 0;
    if (w.wheel != nullptr) done += w.wheel->run_expired();
    for (Pollable* p : w.pollables) done += p->poll(256);
    ++loops;
    work += done;
    if (done == 0) {
      ++idle;
      std::this_thread::yield();  // be polite on a shared 2-core machine when idle
    }
  }
  w.loops.store(loops, std::memory_order_relaxed);
  w.work.store(work, std::memory_order_relaxed);
  w.idle.store(idle, std::memory_order_relaxed);
}

void WorkerPool::start(const std::vector<int>& cpus) {
  if (running_) return;
  stop_.store(false, std::memory_order_release);
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    w.thread = std::thread([&w, this] { loop(w, stop_); });
    if (i < cpus.size() && cpus[i] >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpus[i], &set);
      // Best effort: pinning may be refused in a container; the run is still correct.
      (void)pthread_setaffinity_np(w.thread.native_handle(), sizeof(set), &set);
    }
  }
  running_ = true;
}

void WorkerPool::stop() {
  if (!running_) return;
  stop_.store(true, std::memory_order_release);
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  running_ = false;
}

WorkerStats WorkerPool::stats(uint32_t worker) const {
  if (worker >= workers_.size()) return {};
  const Worker& w = *workers_[worker];
  return {w.loops.load(), w.work.load(), w.idle.load()};
}

}  // namespace vnetref::dispatch
