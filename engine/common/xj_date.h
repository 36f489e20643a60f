/*
 * xj_date — calendar arithmetic on YYYYMMDD dates (proleptic Gregorian).
 * Shared by normalize (record dates) and check (dates inside ID numbers).
 */
#ifndef XJ_DATE_H
#define XJ_DATE_H

#include <stdint.h>

/* 1 when y-m-d is a real calendar date with 1 <= y <= 9999. */
int dt_isValid(int y, int m, int d);
/* YYYYMMDD from parts; 0 when not valid. */
uint32_t dt_make(int y, int m, int d);

#endif
