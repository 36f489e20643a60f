/*
 * ixb_dist — `index build` on several processes (docs/mpi.md): each reads
 * its share of the inputs (scan_dist.c shares them out), and rank 0 writes
 * the one index file, byte for byte the file one process writes.
 *
 * Each process packs its records into blocks as one process does
 * (ixb_blocks.c), but appends them to a spill beside the index,
 * `PATH.tmpPID.partR`, instead of the file. After pass 1:
 *   1. rank 0 learns every process's blocks (input, records, size, hash,
 *      place in its spill) and numbers them in input order — the order one
 *      process writes them in, since an input is read by one process, in
 *      order — and every process learns its blocks' first record numbers;
 *   2. every process renumbers its key entries from provisional to final
 *      record numbers, and rank 0 opens every spill, after which each
 *      process removes its own (the open descriptor keeps the bytes: a job
 *      killed from then on leaves no spill behind);
 *   3. every process sends rank 0 what pass 1 found (counts, rejects, the
 *      inputs' sizes and hashes: scan_dist.c packs them), and rank 0
 *      copies the blocks from the spills into the file in their order and
 *      writes META;
 *   4. the keys go to the processes that own their shards, as in a scan;
 *      each sorts and lays out its shards (ixb_layShard, where each starts
 *      in its section known from every shard's count), and rank 0 writes
 *      them in rank order — shard order — with the fence, one process's
 *      share at a time, then the rest of the file as one process does.
 * Cost: the payload is written twice (spill, then file) and read once;
 * the keys cross the network once, like a scan's; rank 0 holds its own
 * keys and one other process's laid-out share, not every key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ixb_internal.h"
#include "xj_alloc.h"
#include "xj_comm.h"

#define IXB_COPY_BYTES (64u << 20) /* spill bytes read at a time by rank 0 */

xj_error ixb_distOpen(ixb_state *s, sc_run *run, const char *path)
{
    xj_status *const st = &run->scan->st;
    size_t const n = strlen(path) + 64;
    s->spill_path = xj_malloc(n);
    RETURN_ERROR_IF(s->spill_path == NULL, st, XJ_ERR_NOMEM, "out of memory");
    snprintf(s->spill_path, n, "%s.tmp%ld.part%d", path, (long)getpid(), run->rank);
    s->spill_fd = open(s->spill_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    RETURN_ERROR_IF(s->spill_fd < 0, st, XJ_ERR_IO, "%s: cannot create: %s; the index's directory must be writable "
                    "by every process", s->spill_path, strerror(errno));
    return XJ_OK;
}

void ixb_distClose(ixb_state *s)
{
    if (s->spill_path == NULL) return;
    if (s->spill_fd >= 0) {
        close(s->spill_fd);
        unlink(s->spill_path); /* gone already when all went well */
    }
    s->spill_fd = -1;
    xj_free(s->spill_path);
    s->spill_path = NULL;
}

xj_error ixb_spillBlocks(ixb_state *s, ixb_blocks *b, xj_status *st)
{
    for (size_t i = 0; i < b->n; i++) {
        ixb_block *const blk = &b->v[i];
        blk->spill_at = s->spill_len;
        for (size_t done = 0; done < blk->len;) {
            ssize_t const w = write(s->spill_fd, (const char *)blk->data + done, blk->len - done);
            if (w < 0 && errno == EINTR) continue;
            RETURN_ERROR_IF(w <= 0, st, XJ_ERR_IO, "%s: cannot write: %s", s->spill_path,
                            w < 0 ? strerror(errno) : "no space");
            done += (size_t)w;
        }
        s->spill_len += blk->len;
    }
    return XJ_OK;
}

/* ---- 1. the blocks numbered ---- */

/* A block as rank 0 sees it. */
typedef struct ixb_far {
    uint32_t rank, source;
    uint64_t at;          /* its index in that process's written list */
    uint32_t n, first;
    uint64_t len, hash, spill_at;
} ixb_far;

static int ixb_cmpFar(const void *pa, const void *pb)
{
    const ixb_far *const a = pa, *const b = pb;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    return a->at < b->at ? -1 : a->at > b->at; /* one process per input: its order */
}

/* Rank 0: every process's blocks (sorted into file order, numbered) and
 * spill paths; the other processes send theirs. */
static xj_error ixb_gatherBlocks(sc_run *run, ixb_state *s, ixb_far **out, size_t *n_out, char ***paths)
{
    xj_status *const st = &run->scan->st;
    int const nr = run->n_ranks;
    xj_buf mine, *const all = xj_calloc((size_t)nr, sizeof *all);
    buf_init(&mine, SIZE_MAX / 4);
    xj_error err = all ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (int r = 0; all && r < nr; r++) buf_init(&all[r], SIZE_MAX / 4);
    err = err ? err : xc_putBytes(&mine, s->spill_path, strlen(s->spill_path));
    err = err ? err : xc_putU64(&mine, s->written.n);
    for (size_t i = 0; !err && i < s->written.n; i++) {
        const ixb_block *const b = &s->written.v[i];
        err = xc_putU64(&mine, (uint64_t)b->source << 32 | b->n);
        if (!err) err = xc_putU64(&mine, b->len);
        if (!err) err = xc_putU64(&mine, b->hash);
        if (!err) err = xc_putU64(&mine, b->spill_at);
    }
    if (err && st->code == XJ_OK) st_fail(st, err, "out of memory");
    if (!(err = xc_agree(err, st))) err = xc_gather(&mine, all, st);
    buf_free(&mine);
    size_t n = 0, cap = 0;
    ixb_far *v = NULL;
    *paths = run->rank == 0 ? xj_calloc((size_t)nr, sizeof **paths) : NULL;
    if (!err && run->rank == 0 && *paths == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (int r = 0; !err && run->rank == 0 && r < nr; r++) {
        xc_reader rd = xc_reading(&all[r]);
        size_t plen = 0;
        const char *const p = xc_getBytes(&rd, &plen);
        (*paths)[r] = p ? xj_strndup(p, plen) : NULL;
        uint64_t const k = xc_getU64(&rd);
        RETURN_ERROR_IF(rd.bad || (*paths)[r] == NULL || k > (uint64_t)(rd.end - rd.p) / 32, st, XJ_ERR_INTERNAL,
                        "internal error: a broken list of blocks from rank %d", r);
        RETURN_ERROR_IF(xj_growArray(&v, &cap, n + (size_t)k + 1, sizeof *v, 64) != 0, st, XJ_ERR_NOMEM,
                        "out of memory");
        for (uint64_t i = 0; i < k; i++, n++) {
            uint64_t const sn = xc_getU64(&rd);
            v[n] = (ixb_far){(uint32_t)r, (uint32_t)(sn >> 32), i, (uint32_t)sn, 0, 0, 0, 0};
            v[n].len = xc_getU64(&rd);
            v[n].hash = xc_getU64(&rd);
            v[n].spill_at = xc_getU64(&rd);
        }
    }
    for (int r = 0; all && r < nr; r++) buf_free(&all[r]);
    xj_free(all);
    if (!err && run->rank == 0) {
        qsort(v, n, sizeof *v, ixb_cmpFar);
        uint64_t rec = 0;
        for (size_t i = 0; i < n && !err; i++) {
            if (rec + v[i].n > IX_MAX_RECORDS)
                err = st_fail(st, XJ_ERR_LIMIT, "more than %u records for one index", IX_MAX_RECORDS);
            v[i].first = (uint32_t)rec;
            rec += v[i].n;
        }
    }
    *out = v;
    *n_out = n;
    return err;
}

/* Every process: its blocks' first record numbers from rank 0's list, then
 * every key entry renumbered (a plan as ixb_planMake makes, used at once). */
static xj_error ixb_numberMine(sc_run *run, ixb_state *s, const ixb_far *v, size_t n)
{
    xj_status *const st = &run->scan->st;
    xj_buf firsts;
    buf_init(&firsts, SIZE_MAX / 4);
    xj_error err = XJ_OK;
    for (size_t i = 0; run->rank == 0 && i < n && !err; i++)
        err = xc_putU64(&firsts, (uint64_t)v[i].rank << 32 | v[i].at), err = err ? err : xc_putU64(&firsts, v[i].first);
    if (err) st_fail(st, err, "out of memory");
    if (!(err = xc_agree(err, st))) err = xc_broadcast(&firsts, st);
    uint32_t *const first_of = xj_calloc(s->written.n ? s->written.n : 1, sizeof *first_of);
    if (!err && first_of == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (xc_reader rd = xc_reading(&firsts); !err && rd.p < rd.end;) {
        uint64_t const who = xc_getU64(&rd), first = xc_getU64(&rd);
        if (rd.bad || (who >> 32) != (uint64_t)run->rank) continue;
        if ((uint32_t)who >= s->written.n) err = st_fail(st, XJ_ERR_INTERNAL, "internal error: an unknown block");
        else first_of[(uint32_t)who] = (uint32_t)first;
    }
    buf_free(&firsts);
    /* a plan as ixb_planMake makes (provisional ids to numbers), with the
     * numbers rank 0 gave */
    ixb_plan p = {0};
    if (!err) err = ixb_planMake(s, &p, st);
    for (size_t i = 0; !err && i < s->written.n; i++) p.new_first[s->written.v[i].id] = first_of[i];
    for (int t = 0; !err && t < run->n_workers; t++)
        for (int k = 0; k <= SC_KEY_KINDS; k++) {
            gk_table *const tab = k < SC_KEY_KINDS ? &run->workers[t].found.keys[k] : &run->workers[t].found.slips;
            size_t const stride = tab->wide ? 3 : 2;
            for (unsigned sh = 0; sh < GK_SHARDS; sh++)
                for (size_t e = 0; e < tab->shard[sh].n; e++) {
                    uint64_t *const ref = &tab->shard[sh].v[e * stride + stride - 1];
                    uint64_t const id = (*ref & ~GK_HAS_ID) >> IXB_POS_BITS;
                    uint32_t const pos = (uint32_t)(*ref & ((1u << IXB_POS_BITS) - 1));
                    *ref = (uint64_t)(p.new_first[id] + pos) | (*ref & GK_HAS_ID);
                }
        }
    ixb_planFree(&p);
    xj_free(first_of);
    return err;
}

/* ---- 3. rank 0 writes the blocks ---- */

/* The blocks into the file in their order, read from the spills (fds). */
static xj_error ixb_copyBlocks(ixb_state *s, const ixb_far *v, size_t n, const int *fds, xj_status *st)
{
    char *const buf = xj_malloc(IXB_COPY_BYTES);
    struct iovec *const iov = xj_mallocArray(n ? n : 1, sizeof *iov);
    xj_error err = buf && iov ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !err && i < n;) {
        size_t used = 0, k = 0;
        /* as many whole blocks as fit (one at least, however large) */
        for (; i + k < n && (k == 0 || used + v[i + k].len <= IXB_COPY_BYTES); k++) used += v[i + k].len;
        char *const into = used <= IXB_COPY_BYTES ? buf : xj_malloc(used);
        if (into == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
        for (size_t j = 0, at = 0; !err && j < k; at += v[i + j].len, j++) {
            const ixb_far *const b = &v[i + j];
            ssize_t const r = pread(fds[b->rank], into + at, b->len, (off_t)b->spill_at);
            if (r != (ssize_t)b->len)
                err = st_fail(st, XJ_ERR_IO, "cannot read back the blocks rank %u spilled: %s", b->rank,
                              r < 0 ? strerror(errno) : "the file is shorter");
            iov[j] = (struct iovec){into + at, b->len};
        }
        if (!err) err = ix_writerPutBlocks(s->out, iov, k, st);
        if (into != buf) xj_free(into);
        i += k;
    }
    xj_free(buf);
    xj_free(iov);
    return err;
}

/* Rank 0: s->written becomes every block, in file order. */
static xj_error ixb_takeWritten(ixb_state *s, const ixb_far *v, size_t n, xj_status *st)
{
    ixb_blocksFree(&s->written);
    s->written.v = xj_calloc(n ? n : 1, sizeof *s->written.v);
    RETURN_ERROR_IF(s->written.v == NULL, st, XJ_ERR_NOMEM, "out of memory");
    s->written.cap = n ? n : 1;
    for (size_t i = 0; i < n; i++)
        s->written.v[i] = (ixb_block){.id = i, .n = v[i].n, .first = v[i].first, .len = v[i].len, .hash = v[i].hash,
                                      .source = v[i].source};
    s->written.n = n;
    return XJ_OK;
}

xj_error ixb_distFinishPass(sc_run *run, ixb_state *s, ixb_plan *plan, size_t first_warning, const char *path,
                            xj_error err_in)
{
    xj_status *const st = &run->scan->st;
    int const nr = run->n_ranks;
    ixb_far *v = NULL;
    size_t n = 0;
    char **paths = NULL;
    int *const fds = xj_mallocArray((size_t)nr, sizeof *fds);
    for (int r = 0; fds && r < nr; r++) fds[r] = -1;
    xj_error err = err_in ? err_in : fds ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    err = xc_agree(err, st); /* every process comes here, whatever its pass did */
    if (!err) err = ixb_gatherBlocks(run, s, &v, &n, &paths);
    err = xc_agree(err, st);
    if (!err) err = ixb_numberMine(run, s, v, n);
    /* rank 0 opens every spill; then each process removes its own name */
    for (int r = 0; !err && run->rank == 0 && r < nr; r++) {
        fds[r] = open(paths[r], O_RDONLY | O_CLOEXEC);
        if (fds[r] < 0)
            err = st_fail(st, XJ_ERR_IO, "%s: cannot open rank %d's blocks: %s; the index's directory must be one "
                          "every process sees (a shared file system)", paths[r], r, strerror(errno));
    }
    err = xc_agree(err, st);
    if (!err) unlink(s->spill_path);
    /* the file is opened now, not before: its clean-up of dead runs'
     * temporaries must not take a spill of a process on another machine */
    if (!err && run->rank == 0) err = ix_writerOpen(path, &s->out, st);
    /* what pass 1 found, to rank 0 (the keys wait for ixb_distWriteKeys) */
    xj_buf mine, *const all = xj_calloc((size_t)nr, sizeof *all);
    buf_init(&mine, SIZE_MAX / 4);
    for (int r = 0; all && r < nr; r++) buf_init(&all[r], SIZE_MAX / 4);
    if (!err && all == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!err && run->rank != 0 && sc_distPutFound(run, first_warning, &mine) != XJ_OK)
        err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    if (!(err = xc_agree(err, st))) err = xc_gather(&mine, all, st);
    buf_free(&mine);
    for (int r = 1; !err && run->rank == 0 && r < nr; r++) {
        xc_reader rd = xc_reading(&all[r]);
        err = sc_distTakeFound(run, &rd);
        buf_free(&all[r]);
    }
    for (int r = 0; all && r < nr; r++) buf_free(&all[r]);
    xj_free(all);
    if (!err && run->rank == 0) err = ixb_copyBlocks(s, v, n, fds, st);
    if (!err && run->rank == 0) err = ixb_takeWritten(s, v, n, st);
    if (!err) {
        plan->numbered = 1;
        for (size_t i = 0; i < n; i++) plan->records += v[i].n;
    }
    for (int r = 0; fds && r < nr; r++)
        if (fds[r] >= 0) close(fds[r]);
    for (int r = 0; paths && r < nr; r++) xj_free(paths[r]);
    xj_free(paths);
    xj_free(fds);
    xj_free(v);
    return xc_agree(err, st);
}

/* ---- 4. the key sections: each shard laid out by its owner ---- */

typedef struct ixb_keyWriter {
    ixb_state *s;
    int kind;
    unsigned char *fence;     /* rank 0: the whole section's */
    size_t key_bytes;         /* a fence entry's */
    xj_status *st;
} ixb_keyWriter;

/* Rank 0, for each process in turn: its shards' entries into the file,
 * its part of the fence into place. */
static xj_error ixb_takeKeys(int rank, const xj_buf *m, void *user)
{
    ixb_keyWriter *const w = user;
    xc_reader rd = xc_reading(m);
    uint64_t const first_fence = xc_getU64(&rd);
    size_t fn = 0, en = 0;
    const char *const fence = xc_getBytes(&rd, &fn);
    const char *const entries = xc_getBytes(&rd, &en);
    RETURN_ERROR_IF(rd.bad || en % ix_entryBytes(w->kind) || fn % w->key_bytes, w->st, XJ_ERR_INTERNAL,
                    "internal error: a broken key section from rank %d", rank);
    if (fn) memcpy(w->fence + first_fence * w->key_bytes, fence, fn);
    return en ? ix_writerPutKeys(w->s->out, entries, en / ix_entryBytes(w->kind), w->st) : XJ_OK;
}

/* One key kind: the global count of every shard (so each owner knows where
 * its shards start in the section), the owner's shards sorted and laid out
 * with their part of the fence, and rank 0 writing them in rank order,
 * which is shard order. */
static xj_error ixb_distKind(sc_run *run, ixb_state *s, const ixb_plan *plan, int kind, gk_table **tabs,
                             size_t n_tabs)
{
    xj_status *const st = &run->scan->st;
    unsigned const lo = sc_distShardLo(run->rank, run->n_ranks), hi = sc_distShardLo(run->rank + 1, run->n_ranks);
    uint64_t base[GK_SHARDS + 1] = {0};
    for (unsigned sh = 0; sh < GK_SHARDS; sh++)
        for (size_t t = 0; t < n_tabs; t++) base[sh + 1] += tabs[t]->shard[sh].n;
    xc_sumEach(base + 1, GK_SHARDS);
    for (unsigned sh = 0; sh < GK_SHARDS; sh++) base[sh + 1] += base[sh];
    size_t const total = (size_t)base[GK_SHARDS], key_bytes = ix_entryBytes(kind) - 4;
    unsigned char *const fence = xj_calloc(ix_fenceCount(total) + 1, key_bytes);
    xj_buf mine, entries;
    buf_init(&mine, SIZE_MAX / 4);
    buf_init(&entries, SIZE_MAX / 4);
    xj_error err = fence ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (unsigned sh = lo; sh < hi && !err; sh++) {
        unsigned char *e = NULL;
        size_t m = 0;
        if (ixb_layShard(tabs, n_tabs, sh, kind, plan, (size_t)base[sh], fence, &e, &m) != 0 ||
            (m && buf_append(&entries, e, m * ix_entryBytes(kind)) != XJ_OK))
            err = st_fail(st, XJ_ERR_NOMEM, "out of memory sorting keys");
        xj_free(e);
    }
    size_t const f0 = ix_fenceCount((size_t)base[lo]), f1 = ix_fenceCount((size_t)base[hi]);
    if (!err && (xc_putU64(&mine, f0) || xc_putBytes(&mine, fence + f0 * key_bytes, (f1 - f0) * key_bytes) ||
                 xc_putBytes(&mine, entries.data, entries.len)))
        err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    buf_free(&entries);
    if (!(err = xc_agree(err, st)) && run->rank == 0) err = ix_writerBeginKeys(s->out, kind, st);
    ixb_keyWriter w = {s, kind, fence, key_bytes, st};
    if (!(err = xc_agree(err, st))) err = xc_gatherEach(&mine, ixb_takeKeys, &w, st);
    buf_free(&mine);
    if (!err && run->rank == 0) err = ix_writerEndKeys(s->out, fence, st);
    xj_free(fence);
    return xc_agree(err, st);
}

xj_error ixb_distWriteKeys(sc_run *run, ixb_state *s, const ixb_plan *plan)
{
    xj_status *const st = &run->scan->st;
    int const nr = run->n_ranks, nw = run->n_workers;
    size_t const n_tabs = (size_t)nw + (size_t)nr;
    sc_found *const recv = xj_calloc((size_t)nr, sizeof *recv);
    gk_table **const tabs = xj_calloc(n_tabs, sizeof *tabs);
    for (int r = 0; recv && r < nr; r++) {
        for (int k = 0; k < SC_KEY_KINDS; k++) gk_tableInit(&recv[r].keys[k], k != GD_KEY_GB);
        gk_tableInit(&recv[r].slips, 0);
    }
    xj_error err = xc_agree(recv && tabs ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory"), st);
    if (!err) err = sc_distExchangeKeys(run, recv);
    for (int kind = 0; kind < IX_KINDS && !err; kind++) {
        for (int t = 0; t < nw; t++)
            tabs[t] = kind == IX_KIND_SLIP ? &run->workers[t].found.slips : &run->workers[t].found.keys[kind];
        for (int r = 0; r < nr; r++) tabs[nw + r] = kind == IX_KIND_SLIP ? &recv[r].slips : &recv[r].keys[kind];
        err = ixb_distKind(run, s, plan, kind, tabs, n_tabs);
    }
    for (int r = 0; recv && r < nr; r++) {
        for (int k = 0; k < SC_KEY_KINDS; k++) gk_tableFree(&recv[r].keys[k]);
        gk_tableFree(&recv[r].slips);
    }
    xj_free(recv);
    xj_free(tabs);
    return err;
}
