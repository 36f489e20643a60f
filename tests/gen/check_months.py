#!/usr/bin/env python3
"""check_months — `xjdedup gen --months`: the month files, the decisions files
and truth.json agree with each other (docs/generator.md, "Month sequences").

usage: check_months.py XJDEDUP WORKDIR [--rows N] [--seed S] [--months M]
                       [--messy] [--encoding gbk] [--oracle XJREF]

Generates the sequence twice (--threads 1 and 2: every file must be
byte-identical), then checks, with the independent reading of rules §3-§5
in xjcheck.py (not the generator's code):

  changes   — every change of month k is visible between month k-1 and month
              k: a deleted record has one copy fewer, an added one appears,
              a corrected or changed ID differs and is valid afterwards; an
              ID changed under a G number keeps the student number G + old
              ID. And nothing else changed: every line that differs between
              two months belongs to a record the truth says changed.
  rows      — every truth row's group_id is XXH3-64 of problem NUL key,
              the key recomputed from the record's own columns (its old ID for
              reason old_id); group_size is the number of records of the whole
              month file with that key (so no other row shares it) and the
              number of truth rows of the group; scope is recomputed from the
              members' codes; id_invalid rows name a record whose ID fails
              rules §4 (or, for id_changed, passes it while its G number
              carries another ID).
  decisions — decisions<k>.csv holds exactly the truth's decision lines, in
              order, plus the officer column; every approval the truth keeps
              in effect names a row of the month; every unmatched line names
              no group row of the month.
  scan      — `xjdedup scan` of month 1 reports every month-1 truth row with
              the same group_id, group_size and scope (the engine and the
              generator agree on keys before any monthly feature is involved).
  oracle    — with --oracle: the Python reference (tests/oracle/xjref.py, its
              monthly cycle switched on with XJREF_ALL=1) run over the months
              chained agrees with the truth (compare_months.py): two readings
              of docs/monthly.md written apart; then the engine's monthly
              cycle, chained the same way with 1 and with 2 threads, agrees
              with the truth, is the same for both thread counts, and writes
              every file the reference writes byte for byte as it does.
"""
import argparse
import collections
import csv
import filecmp
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xjcheck  # noqa: E402

try:
    import xxhash
except ImportError:  # a venv python may not see Debian's dist-packages
    sys.path.append("/usr/lib/python3/dist-packages")
    import xxhash

COLS = {"sno": "学籍号", "name": "姓名", "sex": "性别", "birth": "出生日期", "type": "身份证件类型",
        "id": "身份证件号", "school": "学校标识码", "county": "行政区划码"}

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 30:
        print("FAIL:", msg)


def gid(problem, key_text):
    return xxhash.xxh3_64_hexdigest(problem.encode() + b"\0" + key_text.encode("utf-8"))


def key_text(problem, rec, old_id=False):
    if problem == "attr_duplicate":
        name, sex, birth = xjcheck.attr_key(rec[COLS["name"]], rec[COLS["sex"]], rec[COLS["birth"]])
        return "%s\0%d\0%08d" % (name, sex, birth)
    if old_id:
        return xjcheck.norm_id(rec[COLS["sno"]].strip()[1:])
    k = xjcheck.id_key(rec[COLS["id"]], xjcheck.id_type(rec.get(COLS["type"], "")))
    return k[1] if k[0] == "GB" else k[0] + "\0" + k[1]


def read_month(path):
    lines = []
    enc = ARGS.encoding
    recs = collections.defaultdict(list)   # (sno, school) -> records
    keys = collections.Counter()           # (problem, key text) -> records
    for _, header, row in xjcheck.read_records(path, enc):
        if len(row) != len(header):
            continue
        rec = dict(zip(header, row))
        lines.append(",".join(row))
        sno, school = rec[COLS["sno"]].strip(), rec[COLS["school"]].strip()
        recs[(sno, school)].append(rec)
        typ = xjcheck.id_type(rec.get(COLS["type"], ""))
        if xjcheck.norm_id(rec[COLS["id"]]):
            keys[("id_duplicate", key_text("id_duplicate", rec))] += 1
        else:
            keys[("attr_duplicate", key_text("attr_duplicate", rec))] += 1
        n = xjcheck.norm_id(sno[1:]) if sno.startswith("G") else ""
        if len(n) == 19 - 1 and n != (key_text("id_duplicate", rec) if typ in ("1", "9") else None):
            keys[("id_duplicate", n)] += 1   # docs/monthly.md §6: the old ID's group
    return lines, recs, keys


def scope_of(recs):
    schools = {r[COLS["school"]].strip() for r in recs}
    counties = {r[COLS["county"]].strip() for r in recs}
    if len(schools) == 1:
        return "school"
    if len(counties) == 1:
        return "county"
    if len({c[:4] for c in counties}) == 1:
        return "city"
    if len({s[2:4] for s in schools}) == 1:
        return "province"
    return "national"


def rd(mo):
    return int(mo["run_date"].replace("-", ""))


def generate(xj, out, args, threads):
    if os.path.exists(out):
        shutil.rmtree(out)
    cmd = [xj, "gen", "--rows", str(args.rows), "--seed", str(args.seed), "--run-date", args.run_date,
           "--months", str(args.months), "--threads", str(threads), "-q", "-o", out, "--encoding", args.encoding]
    if args.messy:
        cmd += ["--messy", "--malformed-rate", "0.001", "--noise-rate", "0.2"]
    subprocess.run(cmd, check=True)


def check_determinism(a, b):
    names = sorted(os.listdir(a))
    want = ["decisions%d.csv" % k for k in range(2, ARGS.months + 1)] + \
           ["month%d.csv" % k for k in range(1, ARGS.months + 1)] + ["truth.json"]
    if names != sorted(want) or sorted(os.listdir(b)) != names:
        fail("files: %s vs %s, expected %s" % (names, sorted(os.listdir(b)), sorted(want)))
    for n in names:
        if not filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False):
            fail("%s differs between --threads 1 and 2" % n)


def check_changes(truth, months):
    for mo in truth["month_list"]:
        k = mo["month"]
        _, recs, _ = months[k]
        touched = set()
        for c in mo["changes"]:
            who = (c["student_no"], c["school_code"])
            touched.add(who)
            here = recs.get(who, [])
            before = months[k - 1][1].get(who, []) if k > 1 else []
            what = c["change"]
            if what in ("setup", "added"):
                if (what == "setup" and not here) or (what == "added" and len(here) != len(before) + 1):
                    fail("month %d %s %s: %d copies, %d the month before" % (k, what, who, len(here), len(before)))
                if not any(xjcheck.norm_id(r[COLS["id"]]) == c["id"] for r in here):
                    fail("month %d %s %s: no record with ID %s" % (k, what, who, c["id"]))
            elif what == "deleted":
                if len(here) != len(before) - 1:
                    fail("month %d deleted %s: %d copies, %d the month before" % (k, who, len(here), len(before)))
            else:
                ids_before = [xjcheck.norm_id(r[COLS["id"]]) for r in before]
                ids_now = [xjcheck.norm_id(r[COLS["id"]]) for r in here]
                if ids_before != [c["id"]] or ids_now != [c["new_id"]] or c["id"] == c["new_id"]:
                    fail("month %d %s %s: IDs %s -> %s, truth %s -> %s" % (k, what, who, ids_before, ids_now,
                                                                      c["id"], c["new_id"]))
                    continue
                r = here[0]
                reason = xjcheck.record_reason(r[COLS["id"]], "1", r[COLS["sex"]], r[COLS["birth"]], rd(mo))
                if reason != "ok":
                    fail("month %d %s %s: new ID %s is %s" % (k, what, who, c["new_id"], reason))
                if what == "id_changed" and c["student_no"] != "G" + c["id"]:
                    fail("month %d id_changed %s: student number is not G + old ID %s" % (k, who, c["id"]))
                if what == "id_corrected" and xjcheck.check_id(before[0][COLS["id"]], "1", rd(mo)) == "ok":
                    fail("month %d id_corrected %s: the old ID %s was valid" % (k, who, c["id"]))
        if k == 1:
            continue
        # nothing else changed between the months
        old, new = collections.Counter(months[k - 1][0]), collections.Counter(months[k][0])
        for line in list((old - new).elements()) + list((new - old).elements()):
            f = next(csv.reader([line]))
            hdr = HEADER
            who = (f[hdr.index(COLS["sno"])].strip(), f[hdr.index(COLS["school"])].strip())
            if who not in touched:
                fail("month %d: a line of %s changed that the truth does not list" % (k, who))


def check_rows(truth, months):
    for mo in truth["month_list"]:
        k = mo["month"]
        _, recs, keys = months[k]
        groups = collections.defaultdict(list)
        for row in mo["rows"]:
            who = (row["student_no"], row["school_code"])
            if who not in recs:
                fail("month %d: truth row %s names no record" % (k, row))
                continue
            rec = recs[who][0]
            if row["problem"] == "id_invalid":
                if row["group_id"] != "":
                    fail("month %d: id_invalid row with a group_id: %s" % (k, row))
                reason = xjcheck.record_reason(rec[COLS["id"]], xjcheck.id_type(rec.get(COLS["type"], "")),
                                               rec[COLS["sex"]], rec[COLS["birth"]], rd(mo))
                if row["reason"] == "id_changed":
                    old = rec[COLS["sno"]].strip()[1:]
                    if reason != "ok" or old == xjcheck.norm_id(rec[COLS["id"]]) or not rec[COLS["sno"]].startswith("G"):
                        fail("month %d: id_changed row %s: own ID %s, G number %s" % (k, who, reason, old))
                elif reason != row["reason"]:
                    fail("month %d: %s has reason %s, truth %s" % (k, who, reason, row["reason"]))
                continue
            text = key_text(row["problem"], rec, row["reason"] == "old_id")
            if gid(row["problem"], text) != row["group_id"]:
                fail("month %d: %s group_id %s, recomputed %s" % (k, who, row["group_id"], gid(row["problem"], text)))
            groups[(row["problem"], row["group_id"], text)].append((row, rec))
        for (problem, g, text), members in groups.items():
            n = keys[(problem, text)]
            sizes = {r["group_size"] for r, _ in members}
            if sizes != {n} or len(members) != n:
                fail("month %d group %s %s: truth sizes %s, %d truth rows, %d records in the file" %
                     (k, problem, g, sizes, len(members), n))
            if problem == "id_duplicate" and sum(r["keeper"] for r, _ in members) != 1:
                fail("month %d group %s: %d keepers" % (k, g, sum(r["keeper"] for r, _ in members)))
            if any(not (r["first_seen"] <= mo["run_date"]) for r, _ in members):
                fail("month %d group %s: first_seen after the run date" % (k, g))
            sc = scope_of([rec for _, rec in members])
            if {r["scope"] for r, _ in members} != {sc}:
                fail("month %d group %s: scope %s, recomputed %s" % (k, g, members[0][0]["scope"], sc))
            # docs/monthly.md §5: approvals decide arbiter and reasons
            approved = [rec for r, rec in members if r["reason"] in ("approved", "double_attested")
                        and (r["student_no"], r["school_code"]) in APPROVED[k]]
            if any(r["case"] == "double_near" and r["event_month"] == k for r, _ in members) and \
                    members[0][0]["arbiter"] == "ministry":
                fail("month %d group %s: double_near approvals across provinces" % (k, g))
            if problem == "id_duplicate" and len(approved) >= 2:
                want = scope_of(approved)
                want = "ministry" if want == "national" else want
                if {r["arbiter"] for r, _ in members} != {want} or {r["reason"] for r, _ in members} != {"double_attested"}:
                    fail("month %d group %s: double attestation arbiter %s, expected %s" %
                         (k, g, members[0][0]["arbiter"], want))


APPROVED = collections.defaultdict(set)


def check_decisions(truth, months, out):
    groups_of = {}
    for mo in truth["month_list"]:
        k = mo["month"]
        rows = {(r["group_id"], r["student_no"], r["school_code"]) for r in mo["rows"] if r["group_id"]}
        all_gids = {r["group_id"] for r in mo["rows"]}
        groups_of[k] = rows
        for d in mo["decisions"]:
            APPROVED[k].add((d["student_no"], d["school_code"]))
            if (d["group_id"], d["student_no"], d["school_code"]) not in rows:
                fail("month %d: decision in effect %s names no row" % (k, d))
        for d in mo["decisions_unmatched"]:
            if (d["group_id"], d["student_no"], d["school_code"]) in rows:
                fail("month %d: unmatched decision %s names a row" % (k, d))
            if d["case"] == "unmatched" and d["group_id"] and d["group_id"] not in all_gids:
                # a group_id no group of the month has: check against every key of the file
                for (problem, text), n in months[k][2].items():
                    if n >= 2 and gid(problem, text) == d["group_id"]:
                        fail("month %d: the made-up group_id %s is a real group" % (k, d["group_id"]))
        if k == 1:
            continue
        path = os.path.join(out, "decisions%d.csv" % k)
        with open(path, encoding="utf-8", newline="") as f:
            rows_csv = list(csv.reader(f))
        if rows_csv[0] != ["group_id", "student_no", "school_code", "decision", "officer"]:
            fail("%s: header %s" % (path, rows_csv[0]))
        want = [[d["group_id"], d["student_no"], d["school_code"], d["decision"]] for d in mo["decision_lines"]]
        if [r[:4] for r in rows_csv[1:]] != want or [d["line"] for d in mo["decision_lines"]] != \
                list(range(2, len(want) + 2)):
            fail("%s: lines differ from the truth's decision_lines" % path)
        cases = collections.Counter(d["case"] for d in mo["decisions_unmatched"])
        if not (cases["unmatched"] >= 3 and cases["del_transfer"] >= 1):
            fail("month %d: unmatched decisions by case: %s" % (k, dict(cases)))


def check_scan(xj, out, truth):
    scan = os.path.join(out, "..", "scan1")
    if os.path.exists(scan):
        shutil.rmtree(scan)
    mo = truth["month_list"][0]
    subprocess.run([xj, "scan", os.path.join(out, "month1.csv"), "-o", scan, "--run-date", mo["run_date"], "-q",
                    "--encoding", ARGS.encoding], check=True)
    with open(os.path.join(scan, "problems.csv"), encoding="utf-8", newline="") as f:
        got = collections.Counter((r["problem"], r["group_id"], r[COLS["sno"]].strip(), r[COLS["school"]].strip(),
                                   r["reason"], r["group_size"], r["scope"]) for r in csv.DictReader(f))
    want = collections.Counter((r["problem"], r["group_id"], r["student_no"], r["school_code"], r["reason"],
                                str(r.get("group_size", "")), r.get("scope", "")) for r in mo["rows"])
    missing = want - got
    if missing:
        fail("scan of month 1 lacks %d truth rows, e.g. %s" % (sum(missing.values()), next(iter(missing))))


def tree_files(top):
    out = set()
    for d, _, names in os.walk(top):
        out.update(os.path.relpath(os.path.join(d, n), top) for n in names)
    return out


def without_timing(path):
    with open(path, encoding="utf-8") as f:
        summary = json.load(f)
    summary.pop("timing", None)
    return summary


def check_engine_cycle(seq, cmp):
    """The engine's monthly cycle, chained over every month with 1 and with 2
    threads: it agrees with the truth, the two are byte-identical (summary.json's
    timing and MANIFEST's line for it aside), every file the reference
    writes too is byte-identical to the reference's, and so is summary.json's
    "monthly" object (docs/monthly.md §7's counts)."""
    outs = {}
    for t in (1, 2):
        work = os.path.join(ARGS.workdir, "engine_t%d" % t)
        r = subprocess.run([sys.executable, cmp, seq, work, "--scan", "%s scan -t %d" % (ARGS.xjdedup, t),
                            "--encoding", ARGS.encoding])
        if r.returncode != 0:
            fail("the engine's monthly cycle (-t %d) disagrees with the truth (above)" % t)
            return
        outs[t] = work
    ref = os.path.join(ARGS.workdir, "oracle")
    for k in range(1, ARGS.months + 1):
        one, two, want = (os.path.join(d, "out%d" % k) for d in (outs[1], outs[2], ref))
        files = tree_files(one)
        if files != tree_files(two):
            fail("month %d: -t 1 and -t 2 wrote different files: %s" % (k, sorted(files ^ tree_files(two))[:5]))
        for name in sorted(files & tree_files(two)):
            if name == "MANIFEST":
                continue
            if name == "summary.json":
                same = without_timing(os.path.join(one, name)) == without_timing(os.path.join(two, name))
            else:
                same = filecmp.cmp(os.path.join(one, name), os.path.join(two, name), shallow=False)
            if not same:
                fail("month %d: %s differs between -t 1 and -t 2" % (k, name))
        # the reference writes no report.html, and schools/README.txt is the engine's own wording
        for name in sorted(tree_files(want) - {"summary.json", "MANIFEST", "schools/README.txt"}):
            if name not in files:
                fail("month %d: the engine wrote no %s" % (k, name))
            elif not filecmp.cmp(os.path.join(one, name), os.path.join(want, name), shallow=False):
                fail("month %d: the engine's %s differs from the reference's" % (k, name))
        got, ref_monthly = (without_timing(os.path.join(d, "summary.json")).get("monthly") for d in (one, want))
        if got is None or got != ref_monthly:
            fail("month %d: summary.json's monthly differs from the reference's: engine %s, reference %s" %
                 (k, json.dumps(got), json.dumps(ref_monthly)))
    print("engine: %d months chained, -t 1 = -t 2, every file the reference writes identical" % ARGS.months)


def main():
    global ARGS, HEADER
    p = argparse.ArgumentParser()
    p.add_argument("xjdedup")
    p.add_argument("workdir")
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--seed", type=int, default=21)
    p.add_argument("--months", type=int, default=3)
    p.add_argument("--run-date", default="2026-12-01")
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--messy", action="store_true")
    p.add_argument("--oracle")
    ARGS = p.parse_args()
    os.makedirs(ARGS.workdir, exist_ok=True)
    a, b = os.path.join(ARGS.workdir, "t1"), os.path.join(ARGS.workdir, "t2")
    generate(ARGS.xjdedup, a, ARGS, 1)
    generate(ARGS.xjdedup, b, ARGS, 2)
    check_determinism(a, b)
    with open(os.path.join(a, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    months = {}
    for k in range(1, ARGS.months + 1):
        months[k] = read_month(os.path.join(a, "month%d.csv" % k))
    HEADER = next(xjcheck.read_records(os.path.join(a, "month1.csv"), ARGS.encoding))[1]
    counts = collections.Counter()
    for mo in truth["month_list"]:
        for c in mo["changes"]:
            counts[c["change"]] += 1
        for r in mo["rows"]:
            counts["status " + str(r["status"])] += 1
            counts["reason " + r["reason"]] += 1
        counts["resolved"] += len(mo["resolved"])
        counts["unmatched"] += len(mo["decisions_unmatched"])
    print("truth:", dict(sorted(counts.items())))
    for need in ("setup", "added", "deleted", "id_corrected", "id_changed", "status reopened", "status new",
                 "status persisting", "reason old_id", "reason approved", "reason double_attested",
                 "reason id_changed", "resolved"):
        if need == "status reopened" and ARGS.months < 3:
            continue   # attested in month 2, changed in month 3
        if counts[need] < 4:
            fail("the truth has only %d of %s" % (counts[need], need))
    check_changes(truth, months)
    check_decisions(truth, months, a)
    check_rows(truth, months)
    check_scan(ARGS.xjdedup, a, truth)
    if ARGS.oracle:
        cmp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_months.py")
        r = subprocess.run([sys.executable, cmp, a, os.path.join(ARGS.workdir, "oracle"), "--scan",
                            "%s %s scan" % (sys.executable, ARGS.oracle), "--env", "XJREF_ALL=1",
                            "--encoding", ARGS.encoding])
        if r.returncode != 0:
            fail("the reference's monthly cycle disagrees with the truth (above)")
        check_engine_cycle(a, cmp)
    if failures:
        print("%d failures" % len(failures))
        sys.exit(1)
    print("ok: %d months of %d rows" % (ARGS.months, ARGS.rows))


if __name__ == "__main__":
    main()
