// lwIP 2.1.3 bulk transfer for the side-by-side benchmark (lwip_bulk.cc).
#pragma once

#include <cstdint>
#include <memory>

namespace lwip_bench {

struct Conn;
struct ConnDeleter {
  void operator()(Conn* c) const;  // aborts the pcbs under the lwIP core lock
};
using ConnPtr = std::unique_ptr<Conn, ConnDeleter>;

// Starts lwIP's tcpip thread and adds two netifs (10.1.0.1/24, 10.2.0.1/24) once.
bool setup();
// A listener on 10.2.0.1 and a connected sender bound to 10.1.0.1; null on failure.
ConnPtr open();
// Sends `bytes` more in 1460-byte writes and waits until the receiver got them.
bool transfer(Conn& c, uint64_t bytes);
// pbufs lwIP's receiver was handed (one per received segment on this path).
uint64_t segments(const Conn& c);

}  // namespace lwip_bench
