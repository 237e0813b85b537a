#!/usr/bin/env bash
# Runs the conformance suites against every shipped mutant and reports which cases
# kill each one, and the kill rate. A mutant counts as killed only by cases the
# reference passes (a case the reference itself fails proves nothing about a mutant).
#
#   run_mutants.sh VERIFY_BINARY SUITES_DIR MUTANTS_DIR MUTANTS_TSV
# Exit status 0 only when every mutant is killed.
set -uo pipefail
verify=$1 suites=$2 dir=$3 list=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$verify" --suites "$suites" --impl reference --quiet --results "$work/reference.tsv" \
  --html "$work/reference.html" >"$work/reference.log" 2>&1
awk -F'\t' '$1 == "pass" {print $2 "/" $3}' "$work/reference.tsv" | sort >"$work/reference.pass"

total=0 killed=0
printf '\n%-38s %-6s %-7s %6s  %s\n' "mutant" "slot" "killed" "cases" "first killing case"
while IFS=$'\t' read -r name slot what; do
  [[ -z "$name" ]] && continue
  total=$((total + 1))
  so="$dir/lib$name.so"
  slots=(--slot "$slot")
  if [[ "$slot" == 4 ]]; then
    slots=()
    for s in 4 5 6 7 8 9 10 11 12; do slots+=(--slot "$s"); done
  fi
  "$verify" --suites "$suites" --impl "$so" "${slots[@]}" --quiet --results "$work/$name.tsv" \
    --html "$work/$name.html" >"$work/$name.log" 2>&1
  awk -F'\t' '$1 != "pass" && $1 != "skip" {print $2 "/" $3}' "$work/$name.tsv" | sort >"$work/$name.fail"
  comm -12 "$work/$name.fail" "$work/reference.pass" >"$work/$name.kills"
  n=$(wc -l <"$work/$name.kills")
  first=$(head -n 1 "$work/$name.kills")
  if [[ $n -gt 0 ]]; then
    killed=$((killed + 1))
    printf '%-38s %-6s %-7s %6d  %s\n' "$name" "$slot" "yes" "$n" "$first"
  else
    printf '%-38s %-6s %-7s %6d  %s\n' "$name" "$slot" "NO" 0 "(survived: $what)"
    tail -n 5 "$work/$name.log" | sed 's/^/    /'
  fi
done <"$list"
rate=$(awk -v k="$killed" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * k / t : 0 }')
echo "mutants: $killed of $total killed ($rate %)"
[[ $total -gt 0 && $killed -eq $total ]]
