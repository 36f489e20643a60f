/*
 * gen_typos_out — `xjdedup gen --suspects N -o FILE`: plans the typing slips
 * (gen_typos.c), makes sure no base row shares an attribute key with a
 * planted record (one pass over the population per round; an instance that
 * meets one is planned again), writes FILE with the planted records after the
 * base rows, and FILE.suspects.json, the truth (docs/generator.md,
 * "Suspected duplicates").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "commands.h"
#include "gen_typos.h"

enum { ROUNDS = 16 };

typedef struct ty_keyRef {
    uint64_t key;
    uint32_t inst;
} ty_keyRef;

static int ty_cmpKeyRef(const void *a, const void *b)
{
    uint64_t const x = ((const ty_keyRef *)a)->key, y = ((const ty_keyRef *)b)->key;
    return (x > y) - (x < y);
}

typedef struct ty_lookup {
    const ty_keyRef *refs;    /* sorted by key */
    size_t n;
    uint8_t *hit;             /* per ref: a base row has its key */
} ty_lookup;

static void ty_lookupRow(void *arg, const gen_person *p)
{
    const ty_lookup *const l = arg;
    if (p->malformed) return; /* rejected by scan */
    uint64_t const key = ty_attrKey(p);
    size_t lo = 0, hi = l->n;
    while (lo < hi) { size_t const m = lo + (hi - lo) / 2; if (l->refs[m].key < key) lo = m + 1; else hi = m; }
    for (; lo < l->n && l->refs[lo].key == key; lo++) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
        l->hit[lo] = 1;
    }
}

/* One pass over the base population: every unchecked live instance with an
 * attribute key some base row has is marked dead; the others are checked.
 * Returns how many died, -1 out of memory. */
static long ty_checkPopulation(ty_plan *pl)
{
    size_t n = 0;
    for (size_t i = 0; i < pl->n_inst; i++)
        if (!pl->inst[i].dead && !pl->inst[i].checked) n += pl->inst[i].rec1 - pl->inst[i].rec0;
    if (n == 0) return 0;
    ty_keyRef *const refs = malloc(n * sizeof *refs);
    uint8_t *const hit = calloc(n, 1);
    if (refs == NULL || hit == NULL) { free(refs); free(hit); return -1; }
    n = 0;
    for (uint32_t i = 0; i < pl->n_inst; i++) {
        const ty_inst *const it = &pl->inst[i];
        if (it->dead || it->checked) continue;
        for (uint32_t r = it->rec0; r < it->rec1; r++) refs[n++] = (ty_keyRef){ pl->rec[r].key, i };
    }
    qsort(refs, n, sizeof *refs, ty_cmpKeyRef);
    ty_lookup l = { refs, n, hit };
    gen_eachRow(pl->ctx, ty_lookupRow, &l);
    long died = 0;
    for (size_t i = 0; i < n; i++) {
        ty_inst *const it = &pl->inst[refs[i].inst];
        if (hit[i] && !it->dead) { it->dead = 1; it->met = 1; died++; }
    }
    for (size_t i = 0; i < pl->n_inst; i++) if (!pl->inst[i].dead) pl->inst[i].checked = 1;
    free(refs);
    free(hit);
    return died;
}

/* Plans every instance, then replaces those that meet the population until
 * none does. 0, -1 out of memory, -2 an instance could not be planned. */
static int ty_planAll(ty_plan *pl)
{
    for (uint16_t k = 0; k < pl->n_kinds; k++)
        for (uint32_t n = 0; n < pl->per_kind; n++)
            if (ty_planInstance(pl, k, n) != 0) return pl->oom ? -1 : -2;
    for (int round = 0; round < ROUNDS; round++) {
        size_t const before = pl->n_inst;
        long const died = ty_checkPopulation(pl);
        if (died < 0) return -1;
        if (died == 0) return 0;
        for (size_t i = 0; i < before; i++) {
            const ty_inst it = pl->inst[i];
            if (it.met) {
                pl->inst[i].met = 0; /* replaced once */
                if (ty_planInstance(pl, it.kind, it.number) != 0) return pl->oom ? -1 : -2;
            }
        }
    }
    return -2;
}

/* ------------------------------------------------------------ truth */

static const char *ty_school(const gen_ctx *ctx, const gen_person *p) { return ctx->schools[p->loc.school].code; }
static const char *ty_countyOf(const gen_ctx *ctx, const gen_person *p)
{
    return ctx->counties[ctx->schools[p->loc.school].county].code;
}

/* rules §5's scope over a group's members (planted schools have 10-digit
 * codes and 6-digit county codes). */
static const char *ty_scope(const ty_plan *pl, const ty_group *g)
{
    const gen_ctx *const ctx = pl->ctx;
    const gen_person *const p0 = &pl->rec[g->member[0]].p;
    int school = 1, county = 1, city = 1, prov = 1;
    for (uint32_t i = 1; i < g->n; i++) {
        const gen_person *const p = &pl->rec[g->member[i]].p;
        if (memcmp(ty_school(ctx, p), ty_school(ctx, p0), 10) != 0) school = 0;
        if (memcmp(ty_countyOf(ctx, p), ty_countyOf(ctx, p0), 6) != 0) county = 0;
        if (memcmp(ty_countyOf(ctx, p), ty_countyOf(ctx, p0), 4) != 0) city = 0;
        if (memcmp(ty_school(ctx, p) + 2, ty_school(ctx, p0) + 2, 2) != 0) prov = 0;
    }
    return school ? "school" : county ? "county" : city ? "city" : prov ? "province" : "national";
}

static void ty_date(char out[11], uint32_t ymd)
{
    gen_putDigits(out, ymd / 10000, 4);
    out[4] = '-';
    gen_putDigits(out + 5, ymd / 100 % 100, 2);
    out[7] = '-';
    gen_putDigits(out + 8, ymd % 100, 2);
    out[10] = '\0';
}

static void ty_jsonRecord(FILE *f, const ty_plan *pl, uint32_t r, uint32_t ordinal)
{
    const ty_rec *const e = &pl->rec[r];
    const ty_inst *const it = &pl->inst[e->inst];
    const gen_person *const p = &e->p;
    char name[sizeof p->name + 1], birth[9];
    ty_normName(p, name, sizeof name);
    gen_putDate8(birth, p->birth);
    birth[8] = '\0';
    fprintf(f, "{\"record\": %u, \"kind\": \"%s\", \"instance\": %u, \"role\": \"%c\", \"student_no\": \"%.19s\", "
               "\"school_code\": \"%.10s\", \"county_code\": \"%.6s\", \"id_type\": \"%c\", \"id\": \"%.18s\", "
               "\"name\": \"%s\", \"sex\": \"%u\", \"birth_date\": \"%s\", \"id_invalid\": \"%s\"}",
            ordinal, pl->kinds[it->kind].name, it->number, e->role, p->sno, ty_school(pl->ctx, p),
            ty_countyOf(pl->ctx, p), p->id_type, p->id, name, p->sex, birth, ty_reason(pl->ctx, p));
}

static int ty_writeTruth(const ty_plan *pl, const char *path, const uint32_t *ordinal, uint32_t n_live)
{
    FILE *const f = fopen(path, "w");
    if (f == NULL) return -1;
    const gen_ctx *const ctx = pl->ctx;
    char d[11];
    ty_date(d, ctx->o.run_date);
    const char *const slash = strrchr(ctx->o.out, '/');
    fprintf(f, "{\n  \"generator\": \"xjdedup gen --suspects\",\n  \"rows\": %llu,\n  \"seed\": %llu,\n"
               "  \"run_date\": \"%s\",\n  \"suspects\": %u,\n  \"input\": \"%s\",\n  \"appended_rows\": %u,\n"
               "  \"kinds\": [",
            (unsigned long long)ctx->o.rows, (unsigned long long)ctx->o.seed, d, pl->per_kind,
            slash ? slash + 1 : ctx->o.out, n_live);
    for (uint32_t k = 0; k < pl->n_kinds; k++)
        fprintf(f, "%s\n    {\"kind\": \"%s\", \"negative\": %s}", k ? "," : "", pl->kinds[k].name,
                pl->kinds[k].what >= TY_FIRST_NEGATIVE ? "true" : "false");
    fputs("\n  ],\n  \"records\": [", f);
    int first = 1;
    for (uint32_t r = 0; r < pl->n_rec; r++) {
        if (pl->inst[pl->rec[r].inst].dead) continue;
        fputs(first ? "\n    " : ",\n    ", f);
        ty_jsonRecord(f, pl, r, ordinal[r]);
        first = 0;
    }
    fputs("\n  ],\n  \"groups\": [", f);
    first = 1;
    for (size_t g = 0; g < pl->n_grp; g++) {
        const ty_group *const gr = &pl->grp[g];
        const ty_inst *const it = &pl->inst[gr->inst];
        if (it->dead) continue;
        const char *const key = pl->rec[gr->key_rec].p.id;
        char buf[40], gid[17];
        memcpy(buf, "suspect_duplicate", 18); /* with its NUL */
        memcpy(buf + 18, key, 18);
        snprintf(gid, sizeof gid, "%016llx", (unsigned long long)XXH3_64bits(buf, 36));
        const char *const scope = ty_scope(pl, gr);
        fprintf(f, "%s\n    {\"kind\": \"%s\", \"instance\": %u, \"key\": \"%.18s\", \"group_id\": \"%s\", "
                   "\"group_size\": %u, \"scope\": \"%s\", \"arbiter\": \"%s\", \"members\": [",
                first ? "" : ",", pl->kinds[it->kind].name, it->number, key, gid, gr->n, scope,
                strcmp(scope, "national") == 0 ? "ministry" : scope);
        for (uint32_t i = 0; i < gr->n; i++) {
            const ty_rec *const m = &pl->rec[gr->member[i]];
            int const a = m->role == 'A';
            fprintf(f, "%s{\"record\": %u, \"member\": \"%.19s@%.10s\", \"role\": \"%c\", \"reason\": \"%s\", "
                       "\"hint\": \"%s\"}",
                    i ? ", " : "", ordinal[gr->member[i]], m->p.sno, ty_school(ctx, &m->p), m->role,
                    a ? "id_typo" : "", a ? "correct_id" : "keep");
        }
        fputs("]}", f);
        first = 0;
    }
    fputs("\n  ],\n  \"slips\": [", f);
    first = 1;
    for (size_t s = 0; s < pl->n_slip; s++) {
        const ty_slip *const sl = &pl->slip[s];
        const ty_inst *const it = &pl->inst[pl->rec[sl->a].inst];
        if (it->dead) continue;
        fprintf(f, "%s\n    {\"kind\": \"%s\", \"instance\": %u, \"a\": %u, \"b\": %u, \"op\": \"%s\", \"position\": %u}",
                first ? "" : ",", pl->kinds[it->kind].name, it->number, ordinal[sl->a], ordinal[sl->b],
                sl->op == TY_OP_SUB ? "substitution" : "swap", sl->pos);
        first = 0;
    }
    fputs("\n  ],\n  \"negatives\": [", f);
    first = 1;
    for (size_t i = 0; i < pl->n_inst; i++) {
        const ty_inst *const it = &pl->inst[i];
        if (it->dead || pl->kinds[it->kind].what < TY_FIRST_NEGATIVE) continue;
        fprintf(f, "%s\n    {\"kind\": \"%s\", \"instance\": %u, \"records\": [", first ? "" : ",",
                pl->kinds[it->kind].name, it->number);
        for (uint32_t r = it->rec0; r < it->rec1; r++) fprintf(f, "%s%u", r > it->rec0 ? ", " : "", ordinal[r]);
        fputs("]}", f);
        first = 0;
    }
    fputs("\n  ]\n}\n", f);
    int const bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* ------------------------------------------------------------ driver */

int gen_runSuspects(gen_ctx *ctx)
{
    ty_plan *const pl = malloc(sizeof *pl);
    if (pl == NULL || ty_planInit(pl, ctx, ctx->o.suspects) != 0) {
        fputs("xjdedup gen: out of memory\n", stderr);
        free(pl);
        return EXIT_IO;
    }
    int rc = EXIT_OK;
    uint32_t *ordinal = NULL;
    gen_person *extra = NULL;
    int const planned = ty_planAll(pl);
    if (planned != 0) {
        fputs(planned == -1 ? "xjdedup gen: out of memory\n"
                            : "xjdedup gen: could not plant the typing slips apart from the population"
                              " (raise --rows or lower --suspects)\n", stderr);
        rc = planned == -1 ? EXIT_IO : EXIT_USAGE;
        goto done;
    }
    ordinal = malloc((pl->n_rec + 1) * sizeof *ordinal);
    extra = malloc((pl->n_rec + 1) * sizeof *extra);
    if (ordinal == NULL || extra == NULL) { fputs("xjdedup gen: out of memory\n", stderr); rc = EXIT_IO; goto done; }
    uint32_t n_live = 0;
    for (uint32_t r = 0; r < pl->n_rec; r++) {
        ordinal[r] = UINT32_MAX;
        if (pl->inst[pl->rec[r].inst].dead) continue;
        ordinal[r] = n_live;
        extra[n_live++] = pl->rec[r].p;
    }
    gen_monthView const v = { NULL, 0, NULL, NULL, 0, extra, n_live };
    ctx->month = &v;
    rc = gen_run(ctx);
    ctx->month = NULL;
    if (rc == EXIT_OK) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s.suspects.json", ctx->o.out) >= sizeof path) errno = ENAMETOOLONG;
        else if (ty_writeTruth(pl, path, ordinal, n_live) == 0) goto done;
        fprintf(stderr, "xjdedup gen: cannot write %s.suspects.json: %s\n", ctx->o.out, strerror(errno));
        rc = EXIT_IO;
    }
done:
    free(ordinal);
    free(extra);
    ty_planFree(pl);
    free(pl);
    return rc;
}
