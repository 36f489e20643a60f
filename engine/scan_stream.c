/*
 * scan_stream — drives a pass over every input: open, map the header, cut
 * chunks, and parse batches of chunks in parallel.
 *
 * The reader is serial (one stream, one splitter); parsing is parallel over a
 * batch of 2 x threads chunks. Which worker handles which chunk varies from
 * run to run, and nothing depends on it: every result is keyed by record
 * reference and sorted later.
 */
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static xj_error sc_reportProgress(sc_run *run, const char *stage)
{
    xj_scan *const s = run->scan;
    if (s->progress == NULL) return XJ_OK;
    uint64_t done = 0;
    for (size_t i = 0; i < run->n_inputs; i++) done += run->inputs[i].rd ? rd_rawBytes(run->inputs[i].rd) : run->inputs[i].facts.bytes;
    run->rows_total = run->invalid_total = 0;
    for (int t = 0; t < run->n_workers; t++) {
        run->rows_total += run->workers[t].accepted + run->workers[t].n_rej;
        run->invalid_total += run->workers[t].n_inv;
    }
    xj_progress const p = {run->bytes_total, done, run->rows_total, run->invalid_total, stage};
    RETURN_ERROR_IF(s->progress(&p, s->progress_user) != 0, &s->st, XJ_ERR_INTERRUPTED, "the scan was cancelled");
    return XJ_OK;
}

/* Decodes, splits and maps the header of input `i` (first pass only). */
static xj_error sc_mapHeader(sc_run *run, size_t i, const xj_buf *raw, xj_buf *text)
{
    xj_status *const st = &run->scan->st;
    sc_input *const in = &run->inputs[i];
    ps_worker *const w = &run->workers[0].parse;
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
    return err;
}

/* Files are reopened for the second pass; standard input stays open and
 * is replayed from its spool. */
static xj_error sc_openInput(sc_run *run, size_t i)
{
    sc_input *const in = &run->inputs[i];
    xj_status *const st = &run->scan->st;
    if (in->rd != NULL) return rd_rewind(in->rd, st);
    return rd_open(in->path, NULL, &in->rd, st);
}

/* Runs `fn` over a batch of chunks in parallel. */
static xj_error sc_runBatch(sc_run *run, rd_chunk *batch, size_t nb, sc_chunkFn fn)
{
    xj_error err = XJ_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(run->n_workers)
    for (long k = 0; k < (long)nb; k++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        sc_worker *const w = &run->workers[tid];
        if (w->st.code == XJ_OK) {
            xj_error const e = fn(run, w, &batch[k]);
            if (e && w->st.code == XJ_OK) st_fail(&w->st, e, "%s", xj_errorName(e));
        }
    }
    for (int t = 0; t < run->n_workers; t++) {
        if (run->workers[t].st.code != XJ_OK && err == XJ_OK) {
            err = st_fail(&run->scan->st, run->workers[t].st.code, "%s", run->workers[t].st.message);
        }
    }
    return err;
}

xj_error sc_forEachChunk(sc_run *run, int first_pass, sc_chunkFn fn, const char *stage)
{
    xj_status *const st = &run->scan->st;
    size_t const batch_cap = 2 * (size_t)run->n_workers;
    rd_chunk *const batch = xj_calloc(batch_cap, sizeof *batch);
    RETURN_ERROR_IF(batch == NULL, st, XJ_ERR_NOMEM, "out of memory");
    xj_buf raw, text;
    buf_init(&raw, 2u * XJ_MAX_RECORD);
    buf_init(&text, 4u * XJ_MAX_RECORD);
    xj_error err = XJ_OK;
    for (size_t i = 0; i < run->n_inputs && !err; i++) {
        sc_input *const in = &run->inputs[i];
        rd_splitter *sp = NULL;
        err = sc_openInput(run, i);
        if (!err) err = rd_splitterCreate(in->rd, (uint32_t)i, run->chunk_size, &sp, st);
        int found = 0;
        if (!err) err = rd_readHeader(sp, &raw, &found, st);
        if (!err && !found) err = st_fail(st, XJ_ERR_INPUT, "%s: the file is empty: it has no header row", in->path);
        if (!err && first_pass) err = sc_mapHeader(run, i, &raw, &text);
        for (int t = 0; t < run->n_workers && !err; t++)
            run->workers[t].parse.fields.max_fields = in->schema.n_columns + 1;
        int done = 0;
        while (!err && !done) {
            size_t nb = 0;
            while (nb < batch_cap && !err) {
                err = rd_nextChunk(sp, &batch[nb], &done, st);
                if (err || done) break;
                nb++;
            }
            if (!err && nb) err = sc_runBatch(run, batch, nb, fn);
            for (size_t k = 0; k < nb; k++) rd_recycleChunk(sp, &batch[k]);
            if (!err) err = sc_reportProgress(run, stage);
        }
        rd_splitterFree(sp);
        if (in->rd && first_pass) {
            in->facts.bytes = rd_rawBytes(in->rd);
            in->facts.decoded_bytes = rd_decodedBytes(in->rd);
            rd_hashHex(in->rd, in->facts.xxh3_128);
        }
        if (in->rd && strcmp(in->path, "-") != 0) {
            rd_close(in->rd);
            in->rd = NULL;
        }
    }
    buf_free(&raw);
    buf_free(&text);
    xj_free(batch);
    return err;
}
