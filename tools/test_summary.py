#!/usr/bin/python3
"""Counts test cases in Bazel's per-target test.xml files and prints one line:
`tests: N passed, N failed, N skipped` (the line CI reads), plus failing names."""
import os
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    logs = sys.argv[1] if len(sys.argv) > 1 else "bazel-testlogs"
    labels = sys.argv[2:]
    passed = failed = skipped = 0
    failures = []
    if labels:
        # //pkg/sub:name -> <testlogs>/pkg/sub/name
        dirs = [os.path.join(logs, l.lstrip("/").replace(":", "/")) for l in labels]
    else:
        dirs = [d for d, _, files in os.walk(logs, followlinks=True) if "test.xml" in files]
    for dirpath in dirs:
        if not os.path.exists(os.path.join(dirpath, "test.xml")):
            failed += 1
            failures.append(os.path.relpath(dirpath, logs) + " (no result: did not build or run)")
            continue
        try:
            tree = ET.parse(os.path.join(dirpath, "test.xml"))
        except ET.ParseError:
            failed += 1
            failures.append(os.path.relpath(dirpath, logs) + " (unreadable test.xml)")
            continue
        cases = list(tree.iter("testcase"))
        target = os.path.relpath(dirpath, logs)
        if not cases:
            # Non-GoogleTest targets (e.g. corpus replays) report one result per target.
            suites = list(tree.iter("testsuite"))
            bad = any(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
            if bad:
                failed += 1
                failures.append(target)
            else:
                passed += 1
            continue
        for c in cases:
            if c.find("failure") is not None or c.find("error") is not None:
                failed += 1
                failures.append(f"{target}: {c.get('classname')}.{c.get('name')}")
            elif c.find("skipped") is not None or c.get("result") == "suppressed" or c.get("status") == "notrun":
                skipped += 1
            else:
                passed += 1
    for f in failures[:50]:
        print(f"FAILED {f}")
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
