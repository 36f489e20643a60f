/*
 * fuzz_zstd — an independent reference decoding of a zstd input.
 *
 * rd_input decodes zstd in pieces sized by its caller; this decodes the whole
 * input into one buffer with the same window limit, draining until the
 * decoder has nothing left to give. The targets compare the two: same bytes,
 * same verdict (complete or not). The reference stops at `cap` decoded bytes
 * so that a small "bomb" costs bounded time; the caller then compares only
 * that far.
 *
 * libzstd 1.5.4's streaming decoder can judge a byte stream differently when
 * a frame header arrives in pieces or the output room changes (the zst
 * entries of fixtures/fuzz/crashes/README.md). rd_input now hands the header
 * over whole and checks each frame against its declared size, so the
 * targets hold it to the verdict of the whole-input decode, with no
 * tolerance; the inputs that showed the difference are in the corpora as
 * found-*.
 *
 * It also gives rd_input's decoders their memory (fz_zcache below).
 */
#ifndef XJ_FUZZ_ZSTD_H
#define XJ_FUZZ_ZSTD_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDStream_advanced */
#include <zstd.h>

#include "fuzz_common.h"
#include "rd_input.h"

/*
 * rd_input makes a zstd decoder for every file it opens and frees it in
 * rd_close. Under ASan each large buffer the decoder allocates (its window,
 * up to 128 MiB when a frame asks for that) costs a pass over its shadow
 * memory when allocated and another when freed: three times all the rest
 * of a small input's work in fuzz_zst. So the targets hand libzstd its
 * memory from a few blocks kept from input to input: the ZSTD_createDStream
 * below takes the place of libzstd's (a definition in the executable is the
 * one the engine's call binds to) and makes the same decoder with
 * ZSTD_createDStream_advanced and this cache as its allocator. Every
 * decoder is still created and freed per input. No check is lost: libzstd
 * is not instrumented, so its accesses to its own buffers were never
 * checked; and a decoder that is not freed still leaks (LeakSanitizer sees
 * the blocks the cache holds, not those of a lost decoder).
 */
#define FZ_ZCACHE_SLOTS 8

typedef struct fz_zblock {
    size_t size;   /* bytes after the header */
    max_align_t align;
} fz_zblock;

static struct {
    fz_zblock *block[FZ_ZCACHE_SLOTS]; /* free blocks */
    size_t n;
} fz_zcache;

/* The smallest free block that holds `size`, else a new one. */
static void *fz_zalloc(void *opaque, size_t size)
{
    (void)opaque;
    size_t best = FZ_ZCACHE_SLOTS;
    for (size_t i = 0; i < fz_zcache.n; i++) {
        size_t const have = fz_zcache.block[i]->size;
        if (have >= size && (best == FZ_ZCACHE_SLOTS || have < fz_zcache.block[best]->size)) best = i;
    }
    fz_zblock *b;
    if (best < FZ_ZCACHE_SLOTS) {
        b = fz_zcache.block[best];
        fz_zcache.block[best] = fz_zcache.block[--fz_zcache.n];
    } else {
        b = malloc(offsetof(fz_zblock, align) + size);
        if (b == NULL) return NULL;
        b->size = size;
    }
    return &b->align;
}

/* Keeps the block; when the cache is full, frees the smallest of its
 * blocks and this one (the large ones are the costly ones to make). */
static void fz_zfree(void *opaque, void *p)
{
    (void)opaque;
    if (p == NULL) return;
    fz_zblock *b = (fz_zblock *)((char *)p - offsetof(fz_zblock, align));
    if (fz_zcache.n == FZ_ZCACHE_SLOTS) {
        size_t small = 0;
        for (size_t i = 1; i < fz_zcache.n; i++)
            if (fz_zcache.block[i]->size < fz_zcache.block[small]->size) small = i;
        if (fz_zcache.block[small]->size < b->size) {
            fz_zblock *const out = fz_zcache.block[small];
            fz_zcache.block[small] = b;
            b = out;
        }
        free(b);
        return;
    }
    fz_zcache.block[fz_zcache.n++] = b;
}

ZSTD_DStream *ZSTD_createDStream(void)
{
    return ZSTD_createDStream_advanced((ZSTD_customMem){fz_zalloc, fz_zfree, NULL});
}

typedef enum fz_zstdVerdict {
    FZ_ZSTD_OK = 0,   /* every frame complete, all bytes decoded */
    FZ_ZSTD_BAD,      /* corrupt or truncated: rd_read must fail too */
    FZ_ZSTD_TOO_BIG   /* stopped at the limit: no verdict */
} fz_zstdVerdict;

/* Decodes src[0..n) whole into out[0..cap) (*out_len bytes). */
static inline fz_zstdVerdict fz_zstdDecode(const uint8_t *src, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    static ZSTD_DCtx *dctx; /* kept: a context per input costs more than the input */
    if (dctx == NULL) dctx = ZSTD_createDCtx();
    FZ_ASSERT(dctx != NULL);
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
    FZ_ASSERT(!ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, XJ_RD_WINDOW_LOG)));
    size_t len = 0;
    ZSTD_inBuffer in = {src, n, 0};
    fz_zstdVerdict verdict = FZ_ZSTD_OK;
    size_t ret = 0;
    /* An empty input is empty content (rd_input's reading, too): no frame
     * was started, so none is truncated. */
    while (n > 0) {
        if (len == cap) {
            verdict = FZ_ZSTD_TOO_BIG;
            break;
        }
        ZSTD_outBuffer o = {out, cap, len};
        ret = ZSTD_decompressStream(dctx, &o, &in);
        len = o.pos;
        if (ZSTD_isError(ret)) {
            verdict = FZ_ZSTD_BAD;
            break;
        }
        /* all input taken and room left over: the decoder is drained */
        if (in.pos == in.size && o.pos < o.size) break;
    }
    if (verdict == FZ_ZSTD_OK && ret != 0) verdict = FZ_ZSTD_BAD; /* ends inside a frame */
    *out_len = len;
    return verdict;
}

#endif
