#!/usr/bin/env python3
"""Self-tests of the oracle's ID, normalization and CSV rules, on values
checked by hand (the check characters below were computed on paper from
rules §4's weights), so that the oracle is not only trusted because it agrees
with itself."""
import datetime
import os
import sys
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


if __name__ == "__main__":
    unittest.main()
