/*
 * ps_csvfile — see ps_csvfile.h.
 */
#include "ps_csvfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <zstd.h>

#include "ps_fields.h"
#include "xj_alloc.h"
#include "xj_buf.h"

typedef struct pc_reader {
    const char *path, *what;
    xj_status *st;
    xj_error err;
    ps_csvRecordFn fn;
    void *user;
    xj_buf values;              /* the record's values back to back, each NUL-terminated */
    size_t off[PS_CSV_MAX_FIELDS];
    size_t len[PS_CSV_MAX_FIELDS];
    const char *val[PS_CSV_MAX_FIELDS];
    size_t n;                   /* values of the current record */
    uint64_t line;              /* physical lines fed so far */
    uint64_t start;             /* line where the current record starts */
    uint64_t records;
} pc_reader;

static void pc_field(void *s, size_t n, void *user)
{
    pc_reader *const r = user;
    if (r->err) return;
    const char *v = s ? s : "";
    if (r->records == 0 && r->n == 0 && n >= 3 && memcmp(v, "\xEF\xBB\xBF", 3) == 0) v += 3, n -= 3;
    if (r->n == PS_CSV_MAX_FIELDS) {
        r->err = st_fail(r->st, XJ_ERR_INPUT, "%s %s: line %llu: more than %d values", r->what, r->path,
                         (unsigned long long)r->start, PS_CSV_MAX_FIELDS);
        return;
    }
    /* pc_feed sees a value still open at a line's end; one that opened on
     * an earlier line and closes on this one is measured here (readers
     * copy values into XJ_MAX_FIELD-byte buffers) */
    if (n > XJ_MAX_FIELD) {
        r->err = st_fail(r->st, XJ_ERR_INPUT, "%s %s: line %llu: a value longer than %u bytes", r->what, r->path,
                         (unsigned long long)r->line, XJ_MAX_FIELD);
        return;
    }
    r->off[r->n] = r->values.len;
    r->len[r->n] = n;
    r->n++;
    if (buf_append(&r->values, v, n) != XJ_OK || buf_appendByte(&r->values, '\0') != XJ_OK) r->err = XJ_ERR_NOMEM;
}

static void pc_record(int term, void *user)
{
    (void)term;
    pc_reader *const r = user;
    if (!r->err) {
        for (size_t i = 0; i < r->n; i++) r->val[i] = r->values.data + r->off[i];
        ps_csvRecord const rec = {r->val, r->len, r->n, r->start};
        r->err = r->fn(r->user, &rec, r->st);
    }
    r->records++;
    buf_clear(&r->values);
    r->n = 0;
}

/* A `.zst` file read as a FILE through a cookie, so that the line reader
 * is the same for both: the first error (a damaged frame, a file that ends
 * inside one) is kept for the message. */
typedef struct pc_zstd {
    FILE *f;
    ZSTD_DCtx *z;
    char in[1 << 16];
    ZSTD_inBuffer src;
    size_t last;       /* ZSTD_decompressStream's last hint: 0 when a frame just ended */
    const char *error; /* why reading stopped, NULL when it did not */
} pc_zstd;

static ssize_t pc_zstdRead(void *cookie, char *to, size_t n)
{
    pc_zstd *const c = cookie;
    ZSTD_outBuffer dst = {to, n, 0};
    while (dst.pos == 0 && c->error == NULL) {
        if (c->src.pos == c->src.size) {
            size_t const got = fread(c->in, 1, sizeof c->in, c->f);
            if (got == 0) {
                if (ferror(c->f)) c->error = strerror(errno);
                else if (c->last != 0) c->error = "the compressed file ends early (truncated?)";
                break;
            }
            c->src = (ZSTD_inBuffer){c->in, got, 0};
        }
        c->last = ZSTD_decompressStream(c->z, &dst, &c->src);
        if (ZSTD_isError(c->last)) c->error = ZSTD_getErrorName(c->last);
    }
    return c->error && dst.pos == 0 ? -1 : (ssize_t)dst.pos;
}

static int pc_zstdClose(void *cookie)
{
    pc_zstd *const c = cookie;
    fclose(c->f);
    ZSTD_freeDCtx(c->z);
    xj_free(c);
    return 0;
}

static int pc_isZstd(const char *path)
{
    size_t const n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".zst") == 0;
}

/* `path` opened for reading, decompressed on the fly when it ends in .zst
 * (*zstd then says how reading went). NULL with errno on failure. */
static FILE *pc_open(const char *path, pc_zstd **zstd)
{
    *zstd = NULL;
    FILE *const f = fopen(path, "rb");
    if (f == NULL || !pc_isZstd(path)) return f;
    pc_zstd *const c = xj_calloc(1, sizeof *c);
    if (c == NULL || (c->z = ZSTD_createDCtx()) == NULL) {
        xj_free(c);
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    c->f = f;
    c->last = 1; /* nothing read yet: an empty file is not a finished frame */
    FILE *const z = fopencookie(c, "rb", (cookie_io_functions_t){.read = pc_zstdRead, .close = pc_zstdClose});
    if (z == NULL) pc_zstdClose(c);
    else *zstd = c;
    return z;
}

/* Feeds one physical line (with its LF) to libcsv. */
static xj_error pc_feed(pc_reader *r, struct csv_parser *p, const char *s, size_t n)
{
    if (p->pstate == 0 && r->n == 0) r->start = r->line + 1; /* between records: one starts here */
    r->line++;
    if (csv_parse(p, s, n, pc_field, pc_record, r) != n && !r->err)
        r->err = st_fail(r->st, XJ_ERR_INPUT, "%s %s: line %llu: %s (a quote must open and close a whole value)",
                         r->what, r->path, (unsigned long long)r->line, csv_strerror(csv_error(p)));
    if (!r->err && p->entry_pos > XJ_MAX_FIELD)
        r->err = st_fail(r->st, XJ_ERR_INPUT, "%s %s: line %llu: a value longer than %u bytes", r->what, r->path,
                         (unsigned long long)r->line, XJ_MAX_FIELD);
    return r->err;
}

xj_error ps_readCsvFile(const char *path, const char *what, size_t max_line, int missing_ok, ps_csvRecordFn fn,
                        void *user, int *found, xj_status *st)
{
    if (found) *found = 0;
    pc_zstd *zstd;
    FILE *const f = pc_open(path, &zstd);
    if (f == NULL && missing_ok && errno == ENOENT) return XJ_OK;
    RETURN_ERROR_IF(f == NULL, st, XJ_ERR_INPUT, "%s %s: cannot open it: %s", what, path, strerror(errno));
    if (found) *found = 1;
    pc_reader *const r = xj_calloc(1, sizeof *r);
    if (r == NULL) {
        fclose(f);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory reading %s %s", what, path);
    }
    *r = (pc_reader){.path = path, .what = what, .st = st, .fn = fn, .user = user};
    buf_init(&r->values, (size_t)PS_CSV_MAX_FIELDS * (XJ_MAX_FIELD + 1));
    struct csv_parser p;
    xj_error err = csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0 ? XJ_OK : XJ_ERR_NOMEM;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while (!err && (got = getline(&line, &cap, f)) > 0) {
        if ((size_t)got > max_line)
            err = st_fail(st, XJ_ERR_INPUT, "%s %s: line %llu is longer than %zu bytes", what, path,
                          (unsigned long long)r->line + 1, max_line);
        else err = pc_feed(r, &p, line, (size_t)got);
    }
    if (!err && zstd && zstd->error)
        err = st_fail(st, XJ_ERR_INPUT, "%s %s: cannot read it after line %llu: %s", what, path,
                      (unsigned long long)r->line, zstd->error);
    if (!err && ferror(f)) err = st_fail(st, XJ_ERR_INPUT, "%s %s: cannot read it: %s", what, path, strerror(errno));
    if (!err && csv_fini(&p, pc_field, pc_record, r) != 0 && !r->err)
        err = st_fail(st, XJ_ERR_INPUT, "%s %s: line %llu: a quoted value is never closed", what, path,
                      (unsigned long long)r->start);
    if (!err) err = r->err;
    if (err == XJ_ERR_NOMEM && st->code == XJ_OK) st_fail(st, err, "out of memory reading %s %s", what, path);
    free(line);
    csv_free(&p);
    buf_free(&r->values);
    xj_free(r);
    fclose(f);
    return err;
}
