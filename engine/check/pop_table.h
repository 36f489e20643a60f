/*
 * pop_table — an extract of the population database (docs/population.md)
 * made ready for lookups: which ID numbers it lists, under which names.
 *
 * An entry is a (number, name) pair: the GB 11643 number packed (id_pack18)
 * and the XXH3-64 of its normalized name. Entries are filed in buckets by a
 * multiplicative hash of the number (about four to a bucket), sorted by
 * (bucket, number, name) without repeats, with a table of where each bucket
 * starts: a lookup reads one word of that table and one or two cache lines
 * of entries. The same layout serves a table built in memory from extracts
 * (pop_extract.c) and one mapped from a population index (ix_population.c),
 * so a lookup cannot tell them apart.
 */
#ifndef XJ_POP_TABLE_H
#define XJ_POP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "xj_status.h"

typedef struct pop_entry {
    uint64_t id;   /* id_pack18 of the normalized number */
    uint64_t name; /* XXH3-64 of the normalized name */
} pop_entry;

typedef struct pop_table {
    const pop_entry *v;       /* n entries */
    uint64_t n;
    const uint64_t *start;    /* (1 << bits) + 1 entry indexes: bucket b is v[start[b] .. start[b + 1]) */
    unsigned bits;
    uint64_t ids;             /* distinct numbers */
    uint64_t several_names;   /* numbers listed under more than one name */
    void *owned_v, *owned_start; /* freed by pop_tableFree (NULL when mapped) */
} pop_table;

/* What a lookup finds. */
typedef enum pop_answer { POP_MATCH = 0, POP_NOT_FOUND, POP_NAME_MISMATCH } pop_answer;

/* The bucket of a number, for a table of 2^bits buckets. */
static inline uint64_t pop_bucket(uint64_t id, unsigned bits)
{
    return bits ? (id * 0x9E3779B97F4A7C15ull) >> (64 - bits) : 0;
}

/* The bits a table of n entries gets: about four entries a bucket. */
unsigned pop_bitsFor(uint64_t n);

/* Sorts `v` (n entries, owned: realloc'd smaller when repeats go) into a
 * table: buckets, order, repeats dropped, counts. XJ_ERR_NOMEM leaves v
 * owned by the caller. */
xj_error pop_tableBuild(pop_entry *v, uint64_t n, pop_table *out);

/* Asks for the cache lines a lookup of `id` reads first. */
static inline void pop_prefetch(const pop_table *t, uint64_t id)
{
    __builtin_prefetch(&t->start[pop_bucket(id, t->bits)]);
}

pop_answer pop_lookup(const pop_table *t, uint64_t id, uint64_t name);

/* Checks what a mapped table promises (sizes, order, bucket starts):
 * 1 when it can be looked up safely. */
int pop_tableValid(const pop_table *t);

void pop_tableFree(pop_table *t);

#endif
