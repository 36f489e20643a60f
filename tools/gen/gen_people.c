/*
 * gen_people — the student the layout puts at a row, before any injection.
 *
 * Guarantees: the result is a pure function of (ctx, row). Birth dates fall
 * in the cohort of the row's grade (born 1 Sep .. 31 Aug, so never after the
 * run date), the ID carries the record's birth date and a sex digit of the
 * record's sex, and its check character comes from the engine
 * (xj_idCheckChar).
 *
 * Distinct IDs without shared state: a native student (ID issued in the
 * school's county) has a rank k among the county's students of the same grade
 * (from the layout). k is mapped one-to-one onto (birth day, sequence): the
 * day is (k * 7919 + offset) mod D over the D days of the cohort year (7919
 * is prime to 365 and 366), the slot k / D picks one of 400 sequence pairs,
 * and the sex picks the odd or even member of the pair, so sequence numbers
 * 000-799 never repeat within a (county, birth day). The natives of a
 * (county, grade) use the first `used` = ceil(students / D) pairs after the
 * rotation `spin`. Students whose ID was issued elsewhere (migrant children)
 * draw a random day and one of the 400 - used other pairs of their origin
 * county, so they never collide with a native; two migrants from the same
 * origin, day and pair can (rarely: a natural collision, not an injected
 * one: about one per million rows at 1M rows, growing with the square of
 * the population). Counties with more than 400 x D
 * students in one grade spill over into random pairs too.
 *
 * Sex ratio: 111.3 boys per 100 girls, the 0-14 age group of the 2020 census.
 */
#include <string.h>

#include "gen.h"

void gen_finishId(char id[18])
{
    char const c = xj_idCheckChar(id);
    id[17] = c ? c : '0';
}

/* Sep 1 of the school year's first year, and the cohorts of grades 1..12. */
void gen_setupCohorts(gen_ctx *ctx)
{
    uint32_t const rd = ctx->o.run_date;
    uint32_t const y = rd / 10000, m = (rd / 100) % 100;
    uint32_t const Y = (m >= 9) ? y : y - 1;
    ctx->school_year = Y;
    for (uint32_t g = 1; g <= GEN_GRADES; g++) {
        int32_t const a = gen_dayNumber((Y - 6 - g) * 10000 + 901);
        int32_t const b = gen_dayNumber((Y - 5 - g) * 10000 + 901);
        ctx->cohort[g].first_day = a;
        ctx->cohort[g].days = (uint32_t)(b - a);
        ctx->cohort[g].enrol_year = Y - (g - 1);
    }
}

/* Rotation of the native sequence pairs of (county, grade, day). */
static inline uint32_t gen_spin(const gen_ctx *ctx, uint32_t county, uint8_t grade, uint32_t day)
{
    return (uint32_t)(gen_mix(ctx->k_layout + ((uint64_t)county << 20 | (uint64_t)grade << 9 | day)) % 400);
}

static const double MALE_SHARE = 111.3 / 211.3;

void gen_basePerson(const gen_ctx *ctx, uint64_t row, const gen_loc *loc, gen_person *p)
{
    const gen_school *const s = &ctx->schools[loc->school];
    const gen_county *const k = &ctx->counties[s->county];
    const gen_cohort *const co = &ctx->cohort[loc->grade];
    gen_rng r = gen_rngAt(ctx->k_row, row);

    p->row = row;
    p->root = row;
    p->loc = *loc;
    p->role = GEN_ROLE_PLAIN;
    p->kind = GEN_KIND_NONE;
    p->reason = 0;
    p->malformed = 0;
    p->grade = loc->grade;
    p->sex = (gen_unit(&r) < MALE_SHARE) ? 1 : 2;
    p->id_type = '1';

    /* where the ID was issued, and the (day, sequence) pair */
    uint64_t const u = gen_next(&r);
    uint32_t origin = s->county;
    uint32_t day, seq;
    uint64_t const slot = loc->rank / co->days;
    int const native = u >= ctx->t_migrant && u - ctx->t_migrant >= ctx->t_local_migrant;
    if (native && slot < 400) {
        /* one-to-one unless migrants must share the county's pairs (below) */
        p->id_native = (k->cohort_n[loc->grade - 1] + co->days - 1) / co->days < 400;
        uint32_t const off = (uint32_t)(gen_mix(ctx->k_layout ^ ((uint64_t)origin << 8 | loc->grade)) % co->days);
        day = (uint32_t)(((uint64_t)loc->rank * 7919 + off) % co->days);
        seq = (uint32_t)((slot + gen_spin(ctx, origin, loc->grade, day)) % 400) * 2 + (p->sex == 1);
    } else {
        p->id_native = 0;
        if (native) {
            /* a county too large for the native slots: random, like a migrant */
        } else if (u < ctx->t_migrant) { /* another province */
            uint32_t pv = gen_aliasDraw(&ctx->prov_alias, gen_next(&r));
            if (pv == k->prov) pv = (pv + 1 + gen_below(&r, gen_provinceCount() - 1)) % gen_provinceCount();
            uint32_t const n = ctx->prov_county[pv + 1] - ctx->prov_county[pv];
            origin = ctx->prov_county[pv] + gen_below(&r, n);
        } else { /* another county of the province */
            uint32_t const n = ctx->prov_county[k->prov + 1] - ctx->prov_county[k->prov];
            origin = ctx->prov_county[k->prov] + gen_below(&r, n);
        }
        /* a random day, and a sequence pair outside the band the origin's
         * natives use that day (so never one of theirs) */
        day = gen_below(&r, co->days);
        uint32_t const used = (ctx->counties[origin].cohort_n[loc->grade - 1] + co->days - 1) / co->days;
        uint32_t const pair = (used < 400)
            ? (gen_spin(ctx, origin, loc->grade, day) + used + gen_below(&r, 400 - used)) % 400
            : gen_below(&r, 400);
        seq = pair * 2 + (p->sex == 1);
    }
    const char *const region = ctx->counties[origin].code;
    p->birth = gen_fromDayNumber(co->first_day + (int32_t)day);
    memcpy(p->id, region, 6);
    gen_putDate8(p->id + 6, p->birth);
    gen_putDigits(p->id + 14, seq, 3);
    gen_finishId(p->id);
    p->id_len = 18;

    gen_makeName(&r, k->prov, p->sex, p);

    /* registered when the cohort entered grade 1, late Aug .. mid Oct */
    int32_t reg = gen_dayNumber(co->enrol_year * 10000 + 825) + (int32_t)gen_below(&r, 50);
    int32_t const run = gen_dayNumber(ctx->o.run_date);
    if (reg > run) reg = run;
    p->registered = gen_fromDayNumber(reg);

    if (gen_next(&r) < ctx->t_temp) { /* temporary number, ID not yet verified */
        p->sno[0] = 'L';
        memcpy(p->sno + 1, k->code, 6);
        gen_putDigits(p->sno + 7, gen_serial12(row, ctx->k_layout ^ 0x4C), 12);
    } else {
        p->sno[0] = 'G';
        memcpy(p->sno + 1, p->id, 18);
    }
}
