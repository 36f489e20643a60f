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
 * (usually a small share of the rows), one radix sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "grp_keys.h"
#include "xj_alloc.h"

/* One row of a cross-school group, keyed by its office and group: three
 * words for the groups' radix sort (gk_sortEntries), the first two the key
 * — (scope, office, problem) packed, then the group id — and the last the
 * row's place in problems.csv order, which orders a group's rows. A
 * comparison sort of these keys (qsort) was most of a serial half second
 * before the files were written, at 2.5M rows. */
enum { EM_OFFICE_KEY_WORDS = 3 };

static void em_officeKey(uint64_t *key, const pb_row *row, size_t position)
{
    key[0] = (uint64_t)row->arbiter << 48 | (uint64_t)row->office << 8 | row->problem;
    key[1] = row->group_id;
    key[2] = position;
}

static pb_scope em_keyScope(const uint64_t *key)
{
    return (pb_scope)(key[0] >> 48);
}

static uint32_t em_keyOffice(const uint64_t *key)
{
    return (uint32_t)(key[0] >> 8);
}

static int em_sameOffice(const uint64_t *a, const uint64_t *b)
{
    return em_keyScope(a) == em_keyScope(b) && em_keyOffice(a) == em_keyOffice(b);
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
    size_t const words = EM_OFFICE_KEY_WORDS;
    uint64_t *const keys = n <= SIZE_MAX / words ? xj_mallocArray(n * words, sizeof *keys) : NULL;
    out->rows = xj_mallocArray(n, sizeof *out->rows);
    if (keys == NULL || out->rows == NULL) {
        xj_free(keys);
        em_officesFree(out);
        return st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory listing the offices' rows");
    }
    size_t k = 0;
    for (size_t i = 0; i < run->n_rows; i++)
        if (em_decidedByOffice(&run->rows[i])) em_officeKey(keys + k++ * words, &run->rows[i], i);
    size_t files = 0;
    int const sorted = gk_sortEntries(keys, n, words) == 0;
    for (size_t i = 0; sorted && i < n; i++) {
        out->rows[i] = &run->rows[keys[i * words + 2]];
        files += i == 0 || !em_sameOffice(keys + i * words, keys + (i - 1) * words);
    }
    out->v = sorted ? xj_calloc(files, sizeof *out->v) : NULL;
    if (out->v == NULL) {
        xj_free(keys);
        em_officesFree(out);
        return st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory listing the offices' rows");
    }
    for (size_t i = 0; i < n; i++) {
        const uint64_t *const key = keys + i * words;
        if (i > 0 && em_sameOffice(key, key - words)) {
            out->v[out->n - 1].n++;
            continue;
        }
        em_office *const o = &out->v[out->n++];
        o->scope = em_keyScope(key);
        o->office = em_keyOffice(key);
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
