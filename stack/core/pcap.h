// pcap and pcapng capture files: writers for capture points and conformance
// exports, a reader for tools and tests.
//
// Writers produce little-endian files with nanosecond timestamps (pcap magic
// 0xa1b23c4d; pcapng if_tsresol = 9), link type Ethernet, which tshark, tcpdump
// and Wireshark open directly. pcapng carries a per-packet comment (opt_comment),
// which conformance exports use for "input"/"expected" annotations.
// The reader accepts both formats, either byte order, µs or ns resolution, and
// returns a typed error on malformed bytes (it is fuzzed).
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/clock.h"
#include "stack/core/result.h"

namespace vnetref::core {

constexpr uint32_t kLinkTypeEthernet = 1;

class PcapWriter {
 public:
  explicit PcapWriter(std::ostream& out, uint32_t snaplen = 262144, uint32_t linktype = kLinkTypeEthernet);
  void write(Instant ts, std::span<const uint8_t> frame, uint32_t orig_len = 0);
  uint64_t packets() const { return packets_; }

 private:
  std::ostream& out_;
  uint32_t snaplen_;
  uint64_t packets_ = 0;
};

class PcapngWriter {
 public:
  explicit PcapngWriter(std::ostream& out, std::string_view app = "vnetref");
  // Declares an interface (a capture point); returns its id for write().
  uint32_t add_interface(std::string_view name, uint32_t linktype = kLinkTypeEthernet,
                         uint32_t snaplen = 262144);
  void write(uint32_t interface_id, Instant ts, std::span<const uint8_t> frame,
             std::string_view comment = {}, uint32_t orig_len = 0);
  uint64_t packets() const { return packets_; }

 private:
  std::ostream& out_;
  uint32_t interfaces_ = 0;
  uint64_t packets_ = 0;
};

enum class CaptureError : uint8_t {
  kTruncated,
  kBadMagic,
  kBadBlockLength,
  kBadInterface,
  kUnsupported,
};
const char* name_of(CaptureError e);

struct CaptureRecord {
  Instant time;
  uint32_t interface_id = 0;
  uint32_t orig_len = 0;
  std::vector<uint8_t> data;
  std::string comment;
};

struct Capture {
  bool pcapng = false;
  uint32_t linktype = kLinkTypeEthernet;  // of interface 0
  std::vector<std::string> interface_names;
  std::vector<CaptureRecord> records;
};

// Parses a whole pcap or pcapng file held in memory. `max_records` bounds memory.
Result<Capture, CaptureError> read_capture(std::span<const uint8_t> file, size_t max_records = 1u << 20);

}  // namespace vnetref::core
