/*
 * em_problems — problems.csv and the per-school files.
 *
 * Rows are sorted once (em_sort.c) by (school, problem, group_id, source
 * name, line, source index, reason) — the order of rules §6 with ties made
 * total — so each school's rows are one contiguous run. A school code
 * becomes a path only when it is exactly 10 ASCII digits; any other code
 * goes to schools/_invalid/ under a hash of its bytes (em_schools.c).
 *
 * With 20,000+ school files the cost is per file, not per byte: each file
 * is rendered into a buffer reused from file to file and, when under
 * EM_WRITE_BUFFER, written with one write(2); rows are rendered in batches
 * (one copy and one hash update per batch, no syscall per row). With
 * run->threads > 1 the school files are written by several workers, each
 * with its own buffers and file list; a file's bytes depend only on its rows
 * and MANIFEST sorts the list, so the output is the same for any count.
 *
 * The per-school options (--excel, --output-encoding gbk, --headers en)
 * transform the per-school lines only, after rendering; problems.csv is
 * always the same machine contract. A per-school CSV in UTF-8 starts with a
 * BOM unless it is --headers en's (em_schoolCsvBom). With --xlsx the same
 * worker writes a workbook of the school's rows beside its CSV (em_xlsx.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "em_internal.h"
#include "xj_alloc.h"

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

static xj_error em_writeAllProblems(em_ctx *ctx)
{
    em_run *const run = ctx->run;
    xj_buf line;
    buf_init(&line, (size_t)1 << 30);
    em_writer all;
    xj_error err = em_open(ctx, &all, "problems.csv");
    if (!err) err = em_renderHeader(&line, run, 0);
    if (!err) err = em_putBuf(&all, &line);
    buf_clear(&line);
    /* rows are rendered in batches: one copy and one hash update per batch */
    for (size_t i = 0; i < run->n_rows && !err; i++) {
        if (line.len >= EM_RENDER_BATCH) {
            err = em_putBuf(&all, &line);
            buf_clear(&line);
        }
        if (i + EM_AHEAD_DATA < run->n_rows) em_prefetchRow(&run->rows[i + EM_AHEAD_DATA], 1);
        if (i + EM_AHEAD_MEMBERS < run->n_rows) em_prefetchRow(&run->rows[i + EM_AHEAD_MEMBERS], 2);
        if (!err) err = em_renderRow(&line, run, &run->rows[i], 0);
    }
    if (!err) err = em_putBuf(&all, &line);
    if (!err) err = em_close(&all);
    else em_abandon(&all);
    buf_free(&line);
    if (err && ctx->st->code == XJ_OK) st_fail(ctx->st, err, "cannot render problems.csv: %s", xj_errorName(err));
    return err;
}

/* One worker's state while writing school files: its own status and file
 * list (merged afterwards), scratch buffers and GB 18030 converter. */
typedef struct em_schoolWorker {
    em_ctx ctx;            /* a copy of the shared context with its own st/files */
    xj_status st;          /* this worker's first error */
    em_schoolText text;    /* per-school transforms */
    xj_buf line;           /* one rendered row */
    xj_buf out;            /* the write buffer lent to each file */
    em_xlsxScratch xlsx;   /* --xlsx: the workbooks' buffers */
} em_schoolWorker;

int em_schoolCsvBom(const em_run *run)
{
    /* Excel reads a UTF-8 file without BOM as the system code page (GBK on
     * a Chinese Windows), and a GB 18030 file as that code page: the BOM
     * goes on every UTF-8 file people open, not on --headers en's files,
     * which are for programs (like problems.csv) unless --excel asks. */
    return !run->school_gbk && (run->excel || !run->school_headers_en);
}

/* The workbook beside a CSV (`csv` ends in ".csv"), of the same rows. */
static xj_error em_writeBook(em_schoolWorker *wk, const char *csv, const pb_row *const *rows, size_t n)
{
    em_ctx *const ctx = &wk->ctx;
    char rel[96];
    size_t const stem = strlen(csv) - 4;
    snprintf(rel, sizeof rel, "%.*s.xlsx", (int)stem, csv);
    return em_xlsxWrite(ctx, rel, !ctx->run->school_headers_en, rows, n, &wk->xlsx);
}

/* One file of rows for people — a school's or an office's (arbiters/) —
 * at `rel` (ending in .csv), with the per-school options, and with --xlsx
 * a workbook beside it. */
static xj_error em_writeRowFile(em_schoolWorker *wk, const xj_buf *header, const char *rel,
                                const pb_row *const *rows, size_t n)
{
    em_ctx *const ctx = &wk->ctx;
    const em_run *const run = ctx->run;
    int const zh = !run->school_headers_en;
    em_writer w;
    FORWARD_IF_ERROR(em_openLent(ctx, &w, rel, &wk->out));
    xj_error err = XJ_OK;
    if (em_schoolCsvBom(run)) err = em_put(&w, "\xEF\xBB\xBF", 3);
    if (!err) err = em_putSchoolLine(ctx, &wk->text, &w, header);
    int const plain = !run->excel && !run->school_gbk; /* else the transforms go line by line */
    buf_clear(&wk->line);
    for (size_t k = 0; k < n && !err; k++) {
        if (wk->line.len > 0 && (!plain || wk->line.len >= EM_RENDER_BATCH)) {
            err = em_putSchoolLine(ctx, &wk->text, &w, &wk->line);
            buf_clear(&wk->line);
        }
        if (k + EM_AHEAD_ROW < n) em_prefetchRow(rows[k + EM_AHEAD_ROW], 0);
        if (k + EM_AHEAD_DATA < n) em_prefetchRow(rows[k + EM_AHEAD_DATA], 1);
        if (k + EM_AHEAD_MEMBERS < n) em_prefetchRow(rows[k + EM_AHEAD_MEMBERS], 2);
        if (!err) err = em_renderRow(&wk->line, run, rows[k], zh);
    }
    if (!err && wk->line.len > 0) err = em_putSchoolLine(ctx, &wk->text, &w, &wk->line);
    if (!err) err = em_close(&w);
    else em_abandon(&w);
    if (!err && run->xlsx) err = em_writeBook(wk, rel, rows, n);
    if (!err) return XJ_OK;
    if (ctx->st->code == XJ_OK) st_fail(ctx->st, err, "cannot render %s: %s", rel, xj_errorName(err));
    return err;
}

/* One school's file: rows [from, to). */
static xj_error em_writeSchool(em_schoolWorker *wk, const xj_buf *header, size_t from, size_t to)
{
    em_ctx *const ctx = &wk->ctx;
    char path[96], dir[64];
    em_schoolPath(&ctx->run->rows[from], path, sizeof path, dir, sizeof dir);
    const pb_row *const *const rows = em_xlsxRowsOf(&wk->xlsx, &ctx->run->rows[from], to - from);
    RETURN_ERROR_IF(rows == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory writing %s", path);
    return em_writeRowFile(wk, header, path, rows, to - from);
}

/* Moves files[0 .. n) (their paths too) into ctx's list; frees them all
 * when that fails. */
static xj_error em_adoptList(em_ctx *ctx, em_file *files, size_t n)
{
    if (n > ctx->cap_files - ctx->n_files) {
        size_t const ncap = ctx->n_files + n;
        em_file *const grown = xj_reallocArray(ctx->files, ncap, sizeof *grown);
        if (grown == NULL) {
            em_filesFree(files, n);
            return st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory");
        }
        ctx->files = grown;
        ctx->cap_files = ncap;
    }
    if (n) memcpy(ctx->files + ctx->n_files, files, n * sizeof *files);
    ctx->n_files += n;
    xj_free(files);
    return XJ_OK;
}

/* Moves a worker's files into the shared list. */
static xj_error em_adoptFiles(em_ctx *ctx, em_ctx *from)
{
    xj_error const err = em_adoptList(ctx, from->files, from->n_files);
    from->files = NULL;
    from->n_files = from->cap_files = 0;
    return err;
}

void em_filesFree(em_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) xj_free(files[i].path);
    xj_free(files);
}

/* schools/ and every province's folder under it, before any worker starts. */
static xj_error em_makeSchoolDirs(em_ctx *ctx, const size_t *runs, size_t n_runs)
{
    const em_run *const run = ctx->run;
    FORWARD_IF_ERROR(em_mkdir(ctx, "schools"));
    unsigned char made[EM_PROVINCES] = {0};
    for (size_t r = 0; r < n_runs; r++) {
        const pb_row *const row = &run->rows[runs[r]];
        int const p = em_provinceIndex(row->school, row->school_len);
        if (made[p]) continue;
        char path[96], dir[64];
        em_schoolPath(row, path, sizeof path, dir, sizeof dir);
        FORWARD_IF_ERROR(em_mkdir(ctx, dir));
        made[p] = 1;
    }
    return XJ_OK;
}

/* `threads` workers, each with a copy of ctx that has its own status and
 * file list. NULL when out of memory. */
static em_schoolWorker *em_workersNew(const em_ctx *ctx, int threads)
{
    em_schoolWorker *const workers = xj_calloc((size_t)threads, sizeof *workers);
    if (workers == NULL) return NULL;
    for (int t = 0; t < threads; t++) {
        em_schoolWorker *const wk = &workers[t];
        wk->ctx = *ctx;
        wk->ctx.files = NULL;
        wk->ctx.n_files = wk->ctx.cap_files = 0;
        wk->ctx.st = &wk->st;
        st_init(&wk->st);
        buf_init(&wk->line, (size_t)1 << 30);
        buf_init(&wk->out, EM_WRITE_BUFFER);
        em_xlsxScratchInit(&wk->xlsx);
    }
    return workers;
}

/* Ends the workers: `err` (problems.csv's, its message in ctx->st already)
 * first, else the first worker's error in worker order; every worker's
 * files join ctx's list, so that a failure still removes them all. */
static xj_error em_workersEnd(em_ctx *ctx, em_schoolWorker *workers, int threads, xj_error err)
{
    for (int t = 0; t < threads; t++) {
        em_schoolWorker *const wk = &workers[t];
        if (!err && wk->st.code != XJ_OK) err = st_fail(ctx->st, wk->st.code, "%s", wk->st.message);
        xj_error const e = em_adoptFiles(ctx, &wk->ctx);
        if (!err) err = e;
        buf_free(&wk->line);
        buf_free(&wk->out);
        em_xlsxScratchFree(&wk->xlsx);
    }
    xj_free(workers);
    return err;
}

/* The files still to write, items [front, back): schools, then offices'
 * lists. Even threads take batches from the front, odd ones from the back.
 * Schools are in code order, so two threads taking from the same end would
 * create files in the same province folder at the same moment, and file
 * systems create one entry at a time in a folder: on ext4 the second
 * thread spins on the folder's lock (perf: rwsem_spin_on_owner, 4.5 % of
 * a 200M run's write phase, 23 % after a large deletion). */
typedef struct {
    size_t front, back;
} em_batches;

enum { EM_BATCH = 16 };

static int em_takeBatch(em_batches *w, int from_back, size_t *lo, size_t *hi)
{
    int took = 0;
#pragma omp critical(em_takeBatch)
    {
        size_t const n = w->back - w->front < EM_BATCH ? w->back - w->front : EM_BATCH;
        if (n) {
            took = 1;
            if (from_back) {
                w->back -= n;
                *lo = w->back;
            } else {
                *lo = w->front;
                w->front += n;
            }
            *hi = *lo + n;
        }
    }
    return took;
}

/* The files of the schools runs[0 .. n_schools) (a run of equal codes each),
 * of `offices` (NULL: none), and with `problems` problems.csv,
 * assignments.csv and em_writeCounted's files: on run->threads workers when
 * asked — one of them writes those first (in that order) while the others
 * start on the schools. A file's bytes depend only on its rows, and
 * MANIFEST sorts the list, so the output is the same whatever the thread
 * count. */
static xj_error em_writeShare(em_ctx *ctx, const size_t *runs, size_t n_schools, const em_offices *offices,
                              int problems)
{
    em_run *const run = ctx->run;
    xj_buf header;
    buf_init(&header, (size_t)1 << 30);
    xj_error err = em_renderHeader(&header, run, !run->school_headers_en);
    if (err) {
        buf_free(&header);
        return st_fail(ctx->st, err, "cannot render the school file header: %s", xj_errorName(err));
    }
    int const threads = run->threads > 1 ? run->threads : 1;
    em_schoolWorker *const workers = em_workersNew(ctx, threads);
    if (workers == NULL) {
        buf_free(&header);
        return st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory");
    }
    size_t const n_offices = offices ? offices->n : 0;
    em_batches work = {.front = 0, .back = n_schools + n_offices};
    int failed = 0; /* set once any worker fails: the others stop early */
    xj_error all_err = XJ_OK;
#pragma omp parallel num_threads(threads)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        em_schoolWorker *const wk = &workers[tid];
        xj_error local = em_schoolTextInit(&wk->ctx, &wk->text);
#pragma omp single nowait
        {
            /* the shared ctx: no worker touches it meanwhile. assignments.csv
             * (320 MB at 200M rows) and the counted files are here, not after
             * the schools, where they were written alone with the other
             * cores idle */
            if (problems) all_err = em_writeAllProblems(ctx);
            if (problems && !all_err) all_err = em_writeAssignments(ctx);
            if (problems && !all_err) all_err = em_writeCounted(ctx);
            if (all_err) {
#pragma omp atomic write
                failed = 1;
            }
        }
        size_t r, end;
        for (;;) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (local || stop || !em_takeBatch(&work, tid & 1, &r, &end)) break;
            for (; r < end && !local; r++) {
                if (r < n_schools) local = em_writeSchool(wk, &header, runs[r], runs[r + 1]);
                else {
                    const em_office *const o = &offices->v[r - n_schools];
                    local = em_writeRowFile(wk, &header, o->rel, o->rows, o->n);
                }
            }
            if (local) {
#pragma omp atomic write
                failed = 1;
            }
        }
        em_schoolTextFree(&wk->text);
    }
    buf_free(&header);
    return em_workersEnd(ctx, workers, threads, all_err);
}

/* problems.csv, schools/ (one file per run of equal codes) and the files
 * em_writeShare writes beside them. Every directory is made first. In a
 * distributed run the schools after the first share go to the other
 * processes (em_share), which write them while this one writes its own,
 * problems.csv and the offices' lists. */
static xj_error em_writeAll(em_ctx *ctx, const size_t *runs, size_t n_runs)
{
    em_run *const run = ctx->run;
    FORWARD_IF_ERROR(em_makeSchoolDirs(ctx, runs, n_runs));
    FORWARD_IF_ERROR(em_officesMakeDirs(ctx, ctx->offices));
    const em_share *const share = run->share;
    size_t keep = n_runs;
    xj_error err = share ? share->hand_out(share->user, run, runs, n_runs, ctx->tmp_path, &keep, ctx->st) : XJ_OK;
    if (!err && keep > n_runs) err = st_fail(ctx->st, XJ_ERR_INTERNAL, "internal error: %zu of %zu schools kept", keep, n_runs);
    if (!err) err = em_writeShare(ctx, runs, keep, ctx->offices, 1);
    if (share) {
        em_file *theirs = NULL;
        size_t n = 0;
        xj_error const back = share->take_back(share->user, err, &theirs, &n, ctx->st);
        if (!err) err = back;
        run->timing.shared_files = n;
        xj_error const adopted = em_adoptList(ctx, theirs, n); /* listed even on failure: removed with the rest */
        if (!err) err = adopted;
    }
    return err;
}

xj_error em_writeSchoolShare(em_run *run, const char *tmp_path, em_file **files, size_t *n_files, xj_status *st)
{
    *files = NULL;
    *n_files = 0;
    FORWARD_IF_ERROR(em_checkRows(run, st));
    size_t *const runs = xj_mallocArray(run->n_rows + 1, sizeof *runs);
    RETURN_ERROR_IF(runs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    size_t n_runs = 0;
    for (size_t i = 0; i < run->n_rows; i++) {
        if (i == 0 || !em_sameSchool(&run->rows[i], &run->rows[i - 1])) runs[n_runs++] = i;
    }
    runs[n_runs] = run->n_rows;
    int const dirfd = open(tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        xj_free(runs);
        return st_fail(st, XJ_ERR_IO, "cannot open %s, where the output is being written: %s (every process must "
                       "see OUTDIR's parent directory at the same path)", tmp_path, strerror(errno));
    }
    em_ctx ctx = {.run = run, .st = st, .dirfd = dirfd, .tmp_path = tmp_path};
    xj_error err = em_writeShare(&ctx, runs, n_runs, NULL, 0);
    /* the writing process syncs its own file system only */
    if (!err && syncfs(dirfd) != 0) err = st_fail(st, XJ_ERR_IO, "cannot sync %s: %s", tmp_path, strerror(errno));
    close(dirfd);
    xj_free(runs);
    *files = ctx.files;
    *n_files = ctx.n_files;
    return err;
}

xj_error em_writeProblems(em_ctx *ctx)
{
    size_t *runs = NULL, n_runs = 0;
    FORWARD_IF_ERROR(em_sortRows(ctx, &runs, &n_runs));
    ctx->offices = xj_calloc(1, sizeof *ctx->offices);
    xj_error err = ctx->offices ? em_officesOf(ctx, ctx->offices) : st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = em_writeAll(ctx, runs, n_runs);
    xj_free(runs);
    return err;
}
