#!/usr/bin/env python3
"""check_suspects — `xjdedup gen --suspects`: typing slips with known truth,
and a scanner's suspect_duplicate rows against it (docs/suspects.md,
docs/generator.md "Suspected duplicates").

usage: check_suspects.py XJDEDUP WORKDIR [--rows N] [--seed S] [--suspects K]
                         [--run-date D] [--school-size N] [--messy] [--encoding gbk]
                         [--oracle XJREF | --engine XJDEDUP2]

XJDEDUP generates (with --threads 1 and 2: the file and its truth must be
byte-identical). Then, with the independent reading of rules §3-§4 in
xjcheck.py (not the generator's code):

  file      — the rows after the base population are the truth's records, in
              order: the same student number, school, ID, name, sex and birth
              date once normalized (noise included).
  structure — every group: its key is its B members' ID, valid (rules §4
              checks 1-5), its group_id XXH3-64 of suspect_duplicate NUL key,
              every A member's ID has GB shape, a wrong check character and is
              one slip from the key, A and B share name, sex and birth date,
              size and scope are the members'; every slip listed is the one
              between its two IDs; every negative instance has no one-slip
              pair of equal attributes with a valid B, and the one-slip pair
              each trap needs (other name, birth date or sex; a B failing
              check 3 or 4; two wrong check characters) is there.
  counts    — at least K of every kind; substitutions at each position 1-18
              and swaps at each 1-17; A reasons region, birthdate and checksum;
              slips in the region and in the birth-date digits; groups of three
              or more; an A in two groups; Bs with a mismatch or id_changed.
  scan      — the reference (XJREF_ALL=1 python3 XJREF scan, the default) or,
              with --engine, `XJDEDUP2 scan`: its suspect_duplicate rows are
              exactly the truth's (group_id, member, reason, hint, size, scope,
              arbiter, empty keeper, other_schools, other_members, status,
              first_seen), nothing else is flagged, every A keeps its
              id_invalid row, summary.json counts them, the per-school files
              call them 疑似重复学籍, the engine writes the same bytes with 1 and
              2 threads, and with --no-suspects the same scan writes
              the same problems.csv without them.
"""
import argparse
import collections
import csv
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xjcheck  # noqa: E402

COLS = xjcheck.GEN_COLUMNS
TRAPS = {"diff_name": "name", "diff_birth": "birth", "diff_sex": "sex", "twins_typo": "name"}

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 40:
        print("FAIL:", msg)


def one_slip(a, b):
    """(op, position) when b becomes a by one substitution or one adjacent swap, else None."""
    at = [i for i in range(18) if a[i] != b[i]]
    if len(at) == 1:
        return ("substitution", at[0] + 1)
    if len(at) == 2 and at[1] == at[0] + 1 and a[at[0]] == b[at[1]] and a[at[1]] == b[at[0]]:
        return ("swap", at[0] + 1)
    return None


def reason_1_5(rec, run_date):
    return xjcheck.gb_reason(rec["id"], run_date, type9=rec["id_type"] == "9")


def wrong_check(rec):
    n = rec["id"]
    return xjcheck.GB_RE.match(n) is not None and xjcheck.check_char(n[:17]) != n[17]


def attrs(rec):
    return (rec["name"], rec["sex"], rec["birth_date"])


def scope_of(members):
    schools = {m["school_code"] for m in members}
    if len(schools) == 1:
        return "school"
    if len({m["county_code"] for m in members}) == 1:
        return "county"
    if len({m["county_code"][:4] for m in members}) == 1:
        return "city"
    return "province" if len({m["school_code"][2:4] for m in members}) == 1 else "national"


# ---------------------------------------------------------------- generate

def generate(args):
    os.makedirs(args.workdir, exist_ok=True)
    paths = []
    for t in (1, 2):
        path = os.path.join(args.workdir, "t%d" % t, "pop.csv")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cmd = [args.xjdedup, "gen", "-q", "--rows", str(args.rows), "--seed", str(args.seed), "--run-date",
               args.run_date, "--suspects", str(args.suspects), "--school-size", str(args.school_size),
               "--threads", str(t), "--encoding", args.encoding, "-o", path] + (["--messy"] if args.messy else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print("gen failed: %s\n%s" % (" ".join(cmd), r.stderr))
            sys.exit(1)
        paths.append(path)
    for suffix in ("", ".suspects.json"):
        with open(paths[0] + suffix, "rb") as a, open(paths[1] + suffix, "rb") as b:
            if a.read() != b.read():
                fail("pop.csv%s differs between --threads 1 and 2" % suffix)
    with open(paths[0] + ".suspects.json", encoding="utf-8") as f:
        return paths[0], json.load(f)


# ---------------------------------------------------------------- the truth against the file

def check_file(path, truth, encoding):
    recs = list(xjcheck.read_records(path, encoding))
    planted = truth["records"]
    if truth["appended_rows"] != len(planted) or len(recs) < len(planted):
        fail("appended_rows %d, %d records listed, %d rows in the file" %
             (truth["appended_rows"], len(planted), len(recs)))
        return
    tail = recs[len(recs) - len(planted):]
    for want, (line, header, row) in zip(planted, tail):
        v = dict(zip(header, row))
        name, sex, birth = xjcheck.attr_key(v[COLS["name"]], v[COLS["sex"]], v[COLS["birth"]])
        got = (v[COLS["sno"]], v[COLS["school"]], v[COLS["county"]], xjcheck.norm_id(v[COLS["id"]]),
               xjcheck.id_type(v[COLS["type"]]), name, str(sex), "%08d" % birth)
        exp = (want["student_no"], want["school_code"], want["county_code"], want["id"], want["id_type"],
               want["name"], want["sex"], want["birth_date"])
        if got != exp:
            fail("record %d (line %d) is %s in the file, %s in the truth" % (want["record"], line, got, exp))


# ---------------------------------------------------------------- structure

def check_groups(truth, run_date):
    recs = truth["records"]
    groups_of = collections.defaultdict(list)
    for g in truth["groups"]:
        where = "%s #%d (%s)" % (g["kind"], g["instance"], g["key"])
        ms = [recs[m["record"]] for m in g["members"]]
        for m in g["members"]:
            groups_of[m["record"]].append(g["group_id"])
        a_side = [r for r, m in zip(ms, g["members"]) if m["role"] == "A"]
        b_side = [r for r, m in zip(ms, g["members"]) if m["role"] == "B"]
        if not a_side or not b_side:
            fail("%s: needs an A and a B" % where)
            continue
        if g["group_id"] != xjcheck.group_id("suspect_duplicate", g["key"]):
            fail("%s: group_id %s is not XXH3-64 of suspect_duplicate NUL key" % (where, g["group_id"]))
        if g["group_size"] != len(ms) or len({m["record"] for m in g["members"]}) != len(ms):
            fail("%s: group_size %d, %d members" % (where, g["group_size"], len(ms)))
        if g["scope"] != scope_of(ms) or g["arbiter"] != {"national": "ministry"}.get(g["scope"], g["scope"]):
            fail("%s: scope %s/%s, members say %s" % (where, g["scope"], g["arbiter"], scope_of(ms)))
        for b in b_side:
            if b["id"] != g["key"] or reason_1_5(b, run_date) != "ok" or b["role"] != "B":
                fail("%s: B %s does not hold a valid key (%s)" % (where, b["id"], reason_1_5(b, run_date)))
            if attrs(b) != attrs(a_side[0]):
                fail("%s: B %s has other name, sex or birth date than the A" % (where, b["student_no"]))
        for a in a_side:
            if not wrong_check(a) or a["role"] != "A" or a["id_invalid"] != reason_1_5(a, run_date):
                fail("%s: A %s has no wrong check character (or the reason %s is not %s)" %
                     (where, a["id"], a["id_invalid"], reason_1_5(a, run_date)))
            if one_slip(a["id"], g["key"]) is None:
                fail("%s: A %s is not one slip from %s" % (where, a["id"], g["key"]))
            if attrs(a) != attrs(b_side[0]):
                fail("%s: A %s has other attributes than the B" % (where, a["student_no"]))
        for m in g["members"]:
            want = ("id_typo", "correct_id") if m["role"] == "A" else ("", "keep")
            if (m["reason"], m["hint"]) != want or m["member"] != "%s@%s" % (
                    recs[m["record"]]["student_no"], recs[m["record"]]["school_code"]):
                fail("%s: member %s: %s" % (where, m["member"], m))
    for r in recs:  # every B's record reason is one a B may have (docs/suspects.md §1)
        if r["role"] == "B" and r["id_invalid"] not in ("", "birthdate_mismatch", "sex_mismatch", "id_changed"):
            fail("B %s: reason %s" % (r["student_no"], r["id_invalid"]))
    return groups_of


def check_slips(truth):
    recs = truth["records"]
    for s in truth["slips"]:
        got = one_slip(recs[s["a"]]["id"], recs[s["b"]]["id"])
        if got != (s["op"], s["position"]):
            fail("%s #%d: the slip from %s to %s is %s, the truth says %s %d" %
                 (s["kind"], s["instance"], recs[s["b"]]["id"], recs[s["a"]]["id"], got, s["op"], s["position"]))


def pairs_of(rs):
    """every (a, b, slip) of a negative instance: a with a wrong check character one slip from b"""
    for a in rs:
        for b in rs:
            if a is not b and wrong_check(a):
                s = one_slip(a["id"], b["id"])
                if s:
                    yield a, b, s


def check_negatives(truth, run_date):
    recs = truth["records"]
    for neg in truth["negatives"]:
        where = "%s #%d" % (neg["kind"], neg["instance"])
        rs = [recs[i] for i in neg["records"]]
        pairs = list(pairs_of(rs))
        for a, b, _ in pairs:
            if reason_1_5(b, run_date) == "ok" and attrs(a) == attrs(b):
                fail("%s: %s is one slip from %s with the same name, sex and birth date" % (where, a["id"], b["id"]))
        k = neg["kind"]
        if k in TRAPS:
            field = {"name": 0, "sex": 1, "birth": 2}[TRAPS[k]]
            if not any(reason_1_5(b, run_date) == "ok" and attrs(a)[field] != attrs(b)[field] and
                       sum(x != y for x, y in zip(attrs(a), attrs(b))) == 1 for a, b, _ in pairs):
                fail("%s: no one-slip pair that differs in the %s alone" % (where, TRAPS[k]))
        elif k == "b_not_valid":
            if not any(attrs(a) == attrs(b) and reason_1_5(b, run_date) in ("region", "birthdate") for a, b, _ in pairs):
                fail("%s: no one-slip pair whose B fails check 3 or 4" % where)
        elif k == "both_typo":
            if not any(attrs(a) == attrs(b) and wrong_check(b) for a, b, _ in pairs):
                fail("%s: no one-slip pair of two wrong check characters" % where)
        elif k == "namesakes":
            same = [r for r in rs if attrs(r) == attrs(rs[0])]
            valid = [r for r in same if reason_1_5(r, run_date) == "ok"]
            if len(same) != len(rs) or len(valid) < 3 or not any(wrong_check(r) for r in same):
                fail("%s: not 3+ namesakes with valid IDs and one with a wrong check character" % where)
        elif k == "twins":
            a, b = rs
            seq = abs(int(a["id"][14:17]) - int(b["id"][14:17]))
            if not (a["id"][:14] == b["id"][:14] and seq in (1, 2) and a["name"] != b["name"] and
                    a["birth_date"] == b["birth_date"] and a["school_code"] == b["school_code"] and
                    reason_1_5(a, run_date) == reason_1_5(b, run_date) == "ok"):
                fail("%s: not twins with consecutive sequence numbers: %s %s" % (where, a, b))


def check_counts(truth, groups_of, k):
    kinds = collections.Counter(g["kind"] for g in truth["groups"]) + \
        collections.Counter(n["kind"] for n in truth["negatives"])
    for kd in truth["kinds"]:
        want = 2 * k if kd["kind"] == "two_groups" else k
        if kinds[kd["kind"]] < want:
            fail("the truth has %d of %s (at least %d wanted)" % (kinds[kd["kind"]], kd["kind"], want))
    recs = truth["records"]
    positive = [s for s in truth["slips"] if not any(kd["kind"] == s["kind"] and kd["negative"] for kd in truth["kinds"])]
    subs = collections.Counter(s["position"] for s in positive if s["op"] == "substitution")
    swaps = collections.Counter(s["position"] for s in positive if s["op"] == "swap")
    for p in range(1, 19):
        if subs[p] < k:
            fail("only %d substitutions at position %d" % (subs[p], p))
    for p in range(1, 18):
        if swaps[p] < k:
            fail("only %d swaps at positions %d-%d" % (swaps[p], p, p + 1))
    region = sum(1 for s in positive if s["position"] <= 6)
    birth = sum(1 for s in positive if 7 <= s["position"] <= 14 or (s["op"] == "swap" and s["position"] == 6))
    a_reasons = collections.Counter(r["id_invalid"] for r in recs if r["role"] == "A")
    b_reasons = collections.Counter(r["id_invalid"] for r in recs if r["role"] == "B")
    sizes = collections.Counter(g["group_size"] for g in truth["groups"])
    twice = sum(1 for v in groups_of.values() if len(v) >= 2)
    type9 = sum(1 for g in truth["groups"] if g["key"].startswith("9"))
    need = {"slips in the region digits": region, "slips in the birth-date digits": birth,
            "A with reason region": a_reasons["region"], "A with reason birthdate": a_reasons["birthdate"],
            "A with reason checksum": a_reasons["checksum"], "B with sex_mismatch": b_reasons["sex_mismatch"],
            "B with birthdate_mismatch": b_reasons["birthdate_mismatch"], "B with id_changed": b_reasons["id_changed"],
            "groups of three": sizes[3], "A in two groups": twice, "type 9 groups": type9}
    for what, n in need.items():
        if n < k:
            fail("the truth has only %d %s (at least %d wanted)" % (n, what, k))
    print("truth: %d groups (%s), %d negatives, %d records; A reasons %s; scopes %s" %
          (len(truth["groups"]), dict(sorted(sizes.items())), len(truth["negatives"]), len(recs),
           dict(a_reasons), dict(collections.Counter(g["scope"] for g in truth["groups"]))))


# ---------------------------------------------------------------- scan

def run_scan(args, path, out, extra=()):
    shutil.rmtree(out, ignore_errors=True)
    if args.engine:
        cmd = [args.engine, "scan", "-q", path, "-o", out]
        env = dict(os.environ)
    else:
        cmd = [sys.executable, args.oracle, "scan", path, "-o", out]
        env = dict(os.environ, XJREF_ALL="1")
    cmd += ["--run-date", args.run_date, "--encoding", args.encoding] + list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print("scan failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-3000:]))
        sys.exit(1)


def read_problems(out):
    with open(os.path.join(out, "problems.csv"), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def expected_rows(truth):
    recs = truth["records"]
    want = collections.Counter()
    for g in truth["groups"]:
        for m in g["members"]:
            others = [o for o in g["members"] if o is not m]
            schools = sorted({recs[o["record"]]["school_code"] for o in others} - {recs[m["record"]]["school_code"]})
            names = sorted((o["member"] for o in others), key=lambda s: s.encode())
            want[(g["group_id"], m["member"], m["reason"], m["hint"], str(g["group_size"]), g["scope"],
                  g["arbiter"], "", ";".join(schools), ";".join(names[:20]) + (";+%d" % (len(names) - 20)
                                                                          if len(names) > 20 else ""),
                  "new", truth["run_date"])] += 1
    return want


def got_rows(rows):
    got = collections.Counter()
    for r in rows:
        if r["problem"] == "suspect_duplicate":
            got[(r["group_id"], "%s@%s" % (r[COLS["sno"]].strip(), r[COLS["school"]].strip()), r["reason"],
                 r["hint"], r["group_size"], r["scope"], r["arbiter"], r["keeper"], r["other_schools"],
                 r["other_members"], r["status"], r["first_seen"])] += 1
    return got


def check_scan(args, path, truth):
    out = os.path.join(args.workdir, "scan")
    run_scan(args, path, out)
    rows = read_problems(out)
    want, got = expected_rows(truth), got_rows(rows)
    for row in sorted((want - got).elements())[:10]:
        fail("scan: missing suspect_duplicate row %s" % (row,))
    for row in sorted((got - want).elements())[:10]:
        fail("scan: unexpected suspect_duplicate row %s" % (row,))
    # every planted record keeps its id_invalid row (docs/suspects.md §5)
    inv_want = collections.Counter(("%s@%s" % (r["student_no"], r["school_code"]), r["id_invalid"])
                                   for r in truth["records"] if r["id_invalid"])
    planted = {m for m, _ in inv_want}
    inv_got = collections.Counter(("%s@%s" % (r[COLS["sno"]].strip(), r[COLS["school"]].strip()), r["reason"])
                                  for r in rows if r["problem"] == "id_invalid")
    inv_got = collections.Counter({k: v for k, v in inv_got.items() if k[0] in planted})
    if inv_got != inv_want:
        fail("scan: the planted records' id_invalid rows differ: missing %s, unexpected %s" %
             (sorted((inv_want - inv_got).elements())[:5], sorted((inv_got - inv_want).elements())[:5]))
    # problems.csv's order: suspect_duplicate after id_invalid within a school
    order = [(r[COLS["school"]].encode(), r["problem"].encode()) for r in rows]
    if order != sorted(order):
        fail("scan: problems.csv is not sorted by school, then problem")
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    s = summary.get("problems", {}).get("suspect_duplicate", {})
    n_a = sum(1 for g in truth["groups"] for m in g["members"] if m["role"] == "A")
    want_s = {"records": sum(want.values()), "groups": len(truth["groups"]), "reasons": {"id_typo": n_a}}
    if {k: s.get(k) for k in want_s} != want_s or summary.get("options", {}).get("suspects") is not True:
        fail("scan: summary.json's suspect_duplicate is %s (options %s), want %s" %
             (s, summary.get("options"), want_s))
    per_school = collections.Counter(r[COLS["school"]] for r in rows if r["problem"] == "suspect_duplicate")
    for school, n in sorted(per_school.items())[:50]:
        with open(os.path.join(out, "schools", school[2:4], school + ".csv"), encoding="utf-8-sig") as f:
            zh = sum(1 for r in csv.reader(f) if r and r[0] == "疑似重复学籍")
        if zh != n:
            fail("scan: schools/%s/%s.csv has %d rows 疑似重复学籍, problems.csv %d" % (school[2:4], school, zh, n))
    # --no-suspects: the same problems.csv without them
    off = os.path.join(args.workdir, "scan_off")
    run_scan(args, path, off, ["--no-suspects"])
    with open(os.path.join(out, "problems.csv"), "rb") as f:
        kept = [ln for ln in f.read().split(b"\n") if not ln.startswith(b"suspect_duplicate,")]
    with open(os.path.join(off, "problems.csv"), "rb") as f:
        if f.read().split(b"\n") != kept:
            fail("scan --no-suspects: problems.csv is not the default one without its suspect_duplicate rows")
    if args.engine:
        # the same bytes with 1 and with 2 threads (summary.json's timing aside)
        outs = {}
        for t in ("1", "2"):
            outs[t] = os.path.join(args.workdir, "scan_t" + t)
            run_scan(args, path, outs[t], ["-t", t])
        for name in ("problems.csv", "report.html", "schools/README.txt"):
            with open(os.path.join(outs["1"], name), "rb") as a, open(os.path.join(outs["2"], name), "rb") as b:
                if a.read() != b.read():
                    fail("scan: %s differs between -t 1 and -t 2" % name)
        timeless = []
        for t in ("1", "2"):
            with open(os.path.join(outs[t], "summary.json"), encoding="utf-8") as f:
                d = json.load(f)
            d.pop("timing", None)
            timeless.append(d)
        if timeless[0] != timeless[1]:
            fail("scan: summary.json differs between -t 1 and -t 2")
    print("scan (%s): %d suspect_duplicate rows, %d expected" %
          ("engine" if args.engine else "reference", sum(got.values()), sum(want.values())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("xjdedup")
    ap.add_argument("workdir")
    ap.add_argument("--rows", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--suspects", type=int, default=4)
    ap.add_argument("--run-date", default="2026-11-28")
    ap.add_argument("--school-size", type=int, default=120)
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--encoding", default="utf-8")
    ap.add_argument("--oracle", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     "..", "oracle", "xjref.py"))
    ap.add_argument("--engine", help="scan with this xjdedup instead of the reference")
    args = ap.parse_args()
    run_date = int(args.run_date.replace("-", ""))
    path, truth = generate(args)
    check_file(path, truth, args.encoding)
    groups_of = check_groups(truth, run_date)
    check_slips(truth)
    check_negatives(truth, run_date)
    check_counts(truth, groups_of, args.suspects)
    check_scan(args, path, truth)
    if failures:
        print("%d failures" % len(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
