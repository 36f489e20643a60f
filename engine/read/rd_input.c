/*
 * rd_input — see rd_input.h.
 *
 * The raw bytes of the first pass are hashed as they stream by (XXH3 is far
 * faster than the disk), so hashing costs no extra read. The second pass
 * (rd_rewind) neither hashes nor counts again: summary.json reports the first.
 *
 * Whether an input can be opened again is decided once, by fstat on the
 * descriptor rd_open gets: a regular file can, anything else (standard input,
 * a named pipe, a character device, a process substitution) is `once` and is
 * spooled. Deciding on the descriptor, not on the name, means /dev/stdin and
 * /dev/fd/N are treated as what they point to.
 *
 * zstd input made of several independent frames (pzstd, `xjdedup gen`) is
 * decoded frame by frame on worker threads (rd_zpar) and returned in order:
 * the compressed bytes are read ahead into `stage`, each whole frame found
 * there (ZSTD_findFrameCompressedSize) is queued with room for its content
 * (the size its header declares, else ZSTD_decompressBound), up to
 * RD_PAR_SLOTS frames and RD_PAR_BUDGET bytes of content in flight. The
 * streaming decoder takes over, for the rest of the pass, at the first
 * frame the workers should not or could not decode: a single-frame file
 * (the first frame is all there is), a frame with more than
 * RD_PAR_FRAME_MAX bytes of content or not ending within RD_PAR_LOOKAHEAD
 * compressed bytes (a single frame whose header gives no content size),
 * unknown, corrupt or truncated bytes. It starts at that frame's first byte
 * (replayed from what was read ahead), so every error is found, worded and
 * placed exactly as a single-threaded read finds it.
 */
#include "rd_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sched.h>
#include <xxhash.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader, ZSTD_decompressBound */
#include <zstd.h>
#include <zstd_errors.h>

#include "rd_config.h"
#include "rd_zpar.h"
#include "xj_alloc.h"

#if XJ_HAVE_XXH_DISPATCH
/* XXH3_128bits_update becomes libxxhash's dispatcher, which hashes with
 * AVX2 where the CPU has it (twice the speed of its SSE2 default); the hash
 * is the same. */
#include <xxh_x86dispatch.h>
#endif

#define RD_RAW_BLOCK (1u << 20) /* read(2) size for compressed input */
#define RD_RAW_SMALL (64u << 10) /* the least raw buffer, for small files */
#define RD_PAR_FRAME_MAX (64u << 20) /* frames with more content are streamed */
#define RD_PAR_LOOKAHEAD (16u << 20) /* compressed bytes read ahead to find a frame's end, at most */
#define RD_PAR_BUDGET (256u << 20)   /* content bytes of the frames in flight, at most */
#define RD_PAR_SLOTS(threads) ((size_t)(threads) + 2) /* frames in flight: one per worker, the one
                                                        * being read, one queued */
#define RD_THREADS_MAX 64

enum { RD_PAR_OFF = 0, RD_PAR_TRY, RD_PAR_ON }; /* rd_input.par */

struct rd_input {
    char *path;             /* as given */
    const char *name;       /* points into path, or "-" */
    int fd;                 /* current source (file, stdin or spool) */
    int is_stdin;           /* bytes come from standard input ("-") */
    int once;               /* not a regular file: cannot be opened again */
    int spool_fd;           /* copy of a `once` input for rd_rewind; -1 if none */
    char *spool_path;       /* unlinked at once; kept for messages */
    int is_zstd;            /* decompress */
    int first_pass;         /* hash and count while true */
    int trust_frames;       /* rd_skipChecksums: zstd frame checksums are not checked */
    ZSTD_DStream *zds;      /* decoder, when is_zstd */
    char *raw;              /* compressed bytes buffer, raw_cap bytes */
    size_t raw_cap;         /* RD_RAW_BLOCK, or less for a small regular file */
    ZSTD_inBuffer zin;      /* unread part of raw */
    int raw_eof;            /* no more raw bytes */
    int frame_open;         /* a zstd frame started and not yet finished */
    unsigned long long frame_declared; /* content size its header declares, or ZSTD_CONTENTSIZE_UNKNOWN */
    uint64_t frame_bytes;   /* bytes decoded from the current frame */
    uint64_t raw_bytes;     /* first pass: bytes read from the source */
    uint64_t decoded_bytes; /* first pass: bytes returned to the caller */
    uint64_t frames_raw;    /* .zst frames handed to the workers: their compressed bytes */
    uint64_t frames_content; /* and the content their headers declare */
    uint64_t size_hint;     /* st_size of a regular file, else 0 */
    XXH3_state_t *hash;     /* over the raw bytes of the first pass */
    unsigned char peek[4];  /* first bytes, read to sniff the zstd magic */
    size_t peek_len;        /* bytes in peek not yet consumed */
    int threads;            /* decode zstd frames on this many workers (1: stream only) */
    int par;                /* this pass: RD_PAR_TRY until a frame is queued or streaming chosen */
    int par_stop;           /* the frame at stage_pos is not for the workers */
    rd_zpar *zp;            /* the workers, started at the first frame they get */
    char *stage;            /* compressed bytes read ahead: stage[stage_pos..stage_len) */
    size_t stage_pos, stage_len, stage_cap;
    size_t head_pos;        /* bytes of the oldest frame's content already returned */
    char *replay;           /* what the streaming decoder reads first when it takes over */
    size_t replay_cap;
    uint64_t par_frames;    /* frames of this pass the workers decoded */
    int ranged;             /* rd_setRange: only [range_lo, range_hi) of the file is read */
    uint64_t range_lo, range_hi;
    uint64_t range_pos;     /* file offset of the next byte read */
    int part_head;          /* a .zst part: its bytes through the first LF are the part before's */
    int part_tail;          /* a .zst part: read on past range_hi, through the first LF */
    rd_input *tail;         /* ... with this reader of [range_hi, end), once the range is done */
};

static int rd_endsWith(const char *s, const char *suffix)
{
    size_t const n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int rd_isZstdFile(const char *path, const unsigned char *first, size_t n)
{
    static const unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    return (n >= 4 && memcmp(first, kZstdMagic, 4) == 0) || rd_endsWith(path, ".zst");
}

/* read(2) that retries on EINTR. */
static ssize_t rd_readFd(int fd, void *dst, size_t cap)
{
    for (;;) {
        ssize_t const r = read(fd, dst, cap);
        if (r >= 0 || errno != EINTR) return r;
    }
}

static xj_error rd_writeAll(int fd, const void *src, size_t n)
{
    const char *p = src;
    while (n) {
        ssize_t const w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return XJ_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return XJ_OK;
}

/* Bytes straight from the source. Hashes, counts and spools on the first
 * pass, so every byte is accounted for exactly once. */
static xj_error rd_readSource(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    if (in->ranged && cap > in->range_hi - in->range_pos) cap = (size_t)(in->range_hi - in->range_pos);
    ssize_t const r = cap ? rd_readFd(in->fd, dst, cap) : 0;
    RETURN_ERROR_IF(r < 0, st, XJ_ERR_INPUT, "%s: read failed: %s", in->path, strerror(errno));
    size_t const n = (size_t)r;
    in->range_pos += n;
    if (in->first_pass && n) {
        if (!in->ranged) XXH3_128bits_update(in->hash, dst, n); /* a part's hash would mean nothing */
        in->raw_bytes += n;
        if (in->spool_fd >= 0 && rd_writeAll(in->spool_fd, dst, n) != XJ_OK)
            return st_fail(st, XJ_ERR_IO, "cannot spool %s to %s: %s; set TMPDIR to a disk with room",
                           in->is_stdin ? "standard input" : in->path, in->spool_path, strerror(errno));
    }
    *got = n;
    return XJ_OK;
}

/* Raw bytes: the sniffed ones first, then the source. */
static xj_error rd_readRaw(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    if (in->peek_len == 0) return rd_readSource(in, dst, cap, got, st);
    size_t const n = in->peek_len < cap ? in->peek_len : cap;
    memcpy(dst, in->peek, n);
    memmove(in->peek, in->peek + n, in->peek_len - n);
    in->peek_len -= n;
    /* fill the rest from the source, so a zstd frame header is whole */
    size_t more = 0;
    if (in->peek_len == 0 && cap > n) FORWARD_IF_ERROR(rd_readSource(in, dst + n, cap - n, &more, st));
    *got = n + more;
    return XJ_OK;
}

/* Fills the peek buffer with up to 4 bytes (hashed like any other). */
static xj_error rd_sniff(rd_input *in, xj_status *st)
{
    in->peek_len = 0;
    while (in->peek_len < sizeof in->peek) {
        size_t got = 0;
        char tmp[4];
        FORWARD_IF_ERROR(rd_readSource(in, tmp, sizeof in->peek - in->peek_len, &got, st));
        if (got == 0) break;
        memcpy(in->peek + in->peek_len, tmp, got);
        in->peek_len += got;
    }
    return XJ_OK;
}

/* Opens the path (not "-"): a directory is refused, a regular file's size
 * noted; on the first open, anything else is marked `once`. */
static xj_error rd_openPath(rd_input *in, xj_status *st)
{
    in->fd = open(in->path, O_RDONLY | O_CLOEXEC);
    RETURN_ERROR_IF(in->fd < 0, st, XJ_ERR_INPUT, "%s: cannot open: %s", in->path, strerror(errno));
    struct stat sb;
    RETURN_ERROR_IF(fstat(in->fd, &sb) != 0, st, XJ_ERR_INPUT, "%s: cannot stat: %s", in->path, strerror(errno));
    RETURN_ERROR_IF(S_ISDIR(sb.st_mode), st, XJ_ERR_INPUT, "%s: is a directory; give the CSV files inside it",
                    in->path);
    if (S_ISREG(sb.st_mode)) {
        in->size_hint = (uint64_t)sb.st_size;
        posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    } else {
        RETURN_ERROR_IF(!in->first_pass, st, XJ_ERR_INPUT,
                        "%s: was a regular file and is no longer one; run again on a stable copy", in->path);
        in->once = 1;
    }
    return XJ_OK;
}

/* Size of the compressed-bytes buffer: a regular file smaller than
 * RD_RAW_BLOCK fits whole in one of its own size (at least RD_RAW_SMALL),
 * so a small .zst costs no MiB buffer per open. Any size reads correctly,
 * in more pieces, should the file have grown since it was measured. */
static size_t rd_rawCap(const rd_input *in)
{
    if (in->size_hint == 0 || in->size_hint >= RD_RAW_BLOCK) return RD_RAW_BLOCK;
    return in->size_hint < RD_RAW_SMALL ? RD_RAW_SMALL : (size_t)in->size_hint;
}

/* Positions a ranged input at its first byte: the sniffed bytes (from
 * offset 0) are dropped, and not counted as read. */
static xj_error rd_seekRange(rd_input *in, xj_status *st)
{
    RETURN_ERROR_IF(lseek(in->fd, (off_t)in->range_lo, SEEK_SET) < 0, st, XJ_ERR_INPUT, "%s: cannot seek: %s",
                    in->path, strerror(errno));
    if (in->first_pass) in->raw_bytes = 0;
    in->peek_len = 0;
    in->range_pos = in->range_lo;
    return XJ_OK;
}

/* A ranged .zst (rd_setRange) at the start of a pass: the first line is
 * the part before's unless the range starts the file, and the last one is
 * read on past the range unless it ends the file. */
static void rd_partStart(rd_input *in)
{
    in->part_head = in->ranged && in->range_lo > 0;
    in->part_tail = in->ranged && in->range_hi < in->size_hint;
    rd_close(in->tail);
    in->tail = NULL;
}

/* The source of the pass about to start: on the first pass, what rd_open
 * opened; later, a regular file reopened or a `once` input's spool. */
static xj_error rd_openSource(rd_input *in, xj_status *st)
{
    if (in->first_pass) {
        /* rd_open has set fd */
    } else if (in->once) {
        RETURN_ERROR_IF(in->spool_fd < 0, st, XJ_ERR_INTERNAL,
                        "internal error: %s can be read only once and was opened without a spool", in->path);
        RETURN_ERROR_IF(lseek(in->spool_fd, 0, SEEK_SET) < 0, st, XJ_ERR_IO, "cannot rewind the spool of %s: %s",
                        in->is_stdin ? "standard input" : in->path, strerror(errno));
        in->fd = in->spool_fd;
    } else {
        FORWARD_IF_ERROR(rd_openPath(in, st));
    }
    FORWARD_IF_ERROR(rd_sniff(in, st));
    if (in->ranged) {
        FORWARD_IF_ERROR(rd_seekRange(in, st)); /* a regular file, checked by rd_setRange */
    } else {
        in->is_zstd = rd_isZstdFile(in->path, in->peek, in->peek_len);
    }
    if (in->is_zstd) {
        if (in->zds == NULL) {
            in->zds = ZSTD_createDStream();
            in->raw_cap = rd_rawCap(in);
            in->raw = xj_malloc(in->raw_cap);
            RETURN_ERROR_IF(in->zds == NULL || in->raw == NULL, st, XJ_ERR_NOMEM, "out of memory opening %s", in->path);
            ZSTD_DCtx_setParameter(in->zds, ZSTD_d_windowLogMax, XJ_RD_WINDOW_LOG);
        }
        ZSTD_DCtx_reset(in->zds, ZSTD_reset_session_only);
        ZSTD_DCtx_setParameter(in->zds, ZSTD_d_forceIgnoreChecksum,
                               in->trust_frames ? ZSTD_d_ignoreChecksum : ZSTD_d_validateChecksum);
        in->zin.src = in->raw;
        in->zin.size = 0;
        in->zin.pos = 0;
        in->raw_eof = 0;
        in->frame_open = 0;
        if (in->zp) rd_zparClear(in->zp);
        in->par = RD_PAR_TRY;
        in->par_stop = 0;
        in->stage_pos = in->stage_len = 0;
        in->head_pos = 0;
        in->par_frames = 0;
        rd_partStart(in);
    }
    return XJ_OK;
}

/* A spool file for a `once` input, unlinked at once: the open descriptor
 * keeps it until rd_close. */
static xj_error rd_makeSpool(rd_input *in, const char *spool_dir, xj_status *st)
{
    const char *dir = spool_dir ? spool_dir : getenv("TMPDIR");
    if (dir == NULL || *dir == '\0') dir = "/tmp";
    size_t const n = strlen(dir) + 32;
    in->spool_path = xj_malloc(n);
    RETURN_ERROR_IF(in->spool_path == NULL, st, XJ_ERR_NOMEM, "out of memory");
    snprintf(in->spool_path, n, "%s/xjdedup-spool-XXXXXX", dir);
    in->spool_fd = mkostemp(in->spool_path, O_CLOEXEC);
    RETURN_ERROR_IF(in->spool_fd < 0, st, XJ_ERR_IO, "cannot create a spool file for %s in %s: %s",
                    in->is_stdin ? "standard input" : in->path, dir, strerror(errno));
    unlink(in->spool_path);
    return XJ_OK;
}

/* The cores this process may run on. */
static int rd_defaultThreads(void)
{
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    return n > RD_THREADS_MAX ? RD_THREADS_MAX : (int)n;
}

static xj_error rd_openWith(const char *path, const char *spool_dir, int spool, rd_input **out, xj_status *st)
{
    *out = NULL;
    rd_input *const in = xj_calloc(1, sizeof *in);
    RETURN_ERROR_IF(in == NULL, st, XJ_ERR_NOMEM, "out of memory");
    in->fd = -1;
    in->spool_fd = -1;
    in->first_pass = 1;
    in->threads = rd_defaultThreads();
    in->path = xj_strndup(path, strlen(path));
    in->hash = XXH3_createState();
    if (in->path == NULL || in->hash == NULL) {
        rd_close(in);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory");
    }
    XXH3_128bits_reset(in->hash);
    in->is_stdin = strcmp(path, "-") == 0;
    xj_error err = XJ_OK;
    if (in->is_stdin) {
        in->name = "-";
        in->fd = STDIN_FILENO;
        in->once = 1;
    } else {
        const char *const slash = strrchr(in->path, '/');
        in->name = slash ? slash + 1 : in->path;
        err = rd_openPath(in, st);
    }
    if (!err && in->once && spool) err = rd_makeSpool(in, spool_dir, st);
    if (!err) err = rd_openSource(in, st);
    if (err) {
        rd_close(in);
        return err;
    }
    *out = in;
    return XJ_OK;
}

xj_error rd_open(const char *path, const char *spool_dir, rd_input **out, xj_status *st)
{
    return rd_openWith(path, spool_dir, 1, out, st);
}

xj_error rd_openOnce(const char *path, rd_input **out, xj_status *st)
{
    return rd_openWith(path, NULL, 0, out, st);
}

void rd_close(rd_input *in)
{
    if (in == NULL) return;
    if (in->fd >= 0 && in->fd != STDIN_FILENO && in->fd != in->spool_fd) close(in->fd);
    if (in->spool_fd >= 0) close(in->spool_fd);
    rd_close(in->tail);
    rd_zparFree(in->zp);
    ZSTD_freeDStream(in->zds);
    XXH3_freeState(in->hash);
    xj_free(in->raw);
    xj_free(in->stage);
    xj_free(in->replay);
    xj_free(in->spool_path);
    xj_free(in->path);
    xj_free(in);
}

static xj_error rd_readZstd(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    ZSTD_outBuffer zout = {dst, cap, 0};
    while (zout.pos == 0) {
        if (in->zin.pos == in->zin.size && !in->raw_eof) {
            size_t n = 0;
            FORWARD_IF_ERROR(rd_readRaw(in, in->raw, in->raw_cap, &n, st));
            in->zin.src = in->raw;
            in->zin.size = n;
            in->zin.pos = 0;
            if (n == 0) in->raw_eof = 1;
        }
        if (in->zin.pos == in->zin.size && in->raw_eof) {
            RETURN_ERROR_IF(in->frame_open, st, XJ_ERR_INPUT,
                            "%s: the zstd data is truncated (it ends inside a frame); re-copy or re-compress the file",
                            in->path);
            break;
        }
        if (!in->frame_open) {
            /* a frame starts here: note the size its header declares (the
             * header is whole unless it straddles a 1 MiB read; then the
             * check is skipped for that frame) */
            unsigned long long const declared =
                ZSTD_getFrameContentSize((const char *)in->zin.src + in->zin.pos, in->zin.size - in->zin.pos);
            in->frame_declared = declared == ZSTD_CONTENTSIZE_ERROR ? ZSTD_CONTENTSIZE_UNKNOWN : declared;
            in->frame_bytes = 0;
        }
        size_t const before = zout.pos;
        size_t const ret = ZSTD_decompressStream(in->zds, &zout, &in->zin);
        RETURN_ERROR_IF(ZSTD_isError(ret), st, XJ_ERR_INPUT, "%s: not valid zstd data: %s", in->path,
                        ZSTD_getErrorName(ret));
        in->frame_bytes += zout.pos - before;
        in->frame_open = ret != 0;
        /* libzstd's streaming decoder does not always compare a finished
         * frame with its declared size (an empty last block slips through,
         * found by fuzz_zst): do it here, so a cut or crafted file cannot
         * pass for a shorter complete one */
        RETURN_ERROR_IF(!in->frame_open && in->frame_declared != ZSTD_CONTENTSIZE_UNKNOWN &&
                            in->frame_bytes != in->frame_declared,
                        st, XJ_ERR_INPUT,
                        "%s: corrupt zstd data: a frame holds %llu bytes but its header declares %llu; re-copy or "
                        "re-compress the file",
                        in->path, (unsigned long long)in->frame_bytes, in->frame_declared);
    }
    *got = zout.pos;
    return XJ_OK;
}

/* Reads more compressed bytes into the stage (moving what is left to its
 * start first); raw_eof once the source is exhausted. */
static xj_error rd_stageMore(rd_input *in, xj_status *st)
{
    if (in->stage_pos > 0) {
        memmove(in->stage, in->stage + in->stage_pos, in->stage_len - in->stage_pos);
        in->stage_len -= in->stage_pos;
        in->stage_pos = 0;
    }
    if (in->stage_cap - in->stage_len < RD_RAW_BLOCK) {
        size_t const ncap = in->stage_cap * 2 > in->stage_len + RD_RAW_BLOCK ? in->stage_cap * 2
                                                                              : in->stage_len + RD_RAW_BLOCK;
        char *const grown = xj_realloc(in->stage, ncap);
        RETURN_ERROR_IF(grown == NULL, st, XJ_ERR_NOMEM, "out of memory reading %s", in->path);
        in->stage = grown;
        in->stage_cap = ncap;
    }
    size_t n = 0;
    FORWARD_IF_ERROR(rd_readRaw(in, in->stage + in->stage_len, in->stage_cap - in->stage_len, &n, st));
    in->stage_len += n;
    if (n == 0) in->raw_eof = 1;
    return XJ_OK;
}

/* Queues the frames at the stage's start while there is room in flight;
 * sets par_stop at the first frame the workers should not take. */
static xj_error rd_parQueue(rd_input *in, xj_status *st)
{
    while (!in->par_stop) {
        if (in->zp && (rd_zparCount(in->zp) == rd_zparSlots(in->zp) ||
                       (rd_zparCount(in->zp) > 0 && rd_zparOutBytes(in->zp) >= RD_PAR_BUDGET)))
            return XJ_OK;
        size_t const avail = in->stage_len - in->stage_pos;
        if (avail == 0) {
            if (in->raw_eof) return XJ_OK; /* the input ends after a whole frame */
            FORWARD_IF_ERROR(rd_stageMore(in, st));
            continue;
        }
        const char *const p = in->stage + in->stage_pos;
        ZSTD_frameHeader fh;
        size_t const hr = ZSTD_getFrameHeader(&fh, p, avail);
        if (!ZSTD_isError(hr) && hr > 0 && !in->raw_eof) { /* the header is not all here yet */
            FORWARD_IF_ERROR(rd_stageMore(in, st));
            continue;
        }
        if (ZSTD_isError(hr) || hr > 0) break; /* not a frame, or cut short: the streaming decoder says so */
        int const skippable = fh.frameType == ZSTD_skippableFrame;
        if (!skippable && fh.windowSize > (1ull << XJ_RD_WINDOW_LOG)) break; /* refused by the streaming decoder */
        if (!skippable && fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN && fh.frameContentSize > RD_PAR_FRAME_MAX)
            break; /* a large frame, such as a single-frame file's: streamed */
        size_t const csize = ZSTD_findFrameCompressedSize(p, avail);
        if (ZSTD_isError(csize)) {
            if (ZSTD_getErrorCode(csize) != ZSTD_error_srcSize_wrong || in->raw_eof || avail >= RD_PAR_LOOKAHEAD)
                break; /* corrupt, truncated, or too long to wait for (a single frame without content size) */
            FORWARD_IF_ERROR(rd_stageMore(in, st));
            continue;
        }
        unsigned long long const room = skippable ? 0
                                        : fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN ? fh.frameContentSize
                                                                                         : ZSTD_decompressBound(p, csize);
        if (room == ZSTD_CONTENTSIZE_ERROR || room > RD_PAR_FRAME_MAX) break;
        if (in->par == RD_PAR_TRY) {
            /* workers pay only when another frame follows this one */
            if (avail == csize && !in->raw_eof) {
                FORWARD_IF_ERROR(rd_stageMore(in, st));
                continue;
            }
            if (avail == csize) break;
            if (in->zp == NULL) in->zp = rd_zparCreate(in->threads, RD_PAR_SLOTS(in->threads));
            if (in->zp == NULL) break; /* no thread or no memory: stream */
            in->par = RD_PAR_ON;
        }
        RETURN_ERROR_IF(rd_zparSubmit(in->zp, p, csize, (size_t)room,
                                      skippable ? ZSTD_CONTENTSIZE_UNKNOWN : fh.frameContentSize,
                                      !in->trust_frames) != XJ_OK,
                        st, XJ_ERR_NOMEM, "out of memory decompressing %s", in->path);
        if (!skippable && fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN) {
            in->frames_raw += csize;
            in->frames_content += fh.frameContentSize;
        }
        in->stage_pos += csize;
    }
    in->par_stop = 1;
    return XJ_OK;
}

/* The streaming decoder takes over for the rest of the pass, from the
 * oldest frame not yet returned: it reads the stage's bytes first, after
 * the compressed bytes of the frames still in flight when one failed. */
static xj_error rd_parStream(rd_input *in, xj_status *st)
{
    size_t const queued = in->zp ? rd_zparCount(in->zp) : 0;
    size_t const rest = in->stage_len - in->stage_pos;
    in->par = RD_PAR_OFF;
    ZSTD_DCtx_reset(in->zds, ZSTD_reset_session_only);
    in->frame_open = 0;
    if (queued == 0) {
        /* the stage is not touched again this pass: read it in place */
        in->zin = (ZSTD_inBuffer){rest ? in->stage + in->stage_pos : in->raw, rest, 0};
        return XJ_OK;
    }
    size_t need = rest;
    for (size_t i = 0; i < queued; i++) {
        const char *src;
        size_t len;
        rd_zparSource(in->zp, i, &src, &len);
        need += len;
    }
    if (need > in->replay_cap) {
        char *const grown = xj_malloc(need);
        RETURN_ERROR_IF(grown == NULL, st, XJ_ERR_NOMEM, "out of memory decompressing %s", in->path);
        xj_free(in->replay);
        in->replay = grown;
        in->replay_cap = need;
    }
    size_t at = 0;
    for (size_t i = 0; i < queued; i++) {
        const char *src;
        size_t len;
        rd_zparSource(in->zp, i, &src, &len);
        memcpy(in->replay + at, src, len);
        at += len;
    }
    if (rest) memcpy(in->replay + at, in->stage + in->stage_pos, rest);
    rd_zparClear(in->zp);
    in->zin = (ZSTD_inBuffer){in->replay, need, 0};
    return XJ_OK;
}

/* Whether this pass's frames may go to the workers (one thread: never). */
static int rd_parOn(rd_input *in)
{
    if (in->par == RD_PAR_TRY && in->threads <= 1) in->par = RD_PAR_OFF;
    return in->par != RD_PAR_OFF;
}

/* Queues what frames fit, then describes the oldest one, waiting until it
 * is decoded; *have = 0 when no frame is queued (the input ended after a
 * whole frame, or the rest is for the streaming decoder: par_stop). */
static xj_error rd_parHead(rd_input *in, rd_zframe *f, int *have, xj_status *st)
{
    FORWARD_IF_ERROR(rd_parQueue(in, st));
    *have = in->zp != NULL && rd_zparCount(in->zp) > 0;
    if (*have) rd_zparHead(in->zp, f);
    return XJ_OK;
}

/* rd_read of zstd input while frames may go to the workers. */
static xj_error rd_readPar(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    while (rd_parOn(in)) {
        rd_zframe f;
        int have;
        FORWARD_IF_ERROR(rd_parHead(in, &f, &have, st));
        if (!have) {
            if (!in->par_stop) return XJ_OK; /* the input ended after a whole frame: *got is 0 */
            FORWARD_IF_ERROR(rd_parStream(in, st));
            break;
        }
        if (f.failed) {
            FORWARD_IF_ERROR(rd_parStream(in, st));
            break;
        }
        size_t const n = f.out_len - in->head_pos < cap ? f.out_len - in->head_pos : cap;
        if (dst) memcpy(dst, f.out + in->head_pos, n); /* NULL: rd_skip, the bytes are passed over */
        in->head_pos += n;
        if (in->head_pos == f.out_len) {
            rd_zparPop(in->zp);
            in->head_pos = 0;
            in->par_frames++;
        }
        if (n) {
            *got = n;
            return XJ_OK;
        }
    }
    return dst ? rd_readZstd(in, dst, cap, got, st) : XJ_OK; /* rd_skip reads on with its buffer */
}

xj_error rd_takeFrame(rd_input *in, size_t room, size_t max, char *give, size_t give_cap, rd_taken *t, xj_status *st)
{
    *t = (rd_taken){0};
    if (!in->is_zstd || in->part_head || in->part_tail || !rd_parOn(in)) return XJ_OK;
    rd_zframe f;
    int have;
    FORWARD_IF_ERROR(rd_parHead(in, &f, &have, st));
    if (!have) return XJ_OK; /* rd_read ends the input or streams */
    size_t const len = f.out_len - in->head_pos;
    if (f.failed || len == 0 || len > max || RD_ZPAR_HEADROOM + in->head_pos < room) return XJ_OK;
    t->alloc = rd_zparTake(in->zp, &t->alloc_cap, give, give_cap);
    t->at = RD_ZPAR_HEADROOM + in->head_pos;
    t->len = len;
    in->head_pos = 0;
    in->par_frames++;
    if (in->first_pass) in->decoded_bytes += len;
    return XJ_OK;
}

static xj_error rd_readDecoded(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    if (in->is_zstd && in->par != RD_PAR_OFF) return rd_readPar(in, dst, cap, got, st);
    if (in->is_zstd) return rd_readZstd(in, dst, cap, got, st);
    return rd_readRaw(in, dst, cap, got, st);
}

/* The last line of a .zst part, read on from range_hi through its LF by a
 * reader of its own (the next part's frames). */
static xj_error rd_readTail(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    if (in->tail == NULL) {
        FORWARD_IF_ERROR(rd_openOnce(in->path, &in->tail, st));
        rd_setThreads(in->tail, 1);
        if (in->trust_frames) rd_skipChecksums(in->tail);
        FORWARD_IF_ERROR(rd_setRange(in->tail, in->range_hi, in->size_hint, st));
        in->tail->part_head = 0; /* its first bytes are this part's */
    }
    FORWARD_IF_ERROR(rd_read(in->tail, dst, cap, got, st));
    const char *const lf = *got ? memchr(dst, '\n', *got) : NULL;
    if (lf != NULL || *got == 0) {
        if (lf != NULL) *got = (size_t)(lf - dst) + 1;
        rd_close(in->tail);
        in->tail = NULL;
        in->part_tail = 0;
    }
    return XJ_OK;
}

/* A .zst part's stream (docs/mpi.md §3): its frames' bytes, but those
 * through the first LF (the part before's last line), and then the next
 * part's through its first LF. A part with no LF in it is all the part
 * before's (whose last line runs through it): it gives nothing, and reads
 * nothing past its range. */
static xj_error rd_readPart(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    for (;;) {
        if (in->tail) return rd_readTail(in, dst, cap, got, st);
        *got = 0; /* a decoder says nothing at the end */
        FORWARD_IF_ERROR(rd_readDecoded(in, dst, cap, got, st));
        if (*got == 0) {
            if (in->part_head) in->part_head = in->part_tail = 0;
            if (!in->part_tail) return XJ_OK;
            return rd_readTail(in, dst, cap, got, st);
        }
        if (!in->part_head) return XJ_OK;
        const char *const lf = memchr(dst, '\n', *got);
        if (lf == NULL) continue; /* all the part before's */
        size_t const skip = (size_t)(lf - dst) + 1;
        memmove(dst, dst + skip, *got - skip);
        *got -= skip;
        in->part_head = 0;
        if (*got) return XJ_OK;
    }
}

xj_error rd_read(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st)
{
    *got = 0;
    if (cap == 0) return XJ_OK;
    if (in->part_head || in->part_tail) FORWARD_IF_ERROR(rd_readPart(in, dst, cap, got, st));
    else FORWARD_IF_ERROR(rd_readDecoded(in, dst, cap, got, st));
    if (in->first_pass) in->decoded_bytes += *got;
    return XJ_OK;
}

xj_error rd_skip(rd_input *in, char *scratch, size_t cap, size_t *got, xj_status *st)
{
    *got = 0;
    if (cap == 0) return XJ_OK;
    if (in->part_head || in->part_tail) return rd_read(in, scratch, cap, got, st); /* a part's ends are cut */
    if (in->is_zstd && in->par != RD_PAR_OFF)
        FORWARD_IF_ERROR(rd_readPar(in, NULL, cap, got, st));
    else
        return rd_read(in, scratch, cap, got, st);
    if (*got == 0 && in->par == RD_PAR_OFF) return rd_read(in, scratch, cap, got, st); /* streaming took over */
    if (in->first_pass) in->decoded_bytes += *got;
    return XJ_OK;
}

xj_error rd_rewind(rd_input *in, xj_status *st)
{
    if (in->fd >= 0 && in->fd != STDIN_FILENO && in->fd != in->spool_fd) close(in->fd);
    in->fd = -1;
    in->first_pass = 0;
    return rd_openSource(in, st);
}

xj_error rd_setRange(rd_input *in, uint64_t lo, uint64_t hi, xj_status *st)
{
    int const zstd_file = in->is_zstd && !in->once && in->size_hint > 0;
    RETURN_ERROR_IF((!rd_isPlainFile(in) && !zstd_file) || in->decoded_bytes != 0 || lo > hi, st, XJ_ERR_INTERNAL,
                    "internal error: %s cannot be read in parts", in->path);
    in->ranged = 1;
    in->range_lo = lo;
    in->range_hi = hi;
    FORWARD_IF_ERROR(rd_seekRange(in, st));
    if (in->is_zstd) rd_partStart(in);
    return XJ_OK;
}

void rd_setThreads(rd_input *in, int threads)
{
    in->threads = threads < 1 ? 1 : threads > RD_THREADS_MAX ? RD_THREADS_MAX : threads;
}

void rd_skipChecksums(rd_input *in)
{
    in->trust_frames = 1;
    /* rd_open and rd_rewind have set the streaming decoder up already */
    if (in->zds) ZSTD_DCtx_setParameter(in->zds, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
}

uint64_t rd_parallelFrames(const rd_input *in) { return in->par_frames; }

const char *rd_path(const rd_input *in) { return in->path; }
const char *rd_name(const rd_input *in) { return in->name; }
uint64_t rd_rawBytes(const rd_input *in) { return in->raw_bytes; }
uint64_t rd_decodedBytes(const rd_input *in) { return in->decoded_bytes; }
uint64_t rd_sizeHint(const rd_input *in) { return in->size_hint; }

double rd_expansion(const rd_input *in)
{
    if (in->once) return 0;
    if (!in->is_zstd) return 1;
    return in->frames_raw ? (double)in->frames_content / (double)in->frames_raw : 0;
}

int rd_isPlainFile(const rd_input *in) { return !in->once && !in->is_zstd && in->size_hint > 0; }
int rd_isSpooled(const rd_input *in) { return in->spool_fd >= 0; }

void rd_hashHex(const rd_input *in, char out[33])
{
    XXH128_hash_t const h = XXH3_128bits_digest(in->hash);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}
