/*
 * nm_utf8 — the UTF-8 decoding and the white-space set shared by the ID and
 * name normalizers (private to the normalize stage).
 *
 * The decoder is strict in the way utf8proc_iterate is (no overlong forms, no
 * surrogates, nothing above U+10FFFF), so the name normalizer's fast path and
 * its utf8proc slow path agree on which inputs are invalid.
 */
#ifndef XJ_NM_UTF8_H
#define XJ_NM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s[0..n); returns its length (1..4) and sets *cp,
 * or returns 0 when the bytes are not valid UTF-8. Requires n > 0. */
static inline size_t nm_decodeUtf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned const b0 = s[0];
    if (b0 < 0x80) { *cp = b0; return 1; }
    if (b0 < 0xC2 || b0 > 0xF4) return 0; /* continuation, overlong lead, > U+10FFFF */
    size_t const len = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    if (n < len) return 0;
    uint32_t v = b0 & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) return 0;
    if (len == 4 && (v < 0x10000 || v > 0x10FFFF)) return 0;
    *cp = v;
    return len;
}

/* Unicode's White_Space property (PropList.txt). */
static inline int nm_isWhiteSpace(uint32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* nm_normalizeName without its fast path: utf8proc for every input. For the
 * differential test that proves the fast path changes nothing. */
#include "xj_buf.h"
xj_error nm_normalizeNameSlow(const char *s, size_t n, xj_buf *out);

#endif
