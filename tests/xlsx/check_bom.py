#!/usr/bin/env python3
"""check_bom — per-school CSVs that Excel opens in the right encoding
(issue 15, item 4).

usage: check_bom.py XJDEDUP WORKDIR

On check_xlsx.py's input:
  - a per-school CSV with Chinese headers starts with the UTF-8 BOM EF BB BF,
    and after it is the same text as the GB 18030 file;
  - problems.csv never has one (and never changes with the options); the
    --headers en files have none (they are for programs) unless --excel asks;
    a GB 18030 file never has one;
  - schools/README.txt no longer promises that a CSV opens intact in Excel:
    it points to the .xlsx of --xlsx and to 数据→自文本 with 文本 columns.
Exit 0 when all hold; each failure is printed as a FAIL line.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_xlsx as cx  # noqa: E402  (the input and the helpers)

BOM = cx.BOM


def check(c, base, en, gbk, excel_en):
    schools = [k for k in base if k.startswith("schools" + os.sep) and k.endswith(".csv")]
    if not schools:
        c.fail("no per-school CSV")
    for k in schools:
        if not base[k].startswith(BOM):
            c.fail(f"the Chinese per-school file {k} does not start with EF BB BF")
        if en[k].startswith(BOM):
            c.fail(f"the --headers en file {k} starts with a BOM")
        if gbk[k].startswith(BOM):
            c.fail(f"the GB 18030 file {k} starts with a BOM")
        if not excel_en[k].startswith(BOM):
            c.fail(f"the --excel --headers en file {k} has no BOM")
        if base[k][3:].decode("utf-8") != gbk[k].decode("gb18030"):
            c.fail(f"{k} after its BOM is not the GB 18030 file's text")
    for files in (base, en, gbk, excel_en):
        if files["problems.csv"].startswith(BOM) or files["problems.csv"] != base["problems.csv"]:
            c.fail("problems.csv starts with a BOM or changed with the per-school options")
    readme = base[os.path.join("schools", "README.txt")].decode("utf-8")
    for want in (".xlsx", "--xlsx", "自文本", "“文本”", "带 BOM"):
        if want not in readme:
            c.fail(f"schools/README.txt does not mention {want!r}")
    if "可直接用 Excel 打开" in readme or "可直接用旧版 Excel 打开" in readme:
        c.fail("schools/README.txt still promises that a CSV opens intact in Excel")
    gbk_readme = gbk[os.path.join("schools", "README.txt")].decode("gb18030")
    if "可直接用旧版 Excel 打开" in gbk_readme or "GB18030" not in gbk_readme:
        c.fail("the GB 18030 README.txt promises Excel opens it, or does not name GB18030 for the import")


def main():
    c = cx.Checker(sys.argv, __doc__)
    outs = {}
    for label, args in (("zh", []), ("en", ["--headers", "en"]), ("gbk", ["--output-encoding", "gbk"]),
                        ("excel_en", ["--excel", "--headers", "en"])):
        d = os.path.join(c.work, label)
        if c.scan(d, *args):
            outs[label] = cx.tree(d)
    if len(outs) == 4:
        check(c, outs["zh"], outs["en"], outs["gbk"], outs["excel_en"])
    c.finish()


if __name__ == "__main__":
    main()
