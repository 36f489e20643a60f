/*
 * scan_split — one large file, plain or a .zst of many frames, read in
 * parts by every process of a distributed scan (docs/mpi.md §3).
 *
 * A national export often comes as one file; read whole, it would keep one
 * process busy and leave the others idle. A plain file of at least
 * XJ_SPLIT_MIN bytes is cut into one part per process instead: part r
 * starts just after the first LF at or after byte size·r/K − 1, so each
 * part holds whole lines, and every process finds every cut by itself (a
 * few small reads). Before pass 1 each process counts the LFs of its part;
 * summed over the processes, those give the line each part starts on, so
 * every record is named by its true (input, line) from the first pass on,
 * and nothing downstream knows the file was shared.
 *
 * A .zst is cut between frames instead: part r starts at the first frame
 * at or after byte size·r/K (a candidate's blocks must lead to the next
 * frame or the end). rd_setRange gives each part whole lines (the first,
 * partial one is the part before's; the last is read on into the next
 * part's frames), and each process decodes its part once before pass 1 to
 * count its LFs (the same count, by the same reader, as for a plain part).
 *
 * A cut is right when it is a record boundary: an LF outside any quoted
 * value. Only the process reading the part before it can tell, at the end
 * of pass 1. When a part ended inside a quoted value, every process drops
 * the scan and runs it again with no file split (sc_splitFailed), so the
 * output is always that of one process; it costs a second pass 1 in that
 * rare case (a value with a line break that straddles a cut).
 *
 * The XXH3-128 of the whole file (summary.json) cannot be put together from
 * the parts, so rank 0 reads the file once more on a thread of its own
 * while pass 1 runs (sc_splitHashJoin).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader, ZSTD_FRAMEHEADERSIZE_MAX */
#include <zstd.h>

#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_comm.h"

#define XJ_SPLIT_MIN ((uint64_t)64 << 20) /* bytes: a smaller file is read whole by one process */
#define SP_BLOCK ((size_t)1 << 20)         /* bytes read at a time while counting and hashing */
#define SP_FIRST_FRAME_BLOCKS 1024u        /* a .zst whose first frame has more blocks is read whole */
#define SP_BLOCK_MAX ((uint32_t)128 << 10)  /* the zstd format's largest block */
#define SP_FRAME_BLOCKS_MAX 65536u          /* blocks walked in one frame, at most, looking for a cut */

/* XJ_SPLIT_MIN, or XJ_MPI_SPLIT_BYTES from the environment (the tests split
 * small files with it); at least 4 KiB, so every part's start is past 0. */
static uint64_t sc_splitMin(void)
{
    const char *const v = getenv("XJ_MPI_SPLIT_BYTES");
    char *end = NULL;
    unsigned long long const n = v ? strtoull(v, &end, 10) : 0;
    if (v == NULL || end == v || *end != '\0') return XJ_SPLIT_MIN;
    return n < 4096 ? 4096 : (uint64_t)n;
}

/* pread(2) that retries on EINTR and reads on until `cap` bytes or the end. */
static ssize_t sc_preadAll(int fd, char *dst, size_t cap, uint64_t at)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t const r = pread(fd, dst + got, cap - got, (off_t)(at + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static const unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

/* A zstd frame or a skippable frame (pzstd puts one before each frame). */
static int sc_isFrameMagic(const unsigned char *p)
{
    return memcmp(p, kZstdMagic, 4) == 0 || ((p[0] & 0xF0) == 0x50 && p[1] == 0x2A && p[2] == 0x4D && p[3] == 0x18);
}

/* Whether pass 1 reads the file as zstd (rd_input decides it). */
static int sc_isZstd(int fd, const char *path)
{
    unsigned char first[4];
    ssize_t const got = sc_preadAll(fd, (char *)first, sizeof first, 0);
    return rd_isZstdFile(path, first, got > 0 ? (size_t)got : 0);
}

/* Where the frame at `off` ends (*end, 0 when none reads there): its
 * header read, then its blocks (at most max_blocks) or a skippable frame's
 * length. */
static xj_error sc_frameEnd(int fd, const char *path, uint64_t size, uint64_t off, unsigned max_blocks,
                            uint64_t *end, xj_status *st)
{
    *end = 0;
    unsigned char h[ZSTD_FRAMEHEADERSIZE_MAX];
    ssize_t const got = sc_preadAll(fd, (char *)h, sizeof h, off);
    RETURN_ERROR_IF(got < 0, st, XJ_ERR_INPUT, "%s: read failed: %s", path, strerror(errno));
    ZSTD_frameHeader fh;
    size_t const hr = ZSTD_getFrameHeader(&fh, h, (size_t)got);
    if (ZSTD_isError(hr) || hr != 0) return XJ_OK;
    uint64_t at = off + fh.headerSize;
    if (fh.frameType == ZSTD_skippableFrame) {
        at += fh.frameContentSize;
    } else {
        for (unsigned blocks = 0;; blocks++) {
            unsigned char b[3];
            if (blocks >= max_blocks || sc_preadAll(fd, (char *)b, 3, at) != 3) return XJ_OK;
            uint32_t const w = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
            unsigned const type = (w >> 1) & 3; /* raw, RLE, compressed, reserved */
            uint32_t const length = w >> 3;
            if (type == 3 || length > SP_BLOCK_MAX) return XJ_OK;
            at += 3 + (type == 1 ? 1 : length);
            if (at > size) return XJ_OK;
            if (w & 1) break; /* the last block */
        }
        at += fh.checksumFlag ? 4 : 0;
    }
    if (at <= size) *end = at;
    return XJ_OK;
}

int sc_splitWanted(const sc_run *run, size_t i, uint64_t size)
{
    if (run->n_ranks <= 1 || run->one_pass || run->scan->no_split || size < sc_splitMin()) return 0;
    const char *const path = run->inputs[i].path;
    int const fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0; /* pass 1 reports it, named */
    int const zstd = sc_isZstd(fd, path);
    /* a .zst is cut between frames: it must have many (gen, pzstd, any tool
     * that compresses its input in pieces); a file of one frame, or whose
     * first frame is large, is read whole */
    uint64_t end = 0;
    xj_status ignored;
    st_init(&ignored);
    if (zstd) sc_frameEnd(fd, path, size, 0, SP_FIRST_FRAME_BLOCKS, &end, &ignored);
    close(fd);
    return !zstd || (end > 0 && end < size);
}

/* Whether a frame starts at `off`: its header reads, and its blocks (or a
 * skippable frame's length) lead to the end of the file or to where
 * another frame starts. Every process walks the same bytes, so all find
 * the same cuts; a frame magic number inside compressed data passes this
 * only by a chain of coincidences. */
static xj_error sc_frameAt(int fd, const char *path, uint64_t size, uint64_t off, int *ok, xj_status *st)
{
    uint64_t end = 0;
    *ok = 0;
    FORWARD_IF_ERROR(sc_frameEnd(fd, path, size, off, SP_FRAME_BLOCKS_MAX, &end, st));
    if (end == 0 || end == size) {
        *ok = end == size;
        return XJ_OK;
    }
    unsigned char next[4];
    *ok = sc_preadAll(fd, (char *)next, 4, end) == 4 && sc_isFrameMagic(next);
    return XJ_OK;
}

/* Where part r of a .zst of `size` bytes starts: the first frame starting
 * at or after size·r/K, or the end when none does. */
static xj_error sc_cutAtFrame(int fd, const char *path, uint64_t size, int r, int k, char *buf, uint64_t *out,
                              xj_status *st)
{
    if (r == 0 || r >= k) {
        *out = r == 0 ? 0 : size;
        return XJ_OK;
    }
    for (uint64_t at = (uint64_t)((unsigned __int128)size * (unsigned)r / (unsigned)k);;) {
        ssize_t const got = sc_preadAll(fd, buf, SP_BLOCK, at);
        RETURN_ERROR_IF(got < 0, st, XJ_ERR_INPUT, "%s: read failed: %s", path, strerror(errno));
        for (size_t i = 0; i + 4 <= (size_t)got; i++) {
            if (!sc_isFrameMagic((const unsigned char *)buf + i)) continue;
            int ok = 0;
            FORWARD_IF_ERROR(sc_frameAt(fd, path, size, at + i, &ok, st));
            if (ok) {
                *out = at + i;
                return XJ_OK;
            }
        }
        if ((size_t)got < SP_BLOCK) break;
        at += (uint64_t)got - 3; /* a magic number across the two reads is found in the next */
    }
    *out = size;
    return XJ_OK;
}

/* Where part r of an input of `size` bytes starts: after the first LF at or
 * after size·r/K − 1 (so a cut already just after an LF stays there), or
 * at the end when no LF follows. */
static xj_error sc_cutAt(int fd, const char *path, uint64_t size, int r, int k, char *buf, uint64_t *out,
                         xj_status *st)
{
    if (r == 0 || r >= k) {
        *out = r == 0 ? 0 : size;
        return XJ_OK;
    }
    uint64_t at = (uint64_t)((unsigned __int128)size * (unsigned)r / (unsigned)k) - 1;
    for (;;) {
        ssize_t const got = sc_preadAll(fd, buf, SP_BLOCK, at);
        RETURN_ERROR_IF(got < 0, st, XJ_ERR_INPUT, "%s: read failed: %s", path, strerror(errno));
        const char *const lf = got ? memchr(buf, '\n', (size_t)got) : NULL;
        if (lf) {
            uint64_t const cut = at + (uint64_t)(lf - buf) + 1;
            *out = cut < size ? cut : size;
            return XJ_OK;
        }
        if ((size_t)got < SP_BLOCK || at + (uint64_t)got >= size) {
            *out = size;
            return XJ_OK;
        }
        at += (uint64_t)got;
    }
}

/* The LFs of this process's part, read as pass 1 will read it
 * (rd_setRange): a plain part's bytes, or a .zst part's text, decoded once
 * more for this on the process's threads. */
static xj_error sc_countLines(sc_run *run, const sc_input *in, int zstd, char *buf, uint64_t *out)
{
    xj_status *const st = &run->scan->st;
    rd_input *rd = NULL;
    xj_error err = rd_openOnce(in->path, &rd, st);
    if (!err) rd_setThreads(rd, run->n_workers);
    if (!err) err = rd_setRange(rd, in->part_lo, in->part_hi, st);
    uint64_t n = 0;
    for (size_t got = 1; !err && got > 0;) {
        err = rd_read(rd, buf, SP_BLOCK, &got, st);
        for (const char *p = buf, *const end = buf + (err ? 0 : got); (p = memchr(p, '\n', (size_t)(end - p))) != NULL;
             p++)
            n++;
    }
    if (!err && !zstd && rd_rawBytes(rd) != in->part_hi - in->part_lo)
        err = st_fail(st, XJ_ERR_INPUT, "%s: the file became shorter while it was being read; run again on a stable copy",
                      in->path);
    rd_close(rd);
    *out = n;
    return err;
}

/* This process's part of split input i, and the LFs in it (counts[rank]). */
static xj_error sc_findPart(sc_run *run, size_t i, char *buf, uint64_t *counts)
{
    xj_status *const st = &run->scan->st;
    sc_input *const in = &run->inputs[i];
    int const fd = open(in->path, O_RDONLY | O_CLOEXEC);
    RETURN_ERROR_IF(fd < 0, st, XJ_ERR_INPUT, "%s: cannot open: %s", in->path, strerror(errno));
    struct stat sb;
    xj_error err = fstat(fd, &sb) == 0 ? XJ_OK : st_fail(st, XJ_ERR_INPUT, "%s: cannot stat: %s", in->path,
                                                         strerror(errno));
    if (!err && (uint64_t)sb.st_size != in->split_size)
        err = st_fail(st, XJ_ERR_INPUT, "%s: the file changed size while the scan started; run again on a stable copy",
                      in->path);
    int const zstd = !err && sc_isZstd(fd, in->path);
    xj_error (*const cut)(int, const char *, uint64_t, int, int, char *, uint64_t *, xj_status *) =
        zstd ? sc_cutAtFrame : sc_cutAt;
    if (!err) err = cut(fd, in->path, in->split_size, run->rank, run->n_ranks, buf, &in->part_lo, st);
    if (!err) err = cut(fd, in->path, in->split_size, run->rank + 1, run->n_ranks, buf, &in->part_hi, st);
    if (!err && in->part_hi < in->part_lo) in->part_hi = in->part_lo;
    close(fd);
    if (!err) err = sc_countLines(run, in, zstd, buf, &counts[run->rank]);
    return err;
}

/* ---- the whole file's hash, on rank 0 ---- */

static void *sc_hashMain(void *arg)
{
    sc_run *const run = arg;
    char *const buf = xj_malloc(SP_BLOCK);
    XXH3_state_t *const h = XXH3_createState();
    if (buf == NULL || h == NULL) st_fail(&run->split_st, XJ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; buf && h && i < run->n_inputs && run->split_st.code == XJ_OK; i++) {
        sc_input *const in = &run->inputs[i];
        if (!in->split) continue;
        int const fd = open(in->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            st_fail(&run->split_st, XJ_ERR_INPUT, "%s: cannot open: %s", in->path, strerror(errno));
            break;
        }
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        XXH3_128bits_reset(h);
        uint64_t at = 0;
        for (;;) {
            ssize_t const got = sc_preadAll(fd, buf, SP_BLOCK, at);
            if (got < 0) {
                st_fail(&run->split_st, XJ_ERR_INPUT, "%s: read failed: %s", in->path, strerror(errno));
                break;
            }
            if (got == 0) break;
            XXH3_128bits_update(h, buf, (size_t)got);
            at += (uint64_t)got;
        }
        close(fd);
        if (run->split_st.code == XJ_OK && at != in->split_size)
            st_fail(&run->split_st, XJ_ERR_INPUT, "%s: the file changed size during the scan; run again on a stable copy",
                    in->path);
        XXH128_hash_t const v = XXH3_128bits_digest(h);
        snprintf(in->split_hash, sizeof in->split_hash, "%016llx%016llx", (unsigned long long)v.high64,
                 (unsigned long long)v.low64);
    }
    XXH3_freeState(h);
    xj_free(buf);
    return NULL;
}

xj_error sc_splitHashJoin(sc_run *run)
{
    if (!run->split_hashing) return XJ_OK;
    pthread_join(run->split_hasher, NULL);
    run->split_hashing = 0;
    xj_status *const st = &run->scan->st;
    RETURN_ERROR_IF(run->split_st.code != XJ_OK, st, run->split_st.code, "%s", run->split_st.message);
    for (size_t i = 0; i < run->n_inputs; i++)
        if (run->inputs[i].split)
            memcpy(run->inputs[i].facts.xxh3_128, run->inputs[i].split_hash, sizeof run->inputs[i].facts.xxh3_128);
    return XJ_OK;
}

/* ---- the plan ---- */

xj_error sc_splitPlan(sc_run *run, xj_error err)
{
    xj_status *const st = &run->scan->st;
    size_t n_split = 0;
    for (size_t i = 0; !err && i < run->n_inputs; i++) n_split += run->inputs[i].split;
    /* every process meets here, whatever happened to it; then all must have
     * split the same inputs (sc_distPrepare decided from what each saw of
     * the files): the count and its square summed tell, the same way on
     * every process, whether every count was the same */
    if ((err = xc_agree(err, st)) != XJ_OK) return err;
    uint64_t sums[2] = {n_split, (uint64_t)n_split * n_split};
    xc_sumEach(sums, 2);
    size_t const k = (size_t)run->n_ranks;
    RETURN_ERROR_IF(sums[1] * k != sums[0] * sums[0], st, XJ_ERR_INPUT,
                    "the processes do not see the same input files (sizes or contents differ between nodes); "
                    "the inputs must be on a file system every process sees");
    if (n_split == 0) return XJ_OK;
    uint64_t *const counts = xj_calloc(n_split * k, sizeof *counts);
    char *const buf = xj_malloc(SP_BLOCK);
    if (!err && (counts == NULL || buf == NULL)) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (size_t i = 0, s = 0; !err && i < run->n_inputs; i++)
        if (run->inputs[i].split) err = sc_findPart(run, i, buf, &counts[k * s++]);
    xj_free(buf);
    err = xc_agree(err, st);
    if (!err) xc_sumEach(counts, n_split * k);
    for (size_t i = 0, s = 0; !err && i < run->n_inputs; i++) {
        sc_input *const in = &run->inputs[i];
        if (!in->split) continue;
        /* where every part starts: any process may ask another for a record */
        in->part_line = xj_mallocArray(k + 1, sizeof *in->part_line);
        if (in->part_line == NULL) {
            err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
            break;
        }
        in->part_line[0] = 1; /* the line of byte 0 */
        for (size_t r = 0; r < k; r++) in->part_line[r + 1] = in->part_line[r] + counts[k * s + r];
        in->line_lo = in->part_line[run->rank];
        in->line_hi = in->part_line[run->rank + 1];
        s++;
    }
    xj_free(counts);
    if (!err && run->rank == 0) {
        st_init(&run->split_st);
        if (pthread_create(&run->split_hasher, NULL, sc_hashMain, run) != 0)
            err = st_fail(st, XJ_ERR_NOMEM, "cannot start a thread");
        else run->split_hashing = 1;
    }
    return err;
}

size_t sc_splitFailed(sc_run *run)
{
    size_t const n = run->n_inputs;
    size_t n_split = 0;
    for (size_t i = 0; i < n; i++) n_split += run->inputs[i].split;
    if (n_split == 0) return SIZE_MAX; /* the same on every process (sc_distPrepare) */
    uint64_t *const bad = xj_calloc(n ? n : 1, sizeof *bad);
    for (size_t i = 0; bad && i < n; i++) {
        const sc_input *const in = &run->inputs[i];
        bad[i] = in->split && in->part_in_quote && in->part_hi < in->split_size;
    }
    /* out of memory here: every input taken as failed, so that every
     * process still agrees to run again (the sum is still taken) */
    uint64_t const any = xc_sum(bad == NULL);
    if (any == 0) xc_sumEach(bad, n); /* on every process, or on none */
    size_t first = SIZE_MAX;
    for (size_t i = 0; i < n && first == SIZE_MAX; i++)
        if (any || bad[i]) first = i;
    xj_free(bad);
    return first;
}
