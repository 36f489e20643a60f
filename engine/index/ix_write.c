/*
 * ix_write — writes a register index (ix_format.h) atomically: everything
 * goes to a temporary sibling that is fsync'd and renamed over the target
 * (xj_file.h), so a reader sees the old index or the new one, never a mix.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <zstd.h>

#include "ix_index.h"
#include "xj_alloc.h"
#include "xj_buf.h"
#include "xj_file.h"

/* META only: record blocks are packed by field (ix_payload.h), not compressed. */
#define IX_ZSTD_LEVEL 3

void *ix_cctxCreate(void)
{
    ZSTD_CCtx *const c = ZSTD_createCCtx();
    if (c == NULL) return NULL;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, IX_ZSTD_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1))) {
        ZSTD_freeCCtx(c);
        return NULL;
    }
    return c;
}

void ix_cctxFree(void *cctx)
{
    ZSTD_freeCCtx(cctx);
}

xj_error ix_compressBlock(void *cctx, const xj_buf *raw, void **out, size_t *out_len)
{
    size_t const cap = ZSTD_compressBound(raw->len);
    void *const dst = xj_malloc(cap);
    if (dst == NULL) return XJ_ERR_NOMEM;
    size_t const n = ZSTD_compress2(cctx, dst, cap, raw->data, raw->len);
    if (ZSTD_isError(n)) {
        xj_free(dst);
        return XJ_ERR_INTERNAL;
    }
    void *const shrunk = xj_realloc(dst, n);
    *out = shrunk ? shrunk : dst;
    *out_len = n;
    return XJ_OK;
}

/* A buffered writer that also hashes the current section, a buffer at a
 * time (hashing each small put on its own cost more than the hash). */
typedef struct ix_out {
    int fd;
    uint64_t pos;
    xj_buf buf;
    size_t hashed;   /* bytes of buf already hashed (or outside any section) */
    XXH3_state_t hash;
    int failed;      /* errno of the first failed write, 0 if none */
} ix_out;

static void ix_hashPending(ix_out *o)
{
    if (o->buf.len > o->hashed) XXH3_64bits_update(&o->hash, o->buf.data + o->hashed, o->buf.len - o->hashed);
    o->hashed = o->buf.len;
}

/* Writes v[0 .. n) whole with as few writev calls as it takes (short
 * writes resume where they stopped). */
static void ix_writeVector(ix_out *o, const struct iovec *v, size_t n)
{
    enum { BATCH = 64 };
    struct iovec part[BATCH];
    size_t i = 0, skip = 0; /* v[i] is written up to byte `skip` */
    while (!o->failed) {
        while (i < n && v[i].iov_len == skip) {
            i++;
            skip = 0;
        }
        if (i == n) return;
        int k = 0;
        for (size_t j = i; j < n && k < BATCH; j++, k++) {
            size_t const from = j == i ? skip : 0;
            part[k] = (struct iovec){(char *)v[j].iov_base + from, v[j].iov_len - from};
        }
        ssize_t const w = writev(o->fd, part, k);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            o->failed = w < 0 ? errno : EIO;
            return;
        }
        size_t done = (size_t)w;
        while (done && done >= v[i].iov_len - skip) {
            done -= v[i].iov_len - skip;
            skip = 0;
            i++;
        }
        skip += done;
    }
}

static void ix_flush(ix_out *o)
{
    ix_hashPending(o);
    o->hashed = 0;
    ix_writeVector(o, &(struct iovec){o->buf.data, o->buf.len}, 1);
    buf_clear(&o->buf);
}

/* Appends v[0 .. n) to the open section, written from where they are:
 * the buffer is flushed first, the bytes hashed, then one writev does. */
static void ix_putVector(ix_out *o, const struct iovec *v, size_t n)
{
    if (o->failed) return;
    ix_flush(o);
    for (size_t i = 0; i < n; i++) {
        XXH3_64bits_update(&o->hash, v[i].iov_base, v[i].iov_len);
        o->pos += v[i].iov_len;
    }
    ix_writeVector(o, v, n);
}

static void ix_put(ix_out *o, const void *p, size_t n)
{
    if (o->failed) return;
    if (n >= o->buf.cap / 2) { /* a table: hashed and written from where it is */
        ix_putVector(o, &(struct iovec){(void *)p, n}, 1);
        return;
    }
    o->pos += n;
    while (n) {
        if (o->buf.len == o->buf.cap) ix_flush(o);
        if (o->failed) return;
        size_t const room = o->buf.cap - o->buf.len, take = n < room ? n : room;
        memcpy(o->buf.data + o->buf.len, p, take);
        o->buf.len += take;
        p = (const char *)p + take;
        n -= take;
    }
}

static void ix_putU32(ix_out *o, uint32_t v)
{
    unsigned char b[4];
    ix_storeLE(b, v, 4);
    ix_put(o, b, 4);
}

static void ix_putU64(ix_out *o, uint64_t v)
{
    unsigned char b[8];
    ix_storeLE(b, v, 8);
    ix_put(o, b, 8);
}

typedef struct ix_secEntry {
    uint32_t kind;
    uint64_t offset, bytes, hash;
} ix_secEntry;

static void ix_beginSection(ix_out *o, ix_secEntry *e, uint32_t kind)
{
    static const unsigned char kZero[8];
    if (o->pos % 8) { /* pad outside any section */
        size_t const pad = 8 - o->pos % 8;
        ix_put(o, kZero, pad);
    }
    ix_hashPending(o); /* into the ended section's state, which is done with */
    XXH3_64bits_reset(&o->hash);
    e->kind = kind;
    e->offset = o->pos;
}

static void ix_endSection(ix_out *o, ix_secEntry *e)
{
    e->bytes = o->pos - e->offset;
    ix_hashPending(o);
    e->hash = XXH3_64bits_digest(&o->hash);
}

static xj_error ix_metaFrame(const ix_writeSpec *spec, void **frame, size_t *len)
{
    xj_buf raw;
    buf_init(&raw, (size_t)1 << 30);
    xj_error err = XJ_OK;
    for (size_t i = 0; i < spec->n_sources && !err; i++) {
        const ix_source *const s = &spec->sources[i];
        size_t const n = strlen(s->name) > 65535 ? 65535 : strlen(s->name);
        unsigned char head[2] = {(unsigned char)n, (unsigned char)(n >> 8)};
        unsigned char tail[24];
        for (int k = 0; k < 8; k++) tail[k] = (unsigned char)(s->bytes >> (8 * k));
        for (int k = 0; k < 16; k++) {
            unsigned v = 0;
            sscanf(s->xxh3_128 + 2 * k, "%2x", &v);
            tail[8 + k] = (unsigned char)v;
        }
        err = buf_append(&raw, head, 2);
        if (!err) err = buf_append(&raw, s->name, n);
        if (!err) err = buf_append(&raw, tail, 24);
    }
    const char *const version = xj_versionString();
    unsigned char vh[2] = {(unsigned char)strlen(version), 0};
    if (!err) err = buf_append(&raw, vh, 2);
    if (!err) err = buf_appendStr(&raw, version);
    void *const cctx = err ? NULL : ix_cctxCreate();
    if (!err && cctx == NULL) err = XJ_ERR_NOMEM;
    if (!err) err = ix_compressBlock(cctx, &raw, frame, len);
    ix_cctxFree(cctx);
    buf_free(&raw);
    return err;
}

static void ix_putHeader(unsigned char *h, const ix_writeSpec *spec, const ix_secEntry *sec, uint32_t n_sec)
{
    memset(h, 0, IX_HEADER_BYTES);
    memcpy(h, IX_MAGIC, 8);
    unsigned char *p = h + 8;
#define PUT32(v) (ix_storeLE(p, (v), 4), p += 4)
#define PUT64(v) (ix_storeLE(p, (v), 8), p += 8)
    PUT32(IX_VERSION);
    PUT32(IX_HEADER_BYTES);
    PUT64(spec->records);
    PUT32(spec->run_date);
    PUT32(spec->flags);
    PUT64(spec->build_time);
    PUT32((uint32_t)spec->n_sources);
    PUT32(n_sec);
    for (uint32_t i = 0; i < n_sec; i++) {
        PUT32(sec[i].kind);
        PUT32(0);
        PUT64(sec[i].offset);
        PUT64(sec[i].bytes);
        PUT64(sec[i].hash);
    }
    p = h + IX_HEADER_BYTES - 8;
    PUT64(XXH3_64bits(h, IX_HEADER_BYTES - 8));
#undef PUT32
#undef PUT64
}

/* Sections are written in one order — PAYLOAD (blocks, as they come),
 * META, then KEYS and FENCE of each key kind in turn, BLOCKS — and each
 * step checks that it comes next. */
struct ix_writer {
    xj_atomicFile f;       /* the target and its temporary; o.fd is f.fd */
    ix_out o;
    ix_secEntry sec[IX_MAX_SECTIONS];
    uint32_t n_sec;        /* sections ended; PAYLOAD is open while 0 */
    int next_kind;         /* the key kind to begin next (IX_KINDS: all done) */
    int in_keys;           /* a KEYS section is open */
    uint64_t entries;      /* entries put into it */
};

void ix_writerAbort(ix_writer *w)
{
    if (w == NULL) return;
    af_abort(&w->f);
    w->o.fd = -1;
    buf_free(&w->o.buf);
    xj_free(w);
}

/* Removes `PATH.tmpPID` (and `PATH.tmpPID.rejects.csv`, and a distributed
 * build's spills `PATH.tmpPID.partR`) files that runs
 * killed before they could clean up left next to the index (a live PID's
 * file is another build's). */
static void ix_removeStale(const char *path, const char *dir)
{
    const char *const slash = strrchr(path, '/');
    const char *const base = slash ? slash + 1 : path;
    DIR *const d = opendir(dir);
    size_t const bn = strlen(base);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        const char *const rest = e->d_name + bn;
        if (strncmp(e->d_name, base, bn) != 0 || strncmp(rest, ".tmp", 4) != 0) continue;
        char *end = NULL;
        long const pid = strtol(rest + 4, &end, 10);
        /* PATH.tmpPID, or PATH.tmpPID.rejects.csv (index_build's rejects) */
        if (end == rest + 4 || (*end != '\0' && strcmp(end, ".rejects.csv") != 0 && strncmp(end, ".part", 5) != 0) ||
            pid <= 0 ||
            pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno == EPERM) continue; /* still running */
        unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d) closedir(d);
}

xj_error ix_writerOpen(const char *path, ix_writer **out, xj_status *st)
{
    *out = NULL;
    ix_writer *const w = xj_calloc(1, sizeof *w);
    RETURN_ERROR_IF(w == NULL, st, XJ_ERR_NOMEM, "out of memory");
    buf_init(&w->o.buf, 1u << 20);
    if (buf_reserve(&w->o.buf, 1u << 20) != XJ_OK) {
        buf_free(&w->o.buf);
        xj_free(w);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory");
    }
    w->o.buf.cap = 1u << 20;
    xj_error const err = af_open(&w->f, path, NULL, st);
    if (err) {
        buf_free(&w->o.buf);
        xj_free(w);
        return err;
    }
    w->o.fd = w->f.fd;
    ix_removeStale(path, w->f.dir); /* our own temporary (this PID's) is kept */
    XXH3_64bits_reset(&w->o.hash); /* the header placeholder is hashed into nothing, but the state must be valid */
    static const unsigned char kHeader[IX_HEADER_BYTES];
    ix_put(&w->o, kHeader, sizeof kHeader); /* rewritten at the end */
    ix_beginSection(&w->o, &w->sec[0], IX_SEC_PAYLOAD);
    *out = w;
    return XJ_OK;
}

static xj_error ix_writeFailed(ix_writer *w, xj_status *st)
{
    errno = w->o.failed;
    return st_fail(st, XJ_ERR_IO, "%s: cannot write the index: %m", w->f.path);
}

static xj_error ix_outOfOrder(xj_status *st)
{
    return st_fail(st, XJ_ERR_INTERNAL, "internal error: index sections written out of order");
}

xj_error ix_writerPutBlocks(ix_writer *w, const struct iovec *blocks, size_t n, xj_status *st)
{
    if (w->n_sec != 0) return ix_outOfOrder(st);
    ix_putVector(&w->o, blocks, n);
    return w->o.failed ? ix_writeFailed(w, st) : XJ_OK;
}

xj_error ix_writerPutMeta(ix_writer *w, const ix_writeSpec *spec, xj_status *st)
{
    ix_out *const o = &w->o;
    if (w->n_sec != 0) return ix_outOfOrder(st);
    ix_endSection(o, &w->sec[w->n_sec++]); /* PAYLOAD */
    void *meta = NULL;
    size_t meta_len = 0;
    RETURN_ERROR_IF(ix_metaFrame(spec, &meta, &meta_len) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory writing the index");
    ix_beginSection(o, &w->sec[w->n_sec], IX_SEC_META);
    ix_put(o, meta, meta_len);
    ix_endSection(o, &w->sec[w->n_sec++]);
    xj_free(meta);
    return o->failed ? ix_writeFailed(w, st) : XJ_OK;
}

xj_error ix_writerBeginKeys(ix_writer *w, int kind, xj_status *st)
{
    static const uint32_t kKeys[IX_KINDS] = {IX_SEC_KEYS_GB, IX_SEC_KEYS_OTHER, IX_SEC_KEYS_ATTR, IX_SEC_KEYS_SLIP};
    if (w->n_sec < 2 || w->in_keys || kind != w->next_kind || kind >= IX_KINDS) return ix_outOfOrder(st);
    ix_beginSection(&w->o, &w->sec[w->n_sec], kKeys[kind]);
    w->in_keys = 1;
    w->entries = 0;
    return w->o.failed ? ix_writeFailed(w, st) : XJ_OK;
}

xj_error ix_writerPutKeys(ix_writer *w, const void *entries, size_t n, xj_status *st)
{
    if (!w->in_keys) return ix_outOfOrder(st);
    ix_putVector(&w->o, &(struct iovec){(void *)entries, n * ix_entryBytes(w->next_kind)}, 1);
    w->entries += n;
    return w->o.failed ? ix_writeFailed(w, st) : XJ_OK;
}

xj_error ix_writerEndKeys(ix_writer *w, const void *fence, xj_status *st)
{
    static const uint32_t kFence[IX_KINDS] = {IX_SEC_FENCE_GB, IX_SEC_FENCE_OTHER, IX_SEC_FENCE_ATTR,
                                              IX_SEC_FENCE_SLIP};
    if (!w->in_keys) return ix_outOfOrder(st);
    ix_out *const o = &w->o;
    int const kind = w->next_kind;
    ix_endSection(o, &w->sec[w->n_sec++]);
    ix_beginSection(o, &w->sec[w->n_sec], kFence[kind]);
    ix_put(o, fence, ix_fenceCount(w->entries) * (ix_entryBytes(kind) - 4));
    ix_endSection(o, &w->sec[w->n_sec++]);
    w->in_keys = 0;
    w->next_kind++;
    return o->failed ? ix_writeFailed(w, st) : XJ_OK;
}

/* The header at offset 0, whole (a short pwrite resumes). */
static void ix_putHeaderAt0(ix_out *o, const unsigned char *h)
{
    for (size_t at = 0; at < IX_HEADER_BYTES && !o->failed;) {
        ssize_t const n = pwrite(o->fd, h + at, IX_HEADER_BYTES - at, (off_t)at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) o->failed = n < 0 ? errno : EIO;
        else at += (size_t)n;
    }
}

xj_error ix_writerFinish(ix_writer *w, const ix_writeSpec *spec, xj_status *st)
{
    ix_out *const o = &w->o;
    ix_secEntry *const sec = w->sec;
    if (w->n_sec < 2 || w->in_keys || w->next_kind != IX_KINDS) {
        ix_writerAbort(w);
        return ix_outOfOrder(st);
    }
    uint32_t n_sec = w->n_sec;
    uint64_t payload = 0;
    for (size_t b = 0; b < spec->n_blocks; b++) payload += spec->blocks[b].len;
    if (spec->records > IX_MAX_RECORDS || payload != sec[0].bytes) {
        ix_writerAbort(w);
        return spec->records > IX_MAX_RECORDS
                   ? st_fail(st, XJ_ERR_LIMIT, "more than %u records for one index", IX_MAX_RECORDS)
                   : st_fail(st, XJ_ERR_INTERNAL, "internal error: the block table does not match the blocks written");
    }
    ix_beginSection(o, &sec[n_sec], IX_SEC_BLOCKS);
    uint64_t off = 0;
    for (size_t b = 0; b < spec->n_blocks; b++) {
        ix_putU64(o, off);
        ix_putU32(o, (uint32_t)spec->blocks[b].len);
        ix_putU32(o, spec->blocks[b].first);
        ix_putU64(o, spec->blocks[b].hash);
        off += spec->blocks[b].len;
    }
    ix_endSection(o, &sec[n_sec++]);
    ix_flush(o);
    unsigned char header[IX_HEADER_BYTES];
    ix_putHeader(header, spec, sec, n_sec);
    ix_putHeaderAt0(o, header);
    if (o->failed) {
        xj_error const e = ix_writeFailed(w, st);
        ix_writerAbort(w);
        return e;
    }
    xj_error const err = af_commit(&w->f, "the index", st); /* the same words as ix_writeFailed */
    o->fd = -1;
    ix_writerAbort(w); /* nothing left to remove: frees */
    return err;
}
