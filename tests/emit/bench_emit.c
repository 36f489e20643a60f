/*
 * bench_emit — em_write on a national-sized result: many rows over 20,000+
 * schools (by default 1,000,000 rows, 25,000 schools, ~150-byte tails),
 * written with 1 thread and with N, timing each and checking that both
 * outputs have the same MANIFEST (summary.json's line aside).
 *
 * usage: bench_emit SCRATCHDIR [ROWS [SCHOOLS [THREADS]]]
 * Run by `meson test --benchmark --suite emit`; not part of the fast suite.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_clock.h"
#include "emit_testlib.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char *manifestWithoutSummary(const char *outdir)
{
    char *path = NULL;
    if (asprintf(&path, "%s/MANIFEST", outdir) < 0) return NULL;
    size_t n = 0;
    char *const s = tl_readFile(path, &n);
    free(path);
    if (s == NULL) return NULL;
    char *const at = strstr(s, " summary.json\n");
    if (at) {
        char *start = at;
        while (start > s && start[-1] != '\n') start--;
        memmove(start, at + 14, strlen(at + 14) + 1);
    }
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_emit SCRATCHDIR [ROWS [SCHOOLS [THREADS]]]\n");
        return 2;
    }
    size_t const n_rows = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    size_t const n_schools = argc > 3 ? strtoull(argv[3], NULL, 10) : 25000;
    int const threads = argc > 4 ? atoi(argv[4]) : 4;
    tl_rmtree(argv[1]);
    tl_mkdirs(argv[1]);

    char *const codes = tl_xmalloc(n_schools * 11);
    for (size_t i = 0; i < n_schools; i++) {
        /* mostly valid codes over 31 provinces, a few invalid ones */
        if (i % 1000 == 999) snprintf(codes + i * 11, 11, "bad%07u", (unsigned)(i % 10000000));
        else snprintf(codes + i * 11, 11, "%02u%02u%06u", (unsigned)(11 + i % 55), (unsigned)(11 + i % 31),
                     (unsigned)(i % 1000000));
    }
    static const char kTail[] = ",G110105201001010011,张三,男,2010-01-01,110105201001010011,1,北京市第一实验小学,"
                                "1101050001,2016-09-01,\"备注,含逗号\"";
    pb_row *const gen = tl_xmalloc(n_rows * sizeof *gen);
    for (size_t i = 0; i < n_rows; i++) {
        pb_row *const r = &gen[i];
        memset(r, 0, sizeof *r);
        r->school = codes + (rnd() % n_schools) * 11;
        r->school_len = 10;
        r->others = "1101050002;3201020003";
        r->others_len = 21;
        r->tail = kTail;
        r->tail_len = sizeof kTail - 1;
        r->line = 2 + i;
        r->source = (uint32_t)(rnd() % 3);
        r->problem = (uint8_t)(rnd() % 3);
        r->group_id = rnd() % (n_rows / 2 + 1);
        r->group_size = 2;
        r->scope = (uint8_t)(rnd() % 5);
        r->arbiter = r->scope;
        r->keeper = r->problem == PB_ID_DUPLICATE ? (uint8_t)(rnd() % 2) : PB_KEEPER_NONE;
        r->reason = r->problem == PB_ID_INVALID ? (uint8_t)(1 + rnd() % 9) : 0;
        r->hint = r->problem == PB_ID_INVALID ? PB_HINT_CORRECT_ID : PB_HINT_ATTEST;
    }
    em_input inputs[3];
    memset(inputs, 0, sizeof inputs);
    static const char *const names[] = {"beijing.csv", "anhui.csv", "zhejiang.csv"};
    for (int i = 0; i < 3; i++) {
        inputs[i].name = names[i];
        inputs[i].path = names[i];
        snprintf(inputs[i].xxh3_128, sizeof inputs[i].xxh3_128, "%032d", i);
    }
    static const char *const headers[] = {"student_no", "name", "sex", "birth_date", "id_number", "id_type",
                                          "school_name", "school_code", "registered_at", "note"};
    pb_row *const rows = tl_xmalloc(n_rows * sizeof *rows);
    char *manifests[2] = {NULL, NULL};
    int const thread_counts[2] = {1, threads};
    int bad = 0;
    for (int k = 0; k < 2; k++) {
        memcpy(rows, gen, n_rows * sizeof *rows);
        em_run run;
        memset(&run, 0, sizeof run);
        char outdir[4200];
        snprintf(outdir, sizeof outdir, "%s/out-t%d", argv[1], thread_counts[k]);
        run.outdir = outdir;
        run.inputs = inputs;
        run.n_inputs = 3;
        run.headers = headers;
        run.n_headers = 10;
        run.rows = rows;
        run.n_rows = n_rows;
        run.rows_read = run.rows_accepted = n_rows * 20;
        run.run_date = 20260901;
        run.attr_scope = "noid";
        run.encoding = "utf-8";
        run.threads = thread_counts[k];
        double const t0 = xj_now();
        run.timing.start = t0;
        xj_status st;
        st_init(&st);
        xj_error const err = em_write(&run, &st);
        double const dt = xj_now() - t0;
        if (err) {
            fprintf(stderr, "em_write: %s\n", st.message);
            bad = 1;
            break;
        }
        printf("em_write: %zu rows, %zu schools, %d thread(s): %.3f s (%.0f rows/s)\n", n_rows, n_schools,
               thread_counts[k], dt, (double)n_rows / dt);
        manifests[k] = manifestWithoutSummary(outdir);
    }
    if (!bad && (manifests[0] == NULL || manifests[1] == NULL || strcmp(manifests[0], manifests[1]) != 0)) {
        fprintf(stderr, "outputs differ between 1 and %d threads\n", threads);
        bad = 1;
    }
    free(manifests[0]);
    free(manifests[1]);
    free(rows);
    free(gen);
    free(codes);
    if (!bad) tl_rmtree(argv[1]);
    return bad;
}
