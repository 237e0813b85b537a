#!/usr/bin/env bash
# Builds every fuzz target for a fuzzing engine and fuzzes each for a bounded time,
# starting from a scratch copy of its committed seed corpus (the repository's corpus
# is never modified). Fails when any target crashes, leaks or times out; crash
# reproducers are kept under $VNETREF_FUZZ_OUT (default /tmp/vnetref-fuzz).
#
#   ./vnetref fuzz [SECONDS] [TARGET-LABEL...]       libFuzzer (default 20 s each)
#   VNETREF_FUZZ_ENGINE=afl ./vnetref fuzz 60 //fuzz/wire:ipv4_fuzzer
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
secs=${1:-20}
shift || true
engine=${VNETREF_FUZZ_ENGINE:-libfuzzer}
out=${VNETREF_FUZZ_OUT:-/tmp/vnetref-fuzz}
mkdir -p "$out"

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  # Every regression test made by vnetref_fuzz_test has a *_target library beside it.
  mapfile -t targets < <(bazel query 'attr(name, ".*_fuzzer$", kind("cc_test", //...))' 2>/dev/null)
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

suffix=_libfuzzer
config=fuzz
[[ "$engine" == afl ]] && suffix=_afl && config=afl
bins=()
for t in "${targets[@]}"; do bins+=("$t$suffix"); done
bazel build --config="$config" "${bins[@]}" || exit 1
bin_dir=$(bazel info --config="$config" bazel-bin 2>/dev/null)

passed=0
failed=0
summary=()
for t in "${targets[@]}"; do
  pkg=${t#//}
  pkg=${pkg%%:*}
  name=${t##*:}
  bin="$bin_dir/$pkg/$name$suffix"
  work="$out/$pkg/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -r "$root/$pkg/${name}_corpus/." "$work/corpus/"
  dict=()
  for d in "$root/$pkg/$name.dict" "$root/$pkg/${name%_fuzzer}.dict"; do
    [[ -f "$d" ]] && dict=("-dict=$d") && break
  done
  if [[ "$engine" == afl ]]; then
    AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
      timeout $((secs + 30)) afl-fuzz -i "$work/corpus" -o "$work/afl" -V "$secs" \
      ${dict:+-x "${dict[0]#-dict=}"} -- "$bin" >"$work/log" 2>&1
    rc=$?
    crashes=$(find "$work/afl" -path '*crashes/id*' 2>/dev/null | wc -l)
    rate=$(awk -F: '/execs_per_sec/ {gsub(/ /,"",$2); print $2}' "$work"/afl/*/fuzzer_stats 2>/dev/null | head -1)
    [[ $crashes -gt 0 ]] && rc=1
  else
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" >"$work/log" 2>&1
    rc=$?
    rate=$(awk '/stat::average_exec_per_sec/ {print $NF}' "$work/log")
  fi
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1))
    summary+=("PASS  $t  ${rate:-?} exec/s")
  else
    failed=$((failed + 1))
    summary+=("FAIL  $t  (log: $work/log, artifacts: $work/artifacts)")
    tail -30 "$work/log"
  fi
done
printf '%s\n' "${summary[@]}"
echo "fuzz ($engine, ${secs}s each): $passed passed, $failed failed"
[[ $failed -eq 0 ]]
