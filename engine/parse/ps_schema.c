/*
 * ps_schema — see ps_schema.h.
 *
 * A header matches a field when, after trimming, it equals one of the field's
 * names (Chinese exactly, English ignoring ASCII case) or a --map alias. A
 * --map alias takes its header away from every built-in match, and in a file
 * that has the mapped header the field is found only through it, so a user
 * can re-point a column and settle two columns that both carry a field's
 * built-in names; files without that header keep the built-in names.
 */
#include "ps_schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xj_text.h"
#include "xj_alloc.h"

typedef struct ps_fieldInfo {
    const char *en;          /* English header, also the --map name */
    int required;            /* the column must exist */
    const char *names[8];    /* accepted headers, NULL-terminated; [0] is the standard one */
} ps_fieldInfo;

static const ps_fieldInfo kFields[PS_FIELD_COUNT] = {
    [PS_STUDENT_NO] = {"student_no", 1, {"学籍号", "个人标识码", "学籍号码", "全国学籍号", NULL}},
    [PS_NAME] = {"name", 1, {"姓名", "学生姓名", NULL}},
    [PS_SEX] = {"sex", 1, {"性别", NULL}},
    [PS_BIRTH_DATE] = {"birth_date", 1, {"出生日期", "出生年月日", NULL}},
    [PS_ID_TYPE] = {"id_type", 0, {"身份证件类型", "证件类型", NULL}},
    [PS_ID_NUMBER] = {"id_number", 1, {"身份证件号", "身份证号", "证件号码", "身份证件号码", "身份证号码", "公民身份号码", "证件号", NULL}},
    [PS_SCHOOL_CODE] = {"school_code", 1, {"学校标识码", "学校代码", "学校识别码", NULL}},
    [PS_SCHOOL_NAME] = {"school_name", 0, {"学校名称", NULL}},
    [PS_REGION_CODE] = {"region_code", 0, {"行政区划码", "所在地区划码", "区县代码", NULL}},
    [PS_REGISTERED_AT] = {"registered_at", 0, {"建籍日期", "入学日期", "建籍时间", NULL}},
};

const char *ps_fieldName(ps_field f) { return f < PS_FIELD_COUNT ? kFields[f].en : ""; }
const char *ps_fieldZh(ps_field f) { return f < PS_FIELD_COUNT ? kFields[f].names[0] : ""; }
int ps_fieldRequired(ps_field f) { return f < PS_FIELD_COUNT && kFields[f].required; }

static int ps_eq(const char *a, size_t n, const char *b)
{
    return strlen(b) == n && memcmp(a, b, n) == 0;
}

xj_error ps_parseUserMap(const char *text, ps_userMap *out, xj_status *st)
{
    const char *const eq = strchr(text, '=');
    RETURN_ERROR_IF(eq == NULL, st, XJ_ERR_USAGE, "--map %s: expected FIELD=HEADER, e.g. --map id_number=证件号", text);
    const char *f = text;
    size_t fn = (size_t)(eq - text);
    xj_trim(&f, &fn);
    int field = -1;
    for (int i = 0; i < PS_FIELD_COUNT; i++)
        if (strlen(kFields[i].en) == fn && strncasecmp(f, kFields[i].en, fn) == 0) field = i;
    if (field < 0) {
        char known[256] = "";
        for (int i = 0; i < PS_FIELD_COUNT; i++) {
            strcat(known, i ? ", " : "");
            strcat(known, kFields[i].en);
        }
        return st_fail(st, XJ_ERR_USAGE, "--map %s: unknown field '%.*s'; fields are %s", text, (int)fn, f, known);
    }
    const char *h = eq + 1;
    size_t hn = strlen(h);
    xj_trim(&h, &hn);
    RETURN_ERROR_IF(hn == 0, st, XJ_ERR_USAGE, "--map %s: the header after '=' is empty", text);
    *out = (ps_userMap){(ps_field)field, h, hn, 0};
    return XJ_OK;
}

void ps_columnsFree(ps_columns *c)
{
    for (size_t i = 0; i < c->n; i++) xj_free(c->names[i]);
    xj_free(c->names);
    memset(c, 0, sizeof *c);
}

void ps_schemaFree(ps_schema *s)
{
    xj_free(s->out_col);
    s->out_col = NULL;
}

/* Which field a trimmed header names, or -1. `settled[f]`: a --map header
 * for field f is present in this file, so f's built-in names claim nothing. */
static int ps_fieldOfHeader(const char *h, size_t n, const ps_userMap *maps, size_t n_maps, const int *settled)
{
    for (size_t i = 0; i < n_maps; i++)
        if (maps[i].header_len == n && memcmp(maps[i].header, h, n) == 0) return (int)maps[i].field;
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        if (settled[f]) continue;
        if (strlen(kFields[f].en) == n && strncasecmp(h, kFields[f].en, n) == 0) return f;
        for (const char *const *alias = kFields[f].names; *alias; alias++)
            if (ps_eq(h, n, *alias)) return f;
    }
    return -1;
}

/* Index in cols of the k-th column named h (appending it when new). */
static xj_error ps_outColumn(ps_columns *cols, const char *h, size_t n, size_t k, uint32_t *out)
{
    size_t seen = 0;
    for (size_t i = 0; i < cols->n; i++) {
        if (ps_eq(h, n, cols->names[i]) && seen++ == k) {
            *out = (uint32_t)i;
            return XJ_OK;
        }
    }
    if (cols->n == cols->cap) {
        size_t const ncap = cols->cap ? cols->cap * 2 : 16;
        char **const grown = xj_reallocArray(cols->names, ncap, sizeof *grown);
        if (grown == NULL) return XJ_ERR_NOMEM;
        cols->names = grown;
        cols->cap = ncap;
    }
    char *const copy = xj_strndup(h, n);
    if (copy == NULL) return XJ_ERR_NOMEM;
    cols->names[cols->n] = copy;
    *out = (uint32_t)cols->n++;
    return XJ_OK;
}

xj_error ps_mapHeader(const char *const *names, const uint32_t *lens, size_t n,
                      ps_userMap *maps, size_t n_maps, const char *source,
                      ps_columns *cols, ps_schema *out, xj_status *st)
{
    out->n_columns = n;
    for (int f = 0; f < PS_FIELD_COUNT; f++) out->col_of[f] = -1;
    out->out_col = xj_mallocArray(n ? n : 1, sizeof *out->out_col);
    RETURN_ERROR_IF(out->out_col == NULL, st, XJ_ERR_NOMEM, "out of memory reading the header of %s", source);
    /* a --map whose header this file has settles its field for this file;
     * other files (without that header) still use the built-in names */
    int settled[PS_FIELD_COUNT] = {0};
    for (size_t c = 0; c < n; c++) {
        const char *h = names[c];
        size_t hn = lens[c];
        xj_trim(&h, &hn);
        for (size_t i = 0; i < n_maps; i++)
            if (maps[i].header_len == hn && memcmp(maps[i].header, h, hn) == 0) {
                settled[maps[i].field] = 1;
                maps[i].seen = 1;
            }
    }
    for (size_t c = 0; c < n; c++) {
        const char *h = names[c];
        size_t hn = lens[c];
        xj_trim(&h, &hn);
        size_t same_before = 0;
        for (size_t j = 0; j < c; j++) {
            const char *o = names[j];
            size_t on = lens[j];
            xj_trim(&o, &on);
            same_before += on == hn && memcmp(o, h, hn) == 0;
        }
        xj_error const err = ps_outColumn(cols, h, hn, same_before, &out->out_col[c]);
        RETURN_ERROR_IF(err, st, err, "out of memory reading the header of %s", source);
        int const f = ps_fieldOfHeader(h, hn, maps, n_maps, settled);
        if (f < 0) continue;
        if (out->col_of[f] >= 0) {
            const char *o = names[out->col_of[f]];
            size_t on = lens[out->col_of[f]];
            xj_trim(&o, &on);
            return st_fail(st, XJ_ERR_INPUT,
                           "%s: line 1: columns %d ('%.*s') and %zu ('%.*s') both name the field %s (%s); "
                           "rename one, or choose with --map %s=HEADER",
                           source, out->col_of[f] + 1, (int)on, o, c + 1, (int)hn, h, kFields[f].en,
                           kFields[f].names[0], kFields[f].en);
        }
        out->col_of[f] = (int)c;
    }
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        RETURN_ERROR_IF(kFields[f].required && out->col_of[f] < 0, st, XJ_ERR_INPUT,
                        "%s: line 1: the required column %s (%s) is missing; if it has another name, "
                        "use --map %s=HEADER",
                        source, kFields[f].names[0], kFields[f].en, kFields[f].en);
    }
    return XJ_OK;
}

xj_error ps_checkMapsSeen(const ps_userMap *maps, size_t n_maps, const ps_columns *cols, xj_status *st)
{
    for (size_t i = 0; i < n_maps; i++) {
        if (maps[i].seen) continue;
        char known[512];
        size_t at = 0;
        known[0] = '\0';
        for (size_t c = 0; c < cols->n && at < sizeof known - 8; c++) {
            int const w = snprintf(known + at, sizeof known - at, "%s%s", c ? ", " : "", cols->names[c]);
            if (w < 0 || (size_t)w >= sizeof known - at) {
                snprintf(known + at, sizeof known - at, ", ...");
                break;
            }
            at += (size_t)w;
        }
        return st_fail(st, XJ_ERR_USAGE,
                       "--map %s=%.*s: no input has a column named '%.*s'; the inputs' columns are: %s",
                       kFields[maps[i].field].en, (int)maps[i].header_len, maps[i].header,
                       (int)maps[i].header_len, maps[i].header, known);
    }
    return XJ_OK;
}
