#!/usr/bin/env bash
# Builds every benchmark binary under //bench with --config=bench (-O3, NDEBUG) and
# runs each. Extra arguments go to Google Benchmark (e.g. --benchmark_filter=Checksum,
# --benchmark_format=json). VNETREF_BENCH narrows the targets (default //bench/...).
# Each binary's JSON is also kept under out/bench/ for comparisons between runs.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
pattern=${VNETREF_BENCH:-//bench/...}
mapfile -t targets < <(bazel query "kind(cc_binary, $pattern)" 2>/dev/null)
[[ ${#targets[@]} -eq 0 ]] && { echo "bench: no benchmark binaries match $pattern" >&2; exit 1; }
bazel build --config=bench "${targets[@]}" || exit 1
bin_dir=$(bazel info --config=bench bazel-bin 2>/dev/null)
mkdir -p out/bench
rc=0
for t in "${targets[@]}"; do
  pkg=${t#//}; pkg=${pkg%%:*}; name=${t##*:}
  echo "== $t"
  "$bin_dir/$pkg/$name" --benchmark_out="out/bench/$name.json" --benchmark_out_format=json "$@" || rc=1
done
exit $rc
