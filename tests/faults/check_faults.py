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


def main():
    xj, shim, inp, work = sys.argv[1:5]
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
            count_file = os.path.join(work, "count")
            env = dict(os.environ, LD_PRELOAD=shim, XJ_FAIL_CALL=call, XJ_FAIL_AT="0", XJ_FAIL_COUNT=count_file)
            if scan(xj, inp, out, env, force).returncode != 0:
                fails.append(f"{call}: counting run failed")
                continue
            n = int(open(count_file).read())
            before = digest(out)
            points = sorted({1, max(1, n // 2), n}) if n else []
            for k in points:
                for err in ("ENOSPC", "EIO"):
                    shutil.rmtree(out, ignore_errors=True)
                    if force:
                        shutil.copytree(ref, out)
                    env = dict(os.environ, LD_PRELOAD=shim, XJ_FAIL_CALL=call, XJ_FAIL_AT=str(k), XJ_FAIL_ERRNO=err)
                    p = scan(xj, inp, out, env, force)
                    runs += 1
                    what = f"{call} #{k}/{n} {err}{' --force' if force else ''}"
                    got = digest(out)
                    if p.returncode == 3:
                        if b"xjdedup scan:" not in p.stderr:
                            fails.append(f"{what}: no message")
                        if got != (before if force else None):
                            fails.append(f"{what}: OUTDIR changed after a failed run")
                    elif p.returncode == 0:
                        if call in must_detect:
                            fails.append(f"{what}: the failure went unnoticed")
                        elif got != want:
                            fails.append(f"{what}: exit 0 but the output differs")
                    else:
                        fails.append(f"{what}: exit {p.returncode}: {p.stderr[-300:]!r}")
                    if temps(work):
                        # only a cleanup failure may leave one; the next run must remove it
                        if p.returncode != 0:
                            fails.append(f"{what}: a failed run left {temps(work)}")
                        scan(xj, inp, out, force=True)
                        if temps(work):
                            fails.append(f"{what}: the next run did not remove {temps(work)}")

    # SIGKILL at points spread over a run that replaces an earlier result, on
    # an input large enough (300 000 generated rows) for the points to fall in
    # every stage: reading, grouping, gathering, writing, committing
    inp = os.path.join(work, "pop.csv")
    subprocess.run([xj, "gen", "--rows", "300000", "--seed", "5", "--run-date", "2026-11-28", "-o", inp],
                   check=True, capture_output=True)
    ref = os.path.join(work, "ref-big")
    scan(xj, inp, ref)
    want = digest(ref)
    t0 = time.time()
    scan(xj, inp, os.path.join(work, "timing"))
    dur = max(time.time() - t0, 0.05)
    out = os.path.join(work, "out")
    rng = random.Random(7)
    for i in range(20):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(ref, out)
        cmd = [xj, "scan", inp, "-o", out, "-q", "--run-date", "2026-11-28", "--force"]
        p = subprocess.Popen(cmd + ["--threads", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(dur * (i + rng.random()) / 20)
        p.send_signal(signal.SIGKILL)
        p.wait()
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
        cmd = [xj, "scan", inp, "-o", out, "-q", "--run-date", "2026-11-28", "--force", "--threads", "2"]
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(dur * (i + 0.5) / 10)
        p.send_signal(sig)
        rc = p.wait()
        runs += 1
        if rc not in (0, 128 + sig):
            fails.append(f"signal {sig} #{i}: exit {rc}")
        if digest(out) != want:
            fails.append(f"signal {sig} #{i}: OUTDIR is neither the old nor the new result")
        if temps(work):
            fails.append(f"signal {sig} #{i}: left {temps(work)}")
    for f in fails:
        print("FAIL", f)
    print(f"{runs} fault runs, {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
