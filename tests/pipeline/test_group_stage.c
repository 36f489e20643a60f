/*
 * test_group_stage — the grouping stage run alone (scan_group.h), on key
 * tables made by hand: no inputs, no run, no pass 1.
 *
 * Three things are checked against a plain reference (every entry sorted
 * by key, then runs counted):
 *   - the groups of tables of all three kinds, with the --attr-scope mixed
 *     rule (an attribute group needs a member without an ID number);
 *   - that the same entries split over one table or over several (as
 *     workers', or tables received from other processes, would be) give the
 *     same groups, in the same order;
 *   - a source asked by key (what a batch check's register is) joined in:
 *     it is asked about every distinct key of the tables, once, and its
 *     members follow the tables' own in the key's group.
 */
#include <stdlib.h>
#include <string.h>

#include "grp_decide.h"
#include "scan_group.h"
#include "test_check.h"
#include "xj_alloc.h"

#define CHECK TC_CHECK

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { return tc_random(&g_rng); }

typedef struct entry {
    uint64_t hi, lo, ref;
} entry;

/* ---- the reference ---- */

static int cmp_entry(const void *pa, const void *pb)
{
    const entry *const a = pa, *const b = pb;
    unsigned const sa = gk_shardOf(a->hi, a->lo), sb = gk_shardOf(b->hi, b->lo);
    if (sa != sb) return sa < sb ? -1 : 1;
    if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
    uint64_t const ra = a->ref & ~GK_HAS_ID, rb = b->ref & ~GK_HAS_ID;
    return ra < rb ? -1 : ra > rb;
}

/* The groups as flat text, "hi:lo=ref,ref;" a group, in order (hex). */
static char *reference(entry *e, size_t n, size_t min_members, int need_no_id)
{
    qsort(e, n, sizeof *e, cmp_entry);
    size_t cap = 64 + n * 64, len = 0;
    char *const out = malloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && e[j].hi == e[i].hi && e[j].lo == e[i].lo) j++;
        int has_no_id = 0;
        for (size_t k = i; k < j; k++) has_no_id |= !(e[k].ref & GK_HAS_ID);
        if (j - i >= min_members && (!need_no_id || has_no_id)) {
            len += (size_t)snprintf(out + len, cap - len, "%llx:%llx=", (unsigned long long)e[i].hi,
                                    (unsigned long long)e[i].lo);
            for (size_t k = i; k < j; k++)
                len += (size_t)snprintf(out + len, cap - len, "%s%llx", k > i ? "," : "", (unsigned long long)e[k].ref);
            len += (size_t)snprintf(out + len, cap - len, ";");
        }
        i = j;
    }
    return out;
}

static char *render(const gk_groups *gs)
{
    size_t cap = 64 + gs->n * 48 + gs->n_refs * 24, len = 0;
    char *const out = malloc(cap);
    out[0] = '\0';
    for (size_t g = 0; g < gs->n; g++) {
        len += (size_t)snprintf(out + len, cap - len, "%llx:%llx=", (unsigned long long)gs->g[g].hi,
                                (unsigned long long)gs->g[g].lo);
        for (uint32_t i = 0; i < gs->g[g].n; i++)
            len += (size_t)snprintf(out + len, cap - len, "%s%llx", i ? "," : "",
                                    (unsigned long long)gs->refs[gs->g[g].first + i]);
        len += (size_t)snprintf(out + len, cap - len, ";");
    }
    return out;
}

/* ---- tables made by hand ---- */

#define MAX_TABLES 4

/* Entries of one kind spread over n_tables tables, entry i in table
 * i % n_tables (or all in table 0). */
static void fill(gk_table *tabs, size_t n_tables, int kind, const entry *e, size_t n)
{
    for (size_t t = 0; t < n_tables; t++) gk_tableInit(&tabs[t], kind != GD_KEY_GB);
    for (size_t i = 0; i < n; i++)
        if (gk_add(&tabs[i % n_tables], e[i].hi, e[i].lo, e[i].ref) != XJ_OK) abort();
}

/* Random entries of `kind`: keys from a small space, so that many repeat;
 * refs unique (source, line), GK_HAS_ID on some attribute entries. */
static entry *random_entries(int kind, size_t n, uint32_t source)
{
    entry *const e = malloc(n * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        uint64_t const k = rnd() % (n / 2 + 1);
        e[i].hi = kind == GD_KEY_GB ? 0 : k * 0x9E3779B97F4A7C15ull;
        e[i].lo = k * 7919 + 1;
        e[i].ref = gk_ref(source, 2 + i) | (kind == GD_KEY_ATTR && rnd() % 3 ? GK_HAS_ID : 0);
    }
    return e;
}

/* One run of the stage over the entries split into n_tables tables; each
 * kind's groups rendered into kinds_out[kind]. */
static void group_split(const entry *const *e, const size_t *n, size_t n_tables, int attr_mixed,
                         const sc_keyLookup *lookup, char **kinds_out)
{
    gk_table tabs[SC_KEY_KINDS][MAX_TABLES];
    gk_table *ptr[SC_KEY_KINDS][MAX_TABLES];
    sc_keyTables tables = {.n = n_tables};
    for (int k = 0; k < SC_KEY_KINDS; k++) {
        fill(tabs[k], n_tables, k, e[k], n[k]);
        for (size_t t = 0; t < n_tables; t++) ptr[k][t] = &tabs[k][t];
        tables.of[k] = ptr[k];
    }
    gk_groups out[SC_KEY_KINDS] = {0};
    xj_status st;
    st_init(&st);
    xj_error const err = sc_groupKeys(&tables, lookup, attr_mixed, 2, out, &st);
    CHECK(err == XJ_OK, "sc_groupKeys failed: %s", st.message);
    for (int k = 0; k < SC_KEY_KINDS; k++) {
        kinds_out[k] = render(&out[k]);
        gk_groupsFree(&out[k]);
        for (size_t t = 0; t < n_tables; t++) gk_tableFree(&tabs[k][t]);
    }
}

/* A small case whose groups are written out. */
static void test_by_hand(void)
{
    /* GB key 5: three records of two inputs; key 6: one record; key 7:
     * two records, one of them in another table */
    static const entry gb[] = {{0, 5, 0x1000000000009}, {0, 6, 0x3}, {0, 5, 0x4}, {0, 7, 0x8}, {0, 5, 0x2},
                               {0, 7, 0x1000000000001}};
    /* attributes: key (1,1) only records with an ID; key (2,2) one without */
    static const entry attr[] = {{1, 1, 0x10 | GK_HAS_ID}, {1, 1, 0x11 | GK_HAS_ID}, {2, 2, 0x20 | GK_HAS_ID},
                                 {2, 2, 0x21}};
    const entry *const e[SC_KEY_KINDS] = {gb, NULL, attr};
    size_t const n[SC_KEY_KINDS] = {6, 0, 4};
    for (int mixed = 0; mixed < 2; mixed++) {
        char *kinds[SC_KEY_KINDS];
        group_split(e, n, 2, mixed, NULL, kinds);
        /* the order of keys 5 and 7 is their shards' */
        char want5[] = "0:5=2,4,1000000000009;", want7[] = "0:7=8,1000000000001;";
        char want[128];
        if (gk_shardOf(0, 5) <= gk_shardOf(0, 7)) snprintf(want, sizeof want, "%s%s", want5, want7);
        else snprintf(want, sizeof want, "%s%s", want7, want5);
        CHECK(strcmp(kinds[GD_KEY_GB], want) == 0, "GB groups: got %s, want %s", kinds[GD_KEY_GB], want);
        CHECK(strcmp(kinds[GD_KEY_OTHER_ID], "") == 0, "other-ID groups from no entries: %s", kinds[GD_KEY_OTHER_ID]);
        char const *const attr_want =
            mixed ? "2:2=800000000020,21;"
                  : (gk_shardOf(1, 1) <= gk_shardOf(2, 2) ? "1:1=800000000010,800000000011;2:2=800000000020,21;"
                                                           : "2:2=800000000020,21;1:1=800000000010,800000000011;");
        CHECK(strcmp(kinds[GD_KEY_ATTR], attr_want) == 0, "attribute groups (mixed %d): got %s, want %s", mixed,
              kinds[GD_KEY_ATTR], attr_want);
        for (int k = 0; k < SC_KEY_KINDS; k++) free(kinds[k]);
    }
}

/* Random tables against the reference, and one table against several. */
static void test_random_splits(void)
{
    for (int round = 0; round < 4; round++) {
        size_t const n[SC_KEY_KINDS] = {200 + rnd() % 3000, rnd() % 2000, 100 + rnd() % 3000};
        entry *e[SC_KEY_KINDS];
        for (int k = 0; k < SC_KEY_KINDS; k++) e[k] = random_entries(k, n[k] ? n[k] : 1, (uint32_t)k);
        int const mixed = round % 2;
        char *first[SC_KEY_KINDS] = {0};
        for (size_t n_tables = 1; n_tables <= MAX_TABLES; n_tables++) {
            char *kinds[SC_KEY_KINDS];
            group_split((const entry *const *)e, n, n_tables, mixed, NULL, kinds);
            for (int k = 0; k < SC_KEY_KINDS; k++) {
                if (n_tables == 1) {
                    first[k] = kinds[k];
                    continue;
                }
                CHECK(strcmp(first[k], kinds[k]) == 0, "round %d kind %d: %zu tables group otherwise than one",
                      round, k, n_tables);
                free(kinds[k]);
            }
        }
        for (int k = 0; k < SC_KEY_KINDS; k++) {
            entry *const copy = malloc((n[k] ? n[k] : 1) * sizeof *copy);
            memcpy(copy, e[k], n[k] * sizeof *copy);
            char *const want = reference(copy, n[k], 2, k == GD_KEY_ATTR && mixed);
            CHECK(strcmp(first[k], want) == 0, "round %d kind %d: the groups differ from the reference", round, k);
            free(want);
            free(copy);
            free(first[k]);
            free(e[k]);
        }
    }
}

/* ---- a source asked by key ---- */

/* Holds entries of its own (sources from 100 on) and answers for any key. */
typedef struct fake_source {
    entry *e[SC_KEY_KINDS];
    size_t n[SC_KEY_KINDS];
    size_t asked[SC_KEY_KINDS];   /* keys asked about */
    size_t calls;
} fake_source;

static xj_error fake_find(void *self, const gk_groups keys[SC_KEY_KINDS], sc_keyHits hits[SC_KEY_KINDS],
                          xj_status *st)
{
    fake_source *const src = self;
    (void)st;
    src->calls++;
    for (int k = 0; k < SC_KEY_KINDS; k++) {
        src->asked[k] = keys[k].n;
        hits[k].first = xj_mallocArray(keys[k].n + 1, sizeof *hits[k].first);
        hits[k].refs = xj_mallocArray(src->n[k] + 1, sizeof *hits[k].refs);
        size_t at = 0;
        for (size_t g = 0; g < keys[k].n; g++) {
            hits[k].first[g] = at;
            for (size_t i = 0; i < src->n[k]; i++) /* sorted by ref: the order the stage wants */
                if (src->e[k][i].hi == keys[k].g[g].hi && src->e[k][i].lo == keys[k].g[g].lo)
                    hits[k].refs[at++] = src->e[k][i].ref;
        }
        hits[k].first[keys[k].n] = at;
    }
    return XJ_OK;
}

static int cmp_ref(const void *pa, const void *pb)
{
    uint64_t const a = ((const entry *)pa)->ref & ~GK_HAS_ID, b = ((const entry *)pb)->ref & ~GK_HAS_ID;
    return a < b ? -1 : a > b;
}

static void test_joined_source(void)
{
    for (int round = 0; round < 4; round++) {
        size_t const n[SC_KEY_KINDS] = {100 + rnd() % 1000, rnd() % 500, 100 + rnd() % 1000};
        fake_source src = {0};
        entry *e[SC_KEY_KINDS];
        for (int k = 0; k < SC_KEY_KINDS; k++) {
            e[k] = random_entries(k, n[k] ? n[k] : 1, (uint32_t)k);
            src.n[k] = n[k] / 2;
            src.e[k] = random_entries(k, src.n[k] ? src.n[k] : 1, 100 + (uint32_t)k);
            qsort(src.e[k], src.n[k], sizeof *src.e[k], cmp_ref);
        }
        int const mixed = round % 2;
        sc_keyLookup const lookup = {fake_find, &src};
        char *kinds[SC_KEY_KINDS];
        group_split((const entry *const *)e, n, 3, mixed, &lookup, kinds);
        CHECK(src.calls == 1, "the source was asked %zu times, want once", src.calls);
        for (int k = 0; k < SC_KEY_KINDS; k++) {
            /* the reference: the source's entries whose key the tables have
             * join them; groups need two members in all */
            size_t const m = n[k] + src.n[k];
            entry *const all = malloc((m ? m : 1) * sizeof *all);
            memcpy(all, e[k], n[k] * sizeof *all);
            size_t at = n[k], distinct = 0;
            for (size_t i = 0; i < src.n[k]; i++) {
                int known = 0;
                for (size_t j = 0; j < n[k] && !known; j++)
                    known = e[k][j].hi == src.e[k][i].hi && e[k][j].lo == src.e[k][i].lo;
                if (known) all[at++] = src.e[k][i];
            }
            for (size_t i = 0; i < n[k]; i++) {
                int seen = 0;
                for (size_t j = 0; j < i && !seen; j++) seen = e[k][j].hi == e[k][i].hi && e[k][j].lo == e[k][i].lo;
                distinct += !seen;
            }
            CHECK(src.asked[k] == distinct, "round %d kind %d: asked about %zu keys, the tables have %zu", round, k,
                  src.asked[k], distinct);
            char *const want = reference(all, at, 2, k == GD_KEY_ATTR && mixed);
            CHECK(strcmp(kinds[k], want) == 0, "round %d kind %d: the joined groups differ from the reference",
                  round, k);
            free(want);
            free(all);
            free(kinds[k]);
            free(e[k]);
            free(src.e[k]);
        }
    }
}

int main(void)
{
    test_by_hand();
    test_random_splits();
    test_joined_source();
    return tc_finish("test_group_stage");
}
