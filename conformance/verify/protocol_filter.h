// Host side of the stdin/stdout protocol (conformance/PROTOCOL.md): a filter that
// lives in another process, written in any language. Each filter instance is one
// process started with `/bin/sh -c COMMAND`; every ABI operation becomes a request
// line and a reply block ending in "ok" or "error <status> <message>".
//
// A broken peer (early exit, malformed line, unknown handle) fails the operation
// with FilterError::kFailed and is recorded as a protocol violation, which fails
// the conformance case with the exact line received.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "stack/iochain/filter.h"

namespace vnetref::conformance {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kProtocolMaxLine = 1u << 20;

// Shared by every filter of one implementation: violations and the log tail.
struct ProtocolJournal {
  std::vector<std::string> violations;
  std::string log;
  void note(std::string line);
};

// A running peer process with line I/O.
class Peer {
 public:
  static iochain::FilterResult<std::unique_ptr<Peer>> spawn(const std::string& command);
  ~Peer();
  bool send(const std::string& line);
  // One line without its newline; false on EOF / error / overlong line.
  bool recv(std::string& line);
  pid_t pid() const { return pid_; }

 private:
  Peer() = default;
  pid_t pid_ = -1;
  int to_ = -1;
  FILE* from_ = nullptr;
};

// Asks a command which slots it implements ("hello" / "slots ..."). Empty on failure
// (with the reason in `error`).
std::vector<uint32_t> probe_slots(const std::string& command, std::string& error);

class ProtocolFilter final : public iochain::Filter {
 public:
  static iochain::FilterResult<std::unique_ptr<ProtocolFilter>> create(const std::string& command,
                                                                       const iochain::FilterPlacement& where,
                                                                       const std::string& config_json,
                                                                       const iochain::FilterParams& params,
                                                                       std::shared_ptr<ProtocolJournal> journal);
  ~ProtocolFilter() override;

  const iochain::FilterInfo& info() const override { return info_; }
  iochain::FilterStatus process(core::PacketBatch& batch, iochain::Direction dir, iochain::FilterHost& host) override;
  iochain::FilterStatus process_returned(core::PacketBatch& batch, iochain::Direction dir,
                                         std::span<const uint8_t> meta, iochain::FilterHost& host) override;
  std::optional<core::Instant> timer(core::Instant now, iochain::FilterHost& host) override;
  void counters(core::CounterList& out) const override;
  iochain::FilterResult<std::vector<uint8_t>> save_state() const override;
  iochain::FilterStatus restore_state(std::span<const uint8_t> state) override;
  iochain::FilterResult<std::string> ioctl(std::string_view request) override;
  iochain::FilterStatus config_changed(std::string_view config_json) override;

 private:
  ProtocolFilter() = default;
  struct Reply {
    bool ok = false;
    iochain::FilterFailure failure;
    std::vector<std::string> lines;  // data lines before ok/error
  };
  // Sends `request` (plus `extra` lines) and reads the reply. Verdict lines that
  // act on packets are applied through `host` as they arrive.
  Reply call(const std::string& request, const std::vector<std::string>& extra = {},
             iochain::FilterHost* host = nullptr, core::PacketBatch* batch = nullptr) const;
  iochain::FilterStatus run(core::PacketBatch& batch, iochain::Direction dir, bool returned,
                            std::span<const uint8_t> meta, iochain::FilterHost& host);
  bool apply_line(const std::string& line, iochain::FilterHost* host, core::PacketBatch* batch) const;
  void violation(std::string what) const;

  std::unique_ptr<Peer> peer_;
  iochain::FilterInfo info_;
  std::shared_ptr<ProtocolJournal> journal_;
  mutable bool broken_ = false;
  mutable uint64_t next_handle_ = 1;
  // Handles of packets currently in the batch being processed / held by the peer.
  mutable std::map<uint64_t, uint32_t> in_batch_;  // handle -> batch index
  mutable std::map<uint64_t, core::PacketPtr> held_;
  mutable std::optional<core::Instant> next_timer_;
  // Packets whose bytes the peer replaced ("modify"), by batch index.
  mutable std::vector<std::pair<uint32_t, core::PacketPtr>> modified_;
};

}  // namespace vnetref::conformance
