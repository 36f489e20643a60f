/*
 * nm_id — the ID-number normalization of rules §3.
 *
 * nm_normalizeId may run in place (out == s is fine): every
 * step only shortens or keeps the text (a 3-byte full-width form becomes one
 * ASCII byte, white space disappears), so out never needs more than n bytes.
 * Bytes that are not valid UTF-8 are copied as they are: the number is then
 * simply malformed and the check stage reports `format`, which is the most
 * useful thing to tell a school.
 */
#include "normalize.h"

#include <string.h>

#include "nm_utf8.h"
#include "xj_digits.h"

size_t nm_normalizeId(const char *s, size_t n, char *out)
{
    /* the shape of nearly every number: 17 digits and a digit or X */
    if (n == 18 && xj_eightDigits(s) && xj_eightDigits(s + 8) && xj_isDigit(s[16]) &&
        (xj_isDigit(s[17]) || s[17] == 'X' || s[17] == 'x')) {
        if (out != s) { /* fixed sizes: inline copies, not a call */
            memcpy(out, s, 16);
            out[16] = s[16];
        }
        out[17] = s[17] == 'x' ? 'X' : s[17];
        return 18;
    }
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

size_t nm_oldId(const char *student_no, size_t n, char out[NM_OLD_ID_BYTES])
{
    xj_trim(&student_no, &n);
    if (n < 19 || n > 1 + NM_OLD_ID_BYTES || student_no[0] != 'G') return 0;
    size_t chars = 0;
    for (size_t i = 1; i < n; i++) chars += ((unsigned char)student_no[i] & 0xC0) != 0x80;
    if (chars != 18) return 0;
    return nm_normalizeId(student_no + 1, n - 1, out);
}
