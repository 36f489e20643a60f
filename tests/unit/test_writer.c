/*
 * test_writer — the index writer's contract (engine/index/ix_write.c):
 *  - sections go in one order (blocks, META, each key kind's entries and
 *    fence, then the block table and header); a step out of it is
 *    XJ_ERR_INTERNAL, and an abandoned writer leaves no file behind;
 *  - a file written through it — blocks in two puts, a key section in
 *    several — opens, passes ix_verify, decodes its records and finds every
 *    key at its record.
 * The index build drives the writer the same way; this pins the writer down
 * on its own, with keys and blocks made here.
 *
 * usage: test_writer WORKDIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <xxhash.h>

#include "grp_keys.h"
#include "ix_index.h"
#include "xj_alloc.h"
#include "test_check.h"

#define TW_RECORDS 1500u /* two blocks */

static char g_path[4096];

static int tw_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static ix_writer *tw_open(void)
{
    xj_status st;
    st_init(&st);
    ix_writer *w = NULL;
    TC_CHECK(ix_writerOpen(g_path, &w, &st) == XJ_OK && w != NULL, "open: %s", st.message);
    return w;
}

/* Each misstep is refused and, once abandoned, leaves nothing. */
static void tw_outOfOrder(void)
{
    static const ix_writeSpec kEmpty = {0};
    xj_status st;
    ix_writer *w;
    unsigned char fence[16] = {0};

    st_init(&st);
    w = tw_open();
    TC_CHECK(ix_writerBeginKeys(w, 0, &st) == XJ_ERR_INTERNAL, "keys before META were accepted");
    ix_writerAbort(w);
    TC_CHECK(!tw_exists(g_path), "an abandoned writer left the index");

    st_init(&st);
    w = tw_open();
    TC_CHECK(ix_writerPutMeta(w, &kEmpty, &st) == XJ_OK, "META: %s", st.message);
    TC_CHECK(ix_writerPutBlocks(w, NULL, 0, &st) == XJ_ERR_INTERNAL, "blocks after META were accepted");
    TC_CHECK(ix_writerBeginKeys(w, 1, &st) == XJ_ERR_INTERNAL, "key kind 1 before kind 0 was accepted");
    TC_CHECK(ix_writerPutKeys(w, fence, 0, &st) == XJ_ERR_INTERNAL, "keys put before they were begun");
    TC_CHECK(ix_writerEndKeys(w, fence, &st) == XJ_ERR_INTERNAL, "keys ended before they were begun");
    TC_CHECK(ix_writerPutMeta(w, &kEmpty, &st) == XJ_ERR_INTERNAL, "a second META was accepted");
    st_init(&st);
    TC_CHECK(ix_writerFinish(w, &kEmpty, &st) == XJ_ERR_INTERNAL, "finished without the key sections");
    TC_CHECK(!tw_exists(g_path), "a refused finish left the index");
}

typedef struct tw_key {
    uint64_t key;
    uint32_t rec;
} tw_key;

static int tw_cmpKey(const void *pa, const void *pb)
{
    const tw_key *a = pa, *b = pb;
    unsigned const sa = gk_shardOf(0, a->key), sb = gk_shardOf(0, b->key);
    if (sa != sb) return sa < sb ? -1 : 1;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->rec < b->rec ? -1 : a->rec > b->rec;
}

static void tw_roundTrip(void)
{
    static char student[TW_RECORDS][20];
    static tw_key keys[TW_RECORDS];
    xj_status st;
    st_init(&st);
    ix_blockBuilder b[2];
    ix_block blocks[2];
    struct iovec v[2];
    for (unsigned k = 0; k < 2; k++) {
        uint32_t const first = k * IX_BLOCK_RECORDS, last = k ? TW_RECORDS : IX_BLOCK_RECORDS;
        ix_builderInit(&b[k]);
        TC_CHECK(ix_blockBegin(&b[k], 0, first + 2) == XJ_OK, "block %u", k);
        for (uint32_t i = first; i < last; i++) {
            snprintf(student[i], sizeof student[i], "S%08u", i);
            ix_record const r = {.line = i + 2, .source = 0, .sex = 1 + i % 2, .has_id = 1, .id_type = '1',
                                 .birth = 20150301, .registered = 20210901, .school = "2111010001",
                                 .school_len = 10, .county = "110101", .county_len = 6, .student_no = student[i],
                                 .student_no_len = 9, .name = "张三", .name_len = 6};
            TC_CHECK(ix_encodeRecord(&b[k], &r) == XJ_OK, "record %u", i);
            /* a key every record, some shared by two records */
            keys[i] = (tw_key){110101201503010000ull + (i % 700) * 13, i};
        }
        size_t len;
        const char *const bytes = ix_blockBytes(&b[k], &len);
        blocks[k] = (ix_block){len, XXH3_64bits(bytes, len), first, last - first};
        v[k] = (struct iovec){(void *)bytes, len};
    }
    qsort(keys, TW_RECORDS, sizeof *keys, tw_cmpKey);
    unsigned char *const entries = xj_mallocArray(TW_RECORDS, IX_NARROW_ENTRY);
    unsigned char *const fence = xj_mallocArray(ix_fenceCount(TW_RECORDS), IX_NARROW_ENTRY - 4);
    for (size_t i = 0; i < TW_RECORDS; i++) ix_putEntry(entries, 0, i, 0, keys[i].key, keys[i].rec);
    ix_putFences(fence, 0, entries, 0, TW_RECORDS);

    ix_source source = {.name = "reg.csv", .bytes = 12345};
    memset(source.xxh3_128, '0', 32);
    ix_writeSpec const spec = {.records = TW_RECORDS, .run_date = 20261128, .build_time = 1, .sources = &source,
                               .n_sources = 1, .blocks = blocks, .n_blocks = 2};
    ix_writer *const w = tw_open();
    TC_CHECK(ix_writerPutBlocks(w, &v[0], 1, &st) == XJ_OK && ix_writerPutBlocks(w, &v[1], 1, &st) == XJ_OK,
             "blocks: %s", st.message);
    TC_CHECK(ix_writerPutMeta(w, &spec, &st) == XJ_OK, "META: %s", st.message);
    TC_CHECK(ix_writerBeginKeys(w, 0, &st) == XJ_OK, "begin keys: %s", st.message);
    for (size_t at = 0; at < TW_RECORDS; at += 400) { /* in several puts, as shards come */
        size_t const n = TW_RECORDS - at < 400 ? TW_RECORDS - at : 400;
        TC_CHECK(ix_writerPutKeys(w, entries + at * IX_NARROW_ENTRY, n, &st) == XJ_OK, "keys: %s", st.message);
    }
    TC_CHECK(ix_writerEndKeys(w, fence, &st) == XJ_OK, "end keys: %s", st.message);
    for (int kind = 1; kind < IX_KINDS; kind++) /* empty sections */
        TC_CHECK(ix_writerBeginKeys(w, kind, &st) == XJ_OK && ix_writerEndKeys(w, fence, &st) == XJ_OK,
                 "kind %d: %s", kind, st.message);
    TC_CHECK(ix_writerFinish(w, &spec, &st) == XJ_OK, "finish: %s", st.message);

    ix_index *ix = NULL;
    TC_CHECK(ix_open(g_path, &ix, &st) == XJ_OK, "open: %s", st.message);
    if (ix != NULL) {
        TC_CHECK(ix_verify(ix, g_path, &st) == XJ_OK, "verify: %s", st.message);
        TC_CHECK(ix->records == TW_RECORDS && ix->n_blocks == 2 && ix->n_sources == 1, "counts");
        for (size_t i = 0; i < TW_RECORDS; i++) {
            size_t first;
            size_t const n = ix_lookup(ix, 0, 0, keys[i].key, &first);
            int found = 0;
            for (size_t e = first; e < first + n; e++) found |= ix_entryRecord(ix, 0, e) == keys[i].rec;
            TC_CHECK(n >= 1 && found, "key %zu not found at its record", i);
        }
        size_t first;
        TC_CHECK(ix_lookup(ix, 0, 0, 1, &first) == 0, "a key never put was found");
        ix_cursor c;
        TC_CHECK(ix_cursorInit(&c) == XJ_OK, "cursor");
        const ix_record *r = NULL;
        TC_CHECK(ix_readRecord(ix, &c, TW_RECORDS - 1, &r, &st) == XJ_OK && r != NULL && r->line == TW_RECORDS + 1 &&
                     r->student_no_len == 9 && memcmp(r->student_no, student[TW_RECORDS - 1], 9) == 0,
                 "the last record does not read back");
        ix_cursorFree(&c);
        ix_close(ix);
    }
    xj_free(entries);
    xj_free(fence);
    ix_builderFree(&b[0]);
    ix_builderFree(&b[1]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_writer WORKDIR\n");
        return 2;
    }
    mkdir(argv[1], 0755);
    snprintf(g_path, sizeof g_path, "%s/w.xji", argv[1]);
    remove(g_path);
    tw_outOfOrder();
    tw_roundTrip();
    return tc_finish("test_writer");
}
