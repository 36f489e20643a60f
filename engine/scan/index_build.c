/*
 * index_build — `xjdedup index build` and `index update`: one pass over the
 * register (the scan's pass 1 with a hook) that packs records into blocks
 * and streams them to the file in record order (ix_writer), then the key
 * tables grouped by key and the rest of the file.
 *
 * While the pass runs, records cannot be numbered yet (workers take chunks
 * in any order), so each worker files its keys under a provisional number,
 * (block id << 10 | position), block id = worker + workers x its block
 * count. Once all blocks are written (in chunk order, which is record
 * order), each gets its first record number, and every key entry is
 * renumbered with one table lookup. An update writes the old index's
 * surviving records first, under block ids from IXB_OLD_BASE on.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ix_index.h"
#include "normalize.h"
#include "scan_internal.h"
#include "xj_alloc.h"

#include <xxhash.h>

#define IXB_POS_BITS 10 /* IX_BLOCK_RECORDS = 1 << 10 */
#define IXB_OLD_BASE (1ull << 36)
enum { IXB_STOP_NOMEM = 1, IXB_STOP_WRITE = 2 };

/* The first reason to stop is the one reported. */
static void ixb_stop(atomic_int *stop, int why)
{
    int none = 0;
    atomic_compare_exchange_strong(stop, &none, why);
}

typedef struct ixb_block {
    uint64_t id;           /* provisional block id */
    uint32_t n;            /* records */
    uint32_t first;        /* record number, once numbered */
    void *data;            /* ix_payload.h's bytes, until written */
    size_t len;
    uint64_t hash;         /* XXH3-64 of data */
} ixb_block;

typedef struct ixb_blocks {
    ixb_block *v;
    size_t n, cap;
} ixb_blocks;

typedef struct ixb_worker {
    unsigned t;            /* this worker's number */
    unsigned n_workers;
    ix_blockBuilder blk;   /* the open block */
    uint64_t open_id;
    uint64_t made;         /* blocks this worker opened */
    ixb_blocks chunk;      /* the current chunk's closed blocks */
} ixb_worker;

/* A chunk's blocks, made, waiting for an earlier chunk to be written. */
typedef struct ixb_pending {
    uint64_t seq;
    ixb_blocks blocks;
} ixb_pending;

/* Blocks go to the file in chunk order, which is record order, as soon as
 * the chunks before them are done: whichever worker finishes the next chunk
 * writes it and any finished ones after it, while the others go on parsing.
 * So the payload is never held whole in memory, and the file is the same
 * for any thread count. */
typedef struct ixb_state {
    ixb_worker *workers;
    ix_writer *out;
    pthread_mutex_t mu;
    int have_mu;
    uint64_t next_seq;     /* the chunk to write next */
    int writing;           /* a worker is writing (one at a time) */
    ixb_pending *pending;
    size_t n_pending, cap_pending;
    ixb_blocks written;    /* every block written (data freed), in file order */
} ixb_state;

static xj_error ixb_push(ixb_blocks *b, const ixb_block *blk)
{
    if (xj_growArray(&b->v, &b->cap, b->n + 1, sizeof *b->v, 16) != 0) return XJ_ERR_NOMEM;
    b->v[b->n++] = *blk;
    return XJ_OK;
}

static void ixb_blocksFree(ixb_blocks *b)
{
    for (size_t i = 0; i < b->n; i++) xj_free(b->v[i].data);
    xj_free(b->v);
    *b = (ixb_blocks){0};
}

/* The builder's block, taken over as block `id` (its hash taken here, on
 * the worker, so the writer only writes). */
static xj_error ixb_keepBlock(ix_blockBuilder *blk, uint64_t id, ixb_blocks *into)
{
    ixb_block b = {.id = id, .n = blk->n};
    b.data = ix_blockTake(blk, &b.len);
    if (b.data == NULL) return XJ_ERR_NOMEM;
    b.hash = XXH3_64bits(b.data, b.len);
    xj_error const err = ixb_push(into, &b);
    if (err) xj_free(b.data);
    return err;
}

/* Writes blocks (in order, with one call for many) and files them as
 * written. The caller is the only writer. */
static xj_error ixb_writeBlocks(ixb_state *s, ixb_blocks *b, xj_status *st)
{
    xj_error err = XJ_OK;
    struct iovec *const v = xj_mallocArray(b->n ? b->n : 1, sizeof *v);
    if (v == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory building the index");
    for (size_t i = 0; !err && i < b->n; i++) v[i] = (struct iovec){b->v[i].data, b->v[i].len};
    if (!err) err = ix_writerPutBlocks(s->out, v, b->n, st);
    for (size_t i = 0; !err && i < b->n; i++) {
        xj_free(b->v[i].data);
        b->v[i].data = NULL;
        err = ixb_push(&s->written, &b->v[i]);
        if (err) st_fail(st, err, "out of memory building the index");
    }
    xj_free(v);
    ixb_blocksFree(b);
    return err;
}

/* Chunk `seq` is done: its blocks join the queue, and unless another worker
 * is writing, this one writes every chunk that is next in line. */
static xj_error ixb_chunkDone(ixb_state *s, uint64_t seq, ixb_blocks *blocks, xj_status *st)
{
    xj_error err = XJ_OK;
    pthread_mutex_lock(&s->mu);
    if (xj_growArray(&s->pending, &s->cap_pending, s->n_pending + 1, sizeof *s->pending, 16) != 0)
        err = XJ_ERR_NOMEM;
    if (err) {
        pthread_mutex_unlock(&s->mu);
        ixb_blocksFree(blocks);
        return st_fail(st, err, "out of memory building the index");
    }
    s->pending[s->n_pending++] = (ixb_pending){seq, *blocks};
    *blocks = (ixb_blocks){0};
    if (s->writing) {
        pthread_mutex_unlock(&s->mu);
        return XJ_OK;
    }
    s->writing = 1;
    for (;;) {
        size_t k = 0;
        while (k < s->n_pending && s->pending[k].seq != s->next_seq) k++;
        if (k == s->n_pending || err) break;
        ixb_blocks next = s->pending[k].blocks;
        s->pending[k] = s->pending[--s->n_pending];
        s->next_seq++;
        pthread_mutex_unlock(&s->mu);
        err = ixb_writeBlocks(s, &next, st);
        pthread_mutex_lock(&s->mu);
    }
    s->writing = 0;
    pthread_mutex_unlock(&s->mu);
    return err;
}

static xj_error ixb_closeBlock(ixb_worker *b)
{
    if (b->blk.n == 0) return XJ_OK;
    FORWARD_IF_ERROR(ixb_keepBlock(&b->blk, b->open_id, &b->chunk));
    b->blk.n = 0;
    return XJ_OK;
}

xj_error ixb_endChunk(sc_run *run, sc_worker *w, const rd_chunk *chunk)
{
    xj_error const err = ixb_closeBlock(w->ixb);
    RETURN_ERROR_IF(err, &w->st, err, "out of memory building the index");
    return ixb_chunkDone(run->ixb, chunk->seq, &w->ixb->chunk, &w->st);
}

static xj_error ixb_add(sc_worker *w, const ix_record *r, uint64_t *key_ref)
{
    ixb_worker *const b = w->ixb;
    if (b->blk.n == IX_BLOCK_RECORDS || (b->blk.n && b->blk.source != r->source)) FORWARD_IF_ERROR(ixb_closeBlock(b));
    if (b->blk.n == 0) {
        FORWARD_IF_ERROR(ix_blockBegin(&b->blk, r->source, r->line));
        b->open_id = b->t + (uint64_t)b->n_workers * b->made++;
    }
    uint32_t const pos = b->blk.n;
    FORWARD_IF_ERROR(ix_encodeRecord(&b->blk, r));
    *key_ref = b->open_id << IXB_POS_BITS | pos;
    return XJ_OK;
}

/* The name is kept as read: a check normalizes the few register records it
 * uses, so the build does not normalize every name. */
xj_error ixb_addRecord(sc_run *run, sc_worker *w, const rd_chunk *chunk, const ps_view *v, const ck_facts *f,
                       uint64_t line, uint64_t *key_ref)
{
    ix_record const r = {
        .line = line,
        .source = run->source_base + chunk->source,
        .registered = f->registered,
        .birth = f->birth,
        .sex = (uint8_t)f->sex,
        .has_id = f->id_len != 0,
        .reason = (uint8_t)f->id_res.reason,
        .id_type = f->id_type,
        .school = v->val[PS_SCHOOL_CODE],
        .school_len = v->len[PS_SCHOOL_CODE],
        .county = v->val[PS_REGION_CODE],
        .county_len = v->len[PS_REGION_CODE],
        .student_no = v->val[PS_STUDENT_NO],
        .student_no_len = v->len[PS_STUDENT_NO],
        .name = v->val[PS_NAME],
        .name_len = v->len[PS_NAME],
        .valid_id = f->id_res.reason == XJ_ID_OK && f->id_res.space == ID_KEY_GB && f->id_len == 18 ? f->id : NULL,
    };
    xj_error const err = ixb_add(w, &r, key_ref);
    RETURN_ERROR_IF(err == XJ_ERR_NOMEM, &w->st, err, "out of memory building the index");
    RETURN_ERROR_IF(err, &w->st, err, "internal error: a record out of order for its index block");
    return XJ_OK;
}

static void ixb_free(sc_run *run, ixb_state *s)
{
    for (int t = 0; s->workers && t < run->n_workers; t++) {
        ix_builderFree(&s->workers[t].blk);
        ixb_blocksFree(&s->workers[t].chunk);
    }
    xj_free(s->workers);
    for (size_t k = 0; k < s->n_pending; k++) ixb_blocksFree(&s->pending[k].blocks);
    xj_free(s->pending);
    ixb_blocksFree(&s->written);
    ix_writerAbort(s->out); /* NULL once finished */
    if (s->have_mu) pthread_mutex_destroy(&s->mu);
    for (int t = 0; run->workers && t < run->n_workers; t++) run->workers[t].ixb = NULL;
    run->ixb = NULL;
}

static xj_error ixb_init(sc_run *run, ixb_state *s, const char *path)
{
    s->workers = xj_calloc((size_t)run->n_workers, sizeof *s->workers);
    RETURN_ERROR_IF(s->workers == NULL, &run->scan->st, XJ_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->have_mu = 1;
    for (int t = 0; t < run->n_workers; t++) {
        ixb_worker *const b = &s->workers[t];
        b->t = (unsigned)t;
        b->n_workers = (unsigned)run->n_workers;
        ix_builderInit(&b->blk);
        run->workers[t].ixb = b;
    }
    run->ixb = s;
    return ix_writerOpen(path, &s->out, &run->scan->st);
}

/* Entries of equal keys by record number (bit 31 of attribute entries is a
 * flag, not part of the number); the record is an entry's last 4 bytes. */
static int ixb_cmpRecAt(const unsigned char *x, const unsigned char *y)
{
    uint32_t const a = (uint32_t)ix_loadLE(x, 4) & ~IX_REC_HAS_ID, b = (uint32_t)ix_loadLE(y, 4) & ~IX_REC_HAS_ID;
    return a < b ? -1 : a > b;
}

static int ixb_cmpNarrow(const void *a, const void *b)
{
    return ixb_cmpRecAt((const unsigned char *)a + IX_NARROW_ENTRY - 4, (const unsigned char *)b + IX_NARROW_ENTRY - 4);
}

static int ixb_cmpWide(const void *a, const void *b)
{
    return ixb_cmpRecAt((const unsigned char *)a + IX_WIDE_ENTRY - 4, (const unsigned char *)b + IX_WIDE_ENTRY - 4);
}

/* Everything between the pass and the file: blocks numbered, keys
 * renumbered. */
typedef struct ixb_plan {
    uint32_t *new_first;   /* by new-block id (t + nw * j) */
    size_t n_new_ids;
    uint32_t *old_first;   /* by old block number */
    uint64_t records;
} ixb_plan;

static uint32_t ixb_recordOf(const ixb_plan *p, uint64_t provisional)
{
    uint64_t const id = (provisional & ~GK_HAS_ID) >> IXB_POS_BITS;
    uint32_t const pos = (uint32_t)(provisional & ((1u << IXB_POS_BITS) - 1));
    uint32_t const first = id >= IXB_OLD_BASE ? p->old_first[id - IXB_OLD_BASE] : p->new_first[id];
    return (first + pos) | ((provisional & GK_HAS_ID) ? IX_REC_HAS_ID : 0);
}

/* Shard `sh` of every table in `tabs`, sorted, renumbered from provisional
 * to final record numbers (equal keys in record order: provisional numbers
 * are not) and laid out as in the file, into *out (m entries); the keys of
 * its fence entries go to `fence`, the shard being entries base.. of the
 * section. -1 when memory runs out. */
static int ixb_layShard(gk_table **tabs, size_t n_tabs, unsigned sh, int kind, const ixb_plan *p, size_t base,
                        unsigned char *fence, unsigned char **out, size_t *m)
{
    size_t const stride = kind == GD_KEY_GB ? 2 : 3; /* uint64_t words of a gk entry */
    unsigned const eb = ix_entryBytes(kind);
    gk_vec sorted;
    *out = NULL;
    *m = 0;
    if (gk_sortShard(tabs, n_tabs, sh, &sorted) != 0) return -1;
    if (sorted.n == 0) return 0;
    unsigned char *const e = xj_mallocArray(sorted.n, eb);
    if (e == NULL) {
        xj_free(sorted.v);
        return -1;
    }
    const uint64_t *const v = sorted.v;
    for (size_t i = 0; i < sorted.n;) {
        const uint64_t *const key = v + i * stride;
        size_t j = i;
        for (; j < sorted.n && v[j * stride] == key[0] && (stride == 2 || v[j * stride + 1] == key[1]); j++) {
            const uint64_t *const x = v + j * stride;
            ix_putEntry(e, kind, j, stride == 3 ? x[0] : 0, x[stride - 2], ixb_recordOf(p, x[stride - 1]));
        }
        if (j - i > 1) qsort(e + i * eb, j - i, eb, kind == GD_KEY_GB ? ixb_cmpNarrow : ixb_cmpWide);
        i = j;
    }
    ix_putFences(fence, kind, e, base, sorted.n);
    *out = e;
    *m = sorted.n;
    xj_free(sorted.v);
    return 0;
}

/* The key sections, streamed: shards are sorted and laid out in parallel,
 * each into its own buffer, and written in shard order (the file's) as
 * soon as the shards before them are, while the other threads go on
 * sorting. So the sections are never held whole in memory and their
 * writing overlaps the sort. `extra`: an update's old entries. */
static xj_error ixb_keys(sc_run *run, const ixb_plan *p, gk_table *extra, ix_writer *out)
{
    xj_status *const st = &run->scan->st;
    int const nw = run->n_workers;
    size_t const n_tabs = (size_t)nw + 1;
    gk_table **const tabs = xj_calloc(n_tabs, sizeof *tabs);
    size_t *const offset = xj_calloc(GK_SHARDS + 1, sizeof *offset);
    xj_error err = tabs && offset ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (int kind = 0; kind < IX_KINDS && !err; kind++) {
        for (int t = 0; t < nw; t++)
            tabs[t] = sc_keyTable(&run->workers[t], kind);
        tabs[nw] = &extra[kind];
        /* each shard's place in the section (for its fences) is known before it is sorted */
        for (unsigned sh = 0; sh < GK_SHARDS; sh++) {
            offset[sh + 1] = offset[sh];
            for (size_t t = 0; t < n_tabs; t++) offset[sh + 1] += tabs[t]->shard[sh].n;
        }
        size_t const n = offset[GK_SHARDS];
        unsigned char *const fence = xj_mallocArray(n ? ix_fenceCount(n) : 1, ix_entryBytes(kind) - 4);
        err = fence ? ix_writerBeginKeys(out, kind, st) : st_fail(st, XJ_ERR_NOMEM, "out of memory");
        /* set by a shard that could not be sorted or written: no later
         * shard is written (nor, from then on, sorted) */
        atomic_int stop = 0;
        xj_error write_err = XJ_OK; /* written in shard order only, read after the loop */
#pragma omp parallel for ordered schedule(dynamic, 1) num_threads(nw) if (!err)
        for (int sh = 0; sh < (int)GK_SHARDS; sh++) {
            unsigned char *entries = NULL;
            size_t m = 0;
            if (!err && !atomic_load(&stop) &&
                ixb_layShard(tabs, n_tabs, (unsigned)sh, kind, p, offset[sh], fence, &entries, &m) != 0)
                ixb_stop(&stop, IXB_STOP_NOMEM);
#pragma omp ordered
            if (!err && !atomic_load(&stop) && m && (write_err = ix_writerPutKeys(out, entries, m, st)) != XJ_OK)
                ixb_stop(&stop, IXB_STOP_WRITE);
            xj_free(entries);
        }
        if (!err && atomic_load(&stop) == IXB_STOP_NOMEM) err = st_fail(st, XJ_ERR_NOMEM, "out of memory sorting keys");
        if (!err) err = write_err;
        if (!err) err = ix_writerEndKeys(out, fence, st);
        xj_free(fence);
    }
    xj_free(offset);
    xj_free(tabs);
    return err;
}

/* Numbers the blocks, written in record order, and maps their provisional
 * ids to their first record numbers. */
static xj_error ixb_planMake(sc_run *run, ixb_blocks *written, ixb_plan *p)
{
    xj_status *const st = &run->scan->st;
    size_t max_made = 0, n_old_ids = 0;
    for (int t = 0; t < run->n_workers; t++)
        if (run->workers[t].ixb->made > max_made) max_made = run->workers[t].ixb->made;
    for (size_t i = 0; i < written->n; i++)
        if (written->v[i].id >= IXB_OLD_BASE && written->v[i].id - IXB_OLD_BASE + 1 > n_old_ids)
            n_old_ids = written->v[i].id - IXB_OLD_BASE + 1;
    p->n_new_ids = max_made * (size_t)run->n_workers;
    p->new_first = xj_mallocArray(p->n_new_ids ? p->n_new_ids : 1, sizeof *p->new_first);
    p->old_first = xj_mallocArray(n_old_ids ? n_old_ids : 1, sizeof *p->old_first);
    RETURN_ERROR_IF(!p->new_first || !p->old_first, st, XJ_ERR_NOMEM, "out of memory");
    uint64_t rec = 0;
    for (size_t i = 0; i < written->n; i++) {
        ixb_block *const b = &written->v[i];
        RETURN_ERROR_IF(rec + b->n > IX_MAX_RECORDS, st, XJ_ERR_LIMIT, "more than %u records for one index",
                        IX_MAX_RECORDS);
        b->first = (uint32_t)rec;
        if (b->id >= IXB_OLD_BASE) p->old_first[b->id - IXB_OLD_BASE] = b->first;
        else p->new_first[b->id] = b->first;
        rec += b->n;
    }
    p->records = rec;
    return XJ_OK;
}

static uint64_t ixb_buildTime(void)
{
    const char *const env = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
    if (env && *env) return strtoull(env, NULL, 10);
    return (uint64_t)time(NULL);
}

/* Pass (blocks written as it goes), plan, keys, the rest of the file.
 * `old`: the update's surviving old blocks, written first, and their key
 * entries (in `extra`), with `old_sources` first in the source list. */
static xj_error ixb_run(sc_run *run, const char *path, uint32_t flags, ixb_blocks *old, gk_table *extra,
                        const ix_source *old_sources, size_t n_old_sources)
{
    xj_scan *const s = run->scan;
    xj_status *const st = &s->st;
    ixb_state state = {0};
    ixb_plan plan = {0};
    ix_source *sources = NULL;
    ix_block *blocks = NULL;
    xj_error err = ixb_init(run, &state, path);
    if (!err) err = ixb_writeBlocks(&state, old, st);
    if (!err && run->n_inputs) err = sc_forEachChunk(run, 1, sc_pass1Chunk, "reading");
    run->timing.read_parse_seconds = em_now() - run->start;
    if (!err && state.n_pending)
        err = st_fail(st, XJ_ERR_INTERNAL, "internal error: %zu chunks of blocks not written", state.n_pending);
    if (!err) err = ixb_planMake(run, &state.written, &plan);
    size_t const n_sources = n_old_sources + run->n_inputs;
    size_t const n_blocks = state.written.n;
    if (!err) {
        sources = xj_calloc(n_sources ? n_sources : 1, sizeof *sources);
        blocks = xj_calloc(n_blocks ? n_blocks : 1, sizeof *blocks);
        if (!sources || !blocks) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    }
    ix_writeSpec spec = {0};
    if (!err) {
        for (size_t i = 0; i < n_old_sources; i++) sources[i] = old_sources[i];
        for (size_t i = 0; i < run->n_inputs; i++) {
            em_input const *const f = &run->inputs[i].facts;
            sources[n_old_sources + i].name = (char *)f->name;
            sources[n_old_sources + i].bytes = f->bytes;
            memcpy(sources[n_old_sources + i].xxh3_128, f->xxh3_128, sizeof f->xxh3_128);
        }
        for (size_t i = 0; i < n_blocks; i++) {
            ixb_block const *const b = &state.written.v[i];
            blocks[i] = (ix_block){b->len, b->hash, b->first, b->n};
        }
        spec = (ix_writeSpec){
            .records = plan.records,
            .run_date = run->idctx.run_date,
            .flags = flags,
            .build_time = ixb_buildTime(),
            .sources = sources,
            .n_sources = n_sources,
            .blocks = blocks,
            .n_blocks = n_blocks,
        };
        err = ix_writerPutMeta(state.out, &spec, st);
    }
    if (!err) err = ixb_keys(run, &plan, extra, state.out);
    if (!err) {
        ix_writer *const out = state.out;
        state.out = NULL; /* finishing frees it, whatever happens */
        err = ix_writerFinish(out, &spec, st);
    }
    if (!err) {
        uint64_t accepted = 0, blank = 0;
        size_t rejected = 0;
        for (int t = 0; t < run->n_workers; t++) {
            accepted += run->workers[t].accepted;
            blank += run->workers[t].blank;
            rejected += run->workers[t].n_rej;
        }
        memset(&s->stats, 0, sizeof s->stats);
        s->stats.rows_accepted = accepted;
        s->stats.rows_rejected = rejected;
        s->stats.rows_read = accepted + rejected;
        s->stats.blank_lines = blank;
        for (size_t i = 0; i < run->n_inputs; i++) s->stats.bytes_read += run->inputs[i].facts.decoded_bytes;
        s->stats.wall_seconds = em_now() - run->start;
    }
    xj_free(blocks);
    xj_free(sources);
    xj_free(plan.new_first);
    xj_free(plan.old_first);
    ixb_free(run, &state);
    return err;
}

/* PATH.rejects.csv: taken before the index is committed, so a build
 * without rejects allocates nothing after it. */
static char *ixb_rejectsPath(const char *path)
{
    char *const rp = xj_malloc(strlen(path) + 16);
    if (rp) sprintf(rp, "%s.rejects.csv", path);
    return rp;
}

/* A list beside the index, `fp` = the index's path + `suffix`, written
 * whole or not at all (a temporary, then a rename); `what` names it in an
 * error. */
static xj_error ixb_writeBeside(const char *fp, const char *suffix, const xj_buf *b, const char *what,
                                xj_status *st)
{
    xj_error err = XJ_OK;
    char *const tmp = xj_malloc(strlen(fp) + 32);
    if (tmp) {
        size_t const base = strlen(fp) - strlen(suffix);
        snprintf(tmp, strlen(fp) + 32, "%.*s.tmp%ld%s", (int)base, fp, (long)getpid(), suffix);
    }
    if (tmp == NULL) return st_fail(st, XJ_ERR_NOMEM, "out of memory writing %s", fp);
    FILE *const f = fopen(tmp, "wb");
    int ok = f != NULL && fwrite(b->data, 1, b->len, f) == b->len;
    ok = f != NULL && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    if (f != NULL && fclose(f) != 0) ok = 0;
    if (ok) ok = rename(tmp, fp) == 0;
    if (!ok) {
        err = st_fail(st, XJ_ERR_IO, "%s: cannot write %s: %m", fp, what);
        unlink(tmp);
    }
    xj_free(tmp);
    return err;
}

/* rejects go next to the index, so no row is lost silently */
static xj_error ixb_writeRejects(sc_run *run, const char *rp, xj_status *st)
{
    size_t n = 0;
    for (int t = 0; t < run->n_workers; t++) n += run->workers[t].n_rej;
    if (n == 0) {
        remove(rp);
        return XJ_OK;
    }
    em_reject *const all = xj_mallocArray(n, sizeof *all);
    xj_buf b;
    buf_init(&b, SIZE_MAX / 2);
    xj_error err = all ? buf_appendStr(&b, EM_REJECTS_HEADER) : XJ_ERR_NOMEM;
    size_t at = 0;
    for (int t = 0; all && t < run->n_workers; t++)
        for (size_t i = 0; i < run->workers[t].n_rej; i++) all[at++] = run->workers[t].rej[i];
    if (all) em_sortRejects(all, n); /* the order of a scan's rejects.csv */
    for (size_t i = 0; !err && i < n; i++)
        err = em_appendRejectRow(&b, &all[i], run->inputs[all[i].source].facts.name);
    xj_free(all);
    if (!err) err = ixb_writeBeside(rp, ".rejects.csv", &b, "the rejected rows", st);
    else err = st_fail(st, err, "out of memory listing rejected rows");
    buf_free(&b);
    return err;
}

static xj_error ixb_checkPath(xj_scan *s, const char *path)
{
    RETURN_ERROR_IF(path == NULL || *path == '\0', &s->st, XJ_ERR_USAGE, "no index path given (-o FILE.xji)");
    return XJ_OK;
}


/* Student numbers to remove: one a line, trimmed; sorted for bsearch. Each
 * remembers its line and whether it matched a record, so the numbers that
 * matched nothing can be listed in the file's order. */
typedef struct ixb_removal {
    char *student_no;
    size_t line;           /* in the file, 1-based */
    int matched;           /* an old record had it */
} ixb_removal;

typedef struct ixb_removals {
    ixb_removal *v;
    size_t n;
    size_t unmatched;      /* distinct numbers that matched no record */
} ixb_removals;

static int ixb_cmpRemoval(const void *a, const void *b)
{
    const ixb_removal *const x = a, *const y = b;
    int const c = strcmp(x->student_no, y->student_no);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int ixb_cmpRemovalLine(const void *a, const void *b)
{
    size_t const x = ((const ixb_removal *)a)->line, y = ((const ixb_removal *)b)->line;
    return (x > y) - (x < y);
}

static void ixb_removalsFree(ixb_removals *r)
{
    for (size_t i = 0; i < r->n; i++) xj_free(r->v[i].student_no);
    xj_free(r->v);
}

static xj_error ixb_readRemovals(const char *path, ixb_removals *out, xj_status *st)
{
    memset(out, 0, sizeof *out);
    if (path == NULL) return XJ_OK;
    FILE *const f = fopen(path, "rb");
    RETURN_ERROR_IF(f == NULL, st, XJ_ERR_INPUT, "%s: cannot open: %m", path);
    char line[512];
    size_t cap = 0, lineno = 0;
    xj_error err = XJ_OK;
    while (!err && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            err = st_fail(st, XJ_ERR_INPUT, "%s:%zu: a line longer than %zu bytes is not a student number", path,
                          lineno, sizeof line - 2);
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        const char *v = line;
        nm_trim(&v, &n); /* as a record's student number is compared */
        if (n == 0) continue;
        if (xj_growArray(&out->v, &cap, out->n + 1, sizeof *out->v, 256) != 0) {
            err = XJ_ERR_NOMEM;
            break;
        }
        if ((out->v[out->n].student_no = xj_strndup(v, n)) == NULL) { err = XJ_ERR_NOMEM; break; }
        out->v[out->n].line = lineno;
        out->v[out->n].matched = 0;
        out->n++;
    }
    fclose(f);
    if (err == XJ_ERR_NOMEM) err = st_fail(st, err, "out of memory reading %s", path);
    if (!err && out->n) qsort(out->v, out->n, sizeof *out->v, ixb_cmpRemoval);
    return err;
}

/* 1 when the record's (trimmed) student number is listed; marks every line
 * that lists it as matched. */
static int ixb_removed(ixb_removals *r, const ix_record *rec)
{
    if (r->n == 0) return 0;
    const char *s = rec->student_no;
    size_t n = rec->student_no_len;
    nm_trim(&s, &n);
    char key[512];
    if (n >= sizeof key) return 0;
    memcpy(key, s, n);
    key[n] = '\0';
    size_t lo = 0, hi = r->n; /* the first entry not below key */
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (strcmp(r->v[mid].student_no, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    int found = 0;
    for (; lo < r->n && strcmp(r->v[lo].student_no, key) == 0; lo++) r->v[lo].matched = found = 1;
    return found;
}

/* After the old records were read: the numbers that matched none, each once
 * (its first line), in the file's order, one a line into *out (the list
 * beside the new index). */
static xj_error ixb_listUnmatched(ixb_removals *r, xj_buf *out)
{
    /* sorted by (number, line): the first of a run of one number is its
     * first line; the others are marked before any is freed */
    for (size_t i = r->n; i-- > 1;)
        if (strcmp(r->v[i].student_no, r->v[i - 1].student_no) == 0) r->v[i].matched = 1;
    size_t keep = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->v[i].matched) r->v[keep++] = r->v[i];
        else xj_free(r->v[i].student_no);
    }
    r->n = keep;
    r->unmatched = keep;
    if (r->n > 1) qsort(r->v, r->n, sizeof *r->v, ixb_cmpRemovalLine);
    for (size_t i = 0; i < r->n; i++) {
        FORWARD_IF_ERROR(buf_appendStr(out, r->v[i].student_no));
        FORWARD_IF_ERROR(buf_appendByte(out, '\n'));
    }
    return XJ_OK;
}

/* The attribute key the build files for a record with an ID under
 * --attr-scope mixed, made from an old record (its name is kept as read, so
 * it is normalized here as pass 1 normalizes it). */
static xj_error ixb_oldAttrKey(sc_worker *w, const ix_record *r, gk_key *k)
{
    FORWARD_IF_ERROR(nm_normalizeName(r->name, r->name_len, &w->ck.name));
    *k = gk_attrKey(w->keytext, w->ck.name.data ? w->ck.name.data : "", w->ck.name.len, r->sex, r->birth);
    return XJ_OK;
}

/* The old index's records that survive, re-encoded as blocks under old ids,
 * and their key entries in `extra`. The run's attribute scope may differ
 * from the old index's (xj_scan_setAttrScope on an update): the attribute
 * entries of records with an ID are then dropped (to noid) or made from the
 * records (to mixed), so the result is what a build with that scope gives. */
static xj_error ixb_carryOld(sc_run *run, const ix_index *old, ixb_removals *rm, ixb_blocks *out,
                             gk_table *extra, uint64_t *removed)
{
    xj_status *const st = &run->scan->st;
    int const was_mixed = (old->flags & IX_FLAG_ATTR_MIXED) != 0;
    int const mixed = run->scan->attr_scope == XJ_ATTR_MIXED;
    uint64_t *const prov = xj_mallocArray(old->records ? old->records : 1, sizeof *prov);
    ix_blockBuilder blk;
    ix_builderInit(&blk);
    ix_cursor cur;
    xj_error err = ix_cursorInit(&cur);
    if (!prov || err) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (size_t b = 0; !err && b < old->n_blocks; b++) {
        err = ix_readBlock(old, &cur, b, st);
        if (err) break;
        for (size_t i = 0; !err && i < cur.n; i++) {
            const ix_record *const r = &cur.recs[i];
            if (ixb_removed(rm, r)) {
                prov[cur.first + i] = UINT64_MAX;
                (*removed)++;
                continue;
            }
            if (blk.n == 0) err = ix_blockBegin(&blk, r->source, r->line);
            uint64_t const p = (IXB_OLD_BASE + b) << IXB_POS_BITS | blk.n;
            prov[cur.first + i] = p;
            if (!err) err = ix_encodeRecord(&blk, r);
            if (!err && mixed && !was_mixed && r->has_id) {
                gk_key k;
                err = ixb_oldAttrKey(&run->workers[0], r, &k);
                if (err == XJ_ERR_INPUT) {
                    err = st_fail(st, XJ_ERR_INTERNAL, "internal error: the name of a record of the old index "
                                                       "(%s line %llu) cannot be normalized",
                                  r->source < old->n_sources ? old->sources[r->source].name : "?",
                                  (unsigned long long)r->line);
                    break;
                }
                if (!err) err = gk_add(&extra[GD_KEY_ATTR], k.hi, k.lo, p | GK_HAS_ID);
            }
        }
        if (!err && blk.n) err = ixb_keepBlock(&blk, IXB_OLD_BASE + b, out);
        blk.n = 0;
        if (err && err != XJ_ERR_INPUT && err != XJ_ERR_INTERNAL)
            err = st_fail(st, err, "out of memory copying the old index");
    }
    for (int k = 0; !err && k < IX_KINDS; k++) {
        for (size_t i = 0; i < old->keys[k].n && !err; i++) {
            uint32_t const rec = ix_entryRecord(old, k, i);
            uint64_t const p = prov[rec & ~IX_REC_HAS_ID];
            if (p == UINT64_MAX) continue;
            if (k == GD_KEY_ATTR && (rec & IX_REC_HAS_ID) && !mixed) continue; /* mixed to noid */
            uint64_t hi, lo;
            ix_entryKey(old, k, i, &hi, &lo);
            err = gk_add(&extra[k], hi, lo, p | ((rec & IX_REC_HAS_ID) ? GK_HAS_ID : 0));
            if (err) err = st_fail(st, err, "out of memory copying the old index");
        }
    }
    ix_cursorFree(&cur);
    ix_builderFree(&blk);
    xj_free(prov);
    return err;
}

/* "2026-11-28" */
static const char *ixb_dateText(uint32_t d, char out[16])
{
    snprintf(out, 16, "%04u-%02u-%02u", d / 10000 % 10000, d / 100 % 100, d % 100);
    return out;
}

/* An update keeps the old index's run date and attribute scope unless the
 * handle sets them. A scope set is applied to the old records as well
 * (ixb_carryOld); a run date set applies to the batch only, because the
 * records carried over keep the ID reasons they were checked with (the index
 * keeps no invalid ID to check again): a warning says so. */
static xj_error ixb_settleUpdate(xj_scan *s, const ix_index *old, const char *old_path)
{
    uint32_t const was = old->run_date;
    if (s->run_date == 0) s->run_date = was;
    if (!s->attr_scope_set) s->attr_scope = (old->flags & IX_FLAG_ATTR_MIXED) ? XJ_ATTR_MIXED : XJ_ATTR_NOID;
    if (s->run_date == was || old->records == 0) return XJ_OK;
    char a[16], b[16];
    xj_error const err =
        nt_add(&s->warnings,
               "--run-date %s differs from the run date of %s (%s): the batch's IDs are checked for %s and the "
               "new index is dated %s, but the %llu records carried over keep the ID reasons they were checked "
               "with for %s; to check every record for one date, rebuild the index from the register files",
               ixb_dateText(s->run_date, a), old_path, ixb_dateText(was, b), a, a,
               (unsigned long long)old->records, b);
    RETURN_ERROR_IF(err, &s->st, err, "out of memory");
    return XJ_OK;
}

/* PATH.unmatched.txt: --remove numbers that matched no record of the old
 * index. Like the rejects, it is there exactly when it has lines. */
static char *ixb_besidePath(const char *path, const char *suffix)
{
    size_t const n = strlen(path) + strlen(suffix) + 1;
    char *const p = xj_malloc(n);
    if (p) snprintf(p, n, "%s%s", path, suffix);
    return p;
}

/* A build (old_path NULL) or an update. */
static xj_error ixb_main(xj_scan *s, const char *old_path, const char *remove_path, const char *path)
{
    st_init(&s->st);
    memset(&s->stats, 0, sizeof s->stats);
    nt_clear(&s->warnings);
    FORWARD_IF_ERROR(ixb_checkPath(s, path));
    ix_index *old = NULL;
    if (old_path) FORWARD_IF_ERROR(ix_open(old_path, &old, &s->st));
    ixb_removals rm;
    xj_error err = ixb_readRemovals(remove_path, &rm, &s->st);
    /* the handle's settings are restored at the end: it may run again */
    xj_attrScope const saved_scope = s->attr_scope;
    uint32_t const saved_date = s->run_date;
    if (!err && old) err = ixb_settleUpdate(s, old, old_path);
    uint32_t const flags = s->attr_scope == XJ_ATTR_MIXED ? IX_FLAG_ATTR_MIXED : 0;
    sc_run run;
    memset(&run, 0, sizeof run);
    run.scan = s;
    run.start = em_now();
    gk_table extra[IX_KINDS];
    for (int k = 0; k < IX_KINDS; k++) gk_tableInit(&extra[k], k != 0);
    ixb_blocks old_blocks = {0};
    uint64_t removed = 0;
    size_t const listed = rm.n;
    xj_buf unmatched;
    buf_init(&unmatched, SIZE_MAX / 2);
    char *const rejects_path = err ? NULL : ixb_rejectsPath(path);
    char *const unmatched_path = err ? NULL : ixb_besidePath(path, ".unmatched.txt");
    if (!err && (rejects_path == NULL || unmatched_path == NULL)) err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = sc_prepare(&run, SC_NO_OUTDIR | SC_ONE_PASS | (old ? SC_NO_INPUT_OK : 0));
    if (!err && old && old->n_sources + run.n_inputs > GK_MAX_SOURCES)
        err = st_fail(&s->st, XJ_ERR_LIMIT, "more than %u sources in one index", GK_MAX_SOURCES);
    if (!err && old) err = ixb_carryOld(&run, old, &rm, &old_blocks, extra, &removed);
    if (!err && ixb_listUnmatched(&rm, &unmatched) != XJ_OK) err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    if (!err && rm.unmatched &&
        nt_add(&s->warnings, "%zu student number%s in %s (of %zu lines) matched no record of %s and removed "
                             "nothing; listed in %s", rm.unmatched, rm.unmatched == 1 ? "" : "s", remove_path,
               listed, old_path, unmatched_path) != XJ_OK)
        err = st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    run.source_base = old ? (uint32_t)old->n_sources : 0;
    if (!err)
        err = ixb_run(&run, path, flags, &old_blocks, extra, old ? old->sources : NULL, old ? old->n_sources : 0);
    if (!err) err = ixb_writeRejects(&run, rejects_path, &s->st);
    if (!err && unmatched.len)
        err = ixb_writeBeside(unmatched_path, ".unmatched.txt", &unmatched, "the unmatched student numbers", &s->st);
    else if (!err) remove(unmatched_path); /* none: no list from an earlier update stays */
    if (!err) {
        s->stats.removed_records = removed;
        s->stats.remove_unmatched = rm.unmatched;
        s->stats.run_date = run.idctx.run_date;
        s->stats.attr_mixed = s->attr_scope == XJ_ATTR_MIXED;
    }
    buf_free(&unmatched);
    ixb_blocksFree(&old_blocks);
    for (int k = 0; k < IX_KINDS; k++) gk_tableFree(&extra[k]);
    sc_runFree(&run);
    ixb_removalsFree(&rm);
    xj_free(rejects_path);
    xj_free(unmatched_path);
    ix_close(old);
    s->attr_scope = saved_scope;
    s->run_date = saved_date;
    if (err && s->st.code == XJ_OK) st_fail(&s->st, err, "%s", xj_errorName(err));
    return err;
}

xj_error xj_scan_buildIndex(xj_scan *s, const char *path)
{
    return ixb_main(s, NULL, NULL, path);
}

xj_error xj_scan_updateIndex(xj_scan *s, const char *old_path, const char *remove_path, const char *path)
{
    if (old_path == NULL || *old_path == '\0') return st_fail(&s->st, XJ_ERR_USAGE, "no index to update given");
    return ixb_main(s, old_path, remove_path, path);
}
