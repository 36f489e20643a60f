#!/usr/bin/env python3
"""mpi_scan — the distributed scan (issue 19) held to the single process.

usage: mpi_scan.py XJDEDUP WORKDIR CASE [--mpirun PATH] [--ranks 1,2,3,4]

The contract under test: `mpirun -n K xjdedup scan INPUT... -o OUT [options]`
writes, for every K, the same bytes in every file as `xjdedup scan INPUT...
-o OUT [options]` run as one process, except summary.json's "timing" object
(where `ranks` must be K and `threads` a positive count) and MANIFEST's line
for summary.json (which must still give that file's size and XXH3-128). A
successful run leaves nothing beside OUT. A rank that fails or is killed
ends the whole job with a non-zero status, nothing committed, no temporary
beside OUT, and the next run on the same OUT succeeds.

Each CASE generates its inputs with `xjdedup gen`, runs the scan once as a
plain process (the reference) and under the launcher with K = 1, 2, 3, 4
ranks, and compares every file. Failures are gathered over all K and printed
at the end (file, first differing line, both sides), so one run shows which K
break and how.

Cases (inputs are split by lines from one generated population, shuffled
first, so that duplicate groups span input files and therefore ranks):
  split       four inputs of very different sizes: a large plain file, a
              small one, a single-frame .zst and a .zst of many frames cut at
              row boundaries (the layout `gen` writes)
  messy       one plain file with BOM, CRLF, quoted line breaks and malformed
              rows, plus a .zst whose frames are cut mid-record (as pzstd
              cuts them); --chunk-size 256 KiB (more, smaller pieces of the
              one file to share among ranks)
  gbk         GB 18030 inputs, --encoding gbk --output-encoding gbk
  mixed       --attr-scope mixed with raised attribute / mixed rates
  population  --population with an extract (.zst) from `gen --population`
  monthly     a 3-month chain: month 2 with --previous (month 1's single-
              process output) and --decisions decisions2.csv, month 3 the
              same from month 2; each month compared on its own
  xlsx        --xlsx (every workbook compared byte for byte)
  suspects    `gen --suspects`: the typing-slip groups span files
  index       `index build` (register .xji and its rejects, and a population
              .xjp) under the launcher, SOURCE_DATE_EPOCH fixed; issue 19
              asks for it after the scan, so failures are labelled as such
  fail_input  a truncated .zst, then a corrupt frame, among several inputs:
              the status of the single process (2), the file and the failing
              rank named on stderr, no OUT, nothing beside it; then the same
              command on good inputs succeeds with the reference's bytes;
              and `scan -` (standard input) and a named pipe under the
              launcher, at every K, 1 included: refused (exit 2, nothing
              written)
  check       `check` stays one process: refused under K > 1 with exit 2,
              saying to start it without mpirun, writing nothing
  parts       one large plain file read in parts by every process
              (XJ_MPI_SPLIT_BYTES lowers the size at which a file is split):
              a 10 MB file with an overlong record beside a small file and a
              .zst; gen --messy's file (BOM, CRLF, quoted line breaks) and a
              GB 18030 file cut into small parts; a file whose middle record holds a quoted
              value of many lines, so that the cut of K = 2 and 4 falls
              inside it and the scan runs again unsplit (and says so)
  zparts      one large .zst of many frames read in parts, cut between
              frames: frames cut mid-record (as `zstd` on pieces of a file
              makes them), gen --messy's file in frames, a record longer
              than a part (parts that hold no line start), a pzstd file
              (skippable frames), gen's own frames; a single-frame .zst is
              not cut; a quoted value with line breaks across a cut makes
              the scan run again unsplit, as for a plain file
  kill        a rank is SIGKILLed mid-run (rank 2 of 4, then rank 0 of 3):
              non-zero status, the launcher names the rank, no OUT; the next
              run on the same OUT succeeds with the reference's bytes. After
              killing a rank other than 0 nothing may be left beside OUT;
              after killing rank 0 (which a SIGKILL gives no chance to clean
              up) a leftover temporary is reported, not failed
  selftest    the comparison itself, without MPI: altered copies of one
              output (a changed line, a missing or extra file, a wrong or
              absent timing.ranks / threads, a stale MANIFEST line, a count
              changed outside timing) must each be reported, a changed
              timing must not

The launcher's flags (Open MPI): --oversubscribe (4 ranks on 2 cores),
--allow-run-as-root (tools/test.sh runs as root), --bind-to none (ranks
that share cores must not be pinned to the same one), --mca btl self,vader
(shared memory only: every rank is on this machine, and no network or
InfiniBand probing in a container) and btl_vader_single_copy_mechanism none
(CMA needs ptrace rights a container may deny). MPICH's mpiexec needs none.
"""
import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

try:
    import xxhash
except ImportError:  # Debian's python3-xxhash, seen from another python
    sys.path.append("/usr/lib/python3/dist-packages")
    import xxhash

# mpirun and every rank map the machine with hwloc, whose "gl" component
# makes the X library look up "localhost": on a root without /etc/hosts
# (a fresh debootstrap) that is a DNS query that can stall 5 s (docs/mpi.md §1)
os.environ.setdefault("HWLOC_COMPONENTS", "-gl")

RUN_DATE = "2026-11-28"
EPOCH = "1764288000"            # SOURCE_DATE_EPOCH for the index builds
RUN_TIMEOUT = 240               # seconds for one run, launcher included
SHOW = 160                      # characters of a differing line shown


class Failures:
    def __init__(self, quiet=False):
        self.items = []
        self.quiet = quiet

    def add(self, where, what):
        self.items.append(f"[{where}] {what}")
        if not self.quiet:
            print(f"FAIL [{where}] {what.splitlines()[0]}", flush=True)


# ---------------------------------------------------------------- launching

class Launcher:
    """mpirun / mpiexec with the flags this machine (and a container) needs."""

    def __init__(self, path):
        if not path or not os.path.exists(path):
            sys.exit(f"mpi_scan: no mpirun ({path!r}): install openmpi-bin "
                     f"(tools/deps.sh with XJ_DEPS_EXTRA, as tools/test.sh does)")
        self.path = path
        v = subprocess.run([path, "--version"], capture_output=True, text=True)
        text = v.stdout + v.stderr
        self.kind = "openmpi" if "Open MPI" in text or "OpenRTE" in text else \
                    "mpich" if "HYDRA" in text or "MPICH" in text else "other"
        self.version = text.strip().splitlines()[0] if text.strip() else "?"

    def argv(self, k, cmd, env_names=()):
        a = [self.path]
        if self.kind == "openmpi":
            a += ["--oversubscribe", "--allow-run-as-root", "--bind-to", "none",
                  "--mca", "btl", "self,vader", "--mca", "btl_vader_single_copy_mechanism", "none"]
            for name in env_names:  # local ranks inherit it anyway; remote ones need -x
                a += ["-x", name]
        # MPICH's mpiexec (hydra) passes the whole environment by default
        return a + ["-n", str(k)] + cmd


def outside_any_launcher():
    """This process's environment without what a launcher gives its ranks:
    run from inside an mpirun job, the single-process reference would
    otherwise take itself for one of its ranks."""
    for name in list(os.environ):
        if name.startswith(("OMPI_", "PMIX_", "PMI_", "HYDRA_", "MPI_LOCAL")) and \
           not name.startswith(("OMPI_MCA_", "OMPI_ALLOW_RUN_AS_ROOT")):
            del os.environ[name]


def run(argv, env=None, timeout=RUN_TIMEOUT, stdin=None):
    """(status, stdout, stderr) of one command in its own session; on a
    timeout every process of that session is killed and status is None."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=stdin if stdin is not None else subprocess.DEVNULL,
                         env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        return None, out, err + f"\n(mpi_scan: killed after {timeout} s)".encode()


def tail(err: bytes, n=15):
    lines = err.decode("utf-8", "replace").rstrip().splitlines()
    return "\n".join("    " + x for x in lines[-n:]) if lines else "    (stderr empty)"


# ---------------------------------------------------------------- inputs

def gen(x, out, rows, seed, *extra):
    status, _, err = run([x, "gen", "--rows", str(rows), "--seed", str(seed), "--run-date", RUN_DATE,
                          "-o", out, "-q", *extra])
    if status != 0:
        sys.exit(f"mpi_scan: xjdedup gen failed ({status}):\n{tail(err)}")


def read_rows(path):
    """(header line, data lines) of a CSV without quoted line breaks."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines[0] + b"\n", [x + b"\n" for x in lines[1:]]


def zstd_bytes(data: bytes, tmp: str) -> bytes:
    """One zstd frame (with its content size) made by the zstd tool."""
    with open(tmp, "wb") as f:
        f.write(data)
    subprocess.run(["zstd", "-q", "-f", "-3", tmp, "-o", tmp + ".zst"], check=True)
    with open(tmp + ".zst", "rb") as f:
        z = f.read()
    os.remove(tmp)
    os.remove(tmp + ".zst")
    return z


def write_piece(path, header, rows, kind):
    """kind: csv; zst (one frame); zst-rows:N (a frame every N rows, as gen
    writes); zst-bytes:N (a frame every N bytes of text, mid-record)."""
    data = header + b"".join(rows)
    if kind == "csv":
        out = data
    elif kind == "zst":
        out = zstd_bytes(data, path + ".part")
    elif kind.startswith("zst-rows:"):
        n = int(kind.split(":")[1])
        parts = [header + b"".join(rows[:n])] + [b"".join(rows[i:i + n]) for i in range(n, len(rows), n)]
        out = b"".join(zstd_bytes(p, path + ".part") for p in parts if p)
    elif kind.startswith("zst-bytes:"):
        n = int(kind.split(":")[1])
        out = b"".join(zstd_bytes(data[i:i + n], path + ".part") for i in range(0, len(data), n))
    else:
        raise ValueError(kind)
    with open(path, "wb") as f:
        f.write(out)
    return path


def split(src, pieces, seed, outdir):
    """Shuffles the data rows of src and cuts them into pieces
    [(name, rows, kind)] (rows None: the rest), each with the header."""
    header, rows = read_rows(src)
    random.Random(seed).shuffle(rows)
    paths, at = [], 0
    for name, n, kind in pieces:
        take = rows[at:] if n is None else rows[at:at + n]
        at += len(take)
        paths.append(write_piece(os.path.join(outdir, name), header, take, kind))
    assert at == len(rows), f"{src}: {len(rows)} rows, pieces take {at}"
    return paths


# ---------------------------------------------------------------- comparing

def files_of(root):
    got = {}
    dirs = set()
    for d, subdirs, names in os.walk(root):
        for s in subdirs:
            dirs.add(os.path.relpath(os.path.join(d, s), root))
        for n in names:
            p = os.path.join(d, n)
            got[os.path.relpath(p, root)] = p
    return got, dirs


def read(path):
    with open(path, "rb") as f:
        return f.read()


def cut_timing(data: bytes) -> bytes:
    """summary.json without its top-level "timing" member (and the comma
    before it); its braces are matched, so it may hold objects too."""
    m = re.search(rb',\s*\n  "timing"\s*:\s*\{', data)
    if not m:
        return data
    depth, i = 1, m.end()
    while i < len(data) and depth:
        depth += {ord("{"): 1, ord("}"): -1}.get(data[i], 0)
        i += 1
    return data[:m.start()] + data[i:]


def show(line: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            text = line.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = line.decode("latin-1")
    text = repr(text)
    return text if len(text) <= SHOW else text[:SHOW] + "..."


def first_difference(a: bytes, b: bytes, binary: bool) -> str:
    if binary or b"\0" in a[:4096] or b"\0" in b[:4096]:
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        return (f"first differing byte at offset {i} "
                f"({len(a)} bytes single-process, {len(b)} under mpirun)")
    la, lb = a.split(b"\n"), b.split(b"\n")
    i = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]), min(len(la), len(lb)))
    ra = show(la[i]) if i < len(la) else "(end of file)"
    rb = show(lb[i]) if i < len(lb) else "(end of file)"
    return (f"first differing line {i + 1} ({len(la) - 1} lines single-process, {len(lb) - 1} under mpirun)\n"
            f"      single-process: {ra}\n      mpirun:         {rb}")


def manifest_lines(data: bytes):
    return [x for x in data.split(b"\n") if x and not x.endswith(b" summary.json")]


def compare_dirs(ref, got, where, fails, k=None):
    """Every file of got against ref; k: the ranks, to check timing."""
    rf, rdirs = files_of(ref)
    gf, gdirs = files_of(got)
    missing = sorted(set(rf) - set(gf))
    extra = sorted(set(gf) - set(rf))
    if missing:
        fails.add(where, f"{len(missing)} file(s) missing under mpirun: {missing[:10]}")
    if extra:
        fails.add(where, f"{len(extra)} file(s) that the single process does not write: {extra[:10]}")
    if rdirs != gdirs:
        fails.add(where, f"directories differ: {sorted(rdirs ^ gdirs)[:10]}")
    differing = []
    for rel in sorted(set(rf) & set(gf), key=lambda p: p.encode()):
        a, b = read(rf[rel]), read(gf[rel])
        base = os.path.basename(rel)
        if base == "summary.json" and os.path.dirname(rel) == "":
            schools = sum(1 for p in rf if p.startswith("schools/") and p != "schools/README.txt")
            check_timing(b, where, fails, k, schools)
            a, b = cut_timing(a), cut_timing(b)
        elif rel == "MANIFEST":
            check_summary_line(b, gf, where, fails)
            a, b = b"\n".join(manifest_lines(a)), b"\n".join(manifest_lines(b))
        if a != b:
            differing.append(rel)
            if len(differing) <= 3:
                note = " (without timing)" if base == "summary.json" else \
                       " (without the summary.json line)" if rel == "MANIFEST" else ""
                fails.add(where, f"{rel} differs{note}: "
                                 f"{first_difference(a, b, rel.endswith(('.xlsx', '.xji', '.xjp')))}")
    if len(differing) > 3:
        fails.add(where, f"{len(differing)} files differ in all, e.g. {differing[3:13]}")
    return not (missing or extra or differing)


def check_timing(data, where, fails, k, schools=0):
    """schools: the per-school files (and workbooks) the single process
    wrote. Under mpirun the processes other than rank 0 write a share of
    them (timing.shared_files): with four or more a process, every share
    holds some, since no school then has a quarter of the rows."""
    try:
        t = json.loads(data).get("timing", {})
    except ValueError as e:
        fails.add(where, f"summary.json is not JSON: {e}")
        return
    shared = t.get("shared_files", "(absent)")
    if k is None or k == 1:
        if "ranks" in t and t["ranks"] != 1:
            fails.add(where, f"summary.json timing.ranks is {t['ranks']!r} in a single process")
        if shared != 0:
            fails.add(where, f"summary.json timing.shared_files is {shared!r} in a single process, expected 0")
        if k is None:
            return
    elif not (isinstance(shared, int) and (0 < shared < schools or schools < 4 * k)):
        fails.add(where, f"summary.json timing.shared_files is {shared!r}: the other processes should have "
                         f"written some of the {schools} school files, and rank 0 the rest")
    if t.get("ranks") != k:
        fails.add(where, f"summary.json timing.ranks is {t.get('ranks', '(absent)')!r}, expected {k}")
    if not (isinstance(t.get("threads"), int) and t["threads"] >= 1):
        fails.add(where, f"summary.json timing.threads is {t.get('threads', '(absent)')!r}, expected a count >= 1")


def check_summary_line(manifest, gf, where, fails):
    line = [x for x in manifest.split(b"\n") if x.endswith(b" summary.json")]
    if "summary.json" not in gf:
        return
    data = read(gf["summary.json"])
    want = f"{xxhash.xxh3_128_hexdigest(data)} {len(data)} summary.json".encode()
    if line != [want]:
        fails.add(where, f"MANIFEST's summary.json line {line!r} does not match the file ({want.decode()})")


def leftovers(parent, keep):
    return sorted(n for n in os.listdir(parent) if n not in keep)


def fresh(path):
    if os.path.lexists(path):
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    os.makedirs(path)
    return path


# ---------------------------------------------------------------- scan cases

class Ctx:
    def __init__(self, x, work, launcher, ranks):
        self.x, self.work, self.mpi, self.ranks = x, work, launcher, ranks
        self.fails = Failures()

    def scan_ref(self, name, inputs, opts):
        out = os.path.join(fresh(os.path.join(self.work, name, "single")), "out")
        t = time.monotonic()
        status, _, err = run([self.x, "scan", *inputs, "-o", out, "-q", *opts])
        if status != 0:
            sys.exit(f"mpi_scan: {name}: the single-process scan failed ({status}), nothing to compare with:\n"
                     f"{tail(err)}")
        print(f"{name}: single process {time.monotonic() - t:.2f} s", flush=True)
        return out, err

    def scan_k(self, name, k, inputs, opts, ref, ref_err):
        where = f"{name} -n {k}"
        parent = fresh(os.path.join(self.work, name, f"n{k}"))
        out = os.path.join(parent, "out")
        t = time.monotonic()
        status, _, err = run(self.mpi.argv(k, [self.x, "scan", *inputs, "-o", out, "-q", *opts]))
        took = time.monotonic() - t
        if status != 0:
            self.fails.add(where, f"exit status {status} (the single process: 0)\n{tail(err)}")
            return None
        ok = compare_dirs(ref, out, where, self.fails, k)
        left = leftovers(parent, {"out"})
        if left:
            self.fails.add(where, f"left beside OUTDIR after a successful run: {left}")
            ok = False
        if err.strip() != ref_err.strip():
            print(f"note [{where}]: stderr differs from the single process's:\n{tail(err)}")
        print(f"{where}: {took:.2f} s, {'identical' if ok else 'DIFFERENT'}", flush=True)
        return err

    def compare(self, name, inputs, opts):
        ref, ref_err = self.scan_ref(name, inputs, opts)
        for k in self.ranks:
            self.scan_k(name, k, inputs, opts, ref, ref_err)
        return ref

    def timing_of(self, name, k):
        """summary.json's timing object of the run with k ranks (or {})."""
        try:
            with open(os.path.join(self.work, name, f"n{k}", "out", "summary.json"), encoding="utf-8") as f:
                return json.load(f).get("timing", {})
        except (OSError, ValueError):
            return {}

    def inputs_dir(self):
        return fresh(os.path.join(self.work, "inputs"))


def groups_spanning(out):
    """Groups of problems.csv whose members come from more than one input."""
    sources = {}
    with open(os.path.join(out, "problems.csv"), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["group_id"]:
                sources.setdefault(row["group_id"], set()).add(row["source"])
    return sum(1 for s in sources.values() if len(s) > 1), len(sources)


def require_spanning(c, name, ref, least):
    spanning, groups = groups_spanning(ref)
    print(f"{name}: {spanning} of {groups} groups span input files")
    if spanning < least:
        c.fails.add(name, f"the inputs are not what this test needs: only {spanning} of {groups} groups "
                          f"span input files (at least {least} expected)")


def require(c, name, ref, checks):
    """checks: [(what the inputs must give, test on summary.json)] — a
    generator change that drops a feature would otherwise leave the case
    comparing nothing of interest."""
    with open(os.path.join(ref, "summary.json"), encoding="utf-8") as f:
        s = json.load(f)
    for what, test in checks:
        try:
            ok = test(s)
        except (KeyError, TypeError):
            ok = False
        if not ok:
            c.fails.add(name, f"the inputs are not what this test needs: the single-process run has no {what}")


def reasons(s, problem):
    return s["problems"][problem].get("reasons", {})


def case_split(c):
    d = c.inputs_dir()
    src = os.path.join(d, "population.csv")
    gen(c.x, src, 85000, 11, "--dup-rate", "0.01", "--attr-rate", "0.005")
    inputs = split(src, [("big.csv", 60000, "csv"), ("small.csv", 2000, "csv"),
                         ("single_frame.csv.zst", 15000, "zst"),
                         ("frames.csv.zst", None, "zst-rows:1500")], 11, d)
    os.remove(src)
    # small first: the order of the inputs is not the order of their sizes
    inputs = [inputs[1], inputs[0], inputs[3], inputs[2]]
    ref = c.compare("split", inputs, ["--run-date", RUN_DATE])
    require_spanning(c, "split", ref, 20)


def expect_split(c, name, k, want):
    got = c.timing_of(name, k).get("split_inputs")
    if got != want:
        c.fails.add(f"{name} -n {k}", f"timing.split_inputs is {got!r}, expected {want}")


def straddling(path, header, rows):
    """A file whose middle record holds a quoted value of many lines, from
    35 % to 65 % of its bytes: a cut at the middle falls inside it."""
    body = b"".join(rows)
    value = b"".join(b"line %d of a long note\n" % i for i in range(len(body) * 3 // 10 // 22))
    mid = len(rows) // 2
    fields = rows[mid].rstrip(b"\n").split(b",")
    fields[-1] = b'"' + value.rstrip(b"\n") + b'"'
    rows = rows[:mid] + [b",".join(fields) + b"\n"] + rows[mid + 1:]
    with open(path, "wb") as f:
        f.write(header + b"".join(rows))
    return path


def case_parts(c):
    """One large plain file read in parts by every process (docs/mpi.md §3):
    each part starts on a line of its own, and a cut that falls inside a
    quoted value makes the scan run again with every file whole."""
    d = c.inputs_dir()
    src = os.path.join(d, "population.csv")
    gen(c.x, src, 76000, 21, "--dup-rate", "0.01", "--attr-rate", "0.005")
    header, rows = read_rows(src)
    random.Random(21).shuffle(rows)
    os.remove(src)
    # a record over the 1 MiB limit in the first part: pass 2 reads that
    # part whole again (its anchors stop there), the others by stretches
    over = rows[5000].rstrip(b"\n").split(b",")
    over[-1] = b"x" * (1200 * 1024)
    rows[5000] = b",".join(over) + b"\n"
    big = write_piece(os.path.join(d, "national.csv"), header, rows[:70000], "csv")
    small = write_piece(os.path.join(d, "small.csv"), header, rows[70000:72000], "csv")
    frames = write_piece(os.path.join(d, "frames.csv.zst"), header, rows[72000:], "zst-rows:1500")
    os.environ["XJ_MPI_SPLIT_BYTES"] = str(1 << 20)  # national.csv (10 MB) is split, small.csv not
    ref = c.compare("parts", [small, big, frames], ["--run-date", RUN_DATE])
    require_spanning(c, "parts", ref, 20)
    require(c, "parts", ref, [("overlong row", lambda s: s["rows"]["rejected"] > 0)])
    for k in c.ranks:
        expect_split(c, "parts", k, 1 if k > 1 else 0)

    # BOM, CRLF, quoted line breaks, malformed rows, cut in small parts
    m = os.path.join(d, "messy.csv")
    gen(c.x, m, 30000, 22, "--messy", "--malformed-rate", "0.001")
    os.environ["XJ_MPI_SPLIT_BYTES"] = "4096"
    c.compare("parts_messy", [m], ["--run-date", RUN_DATE, "--chunk-size", "262144"])
    # GB 18030: no byte of a multi-byte character is an LF, so cuts fall
    # between characters too
    g = os.path.join(d, "gbk.csv")
    gen(c.x, g, 20000, 24, "--encoding", "gbk", "--dup-rate", "0.01")
    c.compare("parts_gbk", [g], ["--run-date", RUN_DATE, "--encoding", "gbk"])
    for k in c.ranks:
        expect_split(c, "parts_gbk", k, 1 if k > 1 else 0)

    # a quoted value across the middle: cut there at K = 2 and 4, not at 3
    src = os.path.join(d, "plain.csv")
    gen(c.x, src, 8000, 23, "--dup-rate", "0.02")
    header, rows = read_rows(src)
    os.remove(src)
    q = straddling(os.path.join(d, "straddle.csv"), header, rows)
    ref, ref_err = c.scan_ref("parts_cut", [q], ["--run-date", RUN_DATE])
    for k in c.ranks:
        err = c.scan_k("parts_cut", k, [q], ["--run-date", RUN_DATE], ref, ref_err)
        across = k in (2, 4)
        expect_split(c, "parts_cut", k, 1 if k == 3 else 0)
        said = err is not None and b"was run again with every file read whole" in err
        if err is not None and said != across:
            c.fails.add(f"parts_cut -n {k}", "the warning about a cut inside a quoted value is " +
                        ("missing" if across else "given where no cut was wrong") + f"\n{tail(err)}")


def zstd_frames(path, data, every):
    """data as a .zst of one frame every `every` bytes of text, wherever
    that falls (mid-record, inside a quoted value); returns the path and
    each frame's (file offset, text offset)."""
    starts, at = [], 0
    with open(path, "wb") as f:
        for i in range(0, len(data), every):
            z = zstd_bytes(data[i:i + every], path + ".part")
            starts.append((at, i))
            at += len(z)
            f.write(z)
    return path, starts


def zstd_cuts_inside(text, starts, size, k, lo, hi):
    """Whether a cut of a .zst of `size` bytes into K parts (the first frame
    at or after size·r/K, docs/mpi.md §3) ends a part inside text[lo:hi]: a
    part ends after the first LF at or after its last frame's end."""
    for r in range(1, k):
        frame = next((t for off, t in starts if off >= size * r // k), None)
        if frame is not None and lo <= text.find(b"\n", frame) < hi:
            return True
    return False


def groups_far_apart(out, lines):
    """Groups of problems.csv with members a quarter of the file apart (so
    in different parts once it is cut in two or more)."""
    spans = {}
    with open(os.path.join(out, "problems.csv"), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["group_id"]:
                spans.setdefault(row["group_id"], []).append(int(row["line"]))
    return sum(1 for v in spans.values() if max(v) - min(v) > lines // 4)


def case_zparts(c):
    """A .zst read in parts (docs/mpi.md §3): each part is whole frames, its
    first line the part before's, its last line read on into the next part's
    frames; the output is one process's for every K."""
    d = c.inputs_dir()
    os.environ["XJ_MPI_SPLIT_BYTES"] = "4096"
    src = os.path.join(d, "population.csv")
    gen(c.x, src, 30000, 31, "--dup-rate", "0.02", "--attr-rate", "0.005")
    header, rows = read_rows(src)
    random.Random(31).shuffle(rows)
    os.remove(src)
    cut, _ = zstd_frames(os.path.join(d, "national.csv.zst"), header + b"".join(rows), 7001)
    ref = c.compare("zparts", [cut], ["--run-date", RUN_DATE])
    far = groups_far_apart(ref, len(rows))
    if far < 20:
        c.fails.add("zparts", f"the input is not what this test needs: {far} groups have members a quarter "
                              f"of the file apart (at least 20 expected)")
    for k in c.ranks:
        expect_split(c, "zparts", k, 1 if k > 1 else 0)

    m = os.path.join(d, "messy.csv")
    gen(c.x, m, 20000, 7, "--messy", "--malformed-rate", "0.001")
    mz, _ = zstd_frames(m + ".zst", read(m), 5003)
    os.remove(m)
    c.compare("zparts_messy", [mz], ["--run-date", RUN_DATE, "--chunk-size", "262144"])

    # a record of 3 MB of letters (it compresses to most of the file): the
    # middle parts hold no line start, and the part before reads through them
    long = rows[:]
    fields = long[len(long) // 2].rstrip(b"\n").split(b",")
    letters = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    r = random.Random(32)
    fields[-1] = bytes(r.choice(letters) for _ in range(3_000_000))
    long[len(long) // 2] = b",".join(fields) + b"\n"
    lz, _ = zstd_frames(os.path.join(d, "long.csv.zst"), header + b"".join(long), 60001)
    ref = c.compare("zparts_long", [lz], ["--run-date", RUN_DATE])
    require(c, "zparts_long", ref, [("overlong row", lambda s: s["rows"]["rejected"] > 0)])
    for k in c.ranks:
        expect_split(c, "zparts_long", k, 1 if k > 1 else 0)

    # pzstd: a skippable frame before every frame; gen's own frames
    big = os.path.join(d, "big.csv")
    gen(c.x, big, 120000, 33, "--dup-rate", "0.01")
    subprocess.run(["pzstd", "-q", "-f", "-p", "4", "-3", big, "-o", big + ".zst"], check=True)
    os.remove(big)
    gz = os.path.join(d, "gen.csv.zst")
    gen(c.x, gz, 120000, 34, "--dup-rate", "0.01")
    c.compare("zparts_pzstd_gen", [big + ".zst", gz], ["--run-date", RUN_DATE])
    for k in c.ranks:
        expect_split(c, "zparts_pzstd_gen", k, 2 if k > 1 else 0)

    # one frame: read whole by one process
    one = write_piece(os.path.join(d, "one.csv.zst"), header, rows, "zst")
    c.compare("zparts_single", [one], ["--run-date", RUN_DATE])
    for k in c.ranks:
        expect_split(c, "zparts_single", k, 0)

    # a quoted value of many lines of letters from a quarter of the text on,
    # a tenth of the text and about a quarter of the file (letters compress
    # less than records): which cuts fall inside it is computed below
    body = b"".join(rows)
    note = b"".join(bytes(r.choice(letters) for _ in range(70)) + b"\n" for _ in range(len(body) // 10 // 71))
    mid = len(rows) // 4
    fields = rows[mid].rstrip(b"\n").split(b",")
    fields[-1] = b'"' + note.rstrip(b"\n") + b'"'
    quoted = rows[:mid] + [b",".join(fields) + b"\n"] + rows[mid + 1:]
    text = header + b"".join(quoted)
    qz, starts = zstd_frames(os.path.join(d, "straddle.csv.zst"), text, 9001)
    size = os.path.getsize(qz)
    q_lo = len(header) + len(b"".join(rows[:mid]))
    q_hi = q_lo + len(quoted[mid])
    ref, ref_err = c.scan_ref("zparts_cut", [qz], ["--run-date", RUN_DATE])
    inside = {k: zstd_cuts_inside(text, starts, size, k, q_lo, q_hi - 1) for k in c.ranks}  # its last LF ends it
    if not any(inside.values()) or all(inside[k] for k in c.ranks if k > 1):
        c.fails.add("zparts_cut", f"the input is not what this test needs: a cut inside the value at some K "
                                  f"and none at another ({inside})")
    for k in c.ranks:
        err = c.scan_k("zparts_cut", k, [qz], ["--run-date", RUN_DATE], ref, ref_err)
        across = inside[k]
        expect_split(c, "zparts_cut", k, 0 if k == 1 or across else 1)
        said = err is not None and b"was run again with every file read whole" in err
        if err is not None and said != across:
            c.fails.add(f"zparts_cut -n {k}", "the warning about a cut inside a quoted value is " +
                        ("missing" if across else "given where no cut was wrong") + f"\n{tail(err)}")


def case_messy(c):
    d = c.inputs_dir()
    m = os.path.join(d, "messy.csv")
    gen(c.x, m, 40000, 12, "--messy", "--malformed-rate", "0.001")
    src = os.path.join(d, "second.csv")
    gen(c.x, src, 12000, 13, "--dup-rate", "0.01")
    cut = split(src, [("cut_frames.csv.zst", None, "zst-bytes:200001")], 13, d)
    os.remove(src)
    ref = c.compare("messy", [m, *cut], ["--run-date", RUN_DATE, "--chunk-size", "262144"])
    require(c, "messy", ref, [("rejected rows", lambda s: s["rows"]["rejected"] > 0)])


def case_gbk(c):
    d = c.inputs_dir()
    src = os.path.join(d, "gbk_all.csv")
    gen(c.x, src, 30000, 14, "--encoding", "gbk", "--dup-rate", "0.01")
    inputs = split(src, [("gbk_a.csv", 21000, "csv"), ("gbk_b.csv.zst", None, "zst-rows:2000")], 14, d)
    os.remove(src)
    ref = c.compare("gbk", inputs, ["--run-date", RUN_DATE, "--encoding", "gbk", "--output-encoding", "gbk"])
    require_spanning(c, "gbk", ref, 5)


def case_mixed(c):
    d = c.inputs_dir()
    src = os.path.join(d, "mixed_all.csv")
    gen(c.x, src, 40000, 15, "--mixed-rate", "0.01", "--attr-rate", "0.01", "--noid-rate", "0.05",
        "--school-size", "80")
    inputs = split(src, [("m1.csv", 26000, "csv"), ("m2.csv", 1000, "csv"),
                         ("m3.csv.zst", None, "zst-bytes:300007")], 15, d)
    os.remove(src)
    ref = c.compare("mixed", inputs, ["--run-date", RUN_DATE, "--attr-scope", "mixed"])
    require_spanning(c, "mixed", ref, 5)
    require(c, "mixed", ref, [("attr_duplicate rows of reason mixed",
                               lambda s: reasons(s, "attr_duplicate")["mixed"] > 0)])


def case_population(c):
    d = c.inputs_dir()
    src = os.path.join(d, "register.csv")
    ext = os.path.join(d, "extract.csv.zst")
    gen(c.x, src, 30000, 16, "--population", ext, "--population-changes", "5")
    inputs = split(src, [("reg_a.csv", 9000, "csv"), ("reg_b.csv", None, "csv")], 16, d)
    os.remove(src)
    ref = c.compare("population", inputs, ["--run-date", RUN_DATE, "--population", ext])
    require(c, "population", ref, [
        ("not_found rows", lambda s: reasons(s, "id_invalid")["not_found"] > 0),
        ("name_mismatch rows", lambda s: reasons(s, "id_invalid")["name_mismatch"] > 0),
        ("assignments", lambda s: os.path.getsize(os.path.join(ref, "assignments.csv")) > 200)])


def case_monthly(c):
    d = c.inputs_dir()
    seq = os.path.join(d, "seq")
    status, _, err = run([c.x, "gen", "--rows", "20000", "--seed", "21", "--run-date", "2026-12-01",
                          "--months", "3", "-o", seq, "-q"])
    if status != 0:
        sys.exit(f"mpi_scan: gen --months failed:\n{tail(err)}")
    dates = {1: "2026-10-01", 2: "2026-11-01", 3: "2026-12-01"}
    prev = None
    for m in (1, 2, 3):
        opts = ["--run-date", dates[m], "--chunk-size", "262144"]
        if prev:
            opts += ["--previous", prev, "--decisions", os.path.join(seq, f"decisions{m}.csv")]
        # each month's K-rank runs are given the single process's previous
        # month, so that every month is compared on its own
        ref = c.compare(f"month{m}", [os.path.join(seq, f"month{m}.csv")], opts)
        if prev:
            total = lambda s, col: sum(p[col] for p in s["monthly"]["problems"].values())
            require(c, f"month{m}", ref, [
                ("persisting rows", lambda s: total(s, "persisting") > 0),
                ("resolved problems", lambda s: total(s, "resolved") > 0),
                ("attested rows", lambda s: total(s, "attested") > 0),
                ("unmatched decisions", lambda s: s["monthly"]["decisions_unmatched"] > 0)])
        prev = ref


def case_xlsx(c):
    d = c.inputs_dir()
    src = os.path.join(d, "x_all.csv")
    gen(c.x, src, 8000, 17, "--dup-rate", "0.01", "--school-size", "200")
    inputs = split(src, [("x1.csv", 5000, "csv"), ("x2.csv.zst", None, "zst")], 17, d)
    os.remove(src)
    ref = c.compare("xlsx", inputs, ["--run-date", RUN_DATE, "--xlsx"])
    books = [n for n in files_of(ref)[0] if n.endswith(".xlsx")]
    print(f"xlsx: {len(books)} workbooks")
    if len(books) < 20:
        c.fails.add("xlsx", f"only {len(books)} workbooks: the inputs are not what this test needs")


def case_suspects(c):
    d = c.inputs_dir()
    src = os.path.join(d, "s_all.csv")
    gen(c.x, src, 20000, 18, "--suspects", "2")
    inputs = split(src, [("s1.csv", 12000, "csv"), ("s2.csv", 500, "csv"), ("s3.csv.zst", None, "zst-rows:1000")],
                   18, d)
    os.remove(src)
    ref = c.compare("suspects", inputs, ["--run-date", RUN_DATE])
    by_group = {}
    with open(os.path.join(ref, "problems.csv"), encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["problem"] == "suspect_duplicate":
                by_group.setdefault(row["group_id"], set()).add(row["source"])
    spanning = sum(1 for s in by_group.values() if len(s) > 1)
    print(f"suspects: {spanning} of {len(by_group)} suspect groups span input files")
    if spanning < 3:
        c.fails.add("suspects", f"only {spanning} suspect_duplicate groups span input files (at least 3 expected)")


# ---------------------------------------------------------------- index build

def case_index(c):
    """index build under the launcher (issue 19 asks for it after the scan)."""
    d = c.inputs_dir()
    src = os.path.join(d, "reg_all.csv")
    ext = os.path.join(d, "extract.csv")
    gen(c.x, src, 40000, 19, "--messy", "--dup-rate", "0.01", "--population", ext)
    # --messy rows may hold line breaks: the register stays one file, and a
    # second one from another seed joins it
    src2 = os.path.join(d, "reg_more.csv")
    gen(c.x, src2, 15000, 20)
    more = split(src2, [("reg_more.csv.zst", None, "zst-rows:2000")], 20, d)
    os.remove(src2)
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    builds = {
        "register": lambda out: ["index", "build", src, *more, "-o", os.path.join(out, "reg.xji"), "-q",
                                 "--run-date", RUN_DATE, "--chunk-size", "262144"],
        "register_mixed": lambda out: ["index", "build", src, *more, "-o", os.path.join(out, "reg.xji"), "-q",
                                       "--run-date", RUN_DATE, "--attr-scope", "mixed"],
        "population": lambda out: ["index", "build", "--population", ext, "-o", os.path.join(out, "pop.xjp"),
                                   "-q"],
    }
    for what, args in builds.items():
        name = f"index {what}"
        ref = fresh(os.path.join(c.work, "index", what, "single"))
        status, _, err = run([c.x, *args(ref)], env=env)
        if status != 0:
            sys.exit(f"mpi_scan: {name}: the single-process build failed ({status}):\n{tail(err)}")
        for k in c.ranks:
            where = f"{name} -n {k} (index build on MPI)"
            out = fresh(os.path.join(c.work, "index", what, f"n{k}"))
            status, _, err = run(c.mpi.argv(k, [c.x, *args(out)], env_names=("SOURCE_DATE_EPOCH",)), env=env)
            if status != 0:
                c.fails.add(where, f"exit status {status} (the single process: 0)\n{tail(err)}")
                continue
            ok = compare_dirs(ref, out, where, c.fails)
            print(f"{where}: {'identical' if ok else 'DIFFERENT'}", flush=True)


# ---------------------------------------------------------------- failures

def expect_failure(c, where, argv, parent, ref_status, names, why="the single process's", stdin=None):
    """One failing run: its status, stderr naming `names` (regexes), nothing
    committed and nothing beside OUT."""
    status, _, err = run(argv, stdin=stdin)
    text = err.decode("utf-8", "replace")
    if status == 0:
        c.fails.add(where, f"exit status 0, expected {ref_status} ({why})")
    elif status != ref_status:
        c.fails.add(where, f"exit status {status}, expected {ref_status} ({why}; docs/rules.md §7)\n{tail(err)}")
    for pattern, meaning in names:
        if not re.search(pattern, text, re.IGNORECASE):
            c.fails.add(where, f"stderr does not name {meaning} (/{pattern}/)\n{tail(err)}")
    if os.path.lexists(os.path.join(parent, "out")):
        c.fails.add(where, "OUTDIR exists after a failed run")
    left = leftovers(parent, {"out"})
    if left:
        c.fails.add(where, f"left beside OUTDIR after a failed run: {left}")
    return status


def rerun_succeeds(c, where, argv, parent, ref, k):
    t = time.monotonic()
    status, _, err = run(argv)
    print(f"{where}: the next run took {time.monotonic() - t:.2f} s, exit {status}", flush=True)
    if status != 0:
        c.fails.add(where, f"the next run on the same OUTDIR failed ({status})\n{tail(err)}")
        return False
    ok = compare_dirs(ref, os.path.join(parent, "out"), where + " (next run)", c.fails, k)
    left = leftovers(parent, {"out"})
    if left:
        c.fails.add(where, f"left beside OUTDIR after the next (successful) run: {left}")
        ok = False
    return ok


def case_fail_input(c):
    d = c.inputs_dir()
    src = os.path.join(d, "all.csv")
    gen(c.x, src, 36000, 22, "--dup-rate", "0.01")
    good = fresh(os.path.join(d, "good"))
    inputs = split(src, [("first.csv", 14000, "csv"), ("second.csv.zst", 12000, "zst-rows:2000"),
                         ("third.csv", 2000, "csv"), ("fourth.csv.zst", None, "zst-rows:2000")], 22, good)
    os.remove(src)
    opts = ["--run-date", RUN_DATE]
    ref, _ = c.scan_ref("fail_input good", inputs, opts)

    # (a) second.csv.zst cut inside its fourth frame; (b) fourth.csv.zst, the
    # last input, with bytes overwritten inside its second frame
    bad_sets = {}
    for label, victim in (("truncated", "second.csv.zst"), ("corrupt", "fourth.csv.zst")):
        bdir = fresh(os.path.join(d, label))
        paths = []
        for p in inputs:
            q = os.path.join(bdir, os.path.basename(p))
            data = read(p)
            if os.path.basename(p) == victim:
                if label == "truncated":
                    data = data[: len(data) * 7 // 12]
                else:
                    at = len(data) // 3
                    data = data[:at] + bytes(range(200, 256)) * 3 + data[at + 168:]
            with open(q, "wb") as f:
                f.write(data)
            paths.append(q)
        bad_sets[label] = (paths, victim)

    for label, (paths, victim) in bad_sets.items():
        parent = fresh(os.path.join(c.work, "fail_input", label, "single"))
        out = os.path.join(parent, "out")
        ref_status, _, err = run([c.x, "scan", *paths, "-o", out, "-q", *opts])
        print(f"fail_input {label}: single process exit {ref_status}: {tail(err, 2).strip()}")
        if ref_status == 0:
            c.fails.add(f"fail_input {label}", "the single process accepts the bad input: the test input is wrong")
            continue
        for k in c.ranks:
            where = f"fail_input {label} -n {k}"
            parent = fresh(os.path.join(c.work, "fail_input", label, f"n{k}"))
            out = os.path.join(parent, "out")
            names = [(re.escape(victim), f"the bad input {victim}")]
            if k > 1:
                names.append((r"\b(rank|process)\s*\d+", "the failing rank"))
            expect_failure(c, where, c.mpi.argv(k, [c.x, "scan", *paths, "-o", out, "-q", *opts]),
                           parent, ref_status, names)
            if label == "truncated":
                ok = rerun_succeeds(c, where, c.mpi.argv(k, [c.x, "scan", *inputs, "-o", out, "-q", *opts]),
                                    parent, ref, k)
                print(f"{where}: the next run on good inputs {'identical' if ok else 'FAILED/DIFFERENT'}",
                      flush=True)
    stdin_scan(c, inputs[0], opts)


def stdin_scan(c, good_input, opts):
    """`scan -` (standard input) and a named pipe under the launcher, at
    every process count, one included: refused with exit 2, saying so,
    nothing written (mpirun's forwarding of its standard input crashes
    mpirun now and then in Open MPI 4.1, open-mpi/ompi#7483). The single
    process, started without the launcher, reads standard input."""
    parent = fresh(os.path.join(c.work, "stdin", "single"))
    with open(good_input, "rb") as f:
        status, _, err = run([c.x, "scan", "-", "-o", os.path.join(parent, "out"), "-q", *opts], stdin=f)
    if status != 0:
        c.fails.add("stdin", f"the single process cannot scan standard input ({status})\n{tail(err)}")
    pipe = os.path.join(c.work, "stdin", "pipe.csv")
    if os.path.lexists(pipe):
        os.remove(pipe)
    os.mkfifo(pipe)  # never opened by anyone: a scan that opened it would wait, and time out
    for k in c.ranks:
        where = f"scan - -n {k}"
        parent = fresh(os.path.join(c.work, "stdin", f"n{k}"))
        with open(good_input, "rb") as f:
            expect_failure(c, where, c.mpi.argv(k, [c.x, "scan", "-", "-o", os.path.join(parent, "out"), "-q", *opts]),
                           parent, 2, [(r"standard input", "standard input"), (r"mpirun", "the launcher")],
                           why="standard input is refused under the launcher", stdin=f)
        where = f"scan PIPE -n {k}"
        parent = fresh(os.path.join(c.work, "stdin", f"pipe-n{k}"))
        expect_failure(c, where, c.mpi.argv(k, [c.x, "scan", good_input, pipe, "-o", os.path.join(parent, "out"),
                                                "-q", *opts]),
                       parent, 2, [(re.escape(pipe), "the pipe"), (r"regular file", "that it is not a file")],
                       why="a named pipe is refused under the launcher")
        print(f"scan - and PIPE -n {k}: refused", flush=True)


def case_check(c):
    """check stays one process: under the launcher with K > 1 it is refused
    (exit 2, saying to start it without mpirun) and writes nothing."""
    d = c.inputs_dir()
    src = os.path.join(d, "all.csv")
    gen(c.x, src, 20000, 26, "--dup-rate", "0.01")
    register, batch = split(src, [("register.csv", 18000, "csv"), ("batch.csv", None, "csv")], 26, d)
    os.remove(src)
    reg = os.path.join(d, "reg.xji")
    status, _, err = run([c.x, "index", "build", register, "-o", reg, "-q", "--run-date", RUN_DATE])
    if status != 0:
        sys.exit(f"mpi_scan: index build failed ({status}):\n{tail(err)}")
    args = lambda out: [c.x, "check", batch, "--against", reg, "-o", out, "-q", "--run-date", RUN_DATE]
    parent = fresh(os.path.join(c.work, "check", "single"))
    status, _, err = run(args(os.path.join(parent, "out")))
    if status != 0:
        sys.exit(f"mpi_scan: the single-process check failed ({status}):\n{tail(err)}")
    for k in sorted({k for k in c.ranks if k > 1}):
        where = f"check -n {k}"
        parent = fresh(os.path.join(c.work, "check", f"n{k}"))
        got = expect_failure(c, where, c.mpi.argv(k, args(os.path.join(parent, "out"))), parent, 2,
                             [(r"without mpirun|one process|single process", "that check runs as one process")],
                             why="check runs as one process")
        print(f"{where}: exit {got}", flush=True)


def proc_table():
    """{pid: (ppid, comm)} of every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        lp, rp = stat.find(b"("), stat.rfind(b")")
        fields = stat[rp + 2:].split()
        table[int(name)] = (int(fields[1]), stat[lp + 1:rp].decode("utf-8", "replace"))
    return table


def ranks_under(root):
    """{rank: pid} of the xjdedup processes below the launcher `root`."""
    table = proc_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {}, [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            todo.append(pid)
            if table[pid][1] == "xjdedup":
                try:
                    env = read(f"/proc/{pid}/environ").split(b"\0")
                except OSError:
                    continue
                for e in env:
                    if e.startswith((b"OMPI_COMM_WORLD_RANK=", b"PMI_RANK=")):
                        found[int(e.split(b"=", 1)[1])] = pid
    return found


def cpu_seconds(pid):
    try:
        stat = read(f"/proc/{pid}/stat")
    except OSError:
        return 0.0
    fields = stat[stat.rfind(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def kill_run(argv, k, victim, out, errpath, cpu_wanted, wait_wanted):
    """Starts argv, waits until rank `victim` has used cpu_wanted CPU seconds
    (or wait_wanted seconds passed since all k ranks exist), stops every rank
    (so the job cannot finish meanwhile), SIGKILLs the victim and lets the
    others go on. (status, stderr, how); how is None when the job ended
    before the kill."""
    errf = open(errpath, "w+b")
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errf, start_new_session=True)
    seen = None
    how = None
    deadline = time.monotonic() + 60
    try:
        while p.poll() is None and time.monotonic() < deadline:
            ranks = ranks_under(p.pid)
            if len(ranks) == k and victim in ranks:
                seen = seen or time.monotonic()
                used = cpu_seconds(ranks[victim])
                if used >= cpu_wanted or time.monotonic() - seen >= wait_wanted:
                    signal_all(ranks.values(), signal.SIGSTOP)
                    if p.poll() is not None or os.path.exists(out):
                        signal_all(ranks.values(), signal.SIGCONT)
                        break
                    how = (f"rank {victim} (pid {ranks[victim]}) killed after {used:.2f} s of its CPU, "
                           f"{time.monotonic() - seen:.2f} s after the {k} ranks started")
                    os.kill(ranks[victim], signal.SIGKILL)
                    signal_all((pid for r, pid in ranks.items() if r != victim), signal.SIGCONT)
                    break
            time.sleep(0.01)
        try:
            status = p.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            status = None
        errf.seek(0)
        err = errf.read()
    finally:
        errf.close()
        try:  # whatever of that session is still there (only ours)
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return status, err, how


def case_kill(c):
    d = c.inputs_dir()
    big = os.path.join(d, "large.csv.zst")
    gen(c.x, big, int(os.environ.get("XJ_MPI_KILL_ROWS", "900000")), 23)
    small = os.path.join(d, "small.csv")
    gen(c.x, small, 3000, 24)
    inputs = [big, small]
    opts = ["--run-date", RUN_DATE]
    ref, _ = c.scan_ref("kill", inputs, opts)
    for k, victim in ((4, 2), (3, 0)):
        where = f"kill rank {victim} of -n {k}"
        parent = fresh(os.path.join(c.work, "kill", f"n{k}_rank{victim}"))
        out = os.path.join(parent, "out")
        argv = c.mpi.argv(k, [c.x, "scan", *inputs, "-o", out, "-q", *opts])
        # mid-work first; a machine fast enough to finish before that gets
        # the kill as soon as the ranks exist
        for cpu_wanted, wait_wanted in ((0.4, 0.5), (0.0, 0.0)):
            status, err, how = kill_run(argv, k, victim, out, parent + ".stderr", cpu_wanted, wait_wanted)
            # a process killed while it waits at the last meeting, its part
            # done and agreed to, may leave the job's output complete: the
            # kill came after the work, not during it (docs/mpi.md §4)
            if how and os.path.isdir(out) and wait_wanted > 0 and \
                    compare_dirs(ref, out, where, Failures(quiet=True), k):
                print(f"{where}: {how}, but only once every process had agreed to commit (the output is "
                      f"complete); trying earlier", flush=True)
                how = None
            if how:
                break
            print(f"{where}: the job ended (exit {status}) before the kill; trying earlier", flush=True)
            fresh(parent)
        if not how:
            c.fails.add(where, f"could not kill a rank before the job ended (exit {status}; "
                               f"0 would mean it finished within a second of starting)\n{tail(err)}")
            continue
        print(f"{where}: {how}; exit {status}", flush=True)
        if status is None:
            c.fails.add(where, f"the job did not end within 90 s of the kill\n{tail(err)}")
        elif status == 0:
            c.fails.add(where, "exit status 0 although a rank was killed")
        text = err.decode("utf-8", "replace")
        if not re.search(rf"\brank\s*{victim}\b", text, re.IGNORECASE):
            c.fails.add(where, f"stderr does not name rank {victim}\n{tail(err)}")
        if os.path.lexists(out):
            c.fails.add(where, "OUTDIR exists after the job was killed")
        left = leftovers(parent, {"out"})
        if left and victim != 0:
            c.fails.add(where, f"left beside OUTDIR after rank {victim} was killed: {left}")
        elif left:
            print(f"note [{where}]: left beside OUTDIR (rank 0 had no chance to clean up): {left}")
        ok = rerun_succeeds(c, where, argv, parent, ref, k)
        print(f"{where}: the next run {'identical' if ok else 'FAILED/DIFFERENT'}", flush=True)


def case_selftest(c):
    """The comparison itself, without MPI: copies of a reference output with
    one thing changed must be told apart (and a changed timing must not)."""
    d = c.inputs_dir()
    src = os.path.join(d, "p.csv")
    # 10,000 rows: about 16 schools, enough for check_timing to expect
    # shared school files from two processes
    gen(c.x, src, 10000, 25, "--dup-rate", "0.02")
    ref, _ = c.scan_ref("selftest", [src], ["--run-date", RUN_DATE])

    def edit(path, fn):
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(fn(data))

    def summary_edit(fn, manifest=True):
        def go(out):
            edit(os.path.join(out, "summary.json"), fn)
            if manifest:
                data = read(os.path.join(out, "summary.json"))
                line = f"{xxhash.xxh3_128_hexdigest(data)} {len(data)} summary.json".encode()
                edit(os.path.join(out, "MANIFEST"), lambda m: b"\n".join(
                    line if x.endswith(b" summary.json") else x for x in m.split(b"\n")))
        return go

    def timed(data, **change):
        """summary.json with its timing object as the reference's, changed."""
        t = json.loads(data)["timing"]
        t.update(ranks=1, threads=2)
        t.update(change)
        t = {key: v for key, v in t.items() if v is not None}
        body = cut_timing(data).rstrip()
        assert body.endswith(b"}")
        return body[:-1].rstrip() + b',\n  "timing": ' + json.dumps(t).encode() + b"\n}\n"

    def line_edit(out):
        def change(data):
            lines = data.split(b"\n")
            lines[6] = lines[6][:-1] + (b"0" if lines[6][-1:] != b"0" else b"1")
            return b"\n".join(lines)
        edit(os.path.join(out, "problems.csv"), change)

    variants = [
        ("timing only", summary_edit(lambda b: b.replace(b'"wall_seconds": ', b'"wall_seconds": 9')), []),
        ("a changed line", line_edit, ["problems.csv differs", "first differing line 7"]),
        ("a missing file", lambda out: os.remove(os.path.join(out, "rejects.csv")), ["missing", "rejects.csv"]),
        ("an extra file", lambda out: open(os.path.join(out, "stray.csv"), "w").close(),
         ["does not write", "stray.csv"]),
        ("wrong ranks", summary_edit(lambda b: timed(b, ranks=2)), ["timing.ranks is 2"]),
        ("no ranks", summary_edit(lambda b: timed(b, ranks=None)), ["timing.ranks is '(absent)'"]),
        ("no threads", summary_edit(lambda b: timed(b, threads=None)), ["timing.threads is '(absent)'"]),
        ("a stale MANIFEST", summary_edit(lambda b: b.replace(b'"wall_seconds": ', b'"wall_seconds": 9'),
                                          manifest=False), ["MANIFEST's summary.json line"]),
        ("a count outside timing", summary_edit(lambda b: b.replace(b'"read": ', b'"read": 1', 1)),
         ["summary.json differs (without timing)"]),
        ("files shared alone", summary_edit(lambda b: timed(b, shared_files=3)),
         ["timing.shared_files is 3 in a single process"]),
    ]
    # as if from two processes: rank 1 must have written some school files
    shared_variants = [
        ("rank 0 wrote all", summary_edit(lambda b: timed(b, ranks=2, shared_files=0)),
         ["timing.shared_files is 0: the other processes"]),
        ("shared", summary_edit(lambda b: timed(b, ranks=2, shared_files=5)), []),
    ]
    for label, mutate, expected, k in [v + (1,) for v in variants] + [v + (2,) for v in shared_variants]:
        got = os.path.join(fresh(os.path.join(c.work, "selftest", label.replace(" ", "_"))), "out")
        shutil.copytree(ref, got)
        mutate(got)
        f = Failures(quiet=True)
        compare_dirs(ref, got, label, f, k)
        text = "\n".join(f.items)
        if not expected and f.items:
            c.fails.add("selftest " + label, f"reported as different:\n{text}")
        for e in expected:
            if e not in text:
                c.fails.add("selftest " + label, f"not reported as {e!r}; the report was:\n{text or '(nothing)'}")
        print(f"selftest {label}: {text.splitlines()[0] if text else 'no difference'}")
    parent = fresh(os.path.join(c.work, "selftest", "leftover"))
    os.makedirs(os.path.join(parent, "out"))
    os.makedirs(os.path.join(parent, ".out.tmp-1-2"))
    if leftovers(parent, {"out"}) != [".out.tmp-1-2"]:
        c.fails.add("selftest", f"leftovers() does not see the temporary: {leftovers(parent, {'out'})}")


CASES = {
    "split": case_split, "messy": case_messy, "gbk": case_gbk, "mixed": case_mixed,
    "population": case_population, "monthly": case_monthly, "xlsx": case_xlsx,
    "suspects": case_suspects, "index": case_index, "fail_input": case_fail_input, "kill": case_kill,
    "check": case_check, "selftest": case_selftest, "parts": case_parts,
    "zparts": case_zparts,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("xjdedup")
    ap.add_argument("workdir")
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--mpirun", default=shutil.which("mpirun") or "")
    ap.add_argument("--ranks", default="1,2,3,4")
    a = ap.parse_args()
    outside_any_launcher()
    launcher = Launcher(a.mpirun) if a.case != "selftest" else None
    work = fresh(os.path.abspath(a.workdir))
    ranks = [int(k) for k in a.ranks.split(",")]
    c = Ctx(os.path.abspath(a.xjdedup), work, launcher, ranks)
    if launcher:
        print(f"launcher: {launcher.version} ({launcher.kind}): {' '.join(launcher.argv(0, [])[1:-2])}",
              flush=True)
    t = time.monotonic()
    CASES[a.case](c)
    print(f"{a.case}: {time.monotonic() - t:.1f} s")
    if c.fails.items:
        print(f"\n{len(c.fails.items)} failure(s):", file=sys.stderr)
        for f in c.fails.items:
            print(f, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
