/*
 * em_sort — puts the problem rows in problems.csv order (rules §6):
 * (school bytes, problem, group_id, source name bytes, line, source index,
 * reason), and returns the runs of equal school codes.
 *
 * A comparison sort over the rows themselves would chase the school and
 * source-name pointers at every comparison and move 72-byte rows around; with
 * millions of rows that dominated the write. Instead:
 *  1. each distinct school code gets an id (hash table on its bytes), the
 *     few distinct codes are sorted by bytes, so each row's school becomes a
 *     rank — one integer compared instead of a string;
 *  2. a counting sort by that rank groups the rows by school in O(n);
 *  3. within each school (hundreds of rows, not millions) a small key of
 *     integers — group id, source-name rank, line, source, reason — is sorted
 *     where it sits in cache; schools are independent, so this runs on
 *     several threads when asked, with the same result;
 *  4. the resulting permutation is applied to the rows by gathering them
 *     into a copy (in place, slower, when the copy cannot be allocated).
 * Extra memory: 8 bytes per row, the table of distinct codes, 64 bytes per
 * row of the largest school, and briefly a copy of the rows.
 *
 * The order is total for rows that differ in any sort field; rows equal in
 * all of them are the same (record, problem) pair and render identically, so
 * the output does not depend on the input order.
 */
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "em_internal.h"
#include "xj_alloc.h"
#include "xj_clock.h"
#include "xj_prefix.h"

/* ---- distinct school codes ---- */

/* A code's first 16 bytes as a big-endian number pair (zero-padded), and
 * its length. Two codes of at most 16 bytes are equal exactly when these
 * are, so the table below compares codes without reading a second row (a
 * random one: that cache miss per row was most of this file's time at
 * 2.5M rows). Comparing prefixes also orders two codes as their bytes do
 * wherever the prefixes differ (em_cmpCodes). */
typedef struct em_codePrefix {
    uint64_t hi, lo;
    size_t len;
} em_codePrefix;

static em_codePrefix em_prefixOf(const pb_row *r)
{
    size_t const n = r->school_len;
    return (em_codePrefix){xj_prefix64(r->school, n, 0), xj_prefix64(r->school, n, 8), n};
}

static int em_samePrefix(const em_codePrefix *a, const em_codePrefix *b)
{
    return a->hi == b->hi && a->lo == b->lo && a->len == b->len;
}

typedef struct em_schoolSlot {
    uint64_t hash;       /* XXH3_64 of the code */
    em_codePrefix key;
    uint32_t row;        /* a row holding the code, + 1 (0 = empty slot) */
    uint32_t id;         /* dense id in order of first appearance */
} em_schoolSlot;

typedef struct em_schoolTable {
    em_schoolSlot *slots; /* open addressing, linear probing */
    size_t cap;           /* power of two */
    size_t n;             /* distinct codes */
    /* the hash's seed, random: school codes come from the input, and with a
     * fixed hash, codes chosen to share their low hash bits would pile up in
     * one run of slots and make the table quadratic. The ids follow first
     * appearance and the codes are then sorted by their bytes, so the seed
     * never shows in the output. */
    uint64_t seed;
} em_schoolTable;

static xj_error em_tableGrow(em_schoolTable *t)
{
    size_t const ncap = t->cap ? t->cap * 2 : 1024;
    em_schoolSlot *const slots = xj_callocTable(ncap, sizeof *slots);
    if (slots == NULL) return XJ_ERR_NOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].row == 0) continue;
        size_t k = (size_t)t->slots[i].hash & (ncap - 1);
        while (slots[k].row) k = (k + 1) & (ncap - 1);
        slots[k] = t->slots[i];
    }
    xj_free(t->slots);
    t->slots = slots;
    t->cap = ncap;
    return XJ_OK;
}

/* The id of rows[i]'s school code, adding it when new. */
static xj_error em_tableId(em_schoolTable *t, const pb_row *rows, uint32_t i, uint32_t *id)
{
    if ((t->n + 1) * 2 > t->cap) FORWARD_IF_ERROR(em_tableGrow(t));
    uint64_t const h = XXH3_64bits_withSeed(rows[i].school, rows[i].school_len, t->seed);
    em_codePrefix const key = em_prefixOf(&rows[i]);
    size_t k = (size_t)h & (t->cap - 1);
    while (t->slots[k].row) {
        const em_schoolSlot *const s = &t->slots[k];
        if (s->hash == h && em_samePrefix(&s->key, &key) &&
            (key.len <= 16 || em_sameSchool(&rows[s->row - 1], &rows[i]))) {
            *id = s->id;
            return XJ_OK;
        }
        k = (k + 1) & (t->cap - 1);
    }
    t->slots[k] = (em_schoolSlot){h, key, i + 1, (uint32_t)t->n};
    *id = (uint32_t)t->n++;
    return XJ_OK;
}

/* A distinct code to sort, by its prefix (em_codePrefix) and, where two
 * prefixes are equal, its bytes. Sorting ids with a callback that read two
 * random rows per comparison cost ~0.3 s of one core at 200M rows while
 * the other waited. */
typedef struct em_codeKey {
    uint64_t hi, lo;
    uint32_t id;   /* school id (em_tableId) */
    uint32_t row;  /* a row holding the code */
} em_codeKey;

static int em_cmpCodes(const void *pa, const void *pb, void *arg)
{
    const em_codeKey *const x = pa, *const y = pb;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    const pb_row *const rows = arg;
    const pb_row *const a = &rows[x->row], *const b = &rows[y->row];
    size_t const n = a->school_len < b->school_len ? a->school_len : b->school_len;
    int const c = n ? memcmp(a->school, b->school, n) : 0;
    if (c) return c;
    return a->school_len < b->school_len ? -1 : a->school_len > b->school_len;
}

/* ---- within one school ---- */

typedef struct em_rowKey {
    uint64_t group;    /* group id; 0 for id_invalid, which prints none */
    uint64_t line;     /* 1-based line of the record */
    uint32_t name;     /* rank of the source's name among the input names */
    uint32_t source;   /* input index */
    uint32_t row;      /* index into run->rows */
    uint8_t problem;   /* pb_problem */
    uint8_t reason;    /* row reason */
} em_rowKey;

static inline int em_keyLess(const em_rowKey *a, const em_rowKey *b)
{
    if (a->problem != b->problem) return a->problem < b->problem;
    if (a->group != b->group) return a->group < b->group;
    if (a->name != b->name) return a->name < b->name;
    if (a->line != b->line) return a->line < b->line;
    if (a->source != b->source) return a->source < b->source;
    return a->reason < b->reason;
}

/* Merge sort of a[0, n) with tmp[0, n) as scratch: the comparison inlined
 * (qsort's callback and byte-wise element copies cost more than the
 * comparisons themselves here). Insertion sort makes runs of 16 first. */
static void em_sortKeys(em_rowKey *a, em_rowKey *tmp, size_t n)
{
    enum { RUN = 16 };
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t const hi = lo + RUN < n ? lo + RUN : n;
        for (size_t i = lo + 1; i < hi; i++) {
            em_rowKey const k = a[i];
            size_t j = i;
            for (; j > lo && em_keyLess(&k, &a[j - 1]); j--) a[j] = a[j - 1];
            a[j] = k;
        }
    }
    em_rowKey *src = a, *dst = tmp;
    for (size_t width = RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t const mid = lo + width < n ? lo + width : n;
            size_t const hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) dst[o++] = em_keyLess(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[o++] = src[i++];
            while (j < hi) dst[o++] = src[j++];
        }
        em_rowKey *const t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Input names ranked by bytes; equal names share a rank (the input index
 * breaks the tie only after the line, as rules §6 orders). */
static int em_cmpNames(const void *pa, const void *pb, void *arg)
{
    const em_input *const in = arg;
    uint32_t const a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    int const c = strcmp(in[a].name, in[b].name);
    return c ? c : (a < b ? -1 : a > b);
}

static xj_error em_rankNames(const em_run *run, uint32_t **out)
{
    size_t const n = run->n_inputs;
    uint32_t *const order = xj_mallocArray(n ? n : 1, sizeof *order);
    uint32_t *const rank = xj_mallocArray(n ? n : 1, sizeof *rank);
    if (order == NULL || rank == NULL) {
        xj_free(order);
        xj_free(rank);
        return XJ_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
    qsort_r(order, n, sizeof *order, em_cmpNames, (void *)run->inputs);
    uint32_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(run->inputs[order[i]].name, run->inputs[order[i - 1]].name) != 0) r++;
        rank[order[i]] = r;
    }
    xj_free(order);
    *out = rank;
    return XJ_OK;
}

/* Sorts perm[from, to) (rows of one school) with `keys` and `tmp` as scratch. */
static void em_sortSchool(const em_run *run, const uint32_t *name_rank, uint32_t *perm, size_t from, size_t to,
                          em_rowKey *keys, em_rowKey *tmp)
{
    size_t const n = to - from;
    for (size_t k = 0; k < n; k++) {
        const pb_row *const r = &run->rows[perm[from + k]];
        keys[k] = (em_rowKey){r->problem == PB_ID_INVALID ? 0 : r->group_id, r->line, name_rank[r->source], r->source,
                              perm[from + k], r->problem, r->reason};
    }
    em_sortKeys(keys, tmp, n);
    for (size_t k = 0; k < n; k++) perm[from + k] = keys[k].row;
}

/* rows[i] = old rows[perm[i]]. Gathering into a copy lets the CPU overlap
 * the cache misses of the random reads (each load is independent), and
 * lets the run's threads share the work (at 2.5M rows it was a few tenths
 * of a second on one core); when that copy cannot be had, the cycles of
 * the permutation are followed in place (no memory, but every miss waits
 * for the previous one). perm is consumed. */
static void em_permute(pb_row *rows, uint32_t *perm, size_t n, int threads)
{
    pb_row *const copy = xj_mallocArray(n ? n : 1, sizeof *copy);
    if (copy != NULL) {
        enum { BLOCK = 4096 };
        long const blocks = (long)((n + BLOCK - 1) / BLOCK);
        (void)threads; /* without OpenMP the loops run serially */
#pragma omp parallel num_threads(threads)
        {
#pragma omp for schedule(static)
            for (long i = 0; i < (long)n; i++) {
                if ((size_t)i + 8 < n) __builtin_prefetch(&rows[perm[i + 8]]);
                copy[i] = rows[perm[i]];
            }
#pragma omp for schedule(static)
            for (long b = 0; b < blocks; b++) {
                size_t const from = (size_t)b * BLOCK, len = n - from < BLOCK ? n - from : BLOCK;
                memcpy(rows + from, copy + from, len * sizeof *rows);
            }
        }
        xj_free(copy);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (perm[i] == i) continue;
        pb_row const first = rows[i];
        size_t j = i;
        for (;;) {
            size_t const k = perm[j];
            perm[j] = (uint32_t)j;
            if (k == i) {
                rows[j] = first;
                break;
            }
            rows[j] = rows[k];
            j = k;
        }
    }
}

/* Each school's run of perm (runs[r] .. runs[r + 1]) sorted, the schools
 * shared out among the run's threads. XJ_ERR_NOMEM when a thread's
 * scratch cannot be had. */
static xj_error em_sortSchools(const em_run *run, const uint32_t *name_rank, uint32_t *perm, const size_t *runs,
                               size_t n_codes)
{
    xj_error err = XJ_OK;
    size_t largest = 0;
    for (size_t r = 0; r < n_codes; r++)
        if (runs[r + 1] - runs[r] > largest) largest = runs[r + 1] - runs[r];
    int const threads = run->threads > 1 && n_codes > 1 ? run->threads : 1;
    (void)threads; /* without OpenMP the loop below runs serially */
#pragma omp parallel num_threads(threads)
    {
        em_rowKey *const keys = xj_mallocArray(largest ? largest : 1, sizeof *keys);
        em_rowKey *const tmp = xj_mallocArray(largest ? largest : 1, sizeof *tmp);
        xj_error local = keys && tmp ? XJ_OK : XJ_ERR_NOMEM;
#pragma omp for schedule(dynamic, 64)
        for (long r = 0; r < (long)n_codes; r++)
            if (!local) em_sortSchool(run, name_rank, perm, runs[r], runs[r + 1], keys, tmp);
        xj_free(keys);
        xj_free(tmp);
#pragma omp critical(em_sortError)
        if (local && !err) err = local;
    }
    return err;
}

xj_error em_checkRows(const em_run *run, xj_status *st)
{
    for (size_t i = 0; i < run->n_rows; i++)
        RETURN_ERROR_IF(run->rows[i].source >= run->n_inputs || run->rows[i].problem >= PB_PROBLEM_COUNT, st,
                        XJ_ERR_INTERNAL, "internal error: problem row %zu names input %u, problem %u", i,
                        (unsigned)run->rows[i].source, (unsigned)run->rows[i].problem);
    return XJ_OK;
}

xj_error em_sortRows(em_ctx *ctx, size_t **runs_out, size_t *n_runs_out)
{
    em_run *const run = ctx->run;
    size_t const n = run->n_rows;
    *runs_out = NULL;
    *n_runs_out = 0;
    RETURN_ERROR_IF(n >= UINT32_MAX, ctx->st, XJ_ERR_LIMIT,
                    "%zu problem rows: more than this version can write (4,294,967,294)", n);
    FORWARD_IF_ERROR(em_checkRows(run, ctx->st));

    xj_error err = XJ_OK;
    em_schoolTable table = {.seed = xj_random()};
    uint32_t *const sid = xj_mallocArray(n ? n : 1, sizeof *sid);    /* school id, then rank, per row */
    uint32_t *const perm = xj_mallocArray(n ? n : 1, sizeof *perm);  /* sorted position -> row */
    uint32_t *name_rank = NULL, *rank = NULL;
    em_codeKey *codes = NULL;
    size_t *runs = NULL;
    if (sid == NULL || perm == NULL) err = XJ_ERR_NOMEM;
    if (!err) err = em_rankNames(run, &name_rank);
    for (size_t i = 0; i < n && !err; i++) {
        /* each code a cache miss, filed on one core while the others wait */
        em_prefetchSchoolAhead(run, i);
        err = em_tableId(&table, run->rows, (uint32_t)i, &sid[i]);
    }

    /* rank the distinct codes by bytes; runs[r] = first sorted position of rank r */
    size_t const n_codes = table.n;
    if (!err) {
        codes = xj_mallocArray(n_codes ? n_codes : 1, sizeof *codes);
        rank = xj_mallocArray(n_codes ? n_codes : 1, sizeof *rank);
        runs = xj_mallocArray(n_codes + 1, sizeof *runs);
        if (codes == NULL || rank == NULL || runs == NULL) err = XJ_ERR_NOMEM;
    }
    if (!err) {
        for (size_t k = 0; k < table.cap; k++)
            if (table.slots[k].row)
                codes[table.slots[k].id] = (em_codeKey){table.slots[k].key.hi, table.slots[k].key.lo,
                                                        table.slots[k].id, table.slots[k].row - 1};
        qsort_r(codes, n_codes, sizeof *codes, em_cmpCodes, run->rows);
        for (size_t r = 0; r < n_codes; r++) rank[codes[r].id] = (uint32_t)r;
        memset(runs, 0, (n_codes + 1) * sizeof *runs);
        for (size_t i = 0; i < n; i++) runs[(sid[i] = rank[sid[i]]) + 1]++;
        for (size_t r = 0; r < n_codes; r++) runs[r + 1] += runs[r];
        /* counting sort: runs[r] moves through its run and is restored after */
        for (size_t i = 0; i < n; i++) perm[runs[sid[i]]++] = (uint32_t)i;
        for (size_t r = n_codes; r > 0; r--) runs[r] = runs[r - 1];
        runs[0] = 0;
    }
    xj_free(table.slots);
    xj_free(codes);
    xj_free(rank);
    xj_free(sid);

    if (!err) err = em_sortSchools(run, name_rank, perm, runs, n_codes);
    if (!err) em_permute(run->rows, perm, n, run->threads > 1 ? run->threads : 1);
    xj_free(perm);
    xj_free(name_rank);
    if (err) {
        xj_free(runs);
        return st_fail(ctx->st, err, "out of memory sorting %zu problem rows", n);
    }
    *runs_out = runs;
    *n_runs_out = n_codes;
    return XJ_OK;
}
