#!/usr/bin/env python3
"""check_firstuse — what a new user meets in the first minutes (issue 13):
each silent surprise found on first use must now be a clear message or the
right result.

  - a GBK file read as UTF-8: exit 2, the file, the count and
    "--encoding gbk" on stderr, nothing written; a few bad rows: a warning;
  - --map to a header no input has: exit 2; 身份证号码 is an ID-number header;
  - -q beats --progress; "1 problem so far"; unknown options name the
    command and suggest the closest; --run-date 2026-02-30 is "not a real
    date"; a run date after today warns;
  - index info --help is its own; check --help speaks of BATCH;
  - summary table rows stay aligned for long reject reasons; numbers are
    grouped the same way by every command; report.html names reject
    reasons in Chinese; schools/README.txt has CRLF line ends with --excel.

usage: check_firstuse.py XJDEDUP BASIC_CASE_DIR WORKDIR
"""
import datetime
import os
import re
import shutil
import subprocess
import sys

RUN_DATE = "2026-11-28"
EN_HEADER = "student_no,name,sex,birth_date,id_type,id_number,school_code,school_name,region_code,registered_at"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=120, **kw)


class Checks:
    def __init__(self, xj, case, work):
        self.xj, self.work = xj, work
        self.students = os.path.join(case, "students.csv")
        with open(self.students, encoding="utf-8") as f:
            self.lines = f.read().splitlines()
        self.fails = []

    def path(self, *p):
        return os.path.join(self.work, *p)

    def fail(self, what):
        self.fails.append(what)

    def scan(self, *args, cmd="scan"):
        r = run([self.xj, cmd, *args])
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    def write(self, name, text, encoding="utf-8"):
        with open(self.path(name), "wb") as f:
            f.write(text.encode(encoding))
        return self.path(name)

    # 1. a file in the wrong encoding
    def encoding(self):
        gbk = self.write("gbk_en.csv", "\n".join([EN_HEADER] + self.lines[1:]) + "\n", "gb18030")
        out = self.path("enc_out")
        code, _, err = self.scan(gbk, "-o", out, "--run-date", RUN_DATE, "-q")
        rows = len(self.lines) - 1
        if code != 2:
            self.fail(f"GBK file without --encoding: exit {code}, want 2")
        for want in ("gbk_en.csv", f"{rows} of its {rows} rows", "--encoding gbk"):
            if want not in err:
                self.fail(f"GBK file without --encoding: stderr lacks {want!r}: {err!r}")
        if os.path.exists(out):
            self.fail("GBK file without --encoding: an output directory was written")
        code, _, err = self.scan("build", gbk, "-o", self.path("ix.xji"), "--run-date", RUN_DATE, "-q",
                                 cmd="index")
        if code != 2 or "--encoding gbk" not in err:
            self.fail(f"index build of a GBK file without --encoding: exit {code}, {err!r}")
        code, _, err = self.scan(gbk, "-o", out, "--run-date", RUN_DATE, "-q", "--encoding", "gbk")
        if code != 0 or err:
            self.fail(f"GBK file with --encoding gbk: exit {code}, stderr {err!r}")
        # one bad row of many: the run goes on, and says so
        raw = ("\n".join(self.lines) + "\n").encode("utf-8")
        bad_row = self.lines[1].replace("张三", "王五").encode("utf-8").replace("王五".encode(), "王五".encode("gb18030"))
        with open(self.path("one_bad.csv"), "wb") as f:
            f.write(raw + bad_row + b"\n")
        code, _, err = self.scan(self.path("one_bad.csv"), "-o", self.path("one_bad_out"), "--run-date", RUN_DATE,
                                 "-q")
        if code != 0 or not re.search(rf"warning: .*one_bad\.csv: 1 of its {rows + 1} rows are not valid UTF-8", err):
            self.fail(f"one undecodable row: exit {code}, stderr {err!r}")

    # 2. --map and header variants
    def header_map(self):
        code, _, err = self.scan(self.students, "-o", self.path("map_out"), "--map", "name=不存在的列", "-q")
        if code != 2 or "不存在的列" not in err or "no input has a column" not in err:
            self.fail(f"--map to a missing header: exit {code}, {err!r}")
        if os.path.exists(self.path("map_out")):
            self.fail("--map to a missing header: an output directory was written")
        # the mapped header in one of two inputs is enough
        other = self.write("renamed.csv", "\n".join([self.lines[0].replace("姓名", "学生名字")] + self.lines[1:3]) + "\n")
        code, _, err = self.scan(self.students, other, "-o", self.path("map2_out"), "--map", "name=学生名字", "-q",
                                 "--run-date", RUN_DATE)
        if code != 0:
            self.fail(f"--map header present in one input: exit {code}, {err!r}")
        variant = self.write("variant.csv", "\n".join([self.lines[0].replace("身份证件号", "身份证号码")] + self.lines[1:])
                             + "\n")
        base, _, _ = self.scan(self.students, "-o", self.path("v0"), "-q", "--run-date", RUN_DATE)
        code, _, err = self.scan(variant, "-o", self.path("v1"), "-q", "--run-date", RUN_DATE)
        if code != 0 or base != 0:
            self.fail(f"header 身份证号码: exit {code}, {err!r}")
            return
        with open(self.path("v0", "problems.csv"), encoding="utf-8") as f:
            want = f.read().replace("身份证件号", "身份证号码").replace("students.csv", "variant.csv")
        with open(self.path("v1", "problems.csv"), encoding="utf-8") as f:
            got = f.read()
        if got != want:
            self.fail("header 身份证号码: problems.csv differs from the same file with 身份证件号")

    # 7. the rough edges
    def terminal(self):
        code, _, err = self.scan(self.students, "-o", self.path("q_out"), "-q", "--progress", "--run-date", RUN_DATE)
        if code != 0 or err:
            self.fail(f"-q --progress: exit {code}, stderr {err!r} (want nothing)")
        one = self.write("one_invalid.csv", "\n".join([self.lines[0], self.lines[1]]) + "\n"
                         + self.lines[1].replace("110101201503010111,", "110101201503010112,").replace(
                             "G110101201503010111", "L110101201503010112") + "\n")
        code, _, err = self.scan(one, "-o", self.path("p_out"), "--progress", "--threads", "1", "--run-date",
                                 RUN_DATE)
        if "1 problem so far" not in err or "1 problems" in err:
            self.fail(f"progress line for one problem: {err!r}")
        code, _, err = self.scan(self.students, "-o", self.path("x"), "--forse")
        if code != 2 or not err.startswith("xjdedup scan: unknown option --forse; did you mean --force?"):
            self.fail(f"unknown option: exit {code}, {err!r}")
        code, _, err = self.scan("--output", cmd="check")
        if code != 2 or not err.startswith("xjdedup check: --output needs a value"):
            self.fail(f"option without its value: exit {code}, {err!r}")
        code, _, err = self.scan(self.students, "-o", self.path("x"), "--run-date", "2026-02-30")
        if code != 2 or "not a real date" not in err:
            self.fail(f"--run-date 2026-02-30: exit {code}, {err!r}")
        code, _, err = self.scan(self.students, "-o", self.path("x"), "--run-date", "11/28/2026")
        if code != 2 or "give a date as YYYY-MM-DD" not in err:
            self.fail(f"--run-date 11/28/2026: exit {code}, {err!r}")
        future = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
        code, _, err = self.scan(self.students, "-o", self.path("future_out"), "-q", "--run-date", future)
        if code != 0 or "warning" not in err or "after today" not in err:
            self.fail(f"a run date after today: exit {code}, {err!r}")
        code, out, _ = self.scan("info", "--help", cmd="index")
        if code != 0 or "usage: xjdedup index info" not in out or "index build" in out:
            self.fail(f"index info --help: exit {code}, {out[:200]!r}")
        code, out, _ = self.scan("--help", cmd="check")
        if code != 0 or "BATCH is a CSV file" not in out or "INPUT" in out:
            self.fail("check --help: still speaks of INPUT")

    def summary_and_report(self):
        # rows rejected for several reasons, among them the longest name
        text = "\n".join(self.lines) + "\n"
        text += self.lines[1].replace(",男,", ",X,") + "\n"             # bad_sex
        text += self.lines[1].replace("张三", "\"张三") + "\n"           # unterminated_quote (last)
        path = self.write("rejects.csv", text)
        out = self.path("rej_out")
        code, table, err = self.scan(path, "-o", out, "--run-date", RUN_DATE, "--excel")
        if code != 0:
            self.fail(f"scan with rejects: exit {code}, {err!r}")
            return
        ends = {}
        for line in table.splitlines():
            m = re.match(r"^(\s*\S+(?: \S+)*?)\s+([\d,]+)(\s|$)", line)
            if m and not line.startswith(("wall", "output", "xjdedup", "groups", "top", "problems")):
                ends[line] = m.end(2)
        if len(set(ends.values())) != 1:
            self.fail("summary table: numbers end in different columns:\n" + "\n".join(ends))
        if not re.search(r"^    unterminated_quote\s+1$", table, re.M):
            self.fail(f"summary table: no line for unterminated_quote:\n{table}")
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            html = f.read()
        for zh, code_ in (("引号未闭合", "unterminated_quote"), ("性别无法识别", "bad_sex")):
            if not re.search(zh + r" <code>" + code_ + "</code>", html):
                self.fail(f"report.html: reject reason {code_} without its Chinese {zh}")
        with open(os.path.join(out, "schools", "README.txt"), "rb") as f:
            readme = f.read()
        if b"\n" not in readme or re.search(rb"(?<!\r)\n", readme):
            self.fail("schools/README.txt with --excel: not every line ends with CRLF")
        code, _, _ = self.scan(path, "-o", self.path("rej_plain"), "--run-date", RUN_DATE, "-q")
        with open(self.path("rej_plain", "schools", "README.txt"), "rb") as f:
            if b"\r" in f.read():
                self.fail("schools/README.txt without --excel: CR in it")
        # the same count reads the same in every command's output
        ix = self.path("reg.xji")
        code, built, err = self.scan("build", path, "-o", ix, "--run-date", RUN_DATE, cmd="index")
        code2, info, _ = self.scan("info", ix, cmd="index")
        rows = len(self.lines) + 1
        if code or code2 or not re.search(rf"^rows read\s+{rows}\s", built, re.M):
            self.fail(f"index build output: {built!r} {err!r}")
        big = self.path("big.csv")
        gen = run([self.xj, "gen", "--rows", "1500", "--seed", "3", "--run-date", RUN_DATE, "-o", big, "-q"])
        code, built, err = self.scan("build", big, "-o", self.path("big.xji"), "--run-date", RUN_DATE, cmd="index")
        code2, info, _ = self.scan("info", self.path("big.xji"), cmd="index")
        if gen.returncode or code or code2:
            self.fail(f"index of 1,500 rows: {err!r}")
        elif not re.search(r"^rows read\s+1,5\d\d\s", built, re.M) or not re.search(r"^records\s+1,5\d\d$", info, re.M):
            self.fail(f"numbers over 999 not grouped alike by index build and index info:\n{built}\n{info}")


def main():
    xj, case, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = Checks(xj, case, work)
    for step in (c.encoding, c.header_map, c.terminal, c.summary_and_report):
        step()
    for f in c.fails:
        print("FAIL", f)
    print("ok" if not c.fails else f"{len(c.fails)} failures")
    return 1 if c.fails else 0


if __name__ == "__main__":
    sys.exit(main())
