/*
 * scan_pass1 — the first pass over one chunk: every record is parsed,
 * normalized and checked, and leaves behind only what grouping needs: its
 * keys (in the worker's sharded tables), an invalid-ID reference, or a reject
 * with its raw bytes. Nothing here depends on other chunks.
 */
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"

static xj_error sc_addReject(sc_worker *w, uint32_t source, uint64_t line, const char *error, const char *raw,
                             size_t n)
{
    if (xj_growArray(&w->rej, &w->cap_rej, w->n_rej + 1, sizeof *w->rej, 64) != 0) return XJ_ERR_NOMEM;
    char *const copy = ar_strndup(&w->arena, raw, n);
    if (copy == NULL) return XJ_ERR_NOMEM;
    w->rej[w->n_rej++] = (em_reject){error, copy, line, n, source};
    return XJ_OK;
}

static xj_error sc_addInvalid(sc_worker *w, uint64_t ref, xj_idReason reason)
{
    if (xj_growArray(&w->inv, &w->cap_inv, w->n_inv + 1, sizeof *w->inv, 256) != 0) return XJ_ERR_NOMEM;
    w->inv[w->n_inv++] = (sc_invalid){ref, (uint8_t)reason};
    return XJ_OK;
}

/* Adds the record's keys to the worker's tables. */
static xj_error sc_addKeys(sc_run *run, sc_worker *w, const ps_view *v, const ck_facts *f, uint64_t ref)
{
    if (f->id_res.space == ID_KEY_GB) {
        FORWARD_IF_ERROR(gk_add(&w->gb, 0, f->id_res.gb, ref));
    } else if (f->id_res.space == ID_KEY_OTHER) {
        gk_key const k = gk_otherIdKey(w->keytext, f->id_type, f->id, f->id_len);
        FORWARD_IF_ERROR(gk_add(&w->other, k.hi, k.lo, ref));
    }
    int const has_id = f->id_len != 0;
    if (has_id && run->scan->attr_scope != XJ_ATTR_MIXED) return XJ_OK;
    FORWARD_IF_ERROR(ck_name(v, &w->ck));
    gk_key const k = gk_attrKey(w->keytext, w->ck.name.data, w->ck.name.len, f->sex, f->birth);
    return gk_add(&w->attr, k.hi, k.lo, ref | (has_id ? GK_HAS_ID : 0));
}

/* Raw bytes of a record for rejects.csv: without the CR of a CRLF end. */
static size_t sc_rawLen(const char *rec, size_t n)
{
    return n && rec[n - 1] == '\r' ? n - 1 : n;
}

/* The chunk's anchors for pass 2 (sc_anchor), filed under its seq. */
static xj_error sc_addAnchors(sc_worker *w, const rd_chunk *chunk)
{
    size_t const n = (chunk->n_recs + SC_ANCHOR_EVERY - 1) / SC_ANCHOR_EVERY;
    RETURN_ERROR_IF(xj_growArray(&w->anchors, &w->cap_anchors, w->n_anchors + n, sizeof *w->anchors, 4096) != 0 ||
                        xj_growArray(&w->anchor_runs, &w->cap_anchor_runs, w->n_anchor_runs + 1,
                                     sizeof *w->anchor_runs, 64) != 0,
                    &w->st, XJ_ERR_NOMEM, "out of memory");
    w->anchor_runs[w->n_anchor_runs++] = (sc_anchorRun){chunk->seq, w->n_anchors, n};
    for (size_t i = 0; i < chunk->n_recs; i += SC_ANCHOR_EVERY) {
        size_t const next = i + SC_ANCHOR_EVERY;
        w->anchors[w->n_anchors++] = (sc_anchor){
            gk_ref(chunk->source, chunk->first_line + chunk->recs[i].line_delta),
            chunk->offset + chunk->recs[i].start,
            chunk->offset + (next < chunk->n_recs ? chunk->recs[next].start : chunk->len),
        };
    }
    return XJ_OK;
}

xj_error sc_pass1Chunk(sc_run *run, sc_worker *w, const rd_chunk *chunk)
{
    sc_input const *const in = &run->inputs[chunk->source];
    w->parse.fields.max_fields = in->schema.n_columns + 1;
    /* one check of the whole chunk instead of one a record; when it fails,
     * each record is checked and only the bad ones are rejected */
    w->parse.text_checked = w->parse.gbk == NULL && ps_isCleanUtf8Bulk(chunk->data, chunk->len);
    w->blank += chunk->blank_lines;
    if (in->plain && run->ixb == NULL && chunk->n_recs) FORWARD_IF_ERROR(sc_addAnchors(w, chunk));
    size_t const invalid_before = w->n_inv;
    for (size_t i = 0; i < chunk->n_overlong; i++) {
        rd_overlong const *const o = &chunk->overlong[i];
        FORWARD_IF_ERROR(sc_addReject(w, chunk->source, o->line, "record_too_long", o->raw, o->raw_len));
    }
    for (size_t i = 0; i < chunk->n_recs; i++) {
        rd_record const r = chunk->recs[i];
        uint64_t const line = chunk->first_line + r.line_delta;
        RETURN_ERROR_IF(line > GK_MAX_LINE, &w->st, XJ_ERR_LIMIT, "%s: more than %llu lines", in->path,
                        (unsigned long long)GK_MAX_LINE);
        uint64_t const ref = gk_ref(chunk->source, line);
        const char *const rec = chunk->data + r.start;
        size_t const n = r.end - r.start;
        int const unterminated = chunk->unterminated && i + 1 == chunk->n_recs;
        ps_view v;
        ck_facts f;
        const char *const reject = sc_readRecord(run, w, in, rec, n, unterminated, &v, &f);
        if (reject != NULL) {
            FORWARD_IF_ERROR(sc_addReject(w, chunk->source, line, reject, rec, sc_rawLen(rec, n)));
            continue;
        }
        w->accepted++;
        w->unknown_types += (uint64_t)f.unknown_type;
        uint64_t key_ref = ref;
        if (run->ixb) FORWARD_IF_ERROR(ixb_addRecord(run, w, chunk, &v, &f, line, &key_ref));
        else if (f.id_res.reason != XJ_ID_OK) FORWARD_IF_ERROR(sc_addInvalid(w, ref, f.id_res.reason));
        FORWARD_IF_ERROR(sc_addKeys(run, w, &v, &f, key_ref));
    }
    if (run->ixb) FORWARD_IF_ERROR(ixb_endChunk(run, w, chunk));
    atomic_fetch_add_explicit(&run->invalid_seen, w->n_inv - invalid_before, memory_order_relaxed);
    return XJ_OK;
}

xj_error sc_checkEncodings(sc_run *run)
{
    xj_scan *const s = run->scan;
    uint64_t *const bad = xj_calloc(run->n_inputs ? run->n_inputs : 1, sizeof *bad);
    RETURN_ERROR_IF(bad == NULL, &s->st, XJ_ERR_NOMEM, "out of memory");
    for (int t = 0; t < run->n_workers; t++)
        for (size_t k = 0; k < run->workers[t].n_rej; k++) {
            const em_reject *const r = &run->workers[t].rej[k];
            if (r->source < run->n_inputs && strcmp(r->error, "encoding") == 0) bad[r->source]++;
        }
    const char *const enc = s->gbk ? "GB 18030 (GBK)" : "UTF-8";
    const char *const fix = s->gbk ? "if the file is UTF-8, run again without --encoding gbk"
                                   : "if the file is a GBK export, run again with --encoding gbk";
    xj_error err = XJ_OK;
    for (size_t i = 0; i < run->n_inputs && !err; i++) {
        uint64_t const rows = run->inputs[i].rows, n = bad[i];
        if (n == 0) continue;
        unsigned const pct = (unsigned)(n * 100 / rows);
        /* ten rows at least: a file of one garbled row is a reject, not a verdict */
        if (n >= 10 && n * 2 > rows)
            err = st_fail(&s->st, XJ_ERR_INPUT,
                          "%s: %llu of its %llu rows (%u%%) are not valid %s text, so the file was read in the "
                          "wrong encoding; %s. Nothing was written",
                          run->inputs[i].path, (unsigned long long)n, (unsigned long long)rows, pct, enc, fix);
        else if (nt_add(&s->warnings, "%s: %llu of its %llu rows are not valid %s text; they were rejected "
                                      "(error 'encoding') and not checked",
                        run->inputs[i].path, (unsigned long long)n, (unsigned long long)rows, enc) != XJ_OK)
            err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    }
    xj_free(bad);
    return err;
}
