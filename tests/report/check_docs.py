#!/usr/bin/env python3
"""check_docs — README, --help and the man page say the same thing.

usage: check_docs.py XJDEDUP SOURCE_ROOT BUILD_ROOT

  - every option in README's option tables (for scan, summary, id) is listed
    by `xjdedup CMD --help`, and every option --help lists is in the table;
  - every scan option is in xjdedup.1;
  - the commands of `xjdedup --help` are README's and the man page's;
  - meson installs xjdedup.1 as a section-1 man page.
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
    for f in fails:
        print("FAIL", f)
    print("ok" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
