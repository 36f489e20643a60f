/*
 * pop_table — see pop_table.h.
 */
#include "pop_table.h"

#include <string.h>

#include "xj_alloc.h"

/* (home, number, name) order. */
static int pop_before(const pop_entry *a, uint64_t ha, const pop_entry *b, uint64_t hb)
{
    if (ha != hb) return ha < hb;
    return a->id != b->id ? a->id < b->id : a->name < b->name;
}

/* Entries of one home are few: insertion sort is the fastest there is. */
static void pop_sortHome(pop_entry *v, uint64_t n)
{
    for (uint64_t i = 1; i < n; i++) {
        pop_entry const e = v[i];
        uint64_t j = i;
        for (; j > 0 && (e.id < v[j - 1].id || (e.id == v[j - 1].id && e.name < v[j - 1].name)); j--) v[j] = v[j - 1];
        v[j] = e;
    }
}

/* v sorted by home, in place by cycles (American flag sort): an extract
 * may be as large as the register, and a second array of it would double
 * the memory. `start` (n_home + 1 words) ends holding each home's first. */
static void pop_sortByHome(pop_entry *v, uint64_t n, uint64_t n_home, uint64_t *start, uint64_t *next)
{
    for (uint64_t i = 0; i < n; i++) start[pop_home(v[i].id, n_home) + 1]++;
    for (uint64_t b = 0; b < n_home; b++) start[b + 1] += start[b];
    memcpy(next, start, n_home * sizeof *next);
    for (uint64_t b = 0; b < n_home; b++) {
        while (next[b] < start[b + 1]) {
            pop_entry e = v[next[b]];
            uint64_t home = pop_home(e.id, n_home);
            while (home != b) {
                pop_entry const displaced = v[next[home]];
                v[next[home]++] = e;
                e = displaced;
                home = pop_home(e.id, n_home);
            }
            v[next[b]++] = e;
        }
    }
}

xj_error pop_tableBuild(pop_entry *v, uint64_t n, pop_table *out)
{
    memset(out, 0, sizeof *out);
    uint64_t const n_home = n + n / 4 + 1;
    uint64_t *const start = xj_callocTable(n_home + 1, sizeof *start);
    uint64_t *const next = xj_mallocArray(n_home, sizeof *next);
    if (start == NULL || next == NULL) {
        xj_free(start), xj_free(next), xj_free(v);
        return XJ_ERR_NOMEM;
    }
    pop_sortByHome(v, n, n_home, start, next);
    xj_free(next);
    /* each home's entries in order, repeats dropped (kept <= i: entries
     * only move left), the numbers and those with several names counted */
    uint64_t kept = 0, names = 0;
    for (uint64_t h = 0; h < n_home; h++) {
        /* v is NULL when the extracts hold no entry: not even v + 0 then */
        if (start[h + 1] > start[h]) pop_sortHome(v + start[h], start[h + 1] - start[h]);
        for (uint64_t i = start[h]; i < start[h + 1]; i++) {
            if (kept && v[kept - 1].id == v[i].id && v[kept - 1].name == v[i].name) continue;
            if (kept == 0 || v[kept - 1].id != v[i].id) out->ids++, names = 1;
            else if (++names == 2) out->several_names++;
            v[kept++] = v[i];
        }
    }
    xj_free(start);
    /* each at its home or just after the one before it; every home slot
     * is a slot (n_home <= n_slots, as lookups and pop_tableValid expect)
     * even when no entry lies at the last ones */
    uint64_t n_slots = n_home;
    for (uint64_t i = 0, pos = 0; i < kept; i++) {
        uint64_t const home = pop_home(v[i].id, n_home);
        pos = i && pos + 1 > home ? pos + 1 : home;
        if (pos + 1 > n_slots) n_slots = pos + 1;
    }
    pop_entry *const slots = xj_mallocArray(n_slots, sizeof *slots);
    if (slots == NULL) {
        xj_free(v);
        return XJ_ERR_NOMEM;
    }
    for (uint64_t k = 0; k < n_slots; k++) slots[k] = (pop_entry){POP_EMPTY, 0};
    for (uint64_t i = 0, pos = 0; i < kept; i++) {
        uint64_t const home = pop_home(v[i].id, n_home);
        pos = i && pos + 1 > home ? pos + 1 : home;
        slots[pos] = v[i];
    }
    xj_free(v);
    uint64_t const ids = out->ids, several = out->several_names;
    *out = (pop_table){.v = slots, .n_slots = n_slots, .n_home = n_home, .n = kept, .ids = ids,
                       .several_names = several, .owned = slots};
    return XJ_OK;
}

pop_answer pop_lookup(const pop_table *t, uint64_t id, uint64_t name)
{
    if (t->n_home == 0) return POP_NOT_FOUND;
    uint64_t const home = pop_home(id, t->n_home);
    int found = 0;
    for (uint64_t i = home; i < t->n_slots; i++) {
        const pop_entry *const e = &t->v[i];
        if (e->id == POP_EMPTY) break;
        if (e->id == id) {
            if (e->name == name) return POP_MATCH;
            found = 1;
        } else if (pop_home(e->id, t->n_home) > home) {
            break;
        }
    }
    return found ? POP_NAME_MISMATCH : POP_NOT_FOUND;
}

int pop_tableValid(const pop_table *t)
{
    if (t->n_slots == 0 || t->n_home > t->n_slots || (t->n_home == 0 && t->n != 0)) return 0;
    uint64_t run_start = 0, entries = 0, ids = 0, several = 0, names = 0;
    const pop_entry *prev = NULL;
    uint64_t prev_home = 0;
    for (uint64_t i = 0; i < t->n_slots; i++) {
        const pop_entry *const e = &t->v[i];
        if (e->id == POP_EMPTY) {
            prev = NULL;
            run_start = i + 1;
            continue;
        }
        uint64_t const home = pop_home(e->id, t->n_home);
        /* reachable: no empty slot between its home and it; in order */
        if (home > i || home < run_start) return 0;
        if (prev && !pop_before(prev, prev_home, e, home)) return 0;
        entries++;
        if (prev == NULL || prev->id != e->id) ids++, names = 1;
        else if (++names == 2) several++;
        prev = e;
        prev_home = home;
    }
    /* the counts too: `index info` prints them, as a run's summary does */
    return entries == t->n && ids == t->ids && several == t->several_names;
}

void pop_tableFree(pop_table *t)
{
    if (t == NULL) return;
    xj_free(t->owned);
    memset(t, 0, sizeof *t);
}
