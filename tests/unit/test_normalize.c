/*
 * test_normalize — rules §3 normalization of ID numbers and names.
 *
 * Expected outputs are written out by hand from the Unicode tables (NFKC of
 * U+F900 is U+8C48, of U+FB01 is "fi", ...). The last part is differential:
 * on random strings, nm_normalizeName (fast path where it applies) must equal
 * nm_normalizeNameSlow (utf8proc for everything), byte for byte, including
 * which inputs are rejected as invalid UTF-8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "nm_utf8.h"
#include "test_check.h"

static void test_trim(void)
{
    static const struct { const char *in, *out; } kCases[] = {
        {"  abc  ", "abc"}, {"\t\r\nabc\n", "abc"}, {"\xe3\x80\x80" "abc\xe3\x80\x80 ", "abc"},
        {"a b", "a b"}, {"", ""}, {"   ", ""}, {"\xe3\x80\x80", ""}, {"\xe3\x80", "\xe3\x80"},
        {"\xc2\xa0x", "\xc2\xa0x"}, /* only ASCII and U+3000 are trimmed */
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        const char *s = kCases[i].in;
        size_t n = strlen(s);
        xj_trim(&s, &n);
        TC_CHECK(n == strlen(kCases[i].out) && memcmp(s, kCases[i].out, n) == 0,
                 "trim case %zu gave '%.*s'", i, (int)n, s);
    }
    /* the inline shortcut agrees with the loop: every byte at either end of
     * a value, next to any other, and U+3000 or its pieces around them */
    static const char *const kAround[] = {"", "x", "\xe3\x80\x80", "\xe3\x80", "\x80", " ", "\xe3"};
    size_t checked = 0, differ = 0;
    for (int a = 0; a < 256 && !differ; a++)
        for (int z = 0; z < 256; z++)
            for (size_t k = 0; k < sizeof kAround / sizeof kAround[0]; k++) {
                char buf[16];
                size_t const an = strlen(kAround[k]);
                memcpy(buf, kAround[k], an);
                buf[an] = (char)a;
                buf[an + 1] = 'm';
                buf[an + 2] = (char)z;
                memcpy(buf + an + 3, kAround[k], an);
                size_t const len = 2 * an + 3;
                for (size_t from = 0; from < len; from++)
                    for (size_t to = from; to <= len; to += 1 + (to - from) / 2) {
                        const char *s1 = buf + from, *s2 = buf + from;
                        size_t n1 = to - from, n2 = to - from;
                        xj_trim(&s1, &n1);
                        xj_trimEnds(&s2, &n2);
                        if (s1 != s2 || n1 != n2) differ++;
                        TC_CHECK(differ > 1 || (s1 == s2 && n1 == n2), "trim shortcut differs: %02x..%02x around %zu",
                                 a, z, k);
                        checked++;
                    }
            }
    printf("trim: shortcut checked against the loop on %zu values\n", checked);
}

static void test_normalizeId(void)
{
    static const struct { const char *in, *out; } kCases[] = {
        {"11010519491231002x", "11010519491231002X"},
        {" 110105 19491231\t002X\r\n", "11010519491231002X"},
        {"110105\xe3\x80\x80" "19491231002X", "11010519491231002X"},           /* U+3000 */
        {"\xef\xbc\x91\xef\xbc\x92\xef\xbd\x98", "12X"},                        /* １２ｘ */
        {"\xef\xbc\xa1\xef\xbc\x81\xef\xbd\x9e", "A!~"},                        /* Ａ！～ (range ends) */
        {"1\xc2\xa0" "2\xe2\x80\x83" "3\xe2\x80\xa8" "4\xc2\x85" "5\xe1\x9a\x80" "6", "123456"},
        {"1\xe2\x80\xaf" "2\xe2\x81\x9f" "3\xe2\x80\x8a" "4", "1234"},
        {"12\xff" "3", "12\xff" "3"},                                            /* kept as is */
        {"\xef\xbd\x9f", "\xef\xbd\x9f"},          /* U+FF5F: outside the full-width ASCII block */
        {"\xe2\x80\x8b" "1", "\xe2\x80\x8b" "1"},  /* U+200B is no White_Space */
        {"张三", "张三"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        char out[64];
        size_t const n = nm_normalizeId(kCases[i].in, strlen(kCases[i].in), out);
        TC_CHECK(n == strlen(kCases[i].out) && memcmp(out, kCases[i].out, n) == 0,
                 "normalizeId case %zu gave '%.*s'", i, (int)n, out);
        /* in place gives the same */
        char inplace[64];
        size_t const len = strlen(kCases[i].in);
        memcpy(inplace, kCases[i].in, len);
        size_t const m = nm_normalizeId(inplace, len, inplace);
        TC_CHECK(m == n && memcmp(inplace, out, n) == 0, "normalizeId in place, case %zu", i);
    }
}

/* docs/monthly.md §6: 'G' and exactly 18 characters, trimmed, normalized. */
static void test_oldId(void)
{
    static const struct { const char *in, *out; } kCases[] = {
        {"G11010519491231002X", "11010519491231002X"},
        {" G11010519491231002x\t", "11010519491231002X"},                      /* trimmed; x → X */
        {"G\xef\xbc\x91" "1010519491231002X", "11010519491231002X"},        /* full-width １ */
        {"G110105194912310021", "110105194912310021"},
        {"G1101051949123100", ""},                                             /* 17 characters */
        {"G1101051949123100211", ""},                                          /* 19 characters */
        {"L11010519491231002X", ""},                                           /* not a G number */
        {"g11010519491231002X", ""},
        {"\xef\xbc\xa7" "11010519491231002X", ""},                           /* full-width Ｇ */
        {"GABCDEFGHIJKLMNOPQR", "ABCDEFGHIJKLMNOPQR"},                         /* any 18: not GB shape */
        {"G张三李四王五赵六钱七孙八周九吴十郑冯", "张三李四王五赵六钱七孙八周九吴十郑冯"}, /* 18 of 3 bytes */
        {"G110105 19491231002", "11010519491231002"},                          /* inner space counts, then goes */
        {"G", ""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        char out[NM_OLD_ID_BYTES];
        size_t const n = nm_oldId(kCases[i].in, strlen(kCases[i].in), out);
        TC_CHECK(n == strlen(kCases[i].out) && memcmp(out, kCases[i].out, n) == 0, "oldId case %zu gave '%.*s'", i,
                 (int)n, out);
    }
}

typedef struct nameCase {
    const char *in;   /* UTF-8 input */
    const char *out;  /* expected, NULL when rejected as invalid UTF-8 */
} nameCase;

static const nameCase kNames[] = {
    {"张三", "张三"},
    {"张 三", "张三"}, {" 张\t三 ", "张三"}, {"张\xe3\x80\x80三", "张三"},
    {"张\xc2\xa0三\xe2\x80\x83", "张三"}, {"张\xc2\x85三\xe1\x9a\x80", "张三"},
    {"张\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\x9f三", "张三"},
    /* middle dots: U+00B7, U+2022, U+2027, U+2219, U+30FB, U+FF65 → U+00B7 */
    {"阿依古丽\xc2\xb7买买提", "阿依古丽\xc2\xb7买买提"},
    {"阿依古丽\xe2\x80\xa2买买提", "阿依古丽\xc2\xb7买买提"},
    {"阿依古丽\xe2\x80\xa7买买提", "阿依古丽\xc2\xb7买买提"},
    {"阿依古丽\xe2\x88\x99买买提", "阿依古丽\xc2\xb7买买提"},
    {"阿依古丽\xe3\x83\xbb买买提", "阿依古丽\xc2\xb7买买提"},
    {"阿依古丽\xef\xbd\xa5买买提", "阿依古丽\xc2\xb7买买提"},
    {"阿依古丽 \xef\xbd\xa5 买买提", "阿依古丽\xc2\xb7买买提"},
    /* NFKC: full-width Latin, compatibility ideographs, ligatures */
    {"\xef\xbc\xa1\xef\xbc\xa2\xef\xbd\x83", "abc"},            /* ＡＢｃ */
    {"\xef\xbc\x91\xef\xbc\x92", "12"},                          /* １２ */
    {"\xef\xa4\x80", "\xe8\xb1\x88"},                            /* U+F900 → U+8C48 */
    {"\xef\xa9\xb0", "\xe4\xb8\xa6"},                            /* U+FA70 → U+4E26 */
    {"\xef\xac\x81" "sh", "fish"},                               /* U+FB01 ﬁ */
    {"\xe2\x84\xab", "\xc3\xa5"},                                /* Å sign U+212B → å */
    {"E\xcc\x81", "\xc3\xa9"},                                   /* E + U+0301 → é */
    {"\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80"},                /* jamo → U+AC00 */
    {"\xe2\x91\xa0", "1"},                                       /* ① */
    /* the key is NFKC after the spaces go and letters are lowered (fuzz_name) */
    {"e \xcc\x81", "\xc3\xa9"},                                  /* e U+0020 U+0301 → é */
    {"e\xc2\xa8", "\xc3\xab"},                                   /* e U+00A8 → e U+0020 U+0308 → ë */
    {"\xc4\xb0\xcc\x88", "\xc3\xaf"},                            /* U+0130 U+0308 → i U+0308 → ï */
    /* Latin case only */
    {"John SMITH", "johnsmith"}, {"\xc3\x89MILE", "\xc3\xa9mile"},
    {"\xc7\x84", "d\xc5\xbe"},                                   /* Ǆ → NFKC DŽ → dž */
    {"\xe1\xba\x9e", "\xc3\x9f"},                                /* ẞ U+1E9E → ß */
    {"\xe1\xb8\x80", "\xe1\xb8\x81"},                            /* Ḁ → ḁ */
    {"\xce\xa3\xd0\x94", "\xce\xa3\xd0\x94"},                    /* Greek Σ, Cyrillic Д kept */
    {"", ""}, {"   ", ""},
    /* invalid UTF-8 */
    {"\xff", NULL}, {"张\xe5", NULL}, {"\xc0\x80", NULL}, {"\xed\xa0\x80", NULL},
    {"\xf4\x90\x80\x80", NULL}, {"\xe5\xbc", NULL}, {"a\x80", NULL}, {"\xef\xbc\xa1\xff", NULL},
};

static void test_names(void)
{
    xj_buf out;
    buf_init(&out, 1 << 16);
    for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; i++) {
        xj_error const err = nm_normalizeName(kNames[i].in, strlen(kNames[i].in), &out);
        if (kNames[i].out == NULL) {
            TC_CHECK(err == XJ_ERR_INPUT, "name case %zu: invalid UTF-8 accepted", i);
        } else {
            TC_CHECK(err == XJ_OK && out.len == strlen(kNames[i].out)
                     && memcmp(out.data, kNames[i].out, out.len) == 0,
                     "name case %zu '%s' gave '%s' (err %d)", i, kNames[i].in, out.data ? out.data : "", err);
        }
    }
    /* the buffer's maximum holds */
    xj_buf small;
    buf_init(&small, 4);
    TC_CHECK(nm_normalizeName("abcdefgh", 8, &small) == XJ_ERR_LIMIT, "limit");
    TC_CHECK(nm_normalizeName("\xef\xb7\xba", 3, &small) == XJ_ERR_LIMIT, "limit on expansion");
    buf_free(&small);
    buf_free(&out);
}

/* xorshift64*: reproducible without libc's rand. */
static uint64_t rngState = 0x9E3779B97F4A7C15ull;
static uint32_t rng(uint32_t bound)
{
    rngState ^= rngState >> 12;
    rngState ^= rngState << 25;
    rngState ^= rngState >> 27;
    return (uint32_t)((rngState * 0x2545F4914F6CDD1Dull) >> 33) % bound;
}

static size_t putUtf8(char *p, uint32_t c)
{
    if (c < 0x80) { p[0] = (char)c; return 1; }
    if (c < 0x800) { p[0] = (char)(0xC0 | c >> 6); p[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        p[0] = (char)(0xE0 | c >> 12); p[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        p[2] = (char)(0x80 | (c & 0x3F)); return 3;
    }
    p[0] = (char)(0xF0 | c >> 18); p[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    p[2] = (char)(0x80 | ((c >> 6) & 0x3F)); p[3] = (char)(0x80 | (c & 0x3F)); return 4;
}

/* A code point from the fast set, or (slow != 0) from anywhere interesting. */
static uint32_t randomCodePoint(int slow)
{
    static const uint32_t kFast[] = {' ', '\t', 'A', 'Z', 'a', 'z', '0', '.', 0x3000, 0xB7,
                                     0x2022, 0x2027, 0x2219, 0x30FB, 0x4E00, 0x9FFF, 0x3400};
    static const uint32_t kSlow[] = {0xFF65, 0xFF21, 0xFF41, 0xFF10, 0xF900, 0xFA70, 0x2F800,
        0x0301, 0x0308, 0x00C9, 0x00E9, 0x1100, 0x1161, 0x11A8, 0xAC00, 0x00A0, 0x2003,
        0x0085, 0x1680, 0x2028, 0x212B, 0xFB01, 0x01C4, 0x1E9E, 0x0130, 0x03A3, 0x0414,
        0x2460, 0x3131, 0xFDFA, 0x0F73, 0x0DCF, 0x0DD9, 0x10FFFF, 0xE000, 0x0378};
    switch (rng(slow ? 5 : 4)) {
    case 0: return 0x20 + rng(0x5F);                 /* printable ASCII */
    case 1: return 0x4E00 + rng(0x9FFF - 0x4E00 + 1); /* CJK */
    case 2: return 0x3400 + rng(0x4DBF - 0x3400 + 1); /* CJK Ext A */
    case 3: return kFast[rng(sizeof kFast / sizeof kFast[0])];
    default:
        if (rng(4) == 0) return 0x80 + rng(0x2FFFF - 0x80); /* anything, surrogates excluded below */
        return kSlow[rng(sizeof kSlow / sizeof kSlow[0])];
    }
}

static void test_fastEqualsSlow(void)
{
    xj_buf a, b;
    buf_init(&a, 1 << 16);
    buf_init(&b, 1 << 16);
    int fastOnly = 0, mismatches = 0;
    for (int iter = 0; iter < 200000 && mismatches < 5; iter++) {
        char s[256];
        size_t n = 0;
        int const mode = iter % 4; /* 0,1 fast set only; 2 mixed; 3 mixed plus raw bytes */
        size_t const count = 1 + rng(20);
        for (size_t k = 0; k < count; k++) {
            uint32_t c = randomCodePoint(mode >= 2);
            if (c >= 0xD800 && c <= 0xDFFF) c = 0x4E00;
            n += putUtf8(s + n, c);
            if (mode == 3 && rng(8) == 0) s[n++] = (char)(0x80 + rng(0x80)); /* often invalid */
        }
        fastOnly += mode < 2;
        xj_error const ea = nm_normalizeName(s, n, &a);
        xj_error const eb = nm_normalizeNameSlow(s, n, &b);
        int const same = ea == eb && (ea != XJ_OK || (a.len == b.len && memcmp(a.data, b.data, a.len) == 0));
        if (!same) {
            mismatches++;
            fprintf(stderr, "input:");
            for (size_t k = 0; k < n; k++) fprintf(stderr, " %02x", (unsigned char)s[k]);
            fprintf(stderr, "\n");
        }
        TC_CHECK(same, "fast path (err %d, '%s') differs from slow path (err %d, '%s')",
                 ea, ea ? "" : a.data, eb, eb ? "" : b.data);
    }
    TC_CHECK(fastOnly > 0, "no fast-path inputs generated");
    buf_free(&a);
    buf_free(&b);
}

int main(void)
{
    test_trim();
    test_normalizeId();
    test_oldId();
    test_names();
    test_fastEqualsSlow();
    return tc_finish("test_normalize");
}
