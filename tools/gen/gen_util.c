/*
 * gen_util — the generator's small shared pieces: alias tables, probability
 * thresholds, calendar arithmetic and digit formatting without printf.
 *
 * Everything here is pure or builds read-only tables; the per-row hot path
 * (gen_putDigits, gen_putDate8, gen_fromDayNumber) does no allocation.
 */
#include <stdlib.h>

#include "gen.h"

uint64_t gen_threshold(double p)
{
    if (!(p > 0)) return 0;
    if (p >= 1) return UINT64_MAX;
    return (uint64_t)(p * 18446744073709551616.0);
}

int gen_aliasBuild(gen_alias *a, const double *w, uint32_t n)
{
    a->n = n;
    a->thr = malloc(n * sizeof *a->thr);
    a->alias = malloc(n * sizeof *a->alias);
    double *const q = malloc(n * sizeof *q);
    uint32_t *const small = malloc(n * sizeof *small), *const large = malloc(n * sizeof *large);
    if (a->thr == NULL || a->alias == NULL || q == NULL || small == NULL || large == NULL) {
        free(q); free(small); free(large); gen_aliasFree(a);
        return -1;
    }
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += (w[i] > 0 ? w[i] : 0);
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        q[i] = (sum > 0) ? (w[i] > 0 ? w[i] : 0) * n / sum : 1.0;
        a->alias[i] = i;
        if (q[i] < 1.0) small[ns++] = i; else large[nl++] = i;
    }
    /* Vose: pair each under-full column with an over-full one. */
    while (ns > 0 && nl > 0) {
        uint32_t const s = small[--ns], l = large[--nl];
        a->thr[s] = (uint64_t)(q[s] * 4294967296.0);
        a->alias[s] = l;
        q[l] -= 1.0 - q[s];
        if (q[l] < 1.0) small[ns++] = l; else large[nl++] = l;
    }
    while (nl > 0) a->thr[large[--nl]] = 4294967296ULL;
    while (ns > 0) a->thr[small[--ns]] = 4294967296ULL; /* rounding leftovers */
    free(q); free(small); free(large);
    return 0;
}

void gen_aliasFree(gen_alias *a)
{
    free(a->thr); free(a->alias);
    a->thr = NULL; a->alias = NULL; a->n = 0;
}

int gen_isDate(int y, int m, int d)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return 0;
    int const leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int32_t gen_dayNumber(uint32_t ymd)
{
    int y = (int)(ymd / 10000);
    unsigned const m = (ymd / 100) % 100, d = ymd % 100;
    y -= m <= 2;
    int const era = (y >= 0 ? y : y - 399) / 400;
    unsigned const yoe = (unsigned)(y - era * 400);
    unsigned const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

uint32_t gen_fromDayNumber(int32_t z)
{
    z += 719468;
    int32_t const era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned const doe = (unsigned)(z - era * 146097);
    unsigned const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t const y0 = (int32_t)yoe + era * 400;
    unsigned const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned const mp = (5 * doy + 2) / 153;
    unsigned const d = doy - (153 * mp + 2) / 5 + 1;
    unsigned const m = mp < 10 ? mp + 3 : mp - 9;
    int32_t const y = y0 + (m <= 2);
    return (uint32_t)y * 10000 + m * 100 + d;
}

void gen_putDigits(char *out, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) { out[i] = (char)('0' + v % 10); v /= 10; }
}

void gen_putDate8(char *out, uint32_t ymd)
{
    gen_putDigits(out, ymd, 8);
}

uint64_t gen_serial(uint64_t row, uint64_t salt, int digits)
{
    /* x -> (a*x + b) mod 10^k is a bijection when gcd(a, 10) = 1, so two
     * rows below 10^k never share a serial. */
    uint64_t M = 1;
    for (int i = 0; i < digits; i++) M *= 10;
    uint64_t const a = 387420489ULL; /* 3^18 */
    return (uint64_t)(((unsigned __int128)(row % M) * a + (salt % M)) % M);
}

uint64_t gen_serial12(uint64_t row, uint64_t salt)
{
    return gen_serial(row, salt, 12);
}
