#!/usr/bin/env python3
"""check_varied — `xjdedup gen --profile varied` (issue 20, docs/generator.md
"The varied profile"): its truth holds, and it really differs from the default
profile in the ways it promises.

usage: check_varied.py XJDEDUP WORKDIR [--rows N] [--seed S]

1. Both profiles with the same seed, rows and run date, the varied one with
   --truth, once on 1 and once on 2 threads (the same bytes).
2. `xjdedup scan` of the varied file, judged against its truth exactly as
   check_truth.py judges the default profile's (every injected group, invalid
   ID and malformed row found; anything else a natural collision).
3. Measured on the two files, read here with a tokenizer of our own that
   notes which fields were quoted (the csv module does not say):
     quoted fields   the share of fields written in quotes, and the rows
                     holding a line break inside quotes;
     names           distinct normalized names per 1000 rows, the share of
                     rows whose name another row has too, the share of
                     names of 4+ characters and of dotted names;
     schools         schools per 1000 rows, the share of rows in the largest
                     1 % of schools, the share of schools under 20 rows;
     bytes per row.
   The varied profile must be ahead of the default by the margins below
   (each holds for seeds 1-9 at 100 000 rows; the school figures are the
   noisiest: a few Pareto-sized schools hold much of a small file), and the
   default must keep its own character (no quoted field at all without
   --messy). The seed, 5, is one whose file has a school name with a line
   break (not every 100 000-row file does: 0.5 % of the schools).
4. --profile is refused with the modes it does not support, and an unknown
   profile is refused.
"""
import argparse
import collections
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_truth  # noqa: E402
import xjcheck  # noqa: E402

RUN_DATE = "2026-11-28"


def records(path):
    """Yields (fields, quoted flags, holds a quoted line break) per data
    record of a UTF-8 CSV written with '"' quotes and LF or CRLF ends."""
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    if data.startswith("\ufeff"):
        data = data[1:]
    i, n, first = 0, len(data), True
    while i < n:
        fields, flags, newline = [], [], False
        while True:
            if i < n and data[i] == '"':
                j, buf = i + 1, []
                while True:
                    k = data.index('"', j)
                    buf.append(data[j:k])
                    if k + 1 < n and data[k + 1] == '"':
                        buf.append('"')
                        j = k + 2
                    else:
                        i = k + 1
                        break
                value = "".join(buf)
                newline = newline or "\n" in value
                fields.append(value)
                flags.append(True)
            else:
                j = i
                while j < n and data[j] not in ',\n\r':
                    j += 1
                fields.append(data[i:j])
                flags.append(False)
                i = j
            if i < n and data[i] == ',':
                i += 1
                continue
            if i < n and data[i] == '\r':
                i += 1
            if i < n and data[i] == '\n':
                i += 1
            break
        if first:
            first = False
            header = fields
            continue
        yield header, fields, flags, newline


def measure(path):
    rows = quoted = fields = newline_rows = 0
    names = collections.Counter()
    long_names = dotted = 0
    schools = collections.Counter()
    header = None
    for header, f, q, nl in records(path):
        rec = dict(zip(header, f))
        rows += 1
        fields += len(f)
        quoted += sum(q)
        newline_rows += nl
        name = xjcheck.norm_name(rec["姓名"])
        names[name] += 1
        long_names += len(name) >= 4 and "·" not in name and not name.isascii()
        dotted += "·" in name
        schools[rec["学校标识码"]] += 1
    sizes = sorted(schools.values(), reverse=True)
    top = max(1, len(sizes) // 100)
    return {
        "header": header,
        "rows": rows,
        "bytes_per_row": os.path.getsize(path) / rows,
        "quoted_share": quoted / fields,
        "newline_rows": newline_rows,
        "names_per_1k": 1000 * len(names) / rows,
        "shared_name_share": sum(c for c in names.values() if c > 1) / rows,
        "long_name_share": long_names / rows,
        "dotted_share": dotted / rows,
        "schools_per_1k": 1000 * len(sizes) / rows,
        "top1pct_share": sum(sizes[:top]) / rows,
        "tiny_school_share": sum(1 for s in sizes if s < 20) / len(sizes),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("work")
    ap.add_argument("--rows", default="100000")
    ap.add_argument("--seed", default="5")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    fails = []

    def gen(out, *extra):
        subprocess.run([a.exe, "gen", "--rows", a.rows, "--seed", a.seed, "--run-date", RUN_DATE, "-q",
                        "-o", out, *extra], check=True)

    plain = os.path.join(a.work, "default.csv")
    varied = os.path.join(a.work, "varied.csv")
    varied1 = os.path.join(a.work, "varied_t1.csv")
    truth = os.path.join(a.work, "varied.truth")
    gen(plain, "--threads", "2")
    gen(varied, "--profile", "varied", "--truth", truth, "--threads", "2")
    gen(varied1, "--profile", "varied", "--threads", "1")
    with open(varied, "rb") as f1, open(varied1, "rb") as f2:
        if f1.read() != f2.read():
            fails.append("--profile varied: --threads 1 and 2 give different bytes")
    os.remove(varied1)

    # 2. the truth, judged as for the default profile
    out = os.path.join(a.work, "scan")
    p = subprocess.run([a.exe, "scan", varied, "-o", out, "--force", "--run-date", RUN_DATE, "-q"])
    if p.returncode not in (0, 1):
        fails.append(f"xjdedup scan of the varied file exited {p.returncode}")
    else:
        tfails, counts = check_truth.compare(varied, truth, out, False, "utf-8")
        fails += ["truth: " + x for x in tfails]
        for k, v in sorted(counts.items()):
            print(f"truth  {k}: {v}")
        for k in ("id_duplicate groups injected", "attr_duplicate groups injected", "invalid injected"):
            if counts.get(k, 0) == 0:
                fails.append(f"truth: no {k.replace(' injected', '')} in the varied file")

    # 3. how the profiles differ
    d, v = measure(plain), measure(varied)
    for k in d:
        if k != "header":
            print(f"{k:18s} default {d[k]:10.4f}   varied {v[k]:10.4f}")

    def need(ok, what):
        if not ok:
            fails.append(what)

    need(d["header"][-1] == "年级" and v["header"][-2:] == ["年级", "家庭住址"],
         f"headers: default ends {d['header'][-1:]}, varied {v['header'][-2:]}")
    need(d["quoted_share"] == 0 and d["newline_rows"] == 0, "the default profile quotes fields without --messy")
    need(v["quoted_share"] >= 0.06, f"varied quotes only {v['quoted_share']:.3f} of the fields (want >= 0.06)")
    need(v["newline_rows"] > 0, "varied has no quoted line break")
    need(v["names_per_1k"] >= 1.2 * d["names_per_1k"],
         f"varied has {v['names_per_1k']:.0f} distinct names per 1000 rows, default {d['names_per_1k']:.0f}"
         " (want 1.2 times)")
    need(v["shared_name_share"] <= 0.5 * d["shared_name_share"],
         f"rows sharing their name: varied {v['shared_name_share']:.3f}, default {d['shared_name_share']:.3f}")
    need(v["long_name_share"] >= 10 * d["long_name_share"] and v["long_name_share"] >= 0.05,
         f"names of 4+ characters: varied {v['long_name_share']:.4f}, default {d['long_name_share']:.4f}")
    need(v["dotted_share"] >= 2 * d["dotted_share"],
         f"dotted names: varied {v['dotted_share']:.4f}, default {d['dotted_share']:.4f}")
    need(v["schools_per_1k"] >= 1.6 * d["schools_per_1k"],
         f"schools per 1000 rows: varied {v['schools_per_1k']:.2f}, default {d['schools_per_1k']:.2f}")
    need(v["top1pct_share"] >= 1.3 * d["top1pct_share"],
         f"rows in the largest 1 % of schools: varied {v['top1pct_share']:.3f}, default {d['top1pct_share']:.3f}")
    need(v["tiny_school_share"] >= 1.5 * d["tiny_school_share"] and v["tiny_school_share"] >= 0.2,
         f"schools under 20 rows: varied {v['tiny_school_share']:.3f}, default {d['tiny_school_share']:.3f}")
    need(v["bytes_per_row"] >= 1.05 * d["bytes_per_row"],
         f"bytes per row: varied {v['bytes_per_row']:.1f}, default {d['bytes_per_row']:.1f}")

    # 4. refusals
    for extra in (["--months", "2"], ["--suspects", "2"], ["--population", os.path.join(a.work, "e.csv")],
                  ["--school-sigma", "1"]):
        r = subprocess.run([a.exe, "gen", "--rows", "2000", "--profile", "varied", "-o",
                            os.path.join(a.work, "refused.csv"), *extra], capture_output=True)
        need(r.returncode == 2 and b"--profile varied" in r.stderr,
             f"--profile varied with {extra[0]}: exit {r.returncode}, {r.stderr[:200]!r}")
    r = subprocess.run([a.exe, "gen", "--rows", "10", "--profile", "other", "-o", os.path.join(a.work, "x.csv")],
                       capture_output=True)
    need(r.returncode == 2, f"--profile other: exit {r.returncode}")

    for f in fails:
        print("FAIL", f)
    if fails:
        print(f"{len(fails)} failures")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
