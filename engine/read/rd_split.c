/*
 * rd_split — see rd_split.h.
 *
 * The scanner keeps `pending`: bytes read but not yet handed out, starting at
 * a record boundary. It classifies them left to right (sp_scan), appending
 * each finished record to the chunk being built. When the finished records
 * reach the target size, they leave as a chunk and the unfinished tail is
 * copied into a fresh buffer (at most one record, <= XJ_MAX_RECORD bytes).
 */
#include "rd_split.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "rd_simd.h"
#include "xj_alloc.h"

#define SP_READ_BLOCK (1u << 20)
#define SP_SPARES 16 /* recycled chunk buffers kept (each worker gives back one at a time) */
#define SP_TAKE_MAX (8u << 20) /* frames of more content are copied, so chunk buffers stay small (pzstd
                                * writes frames of 8 MiB) */
#define SP_SWAP_MAX 4096 /* pending bytes moved so that a recycled buffer is read into next */
#define SP_WINDOW 4096 /* bytes sp_scan classifies at a time (its masks live on the stack) */

struct rd_splitter {
    rd_input *in;          /* the stream */
    uint32_t source;       /* input index, copied to chunks */
    size_t target;         /* chunk size to aim for */
    rd_chunk cur;          /* chunk being built: data holds the pending bytes */
    size_t filled;         /* bytes in cur.data (finished records + tail) */
    size_t scan;           /* bytes of cur.data already classified */
    size_t rec_start;      /* start of the record being scanned */
    uint64_t rec_line;     /* its line */
    uint64_t line;         /* line number at `scan` */
    uint64_t chunk_line;   /* line of cur.data[0] */
    int in_quote;          /* scan is inside a quoted field */
    int skipping;          /* discarding the rest of an overlong record */
    int eof;               /* the input is exhausted */
    int started;           /* the BOM check has been done */
    uint64_t base;         /* stream offset of cur.data[0] */
    int cut;               /* an overlong record was cut out: offsets no longer match the stream */
    int take_frames;       /* rd_splitterTakeFrames */
    rd_chunk spare[SP_SPARES]; /* used chunks whose buffers can be reused */
    size_t n_spare;
};

void rd_chunkFree(rd_chunk *c)
{
    if (c == NULL) return;
    for (size_t i = 0; i < c->n_overlong; i++) xj_free(c->overlong[i].raw);
    xj_free(c->overlong);
    xj_free(c->recs);
    xj_free(c->alloc ? c->alloc : c->data);
    memset(c, 0, sizeof *c);
}

/* The buffer a chunk's data lies in, and its size. */
static char *sp_bufferOf(const rd_chunk *c, size_t *cap)
{
    if (c->alloc == NULL) {
        *cap = c->cap;
        return c->data;
    }
    *cap = c->cap + (size_t)(c->data - c->alloc);
    return c->alloc;
}

xj_error rd_splitterCreate(rd_input *in, uint32_t source, size_t target, rd_splitter **out, xj_status *st)
{
    rd_splitter *const sp = xj_calloc(1, sizeof *sp);
    RETURN_ERROR_IF(sp == NULL, st, XJ_ERR_NOMEM, "out of memory");
    sp->in = in;
    sp->source = source;
    sp->target = target < 4096 ? 4096 : target;
    sp->line = 1;
    sp->rec_line = 1;
    sp->chunk_line = 1;
    *out = sp;
    return XJ_OK;
}

void rd_splitterFree(rd_splitter *sp)
{
    if (sp == NULL) return;
    for (size_t i = 0; i < sp->n_spare; i++) rd_chunkFree(&sp->spare[i]);
    rd_chunkFree(&sp->cur);
    xj_free(sp);
}

/* The rare cases of sp_pushRecord: an overlong record, or a full record list. */
static __attribute__((noinline)) xj_error sp_pushRecordSlow(rd_splitter *sp, size_t end, xj_status *st)
{
    rd_chunk *const c = &sp->cur;
    const char *const d = c->data;
    size_t const len = end - sp->rec_start;
    if (len > XJ_MAX_RECORD) {
        /* found whole within one read, yet over the limit: rejected like
         * those cut while being read (first XJ_MAX_RECORD bytes kept) */
        rd_overlong *const grown = xj_reallocArray(c->overlong, c->n_overlong + 1, sizeof *grown);
        RETURN_ERROR_IF(grown == NULL, st, XJ_ERR_NOMEM, "out of memory");
        c->overlong = grown;
        char *const raw = xj_strndup(d + sp->rec_start, XJ_MAX_RECORD);
        RETURN_ERROR_IF(raw == NULL, st, XJ_ERR_NOMEM, "out of memory");
        c->overlong[c->n_overlong++] = (rd_overlong){sp->rec_line, raw, XJ_MAX_RECORD};
        return XJ_OK;
    }
    size_t const ncap = c->cap_recs ? c->cap_recs * 2 : 4096;
    rd_record *const grown = xj_reallocArray(c->recs, ncap, sizeof *grown);
    RETURN_ERROR_IF(grown == NULL, st, XJ_ERR_NOMEM, "out of memory splitting records");
    c->recs = grown;
    c->cap_recs = ncap;
    c->recs[c->n_recs++] = (rd_record){(uint32_t)sp->rec_start, (uint32_t)end,
                                       (uint32_t)(sp->rec_line - sp->chunk_line)};
    return XJ_OK;
}

/* Ends the record that started at rec_start at `end` (its LF, or the end of
 * the input). Inline: it runs once a record. */
static inline xj_error sp_pushRecord(rd_splitter *sp, size_t end, xj_status *st)
{
    rd_chunk *const c = &sp->cur;
    size_t const len = end - sp->rec_start;
    if (len <= 1 && (len == 0 || c->data[sp->rec_start] == '\r')) {
        c->blank_lines++;
        return XJ_OK;
    }
    if (len > XJ_MAX_RECORD || c->n_recs == c->cap_recs) return sp_pushRecordSlow(sp, end, st);
    c->recs[c->n_recs++] = (rd_record){(uint32_t)sp->rec_start, (uint32_t)end,
                                       (uint32_t)(sp->rec_line - sp->chunk_line)};
    return XJ_OK;
}

static size_t sp_countLf(const char *p, size_t n)
{
    size_t count = 0;
    const char *const end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        count++;
        p++;
    }
    return count;
}

/* Finds the first '"' or '\n' in [p, end), or end: one pass, 16 bytes at a
 * time with SSE2. */
static const char *sp_findQuoteOrLf(const char *p, const char *end)
{
#ifdef __SSE2__
    __m128i const lf = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"');
    for (; end - p >= 16; p += 16) {
        __m128i const v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned const m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, quote)));
        if (m) return p + __builtin_ctz(m);
    }
#endif
    for (; p < end; p++)
        if (*p == '"' || *p == '\n') return p;
    return end;
}

/* A window of span bytes at base, outside quotes and without a quote in
 * it: every LF ends a record. The common window, so its loop keeps the
 * splitter's state in locals and leaves the rare cases to sp_pushRecord. */
static xj_error sp_scanPlain(rd_splitter *sp, size_t base, size_t span, const uint64_t *lf, xj_status *st)
{
    rd_chunk *const c = &sp->cur;
    size_t start = sp->rec_start;
    uint64_t line = sp->line;
    uint64_t rec_line = sp->rec_line; /* the first record may have begun lines earlier (LFs in quotes) */
    for (size_t k = 0; k < rd_maskWords(span); k++) {
        for (uint64_t m = lf[k]; m; m &= m - 1) {
            size_t const pos = base + 64 * k + (size_t)__builtin_ctzll(m);
            size_t const len = pos - start;
            if (len > 1 && len <= XJ_MAX_RECORD && c->n_recs < c->cap_recs) {
                c->recs[c->n_recs++] =
                    (rd_record){(uint32_t)start, (uint32_t)pos, (uint32_t)(rec_line - sp->chunk_line)};
            } else {
                sp->rec_start = start;
                sp->rec_line = rec_line;
                FORWARD_IF_ERROR(sp_pushRecord(sp, pos, st));
            }
            rec_line = ++line;
            start = pos + 1;
        }
    }
    sp->rec_start = start;
    sp->line = line;
    sp->rec_line = rec_line;
    sp->scan = base + span;
    return XJ_OK;
}

/* Classifies pending bytes up to `filled`, a window of SP_WINDOW bytes at a
 * time: rd_mask2 marks every LF and quote of the window, and only those
 * bytes are looked at, in order (RFC 4180: a quote opens a quoted field
 * only at the start of a field; inside one, a doubled quote stays inside
 * and an LF is part of the value). A quote as the last byte of a quoted
 * field is left for later: only the next byte says whether it closes the
 * field or is doubled. */
static xj_error sp_scan(rd_splitter *sp, xj_status *st)
{
    const char *const d = sp->cur.data;
    size_t const n = sp->filled;
    uint64_t lf[SP_WINDOW / 64], quote[SP_WINDOW / 64];
    while (sp->scan < n) {
        size_t const base = sp->scan;
        size_t const span = n - base < SP_WINDOW ? n - base : SP_WINDOW;
        size_t const words = rd_maskWords(span);
        rd_mask2(d + base, span, '\n', '"', lf, quote);
        uint64_t any_quote = 0;
        for (size_t k = 0; k < words; k++) any_quote |= quote[k];
        if (!any_quote && !sp->in_quote) {
            FORWARD_IF_ERROR(sp_scanPlain(sp, base, span, lf, st));
            continue;
        }
        for (size_t k = 0; k < words; k++) {
            for (uint64_t ev = lf[k] | quote[k]; ev; ev &= ev - 1) {
                size_t const pos = base + 64 * k + (size_t)__builtin_ctzll(ev);
                if (pos < sp->scan) continue; /* the second quote of a doubled pair */
                if (sp->in_quote) {
                    if (d[pos] == '\n') {
                        sp->line++;
                        continue;
                    }
                    if (pos + 1 >= n && !sp->eof) {
                        sp->scan = pos; /* decide once the next byte is here */
                        return XJ_OK;
                    }
                    if (pos + 1 < n && d[pos + 1] == '"') {
                        sp->scan = pos + 2; /* doubled quote */
                        continue;
                    }
                    sp->in_quote = 0;
                    sp->scan = pos + 1;
                    continue;
                }
                if (d[pos] == '"') {
                    if (pos == sp->rec_start || d[pos - 1] == ',') sp->in_quote = 1;
                    sp->scan = pos + 1;
                    continue;
                }
                FORWARD_IF_ERROR(sp_pushRecord(sp, pos, st));
                sp->line++;
                sp->scan = pos + 1;
                sp->rec_start = pos + 1;
                sp->rec_line = sp->line;
            }
        }
        if (sp->scan < base + span) sp->scan = base + span;
    }
    return XJ_OK;
}

/* Scans bytes of a record being skipped; returns 1 once its end is found,
 * and leaves only the bytes after it pending. */
static int sp_skipScan(rd_splitter *sp)
{
    char *const d = sp->cur.data;
    size_t i = sp->rec_start;
    size_t const n = sp->filled;
    while (i < n) {
        if (sp->in_quote) {
            const char *const q = memchr(d + i, '"', n - i);
            size_t const stop = q ? (size_t)(q - d) : n;
            sp->line += sp_countLf(d + i, stop - i);
            if (q == NULL) break;
            if (stop + 1 >= n && !sp->eof) {
                /* keep the quote: the next byte decides */
                memmove(d + sp->rec_start, d + stop, n - stop);
                sp->filled = sp->rec_start + (n - stop);
                sp->scan = sp->rec_start;
                return 0;
            }
            if (stop + 1 < n && d[stop + 1] == '"') { i = stop + 2; continue; }
            sp->in_quote = 0;
            i = stop + 1;
            continue;
        }
        const char *const hit = sp_findQuoteOrLf(d + i, d + n);
        size_t const pos = (size_t)(hit - d);
        if (pos == n) break;
        if (*hit == '"') {
            if (d[pos - (pos > 0)] == ',') sp->in_quote = 1;
            i = pos + 1;
            continue;
        }
        sp->line++;
        memmove(d + sp->rec_start, d + pos + 1, n - pos - 1);
        sp->filled = sp->rec_start + (n - pos - 1);
        sp->scan = sp->rec_start;
        sp->rec_line = sp->line;
        sp->skipping = 0;
        return 1;
    }
    sp->filled = sp->rec_start;
    sp->scan = sp->rec_start;
    return 0;
}

/* The record being scanned has grown past XJ_MAX_RECORD: keep its head for the
 * reject and skip the rest. */
static xj_error sp_cutOverlong(rd_splitter *sp, xj_status *st)
{
    rd_chunk *const c = &sp->cur;
    rd_overlong *const grown = xj_reallocArray(c->overlong, c->n_overlong + 1, sizeof *grown);
    RETURN_ERROR_IF(grown == NULL, st, XJ_ERR_NOMEM, "out of memory");
    c->overlong = grown;
    char *const raw = xj_strndup(c->data + sp->rec_start, XJ_MAX_RECORD);
    RETURN_ERROR_IF(raw == NULL, st, XJ_ERR_NOMEM, "out of memory");
    c->overlong[c->n_overlong++] = (rd_overlong){sp->rec_line, raw, XJ_MAX_RECORD};
    sp->skipping = 1;
    sp->cut = 1;
    /* sp->line already counts the LFs scanned so far; rescan only the rest */
    size_t const scanned = sp->scan;
    memmove(c->data + sp->rec_start, c->data + scanned, sp->filled - scanned);
    sp->filled = sp->rec_start + (sp->filled - scanned);
    sp->scan = sp->rec_start;
    return XJ_OK;
}

/* Bytes asked of rd_read at a time: small targets (tests) read in small
 * blocks, so records straddle reads. Buffers are sized by this, not by
 * SP_READ_BLOCK, so a small target costs no MiB buffers per chunk. */
static size_t sp_block(const rd_splitter *sp)
{
    return sp->target < SP_READ_BLOCK ? sp->target : SP_READ_BLOCK;
}

/* sp_fill without the copy, when only a record begun is pending: the rest
 * of a frame the decoder's workers filled becomes the pending buffer, with
 * the record's first bytes moved into the room before it, so offsets and
 * the scan's state stay as they were. *taken = 0 when rd_input cannot
 * hand it over (the next bytes are not the rest of such a frame, it is
 * too large, or the record begun does not fit in front). */
static xj_error sp_takeFrame(rd_splitter *sp, int *taken, xj_status *st)
{
    rd_chunk *const c = &sp->cur;
    size_t cap;
    char *const old = sp_bufferOf(c, &cap);
    rd_taken t;
    FORWARD_IF_ERROR(rd_takeFrame(sp->in, sp->filled, SP_TAKE_MAX, old, cap, &t, st));
    *taken = t.alloc != NULL;
    if (!*taken) return XJ_OK;
    /* `old` now belongs to the decoder, which writes it only when this
     * thread queues a frame into it (a later rd_read or rd_takeFrame), so
     * the pending bytes are still there to be moved */
    char *const data = t.alloc + t.at - sp->filled;
    if (sp->filled) memcpy(data, c->data, sp->filled);
    c->alloc = t.alloc;
    c->data = data;
    c->cap = t.alloc_cap - (t.at - sp->filled);
    sp->filled += t.len;
    return XJ_OK;
}

/* Makes room for `block` more bytes after the pending ones. */
static xj_error sp_reserve(rd_splitter *sp, size_t block, xj_status *st)
{
    rd_chunk *const c = &sp->cur;
    if (c->cap - sp->filled >= block) return XJ_OK;
    size_t const ncap = (sp->filled + block) * 2 > sp->target + 2 * block ? (sp->filled + block) * 2
                                                                          : sp->target + 2 * block;
    char *grown;
    if (c->alloc) { /* data lies inside a taken frame's buffer: move it to a buffer of its own */
        grown = xj_malloc(ncap);
        if (grown != NULL) {
            if (sp->filled) memcpy(grown, c->data, sp->filled);
            xj_free(c->alloc);
            c->alloc = NULL;
        }
    } else {
        grown = xj_realloc(c->data, ncap);
    }
    RETURN_ERROR_IF(grown == NULL, st, XJ_ERR_NOMEM, "out of memory reading %s", rd_path(sp->in));
    c->data = grown;
    c->cap = ncap;
    return XJ_OK;
}

/* Reads one more block into the pending buffer. */
static xj_error sp_fill(rd_splitter *sp, xj_status *st)
{
    rd_chunk *const c = &sp->cur;
    if (sp->take_frames && sp->started && !sp->skipping && sp->rec_start == 0) {
        int taken;
        FORWARD_IF_ERROR(sp_takeFrame(sp, &taken, st));
        if (taken) return XJ_OK;
    }
    size_t const block = sp_block(sp);
    FORWARD_IF_ERROR(sp_reserve(sp, block, st));
    size_t got = 0;
    FORWARD_IF_ERROR(rd_read(sp->in, c->data + sp->filled, block, &got, st));
    if (got == 0) sp->eof = 1;
    sp->filled += got;
    if (!sp->started) {
        /* Pipes may deliver fewer than 3 bytes at first: gather enough to
         * see a BOM before anything is scanned. */
        while (sp->filled < 3 && !sp->eof) {
            FORWARD_IF_ERROR(rd_read(sp->in, c->data + sp->filled, c->cap - sp->filled, &got, st));
            if (got == 0) sp->eof = 1;
            sp->filled += got;
        }
        sp->started = 1;
        if (sp->filled >= 3 && memcmp(c->data, "\xEF\xBB\xBF", 3) == 0) {
            memmove(c->data, c->data + 3, sp->filled - 3);
            sp->filled -= 3;
            sp->base = 3;
        }
    }
    return XJ_OK;
}

/* Advances until `target` bytes of whole records are pending or the input
 * ends; at the end, the last record (one without a final LF) is finished. */
static xj_error sp_advance(rd_splitter *sp, size_t target, size_t min_recs, xj_status *st)
{
    while (!sp->eof && (sp->rec_start < target || sp->cur.n_recs < min_recs)) {
        if (sp->skipping) {
            FORWARD_IF_ERROR(sp_fill(sp, st));
            if (!sp_skipScan(sp)) continue;
        } else {
            FORWARD_IF_ERROR(sp_fill(sp, st));
        }
        FORWARD_IF_ERROR(sp_scan(sp, st));
        if (!sp->skipping && sp->filled - sp->rec_start > XJ_MAX_RECORD) FORWARD_IF_ERROR(sp_cutOverlong(sp, st));
    }
    if (sp->eof && !sp->skipping) {
        FORWARD_IF_ERROR(sp_scan(sp, st));
        if (sp->rec_start < sp->filled) {
            if (sp->filled - sp->rec_start > XJ_MAX_RECORD) {
                sp->scan = sp->filled;
                FORWARD_IF_ERROR(sp_cutOverlong(sp, st));
                sp->filled = sp->rec_start;
                sp->skipping = 0; /* nothing left to skip: the input ended */
            } else {
                sp->cur.unterminated = sp->in_quote;
                FORWARD_IF_ERROR(sp_pushRecord(sp, sp->filled, st));
                sp->rec_start = sp->filled;
            }
        }
        sp->scan = sp->filled;
    }
    return XJ_OK;
}

xj_error rd_readHeader(rd_splitter *sp, xj_buf *header, int *found, xj_status *st)
{
    *found = 0;
    FORWARD_IF_ERROR(sp_advance(sp, 0, 1, st));
    rd_chunk *const c = &sp->cur;
    RETURN_ERROR_IF(c->n_overlong > 0 && (c->n_recs == 0 || c->overlong[0].line < sp->chunk_line + c->recs[0].line_delta),
                    st, XJ_ERR_INPUT, "%s: the header line is longer than %u bytes; is this a CSV file?",
                    rd_path(sp->in), XJ_MAX_RECORD);
    if (c->n_recs == 0) return XJ_OK;
    rd_record const h = c->recs[0];
    size_t hend = h.end;
    if (hend > h.start && c->data[hend - 1] == '\r') hend--;
    buf_clear(header);
    FORWARD_IF_ERROR(buf_append(header, c->data + h.start, hend - h.start));
    *found = 1;
    /* Drop the header: the data records keep their offsets relative to the
     * chunk, so it suffices to forget the first record. */
    memmove(c->recs, c->recs + 1, (c->n_recs - 1) * sizeof *c->recs);
    c->n_recs--;
    return XJ_OK;
}

void rd_recycleChunk(rd_splitter *sp, rd_chunk *c)
{
    if (sp->n_spare == SP_SPARES || c->data == NULL) {
        rd_chunkFree(c);
        return;
    }
    for (size_t i = 0; i < c->n_overlong; i++) xj_free(c->overlong[i].raw);
    xj_free(c->overlong);
    size_t cap;
    char *buf = sp_bufferOf(c, &cap);
    /* The next bytes are read into this buffer rather than into the one
     * holding the record begun (its few bytes move over): the thread that
     * gives a chunk back is the one that reads next (scan_stream.c), and
     * the buffer it has just parsed is still in its core's cache. */
    rd_chunk *const cur = &sp->cur;
    if (cur->data != NULL && cur->alloc == NULL && cap >= cur->cap && sp->filled <= SP_SWAP_MAX) {
        memcpy(buf, cur->data, sp->filled);
        char *const held = cur->data;
        size_t const held_cap = cur->cap;
        cur->data = buf;
        cur->cap = cap;
        buf = held;
        cap = held_cap;
    }
    sp->spare[sp->n_spare++] = (rd_chunk){.data = buf, .cap = cap, .recs = c->recs, .cap_recs = c->cap_recs};
    memset(c, 0, sizeof *c);
}

xj_error rd_nextChunk(rd_splitter *sp, rd_chunk *chunk, int *done, xj_status *st)
{
    memset(chunk, 0, sizeof *chunk);
    FORWARD_IF_ERROR(sp_advance(sp, sp->target, 0, st));
    rd_chunk *const c = &sp->cur;
    *done = sp->eof && !sp->skipping && c->n_recs == 0 && c->n_overlong == 0 && c->blank_lines == 0 &&
            sp->rec_start >= sp->filled;
    if (sp->eof && sp->skipping) *done = c->n_recs == 0 && c->n_overlong == 0 && c->blank_lines == 0;
    if (*done) return XJ_OK;

    /* The tail (an unfinished record) moves to a fresh buffer. */
    size_t const tail = sp->filled - sp->rec_start;
    size_t const block = sp_block(sp);
    size_t const ncap = sp->target + 2 * block > tail + block ? sp->target + 2 * block : tail + block;
    rd_chunk reuse = {0};
    if (sp->n_spare > 0 && sp->spare[sp->n_spare - 1].cap >= ncap) reuse = sp->spare[--sp->n_spare];
    char *const fresh = reuse.data ? reuse.data : xj_malloc(ncap);
    RETURN_ERROR_IF(fresh == NULL, st, XJ_ERR_NOMEM, "out of memory reading %s", rd_path(sp->in));
    memcpy(fresh, c->data + sp->rec_start, tail);

    *chunk = *c;
    chunk->len = sp->rec_start;
    chunk->first_line = sp->chunk_line;
    chunk->source = sp->source;
    chunk->offset = sp->base;
    chunk->expansion = rd_expansion(sp->in);
    sp->base += sp->rec_start;

    memset(c, 0, sizeof *c);
    c->data = fresh;
    c->cap = reuse.data ? reuse.cap : ncap;
    c->recs = reuse.recs;
    c->cap_recs = reuse.cap_recs;
    sp->filled = tail;
    sp->scan -= sp->rec_start;
    sp->rec_start = 0;
    sp->chunk_line = sp->rec_line;
    return XJ_OK;
}

void rd_splitterStartAt(rd_splitter *sp, uint64_t line, uint64_t offset)
{
    sp->line = sp->rec_line = sp->chunk_line = line;
    sp->base = offset;
    sp->started = 1; /* a BOM is looked for at the start of a file only */
}

void rd_splitterTakeFrames(rd_splitter *sp)
{
    sp->take_frames = 1;
}

int rd_splitterInQuote(const rd_splitter *sp)
{
    return sp->in_quote;
}

int rd_splitterContiguous(const rd_splitter *sp)
{
    return !sp->cut;
}

xj_error rd_splitRange(const char *data, size_t len, uint64_t first_line, rd_chunk *out, xj_status *st)
{
    /* a splitter whose whole input is `data`, already read */
    rd_splitter sp = {.target = len, .filled = len, .eof = 1, .started = 1};
    sp.line = sp.rec_line = sp.chunk_line = first_line;
    sp.cur.data = (char *)data; /* only read: sp_scan and sp_pushRecord do not write it */
    sp.cur.cap = len;
    sp.cur.recs = out->recs;
    sp.cur.cap_recs = out->cap_recs;
    for (size_t i = 0; i < out->n_overlong; i++) xj_free(out->overlong[i].raw);
    xj_free(out->overlong);
    xj_error err = sp_scan(&sp, st);
    if (!err && sp.rec_start < len) {
        sp.cur.unterminated = sp.in_quote;
        err = sp_pushRecord(&sp, len, st);
    }
    *out = sp.cur;
    out->len = len;
    out->first_line = first_line;
    return err;
}
