/*
 * test_nomem — every allocation of a scan (or of an index build) may fail:
 * the run returns an error with a message, writes no output — no index and
 * no temporary beside it — and (under LeakSanitizer, in the ASan stage of
 * tools/test.sh) frees everything. Like curl's `runtests -t`, the k-th
 * allocation is made to fail for k spread over all the allocations a clean
 * run makes (xj_allocFailAfter, the engine's single wrapper).
 *
 * usage: test_nomem INPUT.csv WORKDIR [index | population EXTRACT...]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_check.h"
#include "xj_alloc.h"
#include "xjdedup.h"

static int g_index; /* build an index at `out` instead of scanning into it */
static char **g_population; /* --population files (docs/population.md), NULL-terminated */

static xj_error scan_once(const char *input, const char *out, xj_scan **keep)
{
    xj_scan *const s = xj_scan_create();
    *keep = s;
    if (s == NULL) return XJ_ERR_NOMEM;
    xj_error err = xj_scan_addInput(s, input);
    if (!err && !g_index) err = xj_scan_setOutput(s, out, 0);
    if (!err) err = xj_scan_setThreads(s, 2);
    if (!err) err = xj_scan_setRunDate(s, 20261128);
    if (!err) err = xj_scan_setChunkSize(s, 4096);
    for (char **p = g_population; p && *p && !err; p++) err = xj_scan_addPopulation(s, *p);
    if (!err) err = g_index ? xj_scan_buildIndex(s, out) : xj_scan_run(s);
    return err;
}

/* Entries of `dir` whose name starts with `prefix` (an index's temporaries). */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *const d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d) closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    int const population = argc >= 5 && strcmp(argv[3], "population") == 0;
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "index") == 0) && !population) {
        fprintf(stderr, "usage: test_nomem INPUT WORKDIR [index | population EXTRACT...]\n");
        return 2;
    }
    g_index = argc == 4;
    if (population) g_population = argv + 4;
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
    TC_CHECK(total > 50, "only %llu allocations counted", (unsigned long long)total);
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
            char prefix[64];
            snprintf(prefix, sizeof prefix, "k%llu.", (unsigned long long)k);
            TC_CHECK(count_prefixed(work, prefix) == 0, "k=%llu: a failed run left a temporary", (unsigned long long)k);
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
