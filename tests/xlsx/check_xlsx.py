#!/usr/bin/env python3
"""check_xlsx — the workbooks of --xlsx, read by an independent reader
(openpyxl) (issue 15, item 1).

usage: check_xlsx.py XJDEDUP WORKDIR

For a small hand-made input (an 18-digit ID shared by two schools, an
attribute group whose group id is all decimal digits, a value that looks like
a formula, several groups in one school):
  - every per-school CSV has a workbook beside it, listed in MANIFEST with its
    size and XXH3-128, and nothing else appears (no temporary files);
  - sheet 1: every cell is a string equal to the CSV's value (CSV parsed by
    Python's csv module, BOM stripped; an empty value is an empty cell), the
    header row bold and frozen (A2), the autofilter over header and data,
    each group's rows on one fill and neighbouring groups on different ones;
  - sheet 说明: the lines of schools/README.txt, in order;
  - --headers en: problems.csv's header, English codes; --output-encoding gbk:
    the workbook still holds the text (UTF-8 inside), the CSV is GB 18030;
  - the bytes of every file are the same for --threads 1 and 2 and for a
    second run (summary.json aside);
  - without --xlsx there is no workbook.
Exit 0 when all hold; each failure is printed as a FAIL line.
"""
import csv
import io
import os
import shutil
import subprocess
import sys

try:
    import openpyxl
    import xxhash
except ImportError:  # Debian's python3-openpyxl / python3-xxhash, seen from another python
    sys.path.append("/usr/lib/python3/dist-packages")
    import openpyxl
    import xxhash
from openpyxl.utils import get_column_letter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from run_case import tree  # noqa: E402  (an output directory's files by relative path)

BOM = b"\xef\xbb\xbf"
RUN_DATE = "2026-11-28"
HEADER = "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,学校名称,行政区划码,建籍日期"


def check_char(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def make_id(region: str, birth: str, seq: str) -> str:
    body = region + birth + seq
    return body + check_char(body)


# An 18-digit ID shared by two schools of two provinces; its last digit is
# one Excel's floating point would lose.
SHARED_ID = make_id("320203", "20190207", "733")
# (name, sex, birth) whose attribute group id is all decimal digits:
# XXH3-64("attr_duplicate\0王数字2505\0" "1\0" "20140506") = 5675311853665966
DIGIT_NAME = "王数字2505"
DIGIT_GROUP = "5675311853665966"


def population() -> str:
    rows = [
        f"G{SHARED_ID},张三,男,2019-02-07,1,{SHARED_ID},2132010001,金山实验小学,320203,2025-09-01",
        f"G{SHARED_ID}X,张三,男,2019-02-07,1,{SHARED_ID},2111010002,北京第二小学,110101,2025-10-08",
        f"J000000000000000031,{DIGIT_NAME},男,2014-05-06,,,2132010001,金山实验小学,320203,2020-09-01",
        f"J000000000000000032,{DIGIT_NAME},男,20140506,,,2132010001,金山实验小学,320203,2020-09-02",
        # an invalid ID (wrong check character) and a formula-like school name
        "L000000000000000041,李四,女,2015/3/9,居民身份证,320203201503090028,2132010001,=SUM(1),320203,",
        # another attribute group in the same school, and a second ID group
        "J000000000000000051,赵六,女,2013-01-02,,,2132010001,金山实验小学,320203,2019-09-01",
        "J000000000000000052,赵六,女,2013-01-02,,,2132010001,金山实验小学,320203,2019-09-02",
        f"G{make_id('320203', '20160101', '111')},钱七,男,2016-01-01,1,{make_id('320203', '20160101', '111')},"
        "2132010001,金山实验小学,320203,2022-09-01",
        f"G{make_id('320203', '20160101', '111')}B,钱七,男,2016-01-01,1,{make_id('320203', '20160101', '111')},"
        "2132010001,金山实验小学,320203,2022-09-01",
    ]
    return HEADER + "\n" + "\n".join(rows) + "\n"


class Checker:
    """A test's state: the program, a fresh WORKDIR holding population()
    as students.csv, and the failures so far. `doc` is the usage text."""

    def __init__(self, argv, doc):
        if len(argv) != 3:
            sys.exit(doc)
        self.xj, self.work = os.path.abspath(argv[1]), os.path.abspath(argv[2])
        if os.path.exists(self.work):
            shutil.rmtree(self.work)
        os.makedirs(self.work)
        self.input = os.path.join(self.work, "students.csv")
        with open(self.input, "w", encoding="utf-8") as f:
            f.write(population())
        self.fails = []

    def finish(self):
        for msg in self.fails:
            print("FAIL", msg, file=sys.stderr)
        print(f"{len(self.fails)} failures")
        sys.exit(1 if self.fails else 0)

    def fail(self, msg):
        self.fails.append(msg)

    def scan(self, out, *args, env=None):
        if os.path.exists(out):
            shutil.rmtree(out)
        r = subprocess.run([self.xj, "scan", self.input, "-o", out, "-q", "--run-date", RUN_DATE, *args],
                           capture_output=True, env=env)
        if r.returncode != 0:
            self.fail(f"scan {' '.join(args)}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
        return r.returncode == 0


def csv_rows(data: bytes, encoding="utf-8"):
    if data.startswith(BOM):
        data = data[3:]
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def check_manifest(c, name, files):
    listed = {}
    for line in files["MANIFEST"].decode().splitlines():
        h, size, path = line.split(" ", 2)
        listed[path] = (h, int(size))
    for path, data in files.items():
        if path == "MANIFEST":
            continue
        if path not in listed:
            c.fail(f"{name}: {path} is not in MANIFEST (a temporary file left behind?)")
        elif path.endswith(".xlsx"):
            want = (xxhash.xxh3_128_hexdigest(data), len(data))
            if listed[path] != want:
                c.fail(f"{name}: MANIFEST has {listed[path]} for {path}, the file is {want}")
    for path in listed:
        if path not in files:
            c.fail(f"{name}: MANIFEST lists {path}, which is not there")


def fill_of(cell):
    return cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fill_type else None


def check_sheet(c, label, ws, rows):
    """ws against the CSV's rows: values, types, frozen header, filter, bands."""
    ncols = len(rows[0])
    if ws.max_row != len(rows) or ws.max_column != ncols:
        c.fail(f"{label}: sheet is {ws.max_row} x {ws.max_column}, the CSV {len(rows)} x {ncols}")
    for r, want_row in enumerate(rows, start=1):
        for k, want in enumerate(want_row, start=1):
            cell = ws.cell(row=r, column=k)
            got = cell.value
            if want == "":
                if got is not None:
                    c.fail(f"{label}: {cell.coordinate} is {got!r}, the CSV's value is empty")
            elif not isinstance(got, str) or cell.data_type != "s":
                c.fail(f"{label}: {cell.coordinate} is {got!r} ({cell.data_type}), not the text {want!r}")
            elif got != want:
                c.fail(f"{label}: {cell.coordinate} is {got!r}, the CSV has {want!r}")
    if ws.freeze_panes != "A2":
        c.fail(f"{label}: freeze_panes is {ws.freeze_panes!r}, want 'A2'")
    want_ref = f"A1:{get_column_letter(ncols)}{len(rows)}"
    if ws.auto_filter.ref != want_ref:
        c.fail(f"{label}: autofilter {ws.auto_filter.ref!r}, want {want_ref!r}")
    if not all(ws.cell(row=1, column=k).font.b for k in range(1, ncols + 1)):
        c.fail(f"{label}: the header row is not bold")
    # bands: one fill per group, neighbouring groups differ
    gcol = 3  # 问题组号 / group_id
    last_gid, last_fill = None, None
    fills = {}
    for r in range(2, len(rows) + 1):
        gid = rows[r - 1][gcol - 1]
        f = fill_of(ws.cell(row=r, column=1))
        if any(fill_of(ws.cell(row=r, column=k)) != f for k in range(1, ncols + 1)):
            c.fail(f"{label}: row {r} is not on one fill")
        if gid:
            if gid in fills and fills[gid] != f:
                c.fail(f"{label}: group {gid} is on two fills")
            fills[gid] = f
            if last_gid is not None and gid != last_gid and f == last_fill:
                c.fail(f"{label}: groups {last_gid} and {gid} are neighbours on the same fill")
            last_gid, last_fill = gid, f
    return fills


def check_run(c, name, out, en=False, gbk=False):
    files = tree(out)
    check_manifest(c, name, files)
    readme = files[os.path.join("schools", "README.txt")].decode("gb18030" if gbk else "utf-8")
    readme_lines = readme.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    csvs = sorted(k for k in files if k.startswith("schools" + os.sep) and k.endswith(".csv"))
    if len(csvs) != 2:
        c.fail(f"{name}: {len(csvs)} per-school CSVs, want 2")
    seen = set()
    for k in csvs:
        book = k[:-4] + ".xlsx"
        if book not in files:
            c.fail(f"{name}: {k} has no {book}")
            continue
        rows = csv_rows(files[k], "gb18030" if gbk else "utf-8")
        wb = openpyxl.load_workbook(os.path.join(out, book))
        want_sheets = ["problems" if en else "问题学籍", "说明"]
        if wb.sheetnames != want_sheets:
            c.fail(f"{name}: {book} has sheets {wb.sheetnames}, want {want_sheets}")
            continue
        check_sheet(c, f"{name}: {book}", wb.worksheets[0], rows)
        notes = [row[0] if row[0] is not None else "" for row in wb["说明"].iter_rows(values_only=True)]
        want_notes = readme_lines[:-1] if readme_lines[-1] == "" else readme_lines
        if notes != want_notes:
            c.fail(f"{name}: {book} sheet 说明 is not schools/README.txt's lines")
        for row in wb.worksheets[0].iter_rows(values_only=True):
            seen.update(v for v in row if isinstance(v, str))
        if wb.properties.created is None or wb.properties.created.strftime("%Y-%m-%d") != RUN_DATE:
            c.fail(f"{name}: {book} was created {wb.properties.created}, not on the run date")
    for want in (SHARED_ID, "G" + SHARED_ID, DIGIT_GROUP, "=SUM(1)", "320203", "2132010001"):
        if want not in seen:
            c.fail(f"{name}: no cell holds the text {want!r}")
    if en and "id_duplicate" not in seen:
        c.fail(f"{name}: --headers en workbook without the English codes")
    if not en and "身份证件号重复" not in seen:
        c.fail(f"{name}: workbook without the Chinese wording")
    return files


def main():
    c = Checker(sys.argv, __doc__)
    work = c.work
    tmp = os.path.join(work, "tmp")
    os.makedirs(tmp)
    env = dict(os.environ, TMPDIR=tmp)

    out1 = os.path.join(work, "t1")
    if c.scan(out1, "--xlsx", "--threads", "1", env=env):
        f1 = check_run(c, "zh", out1)
        if os.listdir(tmp):
            c.fail(f"temporary files left in TMPDIR: {os.listdir(tmp)}")
        for k, data in f1.items():
            if k.startswith("schools" + os.sep) and k.endswith(".xlsx") and data[:2] != b"PK":
                c.fail(f"{k} is not a zip file")
        # the same bytes: two threads, and again
        for label, args in (("--threads 2", ["--threads", "2"]), ("a second run", ["--threads", "2"])):
            out2 = os.path.join(work, "t2")
            if c.scan(out2, "--xlsx", *args, env=env):
                f2 = tree(out2)
                for k in sorted(set(f1) | set(f2)):
                    if k == "summary.json" or (k == "MANIFEST" and k in f1 and k in f2):
                        continue
                    if f1.get(k) != f2.get(k):
                        c.fail(f"{label}: {k} differs from --threads 1's")
                m1 = [l for l in f1["MANIFEST"].splitlines() if not l.endswith(b" summary.json")]
                m2 = [l for l in f2["MANIFEST"].splitlines() if not l.endswith(b" summary.json")]
                if m1 != m2:
                    c.fail(f"{label}: MANIFEST differs (summary.json aside)")
    out_en = os.path.join(work, "en")
    if c.scan(out_en, "--xlsx", "--headers", "en"):
        check_run(c, "--headers en", out_en, en=True)
    out_gbk = os.path.join(work, "gbk")
    if c.scan(out_gbk, "--xlsx", "--output-encoding", "gbk"):
        check_run(c, "--output-encoding gbk", out_gbk, gbk=True)
    # without --xlsx: no workbook
    plain = os.path.join(work, "plain")
    if c.scan(plain) and any(k.endswith(".xlsx") for k in tree(plain)):
        c.fail("a workbook without --xlsx")
    c.finish()


if __name__ == "__main__":
    main()
