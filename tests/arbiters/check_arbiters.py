#!/usr/bin/env python3
"""check_arbiters — the offices' work lists (arbiters/, docs/rules.md §6)
checked against problems.csv and the inputs, on the scopes case (every
scope, members without county codes) and on a generated population.

For every cross-school group of problems.csv the office is worked out here
from the members' own input columns (county code, school code) and the
group's scope: that office's file, and no other, must hold every row of the
group, each line byte-identical to the same row in its school's file; the
union of all office files must be exactly the cross-school rows of
problems.csv; a file lists its groups by problem and group id, each group's
rows in problems.csv order; school-scope groups and invalid IDs appear in
no office file.

usage: check_arbiters.py XJDEDUP WORKDIR SCOPES_CASE_DIR
"""
import csv
import glob
import io
import os
import re
import shutil
import subprocess
import sys

BOM = b"\xef\xbb\xbf"
LEVEL_DIR = {"county": "county", "city": "city", "province": "province", "national": "ministry"}
PROBLEM_ZH = {"身份证件号重复": "id_duplicate", "无身份证号学籍重复": "attr_duplicate"}


def lines_of(path):
    """The file's records as (raw line bytes, parsed fields); BOM dropped."""
    data = open(path, "rb").read()
    if data.startswith(BOM):
        data = data[len(BOM):]
    text = data.decode("utf-8")
    out = []
    reader = csv.reader(io.StringIO(text, newline=""))
    # raw lines: re-split by the reader's line numbers (values may hold newlines)
    raw_lines = text.split("\n")
    prev = 0
    for fields in reader:
        end = reader.line_num
        out.append(("\n".join(raw_lines[prev:end]) + "\n", fields))
        prev = end
    return out


def expected_office(scope, members, col):
    if scope == "county":
        return ("county", members[0][col["county"]].strip())
    if scope == "city":
        return ("city", members[0][col["county"]].strip()[:4] + "00")
    if scope == "province":
        return ("province", members[0][col["school"]].strip()[2:4] + "0000")
    return ("ministry", "national")


def check_run(out, fails, label):
    problems = lines_of(os.path.join(out, "problems.csv"))
    header = problems[0][1]
    at = {h: header.index(h) for h in ("problem", "group_id", "scope", "arbiter", "source", "line")}
    first_input = header.index("line") + 1
    inputs = header[first_input:]
    col = {"county": first_input + inputs.index("行政区划码"), "school": first_input + inputs.index("学校标识码")}
    groups = {}   # (problem, group_id) -> [fields in problems.csv order]
    for _, f in problems[1:]:
        if f[at["problem"]] == "id_invalid" or f[at["scope"]] == "school":
            continue
        groups.setdefault((f[at["problem"]], f[at["group_id"]]), []).append(f)
    if not groups:
        fails.append(f"{label}: no cross-school group (test input broken)")
    want = {}     # office -> [(problem, group_id, source, line)] in the order the file must have
    for (problem, gid), members in sorted(groups.items()):
        scope = members[0][at["scope"]]
        if any(m[at["scope"]] != scope for m in members):
            fails.append(f"{label}: group {gid} has mixed scopes")
        if len({m[col["school"]] for m in members}) < 2:
            fails.append(f"{label}: group {gid} of scope {scope} is in one school")
        office = expected_office(scope, members, col)
        if scope in ("county", "city"):
            codes = {m[col["county"]].strip()[: 6 if scope == "county" else 4] for m in members}
            if len(codes) != 1:
                fails.append(f"{label}: group {gid} ({scope}) members have county codes {sorted(codes)}")
        want.setdefault(office, []).extend((problem, gid, m[at["source"]], m[at["line"]]) for m in members)

    # the school files' lines, to compare the office files' lines with
    school_lines = set()
    for p in glob.glob(os.path.join(out, "schools", "**", "*.csv"), recursive=True):
        school_lines.update(raw for raw, _ in lines_of(p)[1:])

    got = {}
    files = sorted(glob.glob(os.path.join(out, "arbiters", "*", "*.csv")))
    for p in files:
        level = os.path.basename(os.path.dirname(p))
        code = os.path.basename(p)[: -len(".csv")]
        recs = lines_of(p)
        h = recs[0][1]
        pos = {k: h.index(k) for k in ("问题类型", "问题组号", "来源文件", "行号")}
        rows = []
        for raw, f in recs[1:]:
            rows.append((PROBLEM_ZH.get(f[pos["问题类型"]], "?"), f[pos["问题组号"]], f[pos["来源文件"]], f[pos["行号"]]))
            if raw not in school_lines:
                fails.append(f"{label}: {level}/{code}.csv has a line no school file has: {raw[:80]!r}")
        got[(level, code)] = rows
    for office in sorted(set(want) | set(got)):
        if office not in got:
            fails.append(f"{label}: no file arbiters/{office[0]}/{office[1]}.csv")
        elif office not in want:
            fails.append(f"{label}: arbiters/{office[0]}/{office[1]}.csv holds no cross-school group of its own")
        elif got[office] != want[office]:
            fails.append(f"{label}: arbiters/{office[0]}/{office[1]}.csv: rows {got[office][:4]}... "
                         f"want {want[office][:4]}... ({len(got[office])} vs {len(want[office])})")
    check_report(out, want, fails, label)
    union = sorted(r for rows in got.values() for r in rows)
    cross = sorted(r for rows in want.values() for r in rows)
    if union != cross:
        fails.append(f"{label}: the office files hold {len(union)} rows, problems.csv {len(cross)} cross-school rows")
    levels = {o[0] for o in got}
    return levels, len(files)


def check_report(out, want, fails, label):
    """report.html links every office file once and counts each level's
    groups per province (the office code's first two digits)."""
    page = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    links = re.findall(r'<a href="([^"]*)" data-office="([^"]*)">', page)
    files = sorted("arbiters/%s/%s.csv" % o for o in want)
    if sorted(h for h, _ in links) != files or any(h != d for h, d in links):
        fails.append(f"{label}: report.html links {len(links)} office files, want {len(files)}")
    counts = {}
    for (level, code), rows in want.items():
        if level != "ministry":
            counts.setdefault(code[:2], {}).setdefault(level, set()).update((r[0], r[1]) for r in rows)
    for prov, levels in counts.items():
        m = re.search(r'<tr data-office-province="%s">(.*?)</tr>' % prov, page, re.S)
        if not m:
            fails.append(f"{label}: report.html has no office row for province {prov}")
            continue
        for level in ("county", "city", "province"):
            cell = re.search(r'data-level="%s">([0-9,]*)<' % level, m.group(1))
            shown = int(cell.group(1).replace(",", "") or 0) if cell else -1
            if shown != len(levels.get(level, ())):
                fails.append(f"{label}: report.html province {prov} {level}: {shown} groups, "
                             f"want {len(levels.get(level, ()))}")


def scan(xj, inputs, out, *extra):
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([xj, "scan", *inputs, "-o", out, "-q", "--run-date", "2026-11-28", *extra], check=True)


def main():
    xj, work, scopes = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    fails = []

    case_inputs = sorted(glob.glob(os.path.join(scopes, "*.csv")))
    scan(xj, case_inputs, os.path.join(work, "scopes"))
    levels, n = check_run(os.path.join(work, "scopes"), fails, "scopes")
    if levels != {"county", "city", "province", "ministry"}:
        fails.append(f"scopes: office levels {sorted(levels)}, want all four (test input broken)")

    # --xlsx: a workbook beside every office's CSV, listed in MANIFEST
    scan(xj, case_inputs, os.path.join(work, "scopes-xlsx"), "--xlsx")
    manifest = open(os.path.join(work, "scopes-xlsx", "MANIFEST"), encoding="utf-8").read()
    for p in glob.glob(os.path.join(work, "scopes-xlsx", "arbiters", "*", "*.csv")):
        rel = os.path.relpath(p, os.path.join(work, "scopes-xlsx"))[: -len(".csv")] + ".xlsx"
        if not os.path.isfile(os.path.join(work, "scopes-xlsx", rel)) or rel not in manifest:
            fails.append(f"--xlsx: no {rel} (or not in MANIFEST)")

    pop = os.path.join(work, "pop.csv")
    subprocess.run([xj, "gen", "--rows", "60000", "--seed", "7", "-o", pop, "--run-date", "2026-11-28"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scan(xj, [pop], os.path.join(work, "pop"), "--threads", "2")
    levels, n_pop = check_run(os.path.join(work, "pop"), fails, "generated")
    if n_pop < 5:
        fails.append(f"generated: only {n_pop} office files (test input broken)")

    # one thread writes the same files
    scan(xj, [pop], os.path.join(work, "pop1"), "--threads", "1")
    for p in glob.glob(os.path.join(work, "pop", "arbiters", "*", "*.csv")):
        q = os.path.join(work, "pop1", os.path.relpath(p, os.path.join(work, "pop")))
        if not os.path.exists(q) or open(p, "rb").read() != open(q, "rb").read():
            fails.append(f"generated: {os.path.relpath(p, work)} differs with --threads 1")
            break

    for f in fails:
        print("FAIL", f)
    print(f"check_arbiters: scopes case {n} office files, generated population {n_pop}; {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
