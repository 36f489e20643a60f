/*
 * fuzz_zst — the reader on arbitrary bytes given as a ".zst" file.
 *
 * rd_open must take any such file, and rd_read must then return decoded
 * bytes or an XJ_ERR_INPUT with a message — never crash, never allocate
 * without bound (the window is limited; a bomb is read only up to FZ_LIMIT
 * here and counts as fine).
 *
 * The input is read three ways and all must agree: in small blocks of
 * varying size (the sizes come from the input itself, so the fuzzer steers
 * them); after rd_rewind in large blocks; and by a one-shot reference decode
 * (fuzz_zstd.h). Agreement means the same verdict and the same bytes; on
 * corrupt or truncated data a reader may stop at a different point before
 * its error (a read that meets corruption returns none of the bytes it
 * decoded; at a truncation, bytes still buffered in the decoder are not
 * handed out), so there the bytes must agree as far as each went.
 * A complete first pass must also report the raw size, the decoded size and
 * the XXH3-128 of the raw bytes in rd_hashHex.
 *
 * A file that decodes whole is also cut into parts at frame starts the
 * input steers (rd_setRange, as processes of a distributed scan read it):
 * the parts' texts laid end to end must be the file's text, whatever the
 * frames and lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "rd_input.h"

#include "fuzz_common.h"
#include "fuzz_zstd.h"

#define FZ_LIMIT (4u << 20)       /* decoded bytes read per pass at most */
#define FZ_SMALL_PREFIX (64u << 10) /* bytes read in small blocks before large ones */
#define FZ_LARGE (1u << 20)

typedef struct fz_pass {
    xj_error err;           /* rd_read's verdict (XJ_OK: reached the end) */
    int at_limit;           /* stopped at FZ_LIMIT before the end */
    size_t total;           /* decoded bytes seen */
    int short_frame;        /* the error was a frame shorter than its header declares */
} fz_pass;

/* Reads the input through into keep[0..FZ_LIMIT). With small > 0 the
 * first FZ_SMALL_PREFIX bytes come in blocks of 1..small bytes chosen from
 * `steer`. */
static fz_pass fz_read(rd_input *in, const uint8_t *steer, size_t steer_len, size_t small, uint8_t *keep)
{
    fz_pass p = {0};
    xj_status st;
    st_init(&st);
    for (size_t k = 0;; k++) {
        size_t cap = FZ_LARGE;
        if (small && p.total < FZ_SMALL_PREFIX)
            cap = 1 + (steer_len ? steer[k % steer_len] : (uint8_t)k) % small;
        if (p.total + cap > FZ_LIMIT) cap = FZ_LIMIT - p.total;
        if (cap == 0) {
            p.at_limit = 1;
            break;
        }
        size_t got = 12345;
        p.err = rd_read(in, (char *)keep + p.total, cap, &got, &st);
        if (p.err != XJ_OK) {
            FZ_ASSERT(p.err == XJ_ERR_INPUT && st.code == XJ_ERR_INPUT && st.message[0] != '\0');
            p.short_frame = strstr(st.message, "but its header declares") != NULL;
            break;
        }
        FZ_ASSERT(got <= cap);
        if (got == 0) break;
        p.total += got;
    }
    return p;
}

/* Two decodings agree on the bytes both produced. */
static void fz_samePrefix(const uint8_t *x, size_t nx, const uint8_t *y, size_t ny)
{
    size_t const n = nx < ny ? nx : ny;
    FZ_ASSERT(n == 0 || memcmp(x, y, n) == 0);
}

#define FZ_MAX_CUTS 3

/* The text of [lo, hi) read as a part, appended at out[*at]. */
static void fz_readPart(uint64_t lo, uint64_t hi, const uint8_t *data, size_t size, uint8_t *out, size_t *at)
{
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    FZ_ASSERT(rd_open(fz_path(data, size, 1), NULL, &in, &st) == XJ_OK);
    rd_setThreads(in, 1 + (int)(lo % 2));
    FZ_ASSERT(rd_setRange(in, lo, hi, &st) == XJ_OK);
    for (;;) {
        size_t got = 0;
        FZ_ASSERT(*at <= FZ_LIMIT);
        xj_error const err = rd_read(in, (char *)out + *at, FZ_LIMIT - *at, &got, &st);
        FZ_ASSERT(err == XJ_OK);
        if (got == 0) break;
        *at += got;
    }
    rd_close(in);
}

/* Cuts at up to FZ_MAX_CUTS frame starts chosen by the input's last bytes:
 * the parts, read one after another, give `text` again. */
static void fz_parts(const uint8_t *data, size_t size, const uint8_t *text, size_t text_len, uint8_t *out)
{
    uint64_t starts[64];
    size_t n = 0;
    for (size_t at = 0; at < size && n < 64;) {
        size_t const c = ZSTD_findFrameCompressedSize(data + at, size - at);
        if (ZSTD_isError(c) || c == 0) return; /* decoded whole, so not expected; nothing to cut */
        starts[n++] = at;
        at += c;
    }
    if (n == 0) return; /* an empty file: no part to read */
    uint64_t cut[FZ_MAX_CUTS + 2] = {0};
    size_t k = 1;
    for (size_t i = 0; i < FZ_MAX_CUTS && n > 1 && i < size; i++) {
        uint64_t const c = starts[1 + data[size - 1 - i] % (n - 1)];
        if (c > cut[k - 1]) cut[k++] = c; /* ascending, each once */
    }
    cut[k] = size;
    size_t got = 0;
    for (size_t p = 0; p < k; p++) fz_readPart(cut[p], cut[p + 1], data, size, out, &got);
    FZ_ASSERT(got == text_len && (got == 0 || memcmp(out, text, got) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    xj_error const err = rd_open(fz_path(data, size, 1), NULL, &in, &st);
    FZ_ASSERT(err == XJ_OK); /* opening reads at most 4 bytes: it cannot fail */
    /* allocated once: fresh 4 MiB buffers per input cost more than the input */
    static uint8_t *first, *second, *ref;
    if (first == NULL) {
        first = malloc(FZ_LIMIT);
        second = malloc(FZ_LIMIT);
        ref = malloc(FZ_LIMIT);
        FZ_ASSERT(first != NULL && second != NULL && ref != NULL);
    }

    /* first pass in small blocks, second (after rd_rewind) in large ones */
    fz_pass const a = fz_read(in, data, size, size ? 1 + data[0] % 97 : 13, first);
    if (a.err == XJ_OK && !a.at_limit) {
        /* a complete first pass knows the whole file */
        FZ_ASSERT(rd_rawBytes(in) == size);
        XXH128_hash_t const raw = XXH3_128bits(data, size);
        char want[33], got[33];
        snprintf(want, sizeof want, "%016llx%016llx", (unsigned long long)raw.high64, (unsigned long long)raw.low64);
        rd_hashHex(in, got);
        FZ_ASSERT(strcmp(want, got) == 0);
    }
    FZ_ASSERT(rd_decodedBytes(in) == a.total);
    st_init(&st);
    FZ_ASSERT(rd_rewind(in, &st) == XJ_OK);
    fz_pass const b = fz_read(in, NULL, 0, 0, second);
    FZ_ASSERT(rd_decodedBytes(in) == a.total); /* the second pass counts nothing */
    rd_close(in);

    size_t ref_len = 0;
    fz_zstdVerdict const v = fz_zstdDecode(data, size, ref, FZ_LIMIT, &ref_len);
    if (v == FZ_ZSTD_OK) {
        /* rd_input is stricter than libzstd in one place, on purpose: a frame
         * that ends before the content size its header declares is an error
         * (found-short-frame-unused-bit: libzstd given the bytes whole
         * returns 0 bytes, no error) */
        FZ_ASSERT((a.err == XJ_OK && !a.at_limit && a.total == ref_len) || a.short_frame);
        FZ_ASSERT((b.err == XJ_OK && !b.at_limit && b.total == ref_len) || b.short_frame);
    } else if (v == FZ_ZSTD_BAD) {
        FZ_ASSERT(a.err == XJ_ERR_INPUT && b.err == XJ_ERR_INPUT);
    } else {
        /* the limit hides the verdict; an error just past it may surface early */
        FZ_ASSERT((a.err == XJ_OK && a.at_limit && a.total == ref_len) || a.err == XJ_ERR_INPUT);
        FZ_ASSERT((b.err == XJ_OK && b.at_limit && b.total == ref_len) || b.err == XJ_ERR_INPUT);
    }
    fz_samePrefix(first, a.total, ref, ref_len);
    fz_samePrefix(second, b.total, ref, ref_len);
    fz_samePrefix(first, a.total, second, b.total);
    if (v == FZ_ZSTD_OK && a.err == XJ_OK && !a.at_limit && a.total == ref_len)
        fz_parts(data, size, ref, ref_len, second);
    return 0;
}
