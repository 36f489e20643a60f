/*
 * xj_text — the white space every stage trims: ASCII white space and U+3000
 * (the ideographic space of Chinese input methods) at either end of a value.
 * In common/ because parsing (headers), normalization (values) and the
 * register check (student numbers) all trim, and must trim alike.
 */
#ifndef XJ_TEXT_H
#define XJ_TEXT_H

#include <stddef.h>

/* Trims ASCII white space and U+3000 from both ends of s[0..n). */
void xj_trimEnds(const char **s, size_t *n);

/* xj_trimEnds, with the common case inline: a value whose first byte can
 * start neither (ASCII white space is <= ' ', U+3000 starts with E3) and
 * whose last byte can end neither (U+3000 ends with 80) is left as it is.
 * A record's fields are trimmed about ten times over. */
static inline void xj_trim(const char **s, size_t *n)
{
    if (*n) {
        unsigned char const first = (unsigned char)(*s)[0], last = (unsigned char)(*s)[*n - 1];
        if (first > ' ' && first != 0xE3 && last > ' ' && last != 0x80) return;
    }
    xj_trimEnds(s, n);
}

#endif
