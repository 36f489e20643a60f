#!/usr/bin/env python3
"""check_monthly — the monthly cycle's counts (docs/monthly.md §7) where
people and programs read them: summary.json's "monthly" object, report.html's
monthly table and oldest unresolved groups, and the terminal summary.

usage: check_monthly.py XJDEDUP COUNTS_CASE WORKDIR

  hand-made (COUNTS_CASE = fixtures/monthly/counts; its README.md reasons
    the counts out and test_monthly.py holds summary.json to them): the
    report's table equals summary.json per province; the oldest groups of
    months 2 and 3 are the ones reasoned out below; the terminal block shows
    summary.json's per-problem counts and the unmatched decisions; a run
    without --previous or --decisions shows none of it.
  generated (`xjdedup gen --months 3`): each month's "monthly" equals a
    count of that run's own files
    (problems.csv by status, attested.csv, resolved.csv, decisions.csv,
    decisions_unmatched.csv, and the decisions lines read); the report's
    table equals summary.json and its oldest groups a computation from
    problems.csv. (tests/gen/check_months.py holds the same chain, run with
    -t 1 and -t 2, to byte-identical files and to the reference's "monthly".)
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_lib as rl  # noqa: E402

COUNTS = ["new", "persisting", "reopened", "resolved", "attested"]
PROBLEMS = ["attr_duplicate", "id_duplicate", "id_invalid", "suspect_duplicate"]
SHOWN = 10  # groups listed per province
fails = []


def fail(msg):
    fails.append(msg)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {r.returncode}\n{r.stderr.decode('utf-8', 'replace')}")
    return r.stdout.decode("utf-8")


def scan(xj, inp, out, date, *extra):
    shutil.rmtree(out, ignore_errors=True)
    return run([xj, "scan", inp, "-o", out, "--run-date", date, *extra])


def summary_of(out):
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def report_of(out):
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        return rl.read_report(f.read())


def table(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def province(code):
    return code[2:4] if len(code) == 10 and code.isascii() and code.isdigit() else "_invalid"


# ---- report.html ----------------------------------------------------------

def report_trend(rep):
    """The monthly table: {province: [new, persisting, reopened, resolved,
    attested]}, "all" the total row."""
    got = {}
    for attrs, cells in rep.rows:
        t = {c.get("data-trend"): rl.number(x) for c, x in cells if c.get("data-trend")}
        if t:
            got[attrs["data-province"]] = [t[k] for k in COUNTS]
    return got


def summary_trend(monthly):
    want = {p: [sum(v[q][k] for q in PROBLEMS) for k in COUNTS] for p, v in monthly["provinces"].items()}
    want["all"] = [sum(monthly["problems"][q][k] for q in PROBLEMS) for k in COUNTS]
    return want


def report_oldest(rep):
    """{province: (open groups, [(first_seen, problem, group_id, size, status, schools)])}"""
    got = {}
    for attrs, cells in rep.rows:
        if "data-oldest-province" in attrs:
            m = re.search(r"open groups ([\d,]+)", cells[0][1])
            got[attrs["data-oldest-province"]] = (rl.number(m.group(1)) if m else -1, [])
        elif "data-oldest" in attrs:
            got[attrs["data-oldest"]][1].append((cells[0][1], attrs["data-problem"], attrs["data-group"],
                                                 cells[3][1], cells[5][1], cells[6][1]))
    return got


STATUS_ZH = {"new": "新增", "persisting": "未解决", "reopened": "重新处理"}


def oldest_from(problems_csv):
    """What the oldest-groups list must show, from problems.csv alone: per
    province the groups with a row there, by the group's earliest first_seen
    over all its rows, then problem and group_id; the group's status
    (reopened over persisting over new); the first row of the group in the
    province (problems.csv order) gives the size and the schools."""
    rows = [r for r in table(problems_csv) if r["problem"] != "id_invalid"]
    first, status = {}, {}
    rank = {"new": 0, "persisting": 1, "reopened": 2}
    for r in rows:
        g = (r["problem"], r["group_id"])
        first[g] = min(first.get(g, r["first_seen"]), r["first_seen"])
        status[g] = max(status.get(g, "new"), r["status"], key=rank.get)
    by_prov = {}
    for r in rows:
        by_prov.setdefault(province(r["学校标识码"]), {}).setdefault((r["problem"], r["group_id"]), r)
    want = {}
    for prov, groups in by_prov.items():
        order = sorted(groups, key=lambda g: (first[g], g))
        listed = []
        for g in order[:SHOWN]:
            r = groups[g]
            others = [s for s in r["other_schools"].split(";") if s]
            schools = "、".join([r["学校标识码"]] + others[:4]) + (f" +{len(others) - 4}" if len(others) > 4 else "")
            listed.append((first[g], g[0], g[1], r["group_size"], STATUS_ZH[status[g]], schools))
        want[prov] = (len(groups), listed)
    return want


# ---- the terminal ---------------------------------------------------------

def terminal_block(text):
    """The monthly block of the end-of-run summary: {problem: [5 numbers]},
    the decisions line's numbers and the unmatched count (None if absent)."""
    lines = text.split("\n")
    at = next((i for i, ln in enumerate(lines) if ln.startswith("monthly ")), None)
    if at is None:
        return None
    got = {}
    for ln in lines[at + 1:at + 5]:
        parts = ln.split()
        got[parts[0] if parts[0] != "all" else "all"] = [rl.number(x) for x in parts[-5:]]
    dec = next((ln for ln in lines if ln.startswith("decisions in effect")), None)
    got["decisions"] = [rl.number(x) for x in re.findall(r"\d[\d,]*", dec)] if dec else None
    unm = next((ln for ln in lines if ln.startswith("  unmatched ")), None)
    got["unmatched"] = rl.number(unm.split()[1]) if unm else None
    return got


def check_terminal(text, monthly, label):
    got = terminal_block(text)
    if got is None:
        fail(f"{label}: no monthly block in the summary:\n{text}")
        return
    for p in PROBLEMS:
        want = [monthly["problems"][p][k] for k in COUNTS]
        if got.get(p) != want:
            fail(f"{label}: terminal {p} {got.get(p)} != summary.json {want}")
    m = monthly
    want_dec = [m["decisions_in_effect"], m["decisions_matched"], m["approved_members"], m["attested_groups"]]
    if m["decisions_in_effect"] and got["decisions"] != want_dec:
        fail(f"{label}: terminal decisions {got['decisions']} != summary.json {want_dec}")
    if got["unmatched"] != (m["decisions_unmatched"] or None):
        fail(f"{label}: terminal unmatched {got['unmatched']} != summary.json {m['decisions_unmatched']}")


# ---- the hand-made case ---------------------------------------------------

# fixtures/monthly/counts/README.md: gR spans S3 (R1, R2) and, in month 3,
# S1 (R3); its earliest row is from month 1, so it is the oldest group of
# province 11 although R3 is new there.
G_Q, G_R, G_T, G_Y = "6af5c8929589e089", "12691d1a0e3091a7", "7b4f5ca0e2bff3b9", "0ef9fffad80cf140"
OLDEST = {
    "month2": {
        "11": (1, [("2026-10-01", "id_duplicate", G_Q, "2", "未解决", "2111010001、2132020001")]),
        "32": (2, [("2026-10-01", "id_duplicate", G_Q, "2", "未解决", "2132020001、2111010001"),
                   ("2026-11-01", "id_duplicate", G_Y, "2", "新增", "2132020001、2144030001")]),
        "44": (2, [("2026-10-01", "attr_duplicate", G_T, "2", "重新处理", "2144030001"),
                   ("2026-11-01", "id_duplicate", G_Y, "2", "新增", "2144030001、2132020001")]),
    },
    "month3": {
        "11": (1, [("2026-10-01", "attr_duplicate", G_R, "3", "重新处理", "2111010001、2132020001")]),
        "32": (2, [("2026-10-01", "attr_duplicate", G_R, "3", "重新处理", "2132020001、2111010001"),
                   ("2026-11-01", "id_duplicate", G_Y, "2", "未解决", "2132020001、2144030001")]),
        "44": (1, [("2026-11-01", "id_duplicate", G_Y, "2", "未解决", "2144030001、2132020001")]),
    },
}


def check_hand_made(xj, case, work):
    steps = [("month1", "2026-10-01", []),
             ("month2", "2026-11-01", ["--previous", "month1", "--decisions", "decisions2.csv"]),
             ("month3", "2026-12-01", ["--previous", "month2", "--decisions", "decisions3.csv"])]
    for name, date, args in steps:
        out = os.path.join(work, name)
        args = [os.path.join(work, a) if a.startswith("month") else os.path.join(case, a) if a.endswith(".csv")
                else a for a in args]
        text = scan(xj, os.path.join(case, name + ".csv"), out, date, "-t", "2", *args)
        monthly = summary_of(out)["monthly"]
        rep = report_of(out)
        if name == "month1":
            if report_trend(rep) or report_oldest(rep) or terminal_block(text) is not None:
                fail("month1 (no --previous, no --decisions) shows a monthly table, oldest groups or block")
            continue
        if report_trend(rep) != summary_trend(monthly):
            fail(f"{name}: report table {report_trend(rep)} != summary.json {summary_trend(monthly)}")
        if report_oldest(rep) != OLDEST[name]:
            fail(f"{name}: oldest groups {report_oldest(rep)} != {OLDEST[name]}")
        if report_oldest(rep) != oldest_from(os.path.join(out, "problems.csv")):
            fail(f"{name}: oldest groups differ from problems.csv's")
        for tag, want in (("previous-run-date", monthly["previous_run_date"]),
                          ("decisions-in-effect", str(monthly["decisions_in_effect"])),
                          ("decisions-unmatched", str(monthly["decisions_unmatched"])),
                          ("attested-groups", str(monthly["attested_groups"]))):
            if rep.text.get(tag, "").strip() != want:
                fail(f"{name}: report #{tag} {rep.text.get(tag)!r} != {want!r}")
        check_terminal(text, monthly, f"{name}: scan's summary")
        check_terminal(run([xj, "summary", out]), monthly, f"{name}: xjdedup summary")


# ---- a generated sequence -------------------------------------------------

def counted_from_files(out, decision_files):
    """summary.json's "monthly", counted from the run's own files."""
    prov = {}

    def add(p, code, what):
        cell = prov.setdefault(province(code), {q: dict.fromkeys(COUNTS, 0) for q in PROBLEMS})
        cell[p][what] += 1

    for r in table(os.path.join(out, "problems.csv")):
        add(r["problem"], r["学校标识码"], r["status"])
    attested = table(os.path.join(out, "attested.csv"))
    for r in attested:
        add(r["problem"], r["学校标识码"], "attested")
    for r in table(os.path.join(out, "resolved.csv")):
        add(r["problem"], r["school_code"], "resolved")
    keys = set()
    for path in decision_files:  # in effect: the last line per key, so one per key read
        for r in table(path):
            keys.add((r["group_id"].strip(), r["student_no"].strip(), r["school_code"].strip()))
    unmatched = len(table(os.path.join(out, "decisions_unmatched.csv")))
    return {
        "decisions_in_effect": len(keys),
        "decisions_matched": len(keys) - unmatched,
        "decisions_unmatched": unmatched,
        "approved_members": len(table(os.path.join(out, "decisions.csv"))),
        "attested_groups": len({(r["problem"], r["group_id"]) for r in attested}),
        "problems": {q: {k: sum(v[q][k] for v in prov.values()) for k in COUNTS} for q in PROBLEMS},
        "provinces": {k: prov[k] for k in sorted(prov, key=lambda s: s.encode())},
    }


def check_generated(xj, work):
    seq = os.path.join(work, "seq")
    shutil.rmtree(seq, ignore_errors=True)
    run([xj, "gen", "--rows", "20000", "--seed", "21", "--run-date", "2026-12-01", "--months", "3", "-q",
         "-o", seq])
    with open(os.path.join(seq, "truth.json"), encoding="utf-8") as f:
        months = json.load(f)["month_list"]
    outs = {}
    for mo in months:
        k = mo["month"]
        b = os.path.join(work, f"gen-{k}")
        args = []
        if k > 1:
            args = ["--previous", outs[k - 1], "--decisions", os.path.join(seq, mo["decisions_file"])]
        scan(xj, os.path.join(seq, mo["input"]), b, mo["run_date"], "-q", "-t", "2", *args)
        outs[k] = b
        if k == 1:
            continue
        files = [os.path.join(outs[k - 1], "decisions.csv"), os.path.join(seq, mo["decisions_file"])]
        monthly = summary_of(b)["monthly"]
        want = counted_from_files(b, files)
        got = {key: v for key, v in monthly.items() if key != "previous_run_date"}
        if got != want:
            fail(f"generated month {k}: summary.json's monthly {json.dumps(got)} != counted from the files "
                 f"{json.dumps(want)}")
        if monthly["previous_run_date"] != months[k - 2]["run_date"]:
            fail(f"generated month {k}: previous_run_date {monthly['previous_run_date']}")
        for need in ("persisting", "resolved", "attested", "new"):
            if sum(v[need] for v in monthly["problems"].values()) == 0 and (need != "attested" or k == 2):
                fail(f"generated month {k}: no {need} rows (test input broken)")
        rep = report_of(b)
        if report_trend(rep) != summary_trend(monthly):
            fail(f"generated month {k}: report table != summary.json")
        if report_oldest(rep) != oldest_from(os.path.join(b, "problems.csv")):
            fail(f"generated month {k}: the report's oldest groups differ from problems.csv's")
        if not any(len(v[1]) == SHOWN and v[0] > SHOWN for v in report_oldest(rep).values()):
            fail(f"generated month {k}: no province has more than {SHOWN} open groups (test input broken)")


def main():
    xj, case, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    check_hand_made(xj, case, work)
    check_generated(xj, work)
    for f in fails:
        print("FAIL", f)
    print("ok" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
