/*
 * test_zpar — multi-frame .zst decoded on worker threads (rd_input with
 * rd_setThreads > 1, rd_zpar) returns what the single-threaded streaming
 * decoder returns: the same bytes, the same raw size and hash, and on a
 * damaged file the same error with the same message.
 *
 * Files are made here frame by frame: with and without content sizes,
 * skippable frames between them (as pzstd writes), empty frames, a frame
 * too large for the workers in the middle (the streaming decoder takes over
 * there), one without content size too long to wait for, a single-frame
 * file. Damage: a flipped byte in a header, in a
 * block and in a checksum, cuts at several points, a header that declares
 * one byte less than its frame holds, trailing garbage. Each file is read
 * with 1, 2 and 3 threads, in 1 MiB reads and in odd small ones, and read
 * again after rd_rewind. rd_zpar is also driven alone: order, failed
 * frames, clearing while workers are busy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "rd_input.h"
#include "rd_zpar.h"
#include "test_check.h"

static const char *tz_dir;
static uint64_t tz_state = 0x9E3779B97F4A7C15ull;

static uint32_t tz_rand(uint32_t n)
{
    tz_state ^= tz_state << 13;
    tz_state ^= tz_state >> 7;
    tz_state ^= tz_state << 17;
    return (uint32_t)((tz_state >> 11) % n);
}

typedef struct tz_buf {
    char *p;
    size_t len, cap;
} tz_buf;

static void tz_put(tz_buf *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL) abort();
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

/* Registry-like text that compresses like the real thing. */
static void tz_text(tz_buf *t, size_t n)
{
    static const char *const kPart[] = {"G110102202001187620,", "梁丽诗,", "女,", "2020-01-18,", "1,",
                                        "2111010001,", "和平中心小学,", "110102,", "一年级\n"};
    while (n > 0) {
        const char *const s = kPart[tz_rand(9)];
        size_t k = strlen(s);
        if (k > n) k = n;
        tz_put(t, s, k);
        n -= k;
    }
}

/* Appends one frame of text[0..n) to z. */
static void tz_frame(tz_buf *z, const char *text, size_t n, int content_size)
{
    ZSTD_CCtx *const c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
    size_t const bound = ZSTD_compressBound(n);
    char *const out = malloc(bound);
    size_t len;
    if (content_size) {
        len = ZSTD_compress2(c, out, bound, text, n);
    } else {
        /* streamed: the header then carries no content size */
        ZSTD_outBuffer o = {out, bound, 0};
        ZSTD_inBuffer i = {text, n, 0};
        while (ZSTD_compressStream2(c, &o, &i, ZSTD_e_end) != 0) {}
        len = o.pos;
    }
    TC_CHECK(!ZSTD_isError(len), "compress: %s", ZSTD_getErrorName(len));
    tz_put(z, out, len);
    free(out);
    ZSTD_freeCCtx(c);
}

static void tz_skippable(tz_buf *z, uint32_t size)
{
    unsigned char h[8] = {0x5A, 0x2A, 0x4D, 0x18, (unsigned char)size, (unsigned char)(size >> 8),
                          (unsigned char)(size >> 16), (unsigned char)(size >> 24)};
    tz_put(z, h, 8);
    for (uint32_t i = 0; i < size; i++) tz_put(z, "s", 1);
}

static char *tz_write(const tz_buf *z, const char *name)
{
    size_t const n = strlen(tz_dir) + strlen(name) + 2;
    char *const path = malloc(n);
    snprintf(path, n, "%s/%s", tz_dir, name);
    FILE *const f = fopen(path, "wb");
    TC_CHECK(f != NULL, "cannot write %s", path);
    if (f) {
        fwrite(z->p, 1, z->len, f);
        fclose(f);
    }
    return path;
}

typedef struct tz_read {
    xj_error err;
    char msg[XJ_MESSAGE_MAX];
    tz_buf out;
    uint64_t par_frames;
} tz_read;

/* One pass over an open input in blocks of `block` bytes. */
static void tz_pass(rd_input *in, size_t block, tz_read *r)
{
    memset(r, 0, sizeof *r);
    char *const buf = malloc(block);
    xj_status st;
    st_init(&st);
    for (;;) {
        size_t got = 0;
        r->err = rd_read(in, buf, block, &got, &st);
        if (r->err != XJ_OK) {
            snprintf(r->msg, sizeof r->msg, "%s", st.message);
            break;
        }
        if (got == 0) break;
        tz_put(&r->out, buf, got);
    }
    r->par_frames = rd_parallelFrames(in);
    free(buf);
}

/* `path` opened to be read with `threads` workers; NULL (a failed check)
 * when it cannot be. */
static rd_input *tz_open(const char *path, int threads)
{
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    TC_CHECK(rd_open(path, NULL, &in, &st) == XJ_OK, "rd_open %s: %s", path, st.message);
    if (in) rd_setThreads(in, threads);
    return in;
}

/* Reads `path` with `threads` workers, twice (the second after rd_rewind). */
static void tz_readFile(const char *path, int threads, size_t block, tz_read *first, tz_read *second,
                        const tz_buf *raw)
{
    xj_status st;
    st_init(&st);
    rd_input *const in = tz_open(path, threads);
    if (in == NULL) return;
    tz_pass(in, block, first);
    if (first->err == XJ_OK) {
        TC_CHECK(rd_rawBytes(in) == raw->len, "%s: raw bytes %llu, file %zu", path,
                 (unsigned long long)rd_rawBytes(in), raw->len);
        XXH128_hash_t const h = XXH3_128bits(raw->p, raw->len);
        char want[33], got[33];
        snprintf(want, sizeof want, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
        rd_hashHex(in, got);
        TC_CHECK(strcmp(want, got) == 0, "%s: hash %s, expected %s", path, got, want);
    }
    TC_CHECK(rd_decodedBytes(in) == first->out.len, "%s: decoded bytes counted wrong", path);
    TC_CHECK(rd_rewind(in, &st) == XJ_OK, "rd_rewind: %s", st.message);
    tz_pass(in, block, second);
    rd_close(in);
}

/* A good file: every thread count and read size gives the text. multi:
 * the workers must decode frames (1), must not (0), or may (-1). */
static void tz_good(const char *name, const tz_buf *z, const tz_buf *text, int multi, int small_reads)
{
    char *const path = tz_write(z, name);
    for (int threads = 1; threads <= 3; threads++)
        for (int b = 0; b < 1 + small_reads; b++) {
            tz_read a, r;
            tz_readFile(path, threads, b ? 777 : (1u << 20), &a, &r, z);
            for (int k = 0; k < 2; k++) {
                tz_read const *const x = k ? &r : &a;
                TC_CHECK(x->err == XJ_OK, "%s, %d threads: %s", name, threads, x->msg);
                TC_CHECK(x->out.len == text->len && memcmp(x->out.p, text->p, text->len) == 0,
                         "%s, %d threads, pass %d: %zu bytes differ from the %zu written", name, threads, k + 1,
                         x->out.len, text->len);
                if (multi < 0) continue; /* frames made to fail: the workers may have decoded any number */
                if (threads == 1 || !multi)
                    TC_CHECK(x->par_frames == 0, "%s, %d threads: %llu frames on workers", name, threads,
                             (unsigned long long)x->par_frames);
                else
                    TC_CHECK(x->par_frames > 0, "%s, %d threads: no frame decoded on a worker", name, threads);
            }
            free(a.out.p);
            free(r.out.p);
        }
    unlink(path);
    free(path);
}

/* The message without libzstd's reason: after "not valid zstd data: "
 * libzstd names what it found, and its words depend on the buffers it
 * happens to have (the room a read gives, the frames it decoded before), so
 * they may differ between two reads of the same bytes with or without
 * workers, as they already did between read sizes. */
static size_t tz_ours(const char *msg)
{
    const char *const at = strstr(msg, "not valid zstd data: ");
    return at ? (size_t)(at - msg) + strlen("not valid zstd data: ") : strlen(msg);
}

static int tz_reasons_differ; /* cases where only libzstd's words differ */

/* x and y agree as far as both go. */
static int tz_samePrefix(const tz_buf *x, const tz_buf *y)
{
    size_t const n = x->len < y->len ? x->len : y->len;
    return n == 0 || memcmp(x->p, y->p, n) == 0;
}

/* A damaged file: with workers, the same verdict and message as without
 * (read in the same sizes), and the same bytes as far as both went. The
 * frames before the damaged one come whole (`intact` bytes of text); after
 * that a reader may return some of the damaged frame's content, wrong
 * bytes included (its checksum is checked at its end), as the
 * single-threaded reader always did. */
static void tz_bad(const char *name, const tz_buf *z, const tz_buf *text, size_t intact)
{
    char *const path = tz_write(z, name);
    for (int b = 0; b < 2; b++) {
        size_t const block = b ? 777 : (1u << 20);
        tz_read ref, ref2;
        tz_readFile(path, 1, block, &ref, &ref2, z);
        TC_CHECK(ref.err == XJ_ERR_INPUT, "%s: one thread reads it without error", name);
        TC_CHECK(ref.out.len >= intact && (intact == 0 || memcmp(ref.out.p, text->p, intact) == 0),
                 "%s: one thread does not return the frames before the damage", name);
        for (int threads = 2; threads <= 3; threads++) {
            tz_read a, r;
            tz_readFile(path, threads, block, &a, &r, z);
            for (int k = 0; k < 2; k++) {
                tz_read const *const x = k ? &r : &a;
                size_t const ours = tz_ours(ref.msg);
                tz_reasons_differ += strcmp(x->msg, ref.msg) != 0;
                TC_CHECK(x->err == ref.err && tz_ours(x->msg) == ours && strncmp(x->msg, ref.msg, ours) == 0,
                         "%s, %d threads, %zu-byte reads, pass %d: error %d \"%s\"; one thread: %d \"%s\"", name,
                         threads, block, k + 1, (int)x->err, x->msg, (int)ref.err, ref.msg);
                TC_CHECK(x->out.len >= intact && tz_samePrefix(&x->out, &ref.out),
                         "%s, %d threads: %zu bytes, not those one thread returns (%zu)", name, threads, x->out.len,
                         ref.out.len);
            }
            free(a.out.p);
            free(r.out.p);
        }
        free(ref.out.p);
        free(ref2.out.p);
    }
    unlink(path);
    free(path);
}

/* A file whose frame `bad` has a wrong checksum: a first pass fails on
 * it; after rd_skipChecksums the next pass reads the text whole, on the
 * workers (threads > 1) or streaming; and so does a first pass told so
 * right after rd_open. */
static void tz_trusted(const char *name, const tz_buf *z, const tz_buf *text)
{
    char *const path = tz_write(z, name);
    for (int threads = 1; threads <= 3; threads++) {
        rd_input *const in = tz_open(path, threads);
        if (in == NULL) break;
        rd_skipChecksums(in);
        tz_read r;
        tz_pass(in, 1u << 20, &r);
        TC_CHECK(r.err == XJ_OK && r.out.len == text->len && memcmp(r.out.p, text->p, text->len) == 0,
                 "%s, %d threads: checksums skipped from the start, the text should come whole (%s)", name,
                 threads, r.msg);
        free(r.out.p);
        rd_close(in);
    }
    for (int threads = 1; threads <= 3; threads++) {
        xj_status st;
        st_init(&st);
        rd_input *const in = tz_open(path, threads);
        if (in == NULL) break;
        tz_read first, second;
        tz_pass(in, 1u << 20, &first);
        TC_CHECK(first.err == XJ_ERR_INPUT, "%s, %d threads: a wrong checksum read without error", name, threads);
        rd_skipChecksums(in);
        TC_CHECK(rd_rewind(in, &st) == XJ_OK, "rd_rewind: %s", st.message);
        tz_pass(in, 1u << 20, &second);
        TC_CHECK(second.err == XJ_OK && second.out.len == text->len && memcmp(second.out.p, text->p, text->len) == 0,
                 "%s, %d threads: checksums skipped, the text should come whole (%s)", name, threads, second.msg);
        TC_CHECK((threads > 1) == (second.par_frames > 0), "%s, %d threads: %llu frames on workers", name, threads,
                 (unsigned long long)second.par_frames);
        free(first.out.p);
        free(second.out.p);
        rd_close(in);
    }
    unlink(path);
    free(path);
}

/* Eight frames of about 40 KB; frame i ends at ends[i] in z, its content
 * starts at starts[i] in text. */
static void tz_eight(tz_buf *z, tz_buf *text, size_t ends[8], size_t starts[8])
{
    z->len = text->len = 0;
    for (int i = 0; i < 8; i++) {
        size_t const at = text->len;
        starts[i] = at;
        tz_text(text, 30000 + tz_rand(20000));
        tz_frame(z, text->p + at, text->len - at, 1);
        ends[i] = z->len;
    }
}

static void tz_files(void)
{
    tz_buf z = {0}, text = {0};
    size_t ends[8], starts[8];

    /* frames of many sizes, with content sizes; then without */
    for (int cs = 1; cs >= 0; cs--) {
        z.len = text.len = 0;
        for (int i = 0; i < 40; i++) {
            size_t const at = text.len;
            tz_text(&text, i == 7 ? 0 : tz_rand(i % 5 == 0 ? 400000 : 30000));
            tz_frame(&z, text.p + at, text.len - at, cs);
        }
        tz_good(cs ? "sizes.zst" : "nosizes.zst", &z, &text, 1, 1);
    }
    /* pzstd's layout: a skippable frame before each frame */
    z.len = text.len = 0;
    for (int i = 0; i < 12; i++) {
        tz_skippable(&z, 4);
        size_t const at = text.len;
        tz_text(&text, 50000);
        tz_frame(&z, text.p + at, text.len - at, 0);
    }
    tz_good("pzstd.zst", &z, &text, 1, 1);
    /* a frame the workers give up on is decoded by the streaming decoder
     * from that frame on: the frames queued after it are read from what
     * was kept of them */
    for (unsigned every = 1; every <= 7; every += 3) {
        rd_zparFailEvery(every);
        char name[32];
        snprintf(name, sizeof name, "fail-every-%u.zst", every);
        tz_good(name, &z, &text, -1, 1);
    }
    rd_zparFailEvery(0);
    /* a frame too large for the workers (64 MiB + 1 of content) in the middle */
    z.len = text.len = 0;
    for (int i = 0; i < 6; i++) {
        size_t const at = text.len;
        if (i == 3) {
            char *const zeros = calloc(1, (64u << 20) + 1);
            tz_put(&text, zeros, (64u << 20) + 1);
            free(zeros);
        } else {
            tz_text(&text, 60000);
        }
        tz_frame(&z, text.p + at, text.len - at, 1);
    }
    tz_good("large.zst", &z, &text, 1, 0);
    /* a frame without content size that does not end within the 16 MiB
     * read ahead to find its end (random bytes do not compress) */
    z.len = text.len = 0;
    for (int i = 0; i < 4; i++) {
        size_t const at = text.len;
        if (i == 2) {
            for (size_t k = 0; k < (17u << 20); k += 4) {
                uint32_t const r = tz_rand(UINT32_MAX);
                tz_put(&text, &r, 4);
            }
        } else {
            tz_text(&text, 60000);
        }
        tz_frame(&z, text.p + at, text.len - at, i != 2);
    }
    tz_good("long-nosize.zst", &z, &text, 1, 0);
    /* one frame: streamed */
    z.len = text.len = 0;
    tz_text(&text, 300000);
    tz_frame(&z, text.p, text.len, 1);
    tz_good("single.zst", &z, &text, 0, 1);

    /* damage */
    static const struct {
        const char *name;
        int frame;   /* which frame */
        int where;   /* 0 header byte, 1 a block byte, 2 checksum byte, 3 cut after its header, 4 cut inside,
                      * 5 cut one byte short, 6 declares one byte less, 7 garbage after the last frame,
                      * 8 half a magic number after it */
    } kDamage[] = {
        {"header0.zst", 0, 0}, {"header3.zst", 3, 0}, {"block1.zst", 1, 1}, {"block5.zst", 5, 1},
        {"block7.zst", 7, 1}, {"checksum2.zst", 2, 2}, {"checksum7.zst", 7, 2}, {"cut-header4.zst", 4, 3},
        {"cut-inside5.zst", 5, 4}, {"cut-short6.zst", 6, 5}, {"cut-short7.zst", 7, 5}, {"declares2.zst", 2, 6},
        {"garbage.zst", 7, 7}, {"half-magic.zst", 7, 8},
    };
    for (size_t d = 0; d < sizeof kDamage / sizeof kDamage[0]; d++) {
        tz_eight(&z, &text, ends, starts);
        int const f = kDamage[d].frame;
        size_t const start = f ? ends[f - 1] : 0;
        switch (kDamage[d].where) {
        case 0: z.p[start + 4] ^= 0x08; break; /* frame header descriptor: a reserved bit */
        case 1: z.p[start + (ends[f] - start) / 2] ^= 0x5A; break;
        case 2: z.p[ends[f] - 2] ^= 0x01; break;
        case 3: z.len = start + 6; break;
        case 4: z.len = start + (ends[f] - start) / 2; break;
        case 5: z.len = ends[f] - 1; break;
        case 6: {
            /* the content size field follows magic and descriptor (single
             * segment, no dictionary): 2 bytes (size - 256) or 4; minus one */
            unsigned char const fhd = (unsigned char)z.p[start + 4];
            int const width = (fhd >> 6) == 1 ? 2 : (fhd >> 6) == 2 ? 4 : 0;
            TC_CHECK(width && (fhd & 0x20) && (fhd & 3) == 0, "unexpected frame header 0x%02x", fhd);
            for (int k = 0; k < width; k++) {
                unsigned char *const b = (unsigned char *)z.p + start + 5 + k;
                if ((*b)-- != 0) break; /* no borrow */
            }
            break;
        }
        case 7: tz_put(&z, "abc", 3); break;
        case 8: tz_put(&z, "\x28\xb5", 2); break;
        }
        tz_bad(kDamage[d].name, &z, &text, kDamage[d].where >= 7 ? text.len : starts[f]);
        if (kDamage[d].where == 2) tz_trusted(kDamage[d].name, &z, &text);
    }
    free(z.p);
    free(text.p);
}

/* rd_zpar alone: frames come back in order whatever finishes first. */
static void tz_pool(void)
{
    rd_zpar *const zp = rd_zparCreate(3, 5);
    TC_CHECK(zp != NULL, "rd_zparCreate");
    if (zp == NULL) return;
    tz_buf text[12] = {{0}}, z[12] = {{0}};
    for (int i = 0; i < 12; i++) {
        tz_text(&text[i], i % 3 == 0 ? 200000 : 1000);
        tz_frame(&z[i], text[i].p, text[i].len, 1);
    }
    int next = 0, done = 0;
    while (done < 12) {
        while (next < 12 && rd_zparCount(zp) < rd_zparSlots(zp)) {
            int const bad = next == 9;
            TC_CHECK(rd_zparSubmit(zp, bad ? "garbage" : z[next].p, bad ? 7 : z[next].len, text[next].len,
                                   bad ? ZSTD_CONTENTSIZE_UNKNOWN : text[next].len, 1) == XJ_OK,
                     "submit");
            next++;
        }
        rd_zframe f;
        rd_zparHead(zp, &f);
        if (done == 9) {
            TC_CHECK(f.failed && f.src_len == 7 && memcmp(f.src, "garbage", 7) == 0, "frame 9 should fail");
        } else {
            TC_CHECK(!f.failed && f.out_len == text[done].len && memcmp(f.out, text[done].p, f.out_len) == 0,
                     "frame %d out of order or wrong", done);
        }
        rd_zparPop(zp);
        done++;
    }
    /* a frame whose checksum is wrong: refused when checked, whole when not */
    z[5].p[z[5].len - 2] ^= 0x01;
    for (int verify = 1; verify >= 0; verify--) {
        rd_zparSubmit(zp, z[5].p, z[5].len, text[5].len, text[5].len, verify);
        rd_zframe f;
        rd_zparHead(zp, &f);
        if (verify)
            TC_CHECK(f.failed, "a frame with a wrong checksum decoded while checked");
        else
            TC_CHECK(!f.failed && f.out_len == text[5].len && memcmp(f.out, text[5].p, f.out_len) == 0,
                     "a frame with a wrong checksum, not checked, should decode whole");
        rd_zparPop(zp);
    }
    z[5].p[z[5].len - 2] ^= 0x01;
    /* cleared with frames queued and being decoded, then used again */
    for (int i = 0; i < 5; i++) rd_zparSubmit(zp, z[0].p, z[0].len, text[0].len, text[0].len, 1);
    rd_zparClear(zp);
    TC_CHECK(rd_zparCount(zp) == 0 && rd_zparOutBytes(zp) == 0, "cleared");
    rd_zparSubmit(zp, z[3].p, z[3].len, text[3].len, text[3].len, 1);
    rd_zframe f;
    rd_zparHead(zp, &f);
    TC_CHECK(!f.failed && f.out_len == text[3].len && memcmp(f.out, text[3].p, f.out_len) == 0, "after clear");
    rd_zparPop(zp);
    /* freed with frames in flight */
    for (int i = 0; i < 4; i++) rd_zparSubmit(zp, z[i].p, z[i].len, text[i].len, text[i].len, 1);
    rd_zparFree(zp);
    for (int i = 0; i < 12; i++) {
        free(text[i].p);
        free(z[i].p);
    }
}

int main(int argc, char **argv)
{
    tz_dir = argc > 1 ? argv[1] : "/tmp";
    tz_pool();
    tz_files();
    printf("test_zpar: %d damaged reads where libzstd worded the error otherwise\n", tz_reasons_differ);
    return tc_finish("test_zpar");
}
