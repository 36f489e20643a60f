/* xj_date — see xj_date.h. */
#include "xj_date.h"

static int dt_isLeap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int dt_isValid(int y, int m, int d)
{
    static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return 0;
    int const last = kDays[m - 1] + (m == 2 && dt_isLeap(y));
    return d <= last;
}

uint32_t dt_make(int y, int m, int d)
{
    if (!dt_isValid(y, m, d)) return 0;
    return (uint32_t)(y * 10000 + m * 100 + d);
}
