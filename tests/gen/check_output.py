#!/usr/bin/env python3
"""check_output — `xjdedup gen` output is reproducible and looks like a population.

usage: check_output.py XJDEDUP WORKDIR

Reproducibility: the same seed and options give the same bytes with 1 and 2
threads (plain, .zst, --messy, --encoding gbk); another seed gives other
bytes; the .zst output decompresses to the plain output; the GB 18030 output
decodes to the UTF-8 output; standard output ('-') equals the file.

Realism (assertions with generous bounds, on 200 000 rows): the header; every
record has the header's field count; birth dates in the cohort of the grade
shown and never after the run date; registration dates not after it either;
school codes with a real category code and the province of the county code;
about one school per 650 students; sex ratio near 111 boys per 100 girls;
most provinces present; Han, dotted minority and Latin names all present;
student numbers G+ID / L / J as documented.
"""
import collections
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xjcheck  # noqa: E402

RUN = "2026-11-28"
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL", what)


def gen(exe, out, *args, threads="1", seed="42", rows="200000"):
    subprocess.run([exe, "gen", "--rows", rows, "--seed", seed, "-o", out, "--threads", threads,
                    "--run-date", RUN] + list(args), check=True)
    with open(out, "rb") as f:
        return f.read()


def main():
    exe, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    p = lambda name: os.path.join(work, name)  # noqa: E731

    a1 = gen(exe, p("a1.csv"), threads="1")
    a2 = gen(exe, p("a2.csv"), threads="2")
    check(a1 == a2, "plain output differs between --threads 1 and 2")
    b = gen(exe, p("b.csv"), seed="43")
    check(a1 != b, "seeds 42 and 43 gave the same bytes")
    z1 = gen(exe, p("z1.csv.zst"), threads="1")
    z2 = gen(exe, p("z2.csv.zst"), threads="2")
    check(z1 == z2, ".zst output differs between --threads 1 and 2")
    check(z1[:4] == b"\x28\xb5\x2f\xfd", ".zst output does not start with a zstd frame")
    dz = subprocess.run(["zstd", "-dc", p("z1.csv.zst")], check=True, stdout=subprocess.PIPE).stdout
    check(dz == a1, ".zst output does not decompress to the plain output")
    m1 = gen(exe, p("m1.csv"), "--messy", threads="1")
    m2 = gen(exe, p("m2.csv"), "--messy", threads="2")
    check(m1 == m2, "--messy output differs between --threads 1 and 2")
    check(m1.startswith(b"\xef\xbb\xbf") and b"\r\n" in m1, "--messy output lacks BOM or CRLF")
    g1 = gen(exe, p("g1.csv"), "--encoding", "gbk", threads="1")
    g2 = gen(exe, p("g2.csv"), "--encoding", "gbk", threads="2")
    check(g1 == g2, "gbk output differs between --threads 1 and 2")
    check(g1 != a1 and g1.decode("gb18030") == a1.decode("utf-8"), "gbk output is not the GB 18030 form of the UTF-8 output")
    so = subprocess.run([exe, "gen", "--rows", "200000", "--seed", "42", "-o", "-", "--threads", "2",
                         "--run-date", RUN], check=True, stdout=subprocess.PIPE).stdout
    check(so == a1, "output to '-' differs from the file")
    t1 = p("t1.truth"); t2 = p("t2.truth")
    gen(exe, p("t1.csv"), "--truth", t1, threads="1")
    gen(exe, p("t2.csv"), "--truth", t2, threads="2")
    check(open(t1, "rb").read() == open(t2, "rb").read(), "truth differs between --threads 1 and 2")
    bad = subprocess.run([exe, "gen", "--rows", "10", "-o", p("x.csv"), "--dup-rate", "2"],
                         stderr=subprocess.PIPE)
    check(bad.returncode == 2, f"--dup-rate 2 exited {bad.returncode}, not 2")

    # realism
    run = int(RUN.replace("-", ""))
    Y = 2026  # school year starting Sep 2026
    grades = {"一年级": 1, "二年级": 2, "三年级": 3, "四年级": 4, "五年级": 5, "六年级": 6, "七年级": 7,
              "八年级": 8, "九年级": 9, "高一": 10, "高二": 11, "高三": 12}
    header = None
    n = 0
    sexes = collections.Counter()
    schools = set()
    provinces = collections.Counter()
    cats = collections.Counter()
    names = collections.Counter()
    snos = collections.Counter()
    out_of_cohort = 0
    for line, header, row in xjcheck.read_records(p("a1.csv")):
        n += 1
        if len(row) != len(header):
            check(False, f"line {line}: {len(row)} fields")
            continue
        r = dict(zip(header, row))
        sexes[xjcheck.norm_sex(r["性别"])] += 1
        code, county = r["学校标识码"], r["行政区划码"]
        check(re.fullmatch(r"(21|31|34|36)[0-9]{8}", code) is not None, f"line {line}: school code {code}")
        check(code[2:4] == county[:2], f"line {line}: school {code} not in province of county {county}")
        schools.add(code)
        provinces[code[2:4]] += 1
        cats[code[:2]] += 1
        birth = xjcheck.norm_date(r["出生日期"])
        reg = xjcheck.norm_date(r["建籍日期"])
        check(0 < birth <= run, f"line {line}: birth date {r['出生日期']}")
        check(birth < reg <= run, f"line {line}: registered {r['建籍日期']} (born {birth})")
        g = grades[r["年级"]]
        lo, hi = (Y - 6 - g) * 10000 + 901, (Y - 5 - g) * 10000 + 831
        if not (lo <= birth <= hi):
            out_of_cohort += 1  # only birth date typos (birthdate_mismatch) may leave the cohort
        name = xjcheck.norm_name(r["姓名"])
        names["dotted" if "\u00b7" in name else "latin" if re.search("[a-z]", name) else "han"] += 1
        sno = r["学籍号"]
        snos[sno[0]] += 1
        check(len(sno) == 19 and sno[0] in "GLJ", f"line {line}: student number {sno}")
        if sno[0] == "G":
            check(xjcheck.norm_id(r["身份证件号"]) == sno[1:], f"line {line}: G number {sno} is not G+ID")
        if sno[0] == "J":
            check(xjcheck.norm_id(r["身份证件号"]) == "", f"line {line}: J number with an ID")
    check(header == ["学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "学校标识码",
                     "学校名称", "行政区划码", "建籍日期", "年级"], f"header {header}")
    check(n == 200000, f"{n} records, not 200000")
    ratio = sexes[1] / max(1, sexes[2]) * 100
    check(105 < ratio < 118, f"sex ratio {ratio:.1f} boys per 100 girls")
    per_school = n / max(1, len(schools))
    check(400 < per_school < 1000, f"{per_school:.0f} students per school")
    check(len(provinces) >= 28, f"only {len(provinces)} provinces")
    check(provinces["41"] > provinces["54"] * 5, "Henan not much larger than Tibet")
    check(all(cats[c] > 0 for c in ("21", "31", "34", "36")), f"school categories {dict(cats)}")
    check(out_of_cohort < n * 0.001, f"{out_of_cohort} birth dates outside the grade's cohort")
    check(names["dotted"] > 0 and names["latin"] > 0 and names["han"] > n * 0.9, f"names {dict(names)}")
    check(snos["G"] > n * 0.9 and snos["L"] > 0 and snos["J"] > 0, f"student numbers {dict(snos)}")
    print(f"rows {n}, schools {len(schools)} ({per_school:.0f} per school), sex ratio {ratio:.1f}, "
          f"provinces {len(provinces)}, categories {dict(cats)}, names {dict(names)}, numbers {dict(snos)}")
    if FAILS:
        print(f"{len(FAILS)} failures")
        return 1
    print("ok")
    shutil.rmtree(work, ignore_errors=True)  # a passing run's files go: CI's disk is small; a failing run keeps them to look at
    return 0


if __name__ == "__main__":
    sys.exit(main())
