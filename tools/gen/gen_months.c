/*
 * gen_months — `xjdedup gen --months M -o DIR`: the population as it is
 * exported in M consecutive months, with known changes between them, the
 * officers' decisions after each run, and truth.json saying what the monthly
 * cycle (docs/monthly.md) must report about every changed record.
 *
 * The base population is the one `gen` writes for month 1's run date; every
 * month writes it again, unchanged except for the records below. Each kind
 * of change ("case") is made `changes` times for every month k = 2..M that it
 * fits, each instance with records of its own:
 *  - base records: ordinary rows (a valid type-1 ID with a G number, or no
 *    ID), chosen by hash draws and checked by one pass over the population to
 *    share their ID (or, without ID, their name, sex and birth date) with no
 *    other row, so every group of the truth has exactly the members listed;
 *  - appended records, written after the last base row: copies of a base
 *    record (a transfer into another school, an import into the same school,
 *    a second registration without ID) and new students, whose IDs use the
 *    sequence numbers 800-999 that the base population never issues (its
 *    sequence numbers are below 800, gen_people.c), so they are new keys.
 * A record is present in months [from, to] and may have a second version
 * from month `chg` on (its ID corrected or changed).
 *
 * The truth is derived, month by month, from these records alone: their
 * problem rows and group ids (rules §5), the decisions in effect, and status,
 * first_seen and resolved as docs/monthly.md states them. Since the rest of
 * the population never changes and shares no key with them, resolved.csv,
 * attested.csv, decisions.csv and decisions_unmatched.csv are complete.
 *
 * Everything is planned on one thread from the seed; only writing the month
 * files is parallel (gen_run), so the files do not depend on --threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xxhash.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "commands.h"
#include "gen.h"

uint32_t gen_monthsBefore(uint32_t ymd, uint32_t n)
{
    static const int MDAYS[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y = (int)(ymd / 10000), m = (int)(ymd / 100 % 100) - (int)n;
    uint32_t d = ymd % 100;
    while (m < 1) { m += 12; y--; }
    int const leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    uint32_t const last = (uint32_t)(MDAYS[m - 1] + (m == 2 && leap));
    if (d > last) d = last;
    return (uint32_t)y * 10000 + (uint32_t)m * 100 + d;
}

/* ------------------------------------------------------------ cases */

enum mo_case {
    C_DEL_TRANSFER, C_DEL_IMPORT, C_DEL_INVALID, C_ADD_NEW, C_ADD_DUP, C_ADD_INVALID, C_FIX_ID,
    C_ID_CHANGED, C_OLD_ID, C_ATTEST, C_JOIN, C_REVOKE_ATTR, C_APPROVE_ONE, C_REVOKE_ID,
    C_DOUBLE_FAR, C_DOUBLE_NEAR, C_UNMATCHED, C_COUNT
};

static const char *const CASE_NAMES[C_COUNT] = {
    "del_transfer", "del_import", "del_invalid", "add_new", "add_dup", "add_invalid", "fix_id",
    "id_changed", "old_id", "attest_attr", "join_attested", "revoke_attr", "approve_one", "revoke_id",
    "double_far", "double_near", "unmatched",
};

enum { P_ID = 0, P_INV = 1, P_ATTR = 2 }; /* problems, in the order of their codes */
static const char *const PROBLEM[3] = { "id_duplicate", "id_invalid", "attr_duplicate" };

enum { MAX_MONTHS = 24 };

typedef struct mo_rec {
    gen_person v[2];          /* v[0] until month chg, v[1] from it */
    uint8_t reason[2];        /* xj_idReason of each version's own ID */
    uint8_t kase;             /* enum mo_case */
    uint32_t inst;            /* instance of its case */
    uint32_t event;           /* the month its case changes it (k) */
    uint32_t from, to;        /* present in months from..to */
    uint32_t chg;             /* first month of v[1], 0 never */
    uint64_t base;            /* its base row, UINT64_MAX when appended */
} mo_rec;

/* A decision line to write, resolved against the previous month's rows. */
typedef struct mo_dspec {
    uint32_t month;           /* written to decisions<month>.csv */
    uint32_t gid_rec;         /* the record whose group is named */
    uint8_t gid_prob;         /* P_ID or P_ATTR; P_INV: an empty group_id */
    uint8_t fake;             /* a group_id no group has */
    uint8_t approve;          /* approved, else revoked */
    uint32_t who;             /* the record whose student number and school are named */
} mo_dspec;

typedef struct mo_dline {
    char gid[17];             /* "" when empty */
    char sno[20];
    char school[11];
    uint8_t approve;
    uint8_t kase;
    uint8_t prev;             /* from PREV's decisions.csv */
    uint32_t line;            /* in its file */
} mo_dline;

typedef struct mo_row {
    uint32_t rec;             /* its record */
    uint8_t prob;             /* P_* */
    uint8_t old_id;           /* in the group of its old ID (docs/monthly.md §6) */
    uint8_t klen;
    char key[sizeof ((gen_person *)0)->name + 16]; /* the group's key text (rules §5): a whole name + 11 */
    char gid[17];
    const char *reason;       /* as problems.csv must have it */
    uint32_t group_size;      /* 0 for id_invalid */
    const char *scope, *arbiter;
    int8_t keeper;            /* -1 when not an id_duplicate row */
    uint8_t approved, attested;
    const char *status;       /* NULL: docs/monthly.md does not settle it */
    uint32_t first_seen;
} mo_row;

typedef struct mo_resolved {
    uint8_t prob;
    char gid[17], sno[20], school[11];
    uint32_t first_seen;
    uint8_t gone;
    uint8_t kase;
} mo_resolved;

typedef struct mo_month {
    mo_row *rows; size_t n_rows;
    mo_resolved *res; size_t n_res;
    mo_dline *lines; size_t n_lines;        /* decisions<k>.csv as written */
    mo_dline *decided; size_t n_decided;    /* decisions.csv the run must write */
    mo_dline *unmatched; size_t n_unmatched;
} mo_month;

typedef struct mo_plan {
    gen_ctx *ctx;
    uint32_t M, c;
    uint32_t date[MAX_MONTHS + 1];
    gen_rng r;                /* the plan's one stream */
    mo_rec *rec; size_t n_rec, cap_rec;
    mo_dspec *ds; size_t n_ds, cap_ds;
    uint64_t *plain, *noid;   /* verified base rows */
    size_t n_plain, n_noid, i_plain, i_noid;
    uint64_t *ids; size_t cap_ids; /* open addressing: 17-digit prefixes of new IDs */
    mo_month mon[MAX_MONTHS + 1];
    uint32_t event;           /* the month being planned */
    int oom;
} mo_plan;

#define GROW(arr, n, cap, fail) do { if ((n) == (cap)) { size_t nc_ = (cap) ? (cap) * 2 : 64; \
    void *p_ = realloc((arr), nc_ * sizeof *(arr)); if (p_ == NULL) { fail; } else { (arr) = p_; (cap) = nc_; } } } while (0)

/* ------------------------------------------------------------ keys */

/* The 64-bit form of a GB 11643 key (rules §4: 18 characters; a 15-digit
 * type-1 number by its 18-digit form), 0 when the ID has no such key. */
static uint64_t mo_gbKey(const gen_person *p)
{
    char id[18];
    if (p->id_len == 15 && p->id_type == '1') {
        for (int i = 0; i < 15; i++) if (p->id[i] < '0' || p->id[i] > '9') return 0;
        memcpy(id, p->id, 6); id[6] = '1'; id[7] = '9'; memcpy(id + 8, p->id + 6, 9);
        gen_finishId(id);
    } else if (p->id_len == 18 && (p->id_type == '1' || p->id_type == '9')) {
        memcpy(id, p->id, 18);
    } else {
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 17; i++) { if (id[i] < '0' || id[i] > '9') return 0; v = v * 10 + (uint64_t)(id[i] - '0'); }
    if (id[17] == 'X') return v * 11 + 10 + 1;
    if (id[17] < '0' || id[17] > '9') return 0;
    return v * 11 + (uint64_t)(id[17] - '0') + 1;
}

/* Attribute key text (decisions.md, "Groups"): name NUL sex NUL yyyymmdd.
 * Generated names are already normalized (Han, or dotted with U+00B7). */
static size_t mo_attrText(const gen_person *p, char *buf)
{
    memcpy(buf, p->name, p->name_len);
    size_t n = p->name_len;
    buf[n++] = '\0';
    buf[n++] = (char)('0' + p->sex);
    buf[n++] = '\0';
    gen_putDate8(buf + n, p->birth);
    return n + 8;
}

static uint64_t mo_attrHash(const gen_person *p)
{
    char buf[sizeof p->name + 16];
    return XXH3_64bits(buf, mo_attrText(p, buf));
}

/* rules §5: 16 lower-case hex digits of XXH3-64 over problem NUL key. */
static void mo_groupId(uint8_t prob, const char *key, size_t n, char out[17])
{
    char buf[sizeof ((gen_person *)0)->name + 48]; /* a problem code, NUL and a key text */
    size_t const pl = strlen(PROBLEM[prob]) + 1;
    memcpy(buf, PROBLEM[prob], pl);
    memcpy(buf + pl, key, n);
    snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits(buf, pl + n));
}

/* ------------------------------------------------------------ choosing base rows */

static int mo_cmpU64(const void *a, const void *b)
{
    uint64_t const x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static size_t mo_find(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { size_t const m = lo + (hi - lo) / 2; if (v[m] < x) lo = m + 1; else hi = m; }
    return (lo < n && v[lo] == x) ? lo : SIZE_MAX;
}

/* Draws `want` distinct rows of the role (PLAIN: a type-1 ID and a G
 * number) by hash, in draw order; returns how many it found. */
static size_t mo_draw(const gen_ctx *ctx, uint8_t role, uint64_t salt, uint64_t *out, size_t want)
{
    size_t n = 0, cap = 1024;
    uint64_t const N = ctx->o.rows;
    while (cap < want * 4) cap *= 2;
    uint64_t *const set = calloc(cap, sizeof *set); /* rows + 1 drawn so far */
    if (set == NULL) return 0;
    for (uint64_t t = 0; n < want && t < 200 * (uint64_t)want + 100000 && N > 0; t++) {
        uint64_t const row = gen_below64(gen_mix(ctx->k_layout ^ salt ^ gen_mix(t + 1)), N);
        if (gen_roleOf(ctx, row) != role) continue;
        size_t h = (size_t)gen_mix(row) & (cap - 1);
        while (set[h] != 0 && set[h] != row + 1) h = (h + 1) & (cap - 1);
        if (set[h] != 0) continue;
        if (role == GEN_ROLE_PLAIN) {
            gen_loc loc;
            gen_person p;
            gen_locate(ctx, row, &loc);
            gen_makeRow(ctx, row, &loc, &p);
            if (p.sno[0] != 'G' || p.id_type != '1' || mo_gbKey(&p) == 0) continue;
        }
        set[h] = row + 1;
        out[n++] = row;
    }
    free(set);
    return n;
}

/* The candidates' sorted keys and, per key, the base rows that have it. */
typedef struct mo_tally {
    const uint64_t *sp, *sn;  /* ID keys, attribute keys */
    size_t np, nn;
    uint32_t *cp, *cn;        /* rows per key */
} mo_tally;

static void mo_tallyRow(void *arg, const gen_person *p)
{
    mo_tally *const t = arg;
    if (p->malformed) return; /* rejected by scan: no key */
    size_t at = SIZE_MAX;
    uint64_t const g = mo_gbKey(p);
    if (g != 0 && (at = mo_find(t->sp, t->np, g)) != SIZE_MAX) {
#ifdef _OPENMP
#pragma omp atomic
#endif
        t->cp[at]++;
    }
    if (p->id_len == 0 && (at = mo_find(t->sn, t->nn, mo_attrHash(p))) != SIZE_MAX) {
#ifdef _OPENMP
#pragma omp atomic
#endif
        t->cn[at]++;
    }
}

/* Keeps the candidates whose key no other base row has: one pass over the
 * population counting, per candidate key, the rows that have it. */
static int mo_verify(const gen_ctx *ctx, uint64_t *plain, size_t *n_plain, uint64_t *noid, size_t *n_noid)
{
    size_t const np = *n_plain, nn = *n_noid;
    uint64_t *const kp = malloc((np + 1) * sizeof *kp), *const kn = malloc((nn + 1) * sizeof *kn);
    uint64_t *const sp = malloc((np + 1) * sizeof *sp), *const sn = malloc((nn + 1) * sizeof *sn);
    uint32_t *const cp = calloc(np + 1, sizeof *cp), *const cn = calloc(nn + 1, sizeof *cn);
    if (!kp || !kn || !sp || !sn || !cp || !cn) { free(kp); free(kn); free(sp); free(sn); free(cp); free(cn); return -1; }
    for (size_t i = 0; i < np; i++) {
        gen_loc loc; gen_person p;
        gen_locate(ctx, plain[i], &loc);
        gen_makeRow(ctx, plain[i], &loc, &p);
        kp[i] = sp[i] = mo_gbKey(&p);
    }
    for (size_t i = 0; i < nn; i++) {
        gen_loc loc; gen_person p;
        gen_locate(ctx, noid[i], &loc);
        gen_makeRow(ctx, noid[i], &loc, &p);
        kn[i] = sn[i] = mo_attrHash(&p);
    }
    qsort(sp, np, sizeof *sp, mo_cmpU64);
    qsort(sn, nn, sizeof *sn, mo_cmpU64);
    mo_tally t = { sp, sn, np, nn, cp, cn };
    gen_eachRow(ctx, mo_tallyRow, &t);
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        size_t const at = mo_find(sp, np, kp[i]);
        if (at >= np) continue; /* never: kp[i] is one of sp's keys */
        /* equal keys among candidates count each other too */
        if (cp[at] == 1 && (at + 1 >= np || sp[at + 1] != kp[i])) plain[k++] = plain[i];
    }
    *n_plain = k;
    k = 0;
    for (size_t i = 0; i < nn; i++) {
        size_t const at = mo_find(sn, nn, kn[i]);
        if (at >= nn) continue; /* never: kn[i] is one of sn's keys */
        if (cn[at] == 1 && (at + 1 >= nn || sn[at + 1] != kn[i])) noid[k++] = noid[i];
    }
    *n_noid = k;
    free(kp); free(kn); free(sp); free(sn); free(cp); free(cn);
    return 0;
}

/* ------------------------------------------------------------ records */

static uint32_t mo_addRec(mo_plan *pl, uint8_t kase, uint32_t inst)
{
    GROW(pl->rec, pl->n_rec, pl->cap_rec, pl->oom = 1; return 0);
    uint32_t const i = (uint32_t)pl->n_rec++;
    mo_rec *const r = &pl->rec[i];
    memset(r, 0, sizeof *r);
    r->kase = kase; r->inst = inst; r->event = pl->event;
    r->from = 1; r->to = pl->M;
    r->base = UINT64_MAX;
    r->v[0].row = pl->ctx->o.rows + i; /* its noise stream; never a base row */
    return i;
}

static uint32_t mo_addBase(mo_plan *pl, uint8_t kase, uint32_t inst, int noid)
{
    uint64_t const row = noid ? pl->noid[pl->i_noid++] : pl->plain[pl->i_plain++];
    uint32_t const i = mo_addRec(pl, kase, inst);
    if (pl->oom) return 0;
    mo_rec *const r = &pl->rec[i];
    gen_loc loc;
    gen_locate(pl->ctx, row, &loc);
    gen_makeRow(pl->ctx, row, &loc, &r->v[0]);
    r->base = row;
    return i;
}

/* A day in (after, upto]; `after` itself when the window is empty. */
static uint32_t mo_dateIn(mo_plan *pl, uint32_t after, uint32_t upto)
{
    int32_t const a = gen_dayNumber(after), b = gen_dayNumber(upto);
    if (b <= a) return after;
    return gen_fromDayNumber(a + 1 + (int32_t)gen_below(&pl->r, (uint32_t)(b - a)));
}

/* A new valid type-1 ID for p: the region given, p's birth date and sex,
 * and a sequence number 800-999 that no base row has and no other new ID of
 * this plan took. -1 when the 100 numbers of that region and day are gone. */
static int mo_newId(mo_plan *pl, gen_person *p, const char region[6])
{
    memcpy(p->id, region, 6);
    gen_putDate8(p->id + 6, p->birth);
    for (uint32_t k = 0; k < 100; k++) {
        uint32_t const seq = 800 + ((gen_below(&pl->r, 100) + k) % 100) * 2 + (p->sex == 1);
        gen_putDigits(p->id + 14, seq, 3);
        uint64_t v = 0;
        for (int i = 0; i < 17; i++) v = v * 10 + (uint64_t)(p->id[i] - '0');
        size_t const mask = pl->cap_ids - 1;
        size_t h = (size_t)gen_mix(v) & mask;
        int taken = 0;
        while (pl->ids[h] != 0 && !(taken = pl->ids[h] == v + 1)) h = (h + 1) & mask;
        if (taken) continue;
        pl->ids[h] = v + 1;
        gen_finishId(p->id);
        p->id_len = 18;
        p->id_type = '1';
        return 0;
    }
    return -1;
}

static const char *mo_countyOf(const gen_ctx *ctx, const gen_person *p)
{
    return ctx->counties[ctx->schools[p->loc.school].county].code;
}

/* A new student registered in month `from`: a random row's school and
 * grade, a fresh name and birth date, a new ID and its G number. */
static uint32_t mo_addStudent(mo_plan *pl, uint8_t kase, uint32_t inst, uint32_t from)
{
    uint32_t const i = mo_addRec(pl, kase, inst);
    if (pl->oom) return 0;
    const gen_ctx *const ctx = pl->ctx;
    mo_rec *const r = &pl->rec[i];
    gen_loc loc;
    gen_locate(ctx, gen_below64(gen_next(&pl->r), ctx->o.rows), &loc);
    gen_basePerson(ctx, r->v[0].row, &loc, &r->v[0]);
    gen_person *const p = &r->v[0];
    if (mo_newId(pl, p, mo_countyOf(ctx, p)) != 0) { pl->oom = 2; return 0; }
    p->sno[0] = 'G';
    memcpy(p->sno + 1, p->id, 18);
    r->from = from;
    p->registered = mo_dateIn(pl, from > 1 ? pl->date[from - 1] : p->registered, pl->date[from]);
    return i;
}

/* The student given a temporary L number and an invalid ID: a wrong check
 * character, or (`format`) the last character missing. */
static void mo_breakId(const gen_ctx *ctx, gen_person *p, uint8_t *reason, int format)
{
    p->sno[0] = 'L';
    memcpy(p->sno + 1, mo_countyOf(ctx, p), 6);
    gen_putDigits(p->sno + 7, gen_serial12(p->row, ctx->k_layout ^ 0x1A), 12);
    if (format) { p->id_len = 17; *reason = XJ_ID_FORMAT; return; }
    static const char CC[] = "0123456789X";
    uint32_t const cur = (p->id[17] == 'X') ? 10u : (uint32_t)(p->id[17] - '0');
    p->id[17] = CC[(cur + 1 + (uint32_t)(gen_mix(p->row) % 10)) % 11];
    *reason = XJ_ID_CHECKSUM;
}

enum { CP_TRANSFER, CP_IMPORT, CP_ATTR };
enum { SC_NEAR = -1 };

/* A copy of base record `root` present from month `from`: the same student
 * registered again in a school of the scope's ring (widened when empty;
 * SC_NEAR: the nearest other school), or
 * the same row imported twice, or (CP_ATTR) registered again without ID. */
static uint32_t mo_addCopy(mo_plan *pl, uint32_t root, int scope, int how, uint32_t from)
{
    mo_rec const *q = &pl->rec[root];
    uint32_t const i = mo_addRec(pl, q->kase, q->inst);
    if (pl->oom) return 0;
    const gen_ctx *const ctx = pl->ctx;
    mo_rec *const r = &pl->rec[i];
    q = &pl->rec[root];
    gen_person *const p = &r->v[0];
    uint64_t const vrow = p->row;
    *p = q->v[0];
    p->row = vrow;
    p->root = q->base;
    r->from = from;
    if (how == CP_IMPORT) return i;
    /* SC_NEAR: the nearest ring that has rows (another province only when
     * the province has one school: mo_nearRoot avoids such roots) */
    static const int NEAR[4] = { GEN_SC_COUNTY, GEN_SC_CITY, GEN_SC_PROVINCE, GEN_SC_NATIONAL };
    uint64_t other = UINT64_MAX;
    for (int s = scope < 0 ? 0 : scope; other == UINT64_MAX && s <= (scope < 0 ? 3 : GEN_SC_NATIONAL); s++)
        other = gen_rowInScope(ctx, q->base, &q->v[0].loc, scope < 0 ? NEAR[s] : s, &pl->r);
    gen_loc loc;
    gen_locate(ctx, other == UINT64_MAX ? q->base : other, &loc);
    p->loc = loc;
    p->registered = mo_dateIn(pl, from > 1 ? pl->date[from - 1] : q->v[0].registered, pl->date[from]);
    if (how == CP_ATTR) { /* no ID, a J number of its county */
        p->id_type = 'Z';
        p->id_len = 0;
        p->sno[0] = 'J';
        memcpy(p->sno + 1, mo_countyOf(ctx, p), 6);
        gen_putDigits(p->sno + 7, gen_serial12(p->row, ctx->k_layout ^ 0x2B), 12);
    }
    return i;
}

/* Brings to the front of the unused ID pool a row whose province has another
 * school, so that a copy near it stays in the province. (A copy in the same
 * school would share its identity, rules §1: then one decision names both.) */
static void mo_nearRoot(mo_plan *pl)
{
    for (size_t j = pl->i_plain; j < pl->n_plain; j++) {
        gen_loc loc;
        gen_locate(pl->ctx, pl->plain[j], &loc);
        int near = 0;
        for (int s = GEN_SC_COUNTY; s <= GEN_SC_PROVINCE && !near; s++) {
            gen_rng r = gen_rngAt(0, 0);
            near = gen_rowInScope(pl->ctx, pl->plain[j], &loc, s, &r) != UINT64_MAX;
        }
        if (!near) continue;
        uint64_t const t = pl->plain[j];
        pl->plain[j] = pl->plain[pl->i_plain];
        pl->plain[pl->i_plain] = t;
        return;
    }
}

static void mo_decide(mo_plan *pl, uint32_t month, uint32_t gid_rec, uint8_t prob, uint32_t who, int approve, int fake)
{
    GROW(pl->ds, pl->n_ds, pl->cap_ds, pl->oom = 1; return);
    pl->ds[pl->n_ds++] = (mo_dspec){ month, gid_rec, prob, (uint8_t)fake, (uint8_t)approve, who };
}

/* An attribute group of a base no-ID student and its second registration,
 * both approved after month k-1: attested from month k. */
static uint32_t mo_attested(mo_plan *pl, uint8_t kase, uint32_t inst, uint32_t k, uint32_t *copy)
{
    uint32_t const n = mo_addBase(pl, kase, inst, 1);
    if (pl->oom) return 0;
    *copy = mo_addCopy(pl, n, GEN_SC_COUNTY, CP_ATTR, 1);
    mo_decide(pl, k, n, P_ATTR, n, 1, 0);
    mo_decide(pl, k, n, P_ATTR, *copy, 1, 0);
    return n;
}

/* The instances of every case changing at month k. */
static void mo_planMonth(mo_plan *pl, uint32_t k)
{
    uint32_t const M = pl->M;
    for (uint32_t i = 0; i < pl->c && !pl->oom; i++) {
        uint32_t r, t, t2, v;
        /* deleted: a transfer copy (gone; its original fixed), an import copy, an invalid record */
        r = mo_addBase(pl, C_DEL_TRANSFER, i, 0);
        t = mo_addCopy(pl, r, GEN_SC_COUNTY, CP_TRANSFER, 1);
        pl->rec[t].to = k - 1;
        mo_decide(pl, k, t, P_ID, t, 1, 0); /* approved after it left: unmatched */
        r = mo_addBase(pl, C_DEL_IMPORT, i, 0);
        t = mo_addCopy(pl, r, GEN_SC_SCHOOL, CP_IMPORT, 1);
        pl->rec[t].to = k - 1;
        v = mo_addStudent(pl, C_DEL_INVALID, i, 1);
        mo_breakId(pl->ctx, &pl->rec[v].v[0], &pl->rec[v].reason[0], (int)(i & 1));
        pl->rec[v].to = k - 1;
        /* added: a new student, a new duplicate of an existing one, a new invalid ID */
        mo_addStudent(pl, C_ADD_NEW, i, k);
        r = mo_addBase(pl, C_ADD_DUP, i, 0);
        mo_addCopy(pl, r, GEN_SC_CITY, CP_TRANSFER, k);
        v = mo_addStudent(pl, C_ADD_INVALID, i, k);
        mo_breakId(pl->ctx, &pl->rec[v].v[0], &pl->rec[v].reason[0], 0);
        /* an invalid ID corrected: v[1] is the valid ID it was made from */
        v = mo_addStudent(pl, C_FIX_ID, i, 1);
        if (pl->oom) return;
        pl->rec[v].v[1] = pl->rec[v].v[0];
        mo_breakId(pl->ctx, &pl->rec[v].v[0], &pl->rec[v].reason[0], (int)(i & 1));
        memcpy(pl->rec[v].v[1].sno, pl->rec[v].v[0].sno, 19);
        pl->rec[v].chg = k;
        /* ID changed under the G number, alone and with a copy keeping the old ID */
        for (int with_copy = 0; with_copy < 2 && !pl->oom; with_copy++) {
            r = mo_addBase(pl, with_copy ? C_OLD_ID : C_ID_CHANGED, i, 0);
            if (with_copy) mo_addCopy(pl, r, GEN_SC_COUNTY, CP_TRANSFER, 1);
            if (pl->oom) return;
            mo_rec *const rr = &pl->rec[r];
            rr->v[1] = rr->v[0];
            if (mo_newId(pl, &rr->v[1], rr->v[0].id) != 0) { pl->oom = 2; return; }
            rr->chg = k;
        }
        /* approvals */
        mo_attested(pl, C_ATTEST, i, k, &t);
        r = mo_addBase(pl, C_APPROVE_ONE, i, 0);
        t = mo_addCopy(pl, r, GEN_SC_CITY, CP_TRANSFER, 1);
        mo_decide(pl, k, r, P_ID, t, 1, 0);
        int const near = (int)(i & 1);
        if (near) mo_nearRoot(pl);
        r = mo_addBase(pl, near ? C_DOUBLE_NEAR : C_DOUBLE_FAR, i, 0);
        t = mo_addCopy(pl, r, GEN_SC_NATIONAL, CP_TRANSFER, 1);
        t2 = mo_addCopy(pl, r, SC_NEAR, CP_TRANSFER, 1);
        mo_decide(pl, k, r, P_ID, r, 1, 0);
        mo_decide(pl, k, r, P_ID, near ? t2 : t, 1, 0);
        /* unmatched: a group_id no group has, a student not in the group, an id_invalid row */
        r = mo_addBase(pl, C_UNMATCHED, i, 0);
        mo_addCopy(pl, r, GEN_SC_COUNTY, CP_TRANSFER, 1);
        uint32_t const p0 = mo_addBase(pl, C_UNMATCHED, i, 0);
        v = mo_addStudent(pl, C_UNMATCHED, i, 1);
        if (pl->oom) return;
        mo_breakId(pl->ctx, &pl->rec[v].v[0], &pl->rec[v].reason[0], 0);
        mo_decide(pl, k, p0, P_ID, p0, 1, 1);
        mo_decide(pl, k, r, P_ID, p0, 1, 0);
        mo_decide(pl, k, v, P_INV, v, 1, 0);
        if (k == M) continue;
        /* two-month cases: attested at k, then a new member, or an approval revoked */
        r = mo_attested(pl, C_JOIN, i, k, &t);
        mo_addCopy(pl, r, GEN_SC_COUNTY, CP_ATTR, k + 1);
        r = mo_attested(pl, C_REVOKE_ATTR, i, k, &t);
        mo_decide(pl, k + 1, r, P_ATTR, t, 0, 0);
        r = mo_addBase(pl, C_REVOKE_ID, i, 0);
        t = mo_addCopy(pl, r, GEN_SC_CITY, CP_TRANSFER, 1);
        mo_decide(pl, k, r, P_ID, t, 1, 0);
        mo_decide(pl, k + 1, r, P_ID, t, 0, 0);
    }
}

/* Base rows each month k needs: plain (ID) and no-ID roots. */
static void mo_needs(uint32_t c, uint32_t M, size_t *plain, size_t *noid)
{
    *plain = (size_t)c * ((M - 1) * 9 + (M - 2) * 1);
    *noid = (size_t)c * ((M - 1) * 1 + (M - 2) * 2);
}

/* ------------------------------------------------------------ one month's truth */

static const gen_person *mo_ver(const mo_rec *r, uint32_t m)
{
    return (r->chg && m >= r->chg) ? &r->v[1] : &r->v[0];
}

static int mo_present(const mo_rec *r, uint32_t m) { return m >= r->from && m <= r->to; }

static int mo_cmpRowKey(const void *a, const void *b)
{
    const mo_row *const x = a, *const y = b;
    if (x->prob != y->prob) return x->prob < y->prob ? -1 : 1;
    if (x->klen != y->klen) return x->klen < y->klen ? -1 : 1;
    int const c = memcmp(x->key, y->key, x->klen);
    if (c) return c;
    return (x->rec > y->rec) - (x->rec < y->rec);
}

static const char *mo_schoolOf(const mo_plan *pl, const mo_row *w, uint32_t m)
{
    return pl->ctx->schools[mo_ver(&pl->rec[w->rec], m)->loc.school].code;
}

static const char *mo_scope(const mo_plan *pl, const mo_row *w, size_t n, uint32_t m, const uint8_t *only)
{
    const char *s0 = NULL, *k0 = NULL;
    int school = 1, county = 1, city = 1, prov = 1;
    for (size_t i = 0; i < n; i++) {
        if (only && !only[i]) continue;
        const gen_person *const p = mo_ver(&pl->rec[w[i].rec], m);
        const char *const s = pl->ctx->schools[p->loc.school].code, *const k = mo_countyOf(pl->ctx, p);
        if (s0 == NULL) { s0 = s; k0 = k; continue; }
        if (memcmp(s, s0, 10) != 0) school = 0;
        if (memcmp(k, k0, 6) != 0) county = 0;
        if (memcmp(k, k0, 4) != 0) city = 0;
        if (memcmp(s + 2, s0 + 2, 2) != 0) prov = 0;
    }
    return school ? "school" : county ? "county" : city ? "city" : prov ? "province" : "national";
}

static const char *mo_arbiter(const char *scope)
{
    return strcmp(scope, "national") == 0 ? "ministry" : scope;
}

/* < 0 when a entered before b (rules §5 keeper order; one source file). */
static int mo_earlier(const mo_plan *pl, const mo_row *a, const mo_row *b, uint32_t m)
{
    const gen_person *const x = mo_ver(&pl->rec[a->rec], m), *const y = mo_ver(&pl->rec[b->rec], m);
    if (x->registered != y->registered) return x->registered < y->registered ? -1 : 1;
    static const char LET[] = "GLJ";
    const char *const lx = strchr(LET, x->sno[0]), *const ly = strchr(LET, y->sno[0]);
    int const rx = lx ? (int)(lx - LET) : 3, ry = ly ? (int)(ly - LET) : 3;
    if (rx != ry) return rx - ry;
    int const c = memcmp(x->sno, y->sno, 19);
    if (c) return c;
    return (x->row > y->row) - (x->row < y->row); /* the line: base rows first, then appended */
}

/* The rows of every present record, sorted by (problem, key): groups are runs. */
static int mo_rowsOf(mo_plan *pl, uint32_t m, mo_row **out, size_t *n_out)
{
    size_t n = 0, cap = 0;
    mo_row *w = NULL;
    for (uint32_t i = 0; i < pl->n_rec; i++) {
        const mo_rec *const r = &pl->rec[i];
        if (!mo_present(r, m)) continue;
        const gen_person *const p = mo_ver(r, m);
        uint8_t const reason = r->reason[(r->chg && m >= r->chg) ? 1 : 0];
        int const own_gb = p->id_len == 18 && reason == 0;
        int const changed = p->sno[0] == 'G' && !(p->id_len == 18 && memcmp(p->sno + 1, p->id, 18) == 0);
        mo_row e;
        for (int part = 0; part < 4; part++) {
            memset(&e, 0, sizeof e);
            e.rec = i;
            e.keeper = -1;
            e.reason = "";
            if (part == 0 && p->id_len > 0) { /* own ID key: the 18 characters, or type 1 NUL number */
                e.prob = P_ID;
                if (p->id_len == 18) { memcpy(e.key, p->id, 18); e.klen = 18; }
                else { e.key[0] = '1'; e.key[1] = '\0'; memcpy(e.key + 2, p->id, p->id_len); e.klen = (uint8_t)(p->id_len + 2); }
            } else if (part == 1 && changed) { /* the old ID of a G number (§6) */
                e.prob = P_ID; e.old_id = 1; e.reason = "old_id";
                memcpy(e.key, p->sno + 1, 18); e.klen = 18;
            } else if (part == 2 && (reason != 0 || (changed && own_gb))) {
                e.prob = P_INV;
                e.reason = reason != 0 ? gen_reasonName(reason) : "id_changed";
            } else if (part == 3 && p->id_len == 0) {
                e.prob = P_ATTR;
                e.klen = (uint8_t)mo_attrText(p, e.key);
            } else {
                continue;
            }
            GROW(w, n, cap, free(w); return -1);
            w[n++] = e;
        }
    }
    if (n > 1) qsort(w, n, sizeof *w, mo_cmpRowKey);
    /* drop the keys of one member: no group */
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && w[j].prob == w[i].prob && w[j].klen == w[i].klen && memcmp(w[j].key, w[i].key, w[i].klen) == 0) j++;
        if (w[i].prob == P_INV) j = i + 1;
        if (w[i].prob == P_INV || j - i >= 2)
            for (size_t x = i; x < j; x++) {
                w[k] = w[x];
                if (w[k].prob != P_INV) {
                    mo_groupId(w[k].prob, w[k].key, w[k].klen, w[k].gid);
                    w[k].group_size = (uint32_t)(j - i);
                }
                k++;
            }
        i = j;
    }
    *out = w;
    *n_out = k;
    return 0;
}

/* A row's identity (docs/monthly.md §1: problem, group_id, student number,
 * school code) or, without the problem, the key a decision names (§4), as
 * text that compares like the tuple; sorted arrays of them are the lookups. */
typedef struct mo_ident {
    char text[64];
    uint32_t first_seen;
    uint8_t attested;
    size_t row;               /* index in its month's rows */
} mo_ident;

static void mo_keyText(char out[64], int prob, const char *gid, const char *sno, const char *school)
{
    if (prob >= 0) snprintf(out, 64, "%d,%s,%.19s,%.10s", prob, gid, sno, school);
    else snprintf(out, 64, "%s,%.19s,%.10s", gid, sno, school);
}

static int mo_cmpIdent(const void *a, const void *b)
{
    return strcmp(((const mo_ident *)a)->text, ((const mo_ident *)b)->text);
}

/* The rows' identities (with_problem) or decision keys (group rows only), sorted. */
static mo_ident *mo_idents(const mo_plan *pl, uint32_t m, const mo_row *w, size_t n, int with_problem, size_t *out_n)
{
    mo_ident *const v = malloc((n + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v != NULL && i < n; i++) {
        if (!with_problem && w[i].prob == P_INV) continue;
        mo_keyText(v[k].text, with_problem ? w[i].prob : -1, w[i].gid, mo_ver(&pl->rec[w[i].rec], m)->sno,
                   mo_schoolOf(pl, &w[i], m));
        v[k].first_seen = w[i].first_seen;
        v[k].attested = w[i].attested;
        v[k].row = i;
        k++;
    }
    if (k > 1) qsort(v, k, sizeof *v, mo_cmpIdent);
    *out_n = k;
    return v;
}

/* The first entry of v[0..n) whose text is not below `text`. */
static size_t mo_lower(const mo_ident *v, size_t n, const char *text)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { size_t const mid = lo + (hi - lo) / 2; if (strcmp(v[mid].text, text) < 0) lo = mid + 1; else hi = mid; }
    return lo;
}

static int mo_cmpLinePos(const void *a, const void *b, void *arg)
{
    const mo_ident *const v = arg;
    size_t const x = *(const size_t *)a, y = *(const size_t *)b;
    int const c = strcmp(v[x].text, v[y].text);
    return c ? c : (x > y) - (x < y);
}

/* docs/monthly.md §4: the lines in effect (PREV's decisions.csv, then this
 * month's file; the last line of a key wins), matched against the rows. */
static int mo_applyDecisions(mo_plan *pl, uint32_t m, mo_row *w, size_t n)
{
    mo_month *const mo = &pl->mon[m];
    const mo_month *const pv = &pl->mon[m - 1];
    size_t const total = pv->n_decided + mo->n_lines;
    size_t nk = 0;
    mo_dline *const all = malloc((total + 1) * sizeof *all);
    mo_ident *const lk = malloc((total + 1) * sizeof *lk);
    size_t *const ord = malloc((total + 1) * sizeof *ord);
    uint8_t *const eff = calloc(total + 1, 1);
    mo_ident *const rk = mo_idents(pl, m, w, n, 0, &nk);
    mo->unmatched = malloc((total + 1) * sizeof *mo->unmatched);
    mo->decided = malloc((total + 1) * sizeof *mo->decided);
    int rc = -1;
    if (!all || !lk || !ord || !eff || !rk || !mo->unmatched || !mo->decided) goto done;
    for (size_t i = 0; i < pv->n_decided; i++) { all[i] = pv->decided[i]; all[i].prev = 1; all[i].line = (uint32_t)i + 2; }
    for (size_t i = 0; i < mo->n_lines; i++) all[pv->n_decided + i] = mo->lines[i];
    for (size_t i = 0; i < total; i++) { mo_keyText(lk[i].text, -1, all[i].gid, all[i].sno, all[i].school); ord[i] = i; }
    qsort_r(ord, total, sizeof *ord, mo_cmpLinePos, lk);
    for (size_t i = 0; i < total; i++) /* the last of each key */
        if (i + 1 == total || strcmp(lk[ord[i]].text, lk[ord[i + 1]].text) != 0) eff[ord[i]] = 1;
    for (size_t i = 0; i < total; i++) {
        if (!eff[i]) continue;
        size_t x = mo_lower(rk, nk, lk[i].text);
        int const matched = x < nk && strcmp(rk[x].text, lk[i].text) == 0;
        for (; all[i].approve && x < nk && strcmp(rk[x].text, lk[i].text) == 0; x++) w[rk[x].row].approved = 1;
        if (!matched) mo->unmatched[mo->n_unmatched++] = all[i];
        else if (all[i].approve) mo->decided[mo->n_decided++] = all[i];
    }
    rc = 0;
done:
    free(all); free(lk); free(ord); free(eff); free(rk);
    return rc;
}

static int mo_cmpDecided(const void *a, const void *b)
{
    const mo_dline *const x = a, *const y = b;
    char lx[64], ly[64];
    snprintf(lx, sizeof lx, "%s,%s,%s,approved", x->gid, x->sno, x->school);
    snprintf(ly, sizeof ly, "%s,%s,%s,approved", y->gid, y->sno, y->school);
    return strcmp(lx, ly);
}

/* docs/monthly.md §5 on each group, then keeper and scope (rules §5). */
static void mo_decideGroups(mo_plan *pl, uint32_t m, mo_row *w, size_t n)
{
    uint8_t only[64];
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        if (w[i].prob == P_INV) { i = j; continue; }
        while (j < n && strcmp(w[j].gid, w[i].gid) == 0 && w[j].prob == w[i].prob) j++;
        size_t approved = 0, keeper = i;
        for (size_t x = i; x < j; x++) approved += w[x].approved;
        const char *const scope = mo_scope(pl, w + i, j - i, m, NULL);
        const char *arbiter = mo_arbiter(scope);
        for (size_t x = i + 1; x < j; x++) if (mo_earlier(pl, &w[x], &w[keeper], m) < 0) keeper = x;
        if (w[i].prob == P_ID && approved >= 2 && j - i <= sizeof only) {
            for (size_t x = i; x < j; x++) only[x - i] = w[x].approved;
            arbiter = mo_arbiter(mo_scope(pl, w + i, j - i, m, only));
        }
        for (size_t x = i; x < j; x++) {
            w[x].scope = scope;
            w[x].arbiter = arbiter;
            if (w[i].prob == P_ATTR) { w[x].attested = approved == j - i; continue; }
            w[x].keeper = (int8_t)(approved == 1 ? w[x].approved : x == keeper);
            if (approved >= 2) w[x].reason = "double_attested";
            else if (w[x].approved) w[x].reason = "approved";
        }
        i = j;
    }
}

/* status and first_seen from the previous month's rows (§2), and the
 * identities that left (§3). */
static int mo_status(mo_plan *pl, uint32_t m, mo_row *w, size_t n)
{
    const mo_month *const pv = m > 1 ? &pl->mon[m - 1] : NULL;
    size_t np = 0, nc = 0, ns = 0;
    mo_ident *const pk = pv ? mo_idents(pl, m - 1, pv->rows, pv->n_rows, 1, &np) : NULL;
    if (pv && pk == NULL) return -1;
    char text[64];
    for (size_t i = 0; i < n; i++) {
        mo_keyText(text, w[i].prob, w[i].gid, mo_ver(&pl->rec[w[i].rec], m)->sno, mo_schoolOf(pl, &w[i], m));
        int in_p = 0, in_a = 0;
        uint32_t fs = 0;
        for (size_t x = mo_lower(pk, np, text); x < np && strcmp(pk[x].text, text) == 0; x++) {
            if (pk[x].attested) in_a = 1; else in_p = 1;
            if (fs == 0 || pk[x].first_seen < fs) fs = pk[x].first_seen;
        }
        w[i].first_seen = fs ? fs : pl->date[m];
        int const reopened = !w[i].attested && (in_a || (w[i].prob == P_ATTR && w[i].approved));
        w[i].status = reopened ? "reopened" : in_p ? "persisting" : !in_a ? "new" : NULL;
    }
    if (pv == NULL) return 0;
    mo_month *const mo = &pl->mon[m];
    mo_ident *const ck = mo_idents(pl, m, w, n, 1, &nc);
    mo_ident *const here = malloc((pl->n_rec + 1) * sizeof *here); /* student number and school of each record */
    mo->res = malloc((np + 1) * sizeof *mo->res);
    int rc = -1;
    if (!ck || !here || !mo->res) goto done;
    for (uint32_t r = 0; r < pl->n_rec; r++)
        if (mo_present(&pl->rec[r], m)) {
            const gen_person *const p = mo_ver(&pl->rec[r], m);
            mo_keyText(here[ns++].text, -1, "", p->sno, pl->ctx->schools[p->loc.school].code);
        }
    qsort(here, ns, sizeof *here, mo_cmpIdent);
    for (size_t i = 0; i < np;) {
        size_t j = i, q = SIZE_MAX;
        for (; j < np && strcmp(pk[j].text, pk[i].text) == 0; j++) /* the smallest first_seen in problems.csv */
            if (!pk[j].attested && (q == SIZE_MAX || pk[j].first_seen < pk[q].first_seen)) q = j;
        size_t const x = mo_lower(ck, nc, pk[i].text);
        if (q != SIZE_MAX && !(x < nc && strcmp(ck[x].text, pk[i].text) == 0)) {
            const mo_row *const row = &pv->rows[pk[q].row];
            const gen_person *const qp = mo_ver(&pl->rec[row->rec], m - 1);
            mo_resolved *const e = &mo->res[mo->n_res++];
            memset(e, 0, sizeof *e);
            e->prob = row->prob;
            memcpy(e->gid, row->gid, 17);
            memcpy(e->sno, qp->sno, 19);
            memcpy(e->school, mo_schoolOf(pl, row, m - 1), 10);
            e->first_seen = pk[q].first_seen;
            mo_keyText(text, -1, "", e->sno, e->school);
            size_t const h = mo_lower(here, ns, text);
            e->gone = !(h < ns && strcmp(here[h].text, text) == 0);
            e->kase = pl->rec[row->rec].kase;
        }
        i = j;
    }
    rc = 0;
done:
    free(pk); free(ck); free(here);
    return rc;
}

static int mo_cmpRowOut(const void *a, const void *b)
{
    const mo_row *const x = a, *const y = b;
    if (x->rec != y->rec) return x->rec < y->rec ? -1 : 1;
    if (x->prob != y->prob) return x->prob < y->prob ? -1 : 1;
    return (int)x->old_id - (int)y->old_id;
}

static int mo_simulate(mo_plan *pl, uint32_t m)
{
    mo_month *const mo = &pl->mon[m];
    if (mo_rowsOf(pl, m, &mo->rows, &mo->n_rows) != 0) return -1;
    if (m > 1 && mo_applyDecisions(pl, m, mo->rows, mo->n_rows) != 0) return -1;
    if (mo->n_decided > 1) qsort(mo->decided, mo->n_decided, sizeof *mo->decided, mo_cmpDecided);
    mo_decideGroups(pl, m, mo->rows, mo->n_rows);
    if (mo_status(pl, m, mo->rows, mo->n_rows) != 0) return -1;
    qsort(mo->rows, mo->n_rows, sizeof *mo->rows, mo_cmpRowOut);
    return 0;
}

/* decisions<m>.csv: the lines of month m, each group_id taken from month
 * m-1's rows (what the officer saw). */
static int mo_resolveLines(mo_plan *pl, uint32_t m)
{
    mo_month *const mo = &pl->mon[m];
    const mo_month *const pv = &pl->mon[m - 1];
    mo->lines = malloc((pl->n_ds + 1) * sizeof *mo->lines);
    if (mo->lines == NULL) return -1;
    for (size_t i = 0; i < pl->n_ds; i++) {
        const mo_dspec *const d = &pl->ds[i];
        if (d->month != m) continue;
        mo_dline *const l = &mo->lines[mo->n_lines];
        memset(l, 0, sizeof *l);
        const gen_person *const who = mo_ver(&pl->rec[d->who], m - 1);
        memcpy(l->sno, who->sno, 19);
        memcpy(l->school, pl->ctx->schools[who->loc.school].code, 10);
        l->approve = d->approve;
        l->kase = pl->rec[d->who].kase;
        l->line = (uint32_t)mo->n_lines + 2;
        if (d->fake) {
            char txt[48];
            int const len = snprintf(txt, sizeof txt, "no such group %u %zu", m, i);
            mo_groupId(P_ID, txt, (size_t)len, l->gid);
        } else if (d->gid_prob != P_INV) {
            size_t x = 0;
            while (x < pv->n_rows && !(pv->rows[x].rec == d->gid_rec && pv->rows[x].prob == d->gid_prob && !pv->rows[x].old_id)) x++;
            if (x == pv->n_rows) return -2; /* a plan error: the group is not there */
            memcpy(l->gid, pv->rows[x].gid, 17);
        }
        mo->n_lines++;
    }
    return 0;
}

/* ------------------------------------------------------------ files */

static void mo_date(char out[11], uint32_t ymd)
{
    gen_putDigits(out, ymd / 10000 % 10000, 4);
    out[4] = '-';
    gen_putDigits(out + 5, ymd / 100 % 100, 2);
    out[7] = '-';
    gen_putDigits(out + 8, ymd % 100, 2);
    out[10] = '\0';
}

static int mo_writeDecisions(const mo_plan *pl, const char *dir, uint32_t m)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/decisions%u.csv", dir, m);
    FILE *const f = fopen(path, "w");
    if (f == NULL) return -1;
    const mo_month *const mo = &pl->mon[m];
    fputs("group_id,student_no,school_code,decision,officer\n", f);
    for (size_t i = 0; i < mo->n_lines; i++) {
        const mo_dline *const l = &mo->lines[i];
        /* the officer column is ignored by scan; sometimes quoted with a comma */
        fprintf(f, "%s,%.19s,%.10s,%s,", l->gid, l->sno, l->school, l->approve ? "approved" : "revoked");
        if (i % 3 == 2) fprintf(f, "\"%.6s教育局,审核员%02zu\"\n", l->school + 2, i % 100);
        else fprintf(f, "审核员%02zu\n", i % 100);
    }
    int const bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

static void mo_jsonLine(FILE *f, const mo_dline *l, int with_file, uint32_t m)
{
    fprintf(f, "{\"group_id\": \"%s\", \"student_no\": \"%.19s\", \"school_code\": \"%.10s\", \"decision\": \"%s\"",
            l->gid, l->sno, l->school, l->approve ? "approved" : "revoked");
    if (with_file == 1) {
        if (l->prev) fprintf(f, ", \"file\": \"decisions.csv\"");
        else fprintf(f, ", \"file\": \"decisions%u.csv\"", m);
        fprintf(f, ", \"line\": %u", l->line);
    } else if (with_file == 2) {
        fprintf(f, ", \"line\": %u", l->line);
    }
    fprintf(f, ", \"case\": \"%s\"}", CASE_NAMES[l->kase]);
}

static void mo_jsonChanges(FILE *f, const mo_plan *pl, uint32_t m)
{
    int first = 1;
    fputs("      \"changes\": [", f);
    for (uint32_t i = 0; i < pl->n_rec; i++) {
        const mo_rec *const r = &pl->rec[i];
        const char *what = NULL;
        const gen_person *p = &r->v[0], *q = NULL;
        if (r->from == m) what = (m == 1) ? (r->base == UINT64_MAX ? "setup" : NULL) : "added";
        if (r->to + 1 == m) what = "deleted";
        if (r->chg == m) { what = r->reason[0] ? "id_corrected" : "id_changed"; q = &r->v[1]; }
        if (r->chg && m > r->chg) p = &r->v[1];
        if (what == NULL) continue;
        fprintf(f, "%s\n        {\"case\": \"%s\", \"event_month\": %u, \"instance\": %u, \"record\": %u, \"change\": \"%s\", "
                   "\"student_no\": \"%.19s\", \"school_code\": \"%.10s\", \"id\": \"%.*s\"",
                first ? "" : ",", CASE_NAMES[r->kase], r->event, r->inst, i, what, p->sno,
                pl->ctx->schools[p->loc.school].code, (int)p->id_len, p->id);
        if (q) fprintf(f, ", \"new_id\": \"%.*s\"", (int)q->id_len, q->id);
        fputs("}", f);
        first = 0;
    }
    fputs(first ? "],\n" : "\n      ],\n", f);
}

static void mo_jsonRows(FILE *f, const mo_plan *pl, uint32_t m)
{
    const mo_month *const mo = &pl->mon[m];
    char d[11];
    fputs("      \"rows\": [", f);
    for (size_t i = 0; i < mo->n_rows; i++) {
        const mo_row *const w = &mo->rows[i];
        const mo_rec *const r = &pl->rec[w->rec];
        const gen_person *const p = mo_ver(r, m);
        mo_date(d, w->first_seen);
        fprintf(f, "%s\n        {\"case\": \"%s\", \"event_month\": %u, \"instance\": %u, \"record\": %u, \"problem\": \"%s\", "
                   "\"group_id\": \"%s\", \"student_no\": \"%.19s\", \"school_code\": \"%.10s\", \"file\": \"%s\", ",
                i ? "," : "", CASE_NAMES[r->kase], r->event, r->inst, w->rec, PROBLEM[w->prob], w->gid, p->sno,
                pl->ctx->schools[p->loc.school].code, w->attested ? "attested" : "problems");
        if (w->status) fprintf(f, "\"status\": \"%s\", ", w->status); else fputs("\"status\": null, ", f);
        fprintf(f, "\"first_seen\": \"%s\", \"reason\": \"%s\"", d, w->reason);
        if (w->prob != P_INV)
            fprintf(f, ", \"group_size\": %u, \"scope\": \"%s\", \"arbiter\": \"%s\"", w->group_size, w->scope, w->arbiter);
        if (w->keeper >= 0) fprintf(f, ", \"keeper\": %d", w->keeper);
        fputs("}", f);
    }
    fputs(mo->n_rows ? "\n      ],\n" : "],\n", f);
}

static int mo_cmpResolved(const void *a, const void *b)
{
    const mo_resolved *const x = a, *const y = b;
    char lx[96], ly[96];
    snprintf(lx, sizeof lx, "%s,%s,%.19s,%.10s,%u,%s", PROBLEM[x->prob], x->gid, x->sno, x->school, x->first_seen, x->gone ? "gone" : "fixed");
    snprintf(ly, sizeof ly, "%s,%s,%.19s,%.10s,%u,%s", PROBLEM[y->prob], y->gid, y->sno, y->school, y->first_seen, y->gone ? "gone" : "fixed");
    return strcmp(lx, ly);
}

static void mo_jsonMonth(FILE *f, mo_plan *pl, uint32_t m)
{
    mo_month *const mo = &pl->mon[m];
    char d[11];
    mo_date(d, pl->date[m]);
    fprintf(f, "    {\n      \"month\": %u,\n      \"run_date\": \"%s\",\n      \"input\": \"month%u.csv\",\n", m, d, m);
    if (m > 1) fprintf(f, "      \"previous_month\": %u,\n      \"decisions_file\": \"decisions%u.csv\",\n", m - 1, m);
    else fputs("      \"previous_month\": null,\n      \"decisions_file\": null,\n", f);
    mo_jsonChanges(f, pl, m);
    mo_jsonRows(f, pl, m);
    if (mo->n_res > 1) qsort(mo->res, mo->n_res, sizeof *mo->res, mo_cmpResolved);
    fputs("      \"resolved\": [", f);
    for (size_t i = 0; i < mo->n_res; i++) {
        const mo_resolved *const e = &mo->res[i];
        mo_date(d, e->first_seen);
        fprintf(f, "%s\n        {\"problem\": \"%s\", \"group_id\": \"%s\", \"student_no\": \"%.19s\", "
                   "\"school_code\": \"%.10s\", \"first_seen\": \"%s\", \"resolution\": \"%s\", \"case\": \"%s\"}",
                i ? "," : "", PROBLEM[e->prob], e->gid, e->sno, e->school, d, e->gone ? "gone" : "fixed", CASE_NAMES[e->kase]);
    }
    fputs(mo->n_res ? "\n      ],\n" : "],\n", f);
    const struct { const char *name; const mo_dline *v; size_t n; int with_file; } L[3] = {
        { "decision_lines", mo->lines, mo->n_lines, 2 },
        { "decisions", mo->decided, mo->n_decided, 0 },
        { "decisions_unmatched", mo->unmatched, mo->n_unmatched, 1 },
    };
    for (int k = 0; k < 3; k++) {
        fprintf(f, "      \"%s\": [", L[k].name);
        for (size_t i = 0; i < L[k].n; i++) {
            fputs(i ? ",\n        " : "\n        ", f);
            mo_jsonLine(f, &L[k].v[i], L[k].with_file, m);
        }
        fputs(L[k].n ? "\n      ]" : "]", f);
        fputs(k < 2 ? ",\n" : "\n", f);
    }
    fputs(m < pl->M ? "    },\n" : "    }\n", f);
}

static int mo_writeTruth(mo_plan *pl, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/truth.json", dir);
    FILE *const f = fopen(path, "w");
    if (f == NULL) return -1;
    fprintf(f, "{\n  \"generator\": \"xjdedup gen --months\",\n  \"rows\": %llu,\n  \"seed\": %llu,\n"
               "  \"months\": %u,\n  \"changes\": %u,\n  \"attr_scope\": \"noid\",\n  \"cases\": [",
            (unsigned long long)pl->ctx->o.rows, (unsigned long long)pl->ctx->o.seed, pl->M, pl->c);
    for (int k = 0; k < C_COUNT; k++) fprintf(f, "%s\"%s\"", k ? ", " : "", CASE_NAMES[k]);
    fputs("],\n  \"month_list\": [\n", f);
    for (uint32_t m = 1; m <= pl->M; m++) mo_jsonMonth(f, pl, m);
    fputs("  ]\n}\n", f);
    int const bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* ------------------------------------------------------------ driver */

static int mo_cmpRecRow(const void *a, const void *b, void *arg)
{
    const mo_rec *const r = arg;
    uint64_t const x = r[*(const uint32_t *)a].base, y = r[*(const uint32_t *)b].base;
    return (x > y) - (x < y);
}

/* Month m's view: base records left out or changed, appended records. */
static int mo_writeMonth(mo_plan *pl, const char *dir, uint32_t m)
{
    gen_ctx *const ctx = pl->ctx;
    size_t n_base = 0;
    uint32_t *const idx = malloc((pl->n_rec + 1) * sizeof *idx);
    uint64_t *const skip = malloc((pl->n_rec + 1) * sizeof *skip);
    uint64_t *const rrow = malloc((pl->n_rec + 1) * sizeof *rrow);
    gen_person *const repl = malloc((pl->n_rec + 1) * sizeof *repl);
    gen_person *const extra = malloc((pl->n_rec + 1) * sizeof *extra);
    int rc = EXIT_IO;
    if (!idx || !skip || !rrow || !repl || !extra) { fputs("xjdedup gen: out of memory\n", stderr); goto done; }
    gen_monthView v = { skip, 0, rrow, repl, 0, extra, 0 };
    for (uint32_t i = 0; i < pl->n_rec; i++) {
        const mo_rec *const r = &pl->rec[i];
        if (r->base != UINT64_MAX) idx[n_base++] = i;
        else if (mo_present(r, m)) extra[v.n_extra++] = *mo_ver(r, m);
    }
    qsort_r(idx, n_base, sizeof *idx, mo_cmpRecRow, pl->rec);
    for (size_t j = 0; j < n_base; j++) {
        const mo_rec *const r = &pl->rec[idx[j]];
        if (!mo_present(r, m)) skip[v.n_skip++] = r->base;
        else if (r->chg && m >= r->chg) { rrow[v.n_repl] = r->base; repl[v.n_repl++] = r->v[1]; }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/month%u.csv", dir, m);
    ctx->month = &v;
    ctx->o.out = path;
    rc = gen_run(ctx);
    ctx->month = NULL;
    ctx->o.out = dir;
done:
    free(idx); free(skip); free(rrow); free(repl); free(extra);
    return rc;
}

static void mo_free(mo_plan *pl)
{
    for (uint32_t m = 0; m <= MAX_MONTHS; m++) {
        mo_month *const mo = &pl->mon[m];
        free(mo->rows); free(mo->res); free(mo->lines); free(mo->decided); free(mo->unmatched);
    }
    free(pl->rec); free(pl->ds); free(pl->plain); free(pl->noid); free(pl->ids);
}

/* Chooses and verifies the base rows the plan needs. */
static int mo_chooseRows(mo_plan *pl)
{
    const gen_ctx *const ctx = pl->ctx;
    size_t need_p, need_n;
    mo_needs(pl->c, pl->M, &need_p, &need_n);
    size_t const want_p = need_p * 2 + 16, want_n = need_n * 2 + 16;
    pl->plain = malloc(want_p * sizeof *pl->plain);
    pl->noid = malloc(want_n * sizeof *pl->noid);
    if (!pl->plain || !pl->noid) return -1;
    pl->n_plain = mo_draw(ctx, GEN_ROLE_PLAIN, 0x504C41494EULL, pl->plain, want_p);
    pl->n_noid = mo_draw(ctx, GEN_ROLE_NOID, 0x4E4F4944ULL, pl->noid, want_n);
    if (mo_verify(ctx, pl->plain, &pl->n_plain, pl->noid, &pl->n_noid) != 0) return -1;
    if (pl->n_plain < need_p || pl->n_noid < need_n) {
        fprintf(stderr, "xjdedup gen: %llu rows are too few for --months %u with %u changes of each kind: "
                        "%zu students with an ID and %zu without are needed; raise --rows or lower --changes\n",
                (unsigned long long)ctx->o.rows, pl->M, pl->c, need_p, need_n);
        return -2;
    }
    return 0;
}

int gen_runMonths(gen_ctx *ctx)
{
    const char *const dir = ctx->o.out;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "xjdedup gen: cannot create the directory %s: %s\n", dir, strerror(errno));
        return EXIT_IO;
    }
    mo_plan *const pl = calloc(1, sizeof *pl);
    if (pl == NULL) { fputs("xjdedup gen: out of memory\n", stderr); return EXIT_IO; }
    pl->ctx = ctx;
    pl->M = ctx->o.months;
    uint64_t const auto_c = ctx->o.rows / 5000;
    pl->c = ctx->o.changes ? ctx->o.changes : (uint32_t)(auto_c < 4 ? 4 : auto_c > 250 ? 250 : auto_c);
    for (uint32_t m = 1; m <= pl->M; m++) pl->date[m] = gen_monthsBefore(ctx->o.last_date, pl->M - m);
    pl->r = gen_rngAt(ctx->k_layout ^ 0x4D4F4E544853ULL, 0);
    pl->cap_ids = 1024;
    while (pl->cap_ids < (size_t)pl->c * pl->M * 64) pl->cap_ids *= 2;
    pl->ids = calloc(pl->cap_ids, sizeof *pl->ids);
    int rc = EXIT_OK;
    int const ch = pl->ids ? mo_chooseRows(pl) : -1;
    if (ch != 0) { if (ch == -1) fputs("xjdedup gen: out of memory\n", stderr); rc = ch == -1 ? EXIT_IO : EXIT_USAGE; goto done; }
    for (uint32_t k = 2; k <= pl->M && !pl->oom; k++) { pl->event = k; mo_planMonth(pl, k); }
    if (pl->oom) {
        fputs(pl->oom == 2 ? "xjdedup gen: no new ID number left for a change (raise --rows)\n" : "xjdedup gen: out of memory\n", stderr);
        rc = pl->oom == 2 ? EXIT_USAGE : EXIT_IO;
        goto done;
    }
    for (uint32_t m = 1; m <= pl->M && rc == EXIT_OK; m++) {
        int const lr = m > 1 ? mo_resolveLines(pl, m) : 0;
        if (lr != 0 || mo_simulate(pl, m) != 0) {
            fputs(lr == -2 ? "xjdedup gen: internal error: a decision names a group that is not there\n"
                           : "xjdedup gen: out of memory\n", stderr);
            rc = EXIT_IO;
            break;
        }
        if (m > 1 && mo_writeDecisions(pl, dir, m) != 0) {
            fprintf(stderr, "xjdedup gen: cannot write %s/decisions%u.csv: %s\n", dir, m, strerror(errno));
            rc = EXIT_IO;
            break;
        }
        rc = mo_writeMonth(pl, dir, m);
    }
    if (rc == EXIT_OK && mo_writeTruth(pl, dir) != 0) {
        fprintf(stderr, "xjdedup gen: cannot write %s/truth.json: %s\n", dir, strerror(errno));
        rc = EXIT_IO;
    }
done:
    mo_free(pl);
    free(pl);
    return rc;
}
