#!/usr/bin/env bash
# PROTOCOL.md end to end: the reference served by protocol_bridge over stdin/stdout
# must get exactly the verdict the in-process reference gets, case by case.
set -uo pipefail
out=${TEST_TMPDIR:-$(mktemp -d)}
verify=conformance/verify/verify
bridge=$PWD/conformance/verify/protocol_bridge
"$verify" --suites conformance/suites --impl reference --quiet --results "$out/direct.tsv" \
  --html "$out/direct.html" >/dev/null 2>&1
"$verify" --suites conformance/suites --impl "cmd:$bridge --impl reference" --quiet --results "$out/bridged.tsv" \
  --html "$out/bridged.html" >"$out/bridged.log" 2>&1
n=$(wc -l <"$out/direct.tsv")
if ! diff "$out/direct.tsv" "$out/bridged.tsv"; then
  tail -n 60 "$out/bridged.log"
  echo "FAIL: verdicts differ between in-process and protocol runs"
  exit 1
fi
[[ $n -gt 200 ]] || { echo "FAIL: only $n cases ran"; exit 1; }
echo "PASS: $n cases, identical verdicts in-process and over the protocol"
