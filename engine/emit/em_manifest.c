/*
 * em_manifest — MANIFEST, the last file written: every other file with its
 * XXH3-128 and size, sorted by path. A downstream system that finds MANIFEST
 * and every listed file matching knows the result is complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"

static int em_cmpFilePath(const void *pa, const void *pb)
{
    return strcmp(((const em_file *)pa)->path, ((const em_file *)pb)->path);
}

xj_error em_writeManifest(em_ctx *ctx)
{
    qsort(ctx->files, ctx->n_files, sizeof *ctx->files, em_cmpFilePath);
    em_writer w;
    FORWARD_IF_ERROR(em_open(ctx, &w, "MANIFEST"));
    xj_error err = XJ_OK;
    char line[512];
    for (size_t i = 0; i < ctx->n_files && !err; i++) {
        const em_file *const f = &ctx->files[i];
        int const n = snprintf(line, sizeof line, "%016llx%016llx %llu %s\n", (unsigned long long)f->hash.high64,
                               (unsigned long long)f->hash.low64, (unsigned long long)f->size, f->path);
        err = em_put(&w, line, (size_t)n);
    }
    if (err) {
        em_abandon(&w);
        return err;
    }
    w.unlisted = 1; /* MANIFEST does not list itself */
    return em_close(&w);
}
