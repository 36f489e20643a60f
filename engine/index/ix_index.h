/*
 * ix_index — a register index opened for lookups (ix_read.c) and the plain
 * data a writer turns into one (ix_write.c). ix_format.h is the file layout.
 *
 * Opening checks the header, every section's bounds, the XXH3-64 of every
 * section but the record blocks (each has a checksum in the block table,
 * checked when it is read; ix_verify checks the whole) and the shape of the
 * tables, so lookups and block reads afterwards
 * need only their own bounds checks; a damaged file is an XJ_ERR_INPUT with
 * a message, never a crash. Opened indexes are read-only and may be shared by
 * threads; a cursor (one per thread) decodes payload blocks.
 */
#ifndef XJ_IX_INDEX_H
#define XJ_IX_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <string.h>

#include "ix_format.h"
#include "ix_payload.h"
#include "xj_status.h"

typedef struct ix_source {
    char *name;            /* base name of the input, as in `source` columns */
    uint64_t bytes;        /* bytes read (compressed size for .zst) */
    char xxh3_128[33];     /* hex of XXH3-128 of those bytes */
} ix_source;

typedef struct ix_keys {
    const unsigned char *entries;  /* n entries of `stride` bytes, in place */
    size_t n;
    unsigned stride;               /* IX_NARROW_ENTRY or IX_WIDE_ENTRY */
    const unsigned char *fence;    /* key of every IX_FENCE_STEP-th entry */
    size_t n_fence;
} ix_keys;

/* Key kinds, in the order of gd_keyKind: GB IDs, other IDs, attributes. */
#define IX_KINDS 4 /* GB, other IDs, attributes (gd_keyKind), then IX_KIND_SLIP */
#define IX_KIND_SLIP 3 /* narrow like GB: a mistyped ID's record under each number one slip away */

typedef struct ix_index {
    void *map;                     /* the mapped file (or NULL for a buffer) */
    size_t map_size;
    const unsigned char *base;     /* file bytes */
    size_t size;
    uint64_t records;
    uint32_t run_date;             /* the build's run date (ID reasons) */
    uint32_t flags;                /* IX_FLAG_* */
    uint64_t build_time;           /* unix seconds */
    ix_source *sources;
    size_t n_sources;
    char *version;                 /* xjdedup version that built it */
    ix_keys keys[IX_KINDS];
    const unsigned char *blocks;   /* n_blocks x IX_BLOCK_ENTRY */
    size_t n_blocks;
    const unsigned char *payload;
    size_t payload_len;
    uint64_t payload_hash;         /* checked by ix_verify, not by opening */
    uint64_t section_bytes[IX_SEC_KIND_END]; /* on-disk size per section kind */
} ix_index;

/* Opens and verifies `path` (mmap). XJ_ERR_INPUT with a message naming the
 * file and the damage; XJ_ERR_NOMEM. */
xj_error ix_open(const char *path, ix_index **out, xj_status *st);
/* The same over bytes the caller keeps alive (fuzzing, tests). */
xj_error ix_openBuffer(const void *data, size_t size, const char *name, ix_index **out, xj_status *st);
void ix_close(ix_index *ix);
/* The slow checks opening skips: key order, fences, record numbers, and every
 * payload block decoded. */
xj_error ix_verify(const ix_index *ix, const char *name, xj_status *st);

/* Entries of kind `kind` whose key is (hi, lo) (hi = 0 for GB IDs): their
 * count, the first at *first. Cannot fail. */
size_t ix_lookup(const ix_index *ix, int kind, uint64_t hi, uint64_t lo, size_t *first);
/* Entry i's record number, with IX_REC_HAS_ID in attribute entries. */
uint32_t ix_entryRecord(const ix_index *ix, int kind, size_t i);
/* Entry i's key. */
void ix_entryKey(const ix_index *ix, int kind, size_t i, uint64_t *hi, uint64_t *lo);

/* Decodes records; keeps the last decoded block. */
typedef struct ix_cursor {
    size_t block;          /* decoded block, SIZE_MAX when none */
    uint32_t first;        /* its first record number */
    ix_record *recs;       /* IX_BLOCK_RECORDS slots */
    size_t n;
    char *text;            /* IX_BLOCK_RECORDS x IX_TEXT_PER_RECORD: rebuilt strings */
} ix_cursor;

xj_error ix_cursorInit(ix_cursor *c);
void ix_cursorFree(ix_cursor *c);
/* Record `rec` (valid until the cursor moves to another block).
 * XJ_ERR_INPUT when its block is damaged. */
xj_error ix_readRecord(const ix_index *ix, ix_cursor *c, uint32_t rec, const ix_record **out, xj_status *st);
/* Decodes block b whole into the cursor (c->recs[0 .. c->n)). */
xj_error ix_readBlock(const ix_index *ix, ix_cursor *c, size_t b, xj_status *st);

/* ---- writing ---- */

/* A payload block as the block table lists it, in record order. */
typedef struct ix_block {
    size_t len;
    uint64_t hash;         /* XXH3-64 of its bytes */
    uint32_t first;        /* first record number */
    uint32_t n;            /* records */
} ix_block;

static inline unsigned ix_entryBytes(int kind)
{
    return kind == 0 || kind == IX_KIND_SLIP ? IX_NARROW_ENTRY : IX_WIDE_ENTRY;
}

static inline size_t ix_fenceCount(size_t n)
{
    return (n + IX_FENCE_STEP - 1) / IX_FENCE_STEP;
}

/* Entry i of `kind` entries in their file layout: (hi,) lo, record. */
static inline void ix_putEntry(unsigned char *entries, int kind, size_t i, uint64_t hi, uint64_t lo, uint32_t rec)
{
    unsigned char *p = entries + i * ix_entryBytes(kind);
    if (ix_entryBytes(kind) == IX_WIDE_ENTRY) {
        ix_storeLE(p, hi, 8);
        p += 8;
    }
    ix_storeLE(p, lo, 8);
    ix_storeLE(p + 8, rec, 4);
}

/* `n` entries that are entries base .. base + n of their section: the key
 * of each IX_FENCE_STEP-th goes to its place in the section's fence. */
static inline void ix_putFences(unsigned char *fence, int kind, const unsigned char *entries, size_t base, size_t n)
{
    unsigned const stride = ix_entryBytes(kind), key = stride - 4;
    for (size_t i = (base + IX_FENCE_STEP - 1) / IX_FENCE_STEP * IX_FENCE_STEP; i < base + n; i += IX_FENCE_STEP)
        memcpy(fence + i / IX_FENCE_STEP * key, entries + (i - base) * stride, key);
}

/* What the header and META say, known once the blocks are written. */
typedef struct ix_writeSpec {
    uint64_t records;
    uint32_t run_date;
    uint32_t flags;
    uint64_t build_time;       /* unix seconds */
    const ix_source *sources;
    size_t n_sources;
    const ix_block *blocks;    /* the blocks written, in the order written */
    size_t n_blocks;
} ix_writeSpec;

/* Writing is streamed, section by section in this order: the record
 * blocks as they are made (in record order); META; for each key kind in
 * turn its entries (in file order, any number of puts) and its fence; then
 * the block table and the header. Everything goes to a temporary sibling
 * that is fsync'd and renamed over `path` by ix_writerFinish, so a reader
 * sees the old index or the new one, never a mix. A step out of this order
 * is XJ_ERR_INTERNAL; a failed write XJ_ERR_IO with the path and errno
 * text. One caller at a time. */
typedef struct ix_writer ix_writer;

xj_error ix_writerOpen(const char *path, ix_writer **out, xj_status *st);
/* Appends record blocks, written from where they are (no copy). */
xj_error ix_writerPutBlocks(ix_writer *w, const struct iovec *blocks, size_t n, xj_status *st);
/* Ends the blocks; writes META (spec's sources). */
xj_error ix_writerPutMeta(ix_writer *w, const ix_writeSpec *spec, xj_status *st);
/* Key kind `kind` (0, 1, 2 in turn): begin, put n entries at a time, end
 * with its fence (ix_fenceCount(entries put) keys). */
xj_error ix_writerBeginKeys(ix_writer *w, int kind, xj_status *st);
xj_error ix_writerPutKeys(ix_writer *w, const void *entries, size_t n, xj_status *st);
xj_error ix_writerEndKeys(ix_writer *w, const void *fence, xj_status *st);
/* Writes the block table and the header, fsync, rename, fsync of the
 * directory; frees `w` whatever happens. */
xj_error ix_writerFinish(ix_writer *w, const ix_writeSpec *spec, xj_status *st);
/* Removes the temporary file and frees `w` (NULL is fine). */
void ix_writerAbort(ix_writer *w);

/* Compresses bytes into a zstd frame with a content checksum (META). */
xj_error ix_compressBlock(void *cctx, const xj_buf *raw, void **out, size_t *out_len);
void *ix_cctxCreate(void);
void ix_cctxFree(void *cctx);

#endif
