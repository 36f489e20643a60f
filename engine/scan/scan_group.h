/*
 * scan_group — the grouping stage: key tables in, groups out, as plain data.
 *
 * It knows nothing of the run, the inputs or the passes, so it runs alone
 * (tests/pipeline/test_group_stage.c) and its input can come from anywhere:
 * the tables of this process's pass-1 workers, or — for a distributed run —
 * tables received from other processes, simply more tables in the list
 * (shards are grouped independently, grp_keys.h). A key source that cannot
 * list its keys, only answer for one — a batch check's register index, far
 * larger than the batch — is joined instead: it is asked about every
 * distinct key of the tables and its members join that key's group.
 *
 * Groups come in shard order, keys in order within a shard, members by
 * ascending ref; nothing depends on the thread count.
 *
 * Cost: gk_findGroups (a hash table picks the repeated keys, only those are
 * sorted); with a joined source, every key is sorted instead, and the
 * source is asked once with all of them.
 */
#ifndef XJ_SCAN_GROUP_H
#define XJ_SCAN_GROUP_H

#include "grp_keys.h"

/* Key kinds, in gd_keyKind order: GB IDs, other IDs, attributes. */
#define SC_KEY_KINDS 3

/* The tables grouping consumes: of[kind][0 .. n), all of a kind narrow
 * (GB IDs) or all wide. Consumed: each is freed as it is grouped. */
typedef struct sc_keyTables {
    gk_table **of[SC_KEY_KINDS];
    size_t n;
} sc_keyTables;

/* What a joined source holds under the distinct keys of one kind,
 * keys.g[g]: refs[first[g] .. first[g + 1]), ascending, each after every
 * table ref (its sources are numbered after the tables'), with GK_HAS_ID on
 * a member that has an ID number. Allocated by the source, freed by the
 * grouping stage (sc_keyHitsFree). */
typedef struct sc_keyHits {
    uint64_t *refs;
    size_t *first;      /* keys.n + 1 entries */
} sc_keyHits;

void sc_keyHitsFree(sc_keyHits *h);

/* A key source asked by key (a batch check's register: sc_registerSource).
 * `find` gets the tables' distinct keys of every kind (each key a gk_group
 * with the tables' members) and fills hits[kind] for them; an error sets
 * `st`. */
typedef struct sc_keyLookup {
    xj_error (*find)(void *self, const gk_groups keys[SC_KEY_KINDS], sc_keyHits hits[SC_KEY_KINDS], xj_status *st);
    void *self;
} sc_keyLookup;

/* Groups the tables into out[kind]: runs of two or more equal keys; with
 * `attr_mixed`, an attribute group needs a member without an ID number
 * (refs keep GK_HAS_ID). With `lookup` (may be NULL), every distinct key of
 * the tables is a candidate, its looked-up members following its own, and
 * counts with two or more in all. `threads`: for the shard loop. */
xj_error sc_groupKeys(const sc_keyTables *tables, const sc_keyLookup *lookup, int attr_mixed, int threads,
                      gk_groups out[SC_KEY_KINDS], xj_status *st);

#endif
