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

/*
 * The output columns by name, for mapping one header. A header's k-th column
 * named h takes the k-th output column named h, or a new one when there are
 * only k. Counting earlier columns of the same name and looking each up by
 * comparing every pair cost a header of 4,096 columns 16 million compares;
 * this hashes each name once. For each distinct name a slot keeps its output
 * columns in order (a list through `next`) and the first of them this header
 * has not taken yet, so the k-th column takes it in constant time.
 */
#define PS_NO_COLUMN UINT32_MAX

typedef struct ps_nameSlot {
    const char *name;  /* NULL: the slot is free */
    size_t len;
    uint32_t untaken;  /* first output column of this name the header has not taken */
    uint32_t last;     /* last output column of this name */
} ps_nameSlot;

typedef struct ps_nameIndex {
    ps_nameSlot *slot;
    size_t mask;       /* slots - 1, a power of two less one */
    uint32_t *next;    /* per output column: the next one of the same name */
} ps_nameIndex;

/* FNV-1a: names are short and few; any spread will do. */
static uint64_t ps_nameHash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

/* The slot of a name, claimed (with no columns) when the name is new. The
 * table is sized so it never fills (ps_nameIndexInit). */
static ps_nameSlot *ps_nameSlotOf(ps_nameIndex *ix, const char *s, size_t n)
{
    for (size_t i = ps_nameHash(s, n) & ix->mask;; i = (i + 1) & ix->mask) {
        ps_nameSlot *const slot = &ix->slot[i];
        if (slot->name == NULL) {
            *slot = (ps_nameSlot){s, n, PS_NO_COLUMN, PS_NO_COLUMN};
            return slot;
        }
        if (slot->len == n && memcmp(slot->name, s, n) == 0) return slot;
    }
}

/* Appends output column c to its name's list; `taken`: by the column of the
 * header that made it. */
static void ps_nameLink(ps_nameIndex *ix, ps_nameSlot *slot, uint32_t c, int taken)
{
    ix->next[c] = PS_NO_COLUMN;
    if (slot->last != PS_NO_COLUMN) ix->next[slot->last] = c;
    slot->last = c;
    if (!taken && slot->untaken == PS_NO_COLUMN) slot->untaken = c;
}

/* Room for the names of cols and of a header of n columns: each header column
 * may bring its own name and, when it holds a NUL, the shorter name of its
 * copy (cols keeps names as C strings). */
static xj_error ps_nameIndexInit(ps_nameIndex *ix, const ps_columns *cols, size_t n)
{
    size_t const names = cols->n + 2 * n + 1;
    size_t slots = 16;
    while (slots < 2 * names) slots *= 2;
    ix->mask = slots - 1;
    ix->slot = xj_calloc(slots, sizeof *ix->slot);
    ix->next = xj_mallocArray(cols->n + n + 1, sizeof *ix->next);
    if (ix->slot == NULL || ix->next == NULL) return XJ_ERR_NOMEM;
    for (size_t c = 0; c < cols->n; c++)
        ps_nameLink(ix, ps_nameSlotOf(ix, cols->names[c], strlen(cols->names[c])), (uint32_t)c, 0);
    return XJ_OK;
}

static void ps_nameIndexFree(ps_nameIndex *ix)
{
    xj_free(ix->slot);
    xj_free(ix->next);
}

/* The output column of the header's next column named h: the first of that
 * name it has not taken, else a new one appended to cols. */
static xj_error ps_outColumn(ps_nameIndex *ix, ps_columns *cols, const char *h, size_t n, uint32_t *out)
{
    ps_nameSlot *const slot = ps_nameSlotOf(ix, h, n);
    if (slot->untaken != PS_NO_COLUMN) {
        *out = slot->untaken;
        slot->untaken = ix->next[slot->untaken];
        return XJ_OK;
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
    uint32_t const c = (uint32_t)cols->n++;
    cols->names[c] = copy;
    *out = c;
    /* a name with a NUL is kept cut at the NUL: it then stands under the
     * shorter name, which later columns may take; its own is never found */
    size_t const kept = strlen(copy);
    if (kept == n) ps_nameLink(ix, slot, c, 1);
    else ps_nameLink(ix, ps_nameSlotOf(ix, copy, kept), c, 0);
    return XJ_OK;
}

/* ps_mapHeader's work once `settled` is known; ps_mapHeader frees the index. */
static xj_error ps_mapColumns(const char *const *names, const uint32_t *lens, size_t n, const ps_userMap *maps,
                              size_t n_maps, const int *settled, const char *source, ps_nameIndex *ix,
                              ps_columns *cols, ps_schema *out, xj_status *st)
{
    for (size_t c = 0; c < n; c++) {
        const char *h = names[c];
        size_t hn = lens[c];
        xj_trim(&h, &hn);
        xj_error const err = ps_outColumn(ix, cols, h, hn, &out->out_col[c]);
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
    ps_nameIndex ix = {0};
    xj_error err = ps_nameIndexInit(&ix, cols, n);
    if (err) err = st_fail(st, err, "out of memory reading the header of %s", source);
    else err = ps_mapColumns(names, lens, n, maps, n_maps, settled, source, &ix, cols, out, st);
    ps_nameIndexFree(&ix);
    return err;
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
