/*
 * test_pass1_stage — pass 1 run alone on a small input whose records are
 * known by construction, and its plain-data result (sc_found) read back:
 * the counts, the rejects, the invalid IDs, the anchors and the key tables
 * (the GB key is the packed number; the attribute key is made here from
 * the name, sex and birth date, not taken from the code under test).
 *
 * Then the same input with a record hook and SC_ONE_PASS, as the index build
 * runs it: the hook sees every accepted record once, in order, and the keys
 * are filed under the references it gives; a one-pass run keeps no anchors
 * and no invalid-ID list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idcheck.h"
#include "scan_internal.h"
#include "test_check.h"

#define CHECK TC_CHECK

/* An 18-character ID with a correct check character (or a wrong one). */
static void make_id(const char *d17, int wrong, char out[19])
{
    memcpy(out, d17, 17);
    char const c = id_checkChar(d17);
    out[17] = wrong ? (c == '0' ? '1' : '0') : c;
    out[18] = '\0';
}

#define HEADER "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,学校名称,行政区划码,建籍日期\n"

/* The input, line by line (the header is line 1):
 *   2, 3  one valid ID twice (two ways of writing sex and date)
 *   4     blank
 *   5     an ID with a wrong check character
 *   6     sex "X": rejected (bad_sex)
 *   7     no ID number, type Z (other): an attribute key, no invalid ID
 *   8     a Hong Kong document: an other-ID key */
static size_t write_input(const char *path, char id_a[19], char id_bad[19])
{
    make_id("11010120150301011", 0, id_a);
    make_id("11010220140707022", 1, id_bad);
    char text[4096];
    int const n = snprintf(text, sizeof text,
                           HEADER
                           "G1,张三,男,2015-03-01,1,%s,2111010001,第一小学,110101,2021-09-01\n"
                           "G2,张 三,1,20150301,居民身份证,%s,2111010001,第一小学,110101,2021-09-02\n"
                           "\n"
                           "G3,李四,女,2014-07-07,1,%s,2111020002,第二小学,110102,2022-09-01\n"
                           "G4,王五,X,2014-07-07,1,%s,2111020002,第二小学,110102,2022-09-01\n"
                           "G5,赵六,女,2013-01-02,Z,,2111020002,第二小学,110102,2022-09-01\n"
                           "G6,孙七,男,2012-05-05,6,H1234567,2111020002,第二小学,110102,2022-09-01\n",
                           id_a, id_a, id_bad, id_a);
    FILE *const f = fopen(path, "wb");
    if (f == NULL || fwrite(text, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    return (size_t)n;
}

/* Every entry of a key table: (hi, lo, ref) triples, shard by shard. */
static size_t table_entries(const gk_table *t, uint64_t (*out)[3], size_t cap)
{
    size_t const stride = t->wide ? 3 : 2;
    size_t n = 0;
    for (unsigned s = 0; s < GK_SHARDS; s++)
        for (size_t i = 0; i < t->shard[s].n; i++, n++) {
            const uint64_t *const e = t->shard[s].v + i * stride;
            if (n < cap) {
                out[n][0] = stride == 3 ? e[0] : 0;
                out[n][1] = e[stride - 2];
                out[n][2] = e[stride - 1];
            }
        }
    return n;
}

static int has_entry(uint64_t (*e)[3], size_t n, uint64_t hi, uint64_t lo, uint64_t ref)
{
    for (size_t i = 0; i < n; i++)
        if (e[i][0] == hi && e[i][1] == lo && e[i][2] == ref) return 1;
    return 0;
}

static void run_prepare(sc_run *run, xj_scan *s, unsigned how)
{
    memset(run, 0, sizeof *run);
    run->scan = s;
    xj_error const err = sc_prepare(run, how);
    CHECK(err == XJ_OK, "sc_prepare: %s", xj_scan_message(s));
    if (err) exit(1);
}

static void test_found(xj_scan *s, const char *id_a, const char *id_bad, size_t file_len)
{
    sc_run run;
    run_prepare(&run, s, SC_NO_OUTDIR);
    CHECK(sc_pass1(&run) == XJ_OK, "pass 1: %s", xj_scan_message(s));
    CHECK(run.n_workers == 1, "%d workers, want 1", run.n_workers);
    const sc_found *const f = &run.workers[0].found;
    CHECK(f->accepted == 5, "accepted %llu, want 5", (unsigned long long)f->accepted);
    CHECK(f->blank == 1, "blank %llu, want 1", (unsigned long long)f->blank);
    CHECK(f->n_rej == 1 && f->rej[0].line == 6 && f->rej[0].reason == XJ_REJECT_BAD_SEX &&
              f->rej[0].source == 0 && f->rej[0].raw_len > 3 && memcmp(f->rej[0].raw, "G4,", 3) == 0,
          "the rejects: %zu, want line 6 bad_sex", f->n_rej);
    CHECK(f->n_inv == 1 && f->inv[0].ref == gk_ref(0, 5) && f->inv[0].reason == XJ_ID_CHECKSUM,
          "the invalid IDs: %zu, want line 5 (checksum)", f->n_inv);
    /* one chunk of 5 records: one anchor, from line 2 (right after the
     * header) to the end of the file */
    CHECK(f->n_anchor_runs == 1 && f->n_anchors == 1, "anchors: %zu runs, %zu anchors", f->n_anchor_runs,
          f->n_anchors);
    if (f->n_anchors == 1)
        CHECK(f->anchors[0].ref == gk_ref(0, 2) && f->anchors[0].offset == strlen(HEADER) &&
                  f->anchors[0].end == file_len,
              "anchor: line %llu, bytes %llu..%llu of %zu", (unsigned long long)gk_refLine(f->anchors[0].ref),
              (unsigned long long)f->anchors[0].offset, (unsigned long long)f->anchors[0].end, file_len);

    uint64_t e[64][3];
    size_t n = table_entries(&f->keys[GD_KEY_GB], e, 64);
    uint64_t const key_a = id_pack18(id_a);
    /* line 5's number has a wrong check character but is keyed all the same */
    CHECK(n == 3 && has_entry(e, n, 0, key_a, gk_ref(0, 2)) && has_entry(e, n, 0, key_a, gk_ref(0, 3)) &&
              has_entry(e, n, 0, id_pack18(id_bad), gk_ref(0, 5)),
          "GB keys: %zu entries, want lines 2, 3 and 5 under their packed numbers", n);
    /* and, in a table of its own, under each number one typing slip away
     * (docs/suspects.md), flagged */
    uint64_t slips[ID_SLIPS_MAX];
    size_t const n_slips = id_slipNeighbours(id_bad, slips);
    n = table_entries(&f->slips, e, 64);
    for (size_t i = 0; i < n_slips; i++)
        CHECK(has_entry(e, n, 0, slips[i], gk_ref(0, 5) | GK_SUSPECT), "line 5 is not filed under slip %zu", i);
    CHECK(n == n_slips && n_slips > 0, "slipped entries: %zu, want %zu", n, n_slips);
    n = table_entries(&f->keys[GD_KEY_OTHER_ID], e, 16);
    CHECK(n == 1 && e[0][2] == gk_ref(0, 8), "other-ID keys: %zu entries, want line 8 only", n);
    n = table_entries(&f->keys[GD_KEY_ATTR], e, 16);
    char text[64];
    gk_key const k = gk_attrKey(text, "赵六", strlen("赵六"), 2, 20130102);
    CHECK(n == 1 && has_entry(e, n, k.hi, k.lo, gk_ref(0, 7)),
          "attribute keys: %zu entries, want line 7 under (赵六, 2, 2013-01-02)", n);
    sc_counts const c = sc_countFound(&run);
    CHECK(c.accepted == 5 && c.rejected == 1 && c.blank == 1, "sc_countFound");
    sc_runFree(&run);
}

/* ---- the record hook ---- */

typedef struct hook_log {
    uint64_t lines[16];
    size_t n;
    size_t chunks;
    int bad_worker;
} hook_log;

static xj_error on_record(void *user, int worker, uint32_t source, uint64_t line, const ps_view *v, const ck_facts *f,
                          uint64_t *key_ref, xj_status *st)
{
    hook_log *const log = user;
    (void)v;
    (void)f;
    (void)st;
    log->bad_worker |= worker != 0 || source != 0 || *key_ref != gk_ref(source, line);
    if (log->n < 16) log->lines[log->n] = line;
    log->n++;
    *key_ref = 1000 + line;
    return XJ_OK;
}

static xj_error on_chunk(void *user, int worker, const rd_chunk *chunk, xj_status *st)
{
    hook_log *const log = user;
    (void)st;
    log->bad_worker |= worker != 0 || chunk->source != 0;
    log->chunks++;
    return XJ_OK;
}

static void test_hook(xj_scan *s, const char *id_a, const char *id_bad)
{
    sc_run run;
    run_prepare(&run, s, SC_NO_OUTDIR | SC_ONE_PASS);
    hook_log log = {0};
    sc_recordHook const hook = {on_record, on_chunk, &log};
    run.hook = &hook;
    CHECK(sc_pass1(&run) == XJ_OK, "pass 1 with a hook: %s", xj_scan_message(s));
    static const uint64_t want[] = {2, 3, 5, 7, 8};
    CHECK(log.n == 5 && memcmp(log.lines, want, sizeof want) == 0, "the hook saw %zu records, want lines 2 3 5 7 8",
          log.n);
    CHECK(log.chunks == 1, "chunk_done called %zu times, want once", log.chunks);
    CHECK(!log.bad_worker, "the hook was called with a wrong worker, source or reference");
    const sc_found *const f = &run.workers[0].found;
    CHECK(f->n_inv == 0 && f->n_anchors == 0 && f->n_anchor_runs == 0,
          "a one-pass run keeps %zu invalid IDs and %zu anchors, want none", f->n_inv, f->n_anchors);
    CHECK(f->accepted == 5 && f->n_rej == 1, "with a hook: accepted %llu, rejected %zu",
          (unsigned long long)f->accepted, f->n_rej);
    uint64_t e[16][3];
    size_t const n = table_entries(&f->keys[GD_KEY_GB], e, 16);
    uint64_t const key_a = id_pack18(id_a);
    CHECK(n == 3 && has_entry(e, n, 0, key_a, 1002) && has_entry(e, n, 0, key_a, 1003) &&
              has_entry(e, n, 0, id_pack18(id_bad), 1005),
          "GB keys are not filed under the hook's references");
    size_t const na = table_entries(&f->keys[GD_KEY_ATTR], e, 16);
    CHECK(na == 1 && e[0][2] == 1007, "the attribute key is not filed under the hook's reference");
    sc_runFree(&run);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_pass1_stage WORKDIR\n");
        return 2;
    }
    char path[4096], id_a[19], id_bad[19];
    snprintf(path, sizeof path, "%s/pass1.csv", argv[1]);
    size_t const len = write_input(path, id_a, id_bad);
    xj_scan *const s = xj_scan_create();
    xj_scan_addInput(s, path);
    xj_scan_setThreads(s, 1);
    xj_scan_setRunDate(s, 20261128);
    test_found(s, id_a, id_bad, len);
    test_hook(s, id_a, id_bad);
    xj_scan_free(s);
    return tc_finish("test_pass1_stage");
}
