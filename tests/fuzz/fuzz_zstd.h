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
 * libzstd 1.5.4 does not always give one verdict for one byte stream: when a
 * frame header arrives in pieces — and rd_input always hands over the 4
 * bytes it sniffed for the magic number first — its streaming decoder can
 * take the rest of the input for a whole frame (if it starts like a
 * skippable frame) and report success, skip the content-size check of a
 * frame whose last block is empty, or refuse a legacy-format frame it
 * decodes when given whole (fixtures/fuzz/crashes/README.md); whether its
 * whole-frame shortcut is taken also depends on the output room. So the
 * reference decodes whole, and cut like rd_input's feed with large and with
 * small output steps; when these disagree the targets leave the verdict
 * unchecked (the bytes still must agree) — unless FZ_ZSTD_STRICT=1 is set,
 * to reproduce.
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

#define FZ_ZSTD_SMALL_PREFIX (64u << 10) /* output given 7 bytes at a time by the "small" feed */

/* Decodes src[0..n) into out[0..cap) (*out_len bytes), fed whole or, with
 * `cut`, as its first 4 bytes and then the rest; with `small`, the first
 * FZ_ZSTD_SMALL_PREFIX bytes of output are taken 7 bytes at a time. */
static inline fz_zstdVerdict fz_zstdDecodeFed(const uint8_t *src, size_t n, int cut, int small, uint8_t *out,
                                              size_t cap, size_t *out_len)
{
    static ZSTD_DCtx *dctx; /* kept: a context per input costs more than the input */
    if (dctx == NULL) dctx = ZSTD_createDCtx();
    FZ_ASSERT(dctx != NULL);
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
    FZ_ASSERT(!ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, XJ_RD_WINDOW_LOG)));
    size_t len = 0;
    size_t fed = cut && n > 4 ? 4 : n; /* bytes handed to the decoder so far */
    ZSTD_inBuffer in = {src, fed, 0};
    fz_zstdVerdict verdict = FZ_ZSTD_OK;
    size_t ret = 0;
    /* An empty input is empty content (rd_input's reading, too): no frame
     * was started, so none is truncated. */
    while (n > 0) {
        if (len == cap) {
            verdict = FZ_ZSTD_TOO_BIG;
            break;
        }
        size_t const room = small && len < FZ_ZSTD_SMALL_PREFIX && cap - len > 7 ? len + 7 : cap;
        ZSTD_outBuffer o = {out, room, len};
        ret = ZSTD_decompressStream(dctx, &o, &in);
        len = o.pos;
        if (ZSTD_isError(ret)) {
            verdict = FZ_ZSTD_BAD;
            break;
        }
        /* all input taken and room left over: the decoder is drained */
        if (in.pos == in.size && o.pos < o.size) {
            if (fed == n) break;
            in = (ZSTD_inBuffer){src + fed, n - fed, 0};
            fed = n;
        }
    }
    if (verdict == FZ_ZSTD_OK && ret != 0) verdict = FZ_ZSTD_BAD; /* ends inside a frame */
    *out_len = len;
    return verdict;
}

/* The reference: src fed whole. Sets *cut_dependent when libzstd judges the
 * input differently once it is cut as rd_input cuts it, with large or small
 * output steps (never under FZ_ZSTD_STRICT=1). `scratch` holds cap bytes. */
static inline fz_zstdVerdict fz_zstdDecode(const uint8_t *src, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                                           uint8_t *scratch, int *cut_dependent)
{
    static int strict = -1;
    if (strict < 0) {
        const char *const env = getenv("FZ_ZSTD_STRICT");
        strict = env != NULL && strcmp(env, "1") == 0;
    }
    fz_zstdVerdict const v = fz_zstdDecodeFed(src, n, 0, 0, out, cap, out_len);
    *cut_dependent = 0;
    for (int small = 0; small < 2 && !strict && !*cut_dependent; small++) {
        size_t other_len = 0;
        fz_zstdVerdict const w = fz_zstdDecodeFed(src, n, 1, small, scratch, cap, &other_len);
        *cut_dependent = v != w || other_len != *out_len;
    }
    return v;
}

#endif
