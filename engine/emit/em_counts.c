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
#include "xj_clock.h"

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

/* The group ids seen of one problem: open addressing on a seeded hash
 * (the ids come from the input's keys, and a fixed hash would let chosen
 * ids crowd one run of slots; the seed never shows in the counts). 0 marks
 * an empty slot, so the id 0 is remembered apart. */
typedef struct em_groupSet {
    uint64_t *slots;
    size_t mask;
    int zero_seen;
} em_groupSet;

/* Whether `id` is new to the set (and now in it). */
static int em_groupSetAdd(em_groupSet *set, uint64_t id, uint64_t seed)
{
    if (id == 0) {
        int const fresh = !set->zero_seen;
        set->zero_seen = 1;
        return fresh;
    }
    size_t k = (size_t)XXH3_64bits_withSeed(&id, sizeof id, seed) & set->mask;
    while (set->slots[k] != 0 && set->slots[k] != id) k = (k + 1) & set->mask;
    if (set->slots[k] == id) return 0;
    set->slots[k] = id;
    return 1;
}

/* Distinct groups among the rows that have one (not id_invalid), counted
 * per problem and per (problem, the group's scope) into groups[] and
 * scopes[][] (added to). Sets instead of sorting the rows' keys, as this
 * did before: at 2.5M rows (a 200M-row scan) that sort was most of a
 * second of one core near the end of the run, with the other core idle.
 * One set per problem, 8 bytes a slot, sized from its rows: the tables
 * are fresh memory, which costs here (bench/notes-issue20.md). */
static xj_error em_countGroups(const pb_row *rows, size_t n, uint64_t groups[PB_PROBLEM_COUNT],
                               uint64_t scopes[PB_PROBLEM_COUNT][PB_SCOPE_COUNT])
{
    size_t per[PB_PROBLEM_COUNT] = {0};
    for (size_t i = 0; i < n; i++) per[rows[i].problem < PB_PROBLEM_COUNT ? rows[i].problem : PB_ID_INVALID]++;
    em_groupSet sets[PB_PROBLEM_COUNT] = {{0}};
    xj_error err = XJ_OK;
    for (int q = 0; q < PB_PROBLEM_COUNT && !err; q++) {
        if (q == PB_ID_INVALID || per[q] == 0) continue;
        size_t cap = 16;
        while (cap < 2 * per[q]) cap *= 2;
        sets[q].slots = xj_callocTable(cap, sizeof *sets[q].slots);
        sets[q].mask = cap - 1;
        if (sets[q].slots == NULL) err = XJ_ERR_NOMEM;
    }
    uint64_t const seed = xj_random();
    for (size_t i = 0; i < n && !err; i++) {
        const pb_row *const r = &rows[i];
        if (r->problem >= PB_PROBLEM_COUNT || r->problem == PB_ID_INVALID ||
            !em_groupSetAdd(&sets[r->problem], r->group_id, seed))
            continue;
        groups[r->problem]++;
        scopes[r->problem][r->scope < PB_SCOPE_COUNT ? r->scope : 0]++;
    }
    for (int q = 0; q < PB_PROBLEM_COUNT; q++) xj_free(sets[q].slots);
    return err;
}

/* docs/monthly.md §7: attested rows and groups, decisions lines, and the
 * resolved identities em_previous counted. */
static xj_error em_countMonthly(const em_run *run, const em_trend *trend, em_counts *c)
{
    for (size_t i = 0; i < run->n_attested; i++) {
        const pb_row *const r = &run->attested[i];
        c->monthly[em_provinceIndex(r->school, r->school_len)][r->problem][EM_MONTHLY_ATTESTED]++;
    }
    uint64_t groups[PB_PROBLEM_COUNT] = {0}, scopes[PB_PROBLEM_COUNT][PB_SCOPE_COUNT] = {{0}};
    FORWARD_IF_ERROR(em_countGroups(run->attested, run->n_attested, groups, scopes));
    for (int q = 0; q < PB_PROBLEM_COUNT; q++) c->attested_groups += groups[q];
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

/* The counts of rows: per problem, reason, province and status, and the
 * schools. */
static void em_countEachRow(const em_run *run, em_counts *c)
{
    for (size_t i = 0; i < run->n_rows; i++) {
        const pb_row *const r = &run->rows[i];
        em_prefetchSchoolAhead(run, i);
        int const prov = em_provinceIndex(r->school, r->school_len);
        c->records[r->problem]++;
        c->reasons[r->problem][r->reason]++;
        c->provinces[prov][r->problem]++;
        c->monthly[prov][r->problem][r->status < PB_STATUS_COUNT ? r->status : PB_STATUS_NEW]++;
        /* rows are sorted by school (em_writeProblems), so schools are runs */
        c->schools += i == 0 || !em_sameSchool(r, &run->rows[i - 1]);
    }
}

xj_error em_countRows(const em_run *run, const em_trend *trend, em_counts *c)
{
    memset(c, 0, sizeof *c);
    /* two passes over the rows, each a few tenths of a second of one core
     * at 2.5M rows, and between them the run waits: side by side. They
     * write different members of *c. */
    xj_error err = XJ_OK;
    int const threads = run->threads > 1 ? 2 : 1;
    (void)threads; /* without OpenMP the sections run one after the other */
#pragma omp parallel sections num_threads(threads)
    {
#pragma omp section
        err = em_countGroups(run->rows, run->n_rows, c->groups, c->scopes);
#pragma omp section
        em_countEachRow(run, c);
    }
    FORWARD_IF_ERROR(err);
    return em_countMonthly(run, trend, c);
}
