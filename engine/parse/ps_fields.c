/* ps_fields — see ps_fields.h. */
#include "ps_fields.h"

#include <string.h>

#include "rd_simd.h"
#include "xj_alloc.h"

#define PS_CSV_GROW (64u << 10) /* libcsv's value buffer grows in steps of this */
#define PS_WINDOW 512           /* record bytes classified at a time (masks on the stack) */
#define PS_QUOTED_MAX 2048      /* longer records with quotes go to libcsv (masks on the stack) */

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
    /* the same order of checks as ps_pushPlain: both paths give one reason */
    if (f->n == f->max_fields) {
        f->error = PS_FIELDS_TOO_MANY;
        return;
    }
    if (len > XJ_MAX_FIELD) {
        f->error = PS_FIELDS_TOO_LONG;
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
    /* libcsv grows its value buffer by this many bytes at a time (128 unless
     * told): a 64 KiB quoted value then took 512 reallocations, each copying
     * the value so far, and a fresh parser after every bad record starts
     * over. */
    csv_set_blk_size(&f->parser, PS_CSV_GROW);
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

/* Appends the value rec[start, stop) of a quote-free record, with every
 * check (ps_splitPlain's slow path). */
static ps_fieldError ps_pushPlain(ps_fields *f, size_t start, size_t stop)
{
    if (f->n == f->max_fields) return f->error = PS_FIELDS_TOO_MANY;
    if (f->n == f->cap && ps_reserve(f, f->n + 1) != 0) return f->error = PS_FIELDS_NOMEM;
    if (stop - start > XJ_MAX_FIELD) return f->error = PS_FIELDS_TOO_LONG;
    f->off[f->n] = (uint32_t)start;
    f->len[f->n] = (uint32_t)(stop - start);
    f->n++;
    return PS_FIELDS_OK;
}

/* Splits a record of more than XJ_MAX_FIELD bytes at its commas in place,
 * PS_WINDOW bytes classified at a time, each value through ps_pushPlain's
 * checks in order, so the first problem is the one libcsv would report.
 * Returns 1 when the record holds a quote, else 0 with f->error set. */
static __attribute__((noinline)) int ps_splitPlainLong(ps_fields *f, const char *rec, size_t n)
{
    f->base = rec;
    uint64_t comma[PS_WINDOW / 64], quote[PS_WINDOW / 64];
    size_t start = 0;
    for (size_t base = 0; base < n; base += PS_WINDOW) {
        size_t const span = n - base < PS_WINDOW ? n - base : PS_WINDOW;
        size_t const words = rd_maskWords(span);
        rd_mask2(rec + base, span, ',', '"', comma, quote);
        for (size_t k = 0; k < words; k++)
            if (quote[k]) return 1;
        for (size_t k = 0; k < words; k++)
            for (uint64_t m = comma[k]; m; m &= m - 1) {
                size_t const pos = base + 64 * k + (size_t)__builtin_ctzll(m);
                if (ps_pushPlain(f, start, pos) != PS_FIELDS_OK) return 0;
                start = pos + 1;
            }
    }
    ps_pushPlain(f, start, n);
    return 0;
}

/* The splitter of records up to XJ_MAX_FIELD bytes without quotes, once per
 * SIMD level (ps_fields_plain.h); none inlined, so that ps_splitFields
 * stays a few instructions in front of one of them. */
#define PS_PLAIN_FN ps_splitPlainScalar
#define PS_PLAIN_TARGET __attribute__((noinline))
#define PS_PLAIN_BLOCK rd_block2Scalar
#include "ps_fields_plain.h"
#undef PS_PLAIN_FN
#undef PS_PLAIN_TARGET
#undef PS_PLAIN_BLOCK
#ifdef RD_SIMD_X86
#define PS_PLAIN_FN ps_splitPlainSse2
#define PS_PLAIN_TARGET __attribute__((noinline))
#define PS_PLAIN_BLOCK rd_block2Sse2
#include "ps_fields_plain.h"
#undef PS_PLAIN_FN
#undef PS_PLAIN_TARGET
#undef PS_PLAIN_BLOCK
#define PS_PLAIN_FN ps_splitPlainAvx2
#define PS_PLAIN_TARGET __attribute__((target("avx2")))
#define PS_PLAIN_BLOCK rd_block2Avx2
#include "ps_fields_plain.h"
#undef PS_PLAIN_FN
#undef PS_PLAIN_TARGET
#undef PS_PLAIN_BLOCK
#endif

/* Splits a quote-free record at its commas in place, the values pointing
 * into it. Returns 1 when the record holds a quote — then libcsv must parse
 * it — else 0 with f->error set. */
static int ps_splitPlain(ps_fields *f, const char *rec, size_t n)
{
    if (n > XJ_MAX_FIELD) return ps_splitPlainLong(f, rec, n);
    switch (rd_simdCurrent()) {
#ifdef RD_SIMD_X86
    case RD_SIMD_AVX2: return ps_splitPlainAvx2(f, rec, n);
    case RD_SIMD_SSE2: return ps_splitPlainSse2(f, rec, n);
#endif
    default: return ps_splitPlainScalar(f, rec, n);
    }
}

/* The first set bit at or after `from` in masks of `words` words, or
 * SIZE_MAX when there is none. */
static inline size_t ps_nextBit(const uint64_t *m, size_t words, size_t from)
{
    size_t k = from / 64;
    if (k >= words) return SIZE_MAX;
    uint64_t w = m[k] & (~0ull << (from % 64));
    while (w == 0) {
        if (++k == words) return SIZE_MAX;
        w = m[k];
    }
    return 64 * k + (size_t)__builtin_ctzll(w);
}

/* A record of at most PS_QUOTED_MAX bytes with quotes, split when every
 * field is well formed: either free of quotes, or opened by a quote at its
 * start and closed by a quote just before a comma or the record's end,
 * with only doubled quotes between. For such a record libcsv's values are
 * the obvious ones, and they are produced here from the masks of commas and
 * quotes, a memcpy per piece, into the arena as libcsv's path does. Returns
 * 0 when split, 1 for anything else — a stray quote, an open quoted field,
 * too many fields — which libcsv then parses and names. Quoted addresses
 * are a third of the records of some populations; libcsv, a callback per
 * byte, took about 0.6 µs more for each. */
static int ps_splitQuoted(ps_fields *f, const char *rec, size_t n)
{
    uint64_t comma[PS_QUOTED_MAX / 64], quote[PS_QUOTED_MAX / 64];
    rd_mask2(rec, n, ',', '"', comma, quote);
    size_t const words = rd_maskWords(n);
    buf_clear(&f->arena);
    /* every value and its NUL: at most the record plus one byte per comma */
    if (buf_reserve(&f->arena, 2 * n + 1) != XJ_OK) return 1;
    char *const out = f->arena.data;
    size_t at = 0, nf = 0, pos = 0;
    for (;;) {
        if (nf == f->max_fields) return 1;
        if (nf == f->cap && ps_reserve(f, nf + 1) != 0) return 1;
        size_t const begin = at;
        if (pos < n && rec[pos] == '"') {
            size_t from = pos + 1;
            for (;;) {
                size_t const q = ps_nextBit(quote, words, from);
                if (q >= n) return 1; /* still open at the end */
                memcpy(out + at, rec + from, q - from);
                at += q - from;
                if (q + 1 < n && rec[q + 1] == '"') { /* a doubled quote stands for one */
                    out[at++] = '"';
                    from = q + 2;
                    continue;
                }
                pos = q + 1;
                break;
            }
            if (pos < n && rec[pos] != ',') return 1; /* text after the closing quote */
        } else {
            size_t const stop = ps_nextBit(comma, words, pos);
            size_t const end = stop < n ? stop : n;
            if (ps_nextBit(quote, words, pos) < end) return 1; /* a quote inside an unquoted field */
            memcpy(out + at, rec + pos, end - pos);
            at += end - pos;
            pos = end;
        }
        out[at++] = '\0';
        f->off[nf] = (uint32_t)begin;
        f->len[nf] = (uint32_t)(at - 1 - begin);
        nf++;
        if (pos >= n) break;
        pos++; /* past the comma */
    }
    f->arena.len = at;
    f->base = f->arena.data;
    f->n = nf;
    return 0;
}

/* libcsv 3.0 has no call that clears a parser after an error but keeps its
 * value buffer: csv_fini clears these fields after a record it accepted,
 * and this does the same after one it refused (0 is its state between
 * rows). csv_free and csv_init instead freed the 64 KiB buffer and
 * allocated it again at the next quoted record, a third of the fuzzer's
 * time on inputs full of bad quotes. */
static void ps_parserReset(ps_fields *f)
{
    f->parser.pstate = 0;
    f->parser.quoted = 0;
    f->parser.spaces = 0;
    f->parser.entry_pos = 0;
    f->parser.status = 0;
}

/* A record the paths above leave (or every record, in tests): through
 * libcsv, its values copied to the arena. Out of line, so that the common
 * record's path saves no registers for it. */
static __attribute__((noinline)) ps_fieldError ps_splitLibcsv(ps_fields *f, const char *rec, size_t n,
                                                               int unterminated)
{
    buf_clear(&f->arena);
    f->n = 0;
    f->error = PS_FIELDS_OK;
    size_t const used = csv_parse(&f->parser, rec, n, ps_onField, ps_onRecord, f);
    int bad = used != n;
    if (!bad) bad = csv_fini(&f->parser, ps_onField, ps_onRecord, f) != 0;
    f->base = f->arena.data;
    if (bad) {
        ps_parserReset(f); /* libcsv keeps its error state otherwise */
        if (f->error == PS_FIELDS_OK) f->error = unterminated ? PS_FIELDS_UNTERMINATED : PS_FIELDS_BAD_QUOTE;
    }
    return f->error;
}

ps_fieldError ps_splitFields(ps_fields *f, const char *rec, size_t n, int unterminated)
{
    f->n = 0;
    f->error = PS_FIELDS_OK;
    if (n && rec[n - 1] == '\r' && !unterminated) n--;
    if (!f->force_libcsv) {
        if (ps_splitPlain(f, rec, n) == 0) return f->error;
        /* a quote: split here if every field is well formed, else libcsv */
        if (!unterminated && n <= PS_QUOTED_MAX && ps_splitQuoted(f, rec, n) == 0) return PS_FIELDS_OK;
        f->n = 0;
    }
    return ps_splitLibcsv(f, rec, n, unterminated);
}
