/*
 * gen_typos.h — internals of `xjdedup gen --suspects N` (issue 17,
 * docs/suspects.md), shared by gen_typos.c (the plan: which records, which
 * typing slips, which suspect groups) and gen_typos_out.c (the plan checked
 * against the population, the output file and its truth).
 */
#ifndef XJ_GEN_TYPOS_H
#define XJ_GEN_TYPOS_H

#include "gen.h"

/* What an instance plants. Positives (one suspect group or more) first,
 * then negatives (never a group). TY_SUB and TY_SWAP come with a position. */
enum ty_what {
    TY_SUB = 0, TY_SWAP, TY_REGION, TY_BIRTH, TY_B_TWICE, TY_A_TWICE, TY_TWO_TYPOS,
    TY_TWO_GROUPS, TY_B_SEX, TY_B_BIRTH, TY_B_CHANGED, TY_TYPE9, TY_B_SHARED,
    TY_NAMESAKES, TY_TWINS, TY_TWINS_TYPO, TY_DIFF_NAME, TY_DIFF_BIRTH, TY_DIFF_SEX,
    TY_B_INVALID, TY_BOTH_TYPO
};
enum { TY_FIRST_NEGATIVE = TY_NAMESAKES };

typedef struct ty_kind {
    uint8_t what;             /* enum ty_what */
    uint8_t pos;              /* TY_SUB: 1..18, TY_SWAP: 1..17 (with pos+1); else 0 */
    char name[24];            /* the truth's name: "sub7", "swap3", "namesakes", ... */
} ty_kind;

enum { TY_OP_SUB = 1, TY_OP_SWAP = 2 };

/* A planted record. role: 'A' its ID is a slip of a B's, 'B' holds the
 * real number, 'O' any other record of an instance. */
typedef struct ty_rec {
    gen_person p;             /* as written, before noise */
    uint32_t inst;            /* its instance */
    char role;
    uint64_t key;             /* hash of its attribute key (name, sex, birth date) */
} ty_rec;

enum { TY_MAX_MEMBERS = 4 };

/* A suspect group the rules must find: keyed by the ID of record key_rec. */
typedef struct ty_group {
    uint32_t inst;
    uint32_t key_rec;
    uint32_t n;
    uint32_t member[TY_MAX_MEMBERS];
} ty_group;

/* A slip made on purpose: record a's ID is record b's ID after it. */
typedef struct ty_slip {
    uint32_t a, b;
    uint8_t op, pos;
} ty_slip;

typedef struct ty_inst {
    uint16_t kind;            /* index into the kind table */
    uint32_t number;          /* among the kind's instances */
    uint32_t rec0, rec1;      /* its records [rec0, rec1) */
    uint32_t grp0, grp1;      /* its groups */
    uint32_t slip0, slip1;    /* its slips */
    uint8_t dead;             /* given up: a later instance replaces it */
    uint8_t checked;          /* its keys were looked for in the population */
    uint8_t met;              /* a base row has one of its keys: to be replaced */
} ty_inst;

typedef struct ty_plan {
    gen_ctx *ctx;
    uint32_t per_kind;        /* --suspects N */
    ty_kind *kinds; uint32_t n_kinds;
    gen_rng r;                /* the plan's one stream */
    uint64_t vrow;            /* next virtual row: a record's noise stream and serial */
    ty_rec *rec; size_t n_rec, cap_rec;
    ty_group *grp; size_t n_grp, cap_grp;
    ty_slip *slip; size_t n_slip, cap_slip;
    ty_inst *inst; size_t n_inst, cap_inst;
    uint64_t *ids; size_t n_ids, cap_ids;    /* reserved 17-digit prefixes + 1 */
    uint64_t *keys; uint32_t *key_inst; size_t n_keys, cap_keys; /* attribute keys of live instances */
    int oom;
} ty_plan;

/* gen_typos.c */
int ty_planInit(ty_plan *pl, gen_ctx *ctx, uint32_t per_kind);
void ty_planFree(ty_plan *pl);
/* Plans instance `number` of kind k, retrying with fresh draws; -1 when it
 * could not (pl->oom says whether memory ran out). */
int ty_planInstance(ty_plan *pl, uint16_t k, uint32_t number);
/* Hash of a record's attribute key: name (ASCII spaces dropped, A-Z folded;
 * generated names need nothing else of rules §3), sex, birth date. */
uint64_t ty_attrKey(const gen_person *p);
/* The rules §4 reason of a planted record's ID for the record, "" when valid
 * (this generator's own reading, for the truth). */
const char *ty_reason(const gen_ctx *ctx, const gen_person *p);
/* The normalized name as ty_attrKey reads it, into out (NUL-terminated). */
void ty_normName(const gen_person *p, char *out, size_t cap);

#endif
