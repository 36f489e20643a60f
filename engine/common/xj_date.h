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
    snprintf(out, 16, "%04u-%02u-%02u", d / 10000 % 10000, d / 100 % 100, d % 100);
    return out;
}

/* YYYYMMDD from parts; 0 when not valid. */
static inline uint32_t dt_make(int y, int m, int d)
{
    if (!dt_isValid(y, m, d)) return 0;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

#endif
