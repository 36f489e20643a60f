/*
 * scan_stream — drives a pass over every input: a reader thread opens each
 * input, maps its header and cuts chunks of whole records into a bounded
 * queue; the workers (OpenMP threads, or just the calling thread) take chunks
 * from the queue and parse them. Reading — decompression and record
 * splitting, the serial part — so overlaps parsing instead of alternating
 * with it.
 *
 * Which worker parses which chunk varies from run to run and nothing depends
 * on it: every result is keyed by record reference and sorted later. Used
 * chunk buffers travel back to the reader for reuse. The queue holds at most
 * 2 x workers + 2 chunks, which bounds memory whatever the input size.
 */
#include <pthread.h>
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct sc_queue {
    pthread_mutex_t mu;        /* guards everything below */
    pthread_cond_t changed;    /* a chunk came or went, or the state changed */
    rd_chunk *slots;           /* ring of chunks waiting to be parsed */
    size_t cap, head, count;
    rd_chunk *spare;           /* parsed chunks, their buffers to reuse */
    size_t n_spare;
    int closed;                /* the reader has finished (or failed) */
    int abort;                 /* a worker failed: the reader stops early */
} sc_queue;

typedef struct sc_reader {
    sc_run *run;               /* the scan */
    sc_queue *q;               /* where chunks go */
    int first_pass;            /* map headers, record input facts */
    const char *stage;         /* for progress */
    ps_worker hdr;             /* splits headers (the workers are busy) */
    xj_status st;              /* the reader's first error */
    uint64_t rows;             /* records split so far, for progress */
    uint64_t chunks;           /* chunks handed out so far: the next one's seq */
    sc_chunkFn inline_fn;      /* one thread: the reader parses its own chunks */
} sc_reader;

/* ---- the queue ---- */

static int sc_queuePush(sc_queue *q, rd_chunk *c)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->abort) pthread_cond_wait(&q->changed, &q->mu);
    int const ok = !q->abort;
    if (ok) {
        q->slots[(q->head + q->count) % q->cap] = *c;
        q->count++;
        memset(c, 0, sizeof *c);
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

/* 0 once the queue is closed and empty. */
static int sc_queuePop(sc_queue *q, rd_chunk *out)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed) pthread_cond_wait(&q->changed, &q->mu);
    int const got = q->count > 0;
    if (got) {
        *out = q->slots[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_cond_broadcast(&q->changed);
    }
    pthread_mutex_unlock(&q->mu);
    return got;
}

/* A worker returns a parsed chunk; the reader will reuse its buffers. */
static void sc_queueGiveBack(sc_queue *q, rd_chunk *c)
{
    pthread_mutex_lock(&q->mu);
    if (q->n_spare < q->cap) {
        q->spare[q->n_spare++] = *c;
        memset(c, 0, sizeof *c);
    }
    pthread_mutex_unlock(&q->mu);
    rd_chunkFree(c); /* no room: free it (a no-op when it was kept) */
}

static int sc_queueAborted(sc_queue *q)
{
    pthread_mutex_lock(&q->mu);
    int const a = q->abort;
    pthread_mutex_unlock(&q->mu);
    return a;
}

static void sc_queueSet(sc_queue *q, int *flag)
{
    pthread_mutex_lock(&q->mu);
    *flag = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

/* ---- the reader ---- */

static xj_error sc_reportProgress(sc_reader *r)
{
    sc_run *const run = r->run;
    xj_scan *const s = run->scan;
    if (s->progress == NULL) return XJ_OK;
    uint64_t done = 0;
    for (size_t i = 0; i < run->n_inputs; i++)
        done += run->inputs[i].rd ? rd_rawBytes(run->inputs[i].rd) : run->inputs[i].facts.bytes;
    xj_progress const p = {run->bytes_total, done, r->rows, atomic_load_explicit(&run->invalid_seen, memory_order_relaxed),
                           r->stage};
    RETURN_ERROR_IF(s->progress(&p, s->progress_user) != 0, &r->st, XJ_ERR_INTERRUPTED, "the scan was cancelled");
    return XJ_OK;
}

/* Decodes, splits and maps the header of input `i` (first pass only). */
static xj_error sc_mapHeader(sc_reader *r, size_t i, const xj_buf *raw, xj_buf *text)
{
    sc_run *const run = r->run;
    xj_status *const st = &r->st;
    sc_input *const in = &run->inputs[i];
    ps_worker *const w = &r->hdr;
    /* two common wrong exports deserve their own words */
    RETURN_ERROR_IF(raw->len >= 2 && ((raw->data[0] == '\xFF' && raw->data[1] == '\xFE') ||
                                      (raw->data[0] == '\xFE' && raw->data[1] == '\xFF') ||
                                      memchr(raw->data, '\0', raw->len) != NULL),
                    st, XJ_ERR_INPUT,
                    "%s: line 1: the file looks like UTF-16 text; save it as UTF-8 (or GBK, with --encoding gbk)",
                    in->path);
    const char *const cr = memchr(raw->data, '\r', raw->len);
    RETURN_ERROR_IF(cr != NULL && cr + 1 < raw->data + raw->len, st, XJ_ERR_INPUT,
                    "%s: line 1: the file ends its lines with CR only (old Mac format); convert them to LF or CRLF",
                    in->path);
    buf_clear(text);
    if (run->scan->gbk) {
        RETURN_ERROR_IF(ps_decodeGb18030(w->gbk, raw->data, raw->len, text) != XJ_OK, st, XJ_ERR_INPUT,
                        "%s: line 1: the header is not valid GB 18030 text", in->path);
    } else {
        FORWARD_IF_ERROR(buf_append(text, raw->data, raw->len));
    }
    RETURN_ERROR_IF(!ps_isCleanUtf8(text->data, text->len), st, XJ_ERR_INPUT,
                    "%s: line 1: the header is not valid UTF-8; if the file is a GBK export, use --encoding gbk",
                    in->path);
    w->fields.max_fields = XJ_MAX_COLUMNS;
    ps_fieldError const fe = ps_splitFields(&w->fields, text->data, text->len, 0);
    RETURN_ERROR_IF(fe == PS_FIELDS_TOO_MANY, st, XJ_ERR_INPUT, "%s: line 1: the header has more than %d columns",
                    in->path, XJ_MAX_COLUMNS);
    RETURN_ERROR_IF(fe != PS_FIELDS_OK, st, XJ_ERR_INPUT,
                    "%s: line 1: the header row is not valid CSV (check its quotes)", in->path);
    const char **const names = xj_mallocArray(w->fields.n, sizeof *names);
    RETURN_ERROR_IF(names == NULL, st, XJ_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < w->fields.n; c++) names[c] = ps_value(&w->fields, c);
    xj_error const err = ps_mapHeader(names, w->fields.len, w->fields.n, run->maps, run->scan->n_maps, in->path,
                                      &run->cols, &in->schema, st);
    xj_free(names);
    if (!err && i == 0 && run->scan->previous && run->prev == NULL) FORWARD_IF_ERROR(sc_previousLoad(run, st));
    /* every header is known once the last one is mapped: fail before its body is read */
    if (!err && i + 1 == run->n_inputs) return ps_checkMapsSeen(run->maps, run->scan->n_maps, &run->cols, st);
    return err;
}

/* Regular files are reopened for the second pass; an input that can be read
 * only once (standard input, a named pipe, a device) stays open and is
 * replayed from its spool. A run without a second pass spools nothing. */
static xj_error sc_openInput(sc_reader *r, size_t i)
{
    sc_input *const in = &r->run->inputs[i];
    if (in->rd != NULL) return rd_rewind(in->rd, &r->st);
    xj_error const err = r->run->one_pass ? rd_openOnce(in->path, &in->rd, &r->st)
                                          : rd_open(in->path, NULL, &in->rd, &r->st);
    /* a multi-frame .zst is decoded on as many threads as the run has
     * workers, so that --threads 1 means one thread */
    if (!err) rd_setThreads(in->rd, r->run->n_workers);
    return err;
}

/* Hands the workers' used chunks to the splitter for reuse. */
static void sc_reclaim(sc_queue *q, rd_splitter *sp)
{
    pthread_mutex_lock(&q->mu);
    size_t const n = q->n_spare;
    rd_chunk local[64];
    size_t const take = n < 64 ? n : 64;
    memcpy(local, q->spare + (n - take), take * sizeof *local);
    q->n_spare -= take;
    pthread_mutex_unlock(&q->mu);
    for (size_t k = 0; k < take; k++) rd_recycleChunk(sp, &local[k]);
}

/* An input another process reads (a distributed run): only its header,
 * in the first pass, so that every process knows every column. */
static xj_error sc_readHeaderOnly(sc_reader *r, size_t i, xj_buf *raw, xj_buf *text)
{
    sc_input *const in = &r->run->inputs[i];
    if (!r->first_pass) return XJ_OK;
    rd_splitter *sp = NULL;
    int found = 0;
    xj_error err = rd_open(in->path, NULL, &in->rd, &r->st);
    if (!err) err = rd_splitterCreate(in->rd, (uint32_t)i, r->run->chunk_size, &sp, &r->st);
    if (!err) err = rd_readHeader(sp, raw, &found, &r->st);
    if (!err && !found) err = st_fail(&r->st, XJ_ERR_INPUT, "%s: the file is empty: it has no header row", in->path);
    if (!err) err = sc_mapHeader(r, i, raw, text);
    rd_splitterFree(sp);
    rd_close(in->rd);
    in->rd = NULL;
    return err;
}

/* Opens this process's part of a split input (scan_split.c); a part after
 * the first starts on a record of its own: the header is read apart. */
static xj_error sc_openPart(sc_reader *r, size_t i, xj_buf *raw, xj_buf *text, rd_splitter **sp, int *headed)
{
    sc_input *const in = &r->run->inputs[i];
    *headed = in->part_lo == 0;
    if (!*headed) FORWARD_IF_ERROR(sc_readHeaderOnly(r, i, raw, text));
    FORWARD_IF_ERROR(sc_openInput(r, i));
    FORWARD_IF_ERROR(rd_setRange(in->rd, in->part_lo, in->part_hi, &r->st));
    FORWARD_IF_ERROR(rd_splitterCreate(in->rd, (uint32_t)i, r->run->chunk_size, sp, &r->st));
    if (!*headed) rd_splitterStartAt(*sp, in->line_lo, in->part_lo);
    return XJ_OK;
}

static xj_error sc_readInput(sc_reader *r, size_t i, xj_buf *raw, xj_buf *text)
{
    sc_run *const run = r->run;
    sc_input *const in = &run->inputs[i];
    if (!sc_isMine(run, i)) return sc_readHeaderOnly(r, i, raw, text);
    rd_splitter *sp = NULL;
    int headed = 1;
    xj_error err = in->split ? sc_openPart(r, i, raw, text, &sp, &headed) : sc_openInput(r, i);
    if (!err && !sp) err = rd_splitterCreate(in->rd, (uint32_t)i, run->chunk_size, &sp, &r->st);
    /* a scan's chunks may be whole .zst frames, saving their copy; an index
     * build's blocks follow its chunks, so it keeps them as they were */
    if (!err && !run->one_pass) rd_splitterTakeFrames(sp);
    int found = 0;
    if (!err && headed) err = rd_readHeader(sp, raw, &found, &r->st);
    if (!err && headed && !found)
        err = st_fail(&r->st, XJ_ERR_INPUT, "%s: the file is empty: it has no header row", in->path);
    if (!err && headed && r->first_pass) err = sc_mapHeader(r, i, raw, text);
    if (!err && r->first_pass) in->plain = rd_isPlainFile(in->rd); /* before any chunk reaches a worker */
    for (int done = 0; !err && !done;) {
        sc_reclaim(r->q, sp);
        rd_chunk c;
        err = rd_nextChunk(sp, &c, &done, &r->st);
        if (err || done) break;
        c.seq = r->chunks++;
        r->rows += c.n_recs + c.n_overlong;
        if (r->first_pass) in->rows += c.n_recs + c.n_overlong;
        if (r->inline_fn) {
            sc_worker *const w = &run->workers[0];
            xj_error const e = r->inline_fn(run, w, &c);
            rd_recycleChunk(sp, &c);
            if (e) {
                if (w->st.code == XJ_OK) st_fail(&w->st, e, "%s", xj_errorName(e));
                sc_queueSet(r->q, &r->q->abort); /* no further input either */
                break;
            }
        } else if (!sc_queuePush(r->q, &c)) {
            rd_chunkFree(&c);
            break; /* a worker failed; its error is reported */
        }
        err = sc_reportProgress(r);
    }
    sc_reclaim(r->q, sp);
    if (r->first_pass) in->contiguous = !err && sp && rd_splitterContiguous(sp);
    if (r->first_pass) in->rereadable = in->contiguous && in->plain;
    if (r->first_pass && !err && sp) in->part_in_quote = rd_splitterInQuote(sp);
    rd_splitterFree(sp);
    if (in->rd && r->first_pass) {
        in->facts.bytes = rd_rawBytes(in->rd);
        in->facts.decoded_bytes = rd_decodedBytes(in->rd);
        rd_hashHex(in->rd, in->facts.xxh3_128);
    }
    if (in->rd && !(r->first_pass && rd_isSpooled(in->rd))) {
        rd_close(in->rd);
        in->rd = NULL;
    }
    return err;
}

static void *sc_readerMain(void *arg)
{
    sc_reader *const r = arg;
    xj_buf raw, text;
    buf_init(&raw, 2u * XJ_MAX_RECORD);
    buf_init(&text, 4u * XJ_MAX_RECORD);
    for (size_t i = 0; i < r->run->n_inputs && r->st.code == XJ_OK && !sc_queueAborted(r->q); i++)
        sc_readInput(r, i, &raw, &text);
    buf_free(&raw);
    buf_free(&text);
    sc_queueSet(r->q, &r->q->closed);
    return NULL;
}

/* ---- the pass ---- */

sc_worker *sc_thisWorker(sc_run *run)
{
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
#endif
    return &run->workers[tid];
}

xj_error sc_workersError(sc_run *run)
{
    for (int t = 0; t < run->n_workers; t++)
        if (run->workers[t].st.code != XJ_OK)
            return st_fail(&run->scan->st, run->workers[t].st.code, "%s", run->workers[t].st.message);
    return XJ_OK;
}

static void sc_work(sc_run *run, sc_queue *q, sc_chunkFn fn)
{
    sc_worker *const w = sc_thisWorker(run);
    rd_chunk c;
    while (sc_queuePop(q, &c)) {
        if (w->st.code == XJ_OK) {
            xj_error const e = fn(run, w, &c);
            if (e) {
                if (w->st.code == XJ_OK) st_fail(&w->st, e, "%s", xj_errorName(e));
                sc_queueSet(q, &q->abort);
            }
        }
        sc_queueGiveBack(q, &c);
    }
}

xj_error sc_forEachChunk(sc_run *run, int first_pass, sc_chunkFn fn, const char *stage)
{
    xj_status *const st = &run->scan->st;
    sc_queue q;
    memset(&q, 0, sizeof q);
    q.cap = 2 * (size_t)run->n_workers + 2;
    q.slots = xj_calloc(q.cap, sizeof *q.slots);
    q.spare = xj_calloc(q.cap, sizeof *q.spare);
    sc_reader r;
    memset(&r, 0, sizeof r);
    r.run = run;
    r.q = &q;
    r.first_pass = first_pass;
    r.stage = stage;
    st_init(&r.st);
    xj_error err = q.slots && q.spare ? XJ_OK : XJ_ERR_NOMEM;
    if (!err) err = ps_workerInit(&r.hdr, run->scan->gbk, XJ_MAX_COLUMNS);
    if (err) {
        xj_free(q.slots);
        xj_free(q.spare);
        return st_fail(st, err, "cannot start reading: %s", xj_errorName(err));
    }
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.changed, NULL);
    pthread_t reader;
    if (run->n_workers == 1) {
        /* one thread in all: no reader thread, no queue hand-offs, so that
         * --threads 1 means one thread (the 1 -> 2 speed-up is honest) */
        r.inline_fn = fn;
        sc_readerMain(&r);
    } else if (pthread_create(&reader, NULL, sc_readerMain, &r) != 0) {
        err = st_fail(st, XJ_ERR_NOMEM, "cannot start the reader thread");
    } else {
#pragma omp parallel num_threads(run->n_workers)
        sc_work(run, &q, fn);
        pthread_join(reader, NULL);
    }
    /* the reader's error first (it names file and line), then the workers' */
    if (!err && r.st.code != XJ_OK) err = st_fail(st, r.st.code, "%s", r.st.message);
    if (!err) err = sc_workersError(run);
    if (!err && first_pass) err = sc_checkEncodings(run, 0);
    for (size_t k = 0; k < q.count; k++) rd_chunkFree(&q.slots[(q.head + k) % q.cap]);
    for (size_t k = 0; k < q.n_spare; k++) rd_chunkFree(&q.spare[k]);
    pthread_cond_destroy(&q.changed);
    pthread_mutex_destroy(&q.mu);
    xj_free(q.slots);
    xj_free(q.spare);
    ps_workerFree(&r.hdr);
    return err;
}
