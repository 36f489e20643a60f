/* ck_record — see ck_record.h. */
#include "ck_record.h"

#include "normalize.h"
#include "ps_fields.h"
#include "xj_alloc.h"

xj_error ck_scratchInit(ck_scratch *s)
{
    buf_init(&s->name, 4 * XJ_MAX_FIELD);
    s->id = xj_malloc(XJ_MAX_FIELD + 1);
    return s->id ? XJ_OK : XJ_ERR_NOMEM;
}

void ck_scratchFree(ck_scratch *s)
{
    xj_free(s->id);
    s->id = NULL;
    buf_free(&s->name);
}

xj_reject ck_analyze(const id_context *ctx, const ps_view *v, ck_scratch *s, ck_facts *out)
{
    out->sex = nm_parseSex(v->val[PS_SEX], v->len[PS_SEX]);
    if (out->sex == 0) return XJ_REJECT_BAD_SEX;
    out->birth = nm_parseDate(v->val[PS_BIRTH_DATE], v->len[PS_BIRTH_DATE]);
    if (out->birth == 0) return XJ_REJECT_BAD_BIRTH_DATE;
    out->registered = nm_parseDate(v->val[PS_REGISTERED_AT], v->len[PS_REGISTERED_AT]);
    out->id_type = nm_parseIdType(v->val[PS_ID_TYPE], v->len[PS_ID_TYPE], &out->unknown_type);
    out->id_len = nm_normalizeId(v->val[PS_ID_NUMBER], v->len[PS_ID_NUMBER], s->id);
    out->id = s->id;
    out->id_res = id_check(ctx, out->id_type, out->id, out->id_len, out->sex, out->birth);
    return XJ_REJECT_NONE;
}

xj_error ck_name(const ps_view *v, ck_scratch *s)
{
    return nm_normalizeName(v->val[PS_NAME], v->len[PS_NAME], &s->name);
}
