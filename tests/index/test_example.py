#!/usr/bin/env python3
"""tools/example_check (the public xj_index API, one record at a time)
answers what `xjdedup check` answers for the same batch.

usage: test_example.py EXAMPLE_CHECK XJDEDUP WORKDIR

For every batch record: the register records example_check reports as
"same ID" are the register members of the record's id_duplicate group in
check's output, and the "same name, sex, birth date" ones those of its
attr_duplicate group (student_no@school_code, register order); its ID
verdict is check's id_invalid reason (or valid).
"""
import csv
import os
import re
import shutil
import subprocess
import sys

RUN_DATE = "2026-11-28"
FIELDS = ["学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "学校标识码", "行政区划码", "建籍日期"]


def main():
    example, xj, work = map(os.path.abspath, sys.argv[1:4])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    j = lambda *p: os.path.join(work, *p)
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True, text=True)
    run(xj, "gen", "--rows", "20000", "--seed", "9", "--run-date", RUN_DATE, "-o", j("pop.csv"), "-q",
        "--dup-rate", "0.03", "--noid-rate", "0.05", "--attr-rate", "0.02", "--invalid-rate", "0.02")
    with open(j("pop.csv"), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    cut = len(body) * 9 // 10
    for name, part in (("reg.csv", body[:cut]), ("batch.csv", body[cut:])):
        with open(j(name), "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([header] + part)
    run(xj, "index", "build", j("reg.csv"), "-o", j("reg.xji"), "--run-date", RUN_DATE, "-q")
    run(xj, "check", j("batch.csv"), "--against", j("reg.xji"), "-o", j("out"), "--run-date", RUN_DATE, "-q")

    want = {}  # batch line -> {"id": str, "attr": str, "reason": str}
    with open(j("out", "problems.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            w = want.setdefault(int(r["line"]), {"id": "", "attr": "", "reason": "valid"})
            if r["problem"] == "id_invalid":
                w["reason"] = r["reason"]
            else:
                key = "id" if r["problem"] == "id_duplicate" else "attr"
                w[key] = re.sub(r"\([a-z_0-9]+\)", "", r["register_matches"])

    idx = [header.index(k) for k in FIELDS]
    tsv = "".join("\t".join(r[i] for i in idx) + "\n" for r in body[cut:])
    out = subprocess.run([example, j("reg.xji"), RUN_DATE], input=tsv, capture_output=True, text=True, check=True)
    got, cur = {}, None
    for line in out.stdout.splitlines():
        m = re.match(r"^(\d+): \S*: ID (\S+), (\d+) register match", line)
        if m:
            cur = int(m.group(1)) + 1  # TSV line n is CSV line n + 1 (header)
            got[cur] = {"id": [], "attr": [], "reason": m.group(2), "n": int(m.group(3))}
            continue
        m = re.match(r"^    (same ID:|same name, sex, birth date:) (\S+) at school (\S+)", line)
        if m and cur:
            got[cur]["id" if m.group(1) == "same ID:" else "attr"].append("%s@%s" % (m.group(2), m.group(3)))
    bad = 0
    matched = 0
    for line in range(2, len(body) - cut + 2):
        g = got.get(line)
        w = want.get(line, {"id": "", "attr": "", "reason": "valid"})
        if g is None:
            print("line %d: example_check gave no answer" % line)
            bad += 1
            continue
        for key in ("id", "attr"):
            # a batch-only group has no register members
            if ";".join(g[key]) != w[key]:
                print("line %d %s: example %r, check %r" % (line, key, ";".join(g[key]), w[key]))
                bad += 1
        if g["reason"] != w["reason"]:
            print("line %d: example says %s, check says %s" % (line, g["reason"], w["reason"]))
            bad += 1
        matched += g["n"] > 0
    print("example_check: %d records, %d with register matches, %d differences" % (len(got), matched, bad))
    return 1 if bad or matched == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
