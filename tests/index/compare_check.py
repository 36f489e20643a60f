#!/usr/bin/env python3
"""Compares the output of `xjdedup check BATCH --against index(REGISTER)`
with what it must be.

usage: compare_check.py oracle CHECK_OUTDIR ORACLE_OUTDIR
       compare_check.py scan CHECK_OUTDIR SCAN_OUTDIR BATCH_NAME...

oracle: the reference implementation's check (tests/oracle/xjref.py check,
which reads the register's CSV files instead of the index) wrote
ORACLE_OUTDIR: problems.csv, rejects.csv, schools/**.csv,
already_registered.csv and summary.json (without "timing") must be the same
bytes; report.html, schools/README.txt and MANIFEST have no counterpart.

scan: SCAN_OUTDIR is `xjdedup scan REGISTER BATCH`. That is what check
reports when no batch record is in the register, and also when every one
is (the batch checked again after `index update` put it there: each batch
record then takes its register copy's place). Every problems.csv row of the
check, without its register_matches column, must be a row of the scan whose
source is a batch file, and the other way round (same bytes, same order);
register_matches must list exactly the register members of the row's group
in the scan (student_no@school_code, in register order).

Exit 1 with the first differences otherwise.
"""
import csv
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import diff_oracle  # noqa: E402  (the tree comparison the scan's oracle tests use)


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def against_oracle(check_dir, oracle_dir):
    fails = diff_oracle.compare(oracle_dir, check_dir)
    for f in fails:
        print(f)
    with open(os.path.join(check_dir, "summary.json"), encoding="utf-8") as f:
        c = json.load(f)["check"]
    _, crows = read(os.path.join(check_dir, "problems.csv"))
    print("compare_check: %d batch rows, %d already registered, %d clean, %s" %
          (len(crows), c["already_registered"], c["clean_rows"], "equal to the oracle" if not fails else "DIFFERENT"))
    return 1 if fails else 0


def against_scan(check_dir, scan_dir, batch):
    ch, crows = read(check_dir + "/problems.csv")
    sh, srows = read(scan_dir + "/problems.csv")
    m = ch.index("register_matches")
    src = sh.index("source")
    if ch[:m] + ch[m + 1:] != sh:
        print("headers differ:\n  check %s\n  scan  %s" % (ch, sh))
        return 1
    student = sh.index("学籍号") if "学籍号" in sh else sh.index("student_no")
    school = sh.index("学校标识码") if "学校标识码" in sh else sh.index("school_code")
    gid, prob, line = sh.index("group_id"), sh.index("problem"), sh.index("line")
    # register members per (problem, group) in the scan, in register order
    members = {}
    for r in srows:
        if r[src] not in batch and r[prob] != "id_invalid":
            members.setdefault((r[prob], r[gid]), []).append(r)
    reason_of = {}
    for r in srows:
        if r[src] not in batch and r[prob] == "id_invalid":
            reason_of[(r[src], r[line])] = r[sh.index("reason")]
    with open(scan_dir + "/summary.json", encoding="utf-8") as f:
        order = {x["name"]: i for i, x in enumerate(json.load(f)["inputs"])}
    want = [r for r in srows if r[src] in batch]
    got = [r[:m] + r[m + 1:] for r in crows]
    bad = 0
    if got != want:
        ws, gs = set(map(tuple, want)), set(map(tuple, got))
        print("rows differ: check %d, scan (batch rows) %d; only in check %d, only in scan %d" %
              (len(got), len(want), len(gs - ws), len(ws - gs)))
        for r in sorted(gs - ws)[:5]:
            print("  only in check:", ",".join(r)[:300])
        for r in sorted(ws - gs)[:5]:
            print("  only in scan: ", ",".join(r)[:300])
        if gs == ws:
            print("  (same rows, different order)")
        bad = 1
    for r in crows:
        if r[prob] == "id_invalid":
            expect = ""
        else:
            regs = members.get((r[prob], r[gid]), [])
            regs.sort(key=lambda x: (order[x[src]], int(x[line])))
            parts = []
            for x in regs:
                p = "%s@%s" % (x[student], x[school])
                if (x[src], x[line]) in reason_of:
                    p += "(%s)" % reason_of[(x[src], x[line])]
                parts.append(p)
            expect = ";".join(parts)
        if r[m] != expect:
            if bad < 10:
                print("register_matches of %s line %s (%s): check %r, scan says %r" %
                      (r[src], r[line], r[prob], r[m], expect))
            bad += 1
    n_matched = sum(1 for r in crows if r[m])
    print("compare_check: %d batch rows, %d with register matches, %s" %
          (len(crows), n_matched, "equal to the scan" if not bad else "DIFFERENT"))
    return 1 if bad else 0


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("oracle", "scan"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "oracle":
        return against_oracle(sys.argv[2], sys.argv[3])
    return against_scan(sys.argv[2], sys.argv[3], set(sys.argv[4:]))


if __name__ == "__main__":
    sys.exit(main())
