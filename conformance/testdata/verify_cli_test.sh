#!/usr/bin/env bash
# The verify command end to end with a vendor library that segfaults on one packet
# and hangs on another: those cases fail (crash, timeout) with the step named, the
# others still run and pass, and the reports are written. Exit status 1.
set -uo pipefail
verify=conformance/verify/verify
out=${TEST_TMPDIR:-$(mktemp -d)}
"$verify" --impl conformance/testdata/libsegv_filter.so --suites conformance/testdata/suites --timeout-ms 2000 \
  --junit "$out/junit.xml" --html "$out/report.html" >"$out/log" 2>&1
rc=$?
cat "$out/log"
fail() { echo "FAIL: $*"; exit 1; }
[[ $rc -eq 1 ]] || fail "exit status $rc, expected 1"
grep -q "=== crash: slot0/toy.segfault" "$out/log" || fail "no crash report for toy.segfault"
grep -qE "SIGSEGV|SIGABRT" "$out/log" || fail "the signal is not named (SIGABRT under ASan)"
grep -q "during step 3 (line 8, inject egress boom)" "$out/log" || fail "the crashing step is not named"
grep -q "=== timeout: slot0/toy.hang" "$out/log" || fail "no timeout report for toy.hang"
grep -q "verify: 2 passed, 2 failed, 0 skipped" "$out/log" || fail "the other cases did not all run and pass"
grep -q '<testcase name="toy.zz_after_crash"' "$out/junit.xml" || fail "JUnit lacks the case after the crash"
grep -q '<error type="crash"' "$out/junit.xml" || fail "JUnit lacks the crash"
grep -q "toy.segfault" "$out/report.html" || fail "HTML report lacks the crash"
# The same suites against the well-behaved build all pass.
"$verify" --impl conformance/testdata/libtoy_filter.so --suites conformance/testdata/suites \
  --html "$out/ok.html" >"$out/ok.log" 2>&1 || { cat "$out/ok.log"; fail "the toy filter does not pass"; }
echo "PASS"
