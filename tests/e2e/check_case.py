#!/usr/bin/env python3
"""check_case — runs `xjdedup scan` on one hand-made case and compares the
whole output directory with the case's expected/ directory.

usage: check_case.py XJDEDUP CASEDIR WORKDIR [--update] [--threads N ...]

A case directory holds its inputs (*.csv, *.zst, scanned in name order), an
`args` file (one argument a line; `@name` is a file of the case), and either
expected/ (the output directory) or expected_exit + expected_stderr (a run
that must fail). Compared:
  - the set of files, and every file byte for byte, except that summary.json
    is compared without its "timing" member (the only part allowed to vary);
  - MANIFEST: every other file listed exactly once with its size and XXH3-128;
  - accounting: rows.read == accepted + rejected, and rejected == the rows of
    rejects.csv;
  - with several --threads values (and a tiny --chunk-size), identical output.
--update writes expected/ from the run instead (review every byte by hand).
"""
import csv
import difflib
import io
import json
import os
import shutil
import subprocess
import sys

try:
    import xxhash
except ImportError:  # tools/deps.sh installs python3-xxhash
    xxhash = None


def cut_timing(text):
    at = text.find(',\n  "timing"')
    return text if at < 0 else text[:at] + "\n}\n"


def case_args(case):
    args = []
    with open(os.path.join(case, "args"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                args.append(os.path.join(case, line[1:]) if line.startswith("@") else line)
    inputs = sorted(n for n in os.listdir(case) if n.endswith((".csv", ".zst")))
    return [os.path.join(case, n) for n in inputs], args


def run_scan(xj, case, out, extra):
    inputs, args = case_args(case)
    if os.path.exists(out):
        shutil.rmtree(out)
    cmd = [xj, "scan", *inputs, "-o", out, "-q", *args, *extra]
    return subprocess.run(cmd, capture_output=True)


def tree(root):
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            files[os.path.relpath(p, root)] = open(p, "rb").read()
    return files


def comparable(files):
    out = {}
    for k, v in files.items():
        if k == "MANIFEST":
            continue
        out[k] = cut_timing(v.decode("utf-8")).encode() if k == "summary.json" else v
    return out


def show_diff(name, want, got):
    a = want.decode("utf-8", "replace").splitlines(keepends=True)
    b = got.decode("utf-8", "replace").splitlines(keepends=True)
    diff = list(difflib.unified_diff(a, b, "expected/" + name, "actual/" + name))
    sys.stderr.write("".join(diff[:60]))


def check_manifest(files, fails):
    lines = files["MANIFEST"].decode("utf-8").splitlines()
    listed = {}
    for line in lines:
        h, size, path = line.split(" ", 2)
        if path in listed:
            fails.append(f"MANIFEST lists {path} twice")
        listed[path] = (h, int(size))
    others = {k for k in files if k != "MANIFEST"}
    if set(listed) != others:
        fails.append(f"MANIFEST lists {sorted(set(listed) ^ others)} wrongly")
    if [ln.split(" ", 2)[2] for ln in lines] != sorted(listed, key=lambda p: p.encode()):
        fails.append("MANIFEST is not sorted by path")
    for path, (h, size) in listed.items():
        data = files.get(path)
        if data is None:
            continue
        if len(data) != size:
            fails.append(f"MANIFEST size of {path}: {size}, file has {len(data)}")
        if xxhash is not None and xxhash.xxh3_128_hexdigest(data) != h:
            fails.append(f"MANIFEST hash of {path} is wrong")


def check_accounting(files, fails):
    s = json.loads(files["summary.json"])
    rows = s["rows"]
    if rows["read"] != rows["accepted"] + rows["rejected"]:
        fails.append(f"rows.read {rows['read']} != accepted {rows['accepted']} + rejected {rows['rejected']}")
    rejects = list(csv.reader(io.StringIO(files["rejects.csv"].decode("utf-8", "surrogateescape"), newline="")))
    if len(rejects) - 1 != rows["rejected"]:
        fails.append(f"rejects.csv has {len(rejects) - 1} rows, summary says {rows['rejected']}")
    problems = list(csv.reader(io.StringIO(files["problems.csv"].decode("utf-8"), newline="")))
    total = sum(p["records"] for p in s["problems"].values())
    if len(problems) - 1 != total:
        fails.append(f"problems.csv has {len(problems) - 1} rows, summary counts {total}")


def main():
    argv = sys.argv[1:]
    update = "--update" in argv
    argv = [a for a in argv if a != "--update"]
    reparse = None
    if "--reparse" in argv:  # a tool that re-reads every output CSV with libcsv
        at = argv.index("--reparse")
        reparse = argv[at + 1]
        del argv[at:at + 2]
    xj, case, work = argv[0], argv[1], argv[2]
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "out")
    fails = []
    exp_exit = os.path.join(case, "expected_exit")
    r = run_scan(xj, case, out, [])
    if os.path.exists(exp_exit):
        want = int(open(exp_exit).read())
        want_err = open(os.path.join(case, "expected_stderr"), encoding="utf-8").read().strip()
        err = r.stderr.decode("utf-8", "replace")
        if r.returncode != want:
            fails.append(f"exit status {r.returncode}, expected {want}")
        if want_err not in err:
            fails.append(f"stderr {err!r} lacks {want_err!r}")
        if os.path.exists(out):
            fails.append("a failed run left an output directory")
    else:
        if r.returncode != 0:
            fails.append(f"exit status {r.returncode}: {r.stderr.decode('utf-8', 'replace')}")
            print("\n".join(fails), file=sys.stderr)
            return 1
        got = tree(out)
        expected_dir = os.path.join(case, "expected")
        if update:
            if os.path.exists(expected_dir):
                shutil.rmtree(expected_dir)
            shutil.copytree(out, expected_dir)
            os.remove(os.path.join(expected_dir, "MANIFEST"))
            print(f"updated {expected_dir}: review it by hand")
            return 0
        want = comparable(tree(expected_dir))
        have = comparable(got)
        for name in sorted(set(want) | set(have)):
            if name not in have:
                fails.append(f"missing file {name}")
            elif name not in want:
                fails.append(f"unexpected file {name}")
            elif want[name] != have[name]:
                fails.append(f"{name} differs")
                show_diff(name, want[name], have[name])
        check_manifest(got, fails)
        check_accounting(got, fails)
        if reparse:
            rp = subprocess.run([reparse, out], capture_output=True)
            if rp.returncode != 0:
                fails.append("output CSV does not re-parse: " + rp.stderr.decode("utf-8", "replace")[:500])
        for threads, chunk in (("1", None), ("2", "4096"), ("4", None)):
            extra = ["--threads", threads] + (["--chunk-size", chunk] if chunk else [])
            r2 = run_scan(xj, case, out + "-t" + threads, extra)
            if r2.returncode != 0 or comparable(tree(out + "-t" + threads)) != have:
                fails.append(f"output differs with {' '.join(extra)}")
    for f in fails:
        print("FAIL", f, file=sys.stderr)
    if not fails:
        print("ok")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
