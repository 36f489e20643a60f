#!/usr/bin/env python3
"""check_decisions — the officers' decisions (docs/monthly.md §2, §4, §5)
through four chained months of the basic case:

  month 1  no decisions: no monthly files
  month 2  --previous month1 --decisions d2.csv: an attribute group fully
           approved (attested.csv, out of problems.csv and the school files),
           one member of a cross-province ID group approved (keeper, reason
           approved, hints against it), two unmatched lines (a group that does
           not exist, a revocation of a member not in the group), a line
           overridden by a later one (neither in effect nor unmatched)
  month 3  --previous month2 only: the approvals are carried (decisions.csv)
  month 4  --previous month3 --decisions d4.csv revoking one attested
           member: the group is reported again, every row reopened, first_seen
           carried from month 1

and the refusals of malformed decisions files (exit 2, file and line named),
a BOM, CRLF, blank lines and extra columns accepted, and the same bytes
with --threads 1 and 2.

usage: check_decisions.py XJDEDUP WORKDIR BASIC_CASE_DIR
"""
import csv
import io
import os
import shutil
import subprocess
import sys

ATTR_GROUP = "9c7b356a1460ff9e"   # 3 records, no ID (the basic case)
ID_GROUP = "ca757298baf038fa"     # 2 records in two provinces, different names
DOUBLE_GROUP = "c5c28f18fe9ace70" # 3 records, two of them in school 2111020002


def run(xj, inp, out, date, *extra, check=True):
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([xj, "scan", inp, "-o", out, "-q", "--run-date", date, *extra], capture_output=True)
    if check and r.returncode != 0:
        raise SystemExit(f"scan failed ({r.returncode}): {r.stderr.decode()}")
    return r


def table(path):
    data = open(path, "rb").read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data, newline="")))


def rows_by_group(out, name="problems.csv"):
    t = table(os.path.join(out, name))
    h = t[0]
    return h, [dict(zip(h, r)) for r in t[1:]]


def main():
    xj, work, case = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    inp = os.path.join(case, "students.csv")
    fails = []

    def expect(cond, what):
        if not cond:
            fails.append(what)

    m1 = os.path.join(work, "m1")
    run(xj, inp, m1, "2026-09-28")
    # the monthly files are written on every run, header only without decisions
    for name, header in (("decisions.csv", "group_id,student_no,school_code,decision"),
                         ("decisions_unmatched.csv", "group_id,student_no,school_code,decision,file,line"),
                         ("resolved.csv", "problem,group_id,student_no,school_code,first_seen,resolution")):
        got = table(os.path.join(m1, name)) if os.path.exists(os.path.join(m1, name)) else None
        expect(got == [header.split(",")], f"month 1: {name} is {got}, want its header only")
    expect(len(table(os.path.join(m1, "attested.csv"))) == 1, "month 1: attested.csv is not header only")
    h, rows = rows_by_group(m1)
    sno = next(k for k in h[h.index("line") + 1:] if k == "学籍号")
    attr = [r for r in rows if r["group_id"] == ATTR_GROUP]
    idg = [r for r in rows if r["group_id"] == ID_GROUP]
    expect(len(attr) == 3 and len(idg) == 2, f"basic case changed: {len(attr)} attr rows, {len(idg)} id rows")
    not_keeper = next(r for r in idg if r["keeper"] == "0")

    d2 = os.path.join(work, "d2.csv")
    with open(d2, "w", encoding="utf-8", newline="") as f:
        f.write("\ufeff")  # a BOM, CRLF line ends, a blank line, an extra column, columns in another order
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["officer", "decision", "group_id", "student_no", "school_code"])
        for r in attr:
            w.writerow(["张", "approved", ATTR_GROUP, " " + r[sno] + " ", r["学校标识码"]])
        f.write("\r\n")
        w.writerow(["李", "revoked", ID_GROUP, not_keeper[sno], not_keeper["学校标识码"]])
        w.writerow(["李", "approved", ID_GROUP, not_keeper[sno], not_keeper["学校标识码"]])  # wins over line 6
        w.writerow(["x", "approved", "ffffffffffffffff", "G1", "2111010001"])
        w.writerow(["x", "revoked", ATTR_GROUP, "J000", "2111010001"])
    m2 = os.path.join(work, "m2")
    run(xj, inp, m2, "2026-10-28", "--previous", m1, "--decisions", d2)
    h2, rows2 = rows_by_group(m2)
    _, att = rows_by_group(m2, "attested.csv")
    expect(not [r for r in rows2 if r["group_id"] == ATTR_GROUP], "month 2: the attested group is still reported")
    expect(sorted(r["line"] for r in att) == sorted(r["line"] for r in attr),
           f"month 2: attested.csv has lines {[r['line'] for r in att]}")
    expect(all(r["status"] == "persisting" and r["first_seen"] == "2026-09-28" for r in att),
           "month 2: attested rows' status/first_seen")
    for p in os.listdir(os.path.join(m2, "schools")):
        if not os.path.isdir(os.path.join(m2, "schools", p)):
            continue
        for name in os.listdir(os.path.join(m2, "schools", p)):
            if name.endswith(".csv"):
                expect(ATTR_GROUP not in open(os.path.join(m2, "schools", p, name), encoding="utf-8-sig").read(),
                       f"month 2: schools/{p}/{name} lists the attested group")
    idg2 = {r["line"]: r for r in rows2 if r["group_id"] == ID_GROUP}
    approved = idg2.get(not_keeper["line"], {})
    expect(approved.get("keeper") == "1" and approved.get("reason") == "approved" and approved.get("hint") == "keep",
           f"month 2: the approved ID member: {approved}")
    other = [r for l, r in idg2.items() if l != not_keeper["line"]]
    expect(len(other) == 1 and other[0]["keeper"] == "0" and other[0]["hint"] == "check_id"
           and other[0]["reason"] == "", f"month 2: the other ID member: {other}")
    dec = table(os.path.join(m2, "decisions.csv"))
    want = sorted([ATTR_GROUP, r[sno], r["学校标识码"], "approved"] for r in attr)
    want = sorted(want + [[ID_GROUP, not_keeper[sno], not_keeper["学校标识码"], "approved"]])
    expect(dec[0] == ["group_id", "student_no", "school_code", "decision"] and dec[1:] == want,
           f"month 2: decisions.csv {dec}")
    un = table(os.path.join(m2, "decisions_unmatched.csv"))
    expect(un == [["group_id", "student_no", "school_code", "decision", "file", "line"],
                  ["ffffffffffffffff", "G1", "2111010001", "approved", "d2.csv", "8"],
                  [ATTR_GROUP, "J000", "2111010001", "revoked", "d2.csv", "9"]],
           f"month 2: decisions_unmatched.csv {un}")

    # two approved members of a 3-record ID group (scope city), both in one
    # school: every row double_attested, the arbiter that school's (their
    # common superior), scope, keeper and hints as without approvals
    two = [r for r in rows if r["group_id"] == DOUBLE_GROUP]
    d2x = os.path.join(work, "d2x.csv")
    with open(d2x, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["group_id", "student_no", "school_code", "decision"])
        for r in two:
            if r["学校标识码"] == "2111020002":
                w.writerow([DOUBLE_GROUP, r[sno], r["学校标识码"], "approved"])
    m2x = os.path.join(work, "m2x")
    run(xj, inp, m2x, "2026-10-28", "--decisions", d2x)
    _, rows2x = rows_by_group(m2x)
    got = sorted((r["line"], r["reason"], r["scope"], r["arbiter"], r["keeper"], r["hint"])
                 for r in rows2x if r["group_id"] == DOUBLE_GROUP)
    want = sorted((r["line"], "double_attested", r["scope"], "school", r["keeper"], r["hint"]) for r in two)
    expect(len(two) == 3 and got == want, f"double_attested: {got} want {want}")
    city = os.path.join(m2x, "arbiters", "city")
    listed = any(DOUBLE_GROUP in open(os.path.join(city, n), encoding="utf-8-sig").read()
                 for n in (os.listdir(city) if os.path.isdir(city) else []))
    expect(not listed, "double_attested: the group still in a city office's list")

    # xjdedup attest writes the same approvals from month 1's output: by group
    # id, and by student number (the same member twice gives one line)
    r = subprocess.run([xj, "attest", m1, ATTR_GROUP, attr[0][sno]], capture_output=True)
    want_lines = ["group_id,student_no,school_code,decision"] + sorted(
        f"{ATTR_GROUP},{x[sno]},{x['学校标识码']},approved" for x in attr)
    expect(r.returncode == 0 and r.stdout.decode().splitlines() == want_lines,
           f"attest: exit {r.returncode}, {r.stdout.decode()!r} {r.stderr.decode()!r}")
    by_no = subprocess.run([xj, "attest", m1, "--revoke", not_keeper[sno]], capture_output=True)
    expect(by_no.returncode == 0 and by_no.stdout.decode().splitlines()[1:] ==
           [f"{ID_GROUP},{not_keeper[sno]},{not_keeper['学校标识码']},revoked"],
           f"attest --revoke by student number: {by_no.stdout.decode()!r}")
    r = subprocess.run([xj, "attest", m1, "0000000000000000"], capture_output=True)
    expect(r.returncode == 2 and b"0000000000000000" in r.stderr and not r.stdout,
           f"attest of nothing: exit {r.returncode}")
    made = os.path.join(work, "attest-out.csv")
    if os.path.exists(made):
        os.remove(made)
    ok = subprocess.run([xj, "attest", m1, ATTR_GROUP, "-o", made], capture_output=True)
    again = subprocess.run([xj, "attest", m1, ATTR_GROUP, "-o", made], capture_output=True)
    expect(ok.returncode == 0 and open(made).read().splitlines() == want_lines and again.returncode == 2,
           f"attest -o: exit {ok.returncode} then {again.returncode}")

    # month 3: nothing new from the officers; the approvals are carried
    m3 = os.path.join(work, "m3")
    run(xj, inp, m3, "2026-11-28", "--previous", m2)
    expect(open(os.path.join(m3, "decisions.csv"), "rb").read() == open(os.path.join(m2, "decisions.csv"), "rb").read(),
           "month 3: decisions.csv not carried")
    expect(len(table(os.path.join(m3, "attested.csv"))) == 4, "month 3: the group is no longer attested")
    expect(len(table(os.path.join(m3, "decisions_unmatched.csv"))) == 1, "month 3: unmatched lines came back")

    # month 4: one approval revoked; the group is reported again, reopened
    d4 = os.path.join(work, "d4.csv")
    r0 = attr[0]
    open(d4, "w", encoding="utf-8").write(f"group_id,student_no,school_code,decision\n"
                                          f"{ATTR_GROUP},{r0[sno]},{r0['学校标识码']},revoked\n")
    m4 = os.path.join(work, "m4")
    run(xj, inp, m4, "2026-12-28", "--previous", m3, "--decisions", d4)
    _, rows4 = rows_by_group(m4)
    again = [r for r in rows4 if r["group_id"] == ATTR_GROUP]
    expect(len(again) == 3 and all(r["status"] == "reopened" and r["first_seen"] == "2026-09-28" for r in again),
           f"month 4: reopened rows {[(r['status'], r['first_seen']) for r in again]}")
    expect(len(table(os.path.join(m4, "attested.csv"))) == 1, "month 4: attested.csv not empty")
    zh = open(os.path.join(m4, "schools", r0["学校标识码"][2:4], r0["学校标识码"] + ".csv"), encoding="utf-8-sig").read()
    expect("重新处理" in zh, "month 4: the school file does not say 重新处理")

    # resolved.csv: a record deleted from a two-record ID group resolves the
    # group: the deleted record's row is gone, the other's fixed
    lines = open(inp, encoding="utf-8").read().split("\n")
    pair = [r for r in rows if r["problem"] == "id_duplicate" and r["group_size"] == "2"
            and all(x["学校标识码"] == r["学校标识码"] for x in rows if x["group_id"] == r["group_id"])]
    gid = pair[0]["group_id"]
    gone = next(r for r in pair if r["group_id"] == gid)
    smaller = os.path.join(work, "smaller.csv")
    open(smaller, "w", encoding="utf-8").write("\n".join(l for i, l in enumerate(lines, 1) if i != int(gone["line"])))
    mr = os.path.join(work, "mr")
    run(xj, smaller, mr, "2026-10-28", "--previous", m1)
    res = table(os.path.join(mr, "resolved.csv"))
    want = sorted(["id_duplicate", gid, r[sno], r["学校标识码"], "2026-09-28", "gone" if r is gone else "fixed"]
                  for r in rows if r["group_id"] == gid)
    expect(res[0] == ["problem", "group_id", "student_no", "school_code", "first_seen", "resolution"]
           and res[1:] == want, f"resolved.csv {res} want {want}")
    expect(table(os.path.join(m2, "resolved.csv")) == [res[0]], "month 2: resolved.csv lists an attested group")

    # check honours decisions too: the batch holds one record of an ID group,
    # the register the other; approving the batch's makes it the keeper,
    # approving the register's matches (it is a member) and keeps it keeper
    idrows = sorted(idg, key=lambda r: int(r["line"]))
    batch_row = idrows[-1]
    reg_csv, batch_csv = os.path.join(work, "reg.csv"), os.path.join(work, "batch.csv")
    open(reg_csv, "w", encoding="utf-8").write("\n".join(l for i, l in enumerate(lines, 1)
                                                         if i != int(batch_row["line"])))
    open(batch_csv, "w", encoding="utf-8").write(lines[0] + "\n" + lines[int(batch_row["line"]) - 1] + "\n")
    reg = os.path.join(work, "reg.xji")
    if os.path.exists(reg):
        os.remove(reg)
    subprocess.run([xj, "index", "build", reg_csv, "-o", reg, "-q", "--run-date", "2026-10-28"], check=True)
    for who, want_keeper, want_reason in ((batch_row, "1", "approved"),
                                         (next(r for r in idrows if r is not batch_row), "0", "")):
        dc = os.path.join(work, "dc.csv")
        open(dc, "w", encoding="utf-8").write("group_id,student_no,school_code,decision\n"
                                              f"{ID_GROUP},{who[sno]},{who['学校标识码']},approved\n")
        co = os.path.join(work, "check-out")
        shutil.rmtree(co, ignore_errors=True)
        r = subprocess.run([xj, "check", batch_csv, "--against", reg, "-o", co, "-q", "--run-date", "2026-10-28",
                            "--decisions", dc], capture_output=True)
        _, crow = rows_by_group(co) if r.returncode == 0 else (None, [])
        got = [(x["keeper"], x["reason"]) for x in crow if x["group_id"] == ID_GROUP]
        unmatched = table(os.path.join(co, "decisions_unmatched.csv")) if r.returncode == 0 else []
        expect(got == [(want_keeper, want_reason)] and len(unmatched) == 1,
               f"check --decisions approving line {who['line']}: {got}, {len(unmatched) - 1} unmatched, "
               f"{r.stderr.decode()!r}")

    # the same bytes on one thread
    m2b = os.path.join(work, "m2-t1")
    run(xj, inp, m2b, "2026-10-28", "--previous", m1, "--decisions", d2, "--threads", "1")
    for name in ("problems.csv", "attested.csv", "decisions.csv", "decisions_unmatched.csv"):
        expect(open(os.path.join(m2, name), "rb").read() == open(os.path.join(m2b, name), "rb").read(),
               f"{name} differs with --threads 1")

    # malformed decisions files: exit 2 before any output, file and line named
    bad = {
        "no-column.csv": ("group_id,student_no,school_code\nx,y,z\n", "line 1", "decision"),
        "bad-word.csv": ("group_id,student_no,school_code,decision\nx,y,z,approve\n", "line 2", "approved or revoked"),
        "bad-quote.csv": ("group_id,student_no,school_code,decision\nx,y,z,approved\nx,\"y\"z,z,approved\n",
                          "line 3", "quote"),
        "field-count.csv": ("group_id,student_no,school_code,decision\n\nx,y,z,approved,extra\n", "line 3", "fields"),
        "open-quote.csv": ("group_id,student_no,school_code,decision\nx,\"y\nz,z,approved\n", "line 2", "never closed"),
        "empty.csv": ("", "empty", "header"),
    }
    for name, (text, where, what) in bad.items():
        path = os.path.join(work, name)
        open(path, "w", encoding="utf-8").write(text)
        out = os.path.join(work, "bad-out")
        r = run(xj, inp, out, "2026-10-28", "--decisions", path, check=False)
        msg = r.stderr.decode("utf-8", "replace")
        expect(r.returncode == 2 and not os.path.exists(out) and name in msg and where in msg and what in msg,
               f"{name}: exit {r.returncode}, {msg.strip()!r}")
    r = run(xj, inp, os.path.join(work, "bad-out"), "2026-10-28", "--decisions", os.path.join(work, "nowhere.csv"),
            check=False)
    expect(r.returncode == 2 and b"nowhere.csv" in r.stderr, f"a missing decisions file: exit {r.returncode}")

    # PREV must be a finished output of ours (docs/monthly.md §8): a run that
    # stopped early has no MANIFEST, and one edited by hand no longer matches
    good = os.path.join(work, "prev-good")
    run(xj, inp, good, "2026-10-28")
    broken = {
        "no MANIFEST": lambda d: os.remove(os.path.join(d, "MANIFEST")),
        "line 1: not": lambda d: open(os.path.join(d, "MANIFEST"), "w").write("problems.csv is here\n"),
        "lists no summary.json": lambda d: open(os.path.join(d, "MANIFEST"), "w").write(
            "".join(l for l in open(os.path.join(good, "MANIFEST")) if not l.endswith(" summary.json\n"))),
    }
    for what, spoil in broken.items():
        prev = os.path.join(work, "prev-broken")
        shutil.rmtree(prev, ignore_errors=True)
        shutil.copytree(good, prev)
        spoil(prev)
        out = os.path.join(work, "bad-out")
        r = run(xj, inp, out, "2026-11-28", "--previous", prev, check=False)
        msg = r.stderr.decode("utf-8", "replace")
        expect(r.returncode == 2 and not os.path.exists(out) and "--previous" in msg and what in msg
               and "not a complete xjdedup output" in msg, f"PREV with {what}: exit {r.returncode}, {msg.strip()!r}")

    for f in fails:
        print("FAIL", f)
    print(f"check_decisions: {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
