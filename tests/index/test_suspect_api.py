#!/usr/bin/env python3
"""Suspected duplicates against a register (issue 17,
docs/suspects.md): tools/example_check asks xj_index_checkRecord about one
record at a time and must name, for a record typed with a mistyped ID, the
register records that hold the valid number ("did you mean ..."), and for a
record with a valid ID, the register's mistyped copies of it.

usage: test_suspect_api.py EXAMPLE_CHECK XJDEDUP WORKDIR

A population with planted typing slips (`xjdedup gen --suspects`, whose
truth lists every suspect group with its A and B members) is split: of
every second group the As go to the batch and the rest to the register, of
the others the Bs. The expected answer for a batch record is every register
record that shares a truth group with it in the other role; nothing else may
be reported as a suspect (the generator's look-alikes stay in the register).
Then `xjdedup check` of that batch against the index writes what the
reference's check writes (tests/index/compare_check.py oracle), with suspect
rows of both directions.
"""
import collections
import csv
import json
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
    run(xj, "gen", "--rows", "4000", "--seed", "11", "--suspects", "2", "--run-date", RUN_DATE, "-o", j("pop.csv"),
        "-q")
    with open(j("pop.csv.suspects.json"), encoding="utf-8") as f:
        truth = json.load(f)
    with open(j("pop.csv"), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    sno, school, idn = (header.index(k) for k in ("学籍号", "学校标识码", "身份证件号"))
    ident = lambda r: "%s@%s" % (r[sno].strip(), r[school].strip())  # noqa: E731
    by_ident = {ident(r): r for r in body}

    to_batch = set()
    for k, g in enumerate(truth["groups"]):
        role = "A" if k % 2 == 0 else "B"
        to_batch.update(m["member"] for m in g["members"] if m["role"] == role)
    # a record in two groups may be wanted in the batch by one and in the register by the other: the batch wins
    batch = [r for r in body if ident(r) in to_batch]
    register = [r for r in body if ident(r) not in to_batch]
    for name, part in (("reg.csv", register), ("batch.csv", batch)):
        with open(j(name), "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows([header] + part)
    run(xj, "index", "build", j("reg.csv"), "-o", j("reg.xji"), "--run-date", RUN_DATE, "-q")

    want = collections.defaultdict(set)  # batch member -> {(register member, its ID)}
    for g in truth["groups"]:
        for a in g["members"]:
            if a["member"] not in to_batch:
                continue
            for b in g["members"]:
                if b["role"] != a["role"] and b["member"] not in to_batch:
                    want[a["member"]].add((b["member"], by_ident[b["member"]][idn].strip()))

    idx = [header.index(k) for k in FIELDS]
    tsv = "".join("\t".join(r[i] for i in idx) + "\n" for r in batch)
    out = subprocess.run([example, j("reg.xji"), RUN_DATE], input=tsv, capture_output=True, text=True, check=True)
    got, cur = collections.defaultdict(set), None
    kinds = collections.Counter()
    for line in out.stdout.splitlines():
        m = re.match(r"^(\d+): ", line)
        if m:
            cur = ident(batch[int(m.group(1)) - 1])
            continue
        m = re.match(r"^    (did you mean|mistyped copy of this ID:) (\S+) \((.*), (\S+) at school (\S+)\), from", line)
        if m and cur:
            got[cur].add(("%s@%s" % (m.group(4), m.group(5)), m.group(2)))
            kinds[m.group(1)] += 1
    fails = [f"{k}: example_check names {sorted(got.get(k, ()))}, the truth {sorted(want.get(k, ()))}"
             for k in sorted(set(want) | set(got)) if got.get(k, set()) != want.get(k, set())]
    for f in fails[:20]:
        print("FAIL", f)
    n_pairs = sum(len(v) for v in want.values())

    # `xjdedup check` of the same batch (both directions: the batch's As with
    # the register's Bs through the batch's slipped numbers, the register's As
    # through the index's KEYS_SLIP) is what the reference's check writes
    here = os.path.dirname(os.path.abspath(__file__))
    oracle = os.path.join(here, "..", "oracle", "xjref.py")
    subprocess.run([xj, "check", j("batch.csv"), "--against", j("reg.xji"), "-o", j("check"), "--run-date",
                    RUN_DATE, "-q"], check=True)
    subprocess.run([sys.executable, oracle, "check", j("batch.csv"), "--register", j("reg.csv"), "--index-name",
                    "reg.xji", "--register-attr-scope", "noid", "-o", j("ref"), "--run-date", RUN_DATE], check=True)
    cmp = subprocess.run([sys.executable, os.path.join(here, "compare_check.py"), "oracle", j("check"), j("ref")],
                         capture_output=True, text=True)
    if cmp.returncode != 0:
        fails.append("check != the reference's check:\n" + cmp.stdout[-2000:])
    with open(j("check", "problems.csv"), encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["problem"] == "suspect_duplicate"]
    typo = sum(r["reason"] == "id_typo" for r in rows)
    if typo == 0 or typo == len(rows):
        fails.append("check: %d suspect rows, %d of them id_typo: both directions must occur" % (len(rows), typo))
    print("check: %d suspect_duplicate rows (%d id_typo), as the reference" % (len(rows), typo))
    if kinds["did you mean"] == 0 or kinds["mistyped copy of this ID:"] == 0:
        fails.append("both directions must occur: %s" % dict(kinds))
    print("suspect API: %d batch records, %d expected pairs (%s), %d failures" %
          (len(batch), n_pairs, dict(kinds), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
