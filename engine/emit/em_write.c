/*
 * em_write — emit's top: what the output directory holds, and in which
 * order it is written.
 *
 * The order has reasons. problems.csv and schools/ come first because
 * writing them sorts the rows, and the counts (em_countRows) need the rows
 * sorted by school. One thread writes problems.csv, then assignments.csv,
 * then the counts and the files made from them (em_writeCounted) while the
 * others write the school files: written after the schools, they kept one
 * core busy and the others idle. The counts serve schools/README.txt,
 * report.html and summary.json alike, so the three cannot disagree.
 * summary.json comes after the files it times (`write_seconds`: the files
 * up to report.html), and MANIFEST last because it lists all the others.
 * Everything goes into em_commit's temporary directory; nothing is visible
 * under OUTDIR until em_commitEnd renames the finished, synced whole into
 * place.
 */
#include "em_internal.h"
#include "xj_alloc.h"
#include "xj_clock.h"

/* already_registered.csv (a check): made by the check, written as it is. */
static xj_error em_writeRegistered(em_ctx *ctx)
{
    return em_writeWhole(ctx, EM_REGISTERED_FILE, ctx->run->check->registered_csv);
}

/* assignments.csv (docs/population.md §3): made by the scan; its header
 * alone when the scan made none. Written beside the school files, by the
 * thread that writes problems.csv (em_problems.c). */
xj_error em_writeAssignments(em_ctx *ctx)
{
    if (ctx->run->assignments) return em_writeWhole(ctx, EM_ASSIGNMENTS_FILE, &ctx->run->assignments->csv);
    xj_buf header;
    buf_init(&header, 256);
    xj_error err = buf_appendStr(&header, EM_ASSIGNMENTS_HEADER);
    err = err ? st_fail(ctx->st, err, "out of memory") : em_writeWhole(ctx, EM_ASSIGNMENTS_FILE, &header);
    buf_free(&header);
    return err;
}

/* The counts, then the files that need them and nothing the school files
 * make: schools/README.txt, rejects.csv, the monthly files, report.html.
 * Called once the rows are sorted, by the thread that writes problems.csv
 * (em_problems.c). */
xj_error em_writeCounted(em_ctx *ctx)
{
    ctx->counts = xj_malloc(sizeof *ctx->counts);
    RETURN_ERROR_IF(ctx->counts == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory counting the problems");
    RETURN_ERROR_IF(em_countRows(ctx->run, ctx->trend, ctx->counts) != XJ_OK, ctx->st, XJ_ERR_NOMEM,
                    "out of memory counting the problems");
    FORWARD_IF_ERROR(em_writeSchoolReadme(ctx));
    FORWARD_IF_ERROR(em_writeRejects(ctx));
    FORWARD_IF_ERROR(em_writeMonthly(ctx));
    return em_writeReport(ctx);
}

/* The files, in order, into ctx's directory; t0 is when em_write began. */
static xj_error em_writeFiles(em_ctx *ctx, double t0)
{
    if (ctx->run->prev) {
        /* before any row is written: it sets their status and first_seen */
        ctx->trend = xj_malloc(sizeof *ctx->trend);
        RETURN_ERROR_IF(ctx->trend == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory comparing with --previous");
        FORWARD_IF_ERROR(em_compareWithPrevious(ctx, ctx->trend));
    }
    /* sorts the rows; problems.csv, assignments.csv, schools/ and, beside
     * them, em_writeCounted's files */
    FORWARD_IF_ERROR(em_writeProblems(ctx));
    double const write_seconds = xj_now() - t0; /* summary.json's: the files up to here */
    if (ctx->run->check) FORWARD_IF_ERROR(em_writeRegistered(ctx));
    FORWARD_IF_ERROR(em_writeSummary(ctx, write_seconds));
    FORWARD_IF_ERROR(em_writeManifest(ctx));
    return XJ_OK;
}

xj_error em_write(em_run *run, xj_status *st)
{
    double const t0 = xj_now();
    em_commit c;
    FORWARD_IF_ERROR(em_commitBegin(&c, run->outdir, run->force, st));
    c.before = run->before_commit;
    c.before_user = run->before_commit_user;
    em_ctx ctx = {.run = run, .st = st, .dirfd = c.dirfd, .tmp_path = c.tmp_path};
    xj_error err = em_writeFiles(&ctx, t0);
    err = em_commitEnd(&c, err, st);
    for (size_t i = 0; i < ctx.n_files; i++) xj_free(ctx.files[i].path);
    xj_free(ctx.files);
    xj_free(ctx.counts);
    xj_free(ctx.trend);
    if (ctx.offices) em_officesFree(ctx.offices);
    xj_free(ctx.offices);
    return err;
}
