/*
 * fuzz_pop — what the population targets (fuzz_population, fuzz_popindex)
 * ask of every table they get, read from extracts or mapped from an index.
 *
 * pop_tableValid holds; the counts are those of the entries in the slots
 * (entries, distinct numbers, numbers under more than one name; a number's
 * entries lie next to each other); no (number, name) pair is there twice;
 * and pop_lookup answers, for every entry and for pairs the table may or
 * may not list, what a sorted copy of the entries says. AddressSanitizer
 * sees a lookup that reads outside the slots.
 */
#ifndef XJ_FUZZ_POP_H
#define XJ_FUZZ_POP_H

#include <stdint.h>
#include <stdlib.h>

#include "pop_table.h"

#include "fuzz_common.h"

static int fz_popCmp(const void *pa, const void *pb)
{
    const pop_entry *const a = pa, *const b = pb;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    return (a->name > b->name) - (a->name < b->name);
}

/* The table's entries, sorted (kept from table to table). */
static pop_entry *fz_popSorted;
static uint64_t fz_popN;

/* What a lookup of (id, name) must answer: by binary search in the copy. */
static inline pop_answer fz_popWant(uint64_t id, uint64_t name)
{
    uint64_t lo = 0, hi = fz_popN; /* the first entry not before (id, 0) */
    while (lo < hi) {
        uint64_t const mid = lo + (hi - lo) / 2;
        if (fz_popSorted[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    if (lo == fz_popN || fz_popSorted[lo].id != id) return POP_NOT_FOUND;
    for (; lo < fz_popN && fz_popSorted[lo].id == id; lo++)
        if (fz_popSorted[lo].name == name) return POP_MATCH;
    return POP_NAME_MISMATCH;
}

static inline void fz_popAsk(const pop_table *t, uint64_t id, uint64_t name)
{
    FZ_ASSERT(pop_lookup(t, id, name) == fz_popWant(id, name));
}

static inline void fz_popCheckTable(const pop_table *t)
{
    static uint64_t cap;
    FZ_ASSERT(pop_tableValid(t));
    FZ_ASSERT(t->n_home <= t->n_slots && (t->n_slots == 0 || t->v != NULL));
    FZ_ASSERT(t->n <= t->n_slots && t->ids <= t->n && t->several_names <= t->ids);
    if (t->n_slots > cap) {
        cap = t->n_slots;
        fz_popSorted = realloc(fz_popSorted, cap * sizeof *fz_popSorted);
        FZ_ASSERT(fz_popSorted != NULL);
    }
    uint64_t n = 0, ids = 0, several = 0;
    for (uint64_t i = 0; i < t->n_slots; i++) {
        if (t->v[i].id == POP_EMPTY) continue;
        int const same = i > 0 && t->v[i - 1].id == t->v[i].id;
        ids += !same;
        several += same && (i < 2 || t->v[i - 2].id != t->v[i].id);
        fz_popSorted[n++] = t->v[i];
    }
    FZ_ASSERT(n == t->n && ids == t->ids && several == t->several_names);
    fz_popN = n;
    if (n > 1) qsort(fz_popSorted, n, sizeof *fz_popSorted, fz_popCmp);
    for (uint64_t i = 1; i < n; i++) FZ_ASSERT(fz_popCmp(&fz_popSorted[i - 1], &fz_popSorted[i]) < 0);
    /* each entry, the same number under another name, and numbers beside it */
    for (uint64_t i = 0; i < t->n_slots; i++) {
        pop_entry const e = t->v[i];
        if (e.id == POP_EMPTY) continue;
        fz_popAsk(t, e.id, e.name);
        fz_popAsk(t, e.id, e.name + 1);
        fz_popAsk(t, e.id + 1, e.name);
        fz_popAsk(t, e.id - 1, ~e.name);
    }
    fz_popAsk(t, 0, 0);
    fz_popAsk(t, POP_EMPTY, 0);
    fz_popAsk(t, 0x0123456789ABCDEFull, 1);
}

#endif
