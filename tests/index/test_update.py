#!/usr/bin/env python3
"""`xjdedup index update` keeps the old index's settings and says what it did
not apply (issue 13, item 3).

usage: test_update.py XJDEDUP WORKDIR

  1. without --run-date, NEW has OLD's run date (not today's);
  2. with a --run-date other than OLD's, NEW has that date and a warning on
     stderr names both dates (OLD's records keep their reasons);
  3. without --attr-scope, NEW has OLD's scope; with one, OLD's records are
     converted: update(index(reg, scope A), batch, --attr-scope B) is the same
     file as index(reg + batch, scope B), both ways;
  4. --remove: numbers that match no record are counted on the terminal,
     named in a warning and listed in NEW.unmatched.txt (each once, in the
     file's order); a record is matched by its trimmed student number; an
     update where every number matches leaves no such list behind.
"""
import os
import shutil
import subprocess
import sys

OLD_DATE = "2026-11-01"
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def run(args, expect=0):
    env = dict(os.environ, SOURCE_DATE_EPOCH="1764288000")
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    if expect is not None and p.returncode != expect:
        fail("%s: exit %d (want %d)\n%s%s" % (" ".join(map(str, args)), p.returncode, expect, p.stdout, p.stderr))
    return p


def info(xj, ix):
    """(run date, attribute scope) from `index info`."""
    out = run([xj, "index", "info", ix]).stdout
    line = [l for l in out.splitlines() if l.startswith("built")][0]
    date = line.split("run date ")[1].split(",")[0]
    scope = line.split("attribute scope ")[1].strip()
    return date, scope


def same_file(a, b, what):
    with open(a, "rb") as x, open(b, "rb") as y:
        if x.read() != y.read():
            fail("%s: %s and %s differ" % (what, a, b))


def main():
    xj, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    j = lambda *p: os.path.join(work, *p)
    run([xj, "gen", "--rows", "3000", "--seed", "11", "--run-date", OLD_DATE, "-o", j("pop.csv"), "-q",
         "--noid-rate", "0.05", "--mixed-rate", "0.02", "--attr-rate", "0.02"])
    with open(j("pop.csv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    header, body = lines[0], lines[1:]
    # one register record's student number carries spaces around it
    first = body[0].split(",")
    sno = header.split(",").index("学籍号")
    spaced = first[sno]
    first[sno] = " %s " % spaced
    body[0] = ",".join(first)
    with open(j("reg.csv"), "w", encoding="utf-8") as f:
        f.write("\n".join([header] + body[:2000]) + "\n")
    with open(j("batch.csv"), "w", encoding="utf-8") as f:
        f.write("\n".join([header] + body[2000:]) + "\n")
    q = ["-q"]

    # 1. the run date is OLD's unless given
    run([xj, "index", "build", j("reg.csv"), "-o", j("old.xji"), "--run-date", OLD_DATE] + q)
    p = run([xj, "index", "update", j("old.xji"), j("batch.csv"), "-o", j("kept.xji")])
    if info(xj, j("kept.xji"))[0] != OLD_DATE:
        fail("update without --run-date: run date %s, want OLD's %s" % (info(xj, j("kept.xji"))[0], OLD_DATE))
    if "warning" in p.stderr:
        fail("update without --run-date warned: " + p.stderr)
    if "kept from the old index" not in p.stdout or OLD_DATE not in p.stdout:
        fail("update without --run-date: the terminal does not say the date was kept:\n" + p.stdout)
    # ... and an update with OLD's date given equals a build from scratch
    run([xj, "index", "build", j("reg.csv"), j("batch.csv"), "-o", j("full.xji"), "--run-date", OLD_DATE] + q)
    same_file(j("kept.xji"), j("full.xji"), "update keeping OLD's date vs a build")

    # 2. another run date: used, with a warning naming both dates
    p = run([xj, "index", "update", j("old.xji"), j("batch.csv"), "-o", j("newdate.xji"), "--run-date",
             "2026-11-28", "-q"])
    if info(xj, j("newdate.xji"))[0] != "2026-11-28":
        fail("update --run-date 2026-11-28: run date %s" % info(xj, j("newdate.xji"))[0])
    if "warning" not in p.stderr or OLD_DATE not in p.stderr or "2026-11-28" not in p.stderr:
        fail("update with another --run-date: no warning naming both dates: %r" % p.stderr)

    # 3. the attribute scope: OLD's unless given; given, applied to OLD's records
    run([xj, "index", "build", j("reg.csv"), "-o", j("old_mixed.xji"), "--attr-scope", "mixed", "--run-date",
         OLD_DATE] + q)
    run([xj, "index", "update", j("old_mixed.xji"), j("batch.csv"), "-o", j("kept_mixed.xji")] + q)
    if info(xj, j("kept_mixed.xji"))[1] != "mixed":
        fail("update of a mixed index without --attr-scope: scope %s" % info(xj, j("kept_mixed.xji"))[1])
    run([xj, "index", "build", j("reg.csv"), j("batch.csv"), "-o", j("full_mixed.xji"), "--attr-scope", "mixed",
         "--run-date", OLD_DATE] + q)
    same_file(j("kept_mixed.xji"), j("full_mixed.xji"), "update of a mixed index vs a mixed build")
    run([xj, "index", "update", j("old.xji"), j("batch.csv"), "-o", j("to_mixed.xji"), "--attr-scope", "mixed"] + q)
    same_file(j("to_mixed.xji"), j("full_mixed.xji"), "update noid -> --attr-scope mixed vs a mixed build")
    run([xj, "index", "update", j("old_mixed.xji"), j("batch.csv"), "-o", j("to_noid.xji"), "--attr-scope",
         "noid"] + q)
    same_file(j("to_noid.xji"), j("full.xji"), "update mixed -> --attr-scope noid vs a noid build")
    # a check through the converted index answers as through the built one
    run([xj, "check", j("batch.csv"), "--against", j("to_mixed.xji"), "-o", j("check_conv"), "--attr-scope", "mixed",
         "--run-date", OLD_DATE] + q)

    # 4. --remove: unmatched numbers counted, warned about, listed
    nums = [l.split(",")[sno] for l in body[1:2000]]
    listing = ["NOPE-1", nums[5], spaced, "  NOPE-2\t", "NOPE-1", nums[7], "", "NOPE-3"]
    with open(j("remove.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(listing) + "\n")
    p = run([xj, "index", "update", j("old.xji"), "--remove", j("remove.txt"), "-o", j("rm.xji")])
    listed = j("rm.xji") + ".unmatched.txt"
    want = ["NOPE-1", "NOPE-2", "NOPE-3"]
    if not os.path.exists(listed):
        fail("no %s" % listed)
    else:
        with open(listed, encoding="utf-8") as f:
            got = f.read().splitlines()
        if got != want:
            fail("unmatched list %r, want %r" % (got, want))
    if "warning" not in p.stderr or "3 student numbers" not in p.stderr or listed not in p.stderr:
        fail("--remove with unmatched numbers: warning %r" % p.stderr)
    if "3 listed student numbers matched no record" not in p.stdout:
        fail("--remove with unmatched numbers: terminal %r" % p.stdout)
    removed = [l for l in p.stdout.splitlines() if l.startswith("removed")]
    if not removed or removed[0].split()[1] != "3":
        fail("--remove: removed line %r, want 3 records (one matched through its spaces)" % removed)
    # every number matching: no list, and the old one is gone
    with open(j("remove2.txt"), "w", encoding="utf-8") as f:
        f.write(nums[9] + "\n")
    shutil.copy(j("rm.xji"), j("rm2.xji"))
    with open(j("rm2.xji") + ".unmatched.txt", "w") as f:  # as an earlier update would have left it
        f.write("NOPE-1\n")
    p = run([xj, "index", "update", j("rm.xji"), "--remove", j("remove2.txt"), "-o", j("rm2.xji"), "--force"])
    if os.path.exists(j("rm2.xji") + ".unmatched.txt"):
        fail("an update whose numbers all matched left an unmatched list behind")
    if "warning" in p.stderr or "matched no record" in p.stdout:
        fail("an update whose numbers all matched still speaks of unmatched ones: %r %r" % (p.stdout, p.stderr))

    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
