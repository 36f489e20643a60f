/*
 * xj_alloc — see xj_alloc.h. The failure counter is one atomic so that worker
 * threads may allocate while a fault-injection test runs.
 */
#include "xj_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static _Atomic int64_t g_allocsLeft = -1; /* < 0: never fail */
static _Atomic uint64_t g_allocsDone;

static int xj_allocAllowed(void)
{
    if (atomic_load_explicit(&g_allocsLeft, memory_order_relaxed) < 0) {
        atomic_fetch_add_explicit(&g_allocsDone, 1, memory_order_relaxed);
        return 1;
    }
    if (atomic_fetch_sub(&g_allocsLeft, 1) <= 0) {
        atomic_store(&g_allocsLeft, 0);
        return 0;
    }
    atomic_fetch_add_explicit(&g_allocsDone, 1, memory_order_relaxed);
    return 1;
}

uint64_t xj_allocFailAfter(int64_t n)
{
    uint64_t const done = atomic_exchange(&g_allocsDone, 0);
    atomic_store(&g_allocsLeft, n);
    return done;
}

void *xj_malloc(size_t size)
{
    if (!xj_allocAllowed()) return NULL;
    return malloc(size ? size : 1);
}

void *xj_calloc(size_t count, size_t size)
{
    if (!xj_allocAllowed()) return NULL;
    if (count == 0 || size == 0) return calloc(1, 1);
    return calloc(count, size);
}

void *xj_callocTable(size_t count, size_t size)
{
    if (count != 0 && size > SIZE_MAX / count) return NULL;
    size_t const bytes = count * size != 0 ? count * size : 1;
    void *const p = xj_malloc(bytes);
    if (p != NULL) memset(p, 0, bytes);
    return p;
}

void *xj_realloc(void *ptr, size_t size)
{
    if (!xj_allocAllowed()) return NULL;
    return realloc(ptr, size ? size : 1);
}

#define XJ_HUGE_PAGE ((size_t)2 << 20)

void *xj_mallocHuge(size_t size)
{
    if (size < XJ_HUGE_PAGE) return xj_malloc(size);
    if (size > SIZE_MAX - XJ_HUGE_PAGE || !xj_allocAllowed()) return NULL;
    size_t const rounded = (size + XJ_HUGE_PAGE - 1) & ~(XJ_HUGE_PAGE - 1); /* as aligned_alloc wants */
    void *const p = aligned_alloc(XJ_HUGE_PAGE, rounded);
#ifdef MADV_HUGEPAGE
    if (p != NULL) (void)madvise(p, rounded, MADV_HUGEPAGE); /* a refusal leaves ordinary pages */
#endif
    return p;
}

void xj_free(void *ptr)
{
    free(ptr);
}

char *xj_strndup(const char *s, size_t n)
{
    char *const copy = xj_malloc(n + 1);
    if (copy == NULL) return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

void *xj_mallocArray(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    return xj_malloc(count * size);
}

void *xj_reallocArray(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    return xj_realloc(ptr, count * size);
}

int xj_growArray(void *arr, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : first;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return -1;
        ncap *= 2;
    }
    void *old; /* the pointer is copied as bytes: arr points to a T *, not a void * */
    memcpy(&old, arr, sizeof old);
    void *const grown = xj_reallocArray(old, ncap, size);
    if (grown == NULL) return -1;
    memcpy(arr, &grown, sizeof grown);
    *cap = ncap;
    return 0;
}
