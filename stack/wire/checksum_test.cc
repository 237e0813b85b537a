#include "stack/wire/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "stack/wire/test_util.h"

namespace vnetref::wire {
namespace {

// Independent oracle: RFC 1071 section 4.1 in big-endian words, one carry fold at the end.
uint16_t textbook_sum(std::span<const uint8_t> d) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < d.size(); i += 2) sum += (uint32_t{d[i]} << 8) | d[i + 1];
  if (i < d.size()) sum += uint32_t{d[i]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

constexpr ChecksumImpl kAllImpls[] = {ChecksumImpl::Reference, ChecksumImpl::Scalar64, ChecksumImpl::Sse2,
                                      ChecksumImpl::Avx2};

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: the sum of 00 01 f2 03 f4 f5 f6 f7 is dd f2.
  const auto d = testing::from_hex("0001f203f4f5f6f7");
  EXPECT_EQ(ones_sum(d), 0xddf2);
  EXPECT_EQ(internet_checksum(d), 0x220d);
  for (ChecksumImpl impl : kAllImpls) EXPECT_EQ(ones_sum_with(impl, d), 0xddf2) << to_string(impl);
}

TEST(Checksum, KnownIpv4Header) {
  // A textbook header whose checksum field holds b861: it must verify to zero, and
  // recompute to b861 when zeroed.
  auto h = testing::from_hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
  EXPECT_EQ(internet_checksum(h), 0);
  h[10] = h[11] = 0;
  EXPECT_EQ(internet_checksum(h), 0xb861);
}

TEST(Checksum, EmptyAndTinyInputs) {
  EXPECT_EQ(ones_sum({}), 0);
  EXPECT_EQ(internet_checksum({}), 0xffff);
  const uint8_t one[] = {0xab};
  EXPECT_EQ(ones_sum(one), 0xab00);  // odd byte padded on the right
  const uint8_t ff[] = {0xff, 0xff};
  EXPECT_EQ(ones_sum(ff), 0xffff);  // -0 stays -0 for non-zero data
}

// Every length 0..2048 at every start offset 0..63, against the textbook oracle, for
// every implementation compiled in and supported here.
class ChecksumExhaustive : public ::testing::TestWithParam<int> {};

TEST_P(ChecksumExhaustive, AllLengthsAllAlignments) {
  constexpr size_t kMaxLen = 2048;
  constexpr size_t kAligns = 64;
  std::vector<uint8_t> buf(kMaxLen + kAligns);
  std::mt19937 rng(1234);
  if (GetParam() == 0) {
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
  } else {
    std::fill(buf.begin(), buf.end(), 0xff);  // maximises carries in every lane
  }
  for (ChecksumImpl impl : kAllImpls) {
    if (!checksum_impl_supported(impl)) continue;
    for (size_t align = 0; align < kAligns; ++align) {
      for (size_t len = 0; len <= kMaxLen; ++len) {
        const std::span<const uint8_t> d(buf.data() + align, len);
        const uint16_t want = textbook_sum(d);
        const uint16_t got = ones_sum_with(impl, d);
        if (got != want) {
          FAIL() << to_string(impl) << " align " << align << " len " << len << " got " << got << " want " << want;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RandomAndAllOnes, ChecksumExhaustive, ::testing::Values(0, 1));

TEST(Checksum, LargeBuffersCrossAccumulatorFlush) {
  // Several accumulator rounds of the SIMD kernels (AVX2: 8000 * 128 bytes, SSE2:
  // 16384 * 64 bytes), all-ones data so every lane is as full as it can get; the
  // second size ends a full AVX2 round with the largest possible vector tail.
  for (size_t len : {size_t{16384} * 128 * 2 + 77, size_t{8000} * 128 * 2 + 127}) {
    std::vector<uint8_t> buf(len, 0xff);
    const uint16_t want = textbook_sum(buf);
    for (ChecksumImpl impl : kAllImpls) {
      if (checksum_impl_supported(impl)) {
        EXPECT_EQ(ones_sum_with(impl, buf), want) << to_string(impl) << " len " << len;
      }
    }
    EXPECT_EQ(ones_sum(buf), want);
  }
}

TEST(Checksum, DispatchPicksSupportedImpl) {
  EXPECT_TRUE(checksum_impl_supported(active_checksum_impl()));
  EXPECT_TRUE(checksum_impl_supported(ChecksumImpl::Reference));
  EXPECT_TRUE(checksum_impl_supported(ChecksumImpl::Scalar64));
}

TEST(ChecksumAccumulator, SplitAnywhereEqualsWhole) {
  std::mt19937 rng(99);
  std::vector<uint8_t> buf(301);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  const uint16_t whole = ones_sum(buf);
  for (size_t a = 0; a <= buf.size(); ++a) {
    const size_t b = a + (buf.size() - a) / 3;
    ChecksumAccumulator acc;
    acc.add(std::span(buf).subspan(0, a));
    acc.add(std::span(buf).subspan(a, b - a));
    acc.add(std::span(buf).subspan(b));
    ASSERT_EQ(acc.sum(), whole) << a << " " << b;
  }
}

TEST(ChecksumAccumulator, PseudoHeaderMatchesBytes) {
  // The pseudo-header sum equals summing its 12 bytes laid out as on the wire.
  const auto bytes = testing::from_hex("c0a80001 c0a800c7 00 11 0073");
  EXPECT_EQ(ipv4_pseudo_header_sum(Ipv4Address(192, 168, 0, 1), Ipv4Address(192, 168, 0, 199), 17, 0x73),
            ones_sum(bytes));
}

TEST(ChecksumIncremental, Rfc1624Example) {
  // RFC 1624 section 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives 0x0000 by eqn. 3
  // (eqn. 2 would have produced 0xFFFF).
  EXPECT_EQ(checksum_adjust(0xdd2f, 0x5555, 0x3285), 0x0000);
}

TEST(ChecksumIncremental, MatchesFullRecompute) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> d(2 * (1 + rng() % 30));
    // Mix random data with mostly-zero and all-ones data to hit the 0x0000/0xFFFF edges.
    const int kind = iter % 3;
    for (auto& b : d) b = kind == 0 ? static_cast<uint8_t>(rng()) : kind == 1 ? (rng() % 8 == 0 ? 1 : 0) : 0xff;
    const uint16_t before = internet_checksum(d);
    const size_t w = 2 * (rng() % (d.size() / 2));
    const uint16_t old_word = static_cast<uint16_t>((d[w] << 8) | d[w + 1]);
    const uint16_t new_word = iter % 7 == 0 ? static_cast<uint16_t>(iter % 2 ? 0 : 0xffff) : static_cast<uint16_t>(rng());
    d[w] = static_cast<uint8_t>(new_word >> 8);
    d[w + 1] = static_cast<uint8_t>(new_word);
    const uint16_t full = internet_checksum(d);
    const uint16_t inc = checksum_adjust(before, old_word, new_word);
    const bool all_zero = std::all_of(d.begin(), d.end(), [](uint8_t b) { return b == 0; });
    if (all_zero) {
      // The only ambiguous case: all-zero data sums to +0, the update yields -0.
      // Both encode the same ones'-complement value.
      EXPECT_TRUE(inc == 0x0000 || inc == 0xffff);
    } else {
      ASSERT_EQ(inc, full) << "iter " << iter;
    }
  }
}

TEST(ChecksumIncremental, Adjust32ForAddressRewrite) {
  auto h = testing::from_hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
  const uint16_t old_ck = 0xb861;
  // NAT-style rewrite of the source address.
  h[12] = 10; h[13] = 1; h[14] = 2; h[15] = 3;
  const uint16_t inc = checksum_adjust32(old_ck, 0xc0a80001u, 0x0a010203u);
  h[10] = static_cast<uint8_t>(inc >> 8);
  h[11] = static_cast<uint8_t>(inc);
  EXPECT_EQ(internet_checksum(h), 0);
}

}  // namespace
}  // namespace vnetref::wire
