/* xj_arena — see xj_arena.h. */
#include "xj_arena.h"

#include <string.h>

#include "xj_alloc.h"

struct xj_arenaBlock {
    xj_arenaBlock *next;  /* older block */
    size_t size;          /* usable bytes after the header */
};

#define AR_HEADER ((sizeof(xj_arenaBlock) + 15) & ~(size_t)15)

void ar_init(xj_arena *a)
{
    memset(a, 0, sizeof *a);
}

void ar_free(xj_arena *a)
{
    xj_arenaBlock *b = a->head;
    while (b) {
        xj_arenaBlock *const next = b->next;
        xj_free(b);
        b = next;
    }
    ar_init(a);
}

void *ar_alloc(xj_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (a->head == NULL || a->size - a->used < n) {
        size_t const size = n > XJ_ARENA_BLOCK / 4 ? n : XJ_ARENA_BLOCK;
        xj_arenaBlock *const b = xj_malloc(AR_HEADER + size);
        if (b == NULL) return NULL;
        b->size = size;
        if (size == n && a->head != NULL) {
            /* a large request: keep filling the current block afterwards */
            b->next = a->head->next;
            a->head->next = b;
            a->total += size;
            return (char *)b + AR_HEADER;
        }
        b->next = a->head;
        a->head = b;
        a->used = 0;
        a->size = size;
        a->total += size;
    }
    void *const p = (char *)a->head + AR_HEADER + a->used;
    a->used += n;
    return p;
}

char *ar_strndup(xj_arena *a, const char *s, size_t n)
{
    char *const p = ar_alloc(a, n + 1);
    if (p == NULL) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
