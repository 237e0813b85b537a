#!/usr/bin/env bash
# The main job. Until the conformance verifier lands (conformance/README.md), this
# builds frames of every protocol, carries them through the packet core and the wire
# layer, and prints the summary (plus a pcapng of the frames under out/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mkdir -p out
bazel build -c opt //tools/demo:wire_demo
"$(bazel info -c opt bazel-bin)/tools/demo/wire_demo" --pcap "$root/out/vnetref-demo.pcapng" "$@"
