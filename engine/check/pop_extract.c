/*
 * pop_extract — see pop_extract.h.
 */
#include "pop_extract.h"

#include <string.h>
/* names are a few bytes: XXH3's short-input path inline, not a library call */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "idcheck.h"
#include "normalize.h"
#include "ps_csvfile.h"
#include "ps_fields.h"
#include "xj_alloc.h"
#include "xj_text.h"

#define PX_MAX_LINE ((size_t)64 << 10) /* docs/population.md §1 */

enum { PX_ID, PX_NAME, PX_COLUMNS };
static const char *const kIdNames[] = {"id_number", "身份证件号", "身份证号", "身份证号码", "公民身份号码"};
static const char *const kNameNames[] = {"name", "姓名"};

typedef struct px_file {
    const char *path;
    int col[PX_COLUMNS];
    size_t n_header;      /* 0 until the header is read */
    pop_entry *v;         /* every file's entries, in reading order */
    uint64_t n, cap;
    xj_buf name;          /* scratch for normalized names */
    char id[XJ_MAX_FIELD];
} px_file;

/* Whether the name is only CJK Unified Ideographs (and Extension A), the
 * common case: rules §3 leaves such a text as it is, so its bytes can be
 * hashed without normalizing them into a copy. */
static int px_isPlainHan(const char *s, size_t n)
{
    if (n == 0 || n % 3) return 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i += 3) {
        if ((p[i] & 0xF0) != 0xE0 || (p[i + 1] & 0xC0) != 0x80 || (p[i + 2] & 0xC0) != 0x80) return 0;
        unsigned const c = (unsigned)(p[i] & 0x0F) << 12 | (unsigned)(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
        if (!((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF))) return 0;
    }
    return 1;
}

xj_error pop_nameHash(const char *name, size_t n, xj_buf *scratch, uint64_t *out, size_t *length)
{
    if (px_isPlainHan(name, n)) {
        *out = XXH3_64bits(name, n) & ~(uint64_t)3;
        if (length) *length = n;
        return XJ_OK;
    }
    FORWARD_IF_ERROR(nm_normalizeName(name, n, scratch));
    if (length) *length = scratch->len;
    /* two bits less: a record keeps its flags in them beside its GB entry */
    *out = XXH3_64bits(scratch->data ? scratch->data : "", scratch->len) & ~(uint64_t)3;
    return XJ_OK;
}

static int px_isOneOf(const char *v, size_t n, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (n == strlen(names[i]) && memcmp(v, names[i], n) == 0) return 1;
    return 0;
}

static xj_error px_header(px_file *f, const ps_csvRecord *rec, xj_status *st)
{
    static const char *const kWhat[PX_COLUMNS] = {"id_number (身份证件号)", "name (姓名)"};
    for (size_t i = 0; i < rec->n; i++) {
        const char *v = rec->val[i];
        size_t n = rec->len[i];
        xj_trim(&v, &n);
        int const k = px_isOneOf(v, n, kIdNames, sizeof kIdNames / sizeof *kIdNames)       ? PX_ID
                      : px_isOneOf(v, n, kNameNames, sizeof kNameNames / sizeof *kNameNames) ? PX_NAME
                                                                                           : -1;
        if (k < 0) continue;
        RETURN_ERROR_IF(f->col[k] >= 0, st, XJ_ERR_INPUT, "--population %s: line 1: columns %d and %zu are both %s; "
                        "keep one", f->path, f->col[k] + 1, i + 1, kWhat[k]);
        f->col[k] = (int)i;
    }
    for (int k = 0; k < PX_COLUMNS; k++)
        RETURN_ERROR_IF(f->col[k] < 0, st, XJ_ERR_INPUT, "--population %s: the header has no column %s (an extract "
                        "needs id_number,name)", f->path, kWhat[k]);
    f->n_header = rec->n;
    return XJ_OK;
}

static xj_error px_record(void *user, const ps_csvRecord *rec, xj_status *st)
{
    px_file *const f = user;
    if (f->n_header == 0) return px_header(f, rec, st);
    unsigned long long const line = (unsigned long long)rec->line;
    RETURN_ERROR_IF(rec->n != f->n_header, st, XJ_ERR_INPUT, "--population %s: line %llu: %zu fields, the header "
                    "has %zu", f->path, line, rec->n, f->n_header);
    const char *const id = rec->val[f->col[PX_ID]], *const name = rec->val[f->col[PX_NAME]];
    size_t const id_len = rec->len[f->col[PX_ID]], name_len = rec->len[f->col[PX_NAME]];
    size_t const n = nm_normalizeId(id, id_len, f->id);
    pop_entry e;
    RETURN_ERROR_IF(!id_gbShape(f->id, n, &e.id), st, XJ_ERR_INPUT, "--population %s: line %llu: '%.*s' is not an "
                    "18-character ID number ([0-9]{17}[0-9X])", f->path, line, (int)(id_len > 40 ? 40 : id_len), id);
    size_t normalized = 0;
    xj_error const err = pop_nameHash(name, name_len, &f->name, &e.name, &normalized);
    RETURN_ERROR_IF(err == XJ_ERR_INPUT, st, XJ_ERR_INPUT, "--population %s: line %llu: the name is not UTF-8 text",
                    f->path, line);
    RETURN_ERROR_IF(err == XJ_ERR_LIMIT, st, XJ_ERR_INPUT, "--population %s: line %llu: the name is too long",
                    f->path, line);
    if (err) return err;
    RETURN_ERROR_IF(normalized == 0, st, XJ_ERR_INPUT, "--population %s: line %llu: the name is empty", f->path,
                    line);
    if (f->n == f->cap && xj_growArray(&f->v, &f->cap, f->n + 1, sizeof *f->v, 1 << 16) != 0) return XJ_ERR_NOMEM;
    f->v[f->n++] = e;
    return XJ_OK;
}

/* The first number of the table listed under two names, as text. */
static void px_severalExample(const pop_table *t, char out[19])
{
    out[0] = '\0';
    for (uint64_t i = 1; i < t->n_slots && t->several_names; i++)
        if (t->v[i].id != POP_EMPTY && t->v[i].id == t->v[i - 1].id) {
            id_unpack18(t->v[i].id, out);
            out[18] = '\0';
            return;
        }
}

xj_error pop_readExtracts(const char *const *paths, size_t n_paths, pop_table *out, char several_example[19],
                          xj_status *st)
{
    memset(out, 0, sizeof *out);
    px_file f = {0};
    buf_init(&f.name, XJ_MAX_FIELD * 4);
    xj_error err = XJ_OK;
    for (size_t i = 0; i < n_paths && !err; i++) {
        f.path = paths[i];
        f.col[PX_ID] = f.col[PX_NAME] = -1;
        f.n_header = 0;
        err = ps_readCsvFile(paths[i], "--population", PX_MAX_LINE, 0, px_record, &f, NULL, st);
        /* not a return: the earlier files' entries and the name buffer are freed below */
        if (!err && f.n_header == 0)
            err = st_fail(st, XJ_ERR_INPUT, "--population %s: the file is empty (an extract needs the header "
                          "id_number,name)", paths[i]);
    }
    buf_free(&f.name);
    if (!err) {
        err = pop_tableBuild(f.v, f.n, out); /* takes f.v */
        f.v = NULL;
    }
    if (err) {
        xj_free(f.v);
        if (err == XJ_ERR_NOMEM && st->code == XJ_OK) st_fail(st, err, "out of memory reading --population");
        return err;
    }
    px_severalExample(out, several_example);
    return XJ_OK;
}
