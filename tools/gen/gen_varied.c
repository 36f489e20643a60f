/*
 * gen_varied — the pieces of `gen --profile varied`: a second population,
 * distributed differently on purpose, so that a benchmark or a test is not
 * tuned to the default generator (issue 20). Its names are in gen_names.c
 * (gen_makeNameVaried); here are the geography, the schools and the
 * quoting. None of these figures comes from a statistic: each is chosen to
 * move away from the default profile in a direction real exports also go.
 *
 *  - region mix: the western and minority provinces weigh three times their
 *    census weight, the north-east 1.5 times, the four municipalities twice,
 *    the five largest eastern and central provinces 0.6 times;
 *  - schools: more teaching points (33 % of schools, 16 students on
 *    average), sizes Pareto-distributed (tail index 1.15, at most 60 times the
 *    smallest weight) instead of log-normal, one school per 300 students:
 *    many tiny schools and a few very large ones;
 *  - school names: 12 % with a city or county prefix, 8 % with a branch in
 *    parentheses holding an ASCII comma, 3 % with a name in quotes, 0.5 %
 *    with a line break, 6 % with a full-width branch (no quoting needed);
 *  - quoting: 15 % of the counties export with every field quoted, as some
 *    exporting tools do;
 *  - 年级 as the registry's two-digit grade code (11-16 primary, 21-23
 *    junior, 31-33 senior secondary) instead of its name;
 *  - a pass-through 家庭住址 column after 年级: empty for 80 % of the
 *    students, else town, road, number and for 40 % a flat; 45 % of the
 *    filled ones with an ASCII comma and 5 % with quotes (so quoted), 10 %
 *    with a full-width comma. A student registered again (transfer, import,
 *    further member) keeps the address.
 *
 * Everything is a pure function of (seed, options, row or school), like the
 * rest of the generator.
 */
#include <math.h>
#include <string.h>

#include "gen.h"

static int gen_provCode(uint32_t prov)
{
    const char *const pc = gen_provinceCode(prov);
    return (pc[0] - '0') * 10 + (pc[1] - '0');
}

double gen_variedProvinceFactor(uint32_t prov)
{
    switch (gen_provCode(prov)) {
    case 15: case 45: case 52: case 53: case 54: case 62: case 63: case 64: case 65: return 3.0;
    case 21: case 22: case 23: return 1.5;
    case 11: case 12: case 31: case 50: return 2.0;
    case 13: case 32: case 37: case 41: case 44: return 0.6;
    default: return 1.0;
    }
}

int gen_variedQuoteAll(const gen_ctx *ctx, uint32_t county)
{
    /* 15 % of the counties, drawn from the layout key: about as many rows */
    return gen_mix(ctx->k_layout ^ (0x51554F5445000000ULL + county)) < gen_threshold(0.15);
}

/* In the order of gen_geo.c's category table: primary, teaching point,
 * junior, nine-year, senior, complete secondary, twelve-year, vocational. */
static const double V_SHARE[8] = { 0.40, 0.33, 0.12, 0.06, 0.045, 0.02, 0.01, 0.015 };
static const double V_MEAN[8] = { 560, 16, 1100, 1300, 2600, 2400, 3200, 1700 };

double gen_variedCategoryShare(uint32_t c) { return c < 8 ? V_SHARE[c] : 0; }
double gen_variedCategoryMean(uint32_t c) { return c < 8 ? V_MEAN[c] : 1; }

double gen_variedSizeFactor(gen_rng *r)
{
    double const x = pow(1.0 - gen_unit(r), -1.0 / 1.15);
    return x < 60.0 ? x : 60.0;
}

#define PUTS(o, s) do { memcpy((o), (s), sizeof(s) - 1); (o) += sizeof(s) - 1; } while (0)

static const char *const PREFIX_END[3] = { "市", "县", "区" };
static const char *const COMMA_BRANCH[5] = {
    "(东校区,初中部)", "(本部,小学部)", "(分校,南区)", "(新校区,高中部)", "(北校区,寄宿部)",
};
static const char *const QUOTED_NAME[4] = { "\"希望\"", "\"春蕾\"", "\"明德\"", "\"育英\"" };
static const char *const WIDE_BRANCH[3] = { "（东校区，初中部）", "（分校）", "（南校区，小学部）" };

size_t gen_variedSchoolName(uint64_t u, char *nm, size_t n, int *needs_quotes, int *newlines)
{
    gen_rng r = { u ^ 0x5641524945440001ULL };
    char tmp[128];
    char *o = tmp;
    *needs_quotes = 0;
    *newlines = 0;
    if (gen_below(&r, 100) < 12) { /* a city or county in front */
        o += gen_placeName(gen_next(&r), o);
        const char *const e = PREFIX_END[gen_below(&r, 3)];
        memcpy(o, e, 3); o += 3;
    }
    double const p = gen_unit(&r);
    if (p >= 0.08 && p < 0.11) { /* a name in quotes first */
        const char *const q = QUOTED_NAME[gen_below(&r, 4)];
        size_t const l = strlen(q);
        memcpy(o, q, l); o += l;
        *needs_quotes = 1;
    }
    memcpy(o, nm, n); o += n;
    if (p < 0.08) {
        const char *const b = COMMA_BRANCH[gen_below(&r, 5)];
        size_t const l = strlen(b);
        memcpy(o, b, l); o += l;
        *needs_quotes = 1;
    } else if (p >= 0.11 && p < 0.115) {
        PUTS(o, "\n(东校区)");
        *needs_quotes = 1;
        *newlines = 1;
    } else if (p >= 0.115 && p < 0.175) {
        const char *const b = WIDE_BRANCH[gen_below(&r, 3)];
        size_t const l = strlen(b);
        memcpy(o, b, l); o += l;
    }
    size_t const len = (size_t)(o - tmp);
    memcpy(nm, tmp, len);
    return len;
}

/* Decimal without leading zeros (v < 10 000). */
static char *gen_putNumber(char *o, uint32_t v)
{
    char d[5];
    int n = 0;
    do { d[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 5);
    while (n) *o++ = d[--n];
    return o;
}

static const char *const TOWN_END[3] = { "镇", "街道", "乡" };
static const char *const ROAD_END[4] = { "路", "街", "大道", "巷" };

char *gen_variedAddress(const gen_ctx *ctx, const gen_person *p, int quote_all, char *o)
{
    /* the same student registered again lives at the same address */
    int const same = p->kind == GEN_KIND_IMPORT || p->kind == GEN_KIND_TRANSFER || p->kind == GEN_KIND_MULTI;
    gen_rng r = gen_rngAt(ctx->k_addr, same ? p->root : p->row);
    char a[160];
    char *e = a;
    int quote = quote_all;
    if (gen_below(&r, 100) < 20) {
        uint32_t const style = gen_below(&r, 100);
        e += gen_placeName(gen_next(&r), e);
        const char *const t = TOWN_END[gen_below(&r, 3)];
        size_t const tl = strlen(t);
        memcpy(e, t, tl); e += tl;
        if (style < 45) { *e++ = ','; quote = 1; }
        else if (style < 55) PUTS(e, "，");
        e += gen_placeName(gen_next(&r), e);
        const char *const rd = ROAD_END[gen_below(&r, 4)];
        size_t const rl = strlen(rd);
        memcpy(e, rd, rl); e += rl;
        e = gen_putNumber(e, 1 + gen_below(&r, 999));
        PUTS(e, "号");
        if (gen_below(&r, 100) < 40) {
            e = gen_putNumber(e, 1 + gen_below(&r, 30)); PUTS(e, "栋");
            e = gen_putNumber(e, 1 + gen_below(&r, 6)); PUTS(e, "单元");
            e = gen_putNumber(e, 100 * (1 + gen_below(&r, 28)) + 1 + gen_below(&r, 8)); PUTS(e, "室");
        }
        if (style >= 95) { PUTS(e, "\"老宿舍\""); quote = 1; }
    }
    if (!quote) { memcpy(o, a, (size_t)(e - a)); return o + (e - a); }
    *o++ = '"';
    for (const char *s = a; s < e; s++) { if (*s == '"') *o++ = '"'; *o++ = *s; }
    *o++ = '"';
    return o;
}

const char *gen_variedGradeCode(uint8_t grade)
{
    static const char CODES[GEN_GRADES][3] = { "11", "12", "13", "14", "15", "16", "21", "22", "23", "31", "32", "33" };
    return CODES[(grade >= 1 && grade <= GEN_GRADES) ? grade - 1 : 0];
}
