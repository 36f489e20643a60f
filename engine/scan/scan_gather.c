/*
 * scan_gather — one flagged record found again, made into the gr_record
 * the decisions and the output need; and a chunk's flagged records.
 *
 * Both ways pass 2 reads records back end here: the anchored stretches of
 * plain files (scan_fetch.c) and whole inputs read again (scan_pass2.c). A
 * record is parsed and checked exactly as pass 1 did (sc_readRecord), so
 * one that no longer parses means its file changed between the passes.
 * Cost: the few flagged records only; their strings go to the worker's
 * arena, kept until the output is written.
 */
#include "scan_internal.h"
#include "xj_alloc.h"

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
    xj_arena *const a = &w->strings;
    out->ref = ref;
    out->school = ar_strndup(a, v->val[PS_SCHOOL_CODE], v->len[PS_SCHOOL_CODE]);
    out->county = ar_strndup(a, v->val[PS_REGION_CODE], v->len[PS_REGION_CODE]);
    out->student_no = ar_strndup(a, v->val[PS_STUDENT_NO], v->len[PS_STUDENT_NO]);
    out->school_name = ar_strndup(a, v->val[PS_SCHOOL_NAME], v->len[PS_SCHOOL_NAME]);
    out->name = ar_strndup(a, w->ck.name.data ? w->ck.name.data : "", w->ck.name.len);
    out->id = ar_strndup(a, f->id, f->id_len);
    out->tail = ar_strndup(a, w->tail.data, w->tail.len);
    if (!out->school || !out->county || !out->student_no || !out->school_name || !out->name || !out->id ||
        !out->tail)
        return XJ_ERR_NOMEM;
    out->school_len = v->len[PS_SCHOOL_CODE];
    out->county_len = v->len[PS_REGION_CODE];
    out->student_no_len = v->len[PS_STUDENT_NO];
    out->school_name_len = v->len[PS_SCHOOL_NAME];
    out->name_len = (uint32_t)w->ck.name.len;
    out->id_len = (uint32_t)f->id_len;
    out->tail_len = (uint32_t)w->tail.len;
    out->registered = ck_registered(v);
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
    xj_reject const reject = sc_readRecord(run, w, in, rec, n, unterminated, &v, &f, NULL, NULL);
    RETURN_ERROR_IF(reject != XJ_REJECT_NONE, &w->st, XJ_ERR_INPUT,
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

xj_error sc_mapOutputColumns(sc_run *run)
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
