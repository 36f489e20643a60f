/*
 * grp_decide — from groups to reportable rows (rules §5).
 *
 * In: the groups found by grp_keys and, for every member, the fields the
 * second pass gathered (gr_record). Out: one pb_row (xj_problem.h) per
 * (record, problem), with group_id, size, scope, arbiter, keeper, hint and
 * other_schools, other_members; emit writes them, and group never needs emit to make them.
 *
 * Every decision depends only on the group's members, never on which thread
 * handles it or in what order groups come, so groups can be decided in
 * parallel and — later — on the process that owns their shard.
 */
#ifndef XJ_GRP_DECIDE_H
#define XJ_GRP_DECIDE_H

#include <stdint.h>

#include "grp_keys.h"
#include "xj_arena.h"
#include "xj_problem.h"

/* What the second pass keeps of a flagged record. Strings are in an arena. */
typedef struct gr_record {
    uint64_t ref;           /* gk_ref(source, line), without GK_HAS_ID */
    const char *school;     /* school code as in input */
    const char *county;     /* county code as in input ("" when absent) */
    const char *student_no; /* as in input */
    const char *school_name;/* as in input ("" when absent; register records have none) */
    const char *name;       /* normalized name */
    const char *id;         /* normalized ID number */
    const char *tail;       /* ",v1,...,vn": the output columns, CSV-encoded */
    uint32_t school_len;
    uint32_t county_len;
    uint32_t student_no_len;
    uint32_t school_name_len;
    uint32_t name_len;
    uint32_t id_len;
    uint32_t tail_len;
    uint32_t registered;    /* YYYYMMDD, 0 when missing */
    uint32_t birth;         /* YYYYMMDD */
    uint8_t sex;            /* 1 or 2 */
    char id_type;           /* '1', '6', ... 'Z' */
    uint8_t reg_reason;     /* register members (batch check): their ID's xj_idReason */
    uint8_t from_register;  /* a register member: its ID number is not kept (id is ""), only reg_reason */
} gr_record;

/* Finds a member's record; NULL would be a broken invariant. A national
 * scan gathers millions of records of ~100 bytes, and a binary search over
 * them missed the cache at nearly every step; gr_indexInit adds every
 * GR_INDEX_EVERY-th ref in an array of its own, small enough to stay
 * cached, which is searched first. {recs, n} alone works too, slower. */
#define GR_INDEX_EVERY 16
typedef struct gr_index {
    const gr_record *recs;  /* sorted by ref */
    size_t n;
    uint64_t *every;        /* recs[i * GR_INDEX_EVERY].ref, or NULL */
    size_t n_every;
} gr_index;

/* Never fails: without memory for `every`, the index searches recs alone. */
void gr_indexInit(gr_index *ix, const gr_record *recs, size_t n);
void gr_indexFree(gr_index *ix);
const gr_record *gr_find(const gr_index *ix, uint64_t ref);

typedef enum gd_keyKind {
    GD_KEY_GB = 0,     /* packed GB 11643 ID in the key's lo */
    GD_KEY_OTHER_ID,   /* (type, number) of the first member */
    GD_KEY_ATTR        /* (name, sex, birth) of the first member */
} gd_keyKind;

/* The officers' decisions (docs/monthly.md §4): `approved` says whether the
 * decision in effect for the member's (group id, student number, school
 * code) approves it, and marks any decision in effect for them as matched.
 * Called from several threads at once. */
typedef struct gd_verdicts {
    int (*approved)(void *user, uint64_t group_id, const gr_record *member);
    void *user;
} gd_verdicts;

typedef struct gd_context {
    const gr_index *index;          /* gathered records */
    const char *const *source_names;/* input base names, for tie-breaks */
    const uint32_t *source_rank;    /* last tie-break between sources; NULL: their index */
    int threads;
    const gd_verdicts *verdicts;    /* NULL: no decisions */
} gd_context;

/* Writes one row per member of every group into rows[0 .. gs->n_refs),
 * strings (other_schools, other_members) into per-thread arenas `arenas[threads]`.
 * XJ_ERR_NOMEM, or XJ_ERR_INTERNAL when a member's record is missing. */
xj_error gd_decideGroups(const gd_context *ctx, const gk_groups *gs, gd_keyKind kind, pb_problem problem,
                         pb_row *rows, xj_arena *arenas, xj_status *st);

/* The stable group id of rules §5: XXH3-64 of "<problem>\0<key text>". */
uint64_t gd_groupId(pb_problem problem, const char *key, size_t key_len);

#endif
