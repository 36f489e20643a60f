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
 */
#ifndef XJ_FUZZ_ZSTD_H
#define XJ_FUZZ_ZSTD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "fuzz_common.h"
#include "rd_input.h"

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
