#!/usr/bin/env python3
"""bench/make_extract.py INPUT EXTRACT [PERCENT] — a population extract the
size of INPUT for bench/population_cost.sh: every record's GB 11643-shaped
ID number with its name (header id_number,name), PERCENT of the numbers
(default 0.2) left out and as many again under another name, chosen by a
fixed pseudo-random sequence (seed 18), so the same INPUT always gives the
same EXTRACT. Numbers are normalized as rules §3 says (the reference's
norm_id), so a number written with spaces or full-width digits is listed
like any other: only the chosen ones are left out."""
import csv
import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
from xjref import norm_id  # noqa: E402

GB = re.compile(r"^[0-9]{17}[0-9X]$")


def main():
    src, dst = sys.argv[1], sys.argv[2]
    rate = float(sys.argv[3]) / 100 if len(sys.argv) > 3 else 0.002
    rnd = random.Random(18)
    with open(src, encoding="utf-8", newline="") as f, open(dst, "w", encoding="utf-8", newline="") as g:
        rows = csv.reader(f)
        header = next(rows)
        id_col = next(i for i, h in enumerate(header) if h.strip() in ("身份证件号", "身份证件号码", "id_number"))
        name_col = next(i for i, h in enumerate(header) if h.strip() in ("姓名", "name"))
        out = csv.writer(g, lineterminator="\n")
        out.writerow(["id_number", "name"])
        for r in rows:
            if len(r) <= max(id_col, name_col):
                continue
            number = norm_id(r[id_col])
            if not GB.match(number) or not r[name_col].strip():
                continue
            x = rnd.random()
            if x < rate:
                continue
            out.writerow([number, r[name_col] + ("乙" if x < 2 * rate else "")])


if __name__ == "__main__":
    main()
