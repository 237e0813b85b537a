#include "stack/wire/checksum.h"

#include <cstring>

#include "stack/wire/checksum_kernels.h"

namespace vnetref::wire {
namespace detail {

uint64_t sum_reference(const uint8_t* p, size_t n) {
  // RFC 1071 4.1, but reading native little-endian words like the fast kernels.
  uint64_t s = 0;
  size_t i = 0;
  for (; i + 1 < n; i += 2) s += uint32_t{p[i]} | (uint32_t{p[i + 1]} << 8);
  if (i < n) s += p[i];
  return s;
}

uint64_t sum_scalar64(const uint8_t* p, size_t n) {
  // Each 64-bit load is split into two 32-bit halves summed into 64-bit accumulators:
  // no carry handling per step, and 2^32 iterations before an accumulator can overflow.
  uint64_t a = 0, b = 0;
  while (n >= 16) {
    uint64_t w0, w1;
    std::memcpy(&w0, p, 8);  // unaligned load; compiles to a plain mov
    std::memcpy(&w1, p + 8, 8);
    a += (w0 & 0xffffffffu) + (w0 >> 32);
    b += (w1 & 0xffffffffu) + (w1 >> 32);
    p += 16;
    n -= 16;
  }
  if (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    a += (w & 0xffffffffu) + (w >> 32);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    b += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    a += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) b += *p;
  return a + b;
}

}  // namespace detail

namespace {

using SumFn = uint64_t (*)(const uint8_t*, size_t);

SumFn kernel_for(ChecksumImpl impl) {
  switch (impl) {
    case ChecksumImpl::Reference: return detail::sum_reference;
    case ChecksumImpl::Scalar64: return detail::sum_scalar64;
#if defined(__x86_64__)
    case ChecksumImpl::Sse2: return detail::sum_sse2;
    case ChecksumImpl::Avx2: return detail::sum_avx2;
#else
    case ChecksumImpl::Sse2:
    case ChecksumImpl::Avx2: return nullptr;
#endif
  }
  return nullptr;
}

ChecksumImpl select_impl() {
#if defined(__x86_64__)
  __builtin_cpu_init();  // safe even if we run before the runtime's own constructor
  if (__builtin_cpu_supports("avx2")) return ChecksumImpl::Avx2;
  return ChecksumImpl::Sse2;  // SSE2 is part of the x86-64 baseline
#else
  return ChecksumImpl::Scalar64;
#endif
}

// Resolved once; a function-local static avoids static-initialisation-order issues
// for callers in other translation units' constructors.
SumFn active_kernel() {
  static const SumFn fn = kernel_for(select_impl());
  return fn;
}

uint16_t finish(uint64_t native_sum) {
  const uint16_t s = detail::fold64(native_sum);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return static_cast<uint16_t>((s << 8) | (s >> 8));
#else
  return s;
#endif
}

}  // namespace

uint16_t ones_sum(std::span<const uint8_t> data) { return finish(active_kernel()(data.data(), data.size())); }

const char* to_string(ChecksumImpl impl) {
  switch (impl) {
    case ChecksumImpl::Reference: return "reference";
    case ChecksumImpl::Scalar64: return "scalar64";
    case ChecksumImpl::Sse2: return "sse2";
    case ChecksumImpl::Avx2: return "avx2";
  }
  return "unknown";
}

bool checksum_impl_supported(ChecksumImpl impl) {
  switch (impl) {
    case ChecksumImpl::Reference:
    case ChecksumImpl::Scalar64: return true;
#if defined(__x86_64__)
    case ChecksumImpl::Sse2: return true;
    case ChecksumImpl::Avx2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2");
#else
    case ChecksumImpl::Sse2:
    case ChecksumImpl::Avx2: return false;
#endif
  }
  return false;
}

ChecksumImpl active_checksum_impl() {
  static const ChecksumImpl impl = select_impl();
  return impl;
}

uint16_t ones_sum_with(ChecksumImpl impl, std::span<const uint8_t> data) {
  if (!checksum_impl_supported(impl)) impl = ChecksumImpl::Reference;
  return finish(kernel_for(impl)(data.data(), data.size()));
}

void ChecksumAccumulator::add(std::span<const uint8_t> data) {
  if (data.empty()) return;
  uint16_t s = ones_sum(data);
  // A piece that starts at an odd offset has every byte in the other half of its
  // word: its sum is the byte-swapped sum of the piece taken alone (RFC 1071 2(B)).
  if (odd_) s = static_cast<uint16_t>((s << 8) | (s >> 8));
  sum_ = ones_add(sum_, s);
  if (data.size() % 2 != 0) odd_ = !odd_;
}

void ChecksumAccumulator::add16(uint16_t word) { sum_ = ones_add(sum_, word); }

void ChecksumAccumulator::add32(uint32_t value) {
  add16(static_cast<uint16_t>(value >> 16));
  add16(static_cast<uint16_t>(value));
}

uint16_t ipv4_pseudo_header_sum(Ipv4Address src, Ipv4Address dst, uint8_t protocol, uint16_t length) {
  ChecksumAccumulator acc;
  acc.add32(src.to_u32());
  acc.add32(dst.to_u32());
  acc.add16(protocol);  // zero byte then protocol byte
  acc.add16(length);
  return acc.sum();
}

}  // namespace vnetref::wire
