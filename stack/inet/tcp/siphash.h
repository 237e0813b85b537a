// SipHash-2-4 (Aumasson & Bernstein, 2012): the keyed hash behind ISNs (RFC 6528),
// SYN cookies and timestamp offsets. Implemented from the paper's description.
#pragma once

#include <cstdint>
#include <span>

namespace vnetref::inet::tcp {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

uint64_t siphash24(const SipKey& key, std::span<const uint8_t> data);

// Hash of up to four 64-bit words (little-endian encoded), the shape every caller here uses.
uint64_t siphash_words(const SipKey& key, uint64_t a, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0);

}  // namespace vnetref::inet::tcp
