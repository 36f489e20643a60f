/*
 * scan_fetch — pass 2 for plain files: read back only the stretches of the
 * inputs that hold flagged records.
 *
 * The first pass files an anchor every SC_ANCHOR_EVERY records (its line and
 * byte offset, and where its stretch ends). Flagged records are a few
 * percent, so most stretches hold none; those that do are read with pread,
 * split by the same code as the first pass (rd_splitRange, from a record
 * boundary on a known line) and their flagged records gathered, by all
 * workers at once. Reading the whole input again serially cost a 10M-row
 * scan a fifth of its time.
 *
 * Inputs that cannot be read at an offset (.zst, standard input) are read
 * once more from the start by sc_fetchStreamPass, but their records are not
 * split again: the decoded bytes go by, and only the anchored stretches
 * that hold flagged records are kept, split and gathered, on the calling
 * thread while rd_input decodes frames on the workers; nothing after the
 * last flagged record is decoded.
 *
 * A file that changed since the first pass shows as a short read, a record
 * that no longer parses, or a flagged line not found again (sc_gatherPass
 * checks that every flagged record was gathered).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_internal.h"
#include "xj_alloc.h"

/* A stretch to read and the flagged records in it: flagged[first ..
 * first + n). */
typedef struct sc_fetchJob {
    sc_anchor anchor;
    size_t first, n;
} sc_fetchJob;

typedef struct sc_ownedRun {
    sc_anchorRun run;
    const sc_found *found;
} sc_ownedRun;

static int sc_cmpRun(const void *a, const void *b)
{
    uint64_t const x = ((const sc_ownedRun *)a)->run.seq, y = ((const sc_ownedRun *)b)->run.seq;
    return x < y ? -1 : x > y;
}

/* Every worker's anchors in input order (chunk order is input order),
 * read where the workers filed them: their runs (one a chunk) sorted by
 * chunk number, and a place in them. Copied into one array, as they were,
 * they cost a serial pass and 300 MB of fresh memory at 200M rows. */
typedef struct sc_anchors {
    sc_ownedRun *runs;
    size_t n_runs;
    size_t r, i; /* the current anchor: the i-th of runs[r] */
} sc_anchors;

static xj_error sc_collectAnchors(sc_run *run, sc_anchors *out)
{
    size_t n_runs = 0;
    for (int t = 0; t < run->n_workers; t++) n_runs += run->workers[t].found.n_anchor_runs;
    sc_ownedRun *const runs = xj_mallocArray(n_runs ? n_runs : 1, sizeof *runs);
    RETURN_ERROR_IF(runs == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
    size_t at = 0;
    for (int t = 0; t < run->n_workers; t++) {
        sc_found const *const f = &run->workers[t].found;
        for (size_t i = 0; i < f->n_anchor_runs; i++)
            if (f->anchor_runs[i].n) runs[at++] = (sc_ownedRun){f->anchor_runs[i], f};
    }
    qsort(runs, at, sizeof *runs, sc_cmpRun);
    *out = (sc_anchors){runs, at, 0, 0};
    return XJ_OK;
}

/* The current anchor, or the one after it; NULL past the last. */
static const sc_anchor *sc_anchorAhead(const sc_anchors *a, size_t ahead)
{
    size_t r = a->r, i = a->i + ahead;
    while (r < a->n_runs && i >= a->runs[r].run.n) i -= a->runs[r++].run.n;
    return r < a->n_runs ? &a->runs[r].found->anchors[a->runs[r].run.first + i] : NULL;
}

static void sc_anchorNext(sc_anchors *a)
{
    if (++a->i == a->runs[a->r].run.n) a->r++, a->i = 0;
}

/* Groups the flagged records by the stretch that holds each. */
static xj_error sc_planFetch(sc_run *run, sc_anchors *anchors, sc_fetchJob **out, size_t *n_out)
{
    xj_status *const st = &run->scan->st;
    sc_fetchJob *const jobs = xj_mallocArray(run->n_flagged ? run->n_flagged : 1, sizeof *jobs);
    RETURN_ERROR_IF(jobs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < run->n_flagged;) {
        uint64_t const ref = run->flagged[i];
        const sc_anchor *next;
        while ((next = sc_anchorAhead(anchors, 1)) != NULL && next->ref <= ref) sc_anchorNext(anchors);
        const sc_anchor *const a = sc_anchorAhead(anchors, 0);
        if (a == NULL || a->ref > ref) {
            xj_free(jobs);
            return st_fail(st, XJ_ERR_INTERNAL, "internal error: line %llu of %s lies before every anchor",
                           (unsigned long long)gk_refLine(ref), run->inputs[gk_refSource(ref)].path);
        }
        size_t j = i + 1;
        while (j < run->n_flagged && (next == NULL || run->flagged[j] < next->ref)) j++;
        jobs[n++] = (sc_fetchJob){*a, i, j - i};
        i = j;
    }
    *out = jobs;
    *n_out = n;
    return XJ_OK;
}

/* The plan of pass 2: its jobs in input order. */
static xj_error sc_plan(sc_run *run, sc_fetchJob **jobs, size_t *n_jobs)
{
    sc_anchors anchors = {0};
    FORWARD_IF_ERROR(sc_collectAnchors(run, &anchors));
    xj_error const err = sc_planFetch(run, &anchors, jobs, n_jobs);
    xj_free(anchors.runs);
    return err;
}

/* Reads file bytes [offset, offset + len) into buf. */
static xj_error sc_readStretch(int fd, uint64_t offset, size_t len, xj_buf *buf, const char *path, xj_status *st)
{
    buf_clear(buf);
    RETURN_ERROR_IF(buf_reserve(buf, len + 1) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
    size_t got = 0;
    while (got < len) {
        ssize_t const r = pread(fd, buf->data + got, len - got, (off_t)(offset + got));
        if (r < 0 && errno == EINTR) continue;
        RETURN_ERROR_IF(r < 0, st, XJ_ERR_INPUT, "%s: read failed: %s", path, strerror(errno));
        RETURN_ERROR_IF(r == 0, st, XJ_ERR_INPUT,
                        "%s: shorter than on the first read; the input changed during the scan", path);
        got += (size_t)r;
    }
    buf->len = len;
    return XJ_OK;
}

/* Progress for the "gathering" stage; 1 when the caller asks to stop. Only
 * ever called by one thread at a time (before the pass, then by thread 0). */
static int sc_fetchCancelled(sc_run *run)
{
    xj_scan *const s = run->scan;
    if (s->progress == NULL) return 0;
    sc_counts const c = sc_countFound(run);
    xj_progress const p = {run->bytes_total, run->bytes_total, c.accepted + c.rejected,
                           atomic_load_explicit(&run->invalid_seen, memory_order_relaxed), "gathering"};
    return s->progress(&p, s->progress_user) != 0;
}

/* One job on worker w: read its stretch, split it, gather its flagged
 * records (scan_gather.c). */
static xj_error sc_fetchOne(sc_run *run, sc_worker *w, const int *fds, const sc_fetchJob *job, xj_buf *buf,
                            rd_chunk *chunk)
{
    const sc_anchor *const anchor = &job->anchor;
    uint32_t const source = gk_refSource(anchor->ref);
    sc_input const *const in = &run->inputs[source];
    RETURN_ERROR_IF(anchor->end < anchor->offset || anchor->end - anchor->offset > SIZE_MAX / 2, &w->st,
                    XJ_ERR_INTERNAL, "internal error: a broken anchor in %s", in->path);
    size_t const len = (size_t)(anchor->end - anchor->offset);
    FORWARD_IF_ERROR(sc_readStretch(fds[source], anchor->offset, len, buf, in->path, &w->st));
    FORWARD_IF_ERROR(rd_splitRange(buf->data, len, gk_refLine(anchor->ref), chunk, &w->st));
    chunk->source = source;
    return sc_gatherChunk(run, w, chunk, job->first, job->first + job->n);
}

xj_error sc_fetchPass(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    size_t n_jobs = 0;
    sc_fetchJob *jobs = NULL;
    xj_error err = sc_plan(run, &jobs, &n_jobs);
    int *const fds = xj_mallocArray(run->n_inputs ? run->n_inputs : 1, sizeof *fds);
    if (!err && fds == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    size_t opened = 0;
    for (; !err && opened < run->n_inputs; opened++) {
        fds[opened] = -1;
        if (!sc_isMine(run, opened)) continue; /* another process reads it */
        fds[opened] = open(run->inputs[opened].path, O_RDONLY | O_CLOEXEC);
        if (fds[opened] < 0)
            err = st_fail(st, XJ_ERR_INPUT, "%s: cannot open again: %s", run->inputs[opened].path, strerror(errno));
    }
    if (!err && sc_fetchCancelled(run)) err = st_fail(st, XJ_ERR_INTERRUPTED, "the scan was cancelled");
    _Atomic int stop = 0;
    if (!err) {
#pragma omp parallel num_threads(run->n_workers)
        {
            sc_worker *const w = sc_thisWorker(run);
            int const first = w == &run->workers[0]; /* the calling thread: it may report progress */
            xj_buf buf;
            buf_init(&buf, (size_t)1 << 34);
            rd_chunk chunk;
            memset(&chunk, 0, sizeof chunk);
#pragma omp for schedule(dynamic, 64)
            for (size_t k = 0; k < n_jobs; k++) {
                if (w->st.code != XJ_OK || atomic_load(&stop)) continue; /* the loop cannot break: skip the rest */
                xj_error const e = sc_fetchOne(run, w, fds, &jobs[k], &buf, &chunk);
                if (e && w->st.code == XJ_OK) st_fail(&w->st, e, "%s", xj_errorName(e));
                if (e) atomic_store(&stop, 1);
                if (first && k % 4096 == 0 && sc_fetchCancelled(run)) {
                    st_fail(&w->st, XJ_ERR_INTERRUPTED, "the scan was cancelled");
                    atomic_store(&stop, 1);
                }
            }
            chunk.data = NULL; /* points into buf */
            rd_chunkFree(&chunk);
            buf_free(&buf);
        }
        err = sc_workersError(run);
    }
    for (size_t i = 0; i < opened; i++)
        if (fds[i] >= 0) close(fds[i]);
    xj_free(fds);
    xj_free(jobs);
    return err;
}

/* ---- inputs that cannot be read at an offset (.zst, standard input) ---- */

#define SC_STREAM_BLOCK ((size_t)1 << 20) /* decoded bytes asked of rd_read at a time */

/* Input i opened again for pass 2 (its part, when split): a regular file
 * anew, a spooled one rewound, as the first read of pass 2 would. Pass 1
 * checked its frames' checksums, and a changed record is found here by
 * what it holds. */
static xj_error sc_reopen(sc_run *run, sc_input *in, xj_status *st)
{
    xj_error err = in->rd ? rd_rewind(in->rd, st) : rd_open(in->path, NULL, &in->rd, st);
    if (!err) rd_setThreads(in->rd, run->n_workers);
    if (!err) rd_skipChecksums(in->rd);
    if (!err && in->split) err = rd_setRange(in->rd, in->part_lo, in->part_hi, st);
    return err;
}

/* Reads decoded bytes on until the window holds stream bytes [lo, hi),
 * and no further: the stretches are a fifth of the text at most (a stretch
 * of 16 records holds a flagged one when a few per cent are), and reading
 * in whole blocks copied all of it, a second of one core at 200M rows.
 * Stream bytes before lo that the window does not hold are passed over
 * (rd_skip: a frame decoded on the workers is not copied at all); bytes
 * before lo that it holds are dropped when more must be read. *pos: the
 * stream offset of the next byte rd_read gives. */
static xj_error sc_windowTo(sc_input *in, xj_buf *win, uint64_t *win_start, uint64_t *pos, uint64_t lo, uint64_t hi,
                            xj_status *st)
{
    if (lo >= *win_start + win->len) {
        buf_clear(win);
        while (*pos < lo) {
            size_t const want = lo - *pos < SC_STREAM_BLOCK ? (size_t)(lo - *pos) : SC_STREAM_BLOCK;
            RETURN_ERROR_IF(buf_reserve(win, want) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
            size_t got = 0;
            FORWARD_IF_ERROR(rd_skip(in->rd, win->data, want, &got, st));
            RETURN_ERROR_IF(got == 0, st, XJ_ERR_INPUT,
                            "%s: shorter than on the first read; the input changed during the scan", in->path);
            *pos += got;
        }
        *win_start = *pos;
    } else if (lo > *win_start && *win_start + win->len < hi) {
        size_t const drop = (size_t)(lo - *win_start);
        memmove(win->data, win->data + drop, win->len - drop);
        win->len -= drop;
        *win_start = lo;
    }
    while (*win_start + win->len < hi) {
        uint64_t const left = hi - (*win_start + win->len);
        size_t const want = left < SC_STREAM_BLOCK ? (size_t)left : SC_STREAM_BLOCK;
        RETURN_ERROR_IF(buf_reserve(win, win->len + want) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
        size_t got = 0;
        FORWARD_IF_ERROR(rd_read(in->rd, win->data + win->len, want, &got, st));
        RETURN_ERROR_IF(got == 0, st, XJ_ERR_INPUT,
                        "%s: shorter than on the first read; the input changed during the scan", in->path);
        win->len += got;
        *pos += got;
    }
    return XJ_OK;
}

xj_error sc_fetchStreamPass(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    sc_worker *const w = &run->workers[0];
    size_t n_jobs = 0;
    sc_fetchJob *jobs = NULL;
    xj_error err = sc_plan(run, &jobs, &n_jobs);
    if (!err && sc_fetchCancelled(run)) err = st_fail(st, XJ_ERR_INTERRUPTED, "the scan was cancelled");
    xj_buf win;
    buf_init(&win, (size_t)1 << 34);
    rd_chunk chunk;
    memset(&chunk, 0, sizeof chunk);
    sc_input *in = NULL;
    uint64_t win_start = 0, pos = 0;
    for (size_t k = 0; !err && k < n_jobs; k++) {
        const sc_anchor *const a = &jobs[k].anchor;
        uint32_t const source = gk_refSource(a->ref);
        if (in != &run->inputs[source]) { /* the next input with flagged records */
            if (in) rd_close(in->rd), in->rd = NULL;
            in = &run->inputs[source];
            err = sc_reopen(run, in, st);
            win_start = pos = in->split ? in->part_lo : 0;
            buf_clear(&win);
        }
        if (!err && (a->end < a->offset || a->offset < win_start || a->end - a->offset > SIZE_MAX / 2))
            err = st_fail(st, XJ_ERR_INTERNAL, "internal error: a broken anchor in %s", in->path);
        if (!err) err = sc_windowTo(in, &win, &win_start, &pos, a->offset, a->end, st);
        if (!err)
            err = rd_splitRange(win.data + (a->offset - win_start), (size_t)(a->end - a->offset), gk_refLine(a->ref),
                                &chunk, st);
        chunk.source = source;
        if (!err && (err = sc_gatherChunk(run, w, &chunk, jobs[k].first, jobs[k].first + jobs[k].n)) != XJ_OK)
            st_fail(st, w->st.code != XJ_OK ? w->st.code : err, "%s", w->st.code != XJ_OK ? w->st.message : xj_errorName(err));
        if (!err && k % 4096 == 4095 && sc_fetchCancelled(run)) err = st_fail(st, XJ_ERR_INTERRUPTED, "the scan was cancelled");
    }
    if (in) rd_close(in->rd), in->rd = NULL; /* what follows the last flagged record is never decoded */
    chunk.data = NULL; /* points into win */
    rd_chunkFree(&chunk);
    buf_free(&win);
    xj_free(jobs);
    return err;
}
