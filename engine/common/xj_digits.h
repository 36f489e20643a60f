/*
 * xj_digits — is a run of bytes all ASCII digits, eight at a time.
 *
 * Every record carries an 18-character ID number and two dates, and the
 * normalize and check stages each ask this of them: a byte loop costs a
 * compare and a branch a byte. Here eight bytes are one 64-bit word: all
 * are digits when every high nibble is 3 and adding 6 to each byte does not
 * carry out of its low nibble (a low nibble of 10..15 would). The test is
 * per byte, so it does not depend on the machine's byte order, and once
 * every high nibble is 3 no byte + 6 can carry into its neighbour.
 */
#ifndef XJ_DIGITS_H
#define XJ_DIGITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline int xj_isDigit(char c)
{
    return c >= '0' && c <= '9';
}

/* s[0..8) are all '0'..'9'. */
static inline int xj_eightDigits(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    uint64_t const high = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull, sixes = 0x0606060606060606ull;
    return (v & high) == threes && ((v + sixes) & high) == threes;
}

/* The number eight digits spell (call only once xj_eightDigits said so).
 * On a little-endian machine the word is combined in place, pairs, then
 * fours, then the eight: three multiplications instead of eight. */
static inline uint64_t xj_eightValue(const char *s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t d;
    memcpy(&d, s, 8);
    d -= 0x3030303030303030ull;                         /* the first character is the lowest byte */
    d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFull;   /* 16-bit lanes: two digits each */
    d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFull; /* 32-bit lanes: four digits each */
    return (d & 0xFFFFFFFFu) * 10000 + (d >> 32);
#else
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
#endif
}

/* s[0..n) are all '0'..'9' (n == 0: true). */
static inline int xj_allDigits(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (!xj_eightDigits(s + i)) return 0;
    for (; i < n; i++)
        if (!xj_isDigit(s[i])) return 0;
    return 1;
}

#endif
