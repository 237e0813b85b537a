// Parser of the golden-trace text format (conformance/FORMAT.md, version 1).
//
// Typed errors carry the line and column where the problem is, so a vendor who edits
// a trace by hand sees "line 12, column 9: bad hex digit 'g'" instead of a crash. The
// parser is bounded (kMaxTraceBytes, kMaxSteps, kMaxPacketBytes) and fuzzed.
#pragma once

#include <string>
#include <string_view>

#include "conformance/trace/trace.h"
#include "stack/core/result.h"

namespace vnetref::conformance {

enum class TraceErrorKind : uint8_t {
  kTooLarge,          // file, line, packet or step count beyond the bounds
  kBadVersion,        // first directive is not "vnetref-trace 1"
  kUnknownDirective,  // a line starts with a word the grammar does not know
  kSyntax,            // wrong arguments for a known directive
  kBadHex,            // odd digit count, bad digit, empty packet
  kBadNumber,         // not a number, or out of range
  kMissingHeader,     // slot, case, clauses or description missing
  kDuplicateHeader,   // a header line given twice
  kConfig,            // the chain configuration (JSON) is malformed
  kUnterminated,      // a config block without its "end"
  kDuplicateId,       // two injected packets share a name
};
const char* name_of(TraceErrorKind k);

struct TraceError {
  TraceErrorKind kind = TraceErrorKind::kSyntax;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;
  std::string to_string() const;  // "line 12, column 9: bad hex: ..."
};

core::Result<Trace, TraceError> parse_trace(std::string_view text);

// Parses hex packet text: digits and '*' don't-care nibbles, whitespace between
// groups ignored. `allow_wildcards` = false rejects '*' (injected packets are exact).
core::Result<PacketPattern, std::string> parse_hex_pattern(std::string_view text, bool allow_wildcards);

}  // namespace vnetref::conformance
