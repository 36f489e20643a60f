/*
 * pop_table — see pop_table.h.
 */
#include "pop_table.h"

#include <string.h>

#include "xj_alloc.h"

unsigned pop_bitsFor(uint64_t n)
{
    unsigned bits = 0;
    while (bits < 40 && (4ull << bits) < n) bits++;
    return bits;
}

static int pop_less(const pop_entry *a, const pop_entry *b)
{
    return a->id != b->id ? a->id < b->id : a->name < b->name;
}

/* Buckets hold a few entries: insertion sort is the fastest there is. */
static void pop_sortBucket(pop_entry *v, uint64_t n)
{
    for (uint64_t i = 1; i < n; i++) {
        pop_entry const e = v[i];
        uint64_t j = i;
        for (; j > 0 && pop_less(&e, &v[j - 1]); j--) v[j] = v[j - 1];
        v[j] = e;
    }
}

xj_error pop_tableBuild(pop_entry *v, uint64_t n, pop_table *out)
{
    memset(out, 0, sizeof *out);
    unsigned const bits = pop_bitsFor(n);
    uint64_t const buckets = 1ull << bits;
    uint64_t *const start = xj_callocTable(buckets + 1, sizeof *start);
    uint64_t *const next = xj_mallocArray(buckets, sizeof *next);
    if (start == NULL || next == NULL) {
        xj_free(start), xj_free(next);
        return XJ_ERR_NOMEM;
    }
    for (uint64_t i = 0; i < n; i++) start[pop_bucket(v[i].id, bits) + 1]++;
    for (uint64_t b = 0; b < buckets; b++) start[b + 1] += start[b];
    /* in place, by cycles (American flag sort): an extract may be as large
     * as the register, and a second array of it would double the memory */
    memcpy(next, start, buckets * sizeof *next);
    for (uint64_t b = 0; b < buckets; b++) {
        while (next[b] < start[b + 1]) {
            pop_entry e = v[next[b]];
            uint64_t home = pop_bucket(e.id, bits);
            while (home != b) {
                pop_entry const displaced = v[next[home]];
                v[next[home]++] = e;
                e = displaced;
                home = pop_bucket(e.id, bits);
            }
            v[next[b]++] = e;
        }
    }
    xj_free(next);
    /* each bucket sorted, repeats dropped, the whole compacted */
    uint64_t at = 0;
    for (uint64_t b = 0; b < buckets; b++) {
        uint64_t const from = start[b], to = start[b + 1];
        pop_sortBucket(v + from, to - from);
        start[b] = at;
        for (uint64_t i = from; i < to; i++) {
            if (at > start[b] && v[at - 1].id == v[i].id && v[at - 1].name == v[i].name) continue;
            if (at == start[b] || v[at - 1].id != v[i].id) out->ids++;
            else if (at - 1 == start[b] || v[at - 2].id != v[i].id) out->several_names++;
            v[at++] = v[i];
        }
    }
    start[buckets] = at;
    if (at < n && at > 0) {
        pop_entry *const smaller = xj_realloc(v, at * sizeof *v);
        if (smaller != NULL) v = smaller;
    }
    out->v = v;
    out->n = at;
    out->start = start;
    out->bits = bits;
    out->owned_v = v;
    out->owned_start = start;
    return XJ_OK;
}

pop_answer pop_lookup(const pop_table *t, uint64_t id, uint64_t name)
{
    uint64_t const b = pop_bucket(id, t->bits);
    int found = 0;
    for (uint64_t i = t->start[b]; i < t->start[b + 1]; i++) {
        if (t->v[i].id != id) {
            if (t->v[i].id > id) break;
            continue;
        }
        if (t->v[i].name == name) return POP_MATCH;
        found = 1;
    }
    return found ? POP_NAME_MISMATCH : POP_NOT_FOUND;
}

int pop_tableValid(const pop_table *t)
{
    if (t->bits > 40) return 0;
    uint64_t const buckets = 1ull << t->bits;
    if (t->start[0] != 0 || t->start[buckets] != t->n) return 0;
    for (uint64_t b = 0; b < buckets; b++) {
        if (t->start[b] > t->start[b + 1]) return 0;
        for (uint64_t i = t->start[b]; i < t->start[b + 1]; i++) {
            if (pop_bucket(t->v[i].id, t->bits) != b) return 0;
            if (i > t->start[b] && !pop_less(&t->v[i - 1], &t->v[i])) return 0;
        }
    }
    return 1;
}

void pop_tableFree(pop_table *t)
{
    if (t == NULL) return;
    xj_free(t->owned_v);
    xj_free(t->owned_start);
    memset(t, 0, sizeof *t);
}
