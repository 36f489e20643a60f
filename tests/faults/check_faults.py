#!/usr/bin/env python3
"""check_faults — output failures at every kind of call, and kills at random
moments, never leave a half-written OUTDIR.

usage: check_faults.py XJDEDUP SHIM INPUT WORKDIR

1. For each output function (write, close, syncfs, fsync, openat, mkdirat,
   renameat, renameat2) the shim counts the calls of a clean run, then fails
   the first, a middle, and the last call in turn, with ENOSPC or EIO, both
   into a new OUTDIR and over an existing one with --force. Each run must
   either exit 3 with a message naming what failed, leaving OUTDIR absent
   (new) or byte-identical to the previous result (--force) — or, where the
   failing call does not matter (close of an input), exit 0 with the full
   result. write, syncfs, openat and the rename must be detected (exit 3).
2. SIGKILL at 20 points spread over a run with --force: afterwards OUTDIR is
   the old or the new complete result, and the next run removes the dead
   run's temporary directory.
3. SIGINT and SIGTERM at 10 points: exit 130 / 143 (0 when the run had
   already finished), OUTDIR old or new, no temporary left behind.
4. The same for `xjdedup index build` (check_index), and the directory of
   the rejects file beside the index is synced after its rename.
5. Short writes (the shim's XJ_SHORT_WRITES: every write does a third of
   its bytes) are resumed: scan and index build give the same output.
6. --threads 1 starts no thread and --threads 2 some (the shim counts
   pthread_create), with the same output.
"""
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time


def digest(d):
    if not os.path.isdir(d):
        return None
    h = hashlib.sha256()
    for root, _, names in sorted(os.walk(d)):
        for n in sorted(names):
            p = os.path.join(root, n)
            rel = os.path.relpath(p, d)
            data = open(p, "rb").read()
            if rel == "summary.json":
                data = data[: data.find(b',\n  "timing"')]
            if rel == "MANIFEST":
                data = b"\n".join(l for l in data.split(b"\n") if not l.endswith(b" summary.json"))
            h.update(rel.encode() + b"\0" + data)
    return h.hexdigest()


def temps(work):
    return [n for n in os.listdir(work) if ".tmp-" in n or ".old-" in n]


def scan(xj, inp, out, env=None, force=False):
    cmd = [xj, "scan", inp, "-o", out, "-q", "--run-date", "2026-11-28", "--threads", "2"]
    if force:
        cmd.append("--force")
    return subprocess.run(cmd, capture_output=True, env=env, timeout=300)


def injections(shim, call, work, run):
    """Counts the calls of `call` in run(env), then yields (k, n, errno name,
    env) failing the first, a middle and the last of them; None first when
    the counting run itself failed."""
    count_file = os.path.join(work, "count")
    env = dict(os.environ, LD_PRELOAD=shim, XJ_FAIL_CALL=call, XJ_FAIL_AT="0", XJ_FAIL_COUNT=count_file)
    if run(env).returncode != 0:
        yield None
        return
    n = int(open(count_file).read())
    for k in sorted({1, max(1, n // 2), n}) if n else []:
        for err in ("ENOSPC", "EIO"):
            yield k, n, err, dict(os.environ, LD_PRELOAD=shim, XJ_FAIL_CALL=call, XJ_FAIL_AT=str(k), XJ_FAIL_ERRNO=err)


def judge(fails, what, p, prog, got, allowed_after_failure, want, must_detect):
    """A run with an injected failure: exit 3 with a message naming `prog`
    and the output in one of the allowed states, or (where the failing call
    does not matter) exit 0 with the complete output."""
    if p.returncode == 3:
        if prog not in p.stderr:
            fails.append(f"{what}: no message")
        if got not in allowed_after_failure:
            fails.append(f"{what}: a failed run left the output in another state")
    elif p.returncode == 0:
        if must_detect:
            fails.append(f"{what}: the failure went unnoticed")
        elif got != want:
            fails.append(f"{what}: exit 0 but the output differs")
    else:
        fails.append(f"{what}: exit {p.returncode}: {p.stderr[-300:]!r}")


STARTUP = 0.0  # seconds for the program to be loaded and reach main (main() measures it)


def catches(pid, sig):
    """Whether process pid has a handler for sig (its SigCgt mask in
    /proc), or has ended."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return int(line.split()[1], 16) >> (sig - 1) & 1 == 1
    except OSError:
        return True
    return True


def interrupt(cmd, delay, sig, env=None):
    """Starts cmd, sends it `sig` after `delay` seconds — but not before the
    program can handle it: a signal that arrives before main has installed
    its handlers kills any program, whatever it does. A catchable signal
    waits until /proc shows the handler (a wait of twice the measured
    start-up time was not enough on a loaded machine: a fresh root's run
    was killed by SIGINT #0); SIGKILL waits twice the start-up time.
    Returns the exit status."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    if sig == signal.SIGKILL:
        time.sleep(max(delay, 2 * STARTUP))
    else:
        while not catches(p.pid, sig) and time.time() - t0 < 30:
            time.sleep(0.001)
        time.sleep(max(0.0, delay - (time.time() - t0)))
    p.send_signal(sig)
    return p.wait()


def file_digest(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.exists(p) else None


def index_build(xj, inp, out, env=None, force=False):
    cmd = [xj, "index", "build", inp, "-o", out, "-q", "--run-date", "2026-11-28", "--threads", "2"]
    if force:
        cmd.append("--force")
    env = dict(env or os.environ, SOURCE_DATE_EPOCH="1764288000")
    return subprocess.run(cmd, capture_output=True, env=env, timeout=300)


def check_index(xj, shim, inp, small, work, fails):
    """4. The register index (its record blocks are written while the input
    is read, the rest after them): a failed write, writev, pwrite, fsync,
    close or rename exits 3 with a message and leaves the target as it was (absent,
    or the old index) or, when only the rejects file failed after the
    commit, the complete new one; never a torn file, never a temporary left
    behind; the same for the rejects file beside it. SIGKILL leaves the old
    or the new index, and the next build removes the dead run's
    temporary."""
    d = os.path.join(work, "ix")
    target = os.path.join(d, "reg.xji")
    ref = os.path.join(work, "ref.xji")
    old = os.path.join(work, "old.xji")
    if index_build(xj, inp, ref).returncode != 0 or index_build(xj, small, old).returncode != 0:
        fails.append("index: the clean builds failed")
        return 0
    want, old_digest = file_digest(ref), file_digest(old)

    def reset(force):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        if force:
            shutil.copyfile(old, target)

    def leftovers():
        return [n for n in os.listdir(d) if n not in ("reg.xji", "reg.xji.rejects.csv")]

    runs = 0
    must_detect = {"write", "writev", "pwrite", "fsync", "rename"}
    for call in ["write", "writev", "pwrite", "fsync", "close", "rename"]:
        for force in (False, True):
            reset(force)
            for inj in injections(shim, call, work, lambda env: index_build(xj, inp, target, env, force)):
                if inj is None:
                    fails.append(f"index {call}: counting run failed")
                    break
                k, n, err, env = inj
                reset(force)
                p = index_build(xj, inp, target, env, force)
                runs += 1
                what = f"index {call} #{k}/{n} {err}{' over an old index' if force else ''}"
                judge(fails, what, p, b"xjdedup index", file_digest(target),
                      ((old_digest if force else None), want), want, call in must_detect)
                if leftovers():
                    fails.append(f"{what}: left {leftovers()}")
    # a register with rejected rows: the rejects file beside the index is
    # written whole or not at all too (write, fsync and rename fail in turn)
    messy = os.path.join(work, "messy.csv")
    subprocess.run([xj, "gen", "--rows", "3000", "--seed", "4", "--messy", "--run-date", "2026-11-28", "-o", messy,
                    "-q"], check=True, capture_output=True)
    messy_ref = os.path.join(work, "messy-ref.xji")
    if index_build(xj, messy, messy_ref).returncode != 0 or not os.path.exists(messy_ref + ".rejects.csv"):
        fails.append("index: the messy register's clean build failed or rejected nothing")
    else:
        want_ix, want_rej = file_digest(messy_ref), file_digest(messy_ref + ".rejects.csv")
        for call in ["write", "fsync", "rename"]:
            reset(False)
            for inj in injections(shim, call, work, lambda env: index_build(xj, messy, target, env)):
                if inj is None:
                    fails.append(f"index rejects {call}: counting run failed")
                    break
                k, n, err, env = inj
                reset(False)
                p = index_build(xj, messy, target, env)
                runs += 1
                what = f"index with rejects, {call} #{k}/{n} {err}"
                if p.returncode != 3 or b"xjdedup index" not in p.stderr:
                    fails.append(f"{what}: exit {p.returncode}, {p.stderr[-200:]!r}")
                if file_digest(target) not in (None, want_ix):
                    fails.append(f"{what}: the index is neither absent nor the complete one")
                if file_digest(target + ".rejects.csv") not in (None, want_rej):
                    fails.append(f"{what}: the rejects file is neither absent nor the complete one")
                if leftovers():
                    fails.append(f"{what}: left {leftovers()}")
        # the rejects file's rename is made durable like the index's: the
        # build's last fsync is its directory's, and a failure there is
        # reported as such, with the complete file in place
        count_file = os.path.join(work, "count")
        reset(False)
        index_build(xj, messy, target, dict(os.environ, LD_PRELOAD=shim, XJ_FAIL_CALL="fsync", XJ_FAIL_AT="0",
                                            XJ_FAIL_COUNT=count_file))
        last = open(count_file).read().strip()
        reset(False)
        p = index_build(xj, messy, target, dict(os.environ, LD_PRELOAD=shim, XJ_FAIL_CALL="fsync", XJ_FAIL_AT=last))
        runs += 1
        if p.returncode != 3 or b".rejects.csv: written, but its directory" not in p.stderr:
            fails.append(f"index with rejects, fsync #{last} (the last): exit {p.returncode}, {p.stderr[-200:]!r}; "
                         "the rejects file's directory is not synced after its rename")
        if file_digest(target + ".rejects.csv") != want_rej:
            fails.append(f"index with rejects, fsync #{last} (the last): the rejects file is not the complete one")
    # short writes (each write, writev and pwrite does a third of its bytes)
    # are resumed: the same index
    for force in (False, True):
        reset(force)
        p = index_build(xj, inp, target, dict(os.environ, LD_PRELOAD=shim, XJ_SHORT_WRITES="1"), force)
        runs += 1
        if p.returncode != 0 or file_digest(target) != want:
            fails.append(f"index short writes{' over an old index' if force else ''}: exit {p.returncode}, "
                         f"{'the same' if file_digest(target) == want else 'another'} index")
    # SIGKILL during builds over an old index; the next build cleans up
    build_cmd = [xj, "index", "build", inp, "-o", target, "-q", "--run-date", "2026-11-28", "--force", "--threads", "2"]
    build_env = dict(os.environ, SOURCE_DATE_EPOCH="1764288000")
    t0 = time.time()
    index_build(xj, inp, os.path.join(work, "timing.xji"))
    dur = max(time.time() - t0, 0.05)
    rng = random.Random(11)
    for i in range(10):
        reset(True)
        interrupt(build_cmd, dur * (i + rng.random()) / 10, signal.SIGKILL, build_env)
        runs += 1
        if file_digest(target) not in (old_digest, want):
            fails.append(f"index SIGKILL #{i}: the index is neither the old nor the new one")
        if index_build(xj, inp, target, force=True).returncode != 0:
            fails.append(f"index SIGKILL #{i}: the next build failed")
        elif file_digest(target) != want:
            fails.append(f"index SIGKILL #{i}: the next build wrote a different index")
        if leftovers():
            fails.append(f"index SIGKILL #{i}: the next build left {leftovers()}")
    # SIGINT / SIGTERM: 130 / 143 (0 if it had finished), old or new index, no temporary
    for i, sig in enumerate([signal.SIGINT, signal.SIGTERM] * 3):
        reset(True)
        rc = interrupt(build_cmd, dur * (i + 0.5) / 6, sig, build_env)
        runs += 1
        if rc not in (0, 128 + sig):
            fails.append(f"index signal {sig} #{i}: exit {rc}")
        if file_digest(target) not in (old_digest, want):
            fails.append(f"index signal {sig} #{i}: the index is neither the old nor the new one")
        if leftovers():
            fails.append(f"index signal {sig} #{i}: left {leftovers()}")
    return runs


def main():
    global STARTUP
    xj, shim, inp, work = sys.argv[1:5]
    starts = []
    for _ in range(3):
        t = time.time()
        subprocess.run([xj, "--version"], capture_output=True, check=True)
        starts.append(time.time() - t)
    STARTUP = min(starts)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    fails = []
    ref = os.path.join(work, "ref")
    if scan(xj, inp, ref).returncode != 0:
        print("FAIL the clean run failed")
        return 1
    want = digest(ref)
    # these calls only ever serve the output: a failure must be reported.
    # openat/mkdirat/close also serve cleanup, where a failure may pass (the
    # output is complete, and a stale temporary is removed by the next run).
    must_detect = {"write", "syncfs", "renameat", "renameat2"}
    runs = 0
    for call in ["write", "close", "syncfs", "fsync", "openat", "mkdirat", "renameat", "renameat2"]:
        for force in (False, True):
            out = os.path.join(work, "out")
            shutil.rmtree(out, ignore_errors=True)
            if force:
                shutil.copytree(ref, out)
            before = digest(out)
            for inj in injections(shim, call, work, lambda env: scan(xj, inp, out, env, force)):
                if inj is None:
                    fails.append(f"{call}: counting run failed")
                    break
                k, n, err, env = inj
                shutil.rmtree(out, ignore_errors=True)
                if force:
                    shutil.copytree(ref, out)
                p = scan(xj, inp, out, env, force)
                runs += 1
                what = f"{call} #{k}/{n} {err}{' --force' if force else ''}"
                judge(fails, what, p, b"xjdedup scan:", digest(out), ((before if force else None),), want,
                      call in must_detect)
                if temps(work):
                    # only a cleanup failure may leave one; the next run must remove it
                    if p.returncode != 0:
                        fails.append(f"{what}: a failed run left {temps(work)}")
                    scan(xj, inp, out, force=True)
                    if temps(work):
                        fails.append(f"{what}: the next run did not remove {temps(work)}")

    # short writes are resumed: the same output
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    p = scan(xj, inp, out, dict(os.environ, LD_PRELOAD=shim, XJ_SHORT_WRITES="1"))
    runs += 1
    if p.returncode != 0 or digest(out) != want:
        fails.append(f"short writes: exit {p.returncode}, {'the same' if digest(out) == want else 'another'} output")

    # SIGKILL at points spread over a run that replaces an earlier result, on
    # an input large enough (300 000 generated rows) for the points to fall in
    # every stage: reading, grouping, gathering, writing, committing
    inp = os.path.join(work, "pop.csv")
    subprocess.run([xj, "gen", "--rows", "300000", "--seed", "5", "--run-date", "2026-11-28", "-o", inp],
                   check=True, capture_output=True)
    ref = os.path.join(work, "ref-big")
    scan(xj, inp, ref)
    want = digest(ref)
    # --threads 1 starts no thread (an OpenMP region that asked for two
    # threads whatever the count once did, sorting assignments.csv's ~6,000
    # lines here); --threads 2 does, or the count would prove nothing
    count_file = os.path.join(work, "threads")
    for threads, ok in (("1", lambda n: n == 0), ("2", lambda n: n > 0)):
        one = os.path.join(work, "threads-out")
        shutil.rmtree(one, ignore_errors=True)
        p = subprocess.run([xj, "scan", inp, "-o", one, "-q", "--run-date", "2026-11-28", "--threads", threads],
                           capture_output=True, timeout=300, env=dict(os.environ, LD_PRELOAD=shim,
                           XJ_FAIL_CALL="pthread_create", XJ_FAIL_COUNT=count_file))
        runs += 1
        n = int(open(count_file).read()) if p.returncode == 0 else -1
        if not ok(n) or digest(one) != want:
            fails.append(f"--threads {threads}: exit {p.returncode}, {n} threads started, "
                         f"{'the same' if digest(one) == want else 'another'} output")
    t0 = time.time()
    scan(xj, inp, os.path.join(work, "timing"))
    dur = max(time.time() - t0, 0.05)
    out = os.path.join(work, "out")
    scan_cmd = [xj, "scan", inp, "-o", out, "-q", "--run-date", "2026-11-28", "--force", "--threads", "2"]
    rng = random.Random(7)
    for i in range(20):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(ref, out)
        interrupt(scan_cmd, dur * (i + rng.random()) / 20, signal.SIGKILL)
        runs += 1
        if digest(out) != want:
            fails.append(f"SIGKILL #{i}: OUTDIR is neither the old nor the new result")
        # the next run cleans up after the dead one
        if scan(xj, inp, out, force=True).returncode != 0:
            fails.append(f"SIGKILL #{i}: the next run failed")
        if temps(work):
            fails.append(f"SIGKILL #{i}: the next run left {temps(work)}")
    # SIGINT / SIGTERM: exit 130 / 143 (or 0 if the run had finished), the
    # old or the new result, and no temporary left by the interrupted run
    for i, sig in enumerate([signal.SIGINT, signal.SIGTERM] * 5):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(ref, out)
        rc = interrupt(scan_cmd, dur * (i + 0.5) / 10, sig)
        runs += 1
        if rc not in (0, 128 + sig):
            fails.append(f"signal {sig} #{i}: exit {rc}")
        if digest(out) != want:
            fails.append(f"signal {sig} #{i}: OUTDIR is neither the old nor the new result")
        if temps(work):
            fails.append(f"signal {sig} #{i}: left {temps(work)}")
    runs += check_index(xj, shim, os.path.join(work, "pop.csv"), sys.argv[3], work, fails)
    for f in fails:
        print("FAIL", f)
    print(f"{runs} fault runs, {len(fails)} failures")
    if fails:
        return 1
    shutil.rmtree(work, ignore_errors=True)  # a passing run's files go: CI's disk is small; a failing run keeps them to look at
    return 0


if __name__ == "__main__":
    sys.exit(main())
