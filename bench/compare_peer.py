#!/usr/bin/env python3
"""Do xjdedup and the DuckDB peer report the same problem records?

usage: compare_peer.py XJ_OUTDIR PEER_OUTDIR

Reads problems.csv of both output directories (rules §6 columns) and compares,
as sets, with every record identified by (source, line):

  groups    (problem, frozenset of member records) for id_duplicate and
            attr_duplicate; group ids are not compared (xjdedup hashes its
            keys with XXH3, the peer with md5), the memberships are;
  invalid   (record, reason) for id_invalid;
  decisions (record, problem) -> group_size, scope, arbiter, keeper, hint,
            other_schools, and the record's own input columns, for every
            (record, problem) pair present on both sides.

Prints the counts of both sides and the first differences of each kind;
exits 1 on any difference (and 2 when a file is missing or malformed). There
is no tolerance: on generated data the peer's approximations (README.md of
the peer: NFKC done by hand) do not change any key, so any difference is a
real one and is reported, never passed over.
"""
import csv
import os
import sys
from collections import defaultdict

SHOW = 5
GROUP_PROBLEMS = ("id_duplicate", "attr_duplicate")
DECISION_COLUMNS = ("group_size", "scope", "arbiter", "keeper", "hint", "other_schools")


def load(outdir):
    path = os.path.join(outdir, "problems.csv")
    if not os.path.isfile(path):
        sys.exit("compare_peer.py: %s: no such file" % path)
    groups = defaultdict(set)           # (problem, group_id) -> members
    invalid = set()                     # (record, reason)
    rows = {}                           # (record, problem) -> compared values
    duplicates = []                     # (record, problem) seen twice
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        need = ["problem", "reason", "group_id", "source", "line", *DECISION_COLUMNS]
        missing = [c for c in need if c not in header]
        if missing:
            sys.exit("compare_peer.py: %s: no column %s" % (path, ", ".join(missing)))
        at = {c: header.index(c) for c in need}
        first_input = header.index("line") + 1  # our columns end with line (rules §6)
        inputs = header[first_input:]
        for r in reader:
            record = (r[at["source"]], int(r[at["line"]]))
            problem = r[at["problem"]]
            if problem in GROUP_PROBLEMS:
                groups[(problem, r[at["group_id"]])].add(record)
            elif problem == "id_invalid":
                invalid.add((record, r[at["reason"]]))
            else:
                sys.exit("compare_peer.py: %s: unknown problem %r" % (path, problem))
            values = tuple(r[at[c]] for c in DECISION_COLUMNS) + tuple(r[first_input:])
            if (record, problem) in rows:
                duplicates.append((record, problem))
            rows[(record, problem)] = values
    group_set = {(p, frozenset(m)) for (p, _), m in groups.items()}
    return {"groups": group_set, "n_group_ids": len(groups), "invalid": invalid, "rows": rows,
            "duplicates": duplicates, "columns": list(DECISION_COLUMNS) + inputs, "path": path}


def show_group(g):
    problem, members = g
    return "%s %s" % (problem, " ".join("%s:%d" % m for m in sorted(members)))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    xj, peer = load(sys.argv[1]), load(sys.argv[2])
    failures = 0

    def report(kind, a, b, fmt):
        nonlocal failures
        only_x, only_p = a - b, b - a
        print("%-10s xjdedup %8d   peer %8d   in both %8d" % (kind, len(a), len(b), len(a & b)))
        for name, items in (("xjdedup", only_x), ("peer", only_p)):
            if items:
                failures += 1
                print("  %d only in %s, e.g.:" % (len(items), name))
                for x in sorted(items, key=fmt)[:SHOW]:
                    print("    " + fmt(x))

    for side in (xj, peer):
        if side["duplicates"]:
            failures += 1
            print("%s: %d (record, problem) pairs twice, e.g. %s"
                  % (side["path"], len(side["duplicates"]), side["duplicates"][:SHOW]))
        # one group id per member set, one member set per group id
        if side["n_group_ids"] != len(side["groups"]):
            failures += 1
            print("%s: %d group ids but %d distinct member sets" % (side["path"], side["n_group_ids"], len(side["groups"])))

    for problem in GROUP_PROBLEMS:
        report(problem, {g for g in xj["groups"] if g[0] == problem},
               {g for g in peer["groups"] if g[0] == problem}, show_group)
    report("id_invalid", xj["invalid"], peer["invalid"], lambda x: "%s:%d %s" % (x[0][0], x[0][1], x[1]))
    for reason in sorted({r for _, r in xj["invalid"] | peer["invalid"]}):
        a = sum(1 for _, r in xj["invalid"] if r == reason)
        b = sum(1 for _, r in peer["invalid"] if r == reason)
        print("  %-20s xjdedup %8d   peer %8d%s" % (reason, a, b, "" if a == b else "   DIFFERENT"))

    if xj["columns"] != peer["columns"]:
        failures += 1
        print("columns differ:\n  xjdedup %s\n  peer    %s" % (xj["columns"], peer["columns"]))
    else:
        both = xj["rows"].keys() & peer["rows"].keys()
        bad = defaultdict(list)
        for key in sorted(both):
            for col, a, b in zip(xj["columns"], xj["rows"][key], peer["rows"][key]):
                if a != b:
                    bad[col].append((key, a, b))
        print("decisions  %d (record, problem) pairs on both sides, %d columns each: %s"
              % (len(both), len(xj["columns"]), "all equal" if not bad else "DIFFERENT"))
        for col, items in bad.items():
            failures += 1
            print("  %s differs on %d rows, e.g.:" % (col, len(items)))
            for (record, problem), a, b in items[:SHOW]:
                print("    %s:%d %s: xjdedup %r, peer %r" % (record[0], record[1], problem, a, b))

    print("EQUAL" if failures == 0 else "DIFFERENT (%d kinds of difference)" % failures)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
