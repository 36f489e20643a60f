#!/usr/bin/env python3
"""check_truth — end to end: what `xjdedup gen` injected, `xjdedup scan` finds.

usage:
  check_truth.py run XJDEDUP WORKDIR [--rows N] [--seed S] [--attr-scope mixed]
                 [other gen options...]
      generate with --truth, scan with the same --run-date, then compare;
  check_truth.py compare --input CSV --truth TRUTH --out SCANDIR
                 [--attr-scope mixed] [--encoding gbk]
      compare an existing scan output with a truth file.

How a finding is judged (the generator only knows what it created; two real
students may share a name, sex and birth date, and that is not a bug):

  id_invalid  — every truth `invalid` record (by line) must be reported with
                exactly its intended reason; a reported id_invalid record the
                truth does not list is a failure: the generator never makes an
                invalid ID by accident, so there are no natural ones.
  groups      — for every truth group (skipping `mixed` groups unless the scan
                ran with --attr-scope mixed): every member line must be
                reported with the group's problem, all under one group_id, and
                that group must contain all the truth members. The reported
                group may have more members than the truth only when each
                extra member genuinely shares the group's key, recomputed here
                from the record's own columns with an independent reading of
                rules §3 (xjcheck): the normalized ID for id_duplicate, the
                normalized (name, sex, birth date) for attr_duplicate. When no
                extra member joined, group_size and scope must equal the
                truth's. attr_duplicate members with an ID must carry reason
                `mixed`, the others no reason.
  extra groups — a reported group that contains no truth member is a natural
                collision if all its members share the recomputed key (and,
                for attr_duplicate without --attr-scope mixed, none has an
                ID); anything else is a failure. Natural groups are counted and
                printed.
  rejects     — every truth `malformed` line must be in rejects.csv with error
                field_count, and nothing else may be rejected.
"""
import argparse
import collections
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xjcheck  # noqa: E402

RUN_DATE = "2026-11-28"
GROUP_COLS = ["problem", "reason", "group_id", "group_size", "scope", "arbiter", "keeper",
              "hint", "other_schools", "other_members", "status", "first_seen", "source", "line"]


def key_of(problem, rec):
    if problem == "id_duplicate":
        return xjcheck.id_key(rec["身份证件号"], xjcheck.id_type(rec.get("身份证件类型", "")))
    return xjcheck.attr_key(rec["姓名"], rec["性别"], rec["出生日期"])


def has_id(rec):
    return xjcheck.norm_id(rec["身份证件号"]) != ""


def compare(input_path, truth_path, out_dir, mixed, encoding):
    fails = []
    truth = xjcheck.read_truth(truth_path)

    # the scan's findings
    with open(os.path.join(out_dir, "problems.csv"), encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[:len(GROUP_COLS)] != GROUP_COLS:
            return [f"problems.csv header starts {header[:len(GROUP_COLS)]}"], {}
        found = [dict(zip(header, r)) for r in reader]
    invalid_found = {}
    groups = collections.defaultdict(list)          # (problem, group_id) -> rows
    by_line = collections.defaultdict(dict)         # problem -> line -> row
    for r in found:
        line = int(r["line"])
        if r["problem"] == "id_invalid":
            if line in invalid_found:
                fails.append(f"line {line} reported id_invalid twice")
            invalid_found[line] = r["reason"]
        else:
            groups[(r["problem"], r["group_id"])].append(r)
            if line in by_line[r["problem"]]:
                fails.append(f"line {line} reported twice as {r['problem']}")
            by_line[r["problem"]][line] = r

    # 1. invalid IDs
    invalid_truth = {int(t["line"]): t["reason"] for t in truth if t["record"] == "invalid"}
    for line, reason in sorted(invalid_truth.items()):
        got = invalid_found.get(line)
        if got != reason:
            fails.append(f"invalid line {line}: intended {reason}, scan says {got}")
    for line in sorted(set(invalid_found) - set(invalid_truth)):
        fails.append(f"line {line}: id_invalid {invalid_found[line]} was not injected")

    # 2. injected groups
    tgroups = collections.defaultdict(list)
    for t in truth:
        if t["record"] == "member":
            tgroups[t["group"]].append(t)
    matched = set()
    counts = collections.Counter()
    for gno, members in tgroups.items():
        problem = members[0]["problem"]
        is_mixed = any(m["reason"] == "mixed" for m in members)
        if is_mixed and not mixed:
            counts["mixed groups skipped (scan without --attr-scope mixed)"] += 1
            continue
        counts[problem + " groups injected"] += 1
        lines = [int(m["line"]) for m in members]
        rows = [by_line[problem].get(line) for line in lines]
        missing = [line for line, r in zip(lines, rows) if r is None]
        if missing:
            fails.append(f"truth group {gno} ({problem}, {members[0]['scope']}): lines {missing} not reported")
            continue
        gids = {r["group_id"] for r in rows}
        if len(gids) != 1:
            fails.append(f"truth group {gno}: members split over groups {sorted(gids)}")
            continue
        gid = gids.pop()
        matched.add((problem, gid))
        got = groups[(problem, gid)]
        extra = [r for r in got if int(r["line"]) not in set(lines)]
        key = key_of(problem, rows[0])
        for r in rows:
            if key_of(problem, r) != key:
                fails.append(f"truth group {gno}: line {r['line']} does not share the key {key}")
        for r in extra:
            if key_of(problem, r) != key:
                fails.append(f"truth group {gno}: extra member line {r['line']} has another key")
            counts["natural extra members"] += 1
        for r in got:
            if r["group_size"] != str(len(got)):
                fails.append(f"group {gid}: group_size {r['group_size']} but {len(got)} rows")
            if problem == "attr_duplicate":
                want = "mixed" if has_id(r) else ""
                if r["reason"] != want:
                    fails.append(f"line {r['line']}: attr reason {r['reason']!r}, expected {want!r}")
        if not extra:
            for r in got:
                if r["scope"] != members[0]["scope"]:
                    fails.append(f"truth group {gno}: scope {r['scope']}, intended {members[0]['scope']}")
                    break

    # 3. groups nobody injected: natural collisions only
    for (problem, gid), rows in sorted(groups.items()):
        if (problem, gid) in matched:
            continue
        keys = {key_of(problem, r) for r in rows}
        if len(keys) != 1 or None in keys:
            fails.append(f"{problem} group {gid} (lines {[r['line'] for r in rows]}) was not injected "
                         f"and its members do not share a key")
        elif problem == "attr_duplicate" and not mixed and any(has_id(r) for r in rows):
            fails.append(f"attr group {gid} has a member with an ID without --attr-scope mixed")
        else:
            counts["natural " + problem + " groups"] += 1

    # 4. rejects
    malformed = {int(t["line"]) for t in truth if t["record"] == "malformed"}
    with open(os.path.join(out_dir, "rejects.csv"), encoding="utf-8", newline="") as f:
        rejects = {int(r["line"]): r["error"] for r in csv.DictReader(f)}
    for line in sorted(malformed):
        if rejects.get(line) != "field_count":
            fails.append(f"malformed line {line}: rejects.csv says {rejects.get(line)}")
    for line in sorted(set(rejects) - malformed):
        fails.append(f"line {line} rejected ({rejects[line]}) but not injected as malformed")

    counts["invalid injected"] = len(invalid_truth)
    counts["malformed injected"] = len(malformed)
    return fails, counts


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        ap = argparse.ArgumentParser()
        ap.add_argument("--input", required=True)
        ap.add_argument("--truth", required=True)
        ap.add_argument("--out", required=True)
        ap.add_argument("--attr-scope", default="noid")
        ap.add_argument("--encoding", default="utf-8")
        a = ap.parse_args(sys.argv[2:])
        fails, counts = compare(a.input, a.truth, a.out, a.attr_scope == "mixed", a.encoding)
    elif len(sys.argv) > 3 and sys.argv[1] == "run":
        exe, work = sys.argv[2], sys.argv[3]
        rest = sys.argv[4:]
        rows, seed, mixed, encoding, gen_extra, scan_extra = "1000000", "11", False, "utf-8", [], []
        i = 0
        while i < len(rest):
            o = rest[i]
            if o == "--rows": rows = rest[i + 1]; i += 2
            elif o == "--seed": seed = rest[i + 1]; i += 2
            elif o == "--attr-scope": mixed = rest[i + 1] == "mixed"; scan_extra += rest[i:i + 2]; i += 2
            elif o == "--encoding": encoding = rest[i + 1]; gen_extra += rest[i:i + 2]; scan_extra += rest[i:i + 2]; i += 2
            else: gen_extra.append(o); i += 1
        os.makedirs(work, exist_ok=True)
        inp = os.path.join(work, "pop.csv.zst" if "--zst" in gen_extra else "pop.csv")
        gen_extra = [x for x in gen_extra if x != "--zst"]
        truth = os.path.join(work, "pop.truth")
        out = os.path.join(work, "scan")
        subprocess.run([exe, "gen", "--rows", rows, "--seed", seed, "-o", inp, "--truth", truth,
                        "--run-date", RUN_DATE] + gen_extra, check=True)
        p = subprocess.run([exe, "scan", inp, "-o", out, "--force", "--run-date", RUN_DATE] + scan_extra)
        if p.returncode not in (0, 1):
            print(f"FAIL: xjdedup scan exited {p.returncode}")
            return 1
        fails, counts = compare(inp, truth, out, mixed, encoding)
    else:
        print(__doc__)
        return 2
    for k, v in sorted(counts.items()):
        print(f"{k}: {v}")
    for f in fails[:40]:
        print("FAIL", f)
    if fails:
        print(f"{len(fails)} failures")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
