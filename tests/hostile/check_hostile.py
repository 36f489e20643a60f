#!/usr/bin/env python3
"""check_hostile — `xjdedup scan` on hostile inputs: each gets a clear
message (exit 2) or its rows rejected with reasons, never a crash, never a
lost row, and nothing written outside OUTDIR.

usage: check_hostile.py XJDEDUP WORKDIR

The inputs are built here (the large ones would not belong in git): a 100 MB
field, a line of 10 million commas, a 100 000-column header, NUL bytes,
invalid and overlong UTF-8, GBK read as UTF-8, UTF-16, CR-only line ends, an
empty file, a header alone, duplicate header names, truncated and corrupt
.zst, a .zst bomb (1 GiB of zeros in a few KB), and school codes that try to
escape OUTDIR. For every run that succeeds: rows.read == accepted + rejected,
the expected reject reasons, and raw bytes kept; for every run: no crash
(exit status 0 or 2) and peak memory of the child below a bound.
"""
import csv
import io
import json
import os
import resource
import shutil
import subprocess
import sys

csv.field_size_limit(1 << 30)

HEADER = "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,学校名称,行政区划码,建籍日期\n"
GOOD = "G110105194912310021,张三,男,1949-12-31,1,110105194912310021,2111010001,第一小学,110101,2020-09-01\n"
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def gid(d17):
    return d17 + "10X98765432"[sum(int(c) * w for c, w in zip(d17, W)) % 11]


def row(name="李四", school="2111010001", idn=None, extra=""):
    idn = idn or gid("11010520150301002")
    return f"G{idn},{name},女,2015-03-01,1,{idn},{school},学校,110101,2021-09-01{extra}\n"


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout


CASES = []


def case(name, data, expect_exit=0, stderr_has=None, rejects=None, args=(), suffix=".csv", max_rss_mb=600,
         check=None):
    CASES.append(dict(name=name, data=data, exit=expect_exit, stderr=stderr_has, rejects=rejects or {},
                      args=list(args), suffix=suffix, rss=max_rss_mb, check=check))


def build_cases():
    h = HEADER.encode()
    case("unterminated_quote", h + GOOD.encode() + b'G1,"open,\xe5\xa5\xb3\n', rejects={"unterminated_quote": 1})
    case("quote_in_unquoted", h + row(name='李"四').encode(), rejects={"bad_quote": 1})
    case("field_100mb", h + b"G1," + b"x" * (100 << 20) + b",\n" + GOOD.encode(),
         rejects={"record_too_long": 1}, max_rss_mb=900)
    case("commas_10m", h + b"," * 10_000_000 + b"\n" + GOOD.encode(), rejects={"record_too_long": 1})
    case("header_100k_columns", ",".join(f"c{i}" for i in range(100_000)).encode() + b"\n", expect_exit=2,
         stderr_has="columns")
    case("nul_bytes", h + row(name="李\0四").encode(), rejects={"encoding": 1})
    case("invalid_utf8", h + row(name="李?").encode().replace(b"?", b"\xff\xfe"), rejects={"encoding": 1})
    case("overlong_utf8", h + row(name="李?").encode().replace(b"?", b"\xc0\xaf"), rejects={"encoding": 1})
    case("surrogate_utf8", h + row(name="李?").encode().replace(b"?", b"\xed\xa0\x80"), rejects={"encoding": 1})
    case("gbk_as_utf8", (HEADER + row()).encode("gb18030"), expect_exit=2, stderr_has="--encoding gbk")
    case("utf16", (HEADER + row()).encode("utf-16"), expect_exit=2, stderr_has="UTF-16")
    case("cr_only", (HEADER + row()).replace("\n", "\r").encode(), expect_exit=2, stderr_has="CR")
    case("empty", b"", expect_exit=2, stderr_has="empty")
    case("header_only", h)
    case("blank_lines_only", h + b"\n\r\n\n")
    case("duplicate_unknown_headers", HEADER.rstrip("\n").encode() + b",note,note\n" + row(extra=",a,b").encode())
    case("duplicate_field_headers", (HEADER.rstrip("\n") + ",姓名\n").encode() + row(extra=",x").encode(),
         expect_exit=2, stderr_has="both name the field name")
    case("missing_column", b"\xe5\xa7\x93\xe5\x90\x8d\n", expect_exit=2, stderr_has="is missing")
    z = zstd(h + (GOOD * 2000).encode())
    case("zst_truncated", z[: len(z) // 2], expect_exit=2, stderr_has="truncated", suffix=".csv.zst")
    case("zst_corrupt", z[:20] + bytes(b ^ 0x5A for b in z[20:60]) + z[60:], expect_exit=2,
         stderr_has="zstd", suffix=".csv.zst")
    case("zst_bomb", zstd(h + b"\0" * (1 << 30)), rejects={"record_too_long": 1}, suffix=".csv.zst")
    escapes = ["../../escape", "/etc/xjdedup", "a/b", "..", "x\x01y", "A" * 10_000, "2111010001/../../../x"]
    dup = gid("11010520150301002")
    body = "".join(row(school=s, idn=dup) for s in escapes) + row(idn=dup)
    case("school_code_escapes", h + body.encode(), check=check_no_escape)


def check_no_escape(work, out):
    """Everything the run wrote is under OUTDIR; non-10-digit codes only
    under schools/_invalid with hashed names."""
    fails = []
    for name in os.listdir(work):
        if name not in ("input.csv", "out"):
            fails.append(f"something was written outside OUTDIR: {name}")
    for d, _, names in os.walk(os.path.join(out, "schools")):
        rel = os.path.relpath(d, out)
        for n in names:
            if rel == "schools" and n == "README.txt":  # the generated column guide
                continue
            if rel == os.path.join("schools", "_invalid"):
                if not (n.startswith("x") and len(n) == 21 and n.endswith(".csv")):
                    fails.append(f"unexpected name in _invalid: {n!r}")
            elif not (len(n) == 14 and n[:10].isdigit() and n.endswith(".csv")):
                fails.append(f"unexpected school file {rel}/{n!r}")
    return fails


def run(xj, work_root, c):
    work = os.path.join(work_root, c["name"])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    inp = os.path.join(work, "input" + c["suffix"])
    with open(inp, "wb") as f:
        f.write(c["data"])
    out = os.path.join(work, "out")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([xj, "scan", inp, "-o", out, "-q", "--run-date", "2026-11-28", *c["args"]],
                       capture_output=True, timeout=300)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    err = p.stderr.decode("utf-8", "replace")
    fails = []
    if p.returncode != c["exit"]:
        fails.append(f"exit {p.returncode}, expected {c['exit']}: {err.strip()[:300]}")
    if c["stderr"] and c["stderr"] not in err:
        fails.append(f"stderr lacks {c['stderr']!r}: {err.strip()[:300]}")
    if rss_mb > c["rss"] and rss_mb > before / 1024:
        fails.append(f"peak memory {rss_mb:.0f} MB over {c['rss']} MB")
    if p.returncode == 0 and not fails:
        s = json.load(open(os.path.join(out, "summary.json"), encoding="utf-8"))
        rows = s["rows"]
        if rows["read"] != rows["accepted"] + rows["rejected"]:
            fails.append(f"accounting: {rows}")
        if s["rejects"] != c["rejects"]:
            fails.append(f"rejects {s['rejects']}, expected {c['rejects']}")
        text = open(os.path.join(out, "rejects.csv"), "rb").read().decode("utf-8", "surrogateescape")
        got = list(csv.reader(io.StringIO(text, newline="")))[1:]
        if len(got) != rows["rejected"]:
            fails.append(f"rejects.csv has {len(got)} rows, summary {rows['rejected']}")
        for r in got:
            raw = r[3].encode("utf-8", "surrogateescape")
            if c["suffix"] == ".csv" and raw and raw not in c["data"]:  # .zst data is compressed
                fails.append(f"reject raw bytes of line {r[1]} are not the input's")
        if c["check"]:
            fails += c["check"](work, out)
    elif p.returncode != 0 and os.path.exists(out):
        fails.append("a failed run left OUTDIR behind")
    if p.returncode < 0 or p.returncode > 3:
        fails.append(f"crashed (status {p.returncode})")
    return fails


def main():
    xj, work_root = sys.argv[1], sys.argv[2]
    os.makedirs(work_root, exist_ok=True)
    build_cases()
    bad = 0
    for c in CASES:
        fails = run(xj, work_root, c)
        c["data"] = None  # free the large inputs as we go
        print(("FAIL " if fails else "ok   ") + c["name"])
        for f in fails:
            print("     " + f)
        bad += bool(fails)
        shutil.rmtree(os.path.join(work_root, c["name"]), ignore_errors=True)
    print(f"{len(CASES) - bad} hostile cases passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
