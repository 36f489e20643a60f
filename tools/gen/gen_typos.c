/*
 * gen_typos — the plan of `xjdedup gen --suspects N`: students registered a
 * second time under a mistyped ID number, and look-alikes that must never be
 * taken for them (issue 17, docs/suspects.md).
 *
 * Every kind of slip and every trap is planted N times ("instances"), each
 * with records of its own, appended after the base population:
 *  - positives: a record B with a valid ID and a record A of the same
 *    student (name, sex, birth date) whose ID is B's after one substitution
 *    at each position 1-18 or one swap at each position 1-17, a slip that
 *    makes the region no province or the birth date impossible, and the
 *    shapes of docs/suspects.md §4 (B registered twice, A imported twice,
 *    two slips of one number, an A one slip from two valid numbers, a B whose
 *    record disagrees with its ID or whose G number is another ID, type 9
 *    cards, a number shared with another student);
 *  - negatives: namesakes with unrelated IDs and a wrong check character
 *    among them, twins with consecutive sequence numbers (one of them also
 *    registered with a number one slip from the other's), one-slip pairs
 *    whose names, birth dates or sexes differ, a "B" that fails the region or
 *    date check, and two mistyped numbers one slip apart.
 *
 * New valid IDs use the sequence numbers 800-999, which the base population
 * never issues (gen_people.c), and every 17-digit prefix planted is reserved,
 * so no planted number meets another by chance. Each instance's attribute
 * keys are its own: an instance sharing one with another instance is planned
 * again at once, and one sharing it with a base row is planned again after
 * a pass over the population (gen_typos_out.c). So the groups listed are
 * exactly the groups there are.
 *
 * Everything is drawn on one thread from the seed's own stream.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "gen_typos.h"

#define GROW(arr, n, cap, fail) do { if ((n) == (cap)) { size_t nc_ = (cap) ? (cap) * 2 : 64; \
    void *p_ = realloc((arr), nc_ * sizeof *(arr)); if (p_ == NULL) { fail; } else { (arr) = p_; (cap) = nc_; } } } while (0)

enum { TRIES = 64 };

static const char CHECK_CHARS[] = "0123456789X";

/* ------------------------------------------------------------ kinds */

static const struct { uint8_t what; const char *name; } NAMED[] = {
    { TY_REGION, "region_bad" }, { TY_BIRTH, "birth_bad" }, { TY_B_TWICE, "b_twice" },
    { TY_A_TWICE, "a_twice" }, { TY_TWO_TYPOS, "two_typos" }, { TY_TWO_GROUPS, "two_groups" },
    { TY_B_SEX, "b_sex_mismatch" }, { TY_B_BIRTH, "b_birth_mismatch" }, { TY_B_CHANGED, "b_id_changed" },
    { TY_TYPE9, "type9" }, { TY_B_SHARED, "b_shared_id" },
    { TY_NAMESAKES, "namesakes" }, { TY_TWINS, "twins" }, { TY_TWINS_TYPO, "twins_typo" },
    { TY_DIFF_NAME, "diff_name" }, { TY_DIFF_BIRTH, "diff_birth" }, { TY_DIFF_SEX, "diff_sex" },
    { TY_B_INVALID, "b_not_valid" }, { TY_BOTH_TYPO, "both_typo" },
};

static int ty_kindsInit(ty_plan *pl)
{
    uint32_t const n = 18 + 17 + (uint32_t)(sizeof NAMED / sizeof NAMED[0]);
    pl->kinds = calloc(n, sizeof *pl->kinds);
    if (pl->kinds == NULL) return -1;
    uint32_t k = 0;
    for (uint8_t p = 1; p <= 18; p++, k++) {
        pl->kinds[k] = (ty_kind){ TY_SUB, p, "" };
        memcpy(pl->kinds[k].name, "sub", 3);
        gen_putDigits(pl->kinds[k].name + 3, p, p < 10 ? 1 : 2);
    }
    for (uint8_t p = 1; p <= 17; p++, k++) {
        pl->kinds[k] = (ty_kind){ TY_SWAP, p, "" };
        memcpy(pl->kinds[k].name, "swap", 4);
        gen_putDigits(pl->kinds[k].name + 4, p, p < 10 ? 1 : 2);
    }
    for (size_t i = 0; i < sizeof NAMED / sizeof NAMED[0]; i++, k++) {
        pl->kinds[k] = (ty_kind){ NAMED[i].what, 0, "" };
        memcpy(pl->kinds[k].name, NAMED[i].name, strlen(NAMED[i].name));
    }
    pl->n_kinds = n;
    return 0;
}

/* ------------------------------------------------------------ keys and reasons */

void ty_normName(const gen_person *p, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < p->name_len && n + 1 < cap; i++) {
        char c = p->name[i];
        if (c == ' ') continue;
        if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
        out[n++] = c;
    }
    out[n] = '\0';
}

uint64_t ty_attrKey(const gen_person *p)
{
    char buf[sizeof p->name + 16];
    ty_normName(p, buf, sizeof p->name);
    size_t n = strlen(buf);
    buf[n++] = '\0';
    buf[n++] = (char)('0' + p->sex);
    buf[n++] = '\0';
    gen_putDate8(buf + n, p->birth);
    return XXH3_64bits(buf, n + 8);
}

static int ty_gbShape(const char *id)
{
    for (int i = 0; i < 17; i++) if (id[i] < '0' || id[i] > '9') return 0;
    return (id[17] >= '0' && id[17] <= '9') || id[17] == 'X';
}

static uint32_t ty_digits(const char *s, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (uint32_t)(s[i] - '0');
    return v;
}

/* rules §4 in order; planted IDs are always 18 characters of type 1 or 9. */
const char *ty_reason(const gen_ctx *ctx, const gen_person *p)
{
    const char *const id = p->id;
    if (p->id_len != 18 || !ty_gbShape(id)) return "format";
    int const region = (p->id_type == '9')
        ? id[0] == '9' && gen_provinceIndex(id + 1) != UINT32_MAX
        : gen_provinceIndex(id) != UINT32_MAX || (memcmp(id + 2, "0000", 4) == 0 &&
                                                  (memcmp(id, "81", 2) == 0 || memcmp(id, "82", 2) == 0 ||
                                                   memcmp(id, "83", 2) == 0));
    if (!region) return "region";
    uint32_t const ymd = ty_digits(id + 6, 8);
    if (!gen_isDate((int)(ymd / 10000), (int)(ymd / 100 % 100), (int)(ymd % 100))
        || ymd < 19000101u || ymd > ctx->o.run_date) return "birthdate";
    if (xj_idCheckChar(id) != id[17]) return "checksum";
    if (ymd != p->birth) return "birthdate_mismatch";
    if (((id[16] - '0') % 2 == 1 ? 1 : 2) != p->sex) return "sex_mismatch";
    if (p->sno[0] == 'G' && memcmp(p->sno + 1, id, 18) != 0 && ty_gbShape(p->sno + 1)) return "id_changed";
    return "";
}

/* ------------------------------------------------------------ reserved prefixes */

static uint64_t ty_prefix(const char *id)
{
    uint64_t v = 0;
    for (int i = 0; i < 17; i++) v = v * 10 + (uint64_t)(id[i] - '0');
    return v + 1;
}

static int ty_idsGrow(ty_plan *pl)
{
    size_t const cap = pl->cap_ids ? pl->cap_ids * 2 : 4096;
    uint64_t *const t = calloc(cap, sizeof *t);
    if (t == NULL) return -1;
    for (size_t i = 0; i < pl->cap_ids; i++) {
        if (pl->ids[i] == 0) continue;
        size_t h = (size_t)gen_mix(pl->ids[i]) & (cap - 1);
        while (t[h] != 0) h = (h + 1) & (cap - 1);
        t[h] = pl->ids[i];
    }
    free(pl->ids);
    pl->ids = t;
    pl->cap_ids = cap;
    return 0;
}

/* 0: the 17-digit prefix is now ours; 1: it was taken before; -1: no memory. */
static int ty_reserve(ty_plan *pl, const char *id)
{
    if ((pl->n_ids + 1) * 2 > pl->cap_ids && ty_idsGrow(pl) != 0) { pl->oom = 1; return -1; }
    uint64_t const v = ty_prefix(id);
    size_t h = (size_t)gen_mix(v) & (pl->cap_ids - 1);
    while (pl->ids[h] != 0) {
        if (pl->ids[h] == v) return 1;
        h = (h + 1) & (pl->cap_ids - 1);
    }
    pl->ids[h] = v;
    pl->n_ids++;
    return 0;
}

/* ------------------------------------------------------------ people */

/* A new valid type-1 ID for p: the region given, p's birth date and sex, a
 * sequence number 800-999 whose prefix nobody has. */
static int ty_freshId(ty_plan *pl, gen_person *p, const char region[6])
{
    memcpy(p->id, region, 6);
    gen_putDate8(p->id + 6, p->birth);
    uint32_t const start = gen_below(&pl->r, 100);
    for (uint32_t k = 0; k < 100; k++) {
        gen_putDigits(p->id + 14, 800 + ((start + k) % 100) * 2 + (p->sex == 1), 3);
        gen_finishId(p->id);
        int const t = ty_reserve(pl, p->id);
        if (t < 0) return -1;
        if (t == 0) { p->id_len = 18; p->id_type = '1'; return 0; }
    }
    return -1;
}

static const char *ty_county(const gen_ctx *ctx, const gen_person *p)
{
    return ctx->counties[ctx->schools[p->loc.school].county].code;
}

/* A new student in the school of a random base row: its own name, sex and
 * birth date, a new valid ID (issued in the school's county, or 20 % in any
 * county) and its G number. */
static int ty_student(ty_plan *pl, gen_person *p)
{
    const gen_ctx *const ctx = pl->ctx;
    uint64_t const row = gen_below64(gen_next(&pl->r), ctx->o.rows);
    gen_loc loc;
    gen_locate(ctx, row, &loc);
    gen_basePerson(ctx, pl->vrow++, &loc, p);
    p->root = row; /* its place: copies are placed around it */
    const char *region = ty_county(ctx, p);
    if (gen_below(&pl->r, 5) == 0) region = ctx->counties[gen_below(&pl->r, ctx->n_counties)].code;
    if (ty_freshId(pl, p, region) != 0) return -1;
    p->sno[0] = 'G';
    memcpy(p->sno + 1, p->id, 18);
    return 0;
}

/* A day in (after, run date]; `after` when there is none. */
static uint32_t ty_later(ty_plan *pl, uint32_t after)
{
    int32_t const a = gen_dayNumber(after), b = gen_dayNumber(pl->ctx->o.run_date);
    if (b <= a) return after;
    return gen_fromDayNumber(a + 1 + (int32_t)gen_below(&pl->r, (uint32_t)(b - a)));
}

/* Scopes of a second registration (per cent: school, county, city,
 * province, national): most slips are made nearby. */
static const uint8_t SCOPE_PCT[5] = { 30, 30, 15, 15, 10 };

static int ty_drawScope(ty_plan *pl)
{
    uint32_t u = gen_below(&pl->r, 100);
    for (int i = 0; i < 4; i++) { if (u < SCOPE_PCT[i]) return i; u -= SCOPE_PCT[i]; }
    return GEN_SC_NATIONAL;
}

/* The same student registered again, later, in a school of the scope's ring
 * around src (widened when empty); its own noise stream. */
static void ty_copy(ty_plan *pl, const gen_person *src, int scope, gen_person *out)
{
    const gen_ctx *const ctx = pl->ctx;
    *out = *src;
    out->row = pl->vrow++;
    out->registered = ty_later(pl, src->registered);
    if (scope == GEN_SC_SCHOOL) return;
    uint64_t other = UINT64_MAX;
    for (int s = scope; other == UINT64_MAX && s <= GEN_SC_NATIONAL; s++)
        other = gen_rowInScope(ctx, src->root, &src->loc, s, &pl->r);
    if (other == UINT64_MAX) return; /* one school in the country: stay */
    gen_locate(ctx, other, &out->loc);
    out->root = other;
}

/* A temporary L number (an ID that was never verified). */
static void ty_lNumber(const gen_ctx *ctx, gen_person *p)
{
    p->sno[0] = 'L';
    memcpy(p->sno + 1, ty_county(ctx, p), 6);
    gen_putDigits(p->sno + 7, gen_serial12(p->row, ctx->k_layout ^ 0x7459504FULL), 12);
}

/* Applies one slip to an 18-character number: a substitution at pos (1-18:
 * another digit, or another check character) or a swap of pos and pos+1.
 * -1 when the swap changes nothing or would move an X into the digits. */
static int ty_applySlip(ty_plan *pl, char *id, int op, int pos)
{
    if (op == TY_OP_SUB && pos == 18) {
        uint32_t const cur = (id[17] == 'X') ? 10u : (uint32_t)(id[17] - '0');
        id[17] = CHECK_CHARS[(cur + 1 + gen_below(&pl->r, 10)) % 11];
        return 0;
    }
    if (op == TY_OP_SUB) {
        id[pos - 1] = (char)('0' + (id[pos - 1] - '0' + 1 + (int)gen_below(&pl->r, 9)) % 10);
        return 0;
    }
    if (id[pos - 1] == id[pos] || (pos == 17 && id[17] == 'X')) return -1;
    char const t = id[pos - 1];
    id[pos - 1] = id[pos];
    id[pos] = t;
    return 0;
}

/* A random slip: a substitution at 1-18 or a swap at 1-17. */
static int ty_randomSlip(ty_plan *pl, char *id, uint8_t *op, uint8_t *pos)
{
    for (int t = 0; t < TRIES; t++) {
        *op = gen_below(&pl->r, 2) ? TY_OP_SUB : TY_OP_SWAP;
        *pos = (uint8_t)(1 + gen_below(&pl->r, *op == TY_OP_SUB ? 18 : 17));
        if (ty_applySlip(pl, id, *op, *pos) == 0) return 0;
    }
    return -1;
}

/* The mistyped copy's own prefix is reserved unless it is its source's
 * (a slip of the check character). */
static int ty_reserveSlip(ty_plan *pl, const gen_person *a, const gen_person *b)
{
    if (memcmp(a->id, b->id, 17) == 0) return 0;
    return ty_reserve(pl, a->id) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ records, groups */

static uint32_t ty_add(ty_plan *pl, const gen_person *p, char role)
{
    GROW(pl->rec, pl->n_rec, pl->cap_rec, pl->oom = 1; return 0);
    ty_rec *const r = &pl->rec[pl->n_rec];
    r->p = *p;
    r->p.kind = GEN_KIND_NONE;
    r->p.role = GEN_ROLE_PLAIN;
    r->p.malformed = 0;
    r->inst = (uint32_t)pl->n_inst - 1;
    r->role = role;
    r->key = ty_attrKey(p);
    return (uint32_t)pl->n_rec++;
}

static void ty_group2(ty_plan *pl, uint32_t key_rec, const uint32_t *members, uint32_t n)
{
    GROW(pl->grp, pl->n_grp, pl->cap_grp, pl->oom = 1; return);
    ty_group *const g = &pl->grp[pl->n_grp++];
    memset(g, 0, sizeof *g);
    g->inst = (uint32_t)pl->n_inst - 1;
    g->key_rec = key_rec;
    g->n = n;
    memcpy(g->member, members, n * sizeof *members);
}

static void ty_note(ty_plan *pl, uint32_t a, uint32_t b, uint8_t op, uint8_t pos)
{
    GROW(pl->slip, pl->n_slip, pl->cap_slip, pl->oom = 1; return);
    pl->slip[pl->n_slip++] = (ty_slip){ a, b, op, pos };
}

/* B and its mistyped copy A (slip given, or random when op is 0), A in a
 * school of a drawn scope with an L number; records added, group made. */
static int ty_pair(ty_plan *pl, const gen_person *b, uint8_t op, uint8_t pos, uint32_t *rb, uint32_t *ra)
{
    gen_person a;
    ty_copy(pl, b, ty_drawScope(pl), &a);
    if (op == 0 ? ty_randomSlip(pl, a.id, &op, &pos) != 0 : ty_applySlip(pl, a.id, op, pos) != 0) return -1;
    if (ty_reserveSlip(pl, &a, b) != 0) return -1;
    ty_lNumber(pl->ctx, &a);
    *rb = ty_add(pl, b, 'B');
    *ra = ty_add(pl, &a, 'A');
    ty_note(pl, *ra, *rb, op, pos);
    uint32_t const m[2] = { *rb, *ra };
    ty_group2(pl, *rb, m, 2);
    return 0;
}

/* ------------------------------------------------------------ positives */

/* A digit at 1 or 2 that leaves no province (nor a permit prefix). */
static int ty_regionBad(ty_plan *pl, char *id, uint8_t *pos)
{
    *pos = (uint8_t)(1 + gen_below(&pl->r, 2));
    uint32_t const start = gen_below(&pl->r, 10);
    char const keep = id[*pos - 1];
    for (uint32_t k = 0; k < 10; k++) {
        id[*pos - 1] = (char)('0' + (start + k) % 10);
        if (id[*pos - 1] != keep && gen_provinceIndex(id) == UINT32_MAX) return 0;
    }
    id[*pos - 1] = keep;
    return -1;
}

/* A digit of the date that makes it impossible: the year's first digit 3-9
 * (after any run date), a month 20-99, a day 40-99. */
static void ty_birthBad(ty_plan *pl, char *id, uint8_t *pos)
{
    static const uint8_t POS[3] = { 7, 11, 13 };
    *pos = POS[gen_below(&pl->r, 3)];
    char const lo = (*pos == 7) ? '3' : (*pos == 11) ? '2' : '4';
    id[*pos - 1] = (char)(lo + (int)gen_below(&pl->r, (uint32_t)('9' - lo + 1)));
}

static int ty_positive(ty_plan *pl, const ty_kind *k)
{
    const gen_ctx *const ctx = pl->ctx;
    gen_person b, a, c;
    uint32_t rb, ra, rc;
    uint8_t op, pos;
    if (k->what == TY_TYPE9) { /* a 2023 permanent-residence card: 9, province, country, date, serial, sex, check */
        if (ty_student(pl, &b) != 0) return -1;
        b.id_type = '9';
        gen_makeLatinName(&pl->r, b.sex, &b);
        const char *const pc = ctx->schools[b.loc.school].code + 2;
        b.id[0] = '9'; b.id[1] = pc[0]; b.id[2] = pc[1];
        memcpy(b.id + 3, "764", 3); /* a country the base population's cards never use */
        gen_putDate8(b.id + 6, b.birth);
        gen_putDigits(b.id + 14, gen_below(&pl->r, 100), 2);
        b.id[16] = (char)('0' + gen_below(&pl->r, 5) * 2 + (b.sex == 1));
        gen_finishId(b.id);
        if (ty_reserve(pl, b.id) != 0) return -1;
        ty_lNumber(ctx, &b);
        ty_copy(pl, &b, ty_drawScope(pl), &a);
        op = gen_below(&pl->r, 2) ? TY_OP_SUB : TY_OP_SWAP;
        pos = (uint8_t)(4 + gen_below(&pl->r, 13)); /* 4..16: the region stays a card's */
        if (ty_applySlip(pl, a.id, op, pos) != 0 || ty_reserveSlip(pl, &a, &b) != 0) return -1;
        ty_lNumber(ctx, &a);
        rb = ty_add(pl, &b, 'B');
        ra = ty_add(pl, &a, 'A');
        ty_note(pl, ra, rb, op, pos);
        uint32_t const m[2] = { rb, ra };
        ty_group2(pl, rb, m, 2);
        return 0;
    }
    if (ty_student(pl, &b) != 0) return -1;
    switch (k->what) {
    case TY_SUB: return ty_pair(pl, &b, TY_OP_SUB, k->pos, &rb, &ra);
    case TY_SWAP: return ty_pair(pl, &b, TY_OP_SWAP, k->pos, &rb, &ra);
    case TY_REGION:
        ty_copy(pl, &b, ty_drawScope(pl), &a);
        if (ty_regionBad(pl, a.id, &pos) != 0 || ty_reserveSlip(pl, &a, &b) != 0) return -1;
        goto pair;
    case TY_BIRTH:
        ty_copy(pl, &b, ty_drawScope(pl), &a);
        ty_birthBad(pl, a.id, &pos);
        if (ty_reserveSlip(pl, &a, &b) != 0) return -1;
    pair:
        ty_lNumber(ctx, &a);
        rb = ty_add(pl, &b, 'B');
        ra = ty_add(pl, &a, 'A');
        ty_note(pl, ra, rb, TY_OP_SUB, pos);
        { uint32_t const m[2] = { rb, ra }; ty_group2(pl, rb, m, 2); }
        return 0;
    case TY_B_TWICE: /* B transferred to another school (one ID group), A a slip of the number */
        ty_copy(pl, &b, GEN_SC_COUNTY + (int)gen_below(&pl->r, 4), &c);
        if (ty_pair(pl, &b, 0, 0, &rb, &ra) != 0) return -1;
        rc = ty_add(pl, &c, 'B');
        pl->grp[pl->n_grp - 1].member[pl->grp[pl->n_grp - 1].n++] = rc;
        return 0;
    case TY_A_TWICE: /* the mistyped row imported twice into its school */
        if (ty_pair(pl, &b, 0, 0, &rb, &ra) != 0) return -1;
        c = pl->rec[ra].p;
        rc = ty_add(pl, &c, 'A');
        ty_note(pl, rc, rb, pl->slip[pl->n_slip - 1].op, pl->slip[pl->n_slip - 1].pos);
        pl->grp[pl->n_grp - 1].member[pl->grp[pl->n_grp - 1].n++] = rc;
        return 0;
    case TY_TWO_TYPOS: /* two schools, two different slips of one number */
        if (ty_pair(pl, &b, TY_OP_SUB, (uint8_t)(1 + gen_below(&pl->r, 18)), &rb, &ra) != 0) return -1;
        ty_copy(pl, &b, ty_drawScope(pl), &c);
        if (ty_randomSlip(pl, c.id, &op, &pos) != 0 || memcmp(c.id, pl->rec[ra].p.id, 18) == 0
            || ty_reserveSlip(pl, &c, &b) != 0) return -1;
        ty_lNumber(ctx, &c);
        rc = ty_add(pl, &c, 'A');
        ty_note(pl, rc, rb, op, pos);
        pl->grp[pl->n_grp - 1].member[pl->grp[pl->n_grp - 1].n++] = rc;
        return 0;
    case TY_TWO_GROUPS: {
        /* A is B1's number with a county or sequence digit changed; B2, the
         * same student registered elsewhere, holds A's digits with the right
         * check character: A is one slip from both */
        static const uint8_t POS[5] = { 3, 4, 5, 6, 16 };
        if (ty_pair(pl, &b, TY_OP_SUB, POS[gen_below(&pl->r, 5)], &rb, &ra) != 0) return -1;
        ty_copy(pl, &b, GEN_SC_COUNTY + (int)gen_below(&pl->r, 4), &c);
        memcpy(c.id, pl->rec[ra].p.id, 17);
        gen_finishId(c.id);
        memcpy(c.sno + 1, c.id, 18);
        rc = ty_add(pl, &c, 'B');
        ty_note(pl, ra, rc, TY_OP_SUB, 18);
        uint32_t const m[2] = { rc, ra };
        ty_group2(pl, rc, m, 2);
        return 0;
    }
    case TY_B_SEX: /* B's record has the other sex than its ID; A has B's record's */
        b.sex = (uint8_t)(3 - b.sex);
        return ty_pair(pl, &b, 0, 0, &rb, &ra);
    case TY_B_BIRTH: { /* B's record has another birth date than its ID; A has B's record's */
        int32_t const shift = 1 + (int32_t)gen_below(&pl->r, 40);
        b.birth = gen_fromDayNumber(gen_dayNumber(b.birth) + (gen_below(&pl->r, 2) ? shift : -shift));
        return ty_pair(pl, &b, 0, 0, &rb, &ra);
    }
    case TY_B_CHANGED: /* B's G number was issued under an earlier ID: B is id_changed, still a B */
        c = b;
        if (ty_freshId(pl, &c, ty_county(ctx, &b)) != 0) return -1;
        memcpy(b.sno + 1, c.id, 18);
        return ty_pair(pl, &b, 0, 0, &rb, &ra);
    case TY_B_SHARED: { /* another student typed in with B's number: an ID group, not a member */
        if (ty_student(pl, &c) != 0) return -1;
        char n1[sizeof b.name], n2[sizeof b.name];
        ty_normName(&b, n1, sizeof n1);
        c.sex = b.sex;
        c.birth = b.birth;
        ty_normName(&c, n2, sizeof n2);
        if (strcmp(n1, n2) == 0) return -1;
        memcpy(c.id, b.id, 18);
        memcpy(c.sno + 1, b.id, 18);
        if (ty_pair(pl, &b, 0, 0, &rb, &ra) != 0) return -1;
        ty_add(pl, &c, 'O');
        return 0;
    }
    default:
        return -1;
    }
}

/* ------------------------------------------------------------ negatives */

/* One slip apart: one position differs, or two adjacent ones swapped. */
static int ty_oneSlip(const char *a, const char *b)
{
    int at[3], n = 0;
    for (int i = 0; i < 18 && n < 3; i++) if (a[i] != b[i]) at[n++] = i;
    if (n == 1) return 1;
    return n == 2 && at[1] == at[0] + 1 && a[at[0]] == b[at[1]] && a[at[1]] == b[at[0]];
}

/* A number with a wrong check character on a fresh prefix. */
static int ty_wrongCheck(ty_plan *pl, gen_person *p)
{
    if (ty_freshId(pl, p, pl->ctx->counties[gen_below(&pl->r, pl->ctx->n_counties)].code) != 0) return -1;
    return ty_applySlip(pl, p->id, TY_OP_SUB, 18);
}

static int ty_negative(ty_plan *pl, const ty_kind *k, uint32_t number)
{
    const gen_ctx *const ctx = pl->ctx;
    gen_person b, a, c;
    uint8_t op, pos;
    if (ty_student(pl, &b) != 0) return -1;
    switch (k->what) {
    case TY_NAMESAKES: { /* 3-6 students of one name, sex and birth date, unrelated valid IDs,
                           and one more with a wrong check character two slips or more away */
        uint32_t const n = 3 + number % 4;
        uint32_t const first = (uint32_t)pl->n_rec;
        ty_add(pl, &b, 'O');
        for (uint32_t i = 1; i < n; i++) {
            ty_copy(pl, &b, GEN_SC_NATIONAL - (int)gen_below(&pl->r, 3), &c);
            if (ty_freshId(pl, &c, ctx->counties[gen_below(&pl->r, ctx->n_counties)].code) != 0) return -1;
            memcpy(c.sno + 1, c.id, 18);
            ty_add(pl, &c, 'O');
        }
        ty_copy(pl, &b, GEN_SC_NATIONAL - (int)gen_below(&pl->r, 3), &c);
        if (ty_wrongCheck(pl, &c) != 0) return -1;
        for (uint32_t i = first; i < pl->n_rec; i++) if (ty_oneSlip(c.id, pl->rec[i].p.id)) return -1;
        ty_lNumber(ctx, &c);
        ty_add(pl, &c, 'O');
        return 0;
    }
    case TY_TWINS:
    case TY_TWINS_TYPO: {
        /* the second twin: same school, region and birth date, the next
         * sequence number of its sex (twins_typo, and odd instances of twins:
         * same sex, seq + 2; even instances of twins: the other sex, the other
         * number of the pair), another name */
        int const same_sex = k->what == TY_TWINS_TYPO || number % 2 == 1;
        uint32_t const seq = ty_digits(b.id + 14, 3);
        if (same_sex && seq % 10 >= 8) return -1; /* seq + 2 must change the last digit only */
        c = b;
        c.row = pl->vrow++;
        c.sex = same_sex ? b.sex : (uint8_t)(3 - b.sex);
        gen_makeName(&pl->r, ctx->counties[ctx->schools[b.loc.school].county].prov, c.sex, &c);
        char n1[sizeof b.name], n2[sizeof b.name];
        ty_normName(&b, n1, sizeof n1);
        ty_normName(&c, n2, sizeof n2);
        if (strcmp(n1, n2) == 0) return -1;
        gen_putDigits(c.id + 14, same_sex ? seq + 2 : (seq ^ 1u), 3);
        gen_finishId(c.id);
        if (ty_reserve(pl, c.id) != 0) return -1;
        memcpy(c.sno + 1, c.id, 18);
        uint32_t const rb = ty_add(pl, &b, 'O');
        if (k->what == TY_TWINS) { ty_add(pl, &c, 'O'); return 0; }
        /* registered with the first twin's digits and its own check character */
        c.id[16] = b.id[16];
        if (c.id[17] == b.id[17]) return -1;
        ty_lNumber(ctx, &c);
        uint32_t const rc = ty_add(pl, &c, 'O');
        ty_note(pl, rc, rb, TY_OP_SUB, 18);
        return 0;
    }
    case TY_DIFF_NAME: case TY_DIFF_BIRTH: case TY_DIFF_SEX:
        /* one slip of B's number, with another name, birth date or sex */
        ty_copy(pl, &b, ty_drawScope(pl), &a);
        if (k->what == TY_DIFF_NAME) {
            if (ty_student(pl, &c) != 0) return -1;
            memcpy(a.name, c.name, c.name_len);
            a.name_len = c.name_len;
            a.name_kind = c.name_kind;
            char n1[sizeof b.name], n2[sizeof b.name];
            ty_normName(&b, n1, sizeof n1);
            ty_normName(&a, n2, sizeof n2);
            if (strcmp(n1, n2) == 0) return -1;
        } else if (k->what == TY_DIFF_BIRTH) {
            a.birth = gen_fromDayNumber(gen_dayNumber(b.birth) + 1 + (int32_t)gen_below(&pl->r, 30));
        } else {
            a.sex = (uint8_t)(3 - b.sex);
        }
        break;
    case TY_B_INVALID:
        /* "B" fails the region or the date check with a right check
         * character: no B, so no group */
        if (number % 2 == 0) {
            if (ty_regionBad(pl, b.id, &pos) != 0) return -1;
        } else {
            int const m = (b.id[10] - '0') * 10 + (b.id[11] - '0') + 12;
            b.id[10] = (char)('0' + m / 10);
            b.id[11] = (char)('0' + m % 10);
        }
        gen_finishId(b.id);
        if (ty_reserve(pl, b.id) != 0) return -1;
        ty_lNumber(ctx, &b);
        ty_copy(pl, &b, ty_drawScope(pl), &a);
        break;
    case TY_BOTH_TYPO: /* two wrong check characters on one number: no B */
        if (ty_applySlip(pl, b.id, TY_OP_SUB, 18) != 0) return -1;
        ty_lNumber(ctx, &b);
        ty_copy(pl, &b, ty_drawScope(pl), &a);
        if (ty_applySlip(pl, a.id, TY_OP_SUB, 18) != 0 || a.id[17] == b.id[17] || xj_idCheckChar(a.id) == a.id[17])
            return -1;
        ty_lNumber(ctx, &a);
        {
            uint32_t const rb = ty_add(pl, &b, 'O'), ra = ty_add(pl, &a, 'O');
            ty_note(pl, ra, rb, TY_OP_SUB, 18);
        }
        return 0;
    default:
        return -1;
    }
    /* diff_* and b_not_valid: a slip of b's number on a */
    if (ty_randomSlip(pl, a.id, &op, &pos) != 0 || ty_reserveSlip(pl, &a, &b) != 0) return -1;
    ty_lNumber(ctx, &a);
    uint32_t const rb = ty_add(pl, &b, 'O'), ra = ty_add(pl, &a, 'O');
    ty_note(pl, ra, rb, op, pos);
    return 0;
}

/* ------------------------------------------------------------ instances */

/* Claims the instance's attribute keys; 0, or 1 when another live instance
 * has one of them (this one must be planned again), -1 out of memory. */
static int ty_claimKeys(ty_plan *pl, uint32_t in)
{
    const ty_inst *const it = &pl->inst[in];
    if ((pl->n_keys + (it->rec1 - it->rec0) + 1) * 2 > pl->cap_keys) {
        size_t const cap = pl->cap_keys ? pl->cap_keys * 4 : 4096;
        uint64_t *const k = calloc(cap, sizeof *k);
        uint32_t *const o = calloc(cap, sizeof *o);
        if (k == NULL || o == NULL) { free(k); free(o); return -1; }
        for (size_t i = 0; i < pl->cap_keys; i++) {
            if (pl->keys[i] == 0) continue;
            size_t h = (size_t)gen_mix(pl->keys[i]) & (cap - 1);
            while (k[h] != 0) h = (h + 1) & (cap - 1);
            k[h] = pl->keys[i];
            o[h] = pl->key_inst[i];
        }
        free(pl->keys); free(pl->key_inst);
        pl->keys = k; pl->key_inst = o; pl->cap_keys = cap;
    }
    size_t const mask = pl->cap_keys - 1;
    for (uint32_t i = it->rec0; i < it->rec1; i++) { /* look first, claim after */
        uint64_t const key = pl->rec[i].key | 1; /* never 0 */
        for (size_t h = (size_t)gen_mix(key) & mask; pl->keys[h] != 0; h = (h + 1) & mask)
            if (pl->keys[h] == key && pl->key_inst[h] != in && !pl->inst[pl->key_inst[h]].dead) return 1;
    }
    for (uint32_t i = it->rec0; i < it->rec1; i++) {
        uint64_t const key = pl->rec[i].key | 1;
        size_t h = (size_t)gen_mix(key) & mask;
        while (pl->keys[h] != 0 && pl->keys[h] != key) h = (h + 1) & mask;
        if (pl->keys[h] == 0) pl->n_keys++;
        pl->keys[h] = key;
        pl->key_inst[h] = in;
    }
    return 0;
}

int ty_planInstance(ty_plan *pl, uint16_t k, uint32_t number)
{
    for (int t = 0; t < TRIES && !pl->oom; t++) {
        GROW(pl->inst, pl->n_inst, pl->cap_inst, pl->oom = 1; return -1);
        uint32_t const in = (uint32_t)pl->n_inst++;
        ty_inst *it = &pl->inst[in];
        memset(it, 0, sizeof *it);
        it->kind = k;
        it->number = number;
        it->rec0 = (uint32_t)pl->n_rec;
        it->grp0 = (uint32_t)pl->n_grp;
        it->slip0 = (uint32_t)pl->n_slip;
        const ty_kind *const kd = &pl->kinds[k];
        int const bad = kd->what < TY_FIRST_NEGATIVE ? ty_positive(pl, kd) : ty_negative(pl, kd, number);
        it = &pl->inst[in]; /* the arrays may have moved */
        it->rec1 = (uint32_t)pl->n_rec;
        it->grp1 = (uint32_t)pl->n_grp;
        it->slip1 = (uint32_t)pl->n_slip;
        if (pl->oom) return -1;
        int const claim = bad ? 1 : ty_claimKeys(pl, in);
        if (claim < 0) { pl->oom = 1; return -1; }
        if (claim == 0) return 0;
        it->dead = 1;
    }
    return -1;
}

int ty_planInit(ty_plan *pl, gen_ctx *ctx, uint32_t per_kind)
{
    memset(pl, 0, sizeof *pl);
    pl->ctx = ctx;
    pl->per_kind = per_kind;
    pl->r = gen_rngAt(ctx->k_layout ^ 0x5459504F53ULL, 0);
    pl->vrow = ctx->o.rows;
    return ty_kindsInit(pl);
}

void ty_planFree(ty_plan *pl)
{
    free(pl->kinds); free(pl->rec); free(pl->grp); free(pl->slip); free(pl->inst);
    free(pl->ids); free(pl->keys); free(pl->key_inst);
    memset(pl, 0, sizeof *pl);
}
