/*
 * xj_prefix — eight bytes of a string as one number, so that strings can be
 * ordered (and, when short, compared) by integer comparisons instead of a
 * memcmp per pair: numbers from the same offset order as the bytes do, a
 * string's missing bytes counting as zero. Used where many strings are
 * sorted: emit's school codes, the scan's assignment lines.
 */
#ifndef XJ_PREFIX_H
#define XJ_PREFIX_H

#include <stddef.h>
#include <stdint.h>

/* s[from .. from + 8) big-endian, bytes at or past n read as 0. */
static inline uint64_t xj_prefix64(const char *s, size_t n, size_t from)
{
    uint64_t v = 0;
    for (size_t i = from; i < from + 8; i++) v = v << 8 | (i < n ? (unsigned char)s[i] : 0);
    return v;
}

#endif
