#!/usr/bin/env bash
# The committed traces equal a fresh generation by the Python oracle, and every SPEC
# clause is tested (conformance/oracle/generate.py --check).
set -uo pipefail
export PYTHONDONTWRITEBYTECODE=1
if ! /usr/bin/python3 -c "import scapy" 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 has no Scapy (tools/setup.sh installs python3-scapy)"
  exit 0
fi
exec /usr/bin/python3 conformance/oracle/generate.py --check
