/*
 * gen_truth — what the generator injected, for tests and benchmarks.
 *
 * A second pass over the row indices (no output text): each row's role is one
 * hash; the few injected rows are made again with gen_makeRow, which is pure,
 * so the truth always describes exactly the rows written. Rows repeating the
 * same root join one group (several transfers of one student form a group of
 * three or more). Rows are collected per chunk in parallel and concatenated
 * in chunk order, so the file does not depend on the thread count either.
 *
 * Format (CSV, UTF-8, LF, documented in docs/generator.md):
 *   record,problem,reason,group,group_size,scope,line,student_no,school_code,county_code,kind
 * `member` rows list every member of an injected group (the root included,
 * kind `root`), `invalid` rows every record given an invalid ID with its
 * intended reason, `malformed` rows every row with a wrong field count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "gen.h"

enum { TR_NONE = 0, TR_ID = 1, TR_ATTR = 2 };

typedef struct tr_ent {
    uint64_t row;             /* the record */
    uint64_t root;            /* the row it repeats (== row for roots) */
    uint32_t school;          /* index into ctx->schools */
    uint8_t kind;             /* enum gen_kind; GEN_KIND_NONE for a root */
    uint8_t reason;           /* xj_idReason when injected invalid */
    uint8_t problem;          /* TR_ID / TR_ATTR for group members */
    uint8_t has_id;           /* a non-empty ID number (mixed members) */
    uint8_t malformed;        /* 1 missing field, 2 extra field */
    char sno[19];             /* student number as written */
} tr_ent;

typedef struct tr_vec {
    tr_ent *v;                /* entries */
    size_t n;                 /* used */
    size_t cap;               /* allocated */
} tr_vec;

static int tr_push(tr_vec *a, const tr_ent *e)
{
    if (a->n == a->cap) {
        size_t const cap = a->cap ? a->cap * 2 : 256;
        tr_ent *const v = realloc(a->v, cap * sizeof *v);
        if (v == NULL) return -1;
        a->v = v; a->cap = cap;
    }
    a->v[a->n++] = *e;
    return 0;
}

const char *gen_reasonName(uint8_t r)
{
    switch (r) {
    case XJ_ID_MISSING: return "missing";
    case XJ_ID_FORMAT: return "format";
    case XJ_ID_LEGACY15: return "legacy15";
    case XJ_ID_REGION: return "region";
    case XJ_ID_REGION_UNKNOWN: return "region_unknown";
    case XJ_ID_BIRTHDATE: return "birthdate";
    case XJ_ID_CHECKSUM: return "checksum";
    case XJ_ID_BIRTHDATE_MISMATCH: return "birthdate_mismatch";
    case XJ_ID_SEX_MISMATCH: return "sex_mismatch";
    default: return "";
    }
}

static const char *const KIND_NAMES[GEN_KIND_COUNT] = {
    "root", "transfer", "typed", "import", "multi", "attr", "mixed", "invalid", "other", "malformed",
};

static void tr_fromPerson(const gen_person *p, tr_ent *e)
{
    memset(e, 0, sizeof *e);
    e->row = p->row; e->root = p->root; e->school = p->loc.school;
    e->kind = p->kind; e->reason = p->reason; e->has_id = p->id_len > 0;
    e->malformed = p->malformed;
    memcpy(e->sno, p->sno, 19);
    if (p->kind >= GEN_KIND_TRANSFER && p->kind <= GEN_KIND_MULTI) e->problem = TR_ID;
    else if (p->kind == GEN_KIND_ATTR || p->kind == GEN_KIND_MIXED) e->problem = TR_ATTR;
}

static int tr_cmpGroup(const void *a, const void *b)
{
    const tr_ent *const x = a, *const y = b;
    if (x->problem != y->problem) return x->problem < y->problem ? -1 : 1;
    if (x->root != y->root) return x->root < y->root ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static const char *tr_scope(const gen_ctx *ctx, const tr_ent *m, size_t n)
{
    const gen_school *const s0 = &ctx->schools[m[0].school];
    const char *const k0 = ctx->counties[s0->county].code;
    int school = 1, county = 1, city = 1, prov = 1;
    for (size_t i = 1; i < n; i++) {
        const gen_school *const s = &ctx->schools[m[i].school];
        const char *const k = ctx->counties[s->county].code;
        if (m[i].school != m[0].school && memcmp(s->code, s0->code, 10) != 0) school = 0;
        if (memcmp(k, k0, 6) != 0) county = 0;
        if (memcmp(k, k0, 4) != 0) city = 0;
        if (memcmp(s->code + 2, s0->code + 2, 2) != 0) prov = 0;
    }
    return school ? "school" : county ? "county" : city ? "city" : prov ? "province" : "national";
}

static void tr_line(FILE *f, const gen_ctx *ctx, const char *record, const char *problem,
                    const char *reason, uint64_t group, size_t size, const char *scope,
                    const tr_ent *e, const char *kind)
{
    const gen_school *const s = &ctx->schools[e->school];
    fprintf(f, "%s,%s,%s,", record, problem, reason);
    if (group) fprintf(f, "%llu,%zu,%s,", (unsigned long long)group, size, scope);
    else fputs(",,,", f);
    fprintf(f, "%llu,%.19s,%.10s,%.6s,%s\n", (unsigned long long)gen_lineOf(ctx, e->row, e->school),
            e->sno, s->code, ctx->counties[s->county].code, kind);
}

int gen_writeTruth(const gen_ctx *ctx, const char *path)
{
    uint64_t const N = ctx->o.rows, CH = 1u << 20;
    uint64_t const nch = (N + CH - 1) / CH;
    tr_vec *const parts = calloc(nch ? nch : 1, sizeof *parts);
    if (parts == NULL) return -1;
    int fail = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx->o.threads) reduction(| : fail)
#endif
    for (uint64_t c = 0; c < nch; c++) {
        uint64_t const end = (c + 1) * CH < N ? (c + 1) * CH : N;
        for (uint64_t i = c * CH; i < end; i++) {
            uint8_t const role = gen_roleOf(ctx, i);
            if (role == GEN_ROLE_PLAIN || role == GEN_ROLE_NOID) continue;
            gen_loc loc;
            gen_person p;
            gen_locate(ctx, i, &loc);
            gen_makeRow(ctx, i, &loc, &p);
            if (p.kind == GEN_KIND_NONE || (p.kind == GEN_KIND_OTHER && p.reason == 0)) continue;
            tr_ent e;
            tr_fromPerson(&p, &e);
            fail |= tr_push(&parts[c], &e) != 0;
        }
    }
    tr_vec all = { 0 }, groups = { 0 };
    for (uint64_t c = 0; c < nch && !fail; c++)
        for (size_t i = 0; i < parts[c].n && !fail; i++) {
            fail |= tr_push(&all, &parts[c].v[i]) != 0;
            if (parts[c].v[i].problem != TR_NONE) fail |= tr_push(&groups, &parts[c].v[i]) != 0;
        }
    for (uint64_t c = 0; c < nch; c++) free(parts[c].v);
    free(parts);

    /* add each group's root once, then sort members by (problem, root, row) */
    size_t const members = groups.n;
    if (!fail && members > 0) {
        tr_ent *const copy = malloc(members * sizeof *copy);
        if (copy == NULL) fail = 1;
        else {
            memcpy(copy, groups.v, members * sizeof *copy);
            qsort(copy, members, sizeof *copy, tr_cmpGroup);
            for (size_t i = 0; i < members && !fail; i++) {
                if (i > 0 && copy[i].root == copy[i - 1].root && copy[i].problem == copy[i - 1].problem) continue;
                gen_loc loc;
                gen_person q;
                gen_locate(ctx, copy[i].root, &loc);
                gen_makeRow(ctx, copy[i].root, &loc, &q);
                tr_ent e;
                tr_fromPerson(&q, &e);
                e.problem = copy[i].problem;
                e.kind = GEN_KIND_NONE;
                fail |= tr_push(&groups, &e) != 0;
            }
            free(copy);
        }
    }
    if (!fail && groups.n > 1) qsort(groups.v, groups.n, sizeof *groups.v, tr_cmpGroup);

    FILE *const f = fail ? NULL : fopen(path, "w");
    if (f != NULL) {
        fputs("record,problem,reason,group,group_size,scope,line,student_no,school_code,county_code,kind\n", f);
        uint64_t gno = 0;
        for (size_t i = 0; i < groups.n;) {
            size_t j = i + 1;
            while (j < groups.n && groups.v[j].root == groups.v[i].root && groups.v[j].problem == groups.v[i].problem) j++;
            const char *const scope = tr_scope(ctx, groups.v + i, j - i);
            gno++;
            for (size_t m = i; m < j; m++) {
                const tr_ent *const e = &groups.v[m];
                int const attr = e->problem == TR_ATTR;
                tr_line(f, ctx, "member", attr ? "attr_duplicate" : "id_duplicate",
                        attr && e->has_id ? "mixed" : "", gno, j - i, scope, e, KIND_NAMES[e->kind]);
            }
            i = j;
        }
        for (size_t i = 0; i < all.n; i++)
            if (all.v[i].reason != 0)
                tr_line(f, ctx, "invalid", "id_invalid", gen_reasonName(all.v[i].reason), 0, 0, "",
                        &all.v[i], KIND_NAMES[all.v[i].kind]);
        for (size_t i = 0; i < all.n; i++)
            if (all.v[i].kind == GEN_KIND_MALFORMED)
                tr_line(f, ctx, "malformed", "", "field_count", 0, 0, "", &all.v[i],
                        all.v[i].malformed == 1 ? "missing_field" : "extra_field");
        if (ferror(f)) fail = 1;
        if (fclose(f) != 0) fail = 1;
    } else {
        fail = 1;
    }
    free(all.v);
    free(groups.v);
    return fail ? -1 : 0;
}
