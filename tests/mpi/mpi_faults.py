#!/usr/bin/env python3
"""mpi_faults.py XJDEDUP WORKDIR [--mpirun PATH] — one process failing alone.

A distributed run meets at agreements (docs/mpi.md §3, §4): a process that
fails anywhere must still reach the next one, or the others wait for ever.
The hook XJ_MPI_FAIL_ALLOC=R:N makes every allocation of rank R after its
first N fail. For a scan and an index build at -n 2, and for R = 0 and 1,
this sweeps N from 0 until the runs succeed; every run must end within
RUN_TIMEOUT seconds (a hang is the failure this looks for), and then either
succeed with the single process's output, or fail with a non-zero status,
a message on stderr, and no OUTDIR (or index) committed.
"""
import argparse
import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_scan as m  # noqa: E402  (the launcher, runs and comparisons)

RUN_TIMEOUT = 60
EPOCH = "1764892800"


def sweep_points():
    """0..5, then growing by half: the allocations of a small run are a few
    thousand, and the early ones (set-up) are the most varied."""
    n = 0
    while True:
        yield n
        n = n + 1 if n < 6 else n + n // 2


def one_job(c, what, rank, n, argv_k, out_path, ref_path):
    env = dict(os.environ, XJ_MPI_FAIL_ALLOC=f"{rank}:{n}", SOURCE_DATE_EPOCH=EPOCH)
    where = f"{what}, rank {rank} failing after {n} allocations"
    status, _, err = m.run(c.mpi.argv(2, argv_k, env_names=("XJ_MPI_FAIL_ALLOC", "SOURCE_DATE_EPOCH")),
                           env=env, timeout=RUN_TIMEOUT)
    if status is None:
        c.fails.add(where, f"did not end within {RUN_TIMEOUT} s: a process waits for one that failed\n{m.tail(err)}")
        return None
    if status == 0:
        if os.path.isdir(ref_path):
            m.compare_dirs(ref_path, out_path, where, c.fails, k=2)
        elif m.read(ref_path) != m.read(out_path):
            c.fails.add(where, "exit 0 but the index differs from the single process's")
        return True
    if not err.strip():
        c.fails.add(where, f"exit status {status} with nothing on stderr")
    if os.path.lexists(out_path):
        c.fails.add(where, f"exit status {status} but {os.path.basename(out_path)} was committed")
    return False


def sweep(c, what, rank, argv_of, ref_path, parent, name):
    """One rank's sweep, its runs in `parent` (its own: sweeps run side by
    side, an mpirun mostly waits)."""
    runs = failed = wins = 0
    for n in sweep_points():
        out_path = os.path.join(parent, name)
        if os.path.isdir(out_path):
            m.shutil.rmtree(out_path)
        elif os.path.lexists(out_path):
            os.remove(out_path)
        ok = one_job(c, what, rank, n, argv_of(out_path), out_path, ref_path)
        runs += 1
        failed += ok is False
        if ok is None:
            break  # one hang is enough to report
        wins = wins + 1 if ok else 0
        if wins == 2:
            break
    # the last run succeeded: whatever a failed run left beside the output,
    # a normal run must clean or tolerate (its temporaries are for dead PIDs)
    left = [x for x in m.leftovers(parent, {name}) if not x.endswith(".rejects.csv")]
    if left:
        c.fails.add(f"{what}, rank {rank} failing", f"left beside the output after the sweep: {left}")
    return f"{what}, rank {rank} failing: {runs} runs, {failed} ended in an error"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("xjdedup")
    ap.add_argument("work")
    ap.add_argument("--mpirun", default="")
    a = ap.parse_args()
    m.outside_any_launcher()  # os.environ without a launcher's variables
    x = os.path.abspath(a.xjdedup)
    work = m.fresh(os.path.abspath(a.work))
    c = m.Ctx(x, work, m.Launcher(a.mpirun), [2])
    d = m.fresh(os.path.join(work, "in"))
    src = os.path.join(d, "all.csv")
    m.gen(x, src, 4000, 23)
    inputs = m.split(src, [("a.csv", 2500, "csv"), ("b.csv.zst", None, "zst-rows:500")], 23, d)
    os.remove(src)
    opts = ["-q", "--run-date", m.RUN_DATE]
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)

    ref = os.path.join(m.fresh(os.path.join(work, "ref")), "out")
    status, _, err = m.run([x, "scan", *inputs, "-o", ref, *opts], env=env)
    if status != 0:
        sys.exit(f"mpi_faults: the single-process scan failed ({status}):\n{m.tail(err)}")
    ref_ix = os.path.join(m.fresh(os.path.join(work, "ref-ix")), "reg.xji")
    status, _, err = m.run([x, "index", "build", *inputs, "-o", ref_ix, *opts], env=env)
    if status != 0:
        sys.exit(f"mpi_faults: the single-process index build failed ({status}):\n{m.tail(err)}")

    jobs = []
    for rank in (0, 1):
        jobs.append(("scan -n 2", rank, lambda out: [x, "scan", *inputs, "-o", out, *opts], ref, "out"))
        jobs.append(("index build -n 2", rank, lambda out: [x, "index", "build", *inputs, "-o", out, *opts], ref_ix,
                     "reg.xji"))
    # the four sweeps side by side: one after the other they took 80-150 s
    # with the cores mostly idle, mpirun waiting out its grace period
    # (odls_base_sigkill_timeout, 1 s) after each run that fails
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        done = [pool.submit(sweep, c, what, rank, argv_of, ref_path,
                            m.fresh(os.path.join(work, f"{what.split()[0]}-rank{rank}")), name)
                for what, rank, argv_of, ref_path, name in jobs]
        for f in done:
            print(f.result(), flush=True)

    if c.fails.items:
        print(f"mpi_faults: {len(c.fails.items)} failure(s):", file=sys.stderr)
        for item in c.fails.items:
            print(item, file=sys.stderr)
        sys.exit(1)
    print("mpi_faults: every run ended, with the right output or a clean error")


if __name__ == "__main__":
    main()
