/*
 * em_arbiters — the work lists of the offices that decide cross-school
 * groups (arbiters/, rules §6): which rows go to which office's file.
 *
 * A group whose members are in more than one school is decided by the
 * office its arbiter names (rules §5; for two approved ID records, the
 * arbiter of their own scope, docs/monthly.md §5): a county's, a city's or
 * a province's education office, or the ministry. That office gets every row of the
 * group — the records of all its schools, so it sees both sides — in
 * arbiters/<arbiter>/<region code>.csv, the code being the one grp_decide
 * put in pb_row.office (county 6 digits, city ccdd00, province pp0000) and
 * "national" for the ministry. A file holds its groups by problem and group
 * id, each group's rows in problems.csv order.
 *
 * The files themselves are written with the school files, by the same
 * workers and in the same way (em_problems.c); here the rows are only
 * picked and ordered. Cost: one 24-byte key per row of a cross-school group
 * (usually a small share of the rows), one sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_alloc.h"

/* One row of a cross-school group, keyed by its office and group. */
typedef struct em_officeKey {
    uint64_t group_id;
    uint32_t office;
    uint32_t position;   /* its place in problems.csv order */
    uint8_t scope;
    uint8_t problem;
} em_officeKey;

static int em_cmpOfficeKey(const void *pa, const void *pb)
{
    const em_officeKey *const a = pa, *const b = pb;
    if (a->scope != b->scope) return a->scope < b->scope ? -1 : 1;
    if (a->office != b->office) return a->office < b->office ? -1 : 1;
    if (a->problem != b->problem) return a->problem < b->problem ? -1 : 1;
    if (a->group_id != b->group_id) return a->group_id < b->group_id ? -1 : 1;
    return a->position < b->position ? -1 : a->position > b->position;
}

static int em_decidedByOffice(const pb_row *row)
{
    return row->problem != PB_ID_INVALID && row->arbiter != PB_SCOPE_SCHOOL && row->arbiter < PB_SCOPE_COUNT;
}

const char *em_officeDir(pb_scope scope)
{
    static char const *const kDir[PB_SCOPE_COUNT] = {NULL, "arbiters/county", "arbiters/city", "arbiters/province",
                                                     "arbiters/ministry"};
    return scope > PB_SCOPE_SCHOOL && scope < PB_SCOPE_COUNT ? kDir[scope] : NULL;
}

/* "arbiters/county/320102.csv"; the code is a number we made, never input. */
static void em_officePath(pb_scope scope, uint32_t office, char *rel, size_t cap)
{
    if (scope == PB_SCOPE_NATIONAL) snprintf(rel, cap, "%s/national.csv", em_officeDir(scope));
    else snprintf(rel, cap, "%s/%06u.csv", em_officeDir(scope), office % 1000000u);
}

xj_error em_officesOf(em_ctx *ctx, em_offices *out)
{
    const em_run *const run = ctx->run;
    memset(out, 0, sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < run->n_rows; i++) n += (size_t)em_decidedByOffice(&run->rows[i]);
    if (n == 0) return XJ_OK;
    em_officeKey *const keys = xj_mallocArray(n, sizeof *keys);
    out->rows = xj_mallocArray(n, sizeof *out->rows);
    if (keys == NULL || out->rows == NULL) {
        xj_free(keys);
        em_officesFree(out);
        return st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory listing the offices' rows");
    }
    size_t k = 0;
    for (size_t i = 0; i < run->n_rows; i++) {
        const pb_row *const row = &run->rows[i];
        if (!em_decidedByOffice(row)) continue;
        keys[k++] = (em_officeKey){row->group_id, row->office, (uint32_t)i, row->arbiter, row->problem};
    }
    qsort(keys, n, sizeof *keys, em_cmpOfficeKey);
    size_t files = 0;
    for (size_t i = 0; i < n; i++) {
        out->rows[i] = &run->rows[keys[i].position];
        files += i == 0 || keys[i].scope != keys[i - 1].scope || keys[i].office != keys[i - 1].office;
    }
    out->v = xj_calloc(files, sizeof *out->v);
    if (out->v == NULL) {
        xj_free(keys);
        em_officesFree(out);
        return st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory listing the offices' rows");
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && keys[i].scope == keys[i - 1].scope && keys[i].office == keys[i - 1].office) {
            out->v[out->n - 1].n++;
            continue;
        }
        em_office *const o = &out->v[out->n++];
        o->scope = (pb_scope)keys[i].scope;
        o->office = keys[i].office;
        em_officePath(o->scope, o->office, o->rel, sizeof o->rel);
        o->rows = out->rows + i;
        o->n = 1;
    }
    xj_free(keys);
    return XJ_OK;
}

xj_error em_officesMakeDirs(em_ctx *ctx, const em_offices *o)
{
    if (o->n == 0) return XJ_OK;
    FORWARD_IF_ERROR(em_mkdir(ctx, "arbiters"));
    for (size_t i = 0; i < o->n; i++)
        if (i == 0 || o->v[i].scope != o->v[i - 1].scope) FORWARD_IF_ERROR(em_mkdir(ctx, em_officeDir(o->v[i].scope)));
    return XJ_OK;
}

void em_officesFree(em_offices *o)
{
    xj_free(o->v);
    xj_free(o->rows);
    memset(o, 0, sizeof *o);
}
