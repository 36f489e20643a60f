/*
 * test_check — the few assertion helpers the unit tests share: each failed
 * check prints where and what, counts, and the test returns non-zero.
 */
#ifndef XJ_TEST_CHECK_H
#define XJ_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tc_failures; /* failed checks so far in this test executable */

#define TC_CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            tc_failures++; \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

/* Exit status of a test: 0 when every check held. */
static int tc_finish(const char *name)
{
    if (tc_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, tc_failures);
    else printf("%s: all checks passed\n", name);
    return tc_failures != 0;
}

/* xorshift64: the tests' reproducible random numbers (the state must not
 * start at 0). */
static inline uint64_t tc_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* TC_HAVE_ASAN: built with AddressSanitizer (gcc says so with a macro,
 * clang with __has_feature), for the tests that count allocations through
 * its hooks. */
#if defined(__SANITIZE_ADDRESS__)
#define TC_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TC_HAVE_ASAN 1
#endif
#endif

#endif
