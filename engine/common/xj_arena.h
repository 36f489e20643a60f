/*
 * xj_arena — a bump allocator for many small strings that die together.
 *
 * The second pass keeps a few fields of every flagged record until the output
 * is written; one malloc per field would cost more than the fields. Blocks
 * are XJ_ARENA_BLOCK bytes (larger requests get a block of their own), and
 * everything is freed at once by ar_free.
 */
#ifndef XJ_ARENA_H
#define XJ_ARENA_H

#include <stddef.h>

#define XJ_ARENA_BLOCK (1u << 20)

typedef struct xj_arenaBlock xj_arenaBlock;

typedef struct xj_arena {
    xj_arenaBlock *head;   /* newest block, the one being filled */
    size_t used;           /* bytes used in head */
    size_t size;           /* bytes available in head */
    size_t total;          /* bytes allocated in all blocks */
} xj_arena;

void ar_init(xj_arena *a);
void ar_free(xj_arena *a);
/* 8-byte aligned; NULL when memory runs out. */
void *ar_alloc(xj_arena *a, size_t n);
/* Copies n bytes and a NUL; NULL when memory runs out. */
char *ar_strndup(xj_arena *a, const char *s, size_t n);

#endif
