#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz corpora.

    tests/fuzz/make_seeds.py [FIXTURES_FUZZ_DIR]   (default: fixtures/fuzz)

Each seed is named seed-<what>; files the fuzzer adds (tools/fuzz.sh merges
them in) are named by their SHA-1, so the two never collide and running this
again only rewrites the seeds. The .zst seeds are made with the zstd CLI, so
they are real encoder output (checksums, several frames, no-checksum frames,
a bomb-like frame) rather than bytes written by hand.
"""
import os
import subprocess
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "fuzz")

HEADER_ZH = "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,学校名称,行政区划码,建籍日期"
HEADER_EN = "student_no,name,sex,birth_date,id_type,id_number,school_code,school_name,region_code,registered_at"


def check_char(d17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(w * int(c) for w, c in zip(weights, d17)) % 11]


def gb_id(region, birth, seq):
    d17 = region + birth + seq
    return d17 + check_char(d17)


def zstd(data, *args):
    return subprocess.run(["zstd", "-q", "-c", *args], input=data, stdout=subprocess.PIPE, check=True).stdout


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def csv_seeds():
    id1 = gb_id("110101", "20150301", "011")
    id2 = gb_id("440106", "20140707", "022")
    rows = [
        f"G{id1},张三,男,2015-03-01,1,{id1},2111010001,第一小学,110101,2021-09-01",
        f"L{id1},张 三,1,20150301,居民身份证,{id1},2111010001,第一小学,110101,2021-09-02",
        f"G{id2},李四,女,2014/7/7,1,{id2.lower()},2144010001,第二小学,440106,",
        f"J{id2},王五,M,2014-07-07,,,2144010001,第二小学,,",
        "J1234,阿卜杜·热合曼,F,2013-01-31,6,H12345678,2144010001,第二小学,,20200901",
    ]
    basic = HEADER_ZH + "\n" + "\n".join(rows) + "\n"
    write("csv", "spec-header", basic)
    write("csv", "english-header", HEADER_EN + "\n" + "\n".join(rows))
    write("csv", "bom-crlf", "\ufeff" + (HEADER_ZH + "\r\n" + "\r\n".join(rows) + "\r\n"))
    write("csv", "quotes",
          HEADER_ZH + "\n"
          f'"G{id1}","张,三",男,2015-03-01,1,"{id1}",2111010001,"第一""小学""",110101,2021-09-01\n'
          f'G{id1},"多行\n姓名",男,2015-03-01,1,{id1},2111010001,"a\r\nb",110101,2021-09-01\n'
          f'G{id1},"",男,2015-03-01,1,{id1},2111010001,"""",110101,""\n')
    write("csv", "bad-quotes",
          HEADER_ZH + "\n"
          f'G{id1},张"三,男,2015-03-01,1,{id1},2111010001,x,110101,\n'
          f'G{id1},"张三"x,男,2015-03-01,1,{id1},2111010001,x,110101,\n'
          f'G{id1},"张三",男,2015-03-01,1,{id1},2111010001,"unterminated,110101,\n')
    write("csv", "unterminated-eof", HEADER_ZH + "\n" + rows[0] + '\nG1,"never closed,男\n,more\n')
    write("csv", "blank-lines", "\n\r\n" + HEADER_ZH + "\n\n" + rows[0] + "\n\r\n\r\n" + rows[1] + "\n\n\r")
    write("csv", "gbk", (HEADER_ZH + "\r\n" + "\r\n".join(rows[:2] + rows[3:]) + "\r\n").encode("gb18030"))
    write("csv", "gbk-header-utf8-rows", HEADER_ZH.encode("gb18030") + b"\n" + rows[0].encode() + b"\n")
    write("csv", "field-count", HEADER_ZH + "\n" + rows[0] + ",extra\n" + "a,b\n" + ",,,,,,,,,\n")
    write("csv", "bad-values",
          HEADER_ZH + "\n"
          f"G{id1},张三,男?,2015-03-01,1,{id1},2111010001,x,,\n"
          f"G{id1},张三,女,2015-02-30,1,{id1},2111010001,x,,\n"
          f"G{id1},张三,女,2015-03-01,护照,E12345678,2111010001,x,,1999-13-01\n"
          f"G{id1},张三,女,2015-03-01,99,{id1[:15]},2111010001,x,,\n")
    write("csv", "missing-column", "学籍号,姓名,性别,出生日期\nG1,张三,男,2015-03-01\n")
    write("csv", "ambiguous-header", "学籍号,个人标识码,姓名,性别,出生日期,身份证件号,学校标识码\n1,2,3,4,5,6,7\n")
    write("csv", "user-map-header", "学号,名字,性别,出生日期,身份证号,学校代码, 姓名 \n1,张三,男,2015-03-01,,2111010001,x\n")
    write("csv", "duplicate-names", "a,a,b,a\n1,2,3,4\n")
    write("csv", "encoding", (HEADER_ZH + "\nG1,张三,男,2015-03-01,1,,2111010001,x,,\n").encode()
          + b"G1,\xc0\xaf\xed\xa0\x80\xff,1,2015-03-01,1,,2111010001,x,,\n"
          + b"G1,a\x00b,1,2015-03-01,1,,2111010001,x,,\n")
    write("csv", "cr-only", HEADER_ZH + "\r" + rows[0] + "\r" + rows[1] + "\r")
    write("csv", "utf16", (HEADER_ZH + "\n" + rows[0] + "\n").encode("utf-16"))
    write("csv", "long-field", HEADER_ZH + "\n" + f"G1,{'名' * 22000},男,2015-03-01,1,,2111010001,x,,\n"
          + f"G1,{'a' * 65537},男,2015-03-01,1,,2111010001,x,,\n")
    write("csv", "many-commas", HEADER_ZH + "\n" + "," * 5000 + "\n")
    write("csv", "no-lf-at-eof", HEADER_ZH + "\n" + rows[0])
    write("csv", "header-only", HEADER_ZH)
    write("csv", "empty", b"")
    # zstd input is detected by its magic: compressed CSV, and the records too
    # long for the splitter (1 MiB), which plain seeds could not afford
    write("csv", "zstd", zstd(basic.encode()))
    write("csv", "zstd-truncated", zstd(basic.encode())[:-7])
    write("csv", "zstd-overlong-record",
          zstd((HEADER_ZH + "\n" + rows[0] + "\n" + "x" * (1100 << 10) + "\n" + rows[1] + "\n").encode(), "-19"))
    write("csv", "zstd-overlong-quoted",
          zstd((HEADER_ZH + "\n" + '"' + "y\n" * (600 << 10) + '"\n' + rows[2] + "\n").encode(), "-19"))
    write("csv", "zstd-overlong-header", zstd(("h" * (1100 << 10) + "\n" + rows[0] + "\n").encode(), "-19"))


def id_seeds():
    ok1 = gb_id("110101", "20150301", "011")
    seeds = {
        "type1-valid": f"1\n{ok1}\n男\n2015-03-01",
        "type1-x": "1\n" + gb_id("110101", "20150301", "001").replace("X", "x") + "\n1\n20150301",
        "type1-checksum": f"1\n{ok1[:17]}{'0' if ok1[17] != '0' else '1'}\n2\n2015-03-01",
        "type1-legacy15": "1\n110101150301011\n\n",
        "type1-region": "1\n" + gb_id("990101", "20150301", "011") + "\n\n",
        "type1-birth": "1\n" + gb_id("110101", "20991301", "011") + "\n\n",
        "type1-before-1900": "1\n" + gb_id("110101", "18991231", "011") + "\n\n",
        "type1-mismatch": f"居民身份证\n{ok1}\n女\n2015-03-02",
        "type1-fullwidth": "1\n" + "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in ok1) + "\n\n",
        "type1-spaces": f" 1 \n{ok1[:6]} {ok1[6:14]}\u3000{ok1[14:]}\t\n\n",
        "permit-hk": "港澳台居民居住证\n" + gb_id("810000", "20100101", "123") + "\n1\n2010-01-01",
        "permit-tw": "1\n" + gb_id("830000", "20100101", "124") + "\n2\n",
        "type6": "6\nH12345678\n\n",
        "type6-name": "香港特区护照/身份证明\nH1234567890\n\n",
        "type7": "7\nM12345678\n\n",
        "type8": "8\n12345678\n\n",
        "type8-bad": "台湾居民来往大陆通行证\n1234567\n\n",
        "type9-old": "9\nUSA123456789012\n\n",
        "type9-new": "境外永久居住证\n" + gb_id("911000", "20000101", "123") + "\n\n",
        "typeA": "A\nE12345678\n\n",
        "typeA-name": "护照\nE1234-5678\n\n",
        "typeZ-empty": "Z\n\n\n",
        "typeZ": "其他\nanything at all\n\n",
        "type-unknown": "身份证\n" + ok1 + "\n\n",
        "type-empty": "\n\n\n",
        "missing": "1\n \u3000\n\n",
        "run-date": f"1\n{ok1}\n\n\n2015-02-28",
        "long": "Z\n" + "1" * 200 + "\n\n",
        "long-type1": "1\n" + "\uff11" * 40 + "\n\n",
    }
    for name, text in seeds.items():
        write("idcheck", name, text)
    write("idcheck", "invalid-utf8", b"1\n11010\xe3 \x80\x80120150301011\xc0\xaf\n\n")
    write("idcheck", "nul", b"1\x00Z\n110101\x00201503010111\n\n")


def name_seeds():
    seeds = {
        "plain": "张三",
        "spaces": " 张 三\t",
        "ideographic-space": "张\u3000三",
        "nbsp": "张\u00a0\u2003三\u202f",
        "dots": "阿卜杜\u2022热合曼\u30fb买买提\uff65艾力\u2027木\u2219沙",
        "middle-dot": "阿卜杜·热合曼",
        "fullwidth": "ＺＨＡＮＧ　Ｓａｎ",
        "latin-case": "José MARÍA Ångström",
        "decomposed": "Jose\u0301 Mari\u0301a",
        "ligatures": "\ufb01\ufb02 \u01c4 \u3231 \u2460",
        "compat-ideograph": "\uf900\uf901\u2f00",
        "ext-b": "\U00020000\U0002a6d6",
        "hangul-jamo": "\u1100\u1161\u11a8",
        "cyrillic": "ИВАНОВ Иван",
        "greek": "ΣΊΣΥΦΟΣ",
        "emoji": "小明\U0001f600",
        "hyphen": "Anne-Marie O'Neil",
        "long": "王" * 3000,
        "empty": "",
    }
    for name, text in seeds.items():
        write("name", name, text)
    write("name", "invalid", b"\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff")
    write("name", "truncated", "张三".encode()[:-1])
    write("name", "nul", b"a\x00b")


def zst_seeds():
    text = (HEADER_ZH + "\n" + "G1,张三,男,2015-03-01,1,,2111010001,x,,\n" * 50).encode()
    write("zst", "plain-text", text[:200])
    write("zst", "empty-file", b"")
    good = zstd(text)
    write("zst", "valid", good)
    write("zst", "valid-no-check", zstd(text, "--no-check"))
    write("zst", "empty-content", zstd(b""))
    write("zst", "two-frames", zstd(text[:100]) + zstd(text[100:], "--no-check"))
    write("zst", "skippable", bytes.fromhex("502a4d18") + (5).to_bytes(4, "little") + b"skip!" + good)
    write("zst", "truncated-header", good[:5])
    write("zst", "truncated-middle", good[: len(good) // 2])
    write("zst", "truncated-checksum", good[:-2])
    corrupt = bytearray(good)
    corrupt[len(corrupt) // 2] ^= 0x5A
    write("zst", "corrupt", bytes(corrupt))
    write("zst", "trailing-garbage", good + b"garbage")
    write("zst", "magic-only", bytes.fromhex("28b52ffd"))
    # many blocks, and blocks bigger than the small reads of the second pass
    big = b"".join(b"%08d,row,%d\n" % (i, i * 7919 % 1000) for i in range(40000))
    write("zst", "multi-block", zstd(big, "-1", "--no-check"))
    write("zst", "bomb", zstd(b"\0" * (48 << 20), "-19"))
    # a window over XJ_RD_WINDOW_LOG: unknown size, so the frame keeps it
    proc = subprocess.run("head -c 300000 /dev/zero | zstd -q -c --long=30", shell=True, stdout=subprocess.PIPE, check=True)
    write("zst", "window-30", proc.stdout)


MONTHLY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "monthly")
MARK = b"%%XJ%%"  # splits an input of the previous and decisions targets into its files


def monthly(*parts):
    with open(os.path.join(MONTHLY, *parts), "rb") as f:
        return f.read()


def previous_seeds():
    """PREV directories: problems.csv [MARK attested.csv [MARK summary.json [MARK MANIFEST]]]."""
    summary = monthly("first_seen_min", "prev", "summary.json")
    for case, run in (("approved_copy", "month1"), ("counts", "month2"), ("cycle", "month2"),
                      ("old_id_approved", "month2b")):
        prob = monthly(case, "expected", run, "problems.csv")
        att = monthly(case, "expected", run, "attested.csv")
        write("previous", f"{case}-{run}", prob)
        write("previous", f"{case}-{run}-attested", prob + MARK + att)
    prev = ("first_seen_min", "prev")
    prob, att = monthly(*prev, "problems.csv"), monthly(*prev, "attested.csv")
    write("previous", "first-seen-min", prob + MARK + att + MARK + summary)
    write("previous", "first-seen-min-manifest",
          prob + MARK + att + MARK + summary + MARK + monthly(*prev, "MANIFEST"))
    old = ("old_prev", "prev")  # written before first_seen and other_members existed
    write("previous", "old-prev", monthly(*old, "problems.csv") + MARK + att + MARK + monthly(*old, "summary.json"))
    write("previous", "bad-quote", monthly("refusals", "bad_prev", "problems.csv"))
    lines = prob.decode().split("\n")
    header, rows = lines[0], [l for l in lines[1:] if l]
    row = rows[0]  # id_duplicate, first seen 2026-08-01, L1101010001 in 2111010001
    wide = monthly("cycle", "expected", "month2", "problems.csv").decode()  # the input's columns after ours
    write("previous", "crlf", wide.replace("\n", "\r\n"))
    write("previous", "crlf-school-last", "\r\n".join([header] + rows) + "\r\n")
    write("previous", "bom", "\ufeff" + prob.decode())
    write("previous", "no-final-lf", prob.rstrip(b"\n"))
    write("previous", "header-only", header + "\n")
    write("previous", "empty", b"")
    write("previous", "quoted-multiline",
          header + "\n"
          'id_duplicate,,"c8285a12f64c54e6",2,school,school,1,keep,,"L1\n,x",new,2026-06-01,"a,b.csv",2,'
          '" L1101010001 ","2111010001"\n'
          'id_duplicate,,c8285a12f64c54e6,2,school,school,0,keep,,,new,2026-07-01,a.csv,3,"L""1","211101""0001"\r\n'
          'attr_duplicate,,a5ebe60089718415,2,county,county,,attest,,,new,2026-05-01,a.csv,4,J1,"2111010001\r"\r\n'
          'id_invalid,,,,,,,,,,new,2026-05-01,a.csv,5,"x\n""y""",""\n')
    write("previous", "unterminated", header + "\n" + row + "\n" + 'id_invalid,,,,,,,,,,new,2026-06-01,a,5,"L1')
    write("previous", "huge-field", header + "\n" + row.replace("L1101010001", "L" * 5000) + "\n"
          + row.replace("L1101010001", "L" * 5000 + "X") + "\n" + row.replace("2111010001", "9" * 70000) + "\n")
    write("previous", "missing-column", header.replace(",学校标识码", "") + "\n" + row + "\n")
    write("previous", "columns-misplaced",
          "group_id,problem,first_seen,source,line,学籍号,学校标识码\nc8285a12f64c54e6,id_duplicate,2026-06-01,a,1,L1,2\n")
    write("previous", "names-before-line",
          "problem,group_id,学籍号,学校标识码,first_seen,line,学籍号,学校标识码\n"
          "id_duplicate,c8285a12f64c54e6,x,y,2026-06-01,2,L1101010001,2111010001\n")
    write("previous", "first-seen-not-date", header + "\n" + row.replace("2026-08-01", "2026-02-30") + "\n")
    write("previous", "first-seen-blank", header + "\n" + row.replace("2026-08-01", "") + "\n")
    write("previous", "duplicates",
          header + "\n" + "\n".join(row.replace("2026-08-01", d) for d in ("2026-08-01", "2026-06-01", "2026-06-01",
                                                                            "2026-07-01")) + "\n"
          + row.replace("L1101010001", " L1101010001 ") + "\n" + row.replace("id_duplicate", " id_duplicate") + "\n"
          + row.replace("c8285a12f64c54e6", "") + "\n")
    write("previous", "unknown-problem", header + "\n" + row.replace("id_duplicate", "id_weird") + "\n,,,\n\n")
    write("previous", "quote-past-columns", header + ",note\n" + row + ',"a, ""b"""\n' + row + ',x"y\n')
    write("previous", "summary-mixed", prob + MARK + att + MARK + summary.replace(b"noid", b"mixed"))
    write("previous", "summary-no-date", prob + MARK + att + MARK + b'{"attr_scope": "noid"}')
    write("previous", "manifest-unsorted", prob + MARK + att + MARK + summary + MARK
          + b"0" * 32 + b" 1 summary.json\n" + b"0" * 32 + b" 1 problems.csv\n")
    write("previous", "manifest-no-problems", prob + MARK + att + MARK + summary + MARK + b"0" * 32 + b" 9 summary.json\n")
    # rows beyond the first 64 KiB block the reader takes, and a row across its edge
    big = [header]
    i = 0
    while sum(len(l) + 1 for l in big) < 70000:
        big.append(f"id_duplicate,,{i:016x},2,school,school,1,keep,,,new,2026-06-01,a.csv,{i + 2},"
                   f"L{i:010d},21110{i % 100000:05d}")
        i += 1
    write("previous", "two-blocks", "\n".join(big) + "\n")


def decisions_seeds():
    """Decisions files: first [MARK second [MARK PREV's decisions.csv]]."""
    for case, name in (("approved_copy", "decisions.csv"), ("counts", "decisions2.csv"),
                       ("counts", "decisions3.csv"), ("cycle", "decisions_a.csv"), ("cycle", "decisions_b.csv"),
                       ("cycle", "decisions_c.csv"), ("old_id_approved", "approve_one.csv"),
                       ("old_id_approved", "approve_other.csv")):
        write("decisions", f"{case}-{name[:-4]}", monthly(case, name))
    for name in ("bad_quote", "bad_word", "field_count", "missing_column", "too_long"):
        write("decisions", "refusal-" + name.replace("_", "-"), monthly("refusals", name + ".csv"))
    a, b = monthly("cycle", "decisions_a.csv"), monthly("cycle", "decisions_b.csv")
    write("decisions", "two-files", a + MARK + b)
    write("decisions", "with-prev", a + MARK + b + MARK + monthly("first_seen_min", "prev", "decisions.csv"))
    write("decisions", "prev-empty", a + MARK + b + MARK)
    head = "group_id,student_no,school_code,decision"
    row = "c8285a12f64c54e6,L1101010001,2111010001,approved"
    write("decisions", "bom-crlf", "\ufeff" + head + "\r\n" + row + "\r\n\r\n" + row.replace("approved", "revoked") + "\r\n")
    write("decisions", "cr-only", head + "\r" + row + "\r")
    write("decisions", "blank-and-spaces", "\n \t\n" + head + "\n\n  " + row.replace(",", " , ") + "\t\n\t\n"
          + row.replace(",L", ",\u3000L").replace("approved", "revoked\u3000") + "\n")
    write("decisions", "extra-columns", "note,decision,school_code,student_no,group_id,decision\n"
          "x,approved,2111010001,L1101010001,c8285a12f64c54e6,revoked\n")
    write("decisions", "quoted", head + "\n" + '"c8285a12f64c54e6","L1,""1""","2111\n010001", approved \n'
          + '"c8285a12f64c54e6" ,L2,"2111010001",revoked\n')
    write("decisions", "unterminated", head + "\n" + 'c8285a12f64c54e6,"L1,2111010001,approved\n')
    write("decisions", "header-only", head)
    write("decisions", "empty", b"")
    write("decisions", "nul", (head + "\n").encode() + b"c8285a12f64c54e6,L1\x00x,2111010001,approved\n")
    write("decisions", "many-values", head + "," + ",".join(["x"] * 4100) + "\n")
    write("decisions", "later-wins", head + "\n" + "\n".join(
        f"c8285a12f64c54e6,L{i % 3},2111010001,{'approved' if i % 2 else 'revoked'}" for i in range(9)) + "\n")
    write("decisions", "value-too-long", head + "\n" + '"' + ("x" * 999 + "\n") * 70 + '",L1,2111010001,approved\n')


if __name__ == "__main__":
    csv_seeds()
    id_seeds()
    name_seeds()
    zst_seeds()
    previous_seeds()
    decisions_seeds()
