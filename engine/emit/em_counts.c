/*
 * em_counts — what summary.json and report.html count, computed once from
 * the rows themselves (records, distinct groups, reasons, scopes per group,
 * provinces, schools; the monthly cycle's rows by status, attested rows and
 * groups, decisions lines), so neither can disagree with problems.csv,
 * attested.csv, decisions.csv or with the other. The one count the rows
 * cannot give, the identities resolved since --previous, em_previous makes
 * while it compares (em_trend) and is copied in here.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_alloc.h"

_Static_assert(EM_MONTHLY_NEW == 0 && EM_MONTHLY_REOPENED + 1 == EM_MONTHLY_RESOLVED,
               "a row's pb_status indexes em_counts.monthly directly");

const char *em_monthlyCode(em_monthlyCount k)
{
    if (k < EM_MONTHLY_RESOLVED) return pb_statusCode((pb_status)k);
    return k == EM_MONTHLY_RESOLVED ? "resolved" : k == EM_MONTHLY_ATTESTED ? "attested" : "";
}

const char *em_monthlyZh(em_monthlyCount k)
{
    if (k < EM_MONTHLY_RESOLVED) return pb_statusZh((pb_status)k);
    return k == EM_MONTHLY_RESOLVED ? "已解决" : k == EM_MONTHLY_ATTESTED ? "已佐证" : "";
}

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

/* The group keys of the rows that have a group (not id_invalid), sorted:
 * a group's rows are then one run. *out is NULL on XJ_ERR_NOMEM. */
static xj_error em_sortedGroupKeys(const pb_row *rows, size_t n, em_groupKey **out, size_t *n_out)
{
    em_groupKey *const keys = xj_mallocArray(n ? n : 1, sizeof *keys);
    *out = keys;
    *n_out = 0;
    if (keys == NULL) return XJ_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].problem != PB_ID_INVALID) keys[k++] = (em_groupKey){rows[i].group_id, rows[i].problem, rows[i].scope};
    if (k > 0) qsort(keys, k, sizeof *keys, em_cmpGroupKey);
    *n_out = k;
    return XJ_OK;
}

static int em_sameGroup(const em_groupKey *a, const em_groupKey *b)
{
    return a->id == b->id && a->problem == b->problem;
}

/* docs/monthly.md §7: attested rows and groups, decisions lines, and the
 * resolved identities em_previous counted. */
static xj_error em_countMonthly(const em_run *run, const em_trend *trend, em_counts *c)
{
    for (size_t i = 0; i < run->n_attested; i++) {
        const pb_row *const r = &run->attested[i];
        c->monthly[em_provinceIndex(r->school, r->school_len)][r->problem][EM_MONTHLY_ATTESTED]++;
    }
    em_groupKey *keys;
    size_t k;
    FORWARD_IF_ERROR(em_sortedGroupKeys(run->attested, run->n_attested, &keys, &k));
    for (size_t i = 0; i < k; i++) c->attested_groups += i == 0 || !em_sameGroup(&keys[i], &keys[i - 1]);
    xj_free(keys);
    for (size_t i = 0; i < run->n_decisions; i++) {
        const em_decision *const d = &run->decisions[i];
        if (!d->in_effect) continue; /* overridden by a later line for the same member */
        c->decisions_in_effect++;
        c->decisions_matched += d->matched;
        c->decisions_unmatched += !d->matched;
        c->approved_members += d->matched && d->approved; /* one line in effect per member */
    }
    if (trend) {
        for (int p = 0; p < EM_PROVINCES; p++)
            for (int q = 0; q < PB_PROBLEM_COUNT; q++) c->monthly[p][q][EM_MONTHLY_RESOLVED] = trend->resolved[p][q];
        c->previous_run_date = trend->run_date;
    }
    return XJ_OK;
}

xj_error em_countRows(const em_run *run, const em_trend *trend, em_counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < run->n_rows; i++) {
        const pb_row *const r = &run->rows[i];
        int const prov = em_provinceIndex(r->school, r->school_len);
        c->records[r->problem]++;
        c->reasons[r->problem][r->reason]++;
        c->provinces[prov][r->problem]++;
        c->monthly[prov][r->problem][r->status < PB_STATUS_COUNT ? r->status : PB_STATUS_NEW]++;
        /* rows are sorted by school (em_writeProblems), so schools are runs */
        c->schools += i == 0 || !em_sameSchoolCode(r, &run->rows[i - 1]);
    }
    em_groupKey *keys;
    size_t k;
    FORWARD_IF_ERROR(em_sortedGroupKeys(run->rows, run->n_rows, &keys, &k));
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && em_sameGroup(&keys[i], &keys[i - 1])) continue;
        c->groups[keys[i].problem]++;
        c->scopes[keys[i].problem][keys[i].scope < PB_SCOPE_COUNT ? keys[i].scope : 0]++;
    }
    xj_free(keys);
    return em_countMonthly(run, trend, c);
}
