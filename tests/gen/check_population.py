#!/usr/bin/env python3
"""check_population — `xjdedup gen --population`: a population extract with
known differences, and its truth against the files (docs/population.md,
docs/generator.md "Population extracts").

usage: check_population.py XJDEDUP WORKDIR --oracle XJREF [--rows N] [--seed S]
                           [--run-date D] [--changes PCT] [--extract NAME]
                           [--messy] [--encoding gbk] [--expect-shared]
                           [other gen options...]

XJDEDUP generates REG.csv and the extract NAME (ext.csv by default; .zst
for zstd) with --threads 1 and 2: the register, the extract and
NAME.truth.json must be byte-identical, and the register must be what gen
writes without --population followed by the truth's appended rows. Then,
reading the files on their own — the register with xjcheck.py (rules §3-§4),
the extract as population.md §1 says, names and numbers normalized with the
functions of the reference (tests/oracle/xjref.py) — every claim of the
truth is checked:

  extract     — the header, every number of GB 11643 shape once normalized,
                no empty name; the counts of data rows, (number, name)
                entries, numbers, numbers with several names and people who
                are in no record equal the truth's; the rows are shuffled
                (register order is not kept); numbers with spaces, U+3000,
                full-width digits and a lower-case x, quoted fields, an
                ignored column holding a comma and a doubled quote; with
                --messy a BOM, CRLF and blank lines; a .zst extract has
                several frames when the register has several blocks.
  numbers     — every number the truth says is left out is absent; listed
                under another name: that name differs once normalized (some
                of them a dotted name without its dot); listed in another
                form, or twice: the lines for it are exactly the written
                forms, each changed by normalization and equal to the name
                once normalized (twice with another name: both names);
                every form of §3 occurs (spaces inside and around, U+3000,
                U+00A0, the five middle-dot variants, Latin upper, lower,
                full-width, without space, case swapped).
  rows        — computed here from the two files (records compared: accepted,
                checks 1-7 pass, GB key; not_found when the number is absent,
                name_mismatch when no name listed for it equals the record's):
                exactly the truth's expected_rows, and the truth's count of
                records compared; every normalized_matches record is among
                the compared ones, not flagged, its number listed in a form
                other than its name.
  assignments — computed here: every accepted record whose student number
                starts with L, with its basis under --attr-scope noid and
                mixed (id_invalid from §4 and the two reasons, ID groups,
                attribute groups, suspected duplicates) equals the truth's,
                and every planted case is there with the basis it is for.
"""
import argparse
import collections
import csv
import io
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xjcheck  # noqa: E402

xjref = None  # tests/oracle/xjref.py, imported from --oracle
COLS = xjcheck.GEN_COLUMNS
GB = re.compile(r"[0-9]{17}[0-9X]\Z")
DOT_VARIANTS = {"\u2022": "U+2022", "\u2027": "U+2027", "\u2219": "U+2219", "\u30fb": "U+30FB", "\uff65": "U+FF65"}
CASE_BASIS = {  # planted case: (basis noid, basis mixed, why, expected row)
    "l_verified": ("id_verified", "id_verified", "", None),
    "l_dotted": ("id_verified", "id_verified", "", None),
    "l_permit": ("id_verified", "id_verified", "", None),
    "l_not_found": ("", "", "not_found", "not_found"),
    "l_name_mismatch": ("", "", "name_mismatch", "name_mismatch"),
    "l_noid_unique": ("no_id_unique", "no_id_unique", "", None),
    "l_noid_attr": ("", "", "attr_duplicate", None),
    "l_id_dup": ("", "", "id_duplicate", None),
    "l_mixed": ("id_verified", "", "", None),
    "l_type9": ("", "", "id_type", None),
    "l_invalid": ("", "", "id_invalid", None),
}

failures = []


def fail(msg):
    failures.append(msg)
    if len(failures) <= 40:
        print("FAIL:", msg)


def read_bytes(path):
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- generate

def gen_cmd(args, out, threads, population):
    cmd = [args.xjdedup, "gen", "-q", "--rows", str(args.rows), "--seed", str(args.seed), "--run-date", args.run_date,
           "--threads", str(threads), "--encoding", args.encoding, "-o", out] + (["--messy"] if args.messy else []) + \
        args.gen_options
    if population:
        cmd += ["--population", population, "--population-changes", str(args.changes)]
    return cmd


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("gen failed: %s\n%s" % (" ".join(cmd), r.stderr))
        sys.exit(1)


def generate(args):
    dirs = []
    for t in (1, 2):
        d = os.path.join(args.workdir, "t%d" % t)
        os.makedirs(d, exist_ok=True)
        run(gen_cmd(args, os.path.join(d, "reg.csv"), t, os.path.join(d, args.extract)))
        dirs.append(d)
    for name in ("reg.csv", args.extract, args.extract + ".truth.json"):
        with open(os.path.join(dirs[0], name), "rb") as a, open(os.path.join(dirs[1], name), "rb") as b:
            if a.read() != b.read():
                fail("%s differs between --threads 1 and 2" % name)
    plain = os.path.join(args.workdir, "plain.csv")
    run(gen_cmd(args, plain, 2, None))
    return os.path.join(dirs[0], "reg.csv"), os.path.join(dirs[0], args.extract), plain


# ---------------------------------------------------------------- the register

def read_register(path, encoding, run_date):
    recs = []
    for line, header, row in xjcheck.read_records(path, encoding):
        v = dict(zip(header, row))
        typ = xjcheck.id_type(v[COLS["type"]])
        r = {"line": line, "accepted": len(row) == len(header), "sno": v[COLS["sno"]].strip(),
             "school": v[COLS["school"]].strip(), "type_raw": v[COLS["type"]], "type": typ,
             "id": xjref.norm_id(v[COLS["id"]]), "name": xjref.norm_name(v[COLS["name"]]),
             "sex": xjcheck.norm_sex(v[COLS["sex"]]), "birth": xjcheck.norm_date(v[COLS["birth"]]),
             "reason": xjcheck.record_reason(v[COLS["id"]], typ, v[COLS["sex"]], v[COLS["birth"]], run_date),
             "key": xjcheck.id_key(v[COLS["id"]], typ)}
        if r["name"] != xjcheck.norm_name(v[COLS["name"]]):
            fail("line %d: the reference and xjcheck normalize the name %r differently" % (line, v[COLS["name"]]))
        r["gb"] = r["key"] is not None and r["key"][0] == "GB"
        r["compared"] = r["accepted"] and r["reason"] == "ok" and r["gb"]
        recs.append(r)
    return recs


def check_prefix(reg, plain, truth, encoding):
    a, b = read_bytes(reg), read_bytes(plain)
    if not a.startswith(b):
        fail("the register with --population does not begin with what gen writes without it")
        return
    text = a[len(b):].decode("gb18030" if encoding == "gbk" else "utf-8")
    n = sum(1 for row in csv.reader(io.StringIO(text, newline="")) if row)
    if n != truth["appended_rows"]:
        fail("%d rows after the base population, the truth says %d" % (n, truth["appended_rows"]))


# ---------------------------------------------------------------- the extract

def read_extract(path, messy, several_blocks):
    data = read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf") != messy:
        fail("extract: BOM %s with messy=%s" % (data.startswith(b"\xef\xbb\xbf"), messy))
    if (b"\r\n" in data) != messy or (messy and data.count(b"\n") != data.count(b"\r\n")):
        fail("extract: line ends are not %s" % ("CRLF" if messy else "LF"))
    if path.endswith(".zst") and several_blocks:
        out = subprocess.run(["zstd", "-l", path], check=True, capture_output=True, text=True).stdout.splitlines()
        frames = int(out[1].split()[0]) if len(out) > 1 else 0
        if frames < 2:
            fail("extract: %d zstd frame(s) for several blocks" % frames)
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    first = next(reader)
    if (" name " in first) != messy:
        fail("extract header %r: spaces around a name are for --messy" % first)
    header = [h.strip() for h in first]
    if header != ["id_number", "name", "birth_date"]:
        fail("extract header %r" % header)
    ext = collections.defaultdict(set)     # number -> normalized names
    raw = collections.defaultdict(list)    # number -> names as written
    order = []
    blank = 0
    noise = collections.Counter()
    for row in reader:
        if not row:
            blank += 1
            continue
        if len(row) != 3:
            fail("extract line %d: %d fields" % (reader.line_num, len(row)))
            continue
        num, name = xjref.norm_id(row[0]), xjref.norm_name(row[1])
        if not GB.match(num):
            fail("extract line %d: number %r is not of GB 11643 shape" % (reader.line_num, row[0]))
        if not name:
            fail("extract line %d: empty name" % reader.line_num)
        if name != xjcheck.norm_name(row[1]):
            fail("extract line %d: the reference and xjcheck normalize %r differently" % (reader.line_num, row[1]))
        ext[num].add(name)
        raw[num].append(row[1])
        order.append(num)
        for label, hit in (("space", " " in row[0].strip(" ")), ("U+3000", "\u3000" in row[0]),
                           ("full-width", any(0xFF10 <= ord(c) <= 0xFF3A for c in row[0])),
                           ("lower x", row[0].endswith("x")), ("outer spaces", row[0].startswith(" ")),
                           ("comma in ignored column", "," in row[2]), ("quote in ignored column", '"' in row[2])):
            noise[label] += hit
    noise["quoted number or name"] = len(re.findall(r'(^|,)"[0-9\uff10-\uff19 ]', text, re.M)) + \
        len(re.findall(r',"[^0-9",]', text))
    for label, n in sorted(noise.items()):
        if n == 0:
            fail("extract: no line with %s" % label)
    if messy and blank == 0:
        fail("extract: no blank line with --messy")
    if not messy and blank:
        fail("extract: %d blank lines without --messy" % blank)
    return ext, raw, order, noise


# ---------------------------------------------------------------- the checks

def name_forms(w):
    """The §3 forms a written name shows."""
    forms = set()
    core = w.strip(" \u3000")
    if w != core:
        forms.add("outer spaces")
    if " " in core:
        forms.add("space inside")
    if "\u3000" in core:
        forms.add("U+3000 inside")
    if "\u00a0" in w:
        forms.add("U+00A0")
    for c, label in DOT_VARIANTS.items():
        if c in w:
            forms.add(label)
    letters = [c for c in w if c.isalpha() and ord(c) < 0x250]
    if any(0xFF21 <= ord(c) <= 0xFF5A for c in w):
        forms.add("full-width Latin")
    if letters and all(c.isupper() for c in letters):
        forms.add("Latin upper")
    if letters and all(c.islower() for c in letters):
        forms.add("Latin lower")
    if letters and " " not in w and "\u3000" not in w and not forms:
        forms.add("Latin without space")
    if letters and len(letters) > 2 and letters[0].islower() and any(c.isupper() for c in letters[1:]):
        forms.add("Latin case swapped")
    return forms


def check_numbers(truth, ext, raw):
    forms = collections.Counter()
    plans = collections.Counter()
    dot_dropped = 0
    shared = {s["id"] for s in truth["shared_numbers"]}
    for n in truth["numbers"]:
        num, plan, name, written = n["id"], n["plan"], n["name"], n["written"]
        plans[plan] += 1
        if num in shared:
            continue
        if plan == "left_out":
            if num in ext:
                fail("number %s is left out in the truth, listed in the extract" % num)
            continue
        if sorted(raw.get(num, [])) != sorted(written):
            fail("number %s (%s): the extract writes %r, the truth %r" % (num, plan, raw.get(num), written))
            continue
        normalized = [xjref.norm_name(w) for w in written]
        if plan == "changed":
            if normalized[0] == name:
                fail("number %s: the changed name %r is its name once normalized" % (num, written[0]))
            if normalized[0] == name.replace("\u00b7", ""):
                dot_dropped += 1
        elif plan in ("variant", "twice_same"):
            if any(x != name for x in normalized):
                fail("number %s (%s): %r is not %r once normalized" % (num, plan, written, name))
            if plan == "variant" and xjref.norm_name(written[0]) == written[0]:
                fail("number %s: variant %r is written as normalized" % (num, written[0]))
        elif plan == "twice_other":
            if normalized[0] != name or normalized[1] == name:
                fail("number %s: twice_other %r for %r" % (num, written, name))
        if plan in ("variant", "twice_same"):
            for w in written:
                if xjref.norm_name(w) != w:
                    forms.update(name_forms(w))
    for plan in ("left_out", "changed", "variant", "twice_same", "twice_other"):
        if plans[plan] == 0:
            fail("no number with plan %s" % plan)
    for label in ("space inside", "U+3000 inside", "U+00A0", "outer spaces", "full-width Latin", "Latin upper",
                  "Latin lower", "Latin without space", "Latin case swapped") + tuple(DOT_VARIANTS.values()):
        if forms[label] == 0:
            fail("no name written with %s" % label)
    if dot_dropped == 0:
        fail("no dotted name listed without its dot")
    print("numbers: %s; forms: %s; dotted names without their dot: %d"
          % (dict(plans), dict(sorted(forms.items())), dot_dropped))


def suspect_lines(recs):
    """Records in a suspected-duplicate group (rules §9): a type 1/9 GB-shaped
    number with a wrong check character, one slip from a number with a right
    one that a record of the same name, sex and birth date holds as a number
    passing checks 1-5."""
    holders = collections.defaultdict(list)
    for r in recs:
        if r["accepted"] and r["gb"] and xjcheck.gb_reason(r["id"], RUN_DATE_INT, r["type"] == "9") == "ok":
            holders[r["id"]].append(r)
    out = set()
    for a in recs:
        n = a["id"]
        if not (a["accepted"] and a["gb"] and GB.match(n) and xjcheck.check_char(n[:17]) != n[17]):
            continue
        cands = set()
        for i in range(17):
            for d in "0123456789":
                if d != n[i]:
                    cands.add(n[:i] + d + n[i + 1:17])
            if i < 16 and n[i] != n[i + 1]:
                cands.add(n[:i] + n[i + 1] + n[i] + n[i + 2:17])
        cands.add(n[:17])
        if n[16] != n[17] and n[17] != "X":
            cands.add(n[:16] + n[17])
        for c17 in cands:
            for b in holders.get(c17 + xjcheck.check_char(c17), []):
                if (b["name"], b["sex"], b["birth"]) == (a["name"], a["sex"], a["birth"]):
                    out.add(a["line"])
                    out.add(b["line"])
    return out


RUN_DATE_INT = 0


def check_truth(truth, recs, ext, raw, order, args):
    by_line = {r["line"]: r for r in recs}
    accepted = [r for r in recs if r["accepted"]]
    # the extract's counts
    reg_ids = {r["id"] for r in recs if r["gb"]}
    got = {"rows": len(order), "entries": sum(len(v) for v in ext.values()), "ids": len(ext),
           "ids_with_several_names": sum(1 for v in ext.values() if len(v) >= 2),
           "added_people": sum(1 for n in ext if n not in reg_ids)}
    if got != truth["extract"]:
        fail("extract counts %s, the truth says %s" % (got, truth["extract"]))
    for s in truth["shared_numbers"]:  # natural collisions: owners of one number
        lines = [o["line"] for o in s["owners"]]
        if len(lines) < 2 or any(by_line.get(x, {}).get("id") != s["id"] for x in lines):
            fail("shared number %s: owners at lines %s do not hold it" % (s["id"], lines))
    several = {n for n, v in ext.items() if len(v) >= 2}
    if several != {s["id"] for s in truth["several_names"]}:
        fail("numbers with several names differ from the truth's (%d vs %d)" % (len(several), len(truth["several_names"])))
    # shuffled: consecutive extract rows of register numbers are in register order about half of the time
    pos = {}
    for r in recs:
        if r["gb"]:
            pos.setdefault(r["id"], r["line"])
    seq = [pos[n] for n in order if n in pos]
    up = sum(1 for a, b in zip(seq, seq[1:]) if b > a)
    if len(seq) > 100 and not 0.3 < up / (len(seq) - 1) < 0.7:
        fail("extract order follows the register (%d of %d steps forward)" % (up, len(seq) - 1))
    # expected rows
    want = {}
    compared = 0
    for r in accepted:
        if not r["compared"]:
            continue
        compared += 1
        if r["id"] not in ext:
            want[r["line"]] = "not_found"
        elif r["name"] not in ext[r["id"]]:
            want[r["line"]] = "name_mismatch"
    if compared != truth["compared"]:
        fail("%d records compared, the truth says %d" % (compared, truth["compared"]))
    have = {}
    for e in truth["expected_rows"]:
        have[e["line"]] = e["reason"]
        r = by_line.get(e["line"])
        if e["source"] != "reg.csv" or r is None or (r["sno"], r["school"], r["id"], r["name"]) != \
                (e["student_no"], e["school_code"], e["id"], e["name"]):
            fail("expected row at line %d is not the record there: %s" % (e["line"], e))
    for line in sorted(set(want) | set(have)):
        if want.get(line) != have.get(line):
            fail("line %d: the files give %s, the truth %s" % (line, want.get(line), have.get(line)))
    why = collections.Counter((e["reason"], e["why"]) for e in truth["expected_rows"])
    for need in (("not_found", "left_out"), ("name_mismatch", "changed"), ("name_mismatch", "other_name")):
        if why[need] == 0:
            fail("no expected row %s/%s" % need)
    # records not flagged though their name is written otherwise in the extract
    plans = collections.Counter()
    for m in truth["normalized_matches"]:
        r = by_line.get(m["line"])
        plans[m["plan"]] += 1
        if r is None or not r["compared"] or m["line"] in want:
            fail("normalized match at line %d is not a compared record without a row" % m["line"])
            continue
        if r["name"] not in ext.get(r["id"], ()):
            fail("normalized match at line %d: %r not listed for %s" % (m["line"], r["name"], r["id"]))
        if sorted(raw.get(r["id"], [])) != sorted(m["written"]):
            fail("normalized match at line %d: the extract writes %r, the truth %r"
                 % (m["line"], raw.get(r["id"]), m["written"]))
        if m["plan"] == "variant" and m["written"][0] == r["name"]:
            fail("normalized match at line %d: written as the normalized name" % m["line"])
        if m["plan"] != "variant" and len(m["written"]) != 2:
            fail("normalized match at line %d: listed %d times" % (m["line"], len(m["written"])))
    for plan in ("variant", "twice_same", "twice_other"):
        if plans[plan] == 0:
            fail("no normalized match of plan %s" % plan)
    check_assignments(truth, recs, want, ext)
    print("expected rows: %s; normalized matches: %s; compared %d" % (dict(why), dict(plans), compared))


def check_assignments(truth, recs, pop_reason, ext):
    accepted = [r for r in recs if r["accepted"]]
    ids = collections.Counter(r["key"] for r in accepted if r["key"] is not None)
    attr = collections.Counter((r["name"], r["sex"], r["birth"]) for r in accepted)
    attr_noid = collections.Counter((r["name"], r["sex"], r["birth"]) for r in accepted if r["id"] == "")
    suspects = suspect_lines(recs)
    want = {}
    for r in accepted:
        if not r["sno"].startswith("L"):
            continue
        k = (r["name"], r["sex"], r["birth"])
        common = r["reason"] != "ok" or r["line"] in pop_reason or r["line"] in suspects or \
            (r["key"] is not None and ids[r["key"]] >= 2)
        in_noid = r["id"] == "" and attr_noid[k] >= 2
        in_mixed = attr[k] >= 2 and attr_noid[k] >= 1
        bases = []
        for attr_group in (in_noid, in_mixed):
            if common or attr_group:
                bases.append("")
            elif r["type"] == "1" and r["id"] != "":
                bases.append("id_verified")
            elif r["type"] == "Z" and r["id"] == "":
                bases.append("no_id_unique")
            else:
                bases.append("")
        want[r["line"]] = (bases[0], bases[1], "G" + r["id"] if bases[0] == "id_verified" else "")
    have = {a["line"]: (a["basis"], a["basis_mixed"], a["new_student_no"]) for a in truth["assignments"]}
    for line in sorted(set(want) | set(have)):
        if want.get(line) != have.get(line):
            fail("L record at line %d: the files give %s, the truth %s" % (line, want.get(line), have.get(line)))
    by_line = {r["line"]: r for r in recs}
    per_case = collections.Counter()
    for a in truth["assignments"]:
        if a["case"] in CASE_BASIS:
            b, bm, why, row = CASE_BASIS[a["case"]]
            per_case[a["case"]] += 1
            if (a["basis"], a["basis_mixed"], a["why"]) != (b, bm, why) or pop_reason.get(a["line"]) != row:
                fail("planted %s at line %d: basis %s/%s why %s row %s" % (a["case"], a["line"], a["basis"],
                     a["basis_mixed"], a["why"], pop_reason.get(a["line"])))
            r = by_line[a["line"]]
            if a["case"] == "l_permit" and (r["id"][:6] not in xjcheck.PERMITS or r["type_raw"] != "港澳台居民居住证"):
                fail("planted l_permit at line %d: %s under type %r" % (a["line"], r["id"], r["type_raw"]))
            if a["case"] == "l_type9" and (r["type"] != "9" or not GB.match(r["id"]) or r["id"] not in ext):
                fail("planted l_type9 at line %d: %s of type %s, listed %s" % (a["line"], r["id"], r["type"],
                                                                             r["id"] in ext))
    k = truth["planted_per_case"]
    for case in CASE_BASIS:
        need = 2 * k if case in ("l_noid_attr", "l_id_dup") else k
        if per_case[case] != need:
            fail("%d L records of case %s, %d planted" % (per_case[case], case, need))
    bases = collections.Counter((a["case"] == "base", a["basis"], a["basis_mixed"]) for a in truth["assignments"])
    if bases[(True, "id_verified", "id_verified")] == 0:
        fail("no base L record with basis id_verified")
    print("assignments: %s" % dict(bases))


def main():
    global xjref, RUN_DATE_INT
    ap = argparse.ArgumentParser()
    ap.add_argument("xjdedup")
    ap.add_argument("workdir")
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--run-date", default="2026-11-28")
    ap.add_argument("--changes", default="5")
    ap.add_argument("--extract", default="ext.csv")
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--encoding", default="utf-8")
    ap.add_argument("--expect-shared", action="store_true", help="numbers two owners hold must occur")
    args, args.gen_options = ap.parse_known_args()  # the others go to gen as they are
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.oracle)))
    import xjref as ref
    xjref = ref
    RUN_DATE_INT = int(args.run_date.replace("-", ""))
    reg, extract, plain = generate(args)
    import json
    with open(extract + ".truth.json", encoding="utf-8") as f:
        truth = json.load(f)
    if (truth["input"], truth["population"], truth["rows"]) != ("reg.csv", args.extract, args.rows):
        fail("truth header: %s %s %s" % (truth["input"], truth["population"], truth["rows"]))
    if args.expect_shared and not truth["shared_numbers"]:
        fail("no number held by two owners (raise --rows or --local-migrant-rate)")
    check_prefix(reg, plain, truth, args.encoding)
    recs = read_register(reg, args.encoding, RUN_DATE_INT)
    ext, raw, order, noise = read_extract(extract, args.messy, args.rows > 32768)
    check_numbers(truth, ext, raw)
    check_truth(truth, recs, ext, raw, order, args)
    print("extract: %s; noise: %s" % (truth["extract"], dict(noise)))
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("OK")
    shutil.rmtree(args.workdir, ignore_errors=True)  # a passing run's files go: CI's disk is small; a failing run keeps them to look at


if __name__ == "__main__":
    main()
