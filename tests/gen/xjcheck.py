"""xjcheck — an independent Python reading of rules §3-§4 for the generator tests.

Normalization of IDs, names, sexes and dates; the ID checks of rules §4 with
the readings of docs/decisions.md; duplicate keys. Written from docs/rules.md, not
from the engine, so the tests compare two implementations. Stdlib only.
"""
import csv
import io
import re
import unicodedata

PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
             41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65}
PERMITS = {"810000", "820000", "830000"}
TYPE_NAMES = {"居民身份证": "1", "港澳台居民居住证": "1", "香港特区护照/身份证明": "6",
              "澳门特区护照/身份证明": "7", "台湾居民来往大陆通行证": "8",
              "境外永久居住证": "9", "护照": "A", "其他": "Z"}
# the generator's (Chinese) column headers, by field
GEN_COLUMNS = {"sno": "学籍号", "name": "姓名", "sex": "性别", "birth": "出生日期", "type": "身份证件类型",
               "id": "身份证件号", "school": "学校标识码", "county": "行政区划码"}
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
DOTS = "\u00b7\u2022\u2027\u2219\u30fb\uff65"
GB_RE = re.compile(r"[0-9]{17}[0-9X]\Z")


def id_type(value):
    """The type code of an id_type cell (empty = 1, unknown = 1)."""
    v = value.strip(" \t\u3000")
    if v == "":
        return "1"
    if v in ("1", "6", "7", "8", "9", "A", "Z"):
        return v
    if v == "a" or v == "z":
        return v.upper()
    return TYPE_NAMES.get(v, "1")


def norm_id(s):
    out = []
    for ch in s:
        if ch.isspace():
            continue
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            ch = chr(o - 0xFEE0)
        if ch == "x":
            ch = "X"
        out.append(ch)
    return "".join(out)


def check_char(d17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(d17, WEIGHTS)) % 11]


def real_date(y, m, d):
    import datetime
    try:
        datetime.date(y, m, d)
        return True
    except ValueError:
        return False


def upgrade15(n):
    d17 = n[:6] + "19" + n[6:]
    return d17 + check_char(d17)


def gb_reason(n, run_date, type9=False):
    """Reasons format..checksum for an 18-char GB 11643-style number."""
    if not GB_RE.match(n):
        return "format"
    if type9:
        if n[0] != "9" or int(n[1:3]) not in PROVINCES:
            return "region"
    elif int(n[:2]) not in PROVINCES and n[:6] not in PERMITS:
        return "region"
    y, m, d = int(n[6:10]), int(n[10:12]), int(n[12:14])
    if not real_date(y, m, d) or not (19000101 <= int(n[6:14]) <= run_date):
        return "birthdate"
    if check_char(n[:17]) != n[17]:
        return "checksum"
    return "ok"


def check_id(number, typ, run_date):
    """rules §4 reasons missing..checksum (no record comparison)."""
    n = norm_id(number)
    if n == "":
        return "ok" if typ == "Z" else "missing"
    if typ == "1":
        if re.fullmatch(r"[0-9]{15}", n):
            return "legacy15"
        return gb_reason(n, run_date)
    if typ == "9":
        if len(n) == 18 and GB_RE.match(n):
            return gb_reason(n, run_date, type9=True)
        return "ok" if re.fullmatch(r"[A-Za-z]{3}[0-9]{12}", n) else "format"
    if typ == "8":
        return "ok" if re.fullmatch(r"[0-9]{8}|[0-9]{10}", n) else "format"
    if typ in ("6", "7"):
        ok = re.fullmatch(r"[HM]([0-9]{8}|[0-9]{10})", n) or re.fullmatch(r"[\x21-\x7e]{5,20}", n)
        return "ok" if ok else "format"
    if typ == "A":
        return "ok" if re.fullmatch(r"[A-Za-z0-9]{5,20}", n) else "format"
    return "ok"


def norm_sex(s):
    v = s.strip(" \t\u3000")
    return {"男": 1, "1": 1, "M": 1, "m": 1, "女": 2, "2": 2, "F": 2, "f": 2}.get(v, 0)


def norm_date(s):
    v = s.strip(" \t\u3000")
    m = re.fullmatch(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})", v) or \
        re.fullmatch(r"([0-9]{4})()([0-9]{2})([0-9]{2})", v)
    if not m:
        return 0
    y, mo, d = int(m.group(1)), int(m.group(3)), int(m.group(4))
    return y * 10000 + mo * 100 + d if real_date(y, mo, d) else 0


def record_reason(number, typ, sex, birth, run_date):
    """The full rules §4 reason of a record ('ok' when valid)."""
    r = check_id(number, typ, run_date)
    if r != "ok":
        return r
    n = norm_id(number)
    if (typ == "1" or typ == "9") and len(n) == 18 and GB_RE.match(n):
        if int(n[6:14]) != norm_date(birth):
            return "birthdate_mismatch"
        if (1 if int(n[16]) % 2 == 1 else 2) != norm_sex(sex):
            return "sex_mismatch"
    return "ok"


def id_key(number, typ):
    """The ID duplicate key (None for an empty number)."""
    n = norm_id(number)
    if n == "":
        return None
    if typ in ("1", "9") and len(n) == 18 and GB_RE.match(n):
        return ("GB", n)
    if typ == "1" and re.fullmatch(r"[0-9]{15}", n):
        return ("GB", upgrade15(n))
    return (typ, n)


def _fold_latin(s):
    return "".join(c.lower() if ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF else c for c in s)


def norm_name(s):
    v = unicodedata.normalize("NFKC", s)
    v = "".join(c for c in v if not c.isspace())
    v = "".join("\u00b7" if c in DOTS else c for c in v)
    return _fold_latin(v)


def attr_key(name, sex, birth):
    return (norm_name(name), norm_sex(sex), norm_date(birth))


def read_records(path, encoding="utf-8"):
    """Yields (line, row dict) for a generated CSV (plain or .zst), the line
    being where the record starts (header = line 1)."""
    if path.endswith(".zst"):
        import subprocess
        data = subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    text = data.decode("gb18030" if encoding == "gbk" else "utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    last = reader.line_num
    for row in reader:
        start = last + 1
        last = reader.line_num
        if not row:
            continue
        yield start, header, row


def group_id(problem, key_text):
    """rules §5: 16 hex digits of XXH3-64 over problem, NUL, key text."""
    try:
        import xxhash
    except ImportError:  # a venv python may not see Debian's dist-packages
        import sys
        sys.path.append("/usr/lib/python3/dist-packages")
        import xxhash
    return xxhash.xxh3_64_hexdigest(problem.encode() + b"\0" + key_text.encode("utf-8"))


def read_truth(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
