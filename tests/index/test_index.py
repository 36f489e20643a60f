#!/usr/bin/env python3
"""Tests of `xjdedup index` and `xjdedup check` (issues 6 and 13).

usage: test_index.py XJDEDUP WORKDIR [--seeds 1,2,3] [--rows N] [--oracle-seeds 1]
                     [--months-seeds 21]

(The reference implementation is slow: --oracle-seeds limits its
comparisons, 1 and 1b's second half, to some seeds; default all.)

For each seed: a generated population (raised duplicate rates, --messy) is
split at random into two register files and a batch (--months-seeds: the
last month of `gen --months 3`, whose changed IDs make old_id and id_changed
rows, docs/monthly.md §6); rows imported twice
(identical, --dup-rate's "import") may land one in the register and one in
the batch, so some batch records are already registered. Then
  1. check(batch, index(reg1, reg2)) is what the reference implementation
     (tests/oracle/xjref.py check, from the CSV files) writes, noid and
     --attr-scope mixed (compare_check.py oracle);
  1b. the batch checked again after `index update` put it in the register:
     every batch record is already registered and none is its own
     duplicate, so the check reports what scan(reg1, reg2, batch) reports
     for the batch's rows (compare_check.py scan), and the oracle agrees;
  2. the index is the same bytes built with 1 or 2 threads (SOURCE_DATE_EPOCH
     fixes the build time); one built with 4 KiB chunks answers the same;
  3. update(index(reg1), reg2) is the same file as index(reg1, reg2);
  4. update with --remove equals a build from files where those rows are
     blank lines (same line numbers), compared through check's output;
  5. check's output is the same for 1 and 2 threads.
Then damaged indexes (a byte flipped anywhere, truncations, another version,
not an index, an empty file): `index info --verify` refuses every one with
exit 2 and a message that says to rebuild; `check` refuses it the same way
or, when the damage lies only in record blocks it does not read, gives the
undamaged answer -- never a wrong one, never a crash.
"""
import csv
import json
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "..", "oracle", "xjref.py")
RUN_DATE = "2026-11-28"
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def run(args, expect=0, env=None):
    e = dict(os.environ, SOURCE_DATE_EPOCH="1764288000")
    if env:
        e.update(env)
    p = subprocess.run(args, capture_output=True, text=True, env=e, timeout=600)
    if expect is not None and p.returncode != expect:
        fail("%s: exit %d (want %d)\n%s%s" % (" ".join(map(str, args)), p.returncode, expect, p.stdout, p.stderr))
    return p


def compare(seed, what, mode, *args):
    p = run([sys.executable, os.path.join(HERE, "compare_check.py"), mode] + list(args), expect=None)
    print("seed %d %s: %s" % (seed, what, p.stdout.strip().splitlines()[-1] if p.stdout else ""))
    if p.returncode != 0:
        fail("seed %d %s: check != %s\n%s" % (seed, what, mode, p.stdout[-3000:]))


def records(data):
    """(first line, bytes) of every CSV record; records may hold quoted line
    breaks (--messy), so cut at record ends only."""
    out, start, quoted, line, first = [], 0, False, 1, 1
    for i, b in enumerate(data):
        if b == 0x22:
            quoted = not quoted
        elif b == 0x0A:
            line += 1
            if not quoted:
                out.append((first, data[start:i + 1]))
                start, first = i + 1, line
    if start < len(data):
        out.append((first, data[start:]))
    return out


def blank_records(src, lines, dst):
    """src with the records that start at `lines` made blank lines (so every
    other record keeps its line number)."""
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        for first, rec in records(data):
            f.write(b"\n" * rec.count(b"\n") if first in lines else rec)


def split(src, names, weights, seed):
    """Random split by row; the header goes to every part."""
    rng = random.Random(seed)
    with open(src, "rb") as f:
        data = f.read()
    # records may hold quoted line breaks (--messy): cut at record ends only
    recs, start, quoted = [], 0, False
    for i, b in enumerate(data):
        if b == 0x22:
            quoted = not quoted
        elif b == 0x0A and not quoted:
            recs.append(data[start:i + 1])
            start = i + 1
    if start < len(data):
        recs.append(data[start:])
    header, body = recs[0], recs[1:]
    outs = [open(n, "wb") for n in names]
    for o in outs:
        o.write(header)
    for r in body:
        rng.choices(outs, weights)[0].write(r)
    for o in outs:
        o.close()


def same_file(a, b, what):
    with open(a, "rb") as x, open(b, "rb") as y:
        if x.read() != y.read():
            fail("%s: %s and %s differ" % (what, a, b))
            return False
    return True


def one_seed(xj, work, seed, rows, oracle, months=False):
    d = os.path.join(work, ("months%d" if months else "seed%d") % seed)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    j = lambda *p: os.path.join(d, *p)
    if months:
        # the last month of a month sequence: IDs changed under G numbers
        # (old_id, id_changed) land in the register and in the batch alike
        run([xj, "gen", "--rows", str(rows), "--seed", str(seed), "--run-date", RUN_DATE, "--months", "3",
             "-o", j("months"), "-q"])
        shutil.copyfile(j("months", "month3.csv"), j("pop.csv"))
    else:
        run([xj, "gen", "--rows", str(rows), "--seed", str(seed), "--run-date", RUN_DATE, "-o", j("pop.csv"),
             "--messy", "--dup-rate", "0.02", "--noid-rate", "0.05", "--attr-rate", "0.01", "--mixed-rate",
             "0.005", "--other-rate", "0.01", "--invalid-rate", "0.01", "-q"])
    # a month's changed IDs are few: a larger batch holds more of them
    split(j("pop.csv"), [j("reg1.csv"), j("reg2.csv"), j("batch.csv")], [40, 30, 30] if months else [60, 35, 5], seed)
    common = ["--run-date", RUN_DATE, "-q"]
    for scope in ("noid", "mixed"):
        ix = j("reg_%s.xji" % scope)
        run([xj, "index", "build", j("reg1.csv"), j("reg2.csv"), "-o", ix, "--attr-scope", scope] + common)
        run([xj, "index", "info", "--verify", ix])
        run([xj, "scan", j("reg1.csv"), j("reg2.csv"), j("batch.csv"), "-o", j("scan_" + scope),
             "--attr-scope", scope] + common)
        run([xj, "check", j("batch.csv"), "--against", ix, "-o", j("check_" + scope), "--attr-scope", scope] + common)
        if oracle:
            run([sys.executable, ORACLE, "check", j("batch.csv"), "--register", j("reg1.csv"), j("reg2.csv"),
                 "--index-name", os.path.basename(ix), "--register-attr-scope", scope, "-o", j("oracle_" + scope),
                 "--attr-scope", scope, "--run-date", RUN_DATE])
            compare(seed, scope, "oracle", j("check_" + scope), j("oracle_" + scope))
        # checked again once `index update` put the batch in the register.
        # The batch without the records reg1/reg2 already held (blank lines
        # in their place): then every batch record's only copy is itself
        with open(j("check_" + scope, "already_registered.csv"), encoding="utf-8") as f:
            held = {int(r["line"]) for r in csv.DictReader(f)}
        blank_records(j("batch.csv"), held, j("fresh.csv"))
        after = j("after_%s.xji" % scope)
        run([xj, "index", "update", ix, j("fresh.csv"), "-o", after] + common)
        run([xj, "check", j("fresh.csv"), "--against", after, "-o", j("recheck_" + scope), "--attr-scope", scope]
            + common)
        run([xj, "scan", j("reg1.csv"), j("reg2.csv"), j("fresh.csv"), "-o", j("scan_fresh_" + scope),
             "--attr-scope", scope] + common)
        compare(seed, scope + " again", "scan", j("recheck_" + scope), j("scan_fresh_" + scope), "fresh.csv")
        if oracle:
            run([sys.executable, ORACLE, "check", j("fresh.csv"), "--register", j("reg1.csv"), j("reg2.csv"),
                 j("fresh.csv"), "--index-name", os.path.basename(after), "--register-attr-scope", scope, "-o",
                 j("oracle_again_" + scope), "--attr-scope", scope, "--run-date", RUN_DATE])
            compare(seed, scope + " again", "oracle", j("recheck_" + scope), j("oracle_again_" + scope))
        with open(j("recheck_" + scope, "summary.json"), encoding="utf-8") as f:
            s = json.load(f)
        if s["check"]["already_registered"] != s["rows"]["accepted"] or not held:
            fail("seed %d %s: checked again after the update, %d of %d batch records already registered "
                 "(and %d held before)" % (seed, scope, s["check"]["already_registered"], s["rows"]["accepted"],
                                            len(held)))
    # rows the build rejects go next to the index, listed as a scan of the
    # same files lists them; a build without rejects leaves no such file
    run([xj, "scan", j("reg1.csv"), j("reg2.csv"), "-o", j("scan_reg")] + common)
    with open(j("scan_reg", "rejects.csv"), "rb") as f:
        scan_rejects = f.read()
    ix_rejects = j("reg_noid.xji") + ".rejects.csv"
    if scan_rejects.count(b"\n") > 1:
        if not os.path.exists(ix_rejects):
            fail("seed %d: the scan rejected rows, the index build wrote no %s" % (seed, ix_rejects))
        else:
            same_file(j("scan_reg", "rejects.csv"), ix_rejects, "the index build's rejects vs the scan's")
    elif os.path.exists(ix_rejects):
        fail("seed %d: no row rejected, yet %s exists" % (seed, ix_rejects))
    run([xj, "gen", "--rows", "50", "--seed", str(seed), "--run-date", RUN_DATE, "-o", j("clean.csv"), "-q"])
    shutil.copyfile(ix_rejects if os.path.exists(ix_rejects) else j("scan_reg", "rejects.csv"), j("clean.xji.rejects.csv"))
    p = run([xj, "index", "build", j("clean.csv"), "-o", j("clean.xji")] + common, expect=None)
    if p.returncode != 0:
        fail("seed %d: a build of 50 clean rows failed: %s" % (seed, p.stderr))
    elif os.path.exists(j("clean.xji.rejects.csv")):
        fail("seed %d: a build without rejects kept an old rejects file" % seed)

    # a mixed check needs a mixed index
    p = run([xj, "check", j("batch.csv"), "--against", j("reg_noid.xji"), "-o", j("check_bad"),
             "--attr-scope", "mixed"] + common, expect=2)
    if "mixed" not in p.stderr:
        fail("mixed check against a noid index: no clear message: " + p.stderr)
    # a noid check against a mixed index: the same as against a noid index
    run([xj, "check", j("batch.csv"), "--against", j("reg_mixed.xji"), "-o", j("check_noid_on_mixed")] + common)
    same_file(j("check_noid", "problems.csv"), j("check_noid_on_mixed", "problems.csv"), "noid check on a mixed index")

    # the same index whatever the threads and chunk size
    ix = j("reg_noid.xji")
    run([xj, "index", "build", j("reg1.csv"), j("reg2.csv"), "-o", j("t1.xji"), "-t", "1"] + common)
    run([xj, "index", "build", j("reg1.csv"), j("reg2.csv"), "-o", j("t2c.xji"), "-t", "2", "--chunk-size", "4096"]
        + common)
    same_file(ix, j("t1.xji"), "index with 1 thread")
    # chunks cut the record blocks elsewhere: same records and keys, other bytes
    run([xj, "check", j("batch.csv"), "--against", j("t2c.xji"), "-o", j("check_chunks")] + common)
    same_file(j("check_noid", "problems.csv"), j("check_chunks", "problems.csv"), "check on a 4 KiB-chunk index")

    # update = build from scratch
    run([xj, "index", "build", j("reg1.csv"), "-o", j("r1.xji")] + common)
    run([xj, "index", "update", j("r1.xji"), j("reg2.csv"), "-o", j("up.xji")] + common)
    same_file(ix, j("up.xji"), "update(index(reg1), reg2) vs index(reg1, reg2)")

    # --remove = build from files with those rows blanked, through check
    rng = random.Random(seed * 7)
    with open(j("reg1.csv"), "rb") as f:
        lines = f.read().split(b"\n")
    header = lines[0].decode().lstrip("\ufeff").rstrip("\r").split(",")
    sno = header.index("学籍号")
    victims, blanked = set(), list(lines)
    for i in range(1, len(lines)):
        fields = lines[i].split(b",")
        simple = lines[i].count(b'"') == 0 and len(fields) == len(header)
        if simple and rng.random() < 0.03:
            victims.add(fields[sno].decode())
    for i in range(1, len(lines)):
        fields = lines[i].split(b",")
        if lines[i].count(b'"') == 0 and len(fields) == len(header) and fields[sno].decode() in victims:
            blanked[i] = b""
    if not victims:
        fail("seed %d: no rows to remove" % seed)
    with open(j("remove.txt"), "w") as f:
        f.write("\n".join(sorted(victims)) + "\n")
    os.makedirs(j("blank"), exist_ok=True)
    with open(j("blank", "reg1.csv"), "wb") as f:
        f.write(b"\n".join(blanked))
    shutil.copy(j("reg2.csv"), j("blank", "reg2.csv"))
    run([xj, "index", "update", ix, "--remove", j("remove.txt"), "-o", j("rm.xji")] + common)
    run([xj, "index", "build", j("blank", "reg1.csv"), j("blank", "reg2.csv"), "-o", j("blank.xji")] + common)
    run([xj, "check", j("batch.csv"), "--against", j("rm.xji"), "-o", j("check_rm"), "-t", "1"] + common)
    run([xj, "check", j("batch.csv"), "--against", j("blank.xji"), "-o", j("check_blank"), "-t", "2"] + common)
    same_file(j("check_rm", "problems.csv"), j("check_blank", "problems.csv"), "check after --remove vs blanked build")
    info = run([xj, "index", "info", j("rm.xji")]).stdout
    full = run([xj, "index", "info", ix]).stdout
    rec = lambda t: int([l for l in t.splitlines() if l.startswith("records")][0].split()[1].replace(",", ""))
    if rec(full) <= rec(info):
        fail("seed %d: --remove removed nothing (%d -> %d)" % (seed, rec(full), rec(info)))
    # check's output does not depend on threads
    run([xj, "check", j("batch.csv"), "--against", ix, "-o", j("check_t1"), "-t", "1", "--chunk-size", "4096"]
        + common)
    for f in ("problems.csv", "rejects.csv", "report.html"):
        same_file(j("check_noid", f), j("check_t1", f), "check with 1 thread: " + f)
    return ix


def damaged(xj, work, ix):
    d = os.path.join(work, "damaged")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(ix, "rb") as f:
        good = f.read()
    batch = os.path.join(os.path.dirname(ix), "batch.csv")
    cases = {
        "empty": b"",
        "not_an_index": b"source,line\n" * 100,
        "header_only": good[:512],
        "half": good[:len(good) // 2],
        "short_by_one": good[:-1],
        "version1": good[:8] + b"\x01" + good[9:],  # the zstd-block format before
        "version2": good[:8] + b"\x02" + good[9:],  # before old-ID keys (docs/index-format.md)
        "version3": good[:8] + b"\x03" + good[9:],  # before KEYS_SLIP
        "version5": good[:8] + b"\x05" + good[9:],
    }
    rng = random.Random(5)
    for k in range(40):  # a byte flipped anywhere: header, tables, blocks
        pos = rng.randrange(len(good)) if k >= 8 else k * 64 + 17
        b = bytearray(good)
        b[pos] ^= 1 << rng.randrange(8)
        cases["flip%02d_at_%d" % (k, pos)] = bytes(b)
    good_out = os.path.join(d, "out_good")
    run([xj, "check", batch, "--against", ix, "-o", good_out, "-q", "--run-date", RUN_DATE])
    with open(os.path.join(good_out, "problems.csv"), "rb") as f:
        good_rows = f.read()
    survived = 0
    for name, data in cases.items():
        p = os.path.join(d, name + ".xji")
        with open(p, "wb") as f:
            f.write(data)
        # index info --verify checks every byte: always refused
        r = run([xj, "index", "info", "--verify", p], expect=None)
        msg = r.stderr.strip()
        if r.returncode != 2 or not msg or ("rebuild" not in msg and "not an xjdedup index" not in msg):
            fail("%s: index info --verify -> exit %d, %r" % (name, r.returncode, msg[:300]))
        # check reads only the record blocks its keys hit: it refuses the
        # file, or its answer is the undamaged one -- never a wrong answer
        out = os.path.join(d, "out_" + name)
        r = run([xj, "check", batch, "--against", p, "-o", out, "-q", "--run-date", RUN_DATE], expect=None)
        msg = r.stderr.strip()
        if r.returncode == 2:
            if not msg or ("rebuild" not in msg and "not an xjdedup index" not in msg):
                fail("%s: check -> exit 2 without a clear message: %r" % (name, msg[:300]))
            if os.path.exists(out):
                fail("%s: check wrote output from a damaged index" % name)
        elif r.returncode == 0:
            with open(os.path.join(out, "problems.csv"), "rb") as f:
                if f.read() != good_rows:
                    fail("%s: check gave a different answer from a damaged index" % name)
            survived += 1
        else:
            fail("%s: check -> exit %d, %r" % (name, r.returncode, msg[:300]))
    print("damaged: %d of %d cases hit only record blocks this check does not read" % (survived, len(cases)))


def main():
    xj, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    seeds, rows, oracle_seeds, months_seeds = [1, 2, 3], 60000, None, []
    args = sys.argv[3:]
    while args:
        if args[0] == "--seeds":
            seeds = [int(s) for s in args[1].split(",")]
        elif args[0] == "--rows":
            rows = int(args[1])
        elif args[0] == "--months-seeds":
            months_seeds = [int(s) for s in args[1].split(",")]
        elif args[0] == "--oracle-seeds":
            oracle_seeds = [int(s) for s in args[1].split(",")]
        args = args[2:]
    os.makedirs(work, exist_ok=True)
    ix = None
    for s in seeds:
        ix = one_seed(xj, work, s, rows, oracle_seeds is None or s in oracle_seeds)
    for s in months_seeds:
        one_seed(xj, work, s, rows, True, months=True)
    damaged(xj, work, ix)
    print("%d failures" % failures)
    if failures:
        return 1
    shutil.rmtree(work, ignore_errors=True)  # a passing run's files go: CI's disk is small; a failing run keeps them to look at
    return 0


if __name__ == "__main__":
    sys.exit(main())
