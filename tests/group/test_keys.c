/*
 * test_keys — grouping by key (grp_keys) against a plain reference: all
 * entries in one array, qsort by (shard, key, ref), runs of two or more.
 * Keys come from a small domain so that groups of every size occur; entries
 * are spread over several worker tables in random order; narrow and wide
 * tables; the mixed rule (a group needs a member without GK_HAS_ID); shards
 * cut into parts (gk_setPartEntries) or whole.
 */
#include <stdlib.h>
#include <string.h>

#include "grp_keys.h"
#include "test_check.h"

typedef struct ref_entry {
    uint64_t hi, lo, ref;
} ref_entry;

static uint64_t g_rng = 88172645463325252ull;
static uint64_t rnd(void) { return tc_random(&g_rng); }

static int cmp_ref(const void *pa, const void *pb)
{
    const ref_entry *a = pa, *b = pb;
    unsigned const sa = gk_shardOf(a->hi, a->lo), sb = gk_shardOf(b->hi, b->lo);
    if (sa != sb) return sa < sb ? -1 : 1;
    if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
    uint64_t const x = a->ref & ~GK_HAS_ID, y = b->ref & ~GK_HAS_ID;
    return x < y ? -1 : x > y;
}

/* The inverse of the shard mix's multiplier modulo 2^64 (Newton). */
static uint64_t mix_inverse(void)
{
    uint64_t const c = GK_MIX_MULTIPLIER;
    uint64_t x = c; /* right to 3 bits for any odd c; each step doubles them */
    for (int i = 0; i < 6; i++) x *= 2 - c * x;
    return x;
}

/* collide 1: narrow keys k << 50, whose mixes differ only in their top 14
 * bits, so they crowd the same shards and hash slots (long probe runs).
 * collide 2: keys whose mixes are consecutive numbers — what someone who
 * knows the mix can put in a file: one shard, one run of slots, so the hash
 * table gives up and every key is sorted. */
static void run_case_keys(size_t n, uint64_t domain, int wide, int need_no_id, int n_tables, int collide)
{
    uint64_t const inverse = mix_inverse();
    ref_entry *all = calloc(n, sizeof *all);
    gk_table *tables = calloc((size_t)n_tables, sizeof *tables);
    gk_table **ptrs = calloc((size_t)n_tables, sizeof *ptrs);
    for (int t = 0; t < n_tables; t++) {
        gk_tableInit(&tables[t], wide);
        ptrs[t] = &tables[t];
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t const k = rnd() % domain;
        /* packed-ID-like keys for narrow tables, hash-like for wide */
        all[i].hi = wide ? k * 0x9E3779B97F4A7C15ull : 0;
        all[i].lo = wide ? ~k
                    : collide == 1 ? k << 50
                    : collide == 2 ? (0x5A00000000000000ull + k) * inverse
                                   : 110101000000000000ull + k * 11;
        all[i].ref = gk_ref((uint32_t)(i % 3), i + 2) | (need_no_id && rnd() % 3 == 0 ? GK_HAS_ID : 0);
        TC_CHECK(gk_add(&tables[rnd() % (uint64_t)n_tables], all[i].hi, all[i].lo, all[i].ref) == XJ_OK, "add");
    }
    xj_status st;
    st_init(&st);
    gk_groups gs;
    TC_CHECK(gk_findGroups(ptrs, (size_t)n_tables, 2, need_no_id, 2, &gs, &st) == XJ_OK, "%s", st.message);

    qsort(all, n, sizeof *all, cmp_ref);
    size_t g = 0, refs = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && all[j].hi == all[i].hi && all[j].lo == all[i].lo) j++;
        int keep = j - i >= 2;
        if (keep && need_no_id) {
            keep = 0;
            for (size_t k = i; k < j; k++) keep |= !(all[k].ref & GK_HAS_ID);
        }
        if (keep) {
            TC_CHECK(g < gs.n, "fewer groups than the reference (%zu)", gs.n);
            if (g < gs.n) {
                gk_group const *const x = &gs.g[g];
                TC_CHECK(x->hi == all[i].hi && x->lo == all[i].lo, "group %zu key", g);
                TC_CHECK(x->n == j - i && x->first == refs, "group %zu: %u members at %zu, want %zu at %zu", g, x->n,
                         x->first, j - i, refs);
                for (size_t k = 0; k < j - i && k < x->n; k++)
                    TC_CHECK(gs.refs[x->first + k] == all[i + k].ref, "group %zu member %zu", g, k);
            }
            g++;
            refs += j - i;
        }
        i = j;
    }
    TC_CHECK(g == gs.n && refs == gs.n_refs, "groups %zu/%zu, refs %zu/%zu", gs.n, g, gs.n_refs, refs);
    for (int t = 0; t < n_tables; t++)
        for (unsigned s = 0; s < GK_SHARDS; s++) TC_CHECK(tables[t].shard[s].v == NULL, "tables are consumed");
    gk_groupsFree(&gs);
    free(ptrs);
    free(tables);
    free(all);
}

static void run_case(size_t n, uint64_t domain, int wide, int need_no_id, int n_tables)
{
    run_case_keys(n, domain, wide, need_no_id, n_tables, 0);
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t const a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

static int cmp_entry3(const void *pa, const void *pb)
{
    const uint64_t *a = pa, *b = pb;
    for (int w = 0; w < 3; w++)
        if (a[w] != b[w]) return a[w] < b[w] ? -1 : 1;
    return 0;
}

/* gk_sortWords and gk_sortEntries (stride 3) against qsort, at sizes on
 * both sides of the comparison-sort cut (256) and of the digit-width one
 * (2^17), on values with few bits set (constant digits are passed over),
 * narrow ranges (many equal keys) and full words. */
static void run_sorts(size_t n, int shape)
{
    uint64_t *const v = calloc(n ? 3 * n : 1, sizeof *v), *const want = calloc(n ? 3 * n : 1, sizeof *v);
    for (size_t i = 0; i < 3 * n; i++) {
        uint64_t const r = rnd();
        v[i] = shape == 0 ? r : shape == 1 ? r % 97 : r << 40 >> 3;
    }
    memcpy(want, v, n * sizeof *v);
    qsort(want, n, sizeof *want, cmp_u64);
    TC_CHECK(gk_sortWords(v, n) == 0, "gk_sortWords %zu", n);
    TC_CHECK(n == 0 || memcmp(v, want, n * sizeof *v) == 0, "gk_sortWords: %zu numbers (shape %d) out of order", n,
             shape);
    for (size_t i = 0; i < n; i++) v[3 * i + 2] = i ^ 0x5a5; /* distinct last words: one right order */
    memcpy(want, v, 3 * n * sizeof *v);
    qsort(want, n, 3 * sizeof *want, cmp_entry3);
    TC_CHECK(gk_sortEntries(v, n, 3) == 0, "gk_sortEntries %zu", n);
    TC_CHECK(n == 0 || memcmp(v, want, 3 * n * sizeof *v) == 0, "gk_sortEntries: %zu entries (shape %d) out of order",
             n, shape);
    free(v);
    free(want);
}

int main(void)
{
    size_t const sizes[] = {0, 1, 255, 256, 5000, 140000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        for (int shape = 0; shape < 3; shape++) run_sorts(sizes[k], shape);
    run_case(1000, 400, 0, 0, 1);
    run_case(200000, 90000, 0, 0, 3);   /* shards above the radix threshold */
    run_case(200000, 90000, 1, 0, 2);
    run_case(100000, 30000, 1, 1, 2);   /* mixed rule */
    run_case(50000, 3, 0, 0, 2);        /* a few huge groups */
    run_case(100000, 1ull << 62, 0, 0, 2); /* (almost) no group */
    run_case_keys(60000, 1u << 14, 0, 0, 2, 1);
    run_case_keys(60000, 1u << 14, 0, 1, 3, 1);
    TC_CHECK(GK_MIX_MULTIPLIER * mix_inverse() == 1, "the mix's inverse");
    run_case_keys(40000, 15000, 0, 0, 2, 2);
    /* shards cut into parts, as a national scan's are: parts of ~16
     * entries, then of one (past the cap of 4,096 parts a shard); the
     * colliding keys crowd one part's slots as they did the shard's */
    gk_setPartEntries(16);
    run_case(200000, 90000, 0, 0, 3);
    run_case(200000, 90000, 1, 0, 2);
    run_case(100000, 30000, 1, 1, 2);
    run_case(50000, 3, 0, 0, 2);
    run_case_keys(60000, 1u << 14, 0, 0, 2, 1);
    run_case_keys(40000, 15000, 0, 0, 2, 2);
    gk_setPartEntries(1);
    run_case(1200000, 600000, 0, 0, 2);
    gk_setPartEntries(0);
    char buf[64];
    TC_CHECK(gk_attrKeyText(buf, "张三", 6, 1, 20150301) == 17 && memcmp(buf, "张三\0" "1\0" "20150301", 17) == 0,
             "attribute key text");
    TC_CHECK(gk_otherIdKeyText(buf, 'A', "E123", 4) == 6 && memcmp(buf, "A\0E123", 6) == 0, "other-ID key text");
    return tc_finish("test_keys");
}
