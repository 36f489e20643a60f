#!/usr/bin/env python3
"""diff_edges — the engine against the oracle on small edge inputs made on the
fly (too large or too odd to keep as fixtures): the 64 KiB field and 1 MiB
record limits on both sides, CR-only / UTF-16 / NUL headers, empty and
header-only files, quotes in odd places, a CR at end of file.

usage: diff_edges.py XJDEDUP WORKDIR [NAME...]

Each input is scanned by both programs (diff_oracle.compare); the exit status
must agree, and on success the outputs must be identical.  Prints one line per
input; exit 1 if any disagrees.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import diff_oracle  # noqa: E402

H = "学籍号,姓名,性别,出生日期,身份证件号,学校标识码\n"
R = "G1,张三,男,2015-03-01,110101201503010111,2111010001"
KIB, MIB = 1024, 1024 * 1024


def with_name(name):
    return R.replace("张三", name)


def wide(n_extra, width):
    """A header with n_extra unknown columns and one row whose extra fields
    are `width` bytes each (no single field over the limit)."""
    head = H.rstrip("\n") + "".join(f",x{i}" for i in range(n_extra)) + "\n"
    row = R + ("," + "b" * width) * n_extra
    return head + row + "\n" + R + ("," * n_extra) + "\n"


CASES = {
    "field_64k": H + with_name("a" * (64 * KIB)) + "\n" + R + "\n",           # exactly the limit: kept
    "field_64k1": H + with_name("a" * (64 * KIB + 1)) + "\n" + R + "\n",      # field_too_long
    "field_64k_mb": H + with_name("张" * 21846) + "\n" + R + "\n",            # 65538 bytes: too long
    "record_1m_wide": wide(17, 60 * KIB),                                     # ~1.04 MiB, no long field
    "record_under_1m": wide(16, 60 * KIB),                                    # ~0.98 MiB: kept
    "record_1m1_field": H + with_name('"' + "a,\n" * 380000 + '"') + "\n" + R + "\n",  # 1.1 MiB
    "record_3m": H + with_name("a" * (3 * MIB)) + "\n" + R + "\n",
    "cr_header": (H + R + "\n").replace("\n", "\r"),
    "nul_header": H.replace("姓名", "姓\0名") + R + "\n",
    "empty": "",
    "header_only": H,
    "header_no_lf": H.rstrip("\n"),
    "only_blanks": H + "\n\r\n\n",
    "after_quote": H + 'G1,"张"x,男,2015-03-01,"110101201503010111\n",2111010001\n' + R + "\n",
    "odd_quotes": H + 'G1,张"三,男,2015-03-01,110101201503010111,"2111010001\n' + R + '\n' + R + '"\n' + R + "\n",
    "cr_at_eof": H + R + "\n" + R.replace("2111010001", '"2111010001"') + "\r",
    "cr_inside": H + with_name("张\r三") + "\n" + R + "\n",
    "quoted_header": '"学籍号","姓名",性别,出生日期," 身份证件号 ",学校标识码\n' + R + "\n",
}


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    xj, work = argv[0], argv[1]
    names = argv[2:] or list(CASES)
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    bad = 0
    for name in names:
        path = os.path.join(work, name + ".csv")
        with open(path, "wb") as f:
            f.write(CASES[name].encode("utf-8"))
        eng, ora = os.path.join(work, name + ".engine"), os.path.join(work, name + ".oracle")
        args = ["--run-date", "2026-11-28"]
        re_ = subprocess.run([xj, "scan", path, "-o", eng, "-q", *args], capture_output=True)
        ro = subprocess.run([sys.executable, diff_oracle.ORACLE, "scan", path, "-o", ora, *args],
                            capture_output=True)
        if re_.returncode != ro.returncode:
            print(f"FAIL {name}: exit status: oracle {ro.returncode}, engine {re_.returncode}: "
                  f"{re_.stderr.decode('utf-8', 'replace')[:300]}")
            bad += 1
            continue
        fails = diff_oracle.compare(ora, eng) if ro.returncode == 0 else []
        if fails:
            bad += 1
            print(f"FAIL {name}:")
            for f in fails:
                print("  " + f.replace("\n", "\n  ")[:3000])
        else:
            print(f"ok {name} (exit {ro.returncode})")
    utf16 = os.path.join(work, "utf16.csv")
    with open(utf16, "wb") as f:
        f.write((H + R + "\n").encode("utf-16"))
    re_ = subprocess.run([xj, "scan", utf16, "-o", os.path.join(work, "u.e"), "-q"], capture_output=True)
    ro = subprocess.run([sys.executable, diff_oracle.ORACLE, "scan", utf16, "-o", os.path.join(work, "u.o")],
                        capture_output=True)
    if re_.returncode != 2 or ro.returncode != 2:
        print(f"FAIL utf16: exit status: oracle {ro.returncode}, engine {re_.returncode} (2 expected)")
        bad += 1
    else:
        print("ok utf16 (exit 2)")
    print(f"{len(names) + 1 - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
