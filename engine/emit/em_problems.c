/*
 * em_problems — problems.csv and the per-school files.
 *
 * Rows are sorted once by (school, problem, group_id, source name, line,
 * source index, reason) — the order of SPEC §6 with ties made total — so
 * each school's rows are one contiguous run, written to its file in one go.
 * A school code becomes a path only when it is exactly 10 ASCII digits; any
 * other code goes to schools/_invalid/ under a hash of its bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"

static int em_bytesCmp(const char *a, size_t an, const char *b, size_t bn)
{
    int const c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static int em_cmpRows(const void *pa, const void *pb, void *arg)
{
    const em_run *const run = arg;
    const em_row *const a = pa, *const b = pb;
    int c = em_bytesCmp(a->school, a->school_len, b->school, b->school_len);
    if (c) return c;
    if (a->problem != b->problem) return a->problem < b->problem ? -1 : 1;
    /* group_id as 16 hex digits compares like the number; id_invalid rows
     * print no group id, so it must not order them */
    if (a->problem != PB_ID_INVALID && a->group_id != b->group_id) return a->group_id < b->group_id ? -1 : 1;
    c = strcmp(run->inputs[a->source].name, run->inputs[b->source].name);
    if (c) return c;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    return (int)a->reason - (int)b->reason;
}

/* schools/<province>/<code>.csv, or schools/_invalid/x<hash>.csv. */
static void em_schoolPath(const em_row *row, char *path, size_t cap, char *dir, size_t dcap)
{
    if (em_schoolIsValid(row->school, row->school_len)) {
        snprintf(dir, dcap, "schools/%.2s", row->school + 2);
        snprintf(path, cap, "schools/%.2s/%.10s.csv", row->school + 2, row->school);
    } else {
        snprintf(dir, dcap, "schools/_invalid");
        snprintf(path, cap, "schools/_invalid/x%016llx.csv",
                 (unsigned long long)XXH3_64bits(row->school, row->school_len));
    }
}

static int em_sameSchool(const em_row *a, const em_row *b)
{
    return a->school_len == b->school_len && memcmp(a->school, b->school, a->school_len) == 0;
}

xj_error em_writeProblems(em_ctx *ctx)
{
    em_run *const run = ctx->run;
    qsort_r(run->rows, run->n_rows, sizeof *run->rows, em_cmpRows, run);

    xj_buf line;
    buf_init(&line, (size_t)1 << 30);
    em_writer all;
    xj_error err = em_open(ctx, &all, "problems.csv");
    if (!err) err = em_renderHeader(&line, run, 0);
    if (!err) err = em_putBuf(&all, &line);
    for (size_t i = 0; i < run->n_rows && !err; i++) {
        buf_clear(&line);
        err = em_renderRow(&line, run, &run->rows[i], 0);
        if (!err) err = em_putBuf(&all, &line);
    }
    if (!err) err = em_close(&all);
    else em_abandon(&all);

    xj_buf header;
    buf_init(&header, (size_t)1 << 30);
    if (!err) err = em_renderHeader(&header, run, 1);
    if (!err) err = em_mkdir(ctx, "schools");
    char path[96], dir[64], made[64] = "";
    for (size_t i = 0; i < run->n_rows && !err;) {
        size_t j = i + 1;
        while (j < run->n_rows && em_sameSchool(&run->rows[i], &run->rows[j])) j++;
        em_schoolPath(&run->rows[i], path, sizeof path, dir, sizeof dir);
        em_writer w;
        if (strcmp(dir, made) != 0) { /* rows come sorted: each directory once */
            err = em_mkdir(ctx, dir);
            snprintf(made, sizeof made, "%s", dir);
        }
        if (!err) err = em_open(ctx, &w, path);
        if (err) break;
        err = em_putBuf(&w, &header);
        for (size_t k = i; k < j && !err; k++) {
            buf_clear(&line);
            err = em_renderRow(&line, run, &run->rows[k], 1);
            if (!err) err = em_putBuf(&w, &line);
        }
        if (!err) err = em_close(&w);
        else em_abandon(&w);
        i = j;
    }
    buf_free(&line);
    buf_free(&header);
    if (err && ctx->st->code == XJ_OK) st_fail(ctx->st, err, "cannot render the problem rows: %s", xj_errorName(err));
    return err;
}

static int em_cmpRejects(const void *pa, const void *pb)
{
    const em_reject *const a = pa, *const b = pb;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

xj_error em_writeRejects(em_ctx *ctx)
{
    em_run *const run = ctx->run;
    qsort(run->rejects, run->n_rejects, sizeof *run->rejects, em_cmpRejects);
    xj_buf line;
    buf_init(&line, (size_t)1 << 30);
    em_writer w;
    FORWARD_IF_ERROR(em_open(ctx, &w, "rejects.csv"));
    xj_error err = em_put(&w, "source,line,error,raw\n", 22);
    for (size_t i = 0; i < run->n_rejects && !err; i++) {
        const em_reject *const r = &run->rejects[i];
        const char *const src = run->inputs[r->source].name;
        buf_clear(&line);
        err = em_appendCsvField(&line, src, strlen(src));
        if (!err) err = buf_appendByte(&line, ',');
        if (!err) err = buf_appendU64(&line, r->line);
        if (!err) err = buf_appendByte(&line, ',');
        if (!err) err = em_appendCsvField(&line, r->error, strlen(r->error));
        if (!err) err = buf_appendByte(&line, ',');
        if (!err) err = em_appendCsvField(&line, r->raw, r->raw_len);
        if (!err) err = buf_appendByte(&line, '\n');
        if (!err) err = em_putBuf(&w, &line);
    }
    buf_free(&line);
    if (!err) return em_close(&w);
    em_abandon(&w);
    if (ctx->st->code == XJ_OK) st_fail(ctx->st, err, "cannot write rejects.csv: %s", xj_errorName(err));
    return err;
}
