#!/usr/bin/env bash
# Installs the Debian packages vnetref needs (third_party/debian-packages.txt).
#
# Run automatically by ./vnetref on first use; safe to run again. For each package
# it says what is wrong (missing, or installed at a version other than the one
# validated) and installs the pinned version when the archive has it, the
# archive's candidate otherwise (with a warning). A stamp under ~/.cache/vnetref
# skips the check until the manifest changes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifest="$root/third_party/debian-packages.txt"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vnetref"
stamp="$cache/setup-$(sha256sum "$manifest" | cut -c1-16).ok"
force=0
[[ "${1:-}" == "--force" ]] && force=1

if [[ $force -eq 0 && -f "$stamp" ]]; then exit 0; fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup: this machine has no dpkg; vnetref expects Debian 12 (bookworm)." >&2
  exit 1
fi

missing=()
mismatched=()
while read -r name version _; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  have=$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' "$name" 2>/dev/null || true)
  if [[ "$have" != ii* ]]; then
    echo "setup: package $name is missing (validated version $version)"
    missing+=("$name=$version")
  elif [[ "${have#*|}" != "$version" ]]; then
    echo "setup: note: package $name is at version ${have#*|}, vnetref was validated with $version"
    mismatched+=("$name")
  fi
done < "$manifest"

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: run as root (or install the packages above with apt-get) and try again." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "setup: apt-get update"
  apt-get update -qq
  for spec in "${missing[@]}"; do
    name=${spec%%=*}
    if ! apt-get install -y -qq --no-install-recommends "$spec" >/dev/null 2>&1; then
      echo "setup: warning: $spec is no longer in the archive; installing its current candidate"
      apt-get install -y -qq --no-install-recommends "$name" >/dev/null || {
        echo "setup: could not install package $name" >&2
        exit 1
      }
    fi
    echo "setup: installed $name $(dpkg-query -W -f='${Version}' "$name")"
  done
fi

mkdir -p "$cache"
touch "$stamp"
echo "setup: $(grep -cv '^\s*\(#\|$\)' "$manifest") Debian packages present (${#missing[@]} installed now, ${#mismatched[@]} at other versions)"
