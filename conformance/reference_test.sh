#!/usr/bin/env bash
# The reference implementation must pass every golden trace (SPEC.md). A failure
# here means the reference and the specification disagree: the report names the
# case, the first failing step and the field-level difference.
set -uo pipefail
exec conformance/verify/verify --suites conformance/suites --impl reference --quiet \
  --html "${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/report.html"
