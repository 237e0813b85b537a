// Exports a golden trace as pcapng for Wireshark: every injected packet and every
// expected packet, stamped with the trace's virtual time, each with a comment
// naming the step (line, direction, packet id, clauses, Scapy expression).
#pragma once

#include <ostream>

#include "conformance/trace/trace.h"

namespace vnetref::conformance {

struct PcapngExportStats {
  uint64_t inputs = 0;
  uint64_t expected = 0;
  uint64_t skipped = 0;  // "expect ... any" steps: no bytes to write
};

// Interfaces in the file: 0 "inject egress", 1 "inject ingress", 2 "expect egress",
// 3 "expect ingress", 4 "expect slowpath". Don't-care nibbles are written as 0 and
// the comment says which bytes they are.
PcapngExportStats export_pcapng(const Trace& trace, std::ostream& out);

}  // namespace vnetref::conformance
