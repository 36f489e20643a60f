/*
 * scan_decide — groups and gathered records in, rows out (sc_rows): every
 * group decided by grp_decide (scope, keeper, hint, other_schools), every
 * invalid ID made a row; a batch check then keeps only its batch's rows,
 * each with its register_matches cell (scan_against.c).
 *
 * Rows come group by group, in group order, then the invalid IDs worker by
 * worker; emit sorts them, so their order here never reaches a file.
 * Cost: one row per (record, problem); the strings they add go to one
 * arena per worker.
 */
#include <string.h>

#include "ix_index.h"
#include "grp_suspects.h"
#include "scan_internal.h"
#include "xj_alloc.h"

static xj_error sc_invalidRows(sc_run *run, const gr_index *ix, pb_row *rows, size_t *at)
{
    for (int t = 0; t < run->n_workers; t++) {
        sc_found const *const f = &run->workers[t].found;
        for (size_t i = 0; i < f->n_inv; i++) {
            const gr_record *const r = gr_find(ix, f->inv[i].ref);
            if (XJ_NEVER(r == NULL)) return XJ_ERR_INTERNAL;
            pb_row *const row = &rows[(*at)++];
            memset(row, 0, sizeof *row);
            row->school = r->school;
            row->school_len = r->school_len;
            row->others = "";
            row->tail = r->tail;
            row->tail_len = r->tail_len;
            row->line = gk_refLine(r->ref);
            row->source = gk_refSource(r->ref);
            row->problem = PB_ID_INVALID;
            row->reason = f->inv[i].reason;
            row->keeper = PB_KEEPER_NONE;
            row->hint = row->reason == XJ_ID_CHANGED ? PB_HINT_CONFIRM_CHANGE : PB_HINT_CORRECT_ID;
        }
    }
    return XJ_OK;
}

/* Every group's rows, then the invalid IDs'. A batch check names the
 * register's sources too (after the batch's); its files come first in the
 * scan a check stands for, so they rank first in the tie-breaks. */
static xj_error sc_decideAll(sc_run *run, const sc_register *reg, const gr_index *ix, sc_rows *rows,
                             const char **names, uint32_t *rank, xj_status *st)
{
    size_t const n_names = run->n_inputs + (reg ? reg->ix->n_sources : 0);
    for (size_t i = 0; i < run->n_inputs; i++) {
        names[i] = run->inputs[i].facts.name;
        rank[i] = (uint32_t)(n_names - run->n_inputs + i);
    }
    for (size_t i = run->n_inputs; i < n_names; i++) {
        names[i] = reg->ix->sources[i - run->n_inputs].name;
        rank[i] = (uint32_t)(i - run->n_inputs);
    }
    gd_verdicts const verdicts = sc_decisionsVerdicts(&run->decisions);
    gd_context const ctx = {ix, names, rank, run->n_workers, run->decisions.given ? &verdicts : NULL};
    static const pb_problem kProblem[SC_KEY_KINDS] = {PB_ID_DUPLICATE, PB_ID_DUPLICATE, PB_ATTR_DUPLICATE};
    xj_error err = XJ_OK;
    size_t at = 0;
    for (int k = 0; k < SC_KEY_KINDS && !err; k++) {
        err = gd_decideGroups(&ctx, &run->groups[k], (gd_keyKind)k, kProblem[k], rows->v + at, rows->arenas, st);
        at += run->groups[k].n_refs;
    }
    if (!err) {
        err = gd_decideGroups(&ctx, &run->suspects, GD_KEY_GB, PB_SUSPECT_DUPLICATE, rows->v + at, rows->arenas, st);
        at += run->suspects.n_refs;
    }
    if (!err) err = sc_invalidRows(run, ix, rows->v, &at);
    if (err == XJ_ERR_INTERNAL) st_fail(st, err, "internal error: an invalid-ID record was not gathered");
    rows->n = at;
    return err;
}

/* The rows of attested groups leave the reported rows for attested.csv
 * (docs/monthly.md §5); the order of each part is kept. */
static xj_error sc_setAttestedApart(sc_rows *rows, xj_status *st)
{
    size_t n = 0;
    for (size_t i = 0; i < rows->n; i++) n += rows->v[i].attested;
    if (n == 0) return XJ_OK;
    rows->attested = xj_mallocArray(n, sizeof *rows->attested);
    RETURN_ERROR_IF(rows->attested == NULL, st, XJ_ERR_NOMEM, "out of memory");
    size_t kept = 0;
    for (size_t i = 0; i < rows->n; i++) {
        if (rows->v[i].attested) rows->attested[rows->n_attested++] = rows->v[i];
        else rows->v[kept++] = rows->v[i];
    }
    rows->n = kept;
    return XJ_OK;
}

xj_error sc_decide(sc_run *run, sc_register *reg, sc_rows *rows)
{
    xj_status *const st = &run->scan->st;
    gr_index ix;
    gr_indexInit(&ix, run->gathered, run->n_gathered);
    xj_error err = gs_confirm(&run->suspects, &ix, &run->idctx, st);
    if (err) {
        gr_indexFree(&ix);
        return err;
    }
    size_t n_rows = run->suspects.n_refs;
    for (int k = 0; k < SC_KEY_KINDS; k++) n_rows += run->groups[k].n_refs;
    for (int t = 0; t < run->n_workers; t++) n_rows += run->workers[t].found.n_inv;
    size_t const n_names = run->n_inputs + (reg ? reg->ix->n_sources : 0);
    rows->v = xj_mallocArray(n_rows ? n_rows : 1, sizeof *rows->v);
    rows->arenas = xj_calloc((size_t)run->n_workers, sizeof *rows->arenas);
    rows->n_arenas = rows->arenas ? run->n_workers : 0;
    const char **const names = xj_calloc(n_names ? n_names : 1, sizeof *names);
    uint32_t *const rank = xj_calloc(n_names ? n_names : 1, sizeof *rank);
    if (!rows->v || !rows->arenas || !names || !rank) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = sc_decideAll(run, reg, &ix, rows, names, rank, st);
    if (!err && reg) err = sc_againstRows(reg, run, rows->v, &rows->n, &rows->arenas[0]);
    if (!err) err = sc_setAttestedApart(rows, st);
    gr_indexFree(&ix);
    xj_free(names);
    xj_free(rank);
    return err;
}

void sc_rowsFree(sc_rows *rows)
{
    for (int t = 0; t < rows->n_arenas; t++) ar_free(&rows->arenas[t]);
    xj_free(rows->arenas);
    xj_free(rows->v);
    xj_free(rows->attested);
    for (int r = 0; r < rows->n_received; r++) {
        sc_rowsInFree(&rows->received[2 * r]);
        sc_rowsInFree(&rows->received[2 * r + 1]);
        buf_free(&rows->messages[r]);
    }
    xj_free(rows->received);
    xj_free(rows->messages);
    memset(rows, 0, sizeof *rows);
}
