/* ps_record — see ps_record.h. */
#include "ps_record.h"

#include <string.h>

#include "xj_text.h"

xj_error ps_workerInit(ps_worker *w, int gbk, size_t max_fields)
{
    memset(w, 0, sizeof *w);
    buf_init(&w->decoded, 3u << 20);
    xj_error const err = ps_fieldsInit(&w->fields, max_fields);
    if (err) return err;
    if (gbk) {
        w->gbk = ps_decoderCreateGb18030();
        if (w->gbk == NULL) {
            ps_fieldsFree(&w->fields);
            return XJ_ERR_INPUT;
        }
    }
    return XJ_OK;
}

void ps_workerFree(ps_worker *w)
{
    ps_fieldsFree(&w->fields);
    ps_decoderFree(w->gbk);
    buf_free(&w->decoded);
    w->gbk = NULL;
}

/* The required fields and their reasons; XJ_REJECT_NONE: not required. */
static const xj_reject kMissing[PS_FIELD_COUNT] = {
    [PS_STUDENT_NO] = XJ_REJECT_MISSING_STUDENT_NO,
    [PS_NAME] = XJ_REJECT_MISSING_NAME,
    [PS_SEX] = XJ_REJECT_MISSING_SEX,
    [PS_BIRTH_DATE] = XJ_REJECT_MISSING_BIRTH_DATE,
    [PS_SCHOOL_CODE] = XJ_REJECT_MISSING_SCHOOL_CODE,
};

xj_reject ps_parseRecord(ps_worker *w, const ps_schema *schema, const char *rec, size_t n, int unterminated,
                         ps_view *view)
{
    if (w->gbk) {
        if (ps_decodeGb18030(w->gbk, rec, n, &w->decoded) != XJ_OK) return XJ_REJECT_ENCODING;
        rec = w->decoded.data;
        n = w->decoded.len;
    }
    if ((w->gbk || !w->text_checked) && !ps_isCleanUtf8(rec, n)) return XJ_REJECT_ENCODING;
    switch (ps_splitFields(&w->fields, rec, n, unterminated)) {
    case PS_FIELDS_OK: break;
    case PS_FIELDS_BAD_QUOTE: return XJ_REJECT_BAD_QUOTE;
    case PS_FIELDS_UNTERMINATED: return XJ_REJECT_UNTERMINATED_QUOTE;
    case PS_FIELDS_TOO_LONG: return XJ_REJECT_FIELD_TOO_LONG;
    case PS_FIELDS_TOO_MANY: return XJ_REJECT_FIELD_COUNT;
    case PS_FIELDS_NOMEM: return XJ_REJECT_OUT_OF_MEMORY;
    }
    if (w->fields.n != schema->n_columns) return XJ_REJECT_FIELD_COUNT;
    view->fields = &w->fields;
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        int const col = schema->col_of[f];
        view->val[f] = col >= 0 ? ps_value(&w->fields, (size_t)col) : "";
        view->len[f] = col >= 0 ? w->fields.len[col] : 0;
    }
    return ps_missingField(view, NULL);
}

xj_reject ps_missingField(const ps_view *view, ps_field *which)
{
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        if (kMissing[f] == XJ_REJECT_NONE) continue;
        const char *v = view->val[f];
        size_t vn = view->len[f];
        xj_trim(&v, &vn);
        if (vn == 0) {
            if (which) *which = (ps_field)f;
            return kMissing[f];
        }
    }
    return XJ_REJECT_NONE;
}
