#!/usr/bin/env python3
"""test_monthly — the reference (xjref.py) against the hand-made month cases
of fixtures/monthly/ (docs/monthly.md), with every gate open (XJREF_ALL=1).

usage: test_monthly.py [WORKDIR] [--regen] [--engine XJDEDUP]

Each case directory holds `steps`, one run a line:

    run NAME RUN_DATE INPUT [ARG...]
    exit N            (the run before must exit N; default 0)
    stderr TEXT       (and its standard error must contain TEXT)

An argument naming an earlier run is that run's output directory (so
`--previous month1` chains the months); one naming a file or directory of the
case is that path.  A run with a directory expected/NAME/ must write exactly
those files, byte for byte (summary.json and MANIFEST aside: summary.json
holds inputs' hashes and counts of no concern here, and MANIFEST only
carries the others' hashes), and its summary.json's "monthly" object
(monthly §7) must equal expected/NAME/summary_monthly.json.
A run that must fail must leave no output directory.

The case's README.md reasons out each interesting row; its `expect` tables
(lines `| NAME | problems or attested or - | student_no | school_code |
problem | reason | keeper | hint | arbiter | status | first_seen | why |`)
are checked too: for every (run, student number, school code, problem) named,
the rows of the output must be exactly those listed ("-": no such row in
problems.csv nor attested.csv).  Its `counts` tables (lines `| NAME |
province | problem | new | persisting | reopened | resolved | attested |`,
and `| NAME | previous_run_date | decisions_in_effect | decisions_matched |
decisions_unmatched | approved_members | attested_groups |`, "-" for null)
give the whole of a run's "monthly" object: a province or problem not
listed has no count.  So a regenerated expected/ cannot drift from the
reasoning unnoticed.

--regen (re)writes expected/NAME/ from the reference for the runs named
month*; review it by hand against README.md (git diff) before committing.

--engine XJDEDUP runs `XJDEDUP scan ... -q` instead of the reference, for
whoever builds docs/monthly.md into the engine: the same checks, except the
wording of error messages (only the exit status) and the engine's
presentation files (report.html, schools/README.txt).  Registered in meson
as engine_monthly.
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
CASES = os.path.join(ROOT, "fixtures", "monthly")
XJREF = os.path.join(HERE, "xjref.py")
NOT_COMPARED = {"summary.json", "MANIFEST"}
MONTHLY_JSON = "summary_monthly.json"  # in expected/NAME/: summary.json's "monthly" object
PRESENTATION = {"report.html", "schools/README.txt"}  # the engine's, without a reference counterpart
EXPECT_COLUMNS = ["run", "file", "student_no", "school_code", "problem", "reason", "keeper",
                  "hint", "arbiter", "status", "first_seen"]


def read_steps(case):
    steps = []
    with open(os.path.join(case, "steps"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            word, _, rest = line.partition(" ")
            if word == "run":
                name, date, *args = rest.split()
                steps.append({"name": name, "date": date, "args": args, "exit": 0, "stderr": []})
            elif word == "exit":
                steps[-1]["exit"] = int(rest)
            elif word == "stderr":
                steps[-1]["stderr"].append(rest)
            else:
                raise SystemExit(f"{case}/steps: unknown line: {line}")
    return steps


def tree(root):
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/")
            if rel not in NOT_COMPARED and rel not in PRESENTATION and rel != MONTHLY_JSON:
                with open(os.path.join(d, n), "rb") as f:
                    files[rel] = f.read()
    return files


def run_step(case, step, work, outputs, engine):
    args = []
    for a in step["args"]:
        if a in outputs:
            args.append(outputs[a])
        elif os.path.exists(os.path.join(case, a)):
            args.append(os.path.join(case, a))
        else:
            args.append(a)
    out = os.path.join(work, step["name"])
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, XJREF_ALL="1")
    prog = [engine, "scan", "-q"] if engine else [sys.executable, XJREF, "scan"]
    r = subprocess.run([*prog, args[0], "-o", out, "--run-date", step["date"], *args[1:]],
                       capture_output=True, env=env)
    outputs[step["name"]] = out
    return r, out


def expect_table(case):
    """{(run, student_no, school_code, problem): [expected row tuples]}"""
    want = {}
    path = os.path.join(case, "README.md")
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("| ") or len(cells) != len(EXPECT_COLUMNS) + 1 or cells[0] in ("run", ""):
                continue
            if set(cells[0]) <= set("-: "):
                continue
            row = dict(zip(EXPECT_COLUMNS, cells))
            key = (row["run"], row["student_no"], row["school_code"], row["problem"])
            want.setdefault(key, [])
            if row["file"] != "-":
                want[key].append(tuple(row[c] for c in EXPECT_COLUMNS[1:] if c not in ("student_no",
                                                                                         "school_code")))
    return want


COUNT_KEYS = ["new", "persisting", "reopened", "resolved", "attested"]
DECISION_KEYS = ["previous_run_date", "decisions_in_effect", "decisions_matched", "decisions_unmatched",
                 "approved_members", "attested_groups"]
PROBLEMS = ["attr_duplicate", "id_duplicate", "id_invalid", "suspect_duplicate"]


def counts_tables(case):
    """{run: summary.json's "monthly" object} from README.md's counts tables
    (only the runs they name)."""
    runs = {}
    zero = dict.fromkeys(COUNT_KEYS, 0)
    with open(os.path.join(case, "README.md"), encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("| ") or cells[0] in ("run", "") or set(cells[0]) <= set("-: "):
                continue
            if len(cells) == 3 + len(COUNT_KEYS):
                m = runs.setdefault(cells[0], {"provinces": {}})
                prov = m["provinces"].setdefault(cells[1], {p: dict(zero) for p in PROBLEMS})
                prov[cells[2]] = dict(zip(COUNT_KEYS, map(int, cells[3:])))
            elif len(cells) == 1 + len(DECISION_KEYS):
                m = runs.setdefault(cells[0], {"provinces": {}})
                m["previous_run_date"] = None if cells[1] == "-" else cells[1]
                m.update(zip(DECISION_KEYS[1:], map(int, cells[2:])))
    out = {}
    for name, m in runs.items():
        provinces = {k: m["provinces"][k] for k in sorted(m["provinces"], key=lambda s: s.encode())}
        out[name] = {k: m.get(k, 0) for k in DECISION_KEYS}
        out[name]["problems"] = {p: {k: sum(v[p][k] for v in provinces.values()) for k in COUNT_KEYS}
                                 for p in PROBLEMS}
        out[name]["provinces"] = provinces
    return out


def monthly_of(out):
    """summary.json's "monthly" object of one run."""
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        return json.load(f).get("monthly")


def output_rows(out):
    """(student_no, school_code, problem) -> [(file, problem, reason, ...)] of one run."""
    rows = {}
    for name in ("problems", "attested"):
        path = os.path.join(out, name + ".csv")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(io.StringIO(f.read()))
            header = next(reader)
            at = {h: header.index(h) for h in header if h not in ("学籍号", "学校标识码")}
            no, school = header.index("学籍号"), header.index("学校标识码")
            for v in reader:
                key = (v[no].strip(), v[school].strip(), v[at["problem"]])
                rows.setdefault(key, []).append(
                    (name, v[at["problem"]], v[at["reason"]], v[at["keeper"]], v[at["hint"]],
                     v[at["arbiter"]], v[at["status"]], v[at["first_seen"]]))
    return rows


def check_case(case, work, regen, fails, engine=None):
    name = os.path.basename(case)
    outputs = {}
    got_rows = {}
    got_monthly = {}
    for step in read_steps(case):
        r, out = run_step(case, step, work, outputs, engine)
        label = f"{name}/{step['name']}"
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode != step["exit"]:
            fails.append(f"{label}: exit {r.returncode}, expected {step['exit']}: {err[:500]}")
            continue
        for text in [] if engine else step["stderr"]:
            if text not in err:
                fails.append(f"{label}: stderr lacks '{text}': {err[:500]}")
        if step["exit"] != 0:
            if os.path.exists(out):
                fails.append(f"{label}: a failed run left {out}")
            continue
        got_rows[step["name"]] = output_rows(out)
        got_monthly[step["name"]] = monthly_of(out)
        expected = os.path.join(case, "expected", step["name"])
        if regen and step["name"].startswith("month"):
            shutil.rmtree(expected, ignore_errors=True)
            shutil.copytree(out, expected, ignore=lambda d, names: [n for n in names if n in NOT_COMPARED
                                                                    and d == out])
            with open(os.path.join(expected, MONTHLY_JSON), "w", encoding="utf-8", newline="\n") as f:
                f.write(json.dumps(got_monthly[step["name"]], indent=2, ensure_ascii=False) + "\n")
            continue
        if not os.path.isdir(expected):
            continue
        want_path = os.path.join(expected, MONTHLY_JSON)
        if not os.path.exists(want_path):
            fails.append(f"{label}: no expected/{step['name']}/{MONTHLY_JSON} (run --regen)")
        else:
            with open(want_path, encoding="utf-8") as f:
                want_monthly = json.load(f)
            if got_monthly[step["name"]] != want_monthly:
                fails.append(f"{label}: summary.json's monthly {json.dumps(got_monthly[step['name']])} differs "
                             f"from expected/{step['name']}/{MONTHLY_JSON}")
        want, have = tree(expected), tree(out)
        for f in sorted(set(want) | set(have)):
            if f not in have:
                fails.append(f"{label}: missing {f}")
            elif f not in want:
                fails.append(f"{label}: unexpected {f}")
            elif want[f] != have[f]:
                fails.append(f"{label}: {f} differs from expected/{step['name']}/{f}")
    for (run, no, school, problem), rows in expect_table(case).items():
        got = got_rows.get(run, {}).get((no, school, problem), [])
        if sorted(got) != sorted(rows):
            fails.append(f"{name}/README.md: {run} {no}@{school} {problem}: expected {sorted(rows)}, "
                         f"the output has {sorted(got)}")
    for run, want in counts_tables(case).items():
        if got_monthly.get(run) != want:
            fails.append(f"{name}/README.md: {run}: summary.json's monthly {json.dumps(got_monthly.get(run))} "
                         f"!= the counts tables' {json.dumps(want)}")


def check_gates(work, fails):
    """Without XJREF_ALL, --previous and --decisions the reference writes what
    the engine writes today (ENGINE_HAS all False): no monthly files, no
    MANIFEST, no old_id or id_changed rows."""
    out = os.path.join(work, "gates")
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "XJREF_ALL"}
    r = subprocess.run([sys.executable, XJREF, "scan", os.path.join(CASES, "cycle", "month2.csv"), "-o", out,
                        "--run-date", "2026-11-01"], capture_output=True, env=env)
    if r.returncode != 0:
        fails.append(f"gates: exit {r.returncode}: {r.stderr.decode('utf-8', 'replace')[:500]}")
        return
    sys.path.insert(0, HERE)
    import xjref  # the gates as the reference has them
    if not any(xjref.ENGINE_HAS.values()):
        for name in ("resolved.csv", "attested.csv", "decisions.csv", "decisions_unmatched.csv", "MANIFEST"):
            if os.path.exists(os.path.join(out, name)):
                fails.append(f"gates: {name} written without --previous, --decisions or XJREF_ALL")
        with open(os.path.join(out, "problems.csv"), encoding="utf-8") as f:
            text = f.read()
        for word in (",old_id,", ",id_changed,", ",confirm_change,"):
            if word in text:
                fails.append(f"gates: problems.csv has {word.strip(',')} without XJREF_ALL")


def main(argv):
    regen = "--regen" in argv
    argv = [a for a in argv if a != "--regen"]
    engine = None
    if "--engine" in argv:
        at = argv.index("--engine")
        engine = os.path.abspath(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    work = argv[0] if argv else tempfile.mkdtemp(prefix="xjref-monthly-")
    os.makedirs(work, exist_ok=True)
    fails = []
    cases = sorted(d for d in os.listdir(CASES) if os.path.isfile(os.path.join(CASES, d, "steps")))
    for c in cases:
        check_case(os.path.join(CASES, c), os.path.join(work, c), regen and not engine, fails, engine)
    if not engine:
        check_gates(work, fails)
    for f in fails:
        print("FAIL " + f, file=sys.stderr)
    print(f"{len(cases)} month cases, {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
