#!/usr/bin/env python3
"""compare_months — a scanner's monthly cycle against the truth of
`xjdedup gen --months` (docs/generator.md, "Month sequences").

usage:
  compare_months.py SEQDIR WORKDIR --scan CMD [--env K=V] [--encoding gbk]
      run the scanner month after month over SEQDIR (month 1 alone, then
      month k with --previous <month k-1's output> --decisions decisionsk.csv)
      into WORKDIR/out1 .. outM, and compare each output with truth.json;
      CMD is the scanner's command line before its arguments, as one string
      ("build/tools/xjdedup scan", "python3 tests/oracle/xjref.py scan").
  compare_months.py SEQDIR WORKDIR --compare
      compare existing outputs WORKDIR/out1 .. outM.

What must hold, per month (see the truth's description in docs/generator.md):
  - resolved.csv, decisions.csv and decisions_unmatched.csv equal the truth's
    lists, line for line (the first two must exist; the third, and
    attested.csv, may be absent when they would be empty);
  - attested.csv holds exactly the truth rows with file "attested";
  - every truth row with file "problems" is in problems.csv with its reason,
    status (unless the truth's is null), first_seen, group_size, scope,
    arbiter and keeper;
  - every other problems.csv row (the unchanged population) is `persisting`
    with month 1's date as first_seen from month 2 on, `new` in month 1.
"""
import argparse
import collections
import csv
import json
import os
import shlex
import shutil
import subprocess
import sys

failures = []
ALWAYS = ("resolved.csv", "decisions.csv")   # docs/monthly.md §3, §4: written on every run


def fail(msg):
    failures.append(msg)
    if len(failures) <= 40:
        print("FAIL:", msg)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def run(cmd, seq, work, truth, env, encoding):
    for mo in truth["month_list"]:
        k = mo["month"]
        out = os.path.join(work, "out%d" % k)
        if os.path.exists(out):
            shutil.rmtree(out)
        args = [os.path.join(seq, mo["input"]), "-o", out, "--run-date", mo["run_date"], "-q",
                "--encoding", encoding]
        if k > 1:
            args += ["--previous", os.path.join(work, "out%d" % (k - 1)),
                     "--decisions", os.path.join(seq, mo["decisions_file"])]
        r = subprocess.run(shlex.split(cmd) + args, env=env)
        if r.returncode != 0:
            fail("month %d: %s exited %d" % (k, cmd, r.returncode))
            return False
    return True


def keyed(header, rows, sno_col, school_col):
    ix = {h: i for i, h in enumerate(header)}
    out = []
    for r in rows:
        d = {h: r[i] for h, i in ix.items() if i < len(r)}
        d["_sno"] = d.get(sno_col, "").strip()
        d["_school"] = d.get(school_col, "").strip()
        out.append(d)
    return out


def compare_month(mo, out, first_date):
    k = mo["month"]
    for name, want in (("resolved.csv", [[r["problem"], r["group_id"], r["student_no"], r["school_code"],
                                         r["first_seen"], r["resolution"]] for r in mo["resolved"]]),
                       ("decisions.csv", [[d["group_id"], d["student_no"], d["school_code"], d["decision"]]
                                          for d in mo["decisions"]]),
                       ("decisions_unmatched.csv", [[d["group_id"], d["student_no"], d["school_code"],
                                                     d["decision"], d["file"], str(d["line"])]
                                                    for d in mo["decisions_unmatched"]])):
        path = os.path.join(out, name)
        if not os.path.exists(path):
            # monthly.md writes resolved.csv and decisions.csv on every run;
            # of the other two it says nothing: absent counts as empty
            if name in ALWAYS or want:
                fail("month %d: no %s" % (k, name))
            continue
        got = read_csv(path)[1:]
        if got != want:
            extra = [r for r in got if r not in want][:2]
            lack = [r for r in want if r not in got][:2]
            fail("month %d: %s has %d lines, truth %d; not in truth %s; missing %s" %
                 (k, name, len(got), len(want), extra, lack))
    sno_col, school_col = "学籍号", "学校标识码"
    tables = {}
    for f in ("problems", "attested"):
        path = os.path.join(out, f + ".csv")
        if not os.path.exists(path) and (f == "problems" or any(r["file"] == f for r in mo["rows"])):
            fail("month %d: no %s.csv" % (k, f))
            return
        t = read_csv(path) if os.path.exists(path) else [[]]
        tables[f] = keyed(t[0], t[1:], sno_col, school_col)
    ident = lambda d: (d["problem"], d["group_id"], d["_sno"], d["_school"])  # noqa: E731
    truth_ids = set()
    for f in ("problems", "attested"):
        rows = collections.defaultdict(list)
        for d in tables[f]:
            rows[ident(d)].append(d)
        want = [r for r in mo["rows"] if r["file"] == f]
        for r in want:
            i = (r["problem"], r["group_id"], r["student_no"], r["school_code"])
            truth_ids.add(i)
            cands = rows.get(i, [])
            ok = [d for d in cands
                  if d["reason"] == r["reason"] and d.get("first_seen") == r["first_seen"]
                  and (r["status"] is None or d.get("status") == r["status"])
                  and d["group_size"] == str(r.get("group_size", "")) and d["scope"] == r.get("scope", "")
                  and d["arbiter"] == r.get("arbiter", "")
                  and d["keeper"] == ("" if "keeper" not in r else str(r["keeper"]))]
            if not ok:
                have = [{c: d.get(c) for c in ("reason", "status", "first_seen", "group_size", "scope", "arbiter",
                                               "keeper")} for d in cands]
                fail("month %d %s.csv: truth row %s %s %s@%s (%s, %s, status %s, first_seen %s, keeper %s, "
                     "arbiter %s): found %s" % (k, f, r["case"], r["problem"], r["student_no"], r["school_code"],
                                                r["group_id"], r["reason"], r["status"], r["first_seen"],
                                                r.get("keeper"), r.get("arbiter"), have or "nothing"))
            else:
                cands.remove(ok[0])
        if f == "attested":
            left = sum(len(v) for v in rows.values())
            if left:
                fail("month %d: attested.csv has %d rows the truth does not list" % (k, left))
    for d in tables["problems"]:
        if ident(d) in truth_ids:
            continue
        want_status, want_first = ("new", mo["run_date"]) if k == 1 else ("persisting", first_date)
        if d.get("status") != want_status or d.get("first_seen") != want_first:
            fail("month %d: untouched row %s %s@%s has status %s first_seen %s, expected %s %s" %
                 (k, d["problem"], d["_sno"], d["_school"], d.get("status"), d.get("first_seen"), want_status,
                  want_first))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("seqdir")
    p.add_argument("workdir")
    p.add_argument("--scan")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--compare", action="store_true")
    p.add_argument("--encoding", default="utf-8")
    a = p.parse_args()
    with open(os.path.join(a.seqdir, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    os.makedirs(a.workdir, exist_ok=True)
    env = dict(os.environ)
    for kv in a.env:
        k, v = kv.split("=", 1)
        env[k] = v
    if not a.compare and (not a.scan or not run(a.scan, a.seqdir, a.workdir, truth, env, a.encoding)):
        if not a.scan:
            print("give --scan CMD or --compare")
        sys.exit(1)
    first = truth["month_list"][0]["run_date"]
    for mo in truth["month_list"]:
        compare_month(mo, os.path.join(a.workdir, "out%d" % mo["month"]), first)
    if failures:
        print("%d failures" % len(failures))
        sys.exit(1)
    print("ok: %d months agree with the truth" % len(truth["month_list"]))


if __name__ == "__main__":
    main()
