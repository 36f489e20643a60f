/*
 * test_changed — an input that changes between the two passes is reported,
 * never trusted: the progress callback rewrites the file when the scan
 * reaches "gathering" (pass 2), and xj_scan_run must fail with XJ_ERR_INPUT
 * and a message saying the input changed. Run for a plain file (pass 2 reads
 * stretches back by offset) and for the same file read again from its start
 * (a second input that is zstd-compressed makes the scan take the streamed
 * path, scan_fetch.c), and with an overlong record as well (whole input
 * read and split again), with the file cut short and with a flagged record
 * rewritten so it no longer parses. A scan whose input is left alone must
 * succeed, so the callback itself is not what fails the run.
 *
 * The same input as a .zst of two frames: pass 2 does not check frame
 * checksums again (pass 1 did), so one made wrong between the passes, the
 * content left as it was, must not fail the scan; content rewritten so that
 * the flagged records no longer parse, in frames with right checksums, must.
 *
 * usage: test_changed WORKDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "test_check.h"
#include "xjdedup.h"

typedef enum { TC_KEEP, TC_TRUNCATE, TC_GARBLE } tc_change;

typedef struct tc_ctx {
    const char *path;
    tc_change change;
    int done;
} tc_ctx;

static const char kHeader[] = "学籍号,姓名,性别,出生日期,身份证件类型,身份证件号,学校标识码,学校名称,行政区划码,建籍日期\n";

/* 2,000 records; records 500 and 1500 share an ID (a duplicate group, so
 * both are flagged and fetched again in pass 2). */
static void tc_writeInput(const char *path)
{
    FILE *const f = fopen(path, "wb");
    fputs(kHeader, f);
    for (int i = 0; i < 2000; i++) {
        int const twin = i == 1500 ? 500 : i;
        fprintf(f, "L%018d,学生%d,男,2015-01-01,6,P%08d,2111010001,桃园小学,110102,2022-09-01\n", i, i, twin);
    }
    fclose(f);
}

static int tc_onProgress(const xj_progress *p, void *user)
{
    tc_ctx *const c = user;
    if (c->done || strcmp(p->stage, "gathering") != 0) return 0;
    c->done = 1;
    if (c->change == TC_TRUNCATE) {
        if (truncate(c->path, 4096) != 0) perror("truncate");
    } else if (c->change == TC_GARBLE) {
        /* every byte after the 400th record becomes 'x' but the line ends:
         * records 500 and 1500 are one field now and no longer parse, and
         * every line stays where it was */
        FILE *const f = fopen(c->path, "r+b");
        static char text[1 << 20];
        size_t const n = fread(text, 1, sizeof text, f);
        size_t at = 0;
        for (int lines = 0; at < n && lines < 401; at++) lines += text[at] == '\n';
        for (size_t k = at; k < n; k++)
            if (text[k] != '\n') text[k] = 'x';
        fseek(f, 0, SEEK_SET);
        fwrite(text, 1, n, f);
        fclose(f);
    }
    return 0;
}

/* A small valid .zst input (one record) next to the plain one. */
static void tc_writeZst(const char *path)
{
    char csv[512];
    int const n = snprintf(csv, sizeof csv, "%sL999999999999999999,某某,女,2016-02-02,Z,,2111010002,北关小学,110102,2023-09-01\n",
                           kHeader);
    char out[1024];
    size_t const z = ZSTD_compress(out, sizeof out, csv, (size_t)n, 3);
    FILE *const f = fopen(path, "wb");
    fwrite(out, 1, z, f);
    fclose(f);
}

/* The scan every case runs: its inputs, small chunks (the serial second
 * pass reports progress after its first chunk) and the callback that
 * changes the file when pass 2 begins. */
static xj_scan *tc_scan(const char *const *inputs, int n_inputs, const char *outdir, int threads,
                        xj_progressFn progress, void *user)
{
    xj_scan *const s = xj_scan_create();
    for (int i = 0; i < n_inputs; i++) xj_scan_addInput(s, inputs[i]);
    xj_scan_setOutput(s, outdir, 1);
    xj_scan_setThreads(s, threads);
    xj_scan_setChunkSize(s, 4096);
    xj_scan_setRunDate(s, 20261128);
    xj_scan_setProgress(s, progress, user);
    return s;
}

static void tc_run(const char *work, int with_zst, tc_change change)
{
    char input[4096], zst[4096], outdir[4096];
    snprintf(input, sizeof input, "%s/in.csv", work);
    snprintf(zst, sizeof zst, "%s/other.csv.zst", work);
    snprintf(outdir, sizeof outdir, "%s/out-%d-%d", work, with_zst, (int)change);
    tc_writeInput(input);
    if (with_zst) tc_writeZst(zst);
    if (with_zst == 2) { /* a record over the limit at the end: the offsets after it no longer hold, so
                          * pass 2 reads and splits the whole input again (sc_pass2Chunk) */
        FILE *const f = fopen(input, "ab");
        for (int i = 0; i < (1 << 20) + 16; i++) fputc('y', f);
        fputc('\n', f);
        fclose(f);
    }
    tc_ctx ctx = {input, change, 0};
    const char *const inputs[2] = {input, zst};
    xj_scan *const s = tc_scan(inputs, with_zst ? 2 : 1, outdir, 2, tc_onProgress, &ctx);
    xj_error const err = xj_scan_run(s);
    const char *const msg = xj_scan_message(s);
    TC_CHECK(ctx.done, "zst %d change %d: the scan never reported the gathering stage", with_zst, (int)change);
    if (change == TC_KEEP) {
        TC_CHECK(err == XJ_OK, "zst %d: an unchanged input failed: %s", with_zst, msg);
    } else {
        TC_CHECK(err == XJ_ERR_INPUT, "zst %d change %d: got %d (%s), want an input error", with_zst, (int)change,
                 (int)err, msg);
        TC_CHECK(strstr(msg, "changed") != NULL, "zst %d change %d: the message does not say the input changed: %s",
                 with_zst, (int)change, msg);
    }
    xj_scan_free(s);
}

/* in.csv as a .zst of two frames (lines before and after record 1000),
 * each with its checksum; `garble`: every byte after the 400th record but
 * the line ends is 'x'. Returns the first frame's compressed size. */
static size_t tc_writeZstInput(const char *csv_path, const char *path, int garble)
{
    static char text[1 << 20], out[1 << 20];
    FILE *f = fopen(csv_path, "rb");
    size_t const n = fread(text, 1, sizeof text, f);
    fclose(f);
    size_t cut = 0, lines = 0;
    for (size_t k = 0; k < n; k++) {
        if (garble && lines >= 401 && text[k] != '\n') text[k] = 'x';
        if (text[k] == '\n' && ++lines == 1001) cut = k + 1;
    }
    ZSTD_CCtx *const c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t const a = ZSTD_compress2(c, out, sizeof out, text, cut);
    size_t const b = ZSTD_compress2(c, out + a, sizeof out - a, text + cut, n - cut);
    ZSTD_freeCCtx(c);
    TC_CHECK(!ZSTD_isError(a) && !ZSTD_isError(b), "compressing the .zst input");
    f = fopen(path, "wb");
    fwrite(out, 1, a + b, f);
    fclose(f);
    return a;
}

typedef struct tc_zctx {
    const char *csv, *zst;
    int change; /* 0 none, 1 the first frame's checksum, 2 the content */
    size_t first_frame;
    int done;
} tc_zctx;

static int tc_onProgressZst(const xj_progress *p, void *user)
{
    tc_zctx *const c = user;
    if (c->done || strcmp(p->stage, "gathering") != 0) return 0;
    c->done = 1;
    if (c->change == 1) {
        FILE *const f = fopen(c->zst, "r+b");
        fseek(f, (long)c->first_frame - 1, SEEK_SET);
        int const last = fgetc(f);
        fseek(f, (long)c->first_frame - 1, SEEK_SET);
        fputc(last ^ 0x01, f);
        fclose(f);
    } else if (c->change == 2) {
        tc_writeZstInput(c->csv, c->zst, 1);
    }
    return 0;
}

/* threads 1: the frames are decoded by the streaming decoder, else on workers */
static void tc_runZst(const char *work, int change, int threads)
{
    char csv[4096], zst[4096], outdir[4096];
    snprintf(csv, sizeof csv, "%s/z.csv", work);
    snprintf(zst, sizeof zst, "%s/z.csv.zst", work);
    snprintf(outdir, sizeof outdir, "%s/out-zst-%d-%d", work, change, threads);
    tc_writeInput(csv);
    tc_zctx ctx = {csv, zst, change, tc_writeZstInput(csv, zst, 0), 0};
    const char *const inputs[1] = {zst};
    xj_scan *const s = tc_scan(inputs, 1, outdir, threads, tc_onProgressZst, &ctx);
    xj_error const err = xj_scan_run(s);
    const char *const msg = xj_scan_message(s);
    TC_CHECK(ctx.done, ".zst change %d: the scan never reported the gathering stage", change);
    if (change < 2) {
        TC_CHECK(err == XJ_OK, ".zst change %d, %d threads: the scan failed: %s", change, threads, msg);
    } else {
        TC_CHECK(err == XJ_ERR_INPUT && strstr(msg, "changed") != NULL,
                 ".zst rewritten, %d threads: got %d (%s), want an input error saying the input changed", threads,
                 (int)err, msg);
    }
    xj_scan_free(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_changed WORKDIR\n");
        return 2;
    }
    for (int with_zst = 0; with_zst < 3; with_zst++)
        for (int change = TC_KEEP; change <= TC_GARBLE; change++) tc_run(argv[1], with_zst, (tc_change)change);
    for (int change = 0; change <= 2; change++)
        for (int threads = 1; threads <= 2; threads++) tc_runZst(argv[1], change, threads);
    return tc_finish("test_changed");
}
