// IOChain: the 16 filter slots of one switch port.
//
// Egress (VM -> switch) walks slots 0 -> 15, ingress (switch -> VM) walks 15 -> 0.
// `process()` runs a batch through every populated slot and leaves in the batch what
// passed; packets that filters inject go to the sink of their direction after walking
// the remaining slots; faulted packets go to the slow path and come back through
// `reinject()`. Every packet that enters is accounted for in the per-slot counters.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/batch.h"
#include "stack/core/buffer_pool.h"
#include "stack/core/clock.h"
#include "stack/core/counters.h"
#include "stack/core/log.h"
#include "stack/core/timer_wheel.h"
#include "stack/iochain/filter.h"
#include "stack/iochain/trace.h"

namespace vnetref::iochain {

enum class FailurePolicy : uint8_t { kFailOpen, kFailClosed };
const char* name_of(FailurePolicy p);  // "failOpen" / "failClosed"

enum class SlotState : uint8_t {
  kEmpty,
  kAttached,      // "IOChain Attached"
  kFailed,        // configuration failed: the failure policy applies to all traffic
  kDisconnected,  // a fail-closed filter's state restore failed: the vNIC is cut off
};
const char* name_of(SlotState s);

// Drops the chain itself makes on a slot's behalf (counted as <prefix>.drop.<name>).
enum class ChainDrop : uint8_t {
  kFailClosed,     // slot failed or service down under fail-closed
  kFilterError,    // the filter returned an error: the whole batch is dropped
  kInjectOverflow, // more injected packets than one call may queue
  kInjectLoop,     // injections nested deeper than kMaxInjectDepth
  kSlowPathFull,   // the slow path refused a faulted packet
  kNoSlowPath,     // a packet was faulted but no slow path is attached
  kDisconnected,   // the vNIC is disconnected (failed restore under fail-closed)
  kReinjectNoSlot, // a packet came back for a slot that is empty now
  kNoSink,         // an injected packet left the chain but no sink is attached
  kCount
};
const char* name_of(ChainDrop d);

enum class ChainError : uint8_t {
  kBadSlot,        // slot >= 16
  kReservedSlot,   // 3, 13, 14
  kSlotBusy,       // already has a filter
  kChainFull,      // a 17th filter
  kSlotNotAllowed, // the filter's slot mask excludes this slot
  kEmptySlot,
  kFilter,         // the filter reported an error (see message)
};
const char* name_of(ChainError e);

struct ChainFailure {
  ChainError code;
  std::string message;
};
using ChainStatus = core::Status<ChainFailure>;

struct PortIdentity {
  uint32_t vm_id = 0;       // world id
  uint32_t vnic_index = 0;  // ethN
  uint32_t port_id = 0;     // switch port
  std::string vm_name;      // for summarize
};

// Receives packets that leave the chain by injection (or reinjection).
class ChainSink {
 public:
  virtual ~ChainSink() = default;
  virtual void deliver(core::PacketBatch& batch, Direction dir) = 0;
};

// One faulted packet.
struct FaultRecord {
  uint32_t slot = 0;
  Direction dir = Direction::kEgress;
  core::PacketPtr packet;
  std::vector<uint8_t> meta;  // <= kMaxFaultMeta bytes
};

class SlowPath {
 public:
  virtual ~SlowPath() = default;
  // Takes the record (true) or refuses it (false: the chain drops and counts it).
  virtual bool on_fault(FaultRecord& record) = 0;
};

// A bounded FIFO slow path: tests and the conformance runner pop and reinject.
class QueueSlowPath final : public SlowPath {
 public:
  explicit QueueSlowPath(size_t capacity = 1024) : capacity_(capacity) {}
  bool on_fault(FaultRecord& record) override;
  std::optional<FaultRecord> pop();
  size_t size() const { return q_.size(); }
  uint64_t refused() const { return refused_; }

 private:
  size_t capacity_;
  std::vector<FaultRecord> q_;  // FIFO via head index
  size_t head_ = 0;
  uint64_t refused_ = 0;
};

// Tells service-insertion filters whether a named service is reachable.
class ServiceDirectory {
 public:
  virtual ~ServiceDirectory() = default;
  virtual bool service_up(std::string_view service) const = 0;
};

struct ChainOptions {
  uint32_t max_inject_per_call = core::PacketBatch::kMaxPackets;
  uint32_t max_inject_depth = 4;
};

struct SlotCounters {
  uint64_t filtered = 0;  // packets handed to the filter
  uint64_t faulted = 0;
  uint64_t queued = 0;    // gauge: packets the filter holds (taken without a verdict)
  uint64_t errors = 0;    // non-OK results
  uint64_t injected = 0;
  uint64_t passed = 0;    // left in the batch
  uint64_t policy_passed = 0;  // passed unexamined by fail-open
  uint64_t taken = 0;     // removed from batches by the filter
  uint64_t allocated = 0; // new packets from FilterHost::alloc
  uint64_t disposed = 0;  // drop + fault + inject calls
  std::vector<uint64_t> filter_drops;  // by the filter's reason index
  core::ReasonCounters<ChainDrop> chain_drops;
};

class IoChain {
 public:
  static constexpr size_t kMaxFaultMeta = 2048;

  IoChain(PortIdentity port, core::BufferPool& pool, const core::Clock& clock, ChainOptions options = {});
  ~IoChain();
  IoChain(const IoChain&) = delete;
  IoChain& operator=(const IoChain&) = delete;

  // Installs a working filter.
  ChainStatus attach(uint32_t slot, std::unique_ptr<Filter> filter, FailurePolicy policy);
  // Records a filter that failed to configure: the slot applies `policy` to traffic.
  ChainStatus attach_failed(uint32_t slot, std::string agent, FailurePolicy policy, std::string reason);
  ChainStatus detach(uint32_t slot);

  void set_sink(ChainSink* sink) { sink_ = sink; }
  void set_slow_path(SlowPath* sp) { slow_path_ = sp; }
  void set_tracer(PacketTracer* t) { tracer_ = t; }
  void set_services(const ServiceDirectory* d) { services_ = d; }
  core::Logger& logger() { return log_; }
  // Keeps one timer armed on `wheel` for the earliest filter deadline.
  void attach_timer_wheel(core::TimerWheel& wheel);

  // Runs `batch` through the chain in `dir`; what passed stays in `batch`.
  void process(core::PacketBatch& batch, Direction dir);
  // A packet back from the slow path for `slot`: the filter's process_returned, then
  // the slots past it, then the sink.
  void reinject(uint32_t slot, core::PacketPtr packet, Direction dir, std::span<const uint8_t> meta = {});
  // Calls timer() of every filter whose deadline has come.
  void run_timers();
  std::optional<core::Instant> next_deadline() const;

  // Observability.
  core::CounterList counters() const;
  // Looks up "<prefix>.<name>" or "slot<N>.<name>".
  std::optional<uint64_t> counter(std::string_view name) const;
  const SlotCounters* slot_counters(uint32_t slot) const;
  std::string summarize() const;  // this port's part of `summarize-dvfilter`
  const PortIdentity& port() const { return port_; }
  uint32_t filter_count() const;
  SlotState slot_state(uint32_t slot) const;
  Filter* filter(uint32_t slot);
  std::string filter_name(uint32_t slot) const;
  bool disconnected() const { return disconnected_; }

  // Management operations routed to a slot's filter.
  // Runs the slot's timer at the chain clock's now first, so saved lifetimes are
  // what remains at the time of the save.
  FilterResult<std::vector<uint8_t>> save_state(uint32_t slot);
  // On failure under fail-closed the vNIC is disconnected (all traffic dropped).
  FilterStatus restore_state(uint32_t slot, std::span<const uint8_t> state);
  FilterResult<std::string> ioctl(uint32_t slot, std::string_view request);
  FilterStatus config_changed(uint32_t slot, std::string_view config_json);

  core::BufferPool& pool() { return pool_; }
  const core::Clock& clock() const { return clock_; }

 private:
  class SlotHost;
  struct Slot;

  void walk(core::PacketBatch& batch, Direction dir, int start_pos, uint32_t depth);
  void run_slot(Slot& s, core::PacketBatch& batch, Direction dir, bool returned, std::span<const uint8_t> meta,
                uint32_t depth);
  void drop_all(Slot& s, core::PacketBatch& batch, ChainDrop why, Direction dir);
  void flush_injected(Slot& s, uint32_t depth);
  int position_of(uint32_t slot, Direction dir) const;
  void rearm_timer();
  std::string prefix_of(const Slot& s) const;

  PortIdentity port_;
  core::BufferPool& pool_;
  const core::Clock& clock_;
  ChainOptions options_;
  std::array<std::unique_ptr<Slot>, kSlotCount> slots_;
  ChainSink* sink_ = nullptr;
  SlowPath* slow_path_ = nullptr;
  PacketTracer* tracer_ = nullptr;
  const ServiceDirectory* services_ = nullptr;
  core::Logger log_;
  core::ReasonCounters<ChainDrop> chain_drops_;  // drops no slot can own
  core::TimerWheel* wheel_ = nullptr;
  std::unique_ptr<core::Timer> timer_;
  bool disconnected_ = false;
};

}  // namespace vnetref::iochain
