/*
 * gen_geo — provinces, counties and schools, and the row layout.
 *
 * The layout is computed once, single-threaded, from the seed and the row
 * count; afterwards it is read-only and shared by all threads. Schools are
 * laid out county by county in code order (province, city, county), and
 * inside a school grade by grade, so the rows of one county, city or province
 * form one contiguous range: picking "another school of the same county" is
 * a uniform draw in a range. Each row's rank among the students of its county
 * and grade is known from the layout alone, which lets gen_people.c give every
 * native student a distinct ID without any shared state.
 *
 * Figures (documented in docs/generator.md and --help):
 *  - province weights: population aged 0-14 in the 2020 census (第七次全国
 *    人口普查), in units of 10 000, rounded from the provincial communiqués;
 *  - prefecture and county counts per province: approximately those of the
 *    2022 administrative division statistics (民政部 行政区划统计);
 *  - school categories and mean sizes: the 2023 national education statistics
 *    (教育部 全国教育事业发展统计公报): ~143 500 primary schools plus ~60 000
 *    teaching points, ~52 000 junior secondary schools (of which ~16 000
 *    nine-year), ~15 400 senior secondary, ~7 000 vocational secondary.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

typedef struct gen_province {
    char code[3];             /* two-digit GB/T 2260 province code */
    const char *name;         /* short Chinese name (documentation only) */
    double weight;            /* 0-14 population, 2020 census, 10 000s */
    uint16_t cities;          /* prefecture-level divisions (municipalities: 1-2) */
    uint16_t counties;        /* county-level divisions */
} gen_province;

static const gen_province PROVINCES[] = {
    {"11", "北京", 259, 1, 16},   {"12", "天津", 187, 1, 16},
    {"13", "河北", 1509, 11, 167}, {"14", "山西", 571, 11, 117},
    {"15", "内蒙古", 338, 12, 103}, {"21", "辽宁", 474, 14, 100},
    {"22", "吉林", 282, 9, 60},   {"23", "黑龙江", 329, 13, 121},
    {"31", "上海", 244, 1, 16},   {"32", "江苏", 1289, 13, 95},
    {"33", "浙江", 868, 11, 90},  {"34", "安徽", 1174, 16, 104},
    {"35", "福建", 803, 9, 84},   {"36", "江西", 992, 11, 100},
    {"37", "山东", 1907, 16, 136}, {"41", "河南", 2299, 17, 157},
    {"42", "湖北", 942, 13, 103},  {"43", "湖南", 1297, 14, 122},
    {"44", "广东", 2375, 21, 122}, {"45", "广西", 1185, 14, 111},
    {"46", "海南", 201, 4, 25},   {"50", "重庆", 510, 2, 38},
    {"51", "四川", 1347, 21, 183}, {"52", "贵州", 924, 9, 88},
    {"53", "云南", 924, 16, 129},  {"54", "西藏", 90, 7, 74},
    {"61", "陕西", 685, 10, 107},  {"62", "甘肃", 485, 14, 86},
    {"63", "青海", 123, 8, 44},   {"64", "宁夏", 147, 5, 22},
    {"65", "新疆", 581, 14, 106},
};
enum { N_PROV = sizeof PROVINCES / sizeof PROVINCES[0] };

/* School categories: the first two digits of the Ministry's school category
 * codes (211 小学 / 218 教学点 → 21, 311 初级中学 / 312 九年一贯制 → 31,
 * 341 完全中学 / 342 高级中学 / 345 十二年一贯制 → 34, 36x 中等职业 → 36). */
typedef struct gen_category {
    char code[3];             /* AA of the school code */
    uint8_t grade_lo;         /* grades taught */
    uint8_t grade_hi;
    double share;             /* share of schools */
    double mean_size;         /* mean students per school */
} gen_category;

static const gen_category CATEGORIES[] = {
    {"21", 1, 6, 0.510, 730},    /* 小学 */
    {"21", 1, 4, 0.210, 30},     /* 教学点 (teaching point) */
    {"31", 7, 9, 0.130, 1050},   /* 初级中学 */
    {"31", 1, 9, 0.060, 1500},   /* 九年一贯制学校 */
    {"34", 10, 12, 0.040, 2000}, /* 高级中学 */
    {"34", 7, 12, 0.015, 2200},  /* 完全中学 */
    {"34", 1, 12, 0.005, 2500},  /* 十二年一贯制学校 */
    {"36", 10, 12, 0.025, 1850}, /* 中等职业学校 */
};
enum { N_CAT = sizeof CATEGORIES / sizeof CATEGORIES[0] };

const char *gen_provinceCode(uint32_t prov) { return PROVINCES[prov].code; }
uint32_t gen_provinceCount(void) { return N_PROV; }

uint32_t gen_provinceIndex(const char code2[2])
{
    for (uint32_t i = 0; i < N_PROV; i++)
        if (PROVINCES[i].code[0] == code2[0] && PROVINCES[i].code[1] == code2[1]) return i;
    return UINT32_MAX;
}

static const char *const GRADE_NAMES[GEN_GRADES] = {
    "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
    "七年级", "八年级", "九年级", "高一", "高二", "高三",
};

const char *gen_gradeName(uint8_t grade, size_t *len)
{
    const char *const s = GRADE_NAMES[(grade >= 1 && grade <= GEN_GRADES) ? grade - 1 : 0];
    *len = strlen(s);
    return s;
}

static double gen_normal(gen_rng *r)
{
    /* Box-Muller; the layout is built once, speed does not matter here. */
    double const u1 = (gen_unit(r) + 0x1.0p-54), u2 = gen_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Counties of one province, with codes: cities 01.., inside a city the
 * districts 02.., counties 21.., county-level cities 81.. as GB/T 2260 does. */
static int gen_buildCounties(gen_ctx *ctx, double *cw)
{
    uint32_t total = 0, cities = 0;
    for (uint32_t p = 0; p < N_PROV; p++) { total += PROVINCES[p].counties; cities += PROVINCES[p].cities; }
    ctx->counties = calloc(total, sizeof *ctx->counties);
    ctx->cities = calloc(cities, sizeof *ctx->cities);
    if (ctx->counties == NULL || ctx->cities == NULL) return -1;
    gen_rng r = gen_rngAt(ctx->k_layout, 1);
    uint32_t ci = 0, ki = 0;
    for (uint32_t p = 0; p < N_PROV; p++) {
        const gen_province *const pv = &PROVINCES[p];
        ctx->prov_county[p] = ki;
        int const municipality = (pv->cities <= 2);
        for (uint32_t c = 0; c < pv->cities; c++, ci++) {
            /* spread the counties over the cities, the capital a bit larger */
            uint32_t n = pv->counties / pv->cities + (c < pv->counties % pv->cities);
            uint32_t districts, towns;
            if (municipality) { districts = (c == 0) ? n : 0; towns = 0; }
            else { districts = n * 30 / 100 + (c == 0) * 3; if (districts > n) districts = n; towns = n * 15 / 100; }
            if (districts + towns > n) towns = n - districts;
            for (uint32_t j = 0; j < n; j++, ki++) {
                gen_county *const k = &ctx->counties[ki];
                uint32_t num; uint8_t kind;
                if (j < districts) { num = 2 + j; kind = 0; }
                else if (j < districts + towns) { num = 81 + (j - districts); kind = 2; }
                else { num = 21 + (j - districts - towns); kind = 1; }
                if (num > 99) num = 99; /* not reached with the table above */
                k->code[0] = pv->code[0]; k->code[1] = pv->code[1];
                k->code[2] = (char)('0' + (c + 1) / 10); k->code[3] = (char)('0' + (c + 1) % 10);
                k->code[4] = (char)('0' + num / 10); k->code[5] = (char)('0' + num % 10);
                k->prov = (uint16_t)p; k->city = ci; k->kind = kind;
                double const f = (kind == 0) ? 1.4 : (kind == 2 ? 1.15 : 1.0);
                cw[ki] = f * exp(0.5 * gen_normal(&r));
            }
        }
    }
    ctx->prov_county[N_PROV] = ki;
    ctx->n_counties = ki;
    ctx->n_cities = ci;
    return 0;
}

/* --profile varied: the name decorated (gen_variedSchoolName), quoted when
 * it must be or when the county quotes every field, quotes doubled. */
static void gen_putVariedName(gen_ctx *ctx, gen_school *s, const char *name, size_t n, uint64_t u)
{
    char nm[128];
    int quote, nl;
    memcpy(nm, name, n);
    n = gen_variedSchoolName(u, nm, n, &quote, &nl);
    char *const out = ctx->names + ctx->names_len;
    size_t len = 0;
    if (quote || s->quote_all) {
        out[len++] = '"';
        for (size_t i = 0; i < n; i++) { if (nm[i] == '"') out[len++] = '"'; out[len++] = nm[i]; }
        out[len++] = '"';
    } else {
        memcpy(out, nm, n); len = n;
    }
    s->newlines = (uint8_t)nl;
    s->name_off = (uint32_t)ctx->names_len;
    s->name_len = (uint16_t)len;
    ctx->names_len += len;
}

static void gen_putQuotedName(gen_ctx *ctx, gen_school *s, const char *name, size_t n, uint64_t u)
{
    if (ctx->o.profile == GEN_PROFILE_VARIED) { gen_putVariedName(ctx, s, name, n, u); return; }
    char *const out = ctx->names + ctx->names_len;
    size_t len = 0;
    s->newlines = 0;
    double const p = (double)(u >> 11) * 0x1.0p-53;
    if (ctx->o.messy && p < 0.012) {
        /* messy exports: a comma, a line break or quotes inside the name */
        out[len++] = '"';
        memcpy(out + len, name, n); len += n;
        if (p < 0.004) { memcpy(out + len, "(分校,东区)", 15); len += 15; }
        else if (p < 0.008) { memcpy(out + len, "\n东校区", 10); len += 10; s->newlines = 1; }
        else { memcpy(out + len, "\"\"实验\"\"", 10); len += 10; }
        out[len++] = '"';
    } else {
        memcpy(out, name, n); len = n;
    }
    s->name_off = (uint32_t)ctx->names_len;
    s->name_len = (uint16_t)len;
    ctx->names_len += len;
}

static const char *const NUMERALS[] = { "一", "二", "三", "四", "五", "六", "七", "八", "九", "十" };

/* A plausible name for a school of category `cat`, plain UTF-8. */
static size_t gen_schoolName(uint32_t cat, uint64_t u, char *out)
{
    size_t n = gen_placeName(u, out);
    gen_rng r = { u };
    uint32_t const v = gen_below(&r, 4);
    const char *num = NUMERALS[gen_below(&r, 10)];
#define PUT(s) do { size_t const l_ = strlen(s); memcpy(out + n, (s), l_); n += l_; } while (0)
    switch (cat) {
    case 0:
        if (v == 0) PUT("中心小学"); else if (v == 1) { PUT("第"); PUT(num); PUT("小学"); }
        else if (v == 2) PUT("实验小学"); else PUT("小学");
        break;
    case 1: PUT(v < 2 ? "村教学点" : "小学教学点"); break;
    case 2:
        if (v == 0) PUT("初级中学"); else if (v == 1) { PUT("第"); PUT(num); PUT("中学"); }
        else if (v == 2) PUT("镇中学"); else PUT("实验中学");
        break;
    case 3: PUT("九年一贯制学校"); break;
    case 4:
        if (v == 0) { PUT("第"); PUT(num); PUT("高级中学"); } else if (v == 1) PUT("高级中学");
        else if (v == 2) PUT("第一中学"); else PUT("实验高级中学");
        break;
    case 5: if (v < 2) { PUT("第"); PUT(num); PUT("中学"); } else PUT("中学"); break;
    case 6: PUT(v < 2 ? "外国语学校" : "实验学校"); break;
    default: PUT(v < 2 ? "职业技术学校" : "中等专业学校"); break;
    }
#undef PUT
    return n;
}

int gen_buildLayout(gen_ctx *ctx)
{
    uint64_t const N = ctx->o.rows;
    uint32_t nk = 0;
    for (uint32_t p = 0; p < N_PROV; p++) nk += PROVINCES[p].counties;
    double *cw = calloc(nk, sizeof *cw);
    if (cw == NULL) return -1;
    if (gen_buildCounties(ctx, cw) != 0) { free(cw); return -1; }

    double pw[N_PROV];
    int const varied = ctx->o.profile == GEN_PROFILE_VARIED;
    for (uint32_t p = 0; p < N_PROV; p++) pw[p] = PROVINCES[p].weight * (varied ? gen_variedProvinceFactor(p) : 1.0);
    if (gen_aliasBuild(&ctx->prov_alias, pw, N_PROV) != 0) { free(cw); return -1; }

    /* Number of schools, and schools per province by cumulative rounding. */
    uint64_t S = (N + ctx->o.rows_per_school / 2) / ctx->o.rows_per_school;
    if (S < 1) S = 1;
    if (S > N) S = N > 0 ? N : 1;
    double wsum = 0;
    for (uint32_t p = 0; p < N_PROV; p++) wsum += pw[p];
    uint32_t *per_county = calloc(ctx->n_counties, sizeof *per_county);
    if (per_county == NULL) { free(cw); return -1; }
    gen_rng r = gen_rngAt(ctx->k_layout, 2);
    double acc = 0; uint64_t given = 0;
    for (uint32_t p = 0; p < N_PROV; p++) {
        acc += pw[p];
        uint64_t const upto = (p == N_PROV - 1) ? S : (uint64_t)floor((double)S * acc / wsum);
        uint64_t const sp = upto - given;
        given = upto;
        /* each school of the province goes to a county drawn by weight */
        uint32_t const k0 = ctx->prov_county[p], k1 = ctx->prov_county[p + 1];
        double ksum = 0;
        for (uint32_t k = k0; k < k1; k++) ksum += cw[k];
        for (uint64_t i = 0; i < sp; i++) {
            double x = gen_unit(&r) * ksum;
            uint32_t k = k0;
            while (k + 1 < k1 && x >= cw[k]) { x -= cw[k]; k++; }
            per_county[k]++;
        }
    }

    /* Schools county by county: category, size weight. */
    ctx->schools = calloc(S, sizeof *ctx->schools);
    double *sw = calloc(S, sizeof *sw);
    ctx->names = malloc(S * 128 + 64);
    if (ctx->schools == NULL || sw == NULL || ctx->names == NULL) { free(cw); free(per_county); free(sw); return -1; }
    double catcum[N_CAT], csum = 0;
    for (uint32_t c = 0; c < N_CAT; c++) { csum += varied ? gen_variedCategoryShare(c) : CATEGORIES[c].share; catcum[c] = csum; }
    double const sigma = ctx->o.school_size_sigma;
    uint64_t si = 0; double tot = 0;
    for (uint32_t k = 0; k < ctx->n_counties; k++) {
        double const f = ctx->counties[k].kind == 0 ? 1.3 : (ctx->counties[k].kind == 2 ? 1.15 : 1.0);
        for (uint32_t j = 0; j < per_county[k]; j++, si++) {
            gen_school *const s = &ctx->schools[si];
            double const x = gen_unit(&r) * csum;
            uint32_t c = 0;
            while (c + 1 < N_CAT && x >= catcum[c]) c++;
            s->cat = (uint8_t)c;
            s->county = k;
            s->grade_lo = CATEGORIES[c].grade_lo;
            s->grade_n = (uint8_t)(CATEGORIES[c].grade_hi - CATEGORIES[c].grade_lo + 1);
            if (varied) sw[si] = gen_variedCategoryMean(c) * f * gen_variedSizeFactor(&r);
            else sw[si] = CATEGORIES[c].mean_size * f * exp(sigma * gen_normal(&r) - sigma * sigma / 2);
            tot += sw[si];
        }
    }

    /* Rows per school by cumulative rounding (sums to N exactly); drop the
     * schools that get none so every school in the table has rows. */
    uint32_t *code_ctr = calloc((size_t)ctx->n_cities * 4 + N_PROV * 4, sizeof *code_ctr);
    if (code_ctr == NULL) { free(cw); free(per_county); free(sw); return -1; }
    uint32_t cohort_run[GEN_GRADES] = {0};
    uint32_t last_county = UINT32_MAX;
    double cacc = 0; uint64_t rows_given = 0, lines = 0;
    uint32_t out = 0;
    for (uint64_t i = 0; i < S; i++) {
        cacc += sw[i];
        uint64_t upto = (i == S - 1) ? N : (uint64_t)floor((double)N * cacc / tot);
        if (upto > N) upto = N;
        if (upto < rows_given) upto = rows_given;
        uint64_t const n = upto - rows_given;
        if (n == 0) continue;
        gen_school s = ctx->schools[i];
        s.first_row = rows_given;
        s.rows = (uint32_t)n;
        rows_given = upto;
        if (s.county != last_county) { memset(cohort_run, 0, sizeof cohort_run); last_county = s.county; }
        /* grades: near-equal shares with a little jitter */
        double gw[GEN_GRADES], gsum = 0;
        for (uint32_t g = 0; g < s.grade_n; g++) { gw[g] = 1.0 + 0.2 * gen_unit(&r); gsum += gw[g]; }
        double gacc = 0; uint32_t ggiven = 0;
        for (uint32_t g = 0; g < s.grade_n; g++) {
            s.grade_start[g] = ggiven;
            gacc += gw[g];
            uint32_t const gu = (g == (uint32_t)s.grade_n - 1) ? s.rows : (uint32_t)floor((double)s.rows * gacc / gsum);
            uint32_t const grade = s.grade_lo + g;
            s.cohort_base[g] = cohort_run[grade - 1];
            cohort_run[grade - 1] += gu - ggiven;
            ctx->counties[s.county].cohort_n[grade - 1] += gu - ggiven;
            ggiven = gu;
        }
        s.grade_start[s.grade_n] = s.rows;
        /* school code: category, province, then city + 4-digit counter */
        const gen_county *const k = &ctx->counties[s.county];
        const char *const cc = CATEGORIES[s.cat].code;
        uint32_t const ck = (cc[0] == '2') ? 0 : (cc[1] == '1' ? 1 : (cc[1] == '4' ? 2 : 3));
        uint32_t *const ctr = &code_ctr[(size_t)k->city * 4 + ck];
        uint32_t seq;
        if (*ctr < 9999) seq = (uint32_t)((k->code[2] - '0') * 10 + (k->code[3] - '0')) * 10000 + ++*ctr;
        else seq = 900000 + ++code_ctr[(size_t)ctx->n_cities * 4 + k->prov * 4u + ck];
        s.code[0] = cc[0]; s.code[1] = cc[1]; s.code[2] = k->code[0]; s.code[3] = k->code[1];
        gen_putDigits(s.code + 4, seq, 6);
        char nm[128];
        size_t const nl = gen_schoolName(s.cat, gen_next(&r), nm);
        s.quote_all = (uint8_t)(varied && gen_variedQuoteAll(ctx, s.county));
        gen_putQuotedName(ctx, &s, nm, nl, gen_next(&r));
        s.lines_before = lines;
        lines += (uint64_t)s.rows * s.newlines;
        ctx->schools[out++] = s;
    }
    ctx->n_schools = out;

    /* Row ranges of counties, cities and provinces (rows are in code order). */
    for (uint32_t k = 0; k < ctx->n_counties; k++) ctx->counties[k].first_row = ctx->counties[k].end_row = UINT64_MAX;
    for (uint32_t i = 0; i < ctx->n_schools; i++) {
        gen_county *const k = &ctx->counties[ctx->schools[i].county];
        if (k->first_row == UINT64_MAX) k->first_row = ctx->schools[i].first_row;
        k->end_row = ctx->schools[i].first_row + ctx->schools[i].rows;
    }
    /* empty counties get the empty range at the position they would have */
    uint64_t pos = 0;
    for (uint32_t k = 0; k < ctx->n_counties; k++) {
        if (ctx->counties[k].first_row == UINT64_MAX) ctx->counties[k].first_row = ctx->counties[k].end_row = pos;
        pos = ctx->counties[k].end_row;
    }
    for (uint32_t c = 0; c < ctx->n_cities; c++) ctx->cities[c].first_row = UINT64_MAX;
    for (uint32_t k = 0; k < ctx->n_counties; k++) {
        gen_city *const c = &ctx->cities[ctx->counties[k].city];
        if (c->first_row == UINT64_MAX) c->first_row = ctx->counties[k].first_row;
        c->end_row = ctx->counties[k].end_row;
    }
    for (uint32_t p = 0; p <= N_PROV; p++)
        ctx->prov_first[p] = (p == N_PROV) ? N : ctx->counties[ctx->prov_county[p]].first_row;

    free(code_ctr); free(sw); free(per_county); free(cw);
    return 0;
}

void gen_freeLayout(gen_ctx *ctx)
{
    free(ctx->counties); free(ctx->cities); free(ctx->schools); free(ctx->names);
    gen_aliasFree(&ctx->prov_alias);
    ctx->counties = NULL; ctx->cities = NULL; ctx->schools = NULL; ctx->names = NULL;
}

static void gen_setGrade(const gen_ctx *ctx, gen_loc *loc, uint64_t row)
{
    const gen_school *const s = &ctx->schools[loc->school];
    uint32_t const off = (uint32_t)(row - s->first_row);
    uint32_t g = 0;
    while (g + 1 < s->grade_n && off >= s->grade_start[g + 1]) g++;
    loc->grade = (uint8_t)(s->grade_lo + g);
    loc->rank = s->cohort_base[g] + (off - s->grade_start[g]);
}

void gen_locate(const gen_ctx *ctx, uint64_t row, gen_loc *loc)
{
    uint32_t lo = 0, hi = ctx->n_schools; /* last school with first_row <= row */
    while (hi - lo > 1) {
        uint32_t const mid = lo + (hi - lo) / 2;
        if (ctx->schools[mid].first_row <= row) lo = mid; else hi = mid;
    }
    loc->school = lo;
    gen_setGrade(ctx, loc, row);
}

void gen_locNext(const gen_ctx *ctx, gen_loc *loc, uint64_t next_row)
{
    const gen_school *s = &ctx->schools[loc->school];
    if (next_row >= s->first_row + s->rows) {
        loc->school++;
        gen_setGrade(ctx, loc, next_row); /* grades may have no rows */
        return;
    }
    uint32_t const g = (uint32_t)(loc->grade - s->grade_lo);
    if (g + 1 < s->grade_n && next_row - s->first_row >= s->grade_start[g + 1]) gen_setGrade(ctx, loc, next_row);
    else loc->rank++;
}

uint64_t gen_lineOf(const gen_ctx *ctx, uint64_t row, uint32_t school)
{
    const gen_school *const s = &ctx->schools[school];
    return 2 + row + s->lines_before + (row - s->first_row) * s->newlines;
}
