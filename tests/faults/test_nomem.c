/*
 * test_nomem — every allocation of a scan may fail: the run returns an error
 * with a message, writes no output, and (under LeakSanitizer, in the ASan
 * stage of tools/test.sh) frees everything. Like curl's `runtests -t`, the
 * k-th allocation is made to fail for k spread over all the allocations a
 * clean run makes (xj_allocFailAfter, the engine's single wrapper).
 *
 * usage: test_nomem INPUT.csv WORKDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test_check.h"
#include "xj_alloc.h"
#include "xjdedup.h"

static xj_error scan_once(const char *input, const char *outdir, xj_scan **keep)
{
    xj_scan *const s = xj_scan_create();
    *keep = s;
    if (s == NULL) return XJ_ERR_NOMEM;
    xj_error err = xj_scan_addInput(s, input);
    if (!err) err = xj_scan_setOutput(s, outdir, 0);
    if (!err) err = xj_scan_setThreads(s, 2);
    if (!err) err = xj_scan_setRunDate(s, 20261128);
    if (!err) err = xj_scan_setChunkSize(s, 4096);
    if (!err) err = xj_scan_run(s);
    return err;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_nomem INPUT WORKDIR\n");
        return 2;
    }
    char out[4200], work[4096];
    mkdir(argv[2], 0755);
    snprintf(work, sizeof work, "%s/run-XXXXXX", argv[2]); /* fresh each run */
    if (mkdtemp(work) == NULL) {
        perror(work);
        return 2;
    }
    xj_scan *s = NULL;
    snprintf(out, sizeof out, "%s/clean", work);
    xj_allocFailAfter(-1);
    TC_CHECK(scan_once(argv[1], out, &s) == XJ_OK, "the clean run failed: %s", s ? xj_scan_message(s) : "");
    xj_scan_free(s);
    uint64_t const total = xj_allocFailAfter(-1);
    TC_CHECK(total > 100, "only %llu allocations counted", (unsigned long long)total);
    uint64_t const step = total / 400 + 1;
    int failures_seen = 0;
    for (uint64_t k = 0; k < total + 10; k += step) {
        snprintf(out, sizeof out, "%s/k%llu", work, (unsigned long long)k);
        xj_allocFailAfter((int64_t)k);
        xj_error const err = scan_once(argv[1], out, &s);
        xj_allocFailAfter(-1);
        struct stat sb;
        if (err != XJ_OK) {
            failures_seen++;
            TC_CHECK(s == NULL || xj_scan_message(s)[0] != '\0', "k=%llu: error %d without a message",
                     (unsigned long long)k, err);
            TC_CHECK(stat(out, &sb) != 0, "k=%llu: a failed run left %s", (unsigned long long)k, out);
        } else {
            TC_CHECK(stat(out, &sb) == 0, "k=%llu: success without output", (unsigned long long)k);
        }
        xj_scan_free(s);
        s = NULL;
    }
    TC_CHECK(failures_seen > 0, "no injected failure was ever reported");
    printf("%llu allocations in a clean run; %d injected failures reported\n", (unsigned long long)total,
           failures_seen);
    return tc_finish("test_nomem");
}
