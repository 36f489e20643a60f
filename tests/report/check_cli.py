#!/usr/bin/env python3
"""check_cli — what `xjdedup` prints for people: the summary table (after a
scan and from `xjdedup summary OUTDIR`), the progress line, and the
handling of summary.json files that are missing, broken or hostile.

usage: check_cli.py XJDEDUP BASIC_CASE_DIR WORKDIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_lib as rl  # noqa: E402


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=120, **kw)


def n(text):
    return int(text.replace(",", ""))


def parse_table(text):
    """The numbers of the summary table, by label."""
    got = {"reasons": {}, "scopes": {}, "provinces": []}
    section = None
    for line in text.splitlines():
        m = re.match(r"rows read\s+([\d,]+)\s+\(accepted ([\d,]+), rejected ([\d,]+), blank lines ([\d,]+)\)", line)
        if m:
            got["rows"] = [n(x) for x in m.groups()]
            continue
        if line.startswith("problems"):
            section = "problems"
        elif line.startswith("groups by scope"):
            section = "scopes"
        elif line.startswith("top provinces"):
            section = "provinces"
        elif not line.startswith(" "):
            section = None
        elif section == "problems":
            m = re.match(r"  (\w+(?: problems)?)\s+([\d,]+)(?:\s+([\d,]+))?", line)
            r = re.match(r"    (\w+)\s+([\d,]+)$", line)
            if r:
                got["reasons"][(last, r.group(1))] = n(r.group(2))
            elif m:
                last = m.group(1)
                got[last] = [n(m.group(2))] + ([n(m.group(3))] if m.group(3) else [])
        elif section == "scopes":
            parts = line.split()
            got["scopes"][parts[0]] = [n(x) for x in parts[1:]]
        elif section == "provinces":
            parts = line.split()
            if parts[0].startswith("("):
                continue
            got["provinces"].append((parts[0], [n(x) for x in parts[1:6]]))
    return got


def check_table(text, summary, fails, what):
    got = parse_table(text)
    s = summary
    if got.get("rows") != [s["rows"]["read"], s["rows"]["accepted"], s["rows"]["rejected"], s["rows"]["blank_lines"]]:
        fails.append(f"{what}: rows {got.get('rows')}")
    for code, p in s["problems"].items():
        want = [p["records"]] + ([p["groups"]] if "groups" in p else [])
        if got.get(code) != want:
            fails.append(f"{what}: {code} {got.get(code)} != {want}")
        for reason, k in p["reasons"].items():
            if got["reasons"].get((code, reason)) != k:
                fails.append(f"{what}: reason {code}/{reason} {got['reasons'].get((code, reason))} != {k}")
        if "scopes" in p and got["scopes"].get(code) != list(p["scopes"].values()):
            fails.append(f"{what}: scopes of {code} {got['scopes'].get(code)} != {list(p['scopes'].values())}")
    total = sum(p["records"] for p in s["problems"].values())
    if got.get("all problems") != [total]:
        fails.append(f"{what}: all problems {got.get('all problems')} != {total}")
    order = ("id_duplicate", "id_invalid", "attr_duplicate", "suspect_duplicate")
    want_prov = sorted(((k, [sum(v.values())] + [v[c] for c in order]) for k, v in s["provinces"].items()),
                       key=lambda kv: (-kv[1][0], kv[0]))[:10]
    if got["provinces"] != want_prov:
        fails.append(f"{what}: provinces {got['provinces']} != {want_prov}")
    if not re.search(r"^wall time\s+[\d.]+ s", text, re.M):
        fails.append(f"{what}: no wall time line")
    if not re.search(r"^output\s+\S+/", text, re.M):
        fails.append(f"{what}: no output line")


def check_summary(xj, case, work, fails):
    inp = os.path.join(work, "input.csv")
    rl.make_input(inp)
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    r = run([xj, "scan", inp, os.path.join(case, "students.csv"), "-o", out, "--run-date", "2026-11-28"])
    if r.returncode != 0:
        fails.append(f"scan failed: {r.stderr!r}")
        return out
    summary = rl.load_summary(out)
    scan_text = r.stdout.decode("utf-8")
    check_table(scan_text, summary, fails, "scan")
    if r.stderr:
        fails.append(f"scan wrote to stderr without a terminal: {r.stderr[:200]!r}")
    s = run([xj, "summary", out])
    if s.returncode != 0 or s.stdout.decode("utf-8") != scan_text:
        fails.append(f"'xjdedup summary' differs from the table scan printed (exit {s.returncode})")
    if len(summary["provinces"]) <= 10 and "all of them in report.html" in scan_text:
        fails.append("the province cut-off note is wrong")
    q = run([xj, "scan", inp, "-o", out + "-q", "-q", "--run-date", "2026-11-28"])
    if q.returncode != 0 or q.stdout or q.stderr:
        fails.append(f"-q printed something: {q.stdout[:80]!r} {q.stderr[:80]!r}")
    return out


def check_progress(xj, work, fails):
    big = os.path.join(work, "big.csv")
    g = run([xj, "gen", "--rows", "300000", "--seed", "7", "--run-date", "2026-11-28", "-o", big])
    if g.returncode != 0:
        fails.append(f"gen failed: {g.stderr!r}")
        return
    if g.stderr:
        fails.append(f"gen printed on stderr without a terminal: {g.stderr[:120]!r}")
    # gen --progress: every line it prints (if it runs long enough to print) has the fields
    gp = run([xj, "gen", "--rows", "2000000", "--seed", "7", "--threads", "1", "--progress", "-o",
              os.path.join(work, "g2m.csv")])
    gpat = re.compile(r"^gen: \d+/2000000 rows \(\d+%\), \d+ rows/s, \d+:\d\d elapsed, ETA \d+:\d\d$")
    for ln in gp.stderr.decode("utf-8").splitlines():
        if not gpat.match(ln):
            fails.append(f"gen --progress: unexpected line {ln!r}")
    os.remove(os.path.join(work, "g2m.csv"))
    o = os.path.join(work, "prog")
    shutil.rmtree(o, ignore_errors=True)
    r = run([xj, "scan", big, "-o", o, "--progress", "--threads", "1", "--chunk-size", "65536",
             "--run-date", "2026-11-28"])
    err = r.stderr.decode("utf-8")
    lines = [ln for ln in err.split("\n") if ln]
    pat = re.compile(r"^(reading|gathering): [\d.]+/[\d.]+ MB \(\d+%\), [\d,]+ rows \((-|[\d,]+) rows/s\), "
                     r"[\d,]+ problems? so far, \d+:\d\d elapsed(, ETA \d+:\d\d)?$")
    if r.returncode != 0 or not lines:
        fails.append(f"--progress: exit {r.returncode}, no progress lines")
    for ln in lines:
        if not pat.match(ln):
            fails.append(f"--progress: unexpected line {ln!r}")
            break
    if "\r" in err:
        fails.append("--progress without a terminal redraws with CR")
    stages = {ln.split(":")[0] for ln in lines}
    if "reading" not in stages:
        fails.append(f"--progress: no reading line ({stages})")
    if not r.stdout.startswith(b"xjdedup "):
        fails.append("--progress: no summary table after the progress lines")
    # rows never go down within a pass; the problems count never goes down
    last = {}
    for ln in lines:
        st = ln.split(":")[0]
        rows = int(re.search(r", ([\d,]+) rows", ln).group(1).replace(",", ""))
        if rows < last.get(st, 0):
            fails.append(f"--progress: rows went down in {st}")
        last[st] = rows
    # a terminal: one redrawn line (script(1) gives a pty), erased before the table
    if shutil.which("script"):
        o2 = os.path.join(work, "tty")
        shutil.rmtree(o2, ignore_errors=True)
        cmd = f"{xj} scan {big} -o {o2} --threads 1 --chunk-size 65536 --run-date 2026-11-28"
        t = run(["script", "-qec", cmd, "/dev/null"], stdin=subprocess.DEVNULL)
        txt = t.stdout.decode("utf-8", "replace")
        if t.returncode != 0 or "\rreading: " not in txt or "\x1b[K" not in txt or "rows read" not in txt:
            fails.append(f"on a terminal: exit {t.returncode}, no redrawn progress line or no table")


def check_bad_files(xj, work, fails):
    cases = {
        "missing": None,
        "empty": b"",
        "not_json": b"hello",
        "truncated": b'{"rows": {"read": 3, "accepted": 3',
        "deep": b"[" * 100000,
        "binary": bytes(range(256)) * 40,
        "big": b'{"rows": {"read": 1}, "problems": {}, "x": "' + b"a" * (17 << 20) + b'"}',
        "bad_escape": b'{"rows": {"read": 1}, "problems": {}, "v": "\\ud800"}',
        "trailing": b'{"rows": {"read": 1}, "problems": {}} x',
        "no_counts": b'{"version": "0.1.0"}',
        "wrong_types": b'{"rows": "many", "problems": []}',
        "nul_in_string": b'{"rows": {"read": 1}, "problems": {}, "v": "a\\u0000b"}',
    }
    for name, data in cases.items():
        d = os.path.join(work, "bad_" + name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        if data is not None:
            open(os.path.join(d, "summary.json"), "wb").write(data)
        r = run([xj, "summary", d])
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode != 2 or "xjdedup summary:" not in err or r.stdout:
            fails.append(f"summary of {name}: exit {r.returncode}, stderr {err[:120]!r}")
    # valid JSON with odd but harmless content: printed, terminal escapes neutralized
    d = os.path.join(work, "odd")
    os.makedirs(d, exist_ok=True)
    odd = {"version": "\u001b[31mred", "run_date": "2026-11-28", "rows": {"read": 5, "accepted": 5, "rejected": 0,
           "blank_lines": 0}, "rejects": {"\u001b]0;title\u0007": 1},
           "problems": {"id_invalid": {"records": 1e300, "reasons": {"checksum": -4}}},
           "provinces": {"99": {"id_duplicate": "x"}}}
    open(os.path.join(d, "summary.json"), "w").write(json.dumps(odd))
    r = run([xj, "summary", d])
    if r.returncode != 0 or b"\x1b" in r.stdout or b"\x07" in r.stdout:
        fails.append(f"odd summary.json: exit {r.returncode}, escapes passed through: {r.stdout[:200]!r}")
    for args, want in ((["summary"], 2), (["summary", "a", "b"], 2), (["summary", "--bogus", "x"], 2),
                       (["summary", "--help"], 0)):
        r = run([xj, *args])
        if r.returncode != want:
            fails.append(f"xjdedup {' '.join(args)}: exit {r.returncode}, want {want}")


def main():
    xj, case, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fails = []
    check_summary(xj, case, work, fails)
    check_progress(xj, work, fails)
    check_bad_files(xj, work, fails)
    for f in fails:
        print("FAIL", f)
    print("ok" if not fails else f"{len(fails)} failures")
    if fails:
        return 1
    shutil.rmtree(work, ignore_errors=True)  # a passing run's files go: CI's disk is small; a failing run keeps them to look at
    return 0


if __name__ == "__main__":
    sys.exit(main())
