#!/usr/bin/env python3
"""Self-tests of the oracle's ID, normalization and CSV rules, on values
checked by hand (the check characters below were computed on paper from
rules §4's weights), so that the oracle is not only trusted because it agrees
with itself; and docs/population.md (--population, not_found, name_mismatch,
assignments.csv, summary.json's "population" and "assignments") run end to end
on small hand-made inputs whose every line says what it must give."""
import contextlib
import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xjref  # noqa: E402

RUN = datetime.date(2026, 11, 28)


def chk(num, birth, sex, id_type="1", regions=None):
    return xjref.check_id(num, id_type, birth, sex, RUN, regions)[0]


class IdRules(unittest.TestCase):
    def test_check_characters(self):
        # 1*7+1*9+0+1*5+0+1*4+2*2+0+1*6+5*3+0+3*9+0+1*5+0+1*4+1*2 = 88, 88%11=0 -> '1'
        self.assertEqual(xjref.check_char("11010120150301011"), "1")
        # 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167, 167%11=2 -> X
        self.assertEqual(xjref.check_char("11010519491231002"), "X")

    def test_valid(self):
        self.assertIsNone(chk("11010519491231002X", "19491231", "2"))
        self.assertIsNone(chk("110101201503010111", "20150301", "1"))

    def test_reasons_in_order(self):
        self.assertEqual(chk("", "20150301", "1"), "missing")
        self.assertEqual(chk("11010120150301011", "20150301", "1"), "format")
        self.assertEqual(chk("1101012015030101A", "20150301", "1"), "format")
        self.assertEqual(chk("110105491231002", "19491231", "2"), "legacy15")
        # region comes before birthdate and checksum
        self.assertEqual(chk("990101201502300110", "20150301", "1"), "region")
        self.assertEqual(chk("110101201502300111", "20150301", "1"), "birthdate")
        self.assertEqual(chk("110101189912310111", "18991231", "1"), "birthdate")
        self.assertEqual(chk("110101202701010111", "20270101", "1"), "birthdate")
        self.assertEqual(chk("110101201503010112", "20150301", "1"), "checksum")
        self.assertEqual(chk("110101201503010111", "20150302", "1"), "birthdate_mismatch")
        self.assertEqual(chk("110101201503010111", "20150301", "2"), "sex_mismatch")

    def test_boundaries(self):
        body = "110101" + "19000101" + "001"
        self.assertIsNone(chk(body + xjref.check_char(body), "19000101", "1"))
        body = "110101" + "20261128" + "002"
        self.assertIsNone(chk(body + xjref.check_char(body), "20261128", "2"))
        body = "110101" + "20261129" + "002"
        self.assertEqual(chk(body + xjref.check_char(body), "20261129", "2"), "birthdate")

    def test_legacy15_key(self):
        reason, key = xjref.check_id("110105491231002", "1", "19491231", "2", RUN, None)
        self.assertEqual((reason, key), ("legacy15", ("GB", "11010519491231002X")))

    def test_region_table(self):
        table = {"110101"}
        self.assertIsNone(chk("110101201503010111", "20150301", "1", regions=table))
        body = "110199201503010111"[:17]
        self.assertEqual(chk(body + xjref.check_char(body), "20150301", "1", regions=table),
                         "region_unknown")
        # province failure still wins
        self.assertEqual(chk("990101201503010111", "20150301", "1", regions=table), "region")

    def test_permits(self):
        for prefix in ("810000", "820000", "830000"):
            body = prefix + "20100505" + "123"
            self.assertIsNone(chk(body + xjref.check_char(body), "20100505", "1"))
        body = "810001" + "20100505" + "123"
        self.assertEqual(chk(body + xjref.check_char(body), "20100505", "1"), "region")
        # filed under type 8 a permit keeps type 8's rules: format
        body = "810000" + "20100505" + "123"
        self.assertEqual(chk(body + xjref.check_char(body), "20100505", "1", "8"), "format")

    def test_type9(self):
        body = "911" + "000" + "20100505" + "123"
        num = body + xjref.check_char(body)
        self.assertIsNone(chk(num, "20100505", "1", "9"))
        body = "811" + "000" + "20100505" + "123"
        self.assertEqual(chk(body + xjref.check_char(body), "20100505", "1", "9"), "region")
        body = "999" + "000" + "20100505" + "123"
        self.assertEqual(chk(body + xjref.check_char(body), "20100505", "1", "9"), "region")
        self.assertIsNone(chk("USA123456789012", "20100505", "1", "9"))
        self.assertEqual(chk("US1234567890123", "20100505", "1", "9"), "format")
        self.assertEqual(chk("", "20100505", "1", "9"), "missing")
        self.assertEqual(xjref.check_id(num, "9", "20100505", "1", RUN, None)[1], ("GB", num))

    def test_other_types(self):
        self.assertIsNone(chk("12345678", "20100505", "1", "8"))
        self.assertIsNone(chk("1234567890", "20100505", "1", "8"))
        self.assertEqual(chk("123456789", "20100505", "1", "8"), "format")
        self.assertIsNone(chk("H12345678", "20100505", "1", "6"))
        self.assertIsNone(chk("M1234567890", "20100505", "1", "7"))
        self.assertIsNone(chk("K/12-34", "20100505", "1", "6"))
        self.assertEqual(chk("H123", "20100505", "1", "6"), "format")
        self.assertEqual(chk("张三12345", "20100505", "1", "7"), "format")
        self.assertIsNone(chk("E12345678", "20100505", "1", "A"))
        self.assertEqual(chk("E1234-567", "20100505", "1", "A"), "format")
        self.assertEqual(chk("E12", "20100505", "1", "A"), "format")
        self.assertEqual(chk("", "20100505", "1", "A"), "missing")
        self.assertIsNone(chk("", "20100505", "1", "Z"))
        self.assertIsNone(chk("随便什么", "20100505", "1", "Z"))
        self.assertEqual(xjref.check_id("E12345678", "A", "", "1", RUN, None)[1], ("A", "E12345678"))
        self.assertEqual(xjref.check_id("12AB", "1", "", "1", RUN, None)[1], ("1", "12AB"))


class Normalization(unittest.TestCase):
    def test_id(self):
        self.assertEqual(xjref.norm_id(" １１０１０５ 19491231\u3000002ｘ"), "11010519491231002X")
        self.assertEqual(xjref.norm_id("11010519491231002x"), "11010519491231002X")

    def test_name(self):
        self.assertEqual(xjref.norm_name("阿依古丽•买买提"), "阿依古丽·买买提")
        self.assertEqual(xjref.norm_name("阿依古丽・买买提"), "阿依古丽·买买提")
        self.assertEqual(xjref.norm_name("阿依古丽･买买提"), "阿依古丽·买买提")
        self.assertEqual(xjref.norm_name(" ＴＯＭ　Smith "), "tomsmith")
        self.assertEqual(xjref.norm_name("ÉLODIE"), "élodie")
        self.assertEqual(xjref.norm_name("ΑΒΓ"), "ΑΒΓ")  # Greek is not folded

    def test_dates(self):
        self.assertEqual(xjref.norm_date("2015/3/1"), "20150301")
        self.assertEqual(xjref.norm_date(" 2015-03-01 "), "20150301")
        self.assertEqual(xjref.norm_date("20150301"), "20150301")
        self.assertIsNone(xjref.norm_date("2015-02-29"))
        self.assertEqual(xjref.norm_date("2016-02-29"), "20160229")
        self.assertIsNone(xjref.norm_date("2015-03/01"))
        self.assertIsNone(xjref.norm_date("2015031"))

    def test_group_id(self):
        gid = xjref.group_id("id_duplicate", ("11010519491231002X",))
        self.assertEqual(len(gid), 16)
        self.assertEqual(gid, xjref.xxhash.xxh3_64_hexdigest(b"id_duplicate\x0011010519491231002X"))


class Reader(unittest.TestCase):
    def items(self, data):
        return list(xjref.split_records(data))

    def test_lines(self):
        data = b'h1,h2\r\n"a\nb",x\r\n\r\n\nc,"d""e"\nf,g'
        got = self.items(data)
        self.assertEqual(got[0], ("record", 1, b"h1,h2", [b"h1", b"h2"], None))
        self.assertEqual(got[1], ("record", 2, b'"a\nb",x', [b"a\nb", b"x"], None))
        self.assertEqual(got[2], ("blank", 4))
        self.assertEqual(got[3], ("blank", 5))
        self.assertEqual(got[4], ("record", 6, b'c,"d""e"', [b"c", b'd"e'], None))
        self.assertEqual(got[5], ("record", 7, b"f,g", [b"f", b"g"], None))

    def test_trailing_empty_fields(self):
        self.assertEqual(self.items(b"a,,\n")[0][3], [b"a", b"", b""])

    def test_bad_quotes(self):
        got = self.items(b'a,b"c,d\ne,"f"g,h\ni,j\n')
        self.assertEqual([(g[1], g[4]) for g in got], [(1, "bad_quote"), (2, "bad_quote"), (3, None)])

    def test_unterminated(self):
        got = self.items(b'a,b\n"c,d\ne,f\n')
        self.assertEqual(got[1], ("record", 2, b'"c,d\ne,f\n', None, "unterminated_quote"))

    def test_csv_out(self):
        self.assertEqual(xjref.csv_line(["a", "b,c", 'd"e', " f", "g\nh", "张三"]),
                         'a,"b,c","d""e"," f","g\nh",张三\n'.encode())


# --------------------------------------------------------------------------
# docs/population.md: --population, not_found / name_mismatch, assignments.csv
# and summary.json's "population" and "assignments", run end to end through
# xjref.main on small hand-made inputs.
# --------------------------------------------------------------------------
HEADER = "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码\n"
S1, S2, S3 = "2111010001", "2132020001", "21320"  # Beijing, Jiangsu, not 10 digits


def gb(region, birth, seq):
    """A GB 11643 number with its right check character."""
    body = region + birth + seq
    return body + xjref.check_char(body)


def bad_check(num):
    """The same number with a wrong check character."""
    return num[:17] + ("0" if num[17] != "0" else "1")


# Valid numbers (seq's last digit odd: male, even: female).
N_OK = gb("110101", "20150301", "011")      # found under 王小明
N_ABSENT = gb("110101", "20150302", "021")  # in no extract
N_OTHER = gb("110101", "20150303", "031")   # listed under 李四
N_DOTS = gb("110101", "20150304", "041")    # listed as 阿依古丽・买买提 (U+30FB)
N_LATIN = gb("110101", "20150305", "051")   # listed as "Li Lei"
N_TWICE = gb("110101", "20150306", "061")   # listed under 赵六 and 赵陆
N_OLD = gb("110101", "20100101", "071")     # old IDs, in G student numbers
N_OLD2 = gb("110101", "20100102", "071")
N_CHANGED = gb("110101", "20150307", "081")  # a changed ID, found under its name
N_TYPE9 = gb("911000", "20150308", "091")   # a 2023 permanent-residence card, absent
N_PERMIT = gb("810000", "20150309", "011")  # a residence permit, found


def row(no, name, sex, birth, id_type, num, school):
    return ",".join([no, name, sex, birth, id_type, num, school]) + "\n"


class Run:
    """One xjref run in a temporary directory: the output's files, its exit
    status and its standard error."""

    def __init__(self, case, files, args, env_on=True):
        self.dir = tempfile.mkdtemp(prefix="xjref_pop_")
        case.addCleanup(shutil.rmtree, self.dir, True)
        for name, data in files.items():
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        self.out = os.path.join(self.dir, "out")
        # an argument naming one of `files` is that file's path
        argv = [os.path.join(self.dir, a) if a in files else a for a in args]
        err = io.StringIO()
        saved = os.environ.get("XJREF_POPULATION")
        os.environ["XJREF_POPULATION"] = "1" if env_on else "0"
        try:
            with contextlib.redirect_stderr(err):
                self.rc = xjref.main(argv + ["-o", self.out, "--run-date", "2026-11-28"])
        finally:
            if saved is None:
                del os.environ["XJREF_POPULATION"]
            else:
                os.environ["XJREF_POPULATION"] = saved
        self.stderr = err.getvalue()

    def path(self, name):
        return os.path.join(self.out, name)

    def csv(self, name):
        with open(self.path(name), encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def raw(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def summary(self):
        with open(self.path("summary.json"), encoding="utf-8") as f:
            return json.load(f)

    def invalid(self):
        """student number -> id_invalid reason, hint of problems.csv"""
        return {r["学籍号"]: (r["reason"], r["hint"]) for r in self.csv("problems.csv")
                if r["problem"] == "id_invalid"}


EXTRACT = ("\ufeff姓名 , 备注,身份证号\r\n"        # BOM, CRLF, a trimmed header, an ignored column
           "王小明,,%s\r\n"
           "\r\n"                                  # a blank line
           "李四,x,%s\r\n"
           "阿依古丽・买买提,,%s\r\n"
           "Li Lei,,%s\r\n"
           "赵六,,%s\r\n"
           "赵 六,,%s\r\n"                         # the same name again: one entry
           "赵陆,,%s\r\n"
           "周八,,%s\r\n"
           "吴九,,%s\r\n") % (N_OK, N_OTHER, N_DOTS, N_LATIN, N_TWICE, N_TWICE, N_TWICE,
                                 N_CHANGED, N_PERMIT.lower())
EXTRACT2 = "id_number,name\n%s,王小明\n%s,孙七\n" % (N_OK.replace("0", "０", 1), N_OK)

STUDENTS = HEADER + "".join([
    row("L01", "王小明", "男", "2015-03-01", "1", N_OK, S1),               # found: no row
    row("L02", "钱二", "男", "2015-03-02", "1", N_ABSENT, S1),             # not_found
    row("L03", "王五", "男", "2015-03-03", "1", N_OTHER, S1),              # name_mismatch
    row("L04", "阿依古丽•买买提", "男", "2015-03-04", "1", N_DOTS, S1),    # U+2022: matches
    row("L05", "ＬＩ　Ｌｅｉ", "男", "2015-03-05", "1", N_LATIN, S1),      # full-width, U+3000
    row("L06", "赵陆", "男", "2015-03-06", "1", N_TWICE, S1),              # the second name
    row("L07", "赵 六", "男", "2015-03-06", "", N_TWICE, S2),               # the first name
    row("L08", "赵七", "男", "2015-03-06", "1", N_TWICE, S2),              # neither
    row("G" + N_OLD, "孙三", "男", "2015-03-02", "1", N_ABSENT, S1),       # id_changed, absent
    row("G" + N_OLD2, "周八", "男", "2015-03-07", "1", N_CHANGED, S2),     # id_changed, found
    row("L09", "吴一", "男", "2015-03-08", "9", N_TYPE9, S2),              # type 9: not_found
    row("L10", "吴九", "男", "2015-03-09", "港澳台居民居住证", N_PERMIT, S2),  # permit, found
    row("L11", "郑十", "男", "2015-03-02", "1", bad_check(N_ABSENT), S2),  # checksum first
    row("L12", "冯一", "男", "2015-03-02", "8", "12345678", S2),            # type 8: not compared
])


class PopulationReasons(unittest.TestCase):
    def scan(self, *extra, env_on=True):
        files = {"students.csv": STUDENTS, "pop.csv": EXTRACT, "pop2.csv": EXTRACT2}
        return Run(self, files, ["scan", "students.csv"] + list(extra), env_on)

    def test_reasons(self):
        run = self.scan("--population", "pop.csv", "--population", "pop2.csv")
        self.assertEqual(run.rc, 0, run.stderr)
        got = run.invalid()
        self.assertEqual(got, {
            "L02": ("not_found", "correct_id"),
            "L03": ("name_mismatch", "correct_id"),
            "L08": ("name_mismatch", "correct_id"),
            # §2: not_found (8) comes before id_changed (10)
            "G" + N_OLD: ("not_found", "correct_id"),
            "L09": ("not_found", "correct_id"),
            "L11": ("checksum", "correct_id"),
            # found under its name: id_changed stands
            "G" + N_OLD2: ("id_changed", "confirm_change"),
        })
        s = run.summary()
        self.assertEqual(s["population"], {
            "files": ["pop.csv", "pop2.csv"],
            # pop.csv: 王小明 李四 阿依古丽·买买提 lilei 赵六 赵陆 周八 吴九 = 8 entries;
            # pop2.csv: 王小明 again (full-width digit) and 孙七 under N_OK
            "entries": 9, "ids": 7, "ids_with_several_names": 2,
            # all but L11 (checksum) and L12 (type 8)
            "compared": 12})
        self.assertEqual(s["problems"]["id_invalid"]["reasons"],
                         {"checksum": 1, "id_changed": 1, "name_mismatch": 2, "not_found": 3})
        self.assertIn(N_TWICE, run.stderr)  # the first number under several names
        self.assertIn("pop.csv: line 7", run.stderr)
        self.assertIn("pop.csv: line 9", run.stderr)
        self.assertNotIn(N_OK, run.stderr)  # only the first one is named

    def test_without_population(self):
        run = self.scan()
        self.assertEqual(run.rc, 0, run.stderr)
        # only the rules §4 reasons: id_changed for both G records
        self.assertEqual(run.invalid(), {"G" + N_OLD: ("id_changed", "confirm_change"),
                                         "G" + N_OLD2: ("id_changed", "confirm_change"),
                                         "L11": ("checksum", "correct_id")})
        s = run.summary()
        self.assertIsNone(s["population"])
        self.assertEqual(list(s)[-5:], ["provinces", "monthly", "population", "assignments", "timing"])

    def test_gate(self):
        """Until the engine writes them, the new outputs need XJREF_POPULATION=1
        or --population (ENGINE_HAS["population"])."""
        run = self.scan(env_on=False)
        self.assertEqual(run.rc, 0, run.stderr)
        s = run.summary()
        if xjref.ENGINE_HAS["population"]:
            self.assertIn("population", s)
            self.assertTrue(os.path.exists(run.path("assignments.csv")))
        else:
            self.assertNotIn("population", s)
            self.assertNotIn("assignments", s)
            self.assertFalse(os.path.exists(run.path("assignments.csv")))
        run = self.scan("--population", "pop.csv", env_on=False)
        self.assertEqual(run.rc, 0, run.stderr)
        self.assertEqual(run.summary()["population"]["files"], ["pop.csv"])
        self.assertTrue(os.path.exists(run.path("assignments.csv")))

    def test_zst_extract(self):
        packed = subprocess.run(["zstd", "-q", "-c"], input=EXTRACT.encode(), capture_output=True,
                                check=True).stdout
        run = Run(self, {"students.csv": STUDENTS, "pop.csv.zst": packed},
                  ["scan", "students.csv", "--population", "pop.csv.zst"])
        self.assertEqual(run.rc, 0, run.stderr)
        self.assertEqual(run.invalid()["L03"], ("name_mismatch", "correct_id"))
        self.assertEqual(run.summary()["population"]["files"], ["pop.csv.zst"])
        # a .zst that ends early is fatal, naming the file
        run = Run(self, {"students.csv": STUDENTS, "cut.csv.zst": packed[:len(packed) - 5]},
                  ["scan", "students.csv", "--population", "cut.csv.zst"])
        self.assertEqual(run.rc, 2)
        self.assertIn("cut.csv.zst", run.stderr)
        self.assertFalse(os.path.exists(run.out))


class PopulationErrors(unittest.TestCase):
    """§1: every malformed extract is fatal (exit 2), naming file and line."""

    def fails(self, extract, *wanted):
        run = Run(self, {"students.csv": STUDENTS, "bad.csv": extract},
                  ["scan", "students.csv", "--population", "bad.csv"])
        self.assertEqual(run.rc, 2, extract)
        self.assertIn("bad.csv", run.stderr)
        for w in wanted:
            self.assertIn(w, run.stderr)
        self.assertFalse(os.path.exists(run.out))

    def test_rows(self):
        good = "id_number,name\n%s,王小明\n\n" % N_OK
        self.fails(good + "%s,李四\n" % N_OK[:17], "line 4", "GB 11643")           # 17 characters
        self.fails(good + "%s,李四\n" % (N_OK[:17] + "A"), "line 4", "GB 11643")   # not 0-9X
        self.fails(good + "%s, \u3000\n" % N_OTHER, "line 4", "name is empty")
        self.fails(good + "%s,李四,x\n" % N_OTHER, "line 4", "3 fields")
        self.fails(good + "%s\n" % N_OTHER, "line 4", "1 fields")
        self.fails(good + '%s,"李"四\n' % N_OTHER, "line 4", "bad quote")
        self.fails(good + '%s,"李四\n' % N_OTHER, "line 4", "unterminated quote")
        self.fails(good.encode() + N_OTHER.encode() + b",\xc0\xaf\n", "line 4", "UTF-8")
        self.fails(good + "%s,%s\n" % (N_OTHER, "李" * 22000), "line 4", "64 KiB")

    def test_header(self):
        self.fails("身份证件号\n%s\n" % N_OK, "line 1", "missing column name")
        self.fails("姓名,number\n王小明,%s\n" % N_OK, "line 1", "missing column id_number")
        self.fails("id_number,身份证号,name\n%s,%s,王小明\n" % (N_OK, N_OK), "line 1", "both name")
        self.fails("", "no header")

    def test_check_character_not_verified(self):
        run = Run(self, {"students.csv": STUDENTS, "pop.csv": "id_number,name\n%s,钱二\n" % bad_check(N_OK)},
                  ["scan", "students.csv", "--population", "pop.csv"])
        self.assertEqual(run.rc, 0, run.stderr)


# assignments.csv (§3): one input holding every kind and exclusion.
N_A1 = gb("110101", "20150401", "011")
N_A2 = gb("320201", "20150402", "022")
N_DUP = gb("110101", "20150403", "031")
N_9 = gb("911000", "20150404", "041")
N_BAD = bad_check(gb("110101", "20150405", "051"))
N_G = gb("110101", "20150406", "061")
N_NF = gb("110101", "20150407", "071")   # left out of the extract
N_PM = gb("820000", "20150408", "081")
N_UNK = gb("110101", "20150409", "091")

ASSIGN = HEADER + "".join([
    row(" L01 ", "甲", "男", "2015-04-01", "1", N_A1.lower(), " " + S1 + " "),  # id_verified, trimmed
    row("L02", "乙", "女", "2015-04-02", "", N_A2, S2),                  # empty type is 1
    row("L03", "丙", "男", "2015-04-08", "港澳居民居住证", N_PM, S2),     # permit
    row("L04", "丁", "男", "2015-04-09", "学生证", N_UNK, S3),            # unknown type: 1
    row("L05", "戊", "男", "2015-05-01", "Z", "", S1),                   # no_id_unique
    row("L06", "己", "女", "2015-05-02", "其他", "", S3),                # no_id_unique
    row("L07", "庚", "男", "2015-05-03", "Z", "", S1),                   # attr group: none
    row("L08", "庚", "男", "2015-05-03", "Z", "", S2),                   # attr group: none
    row("L09", "辛", "男", "2015-04-03", "1", N_DUP, S1),                # id duplicate: none
    row("G" + N_DUP, "辛", "男", "2015-04-03", "1", N_DUP, S2),         # G: never
    row("L10", "壬", "女", "2015-04-04", "9", N_9, S1),                  # type 9: none
    row("L11", "癸", "男", "2015-04-05", "1", N_BAD, S1),                # invalid: none
    row("G" + N_G, "子", "女", "2015-04-06", "1", N_G, S1),             # G: never
    row("J01", "丑", "男", "2015-05-04", "Z", "", S1),                   # J: never
    row("L12", "寅", "男", "2015-05-05", "Z", "ZX123", S1),              # Z with a number: none
    row("L13", "卯", "男", "2015-05-06", "A", "E12345678", S1),          # A: none
    row("L14", "辰", "男", "2015-04-07", "1", N_NF, S1),                 # not_found: none
    row("L15", "巳", "男", "2015-05-07", "1", "", S1),                   # missing: none
    row("l16", "午", "男", "2015-05-08", "Z", "", S1),                   # lower-case l: none
])
ASSIGN_POP = "id_number,name\n" + "".join("%s,%s\n" % p for p in [
    (N_A1, "甲"), (N_A2, "乙"), (N_PM, "丙"), (N_UNK, "丁"), (N_DUP, "辛"), (N_9, "壬"), (N_G, "子")])

ASSIGN_HEADER = b"student_no,school_code,source,line,new_student_no,basis\n"


def lines_of(*rows):
    return b"".join(xjref.csv_line(list(r)) for r in rows)


class Assignments(unittest.TestCase):
    def test_kinds(self):
        run = Run(self, {"in.csv": ASSIGN, "pop.csv": ASSIGN_POP},
                  ["scan", "in.csv", "--population", "pop.csv"])
        self.assertEqual(run.rc, 0, run.stderr)
        self.assertEqual(run.raw("assignments.csv"), ASSIGN_HEADER + lines_of(
            ("L01", S1, "in.csv", "2", "G" + N_A1, "id_verified"),
            ("L02", S2, "in.csv", "3", "G" + N_A2, "id_verified"),
            ("L03", S2, "in.csv", "4", "G" + N_PM, "id_verified"),
            ("L04", S3, "in.csv", "5", "G" + N_UNK, "id_verified"),
            ("L05", S1, "in.csv", "6", "", "no_id_unique"),
            ("L06", S3, "in.csv", "7", "", "no_id_unique"),
        ))
        s = run.summary()
        self.assertEqual(s["assignments"], {
            "id_verified": 4, "no_id_unique": 2,
            "by_province": {"11": {"id_verified": 1, "no_id_unique": 1},
                            "32": {"id_verified": 2, "no_id_unique": 0},
                            "_invalid": {"id_verified": 1, "no_id_unique": 1}}})
        self.assertEqual(run.invalid()["L14"], ("not_found", "correct_id"))
        manifest = run.raw("MANIFEST").decode()
        self.assertIn(" assignments.csv\n", manifest)

    def test_without_population(self):
        """§2: without --population every valid number is taken as it is."""
        run = Run(self, {"in.csv": ASSIGN}, ["scan", "in.csv"])
        self.assertEqual(run.rc, 0, run.stderr)
        got = [r["student_no"] for r in run.csv("assignments.csv")]
        self.assertEqual(got, ["L01", "L02", "L03", "L04", "L05", "L06", "L14"])

    def test_sorted_as_bytes(self):
        rows = HEADER + row("Lb", "甲", "男", "2015-05-01", "Z", "", S1) + \
            row("LB", "乙", "男", "2015-05-02", "Z", "", S1) + row("La", "丙", "男", "2015-05-03", "Z", "", S1)
        run = Run(self, {"in.csv": rows}, ["scan", "in.csv"])
        self.assertEqual([r["student_no"] for r in run.csv("assignments.csv")], ["LB", "La", "Lb"])

    def test_empty(self):
        run = Run(self, {"in.csv": HEADER + row("G1", "甲", "男", "2015-05-01", "Z", "", S1)},
                  ["scan", "in.csv"])
        self.assertEqual(run.rc, 0, run.stderr)
        self.assertEqual(run.raw("assignments.csv"), ASSIGN_HEADER)
        self.assertEqual(run.summary()["assignments"], {"id_verified": 0, "no_id_unique": 0, "by_province": {}})

    def test_attested_group(self):
        """A group whose attestation was approved is in attested.csv: still
        no formal number."""
        gid = xjref.group_id("attr_duplicate", ("庚", "1", "20150503"))
        decisions = "group_id,student_no,school_code,decision\n%s,L07,%s,approved\n%s,L08,%s,approved\n" % (
            gid, S1, gid, S2)
        run = Run(self, {"in.csv": ASSIGN, "d.csv": decisions}, ["scan", "in.csv", "--decisions", "d.csv"])
        self.assertEqual(run.rc, 0, run.stderr)
        self.assertEqual(sorted(r["学籍号"] for r in run.csv("attested.csv")), ["L07", "L08"])
        self.assertNotIn("L07", [r["学籍号"] for r in run.csv("problems.csv")])
        got = [r["student_no"] for r in run.csv("assignments.csv")]
        self.assertEqual(got, ["L01", "L02", "L03", "L04", "L05", "L06", "L14"])

    def test_check(self):
        """check: the batch's records only, compared against the extract;
        the register's records are never listed nor compared."""
        register = HEADER + row("L90", "未", "男", "2015-05-09", "Z", "", S1) + \
            row("L91", "申", "男", "2015-04-10", "1", gb("110101", "20150410", "011"), S1)
        batch = HEADER + row("L20", "酉", "男", "2015-04-11", "1", gb("110101", "20150411", "011"), S2) + \
            row("L21", "戌", "男", "2015-05-10", "Z", "", S2) + \
            row("L22", "亥", "男", "2015-04-12", "1", gb("110101", "20150412", "011"), S2)
        pop = "id_number,name\n%s,酉\n" % gb("110101", "20150411", "011")
        run = Run(self, {"reg.csv": register, "batch.csv": batch, "pop.csv": pop},
                  ["check", "batch.csv", "--register", "reg.csv", "--index-name", "reg.xji",
                   "--population", "pop.csv"])
        self.assertEqual(run.rc, 0, run.stderr)
        self.assertEqual(run.raw("assignments.csv"), ASSIGN_HEADER + lines_of(
            ("L20", S2, "batch.csv", "2", "G" + gb("110101", "20150411", "011"), "id_verified"),
            ("L21", S2, "batch.csv", "3", "", "no_id_unique")))
        self.assertEqual(run.invalid(), {"L22": ("not_found", "correct_id")})
        self.assertEqual(run.summary()["population"]["compared"], 2)


if __name__ == "__main__":
    unittest.main()
