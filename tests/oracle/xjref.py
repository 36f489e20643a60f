#!/usr/bin/env python3
"""xjref — the reference implementation (test oracle) of `xjdedup scan` and
`xjdedup check`.

This is docs/rules.md + docs/decisions.md written as plain, slow Python so that the C
engine can be differential-tested against it and so that the expected outputs
of the hand-made fixtures (fixtures/e2e/) come from something other than the
engine itself.  It was written from those two documents, not from the C code;
where they leave room, the reading taken here is marked "READING:" in a comment
(and listed in fixtures/e2e/README.md).

Standard library only, except XXH3 (group_id, _invalid file names, input
hashes) which comes from Debian's python3-xxhash; `.zst` inputs are read by
piping through the `zstd` command-line tool.

usage: xjref.py scan INPUT... -o OUTDIR [--run-date YYYY-MM-DD]
                [--attr-scope noid|mixed] [--encoding utf-8|gbk]
                [--map FIELD=HEADER ...] [--region-table FILE]
                [--previous PREV_OUTDIR] [--decisions FILE ...] [--no-suspects]
                [--population EXTRACT ...]

       xjref.py check BATCH... --register REGISTER... --index-name NAME -o OUTDIR
                [--register-run-date YYYY-MM-DD] [--register-attr-scope noid|mixed]
                [scan's options]

Writes OUTDIR/problems.csv, OUTDIR/schools/<prov>/<code>.csv, OUTDIR/rejects.csv
and OUTDIR/summary.json (timing zeroed).  No report.html or
schools/README.txt: those are presentation, not the data contract.  Exit 0 on
success, 2 on bad usage or input that cannot be processed.

The monthly cycle (docs/monthly.md; §7's counts, summary.json's "monthly"
object, on every run): with
--previous or --decisions, or XJREF_ALL=1 in the environment, also
resolved.csv, attested.csv, decisions.csv, decisions_unmatched.csv and a
MANIFEST (so that the output can be the next run's --previous), and the
reasons old_id and id_changed; see ENGINE_HAS below for why it is gated, and
the READINGS next to it for the choices the contract leaves open.

Suspected duplicates (rules §9, the contract docs/suspects.md): the problem
suspect_duplicate, computed the obvious way (every pair inside a block of
equal name, sex and birth date), when ENGINE_HAS["suspects"] or XJREF_ALL=1
and not --no-suspects.

`check` reads the register's CSV files (what the index NAME was built from,
for the run date and scope given) instead of an index, and writes what
`xjdedup check BATCH --against NAME` writes: the batch's rows with the
register_matches column, already_registered.csv, and summary.json's
"register" and "check" objects (docs/rules.md, the register index).

Identity verification (docs/population.md): `--population FILE` (repeatable)
reads extracts of the population database (CSV; the reference does not read
the binary population index) and adds the reasons not_found and
name_mismatch.  assignments.csv and summary.json's "population" and
"assignments" objects are written when population_output() says so (see
ENGINE_HAS["population"]).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import unicodedata

try:
    import xxhash
except ImportError:  # a pyenv/venv python may not see Debian's dist-packages
    sys.path.append("/usr/lib/python3/dist-packages")
    import xxhash

VERSION = "0.1.0"

# --------------------------------------------------------------------------
# The monthly cycle (docs/monthly.md): what the C engine does not do yet.
# A gate that is False keeps the oracle's output what the engine writes today
# (so the differential tests stay comparable) unless the run asks for the
# monthly cycle (--previous or --decisions) or XJREF_ALL=1 is set (the
# oracle's own tests: every gate open).  Set a gate True when the engine
# lands that part.
# --------------------------------------------------------------------------
ENGINE_HAS = {
    "monthly_files": True,   # §3-§5: resolved.csv, attested.csv, decisions.csv, decisions_unmatched.csv (+ MANIFEST)
    "old_id": True,          # §6: old_id membership and id_changed
    # docs/suspects.md: suspect_duplicate rows and their summary.json keys
    "suspects": True,
    # docs/population.md §3, §5: assignments.csv and summary.json's
    # "population" and "assignments" objects, written on every run.  Not
    # opened by XJREF_ALL=1 (the monthly and suspects differential tests set
    # it and compare whole directories); XJREF_POPULATION=1 or --population
    # opens it.  True once the engine writes them.
    "population": True,
}

# READINGS of docs/monthly.md: where the contract leaves room, the choice made
# here.  Each is one constant (M6: one function), used where its name is;
# the fixtures/monthly/ cases that depend on one name it.
#  M1 an attested row whose identity is only in PREV's attested.csv (the
#     group stayed attested) is neither `new` (a PREV row has it) nor
#     `persisting` by §2's table; it takes this status:
STATUS_ATTESTED_AGAIN = "persisting"
#  M2 a PREV directory from before the monthly cycle has no attested.csv or
#     decisions.csv: such a missing file counts as empty (MANIFEST,
#     problems.csv and summary.json are required, §8):
PREV_OPTIONAL_FILES = ("attested.csv", "decisions.csv")
#  M3 a `revoked` line in effect "matches" like an approval does: when the
#     run has a group row with its key (§4's definition); "a revocation of
#     nothing" is then one whose row is not in this run:
REVOKED_MATCHES_BY_ROW = True
#  M4 two or more approved members: `double_attested` is the reason of every
#     member's row in the group, approved or not (§5 "every member's"):
DOUBLE_ATTESTED_EVERY_MEMBER = True
#  M5 decisions headers: trimmed as values are, then matched exactly (case
#     matters); a column named twice is a fatal error; `decision` values are
#     matched exactly after trimming:
DECISION_COLUMNS = ("group_id", "student_no", "school_code", "decision")
DECISION_WORDS = ("approved", "revoked")
#  M6 PREV's student number / school code column (§1): the first PREV column
#     whose header is one of the headers this run's inputs name that field
#     with (all inputs, in the order read); see prev_columns().
#  M7 a G number whose 18 characters normalize to nothing carries no old ID:
OLD_ID_EMPTY_IS_NONE = True
#  M8 §8 bounds PREV's fields without a number: a PREV line (an input record
#     of at most 1 MiB plus our columns, other_members at most 20 entries)
#     may be this long at most:
MAX_PREV_LINE = 4 * 1024 * 1024
#  M9 §2's table says `reopened` is for a group "attested before"; §5 says the
#     approved members of a partly approved attr group are `reopened`, with no
#     such condition.  False follows §5's wording: an approved member of a
#     partly approved group is reopened even when the group was never
#     attested; True would ask for a row of its group in PREV's attested.csv:
REOPENED_NEEDS_PREV_ATTESTED = False
#  M10 a decision names a key, and a record imported twice gives two rows one
#     key.  §5 counts "approved members": True counts them by key, so one
#     approval of a record imported twice is one approved member (the earlier
#     copy, in rules §5's keeper order, is the keeper with reason `approved`;
#     the other copy is an ordinary member, `delete_copy` against it); False
#     would count records, making it a double attestation:
APPROVED_MEMBERS_BY_KEY = True


def monthly_on(part, opts) -> bool:
    """Whether a part of docs/monthly.md that ENGINE_HAS may lack is applied."""
    if ENGINE_HAS[part] or os.environ.get("XJREF_ALL") == "1":
        return True
    return bool(getattr(opts, "previous", None) or getattr(opts, "decisions", None))


def population_output(opts) -> bool:
    """Whether assignments.csv and the summary keys of docs/population.md
    §3 and §5 are written."""
    if ENGINE_HAS["population"] or os.environ.get("XJREF_POPULATION") == "1":
        return True
    return bool(getattr(opts, "population", None))


def suspects_known() -> bool:
    """Whether the problem suspect_duplicate exists (docs/suspects.md): its
    summary.json keys are then written, with zeros under --no-suspects."""
    return ENGINE_HAS["suspects"] or os.environ.get("XJREF_ALL") == "1"


def suspects_on(opts) -> bool:
    """Whether suspect_duplicate rows are computed: on by default, off with
    --no-suspects."""
    return suspects_known() and not getattr(opts, "no_suspects", False)

# --------------------------------------------------------------------------
# Vocabulary (rules §1, §5, §6; Chinese wording as in rules.md and xj_problem.c)
# --------------------------------------------------------------------------
FIELDS = ["student_no", "name", "sex", "birth_date", "id_type", "id_number",
          "school_code", "school_name", "region_code", "registered_at"]
REQUIRED_COLUMNS = ["student_no", "name", "sex", "birth_date", "id_number", "school_code"]
# decisions.md: the order in which empty required values are reported.
REQUIRED_VALUES = ["student_no", "name", "sex", "birth_date", "school_code"]

HEADER_NAMES = {
    "student_no": ["学籍号", "student_no", "个人标识码", "学籍号码"],
    "name": ["姓名", "name"],
    "sex": ["性别", "sex"],
    "birth_date": ["出生日期", "birth_date"],
    "id_type": ["身份证件类型", "id_type", "证件类型"],
    "id_number": ["身份证件号", "id_number", "身份证号", "证件号码", "身份证件号码"],
    "school_code": ["学校标识码", "school_code", "学校代码", "学校识别码"],
    "school_name": ["学校名称", "school_name"],
    "region_code": ["行政区划码", "region_code", "所在地区划码", "区县代码"],
    "registered_at": ["建籍日期", "registered_at", "入学日期", "建籍时间"],
}

ID_TYPE_NAMES = {
    "居民身份证": "1",
    "港澳台居民居住证": "1",   # residence permits are GB 11643 numbers
    "香港特区护照/身份证明": "6",
    "澳门特区护照/身份证明": "7",
    "台湾居民来往大陆通行证": "8",
    "境外永久居住证": "9",
    "护照": "A",
    "其他": "Z",
}
ID_TYPE_CODES = {"1", "6", "7", "8", "9", "A", "Z"}

OUT_COLUMNS = ["problem", "reason", "group_id", "group_size", "scope", "arbiter",
               "keeper", "hint", "other_schools", "other_members", "status", "first_seen", "source", "line"]
OUT_COLUMNS_ZH = ["问题类型", "问题原因", "问题组号", "组内人数", "范围", "仲裁层级",
                  "先入保有", "建议处理", "组内其他学校", "组内其他记录", "状态", "首次发现", "来源文件", "行号"]
STATUS_ZH = {"new": "新增", "persisting": "未解决", "reopened": "重新处理"}
MEMBERS_SHOWN = 20  # other_members names at most this many records, then ";+N"
PROBLEM_ZH = {"attr_duplicate": "无身份证号学籍重复",
              "id_duplicate": "身份证件号重复",
              "id_invalid": "身份证件号错误",
              "suspect_duplicate": "疑似重复学籍"}  # docs/suspects.md
SCOPES = ["school", "county", "city", "province", "national"]
SCOPE_ZH = {"school": "本校", "county": "同县", "city": "跨县",
            "province": "跨市", "national": "跨省"}
ARBITER = {"school": "school", "county": "county", "city": "city",
           "province": "province", "national": "ministry"}
ARBITER_ZH = {"school": "学校", "county": "县级教育行政部门", "city": "市级教育行政部门",
              "province": "省级教育行政部门", "ministry": "教育部"}
HINT_ZH = {"keep": "保留（先入者保有）",
           "delete_copy": "删除重复导入的记录",
           "agree_transfer": "同一学生在多校建籍，与对方学校协商由一方删除",
           "check_id": "核对身份证件号，错误则变更",
           "correct_id": "变更身份证件号（虚假记录则删除）",
           "attest": "提交佐证材料",
           "confirm_change": "核实身份证件号变更，上传变更材料"}  # monthly §6

PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
             41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65}
PERMIT_PREFIXES = {"810000", "820000", "830000"}
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"

MAX_FIELD = 64 * 1024        # field_too_long: a field over 64 KiB
MAX_RECORD = 1024 * 1024     # record_too_long: a record over 1 MiB

# Unicode White_Space; "remove all whitespace" (rules §3) means these.
WHITESPACE = set("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | \
    {chr(c) for c in range(0x2000, 0x200B)}
# decisions.md: required values are trimmed of ASCII and ideographic whitespace.
TRIM = " \t\n\v\f\r\u3000"
MIDDLE_DOTS = "\u00b7\u2022\u2027\u2219\u30fb\uff65"


class Fatal(Exception):
    """Input that cannot be processed: message to stderr, exit 2."""


def xxh64hex(data: bytes) -> str:
    return xxhash.xxh3_64_hexdigest(data)


# --------------------------------------------------------------------------
# Reading: RFC 4180 records with the line rules of decisions.md
# --------------------------------------------------------------------------
LF, CR, QUOTE, COMMA = 0x0A, 0x0D, 0x22, 0x2C


def split_records(data: bytes):
    """Yields ("blank", line) for a blank line, or
    ("record", line, raw, fields, error) where raw excludes the line end,
    fields is a list of bytes (unquoted) and error is None, "bad_quote" or
    "unterminated_quote".

    READING: a quote inside an unquoted field does not open a quoted section
    (the record still ends at the next LF); after a stray quote or text after
    a closing quote the rest of that field is read as unquoted text, and the
    next field may be quoted again.  A CR right before end of file counts as a
    line end like CR LF.  An unterminated quote takes the rest of the file
    verbatim as its raw: its last LF lies inside the open quote, so it is
    content, not a line end.
    """
    n = len(data)
    pos = 0
    line = 1
    while pos < n:
        start, start_line = pos, line
        if data[pos] == LF:
            yield ("blank", start_line)
            pos += 1
            line += 1
            continue
        if data[pos] == CR and (pos + 1 == n or data[pos + 1] == LF):
            yield ("blank", start_line)
            pos += 2
            line += 1
            continue
        fields = []
        field = bytearray()
        error = None
        at_field_start = True
        i = pos
        term = None  # index where the line end (or EOF) starts
        while term is None:
            if i >= n:
                term = n
                break
            c = data[i]
            if at_field_start and c == QUOTE:
                i += 1
                closed = False
                while i < n:
                    c = data[i]
                    if c == QUOTE:
                        if i + 1 < n and data[i + 1] == QUOTE:
                            field.append(QUOTE)
                            i += 2
                            continue
                        i += 1
                        closed = True
                        break
                    if c == LF:
                        line += 1
                    field.append(c)
                    i += 1
                if not closed:
                    yield ("record", start_line, bytes(data[start:n]), None, "unterminated_quote")
                    return
                at_field_start = False
                if i >= n:
                    term = n
                    break
                c = data[i]
                if c == COMMA or c == LF or (c == CR and (i + 1 == n or data[i + 1] == LF)):
                    continue  # handled by the unquoted branch below
                error = error or "bad_quote"
                continue
            # unquoted text
            if c == COMMA:
                fields.append(bytes(field))
                field = bytearray()
                at_field_start = True
                i += 1
            elif c == LF:
                term = i
            elif c == CR and (i + 1 == n or data[i + 1] == LF):
                term = i
            else:
                if c == QUOTE:
                    error = error or "bad_quote"
                field.append(c)
                at_field_start = False
                i += 1
        fields.append(bytes(field))
        raw = data[start:term]
        # skip the line end: CR LF, LF, or a CR at end of file
        if term < n and data[term] == CR:
            term += 1
        if term < n and data[term] == LF:
            term += 1
            line += 1
        pos = term
        yield ("record", start_line, bytes(raw), fields, error)


def decode(b: bytes, encoding: str):
    """Text of b, or None when it is not valid in the input encoding."""
    try:
        return b.decode("gb18030" if encoding == "gbk" else "utf-8", "strict")
    except UnicodeDecodeError:
        return None


def read_input(path: str):
    """(raw bytes, decoded bytes) of one input; .zst is decompressed by zstd."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except OSError as e:
        raise Fatal(f"{path}: cannot read: {e.strerror}")
    data = raw
    if path.endswith(".zst"):
        r = subprocess.run(["zstd", "-dc", "-q"], input=raw, capture_output=True)
        if r.returncode != 0:
            raise Fatal(f"{path}: not a valid zstd file")
        data = r.stdout
    return raw, data


# --------------------------------------------------------------------------
# Header mapping
# --------------------------------------------------------------------------
def trim(s: str) -> str:
    return s.strip(TRIM)


def map_header(path: str, names, maps):
    """field -> column index for one file; Fatal on ambiguity or a missing
    required column.

    READING: `--map FIELD=HEADER` takes precedence over the built-in names for
    that field when the file has a column HEADER; a file without it falls
    back to the built-in names.  Header names match exactly after trimming
    (English names are case-sensitive)."""
    mapping = {}
    for field in FIELDS:
        if field in maps and maps[field] in names:
            wanted = [maps[field]]
        else:
            wanted = HEADER_NAMES[field]
        hits = [i for i, h in enumerate(names) if h in wanted]
        if len(hits) > 1:
            raise Fatal(f"{path}: ambiguous header: columns \"{names[hits[0]]}\" and "
                        f"\"{names[hits[1]]}\" both name the field {field}; "
                        f"remove one or choose with --map {field}=HEADER")
        if hits:
            mapping[field] = hits[0]
    for field in REQUIRED_COLUMNS:
        if field not in mapping:
            raise Fatal(f"{path}: missing required column {field} "
                        f"({HEADER_NAMES[field][0]}); name it with --map {field}=HEADER")
    return mapping


def check_header_bytes(path: str, data: bytes):
    """decisions.md: UTF-16 or CR-only headers are fatal."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
        raise Fatal(f"{path}: the header looks like UTF-16 (BOM or NUL bytes); "
                    "convert the file to UTF-8 or GBK")
    if b"\r" in first.rstrip(b"\r"):
        raise Fatal(f"{path}: the header ends its lines with CR only; "
                    "convert the line ends to LF or CR LF")


# --------------------------------------------------------------------------
# Normalization (rules §3)
# --------------------------------------------------------------------------
def norm_id(s: str) -> str:
    out = []
    for ch in s:
        if ch in WHITESPACE:
            continue
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:  # full-width ASCII
            ch = chr(o - 0xFEE0)
        if ch == "x":
            ch = "X"
        out.append(ch)
    return "".join(out)


def is_latin_upper(ch: str) -> bool:
    # READING: "letters of the Latin blocks" = letters whose Unicode name is
    # LATIN ...; lower-cased by their simple (one-character) mapping.
    return ch.isupper() and unicodedata.name(ch, "").startswith("LATIN ")


def norm_name(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    out = []
    for ch in s:
        if ch in WHITESPACE:
            continue
        if ch in MIDDLE_DOTS:
            ch = "\u00b7"
        elif is_latin_upper(ch):
            low = ch.lower()
            if len(low) == 1:
                ch = low
        out.append(ch)
    return "".join(out)


SEX = {"男": "1", "1": "1", "M": "1", "m": "1", "女": "2", "2": "2", "F": "2", "f": "2"}

DATE_SEP = re.compile(r"^([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})$")
DATE_PLAIN = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")


def norm_date(s: str):
    """YYYYMMDD of a real date in an accepted format, else None.
    READING: the two separators must be the same character."""
    s = trim(s)
    m = DATE_SEP.match(s)
    if m:
        y, mo, d = m.group(1), m.group(3), m.group(4)
    else:
        m = DATE_PLAIN.match(s)
        if not m:
            return None
        y, mo, d = m.groups()
    try:
        datetime.date(int(y), int(mo), int(d))
    except ValueError:
        return None
    return f"{int(y):04d}{int(mo):02d}{int(d):02d}"


# --------------------------------------------------------------------------
# ID validity (rules §4)
# --------------------------------------------------------------------------
GB_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
DIGITS15 = re.compile(r"^[0-9]{15}$")


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def upgrade15(id15: str) -> str:
    body = id15[:6] + "19" + id15[6:]
    return body + check_char(body)


def real_date(yyyymmdd: str):
    try:
        return datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def check_gb(num: str, id_type: str, birth: str, sex: str, run_date, regions):
    """First failing reason of a GB 11643-shaped number (type 1 or 18-char 9)."""
    if id_type == "9":
        if not (num[0] == "9" and int(num[1:3]) in PROVINCES):
            return "region"
        # READING: region_unknown is not applied to type 9: its first six
        # characters are not a GB/T 2260 county code.
    else:
        permit = num[:6] in PERMIT_PREFIXES
        if not (int(num[:2]) in PROVINCES or permit):
            return "region"
        # READING: residence permits (810000/820000/830000) passed the region
        # rule by their fixed prefix; the county table does not apply to them.
        if regions is not None and not permit and num[:6] not in regions:
            return "region_unknown"
    d = real_date(num[6:14])
    if d is None or not (datetime.date(1900, 1, 1) <= d <= run_date):
        return "birthdate"
    if check_char(num[:17]) != num[17]:
        return "checksum"
    if num[6:14] != birth:
        return "birthdate_mismatch"
    if ("1" if int(num[16]) % 2 == 1 else "2") != sex:
        return "sex_mismatch"
    return None


PRINTABLE_5_20 = re.compile(r"^[\x20-\x7e]{5,20}$")
HM_FORM = re.compile(r"^[HM]([0-9]{8}|[0-9]{10})$")
ALNUM_5_20 = re.compile(r"^[A-Za-z0-9]{5,20}$")
OLD_CARD9 = re.compile(r"^[A-Z]{3}[0-9]{12}$")
DIGITS_8_10 = re.compile(r"^([0-9]{8}|[0-9]{10})$")


def check_id(num: str, id_type: str, birth: str, sex: str, run_date, regions):
    """(reason or None, key or None) of one record's normalized ID number.

    The key is ("GB", id18) in the shared GB 11643 space or (type, number)."""
    if num == "":
        return (None if id_type == "Z" else "missing"), None
    if id_type == "1":
        if DIGITS15.match(num):
            return "legacy15", ("GB", upgrade15(num))
        if not GB_SHAPE.match(num):
            return "format", ("1", num)
        return check_gb(num, "1", birth, sex, run_date, regions), ("GB", num)
    if id_type == "9":
        if GB_SHAPE.match(num):
            return check_gb(num, "9", birth, sex, run_date, regions), ("GB", num)
        return (None if OLD_CARD9.match(num) else "format"), ("9", num)
    if id_type == "8":
        ok = DIGITS_8_10.match(num)
    elif id_type in ("6", "7"):
        ok = HM_FORM.match(num) or PRINTABLE_5_20.match(num)
    elif id_type == "A":
        ok = ALNUM_5_20.match(num)
    else:  # Z: anything
        ok = True
    return (None if ok else "format"), (id_type, num)


def group_id(problem: str, key) -> str:
    return xxh64hex(problem.encode() + b"\0" + b"\0".join(k.encode() for k in key))


# --------------------------------------------------------------------------
# Identity verification (docs/population.md §1, §2)
# --------------------------------------------------------------------------
POP_NUMBER_HEADERS = ("id_number", "身份证件号", "身份证号", "身份证号码", "公民身份号码")
POP_NAME_HEADERS = ("name", "姓名")
MAX_POP_LINE = 64 * 1024  # §1: a line over 64 KiB is an error


def pop_column(header, names, shown):
    """§1: the one column named by one of `names` (trimmed, exact).
    READING P1: two columns that both name the number (or the name) are a
    fatal error, as in an input's header (decisions.md, "ambiguous header")."""
    hits = [i for i, h in enumerate(header) if h in names]
    if not hits:
        raise Fatal(f"{shown}: line 1: missing column {names[0]} (also accepted: "
                    f"{', '.join(names[1:])}): an extract needs the columns id_number and name")
    if len(hits) > 1:
        raise Fatal(f"{shown}: line 1: the columns \"{header[hits[0]]}\" and \"{header[hits[1]]}\" "
                    f"both name the {names[0]}: keep one")
    return hits[0]


def read_population(paths):
    """§1: the extracts' (number -> {normalized name}) and summary.json's
    counts.  Every malformed row is fatal; a number listed under several names
    keeps them all, and the first such number is named on stderr."""
    names = {}   # normalized number -> {normalized name: (file, line) of its first listing}
    several = []  # numbers listed under two or more names, in the order found
    for path in paths:
        _, data = read_input(path)
        header, rows = csv_table_of(data, path, MAX_POP_LINE)
        num_at = pop_column(header, POP_NUMBER_HEADERS, path)
        name_at = pop_column(header, POP_NAME_HEADERS, path)
        for line, texts in rows:
            number = norm_id(texts[num_at])
            if not GB_SHAPE.match(number):
                raise Fatal(f"{path}: line {line}: the number \"{texts[num_at]}\" is not of the GB 11643 "
                            "shape (17 digits, then a digit or X): an extract must be fixed at its source")
            name = norm_name(texts[name_at])
            if name == "":
                raise Fatal(f"{path}: line {line}: the name is empty: an extract must be fixed at its source")
            listed = names.setdefault(number, {})
            if name not in listed:
                if len(listed) == 1:
                    several.append(number)
                    if len(several) == 1:
                        (f0, l0), = listed.values()
                        print(f"xjref: note: {number} is listed under several names ({f0}: line {l0} "
                              f"and {path}: line {line}); the record matches any of them",
                              file=sys.stderr)
                listed[name] = (path, line)
    return {"names": names,
            "summary": {"files": [os.path.basename(p) for p in paths],
                        "entries": sum(len(v) for v in names.values()),
                        "ids": len(names), "ids_with_several_names": len(several),
                        "compared": 0}}


def verify_identity(r, population):
    """§2: not_found or name_mismatch for a record whose number passed checks
    1-7 and has the GB 11643 key (so before id_changed, check 10); None when
    it is found under its name or is not compared.  Counts the compared."""
    if population is None or r.invalid is not None or r.key is None or r.key[0] != "GB":
        return None
    population["summary"]["compared"] += 1
    listed = population["names"].get(r.id_num)
    if listed is None:
        return "not_found"
    return None if r.name in listed else "name_mismatch"


# --------------------------------------------------------------------------
# Suspected duplicates (rules §9, docs/suspects.md), the obvious way
# --------------------------------------------------------------------------
# rules §4 checks 1-5: a B's first failing reason is none of these (§1)
CHECKS_1_TO_5 = ("missing", "format", "legacy15", "region", "region_unknown", "birthdate", "checksum")


def gb_number(r) -> bool:
    """suspects §1: type 1 (unknown types included) or 9, GB 11643 shape."""
    return r.id_type in ("1", "9") and GB_SHAPE.match(r.id_num) is not None


def typo_side(r) -> bool:
    """suspects §1, A: a wrong check character, whatever reason came first."""
    return gb_number(r) and check_char(r.id_num[:17]) != r.id_num[17]


def valid_side(r) -> bool:
    """suspects §1, B: passes checks 1-5 (a mismatch with the record or
    id_changed does not matter)."""
    return gb_number(r) and r.invalid not in CHECKS_1_TO_5


def one_slip(a: str, b: str) -> bool:
    """suspects §3: one position differs, or two adjacent ones swapped."""
    at = [i for i in range(18) if a[i] != b[i]]
    if len(at) == 1:
        return True
    return len(at) == 2 and at[1] == at[0] + 1 and a[at[0]] == b[at[1]] and a[at[1]] == b[at[0]]


def suspect_groups(records):
    """suspects §4: {valid number K: [members]}, from every (A, B) pair of
    each block of equal record attributes (suspects §2)."""
    blocks = {}
    for r in records:
        if gb_number(r):
            blocks.setdefault(r.attrs(), []).append(r)
    groups = {}
    for block in blocks.values():
        for a in block:
            if not typo_side(a):
                continue
            for b in block:
                if valid_side(b) and one_slip(a.id_num, b.id_num):
                    members = groups.setdefault(b.id_num, {})
                    members[id(a)] = a
                    members[id(b)] = b
    return {k: list(v.values()) for k, v in groups.items()}


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------
class Record:
    """One accepted row with its original values and normalized keys."""

    def __init__(self, index, source, line, values):
        self.index = index          # input file's position on the command line
        self.source = source        # input's base name ("-" for stdin)
        self.line = line            # line where the record starts
        self.values = values        # output column name -> original value
        self.student_no = ""
        self.name = ""              # normalized name
        self.sex = ""               # "1" / "2"
        self.birth = ""             # YYYYMMDD
        self.id_type = "1"
        self.id_num = ""            # normalized ID number
        self.school = ""            # trimmed school code
        self.region = None          # 6-digit county code or None
        self.reg = None             # registration date YYYYMMDD or None
        self.invalid = None         # id_invalid reason
        self.key = None             # ID duplicate key
        self.old_key = None         # key of the group its G number's old ID joins (monthly §6)

    def province(self):
        """digits 3-4 of a 10-digit school code, else None (unknown)."""
        if len(self.school) == 10 and self.school.isascii() and self.school.isdigit():
            return self.school[2:4]
        return None

    def attrs(self):
        return (self.name, self.sex, self.birth)


OFFICE_DIRS = {"county": "county", "city": "city", "province": "province", "national": "ministry"}


def office_of(scope, members):
    """arbiters/ file of a group's office: (level dir, code), None for the school."""
    if scope == "school":
        return None
    if scope == "county":
        return (OFFICE_DIRS[scope], members[0].region)
    if scope == "city":
        return (OFFICE_DIRS[scope], members[0].region[:4] + "00")
    if scope == "province":
        return (OFFICE_DIRS[scope], members[0].school[2:4] + "0000")
    return (OFFICE_DIRS[scope], "national")


def letter_rank(student_no: str) -> int:
    return {"G": 0, "L": 1, "J": 2}.get(student_no[:1], 3)


def order_key(r: Record, with_letter: bool):
    # decisions.md: registration date (missing last), [letter rank,] student
    # number bytes, source bytes, line, input index.
    k = (r.reg is None, r.reg or "")
    if with_letter:
        k += (letter_rank(r.student_no),)
    return k + (r.student_no.encode(), r.source.encode(), r.line, r.index)


def id_hint(m, keeper):
    """rules §5: an id_duplicate member's hint, decided against the keeper."""
    if m is keeper:
        return "keep"
    if m.attrs() == keeper.attrs():
        return "delete_copy" if m.school == keeper.school else "agree_transfer"
    return "check_id"


def row_order(x):
    """rules §6: problems.csv's order (and attested.csv's, monthly §5)."""
    return (x["rec"].school.encode(), x["problem"].encode(), x["group_id"].encode(), x["source"].encode(),
            x["rec"].line, x["rec"].index, x["reason"].encode())


def apply_old_id(r: Record):
    """monthly §6: a `G` + 18-character student number names the ID verified
    when it was issued (its old ID).  When the record's own ID is another one
    the record also joins the ID group of the old ID (r.old_key), and when
    the old ID has GB 11643 shape and the record's own ID is valid, the
    record is id_invalid with reason id_changed."""
    no = r.student_no  # trimmed
    if len(no) != 19 or no[0] != "G":
        return
    old = norm_id(no[1:])
    if old == r.id_num or (OLD_ID_EMPTY_IS_NONE and old == ""):
        return
    if DIGITS15.match(r.id_num) and upgrade15(r.id_num) == old:
        return  # the same ID in its first-generation form
    r.old_key = ("GB", old) if GB_SHAPE.match(old) else ("1", old)  # keyed as a type-1 ID
    if GB_SHAPE.match(old) and r.invalid is None:
        r.invalid = "id_changed"


def scope_of(members):
    schools = {m.school for m in members}
    if len(schools) == 1:
        return "school"

    def one(values):
        return None not in values and len(set(values)) == 1

    provinces = [m.province() for m in members]
    if all(m.region is not None for m in members):
        if one([m.region for m in members]):
            return "county"
        if one([m.region[:4] for m in members]):
            return "city"
    return "province" if one(provinces) else "national"


# --------------------------------------------------------------------------
# The scan
# --------------------------------------------------------------------------
def validate_record(rec_fields, mapping):
    """Reject reason of a decoded record's values, else None (decisions.md)."""
    for f in REQUIRED_VALUES:
        if trim(rec_fields[mapping[f]]) == "":
            return "missing_" + f
    if trim(rec_fields[mapping["sex"]]) not in SEX:
        return "bad_sex"
    if norm_date(rec_fields[mapping["birth_date"]]) is None:
        return "bad_birth_date"
    return None


def scan(opts):
    run_date = opts.run_date
    regions = None
    if opts.region_table:
        try:
            with open(opts.region_table, encoding="utf-8") as f:
                regions = {ln.strip() for ln in f if ln.strip()}
        except (OSError, UnicodeDecodeError) as e:
            raise Fatal(f"{opts.region_table}: cannot read the region table: {e}")
    maps = {}
    for m in opts.map or []:
        field, sep, header = m.partition("=")
        if not sep or field not in FIELDS or not header:
            raise Fatal(f"--map {m}: expected FIELD=HEADER with FIELD one of {', '.join(FIELDS)}")
        maps[field] = header

    population = read_population(opts.population) if getattr(opts, "population", None) else None

    columns = []            # union of header names in order of first appearance
    records = []
    rejects = []            # (source, line, error, raw bytes)
    inputs = []
    rows_read = blank = unknown_types = 0
    # check: the register's files come first (their records rank before the
    # batch's in tie-breaks, as in a scan of register + batch); only the
    # batch's files are inputs, columns, counts and rows of the output
    register = getattr(opts, "register", None) or []
    n_reg = len(register)
    id_headers = {"student_no": [], "school_code": []}  # the headers naming these fields, in order seen
    with_old_id = monthly_on("old_id", opts)

    for index, path in enumerate(list(register) + list(opts.inputs)):
        in_register = index < n_reg
        source = "-" if path == "-" else os.path.basename(path)
        raw, data = read_input(path)
        if not in_register:
            inputs.append({"name": source, "bytes": len(raw), "decoded_bytes": len(data),
                           "xxh3_128": xxhash.xxh3_128_hexdigest(raw)})
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        check_header_bytes(path, data)
        header = None
        mapping = None
        for item in split_records(data):
            if item[0] == "blank":
                blank += 0 if in_register else 1
                continue
            _, line, rec_raw, fields, error = item
            if header is None:
                if error or fields is None:
                    raise Fatal(f"{path}: line {line}: the header is not valid CSV ({error})")
                texts = [decode(f, opts.encoding) for f in fields]
                if any(t is None for t in texts) or b"\0" in rec_raw:
                    raise Fatal(f"{path}: line {line}: the header is not valid {opts.encoding}")
                header = [trim(t) for t in texts]
                mapping = map_header(path, header, maps)
                for field in ("student_no", "school_code"):  # PREV's columns are found by these (monthly §1)
                    if header[mapping[field]] not in id_headers[field]:
                        id_headers[field].append(header[mapping[field]])
                for h in header:
                    if h not in columns and not in_register:
                        columns.append(h)
                continue
            rows_read += 0 if in_register else 1
            reason = None
            if len(rec_raw) > MAX_RECORD:
                reason, rec_raw = "record_too_long", rec_raw[:MAX_RECORD]
            elif error == "unterminated_quote":
                reason = error
            elif b"\0" in rec_raw or decode(rec_raw, opts.encoding) is None:
                reason = "encoding"
            elif error:
                reason = error
            elif len(fields) != len(header):
                reason = "field_count"
            texts = None
            if reason is None:
                texts = [decode(f, opts.encoding) for f in fields]
                if any(t is None for t in texts):
                    reason = "encoding"
                elif any(len(t.encode()) > MAX_FIELD for t in texts):
                    reason = "field_too_long"
                else:
                    reason = validate_record(texts, mapping)
            if reason:
                if not in_register:
                    rejects.append((source, line, reason, rec_raw))
                continue
            values = {}
            for i, h in enumerate(header):
                values.setdefault(h, texts[i])
            r = Record(index, source, line, values)

            def get(field):
                return texts[mapping[field]] if field in mapping else ""

            r.student_no = trim(get("student_no"))
            r.name = norm_name(get("name"))
            r.sex = SEX[trim(get("sex"))]
            r.birth = norm_date(get("birth_date"))
            t = trim(get("id_type"))
            if t == "":
                r.id_type = "1"
            elif t in ID_TYPE_CODES:
                r.id_type = t
            elif t in ID_TYPE_NAMES:
                r.id_type = ID_TYPE_NAMES[t]
            else:
                r.id_type = "1"
                unknown_types += 0 if in_register else 1
            r.id_num = norm_id(get("id_number"))
            r.school = trim(get("school_code"))
            reg = trim(get("region_code"))
            r.region = reg if re.fullmatch(r"[0-9]{6}", reg) else None
            r.reg = norm_date(get("registered_at")) if "registered_at" in mapping else None
            r.in_register = in_register
            r.raw_no, r.raw_school = get("student_no"), get("school_code")  # register_matches shows these
            # other_members names the school; the index keeps no school names
            r.school_name = "" if in_register else trim(get("school_name"))
            # the index's ID reasons were checked for the date it was built for
            date = opts.register_run_date if in_register else run_date
            r.invalid, r.key = check_id(r.id_num, r.id_type, r.birth, r.sex, date, regions)
            # READING P2: a check's register records keep the reasons their
            # index was built with; only the batch is compared (§5 "compared")
            if not in_register:
                r.invalid = verify_identity(r, population) or r.invalid
            if with_old_id:
                apply_old_id(r)
            records.append(r)
        if header is None:
            raise Fatal(f"{path}: no header line (empty file)")

    rows = []  # dicts with the 12 output columns + "rec" (and, for a check, "register_matches")

    def emit(r, problem, reason="", gid="", size="", scope="", keeper="", hint="", others="", members=()):
        office = office_of(scope, members) if scope else None
        if r.in_register:  # a check reports the batch's rows only
            return
        regs = sorted((m for m in members if m.in_register), key=lambda m: (m.index, m.line))
        rows.append({"problem": problem, "reason": reason, "group_id": gid,
                     "group_size": str(size) if size != "" else "", "scope": scope,
                     "arbiter": ARBITER[scope] if scope else "", "keeper": keeper,
                     "hint": hint, "other_schools": others,
                     "other_members": members_of(r, members, False),
                     "other_members_zh": members_of(r, members, True),
                     # without --previous every row is new, first seen today
                     "status": "new", "first_seen": run_date.isoformat(), "source": r.source,
                     "line": str(r.line), "rec": r, "office": office,
                     "register_matches": ";".join("%s@%s%s" % (m.raw_no, m.raw_school,
                                                               "(%s)" % m.invalid if m.invalid else "")
                                                  for m in regs)})

    # check: a batch record and a register record with the same (trimmed)
    # student number and school code are one record, so the register copy
    # leaves every group that holds its batch copy; the batch record is
    # already registered, with its first copy in register order
    copies = {}

    def without_copies(members):
        if n_reg == 0:
            return members
        batch = {}
        for m in members:
            if not m.in_register:
                batch.setdefault((m.student_no, m.school), []).append(m)
        kept = []
        for m in members:
            mine = batch.get((m.student_no, m.school)) if m.in_register else None
            if not mine:
                kept.append(m)
                continue
            for b in mine:
                if b not in copies or (m.index, m.line) < (copies[b].index, copies[b].line):
                    copies[b] = m
        return kept

    def others_of(r, members):
        return ";".join(sorted({m.school for m in members if m.school != r.school},
                               key=lambda s: s.encode()))

    def members_of(r, members, named):
        """other_members: the group's other records, sorted as bytes, at most
        MEMBERS_SHOWN, then ;+N; `named` adds each school's name."""
        entries = sorted(((m.student_no + "@" + m.school).encode(), m.school_name)
                         for m in members if m is not r)
        if not entries:
            return ""
        texts = [t.decode() + (" " + name if named and name else "") for t, name in entries]
        shown = texts[:MEMBERS_SHOWN]
        more = len(texts) - len(shown)
        return ";".join(shown) + (";+%d" % more if more else "")

    # id_invalid
    for r in records:
        if r.invalid:
            emit(r, "id_invalid", reason=r.invalid,
                 hint="confirm_change" if r.invalid == "id_changed" else "correct_id")

    # id_duplicate
    by_key = {}
    joined_by_old_id = set()  # (record, key): the record is in that group by its old ID (monthly §6)
    for r in records:
        if r.key is not None:
            by_key.setdefault(r.key, []).append(r)
        if r.old_key is not None:
            by_key.setdefault(r.old_key, []).append(r)
            joined_by_old_id.add((id(r), r.old_key))
    for key, members in by_key.items():
        members = without_copies(members)
        if len(members) < 2:
            continue
        gid = group_id("id_duplicate", key[1:] if key[0] == "GB" else key)
        scope = scope_of(members)
        keeper = min(members, key=lambda m: order_key(m, True))
        for m in members:
            emit(m, "id_duplicate", reason="old_id" if (id(m), key) in joined_by_old_id else "",
                 gid=gid, size=len(members), scope=scope, keeper="1" if m is keeper else "0",
                 hint=id_hint(m, keeper), others=others_of(m, members), members=members)

    # attr_duplicate
    by_attr = {}
    for r in records:
        if r.id_num == "" or opts.attr_scope == "mixed":
            by_attr.setdefault(r.attrs(), []).append(r)
    for key, members in by_attr.items():
        members = without_copies(members)
        if len(members) < 2 or not any(m.id_num == "" for m in members):
            continue
        gid = group_id("attr_duplicate", key)
        scope = scope_of(members)
        first_of_school = {}
        for m in sorted(members, key=lambda m: order_key(m, False)):
            first_of_school.setdefault(m.school, m)
        for m in members:
            emit(m, "attr_duplicate", reason="" if m.id_num == "" else "mixed", gid=gid,
                 size=len(members), scope=scope,
                 hint="attest" if first_of_school[m.school] is m else "delete_copy",
                 others=others_of(m, members), members=members)

    # suspect_duplicate (docs/suspects.md)
    if suspects_on(opts):
        for key, members in suspect_groups(records).items():
            members = without_copies(members)  # check: a register copy is the batch record (§7)
            if not any(typo_side(m) for m in members) or not any(valid_side(m) for m in members):
                continue
            gid = group_id("suspect_duplicate", (key,))
            scope = scope_of(members)
            for m in members:
                typo = typo_side(m)
                emit(m, "suspect_duplicate", reason="id_typo" if typo else "", gid=gid,
                     size=len(members), scope=scope, hint="correct_id" if typo else "keep",
                     others=others_of(m, members), members=members)

    rows.sort(key=row_order)
    res = {"columns": columns, "rows": rows, "rejects": rejects, "inputs": inputs,
           "id_headers": id_headers, "records": [r for r in records if not r.in_register],
           "read": rows_read, "accepted": sum(1 for r in records if not r.in_register), "blank": blank,
           "unknown_types": unknown_types, "regions": regions,
           "population": population["summary"] if population else None}
    if n_reg:
        res["check"] = check_counts(records, rows, copies, group_problems())
    return res


def group_problems():
    """The problems with groups, in summary.json's order."""
    return ("attr_duplicate", "id_duplicate") + (("suspect_duplicate",) if suspects_known() else ())


def check_counts(records, rows, copies, with_groups):
    """summary.json's "check" object and already_registered.csv's rows."""
    with_problem = {(r["rec"].index, r["rec"].line) for r in rows}
    batch = [r for r in records if not r.in_register]
    clean = [r for r in batch if (r.index, r.line) not in with_problem]
    split = {}
    for side in ("with_register", "in_batch"):
        split[side] = {}
        for p in with_groups:
            mine = [r for r in rows if r["problem"] == p and (r["register_matches"] != "") == (side == "with_register")]
            split[side][p] = {"records": len(mine), "groups": len({r["group_id"] for r in mine})}
    listed = sorted(copies.items(), key=lambda bc: (bc[0].index, bc[0].line))
    return {
        "summary": {"clean_rows": len(clean), "already_registered": len(copies),
                    "clean_already_registered": sum(1 for b in copies if (b.index, b.line) not in with_problem),
                    "with_register": split["with_register"], "in_batch": split["in_batch"]},
        "registered": [[b.source, str(b.line), b.student_no, b.school, c.source, str(c.line)] for b, c in listed],
        "register_records": sum(1 for r in records if r.in_register),
    }


# --------------------------------------------------------------------------
# The monthly cycle (docs/monthly.md): PREV, decisions, approvals, status
# --------------------------------------------------------------------------
DATE_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
PREV_DAMAGED = "the previous output is damaged: give --previous an unmodified xjdedup output directory"
MANIFEST_LINE = re.compile(rb"^[0-9a-f]{32} [0-9]+ [^\n]+$")
MAX_DECISION_LINE = 64 * 1024  # §4: a decisions line of at most 64 KiB


class Decision:
    """One line of a decisions file (§4), values trimmed."""

    def __init__(self, values, file, line, seq):
        self.group_id, self.student_no, self.school_code, self.decision = values
        self.file = file  # base name, "decisions.csv" for PREV's
        self.line = line
        self.seq = seq    # position in the order the lines were read

    def key(self):
        return (self.group_id, self.student_no, self.school_code)


def csv_table(path, shown, max_line, damaged=None):
    """(header, [(line, values)]) of a CSV file that must be well formed: PREV's
    files and decisions files are untrusted, so a malformed line is fatal (§8).
    A BOM is dropped, blank lines are skipped, values are decoded UTF-8.
    `damaged`: what to do about a malformed line, when not to fix that line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Fatal(f"{shown}: cannot read: {e.strerror}")
    return csv_table_of(data, shown, max_line, damaged)


def csv_table_of(data, shown, max_line, damaged=None):
    """csv_table of a file's bytes (decompressed when it was a .zst)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    header, rows = None, []
    for item in split_records(data):
        if item[0] == "blank":
            continue
        _, line, raw, fields, error = item
        where = f"{shown}: line {line}"
        if error:
            raise Fatal(f"{where}: {error.replace('_', ' ')}: {damaged or 'fix the quoting of that line'}")
        if len(raw) > max_line:
            raise Fatal(f"{where}: a line over {max_line // 1024} KiB: {damaged or 'shorten or remove it'}")
        texts = [decode(f, "utf-8") for f in fields]
        if any(t is None for t in texts) or b"\0" in raw:
            raise Fatal(f"{where}: not valid UTF-8: {damaged or 'save the file as UTF-8'}")
        if header is None:
            header = [trim(t) for t in texts]
            continue
        if len(texts) != len(header):
            raise Fatal(f"{where}: {len(texts)} fields where the header has {len(header)}: "
                        f"{damaged or 'fix the line (quote a value holding a comma)'}")
        rows.append((line, texts))
    if header is None:
        raise Fatal(f"{shown}: no header line (empty file)")
    return header, rows


def column(header, names, shown, what):
    """Index of the first column named one of `names`; fatal when none is."""
    for i, h in enumerate(header):
        if h in names:
            return i
    raise Fatal(f"{shown}: line 1: no column {what} ({' or '.join(names)}): "
                "give a file with that column")


# §4 decisions files ---------------------------------------------------------
def read_decisions(path, shown, file_name, seq0):
    """Every line of one decisions file, in line order (§4)."""
    header, rows = csv_table(path, shown, MAX_DECISION_LINE)
    at = []
    for name in DECISION_COLUMNS:  # M5: exact names, each once
        hits = [i for i, h in enumerate(header) if h == name]
        if not hits:
            raise Fatal(f"{shown}: line 1: missing column {name}: the header needs "
                        f"{','.join(DECISION_COLUMNS)} (in any order)")
        if len(hits) > 1:
            raise Fatal(f"{shown}: line 1: the column {name} appears twice: keep one")
        at.append(hits[0])
    out = []
    for line, texts in rows:
        values = [trim(texts[i]) for i in at]
        if values[3] not in DECISION_WORDS:
            raise Fatal(f"{shown}: line {line}: decision \"{values[3]}\" is neither "
                        f"{' nor '.join(DECISION_WORDS)}: correct it")
        out.append(Decision(values, file_name, line, seq0 + len(out)))
    return out


def decisions_in_effect(lines):
    """§4: per key the last line read wins; the winners in the order read."""
    last = {}
    for d in lines:
        last[d.key()] = d
    return sorted(last.values(), key=lambda d: d.seq)


def approved_earlier(lines):
    """keys whose `revoked` line follows an `approved` one: the revocations
    that end an approval (only used when M3 is switched off)."""
    seen, ends = set(), set()
    for d in lines:
        if d.decision == "approved":
            seen.add(d.key())
        elif d.key() in seen:
            ends.add(d.key())
    return ends


# §8, §1, §2: the previous output ----------------------------------------------
def check_previous(prev, attr_scope):
    """§8: PREV must be an xjdedup output made with this --attr-scope.
    Returns its run date (summary.json's run_date)."""
    what_to_do = "give --previous the -o directory of an earlier xjdedup scan"
    for name in ("MANIFEST", "problems.csv", "summary.json"):
        if not os.path.isfile(os.path.join(prev, name)):
            raise Fatal(f"--previous {prev}: no {name}, so not an xjdedup output: {what_to_do}")
    with open(os.path.join(prev, "MANIFEST"), "rb") as f:
        for n, line in enumerate(f.read().split(b"\n"), 1):
            if line and not MANIFEST_LINE.match(line):
                raise Fatal(f"{os.path.join(prev, 'MANIFEST')}: line {n}: not an xjdedup MANIFEST line "
                            f"(<xxh3-128> <size> <path>): {what_to_do}")
    shown = os.path.join(prev, "summary.json")
    try:
        with open(shown, encoding="utf-8") as f:
            summary = json.load(f)
        run_date = summary["run_date"]
        scope = summary["options"]["attr_scope"]
        if not (isinstance(run_date, str) and DATE_ISO.match(run_date)):
            raise ValueError
        datetime.date.fromisoformat(run_date)
    except (OSError, ValueError, KeyError, TypeError):
        raise Fatal(f"{shown}: not an xjdedup summary (no valid run_date and options.attr_scope): "
                    f"{what_to_do}")
    if scope != attr_scope:
        raise Fatal(f"--previous {prev} was made with --attr-scope {scope} and this run uses "
                    f"--attr-scope {attr_scope}: attribute group ids differ between the two; "
                    f"run with --attr-scope {scope} or give a PREV made with {attr_scope}")
    return run_date


def prev_columns(header, id_headers, shown):
    """Indexes of (problem, group_id, student number, school code, first_seen
    or None) in a PREV problems.csv / attested.csv header (§1; M6)."""
    return (column(header, ["problem"], shown, "problem"),
            column(header, ["group_id"], shown, "group_id"),
            column(header, id_headers["student_no"], shown, "for the student number"),
            column(header, id_headers["school_code"], shown, "for the school code"),
            header.index("first_seen") if "first_seen" in header else None)


def read_prev_rows(path, shown, id_headers, prev_date):
    """identity -> smallest first_seen among the rows of one PREV file (§1,
    §2); a file without first_seen counts as PREV's run date."""
    header, rows = csv_table(path, shown, MAX_PREV_LINE, PREV_DAMAGED)
    p, g, no, sc, fs = prev_columns(header, id_headers, shown)
    seen = {}
    for line, v in rows:
        first = prev_date if fs is None else v[fs]
        if not DATE_ISO.match(first) or real_date(first.replace("-", "")) is None:
            raise Fatal(f"{shown}: line {line}: first_seen \"{first}\" is not a date YYYY-MM-DD: "
                        + PREV_DAMAGED)
        ident = (v[p], v[g], trim(v[no]), trim(v[sc]))
        seen[ident] = min(seen.get(ident, first), first)
    return seen


def load_previous(opts, res):
    """PREV's identities (problems.csv, attested.csv) and decisions lines."""
    prev = opts.previous
    prev_date = check_previous(prev, opts.attr_scope)
    files = {}
    for name in ("problems.csv", "attested.csv"):
        path = os.path.join(prev, name)
        if name in PREV_OPTIONAL_FILES and not os.path.exists(path):
            files[name] = {}  # M2
            continue
        files[name] = read_prev_rows(path, path, res["id_headers"], prev_date)
    path = os.path.join(prev, "decisions.csv")
    decisions = []
    if os.path.exists(path) or "decisions.csv" not in PREV_OPTIONAL_FILES:
        decisions = read_decisions(path, path, "decisions.csv", 0)
    return {"problems": files["problems.csv"], "attested": files["attested.csv"],
            "decisions": decisions, "run_date": prev_date}


# §5: what approvals do ------------------------------------------------------
def row_key(row):
    """A row's decision key (§4) and identity without the problem (§1)."""
    return (row["group_id"], row["rec"].student_no, row["rec"].school)


def identity(row):
    return (row["problem"],) + row_key(row)


def groups_of(rows):
    """group rows by (problem, group_id), attr_duplicate and id_duplicate only."""
    groups = {}
    for row in rows:
        if row["problem"] in ("attr_duplicate", "id_duplicate"):
            groups.setdefault((row["problem"], row["group_id"]), []).append(row)
    return groups


def approve_id_group(rows, approved):
    """§5 id_duplicate: one approved member is the keeper (reason approved);
    two or more: double_attested, arbitrated over the approved members."""
    count = len({row_key(row) for row in approved}) if APPROVED_MEMBERS_BY_KEY else len(approved)  # M10
    if count == 1:
        first = min(approved, key=lambda row: order_key(row["rec"], True))
        keeper = first["rec"]
        for row in rows:
            row["keeper"] = "1" if row["rec"] is keeper else "0"
            row["hint"] = id_hint(row["rec"], keeper)
        first["reason"] = "approved"  # wins over old_id (§5)
    elif count >= 2:
        members = [row["rec"] for row in approved]
        scope = scope_of(members)
        for row in rows:
            if DOUBLE_ATTESTED_EVERY_MEMBER or any(row is a for a in approved):
                row["reason"] = "double_attested"
            row["arbiter"] = ARBITER[scope]
            row["office"] = office_of(scope, members)


def apply_approvals(rows, approved_keys):
    """Sets reasons, keepers, hints and arbiters (§5).  Returns the rows of
    attested groups and the ids of approved rows of partly approved
    attr_duplicate groups (reported again: reopened)."""
    attested, reopened = [], set()
    for (problem, _), group in groups_of(rows).items():
        approved = [row for row in group if row_key(row) in approved_keys]
        if problem == "id_duplicate":
            approve_id_group(group, approved)
        elif approved and len(approved) == len(group):
            attested.extend(group)
        else:
            reopened.update(id(row) for row in approved)
    return attested, reopened


def set_status(rows, attested, reopened, prev, run_date):
    """§2: status and first_seen of every reported and attested row."""
    in_attested = {id(row) for row in attested}
    if REOPENED_NEEDS_PREV_ATTESTED:  # M9
        attested_before = {(ident[0], ident[1]) for ident in prev["attested"]}
        reopened = {id(row) for row in rows if id(row) in reopened
                    and (row["problem"], row["group_id"]) in attested_before}
    for row in rows:
        ident = identity(row)
        seen = [d[ident] for d in (prev["problems"], prev["attested"]) if ident in d]
        row["first_seen"] = min(seen) if seen else run_date
        if id(row) not in in_attested and (id(row) in reopened or ident in prev["attested"]):
            row["status"] = "reopened"
        elif ident in prev["problems"]:
            row["status"] = "persisting"
        elif ident in prev["attested"]:
            row["status"] = STATUS_ATTESTED_AGAIN  # M1
        else:
            row["status"] = "new"


def resolved_lines(prev, reported, attested, records):
    """§3: PREV problems.csv identities this run reports nowhere."""
    now = {identity(row) for row in reported} | {identity(row) for row in attested}
    present = {(r.student_no, r.school) for r in records}
    lines = []
    for ident, first in prev["problems"].items():
        if ident in now:
            continue
        first = min([first] + ([prev["attested"][ident]] if ident in prev["attested"] else []))
        how = "fixed" if (ident[2], ident[3]) in present else "gone"
        lines.append(csv_line(list(ident) + [first, how]))
    return sorted(lines)


def monthly(opts, res):
    """Applies docs/monthly.md to a scan's rows; fills res["monthly"]."""
    prev = load_previous(opts, res) if opts.previous else \
        {"problems": {}, "attested": {}, "decisions": [], "run_date": None}
    lines = list(prev["decisions"])
    for path in opts.decisions or []:
        lines += read_decisions(path, path, os.path.basename(path), len(lines))
    effect = decisions_in_effect(lines)
    rows = res["rows"]
    present = {row_key(row) for row in rows if row["problem"] in ("attr_duplicate", "id_duplicate")}
    ends = approved_earlier(lines)

    def matches(d):  # §4, M3
        if d.key() not in present:
            return False
        return d.decision == "approved" or REVOKED_MATCHES_BY_ROW or d.key() in ends

    approved = {d.key() for d in effect if d.decision == "approved" and matches(d)}
    attested, reopened = apply_approvals(rows, approved)
    set_status(rows, attested, reopened, prev, opts.run_date.isoformat())
    in_attested = {id(row) for row in attested}
    res["rows"] = [row for row in rows if id(row) not in in_attested]
    res["monthly"] = {
        "attested": sorted(attested, key=row_order),  # as problems.csv (§5)
        "resolved": resolved_lines(prev, res["rows"], attested, res["records"]),
        "decisions": sorted(csv_line(list(k) + ["approved"]) for k in approved),
        "unmatched": [d for d in effect if not matches(d)],
        "in_effect": len(effect),                   # §7's counts (summary.json)
        "previous_run_date": prev["run_date"],
    }


def write_monthly(out, res):
    """§3, §4, §5: the monthly files (header only when empty)."""
    m = res["monthly"]

    def write(name, header, lines):
        with open(os.path.join(out, name), "wb") as f:
            f.write(csv_line(header))
            for line in lines:
                f.write(line)

    write("resolved.csv", ["problem", "group_id", "student_no", "school_code", "first_seen", "resolution"],
          m["resolved"])
    write("decisions.csv", list(DECISION_COLUMNS), m["decisions"])
    write("decisions_unmatched.csv", list(DECISION_COLUMNS) + ["file", "line"],
          [csv_line([d.group_id, d.student_no, d.school_code, d.decision, d.file, str(d.line)])
           for d in m["unmatched"]])


def write_manifest(out):
    """decisions.md: every other file with its XXH3-128 and size, by path."""
    entries = []
    for d, _, names in os.walk(out):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), out).replace(os.sep, "/")
            if rel != "MANIFEST":
                with open(os.path.join(d, n), "rb") as f:
                    data = f.read()
                entries.append((rel.encode(), xxhash.xxh3_128_hexdigest(data), len(data)))
    with open(os.path.join(out, "MANIFEST"), "wb") as f:
        for rel, h, size in sorted(entries):
            f.write(b"%s %d %s\n" % (h.encode(), size, rel))


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------
def csv_field(v: bytes) -> bytes:
    if any(c in v for c in (b",", b'"', b"\r", b"\n")) or v.startswith(b" ") or v.endswith(b" "):
        return b'"' + v.replace(b'"', b'""') + b'"'
    return v


def csv_line(values) -> bytes:
    return b",".join(csv_field(v if isinstance(v, bytes) else v.encode()) for v in values) + b"\n"


def school_path(code: str) -> str:
    if len(code) == 10 and code.isascii() and code.isdigit():
        return os.path.join("schools", code[2:4], code + ".csv")
    return os.path.join("schools", "_invalid", "x" + xxh64hex(code.encode()) + ".csv")


MONTHLY_COUNTS = ("new", "persisting", "reopened", "resolved", "attested")


def monthly_counts(res):
    """summary.json's "monthly" (docs/monthly.md §7), on every run: PREV's run
    date, the decisions counts, and per problem and per province x problem
    the rows of problems.csv by status, the identities of resolved.csv and
    the rows of attested.csv (provinces as in "provinces"; one with none of
    these left out).  A resolved identity whose problem is none of the three
    is counted nowhere."""
    import csv  # stdlib; only here, to read back our own resolved.csv lines
    m = res.get("monthly", {})
    problems = ("attr_duplicate", "id_duplicate", "id_invalid") + \
        (("suspect_duplicate",) if ENGINE_HAS["suspects"] else ())  # not XJREF_ALL: see ENGINE_HAS

    def province(code):  # as Record.province(), for resolved.csv's school_code
        return code[2:4] if len(code) == 10 and code.isascii() and code.isdigit() else "_invalid"

    counted = [(r["problem"], province(r["rec"].school), r["status"]) for r in res["rows"]]
    counted += [(r["problem"], province(r["rec"].school), "attested") for r in m.get("attested", [])]
    for line in m.get("resolved", []):
        problem, _, _, school = next(csv.reader([line.decode("utf-8").rstrip("\n")]))[:4]
        counted.append((problem, province(school), "resolved"))
    by_province = {}
    for problem, prov, what in counted:
        if problem in problems:
            cell = by_province.setdefault(prov, {p: dict.fromkeys(MONTHLY_COUNTS, 0) for p in problems})
            cell[problem][what] += 1
    in_effect, unmatched = m.get("in_effect", 0), len(m.get("unmatched", []))
    return {
        "previous_run_date": m.get("previous_run_date"),
        "decisions_in_effect": in_effect,
        "decisions_matched": in_effect - unmatched,
        "decisions_unmatched": unmatched,
        "approved_members": len(m.get("decisions", [])),
        "attested_groups": len({(r["problem"], r["group_id"]) for r in m.get("attested", [])}),
        "problems": {p: {k: sum(v[p][k] for v in by_province.values()) for k in MONTHLY_COUNTS} for p in problems},
        "provinces": {k: by_province[k] for k in sorted(by_province, key=lambda s: s.encode())},
    }


ASSIGNMENT_COLUMNS = ["student_no", "school_code", "source", "line", "new_student_no", "basis"]


def assignments(res):
    """docs/population.md §3, §5: assignments.csv's lines, sorted as bytes,
    and summary.json's "assignments" object.  An L record (a check's batch
    only) with no row in problems.csv nor attested.csv gets a line when its
    type is 1 and its number valid (id_verified) or its number is empty
    (no_id_unique, type Z in practice: any other type's is `missing`)."""
    with_row = {id(row["rec"]) for row in res["rows"]}
    with_row |= {id(row["rec"]) for row in res.get("monthly", {}).get("attested", [])}
    lines, by_province = [], {}
    for r in res["records"]:
        if not r.student_no.startswith("L") or id(r) in with_row:
            continue
        if r.id_num == "":
            basis, new_no = "no_id_unique", ""
        elif r.id_type == "1" and r.invalid is None:
            basis, new_no = "id_verified", "G" + r.id_num
        else:
            continue
        lines.append(csv_line([r.student_no, r.school, r.source, str(r.line), new_no, basis]))
        cell = by_province.setdefault(r.province() or "_invalid", {"id_verified": 0, "no_id_unique": 0})
        cell[basis] += 1
    return sorted(lines), {
        "id_verified": sum(c["id_verified"] for c in by_province.values()),
        "no_id_unique": sum(c["no_id_unique"] for c in by_province.values()),
        "by_province": {k: by_province[k] for k in sorted(by_province, key=lambda s: s.encode())},
    }


def write_outputs(opts, res):
    out = opts.output
    os.makedirs(out, exist_ok=True)
    cols = res["columns"]
    check = res.get("check")
    # a check's column in front of the input's own
    extra, extra_zh = (["register_matches"], ["在籍库匹配记录"]) if check else ([], [])

    def values_of(row):
        return [row[c] for c in extra] + [row["rec"].values.get(c, "") for c in cols]

    def write_rows(name, rows):
        with open(os.path.join(out, name), "wb") as f:
            f.write(csv_line(OUT_COLUMNS + extra + cols))
            for row in rows:
                f.write(csv_line([row[c] for c in OUT_COLUMNS] + values_of(row)))

    write_rows("problems.csv", res["rows"])
    if "monthly" in res:
        write_rows("attested.csv", res["monthly"]["attested"])  # monthly §5: as problems.csv
        write_monthly(out, res)

    def write_for_people(rel, rows):
        """a school's or an office's file: Chinese header and wording"""
        os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
        with open(os.path.join(out, rel), "wb") as f:
            f.write(b"\xef\xbb\xbf" + csv_line(OUT_COLUMNS_ZH + extra_zh + cols))  # UTF-8 BOM, for Excel
            for row in rows:
                zh = dict(row)
                zh["problem"] = PROBLEM_ZH[row["problem"]]
                zh["scope"] = SCOPE_ZH.get(row["scope"], "")
                zh["arbiter"] = ARBITER_ZH.get(row["arbiter"], "")
                zh["hint"] = HINT_ZH[row["hint"]]
                zh["other_members"] = row["other_members_zh"]
                zh["status"] = STATUS_ZH[row["status"]]
                f.write(csv_line([zh[c] for c in OUT_COLUMNS] + values_of(row)))

    per_school = {}
    for row in res["rows"]:
        per_school.setdefault(school_path(row["rec"].school), []).append(row)
    for rel, rows in per_school.items():
        write_for_people(rel, rows)

    # arbiters/: every row of a cross-school group in its office's file, by
    # problem and group id, each group's rows in problems.csv order
    offices = {}
    for pos, row in enumerate(res["rows"]):
        if row["office"]:
            offices.setdefault(row["office"], []).append((row["problem"], row["group_id"], pos, row))
    for (level, code), rows in offices.items():
        rows.sort(key=lambda t: t[:3])
        write_for_people(os.path.join("arbiters", level, code + ".csv"), [t[3] for t in rows])

    with open(os.path.join(out, "rejects.csv"), "wb") as f:
        f.write(csv_line(["source", "line", "error", "raw"]))
        for source, line, error, raw in res["rejects"]:
            f.write(csv_line([source, str(line), error, raw]))

    def counts(pairs):
        c = {}
        for k in pairs:
            c[k] = c.get(k, 0) + 1
        return {k: c[k] for k in sorted(c, key=lambda s: s.encode())}

    problems = {}
    listed = ("attr_duplicate", "id_duplicate", "id_invalid") + (("suspect_duplicate",) if suspects_known() else ())
    for p in listed:
        prow = [r for r in res["rows"] if r["problem"] == p]
        entry = {"records": len(prow)}
        if p != "id_invalid":
            groups = {}
            for r in prow:
                groups[r["group_id"]] = r["scope"]
            entry["groups"] = len(groups)
        entry["reasons"] = counts(r["reason"] for r in prow if r["reason"])
        if p != "id_invalid":
            entry["scopes"] = {s: sum(1 for v in groups.values() if v == s) for s in SCOPES}
        problems[p] = entry
    provinces = {}
    for r in res["rows"]:
        prov = r["rec"].province() or "_invalid"
        provinces.setdefault(prov, dict.fromkeys(listed, 0))
        provinces[prov][r["problem"]] += 1
    summary = {
        "version": VERSION,
        "run_date": opts.run_date.isoformat(),
        "options": {"attr_scope": opts.attr_scope, "encoding": opts.encoding,
                    "region_table": os.path.basename(opts.region_table) if opts.region_table else None},
        "inputs": res["inputs"],
    }
    if suspects_known():
        summary["options"]["suspects"] = suspects_on(opts)  # docs/suspects.md §6
    if check:
        summary["register"] = {"index": opts.index_name, "records": check["register_records"],
                               "run_date": opts.register_run_date.isoformat(),
                               "attr_scope": opts.register_attr_scope or opts.attr_scope}
        summary["check"] = check["summary"]
        with open(os.path.join(out, "already_registered.csv"), "wb") as f:
            f.write(csv_line(["source", "line", "student_no", "school_code", "register_source", "register_line"]))
            for values in check["registered"]:
                f.write(csv_line(values))
    summary.update({
        "rows": {"read": res["read"], "accepted": res["accepted"],
                 "rejected": len(res["rejects"]), "blank_lines": res["blank"]},
        "unknown_id_types": res["unknown_types"],
        "rejects": counts(e for _, _, e, _ in res["rejects"]),
        "problems": problems,
        "provinces": {k: provinces[k] for k in sorted(provinces, key=lambda s: s.encode())},
        "monthly": monthly_counts(res),
    })
    if population_output(opts):  # docs/population.md §3, §5
        lines, counted = assignments(res)
        with open(os.path.join(out, "assignments.csv"), "wb") as f:
            f.write(csv_line(ASSIGNMENT_COLUMNS))
            for line in lines:
                f.write(line)
        summary["population"] = res["population"]
        summary["assignments"] = counted
    summary.update({
        "timing": {"wall_seconds": 0, "read_parse_seconds": 0, "group_seconds": 0,
                   "gather_seconds": 0, "write_seconds": 0, "rows_per_second": 0,
                   "ranks": 1, "threads": 1, "exchanged_bytes": 0,
                   "split_inputs": 0, "shared_files": 0},
    })
    with open(os.path.join(out, "summary.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    if "monthly" in res:
        write_manifest(out)  # so that this output can be a later run's --previous (monthly §8)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="xjref.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    for command in ("scan", "check"):
        sc = sub.add_parser(command)
        sc.add_argument("inputs", nargs="+")
        sc.add_argument("-o", "--output", required=True)
        sc.add_argument("--run-date")
        sc.add_argument("--attr-scope", choices=["noid", "mixed"], default="noid")
        sc.add_argument("--encoding", choices=["utf-8", "gbk"], default="utf-8")
        sc.add_argument("--map", action="append")
        sc.add_argument("--region-table")
        # accepted so that one argument list serves the engine and the oracle
        sc.add_argument("-q", "--quiet", action="store_true")
        sc.add_argument("--force", action="store_true")
        sc.add_argument("-t", "--threads")
        sc.add_argument("--chunk-size")
        sc.add_argument("--previous")                     # docs/monthly.md §1-§3, §8
        sc.add_argument("--decisions", action="append")   # docs/monthly.md §4
        sc.add_argument("--no-suspects", action="store_true")  # docs/suspects.md §6
        sc.add_argument("--population", action="append")  # docs/population.md §1
        if command == "check":
            # the register's files and the settings its index was built with
            sc.add_argument("--register", nargs="+", required=True)
            sc.add_argument("--index-name", required=True)
            sc.add_argument("--register-run-date")
            sc.add_argument("--register-attr-scope", choices=["noid", "mixed"])
    opts = ap.parse_args(argv)

    def date(text, option):
        if not text:
            return datetime.date.today()
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            ap.error(f"{option} {text}: expected YYYY-MM-DD")

    opts.run_date = date(opts.run_date, "--run-date")
    if opts.command == "check":
        opts.register_run_date = date(opts.register_run_date, "--register-run-date") \
            if opts.register_run_date else opts.run_date
    return opts


def main(argv):
    opts = parse_args(argv)
    try:
        res = scan(opts)
        if monthly_on("monthly_files", opts):
            monthly(opts, res)
    except Fatal as e:
        print(f"xjref: {e}", file=sys.stderr)
        return 2
    write_outputs(opts, res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
