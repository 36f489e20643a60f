/*
 * test_alloc — xj_mallocHuge: a buffer of 2 MiB or more starts on a 2 MiB
 * boundary (where a huge page can back it) and holds every byte asked for
 * (AddressSanitizer, in tools/test.sh's ASan stage, checks the writes); a
 * smaller one is an ordinary allocation; either fails, as every engine
 * allocation does, when the fault injection says so; an impossible size is
 * refused, not wrapped around.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_check.h"
#include "xj_alloc.h"

#define HUGE_PAGE ((size_t)2 << 20)

static void ta_checkSize(size_t size)
{
    unsigned char *const p = xj_mallocHuge(size);
    TC_CHECK(p != NULL, "%zu bytes", size);
    if (p == NULL) return;
    if (size >= HUGE_PAGE) TC_CHECK((uintptr_t)p % HUGE_PAGE == 0, "%zu bytes at %p", size, (void *)p);
    memset(p, 0xA5, size);
    TC_CHECK(p[0] == 0xA5 && p[size - 1] == 0xA5, "%zu bytes", size);
    xj_free(p);
}

int main(void)
{
    size_t const sizes[] = {1, 4096, HUGE_PAGE - 1, HUGE_PAGE, HUGE_PAGE + 1, 3 * HUGE_PAGE + 12345};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) ta_checkSize(sizes[i]);

    TC_CHECK(xj_mallocHuge(SIZE_MAX) == NULL, "SIZE_MAX");
    TC_CHECK(xj_mallocHuge(SIZE_MAX - HUGE_PAGE / 2) == NULL, "SIZE_MAX - 1 MiB");

    xj_allocFailAfter(0);
    void *const small = xj_mallocHuge(100), *const big = xj_mallocHuge(HUGE_PAGE + 1);
    xj_allocFailAfter(-1);
    TC_CHECK(small == NULL && big == NULL, "allocations under fault injection: %p, %p", small, big);
    xj_free(small);
    xj_free(big);
    return tc_finish("test_alloc");
}
