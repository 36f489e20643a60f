#!/usr/bin/env python3
"""gen_frames — the zstd frames `xjdedup gen` writes, and scan reading them.

By default FILE.zst holds one frame per block of 32 768 rows, each with its
content size and a checksum; --single-frame writes one frame over all of it.
Both decode (zstd -dc) to the plain CSV gen writes, the same bytes whatever
--threads is, and `scan` finds the same problems in either: the multi-frame
file is decoded on worker threads, the single-frame one streamed.

usage: gen_frames.py PATH/TO/xjdedup
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROWS = 70000            # three blocks: 32 768 + 32 768 + 4 464 rows
BLOCK_ROWS = 32768
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg, file=sys.stderr)


def frames(data):
    """Walks the zstd frames of data (RFC 8878): a list of (content size or
    None, has checksum) per zstd frame; skippable frames are skipped."""
    out, pos = [], 0
    while pos < len(data):
        magic = int.from_bytes(data[pos:pos + 4], "little")
        if 0x184D2A50 <= magic <= 0x184D2A5F:
            pos += 8 + int.from_bytes(data[pos + 4:pos + 8], "little")
            continue
        if magic != 0xFD2FB528:
            raise ValueError("no frame at byte %d" % pos)
        fhd = data[pos + 4]
        fcs_flag, single, checksum, dict_flag = fhd >> 6, (fhd >> 5) & 1, (fhd >> 2) & 1, fhd & 3
        at = pos + 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag]
        fcs_len = (1 if single else 0, 2, 4, 8)[fcs_flag]
        size = None
        if fcs_len:
            size = int.from_bytes(data[at:at + fcs_len], "little") + (256 if fcs_len == 2 else 0)
        at += fcs_len
        while True:
            bh = int.from_bytes(data[at:at + 3], "little")
            last, btype, bsize = bh & 1, (bh >> 1) & 3, bh >> 3
            at += 3 + (1 if btype == 1 else bsize)
            if last:
                break
        at += 4 if checksum else 0
        out.append((size, bool(checksum)))
        pos = at
    return out


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, **kw)
    if r.returncode != 0:
        fail("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.decode(errors="replace")))
    return r


def main():
    exe = sys.argv[1]
    zstd = shutil.which("zstd")
    if zstd is None:
        fail("the zstd tool is missing (tools/deps.sh installs it)")
        return 1
    tmp = tempfile.mkdtemp(prefix="gen_frames.")
    try:
        gen = [exe, "gen", "--rows", str(ROWS), "--seed", "21", "--run-date", "2026-11-28", "-q"]
        paths = {}
        for name, extra in [("plain.csv", []), ("multi1.zst", ["--threads", "1"]), ("multi2.zst", ["--threads", "2"]),
                            ("single1.zst", ["--single-frame", "--threads", "1"]),
                            ("single2.zst", ["--single-frame", "--threads", "2"])]:
            paths[name] = os.path.join(tmp, name)
            run(gen + ["-o", paths[name]] + extra)
        data = {n: open(p, "rb").read() for n, p in paths.items()}
        plain = data["plain.csv"]

        if data["multi1.zst"] != data["multi2.zst"]:
            fail("the multi-frame file differs between 1 and 2 threads")
        if data["single1.zst"] != data["single2.zst"]:
            fail("the single-frame file differs between 1 and 2 threads")
        multi = frames(data["multi1.zst"])
        if len(multi) != (ROWS + BLOCK_ROWS - 1) // BLOCK_ROWS:
            fail("default: %d frames, expected one per %d rows" % (len(multi), BLOCK_ROWS))
        if any(size is None or not ck for size, ck in multi):
            fail("default: every frame should declare its content size and carry a checksum: %r" % multi)
        elif sum(size for size, _ in multi) != len(plain):
            fail("default: the frames declare %d bytes, the CSV has %d" % (sum(s for s, _ in multi), len(plain)))
        single = frames(data["single1.zst"])
        if len(single) != 1 or not single[0][1]:
            fail("--single-frame: %r, expected one frame with a checksum" % single)
        for name in ("multi1.zst", "single1.zst"):
            out = run([zstd, "-dc", paths[name]]).stdout
            if out != plain:
                fail("%s does not decode to the plain CSV (%d bytes, %d expected)" % (name, len(out), len(plain)))

        # scan finds the same problems in both (given the same name: the
        # output names the file each row comes from)
        results = {}
        for name in ("multi1.zst", "single1.zst"):
            os.mkdir(os.path.join(tmp, "in-" + name))
            same = os.path.join(tmp, "in-" + name, "pop.csv.zst")
            os.rename(paths[name], same)
            outdir = os.path.join(tmp, "out-" + name)
            run([exe, "scan", same, "-o", outdir, "-q", "--run-date", "2026-11-28"],
                env=dict(os.environ, SOURCE_DATE_EPOCH="1764892800"))
            results[name] = {f: open(os.path.join(outdir, f), "rb").read() for f in ("problems.csv", "rejects.csv")}
        for f in ("problems.csv", "rejects.csv"):
            if results["multi1.zst"][f] != results["single1.zst"][f]:
                fail("scan: %s differs between the multi-frame and the single-frame file" % f)
        if results["multi1.zst"]["problems.csv"].count(b"\n") < 100:
            fail("scan found too few problems to compare")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("gen_frames: %s" % ("all checks passed" if failures == 0 else "%d check(s) failed" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
