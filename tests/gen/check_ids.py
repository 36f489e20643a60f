#!/usr/bin/env python3
"""check_ids — every generated ID is valid unless the truth says otherwise.

usage: check_ids.py XJDEDUP WORKDIR [--rows N] [--seed S] [gen options...]

Generates a population with a truth file (fixed --run-date), then checks
every record's ID number two ways:
  1. `xjdedup id --run-date D --type T` over all numbers of each type (stdin,
     one a line) must print `ok` for every record not injected invalid, and
     the intended reason for every injected one whose reason `xjdedup id` can
     see (format, legacy15, region, birthdate, checksum; for the two mismatch
     reasons the ID itself is valid, so `id` must print ok);
  2. an independent Python reading of rules §4 (xjcheck.record_reason), which
     also compares the ID with the record's birth date and sex, must give
     exactly the intended reason (or ok).
It also requires that every reason and every ID type was actually produced,
so a generator that silently stopped injecting something fails.
"""
import collections
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xjcheck  # noqa: E402

RUN_DATE = "2026-11-28"
ID_VISIBLE = {"format", "legacy15", "region", "birthdate", "checksum"}


def main():
    exe, work = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    rows, seed, encoding = "200000", "5", "utf-8"
    extra = []
    i = 0
    while i < len(rest):
        if rest[i] == "--rows":
            rows = rest[i + 1]; i += 2
        elif rest[i] == "--seed":
            seed = rest[i + 1]; i += 2
        else:
            if rest[i] == "--encoding":
                encoding = rest[i + 1]
            extra.append(rest[i]); i += 1
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "ids.csv")
    truth = os.path.join(work, "ids.truth")
    subprocess.run([exe, "gen", "--rows", rows, "--seed", seed, "-o", out, "--truth", truth,
                    "--run-date", RUN_DATE] + extra, check=True)
    run = int(RUN_DATE.replace("-", ""))

    intended = {}
    for t in xjcheck.read_truth(truth):
        if t["record"] == "invalid":
            intended[int(t["line"])] = t["reason"]
    malformed = {int(t["line"]) for t in xjcheck.read_truth(truth) if t["record"] == "malformed"}

    by_type = collections.defaultdict(list)   # type -> [(line, number)]
    failures = []
    seen_reasons = collections.Counter()
    seen_types = collections.Counter()
    for line, header, row in xjcheck.read_records(out, encoding):
        if line in malformed:
            continue
        if len(row) != len(header):
            failures.append(f"line {line}: {len(row)} fields, not in the truth as malformed")
            continue
        rec = dict(zip(header, row))
        typ = xjcheck.id_type(rec["身份证件类型"])
        number = rec["身份证件号"]
        want = intended.get(line, "ok")
        got = xjcheck.record_reason(number, typ, rec["性别"], rec["出生日期"], run)
        seen_reasons[want] += 1
        seen_types[(typ, want == "ok")] += 1
        if got != want:
            failures.append(f"line {line}: {number!r} type {typ}: python says {got}, intended {want}")
        if typ != "Z":
            by_type[typ].append((line, xjcheck.norm_id(number), want))

    checked = 0
    for typ, items in sorted(by_type.items()):
        data = "".join(n + "\n" for _, n, _ in items)
        p = subprocess.run([exe, "id", "--run-date", RUN_DATE, "--type", typ], input=data.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode not in (0, 1):
            failures.append(f"xjdedup id --type {typ} exited {p.returncode}: {p.stderr.decode()[:300]}")
            continue
        lines = p.stdout.decode().split("\n")[:-1]
        if len(lines) != len(items):
            failures.append(f"xjdedup id --type {typ}: {len(lines)} verdicts for {len(items)} numbers")
            continue
        for (line, n, want), out_line in zip(items, lines):
            verdict = out_line.rsplit("\t", 1)[-1]
            expect = want if want in ID_VISIBLE else "ok"
            checked += 1
            if verdict != expect:
                failures.append(f"line {line}: xjdedup id --type {typ} {n!r} says {verdict}, intended {expect}")

    need = ["ok", "format", "legacy15", "region", "birthdate", "checksum",
            "birthdate_mismatch", "sex_mismatch"]
    for r in need:
        if seen_reasons[r] == 0:
            failures.append(f"no record with intended reason {r} was generated")
    for typ in ("1", "Z", "8", "9", "A"):
        if seen_types[(typ, True)] == 0:
            failures.append(f"no valid record of type {typ}")
    for typ in ("8", "9", "A"):
        if seen_types[(typ, False)] == 0:
            failures.append(f"no invalid record of type {typ}")

    print(f"records by intended reason: {dict(seen_reasons)}")
    print(f"numbers checked with xjdedup id: {checked}")
    for f in failures[:30]:
        print("FAIL", f)
    if failures:
        print(f"{len(failures)} failures")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
