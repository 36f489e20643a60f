/*
 * em_schools — what the writers need to know about a school code and its
 * file: whether the code may be a path (exactly 10 ASCII digits: anything
 * else, from a hostile input, never becomes one), whether two rows share
 * one, its province, where its file goes, and the per-school options
 * (--excel's BOM, GB 18030) applied to a whole text (schools/README.txt; the school files themselves apply
 * them line by line, em_problems.c). Used by problems.csv's writer, the
 * README, report.html, the counts and the comparison with an earlier run.
 */
#include <stdio.h>
#include <string.h>

#include "em_internal.h"

int em_schoolIsValid(const char *s, size_t n)
{
    if (n != 10) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int em_sameSchool(const pb_row *a, const pb_row *b)
{
    return a->school_len == b->school_len && memcmp(a->school, b->school, a->school_len) == 0;
}

int em_provinceIndex(const char *school, size_t n)
{
    return em_schoolIsValid(school, n) ? (school[2] - '0') * 10 + (school[3] - '0') : EM_PROVINCES - 1;
}

/* schools/<province>/<code>.csv, or schools/_invalid/x<hash>.csv. */
void em_schoolPath(const pb_row *row, char *path, size_t cap, char *dir, size_t dcap)
{
    if (em_schoolIsValid(row->school, row->school_len)) {
        snprintf(dir, dcap, "schools/%.2s", row->school + 2);
        snprintf(path, cap, "schools/%.2s/%.10s.csv", row->school + 2, row->school);
    } else {
        snprintf(dir, dcap, "schools/_invalid");
        snprintf(path, cap, "schools/_invalid/x%016llx.csv",
                 (unsigned long long)XXH3_64bits(row->school, row->school_len));
    }
}

/* Opens a per-school text file and writes the BOM that --excel asks for
 * (UTF-8 only: Excel reads a GB 18030 file as the system code page). */
xj_error em_openSchoolFile(em_ctx *ctx, em_writer *w, const char *rel)
{
    FORWARD_IF_ERROR(em_open(ctx, w, rel));
    if (!ctx->run->excel || ctx->run->school_gbk) return XJ_OK;
    xj_error const err = em_put(w, "\xEF\xBB\xBF", 3);
    if (err) em_abandon(w);
    return err;
}

xj_error em_putSchoolText(em_ctx *ctx, em_writer *w, const char *s, size_t n)
{
    if (!ctx->run->school_gbk) return em_put(w, s, n);
    em_gbk *g = NULL;
    xj_error err = em_gbkOpen(&g);
    xj_buf out;
    buf_init(&out, (size_t)1 << 30);
    if (!err) err = em_gbkConvert(g, s, n, &out);
    if (!err) err = em_putBuf(w, &out);
    buf_free(&out);
    em_gbkClose(g);
    if (err && ctx->st->code == XJ_OK) st_fail(ctx->st, err, "cannot write %s: %s", w->path, xj_errorName(err));
    return err;
}
