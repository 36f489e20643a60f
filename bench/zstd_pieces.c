/*
 * zstd_pieces — does a decoded frame cost more to read when it was decoded
 * whole than when each piece is read as soon as it is decoded?
 * (bench/notes-issue20.md, "Decoding where the frame is parsed".)
 *
 *   cc -O3 -march=native -o /tmp/zstd_pieces bench/zstd_pieces.c -lzstd
 *   /tmp/zstd_pieces FILE.zst decode|trust|whole|pieces [PIECE_BYTES]
 *
 * decode: each frame decoded whole into one buffer, not read;
 * trust:  the same without checking the frames' checksums (the scan's
 *         second pass: rd_skipChecksums);
 * whole:  the same, then every byte of the frame read (8 at a time);
 * pieces: each frame streamed through a PIECE_BYTES buffer (256 KiB unless
 *         given), each piece read at once, while it is in the core's cache.
 * The input is mapped and touched first, so no run pays for the disk.
 * Frames must fit in 64 MiB. Prints the seconds spent decoding and reading.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_stableOutBuffer, ZSTD_d_forceIgnoreChecksum */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define FRAME_MAX (64u << 20)

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Reads every byte, as cheaply as a pass over memory can: what is left is
 * the cost of fetching the bytes, which is the question. */
static uint64_t readAll(const char *p, size_t n)
{
    uint64_t x = 0;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        x ^= w;
    }
    return x;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: zstd_pieces FILE.zst decode|trust|whole|pieces [PIECE_BYTES]\n");
        return 2;
    }
    const char *const mode = argv[2];
    size_t const piece = argc > 3 ? strtoul(argv[3], NULL, 10) : 256u << 10;
    int const streamed = strcmp(mode, "pieces") == 0, trust = strcmp(mode, "trust") == 0;
    int const read_it = strcmp(mode, "decode") != 0 && !trust;
    int const fd = open(argv[1], O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size == 0 || piece == 0) {
        fprintf(stderr, "zstd_pieces: cannot read %s\n", argv[1]);
        return 1;
    }
    size_t const size = (size_t)sb.st_size;
    const char *const src = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    char *const buf = malloc(streamed ? piece : FRAME_MAX);
    ZSTD_DCtx *const dctx = ZSTD_createDCtx();
    if (src == MAP_FAILED || buf == NULL || dctx == NULL) return 1;
    for (size_t i = 0; i < size; i += 4096) (void)*(volatile const char *)(src + i);
    if (!streamed) ZSTD_DCtx_setParameter(dctx, ZSTD_d_stableOutBuffer, 1);
    if (trust) ZSTD_DCtx_setParameter(dctx, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);

    double const t0 = seconds();
    uint64_t bytes = 0, x = 0;
    for (size_t off = 0; off < size;) {
        size_t const len = ZSTD_findFrameCompressedSize(src + off, size - off);
        if (ZSTD_isError(len)) {
            fprintf(stderr, "zstd_pieces: %s\n", ZSTD_getErrorName(len));
            return 1;
        }
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
        ZSTD_inBuffer in = {src + off, len, 0};
        size_t left;
        do {
            ZSTD_outBuffer out = {buf, streamed ? piece : FRAME_MAX, 0};
            left = ZSTD_decompressStream(dctx, &out, &in);
            if (ZSTD_isError(left) || (!streamed && left != 0)) {
                fprintf(stderr, "zstd_pieces: a frame that does not decode whole\n");
                return 1;
            }
            if (read_it) x ^= readAll(buf, out.pos);
            bytes += out.pos;
        } while (left != 0);
        off += len;
    }
    printf("%s: %.3f s, %llu bytes (%llx)\n", mode, seconds() - t0, (unsigned long long)bytes,
           (unsigned long long)x);
    return 0;
}
