/*
 * xj_clock — the two things the engine asks of the system clock: elapsed
 * time for the run's timing, and 64 unpredictable bits (temporary names,
 * hash seeds) that fall back on the clock when the kernel has no entropy
 * yet. Neither ever shows in an output byte that is compared: timing stays
 * in summary.json's `timing` object, and every seeded table is sorted
 * before it is written.
 */
#ifndef XJ_CLOCK_H
#define XJ_CLOCK_H

#include <stdint.h>

/* Monotonic clock in seconds (CLOCK_MONOTONIC), for timing. */
double xj_now(void);

/* 64 random bits: getrandom without blocking; before the kernel has
 * entropy, the wall clock and the pid, mixed. Not for secrets. */
uint64_t xj_random(void);

#endif
