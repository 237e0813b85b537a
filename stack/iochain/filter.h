// The C++ side of a slot filter: what a filter implements and what the chain offers it.
//
// Mirrors the C ABI (include/vnetref/filter_abi.h) operation for operation, so a
// reference filter can be exported through the ABI and a vendor filter loaded through
// it without changing semantics. Calls are per batch, never per packet: a filter walks
// the batch itself, which keeps virtual dispatch off the per-packet path.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/batch.h"
#include "stack/core/clock.h"
#include "stack/core/counters.h"
#include "stack/core/packet.h"
#include "stack/core/result.h"

namespace vnetref::iochain {

using core::Direction;

inline constexpr uint32_t kSlotCount = 16;
// Slots that refuse filters (documented as reserved on real hosts).
constexpr bool slot_reserved(uint32_t slot) { return slot == 3 || slot == 13 || slot == 14; }
constexpr Direction reverse(Direction d) {
  return d == Direction::kEgress ? Direction::kIngress : Direction::kEgress;
}
const char* name_of(Direction d);  // "out" (egress) / "in" (ingress), as DFW logs print them

enum class FilterError : uint8_t {
  kInvalid,      // bad configuration / argument
  kNoMem,        // bounded resource exhausted
  kBusy,         // try again later (destroy)
  kUnsupported,  // operation not implemented
  kState,        // saved state does not fit
  kFailed,       // internal failure: failure policy applies
  kVersion,      // ABI/struct version mismatch
  kDown,         // service down: failure policy applies
};
const char* name_of(FilterError e);

struct FilterFailure {
  FilterError code = FilterError::kFailed;
  std::string message;
  std::string to_string() const;
};
using FilterStatus = core::Status<FilterFailure>;
template <typename T>
using FilterResult = core::Result<T, FilterFailure>;
inline core::Err<FilterFailure> filter_error(FilterError code, std::string message) {
  return core::Err<FilterFailure>(FilterFailure{code, std::move(message)});
}

// Static description of a filter kind.
struct FilterInfo {
  std::string agent;           // "vmware-sfw", "dvfilter-switch-security", ...
  std::string counter_prefix;  // "dfw" -> counters "dfw.<name>"
  std::vector<std::string> drop_reasons;  // index = reason id passed to FilterHost::drop
};

// What the chain gives a filter during a call. Every packet a filter removes from a
// batch goes back through exactly one of drop / fault / inject (or stays held).
class FilterHost {
 public:
  virtual ~FilterHost() = default;
  virtual core::Instant now() const = 0;
  // Frees `p`, counting `<prefix>.drop.<drop_reasons[reason]>`.
  virtual void drop(core::PacketPtr p, uint32_t reason) = 0;
  // Sends `p` to the slow path with metadata; false when the slow path refused it
  // (the host then dropped and counted it).
  virtual bool fault(core::PacketPtr p, std::span<const uint8_t> meta) = 0;
  // Faults a zero-copy clone; the original stays with the caller.
  virtual bool fault_copy(const core::Packet& p, std::span<const uint8_t> meta) = 0;
  // Queues `p` to continue past this slot in `dir` once the current call returns.
  virtual void inject(core::PacketPtr p, Direction dir) = 0;
  // A fresh packet with `len` bytes of (uninitialised) data, or null when exhausted.
  virtual core::PacketPtr alloc(uint32_t len) = 0;
  // Copy-on-write before modifying bytes of a packet that may be shared.
  virtual bool make_writable(core::PacketPtr& p) = 0;
  // Whether a named service (slots 4-12) is reachable.
  virtual bool service_up(std::string_view service) = 0;
  // Asks for a timer() call at or after `when`.
  virtual void request_timer(core::Instant when) = 0;
  virtual void log(int level, std::string_view line) = 0;
};

class Filter {
 public:
  virtual ~Filter() = default;
  virtual const FilterInfo& info() const = 0;

  // Packets left in `batch` continue to the next slot. Taking one out requires
  // host.drop / host.fault / host.inject (or holding it). Non-OK: the chain drops
  // whatever is still in the batch and counts an error.
  virtual FilterStatus process(core::PacketBatch& batch, Direction dir, FilterHost& host) = 0;
  // Packets returned from the slow path / a service; packets left continue past the slot.
  virtual FilterStatus process_returned(core::PacketBatch& batch, Direction dir, std::span<const uint8_t> meta,
                                        FilterHost& host);
  // Time moved: expire state; returns the next deadline wanted, if any.
  virtual std::optional<core::Instant> timer(core::Instant now, FilterHost& host);
  // Filter-specific counters, names without the prefix ("conn.active").
  virtual void counters(core::CounterList& out) const;
  virtual FilterResult<std::vector<uint8_t>> save_state() const;
  virtual FilterStatus restore_state(std::span<const uint8_t> state);
  virtual FilterResult<std::string> ioctl(std::string_view request);
  // Replaces the configuration atomically; on error the old one stays in force.
  virtual FilterStatus config_changed(std::string_view config_json);
  // False when the filter's service is down: the chain applies the failure policy.
  virtual bool healthy() const { return true; }
};

// Where and for whom a filter is created.
struct FilterPlacement {
  uint32_t slot = 0;
  uint32_t vm_id = 0;
  uint32_t vnic_index = 0;
  uint32_t port_id = 0;
  std::string name;  // nic-<vm>-eth<n>-<agent>.<slot>
};

using FilterParams = std::vector<std::pair<std::string, std::string>>;

std::string filter_name(uint32_t vm_id, uint32_t vnic_index, std::string_view agent, uint32_t slot);

}  // namespace vnetref::iochain
