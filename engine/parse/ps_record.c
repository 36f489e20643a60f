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

static const char *const kMissing[PS_FIELD_COUNT] = {
    [PS_STUDENT_NO] = "missing_student_no",
    [PS_NAME] = "missing_name",
    [PS_SEX] = "missing_sex",
    [PS_BIRTH_DATE] = "missing_birth_date",
    [PS_SCHOOL_CODE] = "missing_school_code",
};

const char *ps_parseRecord(ps_worker *w, const ps_schema *schema, const char *rec, size_t n,
                           int unterminated, ps_view *view)
{
    if (w->gbk) {
        if (ps_decodeGb18030(w->gbk, rec, n, &w->decoded) != XJ_OK) return "encoding";
        rec = w->decoded.data;
        n = w->decoded.len;
    }
    if ((w->gbk || !w->text_checked) && !ps_isCleanUtf8(rec, n)) return "encoding";
    switch (ps_splitFields(&w->fields, rec, n, unterminated)) {
    case PS_FIELDS_OK: break;
    case PS_FIELDS_BAD_QUOTE: return "bad_quote";
    case PS_FIELDS_UNTERMINATED: return "unterminated_quote";
    case PS_FIELDS_TOO_LONG: return "field_too_long";
    case PS_FIELDS_TOO_MANY: return "field_count";
    case PS_FIELDS_NOMEM: return "out_of_memory";
    }
    if (w->fields.n != schema->n_columns) return "field_count";
    view->fields = &w->fields;
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        int const col = schema->col_of[f];
        view->val[f] = col >= 0 ? ps_value(&w->fields, (size_t)col) : "";
        view->len[f] = col >= 0 ? w->fields.len[col] : 0;
    }
    return ps_missingField(view, NULL);
}

const char *ps_missingField(const ps_view *view, ps_field *which)
{
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        if (kMissing[f] == NULL) continue;
        const char *v = view->val[f];
        size_t vn = view->len[f];
        xj_trim(&v, &vn);
        if (vn == 0) {
            if (which) *which = (ps_field)f;
            return kMissing[f];
        }
    }
    return NULL;
}
