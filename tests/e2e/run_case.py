#!/usr/bin/env python3
"""run_case — one hand-made end-to-end case of fixtures/e2e/ against the engine
(or, with --oracle, against tests/oracle/xjref.py).

usage: run_case.py XJDEDUP CASEDIR WORKDIR [--reparse TOOL] [--oracle]

A case directory holds its inputs (*.csv, *.zst, scanned in byte order of
their names), `args` (one argument a line; `@name` is a file of the case) and
either expected/ or expected_exit + expected_stderr (a run that must fail:
the exit status must match, every non-empty line of expected_stderr must occur
in stderr, and no output directory may be left).

For a successful run, checked:
  - the set of files equals expected/'s, ignoring MANIFEST and the engine's
    presentation files (report.html, schools/README.txt), which the oracle that
    wrote expected/ does not produce; every file byte for byte, summary.json
    without its "timing" member; on a mismatch a bounded unified diff of the
    first differing file;
  - MANIFEST: every other file listed exactly once, sorted by path, with its
    size and XXH3-128, and nothing else;
  - accounting: rows.read == accepted + rejected, rejected == the data rows of
    rejects.csv, and the problem records == the data rows of problems.csv;
  - determinism: --threads 1, 2, 4 (and 2 with --chunk-size 4096) give the
    same files, byte for byte, summary.json without "timing";
  - with --reparse, every output CSV is re-read by TOOL (libcsv, strict).
--oracle runs the oracle instead and checks only the comparison with
expected/ (it proves expected/ is what the oracle says today), or for a run
that must fail only its exit status (the wording of messages is the engine's).
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
except ImportError:  # Debian's python3-xxhash, seen from another python
    sys.path.append("/usr/lib/python3/dist-packages")
    import xxhash

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "..", "oracle", "xjref.py")
PRESENTATION = {"report.html", os.path.join("schools", "README.txt")}
DIFF_LINES = 80


def cut_timing(data: bytes) -> bytes:
    at = data.find(b',\n  "timing"')
    return data if at < 0 else data[:at] + b"\n}\n"


def case_command(case):
    """(inputs, extra args) of a case."""
    args = []
    with open(os.path.join(case, "args"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line:
                args.append(os.path.join(case, line[1:]) if line.startswith("@") else line)
    names = sorted((n for n in os.listdir(case) if n.endswith((".csv", ".zst"))),
                   key=lambda n: n.encode())
    return [os.path.join(case, n) for n in names], args


def run(prog, case, out, extra, oracle):
    inputs, args = case_command(case)
    if os.path.exists(out):
        shutil.rmtree(out)
    if oracle:
        cmd = [sys.executable, ORACLE, "scan", *inputs, "-o", out, *args]
    else:
        cmd = [prog, "scan", *inputs, "-o", out, "-q", *args, *extra]
    return subprocess.run(cmd, capture_output=True)


def tree(root):
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, root)] = f.read()
    return files


def comparable(files, drop_presentation=True):
    out = {}
    for k, v in files.items():
        if k == "MANIFEST" or (drop_presentation and k in PRESENTATION):
            continue
        out[k] = cut_timing(v) if k == "summary.json" else v
    return out


def unified(name, want, got):
    a = want.decode("utf-8", "replace").splitlines(keepends=True)
    b = got.decode("utf-8", "replace").splitlines(keepends=True)
    diff = list(difflib.unified_diff(a, b, "expected/" + name, "actual/" + name))
    if len(diff) > DIFF_LINES:
        diff = diff[:DIFF_LINES] + [f"... ({len(diff) - DIFF_LINES} more diff lines)\n"]
    return "".join(diff)


def compare_expected(case, got, fails):
    want = comparable(tree(os.path.join(case, "expected")))
    have = comparable(got)
    shown = False
    for name in sorted(set(want) | set(have), key=lambda s: s.encode()):
        if name not in have:
            fails.append(f"missing file {name}")
        elif name not in want:
            fails.append(f"unexpected file {name}")
        elif want[name] != have[name]:
            fails.append(f"{name} differs from expected/")
            if not shown:
                sys.stderr.write(unified(name, want[name], have[name]))
                shown = True


def check_manifest(files, fails):
    if "MANIFEST" not in files:
        fails.append("no MANIFEST")
        return
    lines = files["MANIFEST"].decode("utf-8", "replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        fails.append("MANIFEST does not end with a newline")
    listed = {}
    order = []
    for line in lines:
        parts = line.split(" ", 2)
        if len(parts) != 3 or len(parts[0]) != 32 or not parts[1].isdigit():
            fails.append(f"MANIFEST line {line!r} is not '<32 hex> <size> <path>'")
            continue
        h, size, path = parts
        if path in listed:
            fails.append(f"MANIFEST lists {path} twice")
        listed[path] = (h, int(size))
        order.append(path)
    others = {k for k in files if k != "MANIFEST"}
    if set(listed) != others:
        fails.append(f"MANIFEST lists wrongly: {sorted(set(listed) ^ others)}")
    if order != sorted(order, key=lambda p: p.encode()):
        fails.append("MANIFEST is not sorted by path bytes")
    for path, (h, size) in listed.items():
        data = files.get(path)
        if data is None:
            continue
        if len(data) != size:
            fails.append(f"MANIFEST size of {path}: {size}, the file has {len(data)}")
        if xxhash.xxh3_128_hexdigest(data) != h:
            fails.append(f"MANIFEST hash of {path}: {h}, the file's is {xxhash.xxh3_128_hexdigest(data)}")


def data_rows(data: bytes):
    text = data.decode("utf-8", "surrogateescape")
    return len(list(csv.reader(io.StringIO(text, newline="")))) - 1


def check_accounting(files, fails):
    try:
        s = json.loads(files["summary.json"])
        rows = s["rows"]
        if rows["read"] != rows["accepted"] + rows["rejected"]:
            fails.append(f"rows.read {rows['read']} != accepted {rows['accepted']}"
                         f" + rejected {rows['rejected']}")
        n = data_rows(files["rejects.csv"])
        if n != rows["rejected"]:
            fails.append(f"rejects.csv has {n} rows, summary.json says {rows['rejected']} rejected")
        n = data_rows(files["problems.csv"])
        total = sum(p["records"] for p in s["problems"].values())
        if n != total:
            fails.append(f"problems.csv has {n} rows, summary.json counts {total} records")
    except (KeyError, ValueError) as e:
        fails.append(f"accounting: cannot read summary.json / rejects.csv / problems.csv: {e!r}")


def check_failure(case, r, out, fails, oracle):
    want = int(open(os.path.join(case, "expected_exit")).read())
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode != want:
        fails.append(f"exit status {r.returncode}, expected {want}")
    if oracle:  # the wording of messages is the engine's, not the oracle's
        return
    with open(os.path.join(case, "expected_stderr"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and line not in err:
                fails.append(f"stderr lacks {line!r}: {err.strip()[:500]!r}")
    if os.path.exists(out):
        fails.append("a failed run left its output directory")


def main(argv):
    oracle = "--oracle" in argv
    argv = [a for a in argv if a != "--oracle"]
    reparse = None
    if "--reparse" in argv:
        at = argv.index("--reparse")
        reparse = argv[at + 1]
        del argv[at:at + 2]
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    prog, case, work = argv
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "out")
    fails = []
    r = run(prog, case, out, [], oracle)
    if os.path.exists(os.path.join(case, "expected_exit")):
        check_failure(case, r, out, fails, oracle)
    elif r.returncode != 0:
        fails.append(f"exit status {r.returncode}: {r.stderr.decode('utf-8', 'replace')[:2000]}")
    else:
        got = tree(out)
        compare_expected(case, got, fails)
        if not oracle:
            check_manifest(got, fails)
            check_accounting(got, fails)
            if reparse:
                rp = subprocess.run([reparse, out], capture_output=True)
                if rp.returncode != 0:
                    fails.append("an output CSV does not re-parse: "
                                 + rp.stderr.decode("utf-8", "replace")[:500])
            base = comparable(got, drop_presentation=False)
            for extra in (["--threads", "1"], ["--threads", "2"], ["--threads", "4"],
                          ["--threads", "2", "--chunk-size", "4096"]):
                o2 = out + "-" + "-".join(extra).replace("--", "")
                r2 = run(prog, case, o2, extra, False)
                if r2.returncode != 0:
                    fails.append(f"{' '.join(extra)}: exit status {r2.returncode}")
                    continue
                other = comparable(tree(o2), drop_presentation=False)
                diff = sorted(k for k in set(base) | set(other) if base.get(k) != other.get(k))
                if diff:
                    fails.append(f"{' '.join(extra)}: output differs in {diff}")
    for f in fails:
        print("FAIL", f, file=sys.stderr)
    if not fails:
        print(f"ok {os.path.basename(os.path.normpath(case))}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
