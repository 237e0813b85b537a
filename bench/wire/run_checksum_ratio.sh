#!/bin/bash
# Prints the throughput ratio checksum/memcpy over a 1500-byte buffer, both measured
# in the same wire_bench binary. Acceptance: >= 0.40.
#
#   bench/wire/run_checksum_ratio.sh [path/to/wire_bench]
# Without an argument it builds //bench/wire:wire_bench with --config=bench in the
# output base given by $BAZEL_OUTPUT_BASE (default: bazel's own) and runs it.
set -euo pipefail

bin="${1:-}"
# Under `bazel run --config=bench //bench/wire:run_checksum_ratio` the binary is in
# the runfiles tree; otherwise build it.
runfile="${RUNFILES_DIR:-$0.runfiles}/vnetref/bench/wire/wire_bench"
if [[ -z "$bin" && -x "$runfile" ]]; then
  bin="$runfile"
fi
cd "$(dirname "$0")/../.."
if [[ -z "$bin" ]]; then
  ob=()
  [[ -n "${BAZEL_OUTPUT_BASE:-}" ]] && ob=(--output_base="$BAZEL_OUTPUT_BASE")
  bazel "${ob[@]}" build --config=bench //bench/wire:wire_bench >&2
  bin="$(bazel "${ob[@]}" info --config=bench bazel-bin 2>/dev/null)/bench/wire/wire_bench"
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$bin" --benchmark_filter='^BM_(Checksum|Memcpy|ChecksumScalar64)/1500$' --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$out"

/usr/bin/python3 - "$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
rate = {}
for b in data["benchmarks"]:
    if b.get("aggregate_name") == "median":
        rate[b["run_name"]] = b["bytes_per_second"]
c, m, s = rate["BM_Checksum/1500"], rate["BM_Memcpy/1500"], rate["BM_ChecksumScalar64/1500"]
print("checksum(1500) %.2f GB/s, scalar64(1500) %.2f GB/s, memcpy(1500) %.2f GB/s" % (c / 1e9, s / 1e9, m / 1e9))
ratio = c / m
print("checksum/memcpy ratio at 1500 B: %.2f (scalar64: %.2f) -> %s" % (ratio, s / m, "PASS" if ratio >= 0.40 else "FAIL"))
sys.exit(0 if ratio >= 0.40 else 1)
PY
