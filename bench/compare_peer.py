#!/usr/bin/env python3
"""Do xjdedup and the DuckDB peer find the same problems on one input file?

usage: compare_peer.py XJ_OUTDIR PEER_OUTDIR

Compares, as sets:
  - groups: (problem, the set of member lines) for id_duplicate and
    attr_duplicate (group ids differ: xjdedup hashes its keys, the peer
    prints them);
  - invalid IDs: (line, reason).
Prints both sides' counts and the first differences; exit 1 on any.
"""
import csv
import sys
from collections import defaultdict


def groups_and_invalid(path, key_column):
    groups = defaultdict(set)
    invalid = set()
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            line = int(r["line"])
            if r["problem"] == "id_invalid":
                invalid.add((line, r["reason"]))
            else:
                groups[(r["problem"], r[key_column])].add(line)
    return {(p, frozenset(lines)) for (p, _), lines in groups.items()}, invalid


def show(name, items, limit=5):
    for x in sorted(items, key=str)[:limit]:
        if isinstance(x[1], frozenset):
            x = (x[0], sorted(x[1]))
        print("  only in %s: %s" % (name, x))


def main():
    xj_dir, peer_dir = sys.argv[1], sys.argv[2]
    xg, xi = groups_and_invalid(xj_dir + "/problems.csv", "group_id")
    pg, pi = groups_and_invalid(peer_dir + "/problems.csv", "group_key")
    print("groups:      xjdedup %d, duckdb %d, in both %d" % (len(xg), len(pg), len(xg & pg)))
    print("invalid IDs: xjdedup %d, duckdb %d, in both %d" % (len(xi), len(pi), len(xi & pi)))
    same = xg == pg and xi == pi
    if not same:
        show("xjdedup", xg - pg)
        show("duckdb", pg - xg)
        show("xjdedup", xi - pi)
        show("duckdb", pi - xi)
    print("equal" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
