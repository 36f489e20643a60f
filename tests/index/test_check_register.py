#!/usr/bin/env python3
"""`xjdedup check` next to its register (issue 13, items 4 and 5), on a
hand-made register and batch whose answer is known row by row.

usage: test_check_register.py XJDEDUP WORKDIR

A batch record with the student number and school code of a register
record is that record, not its duplicate: it is counted and listed as
already registered, and the register copy leaves its groups. Such a record
keeps its other problems (its own invalid ID; a duplicate of a different
register record), and two batch copies of one record are still each
other's duplicates. The terminal summary, `xjdedup summary`, summary.json and
report.html name the index (its size, run date and scope), tell duplicates
with the register from those inside the batch, and count the clean rows;
a --run-date other than the index's draws a warning naming both dates.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

REG_DATE = "2026-11-01"
failures = 0
HEADER = "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,行政区划码,建籍日期"
SCHOOL_A, SCHOOL_B, SCHOOL_C = "1111010001", "1111010002", "3144010001"


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def gb_id(birth, seq):
    """A valid GB 11643 ID of Beijing Dongcheng (110101)."""
    body = "110101" + birth.replace("-", "") + "%03d" % seq
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def rec(sno, name, sex, birth, id_number, school, county="110101", registered="2020-09-01"):
    return ",".join([sno, name, sex, birth, "1", id_number, school, county, registered])


def run(args, expect=0):
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if expect is not None and p.returncode != expect:
        fail("%s: exit %d (want %d)\n%s%s" % (" ".join(args), p.returncode, expect, p.stdout, p.stderr))
    return p


def main():
    xj, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    j = lambda *p: os.path.join(work, *p)
    id1, id2 = gb_id("2014-03-05", 11), gb_id("2014-04-06", 22)
    id3, id7, id8 = gb_id("2013-05-07", 31), gb_id("2012-06-08", 71), gb_id("2015-07-09", 82)
    bad6 = gb_id("2014-08-10", 61)[:-1] + ("0" if gb_id("2014-08-10", 61)[-1] != "0" else "1")  # checksum
    r1 = rec("G" + id1, "张三", "男", "2014-03-05", id1, SCHOOL_A)
    r2 = rec("G" + id2, "李丽", "女", "2014-04-06", id2, SCHOOL_A)
    r3 = rec("G" + id3, "王五", "男", "2013-05-07", id3, SCHOOL_A)
    r4 = rec("G" + id3, "王五", "男", "2013-05-07", id3, SCHOOL_B, registered="2021-09-01")  # transferred
    r5 = rec("J110101201401010017", "赵六", "男", "2014-01-01", "", SCHOOL_A)  # no ID: missing, attribute key
    r6 = rec("L110101201408106101", "孙梅", "女", "2014-08-10", bad6, SCHOOL_A)  # wrong check character
    r7 = rec("G" + id7, "钱七", "男", "2012-06-08", id7, SCHOOL_A)
    with open(j("reg.csv"), "w", encoding="utf-8") as f:
        f.write("\n".join([HEADER, r1, r2, r3, r4, r5, r6, r7]) + "\n")
    b7 = rec("L440101201206080017", "钱七", "男", "2012-06-08", id7, SCHOOL_C, "440101", "2026-09-01")
    b8 = rec("L110101201507090823", "周八", "女", "2015-07-09", id8, SCHOOL_A, registered="2026-09-01")
    b9 = rec("G" + gb_id("2016-01-02", 91), "吴九", "男", "2016-01-02", gb_id("2016-01-02", 91), SCHOOL_A)
    b10 = " %s ," % ("G" + id1) + r1.split(",", 1)[1]  # r1 sent again, its student number padded
    batch = [HEADER, r2, r3, r5, r6, b7, b8, b8, b9, b10]  # lines 2..10
    with open(j("batch.csv"), "w", encoding="utf-8") as f:
        f.write("\n".join(batch) + "\n")
    run([xj, "index", "build", j("reg.csv"), "-o", j("reg.xji"), "--run-date", REG_DATE, "-q"])

    p = run([xj, "check", j("batch.csv"), "--against", j("reg.xji"), "-o", j("out"), "--run-date", REG_DATE])
    if "warning" in p.stderr:
        fail("a check for the index's own run date warned: %r" % p.stderr)
    with open(j("out", "problems.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    got = sorted((int(r["line"]), r["problem"], r["reason"], r["group_size"], r["register_matches"]) for r in rows)
    want = sorted([
        (3, "id_duplicate", "", "2", "G%s@%s" % (id3, SCHOOL_B)),   # its copy left; the transfer did not
        (4, "id_invalid", "missing", "", ""),                        # no attr_duplicate with its copy
        (5, "id_invalid", "checksum", "", ""),                       # a copy keeps its own invalid ID
        (6, "id_duplicate", "", "2", "G%s@%s" % (id7, SCHOOL_A)),   # a new record duplicating the register
        (7, "id_duplicate", "", "2", ""), (8, "id_duplicate", "", "2", ""),  # two batch copies: each other's
    ])
    if got != want:
        fail("problems.csv rows\n  got  %s\n  want %s" % (got, want))
    listed = None
    if os.path.exists(j("out", "already_registered.csv")):
        with open(j("out", "already_registered.csv"), encoding="utf-8") as f:
            listed = [(r["line"], r["student_no"], r["school_code"], r["register_source"], r["register_line"])
                      for r in csv.DictReader(f)]
    want_listed = [("2", "G" + id2, SCHOOL_A, "reg.csv", "3"), ("3", "G" + id3, SCHOOL_A, "reg.csv", "4"),
                   ("4", "J110101201401010017", SCHOOL_A, "reg.csv", "6"),
                   ("5", "L110101201408106101", SCHOOL_A, "reg.csv", "7"), ("10", "G" + id1, SCHOOL_A, "reg.csv", "2")]
    if listed != want_listed:
        fail("already_registered.csv\n  got  %s\n  want %s" % (listed, want_listed))
    with open(j("out", "summary.json"), encoding="utf-8") as f:
        s = json.load(f)
    want_reg = {"index": "reg.xji", "records": 7, "run_date": REG_DATE, "attr_scope": "noid"}
    if s.get("register") != want_reg:
        fail("summary.json register %r, want %r" % (s.get("register"), want_reg))
    want_check = {
        "clean_rows": 3, "already_registered": 5, "clean_already_registered": 2,
        "with_register": {"attr_duplicate": {"records": 0, "groups": 0}, "id_duplicate": {"records": 2, "groups": 2},
                          "suspect_duplicate": {"records": 0, "groups": 0}},
        "in_batch": {"attr_duplicate": {"records": 0, "groups": 0}, "id_duplicate": {"records": 2, "groups": 1},
                     "suspect_duplicate": {"records": 0, "groups": 0}},
    }
    if s.get("check") != want_check:
        fail("summary.json check %r, want %r" % (s.get("check"), want_check))

    # the terminal summary, printed at the end and again by `xjdedup summary`
    again = run([xj, "summary", j("out")]).stdout
    for text in (p.stdout, again):
        for pattern in (r"checked against +reg\.xji +\(7 records, run date 2026-11-01, attribute scope noid\)",
                        r"with the register +2 +2", r"inside the batch +2 +1", r"clean rows +3 .*2 of them already",
                        r"already registered +5 .*already_registered\.csv"):
            if not re.search(pattern, text):
                fail("terminal summary lacks /%s/:\n%s" % (pattern, text))
    if "(the batch was checked for" in p.stdout:
        fail("one run date, yet the summary speaks of two:\n" + p.stdout)

    # report.html says it was a check, against what, and the same numbers
    with open(j("out", "report.html"), encoding="utf-8") as f:
        page = f.read()
    for pattern in (r'<h1>批次核对报告', r'id="register-index">reg\.xji<', r'id="register-records" data-value="7"',
                    r'id="register-run-date">2026-11-01<', r'id="with-register" data-value="2"',
                    r'id="in-batch" data-value="2"', r'id="clean-rows" data-value="3"',
                    r'id="already-registered" data-value="5"', r'id="clean-already-registered" data-value="2"'):
        if not re.search(pattern, page):
            fail("report.html lacks /%s/" % pattern)

    # another run date than the index's: a warning naming both, and a note
    p = run([xj, "check", j("batch.csv"), "--against", j("reg.xji"), "-o", j("out2"), "--run-date", "2026-11-28"])
    if not re.search(r"warning: --run-date 2026-11-28 differs from the run date of \S*reg\.xji \(2026-11-01\)",
                     p.stderr):
        fail("check with another --run-date: warning %r" % p.stderr)
    if "(the batch was checked for 2026-11-28, the register's ID reasons for 2026-11-01)" not in p.stdout:
        fail("check with another --run-date: the summary does not name both dates:\n" + p.stdout)

    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
