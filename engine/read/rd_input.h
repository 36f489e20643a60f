/*
 * rd_input — one input as a stream of decoded bytes.
 *
 * In: a path (plain CSV, or zstd when it ends in ".zst" or starts with the
 * zstd magic number) or "-" for standard input. Out: the decompressed bytes,
 * in blocks, plus the facts summary.json reports (bytes read, XXH3-128 of the
 * bytes as read). Standard input, and any path that is not a regular file (a
 * named pipe, /dev/stdin, a process substitution's /dev/fd/N, a device), can
 * be read only once, so its bytes are copied to a spool file while being read
 * and rd_rewind replays them from there; regular files are simply reopened.
 * Such an input is opened exactly once: opening a named pipe a second time
 * would wait forever for a writer that has gone. Memory is bounded: zstd's window is
 * limited (a .zst bomb cannot make us allocate more than XJ_RD_WINDOW_LOG).
 * A .zst of several independent frames (pzstd, `xjdedup gen`) is decoded on
 * worker threads, a few frames of at most 64 MiB each in flight, and read
 * back in order — copied out by rd_read, or handed over buffer and all by
 * rd_takeFrame; a single-frame .zst is decoded as it streams by.
 *
 * An rd_input (and its rd_splitter) is used by one thread at a time, not
 * always the same one: the scan's workers take turns reading it, under the
 * pass's lock (scan_stream.c).
 */
#ifndef XJ_RD_INPUT_H
#define XJ_RD_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "xj_status.h"

#define XJ_RD_WINDOW_LOG 27 /* 128 MiB: zstd's default maximum for decoding */

typedef struct rd_input rd_input;

/* `spool_dir`: where an input that cannot be reopened is spooled (NULL:
 * $TMPDIR or /tmp). A directory is refused (XJ_ERR_INPUT). */
xj_error rd_open(const char *path, const char *spool_dir, rd_input **out, xj_status *st);
/* The same for a single pass: nothing is spooled, and rd_rewind works only
 * on a regular file. */
xj_error rd_openOnce(const char *path, rd_input **out, xj_status *st);
/* Whether rd_open reads `path`, whose first n bytes are `first`, as zstd:
 * they start with the zstd magic number, or the name ends in ".zst". */
int rd_isZstdFile(const char *path, const unsigned char *first, size_t n);
/* Closes and removes the spool file. NULL is fine. */
void rd_close(rd_input *in);

/* zstd frames are decoded on up to `threads` worker threads when the file
 * has several (default: one per core this process may use; 1: the calling
 * thread decodes, streaming). Takes effect at the next rd_read that starts
 * a pass. The bytes returned are the same whatever the number. */
void rd_setThreads(rd_input *in, int threads);

/* zstd frames' checksums are not checked from now on (call it before a
 * pass reads its first byte: after rd_open or rd_rewind): for a pass that
 * reads again what an earlier one has checked, and that finds a changed
 * file by its records, as with a plain file (the scan's second pass: a
 * flagged record missing, moved or no longer parsing). The check is about
 * a tenth of the decoding time. */
void rd_skipChecksums(rd_input *in);

/* Reads only bytes [lo, hi) of a regular file, in this pass and the next:
 * one process's part of a file that several share (scan_split.c). Call
 * before the first rd_read. rd_rawBytes then counts the part's bytes, and
 * rd_hashHex means nothing. A plain file's part is those bytes. A .zst's
 * lo and hi must be where frames start (or the file's ends); its part is
 * the decoded text of those frames without the bytes through its first LF
 * (unless lo is 0: they end the part before's last line), then the text
 * after hi through the first LF there (unless hi is the end), so that the
 * parts of a file, one after another, are its text, each part whole lines. */
xj_error rd_setRange(rd_input *in, uint64_t lo, uint64_t hi, xj_status *st);

/* Reads up to cap decoded bytes; *got == 0 means end of input. */
xj_error rd_read(rd_input *in, char *dst, size_t cap, size_t *got, xj_status *st);

/* A decoded frame's buffer, handed over by rd_takeFrame: the bytes are
 * alloc[at .. at + len), and alloc (alloc_cap bytes) is the caller's to
 * free with xj_free. alloc == NULL: nothing was handed over. */
typedef struct rd_taken {
    char *alloc;
    size_t alloc_cap, at, len;
} rd_taken;

/* What rd_read would give next, without the copy: when those bytes are the
 * rest of a frame the workers decoded, of at most `max` bytes, with at
 * least `room` unused bytes before them in its buffer, the buffer is handed
 * over (*t) and `give` (give_cap bytes, or NULL; the callee's to free from
 * then on) takes its place for later frames. Otherwise nothing changes
 * (t->alloc == NULL, `give` still the caller's): read with rd_read. */
xj_error rd_takeFrame(rd_input *in, size_t room, size_t max, char *give, size_t give_cap, rd_taken *t,
                      xj_status *st);

/* Passes over up to cap decoded bytes, as rd_read would return them; a
 * frame decoded on the workers is not copied anywhere, else the bytes go
 * to scratch (cap bytes). *got == 0 means end of input. */
xj_error rd_skip(rd_input *in, char *scratch, size_t cap, size_t *got, xj_status *st);

/* Starts again from the first byte (for the second pass). */
xj_error rd_rewind(rd_input *in, xj_status *st);

const char *rd_path(const rd_input *in);      /* as given */
const char *rd_name(const rd_input *in);      /* base name, "-" for stdin */
uint64_t rd_rawBytes(const rd_input *in);     /* bytes read from the file (first pass) */
uint64_t rd_decodedBytes(const rd_input *in); /* bytes after decompression (first pass) */
uint64_t rd_sizeHint(const rd_input *in);     /* on-disk size, 0 if unknown */
/* Decoded bytes per file byte, as far as known: 1 for a plain file; for a
 * .zst, what the headers of the frames decoded in parallel so far declare;
 * 0 when unknown (standard input, a .zst streamed whole). A guess for
 * sizing tables, never a limit. */
double rd_expansion(const rd_input *in);
/* A regular file read as it is (not standard input, not zstd): its decoded
 * offsets are file offsets, so parts of it can be read again with pread. */
int rd_isPlainFile(const rd_input *in);
/* Read once and replayed from a spool: keep it open between the passes. */
int rd_isSpooled(const rd_input *in);
/* zstd frames of the current pass decoded on worker threads so far. */
uint64_t rd_parallelFrames(const rd_input *in);
/* XXH3-128 of the raw bytes of the first pass, as 32 hex digits + NUL. */
void rd_hashHex(const rd_input *in, char out[33]);

#endif
