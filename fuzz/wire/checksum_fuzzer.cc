// Internet checksum: every implementation (reference, scalar, SSE2, AVX2) agrees at
// the input's alignment and one byte off it; split accumulation equals the whole;
// an RFC 1624 update equals a full recomputation.
#include <vector>

#include "fuzz/wire/fuzz_check.h"
#include "stack/wire/checksum.h"

using namespace vnetref::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  const uint16_t want = ones_sum_with(ChecksumImpl::Reference, in);
  for (ChecksumImpl impl : {ChecksumImpl::Scalar64, ChecksumImpl::Sse2, ChecksumImpl::Avx2}) {
    WIRE_FUZZ_CHECK(ones_sum_with(impl, in) == want);
  }
  WIRE_FUZZ_CHECK(ones_sum(in) == want);
  if (size > 1) {
    const auto tail = in.subspan(1);  // odd start address
    WIRE_FUZZ_CHECK(ones_sum(tail) == ones_sum_with(ChecksumImpl::Reference, tail));
  }
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  ChecksumAccumulator acc;
  acc.add(in.subspan(0, cut));
  acc.add(in.subspan(cut));
  WIRE_FUZZ_CHECK(acc.sum() == want);

  if (size >= 4) {
    std::vector<uint8_t> buf(in.begin(), in.end());
    if (buf.size() % 2) buf.push_back(0);
    const uint16_t before = internet_checksum(buf);
    const size_t w = (data[1] % (buf.size() / 2)) * 2;
    const uint16_t old_word = static_cast<uint16_t>((buf[w] << 8) | buf[w + 1]);
    const uint16_t new_word = static_cast<uint16_t>((data[2] << 8) | data[3]);
    buf[w] = static_cast<uint8_t>(new_word >> 8);
    buf[w + 1] = static_cast<uint8_t>(new_word);
    const uint16_t inc = checksum_adjust(before, old_word, new_word);
    const uint16_t full = internet_checksum(buf);
    bool all_zero = true;
    for (uint8_t b : buf) all_zero = all_zero && b == 0;
    WIRE_FUZZ_CHECK(inc == full || (all_zero && inc == 0));
  }
  return 0;
}
