// Invariant: read_capture never crashes; a capture it accepts, written back with our
// writer, reads back to the same records.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "stack/core/pcap.h"

using namespace vnetref::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto cap = read_capture({data, size}, 4096);
  if (!cap) return 0;
  std::ostringstream out;
  PcapngWriter w(out);
  size_t ifaces = cap->interface_names.empty() ? 1 : cap->interface_names.size();
  for (size_t i = 0; i < ifaces; ++i) w.add_interface(cap->pcapng && i < cap->interface_names.size() ? cap->interface_names[i] : "if");
  for (const auto& r : cap->records) {
    if (to_nanos(r.time) < 0) return 0;  // our writer stores unsigned time
    w.write(r.interface_id < ifaces ? r.interface_id : 0, r.time, r.data, r.comment);
  }
  std::string s = out.str();
  auto again = read_capture({reinterpret_cast<const uint8_t*>(s.data()), s.size()}, 4096);
  if (!again || again->records.size() != cap->records.size()) __builtin_trap();
  for (size_t i = 0; i < cap->records.size(); ++i) {
    if (again->records[i].data != cap->records[i].data) __builtin_trap();
    if (again->records[i].comment != cap->records[i].comment) __builtin_trap();
    if (again->records[i].time != cap->records[i].time) __builtin_trap();
  }
  return 0;
}
