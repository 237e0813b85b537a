#!/usr/bin/python3
"""Generates every golden trace from the oracle's scenarios.

  conformance/oracle/generate.py            write conformance/suites/<suite>/<case>.trace
  conformance/oracle/generate.py --check    regenerate into a temporary directory and fail
                                            if the committed traces differ (CI runs this)
  conformance/oracle/generate.py --stats    print cases per suite and clause coverage

Each scenario builds its input packets with Scapy and gets its expected packets and
counters from the Python model of SPEC.md (model_*.py) — never from the C++
reference. The generator also checks the SPEC bookkeeping: every clause named by a
trace exists in SPEC.md and every clause in SPEC.md is tested by at least one trace.
Deterministic: no randomness, no host-derived values; the same inputs give the same
bytes.
"""
import argparse
import filecmp
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
CONF = os.path.dirname(HERE)
SUITES = os.path.join(CONF, "suites")
SPEC = os.path.join(CONF, "SPEC.md")

MINIMUM = {"slot0": 30, "slot1": 40, "slot2": 80, "slot4-12": 15, "slot15": 20, "chain": 20}

import scenarios_slot0  # noqa: E402

MODULES = [scenarios_slot0]
for optional in ("scenarios_slot1", "scenarios_slot2", "scenarios_svc", "scenarios_slot15", "scenarios_chain"):
    try:
        MODULES.append(__import__(optional))
    except ImportError as e:  # a suite not written yet
        if optional not in str(e):
            raise


def all_traces():
    traces = []
    for m in MODULES:
        traces += m.cases()
    names = {}
    for t in traces:
        key = (t.suite(), t.case)
        if key in names:
            raise SystemExit("duplicate case %s/%s" % key)
        names[key] = t
    return traces


def spec_clauses():
    ids = []
    with open(SPEC, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^- \*\*([A-Z]+-\d+)\*\*", line)
            if m:
                ids.append(m.group(1))
    return ids


def check_coverage(traces):
    spec = spec_clauses()
    if len(set(spec)) != len(spec):
        dup = sorted({c for c in spec if spec.count(c) > 1})
        raise SystemExit("SPEC.md defines clauses twice: %s" % ", ".join(dup))
    used = {}
    for t in traces:
        for c in t.clauses:
            used.setdefault(c, []).append(t.suite() + "/" + t.case)
    unknown = sorted(set(used) - set(spec))
    untested = [c for c in spec if c not in used]
    problems = []
    if unknown:
        problems.append("traces name clauses SPEC.md does not define: " + ", ".join(unknown))
    if untested:
        problems.append("SPEC.md clauses no trace tests: " + ", ".join(untested))
    return problems, used, spec


def suite_group(suite):
    if suite.startswith("slot") and suite[4:].isdigit() and 4 <= int(suite[4:]) <= 12:
        return "slot4-12"
    return suite


def write(root, traces):
    written = set()
    for t in traces:
        d = os.path.join(root, t.suite())
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, t.case + ".trace")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(t.text())
        written.add(os.path.relpath(path, root))
    # The suites directory is owned by the generator: stale traces go.
    for dirpath, _, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if name.endswith(".trace") and rel not in written:
                os.remove(os.path.join(dirpath, name))
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="fail if the committed traces differ from a fresh generation")
    ap.add_argument("--stats", action="store_true", help="print suite sizes and clause coverage")
    args = ap.parse_args()
    traces = all_traces()
    problems, used, spec = check_coverage(traces)
    counts = {}
    for t in traces:
        g = suite_group(t.suite())
        counts[g] = counts.get(g, 0) + 1
    for g, n in MINIMUM.items():
        if counts.get(g, 0) < n:
            problems.append("suite %s has %d cases, the minimum is %d" % (g, counts.get(g, 0), n))
    if args.stats:
        for g in MINIMUM:
            print("%-9s %4d cases (minimum %d)" % (g, counts.get(g, 0), MINIMUM[g]))
        print("clauses: %d in SPEC.md, %d tested" % (len(spec), len(set(spec) & set(used))))
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = write(tmp, traces)
            committed = set()
            for dirpath, _, files in os.walk(SUITES):
                for name in files:
                    if name.endswith(".trace"):
                        committed.add(os.path.relpath(os.path.join(dirpath, name), SUITES))
            diff = sorted(fresh ^ committed)
            for rel in sorted(fresh & committed):
                if not filecmp.cmp(os.path.join(tmp, rel), os.path.join(SUITES, rel), shallow=False):
                    diff.append(rel)
            if diff:
                problems.append("committed traces differ from a fresh generation: " + ", ".join(sorted(diff)[:20]) +
                                (" ..." if len(diff) > 20 else ""))
        if not problems:
            print("generate: %d traces reproduce byte for byte; every SPEC clause is tested" % len(traces))
    else:
        write(SUITES, traces)
        print("generate: wrote %d traces under %s" % (len(traces), SUITES))
    for p in problems:
        print("generate: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
