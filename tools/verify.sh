#!/usr/bin/env bash
# The main job: verify an implementation of IOChain slot filters against the
# conformance suites (conformance/SPEC.md, conformance/suites/) and print the
# summary and the path of the HTML report. Default: the built-in reference.
#
#   ./vnetref verify                               every suite against the reference
#   ./vnetref verify --impl path/to/libvendor.so   a filter built against include/vnetref/filter_abi.h
#   ./vnetref verify --impl 'cmd:python3 my.py'    a program speaking conformance/PROTOCOL.md
#   ./vnetref verify --slot 2 --case 'dfw.tcp_*'   filters (also --suite slot2|chain)
#   ./vnetref verify --junit out/junit.xml         JUnit XML for CI (--html moves the report)
#   ./vnetref verify --mutants                     also run every shipped mutant and report the kill rate
#
# Relative paths are relative to the repository root. Exit status 0 only when every
# case that ran passed (and, with --mutants, every mutant was killed).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

mutants=0
args=()
for a in "$@"; do
  if [[ "$a" == "--mutants" ]]; then mutants=1; else args+=("$a"); fi
done

# VNETREF_BAZEL_STARTUP: extra Bazel startup options (e.g. --output_base=...).
bz() { bazel ${VNETREF_BAZEL_STARTUP:-} "$@"; }
mkdir -p "$root/out/conformance"
targets=(//conformance:verify //conformance/verify:protocol_bridge)
[[ $mutants -eq 1 ]] && targets+=(//conformance/mutants:all_mutants //conformance/mutants:mutant_list)
echo "verify: building the verifier (bazel build; log in out/conformance/build.log)"
if ! bz build "${targets[@]}" >"$root/out/conformance/build.log" 2>&1; then
  tail -n 30 "$root/out/conformance/build.log" >&2
  echo "verify: build failed" >&2
  exit 2
fi
bin=$(bz info bazel-bin 2>/dev/null)
"$bin/conformance/verify/verify" --suites "$root/conformance/suites" \
  --html "$root/out/conformance/report.html" --junit "$root/out/conformance/junit.xml" \
  ${args[@]+"${args[@]}"}
rc=$?
if [[ $mutants -eq 1 ]]; then
  echo
  echo "verify: running the suites against every shipped mutant (conformance/mutants)"
  "$root/conformance/mutants/run_mutants.sh" "$bin/conformance/verify/verify" "$root/conformance/suites" \
    "$bin/conformance/mutants" "$bin/conformance/mutants/mutants.tsv" || rc=1
fi
exit $rc
