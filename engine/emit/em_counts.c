/*
 * em_counts — what summary.json and report.html count, computed once from
 * the rows themselves (records, distinct groups, reasons, scopes per group,
 * provinces, schools), so neither can disagree with problems.csv or with
 * the other.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_alloc.h"

typedef struct em_groupKey {
    uint64_t id;       /* group id */
    uint8_t problem;   /* pb_problem */
    uint8_t scope;     /* pb_scope of the group */
} em_groupKey;

static int em_cmpGroupKey(const void *pa, const void *pb)
{
    const em_groupKey *const a = pa, *const b = pb;
    if (a->problem != b->problem) return a->problem < b->problem ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int em_sameSchoolCode(const pb_row *a, const pb_row *b)
{
    return a->school_len == b->school_len && memcmp(a->school, b->school, a->school_len) == 0;
}

xj_error em_countRows(const em_run *run, em_counts *c)
{
    memset(c, 0, sizeof *c);
    size_t n_grouped = 0;
    for (size_t i = 0; i < run->n_rows; i++) {
        const pb_row *const r = &run->rows[i];
        c->records[r->problem]++;
        c->reasons[r->problem][r->reason]++;
        c->provinces[em_provinceIndex(r->school, r->school_len)][r->problem]++;
        n_grouped += r->problem != PB_ID_INVALID;
        /* rows are sorted by school (em_writeProblems), so schools are runs */
        c->schools += i == 0 || !em_sameSchoolCode(r, &run->rows[i - 1]);
    }
    em_groupKey *const keys = xj_mallocArray(n_grouped ? n_grouped : 1, sizeof *keys);
    if (keys == NULL) return XJ_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < run->n_rows; i++) {
        const pb_row *const r = &run->rows[i];
        if (r->problem != PB_ID_INVALID) keys[k++] = (em_groupKey){r->group_id, r->problem, r->scope};
    }
    qsort(keys, k, sizeof *keys, em_cmpGroupKey);
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && keys[i].id == keys[i - 1].id && keys[i].problem == keys[i - 1].problem) continue;
        c->groups[keys[i].problem]++;
        c->scopes[keys[i].problem][keys[i].scope < PB_SCOPE_COUNT ? keys[i].scope : 0]++;
    }
    xj_free(keys);
    return XJ_OK;
}
