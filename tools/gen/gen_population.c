/*
 * gen_population — `xjdedup gen -o FILE --population EXTRACT`: a population
 * extract (docs/population.md §1) for the register gen writes, with
 * differences whose effect is known, students with a temporary L number of
 * every kind assignments.csv tells apart (appended to the register), and
 * EXTRACT.truth.json (docs/generator.md, "Population extracts").
 *
 * Who is listed. Every GB 11643 number of the register that passes checks
 * 1-5 of rules §4 (types 1 and 9, residence permits) is listed by its
 * *owner*, the record the generator made it for: a row repeating another
 * row's ID (a transfer, a typed duplicate, an import) owns nothing, its root
 * does. Each owner's number has a *plan*, drawn from its row alone: listed
 * as it is, left out, listed under another name, listed under another form
 * of its name (one rules §3 makes the same), listed twice with the same name,
 * listed twice with another name. One person who is not in the register is
 * added per row with the same chance, under a sequence number 900-999, which
 * no register number has (base numbers use 000-799, planted ones 800-899).
 *
 * The file. Extract block j holds the entries of the owners of register
 * block perm[j] (a shuffle of the block numbers), the second listings of the
 * owners half a file further on, the people added for that register block
 * and a share of the planted records, in an order shuffled by hash. So every
 * block is a pure function of (seed, options, j): blocks are made in
 * parallel and written in order like the register's (gen_writeBlocks), a zstd
 * frame each, the same bytes whatever --threads is.
 *
 * The truth. A record compared (population.md §2: accepted, checks 1-7 pass,
 * a GB key) gets not_found or name_mismatch from the entries of its number:
 * those of the number's owner (itself, or the root it repeats) or, for a
 * number two owners hold by chance (two migrant children's natural
 * collision; a native number is one-to-one, gen_people.c, so only the others
 * are collected), the union of theirs. An L record's basis (§3) needs its
 * groups: the injected ID groups (the roots the duplicate rows name), those
 * shared numbers, and the attribute groups, from the attribute keys of the
 * records without ID (--attr-scope noid) and the records with an ID that
 * share one (mixed). A pre-pass over the rows collects all that; a second
 * pass makes the truth. The planted records are checked against every base
 * row before the files are written, so that the no_id_unique ones are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "commands.h"
#include "gen_typos.h"

#define GROW(arr, n, cap, fail) do { if ((n) == (cap)) { size_t nc_ = (cap) ? (cap) * 2 : 64; \
    void *p_ = realloc((arr), nc_ * sizeof *(arr)); if (p_ == NULL) { fail; } else { (arr) = p_; (cap) = nc_; } } } while (0)

enum { ROUNDS = 16, NAME_MAX_BYTES = 320 };  /* a name as written: a Latin name in full-width letters is 3x */

/* What the extract does with an owner's number. */
enum pp_plan { PL_LISTED = 0, PL_LEFT_OUT, PL_CHANGED, PL_VARIANT, PL_TWICE_SAME, PL_TWICE_OTHER, PL_COUNT,
               PL_NONE = 255 };
static const char *const PLAN_NAMES[PL_COUNT] = {
    "listed", "left_out", "changed", "variant", "twice_same", "twice_other",
};

/* The planted records (the truth's `case`; base records are "base"). */
enum pp_case { PC_VERIFIED = 0, PC_DOTTED, PC_PERMIT, PC_NOT_FOUND, PC_MISMATCH, PC_NOID_UNIQUE, PC_NOID_ATTR,
               PC_ID_DUP, PC_MIXED, PC_TYPE9, PC_INVALID, PC_COUNT, PC_BASE = PC_COUNT };
static const char *const CASE_NAMES[PC_COUNT + 1] = {
    "l_verified", "l_dotted", "l_permit", "l_not_found", "l_name_mismatch", "l_noid_unique", "l_noid_attr",
    "l_id_dup", "l_mixed", "l_type9", "l_invalid", "base",
};

/* A planted record. */
typedef struct pp_rec {
    gen_person p;             /* as written; p.row = rows + its index */
    uint64_t anchor;          /* the base row whose school it was placed in */
    uint64_t key;             /* attribute key (ty_attrKey) */
    uint64_t line;            /* where it starts in the register */
    uint32_t inst;            /* instance of its case */
    uint32_t owner;           /* the planted record whose plan lists its number (itself, or the first of
                                 an l_id_dup pair); UINT32_MAX when no valid number */
    uint8_t cas;              /* enum pp_case */
    uint8_t plan;             /* enum pp_plan of its number when it is its owner */
    uint8_t form;             /* its name's variant form (l_type9 takes each in turn); 255: drawn */
    uint8_t id_group;         /* another planted record has its number */
    uint8_t hit;              /* a base row has its attribute key */
} pp_rec;

/* A number (its 17 digits) and a row that owns it, row << 1 | accepted. */
typedef struct pp_num {
    uint64_t num;
    uint64_t ref;
} pp_num;

/* A number several owners hold: their entries together. */
typedef struct pp_shared {
    uint64_t num;
    size_t first, n;          /* its owners: pop->nums[first .. first+n) */
    uint32_t accepted;        /* how many of them are accepted records */
    uint32_t n_names;         /* distinct normalized names listed */
    uint64_t names[16];       /* their XXH3 hashes (16 at most: owners of one number are 2, rarely 3) */
} pp_shared;

/* What the truth lists, one entry per item, sorted by (list, row). */
enum { TL_ROW = 0, TL_MATCH, TL_NUMBER, TL_SEVERAL, TL_ASSIGN };
enum { RS_NOT_FOUND = 1, RS_NAME_MISMATCH };
enum { W_LEFT_OUT = 1, W_CHANGED, W_OTHER_NAME, W_SHARED };        /* why a base record has a row */
enum { B_NONE = 0, B_VERIFIED, B_NOID_UNIQUE, B_PENDING = 255 };   /* bases */
enum { Y_NONE = 0, Y_TYPE, Y_INVALID, Y_NOT_FOUND, Y_MISMATCH, Y_ID_DUP, Y_ATTR_DUP }; /* why no line */
static const char *const BASIS_NAMES[3] = { "", "id_verified", "no_id_unique" };
static const char *const WHY_NAMES[7] = {
    "", "id_type", "id_invalid", "not_found", "name_mismatch", "id_duplicate", "attr_duplicate",
};

typedef struct pp_out {
    uint64_t row;             /* the record or owner (rows + i for planted record i) */
    uint8_t list;             /* TL_* */
    uint8_t code;             /* ROW: RS_*; MATCH, NUMBER: the plan; SEVERAL: 1 shared; ASSIGN: basis */
    uint8_t why;              /* ROW: W_*; ASSIGN: Y_* */
    uint8_t mixed;            /* ASSIGN: the basis with --attr-scope mixed */
} pp_out;

/* One thread's share of a pass. */
typedef struct pp_part {
    uint64_t *roots; size_t n_roots, cap_roots;
    uint64_t *noid; size_t n_noid, cap_noid;
    pp_num *nums; size_t n_nums, cap_nums;
    pp_out *out; size_t n_out, cap_out;
    uint64_t lines, entries, ids, several, added, compared;
    int oom;
} pp_part;

typedef struct pp_pop {
    gen_ctx *ctx;
    uint64_t k_pop;           /* the extract's stream key */
    uint64_t t_plan[PL_COUNT];/* cumulative thresholds of the plans left_out .. twice_other */
    uint64_t t_added;         /* a person added for a row */
    uint32_t per_case;        /* instances of each planted case */
    gen_rng r;                /* the planting's one stream */
    pp_rec *rec; size_t n_rec, cap_rec;
    uint64_t *ids; size_t n_ids, cap_ids;     /* reserved 17-digit prefixes + 1 (open addressing) */
    pp_num *uniq; size_t n_uniq;              /* l_noid_unique keys (num = key, ref = record), sorted */
    int lookup_only;          /* a pass that only looks for the planted keys */
    /* the pre-pass, sorted */
    uint64_t *roots; size_t n_roots;          /* rows an injected ID duplicate repeats (distinct) */
    uint64_t *noid; size_t n_noid;            /* attribute keys of the records without ID, repeats kept */
    uint8_t *held;                            /* per noid key: a record with an ID has it too */
    pp_num *nums; size_t n_nums;              /* owners whose number may be another owner's, by number */
    pp_shared *shared; size_t n_shared;       /* the numbers two owners or more hold */
    /* the extract */
    uint64_t nb;              /* its blocks */
    uint64_t *perm;           /* extract block j holds register block perm[j] */
    /* the passes, per thread */
    pp_part *parts; int n_parts;
    const char *source;       /* the register's base name, as problems.csv names it */
} pp_pop;

/* ------------------------------------------------------------ numbers and names */

static int pp_gbShape(const gen_person *p)
{
    if (p->id_len != 18) return 0;
    for (int i = 0; i < 17; i++) if (p->id[i] < '0' || p->id[i] > '9') return 0;
    return (p->id[17] >= '0' && p->id[17] <= '9') || p->id[17] == 'X';
}

/* The GB 11643 key: types 1 (with the permits) and 9 of that shape. */
static int pp_gbKey(const gen_person *p)
{
    return (p->id_type == '1' || p->id_type == 'P' || p->id_type == '9') && pp_gbShape(p);
}

/* rules §4's first failing check of a GB-keyed record ("" when none). */
static const char *pp_reason(const gen_ctx *ctx, const gen_person *p)
{
    return ty_reason(ctx, p);
}

/* Its number passes checks 1-5: the database can hold it. */
static int pp_validNumber(const gen_ctx *ctx, const gen_person *p)
{
    if (!pp_gbKey(p)) return 0;
    const char *const r = pp_reason(ctx, p);
    return !*r || strcmp(r, "birthdate_mismatch") == 0 || strcmp(r, "sex_mismatch") == 0
        || strcmp(r, "id_changed") == 0;
}

/* Compared with the extract (population.md §2): accepted, checks 1-7 pass. */
static int pp_compared(const gen_ctx *ctx, const gen_person *p)
{
    if (p->malformed || !pp_gbKey(p)) return 0;
    const char *const r = pp_reason(ctx, p);
    return !*r || strcmp(r, "id_changed") == 0;
}

static uint64_t pp_num17(const char *id)
{
    uint64_t v = 0;
    for (int i = 0; i < 17; i++) v = v * 10 + (uint64_t)(id[i] - '0');
    return v;
}

static int pp_isPlanted(const pp_pop *pp, uint64_t row) { return row >= pp->ctx->o.rows; }
static const pp_rec *pp_planted(const pp_pop *pp, uint64_t row) { return &pp->rec[row - pp->ctx->o.rows]; }

/* A base row's plan, from its row alone. */
static uint8_t pp_drawPlan(const pp_pop *pp, uint64_t row)
{
    uint64_t const u = gen_mix(pp->k_pop + (row + 1) * GEN_GOLDEN);
    for (uint8_t i = PL_LEFT_OUT; i < PL_COUNT; i++) if (u < pp->t_plan[i]) return i;
    return PL_LISTED;
}

static uint8_t pp_planOf(const pp_pop *pp, uint64_t row)
{
    return pp_isPlanted(pp, row) ? pp_planted(pp, row)->plan : pp_drawPlan(pp, row);
}

/* p owns its number: the extract lists it by p's plan. */
static int pp_isOwner(const pp_pop *pp, const gen_person *p)
{
    if (pp_isPlanted(pp, p->row)) return pp_planted(pp, p->row)->owner == p->row - pp->ctx->o.rows;
    return p->root == p->row && pp_validNumber(pp->ctx, p);
}

/* The row owning a compared record's number (when no other owner has it). */
static uint64_t pp_ownerRow(const pp_pop *pp, const gen_person *p)
{
    if (pp_isPlanted(pp, p->row)) return pp->ctx->o.rows + pp_planted(pp, p->row)->owner;
    return (p->kind >= GEN_KIND_TRANSFER && p->kind <= GEN_KIND_MULTI) ? p->root : p->row;
}

static void pp_person(const pp_pop *pp, uint64_t row, gen_person *p)
{
    if (pp_isPlanted(pp, row)) { *p = pp_planted(pp, row)->p; return; }
    gen_loc loc;
    gen_locate(pp->ctx, row, &loc);
    gen_makeRow(pp->ctx, row, &loc, p);
}

static uint64_t pp_nameHash(const gen_person *p)
{
    char n[sizeof p->name + 1];
    ty_normName(p, n, sizeof n);
    return XXH3_64bits(n, strlen(n));
}

static size_t pp_utf8Len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

static uint32_t pp_provOf(const gen_ctx *ctx, const gen_person *p)
{
    return ctx->counties[ctx->schools[p->loc.school].county].prov;
}

/* The name an owner's number is listed under instead of its own (plans
 * changed and twice_other), from its row alone: a dotted name without its
 * dot (a third of them, and every planted l_name_mismatch: §3 keeps the dot,
 * so that is another name), another Latin name, or another name of its
 * province, half of them keeping the surname. Never the same name once
 * normalized. */
static void pp_otherName(const pp_pop *pp, const gen_person *o, gen_person *q)
{
    gen_rng r = gen_rngAt(pp->k_pop ^ 0x4F54484552ULL, o->row);
    char a[sizeof o->name + 1], b[sizeof o->name + 1];
    ty_normName(o, a, sizeof a);
    *q = *o;
    int const drop = gen_below(&r, 3) == 0 || (pp_isPlanted(pp, o->row) && pp_planted(pp, o->row)->cas == PC_MISMATCH);
    if (o->name_kind == GEN_NAME_DOTTED && drop) {
        q->name_len = 0;
        for (size_t i = 0; i < o->name_len; i++) {
            if ((unsigned char)o->name[i] == 0xC2 && i + 1 < o->name_len && (unsigned char)o->name[i + 1] == 0xB7) { i++; continue; }
            q->name[q->name_len++] = o->name[i];
        }
        q->name_kind = GEN_NAME_HAN;
        return;
    }
    for (int t = 0; t < 16; t++) {
        if (o->name_kind == GEN_NAME_LATIN) {
            gen_makeLatinName(&r, o->sex, q);
        } else {
            gen_makeName(&r, pp_provOf(pp->ctx, o), o->sex, q);
            size_t const f = pp_utf8Len((unsigned char)o->name[0]), g = pp_utf8Len((unsigned char)q->name[0]);
            if (o->name_kind == GEN_NAME_HAN && q->name_kind == GEN_NAME_HAN && q->name_len > g
                && gen_below(&r, 2) && q->name_len - g + f < sizeof q->name) {
                /* the same surname (character), another given name */
                memmove(q->name + f, q->name + g, q->name_len - g);
                memcpy(q->name, o->name, f);
                q->name_len = (uint8_t)(q->name_len - g + f);
            }
        }
        ty_normName(q, b, sizeof b);
        if (strcmp(a, b) != 0) return;
    }
    *q = *o; /* sixteen draws gave the same name: one character more */
    memcpy(q->name + q->name_len, "\xE5\xAD\x90", 3); /* 子 */
    q->name_len = (uint8_t)(q->name_len + 3);
}

static char *pp_put(char *o, const char *s, size_t n) { memcpy(o, s, n); return o + n; }
#define PUTS(o, s) pp_put((o), (s), sizeof(s) - 1)

enum { VARIANT_FORMS = 5 };
static const char *const DOTS[VARIANT_FORMS] = {
    "\xE2\x80\xA2", "\xE2\x80\xA7", "\xE2\x88\x99", "\xE3\x83\xBB", "\xEF\xBD\xA5",
};

/* o's name in another form that rules §3 makes the same name, into out
 * (NAME_MAX_BYTES): Han names with an ASCII, ideographic (U+3000) or
 * no-break (U+00A0) space inside or spaces around them; dotted names with
 * U+2022, U+2027, U+2219, U+30FB or U+FF65 for the middle dot; Latin names
 * in upper case, lower case, full-width letters, without their space, or
 * with every letter's case swapped and U+3000 for the space. */
static size_t pp_variantName(const gen_person *o, int form, char *out)
{
    const char *const s = o->name;
    size_t const n = o->name_len;
    char *w = out;
    if (o->name_kind == GEN_NAME_DOTTED) {
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)s[i] == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xB7) {
                w = pp_put(w, DOTS[form], strlen(DOTS[form]));
                i++;
            } else {
                *w++ = s[i];
            }
        }
        return (size_t)(w - out);
    }
    if (o->name_kind == GEN_NAME_LATIN) {
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            int const up = c >= 'A' && c <= 'Z', low = c >= 'a' && c <= 'z';
            if (c == ' ') {
                if (form == 3) continue;
                if (form == 4) { w = PUTS(w, "\xE3\x80\x80"); continue; }
            }
            if (form == 0 && low) c = (char)(c - 32);
            if (form == 1 && up) c = (char)(c + 32);
            if (form == 4 && (up || low)) c = (char)(c ^ 32);
            if (form == 2 && (up || low)) { /* U+FF21.. and U+FF41.. */
                unsigned const u = 0xFF00u + ((unsigned char)c - 0x20u);
                *w++ = (char)0xEF; *w++ = (char)(0x80 | ((u >> 6) & 0x3F)); *w++ = (char)(0x80 | (u & 0x3F));
                continue;
            }
            *w++ = c;
        }
        return (size_t)(w - out);
    }
    size_t const f = pp_utf8Len((unsigned char)s[0]) < n ? pp_utf8Len((unsigned char)s[0]) : n;
    switch (form) {
    case 0: w = pp_put(w, s, f); w = PUTS(w, " "); w = pp_put(w, s + f, n - f); break;
    case 1: w = pp_put(w, s, f); w = PUTS(w, "\xE3\x80\x80"); w = pp_put(w, s + f, n - f); break;
    case 2: w = PUTS(w, " "); w = pp_put(w, s, n); w = PUTS(w, " "); break;
    case 3: w = pp_put(w, s, f); w = PUTS(w, "\xC2\xA0"); w = pp_put(w, s + f, n - f); break;
    default: w = PUTS(w, "\xE3\x80\x80"); w = pp_put(w, s, n); w = PUTS(w, "\xE3\x80\x80"); break;
    }
    return (size_t)(w - out);
}

/* The name an owner's number is listed under, as written: listing 0 (the
 * first) or 1 (the second listing of the twice plans). 0 when there is no
 * such listing. */
static int pp_listing(const pp_pop *pp, const gen_person *o, uint8_t plan, int which, char *out, size_t *len)
{
    gen_person q;
    if (plan == PL_LEFT_OUT || plan >= PL_COUNT) return 0;
    if (which == 1 && plan != PL_TWICE_SAME && plan != PL_TWICE_OTHER) return 0;
    if (plan == PL_CHANGED || (which == 1 && plan == PL_TWICE_OTHER)) {
        pp_otherName(pp, o, &q);
        memcpy(out, q.name, q.name_len);
        *len = q.name_len;
        return 1;
    }
    gen_rng r = gen_rngAt(pp->k_pop ^ 0x56415249ULL, o->row * 2 + (uint64_t)which);
    int const variant = plan == PL_VARIANT || (which == 1 && plan == PL_TWICE_SAME && gen_below(&r, 4) != 0);
    if (!variant) { memcpy(out, o->name, o->name_len); *len = o->name_len; return 1; }
    int form = (int)gen_below(&r, VARIANT_FORMS);
    if (pp_isPlanted(pp, o->row) && pp_planted(pp, o->row)->form < VARIANT_FORMS) form = pp_planted(pp, o->row)->form;
    *len = pp_variantName(o, form, out);
    return 1;
}

/* The normalized names an owner's number is listed under (hashes): 0, 1 or 2. */
static int pp_listedNames(const pp_pop *pp, const gen_person *o, uint8_t plan, uint64_t h[2])
{
    gen_person q;
    switch (plan) {
    case PL_LEFT_OUT: return 0;
    case PL_CHANGED: pp_otherName(pp, o, &q); h[0] = pp_nameHash(&q); return 1;
    case PL_TWICE_OTHER: h[0] = pp_nameHash(o); pp_otherName(pp, o, &q); h[1] = pp_nameHash(&q); return 2;
    default: h[0] = pp_nameHash(o); return 1;
    }
}

/* ------------------------------------------------------------ people added to the extract */

/* The person added for base row `row` (in no record of the register): a
 * type-1 number of county row mod counties, a birth date from 1960 on and a
 * sequence 900-999, one-to-one in the row. 0 when the row adds none. */
static int pp_added(const pp_pop *pp, uint64_t row, gen_person *x)
{
    const gen_ctx *const ctx = pp->ctx;
    gen_rng r = gen_rngAt(pp->k_pop ^ 0x4144444544ULL, row);
    if (gen_next(&r) >= pp->t_added) return 0;
    uint64_t t = row;
    uint32_t const c = (uint32_t)(t % ctx->n_counties);
    t /= ctx->n_counties;
    uint32_t const day = (uint32_t)(t % 20000);
    t /= 20000;
    if (t >= 100) return 0;
    memset(x, 0, sizeof *x);
    x->row = row;
    x->birth = gen_fromDayNumber(gen_dayNumber(19600101u) + (int32_t)day);
    x->sex = (t % 2) ? 1 : 2;
    memcpy(x->id, ctx->counties[c].code, 6);
    gen_putDate8(x->id + 6, x->birth);
    gen_putDigits(x->id + 14, 900 + t, 3);
    gen_finishId(x->id);
    x->id_len = 18;
    x->id_type = '1';
    gen_makeName(&r, ctx->counties[c].prov, x->sex, x);
    return 1;
}

/* ------------------------------------------------------------ the extract */

typedef struct pp_line {
    uint64_t key;             /* shuffle order */
    size_t off, len;          /* in the block's scratch text */
} pp_line;

typedef struct pp_block {
    gen_buf text;             /* the lines, in the order made */
    pp_line *v; size_t n, cap;
    int oom;
} pp_block;

static int pp_cmpLine(const void *a, const void *b)
{
    const pp_line *const x = a, *const y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->off > y->off) - (x->off < y->off);
}

/* One line: the number (now and then with the noise §3 undoes), the name as
 * given, the birth date of the number (an ignored column); now and then a
 * field quoted, with --messy CRLF and a blank line after a few. `stream`
 * names the line: its draws and its place in the shuffle. */
static void pp_putLine(const pp_pop *pp, pp_block *bl, const char *id, const char *name, size_t name_len,
                       uint64_t stream)
{
    gen_rng r = gen_rngAt(pp->k_pop ^ 0x4C494E45ULL, stream);
    if (gen_bufReserve(&bl->text, 2 * NAME_MAX_BYTES) != 0) { bl->oom = 1; return; }
    GROW(bl->v, bl->n, bl->cap, bl->oom = 1; return);
    char *const start = bl->text.p + bl->text.len;
    char *o = start;
    uint32_t const u = gen_below(&r, 10000);
    int const qid = gen_below(&r, 50) == 0, qname = gen_below(&r, 50) == 0;
    if (qid) *o++ = '"';
    if (u < 25) { /* grouped with spaces */
        o = pp_put(o, id, 6); *o++ = ' '; o = pp_put(o, id + 6, 8); *o++ = ' '; o = pp_put(o, id + 14, 4);
    } else if (u < 50) { /* an ideographic space after the region */
        o = pp_put(o, id, 6); o = PUTS(o, "\xE3\x80\x80"); o = pp_put(o, id + 6, 12);
    } else if (u < 75) { /* full-width digits and X */
        for (int i = 0; i < 18; i++) {
            unsigned const c = 0xFF00u + ((unsigned char)id[i] - 0x20u);
            *o++ = (char)0xEF; *o++ = (char)(0x80 | ((c >> 6) & 0x3F)); *o++ = (char)(0x80 | (c & 0x3F));
        }
    } else if (u < 100) { /* a lower-case x, or spaces around */
        if (id[17] == 'X') { o = pp_put(o, id, 17); *o++ = 'x'; }
        else { *o++ = ' '; o = pp_put(o, id, 18); *o++ = ' '; }
    } else {
        o = pp_put(o, id, 18);
    }
    if (qid) *o++ = '"';
    *o++ = ',';
    if (qname) *o++ = '"';
    o = pp_put(o, name, name_len);
    if (qname) *o++ = '"';
    *o++ = ',';
    char d[10];
    memcpy(d, id + 6, 4); d[4] = '-'; memcpy(d + 5, id + 10, 2); d[7] = '-'; memcpy(d + 8, id + 12, 2);
    uint32_t const v = gen_below(&r, 200);
    if (v == 0) { *o++ = '"'; o = pp_put(o, d, 10); o = PUTS(o, ",\xE5\xBE\x85\xE6\xA0\xB8\""); } /* "date,待核" */
    else if (v == 1) { *o++ = '"'; o = pp_put(o, d, 10); o = PUTS(o, " \"\"\xE4\xBC\xB0\"\"\""); } /* "date ""估""" */
    else if (v > 2) o = pp_put(o, d, 10);                                                          /* 2: empty */
    if (pp->ctx->o.messy) o = PUTS(o, "\r\n"); else *o++ = '\n';
    if (pp->ctx->o.messy && gen_below(&r, 1000) == 0) o = PUTS(o, "\r\n");
    bl->v[bl->n++] = (pp_line){ gen_mix(stream ^ pp->k_pop), (size_t)(start - bl->text.p), (size_t)(o - start) };
    bl->text.len += (size_t)(o - start);
}

/* The lines of owner o's listing `which`, if it has one. */
static void pp_putListing(const pp_pop *pp, pp_block *bl, const gen_person *o, uint8_t plan, int which)
{
    char name[NAME_MAX_BYTES];
    size_t len;
    if (pp_listing(pp, o, plan, which, name, &len)) pp_putLine(pp, bl, o->id, name, len, o->row * 4 + (uint64_t)which);
}

/* The extract block a planted record's first listing goes to. */
static uint64_t pp_plantedBlock(const pp_pop *pp, size_t i)
{
    return gen_below64(gen_mix(pp->k_pop ^ (0x504C414E54ULL + i)), pp->nb);
}

static int pp_extractBlock(const gen_ctx *ctx, void *arg, uint64_t j, gen_buf *t)
{
    const pp_pop *const pp = arg;
    uint64_t const half = pp->nb / 2;
    pp_block bl = { { NULL, 0, 0 }, NULL, 0, 0, 0 };
    gen_person p;
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: the first listings of register block perm[j] and the people
         * it adds; pass 1: the second listings of the block half a file back */
        uint64_t const b = pp->perm[pass == 0 ? j : (j + pp->nb - half) % pp->nb];
        uint64_t const first = b * GEN_BLOCK_ROWS;
        uint64_t const end = first + GEN_BLOCK_ROWS < ctx->o.rows ? first + GEN_BLOCK_ROWS : ctx->o.rows;
        gen_loc loc;
        if (pass == 0 && first < end) gen_locate(ctx, first, &loc);
        for (uint64_t i = first; i < end && !bl.oom; i++) {
            if (pass == 0) {
                gen_makeRow(ctx, i, &loc, &p);
                if (i + 1 < end) gen_locNext(ctx, &loc, i + 1);
                if (pp_isOwner(pp, &p)) pp_putListing(pp, &bl, &p, pp_drawPlan(pp, i), 0);
                gen_person x;
                if (pp_added(pp, i, &x)) {
                    char name[NAME_MAX_BYTES];
                    size_t len;
                    if (pp_listing(pp, &x, PL_LISTED, 0, name, &len)) pp_putLine(pp, &bl, x.id, name, len, i * 4 + 2);
                }
            } else {
                uint8_t const plan = pp_drawPlan(pp, i);
                if (plan != PL_TWICE_SAME && plan != PL_TWICE_OTHER) continue;
                pp_person(pp, i, &p);
                if (pp_isOwner(pp, &p)) pp_putListing(pp, &bl, &p, plan, 1);
            }
        }
    }
    for (size_t i = 0; i < pp->n_rec && !bl.oom; i++) {
        const pp_rec *const e = &pp->rec[i];
        if (e->owner != i) continue;
        uint64_t const at = pp_plantedBlock(pp, i);
        if (at == j) pp_putListing(pp, &bl, &e->p, e->plan, 0);
        if ((at + half) % pp->nb == j) pp_putListing(pp, &bl, &e->p, e->plan, 1);
    }
    int rc = bl.oom ? -1 : 0;
    t->len = 0;
    if (rc == 0) qsort(bl.v, bl.n, sizeof *bl.v, pp_cmpLine);
    if (rc == 0 && gen_bufReserve(t, bl.text.len + 64) != 0) rc = -1;
    if (rc == 0) {
        if (j == 0) { /* the header, one more column, which readers ignore; --messy: a BOM, spaces to trim */
            char *o = t->p;
            if (ctx->o.messy) o = PUTS(o, "\xEF\xBB\xBFid_number, name ,birth_date\r\n");
            else o = PUTS(o, "id_number,name,birth_date\n");
            t->len = (size_t)(o - t->p);
        }
        for (size_t i = 0; i < bl.n; i++) {
            memcpy(t->p + t->len, bl.text.p + bl.v[i].off, bl.v[i].len);
            t->len += bl.v[i].len;
        }
    }
    gen_bufFree(&bl.text);
    free(bl.v);
    return rc;
}

/* ------------------------------------------------------------ planting */

/* 0: the 17-digit prefix is now ours; 1: it was taken; -1: no memory. */
static int pp_reserve(pp_pop *pp, const char *id)
{
    if ((pp->n_ids + 1) * 2 > pp->cap_ids) {
        size_t const cap = pp->cap_ids ? pp->cap_ids * 2 : 4096;
        uint64_t *const t = calloc(cap, sizeof *t);
        if (t == NULL) return -1;
        for (size_t i = 0; i < pp->cap_ids; i++) {
            if (pp->ids[i] == 0) continue;
            size_t h = (size_t)gen_mix(pp->ids[i]) & (cap - 1);
            while (t[h] != 0) h = (h + 1) & (cap - 1);
            t[h] = pp->ids[i];
        }
        free(pp->ids);
        pp->ids = t;
        pp->cap_ids = cap;
    }
    uint64_t const v = pp_num17(id) + 1;
    size_t h = (size_t)gen_mix(v) & (pp->cap_ids - 1);
    while (pp->ids[h] != 0) {
        if (pp->ids[h] == v) return 1;
        h = (h + 1) & (pp->cap_ids - 1);
    }
    pp->ids[h] = v;
    pp->n_ids++;
    return 0;
}

/* A new valid number for p: the 6 digits given, p's birth date, a sequence
 * 800-899 of p's sex that nobody has. */
static int pp_freshId(pp_pop *pp, gen_person *p, const char head[6])
{
    memcpy(p->id, head, 6);
    gen_putDate8(p->id + 6, p->birth);
    uint32_t const start = gen_below(&pp->r, 50);
    for (uint32_t k = 0; k < 50; k++) {
        gen_putDigits(p->id + 14, 800 + ((start + k) % 50) * 2 + (p->sex == 1), 3);
        gen_finishId(p->id);
        int const t = pp_reserve(pp, p->id);
        if (t < 0) return -1;
        if (t == 0) { p->id_len = 18; return 0; }
    }
    return -1;
}

static const char *pp_county(const gen_ctx *ctx, const gen_person *p)
{
    return ctx->counties[ctx->schools[p->loc.school].county].code;
}

static void pp_number(const gen_ctx *ctx, gen_person *p, char letter, uint64_t salt)
{
    p->sno[0] = letter;
    memcpy(p->sno + 1, pp_county(ctx, p), 6);
    gen_putDigits(p->sno + 7, gen_serial12(p->row, ctx->k_layout ^ salt), 12);
}

static pp_rec *pp_add(pp_pop *pp, uint8_t cas, uint32_t inst)
{
    GROW(pp->rec, pp->n_rec, pp->cap_rec, return NULL);
    pp_rec *const e = &pp->rec[pp->n_rec];
    memset(e, 0, sizeof *e);
    e->cas = cas;
    e->inst = inst;
    e->owner = UINT32_MAX;
    e->plan = PL_NONE;
    e->form = 255;
    e->p.row = pp->ctx->o.rows + pp->n_rec;
    pp->n_rec++;
    return e;
}

/* A new student in the school of a random base row, with a temporary L
 * number and (for now) no ID. */
static pp_rec *pp_student(pp_pop *pp, uint8_t cas, uint32_t inst)
{
    const gen_ctx *const ctx = pp->ctx;
    pp_rec *const e = pp_add(pp, cas, inst);
    if (e == NULL) return NULL;
    e->anchor = gen_below64(gen_next(&pp->r), ctx->o.rows);
    gen_loc loc;
    gen_locate(ctx, e->anchor, &loc);
    gen_basePerson(ctx, e->p.row, &loc, &e->p);
    e->p.root = e->p.row;
    e->p.id_native = 0;
    e->p.id_type = 'Z';
    e->p.id_len = 0;
    pp_number(ctx, &e->p, 'L', 0x4C);
    return e;
}

/* The same student registered again, later, in a school of another county,
 * city or province (as near as there is one), with a number of its own. */
static pp_rec *pp_again(pp_pop *pp, size_t src, char letter, uint64_t salt)
{
    const gen_ctx *const ctx = pp->ctx;
    pp_rec *const e = pp_add(pp, pp->rec[src].cas, pp->rec[src].inst);
    if (e == NULL) return NULL;
    const pp_rec *const s = &pp->rec[src];
    uint64_t const row = e->p.row;
    e->p = s->p;
    e->p.row = e->p.root = row;
    e->anchor = s->anchor;
    uint64_t other = UINT64_MAX;
    for (int sc = GEN_SC_COUNTY + (int)gen_below(&pp->r, 3); other == UINT64_MAX && sc <= GEN_SC_NATIONAL; sc++)
        other = gen_rowInScope(ctx, s->anchor, &s->p.loc, sc, &pp->r);
    if (other != UINT64_MAX) { gen_locate(ctx, other, &e->p.loc); e->anchor = other; }
    int32_t const a = gen_dayNumber(s->p.registered), b = gen_dayNumber(ctx->o.run_date);
    if (b > a) e->p.registered = gen_fromDayNumber(a + 1 + (int32_t)gen_below(&pp->r, (uint32_t)(b - a)));
    pp_number(ctx, &e->p, letter, salt);
    return e;
}

static int pp_typeOne(pp_pop *pp, pp_rec *e)
{
    e->p.id_type = '1';
    return pp_freshId(pp, &e->p, pp_county(pp->ctx, &e->p));
}

static void pp_own(pp_pop *pp, pp_rec *e, uint8_t plan)
{
    e->owner = (uint32_t)(e - pp->rec);
    e->plan = plan;
}

/* A Uyghur-style name with a middle dot (most are drawn at the first try). */
static void pp_dottedName(pp_pop *pp, gen_person *p)
{
    uint32_t const xj = gen_provinceIndex("65");
    for (int t = 0; t < 64 && p->name_kind != GEN_NAME_DOTTED; t++) gen_makeName(&pp->r, xj, p->sex, p);
}

/* Instance `inst` of a planted case. 0, or -1 (out of memory or out of
 * numbers). */
static int pp_plant(pp_pop *pp, uint8_t cas, uint32_t inst)
{
    static const char *const PERMITS[3] = { "810000", "820000", "830000" };
    static const char *const COUNTRY[6] = { "840", "410", "392", "250", "276", "826" };
    static const uint8_t VERIFIED_PLANS[4] = { PL_LISTED, PL_VARIANT, PL_TWICE_SAME, PL_TWICE_OTHER };
    pp_rec *e = pp_student(pp, cas, inst);
    if (e == NULL) return -1;
    size_t const i = (size_t)(e - pp->rec);
    switch (cas) {
    case PC_VERIFIED: /* found under its name, written one way or another */
        if (pp_typeOne(pp, e) != 0) return -1;
        pp_own(pp, e, VERIFIED_PLANS[inst % 4]);
        return 0;
    case PC_DOTTED: /* a dotted name, found under each of the other middle dots in turn */
        pp_dottedName(pp, &e->p);
        if (pp_typeOne(pp, e) != 0) return -1;
        pp_own(pp, e, PL_VARIANT);
        e->form = (uint8_t)(inst % VARIANT_FORMS);
        return 0;
    case PC_PERMIT: /* a residence permit (type 1), found */
        e->p.id_type = 'P';
        if (pp_freshId(pp, &e->p, PERMITS[inst % 3]) != 0) return -1;
        pp_own(pp, e, inst % 2 ? PL_VARIANT : PL_LISTED);
        return 0;
    case PC_NOT_FOUND:
    case PC_MISMATCH:
        if (cas == PC_MISMATCH && inst % 2) pp_dottedName(pp, &e->p); /* listed without its dot */
        if (pp_typeOne(pp, e) != 0) return -1;
        pp_own(pp, e, cas == PC_NOT_FOUND ? PL_LEFT_OUT : PL_CHANGED);
        return 0;
    case PC_NOID_UNIQUE: /* no ID, nobody else with its name, sex and birth date */
        return 0;
    case PC_NOID_ATTR: /* no ID, registered twice */
        return pp_again(pp, i, 'L', 0x4C) != NULL ? 0 : -1;
    case PC_ID_DUP: /* found, but registered twice under its number */
        if (pp_typeOne(pp, e) != 0) return -1;
        pp_own(pp, e, PL_LISTED);
        if ((e = pp_again(pp, i, 'L', 0x4C)) == NULL) return -1;
        e->owner = (uint32_t)i;
        pp->rec[i].id_group = e->id_group = 1;
        return 0;
    case PC_MIXED: /* found, and registered again elsewhere without ID (a J number) */
        if (pp_typeOne(pp, e) != 0) return -1;
        pp_own(pp, e, PL_LISTED);
        if ((e = pp_again(pp, i, 'J', 0x2B)) == NULL) return -1;
        e->p.id_type = 'Z';
        e->p.id_len = 0;
        return 0;
    case PC_TYPE9: { /* a 2023 permanent-residence card, found under a form of its Latin name */
        gen_makeLatinName(&pp->r, e->p.sex, &e->p);
        e->p.id_type = '9';
        const char *const prov = pp->ctx->schools[e->p.loc.school].code + 2;
        for (int t = 0;; t++) {
            if (t == 64) return -1;
            e->p.id[0] = '9'; e->p.id[1] = prov[0]; e->p.id[2] = prov[1];
            memcpy(e->p.id + 3, COUNTRY[gen_below(&pp->r, 6)], 3);
            gen_putDate8(e->p.id + 6, e->p.birth);
            gen_putDigits(e->p.id + 14, gen_below(&pp->r, 100), 2);
            e->p.id[16] = (char)('0' + gen_below(&pp->r, 5) * 2 + (e->p.sex == 1));
            gen_finishId(e->p.id);
            int const r = pp_reserve(pp, e->p.id);
            if (r < 0) return -1;
            if (r == 0) break;
        }
        e->p.id_len = 18;
        pp_own(pp, e, PL_VARIANT);
        e->form = (uint8_t)(inst % VARIANT_FORMS);
        return 0;
    }
    case PC_INVALID: { /* a wrong check character: id_invalid */
        static const char CC[] = "0123456789X";
        if (pp_typeOne(pp, e) != 0) return -1;
        uint32_t const cur = (e->p.id[17] == 'X') ? 10u : (uint32_t)(e->p.id[17] - '0');
        e->p.id[17] = CC[(cur + 1 + gen_below(&pp->r, 10)) % 11];
        e->p.reason = XJ_ID_CHECKSUM;
        return 0;
    }
    default:
        return -1;
    }
}

/* An l_noid_unique record shares its attribute key with no other planted
 * record; else it gets another name. 0, or -1 when names ran out. */
static int pp_uniqueAmongPlanted(pp_pop *pp, size_t i)
{
    pp_rec *const e = &pp->rec[i];
    for (int t = 0; t < 64; t++) {
        e->key = ty_attrKey(&e->p);
        size_t j = 0;
        while (j < pp->n_rec && (j == i || pp->rec[j].key != e->key)) j++;
        if (j == pp->n_rec) return 0;
        gen_makeName(&pp->r, pp_provOf(pp->ctx, &e->p), e->p.sex, &e->p);
    }
    return -1;
}

static int pp_cmpNum(const void *a, const void *b)
{
    const pp_num *const x = a, *const y = b;
    if (x->num != y->num) return x->num < y->num ? -1 : 1;
    return (x->ref > y->ref) - (x->ref < y->ref);
}

static int pp_cmpU64(const void *a, const void *b)
{
    uint64_t const x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The l_noid_unique keys, sorted, for the passes to look up. */
static int pp_uniqTable(pp_pop *pp)
{
    free(pp->uniq);
    pp->uniq = malloc((pp->n_rec + 1) * sizeof *pp->uniq);
    if (pp->uniq == NULL) return -1;
    pp->n_uniq = 0;
    for (size_t i = 0; i < pp->n_rec; i++)
        if (pp->rec[i].cas == PC_NOID_UNIQUE) pp->uniq[pp->n_uniq++] = (pp_num){ pp->rec[i].key, i };
    qsort(pp->uniq, pp->n_uniq, sizeof *pp->uniq, pp_cmpNum);
    return 0;
}

static int pp_planAll(pp_pop *pp)
{
    for (uint8_t c = 0; c < PC_COUNT; c++)
        for (uint32_t n = 0; n < pp->per_case; n++)
            if (pp_plant(pp, c, n) != 0) return -1;
    for (size_t i = 0; i < pp->n_rec; i++) pp->rec[i].key = ty_attrKey(&pp->rec[i].p);
    for (size_t i = 0; i < pp->n_rec; i++)
        if (pp->rec[i].cas == PC_NOID_UNIQUE && pp_uniqueAmongPlanted(pp, i) != 0) return -1;
    return pp_uniqTable(pp);
}

/* ------------------------------------------------------------ passes */

static pp_part *pp_myPart(const pp_pop *pp)
{
#ifdef _OPENMP
    int const t = omp_get_thread_num();
#else
    int const t = 0;
#endif
    return &pp->parts[t < pp->n_parts ? t : 0];
}

static void pp_lookupPlanted(const pp_pop *pp, const gen_person *p)
{
    if (p->malformed || pp->n_uniq == 0) return;
    uint64_t const key = ty_attrKey(p);
    size_t lo = 0, hi = pp->n_uniq;
    while (lo < hi) { size_t const m = lo + (hi - lo) / 2; if (pp->uniq[m].num < key) lo = m + 1; else hi = m; }
    for (; lo < pp->n_uniq && pp->uniq[lo].num == key; lo++) {
        uint8_t *const hit = &pp->rec[pp->uniq[lo].ref].hit;
#ifdef _OPENMP
#pragma omp atomic write
#endif
        *hit = 1;
    }
}

/* The pre-pass: the roots of injected ID duplicates, the attribute keys of
 * the records without ID, the numbers of owners that another owner may
 * share, and the base rows with a planted l_noid_unique key. */
static void pp_preRow(void *arg, const gen_person *p)
{
    const pp_pop *const pp = arg;
    pp_lookupPlanted(pp, p);
    if (pp->lookup_only) return;
    pp_part *const w = pp_myPart(pp);
    if (p->kind >= GEN_KIND_TRANSFER && p->kind <= GEN_KIND_MULTI) {
        GROW(w->roots, w->n_roots, w->cap_roots, w->oom = 1; return);
        w->roots[w->n_roots++] = p->root;
    }
    if (!p->malformed && p->id_len == 0) {
        GROW(w->noid, w->n_noid, w->cap_noid, w->oom = 1; return);
        w->noid[w->n_noid++] = ty_attrKey(p);
    }
    if ((p->id_type != '1' || !p->id_native) && pp_isOwner(pp, p)) {
        GROW(w->nums, w->n_nums, w->cap_nums, w->oom = 1; return);
        w->nums[w->n_nums++] = (pp_num){ pp_num17(p->id), p->row << 1 | (uint64_t)!p->malformed };
    }
}

/* Joins the threads' vectors of one kind into dst (sorted by the caller). */
#define PP_JOIN(pp, field, nfield, dst, ndst, fail) do { \
    size_t n_ = 0; \
    for (int t_ = 0; t_ < (pp)->n_parts; t_++) n_ += (pp)->parts[t_].nfield; \
    (dst) = malloc((n_ + 1) * sizeof *(dst)); \
    if ((dst) == NULL) { fail; } \
    (ndst) = 0; \
    for (int t_ = 0; t_ < (pp)->n_parts; t_++) { \
        if ((pp)->parts[t_].nfield) memcpy((dst) + (ndst), (pp)->parts[t_].field, (pp)->parts[t_].nfield * sizeof *(dst)); \
        (ndst) += (pp)->parts[t_].nfield; \
        free((pp)->parts[t_].field); (pp)->parts[t_].field = NULL; (pp)->parts[t_].nfield = 0; \
    } \
} while (0)

/* The numbers two owners or more hold, with the names listed for each. */
static int pp_findShared(pp_pop *pp)
{
    for (size_t i = 0; i < pp->n_nums;) {
        size_t j = i + 1;
        while (j < pp->n_nums && pp->nums[j].num == pp->nums[i].num) j++;
        if (j - i >= 2) {
            pp_shared *const grown = realloc(pp->shared, (pp->n_shared + 1) * sizeof *grown);
            if (grown == NULL) return -1;
            pp->shared = grown;
            pp_shared *const s = &pp->shared[pp->n_shared++];
            memset(s, 0, sizeof *s);
            s->num = pp->nums[i].num;
            s->first = i;
            s->n = j - i;
            for (size_t k = i; k < j; k++) {
                uint64_t const row = pp->nums[k].ref >> 1;
                gen_person o;
                uint64_t h[2];
                s->accepted += (uint32_t)(pp->nums[k].ref & 1);
                pp_person(pp, row, &o);
                int const n = pp_listedNames(pp, &o, pp_planOf(pp, row), h);
                for (int m = 0; m < n; m++) {
                    uint32_t q = 0;
                    while (q < s->n_names && s->names[q] != h[m]) q++;
                    if (q == s->n_names && q < 16) s->names[s->n_names++] = h[m];
                }
            }
        }
        i = j;
    }
    return 0;
}

static const pp_shared *pp_sharedOf(const pp_pop *pp, uint64_t num)
{
    size_t lo = 0, hi = pp->n_shared;
    while (lo < hi) { size_t const m = lo + (hi - lo) / 2; if (pp->shared[m].num < num) lo = m + 1; else hi = m; }
    return lo < pp->n_shared && pp->shared[lo].num == num ? &pp->shared[lo] : NULL;
}

static int pp_inSorted(const uint64_t *v, size_t n, uint64_t x, size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { size_t const m = lo + (hi - lo) / 2; if (v[m] < x) lo = m + 1; else hi = m; }
    if (at) *at = lo;
    return lo < n && v[lo] == x;
}

static size_t pp_noidCount(const pp_pop *pp, uint64_t key, size_t *at)
{
    size_t lo;
    if (!pp_inSorted(pp->noid, pp->n_noid, key, &lo)) return 0;
    *at = lo;
    size_t n = 0;
    while (lo + n < pp->n_noid && pp->noid[lo + n] == key) n++;
    return n;
}

static int pp_pre(pp_pop *pp)
{
    pp->lookup_only = 0;
    gen_eachRow(pp->ctx, pp_preRow, pp);
    for (int t = 0; t < pp->n_parts; t++) if (pp->parts[t].oom) return -1;
    /* rounds: an l_noid_unique record a base row shares its key with is given another name */
    for (int round = 0;; round++) {
        int again = 0;
        for (size_t i = 0; i < pp->n_rec; i++) {
            if (!pp->rec[i].hit) continue;
            if (round == ROUNDS) return -2;
            pp->rec[i].hit = 0;
            gen_makeName(&pp->r, pp_provOf(pp->ctx, &pp->rec[i].p), pp->rec[i].p.sex, &pp->rec[i].p);
            if (pp_uniqueAmongPlanted(pp, i) != 0) return -2;
            again = 1;
        }
        if (!again) break;
        if (pp_uniqTable(pp) != 0) return -1;
        pp->lookup_only = 1;
        gen_eachRow(pp->ctx, pp_preRow, pp);
        pp->lookup_only = 0;
    }
    PP_JOIN(pp, roots, n_roots, pp->roots, pp->n_roots, return -1);
    PP_JOIN(pp, noid, n_noid, pp->noid, pp->n_noid, return -1);
    PP_JOIN(pp, nums, n_nums, pp->nums, pp->n_nums, return -1);
    /* the planted records: keys without ID, owners' numbers */
    uint64_t *const noid = realloc(pp->noid, (pp->n_noid + pp->n_rec + 1) * sizeof *noid);
    pp_num *const nums = realloc(pp->nums, (pp->n_nums + pp->n_rec + 1) * sizeof *nums);
    if (noid != NULL) pp->noid = noid;
    if (nums != NULL) pp->nums = nums;
    if (noid == NULL || nums == NULL) return -1;
    for (size_t i = 0; i < pp->n_rec; i++) {
        const pp_rec *const e = &pp->rec[i];
        if (e->p.id_len == 0) pp->noid[pp->n_noid++] = e->key;
        if (e->owner == i) pp->nums[pp->n_nums++] = (pp_num){ pp_num17(e->p.id), e->p.row << 1 | 1 };
    }
    qsort(pp->roots, pp->n_roots, sizeof *pp->roots, pp_cmpU64);
    size_t u = 0;
    for (size_t i = 0; i < pp->n_roots; i++) if (u == 0 || pp->roots[u - 1] != pp->roots[i]) pp->roots[u++] = pp->roots[i];
    pp->n_roots = u;
    qsort(pp->noid, pp->n_noid, sizeof *pp->noid, pp_cmpU64);
    qsort(pp->nums, pp->n_nums, sizeof *pp->nums, pp_cmpNum);
    pp->held = calloc(pp->n_noid + 1, 1);
    if (pp->held == NULL) return -1;
    return pp_findShared(pp);
}

/* ------------------------------------------------------------ the truth pass */

static void pp_emit(pp_part *w, uint64_t row, uint8_t list, uint8_t code, uint8_t why, uint8_t mixed)
{
    GROW(w->out, w->n_out, w->cap_out, w->oom = 1; return);
    w->out[w->n_out++] = (pp_out){ row, list, code, why, mixed };
}

/* The extract's lines, entries, numbers and numbers with several names that
 * owner o brings (a shared number's are counted once, apart). */
static void pp_countOwner(const pp_pop *pp, pp_part *w, const gen_person *o)
{
    uint8_t const plan = pp_planOf(pp, o->row);
    w->lines += plan == PL_LEFT_OUT ? 0 : (plan == PL_TWICE_SAME || plan == PL_TWICE_OTHER) ? 2 : 1;
    if (plan != PL_LISTED) pp_emit(w, o->row, TL_NUMBER, plan, 0, 0);
    if (pp_sharedOf(pp, pp_num17(o->id)) != NULL) return;
    w->entries += plan == PL_LEFT_OUT ? 0 : plan == PL_TWICE_OTHER ? 2 : 1;
    w->ids += plan != PL_LEFT_OUT;
    if (plan == PL_TWICE_OTHER) { w->several++; pp_emit(w, o->row, TL_SEVERAL, 0, 0, 0); }
}

/* In an ID group: an injected one, a planted pair, or a number two accepted
 * owners hold. */
static int pp_inIdGroup(const pp_pop *pp, const gen_person *p, const pp_shared *s)
{
    if (s != NULL && s->accepted >= 2) return 1;
    if (pp_isPlanted(pp, p->row)) return pp_planted(pp, p->row)->id_group;
    return (p->kind >= GEN_KIND_TRANSFER && p->kind <= GEN_KIND_MULTI) || pp_inSorted(pp->roots, pp->n_roots, p->row, NULL);
}

static void pp_truthRecord(const pp_pop *pp, pp_part *w, const gen_person *p)
{
    const gen_ctx *const ctx = pp->ctx;
    gen_person x;
    if (pp_isOwner(pp, p)) pp_countOwner(pp, w, p);
    if (!pp_isPlanted(pp, p->row) && pp_added(pp, p->row, &x)) { w->lines++; w->entries++; w->ids++; w->added++; }
    if (p->malformed) return;
    uint64_t const key = ty_attrKey(p);
    size_t at = 0;
    size_t const noid_n = pp_noidCount(pp, key, &at);
    if (p->id_len > 0 && noid_n > 0) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
        pp->held[at] = 1;
    }
    uint8_t reason = 0;
    const pp_shared *shared = NULL;
    int const planted = pp_isPlanted(pp, p->row);
    if (pp_compared(ctx, p)) {
        w->compared++;
        shared = pp_sharedOf(pp, pp_num17(p->id));
        uint64_t const mine = pp_nameHash(p);
        uint64_t h[16];
        int n = 0;
        uint8_t plan = PL_LISTED;
        gen_person o = *p;
        if (shared != NULL) {
            n = (int)shared->n_names;
            memcpy(h, shared->names, sizeof shared->names);
        } else {
            uint64_t const orow = pp_ownerRow(pp, p);
            if (orow != p->row) pp_person(pp, orow, &o);
            plan = pp_planOf(pp, orow);
            n = pp_listedNames(pp, &o, plan, h);
        }
        int found = 0;
        for (int i = 0; i < n; i++) found |= h[i] == mine;
        reason = n == 0 ? RS_NOT_FOUND : !found ? RS_NAME_MISMATCH : 0;
        if (reason) {
            uint8_t const why = planted ? 0 : shared ? W_SHARED : plan == PL_LEFT_OUT ? W_LEFT_OUT
                              : pp_nameHash(&o) == mine ? W_CHANGED : W_OTHER_NAME;
            pp_emit(w, p->row, TL_ROW, reason, why, 0);
        } else if (shared == NULL && (plan == PL_VARIANT || plan == PL_TWICE_SAME || plan == PL_TWICE_OTHER)) {
            pp_emit(w, p->row, TL_MATCH, plan, 0, 0);
        }
    }
    if (p->sno[0] != 'L') return;
    /* assignments.csv (population.md §3) */
    uint8_t basis = B_NONE, why = Y_NONE, mixed;
    if (p->id_len == 0 && p->id_type == 'Z') {
        if (noid_n >= 2) why = Y_ATTR_DUP; else basis = B_NOID_UNIQUE;
        mixed = basis == B_NONE ? B_NONE : B_PENDING; /* the records with an ID are not all seen yet */
    } else {
        if (p->id_type != '1' && p->id_type != 'P') why = Y_TYPE;
        else if (!pp_gbKey(p) || *pp_reason(ctx, p)) why = Y_INVALID;
        else if (reason) why = reason == RS_NOT_FOUND ? Y_NOT_FOUND : Y_MISMATCH;
        else if (pp_inIdGroup(pp, p, shared)) why = Y_ID_DUP;
        else basis = B_VERIFIED;
        mixed = basis == B_VERIFIED && noid_n > 0 ? B_NONE : basis;
    }
    pp_emit(w, p->row, TL_ASSIGN, basis, why, mixed);
}

static void pp_truthRow(void *arg, const gen_person *p)
{
    const pp_pop *const pp = arg;
    pp_truthRecord(pp, pp_myPart(pp), p);
}

static int pp_cmpOut(const void *a, const void *b)
{
    const pp_out *const x = a, *const y = b;
    if (x->list != y->list) return x->list < y->list ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* ------------------------------------------------------------ the truth file */

static void pp_jsonStr(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char const c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static uint64_t pp_lineOf(const pp_pop *pp, const gen_person *p)
{
    if (pp_isPlanted(pp, p->row)) return pp_planted(pp, p->row)->line;
    return gen_lineOf(pp->ctx, p->row, p->loc.school);
}

static const char *pp_caseOf(const pp_pop *pp, uint64_t row)
{
    return CASE_NAMES[pp_isPlanted(pp, row) ? pp_planted(pp, row)->cas : PC_BASE];
}

/* "source": ..., "line": ..., "case": ..., "student_no": ..., "school_code": ..., "id": ..., "name": ... */
static void pp_jsonRecord(FILE *f, const pp_pop *pp, const gen_person *p)
{
    char name[sizeof p->name + 1];
    ty_normName(p, name, sizeof name);
    fputs("\"source\": ", f);
    pp_jsonStr(f, pp->source, strlen(pp->source));
    fprintf(f, ", \"line\": %llu, \"case\": \"%s\", \"student_no\": \"%.19s\", \"school_code\": \"%.10s\", \"id\": \"%.*s\", "
               "\"name\": ", (unsigned long long)pp_lineOf(pp, p), pp_caseOf(pp, p->row), p->sno,
            pp->ctx->schools[p->loc.school].code, (int)p->id_len, p->id);
    pp_jsonStr(f, name, strlen(name));
}

static void pp_jsonWritten(FILE *f, const pp_pop *pp, const gen_person *o, uint8_t plan)
{
    char name[NAME_MAX_BYTES];
    size_t len;
    fputs("\"written\": [", f);
    for (int which = 0; which < 2; which++) {
        if (!pp_listing(pp, o, plan, which, name, &len)) continue;
        if (which) fputs(", ", f);
        pp_jsonStr(f, name, len);
    }
    fputc(']', f);
}

typedef struct pp_totals {
    uint64_t lines, entries, ids, several, added, compared;
} pp_totals;

static int pp_writeTruth(const pp_pop *pp, const char *path, const pp_out *out, size_t n_out, const pp_totals *tt)
{
    const gen_ctx *const ctx = pp->ctx;
    FILE *const f = fopen(path, "w");
    if (f == NULL) return -1;
    char d[11];
    gen_putDigits(d, ctx->o.run_date / 10000, 4); d[4] = '-';
    gen_putDigits(d + 5, ctx->o.run_date / 100 % 100, 2); d[7] = '-';
    gen_putDigits(d + 8, ctx->o.run_date % 100, 2); d[10] = '\0';
    const char *const slash = strrchr(ctx->o.population, '/');
    fprintf(f, "{\n  \"generator\": \"xjdedup gen --population\",\n  \"rows\": %llu,\n  \"seed\": %llu,\n"
               "  \"run_date\": \"%s\",\n  \"input\": ",
            (unsigned long long)ctx->o.rows, (unsigned long long)ctx->o.seed, d);
    pp_jsonStr(f, pp->source, strlen(pp->source));
    fputs(",\n  \"population\": ", f);
    const char *const base = slash ? slash + 1 : ctx->o.population;
    pp_jsonStr(f, base, strlen(base));
    fprintf(f, ",\n  \"population_changes\": %g,\n  \"planted_per_case\": %u,\n  \"appended_rows\": %zu,\n"
               "  \"extract\": {\"rows\": %llu, \"entries\": %llu, \"ids\": %llu, \"ids_with_several_names\": %llu, "
               "\"added_people\": %llu},\n  \"compared\": %llu,\n  \"cases\": [",
            ctx->o.population_changes, pp->per_case, pp->n_rec, (unsigned long long)tt->lines,
            (unsigned long long)tt->entries, (unsigned long long)tt->ids, (unsigned long long)tt->several,
            (unsigned long long)tt->added, (unsigned long long)tt->compared);
    for (uint8_t c = 0; c < PC_COUNT; c++) {
        size_t n = 0;
        for (size_t i = 0; i < pp->n_rec; i++) n += pp->rec[i].cas == c;
        fprintf(f, "%s\n    {\"case\": \"%s\", \"records\": %zu}", c ? "," : "", CASE_NAMES[c], n);
    }
    static const char *const LISTS[5] = { "expected_rows", "normalized_matches", "numbers", "several_names", "assignments" };
    size_t i = 0;
    for (uint8_t list = 0; list < 5; list++) {
        fprintf(f, "\n  ],\n  \"%s\": [", LISTS[list]);
        for (int first = 1; i < n_out && out[i].list == list; i++, first = 0) {
            const pp_out *const e = &out[i];
            gen_person p;
            pp_person(pp, e->row, &p);
            fputs(first ? "\n    {" : ",\n    {", f);
            switch (list) {
            case TL_ROW: {
                static const char *const WHY[5] = { "", "left_out", "changed", "other_name", "shared_number" };
                fprintf(f, "\"reason\": \"%s\", \"why\": \"%s\", ", e->code == RS_NOT_FOUND ? "not_found" : "name_mismatch",
                        pp_isPlanted(pp, e->row) ? pp_caseOf(pp, e->row) : WHY[e->why]);
                pp_jsonRecord(f, pp, &p);
                break;
            }
            case TL_MATCH: {
                gen_person o;
                uint64_t const orow = pp_ownerRow(pp, &p);
                pp_person(pp, orow, &o);
                fprintf(f, "\"plan\": \"%s\", ", PLAN_NAMES[e->code]);
                pp_jsonRecord(f, pp, &p);
                fputs(", ", f);
                pp_jsonWritten(f, pp, &o, e->code);
                break;
            }
            case TL_NUMBER: {
                char name[sizeof p.name + 1];
                ty_normName(&p, name, sizeof name);
                fprintf(f, "\"id\": \"%.18s\", \"plan\": \"%s\", \"case\": \"%s\", \"name\": ", p.id, PLAN_NAMES[e->code],
                        pp_caseOf(pp, e->row));
                pp_jsonStr(f, name, strlen(name));
                fputs(", ", f);
                pp_jsonWritten(f, pp, &p, e->code);
                break;
            }
            case TL_SEVERAL: {
                fprintf(f, "\"id\": \"%.18s\", \"why\": \"%s\"}", p.id, e->code ? "shared_number" : "twice_other");
                continue;
            }
            default: {
                fprintf(f, "\"basis\": \"%s\", \"basis_mixed\": \"%s\", \"why\": \"%s\", \"new_student_no\": \"",
                        BASIS_NAMES[e->code], BASIS_NAMES[e->mixed], WHY_NAMES[e->why]);
                if (e->code == B_VERIFIED) fprintf(f, "G%.18s", p.id);
                fprintf(f, "\", \"id_type\": \"%c\", ", p.id_type == 'P' ? '1' : p.id_type);
                pp_jsonRecord(f, pp, &p);
                break;
            }
            }
            fputc('}', f);
        }
    }
    fputs("\n  ],\n  \"shared_numbers\": [", f);
    for (size_t k = 0; k < pp->n_shared; k++) {
        const pp_shared *const s = &pp->shared[k];
        for (size_t m = 0; m < s->n; m++) {
            uint64_t const row = pp->nums[s->first + m].ref >> 1;
            gen_person o;
            pp_person(pp, row, &o);
            if (m == 0) fprintf(f, "%s\n    {\"id\": \"%.18s\", \"owners\": [", k ? "," : "", o.id);
            fprintf(f, "%s{\"line\": %llu, \"plan\": \"%s\", \"accepted\": %s}", m ? ", " : "",
                    (unsigned long long)pp_lineOf(pp, &o), PLAN_NAMES[pp_planOf(pp, row)], o.malformed ? "false" : "true");
        }
        fputs("]}", f);
    }
    fputs("\n  ]\n}\n", f);
    int const bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* ------------------------------------------------------------ driver */

static void pp_free(pp_pop *pp)
{
    for (int t = 0; pp->parts && t < pp->n_parts; t++) {
        free(pp->parts[t].roots); free(pp->parts[t].noid); free(pp->parts[t].nums); free(pp->parts[t].out);
    }
    free(pp->parts); free(pp->rec); free(pp->ids); free(pp->uniq); free(pp->roots); free(pp->noid);
    free(pp->held); free(pp->nums); free(pp->shared); free(pp->perm);
}

/* Lines of the planted records: after the last base row. */
static void pp_placeLines(pp_pop *pp)
{
    const gen_ctx *const ctx = pp->ctx;
    gen_loc loc;
    gen_locate(ctx, ctx->o.rows - 1, &loc);
    uint64_t line = gen_lineOf(ctx, ctx->o.rows - 1, loc.school) + 1 + ctx->schools[loc.school].newlines;
    for (size_t i = 0; i < pp->n_rec; i++) {
        pp->rec[i].line = line;
        line += 1 + ctx->schools[pp->rec[i].p.loc.school].newlines;
    }
}

static int pp_truth(pp_pop *pp, const char *path)
{
    gen_eachRow(pp->ctx, pp_truthRow, pp);
    pp_part *const w0 = &pp->parts[0];
    for (size_t i = 0; i < pp->n_rec; i++) pp_truthRecord(pp, w0, &pp->rec[i].p);
    pp_totals tt = { 0, 0, 0, 0, 0, 0 };
    for (int t = 0; t < pp->n_parts; t++) {
        const pp_part *const w = &pp->parts[t];
        if (w->oom) return -1;
        tt.lines += w->lines; tt.entries += w->entries; tt.ids += w->ids;
        tt.several += w->several; tt.added += w->added; tt.compared += w->compared;
    }
    for (size_t i = 0; i < pp->n_shared; i++) { /* a shared number's entries, counted once */
        const pp_shared *const s = &pp->shared[i];
        tt.entries += s->n_names;
        tt.ids += s->n_names > 0;
        if (s->n_names >= 2) { tt.several++; pp_emit(w0, pp->nums[s->first].ref >> 1, TL_SEVERAL, 1, 0, 0); }
    }
    if (w0->oom) return -1;
    pp_out *out;
    size_t n_out;
    PP_JOIN(pp, out, n_out, out, n_out, return -1);
    for (size_t i = 0; i < n_out; i++) { /* no_id_unique with --attr-scope mixed: no record with an ID has its key */
        if (out[i].list != TL_ASSIGN || out[i].mixed != B_PENDING) continue;
        gen_person p;
        size_t at = 0;
        pp_person(pp, out[i].row, &p);
        size_t const n = pp_noidCount(pp, ty_attrKey(&p), &at);
        out[i].mixed = (n >= 2 || (n == 1 && pp->held[at])) ? B_NONE : B_NOID_UNIQUE;
    }
    qsort(out, n_out, sizeof *out, pp_cmpOut);
    int const rc = pp_writeTruth(pp, path, out, n_out, &tt);
    free(out);
    return rc;
}

int gen_runPopulation(gen_ctx *ctx)
{
    pp_pop pop;
    pp_pop *const pp = &pop;
    memset(pp, 0, sizeof *pp);
    pp->ctx = ctx;
    pp->k_pop = gen_mix(ctx->o.seed ^ 0x504F50554CULL) + 5;
    double const pct = ctx->o.population_changes / 100.0;
    for (int i = PL_LEFT_OUT; i < PL_COUNT; i++) pp->t_plan[i] = gen_threshold(pct * i);
    pp->t_added = gen_threshold(pct);
    uint64_t const k = ctx->o.rows / 10000;
    pp->per_case = k < VARIANT_FORMS ? VARIANT_FORMS : k > 1000 ? 1000 : (uint32_t)k;
    pp->r = gen_rngAt(pp->k_pop ^ 0x504C414E54ULL, 0);
    const char *const slash = strrchr(ctx->o.out, '/');
    pp->source = slash ? slash + 1 : ctx->o.out;
    pp->n_parts = ctx->o.threads;
    pp->parts = calloc((size_t)pp->n_parts, sizeof *pp->parts);
    int rc = EXIT_OK;
    gen_person *extra = NULL;
    char path[4096];
    if (pp->parts == NULL || pp_planAll(pp) != 0) goto oom;
    int const pre = pp_pre(pp);
    if (pre == -1) goto oom;
    if (pre == -2) {
        fputs("xjdedup gen: could not plant students without ID apart from the population (raise --rows)\n", stderr);
        rc = EXIT_USAGE;
        goto done;
    }
    pp_placeLines(pp);
    /* the register, the planted records after its rows */
    extra = malloc((pp->n_rec + 1) * sizeof *extra);
    if (extra == NULL) goto oom;
    for (size_t i = 0; i < pp->n_rec; i++) extra[i] = pp->rec[i].p;
    gen_monthView const v = { NULL, 0, NULL, NULL, 0, extra, pp->n_rec };
    ctx->month = &v;
    rc = gen_run(ctx);
    ctx->month = NULL;
    if (rc != EXIT_OK) goto done;
    /* the extract */
    pp->nb = (ctx->o.rows + GEN_BLOCK_ROWS - 1) / GEN_BLOCK_ROWS;
    pp->perm = malloc(pp->nb * sizeof *pp->perm);
    if (pp->perm == NULL) goto oom;
    gen_rng r = gen_rngAt(pp->k_pop ^ 0x5045524DULL, 0);
    for (uint64_t i = 0; i < pp->nb; i++) pp->perm[i] = i;
    for (uint64_t i = pp->nb; i > 1; i--) { /* Fisher-Yates */
        uint64_t const j = gen_below64(gen_next(&r), i), t = pp->perm[i - 1];
        pp->perm[i - 1] = pp->perm[j];
        pp->perm[j] = t;
    }
    rc = gen_writeBlocks(ctx, ctx->o.population, pp->nb, 0, pp_extractBlock, pp, 0);
    if (rc != EXIT_OK) goto done;
    if ((size_t)snprintf(path, sizeof path, "%s.truth.json", ctx->o.population) >= sizeof path) {
        fprintf(stderr, "xjdedup gen: %s.truth.json: %s\n", ctx->o.population, strerror(ENAMETOOLONG));
        rc = EXIT_IO;
        goto done;
    }
    if (pp_truth(pp, path) != 0) {
        fprintf(stderr, "xjdedup gen: cannot write %s: %s\n", path, errno ? strerror(errno) : "out of memory");
        rc = EXIT_IO;
    }
    goto done;
oom:
    fputs("xjdedup gen: out of memory\n", stderr);
    rc = EXIT_IO;
done:
    free(extra);
    pp_free(pp);
    return rc;
}
