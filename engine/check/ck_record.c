/* ck_record — see ck_record.h. */
#include "ck_record.h"

#include <string.h>

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

/* 15 ASCII digits whose 18-digit form is `old`: the same ID, not a new one. */
static int ck_isFirstGenerationOf(const char *id, size_t n, const char *old, size_t old_len)
{
    if (n != 15 || old_len != 18) return 0;
    for (size_t i = 0; i < 15; i++)
        if (id[i] < '0' || id[i] > '9') return 0;
    char up[18];
    id_upgrade15(id, up);
    return memcmp(up, old, 18) == 0;
}

/* The student number is `G` and then, byte for byte, the record's own ID
 * as normalized, all ASCII — which normalizes to itself: nearly every
 * record, found without normalizing the number a second time. */
static int ck_isOwnId(const char *sno, size_t n, const ck_facts *out)
{
    xj_trim(&sno, &n);
    if (n != 19 || out->id_len != 18 || sno[0] != 'G' || memcmp(sno + 1, out->id, 18) != 0) return 0;
    uint64_t a, b; /* all 18 bytes below 0x80: two words and two bytes at once */
    memcpy(&a, out->id, 8);
    memcpy(&b, out->id + 8, 8);
    return ((a | b) & 0x8080808080808080ull) == 0 && (((unsigned char)out->id[16] | (unsigned char)out->id[17]) & 0x80) == 0;
}

/* docs/monthly.md §6: a `G` student number names the ID verified when it
 * was issued. Keyed as a type-1 ID with that number would be. */
static void ck_oldId(const ps_view *v, ck_scratch *s, ck_facts *out)
{
    out->old_space = ID_KEY_NONE;
    if (ck_isOwnId(v->val[PS_STUDENT_NO], v->len[PS_STUDENT_NO], out)) return;
    size_t const n = nm_oldId(v->val[PS_STUDENT_NO], v->len[PS_STUDENT_NO], s->old);
    if (n == 0 || (n == out->id_len && memcmp(s->old, out->id, n) == 0)) return;
    if (ck_isFirstGenerationOf(out->id, out->id_len, s->old, n)) return;
    out->old = s->old;
    out->old_len = n;
    if (!id_gbShape(s->old, n, &out->old_gb)) {
        out->old_space = ID_KEY_OTHER;
        return;
    }
    out->old_space = ID_KEY_GB;
    if (out->id_res.reason == XJ_ID_OK) out->id_res.reason = XJ_ID_CHANGED;
}

xj_reject ck_analyze(const id_context *ctx, const ps_view *v, ck_scratch *s, ck_facts *out)
{
    out->sex = nm_parseSex(v->val[PS_SEX], v->len[PS_SEX]);
    if (out->sex == 0) return XJ_REJECT_BAD_SEX;
    out->birth = nm_parseDate(v->val[PS_BIRTH_DATE], v->len[PS_BIRTH_DATE]);
    if (out->birth == 0) return XJ_REJECT_BAD_BIRTH_DATE;
    out->id_type = nm_parseIdType(v->val[PS_ID_TYPE], v->len[PS_ID_TYPE], &out->unknown_type);
    out->id_len = nm_normalizeId(v->val[PS_ID_NUMBER], v->len[PS_ID_NUMBER], s->id);
    out->id = s->id;
    out->id_res = id_check(ctx, out->id_type, out->id, out->id_len, out->sex, out->birth);
    ck_oldId(v, s, out);
    return XJ_REJECT_NONE;
}

xj_error ck_name(const ps_view *v, ck_scratch *s)
{
    return nm_normalizeName(v->val[PS_NAME], v->len[PS_NAME], &s->name);
}
