/*
 * pop_table — an extract of the population database (docs/population.md)
 * made ready for lookups: which ID numbers it lists, under which names.
 *
 * An entry is a (number, name) pair: the GB 11643 number packed (id_pack18)
 * and the XXH3-64 of its normalized name. The entries lie in a table of
 * slots, about 1.25 per entry, each at or after its home slot (a
 * multiplicative hash of the number), in the order of (home, number, name)
 * with no gap between an entry and its home: linear probing with ordered
 * keys. A lookup reads from its home slot on, usually one cache line, and
 * stops at an empty slot or at an entry whose home is past its own. Ten
 * million lookups a run made this design: a second array of bucket starts
 * cost a second cache miss each. The same layout serves a table built in
 * memory from extracts (pop_extract.c) and one mapped from a population
 * index (ix_population.c), so a lookup cannot tell them apart.
 */
#ifndef XJ_POP_TABLE_H
#define XJ_POP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "xj_status.h"

typedef struct pop_entry {
    uint64_t id;   /* id_pack18 of the normalized number; POP_EMPTY in an empty slot */
    uint64_t name; /* XXH3-64 of the normalized name */
} pop_entry;

#define POP_EMPTY UINT64_MAX /* no id_pack18 value (they stay below 2^61) */

typedef struct pop_table {
    const pop_entry *v;       /* n_slots slots */
    uint64_t n_slots;
    uint64_t n_home;          /* home slots: 0 .. n_home - 1 (the rest is overflow) */
    uint64_t n;               /* entries */
    uint64_t ids;             /* distinct numbers */
    uint64_t several_names;   /* numbers listed under more than one name */
    void *owned;              /* freed by pop_tableFree (NULL when mapped) */
} pop_table;

/* What a lookup finds. */
typedef enum pop_answer { POP_MATCH = 0, POP_NOT_FOUND, POP_NAME_MISMATCH } pop_answer;

/* A number's home slot among n_home. */
static inline uint64_t pop_home(uint64_t id, uint64_t n_home)
{
    return (uint64_t)(((unsigned __int128)(id * 0x9E3779B97F4A7C15ull) * n_home) >> 64);
}

/* Sorts `v` (n entries, owned: freed) into a table: its slots, repeats
 * dropped, the counts. On XJ_ERR_NOMEM, v is freed too. */
xj_error pop_tableBuild(pop_entry *v, uint64_t n, pop_table *out);

/* Asks for the cache line a lookup of `id` reads first. */
static inline void pop_prefetch(const pop_table *t, uint64_t id)
{
    if (t->n_home) __builtin_prefetch(&t->v[pop_home(id, t->n_home)]);
}

pop_answer pop_lookup(const pop_table *t, uint64_t id, uint64_t name);

/* Checks what a mapped table promises (every entry reachable from its
 * home, the order, the counts): 1 when it can be looked up safely. */
int pop_tableValid(const pop_table *t);

void pop_tableFree(pop_table *t);

#endif
