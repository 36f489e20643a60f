/*
 * test_cancel — the progress callback while the inputs are read: it is
 * never entered by two threads at once (the workers take turns reading,
 * scan_stream.c), its row count never goes back, and returning non-zero
 * cancels the run: xj_scan_run fails with XJ_ERR_INTERRUPTED, the callback
 * is not called again, and no output directory appears. With 1, 2 and 3
 * threads, over two inputs (the cancel falls in the first, in the second,
 * or never), in chunks of 4 KiB so there are many calls (~70 an input).
 *
 * usage: test_cancel WORKDIR
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "test_check.h"
#include "xjdedup.h"

static const char kHeader[] = "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,学校名称,行政区划码,建籍日期\n";

#define TC_ROWS 3000 /* per input: about 40 chunks of 4 KiB */

typedef struct tc_ctx {
    atomic_int inside;    /* callbacks running right now */
    int overlapped;       /* two were running at once */
    int calls;            /* calls in the reading stage */
    int cancel_at;        /* the call that returns non-zero; 0: none */
    int after_cancel;     /* calls after that one */
    int went_back;        /* rows_done fell */
    uint64_t last_rows;
} tc_ctx;

static void tc_writeInput(const char *path, int first)
{
    FILE *const f = fopen(path, "wb");
    fputs(kHeader, f);
    for (int i = first; i < first + TC_ROWS; i++)
        fprintf(f, "L%018d,学生%d,男,2015-01-01,6,P%08d,2111010001,桃园小学,110102,2022-09-01\n", i, i, i % 2900);
    fclose(f);
}

static int tc_onProgress(const xj_progress *p, void *user)
{
    tc_ctx *const c = user;
    if (strcmp(p->stage, "reading") != 0) return 0;
    if (atomic_fetch_add(&c->inside, 1) != 0) c->overlapped = 1;
    /* stay a moment, so that a second thread let in would be caught here */
    struct timespec const pause = {0, 200000};
    nanosleep(&pause, NULL);
    if (c->cancel_at && c->calls >= c->cancel_at) c->after_cancel++;
    c->calls++;
    if (p->rows_done < c->last_rows) c->went_back = 1;
    c->last_rows = p->rows_done;
    int const stop = c->cancel_at == c->calls;
    atomic_fetch_sub(&c->inside, 1);
    return stop;
}

static void tc_run(const char *work, int threads, int cancel_at)
{
    char in1[4096], in2[4096], out[4096];
    snprintf(in1, sizeof in1, "%s/cancel-a.csv", work);
    snprintf(in2, sizeof in2, "%s/cancel-b.csv", work);
    snprintf(out, sizeof out, "%s/cancel-out-%d-%d", work, threads, cancel_at);
    tc_writeInput(in1, 0);
    tc_writeInput(in2, TC_ROWS);
    tc_ctx c;
    memset(&c, 0, sizeof c);
    c.cancel_at = cancel_at;
    xj_scan *const s = xj_scan_create();
    xj_scan_addInput(s, in1);
    xj_scan_addInput(s, in2);
    xj_scan_setOutput(s, out, 1);
    xj_scan_setThreads(s, threads);
    xj_scan_setChunkSize(s, 4096);
    xj_scan_setRunDate(s, 20261128);
    xj_scan_setProgress(s, tc_onProgress, &c);
    xj_error const err = xj_scan_run(s);
    TC_CHECK(!c.overlapped, "-t %d: the progress callback ran on two threads at once", threads);
    TC_CHECK(!c.went_back, "-t %d: rows_done went back", threads);
    struct stat sb;
    int const exists = stat(out, &sb) == 0;
    if (cancel_at == 0) {
        TC_CHECK(err == XJ_OK, "-t %d: a run that was not cancelled failed: %s", threads, xj_scan_message(s));
        TC_CHECK(c.calls > 100, "-t %d: %d progress calls for two inputs of ~70 chunks each", threads, c.calls);
        TC_CHECK(exists, "-t %d: no output directory", threads);
    } else {
        TC_CHECK(err == XJ_ERR_INTERRUPTED, "-t %d, cancel at %d: got %d (%s)", threads, cancel_at, (int)err,
                 xj_scan_message(s));
        TC_CHECK(c.after_cancel == 0, "-t %d, cancel at %d: %d calls after the cancel", threads, cancel_at,
                 c.after_cancel);
        TC_CHECK(!exists, "-t %d, cancel at %d: a cancelled run left %s", threads, cancel_at, out);
    }
    xj_scan_free(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_cancel WORKDIR\n");
        return 2;
    }
    for (int threads = 1; threads <= 3; threads++) {
        tc_run(argv[1], threads, 0);
        tc_run(argv[1], threads, 3);  /* in the first input */
        tc_run(argv[1], threads, 110); /* in the second */
    }
    return tc_finish("test_cancel");
}
