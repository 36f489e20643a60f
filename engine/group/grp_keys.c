/*
 * grp_keys — see grp_keys.h.
 *
 * Grouping a shard: gather its entries from every worker, sort by (key, ref)
 * and cut runs. Shards are grouped in parallel; each shard's result goes to
 * its own slot and the slots are joined in shard order, which keeps the output
 * independent of the thread count.
 */
#include "grp_keys.h"

#include <stdlib.h>
#include <string.h>

#include "xj_alloc.h"

void gk_tableFree(gk_table *t)
{
    for (unsigned s = 0; s < GK_SHARDS; s++) {
        xj_free(t->shard[s].v);
        t->shard[s] = (gk_vec){0};
    }
}

xj_error gk_add(gk_table *t, uint64_t hi, uint64_t lo, uint64_t ref)
{
    gk_vec *const v = &t->shard[gk_shardOf(hi, lo)];
    if (v->n == v->cap) {
        /* 1.5x growth: these vectors hold most of a scan's memory */
        size_t const ncap = v->cap ? v->cap + v->cap / 2 : 256;
        gk_entry *const grown = xj_reallocArray(v->v, ncap, sizeof *grown);
        if (grown == NULL) return XJ_ERR_NOMEM;
        v->v = grown;
        v->cap = ncap;
    }
    v->v[v->n++] = (gk_entry){hi, lo, ref};
    return XJ_OK;
}

size_t gk_attrKeyText(char *buf, const char *name, size_t n, int sex, uint32_t birth)
{
    if (n) memcpy(buf, name, n);
    size_t at = n;
    buf[at++] = '\0';
    buf[at++] = (char)('0' + sex);
    buf[at++] = '\0';
    for (int i = 7; i >= 0; i--, birth /= 10) buf[at + (size_t)i] = (char)('0' + birth % 10);
    return at + 8;
}

size_t gk_otherIdKeyText(char *buf, char type, const char *id, size_t n)
{
    buf[0] = type;
    buf[1] = '\0';
    memcpy(buf + 2, id, n);
    return n + 2;
}

void gk_groupsFree(gk_groups *gs)
{
    xj_free(gs->g);
    xj_free(gs->refs);
    memset(gs, 0, sizeof *gs);
}

static int gk_cmpEntry(const void *a, const void *b)
{
    const gk_entry *const x = a, *const y = b;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    uint64_t const rx = x->ref & ~GK_HAS_ID, ry = y->ref & ~GK_HAS_ID;
    return rx < ry ? -1 : rx > ry;
}

/* LSD radix sort by (hi, lo, ref without flag), 16 bits a pass, skipping
 * passes where every entry has the same digit (e.g. hi == 0 for GB IDs). */
static int gk_sort(gk_entry *v, size_t n)
{
    if (n < 256) {
        qsort(v, n, sizeof *v, gk_cmpEntry);
        return 0;
    }
    gk_entry *tmp = xj_mallocArray(n, sizeof *tmp);
    size_t *count = xj_calloc(65536, sizeof *count);
    if (tmp == NULL || count == NULL) {
        xj_free(tmp);
        xj_free(count);
        return -1;
    }
    for (int word = 2; word >= 0; word--) {
        for (int shift = 0; shift < 64; shift += 16) {
            memset(count, 0, 65536 * sizeof *count);
            for (size_t i = 0; i < n; i++) {
                uint64_t const w = word == 0 ? v[i].hi : word == 1 ? v[i].lo : v[i].ref & ~GK_HAS_ID;
                count[(w >> shift) & 0xFFFF]++;
            }
            uint64_t const w0 = word == 0 ? v[0].hi : word == 1 ? v[0].lo : v[0].ref & ~GK_HAS_ID;
            if (count[(w0 >> shift) & 0xFFFF] == n) continue; /* every digit equal */
            size_t sum = 0;
            for (size_t d = 0; d < 65536; d++) {
                size_t const c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (size_t i = 0; i < n; i++) {
                uint64_t const w = word == 0 ? v[i].hi : word == 1 ? v[i].lo : v[i].ref & ~GK_HAS_ID;
                tmp[count[(w >> shift) & 0xFFFF]++] = v[i];
            }
            memcpy(v, tmp, n * sizeof *v);
        }
    }
    xj_free(tmp);
    xj_free(count);
    return 0;
}

typedef struct gk_shardResult {
    gk_group *g;
    size_t n, cap;
    uint64_t *refs;
    size_t n_refs, cap_refs;
    int failed;
} gk_shardResult;

static int gk_push(gk_shardResult *r, const gk_entry *run, size_t len)
{
    if (r->n == r->cap) {
        size_t const ncap = r->cap ? r->cap * 2 : 64;
        gk_group *const g = xj_reallocArray(r->g, ncap, sizeof *g);
        if (g == NULL) return -1;
        r->g = g;
        r->cap = ncap;
    }
    while (r->n_refs + len > r->cap_refs) {
        size_t const ncap = r->cap_refs ? r->cap_refs * 2 : 256;
        uint64_t *const refs = xj_reallocArray(r->refs, ncap, sizeof *refs);
        if (refs == NULL) return -1;
        r->refs = refs;
        r->cap_refs = ncap;
    }
    r->g[r->n++] = (gk_group){run[0].hi, run[0].lo, r->n_refs, (uint32_t)len};
    for (size_t i = 0; i < len; i++) r->refs[r->n_refs++] = run[i].ref;
    return 0;
}

static void gk_groupShard(gk_table *const *tables, size_t n_tables, unsigned s, int need_no_id, gk_shardResult *r)
{
    size_t total = 0;
    for (size_t t = 0; t < n_tables; t++) total += tables[t]->shard[s].n;
    if (total < 2) goto done;
    gk_entry *all = xj_mallocArray(total, sizeof *all);
    if (all == NULL) {
        r->failed = 1;
        goto done;
    }
    size_t at = 0;
    for (size_t t = 0; t < n_tables; t++) {
        gk_vec *const v = &tables[t]->shard[s];
        if (v->n) memcpy(all + at, v->v, v->n * sizeof *all);
        at += v->n;
        xj_free(v->v);
        *v = (gk_vec){0};
    }
    if (gk_sort(all, total) != 0) {
        xj_free(all);
        r->failed = 1;
        goto done;
    }
    for (size_t i = 0; i < total;) {
        size_t j = i + 1;
        while (j < total && all[j].hi == all[i].hi && all[j].lo == all[i].lo) j++;
        if (j - i >= 2) {
            int keep = 1;
            if (need_no_id) {
                keep = 0;
                for (size_t k = i; k < j; k++) keep |= !(all[k].ref & GK_HAS_ID);
            }
            if (keep && gk_push(r, all + i, j - i) != 0) {
                r->failed = 1;
                break;
            }
        }
        i = j;
    }
    xj_free(all);
    return;
done:
    for (size_t t = 0; t < n_tables; t++) {
        xj_free(tables[t]->shard[s].v);
        tables[t]->shard[s] = (gk_vec){0};
    }
}

xj_error gk_findGroups(gk_table *const *tables, size_t n_tables, int need_no_id, int threads,
                       gk_groups *out, xj_status *st)
{
    memset(out, 0, sizeof *out);
    gk_shardResult *const res = xj_calloc(GK_SHARDS, sizeof *res);
    RETURN_ERROR_IF(res == NULL, st, XJ_ERR_NOMEM, "out of memory grouping keys");
    (void)threads;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int s = 0; s < (int)GK_SHARDS; s++) gk_groupShard(tables, n_tables, (unsigned)s, need_no_id, &res[s]);

    size_t n = 0, n_refs = 0;
    int failed = 0;
    for (unsigned s = 0; s < GK_SHARDS; s++) {
        n += res[s].n;
        n_refs += res[s].n_refs;
        failed |= res[s].failed;
    }
    if (!failed) {
        out->g = xj_mallocArray(n ? n : 1, sizeof *out->g);
        out->refs = xj_mallocArray(n_refs ? n_refs : 1, sizeof *out->refs);
        failed = out->g == NULL || out->refs == NULL;
    }
    for (unsigned s = 0; s < GK_SHARDS && !failed; s++) {
        for (size_t i = 0; i < res[s].n; i++) {
            gk_group g = res[s].g[i];
            g.first += out->n_refs;
            out->g[out->n++] = g;
        }
        if (res[s].n_refs) memcpy(out->refs + out->n_refs, res[s].refs, res[s].n_refs * sizeof *out->refs);
        out->n_refs += res[s].n_refs;
    }
    for (unsigned s = 0; s < GK_SHARDS; s++) {
        xj_free(res[s].g);
        xj_free(res[s].refs);
    }
    xj_free(res);
    if (failed) {
        gk_groupsFree(out);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory grouping keys");
    }
    return XJ_OK;
}
