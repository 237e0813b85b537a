#!/usr/bin/env bash
# Regenerates every Scapy seed corpus (corpora/gen_*_seeds.py), or with --check
# verifies that the committed corpora equal a fresh generation byte for byte.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rc=0
for gen in "$root"/corpora/gen_*_seeds.py; do
  /usr/bin/python3 "$gen" "$@" || rc=1
done
exit $rc
