/*
 * test_emit_previous — the reader of an earlier run's problems.csv
 * (--previous, em_previous.c) where its 64 KiB reads cut a row.
 *
 * The reader passes the columns after the last one it looks at without
 * reading them, to the next quote or line end. It once passed them to the
 * end of the block when the line went on in the next one, and took the
 * next block's first byte to be inside a value: a quote opening a value
 * there (the comma before it the block's last byte) was "bad quote", and
 * a problems.csv of ours was refused (fuzz target `previous`, input
 * fixtures/fuzz/previous/found-quote-at-block-edge). A quote inside a
 * value at the same place must still be refused.
 *
 * And what a small PREV costs (in the sanitizer builds, which count the
 * bytes allocated): kilobytes, not the hundreds of kilobytes a load once
 * took whatever the file's size (a 64 KiB read block and a zeroed 24 KiB
 * reader per file, key arrays and tables of 1,024 entries, pair lists of
 * 4,096), nor a 1 MiB window to read resolved rows back from a file of a
 * few hundred bytes. Each input of the fuzz target `previous` is such a
 * PREV, and under ASan those buffers were most of its time.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "em_internal.h"
#include "emit.h"
#include "xj_status.h"

#include "emit_testlib.h"
#include "test_check.h"

#define BLOCK 65536 /* what em_previous.c reads at a time */

static char scratch[4096];

static const char kHeader[] = "problem,group_id,first_seen,line,学籍号,学校标识码,note,name\n";
static const char kRow[] = "id_duplicate,c8285a12f64c54e6,2026-06-01,2,L1101010001,2111010001,";

/* A PREV directory whose problems.csv is kHeader, then kRow, a `note` of
 * x's and `rest`, placed so that rest[at] is the file's byte BLOCK, then a
 * row after it. */
static void writePrev(const char *dir, const char *rest, size_t at)
{
    tl_mkdirs(dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    tl_writeFile(path, "00000000000000000000000000000000 0 problems.csv\n"
                       "00000000000000000000000000000000 0 summary.json\n");
    snprintf(path, sizeof path, "%s/summary.json", dir);
    tl_writeFile(path, "{\n  \"run_date\": \"2026-09-01\",\n  \"options\": {\n    \"attr_scope\": \"noid\"\n  }\n}\n");
    size_t const lead = strlen(kHeader) + strlen(kRow), pad = BLOCK - at - lead;
    char *const text = tl_xmalloc(BLOCK + 4096);
    size_t n = (size_t)snprintf(text, BLOCK, "%s%s", kHeader, kRow);
    memset(text + n, 'x', pad);
    n += pad;
    n += (size_t)snprintf(text + n, 4096, "%s\nid_duplicate,c8285a12f64c54e6,2026-07-01,3,L1101010002,2111010001,,\n",
                          rest);
    TC_CHECK(text[BLOCK] == rest[at], "byte %d is '%c', not '%c'", BLOCK, text[BLOCK], rest[at]);
    snprintf(path, sizeof path, "%s/problems.csv", dir);
    FILE *const f = fopen(path, "wb");
    TC_CHECK(f != NULL && fwrite(text, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
    free(text);
}

static xj_error load(const char *dir, xj_status *st)
{
    st_init(st);
    em_prev *p = NULL;
    xj_error const err = em_prevLoad(dir, "学籍号", "学校标识码", "noid", &p, st);
    em_prevFree(p);
    return err;
}


#ifdef TC_HAVE_ASAN
/* The sanitizer runtime's (gcc's and clang's); declared here as in
 * tests/fuzz/test_cost.c. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static int counting;          /* allocations are counted while set */
static size_t counted_bytes;  /* their bytes */
static size_t counted_large;  /* those of EM_WRITE_BUFFER / 4 bytes or more */

static void countMalloc(const volatile void *p, size_t n)
{
    (void)p;
    if (!counting) return;
    counted_bytes += n;
    counted_large += n >= EM_WRITE_BUFFER / 4;
}

static void countFree(const volatile void *p)
{
    (void)p;
}

static void countFrom(void)
{
    counted_bytes = counted_large = 0;
    counting = 1;
}

/* A PREV of a few hundred bytes: loaded, compared with a run of no rows
 * (every identity resolved) and resolved.csv written. */
static void checkSmallCost(void)
{
    __sanitizer_install_malloc_and_free_hooks(countMalloc, countFree);
    char dir[4200], out[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/small", scratch);
    snprintf(out, sizeof out, "%s/small-out", scratch);
    tl_mkdirs(dir);
    tl_mkdirs(out);
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    tl_writeFile(path, "00000000000000000000000000000000 0 attested.csv\n"
                       "00000000000000000000000000000000 0 problems.csv\n"
                       "00000000000000000000000000000000 0 summary.json\n");
    snprintf(path, sizeof path, "%s/summary.json", dir);
    tl_writeFile(path, "{\n  \"run_date\": \"2026-09-01\",\n  \"options\": {\n    \"attr_scope\": \"noid\"\n  }\n}\n");
    snprintf(path, sizeof path, "%s/problems.csv", dir);
    tl_writeFile(path, "problem,group_id,first_seen,line,学籍号,学校标识码\n"
                       "id_duplicate,c8285a12f64c54e6,2026-06-01,2,L1101010001,2111010001\n"
                       "id_duplicate,c8285a12f64c54e6,2026-07-01,3,L1101010002,2111010001\n");
    snprintf(path, sizeof path, "%s/attested.csv", dir);
    tl_writeFile(path, "problem,group_id,first_seen,line,学籍号,学校标识码\n"
                       "id_duplicate,c8285a12f64c54e6,2026-05-01,2,L1101010002,2111010001\n");

    xj_status st;
    st_init(&st);
    em_prev *p = NULL;
    countFrom();
    xj_error err = em_prevLoad(dir, "学籍号", "学校标识码", "noid", &p, &st);
    counting = 0;
    TC_CHECK(err == XJ_OK, "%s", st.message);
    TC_CHECK(counted_bytes <= 32768, "loading a PREV of 3 small files allocated %zu bytes", counted_bytes);
    if (err) return;

    int const outfd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    TC_CHECK(outfd >= 0, "cannot open %s", out);
    em_input const input = {.name = "this.csv", .path = "this.csv", .school_name_col = -1, .student_no_col = 0,
                            .school_code_col = -1};
    em_run run = {.outdir = out, .inputs = &input, .n_inputs = 1, .monthly = 1, .attr_scope = "noid",
                  .threads = 1, .previous = dir, .prev = p};
    em_ctx ctx = {.run = &run, .st = &st, .dirfd = outfd, .tmp_path = out};
    static em_trend trend;
    TC_CHECK(em_compareWithPrevious(&ctx, &trend) == XJ_OK, "%s", st.message);
    countFrom();
    err = em_writeResolved(&ctx);
    counting = 0;
    TC_CHECK(err == XJ_OK, "%s", st.message);
    /* resolved.csv is written whole (em_writeWhole: no write buffer), and
     * the read back takes none for a file this small */
    TC_CHECK(counted_large == 0, "writing resolved.csv for a %s allocated %zu buffers of %u KiB or more",
             "PREV of 3 rows", counted_large, EM_WRITE_BUFFER / 4 / 1024);
    snprintf(path, sizeof path, "%s/resolved.csv", out);
    size_t len = 0;
    char *const got = tl_readFile(path, &len);
    TC_CHECK(got != NULL && strcmp(got, "problem,group_id,student_no,school_code,first_seen,resolution\n"
                                        "id_duplicate,c8285a12f64c54e6,L1101010001,2111010001,2026-06-01,gone\n"
                                        "id_duplicate,c8285a12f64c54e6,L1101010002,2111010001,2026-05-01,gone\n") == 0,
             "resolved.csv: %s", got ? got : "(none)");
    free(got);
    for (size_t i = 0; i < ctx.n_files; i++) free(ctx.files[i].path);
    free(ctx.files);
    close(outfd);
    em_prevFree(p);
}
#else
static void checkSmallCost(void)
{
    printf("emit_previous: the cost of a small PREV is checked in the sanitizer builds only\n");
}
#endif

/* `rest` with the block's edge before each of its bytes: loaded, or (when
 * `refusal` is not NULL) refused with a message holding it. */
static void checkEdges(const char *name, const char *rest, const char *refusal)
{
    for (size_t at = 0; rest[at]; at++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%s-%zu", scratch, name, at);
        writePrev(dir, rest, at);
        xj_status st;
        xj_error const err = load(dir, &st);
        if (refusal)
            TC_CHECK(err == XJ_ERR_INPUT && strstr(st.message, refusal) != NULL, "edge before byte %zu of %s: %s",
                     at, rest, st.message);
        else TC_CHECK(err == XJ_OK, "edge before byte %zu of %s: %s", at, rest, st.message);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_emit_previous SCRATCHDIR\n");
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    tl_rmtree(scratch);
    tl_mkdirs(scratch);
    checkEdges("quoted", ",\"张,三\"", NULL);              /* a quoted value after a comma */
    checkEdges("bad", ",ab\"c", "line 2: bad quote"); /* a quote inside a value: still refused */
    checkSmallCost();
    if (tc_failures == 0) tl_rmtree(scratch);
    return tc_finish("emit_previous");
}
