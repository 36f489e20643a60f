/*
 * scan_pass2 — everything after the first pass: group the keys, gather the
 * flagged records from a second read of the inputs, decide each group and
 * hand the rows to emit.
 *
 * Only flagged records (members of a group, or invalid IDs: a few percent)
 * are parsed again in full. Plain files are read back only where flagged
 * records lie (scan_fetch.c); other inputs are read again whole, a chunk with
 * no flagged line skipped after a binary search. The second read sees the
 * same bytes as the first (files are reopened, standard input is replayed
 * from its spool); a file that changed in between so that a flagged record
 * is missing, moved or no longer parses is reported, not trusted
 * (tests/pipeline/test_changed.c).
 */
#include <stdlib.h>
#include <string.h>

#include "scan_internal.h"
#include "xj_alloc.h"

static int sc_cmpU64(const void *a, const void *b)
{
    uint64_t const x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

xj_error sc_group(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    int const nw = run->n_workers;
    gk_table **const tabs = xj_calloc((size_t)nw, sizeof *tabs);
    RETURN_ERROR_IF(tabs == NULL, st, XJ_ERR_NOMEM, "out of memory");
    xj_error err = XJ_OK;
    for (int kind = 0; kind < 3 && !err; kind++) {
        for (int t = 0; t < nw; t++)
            tabs[t] = sc_keyTable(&run->workers[t], kind);
        int const need_no_id = kind == GD_KEY_ATTR && run->scan->attr_scope == XJ_ATTR_MIXED;
        err = gk_findGroups(tabs, (size_t)nw, 2, need_no_id, nw, &run->groups[kind], st);
    }
    xj_free(tabs);
    FORWARD_IF_ERROR(err);
    return sc_listFlagged(run);
}

xj_error sc_listFlagged(sc_run *run)
{
    xj_status *const st = &run->scan->st;
    int const nw = run->n_workers;
    size_t n = 0;
    for (int kind = 0; kind < 3; kind++) n += run->groups[kind].n_refs;
    for (int t = 0; t < nw; t++) n += run->workers[t].n_inv;
    uint64_t *const f = xj_mallocArray(n ? n : 1, sizeof *f);
    RETURN_ERROR_IF(f == NULL, st, XJ_ERR_NOMEM, "out of memory listing flagged records");
    size_t at = 0;
    for (int kind = 0; kind < 3; kind++)
        for (size_t i = 0; i < run->groups[kind].n_refs; i++) {
            uint64_t const ref = run->groups[kind].refs[i] & ~GK_HAS_ID;
            if (gk_refSource(ref) < run->n_inputs) f[at++] = ref; /* not register members */
        }
    for (int t = 0; t < nw; t++)
        for (size_t i = 0; i < run->workers[t].n_inv; i++) f[at++] = run->workers[t].inv[i].ref;
    n = at;
    qsort(f, n, sizeof *f, sc_cmpU64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || f[i] != f[u - 1]) f[u++] = f[i];
    run->flagged = f;
    run->n_flagged = u;
    run->gathered = xj_calloc(u ? u : 1, sizeof *run->gathered);
    RETURN_ERROR_IF(run->gathered == NULL, st, XJ_ERR_NOMEM, "out of memory");
    return XJ_OK;
}

static size_t sc_lowerBound(const uint64_t *v, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (v[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Copies what the decisions and the output need into the worker's arena. */
static xj_error sc_gather(sc_run *run, sc_worker *w, const sc_input *in, const ps_view *v, const ck_facts *f,
                          uint64_t ref, gr_record *out)
{
    FORWARD_IF_ERROR(ck_name(v, &w->ck));
    buf_clear(&w->tail);
    for (size_t j = 0; j < run->cols.n; j++) {
        FORWARD_IF_ERROR(buf_appendByte(&w->tail, ','));
        int const c = in->col_for_out[j];
        if (c >= 0) FORWARD_IF_ERROR(em_appendCsvField(&w->tail, ps_value(v->fields, (size_t)c), v->fields->len[c]));
    }
    xj_arena *const a = &w->arena;
    out->ref = ref;
    out->school = ar_strndup(a, v->val[PS_SCHOOL_CODE], v->len[PS_SCHOOL_CODE]);
    out->county = ar_strndup(a, v->val[PS_REGION_CODE], v->len[PS_REGION_CODE]);
    out->student_no = ar_strndup(a, v->val[PS_STUDENT_NO], v->len[PS_STUDENT_NO]);
    out->name = ar_strndup(a, w->ck.name.data ? w->ck.name.data : "", w->ck.name.len);
    out->id = ar_strndup(a, f->id, f->id_len);
    out->tail = ar_strndup(a, w->tail.data, w->tail.len);
    if (!out->school || !out->county || !out->student_no || !out->name || !out->id || !out->tail)
        return XJ_ERR_NOMEM;
    out->school_len = v->len[PS_SCHOOL_CODE];
    out->county_len = v->len[PS_REGION_CODE];
    out->student_no_len = v->len[PS_STUDENT_NO];
    out->name_len = (uint32_t)w->ck.name.len;
    out->id_len = (uint32_t)f->id_len;
    out->tail_len = (uint32_t)w->tail.len;
    out->registered = f->registered;
    out->birth = f->birth;
    out->sex = (uint8_t)f->sex;
    out->id_type = f->id_type;
    return XJ_OK;
}

/* Flagged record `ref`, found again at rec[0..n): parsed and gathered into
 * `slot`. A record that no longer parses means the file changed. */
static xj_error sc_gatherOne(sc_run *run, sc_worker *w, const sc_input *in, const char *rec, size_t n,
                             int unterminated, uint64_t ref, gr_record *slot)
{
    ps_view v;
    ck_facts f;
    const char *const reject = sc_readRecord(run, w, in, rec, n, unterminated, &v, &f);
    RETURN_ERROR_IF(reject != NULL, &w->st, XJ_ERR_INPUT,
                    "%s: line %llu changed while it was being scanned; run again on a stable copy", in->path,
                    (unsigned long long)gk_refLine(ref));
    return sc_gather(run, w, in, &v, &f, ref, slot);
}

xj_error sc_gatherChunk(sc_run *run, sc_worker *w, const rd_chunk *chunk, size_t pos, size_t end)
{
    sc_input const *const in = &run->inputs[chunk->source];
    w->parse.fields.max_fields = in->schema.n_columns + 1;
    w->parse.text_checked = 0; /* few records: each checks its own */
    for (size_t i = 0; i < chunk->n_recs && pos < end; i++) {
        rd_record const r = chunk->recs[i];
        uint64_t const ref = gk_ref(chunk->source, chunk->first_line + r.line_delta);
        if (run->flagged[pos] != ref) continue;
        int const unterminated = chunk->unterminated && i + 1 == chunk->n_recs;
        FORWARD_IF_ERROR(sc_gatherOne(run, w, in, chunk->data + r.start, r.end - r.start, unterminated, ref,
                                      &run->gathered[pos]));
        pos++;
    }
    return XJ_OK;
}

xj_error sc_pass2Chunk(sc_run *run, sc_worker *w, const rd_chunk *chunk)
{
    if (chunk->n_recs == 0) return XJ_OK;
    uint64_t const last_line = chunk->first_line + chunk->recs[chunk->n_recs - 1].line_delta;
    size_t const pos = sc_lowerBound(run->flagged, run->n_flagged, gk_ref(chunk->source, chunk->first_line));
    size_t const end = sc_lowerBound(run->flagged, run->n_flagged, gk_ref(chunk->source, last_line + 1));
    return sc_gatherChunk(run, w, chunk, pos, end);
}

/* For each output column, the column of input `in` that holds it. */
static xj_error sc_mapOutputColumns(sc_run *run)
{
    for (size_t i = 0; i < run->n_inputs; i++) {
        sc_input *const in = &run->inputs[i];
        in->col_for_out = xj_mallocArray(run->cols.n ? run->cols.n : 1, sizeof *in->col_for_out);
        RETURN_ERROR_IF(in->col_for_out == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
        for (size_t j = 0; j < run->cols.n; j++) in->col_for_out[j] = -1;
        for (size_t c = 0; c < in->schema.n_columns; c++) in->col_for_out[in->schema.out_col[c]] = (int)c;
    }
    return XJ_OK;
}

xj_error sc_gatherPass(sc_run *run);
xj_error sc_gatherPass(sc_run *run)
{
    FORWARD_IF_ERROR(sc_mapOutputColumns(run));
    run->n_gathered = run->n_flagged;
    if (run->n_flagged == 0) return XJ_OK;
    int rereadable = 1;
    for (size_t i = 0; i < run->n_inputs; i++) rereadable &= run->inputs[i].rereadable;
    /* plain files: only the stretches around flagged records, in parallel;
     * otherwise (zstd, standard input, an overlong record) read all again */
    if (rereadable) FORWARD_IF_ERROR(sc_fetchPass(run));
    else FORWARD_IF_ERROR(sc_forEachChunk(run, 0, sc_pass2Chunk, "gathering"));
    for (size_t i = 0; i < run->n_flagged; i++) {
        RETURN_ERROR_IF(run->gathered[i].ref != run->flagged[i], &run->scan->st, XJ_ERR_INPUT,
                        "%s: line %llu was not found again on the second read; the input changed during the scan",
                        run->inputs[gk_refSource(run->flagged[i])].path,
                        (unsigned long long)gk_refLine(run->flagged[i]));
    }
    return XJ_OK;
}
