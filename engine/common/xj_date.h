/*
 * xj_date — calendar arithmetic on YYYYMMDD dates (proleptic Gregorian).
 * Shared by normalize (record dates) and check (dates inside ID numbers).
 */
#ifndef XJ_DATE_H
#define XJ_DATE_H

#include <stdint.h>
#include <stdio.h>

/* Inline: every record's dates and ID dates pass through them. */

static inline int dt_isLeap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* 1 when y-m-d is a real calendar date with 1 <= y <= 9999. */
static inline int dt_isValid(int y, int m, int d)
{
    static const unsigned char kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return 0;
    int const last = kDays[m - 1] + (m == 2 && dt_isLeap(y));
    return d <= last;
}

/* "2026-11-28" for YYYYMMDD: how every output writes a date (the CLI
 * through xj_formatDate). */
static inline const char *dt_text(uint32_t d, char out[16])
{
    /* digit by digit: problems.csv writes one per row */
    uint32_t const y = d / 10000 % 10000, m = d / 100 % 100, day = d % 100;
    out[0] = (char)('0' + y / 1000), out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10), out[3] = (char)('0' + y % 10), out[4] = '-';
    out[5] = (char)('0' + m / 10), out[6] = (char)('0' + m % 10), out[7] = '-';
    out[8] = (char)('0' + day / 10), out[9] = (char)('0' + day % 10), out[10] = '\0';
    return out;
}

/* YYYYMMDD from exactly "YYYY-MM-DD" (a date we wrote); 0 when it is not
 * that or not a real date. */
static inline uint32_t dt_parseIso(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-') return 0;
    int v[8], k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 4 || i == 7) continue;
        if (s[i] < '0' || s[i] > '9') return 0;
        v[k++] = s[i] - '0';
    }
    int const y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    return dt_isValid(y, m, d) ? (uint32_t)(y * 10000 + m * 100 + d) : 0;
}

/* YYYYMMDD from parts; 0 when not valid. */
static inline uint32_t dt_make(int y, int m, int d)
{
    if (!dt_isValid(y, m, d)) return 0;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

#endif
