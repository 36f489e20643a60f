/* ps_fields — see ps_fields.h. */
#include "ps_fields.h"

#include <string.h>

#include "xj_alloc.h"

static int ps_never(unsigned char c)
{
    (void)c;
    return 0;
}

static int ps_reserve(ps_fields *f, size_t want)
{
    if (want <= f->cap) return 0;
    size_t ncap = f->cap ? f->cap : 32;
    while (ncap < want) ncap *= 2;
    uint32_t *const off = xj_reallocArray(f->off, ncap, sizeof *off);
    if (off == NULL) return -1;
    f->off = off;
    uint32_t *const ln = xj_reallocArray(f->len, ncap, sizeof *ln);
    if (ln == NULL) return -1;
    f->len = ln;
    f->cap = ncap;
    return 0;
}

static void ps_onField(void *s, size_t len, void *data)
{
    ps_fields *const f = data;
    if (f->error) return;
    if (len > XJ_MAX_FIELD) {
        f->error = PS_FIELDS_TOO_LONG;
        return;
    }
    if (f->n == f->max_fields) {
        f->error = PS_FIELDS_TOO_MANY;
        return;
    }
    if (f->n == f->cap && ps_reserve(f, f->n + 1) != 0) {
        f->error = PS_FIELDS_NOMEM;
        return;
    }
    size_t const at = f->arena.len;
    if (buf_append(&f->arena, s, len) != XJ_OK || buf_appendByte(&f->arena, '\0') != XJ_OK) {
        f->error = PS_FIELDS_TOO_LONG; /* the arena is bounded by the record limit */
        return;
    }
    f->off[f->n] = (uint32_t)at;
    f->len[f->n] = (uint32_t)len;
    f->n++;
}

static void ps_onRecord(int c, void *data)
{
    (void)c;
    (void)data;
}

static xj_error ps_parserStart(ps_fields *f)
{
    if (csv_init(&f->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) return XJ_ERR_NOMEM;
    csv_set_space_func(&f->parser, ps_never);
    csv_set_term_func(&f->parser, ps_never);
    csv_set_realloc_func(&f->parser, xj_realloc);
    csv_set_free_func(&f->parser, xj_free);
    return XJ_OK;
}

xj_error ps_fieldsInit(ps_fields *f, size_t max_fields)
{
    memset(f, 0, sizeof *f);
    /* a record is at most 1 MiB, its values plus one NUL each fit in 2 MiB */
    buf_init(&f->arena, 2u << 20);
    f->max_fields = max_fields;
    return ps_parserStart(f);
}

void ps_fieldsFree(ps_fields *f)
{
    csv_free(&f->parser);
    buf_free(&f->arena);
    xj_free(f->off);
    xj_free(f->len);
    f->off = f->len = NULL;
    f->cap = f->n = 0;
}

/* A record without quotes: its values are the spans between commas. */
static ps_fieldError ps_splitPlain(ps_fields *f, const char *rec, size_t n)
{
    f->base = rec;
    const char *p = rec;
    const char *const end = rec + n;
    for (;;) {
        if (f->n == f->max_fields) return f->error = PS_FIELDS_TOO_MANY;
        if (f->n == f->cap && ps_reserve(f, f->n + 1) != 0) return f->error = PS_FIELDS_NOMEM;
        const char *const comma = memchr(p, ',', (size_t)(end - p));
        const char *const stop = comma ? comma : end;
        if ((size_t)(stop - p) > XJ_MAX_FIELD) return f->error = PS_FIELDS_TOO_LONG;
        f->off[f->n] = (uint32_t)(p - rec);
        f->len[f->n] = (uint32_t)(stop - p);
        f->n++;
        if (comma == NULL) return PS_FIELDS_OK;
        p = comma + 1;
    }
}

ps_fieldError ps_splitFields(ps_fields *f, const char *rec, size_t n, int unterminated)
{
    buf_clear(&f->arena);
    f->n = 0;
    f->error = PS_FIELDS_OK;
    if (n && rec[n - 1] == '\r' && !unterminated) n--;
    if (!f->force_libcsv && memchr(rec, '"', n) == NULL) return ps_splitPlain(f, rec, n);
    size_t const used = csv_parse(&f->parser, rec, n, ps_onField, ps_onRecord, f);
    int bad = used != n;
    if (!bad) bad = csv_fini(&f->parser, ps_onField, ps_onRecord, f) != 0;
    f->base = f->arena.data;
    if (bad) {
        /* libcsv keeps its error state: start a fresh parser for the next record */
        csv_free(&f->parser);
        if (ps_parserStart(f) != XJ_OK) return f->error = PS_FIELDS_NOMEM;
        if (f->error == PS_FIELDS_OK) f->error = unterminated ? PS_FIELDS_UNTERMINATED : PS_FIELDS_BAD_QUOTE;
    }
    return f->error;
}
