"""report_lib — what the report tests share: a made-up input that exercises
the report (many schools and provinces, hostile school names, formula-like
values, characters outside GBK), a scan runner, and a reader that pulls the
numbers out of report.html (as written, or as a browser's DOM dump) so they
can be compared with summary.json and problems.csv."""
import csv
import html.parser
import io
import json
import os
import shutil
import subprocess

HEADER = ["学籍号", "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "学校标识码", "学校名称",
          "行政区划码", "建籍日期", "备注"]
PROVINCES = ["11", "13", "32", "44", "51", "65", "54", "46"]


def check_char(body17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * k for c, k in zip(body17, w)) % 11]


def make_id(region, birth, seq):
    body = f"{region}{birth}{seq:03d}"
    return body + check_char(body)


def make_input(path, n_schools=30, seed_shift=0):
    """30 schools over 8 provinces; school i gets i+1 invalid IDs (so the
    top-20 order is known), every fifth school a duplicate pair, two schools
    share an attribute duplicate; names and notes carry HTML and formulas."""
    rows = []
    sno = 0

    def add(name, sex, birth, idn, school, sname, region, note=""):
        nonlocal sno
        sno += 1
        rows.append([f"G{sno:018d}", name, sex, birth, "1", idn, school, sname, region, "2022-09-01", note])

    for i in range(n_schools):
        prov = PROVINCES[i % len(PROVINCES)]
        school = f"21{prov}{i + seed_shift:06d}"
        region = f"{prov}0101"
        sname = f"第{i}小学" if i % 7 else f"<b>第{i}</b> & \"学校\" <script>alert({i})</script>"
        for k in range(i + 1):
            add(f"学生{i}_{k}", "男", "2015-03-01", "12345" + str(k), school, sname, region,
                note=["=1+1", "+86", "-5", "@SUM(A1)", "正常", "𠀀"][k % 6])
        if i % 5 == 0:
            idn = make_id(region, "20150301", 11 + i)
            add("王五", "男", "2015-03-01", idn, school, sname, region)
            add("王五", "男", "2015-03-01", idn, school, sname, region, note="\t制表")
    # an attribute duplicate across two provinces, and a school code that is not 10 digits
    add("赵六", "女", "2016-01-01", "", "2111000001", "甲校", "110101")
    add("赵六", "女", "2016-01-01", "", "2144000002", "乙校", "440101")
    add("钱七", "男", "2015-05-05", "99", "21AB<x>", "坏代码<学校>", "")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows)
    return rows


def scan(xj, inputs, out, *extra, check=True):
    if os.path.exists(out):
        shutil.rmtree(out)
    cmd = [xj, "scan", *inputs, "-o", out, "-q", "--run-date", "2026-11-28", *extra]
    r = subprocess.run(cmd, capture_output=True)
    if check and r.returncode != 0:
        raise SystemExit(f"scan failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr.decode('utf-8', 'replace')}")
    return r


class ReportReader(html.parser.HTMLParser):
    """Collects, from report.html: text by element id, and the cells of rows
    marked with data-province / data-scope / data-problem (+data-reason) /
    data-rank, each cell keyed by its own data-problem or data-trend."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = {}
        self.rows = []          # (row attrs, [(cell attrs, text)])
        self.stack = []         # open elements: (tag, attrs, id or None)
        self.text = {}          # id -> collected text
        self.row = None
        self.cell = None
        self.tags = []          # every start tag, for the self-containment checks

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("br", "meta", "rect", "img", "link", "input"):
            return
        self.stack.append((tag, a))
        if "id" in a:
            self.text[a["id"]] = ""
        if tag == "tr":
            self.row = (a, [])
        elif tag in ("td", "th") and self.row is not None:
            self.cell = [a, ""]

    def handle_endtag(self, tag):
        while self.stack:
            t, a = self.stack.pop()
            if tag == "td" and self.cell is not None and t == "td":
                self.row[1].append((self.cell[0], self.cell[1].strip()))
                self.cell = None
            if tag == "tr" and t == "tr" and self.row is not None:
                self.rows.append(self.row)
                self.row = None
            if t == tag:
                break

    def handle_data(self, data):
        for t, a in self.stack:
            if "id" in a:
                self.text[a["id"]] += data
        if self.cell is not None:
            self.cell[1] += data


def number(text):
    return int(text.replace(",", "").strip())


def read_report(text):
    r = ReportReader()
    r.feed(text)
    r.close()
    return r


def expected_numbers(summary):
    """What report.html must show, from summary.json."""
    s = summary
    want = {
        "rows-read": s["rows"]["read"],
        "rows-rejected": s["rows"]["rejected"],
        "problems-total": sum(p["records"] for p in s["problems"].values()),
    }
    for code, p in s["problems"].items():
        want[f"{code}-records"] = p["records"]
        if "groups" in p:
            want[f"{code}-groups"] = p["groups"]
    return want


def compare_report(rep, summary, fails):
    """The numbers of a parsed report against summary.json."""
    for key, v in expected_numbers(summary).items():
        got = rep.text.get(key)
        if got is None:
            fails.append(f"report has no element #{key}")
        elif number(got) != v:
            fails.append(f"report #{key} shows {got.strip()}, summary.json says {v}")
    provinces = {}
    scopes = {}
    reasons = {}
    for a, cells in rep.rows:
        if "data-province" in a and "data-trend" not in str(cells):
            provinces[a["data-province"]] = {c.get("data-problem"): number(t) for c, t in cells if c.get("data-problem")}
        if "data-scope" in a:
            scopes[a["data-scope"]] = {c.get("data-problem"): number(t) for c, t in cells if c.get("data-problem")}
        if "data-reason" in a:
            reasons[(a["data-problem"], a["data-reason"])] = number(cells[2][1])
    want_prov = {k: dict(v, total=sum(v.values())) for k, v in summary["provinces"].items()}
    if provinces != want_prov:
        fails.append(f"province table {provinces} != summary.json {want_prov}")
    for scope in ("school", "county", "city", "province", "national"):
        want = {p: summary["problems"][p]["scopes"][scope]
                for p in ("id_duplicate", "attr_duplicate", "suspect_duplicate")}
        if scopes.get(scope) != want:
            fails.append(f"scope {scope}: report {scopes.get(scope)} != summary.json {want}")
    want_r = {(p, r): n for p, v in summary["problems"].items() for r, n in v["reasons"].items()}
    if reasons != want_r:
        fails.append(f"reasons {reasons} != summary.json {want_r}")
    return provinces


def top_schools(problems_csv, school_col, name_col):
    """The 20 schools with most rows of problems.csv: (-rows, code bytes)."""
    rows = list(csv.reader(io.StringIO(open(problems_csv, encoding="utf-8").read(), newline="")))
    head = rows[0]
    sc, nc = head.index(school_col, 11), head.index(name_col, 11)
    count, name = {}, {}
    for r in rows[1:]:
        count[r[sc]] = count.get(r[sc], 0) + 1
        name.setdefault(r[sc], r[nc])
    order = sorted(count, key=lambda k: (-count[k], k.encode()))[:20]
    return [(k, count[k], name[k]) for k in order]


def load_summary(out):
    return json.load(open(os.path.join(out, "summary.json"), encoding="utf-8"))
