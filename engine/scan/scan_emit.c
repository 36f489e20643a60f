/*
 * scan_emit — turns the gathered groups and invalid IDs into output rows and
 * passes them, with the run's counts, to the emit stage.
 */
#include <string.h>

#include "ix_index.h"
#include "scan_internal.h"
#include "xj_alloc.h"

static xj_error sc_invalidRows(sc_run *run, em_row *rows, size_t *at)
{
    gr_index const ix = {run->gathered, run->n_gathered};
    for (int t = 0; t < run->n_workers; t++) {
        sc_worker const *const w = &run->workers[t];
        for (size_t i = 0; i < w->n_inv; i++) {
            const gr_record *const r = gr_find(&ix, w->inv[i].ref);
            if (XJ_NEVER(r == NULL)) return XJ_ERR_INTERNAL;
            em_row *const row = &rows[(*at)++];
            memset(row, 0, sizeof *row);
            row->school = r->school;
            row->school_len = r->school_len;
            row->others = "";
            row->tail = r->tail;
            row->tail_len = r->tail_len;
            row->line = gk_refLine(r->ref);
            row->source = gk_refSource(r->ref);
            row->problem = PB_ID_INVALID;
            row->reason = w->inv[i].reason;
            row->keeper = PB_KEEPER_NONE;
            row->hint = PB_HINT_CORRECT_ID;
        }
    }
    return XJ_OK;
}

/* The output column holding `field` for one input, or -1 (for report.html);
 * `shift` columns come before the input's own (a check's register_matches). */
static int sc_outColumn(const sc_input *in, ps_field field, size_t shift)
{
    int const c = in->schema.col_of[field];
    if (c < 0 || (size_t)c >= in->schema.n_columns || in->schema.out_col == NULL) return -1;
    return (int)(in->schema.out_col[c] + shift);
}

static xj_error sc_collectRejects(sc_run *run, em_reject **out, size_t *n_out)
{
    size_t n = 0;
    for (int t = 0; t < run->n_workers; t++) n += run->workers[t].n_rej;
    em_reject *const all = xj_mallocArray(n ? n : 1, sizeof *all);
    if (all == NULL) return XJ_ERR_NOMEM;
    size_t at = 0;
    for (int t = 0; t < run->n_workers; t++) {
        if (run->workers[t].n_rej) memcpy(all + at, run->workers[t].rej, run->workers[t].n_rej * sizeof *all);
        at += run->workers[t].n_rej;
    }
    *out = all;
    *n_out = n;
    return XJ_OK;
}

xj_error sc_decideAndEmit(sc_run *run)
{
    xj_scan *const s = run->scan;
    xj_status *const st = &s->st;
    double const t0 = em_now();
    size_t n_rows = 0, n_inv = 0;
    for (int k = 0; k < 3; k++) n_rows += run->groups[k].n_refs;
    for (int t = 0; t < run->n_workers; t++) n_inv += run->workers[t].n_inv;
    n_rows += n_inv;

    /* a batch check names the register's sources too (after the batch's) and
     * adds the register_matches column in front of the input's columns */
    const ix_index *const reg = run->against;
    size_t const n_names = run->n_inputs + (reg ? reg->n_sources : 0);
    size_t const extra = reg != NULL;
    em_row *const rows = xj_mallocArray(n_rows ? n_rows : 1, sizeof *rows);
    xj_arena *const arenas = xj_calloc((size_t)run->n_workers, sizeof *arenas);
    const char **const names = xj_calloc(n_names ? n_names : 1, sizeof *names);
    uint32_t *const rank = xj_calloc(n_names ? n_names : 1, sizeof *rank);
    em_input *const inputs = xj_calloc(run->n_inputs ? run->n_inputs : 1, sizeof *inputs);
    const char **const headers = xj_calloc(run->cols.n + extra + 1, sizeof *headers);
    const char **const headers_zh = extra ? xj_calloc(run->cols.n + extra + 1, sizeof *headers_zh) : NULL;
    em_reject *rejects = NULL;
    size_t n_rejects = 0;
    xj_error err = XJ_OK;
    if (!rows || !arenas || !names || !rank || !inputs || !headers || (extra && !headers_zh)) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err && sc_collectRejects(run, &rejects, &n_rejects) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");

    if (!err) {
        for (size_t i = 0; i < run->n_inputs; i++) {
            names[i] = run->inputs[i].facts.name;
            inputs[i] = run->inputs[i].facts;
            inputs[i].school_name_col = sc_outColumn(&run->inputs[i], PS_SCHOOL_NAME, extra);
            inputs[i].student_no_col = sc_outColumn(&run->inputs[i], PS_STUDENT_NO, extra);
            inputs[i].school_code_col = sc_outColumn(&run->inputs[i], PS_SCHOOL_CODE, extra);
            rank[i] = (uint32_t)(n_names - run->n_inputs + i);
        }
        for (size_t i = run->n_inputs; i < n_names; i++) {
            names[i] = reg->sources[i - run->n_inputs].name;
            rank[i] = (uint32_t)(i - run->n_inputs);
        }
        if (extra) headers[0] = EM_REGISTER_MATCHES;
        for (size_t j = 0; j < run->cols.n; j++) headers[extra + j] = run->cols.names[j];
        if (extra) { /* the input's own headers are the same in both */
            headers_zh[0] = EM_REGISTER_MATCHES_ZH;
            for (size_t j = 0; j < run->cols.n; j++) headers_zh[1 + j] = run->cols.names[j];
        }
        gr_index const ix = {run->gathered, run->n_gathered};
        gd_context const ctx = {&ix, names, rank, run->n_workers};
        static const pb_problem kProblem[3] = {PB_ID_DUPLICATE, PB_ID_DUPLICATE, PB_ATTR_DUPLICATE};
        size_t at = 0;
        for (int k = 0; k < 3 && !err; k++) {
            err = gd_decideGroups(&ctx, &run->groups[k], (gd_keyKind)k, kProblem[k], rows + at, arenas, st);
            at += run->groups[k].n_refs;
        }
        if (!err) err = sc_invalidRows(run, rows, &at);
        if (err == XJ_ERR_INTERNAL) st_fail(st, err, "internal error: an invalid-ID record was not gathered");
        if (!err && reg) err = sc_againstRows(run, rows, &n_rows, &arenas[0]);
    }
    run->timing.group_seconds += em_now() - t0;

    if (!err) {
        uint64_t accepted = 0, blank = 0, unknown = 0;
        for (int t = 0; t < run->n_workers; t++) {
            accepted += run->workers[t].accepted;
            blank += run->workers[t].blank;
            unknown += run->workers[t].unknown_types;
        }
        const char *region = NULL;
        if (s->region_path) {
            const char *const slash = strrchr(s->region_path, '/');
            region = slash ? slash + 1 : s->region_path;
        }
        em_run er = {
            .outdir = s->outdir,
            .force = s->force,
            .inputs = inputs,
            .n_inputs = run->n_inputs,
            .headers = headers,
            .n_headers = run->cols.n + extra,
            .headers_zh = headers_zh,
            .check = reg ? &run->check : NULL,
            .rows = rows,
            .n_rows = n_rows,
            .rejects = rejects,
            .n_rejects = n_rejects,
            .rows_read = accepted + n_rejects,
            .rows_accepted = accepted,
            .blank_lines = blank,
            .unknown_id_types = unknown,
            .run_date = run->idctx.run_date,
            .attr_scope = s->attr_scope == XJ_ATTR_MIXED ? "mixed" : "noid",
            .encoding = s->gbk ? "gbk" : "utf-8",
            .region_table = region,
            .timing = run->timing,
            .threads = run->n_workers,
            .excel = s->excel,
            .school_gbk = s->school_gbk,
            .school_headers_en = s->school_headers_en,
            .previous = s->previous,
        };
        er.timing.start = run->start;
        err = em_write(&er, st);
        if (!err) {
            xj_scanStats *const stats = &s->stats;
            uint64_t const matched = stats->register_matches; /* set by sc_againstRows */
            memset(stats, 0, sizeof *stats);
            stats->register_matches = matched;
            stats->already_registered = run->n_copies;
            stats->run_date = run->idctx.run_date;
            stats->attr_mixed = s->attr_scope == XJ_ATTR_MIXED;
            stats->rows_read = er.rows_read;
            stats->rows_accepted = accepted;
            stats->rows_rejected = n_rejects;
            stats->blank_lines = blank;
            for (size_t i = 0; i < run->n_inputs; i++) stats->bytes_read += inputs[i].decoded_bytes;
            for (size_t i = 0; i < n_rows; i++) {
                stats->id_duplicate_records += rows[i].problem == PB_ID_DUPLICATE;
                stats->attr_duplicate_records += rows[i].problem == PB_ATTR_DUPLICATE;
                stats->id_invalid_records += rows[i].problem == PB_ID_INVALID;
            }
            stats->id_duplicate_groups = run->groups[GD_KEY_GB].n + run->groups[GD_KEY_OTHER_ID].n;
            stats->attr_duplicate_groups = run->groups[GD_KEY_ATTR].n;
            stats->wall_seconds = em_now() - run->start;
        }
    }
    for (int t = 0; arenas && t < run->n_workers; t++) ar_free(&arenas[t]);
    xj_free(arenas);
    xj_free(rows);
    xj_free(names);
    xj_free(rank);
    xj_free(inputs);
    xj_free(headers);
    xj_free(headers_zh);
    xj_free(rejects);
    return err;
}
