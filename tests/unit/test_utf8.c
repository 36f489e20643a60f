/*
 * test_utf8 — the chunk-wide UTF-8 check (ps_isCleanUtf8Bulk) answers as
 * the per-record one (ps_isCleanUtf8) does, on every input: hand-made
 * sequences of each kind of error placed at every offset around the 32-byte
 * steps, and registry-like text with random damage.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ps_text.h"
#include "test_check.h"

static uint64_t tu_state = 0x243F6A8885A308D3ull;

static uint32_t tu_rand(uint32_t n)
{
    tu_state ^= tu_state << 13;
    tu_state ^= tu_state >> 7;
    tu_state ^= tu_state << 17;
    return (uint32_t)((tu_state >> 11) % n);
}

static size_t tu_checked;

static void tu_same(const char *s, size_t n, const char *what)
{
    int const want = ps_isCleanUtf8(s, n), got = ps_isCleanUtf8Bulk(s, n);
    tu_checked++;
    TC_CHECK(want == got, "%s (%zu bytes): bulk says %d, scalar %d", what, n, got, want);
}

int main(void)
{
    /* each a sequence that is valid (1) or not (0) on its own */
    static const struct { const char *s; int valid; } kSeq[] = {
        {"a", 1}, {"\xc3\xa9", 1}, {"\xe4\xb8\x80", 1}, {"\xf0\x90\x80\x80", 1}, {"\xf4\x8f\xbf\xbf", 1},
        {"\xed\x9f\xbf", 1}, {"\xee\x80\x80", 1}, {"\xe0\xa0\x80", 1}, {"\xc2\x80", 1},
        {"\x80", 0}, {"\xbf", 0}, {"\xc0\x80", 0}, {"\xc1\xbf", 0}, {"\xe0\x80\x80", 0}, {"\xe0\x9f\xbf", 0},
        {"\xed\xa0\x80", 0}, {"\xed\xbf\xbf", 0}, {"\xf0\x80\x80\x80", 0}, {"\xf0\x8f\xbf\xbf", 0},
        {"\xf4\x90\x80\x80", 0}, {"\xf5\x80\x80\x80", 0}, {"\xf8\x88\x80\x80\x80", 0}, {"\xff", 0}, {"\xfe", 0},
        {"\xc3", 0}, {"\xe4\xb8", 0}, {"\xf0\x90\x80", 0}, {"\xe4\xb8\x80\x80", 0}, {"\xc3\xc3", 0},
        {"\xe4\xe4\xb8\x80", 0}, {"\x00", 0},
    };
    size_t const n_seq = sizeof kSeq / sizeof kSeq[0];
    char buf[256];
    /* every sequence at every offset 0..95 of ASCII text of several lengths,
     * so it straddles the 32-byte steps and sits at the very end */
    for (size_t k = 0; k < n_seq; k++) {
        size_t const len = strlen(kSeq[k].s) ? strlen(kSeq[k].s) : 1; /* "\x00" is one byte */
        for (size_t at = 0; at < 96; at++) {
            for (size_t total = at + len; total <= at + len + 40; total += 13) {
                memset(buf, 'x', total);
                memcpy(buf + at, kSeq[k].s, len);
                char what[64];
                snprintf(what, sizeof what, "sequence %zu at %zu", k, at);
                tu_same(buf, total, what);
                if (kSeq[k].valid) TC_CHECK(ps_isCleanUtf8Bulk(buf, total) == 1, "%s: valid text refused", what);
                else TC_CHECK(ps_isCleanUtf8Bulk(buf, total) == 0, "%s: invalid text accepted", what);
            }
        }
    }
    /* registry-like lines (ASCII and CJK), whole, and with damage */
    static const char *const kParts[] = {"G110102202002286372,", "刘俊,", "男,", "2020-02-28,", "桃园小学,",
                                         "一年级\n", "迪丽努尔・阿卜杜拉,", "𠮷,", "\"a,b\",", "\r\n"};
    static char text[1 << 16];
    for (int round = 0; round < 3000; round++) {
        size_t n = 0;
        size_t const want = 1 + tu_rand(round % 50 == 0 ? (uint32_t)sizeof text - 64 : 600);
        while (n < want) {
            const char *const p = kParts[tu_rand(sizeof kParts / sizeof kParts[0])];
            size_t const l = strlen(p);
            memcpy(text + n, p, l);
            n += l;
        }
        tu_same(text, n, "clean text");
        TC_CHECK(ps_isCleanUtf8Bulk(text, n) == 1, "round %d: clean text refused", round);
        int const damages = 1 + (int)tu_rand(3);
        for (int d = 0; d < damages && n > 0; d++) {
            size_t const at = tu_rand((uint32_t)n);
            switch (tu_rand(4)) {
            case 0: text[at] = (char)tu_rand(256); break;
            case 1: text[at] ^= (char)(1u << tu_rand(8)); break;
            case 2: text[at] = (char)(0x80 | tu_rand(64)); break;
            default: n = at; break; /* cut, maybe inside a character */
            }
        }
        tu_same(text, n, "damaged text");
    }
    /* random bytes */
    for (int round = 0; round < 3000; round++) {
        size_t const n = tu_rand(200);
        for (size_t i = 0; i < n; i++) text[i] = (char)tu_rand(256);
        tu_same(text, n, "random bytes");
    }
    tu_same("", 0, "empty");
    printf("test_utf8: %zu inputs compared\n", tu_checked);
    return tc_finish("test_utf8");
}
