/*
 * em_problems — problems.csv and the per-school files.
 *
 * Rows are sorted once by (school, problem, group_id, source name, line,
 * source index, reason) — the order of SPEC §6 with ties made total — so
 * each school's rows are one contiguous run, written to its file in one go.
 * A school code becomes a path only when it is exactly 10 ASCII digits; any
 * other code goes to schools/_invalid/ under a hash of its bytes.
 *
 * The per-school options (--excel, --output-encoding gbk, --headers en)
 * transform the per-school lines only, after rendering; problems.csv is
 * always the same machine contract.
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
void em_schoolPath(const em_row *row, char *path, size_t cap, char *dir, size_t dcap)
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

/* The per-school options applied to one rendered line: formula-like values
 * neutralized (--excel), then GB 18030 (--output-encoding gbk). */
typedef struct em_schoolText {
    const em_run *run;     /* options */
    em_gbk *gbk;           /* converter, NULL for UTF-8 */
    xj_buf neutral;        /* the line after neutralization */
    xj_buf field;          /* scratch for one field */
    xj_buf encoded;        /* the line in GB 18030 */
} em_schoolText;

static xj_error em_putSchoolLine(em_ctx *ctx, em_schoolText *t, em_writer *w, const xj_buf *line)
{
    const xj_buf *out = line;
    if (t->run->excel) {
        FORWARD_IF_ERROR(em_neutralizeLine(line->data, line->len, &t->neutral, &t->field));
        out = &t->neutral;
    }
    if (t->gbk) {
        xj_error const err = em_gbkConvert(t->gbk, out->data, out->len, &t->encoded);
        RETURN_ERROR_IF(err == XJ_ERR_INPUT, ctx->st, XJ_ERR_INPUT,
                        "%s: a value is not valid UTF-8 and cannot be written in GB 18030; "
                        "use --output-encoding utf-8", w->path);
        FORWARD_IF_ERROR(err);
        out = &t->encoded;
    }
    return em_putBuf(w, out);
}

static xj_error em_schoolTextInit(em_ctx *ctx, em_schoolText *t)
{
    memset(t, 0, sizeof *t);
    t->run = ctx->run;
    buf_init(&t->neutral, (size_t)1 << 30);
    buf_init(&t->field, (size_t)1 << 30);
    buf_init(&t->encoded, (size_t)1 << 31);
    if (!ctx->run->school_gbk) return XJ_OK;
    xj_error const err = em_gbkOpen(&t->gbk);
    RETURN_ERROR_IF(err == XJ_ERR_INPUT, ctx->st, XJ_ERR_USAGE,
                    "this system's iconv cannot write GB 18030 (--output-encoding gbk)");
    RETURN_ERROR_IF(err, ctx->st, err, "out of memory");
    return XJ_OK;
}

static void em_schoolTextFree(em_schoolText *t)
{
    em_gbkClose(t->gbk);
    t->gbk = NULL;
    buf_free(&t->neutral);
    buf_free(&t->field);
    buf_free(&t->encoded);
}

/* Opens a per-school text file and writes the BOM that --excel asks for
 * (UTF-8 only: Excel reads a GB 18030 file as the system code page). */
xj_error em_openSchoolFile(em_ctx *ctx, em_writer *w, const char *rel)
{
    FORWARD_IF_ERROR(em_open(ctx, w, rel));
    if (!ctx->run->excel || ctx->run->school_gbk) return XJ_OK;
    xj_error const err = em_put(w, "\xEF\xBB\xBF", 3);
    if (err) em_abandon(w);
    return err;
}

xj_error em_putSchoolText(em_ctx *ctx, em_writer *w, const char *s, size_t n)
{
    if (!ctx->run->school_gbk) return em_put(w, s, n);
    em_gbk *g = NULL;
    xj_error err = em_gbkOpen(&g);
    xj_buf out;
    buf_init(&out, (size_t)1 << 30);
    if (!err) err = em_gbkConvert(g, s, n, &out);
    if (!err) err = em_putBuf(w, &out);
    buf_free(&out);
    em_gbkClose(g);
    if (err && ctx->st->code == XJ_OK) st_fail(ctx->st, err, "cannot write %s: %s", w->path, xj_errorName(err));
    return err;
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

    int const zh = !run->school_headers_en;
    em_schoolText text;
    if (!err) err = em_schoolTextInit(ctx, &text);
    else memset(&text, 0, sizeof text);
    xj_buf header;
    buf_init(&header, (size_t)1 << 30);
    if (!err) err = em_renderHeader(&header, run, zh);
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
        if (!err) err = em_openSchoolFile(ctx, &w, path);
        if (err) break;
        err = em_putSchoolLine(ctx, &text, &w, &header);
        for (size_t k = i; k < j && !err; k++) {
            buf_clear(&line);
            err = em_renderRow(&line, run, &run->rows[k], zh);
            if (!err) err = em_putSchoolLine(ctx, &text, &w, &line);
        }
        if (!err) err = em_close(&w);
        else em_abandon(&w);
        i = j;
    }
    buf_free(&line);
    buf_free(&header);
    em_schoolTextFree(&text);
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
