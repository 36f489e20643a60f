/*
 * em_monthly — the monthly cycle's files (docs/monthly.md §3-§5):
 * resolved.csv (em_previous.c writes it), attested.csv (the rows of groups every member of which is approved),
 * decisions.csv (the approvals in effect that still match a member: next
 * month's --previous carries them) and decisions_unmatched.csv (decisions
 * in effect that match no current member of their group).
 *
 * Written on every run, header only when empty. attested.csv has
 * problems.csv's header, columns and order; decisions.csv is sorted as
 * bytes; decisions_unmatched.csv keeps the order the lines were read in.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_alloc.h"

static xj_error em_writeAttested(em_ctx *ctx)
{
    em_run *const run = ctx->run;
    /* sorted as problems.csv is: the same sort, over the attested rows */
    em_run part = *run;
    part.rows = run->attested;
    part.n_rows = run->n_attested;
    em_ctx sub = *ctx;
    sub.run = &part;
    size_t *runs = NULL, n_runs = 0;
    FORWARD_IF_ERROR(em_sortRows(&sub, &runs, &n_runs));
    xj_free(runs);
    xj_buf b;
    buf_init(&b, (size_t)1 << 30);
    xj_error err = em_renderHeader(&b, run, 0);
    for (size_t i = 0; i < run->n_attested && !err; i++) err = em_renderRow(&b, run, &run->attested[i], 0);
    if (err) err = st_fail(ctx->st, err, "cannot render attested.csv: %s", xj_errorName(err));
    else err = em_writeWhole(ctx, "attested.csv", &b);
    buf_free(&b);
    return err;
}

/* group_id,student_no,school_code,decision as one CSV line. */
static xj_error em_decisionLine(xj_buf *b, const em_decision *d)
{
    FORWARD_IF_ERROR(em_appendCsvField(b, d->group_id, d->group_id_len));
    FORWARD_IF_ERROR(buf_appendByte(b, ','));
    FORWARD_IF_ERROR(em_appendCsvField(b, d->student_no, d->student_no_len));
    FORWARD_IF_ERROR(buf_appendByte(b, ','));
    FORWARD_IF_ERROR(em_appendCsvField(b, d->school_code, d->school_code_len));
    return buf_appendStr(b, d->approved ? ",approved" : ",revoked");
}

static xj_error em_writeApprovals(em_ctx *ctx)
{
    const em_run *const run = ctx->run;
    xj_buf lines, out;
    buf_init(&lines, (size_t)1 << 30);
    buf_init(&out, (size_t)1 << 30);
    em_span *const spans = xj_mallocArray(run->n_decisions ? run->n_decisions : 1, sizeof *spans);
    xj_error err = spans ? XJ_OK : XJ_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < run->n_decisions && !err; i++) {
        const em_decision *const d = &run->decisions[i];
        if (!d->in_effect || !d->matched || !d->approved) continue;
        size_t const at = lines.len;
        err = em_decisionLine(&lines, d);
        if (!err) err = buf_appendByte(&lines, '\n');
        spans[n++] = (em_span){at, lines.len - at};
    }
    if (!err) err = buf_appendStr(&out, "group_id,student_no,school_code,decision\n");
    if (!err) err = em_appendSortedLines(&out, lines.data, spans, n);
    if (err) err = st_fail(ctx->st, err, "cannot render decisions.csv: %s", xj_errorName(err));
    else err = em_writeWhole(ctx, "decisions.csv", &out);
    xj_free(spans);
    buf_free(&lines);
    buf_free(&out);
    return err;
}

static xj_error em_writeUnmatched(em_ctx *ctx)
{
    const em_run *const run = ctx->run;
    xj_buf b;
    buf_init(&b, (size_t)1 << 30);
    xj_error err = buf_appendStr(&b, "group_id,student_no,school_code,decision,file,line\n");
    for (size_t i = 0; i < run->n_decisions && !err; i++) {
        const em_decision *const d = &run->decisions[i];
        if (!d->in_effect || d->matched) continue;
        err = em_decisionLine(&b, d);
        if (!err) err = buf_appendByte(&b, ',');
        if (!err) err = em_appendCsvField(&b, d->file, strlen(d->file));
        if (!err) err = buf_printf(&b, ",%llu\n", (unsigned long long)d->line);
    }
    if (err) err = st_fail(ctx->st, err, "cannot render decisions_unmatched.csv: %s", xj_errorName(err));
    else err = em_writeWhole(ctx, "decisions_unmatched.csv", &b);
    buf_free(&b);
    return err;
}

xj_error em_writeMonthly(em_ctx *ctx)
{
    FORWARD_IF_ERROR(em_writeResolved(ctx));
    FORWARD_IF_ERROR(em_writeAttested(ctx));
    FORWARD_IF_ERROR(em_writeApprovals(ctx));
    return em_writeUnmatched(ctx);
}
