/*
 * ix_read — opening, verifying and searching a register index (ix_index.h).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#include <zstd.h>

#include "grp_keys.h"
#include "ix_index.h"
#include "xj_alloc.h"

static uint32_t ix_u32(const unsigned char *p)
{
    return (uint32_t)ix_loadLE(p, 4);
}

static uint64_t ix_u64(const unsigned char *p)
{
    return ix_loadLE(p, 8);
}

void ix_close(ix_index *ix)
{
    if (ix == NULL) return;
    for (size_t i = 0; i < ix->n_sources; i++) xj_free(ix->sources[i].name);
    xj_free(ix->sources);
    xj_free(ix->version);
    if (ix->map) munmap(ix->map, ix->map_size);
    xj_free(ix);
}

/* META: the sources and the version, from its zstd frame. */
static xj_error ix_parseMeta(ix_index *ix, const unsigned char *sec, size_t len, uint32_t n_sources, const char *name,
                             xj_status *st)
{
    unsigned long long const raw_len = ZSTD_getFrameContentSize(sec, len);
    RETURN_ERROR_IF(raw_len == ZSTD_CONTENTSIZE_ERROR || raw_len == ZSTD_CONTENTSIZE_UNKNOWN || raw_len > (64u << 20),
                    st, XJ_ERR_INPUT, "%s: the index's META section is damaged; rebuild the index", name);
    unsigned char *const raw = xj_malloc(raw_len ? raw_len : 1);
    RETURN_ERROR_IF(raw == NULL, st, XJ_ERR_NOMEM, "out of memory reading %s", name);
    size_t const got = ZSTD_decompress(raw, raw_len, sec, len);
    xj_error err = XJ_OK;
    if (ZSTD_isError(got) || got != raw_len) err = XJ_ERR_INPUT;
    ix->sources = err ? NULL : xj_calloc(n_sources ? n_sources : 1, sizeof *ix->sources);
    if (!err && ix->sources == NULL) err = XJ_ERR_NOMEM;
    size_t at = 0;
    for (uint32_t i = 0; !err && i < n_sources; i++) {
        if (raw_len - at < 2) { err = XJ_ERR_INPUT; break; }
        size_t const n = (size_t)raw[at] | (size_t)raw[at + 1] << 8;
        at += 2;
        if (raw_len - at < n + 24) { err = XJ_ERR_INPUT; break; }
        ix_source *const s = &ix->sources[i];
        s->name = xj_strndup((const char *)raw + at, n);
        if (s->name == NULL) { err = XJ_ERR_NOMEM; break; }
        ix->n_sources = i + 1;
        at += n;
        s->bytes = ix_u64(raw + at);
        static const char hex[] = "0123456789abcdef";
        for (int k = 0; k < 16; k++) {
            unsigned char const b = raw[at + 8 + k];
            s->xxh3_128[2 * k] = hex[b >> 4];
            s->xxh3_128[2 * k + 1] = hex[b & 15];
        }
        s->xxh3_128[32] = '\0';
        at += 24;
    }
    if (!err) {
        if (raw_len - at < 2) err = XJ_ERR_INPUT;
        else {
            size_t const n = (size_t)raw[at] | (size_t)raw[at + 1] << 8;
            at += 2;
            if (raw_len - at != n) err = XJ_ERR_INPUT;
            else if ((ix->version = xj_strndup((const char *)raw + at, n)) == NULL) err = XJ_ERR_NOMEM;
        }
    }
    xj_free(raw);
    RETURN_ERROR_IF(err == XJ_ERR_NOMEM, st, err, "out of memory reading %s", name);
    RETURN_ERROR_IF(err, st, err, "%s: the index's META section is damaged; rebuild the index", name);
    return XJ_OK;
}

/* Keys must be in (shard, hi, lo) order for lookups to be right. */
static int ix_keyLess(uint64_t ahi, uint64_t alo, uint64_t bhi, uint64_t blo)
{
    unsigned const sa = gk_shardOf(ahi, alo), sb = gk_shardOf(bhi, blo);
    if (sa != sb) return sa < sb;
    if (ahi != bhi) return ahi < bhi;
    return alo < blo;
}

void ix_entryKey(const ix_index *ix, int kind, size_t i, uint64_t *hi, uint64_t *lo)
{
    const ix_keys *const k = &ix->keys[kind];
    const unsigned char *const e = k->entries + i * k->stride;
    if (k->stride == IX_NARROW_ENTRY) {
        *hi = 0;
        *lo = ix_u64(e);
    } else {
        *hi = ix_u64(e);
        *lo = ix_u64(e + 8);
    }
}

uint32_t ix_entryRecord(const ix_index *ix, int kind, size_t i)
{
    const ix_keys *const k = &ix->keys[kind];
    return ix_u32(k->entries + i * k->stride + k->stride - 4);
}

static void ix_fenceKey(const ix_keys *k, size_t f, uint64_t *hi, uint64_t *lo)
{
    if (k->stride == IX_NARROW_ENTRY) {
        *hi = 0;
        *lo = ix_u64(k->fence + f * 8);
    } else {
        *hi = ix_u64(k->fence + f * 16);
        *lo = ix_u64(k->fence + f * 16 + 8);
    }
}

size_t ix_lookup(const ix_index *ix, int kind, uint64_t hi, uint64_t lo, size_t *first)
{
    const ix_keys *const k = &ix->keys[kind];
    *first = 0;
    if (k->n == 0) return 0;
    /* the last fence below the key; the answer starts within one step of it */
    size_t a = 0, b = k->n_fence;
    while (a < b) {
        size_t const mid = a + (b - a) / 2;
        uint64_t fh, fl;
        ix_fenceKey(k, mid, &fh, &fl);
        if (ix_keyLess(fh, fl, hi, lo)) a = mid + 1;
        else b = mid;
    }
    size_t i = a ? (a - 1) * IX_FENCE_STEP : 0;
    for (;; i++) {
        if (i == k->n) return 0;
        uint64_t eh, el;
        ix_entryKey(ix, kind, i, &eh, &el);
        if (!ix_keyLess(eh, el, hi, lo)) {
            if (eh != hi || el != lo) return 0;
            break;
        }
    }
    size_t j = i + 1;
    for (; j < k->n; j++) {
        uint64_t eh, el;
        ix_entryKey(ix, kind, j, &eh, &el);
        if (eh != hi || el != lo) break;
    }
    *first = i;
    return j - i;
}

/* Checks one key section against its fences and the record count: sorted,
 * fences right, record numbers in range. A linear pass, so it is not part
 * of opening (checksums catch damage; a crafted file can make lookups wrong
 * but never unsafe); `xjdedup index info --verify` runs it. */
static int ix_keysValid(const ix_index *ix, int kind)
{
    const ix_keys *const k = &ix->keys[kind];
    uint64_t ph = 0, pl = 0;
    for (size_t i = 0; i < k->n; i++) {
        uint64_t h, l;
        ix_entryKey(ix, kind, i, &h, &l);
        if (i && ix_keyLess(h, l, ph, pl)) return 0;
        if (i % IX_FENCE_STEP == 0) {
            uint64_t fh, fl;
            ix_fenceKey(k, i / IX_FENCE_STEP, &fh, &fl);
            if (fh != h || fl != l) return 0;
        }
        if ((ix_entryRecord(ix, kind, i) & ~IX_REC_HAS_ID) >= ix->records) return 0;
        ph = h;
        pl = l;
    }
    return 1;
}

static int ix_blocksValid(const ix_index *ix)
{
    uint64_t next_rec = 0, next_off = 0;
    for (size_t b = 0; b < ix->n_blocks; b++) {
        const unsigned char *const e = ix->blocks + b * IX_BLOCK_ENTRY;
        uint64_t const off = ix_u64(e);
        uint32_t const len = ix_u32(e + 8), first = ix_u32(e + 12);
        if (off != next_off || len == 0 || len > ix->payload_len - off || first != next_rec) return 0;
        if (b + 1 < ix->n_blocks) {
            uint32_t const next_first = ix_u32(e + IX_BLOCK_ENTRY + 12);
            if (next_first <= first || next_first - first > IX_BLOCK_RECORDS) return 0;
            next_rec = next_first;
        } else if (ix->records - first > IX_BLOCK_RECORDS || ix->records <= first) {
            return 0;
        }
        next_off = off + len;
    }
    return next_off == ix->payload_len && (ix->n_blocks > 0 || ix->records == 0);
}

xj_error ix_verify(const ix_index *ix, const char *name, xj_status *st)
{
    RETURN_ERROR_IF(XXH3_64bits(ix->payload, ix->payload_len) != ix->payload_hash, st, XJ_ERR_INPUT,
                    "%s: the index is damaged (the record blocks' checksum does not match); rebuild it", name);
    for (int k = 0; k < IX_KINDS; k++)
        RETURN_ERROR_IF(!ix_keysValid(ix, k), st, XJ_ERR_INPUT,
                        "%s: a key table is out of order or names records that do not exist; rebuild the index",
                        name);
    ix_cursor c;
    RETURN_ERROR_IF(ix_cursorInit(&c) != XJ_OK, st, XJ_ERR_NOMEM, "out of memory");
    xj_error err = XJ_OK;
    for (size_t b = 0; b < ix->n_blocks && !err; b++) err = ix_readBlock(ix, &c, b, st);
    ix_cursorFree(&c);
    return err;
}

/* The section table of the file p[0..size): each section's start and
 * length in sec[] and sec_len[] by kind. NULL when every section is known,
 * listed once, inside the file and (but for the payload) matches its
 * checksum, and none is missing; else what is wrong. */
static const char *ix_findSections(ix_index *ix, const unsigned char *p, size_t size, uint32_t n_sections,
                                   const unsigned char *sec[IX_SEC_KIND_END], size_t sec_len[IX_SEC_KIND_END])
{
    for (uint32_t i = 0; i < n_sections; i++) {
        const unsigned char *const e = p + 48 + 32 * (size_t)i;
        uint32_t const kind = ix_u32(e);
        uint64_t const off = ix_u64(e + 8), len = ix_u64(e + 16);
        if (kind == 0 || kind >= IX_SEC_KIND_END || sec[kind]) return "a section is unknown or listed twice";
        if (off < IX_HEADER_BYTES || off > size || len > size - off) return "a section lies outside the file";
        if (kind != IX_SEC_PAYLOAD && XXH3_64bits(p + off, len) != ix_u64(e + 24))
            return "a section's checksum does not match";
        /* the payload is checked a block at a time, by the block table's
         * checksums, when a block is read (a check reads few), and whole
         * by ix_verify; every other section here and now */
        if (kind == IX_SEC_PAYLOAD) ix->payload_hash = ix_u64(e + 24);
        sec[kind] = p + off;
        sec_len[kind] = len;
        ix->section_bytes[kind] = len;
    }
    for (int k = IX_SEC_META; k < IX_SEC_KIND_END; k++)
        if (sec[k] == NULL) return "a section is missing";
    return NULL;
}

/* The key, fence and block tables and the payload placed from their
 * sections; NULL when their sizes fit their entries and each other, else
 * what does not. */
static const char *ix_placeTables(ix_index *ix, const unsigned char *const sec[IX_SEC_KIND_END],
                                  const size_t sec_len[IX_SEC_KIND_END])
{
    static const int kKeys[IX_KINDS] = {IX_SEC_KEYS_GB, IX_SEC_KEYS_OTHER, IX_SEC_KEYS_ATTR, IX_SEC_KEYS_SLIP};
    static const int kFence[IX_KINDS] = {IX_SEC_FENCE_GB, IX_SEC_FENCE_OTHER, IX_SEC_FENCE_ATTR, IX_SEC_FENCE_SLIP};
    const char *why = NULL;
    for (int k = 0; k < IX_KINDS && !why; k++) {
        ix_keys *const ks = &ix->keys[k];
        ks->stride = ix_entryBytes(k);
        unsigned const fstride = ks->stride - 4;
        if (sec_len[kKeys[k]] % ks->stride || sec_len[kFence[k]] % fstride) why = "a key table has a broken size";
        ks->entries = sec[kKeys[k]];
        ks->n = sec_len[kKeys[k]] / ks->stride;
        ks->fence = sec[kFence[k]];
        ks->n_fence = sec_len[kFence[k]] / fstride;
    }
    ix->blocks = sec[IX_SEC_BLOCKS];
    ix->n_blocks = sec_len[IX_SEC_BLOCKS] / IX_BLOCK_ENTRY;
    ix->payload = sec[IX_SEC_PAYLOAD];
    ix->payload_len = sec_len[IX_SEC_PAYLOAD];
    if (!why && sec_len[IX_SEC_BLOCKS] % IX_BLOCK_ENTRY) why = "the block table has a broken size";
    if (!why && !ix_blocksValid(ix)) why = "the block table does not match the payload";
    for (int k = 0; k < IX_KINDS && !why; k++)
        if (ix->keys[k].n_fence != (ix->keys[k].n + IX_FENCE_STEP - 1) / IX_FENCE_STEP)
            why = "a fence table does not match its key table";
    return why;
}

xj_error ix_openBuffer(const void *data, size_t size, const char *name, ix_index **out, xj_status *st)
{
    *out = NULL;
    const unsigned char *const p = data;
    RETURN_ERROR_IF(size < IX_HEADER_BYTES || memcmp(p, IX_MAGIC, 8) != 0, st, XJ_ERR_INPUT,
                    "%s: not an xjdedup index (no XJDXJI header); build one with `xjdedup index build`", name);
    uint32_t const version = ix_u32(p + 8);
    RETURN_ERROR_IF(version != IX_VERSION, st, XJ_ERR_INPUT,
                    "%s: index format version %u, this xjdedup reads version %u; rebuild the index with this "
                    "version",
                    name, version, IX_VERSION);
    RETURN_ERROR_IF(ix_u32(p + 12) != IX_HEADER_BYTES ||
                        XXH3_64bits(p, IX_HEADER_BYTES - 8) != ix_u64(p + IX_HEADER_BYTES - 8),
                    st, XJ_ERR_INPUT, "%s: the index header is damaged (checksum mismatch); rebuild the index", name);
    ix_index *const ix = xj_calloc(1, sizeof *ix);
    RETURN_ERROR_IF(ix == NULL, st, XJ_ERR_NOMEM, "out of memory");
    ix->base = p;
    ix->size = size;
    ix->records = ix_u64(p + 16);
    ix->run_date = ix_u32(p + 24);
    ix->flags = ix_u32(p + 28);
    ix->build_time = ix_u64(p + 32);
    uint32_t const n_sources = ix_u32(p + 40), n_sections = ix_u32(p + 44);
    xj_error err = XJ_OK;
    const char *why = NULL;
    if (ix->records > IX_MAX_RECORDS || n_sources > GK_MAX_SOURCES || n_sections > IX_MAX_SECTIONS ||
        (ix->flags & ~IX_FLAG_ATTR_MIXED))
        why = "impossible counts in the header";
    const unsigned char *sec[IX_SEC_KIND_END] = {0};
    size_t sec_len[IX_SEC_KIND_END] = {0};
    if (!why) why = ix_findSections(ix, p, size, n_sections, sec, sec_len);
    if (!why) why = ix_placeTables(ix, sec, sec_len);
    if (!why) err = ix_parseMeta(ix, sec[IX_SEC_META], sec_len[IX_SEC_META], n_sources, name, st);
    if (why) err = st_fail(st, XJ_ERR_INPUT, "%s: the index is damaged (%s); rebuild it with `xjdedup index build`",
                           name, why);
    if (err) {
        ix_close(ix);
        return err;
    }
    *out = ix;
    return XJ_OK;
}

xj_error ix_open(const char *path, ix_index **out, xj_status *st)
{
    *out = NULL;
    int const fd = open(path, O_RDONLY | O_CLOEXEC);
    RETURN_ERROR_IF(fd < 0, st, XJ_ERR_INPUT, "%s: cannot open the index: %m", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return st_fail(st, XJ_ERR_INPUT, "%s: not a regular file", path);
    }
    size_t const size = (size_t)sb.st_size;
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    RETURN_ERROR_IF(size && map == MAP_FAILED, st, XJ_ERR_INPUT, "%s: cannot map the index: %m", path);
    static const unsigned char kEmpty[1];
    xj_error const err = ix_openBuffer(size ? map : kEmpty, size, path, out, st);
    if (err) {
        if (size) munmap(map, size);
        return err;
    }
    (*out)->map = size ? map : NULL;
    (*out)->map_size = size;
    return XJ_OK;
}

xj_error ix_cursorInit(ix_cursor *c)
{
    memset(c, 0, sizeof *c);
    c->block = SIZE_MAX;
    c->recs = xj_mallocArray(IX_BLOCK_RECORDS, sizeof *c->recs);
    c->text = xj_mallocArray(IX_BLOCK_RECORDS, IX_TEXT_PER_RECORD);
    return c->recs && c->text ? XJ_OK : XJ_ERR_NOMEM;
}

void ix_cursorFree(ix_cursor *c)
{
    xj_free(c->recs);
    xj_free(c->text);
    memset(c, 0, sizeof *c);
}

xj_error ix_readBlock(const ix_index *ix, ix_cursor *c, size_t b, xj_status *st)
{
    if (c->block == b) return XJ_OK;
    c->block = SIZE_MAX;
    c->n = 0;
    RETURN_ERROR_IF(b >= ix->n_blocks, st, XJ_ERR_INTERNAL, "internal error: index block %zu of %zu", b,
                    ix->n_blocks);
    const unsigned char *const e = ix->blocks + b * IX_BLOCK_ENTRY;
    const char *const data = (const char *)ix->payload + ix_u64(e);
    size_t const len = ix_u32(e + 8);
    RETURN_ERROR_IF(XXH3_64bits(data, len) != ix_u64(e + 16), st, XJ_ERR_INPUT,
                    "index block %zu is damaged (checksum mismatch); rebuild the index", b);
    uint32_t const first = ix_u32(e + 12);
    uint64_t const want = b + 1 < ix->n_blocks ? ix_u32(e + IX_BLOCK_ENTRY + 12) - first : ix->records - first;
    size_t n = 0;
    RETURN_ERROR_IF(ix_decodeBlock(data, len, c->recs, IX_BLOCK_RECORDS, c->text, &n) != 0 || n != want, st,
                    XJ_ERR_INPUT, "index block %zu is damaged (bad record layout); rebuild the index", b);
    for (size_t i = 0; i < n; i++)
        RETURN_ERROR_IF(c->recs[i].source >= ix->n_sources, st, XJ_ERR_INPUT,
                        "index block %zu names an unknown source; rebuild the index", b);
    c->block = b;
    c->first = first;
    c->n = n;
    return XJ_OK;
}

xj_error ix_readRecord(const ix_index *ix, ix_cursor *c, uint32_t rec, const ix_record **out, xj_status *st)
{
    if (c->block == SIZE_MAX || rec < c->first || rec - c->first >= c->n) {
        size_t a = 0, b = ix->n_blocks;
        while (a < b) { /* the last block whose first record is <= rec */
            size_t const mid = a + (b - a) / 2;
            if (ix_u32(ix->blocks + mid * IX_BLOCK_ENTRY + 12) <= rec) a = mid + 1;
            else b = mid;
        }
        RETURN_ERROR_IF(a == 0 || rec >= ix->records, st, XJ_ERR_INPUT, "index record %u does not exist", rec);
        FORWARD_IF_ERROR(ix_readBlock(ix, c, a - 1, st));
        RETURN_ERROR_IF(rec - c->first >= c->n, st, XJ_ERR_INPUT, "index record %u does not exist", rec);
    }
    *out = &c->recs[rec - c->first];
    return XJ_OK;
}
