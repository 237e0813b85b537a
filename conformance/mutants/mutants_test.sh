#!/usr/bin/env bash
# Bazel test: every shipped mutant must fail at least one case the reference passes.
set -uo pipefail
here=conformance/mutants
exec "$here/run_mutants.sh" conformance/verify/verify conformance/suites "$here" "$here/mutants.tsv"
