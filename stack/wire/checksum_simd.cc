// SIMD kernels for the Internet checksum, compiled with per-function target
// attributes so the library itself needs no -mavx2; ones_sum() only calls the AVX2
// kernel after __builtin_cpu_supports("avx2") said yes.
#include <immintrin.h>

#include "stack/wire/checksum_kernels.h"

#if defined(__x86_64__)

namespace vnetref::wire::detail {
namespace {

// How many 64-byte SSE2 blocks the 32-bit lanes can absorb: each accumulator lane gets
// two additions of at most 0xFFFF per block, so 16384 blocks add less than 2^31.
constexpr size_t kMaxBlocksPerFlush = 16384;

// AVX2 rounds of 128-byte blocks: the four accumulators are added together in 32-bit
// lanes before the horizontal sum, plus up to three tail vectors: 8 * 0xFFFF per block
// and 6 * 0xFFFF for the tail must stay below 2^32 (8000 blocks: ~0.98 * 2^32).
constexpr size_t kAvx2MaxBlocks = 8000;

__attribute__((target("avx2"))) uint64_t hsum_epi32_avx2(__m256i v) {
  // Widen the eight 32-bit lanes to 64 bits before adding so nothing can overflow.
  const __m256i zero = _mm256_setzero_si256();
  const __m256i wide = _mm256_add_epi64(_mm256_unpacklo_epi32(v, zero), _mm256_unpackhi_epi32(v, zero));
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(wide), _mm256_extracti128_si256(wide, 1));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(h)) + static_cast<uint64_t>(_mm_extract_epi64(h, 1));
}

uint64_t hsum_epi32_sse2(__m128i v) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i wide = _mm_add_epi64(_mm_unpacklo_epi32(v, zero), _mm_unpackhi_epi32(v, zero));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(wide)) +
         static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(wide, wide)));
}

}  // namespace

__attribute__((target("avx2"))) uint64_t sum_avx2(const uint8_t* p, size_t n) {
  // Each 16-bit word is widened into a 32-bit lane: the low word of every 32-bit lane
  // by masking, the high word by shifting. Four independent accumulators keep the
  // adds off one dependency chain; they are combined (still in 32-bit lanes, which
  // kAvx2MaxBlocks keeps from overflowing) and summed horizontally once per round.
  // Below two blocks the setup and horizontal sum cost more than the scalar loop.
  if (n < 256) return sum_scalar64(p, n);
  const __m256i low_mask = _mm256_set1_epi32(0xffff);
  uint64_t total = 0;
  do {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    size_t blocks = n / 128;
    if (blocks > kAvx2MaxBlocks) blocks = kAvx2MaxBlocks;
    n -= blocks * 128;
    for (; blocks > 0; --blocks, p += 128) {
      const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
      const __m256i v2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64));
      const __m256i v3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 96));
      a0 = _mm256_add_epi32(a0, _mm256_and_si256(v0, low_mask));
      a1 = _mm256_add_epi32(a1, _mm256_srli_epi32(v0, 16));
      a2 = _mm256_add_epi32(a2, _mm256_and_si256(v1, low_mask));
      a3 = _mm256_add_epi32(a3, _mm256_srli_epi32(v1, 16));
      a0 = _mm256_add_epi32(a0, _mm256_and_si256(v2, low_mask));
      a1 = _mm256_add_epi32(a1, _mm256_srli_epi32(v2, 16));
      a2 = _mm256_add_epi32(a2, _mm256_and_si256(v3, low_mask));
      a3 = _mm256_add_epi32(a3, _mm256_srli_epi32(v3, 16));
    }
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
    if (n < 128) {
      // Last round: the (at most three) remaining whole vectors go in as well.
      while (n >= 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        s = _mm256_add_epi32(s, _mm256_and_si256(v, low_mask));
        s = _mm256_add_epi32(s, _mm256_srli_epi32(v, 16));
        p += 32;
        n -= 32;
      }
    }
    total += hsum_epi32_avx2(s);
  } while (n >= 128);
  return total + sum_scalar64(p, n);
}

uint64_t sum_sse2(const uint8_t* p, size_t n) {
  const __m128i low_mask = _mm_set1_epi32(0xffff);
  uint64_t total = 0;
  while (n >= 64) {
    __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
    size_t blocks = n / 64;
    if (blocks > kMaxBlocksPerFlush) blocks = kMaxBlocksPerFlush;
    n -= blocks * 64;
    for (; blocks > 0; --blocks, p += 64) {
      const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
      const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32));
      const __m128i v3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48));
      a0 = _mm_add_epi32(a0, _mm_and_si128(v0, low_mask));
      a1 = _mm_add_epi32(a1, _mm_srli_epi32(v0, 16));
      a2 = _mm_add_epi32(a2, _mm_and_si128(v1, low_mask));
      a3 = _mm_add_epi32(a3, _mm_srli_epi32(v1, 16));
      a0 = _mm_add_epi32(a0, _mm_and_si128(v2, low_mask));
      a1 = _mm_add_epi32(a1, _mm_srli_epi32(v2, 16));
      a2 = _mm_add_epi32(a2, _mm_and_si128(v3, low_mask));
      a3 = _mm_add_epi32(a3, _mm_srli_epi32(v3, 16));
    }
    total += hsum_epi32_sse2(a0) + hsum_epi32_sse2(a1) + hsum_epi32_sse2(a2) + hsum_epi32_sse2(a3);
  }
  return total + sum_scalar64(p, n);
}

}  // namespace vnetref::wire::detail

#endif  // __x86_64__
