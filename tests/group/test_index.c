/*
 * test_index — gr_find with the sampled index (gr_indexInit) against a
 * linear search: the first record whose ref equals the one asked (its
 * GK_FLAGS bits ignored), or none. Sizes on both sides of multiples of
 * GR_INDEX_EVERY; refs with gaps, runs of equal refs (across sample
 * boundaries too), and refs asked that lie before, between and after.
 */
#include <stdlib.h>

#include "grp_decide.h"
#include "test_check.h"

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { return tc_random(&g_rng); }

static const gr_record *linear(const gr_record *recs, size_t n, uint64_t ref)
{
    ref &= ~GK_FLAGS;
    for (size_t i = 0; i < n; i++)
        if (recs[i].ref == ref) return &recs[i];
    return NULL;
}

/* n records, refs ascending by steps of 0 (repeats: `repeats` in 8), 1 or
 * more, over two sources. */
static void run_case(size_t n, int repeats)
{
    gr_record *const recs = calloc(n ? n : 1, sizeof *recs);
    uint64_t ref = gk_ref(0, 5);
    for (size_t i = 0; i < n; i++) {
        if (i == n / 2) ref = gk_ref(1, 2); /* the second source */
        else if (i && (int)(rnd() % 8) >= repeats) ref += 1 + rnd() % 3;
        recs[i].ref = ref;
    }
    gr_index ix;
    gr_indexInit(&ix, recs, n);
    TC_CHECK(n < 2 * GR_INDEX_EVERY || ix.every != NULL, "n %zu: no sampled index", n);
    gr_index const plain = {.recs = recs, .n = n};
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (int d = -1; d <= 1; d++) {
            uint64_t const q = recs[i].ref + (uint64_t)(int64_t)d;
            const gr_record *const want = linear(recs, n, q);
            bad += gr_find(&ix, q) != want || gr_find(&plain, q) != want;
            bad += gr_find(&ix, q | GK_HAS_ID) != want;
        }
    }
    uint64_t const outside[] = {0, gk_ref(0, 4), gk_ref(1, 1), gk_ref(2, 0), ~GK_FLAGS};
    for (size_t k = 0; k < sizeof outside / sizeof *outside; k++)
        bad += gr_find(&ix, outside[k]) != linear(recs, n, outside[k]);
    TC_CHECK(bad == 0, "n %zu, repeats %d: %zu lookups differ from a linear search", n, repeats, bad);
    gr_indexFree(&ix);
    TC_CHECK(ix.every == NULL && ix.n_every == 0, "freed");
    free(recs);
}

int main(void)
{
    size_t const sizes[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 100, 1000, 4099};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        for (int repeats = 0; repeats <= 7; repeats += 3) run_case(sizes[k], repeats);
    return tc_finish("test_index");
}
