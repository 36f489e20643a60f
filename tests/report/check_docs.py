#!/usr/bin/env python3
"""check_docs — README, --help and the man page say the same thing.

usage: check_docs.py XJDEDUP SOURCE_ROOT BUILD_ROOT

  - every option in README's option tables (for scan, summary, id) is listed
    by `xjdedup CMD --help`, and every option --help lists is in the table;
  - every scan option is in xjdedup.1;
  - the commands of `xjdedup --help` are README's and the man page's;
  - meson installs xjdedup.1 as a section-1 man page;
  - the repository is self-contained: no file of the source tree (tracked, or
    new and not ignored) points at the old external specification (its
    relative path or its name in upper case), every "rules §N" citation (also
    "rules.md §N", "rules §N–§M", "rules §1, §5") names a section that
    docs/rules.md has, and every link to an anchor of docs/*.md exists.
"""
import json
import os
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def help_options(xj, cmd):
    text = subprocess.run([xj, cmd, "--help"], capture_output=True, text=True).stdout
    opts = set()
    for line in text.splitlines():
        m = re.match(r"^\s{1,8}(-[a-zA-Z], )?(--[a-z][a-z0-9-]*|-[a-zA-Z])\b", line)
        if m:
            if m.group(1):
                opts.add(m.group(1)[:2])
            opts.add(m.group(2))
    opts.discard("--")  # "end of options" is not an option
    return opts


def readme_tables(readme):
    """Options of the table that follows "For `CMD`", per command."""
    tables = {}
    lines = readme.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(?:`xjdedup COMMAND --help` .*)?For `(\w+)`", line) or re.search(r"For `(\w+)`", line)
        if not m:
            continue
        cmd = m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("|"):
            j += 1
        opts = set()
        while j < len(lines) and lines[j].startswith("|"):
            first = lines[j].split("|")[1]
            if "`" in first:
                opts.update(OPT.findall(first))
            j += 1
        tables[cmd] = opts
    return tables


# The old external specification: its path outside the repository, its file
# name and the way it was cited. Spelled in pieces so this file does not match.
FORBIDDEN = re.compile(("\\.\\./" + "shared|" + r"\bSP" + r"EC\b").encode())
# "rules §4", "rules.md §3–§6", "docs/rules.md, section 4", "rules §1, §5, §6"
CITE = re.compile(r"rules(?:\.md)?\]?(?:\([^)\s]*\))?,?\s*(?:§\s*|section\s+)(\d+)"
                  r"((?:\s*(?:[-–,]|and)\s*§\s*\d+)*)")
ANCHOR_LINK = re.compile(r"\]\(((?:[^()\s]*/)?(rules|decisions|generator|index-format)\.md)#([^)\s]+)\)")


def source_files(src):
    """Files of the source tree: git's tracked and untracked-but-not-ignored
    files when it is a checkout, else a walk without build dirs and .git."""
    try:
        r = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           capture_output=True)
    except OSError:  # no git
        r = None
    if r is not None and r.returncode == 0:
        return sorted({f for f in r.stdout.decode("utf-8", "surrogateescape").split("\0") if f})
    files = []
    for root, dirs, names in os.walk(src):
        dirs[:] = [d for d in dirs if d != ".git" and not d.startswith("build")]
        files += [os.path.relpath(os.path.join(root, n), src) for n in names]
    return sorted(files)


def md_anchors(text):
    """GitHub's anchors for a Markdown file's headings."""
    anchors = set()
    for line in text.splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            anchors.add(slug)
    return anchors


def check_self_contained(src):
    """No pointer outside the repository; citations and anchors of docs/*.md exist."""
    fails = []
    rules = open(os.path.join(src, "docs", "rules.md"), encoding="utf-8").read()
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", rules, re.M)}
    if sections != set(range(1, len(sections) + 1)) or len(sections) < 7:
        fails.append(f"docs/rules.md: numbered sections {sorted(sections)}, expected 1..7 or more without gaps")
    anchors = {}
    me = os.path.relpath(os.path.abspath(__file__), os.path.abspath(src))
    for rel in source_files(src):
        if rel == me:
            continue
        path = os.path.join(src, rel)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue  # listed by git but deleted in the work tree
        for m in FORBIDDEN.finditer(data):
            line = data.count(b"\n", 0, m.start()) + 1
            fails.append(f"{rel}:{line}: mentions '{m.group().decode()}'; cite docs/rules.md (rules §N) instead")
        if b"rules" not in data:
            continue
        text = data.decode("utf-8", "replace")
        for m in CITE.finditer(text):
            cited = [int(m.group(1))] + [int(n) for n in re.findall(r"§\s*(\d+)", m.group(2))]
            for n in cited:
                if n not in sections:
                    line = text.count("\n", 0, m.start()) + 1
                    fails.append(f"{rel}:{line}: cites rules §{n}, which docs/rules.md does not have")
        if rel.endswith(".md"):
            for m in ANCHOR_LINK.finditer(text):
                target = os.path.normpath(os.path.join(os.path.dirname(rel), m.group(1)))
                if target not in anchors:
                    try:
                        anchors[target] = md_anchors(open(os.path.join(src, target), encoding="utf-8").read())
                    except OSError:
                        anchors[target] = None
                if anchors[target] is None or m.group(3) not in anchors[target]:
                    line = text.count("\n", 0, m.start()) + 1
                    fails.append(f"{rel}:{line}: link to {target}#{m.group(3)}, which has no such heading")
    return fails


def main():
    xj, src, build = sys.argv[1:4]
    fails = []
    readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
    tables = readme_tables(readme)
    for cmd in ("scan", "summary", "id"):
        if cmd not in tables or not tables[cmd]:
            fails.append(f"README has no option table for {cmd}")
            continue
        helped = help_options(xj, cmd)
        for o in sorted(tables[cmd] - helped):
            fails.append(f"README lists {cmd} {o}, '{cmd} --help' does not")
        for o in sorted(helped - tables[cmd]):
            fails.append(f"'{cmd} --help' lists {o}, README's table does not")
    man = open(os.path.join(src, "xjdedup.1"), encoding="utf-8").read().replace("\\-", "-")
    for o in sorted(help_options(xj, "scan")):
        if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", man):
            fails.append(f"xjdedup.1 does not describe scan {o}")
    top = subprocess.run([xj, "--help"], capture_output=True, text=True).stdout
    commands = set(re.findall(r"^  (\w+)\s{2,}", top, re.M))
    if not commands:
        fails.append("xjdedup --help lists no commands")
    block = readme[readme.index("## Commands"):]
    block = block[: block.index("```", block.index("```") + 3)]
    in_readme = set(re.findall(r"^xjdedup (\w+)", block, re.M))
    if commands != in_readme:
        fails.append(f"commands: --help {sorted(commands)}, README {sorted(in_readme)}")
    for c in commands:
        if not re.search(r"\.B xjdedup " + c + r"\b", man):
            fails.append(f"xjdedup.1 lacks the command {c} in its synopsis")
    # meson installs the man page
    r = subprocess.run(["meson", "introspect", "--installed", build], capture_output=True, text=True)
    if r.returncode != 0:
        fails.append(f"meson introspect failed: {r.stderr.strip()}")
    else:
        installed = json.loads(r.stdout)
        if not any(os.path.basename(k) == "xjdedup.1" and v.endswith(os.path.join("man1", "xjdedup.1"))
                   for k, v in installed.items()):
            fails.append("meson does not install xjdedup.1 into man1")
    fails += check_self_contained(src)
    for f in fails:
        print("FAIL", f)
    print("ok" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
