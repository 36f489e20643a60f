/*
 * em_rejects — rejects.csv: every row that could not be read as a record,
 * with its input, line, reason and raw bytes, in the order (input, line) of
 * rules §6. Its sort and its row are also what the index build uses for the
 * rejects file it leaves beside an index, so the two read alike.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"

/* (source index, line) as rules §6 asks; two rejects never share a line of
 * one input, but the error code and raw bytes break any tie so that the
 * order never depends on the input order. */
static int em_cmpRejects(const void *pa, const void *pb)
{
    const em_reject *const a = pa, *const b = pb;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    int const c = strcmp(rj_code(a->reason), rj_code(b->reason));
    if (c) return c;
    size_t const n = a->raw_len < b->raw_len ? a->raw_len : b->raw_len;
    int const d = n ? memcmp(a->raw, b->raw, n) : 0;
    if (d) return d;
    return a->raw_len < b->raw_len ? -1 : a->raw_len > b->raw_len;
}

void em_sortRejects(em_reject *rejects, size_t n)
{
    if (n > 1) qsort(rejects, n, sizeof *rejects, em_cmpRejects);
}

xj_error em_appendRejectRow(xj_buf *out, const em_reject *r, const char *source_name)
{
    FORWARD_IF_ERROR(em_appendCsvField(out, source_name, strlen(source_name)));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    FORWARD_IF_ERROR(buf_appendU64(out, r->line));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    const char *const code = rj_code(r->reason);
    FORWARD_IF_ERROR(em_appendCsvField(out, code, strlen(code)));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    FORWARD_IF_ERROR(em_appendCsvField(out, r->raw, r->raw_len));
    return buf_appendByte(out, '\n');
}

size_t em_rejectReasons(const em_run *run, uint64_t counts[XJ_REJECT_COUNT], xj_reject order[XJ_REJECT_COUNT])
{
    memset(counts, 0, XJ_REJECT_COUNT * sizeof *counts);
    for (size_t i = 0; i < run->n_rejects; i++)
        if ((unsigned)run->rejects[i].reason < XJ_REJECT_COUNT) counts[run->rejects[i].reason]++;
    size_t n = 0;
    for (int r = XJ_REJECT_NONE + 1; r < XJ_REJECT_COUNT; r++) {
        if (counts[r] == 0) continue;
        size_t at = n++; /* insertion by code: a handful of reasons */
        for (; at > 0 && strcmp(rj_code(order[at - 1]), rj_code((xj_reject)r)) > 0; at--) order[at] = order[at - 1];
        order[at] = (xj_reject)r;
    }
    return n;
}

xj_error em_writeRejects(em_ctx *ctx)
{
    em_run *const run = ctx->run;
    for (size_t i = 0; i < run->n_rejects; i++) {
        RETURN_ERROR_IF(run->rejects[i].source >= run->n_inputs, ctx->st, XJ_ERR_INTERNAL,
                        "internal error: rejected row %zu names input %u", i, (unsigned)run->rejects[i].source);
        RETURN_ERROR_IF(rj_code(run->rejects[i].reason)[0] == '\0', ctx->st, XJ_ERR_INTERNAL,
                        "internal error: rejected row %zu has no reason (%d)", i, (int)run->rejects[i].reason);
    }
    em_sortRejects(run->rejects, run->n_rejects);
    xj_buf line;
    buf_init(&line, (size_t)1 << 30);
    em_writer w;
    FORWARD_IF_ERROR(em_open(ctx, &w, "rejects.csv"));
    xj_error err = em_put(&w, EM_REJECTS_HEADER, strlen(EM_REJECTS_HEADER));
    for (size_t i = 0; i < run->n_rejects && !err; i++) {
        const em_reject *const r = &run->rejects[i];
        const char *const src = run->inputs[r->source].name;
        if (line.len >= EM_RENDER_BATCH) { /* batches, as for problems.csv */
            err = em_putBuf(&w, &line);
            buf_clear(&line);
        }
        if (!err) err = em_appendRejectRow(&line, r, src);
    }
    if (!err) err = em_putBuf(&w, &line);
    buf_free(&line);
    if (!err) return em_close(&w);
    em_abandon(&w);
    if (ctx->st->code == XJ_OK) st_fail(ctx->st, err, "cannot write rejects.csv: %s", xj_errorName(err));
    return err;
}
