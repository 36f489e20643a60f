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
 * libzstd 1.5.4 mis-tracks the end of a frame around empty blocks: after an
 * empty last block it skips the check of the declared content size unless
 * the whole frame came in one call, and when the output buffer can hold
 * the declared content it reports an unfinished frame ending in an empty
 * block as complete. A legacy-format frame (magic 0xFD2FB522..27) decodes
 * when it comes whole and is "Unknown frame descriptor" when its header
 * comes in pieces. Its verdict on such frames then depends on how the
 * input and output are cut, and rd_input's with it (see
 * fixtures/fuzz/crashes/README.md). fz_zstdEmptyBlock finds such inputs so
 * that the targets can leave their verdict unchecked — unless
 * FZ_ZSTD_STRICT=1 is set, to reproduce the findings.
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

/* Decodes src[0..n) into out[0..cap) (*out_len bytes). */
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

static inline uint32_t fz_le(const uint8_t *p, int bytes)
{
    uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* 1 when a zstd frame of p[0..n) holds an empty block (raw or RLE of size
 * 0) or is in a legacy format, walking frame and block headers as far as
 * they are well formed; always 0 under FZ_ZSTD_STRICT=1. */
static inline int fz_zstdEmptyBlock(const uint8_t *p, size_t n)
{
    static int strict = -1;
    if (strict < 0) {
        const char *const env = getenv("FZ_ZSTD_STRICT");
        strict = env != NULL && strcmp(env, "1") == 0;
    }
    if (strict) return 0;
    size_t i = 0;
    while (i + 4 <= n) {
        uint32_t const magic = fz_le(p + i, 4);
        if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) { /* skippable frame */
            if (i + 8 > n) return 0;
            i += 8 + (size_t)fz_le(p + i + 4, 4);
            continue;
        }
        if (magic >= 0xFD2FB522u && magic <= 0xFD2FB527u) return 1; /* legacy format v0.2-v0.7 */
        if (magic != 0xFD2FB528u || i + 5 > n) return 0;
        unsigned const fhd = p[i + 4];
        unsigned const fcs = fhd >> 6, single = fhd >> 5 & 1, dict = fhd & 3;
        static const unsigned kDictBytes[4] = {0, 1, 2, 4}, kFcsBytes[4] = {0, 2, 4, 8};
        i += 5 + !single + kDictBytes[dict] + (fcs == 0 ? single : kFcsBytes[fcs]);
        for (;;) {
            if (i + 3 > n) return 0;
            uint32_t const bh = fz_le(p + i, 3);
            uint32_t const size = bh >> 3, type = bh >> 1 & 3;
            if (size == 0 && type <= 1) return 1;
            i += 3 + (type == 1 ? 1 : size);
            if (bh & 1) break;
        }
        i += (fhd & 4) ? 4 : 0; /* content checksum */
    }
    return 0;
}

#endif
