/*
 * scan_stream — drives a pass over every input. Each worker (an OpenMP
 * thread, or just the calling thread) takes the pass's next chunk of whole
 * records — reading, decompressing and splitting it, one worker at a time
 * under a lock — and then parses it itself, while the bytes it has just
 * read are still in its core's cache. The workers take turns at the lock;
 * the one that finds an input's end closes it and opens the next.
 *
 * A reader thread used to cut chunks into a queue for the workers: every
 * chunk then crossed from the reading core to a parsing one, and read()
 * wrote into buffers last parsed elsewhere, which cost 7 % more CPU at two
 * threads than at one (bench/notes-issue20.md).
 *
 * Which worker parses which chunk varies from run to run and nothing depends
 * on it: every result is keyed by record reference and sorted later. A
 * worker gives its parsed chunk back before it takes the next, so each
 * worker holds one chunk, which bounds memory whatever the input size.
 */
#include <pthread.h>
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct sc_source {
    pthread_mutex_t mu;        /* held while a chunk is cut: guards everything below */
    sc_run *run;               /* the scan */
    int first_pass;            /* map headers, record input facts */
    const char *stage;         /* for progress */
    ps_worker hdr;             /* splits headers */
    xj_buf raw, text;          /* a header's bytes, decoded */
    xj_status st;              /* the reading's first error */
    size_t input;              /* the input being read, or the next one to open */
    rd_splitter *sp;           /* its splitter; NULL between inputs */
    xj_error input_err;        /* the first error while reading it */
    uint64_t rows;             /* records split so far, for progress */
    uint64_t chunks;           /* chunks handed out so far: the next one's seq */
    int done;                  /* every input read, or the reading failed */
    int abort;                 /* a worker failed: nothing more is cut */
} sc_source;

/* ---- the inputs, one chunk at a time ---- */

static xj_error sc_reportProgress(sc_source *r)
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

/* Decodes, splits and maps the header of input `i`, read into r->raw
 * (first pass only). */
static xj_error sc_mapHeader(sc_source *r, size_t i)
{
    const xj_buf *const raw = &r->raw;
    xj_buf *const text = &r->text;
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
static xj_error sc_openInput(sc_source *r, size_t i)
{
    sc_input *const in = &r->run->inputs[i];
    xj_error err = XJ_OK;
    if (in->rd != NULL) {
        err = rd_rewind(in->rd, &r->st);
    } else {
        err = r->run->one_pass ? rd_openOnce(in->path, &in->rd, &r->st) : rd_open(in->path, NULL, &in->rd, &r->st);
        /* a multi-frame .zst is decoded on as many threads as the run has
         * workers, so that --threads 1 means one thread */
        if (!err) rd_setThreads(in->rd, r->run->n_workers);
    }
    /* the first pass checked the frames' checksums (scan_fetch.c) */
    if (!err && !r->first_pass) rd_skipChecksums(in->rd);
    return err;
}

/* An input another process reads (a distributed run): only its header,
 * in the first pass, so that every process knows every column. */
static xj_error sc_readHeaderOnly(sc_source *r, size_t i)
{
    sc_input *const in = &r->run->inputs[i];
    if (!r->first_pass) return XJ_OK;
    rd_splitter *sp = NULL;
    int found = 0;
    xj_error err = rd_open(in->path, NULL, &in->rd, &r->st);
    if (!err) err = rd_splitterCreate(in->rd, (uint32_t)i, r->run->chunk_size, &sp, &r->st);
    if (!err) err = rd_readHeader(sp, &r->raw, &found, &r->st);
    if (!err && !found) err = st_fail(&r->st, XJ_ERR_INPUT, "%s: the file is empty: it has no header row", in->path);
    if (!err) err = sc_mapHeader(r, i);
    rd_splitterFree(sp);
    rd_close(in->rd);
    in->rd = NULL;
    return err;
}

/* Opens this process's part of a split input (scan_split.c) into r->sp;
 * a part after the first starts on a record of its own: the header is
 * read apart. */
static xj_error sc_openPart(sc_source *r, size_t i, int *headed)
{
    sc_input *const in = &r->run->inputs[i];
    *headed = in->part_lo == 0;
    if (!*headed) FORWARD_IF_ERROR(sc_readHeaderOnly(r, i));
    FORWARD_IF_ERROR(sc_openInput(r, i));
    FORWARD_IF_ERROR(rd_setRange(in->rd, in->part_lo, in->part_hi, &r->st));
    FORWARD_IF_ERROR(rd_splitterCreate(in->rd, (uint32_t)i, r->run->chunk_size, &r->sp, &r->st));
    if (!*headed) rd_splitterStartAt(r->sp, in->line_lo, in->part_lo);
    return XJ_OK;
}

/* Opens input r->input, one this process reads, and reads its header
 * (mapped in the first pass). */
static xj_error sc_openNext(sc_source *r)
{
    sc_run *const run = r->run;
    size_t const i = r->input;
    sc_input *const in = &run->inputs[i];
    int headed = 1;
    FORWARD_IF_ERROR(in->split ? sc_openPart(r, i, &headed) : sc_openInput(r, i));
    if (!r->sp) FORWARD_IF_ERROR(rd_splitterCreate(in->rd, (uint32_t)i, run->chunk_size, &r->sp, &r->st));
    /* a scan's chunks may be whole .zst frames, saving their copy; an index
     * build's blocks follow its chunks, so it keeps them as they were */
    if (!run->one_pass) rd_splitterTakeFrames(r->sp);
    int found = 0;
    if (headed) FORWARD_IF_ERROR(rd_readHeader(r->sp, &r->raw, &found, &r->st));
    RETURN_ERROR_IF(headed && !found, &r->st, XJ_ERR_INPUT, "%s: the file is empty: it has no header row",
                    in->path);
    if (headed && r->first_pass) FORWARD_IF_ERROR(sc_mapHeader(r, i));
    if (r->first_pass) in->plain = rd_isPlainFile(in->rd); /* before any chunk reaches a worker */
    return XJ_OK;
}

/* After input r->input's last chunk (or its first error): what the first
 * pass learnt of it, and the input closed unless pass 2 replays it. */
static void sc_closeInput(sc_source *r)
{
    sc_input *const in = &r->run->inputs[r->input];
    rd_splitter *const sp = r->sp;
    xj_error const err = r->input_err;
    if (r->first_pass) in->contiguous = !err && sp && rd_splitterContiguous(sp);
    if (r->first_pass) in->rereadable = in->contiguous && in->plain;
    if (r->first_pass && !err && sp) in->part_in_quote = rd_splitterInQuote(sp);
    rd_splitterFree(sp);
    r->sp = NULL;
    if (in->rd && r->first_pass) {
        in->facts.bytes = rd_rawBytes(in->rd);
        in->facts.decoded_bytes = rd_decodedBytes(in->rd);
        rd_hashHex(in->rd, in->facts.xxh3_128);
    }
    if (in->rd && !(r->first_pass && rd_isSpooled(in->rd))) {
        rd_close(in->rd);
        in->rd = NULL;
    }
    r->input_err = XJ_OK;
    r->input++;
}

/* The pass's next chunk into *c (1), or 0 when there is none: every input
 * is read, the reading failed (r->st) or a worker did (r->abort). Called
 * with r->mu held. */
static int sc_sourceNext(sc_source *r, rd_chunk *c)
{
    sc_run *const run = r->run;
    while (!r->done) {
        if (r->abort || r->st.code != XJ_OK) {
            if (r->sp) sc_closeInput(r);
            r->done = 1;
            break;
        }
        if (r->sp == NULL) {
            if (r->input == run->n_inputs) {
                r->done = 1;
                break;
            }
            if (!sc_isMine(run, r->input)) {
                (void)sc_readHeaderOnly(r, r->input); /* an error lands in r->st */
                r->input++;
                continue;
            }
            r->input_err = sc_openNext(r);
            if (r->input_err) {
                sc_closeInput(r);
                continue;
            }
        }
        int end = 0;
        r->input_err = rd_nextChunk(r->sp, c, &end, &r->st);
        if (r->input_err || end) {
            sc_closeInput(r);
            continue;
        }
        sc_input *const in = &run->inputs[c->source];
        c->seq = r->chunks++;
        r->rows += c->n_recs + c->n_overlong;
        if (r->first_pass) in->rows += c->n_recs + c->n_overlong;
        (void)sc_reportProgress(r); /* a cancel lands in r->st: no chunk after this one */
        return 1;
    }
    return 0;
}

/* A parsed chunk's buffers back to the open input's splitter, to be read
 * into again (by the same worker, most often: the buffer it just parsed
 * is still in its core's cache). Called with r->mu held. */
static void sc_sourceGiveBack(sc_source *r, rd_chunk *c)
{
    if (c->data == NULL) return;
    if (r->sp) rd_recycleChunk(r->sp, c);
    else rd_chunkFree(c);
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

/* One worker: cuts the next chunk (one worker at a time) and parses it
 * itself, while the bytes it just read are in its core's cache. */
static void sc_work(sc_run *run, sc_source *r, sc_chunkFn fn)
{
    sc_worker *const w = sc_thisWorker(run);
    rd_chunk c;
    memset(&c, 0, sizeof c);
    for (;;) {
        pthread_mutex_lock(&r->mu);
        sc_sourceGiveBack(r, &c);
        int const got = sc_sourceNext(r, &c);
        pthread_mutex_unlock(&r->mu);
        if (!got) break;
        xj_error const e = fn(run, w, &c);
        if (e) {
            if (w->st.code == XJ_OK) st_fail(&w->st, e, "%s", xj_errorName(e));
            pthread_mutex_lock(&r->mu);
            r->abort = 1;
            pthread_mutex_unlock(&r->mu);
        }
    }
    rd_chunkFree(&c);
}

xj_error sc_forEachChunk(sc_run *run, int first_pass, sc_chunkFn fn, const char *stage)
{
    xj_status *const st = &run->scan->st;
    sc_source r;
    memset(&r, 0, sizeof r);
    r.run = run;
    r.first_pass = first_pass;
    r.stage = stage;
    st_init(&r.st);
    buf_init(&r.raw, 2u * XJ_MAX_RECORD);
    buf_init(&r.text, 4u * XJ_MAX_RECORD);
    xj_error err = ps_workerInit(&r.hdr, run->scan->gbk, XJ_MAX_COLUMNS);
    if (err) {
        buf_free(&r.raw);
        buf_free(&r.text);
        return st_fail(st, err, "cannot start reading: %s", xj_errorName(err));
    }
    pthread_mutex_init(&r.mu, NULL);
    /* --threads 1 runs on the calling thread alone, so the 1 -> 2 speed-up
     * is honest */
    if (run->n_workers == 1) {
        sc_work(run, &r, fn);
    } else {
#pragma omp parallel num_threads(run->n_workers)
        sc_work(run, &r, fn);
    }
    if (r.sp) sc_closeInput(&r); /* a worker that stops closes it; this is for safety */
    /* the reading's error first (it names file and line), then the workers' */
    if (r.st.code != XJ_OK) err = st_fail(st, r.st.code, "%s", r.st.message);
    if (!err) err = sc_workersError(run);
    if (!err && first_pass) err = sc_checkEncodings(run, 0);
    pthread_mutex_destroy(&r.mu);
    buf_free(&r.raw);
    buf_free(&r.text);
    ps_workerFree(&r.hdr);
    return err;
}
