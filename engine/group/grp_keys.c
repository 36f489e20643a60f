/*
 * grp_keys — see grp_keys.h.
 *
 * Grouping a shard: gather its entries from every worker, sort by (key, ref)
 * and cut runs. Shards are grouped in parallel; each shard's result goes to
 * its own slot and the slots are joined in shard order, which keeps the output
 * independent of the thread count.
 */
#include "grp_keys.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "xj_alloc.h"

#include <xxhash.h>

void gk_tableInit(gk_table *t, int wide)
{
    memset(t, 0, sizeof *t);
    t->wide = wide;
}

void gk_tableFree(gk_table *t)
{
    for (unsigned s = 0; s < GK_SHARDS; s++) {
        xj_free(t->shard[s].v);
        t->shard[s] = (gk_vec){0};
    }
}

xj_error gk_reserve(gk_table *t, size_t per_shard)
{
    size_t const stride = t->wide ? 3 : 2;
    for (unsigned s = 0; s < GK_SHARDS; s++) {
        gk_vec *const v = &t->shard[s];
        if (v->cap >= per_shard) continue;
        uint64_t *const grown = xj_reallocArray(v->v, per_shard, stride * sizeof *grown);
        if (grown == NULL) return XJ_ERR_NOMEM;
        v->v = grown;
        v->cap = per_shard;
    }
    return XJ_OK;
}

size_t gk_entries(const gk_table *t)
{
    size_t n = 0;
    for (unsigned s = 0; s < GK_SHARDS; s++) n += t->shard[s].n;
    return n;
}

xj_error gk_add(gk_table *t, uint64_t hi, uint64_t lo, uint64_t ref)
{
    gk_vec *const v = &t->shard[gk_shardOf(hi, lo)];
    size_t const stride = t->wide ? 3 : 2;
    if (v->n == v->cap) {
        /* 1.5x growth: these vectors hold most of a scan's memory */
        size_t const ncap = v->cap ? v->cap + v->cap / 2 : 256;
        uint64_t *const grown = xj_reallocArray(v->v, ncap, stride * sizeof *grown);
        if (grown == NULL) return XJ_ERR_NOMEM;
        v->v = grown;
        v->cap = ncap;
    }
    uint64_t *const e = v->v + v->n++ * stride;
    if (t->wide) {
        e[0] = hi;
        e[1] = lo;
        e[2] = ref;
    } else {
        e[0] = lo;
        e[1] = ref;
    }
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

static gk_key gk_hashKey(const char *text, size_t n)
{
    XXH128_hash_t const h = XXH3_128bits(text, n);
    return (gk_key){h.high64, h.low64};
}

gk_key gk_attrKey(char *buf, const char *name, size_t n, int sex, uint32_t birth)
{
    return gk_hashKey(buf, gk_attrKeyText(buf, name, n, sex, birth));
}

gk_key gk_otherIdKey(char *buf, char type, const char *id, size_t n)
{
    return gk_hashKey(buf, gk_otherIdKeyText(buf, type, id, n));
}

void gk_groupsFree(gk_groups *gs)
{
    xj_free(gs->g);
    xj_free(gs->refs);
    memset(gs, 0, sizeof *gs);
}

/* Compares two entries' keys (all words but the last). */
static int gk_cmpKey(const uint64_t *a, const uint64_t *b, size_t stride)
{
    for (size_t w = 0; w + 1 < stride; w++)
        if (a[w] != b[w]) return a[w] < b[w] ? -1 : 1;
    return 0;
}

static uint64_t gk_refOf(const uint64_t *e, size_t stride)
{
    return e[stride - 1] & ~GK_FLAGS;
}

static int gk_cmpEntry(const void *pa, const void *pb, void *arg)
{
    size_t const stride = *(const size_t *)arg;
    int const c = gk_cmpKey(pa, pb, stride);
    if (c) return c;
    uint64_t const ra = gk_refOf(pa, stride), rb = gk_refOf(pb, stride);
    return ra < rb ? -1 : ra > rb;
}

/* Orders entries by key, and equal keys by ref when `by_ref`. LSD radix
 * sort on the key words, skipping passes whose digit is the same
 * everywhere; then each run of equal keys — a group, usually 2 or 3
 * entries — is put in ref order, so the result does not depend on which
 * worker added what. (The index build orders runs by its own record
 * numbers and asks for no ref order.) Digits are 16 bits for large
 * shards and 11 bits for small ones: a pass costs its bucket count twice
 * (clearing, prefix sums) plus the entries, and a shard of a 5M-row scan
 * holds ~20,000 entries, which 65,536 buckets would dwarf. */
/* One counting pass's scatter: src's entries into dst by their digit of
 * word w. Inline with a constant stride, so each entry is moved with two or
 * three word stores instead of a memcpy call of a run-time size (which
 * perf showed costing as much as the rest of the sort). */
static inline __attribute__((always_inline)) void gk_scatter(const uint64_t *src, uint64_t *dst, size_t n,
                                                             size_t stride, size_t w, unsigned shift, uint64_t mask,
                                                             size_t *count)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t const *const e = src + i * stride;
        memcpy(dst + count[(e[w] >> shift) & mask]++ * stride, e, stride * sizeof *e);
    }
}

static int gk_cmpWord(const void *pa, const void *pb)
{
    uint64_t const a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* stride 1: plain numbers, the whole word the key (no ref, no by_ref). */
static int gk_sort(uint64_t *v, size_t n, size_t stride, int by_ref)
{
    size_t const bytes = stride * sizeof *v;
    size_t const keys = stride > 1 ? stride - 1 : 1; /* key words, the first most significant */
    if (n < 256) {
        if (stride == 1) qsort(v, n, bytes, gk_cmpWord);
        else qsort_r(v, n, bytes, gk_cmpEntry, &stride); /* by ref too: no harm */
        return 0;
    }
    unsigned const bits = n < ((size_t)1 << 17) ? 11 : 16;
    size_t const buckets = (size_t)1 << bits;
    uint64_t const mask = buckets - 1;
    uint64_t *tmp = xj_mallocArray(n, bytes);
    size_t *count = xj_mallocArray(buckets, sizeof *count);
    if (tmp == NULL || count == NULL) {
        xj_free(tmp);
        xj_free(count);
        return -1;
    }
    uint64_t *src = v, *dst = tmp;
    for (size_t w = keys; w-- > 0;) { /* least significant key word first */
        for (unsigned shift = 0; shift < 64; shift += bits) {
            memset(count, 0, buckets * sizeof *count);
            for (size_t i = 0; i < n; i++) count[(src[i * stride + w] >> shift) & mask]++;
            if (count[(src[w] >> shift) & mask] == n) continue;
            size_t sum = 0;
            for (size_t d = 0; d < buckets; d++) {
                size_t const c = count[d];
                count[d] = sum;
                sum += c;
            }
            if (stride == 1) gk_scatter(src, dst, n, 1, w, shift, mask, count);
            else if (stride == 2) gk_scatter(src, dst, n, 2, w, shift, mask, count);
            else gk_scatter(src, dst, n, 3, w, shift, mask, count);
            uint64_t *const t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != v) memcpy(v, src, n * bytes);
    xj_free(tmp);
    xj_free(count);
    for (size_t i = 0; by_ref && stride > 1 && i < n;) {
        size_t j = i + 1;
        while (j < n && gk_cmpKey(v + j * stride, v + i * stride, stride) == 0) j++;
        if (j - i > 1) qsort_r(v + i * stride, j - i, bytes, gk_cmpEntry, &stride);
        i = j;
    }
    return 0;
}

typedef struct gk_shardResult {
    gk_group *g;
    size_t n, cap;
    uint64_t *refs;
    size_t n_refs, cap_refs;
    int failed;
} gk_shardResult;

static int gk_push(gk_shardResult *r, const uint64_t *run, size_t len, size_t stride)
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
    uint64_t const hi = stride == 3 ? run[0] : 0, lo = run[stride - 2];
    r->g[r->n++] = (gk_group){hi, lo, r->n_refs, (uint32_t)len};
    for (size_t i = 0; i < len; i++) r->refs[r->n_refs++] = run[i * stride + stride - 1];
    return 0;
}

#define GK_PART_BITS_MAX 12 /* a shard in at most 4,096 parts (see gk_partBits) */

/* One thread's working memory for grouping shard after shard. Shards are
 * alike in size, so after the first one nothing more is allocated. Taken
 * afresh for each shard, a 200M-row scan's arrays (~27 MB a shard, 768
 * shards) came from the kernel each time — jemalloc returns blocks of
 * 8 MiB and more at once — and a second of the group phase went to page
 * faults and to zeroing ~7 GB of pages. */
typedef struct gk_scratch {
    uint64_t *all; /* a shard's entries, gathered */
    size_t cap_all;
    uint32_t *slot, *first, *count; /* gk_keepRepeated's hash table */
    size_t cap_slot, cap_first, cap_count;
    size_t part[(1u << GK_PART_BITS_MAX) + 1]; /* where each part of `all` starts */
} gk_scratch;

static void gk_scratchFree(gk_scratch *sc)
{
    xj_free(sc->all);
    xj_free(sc->slot);
    xj_free(sc->first);
    xj_free(sc->count);
    memset(sc, 0, sizeof *sc);
}

/* Room for `n` elements of `size` bytes in *arr; the old contents are not
 * kept. 0, or -1 when memory runs out. */
static int gk_room(void *arr, size_t *cap, size_t n, size_t size)
{
    if (*cap >= n) return 0;
    void **const p = arr;
    xj_free(*p);
    *p = xj_mallocArray(n, size);
    *cap = *p ? n : 0;
    return *p ? 0 : -1;
}

/* A shard is cut into parts by the bits of its keys' mix below the shard's
 * own, and duplicates are looked for part by part: with a whole 200M-row
 * shard (~800,000 entries) the hash table and the entries it points to
 * were tens of MB, and nearly every probe missed the cache. A part holds
 * about GK_PART_ENTRIES entries, so that its table and entries stay in a
 * core's L2; cutting costs one more read of the shard. */
#define GK_PART_ENTRIES ((size_t)1 << 14)

static _Atomic size_t gk_part_entries = GK_PART_ENTRIES; /* gk_setPartEntries */

void gk_setPartEntries(size_t n) { atomic_store(&gk_part_entries, n ? n : GK_PART_ENTRIES); }

static unsigned gk_partBits(size_t n)
{
    size_t const per_part = atomic_load_explicit(&gk_part_entries, memory_order_relaxed);
    unsigned b = 0;
    while (b < GK_PART_BITS_MAX && (n >> b) > per_part) b++;
    return b;
}

static inline size_t gk_partOf(const uint64_t *e, size_t stride, unsigned part_bits)
{
    uint64_t const hi = stride == 3 ? e[0] : 0, lo = e[stride - 2];
    return part_bits ? (size_t)(gk_mix(hi, lo) << GK_SHARD_BITS >> (64 - part_bits)) : 0;
}

/* The entries of v (n of them) copied part by part into all, at sc->part's
 * running positions. Inline with a constant stride, as gk_scatter. */
static inline __attribute__((always_inline)) void gk_scatterParts(const uint64_t *v, size_t n, size_t stride,
                                                                  unsigned part_bits, uint64_t *all, size_t *at)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t const *const e = v + i * stride;
        memcpy(all + at[gk_partOf(e, stride, part_bits)]++ * stride, e, stride * sizeof *e);
    }
}

/* Shard s of every table, gathered in one array; the tables' vectors are
 * freed as they are copied. *all is NULL when the shard holds fewer than
 * `min` entries (or none); it is `scratch->all` when a scratch is given,
 * else the caller's to free. -1 when memory runs out. */
static int gk_gatherShard(gk_table *const *tables, size_t n_tables, unsigned s, size_t min, gk_scratch *scratch,
                          uint64_t **all_out, size_t *total_out, unsigned *part_bits_out)
{
    size_t const stride = tables[0]->wide ? 3 : 2;
    size_t total = 0;
    for (size_t t = 0; t < n_tables; t++) total += tables[t]->shard[s].n;
    int const want = total >= min && total > 0;
    uint64_t *all = NULL;
    if (want && scratch == NULL) all = xj_mallocArray(total, stride * sizeof *all);
    else if (want && total <= SIZE_MAX / stride &&
             gk_room(&scratch->all, &scratch->cap_all, total * stride, sizeof *all) == 0)
        all = scratch->all;
    int failed = want && all == NULL;
    /* parts only where duplicates are looked for (a scratch, min > 1) */
    unsigned const part_bits = all && scratch && min > 1 ? gk_partBits(total) : 0;
    size_t *const part = scratch ? scratch->part : NULL;
    if (part_bits) {
        size_t const n_parts = (size_t)1 << part_bits;
        memset(part, 0, (n_parts + 1) * sizeof *part);
        for (size_t t = 0; t < n_tables; t++) {
            gk_vec const *const v = &tables[t]->shard[s];
            for (size_t i = 0; i < v->n; i++) part[gk_partOf(v->v + i * stride, stride, part_bits) + 1]++;
        }
        for (size_t p = 0; p < n_parts; p++) part[p + 1] += part[p];
    } else if (part) {
        part[0] = 0;
        part[1] = total;
    }
    size_t at = 0;
    for (size_t t = 0; t < n_tables; t++) {
        gk_vec *const v = &tables[t]->shard[s];
        if (all && v->n && part_bits) {
            /* each part's running position in part[p]; shifted back below */
            if (stride == 2) gk_scatterParts(v->v, v->n, 2, part_bits, all, part);
            else gk_scatterParts(v->v, v->n, 3, part_bits, all, part);
        } else if (all && v->n) {
            memcpy(all + at * stride, v->v, v->n * stride * sizeof *all);
        }
        at += v->n;
        xj_free(v->v);
        *v = (gk_vec){0};
    }
    if (part_bits) { /* part[p] is now where part p ends: where p + 1 starts */
        memmove(part + 1, part, ((size_t)1 << part_bits) * sizeof *part);
        part[0] = 0;
    }
    *all_out = all;
    *total_out = all ? total : 0;
    if (part_bits_out) *part_bits_out = part_bits;
    return failed ? -1 : 0;
}

/* Keeps (in place, in no particular order) only the entries whose key
 * occurs at least `min` times among v[0 .. n), and returns how many that
 * is, or SIZE_MAX when memory runs out. Repeated keys are a few per cent
 * of a register's, so finding them with a hash table and sorting only them
 * costs less than sorting every entry. ID numbers come from the input, and
 * whoever writes it can choose numbers that crowd one run of slots (the
 * mix is no secret): past GK_PROBE_BUDGET probes an entry on average the
 * table is given up and every entry kept, so the caller sorts them all —
 * the old cost, never a quadratic one. */
#define GK_PROBE_BUDGET 8

static size_t gk_keepRepeated(uint64_t *v, size_t n, size_t stride, size_t min, unsigned part_bits, gk_scratch *sc)
{
    if (min <= 1 || n == 0) return n;
    if (n >= UINT32_MAX) return SIZE_MAX;
    unsigned bits = 4;
    while (((size_t)1 << bits) < 2 * n) bits++;
    size_t const mask = ((size_t)1 << bits) - 1;
    int const ok = gk_room(&sc->slot, &sc->cap_slot, mask + 1, sizeof *sc->slot) == 0 &&
                   gk_room(&sc->first, &sc->cap_first, n, sizeof *sc->first) == 0 &&
                   gk_room(&sc->count, &sc->cap_count, n, sizeof *sc->count) == 0;
    uint32_t *const slot = sc->slot;   /* a key's first entry + 1; 0: empty */
    uint32_t *const first = sc->first; /* each entry's first entry of its key */
    uint32_t *const count = sc->count; /* entries of a key, by its first */
    size_t kept = SIZE_MAX;
    if (ok) {
        memset(slot, 0, (mask + 1) * sizeof *slot);
        memset(count, 0, n * sizeof *count);
        size_t probes = 0;
        for (size_t i = 0; i < n && probes <= GK_PROBE_BUDGET * n; i++) {
            const uint64_t *const e = v + i * stride;
            uint64_t const hi = stride == 3 ? e[0] : 0, lo = e[stride - 2];
            /* below the shard's bits and the part's */
            size_t h = (size_t)(gk_mix(hi, lo) << (GK_SHARD_BITS + part_bits) >> (64 - bits));
            while (slot[h] != 0 && gk_cmpKey(v + (size_t)(slot[h] - 1) * stride, e, stride) != 0) {
                h = (h + 1) & mask;
                probes++;
            }
            if (slot[h] == 0) slot[h] = (uint32_t)i + 1;
            first[i] = slot[h] - 1;
            count[first[i]]++;
        }
        kept = n; /* over budget: keep every entry, nothing moved yet */
        if (probes <= GK_PROBE_BUDGET * n) {
            kept = 0;
            for (size_t i = 0; i < n; i++)
                if (count[first[i]] >= min) memmove(v + kept++ * stride, v + i * stride, stride * sizeof *v);
        }
    }
    return kept;
}

static void gk_groupShard(gk_table *const *tables, size_t n_tables, unsigned s, size_t min_members, int need_no_id,
                          gk_scratch *sc, gk_shardResult *r)
{
    size_t const stride = tables[0]->wide ? 3 : 2;
    uint64_t *all;
    size_t total;
    unsigned part_bits;
    if (gk_gatherShard(tables, n_tables, s, min_members, sc, &all, &total, &part_bits) != 0) r->failed = 1;
    if (all == NULL) return;
    size_t kept = 0; /* the repeated entries of each part, moved up behind those of the parts before */
    for (size_t p = 0; p < (size_t)1 << part_bits; p++) {
        size_t const at = sc->part[p], n = sc->part[p + 1] - at;
        size_t const k = gk_keepRepeated(all + at * stride, n, stride, min_members, part_bits, sc);
        if (k == SIZE_MAX) {
            r->failed = 1;
            return;
        }
        if (k && at != kept) memmove(all + kept * stride, all + at * stride, k * stride * sizeof *all);
        kept += k;
    }
    total = kept;
    if (gk_sort(all, total, stride, 1) != 0) {
        r->failed = 1;
        return;
    }
    for (size_t i = 0; i < total;) {
        size_t j = i + 1;
        while (j < total && gk_cmpKey(all + j * stride, all + i * stride, stride) == 0) j++;
        if (j - i >= min_members) {
            int keep = 1;
            if (need_no_id) {
                keep = 0;
                for (size_t k = i; k < j; k++) keep |= !(all[k * stride + stride - 1] & GK_HAS_ID);
            }
            if (keep && gk_push(r, all + i * stride, j - i, stride) != 0) {
                r->failed = 1;
                break;
            }
        }
        i = j;
    }
}

int gk_sortEntries(uint64_t *v, size_t n, size_t stride)
{
    return gk_sort(v, n, stride, 1);
}

int gk_sortWords(uint64_t *v, size_t n)
{
    return gk_sort(v, n, 1, 0);
}

int gk_sortShard(gk_table *const *tables, size_t n_tables, unsigned s, gk_vec *out)
{
    uint64_t *all;
    size_t total;
    int failed = gk_gatherShard(tables, n_tables, s, 1, NULL, &all, &total, NULL);
    if (all && gk_sort(all, total, tables[0]->wide ? 3 : 2, 0) != 0) {
        xj_free(all);
        all = NULL;
        total = 0;
        failed = -1;
    }
    *out = (gk_vec){all, total, total};
    return failed;
}

xj_error gk_findGroups(gk_table *const *tables, size_t n_tables, size_t min_members, int need_no_id, int threads,
                       gk_groups *out, xj_status *st)
{
    memset(out, 0, sizeof *out);
    gk_shardResult *const res = xj_calloc(GK_SHARDS, sizeof *res);
    RETURN_ERROR_IF(res == NULL, st, XJ_ERR_NOMEM, "out of memory grouping keys");
    (void)threads;
#pragma omp parallel num_threads(threads)
    {
        gk_scratch sc = {0};
#pragma omp for schedule(dynamic, 1)
        for (int s = 0; s < (int)GK_SHARDS; s++)
            gk_groupShard(tables, n_tables, (unsigned)s, min_members, need_no_id, &sc, &res[s]);
        gk_scratchFree(&sc);
    }

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
