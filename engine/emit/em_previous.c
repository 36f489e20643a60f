/*
 * em_previous — report.html's comparison with an earlier run (--previous
 * OUTDIR): per province, how many problems are new, persisting, resolved.
 *
 * A problem's identity across runs is (problem, student number, school
 * code): line numbers and file names change from month to month, the
 * student number does not, and the school keeps it apart from the same
 * student's record elsewhere. Keys are 64-bit hashes of that triple; both
 * sides are sorted and merged as multisets, so two identical rows (a record
 * imported twice) count twice.
 *
 * The earlier problems.csv is untrusted input: it is streamed (never held in
 * memory), every field kept is capped, a malformed file is a clear error
 * (XJ_ERR_INPUT), never a crash. Its columns are found by header name: ours
 * come first and end with `line` (11 of them before other_members was added,
 * 12 since: both are read), the student number and school code columns are
 * the ones after it whose names this run's inputs use for those fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_alloc.h"

#define EM_PREV_FIELD_MAX 4096u       /* bytes kept of a field we look at */
#define EM_PREV_ROWS_MAX (1ull << 32) /* rows of the earlier problems.csv */

typedef struct em_key {
    uint64_t hash;   /* XXH3 of problem '\0' student_no '\0' school */
    int province;    /* em_provinceIndex of the school */
} em_key;

typedef struct em_keys {
    em_key *v;
    size_t n, cap;
} em_keys;

static xj_error em_keysPush(em_keys *k, em_key key)
{
    if (k->n == k->cap && k->n >= EM_PREV_ROWS_MAX) return XJ_ERR_LIMIT;
    if (xj_growArray(&k->v, &k->cap, k->n + 1, sizeof *k->v, 1024) != 0) return XJ_ERR_NOMEM;
    k->v[k->n++] = key;
    return XJ_OK;
}

static int em_cmpKey(const void *pa, const void *pb)
{
    const em_key *const a = pa, *const b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return a->province - b->province;
}

static em_key em_makeKey(const char *problem, size_t pn, const char *sno, size_t sn, const char *school, size_t cn)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, problem, pn);
    XXH3_64bits_update(&st, "", 1);
    XXH3_64bits_update(&st, sno, sn);
    XXH3_64bits_update(&st, "", 1);
    XXH3_64bits_update(&st, school, cn);
    return (em_key){XXH3_64bits_digest(&st), em_provinceIndex(school, cn)};
}

/* ---- a streaming reader of the earlier problems.csv ---- */

enum { EM_COL_PROBLEM, EM_COL_STUDENT, EM_COL_SCHOOL, EM_COLS };

typedef struct em_prevReader {
    int col[EM_COLS];               /* column index of each wanted field, -1 until the header is read */
    const char *name[EM_COLS];      /* header names to look for */
    char field[EM_COLS][EM_PREV_FIELD_MAX]; /* the wanted fields of the current record */
    size_t len[EM_COLS];
    char hdr[EM_PREV_FIELD_MAX];    /* the current header field */
    size_t hdr_len;
    size_t index;                   /* field index in the record */
    size_t ours;                    /* our leading columns: up to and including `line`; 0 until seen */
    uint64_t records;               /* records completed, header included */
    int in_quotes;                  /* inside a quoted field */
    int after_quote;                /* a quote seen inside quotes: end or doubled */
    int field_start;                /* nothing of this field read yet */
} em_prevReader;

static void em_prevAddByte(em_prevReader *r, char c)
{
    if (r->records == 0) {
        if (r->hdr_len < EM_PREV_FIELD_MAX) r->hdr[r->hdr_len++] = c;
        return;
    }
    for (int k = 0; k < EM_COLS; k++)
        if (r->col[k] == (int)r->index && r->len[k] < EM_PREV_FIELD_MAX) r->field[k][r->len[k]++] = c;
}

static void em_prevEndField(em_prevReader *r)
{
    if (r->records == 0) {
        size_t n = r->hdr_len;
        for (int k = 0; k < EM_COLS; k++) {
            size_t const want = strlen(r->name[k]);
            /* the fixed columns are ours; the input's own columns follow them */
            int const allowed = k == EM_COL_PROBLEM ? r->index == 0 : r->ours > 0 && r->index >= r->ours;
            if (r->col[k] < 0 && allowed && n == want && memcmp(r->hdr, r->name[k], n) == 0) r->col[k] = (int)r->index;
        }
        if (r->ours == 0 && n == 4 && memcmp(r->hdr, "line", 4) == 0) r->ours = r->index + 1;
        r->hdr_len = 0;
    }
    r->index++;
    r->field_start = 1;
}

static xj_error em_prevEndRecord(em_prevReader *r, em_keys *out)
{
    em_prevEndField(r);
    xj_error err = XJ_OK;
    if (r->records > 0) {
        /* strip the CR of a CRLF file from the last field */
        for (int k = 0; k < EM_COLS; k++)
            if (r->len[k] > 0 && r->field[k][r->len[k] - 1] == '\r') r->len[k]--;
        if (r->len[EM_COL_PROBLEM] > 0)
            err = em_keysPush(out, em_makeKey(r->field[EM_COL_PROBLEM], r->len[EM_COL_PROBLEM], r->field[EM_COL_STUDENT],
                                              r->len[EM_COL_STUDENT], r->field[EM_COL_SCHOOL], r->len[EM_COL_SCHOOL]));
    }
    r->records++;
    r->index = 0;
    for (int k = 0; k < EM_COLS; k++) r->len[k] = 0;
    return err;
}

static xj_error em_prevFeed(em_prevReader *r, const char *p, size_t n, em_keys *out)
{
    for (size_t i = 0; i < n; i++) {
        char const c = p[i];
        if (r->in_quotes) {
            if (r->after_quote) {
                r->after_quote = 0;
                if (c == '"') {
                    em_prevAddByte(r, '"');
                    continue;
                }
                r->in_quotes = 0; /* the closing quote: fall through to the unquoted rules */
            } else {
                if (c == '"') r->after_quote = 1;
                else em_prevAddByte(r, c);
                continue;
            }
        }
        if (c == ',') em_prevEndField(r);
        else if (c == '\n') FORWARD_IF_ERROR(em_prevEndRecord(r, out));
        else if (c == '"' && r->field_start) {
            r->in_quotes = 1;
            r->field_start = 0;
            continue;
        } else em_prevAddByte(r, c);
        if (c != ',' && c != '\n') r->field_start = 0;
    }
    return XJ_OK;
}

/* The header name of `field` (an output column index per input) in this run. */
static const char *em_headerOf(const em_run *run, int which)
{
    for (size_t i = 0; i < run->n_inputs; i++) {
        int const c = which == EM_COL_STUDENT ? run->inputs[i].student_no_col : run->inputs[i].school_code_col;
        if (c >= 0 && (size_t)c < run->n_headers) return run->headers[c];
    }
    return NULL;
}

static xj_error em_readPrevious(em_ctx *ctx, em_keys *out)
{
    const em_run *const run = ctx->run;
    em_prevReader *const r = xj_calloc(1, sizeof *r);
    RETURN_ERROR_IF(r == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory reading --previous");
    r->name[EM_COL_PROBLEM] = "problem";
    r->name[EM_COL_STUDENT] = em_headerOf(run, EM_COL_STUDENT);
    r->name[EM_COL_SCHOOL] = em_headerOf(run, EM_COL_SCHOOL);
    for (int k = 0; k < EM_COLS; k++) r->col[k] = -1;
    r->field_start = 1;
    xj_error err = XJ_OK;
    if (r->name[EM_COL_STUDENT] == NULL || r->name[EM_COL_SCHOOL] == NULL) {
        xj_free(r);
        return st_fail(ctx->st, XJ_ERR_INTERNAL, "no student number or school code column to compare with --previous");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/problems.csv", run->previous);
    FILE *const f = fopen(path, "rb");
    if (f == NULL) {
        err = st_fail(ctx->st, XJ_ERR_INPUT, "--previous: cannot open %s: %s; name the output directory of an "
                      "earlier run", path, strerror(errno));
        xj_free(r);
        return err;
    }
    char *const block = xj_malloc(1u << 16);
    if (block == NULL) err = st_fail(ctx->st, XJ_ERR_NOMEM, "out of memory reading --previous");
    size_t n = 0;
    while (!err && (n = fread(block, 1, 1u << 16, f)) > 0) err = em_prevFeed(r, block, n, out);
    if (!err && ferror(f)) err = st_fail(ctx->st, XJ_ERR_INPUT, "--previous: cannot read %s: %s", path, strerror(errno));
    if (!err && (r->index > 0 || !r->field_start)) err = em_prevEndRecord(r, out); /* no final LF */
    if (!err && r->in_quotes && !r->after_quote)
        err = st_fail(ctx->st, XJ_ERR_INPUT, "--previous: %s ends inside a quoted field; is it a complete "
                      "problems.csv of xjdedup?", path);
    if (err == XJ_ERR_NOMEM || err == XJ_ERR_LIMIT)
        st_fail(ctx->st, err, "--previous: %s is too large to compare (%s)", path, xj_errorName(err));
    if (!err) {
        static const char *const kWhat[EM_COLS] = {"problem", "student number", "school code"};
        for (int k = 0; k < EM_COLS && !err; k++)
            if (r->col[k] < 0)
                err = st_fail(ctx->st, XJ_ERR_INPUT, "--previous: %s has no column '%s' (the %s); compare runs "
                              "made from exports with the same headers", path, r->name[k], kWhat[k]);
    }
    fclose(f);
    xj_free(block);
    xj_free(r);
    return err;
}

static xj_error em_currentKeys(const em_run *run, em_keys *out)
{
    xj_buf sno;
    buf_init(&sno, (size_t)1 << 20);
    xj_error err = XJ_OK;
    for (size_t i = 0; i < run->n_rows && !err; i++) {
        const pb_row *const row = &run->rows[i];
        int const col = row->source < run->n_inputs ? run->inputs[row->source].student_no_col : -1;
        err = em_tailField(row->tail, row->tail_len, col, &sno);
        /* the earlier file kept at most EM_PREV_FIELD_MAX bytes of a field */
        size_t const sn = sno.len < EM_PREV_FIELD_MAX ? sno.len : EM_PREV_FIELD_MAX;
        size_t const cn = row->school_len < EM_PREV_FIELD_MAX ? row->school_len : EM_PREV_FIELD_MAX;
        const char *const code = pb_problemCode((pb_problem)row->problem);
        if (!err) err = em_keysPush(out, em_makeKey(code, strlen(code), sno.data ? sno.data : "", sn, row->school, cn));
    }
    buf_free(&sno);
    return err;
}

xj_error em_compareWithPrevious(em_ctx *ctx, em_trend *t)
{
    memset(t, 0, sizeof *t);
    em_keys prev = {0}, cur = {0};
    xj_error err = em_readPrevious(ctx, &prev);
    if (!err) {
        err = em_currentKeys(ctx->run, &cur);
        if (err) st_fail(ctx->st, err, "out of memory comparing with --previous");
    }
    if (!err) {
        qsort(prev.v, prev.n, sizeof *prev.v, em_cmpKey);
        qsort(cur.v, cur.n, sizeof *cur.v, em_cmpKey);
        size_t i = 0, j = 0;
        while (i < cur.n || j < prev.n) {
            int const c = i == cur.n ? 1 : j == prev.n ? -1 : em_cmpKey(&cur.v[i], &prev.v[j]);
            if (c < 0) t->fresh[cur.v[i++].province]++;
            else if (c > 0) t->resolved[prev.v[j++].province]++;
            else {
                t->persisting[cur.v[i].province]++;
                i++, j++;
            }
        }
        t->loaded = 1;
    }
    xj_free(prev.v);
    xj_free(cur.v);
    return err;
}
