#!/usr/bin/env python3
"""check_report — the output files people read, checked against the machine
contract (problems.csv, summary.json) computed independently here.

usage: check_report.py XJDEDUP BASIC_CASE_DIR WORKDIR

  report.html: every number equals summary.json; the top-20 schools equal a
    count of problems.csv; input text is escaped; nothing external is
    referenced; byte-identical across thread counts; listed in MANIFEST.
  --previous: new / persisting / reopened / resolved / attested per
    province equal a comparison of identities (problem, group_id, 学籍号,
    学校标识码) done here; a bad DIR is exit 2.
  --excel, --output-encoding gbk, --headers en: per-school files derived
    from the default ones by the documented rules; problems.csv unchanged.
  schools/README.txt: explains every header, problem and hint the school
    files use, in the files' encoding.
"""
import collections
import csv
import io
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_lib as rl  # noqa: E402


def tree(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def school_files(files):
    return {k: v for k, v in files.items() if k.startswith("schools" + os.sep) and k.endswith(".csv")}


def rows_of(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))  # a BOM is not text


def neutral(v):
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


def check_report_html(xj, inp, work, fails):
    out = os.path.join(work, "out")
    rl.scan(xj, [inp], out, "--threads", "2")
    files = tree(out)
    text = files["report.html"].decode("utf-8")
    rep = rl.read_report(text)
    summary = rl.load_summary(out)
    rl.compare_report(rep, summary, fails)
    # headline: schools affected = distinct school codes of problems.csv
    prob = rows_of(files["problems.csv"])
    sc = prob[0].index("学校标识码", 11)
    if rl.number(rep.text["schools-affected"]) != len({r[sc] for r in prob[1:]}):
        fails.append("schools-affected differs from problems.csv")
    # top 20 schools
    want = rl.top_schools(os.path.join(out, "problems.csv"), "学校标识码", "学校名称")
    got = []
    for a, cells in rep.rows:
        if "data-rank" in a:
            got.append((cells[1][1], rl.number(cells[-1][1]), cells[2][1]))
    if got != want:
        fails.append(f"top schools {got[:3]}... != problems.csv count {want[:3]}...")
    if len(got) != 20:
        fails.append(f"{len(got)} schools listed, want 20")
    # escaping: the hostile school name and code appear only escaped
    for raw in ("<script>", "<b>", "<x>", "<学校>"):
        if raw in text:
            fails.append(f"unescaped input text {raw!r} in report.html")
    if "&lt;script&gt;alert(14)&lt;/script&gt;" not in text:
        fails.append("the escaped hostile school name is missing")
    # self-contained: no script, no external reference
    for tag, a in rep.tags:
        if tag in ("script", "link", "iframe", "img", "object", "embed"):
            fails.append(f"report.html has a <{tag}>")
        for k, v in a.items():
            if k in ("src",) or (k == "href" and v and (":" in v or v.startswith("//"))):
                fails.append(f"report.html references {k}={v!r}")
    for needle in ("http://", "https://", "@import", "url(", "@font-face"):
        if needle in text:
            fails.append(f"report.html contains {needle!r}")
    # every school link points to a file of OUTDIR
    for tag, a in rep.tags:
        if tag == "a" and a.get("href") not in files:
            fails.append(f"link {a.get('href')!r} is not a file of OUTDIR")
    # MANIFEST lists the new files
    manifest = files["MANIFEST"].decode()
    for name in ("report.html", "schools/README.txt"):
        if f" {name}\n" not in manifest:
            fails.append(f"MANIFEST does not list {name}")
    # deterministic: other thread counts and chunk sizes give the same bytes
    for extra in (["--threads", "1"], ["--threads", "3", "--chunk-size", "4096"]):
        o2 = os.path.join(work, "out-" + extra[1])
        rl.scan(xj, [inp], o2, *extra)
        t2 = tree(o2)
        for name in ("report.html", os.path.join("schools", "README.txt")):
            if t2[name] != files[name]:
                fails.append(f"{name} differs with {' '.join(extra)}")
    return out, files


def trend_of(out):
    """report.html's new / persisting / reopened / resolved / attested per
    province."""
    rep = rl.read_report(open(os.path.join(out, "report.html"), encoding="utf-8").read())
    got = {}
    for attrs, cells in rep.rows:
        t = {c.get("data-trend"): rl.number(x) for c, x in cells if c.get("data-trend")}
        if t and attrs.get("data-province") != "all":
            got[attrs["data-province"]] = [t[k] for k in ("new", "persisting", "reopened", "resolved", "attested")]
    return got


def check_previous(xj, inp, work, fails):
    """A smaller earlier run, then the full one with --previous."""
    rows = open(inp, encoding="utf-8").read().split("\n")
    older = os.path.join(work, "older.csv")
    # the earlier month: the first 60% of the rows, plus a problem fixed since
    keep = rows[: int(len(rows) * 0.6)]
    extra = "G999999999999999999,旧问题,男,2015-01-01,1,123,2113000099,旧校,130101,2020-09-01,"
    open(older, "w", encoding="utf-8").write("\n".join(keep + [extra]) + "\n")
    prev = os.path.join(work, "prev")
    rl.scan(xj, [older], prev, "--run-date", "2026-10-28")  # a month earlier
    cur = os.path.join(work, "cur")
    rl.scan(xj, [inp], cur, "--previous", prev)

    def identities(out):
        """(identity, row) per row: identity = problem, group_id, student
        number and school code (docs/monthly.md §1)."""
        r = rows_of(open(os.path.join(out, "problems.csv"), "rb").read())
        first = r[0].index("line") + 1
        s, c = r[0].index("学籍号", first), r[0].index("学校标识码", first)
        g = r[0].index("group_id")
        return [((x[0], x[g], x[s].strip(), x[c].strip()), dict(zip(r[0], x))) for x in r[1:]]

    def prov(code):
        return code[2:4] if len(code) == 10 and code.isdigit() else "_invalid"

    a, b = identities(prev), identities(cur)
    before = {k for k, _ in a}
    now = {k for k, _ in b}
    want = collections.defaultdict(lambda: [0, 0, 0, 0, 0])  # no decisions: none reopened or attested
    for k, row in b:  # rows: new or persisting
        want[prov(k[3])][0 if k not in before else 1] += 1
        status, first = ("persisting", "2026-10-28") if k in before else ("new", "2026-11-28")
        if (row["status"], row["first_seen"]) != (status, first):
            fails.append(f"--previous: {k}: status {row['status']} {row['first_seen']}, want {status} {first}")
            break
    for k in before - now:  # identities resolved
        want[prov(k[3])][3] += 1
    got = trend_of(cur)
    if got != dict(want):
        fails.append(f"--previous: report {got} != computed {dict(want)}")
    # an earlier run written before other_members, status and first_seen
    # existed (11 columns of ours, the student number right after `line`)
    # compares the same: its rows count as first seen on its run date
    old = os.path.join(work, "prev-11")
    shutil.rmtree(old, ignore_errors=True)
    shutil.copytree(prev, old)
    with open(os.path.join(prev, "problems.csv"), newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    drop = {table[0].index(c) for c in ("other_members", "status", "first_seen")}
    with open(os.path.join(old, "problems.csv"), "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([v for i, v in enumerate(r) if i not in drop] for r in table)
    cur_old = os.path.join(work, "cur-11")
    rl.scan(xj, [inp], cur_old, "--previous", old)
    got_old = trend_of(cur_old)
    if got_old != dict(want):
        fails.append(f"--previous with an 11-column problems.csv: report {got_old} != computed {dict(want)}")
    if sum(v[0] for v in want.values()) == 0 or sum(v[3] for v in want.values()) == 0:
        fails.append("--previous: the case has no new or no resolved problems (test input broken)")
    # without --previous there is no comparison section
    if 'id="trend"' in open(os.path.join(prev, "report.html"), encoding="utf-8").read():
        fails.append("a run without --previous shows a comparison")
    # a directory that is not a run: exit 2 before scanning, no output
    bad = os.path.join(work, "bad")
    r = rl.scan(xj, [inp], bad, "--previous", os.path.join(work, "nowhere"), check=False)
    if r.returncode != 2 or os.path.exists(bad) or b"--previous" not in r.stderr:
        fails.append(f"--previous to nowhere: exit {r.returncode}, {r.stderr!r}")
    # a problems.csv without the columns: exit 2, the message names the column
    junk = os.path.join(work, "junk")
    os.makedirs(junk, exist_ok=True)
    shutil.copy(os.path.join(prev, "summary.json"), junk)
    open(os.path.join(junk, "problems.csv"), "w").write("problem,reason,group_id,line,b\nid_invalid,format,,2,x\n")
    # listed in a MANIFEST of our format (monthly §8 asks for one first), so
    # that the columns are what is refused
    with open(os.path.join(junk, "MANIFEST"), "w") as f:
        for name in ("problems.csv", "summary.json"):
            f.write(f"{'0' * 32} {os.path.getsize(os.path.join(junk, name))} {name}\n")
    r = rl.scan(xj, [inp], bad, "--previous", junk, check=False)
    if r.returncode != 2 or os.path.exists(bad) or "学籍号".encode() not in r.stderr:
        fails.append(f"--previous with a foreign problems.csv: exit {r.returncode}, {r.stderr!r}")
    # garbage bytes and an unterminated quote: an error, never a crash
    open(os.path.join(junk, "problems.csv"), "wb").write(b"problem,\"x\n" + bytes(range(256)) * 50)
    r = rl.scan(xj, [inp], bad, "--previous", junk, check=False)
    if r.returncode != 2 or os.path.exists(bad):
        fails.append(f"--previous with garbage: exit {r.returncode}, {r.stderr!r}")


def check_school_options(xj, inp, work, base_files, fails):
    # by default (Chinese headers, UTF-8) a BOM first; the text after it is what the options transform
    base_schools = {}
    for name, data in school_files(base_files).items():
        if not data.startswith(b"\xef\xbb\xbf"):
            fails.append(f"{name} has no BOM")
        base_schools[name] = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    # --excel: BOM, then each value neutralized; nothing else changes
    ex = os.path.join(work, "excel")
    rl.scan(xj, [inp], ex, "--excel")
    ex_files = tree(ex)
    if ex_files["problems.csv"] != base_files["problems.csv"]:
        fails.append("--excel changed problems.csv")
    neutralized = 0
    for name, data in base_schools.items():
        got = ex_files.get(name)
        if got is None or not got.startswith(b"\xef\xbb\xbf"):
            fails.append(f"--excel: {name} has no BOM")
            continue
        want_rows = [[neutral(v) for v in r] for r in rows_of(data)]
        got_rows = rows_of(got[3:])
        if got_rows != want_rows:
            fails.append(f"--excel: {name} values are not the neutralized originals")
        neutralized += sum(v.startswith("'") for r in got_rows for v in r)
    if neutralized == 0:
        fails.append("--excel: nothing was neutralized (test input broken)")
    if not ex_files[os.path.join("schools", "README.txt")].startswith(b"\xef\xbb\xbf"):
        fails.append("--excel: schools/README.txt has no BOM")
    # --output-encoding gbk: the same text in GB 18030 (characters outside GBK included)
    gb = os.path.join(work, "gbk")
    rl.scan(xj, [inp], gb, "--output-encoding", "gbk")
    gb_files = tree(gb)
    if gb_files["problems.csv"] != base_files["problems.csv"]:
        fails.append("--output-encoding gbk changed problems.csv")
    readme = gb_files[os.path.join("schools", "README.txt")]
    if "GB 18030" not in readme.decode("gb18030", "replace") or readme.startswith(b"\xef\xbb\xbf"):
        fails.append("gbk: schools/README.txt is not GB 18030 text saying so")
    for name, data in base_schools.items():
        got = gb_files.get(name, b"")
        try:
            if got.decode("gb18030") != data.decode("utf-8"):
                fails.append(f"gbk: {name} does not decode to the UTF-8 text")
        except UnicodeDecodeError:
            fails.append(f"gbk: {name} is not GB 18030")
        if got == data and any(b >= 0x80 for b in data):
            fails.append(f"gbk: {name} was not converted")
    # --excel with gbk: no BOM, neutralized
    eg = os.path.join(work, "excel_gbk")
    rl.scan(xj, [inp], eg, "--excel", "--output-encoding", "gbk")
    for name in base_schools:
        got = tree(eg)[name]
        if got.decode("gb18030") != ex_files[name][3:].decode("utf-8"):
            fails.append(f"--excel --output-encoding gbk: {name} differs from the --excel text")
    # --headers en: exactly problems.csv's header and that school's rows
    en = os.path.join(work, "en")
    rl.scan(xj, [inp], en, "--headers", "en")
    en_files = tree(en)
    plines = base_files["problems.csv"].decode("utf-8")
    prow = rows_of(base_files["problems.csv"])
    sc = prow[0].index("学校标识码", 11)
    for name in base_schools:
        got = rows_of(en_files[name])
        if got[0] != prow[0]:
            fails.append(f"--headers en: {name} header differs from problems.csv")
        code = got[1][sc]
        if got[1:] != [r for r in prow[1:] if r[sc] == code]:
            fails.append(f"--headers en: {name} rows differ from problems.csv's rows of {code}")
    if not plines:
        fails.append("empty problems.csv")
    # bad values: exit 2 and a message naming the option
    for opt, val in (("--headers", "fr"), ("--output-encoding", "latin1")):
        r = rl.scan(xj, [inp], os.path.join(work, "x"), opt, val, check=False)
        if r.returncode != 2 or opt.encode() not in r.stderr:
            fails.append(f"{opt} {val}: exit {r.returncode}, {r.stderr!r}")


def check_readme(base_files, fails):
    readme = base_files[os.path.join("schools", "README.txt")].decode("utf-8")
    words = set()
    for name, data in school_files(base_files).items():
        rows = rows_of(data)
        for h in rows[0][:11]:
            words.add(h)
        for r in rows[1:]:
            words.update(v for v in (r[0], r[4], r[5], r[7]) if v)
    for w in sorted(words):
        if w not in readme:
            fails.append(f"schools/README.txt does not explain {w!r}")
    for w in ("变更", "佐证", "删除", "先入者保有", "checksum", "sex_mismatch", "mixed"):
        if w not in readme:
            fails.append(f"schools/README.txt lacks {w!r}")
    if "2026-11-28" not in readme:
        fails.append("schools/README.txt lacks the run date")


def main():
    xj, case, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    inp = os.path.join(work, "input.csv")
    rl.make_input(inp)
    fails = []
    out, files = check_report_html(xj, inp, work, fails)
    check_previous(xj, inp, work, fails)
    check_school_options(xj, inp, work, files, fails)
    check_readme(files, fails)
    # the hand-made basic case too: its report agrees with its summary
    basic = os.path.join(work, "basic")
    rl.scan(xj, [os.path.join(case, "students.csv")], basic)
    rl.compare_report(rl.read_report(open(os.path.join(basic, "report.html"), encoding="utf-8").read()),
                      rl.load_summary(basic), fails)
    for f in fails:
        print("FAIL", f)
    print("ok" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
