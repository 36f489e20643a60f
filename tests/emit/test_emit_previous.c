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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (tc_failures == 0) tl_rmtree(scratch);
    return tc_finish("emit_previous");
}
