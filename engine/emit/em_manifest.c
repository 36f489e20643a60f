/*
 * em_manifest — MANIFEST, the last file written: every other file with its
 * XXH3-128 and size, sorted by path. A downstream system that finds MANIFEST
 * and every listed file matching knows the result is complete.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"

static int em_cmpFilePath(const void *pa, const void *pb)
{
    return strcmp(((const em_file *)pa)->path, ((const em_file *)pb)->path);
}

xj_error em_writeManifest(em_ctx *ctx)
{
    if (ctx->n_files > 1) qsort(ctx->files, ctx->n_files, sizeof *ctx->files, em_cmpFilePath);
    xj_buf text;
    buf_init(&text, (size_t)1 << 30);
    xj_error err = XJ_OK;
    for (size_t i = 0; i < ctx->n_files && !err; i++) {
        const em_file *const f = &ctx->files[i];
        err = buf_printf(&text, "%016llx%016llx %llu %s\n", (unsigned long long)f->hash.high64,
                         (unsigned long long)f->hash.low64, (unsigned long long)f->size, f->path);
    }
    if (err) {
        buf_free(&text);
        return st_fail(ctx->st, err, "out of memory writing MANIFEST");
    }
    em_writer w;
    err = em_open(ctx, &w, "MANIFEST");
    if (!err) err = em_putBuf(&w, &text);
    buf_free(&text);
    if (err) {
        em_abandon(&w);
        return err;
    }
    w.unlisted = 1; /* MANIFEST does not list itself */
    return em_close(&w);
}
