/*
 * gen_write — the output: a file or standard output, plain or zstd, UTF-8 or
 * GB 18030.
 *
 * Encoding happens per block on the worker threads (gen_encode); the sink
 * writes finished blocks in order and retries short writes. Each zstd frame
 * holds one block and carries its content size and a checksum; frames are
 * made with the same parameters whatever the thread count, so the .zst file
 * is byte-identical for a given seed. With --single-frame the writer thread
 * compresses the blocks into one frame instead (gen_zstream), fed the same
 * blocks in the same order whatever the thread count. Errors are reported
 * to the caller, who prints them (with the path) and exits 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "gen.h"

int gen_bufReserve(gen_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra) return 0;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) return -1;
        cap *= 2;
    }
    char *const p = realloc(b->p, cap);
    if (p == NULL) return -1;
    b->p = p; b->cap = cap;
    return 0;
}

void gen_bufFree(gen_buf *b)
{
    free(b->p);
    b->p = NULL; b->len = b->cap = 0;
}

static int gen_endsWith(const char *s, const char *suffix)
{
    size_t const n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int gen_sinkOpen(gen_sink *s, const char *path)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    if (strcmp(path, "-") == 0) { s->fd = 1; return 0; }
    s->zstd = gen_endsWith(path, ".zst");
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) return -1;
    s->close_fd = 1;
    return 0;
}

int gen_sinkWrite(gen_sink *s, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t const w = write(s->fd, c, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        c += w; n -= (size_t)w; s->bytes += (uint64_t)w;
    }
    return 0;
}

int gen_sinkClose(gen_sink *s)
{
    if (!s->close_fd) return 0;
    s->close_fd = 0;
    return close(s->fd);
}

struct gen_encoder {
    ZSTD_CCtx *cctx;          /* NULL when not compressing */
    iconv_t cd;               /* (iconv_t)-1 when UTF-8 */
    gen_buf tmp;              /* the GB 18030 text before compression */
};

gen_encoder *gen_encoderCreate(int zstd, int level, int gbk)
{
    gen_encoder *const e = calloc(1, sizeof *e);
    if (e == NULL) return NULL;
    e->cd = (iconv_t)-1;
    if (zstd) {
        e->cctx = ZSTD_createCCtx();
        if (e->cctx == NULL
            || ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_compressionLevel, level))
            || ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx, ZSTD_c_checksumFlag, 1))) {
            gen_encoderFree(e);
            return NULL;
        }
    }
    if (gbk) {
        e->cd = iconv_open("GB18030", "UTF-8");
        if (e->cd == (iconv_t)-1) { gen_encoderFree(e); return NULL; }
    }
    return e;
}

void gen_encoderFree(gen_encoder *e)
{
    if (e == NULL) return;
    ZSTD_freeCCtx(e->cctx);
    if (e->cd != (iconv_t)-1) iconv_close(e->cd);
    gen_bufFree(&e->tmp);
    free(e);
}

static int gen_toGb(gen_encoder *e, const gen_buf *in, gen_buf *out)
{
    out->len = 0;
    /* GB 18030 needs at most 4 bytes per character and UTF-8 at least 1 for
     * ASCII (1 -> 1) and 2-3 for the rest (-> 2 or 4): 2x + slack suffices. */
    if (gen_bufReserve(out, in->len * 2 + 64) != 0) return -1;
    char *ip = in->p, *op = out->p;
    size_t il = in->len, ol = out->cap;
    iconv(e->cd, NULL, NULL, NULL, NULL);
    if (iconv(e->cd, &ip, &il, &op, &ol) == (size_t)-1) return -1;
    out->len = out->cap - ol;
    return 0;
}

int gen_encode(gen_encoder *e, const gen_buf *in, gen_buf *out)
{
    const gen_buf *src = in;
    if (e->cd != (iconv_t)-1) {
        gen_buf *const dst = e->cctx ? &e->tmp : out;
        if (gen_toGb(e, in, dst) != 0) return -1;
        src = dst;
    }
    if (e->cctx == NULL) return 0;
    out->len = 0;
    size_t const bound = ZSTD_compressBound(src->len);
    if (gen_bufReserve(out, bound) != 0) return -1;
    size_t const n = ZSTD_compress2(e->cctx, out->p, out->cap, src->p, src->len);
    if (ZSTD_isError(n)) return -1;
    out->len = n;
    return 0;
}

struct gen_zstream {
    ZSTD_CCtx *cctx;
    char *out;                /* compressed bytes before they are written */
    size_t cap;
};

gen_zstream *gen_zstreamCreate(int level)
{
    gen_zstream *const z = calloc(1, sizeof *z);
    if (z == NULL) return NULL;
    z->cap = ZSTD_CStreamOutSize();
    z->out = malloc(z->cap);
    z->cctx = ZSTD_createCCtx();
    if (z->out == NULL || z->cctx == NULL
        || ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level))
        || ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1))) {
        gen_zstreamFree(z);
        return NULL;
    }
    return z;
}

void gen_zstreamFree(gen_zstream *z)
{
    if (z == NULL) return;
    ZSTD_freeCCtx(z->cctx);
    free(z->out);
    free(z);
}

int gen_zstreamWrite(gen_zstream *z, gen_sink *s, const void *p, size_t n, int end)
{
    ZSTD_inBuffer in = { p, n, 0 };
    for (;;) {
        ZSTD_outBuffer o = { z->out, z->cap, 0 };
        size_t const left = ZSTD_compressStream2(z->cctx, &o, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left)) { errno = 0; return -1; }
        if (o.pos > 0 && gen_sinkWrite(s, z->out, o.pos) != 0) return -1;
        /* continue: until the input is taken; end: until the frame is flushed */
        if (end ? left == 0 : in.pos == in.size) return 0;
    }
}
