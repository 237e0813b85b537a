// Fuzzes the golden-trace parser (conformance/trace): any input either parses or
// yields a located, typed error — never a crash, hang or unbounded allocation. A
// parsed trace must survive the canonical writer and the pcapng export, and
// re-parsing the written text must give the same trace (format idempotence).
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "conformance/trace/parser.h"
#include "conformance/trace/pcapng_export.h"
#include "conformance/trace/writer.h"

using vnetref::conformance::format_trace;
using vnetref::conformance::parse_trace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = parse_trace(text);
  if (!t) {
    // Errors point inside the input (line 0 only for whole-file problems).
    const auto& e = t.error();
    if (e.message.empty()) std::abort();
    return 0;
  }
  for (const auto& step : t->steps) {
    if (const auto* e = std::get_if<vnetref::conformance::ExpectPacketStep>(&step.op)) {
      if (e->pattern.bytes.size() != e->pattern.care.size()) std::abort();
      // A pattern always matches the bytes it was resolved against.
      if (!e->pattern.any && !e->pattern.matches(e->pattern.resolve_with(e->pattern.bytes))) std::abort();
    }
  }
  const std::string once = format_trace(*t);
  auto again = parse_trace(once);
  if (!again) std::abort();  // the writer produced text its own parser rejects
  if (format_trace(*again) != once) std::abort();
  if (again->steps.size() != t->steps.size() || again->filters.size() != t->filters.size()) std::abort();
  std::ostringstream pcap;
  vnetref::conformance::export_pcapng(*t, pcap);
  return 0;
}
