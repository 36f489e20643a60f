/*
 * gen_inject — which rows carry an injected problem, and how.
 *
 * Every row has a role drawn from its own counter-based stream (one hash: a
 * row's role can be asked for any row, cheaply). A row that repeats another
 * ("the root") looks for it with a bounded number of draws among rows of the
 * wanted role in a row range chosen for the wanted scope: the school, another
 * school of the county, another county of the city, another city of the
 * province, another province. Roots are always PLAIN rows (ID duplicates,
 * mixed) or NOID rows (attribute duplicates), which are never modified, so a
 * root is simply regenerated with gen_basePerson. Several rows may pick the
 * same root: the truth writer joins them into one group.
 *
 * Invalid IDs: each is built to fail exactly its intended rules §4 reason and
 * pass every check before it (gen_applyInvalid explains each). Injected IDs
 * never coincide with another generated ID: each is derived one-to-one from
 * its row's distinct native ID (or from a row serial).
 *
 * Nothing here depends on threads or on the order rows are made in.
 */
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "gen.h"

enum { TRIES = 256 };

int gen_setupRoles(gen_ctx *ctx)
{
    const gen_opts *const o = &ctx->o;
    double const rates[7] = { o->dup_rate, o->invalid_rate, o->noid_rate, o->attr_rate,
                              o->mixed_rate, o->other_rate, o->messy ? o->malformed_rate : 0 };
    double acc = 0;
    for (int i = 0; i < 7; i++) { acc += rates[i]; ctx->t_role[i] = gen_threshold(acc); }
    ctx->t_role[7] = ctx->t_role[6];
    ctx->t_noise = gen_threshold(o->noise_rate);
    ctx->t_migrant = gen_threshold(o->migrant_rate);
    ctx->t_local_migrant = gen_threshold(o->local_migrant_rate);
    ctx->t_temp = gen_threshold(o->temp_rate);
    return acc <= 0.5 ? 0 : -1;
}

uint8_t gen_roleOf(const gen_ctx *ctx, uint64_t row)
{
    uint64_t const u = gen_mix(ctx->k_role + (row + 1) * GEN_GOLDEN);
    if (u >= ctx->t_role[6]) return GEN_ROLE_PLAIN;
    for (uint8_t i = 0; i < 7; i++)
        if (u < ctx->t_role[i]) return (uint8_t)(GEN_ROLE_DUP + i);
    return GEN_ROLE_PLAIN;
}

enum { SC_SCHOOL = GEN_SC_SCHOOL, SC_COUNTY = GEN_SC_COUNTY, SC_CITY = GEN_SC_CITY,
       SC_PROVINCE = GEN_SC_PROVINCE, SC_NATIONAL = GEN_SC_NATIONAL };

/* Rows [lo, hi) minus [elo, ehi) for a scope seen from `row`. */
static uint64_t gen_scopeRange(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, int scope,
                               uint64_t *lo, uint64_t *hi, uint64_t *elo, uint64_t *ehi)
{
    const gen_school *const s = &ctx->schools[loc->school];
    const gen_county *const k = &ctx->counties[s->county];
    const gen_city *const c = &ctx->cities[k->city];
    switch (scope) {
    case SC_SCHOOL: *lo = s->first_row; *hi = s->first_row + s->rows; *elo = row; *ehi = row + 1; break;
    case SC_COUNTY: *lo = k->first_row; *hi = k->end_row; *elo = s->first_row; *ehi = s->first_row + s->rows; break;
    case SC_CITY: *lo = c->first_row; *hi = c->end_row; *elo = k->first_row; *ehi = k->end_row; break;
    case SC_PROVINCE: *lo = ctx->prov_first[k->prov]; *hi = ctx->prov_first[k->prov + 1]; *elo = c->first_row; *ehi = c->end_row; break;
    default: *lo = 0; *hi = ctx->o.rows; *elo = ctx->prov_first[k->prov]; *ehi = ctx->prov_first[k->prov + 1]; break;
    }
    return (*hi - *lo) - (*ehi - *elo);
}

uint64_t gen_rowInScope(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, int scope, gen_rng *r)
{
    uint64_t lo, hi, elo, ehi;
    uint64_t const span = gen_scopeRange(ctx, row, loc, scope, &lo, &hi, &elo, &ehi);
    if (span == 0) return UINT64_MAX;
    uint64_t c = lo + gen_below64(gen_next(r), span);
    if (c >= elo) c += ehi - elo;
    return c;
}

/* A row of role `want` in the scope's range, or UINT64_MAX. With same_grade,
 * the first half of the draws insist on the row's grade (a transfer keeps its
 * grade). */
static uint64_t gen_pickRow(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, gen_rng *r,
                            int scope, uint8_t want, int same_grade, gen_loc *found)
{
    uint64_t lo, hi, elo, ehi;
    uint64_t const span = gen_scopeRange(ctx, row, loc, scope, &lo, &hi, &elo, &ehi);
    if (span == 0) return UINT64_MAX;
    for (int t = 0; t < TRIES; t++) {
        uint64_t c = lo + gen_below64(gen_next(r), span);
        if (c >= elo) c += ehi - elo;
        if (gen_roleOf(ctx, c) != want) continue;
        gen_locate(ctx, c, found);
        if (same_grade && t < TRIES / 2 && found->grade != loc->grade) continue;
        return c;
    }
    return UINT64_MAX;
}

static int gen_drawScope(gen_rng *r, const uint8_t pct[5])
{
    uint32_t u = gen_below(r, 100);
    for (int i = 0; i < 4; i++) { if (u < pct[i]) return i; u -= pct[i]; }
    return SC_NATIONAL;
}

/* Scope mixes (per cent: school, county, city, province, national). Not
 * published figures: a guess at what registry officers see — transfers are
 * mostly local, typing errors mostly within a school. */
static const uint8_t SCOPE_TRANSFER[5] = { 0, 40, 25, 20, 15 };
static const uint8_t SCOPE_TYPED[5] = { 50, 30, 10, 5, 5 };
static const uint8_t SCOPE_ATTR[5] = { 35, 30, 15, 12, 8 };

/* The plan of a DUP row: its kind and root (UINT64_MAX when no root was
 * found; the row then stays an ordinary student). */
static uint8_t gen_dupPlan(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, int allow_multi,
                           uint64_t *root, gen_loc *rloc)
{
    gen_rng r = gen_rngAt(ctx->k_row ^ 0xD1B54A32D192ED03ULL, row);
    uint32_t const v = gen_below(&r, 100);
    uint8_t kind;
    int scope;
    if (v < 45) { kind = GEN_KIND_TRANSFER; scope = gen_drawScope(&r, SCOPE_TRANSFER); }
    else if (v < 65) { kind = GEN_KIND_TYPED; scope = gen_drawScope(&r, SCOPE_TYPED); }
    else if (v < 85) { kind = GEN_KIND_IMPORT; scope = SC_SCHOOL; }
    else { kind = GEN_KIND_MULTI; scope = gen_drawScope(&r, SCOPE_TRANSFER); }
    *root = UINT64_MAX;
    if (kind != GEN_KIND_MULTI) {
        *root = gen_pickRow(ctx, row, loc, &r, scope, GEN_ROLE_PLAIN, kind != GEN_KIND_IMPORT, rloc);
        return kind;
    }
    if (!allow_multi) return kind;
    /* join an existing duplicate group: find a DUP row of another kind and
     * take its root */
    uint64_t lo, hi, elo, ehi;
    uint64_t const span = gen_scopeRange(ctx, row, loc, scope, &lo, &hi, &elo, &ehi);
    for (int t = 0; t < 4 * TRIES && span > 0; t++) {
        uint64_t c = lo + gen_below64(gen_next(&r), span);
        if (c >= elo) c += ehi - elo;
        if (gen_roleOf(ctx, c) != GEN_ROLE_DUP) continue;
        gen_loc cl;
        gen_locate(ctx, c, &cl);
        uint64_t cr;
        uint8_t const ck = gen_dupPlan(ctx, c, &cl, 0, &cr, rloc);
        if (ck == GEN_KIND_MULTI || cr == UINT64_MAX) continue;
        *root = cr;
        return kind;
    }
    return kind;
}

/* After the root was registered: a date in (root's date, run date]. */
static uint32_t gen_laterDate(const gen_ctx *ctx, gen_rng *r, uint32_t after)
{
    int32_t const a = gen_dayNumber(after), b = gen_dayNumber(ctx->o.run_date);
    if (b <= a) return after;
    return gen_fromDayNumber(a + 1 + (int32_t)gen_below(r, (uint32_t)(b - a)));
}

static void gen_putSerialSno(const gen_ctx *ctx, gen_person *p, char letter, uint64_t salt)
{
    p->sno[0] = letter;
    memcpy(p->sno + 1, ctx->counties[ctx->schools[p->loc.school].county].code, 6);
    gen_putDigits(p->sno + 7, gen_serial12(p->row, ctx->k_layout ^ salt), 12);
}

static void gen_copyStudent(gen_person *p, const gen_person *q)
{
    p->sex = q->sex; p->birth = q->birth; p->grade = q->grade;
    p->name_kind = q->name_kind; p->name_len = q->name_len;
    memcpy(p->name, q->name, q->name_len);
}

static void gen_applyDup(const gen_ctx *ctx, gen_person *p, gen_rng *r)
{
    uint64_t root;
    gen_loc rl;
    uint8_t const kind = gen_dupPlan(ctx, p->row, &p->loc, 1, &root, &rl);
    if (root == UINT64_MAX) return;
    if (kind == GEN_KIND_MULTI) gen_locate(ctx, root, &rl);
    gen_person q;
    gen_basePerson(ctx, root, &rl, &q);
    p->kind = kind;
    p->root = root;
    memcpy(p->id, q.id, 18);
    p->id_len = 18;
    if (kind == GEN_KIND_IMPORT) { /* the very same row again */
        gen_copyStudent(p, &q);
        p->registered = q.registered;
        memcpy(p->sno, q.sno, 19);
        return;
    }
    memcpy(p->sno, q.sno, 19);
    p->registered = gen_laterDate(ctx, r, q.registered);
    if (kind != GEN_KIND_TYPED) { gen_copyStudent(p, &q); return; }
    /* another student typed in with q's ID: own name; usually q's sex and
     * birth date (then only a duplicate), else the record keeps its own and
     * the ID also disagrees with it */
    p->sno[0] = 'G';
    memcpy(p->sno + 1, q.id, 18);
    if (gen_below(r, 100) < 70) {
        p->sex = q.sex;
        p->birth = q.birth;
        gen_makeName(r, ctx->counties[ctx->schools[p->loc.school].county].prov, p->sex, p);
    } else if (p->birth != q.birth) {
        p->reason = XJ_ID_BIRTHDATE_MISMATCH;
    } else if (p->sex != q.sex) {
        p->reason = XJ_ID_SEX_MISMATCH;
    }
}

/* Invalid first-two-digit prefixes, one per province (index order), so the
 * mapping is one-to-one and never a province or permit prefix. */
static const char BAD_PREFIX[31][3] = {
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "16", "17", "18", "19", "20",
    "24", "25", "26", "27", "28", "29", "30", "38", "39", "40", "47", "48", "49", "55", "56",
};

/* Reason weights (per cent): format, legacy15, region, birthdate, checksum,
 * birthdate_mismatch, sex_mismatch. */
static const uint8_t REASON_PCT[7] = { 20, 8, 10, 15, 22, 15, 10 };

static void gen_applyInvalid(const gen_ctx *ctx, gen_person *p, gen_rng *r)
{
    uint32_t u = gen_below(r, 100), i = 0;
    while (i < 6 && u >= REASON_PCT[i]) { u -= REASON_PCT[i]; i++; }
    static const uint8_t REASONS[7] = { XJ_ID_FORMAT, XJ_ID_LEGACY15, XJ_ID_REGION, XJ_ID_BIRTHDATE,
                                        XJ_ID_CHECKSUM, XJ_ID_BIRTHDATE_MISMATCH, XJ_ID_SEX_MISMATCH };
    p->reason = REASONS[i];
    p->kind = GEN_KIND_INVALID;
    gen_putSerialSno(ctx, p, 'L', 0x1A);
    char *const id = p->id;
    switch (p->reason) {
    case XJ_ID_FORMAT: {
        /* after normalization still not [0-9]{17}[0-9X]: one character too
         * few or too many, a letter among the digits, or a hyphen */
        uint32_t const v = gen_below(r, 4);
        if (v == 0) { p->id_len = 17; }
        else if (v == 1) { id[18] = (char)('0' + gen_below(r, 10)); p->id_len = 19; }
        else if (v == 2) { uint32_t const pos = 6 + gen_below(r, 11); id[pos] = (char)('A' + (id[pos] - '0')); }
        else { memmove(id + 7, id + 6, 12); id[6] = '-'; p->id_len = 19; }
        break;
    }
    case XJ_ID_LEGACY15: /* first-generation layout: region, yymmdd, sequence */
        memmove(id + 6, id + 8, 9);
        p->id_len = 15;
        break;
    case XJ_ID_REGION: { /* valid date and check character, impossible province */
        uint32_t const pv = gen_provinceIndex(id);
        const char *const bad = BAD_PREFIX[pv < 31 ? pv : 0];
        id[0] = bad[0]; id[1] = bad[1];
        gen_finishId(id);
        break;
    }
    case XJ_ID_BIRTHDATE: { /* valid province; digits 7-14 no real date in range */
        uint32_t const v = gen_below(r, 4);
        if (v == 0) { int const m = (id[10] - '0') * 10 + (id[11] - '0') + 12; id[10] = (char)('0' + m / 10); id[11] = (char)('0' + m % 10); }
        else if (v == 1) { int const d = (id[12] - '0') * 10 + (id[13] - '0') + 31; id[12] = (char)('0' + d / 10); id[13] = (char)('0' + d % 10); }
        else if (v == 2) { id[7] = '1'; } /* 20yy -> 21yy: after any run date before 2100 */
        else { id[6] = '1'; id[7] = '8'; } /* before 1900 */
        gen_finishId(id);
        break;
    }
    case XJ_ID_CHECKSUM: {
        static const char CC[] = "0123456789X";
        uint32_t const cur = (id[17] == 'X') ? 10u : (uint32_t)(id[17] - '0');
        id[17] = CC[(cur + 1 + gen_below(r, 10)) % 11];
        break;
    }
    case XJ_ID_BIRTHDATE_MISMATCH: { /* valid ID, the record's date mistyped */
        int32_t const shift = 1 + (int32_t)gen_below(r, 40);
        p->birth = gen_fromDayNumber(gen_dayNumber(p->birth) + (gen_below(r, 2) ? shift : -shift));
        break;
    }
    default: /* XJ_ID_SEX_MISMATCH: valid ID, the record's sex mistyped */
        p->sex = (uint8_t)(3 - p->sex);
        break;
    }
}

static void gen_clearId(const gen_ctx *ctx, gen_person *p)
{
    p->id_type = 'Z';
    p->id_len = 0;
    gen_putSerialSno(ctx, p, 'J', 0x2B);
}

static void gen_applyOther(const gen_ctx *ctx, gen_person *p, gen_rng *r)
{
    static const char *const C3[] = { "USA", "KOR", "JPN", "FRA", "DEU", "GBR", "CAN", "AUS", "RUS", "SGP" };
    static const char *const N3[] = { "840", "410", "392", "250", "276", "826", "124", "036", "643", "702" };
    uint32_t const t = gen_below(r, 100);
    int const bad = gen_unit(r) < ctx->o.other_invalid;
    uint64_t const salt = ctx->k_layout ^ 0x3C;
    uint32_t const c = gen_below(r, 10);
    p->kind = GEN_KIND_OTHER;
    gen_putSerialSno(ctx, p, 'L', 0x4D);
    char *const id = p->id;
    /* numbers come from gen_serial over exactly the digits written, so two
     * rows (below 10^digits) never get the same one */
    if (t < 30) { /* 台湾居民来往大陆通行证: 8 or 10 digits */
        p->id_type = '8';
        if (!bad) { p->id_len = gen_below(r, 5) ? 8 : 10; gen_putDigits(id, gen_serial(p->row, salt, p->id_len), p->id_len); }
        else if (gen_below(r, 2)) { p->id_len = 9; gen_putDigits(id, gen_serial(p->row, salt, 9), 9); }
        else { id[0] = 'T'; gen_putDigits(id + 1, gen_serial(p->row, salt, 9), 9); p->id_len = 10; }
    } else if (t < 60) { /* 境外永久居住证 */
        p->id_type = '9';
        gen_makeLatinName(r, p->sex, p);
        if (t < 45) { /* old card: 3 letters + 12 digits */
            memcpy(id, C3[c], 3);
            gen_putDigits(id + 3, gen_serial(p->row, salt, bad ? 11 : 12), bad ? 11 : 12);
            p->id_len = bad ? 14 : 15;
        } else { /* 2023 card: 9, province, country, birth date, sequence, sex, check */
            const char *const pc = ctx->schools[p->loc.school].code + 2;
            id[0] = '9'; id[1] = pc[0]; id[2] = pc[1];
            memcpy(id + 3, N3[c], 3);
            gen_putDate8(id + 6, p->birth);
            gen_putDigits(id + 14, gen_serial(p->row, salt, 2), 2);
            id[16] = (char)('0' + gen_below(r, 5) * 2 + (p->sex == 1));
            gen_finishId(id);
            p->id_len = bad ? 17 : 18;
        }
    } else { /* 护照: 5-20 letters and digits */
        p->id_type = 'A';
        gen_makeLatinName(r, p->sex, p);
        if (!bad) { id[0] = gen_below(r, 2) ? 'E' : 'P'; gen_putDigits(id + 1, gen_serial(p->row, salt, 8), 8); p->id_len = 9; }
        else if (gen_below(r, 2)) { id[0] = 'E'; gen_putDigits(id + 1, gen_serial12(p->row, salt), 20); p->id_len = 21; }
        else { id[0] = 'E'; id[1] = '-'; gen_putDigits(id + 2, gen_serial(p->row, salt, 8), 8); p->id_len = 10; }
    }
    if (bad) p->reason = XJ_ID_FORMAT;
}

void gen_makeRow(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, gen_person *p)
{
    gen_basePerson(ctx, row, loc, p);
    uint8_t const role = gen_roleOf(ctx, row);
    p->role = role;
    if (role == GEN_ROLE_PLAIN) return;
    gen_rng r = gen_rngAt(ctx->k_row ^ 0x8CB92BA72F3D8DD7ULL, row);
    switch (role) {
    case GEN_ROLE_DUP: gen_applyDup(ctx, p, &r); break;
    case GEN_ROLE_INVALID: gen_applyInvalid(ctx, p, &r); break;
    case GEN_ROLE_NOID: gen_clearId(ctx, p); break;
    case GEN_ROLE_ATTR:
    case GEN_ROLE_MIXED: {
        gen_clearId(ctx, p);
        int const scope = gen_drawScope(&r, SCOPE_ATTR);
        gen_loc rl;
        uint8_t const want = (role == GEN_ROLE_ATTR) ? GEN_ROLE_NOID : GEN_ROLE_PLAIN;
        uint64_t const root = gen_pickRow(ctx, row, loc, &r, scope, want, 1, &rl);
        if (root == UINT64_MAX) break;
        gen_person q;
        gen_basePerson(ctx, root, &rl, &q);
        gen_copyStudent(p, &q);
        p->registered = gen_laterDate(ctx, &r, q.registered);
        p->root = root;
        p->kind = (role == GEN_ROLE_ATTR) ? GEN_KIND_ATTR : GEN_KIND_MIXED;
        break;
    }
    case GEN_ROLE_OTHER: gen_applyOther(ctx, p, &r); break;
    case GEN_ROLE_MALFORMED:
        p->kind = GEN_KIND_MALFORMED;
        p->malformed = (uint8_t)(1 + gen_below(&r, 2));
        break;
    default: break;
    }
}

void gen_eachRow(const gen_ctx *ctx, void (*fn)(void *arg, const gen_person *p), void *arg)
{
    uint64_t const N = ctx->o.rows, CH = 32768;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx->o.threads)
#endif
    for (uint64_t c = 0; c < (N + CH - 1) / CH; c++) {
        uint64_t const end = (c + 1) * CH < N ? (c + 1) * CH : N;
        gen_loc loc;
        gen_locate(ctx, c * CH, &loc);
        for (uint64_t i = c * CH; i < end; i++) {
            gen_person p;
            gen_makeRow(ctx, i, &loc, &p);
            if (i + 1 < end) gen_locNext(ctx, &loc, i + 1);
            fn(arg, &p);
        }
    }
}
