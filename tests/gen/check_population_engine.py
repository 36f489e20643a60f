#!/usr/bin/env python3
"""The engine on generated population extracts (docs/population.md): a
register and an extract from `xjdedup gen --population` (whose truth
check_population.py checks on its own), scanned with the extract and with
its population index, from 1 and 2 threads.

Asserts that
- the not_found / name_mismatch rows of problems.csv are exactly the
  truth's expected_rows (by source, line and reason), and no record the
  truth lists as a normalized match is flagged;
- assignments.csv holds exactly the L records the truth gives a basis
  (for the scope scanned), with that basis and new_student_no;
- the index gives the same bytes as the extract (summary.json aside from
  population.files), -t 1 the same as -t 2;
- the Python reference (tests/oracle/xjref.py) writes the same
  problems.csv, assignments.csv and schools/ as the engine.

usage: check_population_engine.py XJDEDUP WORKDIR [--rows N] [--seed S]
       [--messy] [--zst] [--attr-scope mixed] [--no-oracle]
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
XJREF = os.path.join(os.path.dirname(HERE), "oracle", "xjref.py")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("command failed:", " ".join(cmd), "\n", r.stderr, file=sys.stderr)
        sys.exit(2)
    return r


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def tree(d, skip=("MANIFEST", "summary.json", "report.html")):
    out = {}
    for base, _, names in os.walk(d):
        for n in names:
            rel = os.path.relpath(os.path.join(base, n), d)
            if rel not in skip:
                with open(os.path.join(base, n), "rb") as f:
                    out[rel] = f.read()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("xjdedup")
    ap.add_argument("work")
    ap.add_argument("--rows", default="20000")
    ap.add_argument("--seed", default="31")
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--zst", action="store_true")
    ap.add_argument("--attr-scope", default="noid")
    ap.add_argument("--no-oracle", action="store_true")
    a = ap.parse_args()
    xj, work = a.xjdedup, a.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    reg = os.path.join(work, "reg.csv" + (".zst" if a.zst else ""))
    ext = os.path.join(work, "extract.csv" + (".zst" if a.zst else ""))
    gen = [xj, "gen", "--rows", a.rows, "--seed", a.seed, "--run-date", "2026-11-28", "-o", reg, "--population", ext, "-q"]
    if a.messy:
        gen += ["--messy", "--encoding", "gbk"]
    run(gen)
    with open(ext + ".truth.json", encoding="utf-8") as f:
        truth = json.load(f)
    common = ["--run-date", "2026-11-28", "--attr-scope", a.attr_scope, "-q"]
    if a.messy:
        common += ["--encoding", "gbk"]
    outs = {}
    for t in ("1", "2"):
        outs[t] = os.path.join(work, "out" + t)
        run([xj, "scan", reg, "-o", outs[t], "-t", t, "--population", ext] + common)
    check(tree(outs["1"]) == tree(outs["2"]), "-t 1 and -t 2 differ")
    idx = os.path.join(work, "pop.xjp")
    run([xj, "index", "build", "--population", ext, "-o", idx, "-q"])
    via = os.path.join(work, "via_index")
    run([xj, "scan", reg, "-o", via, "-t", "2", "--population", idx] + common)
    check(tree(via) == tree(outs["2"]), "the index's output differs from the extract's")
    with open(os.path.join(via, "summary.json"), encoding="utf-8") as f:
        s_idx = json.load(f)
    with open(os.path.join(outs["2"], "summary.json"), encoding="utf-8") as f:
        s_ext = json.load(f)
    for s in (s_idx, s_ext):
        s.pop("timing")
        s["population"].pop("files")
    check(s_idx == s_ext, "summary.json differs between the index and the extract")

    out = outs["2"]
    rows = read_csv(os.path.join(out, "problems.csv"))
    got = {(r["source"], int(r["line"]), r["reason"]) for r in rows
           if r["problem"] == "id_invalid" and r["reason"] in ("not_found", "name_mismatch")}
    want = {(e["source"], int(e["line"]), e["reason"]) for e in truth["expected_rows"]}
    check(got == want, f"not_found/name_mismatch rows: {len(got - want)} unexpected, {len(want - got)} missing "
                       f"(e.g. {sorted(got - want)[:3]} / {sorted(want - got)[:3]})")
    flagged = {(r["source"], int(r["line"])) for r in rows if r["reason"] in ("not_found", "name_mismatch")}
    matches = {(m["source"], int(m["line"])) for m in truth["normalized_matches"]}
    check(not (flagged & matches), f"{len(flagged & matches)} normalized matches flagged")
    check(len(truth["normalized_matches"]) > 0 and len(truth["expected_rows"]) > 0, "the truth plants nothing")
    check(s_ext["population"]["compared"] == truth["compared"],
          f"compared {s_ext['population']['compared']}, truth {truth['compared']}")
    check(s_ext["population"]["ids_with_several_names"] == truth["extract"]["ids_with_several_names"],
          f"ids_with_several_names {s_ext['population']['ids_with_several_names']}, "
          f"truth {truth['extract']['ids_with_several_names']}")

    key = "basis" if a.attr_scope == "noid" else "basis_mixed"
    want_assign = {(e["source"], int(e["line"])): (e[key], e["new_student_no"] if e[key] == "id_verified" else "")
                   for e in truth["assignments"] if e.get(key) not in (None, "", "none")}
    got_assign = {(r["source"], int(r["line"])): (r["basis"], r["new_student_no"])
                  for r in read_csv(os.path.join(out, "assignments.csv"))}
    bad = {k for k in set(want_assign) | set(got_assign) if want_assign.get(k) != got_assign.get(k)}
    check(not bad, f"assignments.csv: {len(bad)} lines differ from the truth, e.g. "
                   f"{[(k, got_assign.get(k), want_assign.get(k)) for k in sorted(bad)[:3]]}")
    check(len(want_assign) > 0, "the truth assigns nothing")

    if not a.no_oracle:
        ref = os.path.join(work, "ref")
        cmd = [sys.executable, XJREF, "scan", reg, "-o", ref, "--population", ext, "--run-date", "2026-11-28",
               "--attr-scope", a.attr_scope]
        if a.messy:
            cmd += ["--encoding", "gbk"]
        run(cmd)
        mine, theirs = tree(out), tree(ref)
        for name in ("problems.csv", "assignments.csv", "rejects.csv"):
            check(mine.get(name) == theirs.get(name), f"{name} differs from the reference's")
        schools = {k for k in theirs if k.startswith("schools/") and k.endswith(".csv")}
        check(all(mine.get(k) == theirs[k] for k in schools) and schools, "schools/ differs from the reference's")
    print(f"check_population_engine: {len(got)} population rows, {len(got_assign)} assignments, "
          f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
