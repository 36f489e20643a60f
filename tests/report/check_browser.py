#!/usr/bin/env python3
"""check_browser — report.html in a real browser (headless Chromium).

usage: check_browser.py XJDEDUP BASIC_CASE_DIR WORKDIR

For two outputs (the hand-made basic case and a made-up input with many
schools, provinces and hostile names): Chromium loads report.html with
every host name unresolvable, and
  - logs no console message, no failed load and no network error;
  - its DOM (--dump-dom, after rendering) shows summary.json's numbers;
  - takes a screenshot (kept as WORKDIR/*.png) that is a real, non-blank
    PNG of the page.
Chromium comes from Debian's `chromium` package; when it is missing and we
are root, it is installed here (tools/test.sh installs it up front through
tools/deps.sh with XJ_DEPS_EXTRA). Without it and without root: skip (77).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_lib as rl  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars"]


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def ensure_chromium():
    p = find_chromium()
    if p or os.geteuid() != 0 or not shutil.which("apt-get"):
        return p
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-wqy-zenhei"],
                   env=env, capture_output=True, timeout=900)
    return find_chromium()


def chromium(browser, args, work):
    profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
    try:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_check(path):
    """(width, height, distinct colours seen) of an 8-bit RGB/RGBA PNG; the
    colours are sampled from the first decoded scanlines (filters undone)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or ctype not in (2, 6):
        return width, height, -1
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(min(height, 700)):  # the top of the page is enough to see it is drawn
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 7 == 0:
            for x in range(0, width, 5):
                colours.add(bytes(line[x * bpp:x * bpp + 3]))
        prev = line
    return width, height, len(colours)


def check_one(browser, out, work, name, fails):
    url = "file://" + os.path.abspath(os.path.join(out, "report.html"))
    summary = rl.load_summary(out)
    # the DOM after loading and rendering, with the console on stderr
    r = chromium(browser, ["--enable-logging=stderr", "--v=0", "--dump-dom", url], work)
    log = r.stderr.decode("utf-8", "replace")
    if r.returncode != 0 or b"</html>" not in r.stdout:
        fails.append(f"{name}: chromium --dump-dom failed (exit {r.returncode}): {log[-400:]}")
        return
    for pat in (r"CONSOLE", r"Uncaught", r"Failed to load resource", r"net::ERR_", r"Refused to"):
        for line in log.splitlines():
            if re.search(pat, line):
                fails.append(f"{name}: browser log: {line.strip()[:200]}")
    dom = rl.read_report(r.stdout.decode("utf-8"))
    rl.compare_report(dom, summary, fails)
    if "tile-map" not in dom.text and 'id="tile-map"' not in r.stdout.decode("utf-8"):
        fails.append(f"{name}: the DOM has no tile map")
    # the screenshot
    shot = os.path.join(work, name + ".png")
    if os.path.exists(shot):
        os.remove(shot)
    r = chromium(browser, [f"--screenshot={shot}", "--window-size=1200,2400", url], work)
    if r.returncode != 0 or not os.path.exists(shot):
        fails.append(f"{name}: no screenshot (exit {r.returncode}): {r.stderr.decode('utf-8', 'replace')[-300:]}")
        return
    info = png_check(shot)
    if info is None or info[:2] != (1200, 2400):
        fails.append(f"{name}: screenshot is not a 1200x2400 PNG: {info}")
    elif 0 <= info[2] < 8:
        fails.append(f"{name}: screenshot looks blank ({info[2]} colours)")
    print(f"{name}: screenshot {shot} {info}")


def main():
    xj, case, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    browser = ensure_chromium()
    if browser is None:
        print("SKIP: no chromium (install Debian's chromium, or run tools/test.sh)")
        return 77
    fails = []
    basic = os.path.join(work, "basic")
    rl.scan(xj, [os.path.join(case, "students.csv")], basic)
    check_one(browser, basic, work, "basic", fails)
    inp = os.path.join(work, "input.csv")
    rl.make_input(inp)
    many = os.path.join(work, "many")
    rl.scan(xj, [inp], many)
    check_one(browser, many, work, "many", fails)
    for f in fails:
        print("FAIL", f)
    print("ok" if not fails else f"{len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
