#!/usr/bin/env bash
# The whole test suite: every test target (unit tests, fuzz-corpus replays, TAP
# interop tests — these need root and skip themselves with a message elsewhere),
# then a summary of test cases from Bazel's JUnit XML: "N passed, N failed".
# Arguments are extra Bazel flags (e.g. --config=asan); VNETREF_TARGETS narrows
# the target pattern (default //...).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
targets=${VNETREF_TARGETS:-//...}
# shellcheck disable=SC2086
bazel test $targets --keep_going "$@"
rc=$?
# Summarise only this run's targets (bazel-testlogs may hold stale results).
# shellcheck disable=SC2086
labels=$(bazel query "tests(set($targets)) except attr(tags, manual, tests(set($targets)))" 2>/dev/null)
/usr/bin/python3 "$root/tools/test_summary.py" "$(bazel info bazel-testlogs "$@" 2>/dev/null)" $labels
src=$?
[[ $rc -ne 0 ]] && exit $rc
exit $src
