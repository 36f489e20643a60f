/*
 * nm_id — trimming and the ID-number normalization of rules §3.
 *
 * nm_normalizeId may run in place (out == s is fine): every
 * step only shortens or keeps the text (a 3-byte full-width form becomes one
 * ASCII byte, white space disappears), so out never needs more than n bytes.
 * Bytes that are not valid UTF-8 are copied as they are: the number is then
 * simply malformed and the check stage reports `format`, which is the most
 * useful thing to tell a school.
 */
#include "normalize.h"

#include "nm_utf8.h"

static int nm_isAsciiSpace(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

/* U+3000 is E3 80 80 in UTF-8. */
static int nm_isIdeoSpaceAt(const unsigned char *s, size_t n)
{
    return n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80;
}

void nm_trimEnds(const char **s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t len = *n;
    for (;;) {
        if (len > 0 && nm_isAsciiSpace(p[0])) { p++; len--; }
        else if (nm_isIdeoSpaceAt(p, len)) { p += 3; len -= 3; }
        else break;
    }
    for (;;) {
        if (len > 0 && nm_isAsciiSpace(p[len - 1])) len--;
        else if (len >= 3 && nm_isIdeoSpaceAt(p + len - 3, 3)) len -= 3;
        else break;
    }
    *s = (const char *)p;
    *n = len;
}

size_t nm_normalizeId(const char *s, size_t n, char *out)
{
    const unsigned char *const in = (const unsigned char *)s;
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char const c = in[i];
        if (c < 0x80) { /* ASCII, nearly every byte of an ID: no decoding */
            i++;
            if (c == ' ' || (c >= 0x09 && c <= 0x0D)) continue;
            out[o++] = c == 'x' ? 'X' : (char)c;
            continue;
        }
        uint32_t cp;
        size_t len = nm_decodeUtf8(in + i, n - i, &cp);
        if (len == 0) { /* not UTF-8: keep the byte, the number will fail `format` */
            out[o++] = s[i++];
            continue;
        }
        i += len;
        if (nm_isWhiteSpace(cp)) continue;
        if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFF01 - 0x21; /* full width → ASCII */
        if (cp < 0x80) {
            out[o++] = cp == 'x' ? 'X' : (char)cp;
        } else {
            /* o + len <= i: the output never overtakes the input. */
            for (size_t k = len; k > 0; k--) out[o++] = s[i - k];
        }
    }
    return o;
}
