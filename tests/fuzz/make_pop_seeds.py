#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the population fuzz corpora.

    tests/fuzz/make_pop_seeds.py XJDEDUP [FIXTURES_FUZZ_DIR]   (default: fixtures/fuzz)

fuzz_population's inputs are a mode byte, a parameter byte and one or two
extracts (tests/fuzz/fuzz_population.c says what the bytes mean);
fuzz_popindex's are a mode byte and a population index, built here with
XJDEDUP (`index build --population`, SOURCE_DATE_EPOCH=0) from small
extracts. Seeds are named seed-<what>, as in make_seeds.py, so running this
again only rewrites them. The .zst seeds of the raw mode are made with the
zstd CLI (several frames, no checksum, a skippable frame).
"""
import os
import subprocess
import sys
import tempfile

if len(sys.argv) < 2:
    sys.exit(__doc__)
XJDEDUP = sys.argv[1]
ROOT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "fuzz")
MARK = b"%%XJ%%"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_seeds import gb_id, zstd  # noqa: E402  (the other targets' seed helpers)

# fuzz_population's modes, per file (bits 0-1 the first, 2-3 the second)
PLAIN, ZSTD, CUT, RAW = 0, 1, 2, 3


def b(text):
    return text.encode("utf-8") if isinstance(text, str) else text


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def pop(name, first, how=PLAIN, param=0, second=None, how2=PLAIN):
    body = b(first) if second is None else b(first) + MARK + b(second)
    write("population", name, bytes([how | how2 << 2, param]) + body)


ID = [gb_id("110101", "20150301", "011"), gb_id("440106", "20140707", "022"), gb_id("110101", "20100101", "123"),
      gb_id("650102", "19991231", "999"), gb_id("110101", "20150301", "012")]
XID = next(gb_id("110101", "20120202", f"{k:03d}") for k in range(1000) if gb_id("110101", "20120202", f"{k:03d}")[-1] == "X")


def population_seeds():
    basic = "id_number,name\n" + "\n".join([
        f"{ID[0]},张三", f"{ID[1]},李四", f"{XID.lower()},王五", f" {ID[2]} ,阿卜杜·热合曼",
        "".join(chr(ord(c) + 0xFEE0) for c in ID[3]) + ",ＡＢＣ Smith"]) + "\n"
    pop("basic", basic)
    pop("basic-zstd", basic, ZSTD, 0)
    pop("basic-zstd-checksum-size", basic, ZSTD, 4 | 8 | 2)
    pop("basic-zstd-two-frames", basic, ZSTD, 16 | 4)
    pop("basic-cut-one", basic, CUT, 4)
    pop("basic-cut-half", basic, CUT, 4 | 8 | (4 << 5))
    pop("basic-cut-frame-boundary", basic, CUT, 16)
    pop("basic-raw-no-check", zstd(b(basic), "--no-check"), RAW)
    pop("basic-raw-frames", zstd(b(basic[:40])) + zstd(b(basic[40:]), "--no-check"), RAW)
    skip = bytes.fromhex("502a4d18") + (5).to_bytes(4, "little") + b"skip!"
    pop("basic-raw-skippable", skip + zstd(b(basic)) + skip, RAW)
    good = zstd(b(basic))
    pop("basic-raw-truncated", good[:-3], RAW)
    corrupt = bytearray(good)
    corrupt[len(corrupt) // 2] ^= 0x5A
    pop("basic-raw-corrupt", bytes(corrupt), RAW)
    pop("raw-empty", b"", RAW)
    pop("raw-only-skippable", skip, RAW)
    pop("raw-trailing-garbage", good + b"garbage", RAW)

    pop("chinese-headers", "序号,姓名,性别,身份证件号\n1,张三,男,%s\n2,张 三,男,%s\n" % (ID[0], ID[1]))
    pop("citizen-header", "公民身份号码,姓名\n%s,李四\n" % ID[2], ZSTD, 1)
    pop("id-card-header", "姓名,身份证号码\n李四,%s\n" % ID[2])
    pop("short-header", "name,身份证号\nx,%s\n" % ID[2])
    pop("bom-crlf", "\ufeff id_number , name \r\n%s,张三\r\n\r\n%s,李四\r\n" % (ID[0], ID[1]))
    pop("blank-lines", "\n \t\nid_number,name\n\n%s,张三\n  \n" % ID[0])
    several = "id_number,name\n" + "\n".join([
        f"{ID[0]},张三", f"{ID[0]},张 三", f"{ID[0]},张小三", f"{ID[0]},张三丰", f"{ID[1]},李四", f"{ID[1]},李四",
        f"{ID[4]},a·b", f"{ID[4]},a•b", f"{ID[4]},A・B", f"{ID[3]},x", f"{ID[3]},y"]) + "\n"
    pop("several-names", several)
    pop("several-names-zstd", several, ZSTD, 3 | 4)
    pop("quoted", 'id_number,name,note\n"%s","张,三","多行\n说明"\n%s,"李""四""",\n' % (ID[0], ID[1]))
    pop("quoted-zstd", 'id_number,name\n"%s","张\r\n三"\n' % ID[0], ZSTD, 8)
    pop("two-files", basic, second="姓名,身份证件号\n张三,%s\n另一个,%s\n" % (ID[0], ID[1]))
    pop("two-files-zstd", several, ZSTD, 4, "id_number,name\n%s,张三\n" % ID[2], CUT)
    pop("two-files-raw", basic, PLAIN, 0, zstd(b(several)), RAW)
    pop("header-only", "id_number,name\n")
    pop("header-only-zstd", "id_number,name", ZSTD, 0)
    many = "id_number,name\n" + "".join(
        f"{gb_id('110101', '2015%02d%02d' % (1 + k % 12, 1 + k % 28), '%03d' % (k % 1000))},名{k % 7}\n"
        for k in range(3000))
    pop("many-rows", many)
    pop("many-rows-zstd", many, ZSTD, 1 | 4 | 16)
    pop("long-name", "id_number,name\n%s,%s\n" % (ID[0], "张" * 20000))

    # refused
    pop("empty", "")
    pop("blank-only", "\n\n  \n")
    pop("missing-name", "id_number,姓\n%s,张\n" % ID[0])
    pop("missing-id", "身份证,name\n%s,张\n" % ID[0])
    pop("two-id-columns", "id_number,name,身份证号\n%s,张,%s\n" % (ID[0], ID[0]))
    pop("field-count", "id_number,name\n%s,张三,x\n" % ID[0])
    pop("short-id", "id_number,name\n%s,张三\n" % ID[0][:17])
    pop("letters-id", "id_number,name\n11010120150301A01X,张三\n")
    pop("empty-name", "id_number,name\n%s, \u3000 \n" % ID[0])
    pop("gbk-name", b"id_number,name\n" + ID[0].encode() + b"," + "张三".encode("gb18030") + b"\n")
    pop("nul", b"id_number,name\n" + ID[0].encode() + b",a\x00b\n")
    pop("bad-quote", 'id_number,name\n%s,张"三\n' % ID[0])
    pop("unclosed-quote", 'id_number,name\n%s,"张三\n' % ID[0])
    pop("line-too-long", "id_number,name,x\n%s,张三,%s\n" % (ID[0], "x" * 66000))
    pop("many-values", "id_number,name" + ",x" * 4100 + "\n")
    pop("value-too-long", 'id_number,name\n%s,"%s"\n' % (ID[0], ("张" * 300 + "\n") * 80))
    pop("second-bad", basic, second="id_number,name\n%s,\n" % ID[0])


def index_seeds():
    with tempfile.TemporaryDirectory() as tmp:
        def build(name, *extracts):
            paths = []
            for i, text in enumerate(extracts):
                paths.append(os.path.join(tmp, f"{name}-{i}.csv"))
                with open(paths[-1], "wb") as f:
                    f.write(b(text))
            out = os.path.join(tmp, name + ".xjp")
            args = [XJDEDUP, "index", "build", "-o", out]
            for p in paths:
                args += ["--population", p]
            subprocess.run(args, check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, SOURCE_DATE_EPOCH="0"))
            with open(out, "rb") as f:
                data = f.read()
            write("popindex", name, b"\0" + data)
            write("popindex", name + "-fixed", b"\1" + data)
            return data

        build("empty", "id_number,name\n")
        build("one", "id_number,name\n%s,张三\n" % ID[0])
        build("several-names", "id_number,name\n" + "".join(
            f"{ID[k % 5]},名{k % 3}\n" for k in range(12)))
        build("two-sources", "id_number,name\n%s,张三\n" % ID[0], "姓名,身份证号\n李四,%s\n张三,%s\n" % (ID[1], ID[0]))
        rows = "".join(f"{gb_id('110101', '2015%02d%02d' % (1 + k % 12, 1 + k % 28), '%03d' % (k % 1000))},名{k % 5}\n"
                       for k in range(300))
        data = build("300", "id_number,name\n" + rows)
        build("1800", "id_number,name\n" + "".join(
            f"{gb_id('3201%02d' % (k % 100), '2009%02d%02d' % (1 + k % 12, 1 + k % 28), '%03d' % (k % 997))},n{k % 3}\n"
            for k in range(1800)))
        write("popindex", "300-truncated", b"\0" + data[:-5])
        write("popindex", "300-truncated-fixed", b"\1" + data[: len(data) // 2])
        flipped = bytearray(data)
        flipped[200] ^= 1
        write("popindex", "300-flipped", b"\0" + bytes(flipped))
        write("popindex", "300-flipped-fixed", b"\1" + bytes(flipped))
        write("popindex", "magic-only", b"\1XJDPOP\r\n")
        write("popindex", "empty-file", b"\1")


if __name__ == "__main__":
    population_seeds()
    index_seeds()
