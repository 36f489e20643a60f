#!/usr/bin/env python3
"""The engine's side of docs/population.md that the oracle fixtures cannot
show: the population index (§4) gives exactly what its extracts give, in
scan and in check, from 1 and 2 threads; a damaged or truncated index and
every kind of malformed extract are refused with exit 2 and a message
naming the file (and line); a .zst extract reads like the plain one and a
truncated one is refused; `index build --population` refuses inputs and
indexes as its extracts.

usage: test_population.py XJDEDUP WORKDIR
Inputs: fixtures/e2e/population (hand-made; its expected/ is the oracle's).
"""
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASE = os.path.join(ROOT, "fixtures", "e2e", "population")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(xj, *args):
    return subprocess.run([xj, *args], capture_output=True, text=True)


def files_of(d):
    out = {}
    for base, _, names in os.walk(d):
        for n in names:
            p = os.path.join(base, n)
            rel = os.path.relpath(p, d)
            if rel in ("MANIFEST", "summary.json", "report.html"):
                continue
            with open(p, "rb") as f:
                out[rel] = f.read()
    return out


def summary(d):
    with open(os.path.join(d, "summary.json"), encoding="utf-8") as f:
        s = json.load(f)
    s.pop("timing")
    return s


def scan(xj, work, name, pops, *extra, mode="scan"):
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    args = [mode, os.path.join(CASE, "input.csv"), "-o", out, "-q", "--run-date", "2026-11-28", *extra]
    for p in pops:
        args += ["--population", p]
    r = run(xj, *args)
    check(r.returncode == 0, f"{name}: exit {r.returncode}: {r.stderr}")
    return out


def refused(xj, work, name, pop, words):
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    r = run(xj, "scan", os.path.join(CASE, "input.csv"), "-o", out, "-q", "--run-date", "2026-11-28",
            "--population", pop)
    check(r.returncode == 2, f"{name}: exit {r.returncode}, want 2 ({r.stderr.strip()})")
    for w in words:
        check(w in r.stderr, f"{name}: stderr lacks {w!r}: {r.stderr.strip()}")
    check(not os.path.exists(out), f"{name}: an output directory was written")


def main():
    xj, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    e1, e2 = os.path.join(CASE, "extract1.txt"), os.path.join(CASE, "extract2.txt")

    # §4: the index of both extracts answers as the extracts do
    idx = os.path.join(work, "pop.xjp")
    r = run(xj, "index", "build", "--population", e1, "--population", e2, "-o", idx, "-q")
    check(r.returncode == 0, f"index build --population: exit {r.returncode}: {r.stderr}")
    check("more than one name" in r.stderr, f"index build: no warning of a number with two names: {r.stderr}")
    check(oct(os.stat(idx).st_mode & 0o777) == oct(0o644 & ~current_umask()),
          f"the index's mode is {oct(os.stat(idx).st_mode & 0o777)}, not the umask's")
    plain = scan(xj, work, "plain", [e1, e2])
    for threads in ("1", "2"):
        via = scan(xj, work, "index" + threads, [idx], "-t", threads)
        check(files_of(via) == files_of(plain), f"-t {threads}: the index's output differs from the extracts'")
        a, b = summary(via), summary(plain)
        check(a["population"]["files"] == ["pop.xjp"], f"files: {a['population']['files']}")
        a["population"]["files"] = b["population"]["files"]
        check(a == b, f"-t {threads}: summary.json differs beyond population.files")
    expected = files_of(os.path.join(CASE, "expected"))
    got = files_of(plain)
    check(expected and all(got.get(k) == v for k, v in expected.items()),
          "the extracts' output is not the oracle's expected/ (the files it has)")
    # an index and an extract together: the extract's names count too
    mixed = scan(xj, work, "mixed", [idx, e2])
    check(files_of(mixed)["problems.csv"] == expected["problems.csv"], "index + extract: problems.csv differs")

    # a check against a register: the batch is compared, not the register
    reg = os.path.join(work, "reg.xji")
    r = run(xj, "index", "build", os.path.join(CASE, "input.csv"), "-o", reg, "-q", "--run-date", "2026-11-28")
    check(r.returncode == 0, f"index build: {r.stderr}")
    chk = scan(xj, work, "check", [idx], "--against", reg, mode="check")
    s = summary(chk)
    check(s["population"]["compared"] == summary(plain)["population"]["compared"],
          f"check compared {s['population']['compared']} records")

    # §1 and §4: what is refused
    with open(idx, "rb") as f:
        data = bytearray(f.read())
    bad = os.path.join(work, "flipped.xjp")
    data[IX_HEADER + 3] ^= 0x40  # inside the first entry
    with open(bad, "wb") as f:
        f.write(data)
    refused(xj, work, "flipped", bad, ["flipped.xjp", "checksum"])
    cut = os.path.join(work, "cut.xjp")
    with open(idx, "rb") as f:
        whole = f.read()
    with open(cut, "wb") as f:
        f.write(whole[: len(whole) - 20])
    refused(xj, work, "truncated_index", cut, ["cut.xjp"])

    def extract(name, text):
        p = os.path.join(work, name)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return p

    good_id = "110101201401010110"
    refused(xj, work, "short_number", extract("short.csv", f"id_number,name\n{good_id[:17]},张三\n"),
            ["short.csv", "line 2", "18-character"])
    refused(xj, work, "empty_name", extract("noname.csv", f"id_number,name\n{good_id},张三\n{good_id}, \u3000\n"),
            ["noname.csv", "line 3", "empty"])
    refused(xj, work, "fields", extract("fields.csv", f"id_number,name\n{good_id},张三,x\n"),
            ["fields.csv", "line 2", "fields"])
    refused(xj, work, "quote", extract("quote.csv", f"id_number,name\n{good_id},张\"三\n"),
            ["quote.csv", "line 2"])
    refused(xj, work, "no_column", extract("nocol.csv", f"number,name\n{good_id},张三\n"),
            ["nocol.csv", "id_number"])
    refused(xj, work, "two_columns", extract("twocol.csv", f"id_number,name,身份证号\n{good_id},张三,{good_id}\n"),
            ["twocol.csv", "both"])
    refused(xj, work, "empty_file", extract("empty.csv", ""), ["empty.csv", "empty"])
    p = os.path.join(work, "latin1.csv")
    with open(p, "wb") as f:
        f.write(b"id_number,name\n" + good_id.encode() + b",\xe9\xe9\n")
    refused(xj, work, "not_utf8", p, ["latin1.csv", "line 2", "UTF-8"])

    # .zst: the same entries; cut short, refused
    zst = os.path.join(work, "extract1.txt.zst")
    subprocess.run(["zstd", "-q", "-f", e1, "-o", zst], check=True)
    viaz = scan(xj, work, "zst", [zst, e2])
    check(files_of(viaz) == files_of(plain), ".zst extract: output differs from the plain one's")
    with open(zst, "rb") as f:
        z = f.read()
    zcut = os.path.join(work, "cut.txt.zst")
    with open(zcut, "wb") as f:
        f.write(z[: len(z) // 2])
    refused(xj, work, "truncated_zst", zcut, ["cut.txt.zst"])

    # index build --population takes extracts only
    r = run(xj, "index", "build", "--population", idx, "-o", os.path.join(work, "again.xjp"), "-q")
    check(r.returncode == 2 and "already a population index" in r.stderr, f"an index as extract: {r.stderr}")
    r = run(xj, "index", "build", os.path.join(CASE, "input.csv"), "--population", e1, "-o",
            os.path.join(work, "both.xjp"), "-q")
    check(r.returncode == 2, f"inputs and --population: exit {r.returncode}")

    print(f"test_population: {len(failures)} failure(s)")
    return 1 if failures else 0


IX_HEADER = 128


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


if __name__ == "__main__":
    sys.exit(main())
