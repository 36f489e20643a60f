#!/usr/bin/env python3
"""check_inputs — inputs and output folders a careless user gives `xjdedup`
(issue 13, item 8).

usage: check_inputs.py XJDEDUP BASIC_CASE_DIR WORKDIR CASE

CASE is one of:
  fifo       a named pipe, /dev/stdin on a pipe, a process substitution
             (/dev/fd/N) and a zstd stream through a pipe each finish (every
             run has a timeout, so a hang fails instead of hanging) with the
             output of the same bytes in a regular file of the same name;
             index build reads a pipe once without spooling it; a directory
             is refused with exit 2.
  same_file  one file given twice — the same path, ./path, a symlink, a hard
             link, `-` with that file on stdin, `-` beside /dev/stdin — is
             refused with exit 2 by scan, check and index build, and nothing
             is written.
  base_names inputs that share a base name get distinct `source` values by
             the documented rule (the shortest ending of the path that no
             other input's ending of as many parts equals), the same in
             problems.csv, the school files, rejects.csv, summary.json,
             report.html and an index's sources; the output is identical for
             every thread count and chunk size.
  force      --force refuses, and leaves untouched, a folder whose MANIFEST
             is not xjdedup's or that holds anything its MANIFEST does not
             list (a file, a folder, a symlink, a listed file of another
             size); it replaces real earlier outputs, whatever options made
             them (--excel, --output-encoding gbk, --headers en, --previous,
             check's output).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading

TIMEOUT = 60
RUN_DATE = ["--run-date", "2026-11-28"]


class Checker:
    def __init__(self, xj, case_dir, work):
        self.xj = xj
        self.work = work
        with open(os.path.join(case_dir, "students.csv"), "rb") as f:
            self.students = f.read()
        self.fails = []

    def check(self, cond, what):
        if not cond:
            self.fails.append(what)
        return cond

    def run(self, args, cwd=None, stdin=None, pass_fds=(), env=None, input_bytes=None):
        """Runs xjdedup; a run that does not finish in TIMEOUT seconds is
        killed and reported as exit status None."""
        try:
            io = {"input": input_bytes} if input_bytes is not None else {"stdin": stdin}
            r = subprocess.run([self.xj] + args, cwd=cwd or self.work, capture_output=True, timeout=TIMEOUT,
                               pass_fds=pass_fds, env=env, **io)
            return r.returncode, r.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            return None, f"timed out after {TIMEOUT} s"

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def write(self, rel, data):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        return p


# ---- comparing output folders ----

def tree(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for base, dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(base, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def fingerprint(root):
    """Every entry under root with its kind and contents (symlinks not followed)."""
    out = []
    for base, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            p = os.path.join(base, name)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out.append((rel, "link", os.readlink(p)))
            elif os.path.isdir(p):
                out.append((rel, "dir", ""))
            else:
                with open(p, "rb") as f:
                    out.append((rel, "file", hashlib.sha256(f.read()).hexdigest()))
    return sorted(out)


def without_timing(files):
    """The tree with summary.json's timing cut and MANIFEST's summary.json line
    dropped: the only parts that may differ between runs."""
    out = dict(files)
    if "summary.json" in out:
        s = json.loads(out["summary.json"])
        s.pop("timing", None)
        out["summary.json"] = json.dumps(s, ensure_ascii=False, indent=1).encode()
    if "MANIFEST" in out:
        out["MANIFEST"] = b"".join(ln for ln in out["MANIFEST"].splitlines(True) if not ln.endswith(b" summary.json\n"))
    return out


def differences(a, b):
    ta, tb = without_timing(tree(a)), without_timing(tree(b))
    return sorted(k for k in set(ta) | set(tb) if ta.get(k) != tb.get(k))


# ---- named pipes and other inputs that can be read only once ----

class PipeWriter:
    """Writes `data` into the FIFO `path` from a thread, as `cat a.csv > f.csv &` would."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.t = threading.Thread(target=self._write, daemon=True)
        self.t.start()

    def _write(self):
        try:
            fd = os.open(self.path, os.O_WRONLY)
            try:
                self._all(fd)
            finally:
                os.close(fd)
        except OSError:
            pass  # the reader went away; the run's result says what happened

    def _all(self, fd):
        view = memoryview(self.data)
        while view:
            view = view[os.write(fd, view):]

    def finish(self):
        """Unblocks a writer still waiting for a reader (the run never opened the pipe)."""
        self.t.join(1)
        if self.t.is_alive():
            try:
                fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
                os.read(fd, 1 << 20)
                os.close(fd)
            except OSError:
                pass
            self.t.join(5)


def scan_fifo(c, fifo_rel, data, out, extra=()):
    p = c.path(fifo_rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.exists(p):
        os.unlink(p)
    os.mkfifo(p)
    w = PipeWriter(p, data)
    rc, err = c.run(["scan", fifo_rel, "-o", out, "-q"] + RUN_DATE + list(extra))
    w.finish()
    return rc, err


def case_fifo(c):
    c.write("plain/a.csv", c.students)
    for threads in ("1", "2"):
        rc, err = c.run(["scan", "plain/a.csv", "-o", f"plain_out{threads}", "-q", "-t", threads] + RUN_DATE)
        if not c.check(rc == 0, f"plain scan: exit {rc}: {err}"):
            return
        # a named pipe called a.csv, as in `mkfifo f.csv; (cat a.csv > f.csv &); xjdedup scan f.csv`
        rc, err = scan_fifo(c, "pipe/a.csv", c.students, f"fifo_out{threads}", ["-t", threads])
        c.check(rc == 0, f"FIFO input, -t {threads}: exit {rc} (want 0): {err}")
        if rc == 0:
            d = differences(c.path(f"plain_out{threads}"), c.path(f"fifo_out{threads}"))
            c.check(not d, f"FIFO input, -t {threads}: output differs from the regular file's in {d}")

    # a pipe beside a regular file, small chunks: the second pass reads the
    # regular file again and replays the pipe from its spool
    c.write("mixed/b.csv", c.students.replace(b"G11", b"J11"))
    c.write("plainmix/a.csv", c.students)
    shutil.copy(c.path("mixed/b.csv"), c.path("plainmix/b.csv"))
    rc, err = c.run(["scan", "plainmix/a.csv", "plainmix/b.csv", "-o", "plainmix_out", "-q", "-t", "2",
                     "--chunk-size", "4096"] + RUN_DATE)
    c.check(rc == 0, f"two plain files: exit {rc}: {err}")
    rc, err = scan_fifo(c, "mixed/a.csv", c.students, "mixed_out", ["mixed/b.csv", "-t", "2", "--chunk-size", "4096"])
    c.check(rc == 0, f"FIFO beside a file: exit {rc}: {err}")
    if rc == 0:
        d = differences(c.path("plainmix_out"), c.path("mixed_out"))
        c.check(not d, f"FIFO beside a file: output differs in {d}")

    # /dev/stdin when stdin is a pipe (its base name is `stdin`)
    c.write("devstdin/stdin", c.students)
    rc, err = c.run(["scan", "devstdin/stdin", "-o", "devstdin_plain", "-q"] + RUN_DATE)
    c.check(rc == 0, f"plain 'stdin' file: exit {rc}: {err}")
    rc, err = c.run(["scan", "/dev/stdin", "-o", "devstdin_out", "-q"] + RUN_DATE, input_bytes=c.students)
    c.check(rc == 0, f"/dev/stdin on a pipe: exit {rc} (want 0): {err}")
    if rc == 0:
        d = differences(c.path("devstdin_plain"), c.path("devstdin_out"))
        c.check(not d, f"/dev/stdin on a pipe: output differs in {d}")

    # a process substitution: /dev/fd/N, the read end of a pipe
    r, w = os.pipe()
    name = str(r)
    c.write(f"procsub/{name}", c.students)
    rc, err = c.run(["scan", f"procsub/{name}", "-o", "procsub_plain", "-q"] + RUN_DATE)
    c.check(rc == 0, f"plain file named {name}: exit {rc}: {err}")

    def feed():
        try:
            os.write(w, c.students)
        finally:
            os.close(w)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    rc, err = c.run(["scan", f"/dev/fd/{r}", "-o", "procsub_out", "-q"] + RUN_DATE, pass_fds=(r,))
    os.close(r)
    t.join(5)
    c.check(rc == 0, f"process substitution /dev/fd/{r}: exit {rc} (want 0): {err}")
    if rc == 0:
        d = differences(c.path("procsub_plain"), c.path("procsub_out"))
        c.check(not d, f"process substitution: output differs in {d}")

    # zstd bytes through a pipe named .zst
    z = subprocess.run(["zstd", "-q", "-c"], input=c.students, capture_output=True, check=True).stdout
    c.write("zplain/a.csv.zst", z)
    rc, err = c.run(["scan", "zplain/a.csv.zst", "-o", "zplain_out", "-q"] + RUN_DATE)
    c.check(rc == 0, f"plain .zst: exit {rc}: {err}")
    rc, err = scan_fifo(c, "zpipe/a.csv.zst", z, "zpipe_out")
    c.check(rc == 0, f"FIFO of zstd bytes: exit {rc} (want 0): {err}")
    if rc == 0:
        d = differences(c.path("zplain_out"), c.path("zpipe_out"))
        c.check(not d, f"FIFO of zstd bytes: output differs in {d}")

    # index build reads each input once: a pipe is not spooled (a TMPDIR
    # that does not exist would make a spool fail), and the index equals the
    # regular file's
    env = dict(os.environ, SOURCE_DATE_EPOCH="1", TMPDIR=c.path("no-such-dir"))
    rc, err = c.run(["index", "build", "plain/a.csv", "-o", "plain.xji", "-q"] + RUN_DATE, env=env)
    c.check(rc == 0, f"index build of a file: exit {rc}: {err}")
    p = c.path("pipe/a.csv")
    wr = PipeWriter(p, c.students)
    rc, err = c.run(["index", "build", "pipe/a.csv", "-o", "pipe.xji", "-q"] + RUN_DATE, env=env)
    wr.finish()
    c.check(rc == 0, f"index build of a FIFO without a spool directory: exit {rc} (want 0): {err}")
    if rc == 0:
        with open(c.path("plain.xji"), "rb") as f1, open(c.path("pipe.xji"), "rb") as f2:
            c.check(f1.read() == f2.read(), "index built from a FIFO differs from the regular file's")

    # a directory is no input
    rc, err = c.run(["scan", "plain", "-o", "dir_out", "-q"] + RUN_DATE)
    c.check(rc == 2 and "directory" in err and "plain" in err, f"directory input: exit {rc} (want 2): {err}")
    c.check(not os.path.exists(c.path("dir_out")), "directory input: an output was written")


# ---- one file given twice ----

def case_same_file(c):
    c.write("a.csv", c.students)
    os.makedirs(c.path("sub"), exist_ok=True)
    os.symlink("../a.csv", c.path("sub/link.csv"))
    os.link(c.path("a.csv"), c.path("hard.csv"))
    twice = [
        (["a.csv", "a.csv"], None),
        (["a.csv", "./a.csv"], None),
        (["a.csv", c.path("a.csv")], None),
        (["sub/link.csv", "a.csv"], None),
        (["a.csv", "hard.csv"], None),
        (["-", "a.csv"], "a.csv"),
        (["-", "/dev/stdin"], "a.csv"),
    ]
    rc, err = c.run(["scan", "a.csv", "-o", "once", "-q"] + RUN_DATE)
    c.check(rc == 0, f"one input: exit {rc}: {err}")
    c.run(["index", "build", "a.csv", "-o", "reg.xji", "-q"] + RUN_DATE)
    for k, (inputs, stdin_file) in enumerate(twice):
        for cmd in (["scan"], ["check"], ["index", "build"]):
            out = f"twice_{k}_{cmd[0]}"
            args = cmd + inputs + ["-o", out + (".xji" if cmd[0] == "index" else ""), "-q"] + RUN_DATE
            if cmd == ["check"]:
                args += ["--against", "reg.xji"]
            stdin = open(c.path(stdin_file), "rb") if stdin_file else subprocess.DEVNULL
            try:
                rc, err = c.run(args, stdin=stdin)
            finally:
                if stdin_file:
                    stdin.close()
            what = f"{' '.join(cmd)} {' '.join(inputs)}"
            c.check(rc == 2, f"{what}: exit {rc}, want 2 (the same file twice): {err.strip()}")
            c.check("same file" in err, f"{what}: the message does not say it is the same file: {err.strip()}")
            c.check(not any(n.startswith(out) for n in os.listdir(c.work)), f"{what}: something was written")


# ---- inputs that share a base name ----

def split_inputs(c):
    """basic's rows split over two files (duplicates then cross files), one
    unreadable row in each (so rejects.csv names both)."""
    lines = c.students.splitlines(True)
    head, rows = lines[0], lines[1:]
    x = head + b"".join(rows[0::2]) + b"G1,only,three\n"
    y = head + b"".join(rows[1::2]) + b"G2,too,few\n"
    return x, y


def school_sources(out):
    """`source` of every row of every school file (column 来源文件)."""
    found = set()
    for base, dirs, files in os.walk(os.path.join(out, "schools")):
        for name in files:
            if name.endswith(".csv"):
                found |= set(column(os.path.join(base, name), "来源文件")[0])
    return found


def column(path, name):
    import csv
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(name)
    return [r[col] for r in rows[1:]], rows


def case_base_names(c):
    x, y = split_inputs(c)
    c.write("x/a.csv", x)
    c.write("y/a.csv", y)
    c.write("y/x/a.csv", y.replace(b"G11", b"L11"))
    c.write("a.csv", x.replace(b"G11", b"J11"))
    c.write("b.csv", y.replace(b"G11", b"J12"))
    c.write("d/-", y.replace(b"G11", b"G12"))
    cases = [
        (["x/a.csv", "y/a.csv"], ["x/a.csv", "y/a.csv"], None),
        (["y/a.csv", "x/a.csv"], ["y/a.csv", "x/a.csv"], None),
        (["x/a.csv", "y/x/a.csv"], ["x/a.csv", "y/x/a.csv"], None),
        (["a.csv", "x/a.csv", "b.csv"], ["a.csv", "x/a.csv", "b.csv"], None),
        (["./a.csv", "x//a.csv"], ["./a.csv", "x/a.csv"], None),
        ([c.path("y/a.csv"), "x/a.csv"], ["y/a.csv", "x/a.csv"], None),
        (["-", "d/-"], ["-", "d/-"], "x/a.csv"),
    ]
    for k, (inputs, want, stdin_file) in enumerate(cases):
        what = " ".join(os.path.relpath(i, c.work) if os.path.isabs(i) else i for i in inputs)
        outs = []
        for t, chunk in (("1", None), ("2", "4096"), ("4", None)):
            out = f"names_{k}_t{t}"
            args = ["scan"] + inputs + ["-o", out, "-q", "-t", t] + RUN_DATE
            if chunk:
                args += ["--chunk-size", chunk]
            stdin = open(c.path(stdin_file), "rb") if stdin_file else subprocess.DEVNULL
            try:
                rc, err = c.run(args, stdin=stdin)
            finally:
                if stdin_file:
                    stdin.close()
            if not c.check(rc == 0, f"{what}: exit {rc}: {err}"):
                break
            outs.append(c.path(out))
        if len(outs) < 3:
            continue
        for other in outs[1:]:
            d = differences(outs[0], other)
            c.check(not d, f"{what}: output depends on the thread count or chunk size: {d}")
        out = outs[0]
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
            names = [i["name"] for i in json.load(f)["inputs"]]
        c.check(names == want, f"{what}: summary.json inputs {names}, want {want}")
        sources, rows = column(os.path.join(out, "problems.csv"), "source")
        c.check(set(sources) == set(want), f"{what}: problems.csv sources {sorted(set(sources))}, want {sorted(want)}")
        c.check(school_sources(out) == set(sources), f"{what}: school files' sources {school_sources(out)}")
        rej, _ = column(os.path.join(out, "rejects.csv"), "source")
        c.check(sorted(rej) == sorted(want), f"{what}: rejects.csv sources {rej}, want one row for each of {want}")
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            html = f.read()
        for n in want:
            c.check(n in html, f"{what}: report.html does not name {n}")
        # rows are in (school, problem, group, source, line) order with the new names
        h = rows[0]
        key = [(r[h.index("学校标识码")].encode(), r[0].encode(), r[2].encode(), r[h.index("source")].encode(),
                int(r[h.index("line")])) for r in rows[1:]]
        c.check(key == sorted(key), f"{what}: problems.csv is not sorted by school, problem, group, source, line")

    # an index names its sources the same way, and so does its rejects file
    env = dict(os.environ, SOURCE_DATE_EPOCH="1")
    rc, err = c.run(["index", "build", "x/a.csv", "y/a.csv", "-o", "names.xji", "-q"] + RUN_DATE, env=env)
    if c.check(rc == 0, f"index build x/a.csv y/a.csv: exit {rc}: {err}"):
        r = subprocess.run([c.xj, "index", "info", "names.xji"], cwd=c.work, capture_output=True, timeout=TIMEOUT)
        listed = [ln.split()[0] for ln in r.stdout.decode().splitlines() if ln.startswith("  ")]
        c.check(listed == ["x/a.csv", "y/a.csv"], f"index info sources {listed}, want ['x/a.csv', 'y/a.csv']")
        rej, _ = column(c.path("names.xji.rejects.csv"), "source")
        c.check(sorted(rej) == ["x/a.csv", "y/a.csv"], f"index rejects sources {rej}")
        rc, err = c.run(["index", "build", "x/a.csv", "y/a.csv", "-o", "names2.xji", "-q", "-t", "1"] + RUN_DATE,
                        env=env)
        with open(c.path("names.xji"), "rb") as f1, open(c.path("names2.xji"), "rb") as f2:
            c.check(rc == 0 and f1.read() == f2.read(), "index with shared base names differs between thread counts")


# ---- --force ----

def make_output(c, out, extra=(), cmd=("scan",), inputs=("a.csv",)):
    rc, err = c.run(list(cmd) + list(inputs) + ["-o", out, "-q"] + RUN_DATE + list(extra))
    c.check(rc == 0, f"{' '.join(cmd)} -o {out} {' '.join(extra)}: exit {rc}: {err}")
    return rc == 0


def refused(c, out, what, must_say):
    """--force onto `out` must fail with exit 2 and leave it as it was."""
    before = fingerprint(c.path(out))
    rc, err = c.run(["scan", "b.csv", "-o", out, "--force", "-q"] + RUN_DATE)
    c.check(rc == 2, f"--force onto {what}: exit {rc}, want 2: {err.strip()}")
    c.check(must_say in err, f"--force onto {what}: the message does not name {must_say!r}: {err.strip()}")
    c.check(fingerprint(c.path(out)) == before, f"--force onto {what}: the folder was changed")
    c.check(not [n for n in os.listdir(c.work) if ".tmp-" in n], f"--force onto {what}: a temporary was left")


def case_force(c):
    c.write("a.csv", c.students)
    c.write("b.csv", c.students.replace(b"G11", b"J11"))

    # a folder of someone's with a file that happens to be called MANIFEST
    c.write("thesis/MANIFEST", b"Manifest-Version: 1.0\nCreated-By: javac\n")
    c.write("thesis/chapter1.docx", b"years of work\n")
    refused(c, "thesis", "a folder with a foreign MANIFEST", "MANIFEST")
    # a MANIFEST that only looks like ours
    lines = [b"0" * 32 + b" 3 ../../etc/passwd\n", b"0" * 32 + b" 03 a\n", b"0" * 31 + b"g 3 a\n",
             b"0" * 32 + b" 3 a\n" + b"0" * 32 + b" 3 a\n", b"0" * 32 + b" 3 a", b"0" * 32 + b" 3 /abs\n",
             b"0" * 32 + b" 3 x//y\n", b"0" * 32 + b" 3 b\n" + b"0" * 32 + b" 3 a\n"]
    for k, text in enumerate(lines):
        c.write(f"lookalike{k}/MANIFEST", text)
        c.write(f"lookalike{k}/a", b"abc")
        refused(c, f"lookalike{k}", f"a look-alike MANIFEST {text!r}", "MANIFEST")

    # real earlier outputs, then something added or changed in them
    spoiled = {
        "a file it does not list": lambda d: open(os.path.join(d, "notes.txt"), "w").write("mine\n"),
        "a file deep inside": lambda d: open(os.path.join(d, "schools", "11", "mine.csv"), "w").write("x\n"),
        "an empty folder": lambda d: os.mkdir(os.path.join(d, "schools", "99")),
        "a symlink": lambda d: os.symlink("/etc", os.path.join(d, "schools", "etc")),
        "a listed file edited": lambda d: open(os.path.join(d, "problems.csv"), "a").write("edited\n"),
        "a MANIFEST that lists nothing": lambda d: open(os.path.join(d, "MANIFEST"), "w").write(""),
    }
    names = {"a file it does not list": "notes.txt", "a file deep inside": "schools/11/mine.csv",
             "an empty folder": "schools/99", "a symlink": "schools/etc", "a listed file edited": "problems.csv",
             "a MANIFEST that lists nothing": "does not list"}
    for k, (what, spoil) in enumerate(spoiled.items()):
        out = f"spoiled{k}"
        if not make_output(c, out):
            continue
        spoil(c.path(out))
        refused(c, out, f"an earlier output with {what}", names[what])

    # real earlier outputs, made with every option, are replaced
    c.run(["index", "build", "a.csv", "-o", "reg.xji", "-q"] + RUN_DATE)
    made = {
        "plain": [],
        "excel": ["--excel"],
        "gbk, en headers": ["--output-encoding", "gbk", "--headers", "en"],
        "everything": ["--excel", "--output-encoding", "gbk", "--headers", "en", "--previous", "prev", "-t", "1",
                       "--chunk-size", "4096"],
    }
    make_output(c, "prev")
    for k, (what, extra) in enumerate(made.items()):
        for cmd in (("scan",), ("check", "--against", "reg.xji")):
            out = f"real{k}_{cmd[0]}"
            if not make_output(c, out, extra, cmd, inputs=("b.csv",) if cmd[0] == "check" else ("a.csv",)):
                continue
            for again in (("scan",), ("check", "--against", "reg.xji")):
                inode = os.stat(c.path(out)).st_ino  # the old one is freed only after the swap
                rc, err = c.run(list(again) + ["b.csv", "-o", out, "--force", "-q"] + RUN_DATE + extra)
                c.check(rc == 0, f"--force {again[0]} onto a {cmd[0]} output made with {what}: exit {rc}: {err}")
                c.check(os.stat(c.path(out)).st_ino != inode, f"{out}: not replaced by {again[0]}")
                sources, _ = column(c.path(out, "problems.csv"), "source")
                c.check(set(sources) == {"b.csv"}, f"{out}: does not hold the new result ({set(sources)})")
    c.check(not [n for n in os.listdir(c.work) if ".tmp-" in n or ".old-" in n], "a temporary was left behind")


def main():
    xj, case_dir, work, case = sys.argv[1:5]
    xj = os.path.abspath(xj)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = Checker(xj, case_dir, work)
    {"fifo": case_fifo, "same_file": case_same_file, "base_names": case_base_names, "force": case_force}[case](c)
    for f in c.fails:
        print("FAIL", f)
    print(f"{case}: {len(c.fails)} failures")
    return 1 if c.fails else 0


if __name__ == "__main__":
    sys.exit(main())
