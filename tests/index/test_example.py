#!/usr/bin/env python3
"""tools/example_check (the public xj_index API, one record at a time)
answers what `xjdedup check` answers for the same batch.

usage: test_example.py EXAMPLE_CHECK XJDEDUP WORKDIR

For every batch record: the register records example_check reports as
"same ID" are the register members of the record's id_duplicate group in
check's output, and the "same name, sex, birth date" ones those of its
attr_duplicate group (student_no@school_code, register order); its ID
verdict is check's id_invalid reason (or valid). The register records it
reports as "already registered" (its own student number and school code)
are in neither group: the first of them is the one check's
already_registered.csv lists for the record, and check lists exactly the
records example_check finds registered. The batch repeats some register
rows, so there are such records.
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
    body = body[:cut] + body[cut:] + body[100:130]  # 30 register rows sent again in the batch
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

    registered = {}  # batch line -> "source:line" of its first register copy
    with open(j("out", "already_registered.csv"), encoding="utf-8") as f:
        for r in csv.DictReader(f):
            registered[int(r["line"])] = "%s:%s" % (r["register_source"], r["register_line"])

    idx = [header.index(k) for k in FIELDS]
    tsv = "".join("\t".join(r[i] for i in idx) + "\n" for r in body[cut:])
    out = subprocess.run([example, j("reg.xji"), RUN_DATE], input=tsv, capture_output=True, text=True, check=True)
    got, cur = {}, None
    for line in out.stdout.splitlines():
        m = re.match(r"^(\d+): \S*: ID (\S+), (\d+) register match", line)
        if m:
            cur = int(m.group(1)) + 1  # TSV line n is CSV line n + 1 (header)
            got[cur] = {"id": [], "attr": [], "reg": [], "reason": m.group(2), "n": int(m.group(3))}
            continue
        m = re.match(r"^    (same ID:|same name, sex, birth date:|already registered:) (\S+) at school (\S+) "
                     r".* from (\S+) line (\d+)", line)
        if m and cur:
            if m.group(1) == "already registered:":
                got[cur]["reg"].append("%s:%s" % (m.group(4), m.group(5)))
            else:
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
        first_copy = g["reg"][0] if g["reg"] else None
        if first_copy != registered.get(line):
            print("line %d: example finds it registered as %r, check's already_registered.csv says %r" %
                  (line, g["reg"], registered.get(line)))
            bad += 1
        if g["reason"] != w["reason"]:
            print("line %d: example says %s, check says %s" % (line, g["reason"], w["reason"]))
            bad += 1
        matched += g["n"] > 0
    print("example_check: %d records, %d with register matches, %d already registered, %d differences" %
          (len(got), matched, len(registered), bad))
    return 1 if bad or matched == 0 or len(registered) < 30 else 0


if __name__ == "__main__":
    sys.exit(main())
