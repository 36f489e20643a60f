/*
 * scan_emit — the run's rows, rejects and counts handed to the emit stage
 * (em_write), and the handle's stats filled from them.
 *
 * Nothing is decided here: it only says what emit needs to know of the
 * inputs (names, sizes, the columns report.html reads) and of a batch
 * check (the register_matches column in front of the input's own).
 * Cost: a copy of the per-input facts and the header names.
 */
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_clock.h"
#include "xj_comm.h"

/* The output column holding `field` for one input, or -1 (for report.html);
 * `shift` columns come before the input's own (a check's register_matches). */
static int sc_outColumn(const sc_input *in, ps_field field, size_t shift)
{
    int const c = in->schema.col_of[field];
    if (c < 0 || (size_t)c >= in->schema.n_columns || in->schema.out_col == NULL) return -1;
    return (int)(in->schema.out_col[c] + shift);
}

xj_error sc_emitInputsMake(const sc_run *run, size_t extra, sc_emitInputs *out, xj_status *st)
{
    out->extra = extra;
    out->inputs = xj_calloc(run->n_inputs ? run->n_inputs : 1, sizeof *out->inputs);
    out->headers = xj_calloc(run->cols.n + extra + 1, sizeof *out->headers);
    out->headers_zh = extra ? xj_calloc(run->cols.n + extra + 1, sizeof *out->headers_zh) : NULL;
    RETURN_ERROR_IF(!out->inputs || !out->headers || (extra && !out->headers_zh), st, XJ_ERR_NOMEM,
                    "out of memory");
    for (size_t i = 0; i < run->n_inputs; i++) {
        out->inputs[i] = run->inputs[i].facts;
        out->inputs[i].school_name_col = sc_outColumn(&run->inputs[i], PS_SCHOOL_NAME, extra);
        out->inputs[i].student_no_col = sc_outColumn(&run->inputs[i], PS_STUDENT_NO, extra);
        out->inputs[i].school_code_col = sc_outColumn(&run->inputs[i], PS_SCHOOL_CODE, extra);
    }
    if (extra) out->headers[0] = EM_REGISTER_MATCHES;
    for (size_t j = 0; j < run->cols.n; j++) out->headers[extra + j] = run->cols.names[j];
    if (extra) {
        out->headers_zh[0] = EM_REGISTER_MATCHES_ZH;
        for (size_t j = 0; j < run->cols.n; j++) out->headers_zh[1 + j] = run->cols.names[j];
    }
    return XJ_OK;
}

void sc_emitInputsFree(sc_emitInputs *e)
{
    xj_free(e->inputs);
    xj_free(e->headers);
    xj_free(e->headers_zh);
}

em_run sc_emitRunOf(const sc_run *run, const sc_emitInputs *e)
{
    const xj_scan *const s = run->scan;
    return (em_run){
        .inputs = e->inputs,
        .n_inputs = run->n_inputs,
        .headers = e->headers,
        .n_headers = run->cols.n + e->extra,
        .headers_zh = e->headers_zh,
        .run_date = run->idctx.run_date,
        .threads = run->n_workers,
        .ranks = run->n_ranks,
        .excel = s->excel,
        .school_gbk = s->school_gbk,
        .school_headers_en = s->school_headers_en,
        .xlsx = s->xlsx,
    };
}

/* The handle's stats of a written run. */
static void sc_fillStats(sc_run *run, const sc_register *reg, const em_run *er)
{
    xj_scan *const s = run->scan;
    xj_scanStats *const stats = &s->stats;
    memset(stats, 0, sizeof *stats);
    stats->register_matches = reg ? reg->rows_with_matches : 0;
    stats->already_registered = reg ? reg->n_copies : 0;
    stats->run_date = run->idctx.run_date;
    stats->attr_mixed = s->attr_scope == XJ_ATTR_MIXED;
    stats->rows_read = er->rows_read;
    stats->rows_accepted = er->rows_accepted;
    stats->rows_rejected = er->n_rejects;
    stats->blank_lines = er->blank_lines;
    for (size_t i = 0; i < run->n_inputs; i++) stats->bytes_read += er->inputs[i].decoded_bytes;
    for (size_t i = 0; i < er->n_rows; i++) {
        stats->id_duplicate_records += er->rows[i].problem == PB_ID_DUPLICATE;
        stats->attr_duplicate_records += er->rows[i].problem == PB_ATTR_DUPLICATE;
        stats->id_invalid_records += er->rows[i].problem == PB_ID_INVALID;
    }
    stats->id_duplicate_groups = run->group_total[GD_KEY_GB] + run->group_total[GD_KEY_OTHER_ID];
    stats->attr_duplicate_groups = run->group_total[GD_KEY_ATTR];
    stats->wall_seconds = xj_now() - run->start;
}

/* summary.json's "population" (docs/population.md §5); *files owned. */
static xj_error sc_emitPopulation(const sc_run *run, em_population *out, const char ***files)
{
    const xj_scan *const s = run->scan;
    *files = xj_calloc(s->n_population + 1, sizeof **files);
    if (*files == NULL) return XJ_ERR_NOMEM;
    for (size_t i = 0; i < s->n_population; i++) {
        const char *const slash = strrchr(s->population[i], '/');
        (*files)[i] = slash ? slash + 1 : s->population[i];
    }
    *out = (em_population){*files, s->n_population, run->pop.entries, run->pop.ids, run->pop.several_names, 0};
    for (int t = 0; t < run->n_workers; t++) out->compared += run->workers[t].pop.compared;
    return XJ_OK;
}

/* A distributed run: the output is put in place only if every process is
 * still there once it is written. One that died while rank 0 wrote (it had
 * sent everything) would otherwise leave a committed OUTDIR behind a job
 * the launcher reports as failed. */
static xj_error sc_agreeBeforeCommit(void *user, xj_error err, xj_status *st)
{
    sc_run *const run = user;
    /* em_write failed before it shared the school files out: the others
     * are waiting for that meeting first */
    if (!run->share_met) err = sc_shareMissed(run, err);
    run->commit_agreed = 1;
    return xc_agree(err, st);
}

xj_error sc_emit(sc_run *run, const sc_register *reg, sc_rows *rows)
{
    xj_scan *const s = run->scan;
    xj_status *const st = &s->st;
    sc_emitInputs e = {0};
    em_reject *rejects = NULL;
    size_t n_rejects = 0;
    em_assignments *const assignments = xj_malloc(sizeof *assignments);
    em_population population;
    const char **population_files = NULL;
    if (assignments) {
        memset(assignments, 0, sizeof *assignments);
        buf_init(&assignments->csv, 1);
    }
    xj_error err = assignments ? sc_emitInputsMake(run, reg != NULL, &e, st) : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = sc_assignments(run, rows, assignments, st);
    if (!err && s->n_population && sc_emitPopulation(run, &population, &population_files) != XJ_OK)
        err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err && sc_collectRejects(run, &rejects, &n_rejects) != XJ_OK) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err) {
        sc_counts const c = sc_countFound(run);
        const char *region = NULL;
        if (s->region_path) {
            const char *const slash = strrchr(s->region_path, '/');
            region = slash ? slash + 1 : s->region_path;
        }
        em_run er = sc_emitRunOf(run, &e);
        er.outdir = s->outdir;
        er.force = s->force;
        er.check = reg ? &reg->check : NULL;
        er.rows = rows->v;
        er.n_rows = rows->n;
        er.rejects = rejects;
        er.n_rejects = n_rejects;
        er.rows_read = c.accepted + n_rejects;
        er.rows_accepted = c.accepted;
        er.blank_lines = c.blank;
        er.unknown_id_types = c.unknown_types;
        er.attr_scope = s->attr_scope == XJ_ATTR_MIXED ? "mixed" : "noid";
        er.encoding = s->gbk ? "gbk" : "utf-8";
        er.region_table = region;
        er.suspects = !s->no_suspects;
        er.timing = run->timing;
        er.previous = s->previous;
        er.prev = run->prev;
        er.attested = rows->attested;
        er.n_attested = rows->n_attested;
        er.decisions = run->decisions.v;
        er.n_decisions = run->decisions.n;
        er.monthly = run->decisions.given;
        er.assignments = assignments;
        er.population = s->n_population ? &population : NULL;
        er.before_commit = run->n_ranks > 1 ? sc_agreeBeforeCommit : NULL;
        er.before_commit_user = run;
        er.share = run->n_ranks > 1 ? sc_shareOf(run) : NULL;
        er.timing.start = run->start;
        err = em_write(&er, st);
        if (!err) sc_fillStats(run, reg, &er);
    }
    sc_emitInputsFree(&e);
    xj_free(rejects);
    if (assignments) buf_free(&assignments->csv);
    xj_free(assignments);
    xj_free(population_files);
    return err;
}
