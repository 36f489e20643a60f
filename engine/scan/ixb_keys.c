/*
 * ixb_keys — from the pass to the key sections: the blocks, written in
 * record order, get their record numbers (ixb_plan), and the key tables'
 * provisional numbers are renumbered by one lookup each as the shards are
 * sorted and written.
 *
 * Shards are sorted and laid out in parallel, each into its own buffer, and
 * written in shard order (the file's) as soon as the shards before them
 * are, while the other threads go on sorting. So the sections are never
 * held whole in memory and their writing overlaps the sort. Cost: every
 * key sorted once (gk_sortShard), and equal keys once more by record.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ixb_internal.h"
#include "xj_alloc.h"

enum { IXB_STOP_NOMEM = 1, IXB_STOP_WRITE = 2 };

/* The first reason to stop is the one reported. */
static void ixb_stop(atomic_int *stop, int why)
{
    int none = 0;
    atomic_compare_exchange_strong(stop, &none, why);
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

xj_error ixb_planMake(ixb_state *s, ixb_plan *p, xj_status *st)
{
    ixb_blocks *const written = &s->written;
    size_t max_made = 0, n_old_ids = 0;
    for (int t = 0; t < s->n_workers; t++)
        if (s->workers[t].made > max_made) max_made = s->workers[t].made;
    for (size_t i = 0; i < written->n; i++)
        if (written->v[i].id >= IXB_OLD_BASE && written->v[i].id - IXB_OLD_BASE + 1 > n_old_ids)
            n_old_ids = written->v[i].id - IXB_OLD_BASE + 1;
    p->n_new_ids = max_made * (size_t)s->n_workers;
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

void ixb_planFree(ixb_plan *p)
{
    xj_free(p->new_first);
    xj_free(p->old_first);
    memset(p, 0, sizeof *p);
}

static uint32_t ixb_recordOf(const ixb_plan *p, uint64_t provisional)
{
    if (p->numbered) return (uint32_t)provisional | ((provisional & GK_HAS_ID) ? IX_REC_HAS_ID : 0);
    uint64_t const id = (provisional & ~GK_HAS_ID) >> IXB_POS_BITS;
    uint32_t const pos = (uint32_t)(provisional & ((1u << IXB_POS_BITS) - 1));
    uint32_t const first = id >= IXB_OLD_BASE ? p->old_first[id - IXB_OLD_BASE] : p->new_first[id];
    return (first + pos) | ((provisional & GK_HAS_ID) ? IX_REC_HAS_ID : 0);
}

int ixb_layShard(gk_table **tabs, size_t n_tabs, unsigned sh, int kind, const ixb_plan *p, size_t base,
                 unsigned char *fence, unsigned char **out, size_t *m)
{
    int const narrow = kind == GD_KEY_GB || kind == IX_KIND_SLIP;
    size_t const stride = narrow ? 2 : 3; /* uint64_t words of a gk entry */
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
        if (j - i > 1) qsort(e + i * eb, j - i, eb, narrow ? ixb_cmpNarrow : ixb_cmpWide);
        i = j;
    }
    ix_putFences(fence, kind, e, base, sorted.n);
    *out = e;
    *m = sorted.n;
    xj_free(sorted.v);
    return 0;
}

xj_error ixb_writeKeys(sc_run *run, const ixb_plan *p, gk_table *extra, ix_writer *out)
{
    xj_status *const st = &run->scan->st;
    int const nw = run->n_workers;
    size_t const n_tabs = (size_t)nw + 1;
    gk_table **const tabs = xj_calloc(n_tabs, sizeof *tabs);
    size_t *const offset = xj_calloc(GK_SHARDS + 1, sizeof *offset);
    xj_error err = tabs && offset ? XJ_OK : st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (int kind = 0; kind < IX_KINDS && !err; kind++) {
        for (int t = 0; t < nw; t++)
            tabs[t] = kind == IX_KIND_SLIP ? &run->workers[t].found.slips : &run->workers[t].found.keys[kind];
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

