/*
 * em_internal — what the emit stage's files share: a buffered file writer
 * that hashes what it writes (so MANIFEST needs no second read), the list of
 * files written, and the row renderers.
 */
#ifndef XJ_EM_INTERNAL_H
#define XJ_EM_INTERNAL_H

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t inside em_writer */
#include <xxhash.h>

#include "emit.h"

#define EM_WRITE_BUFFER (1u << 20)

typedef struct em_file {
    char *path;            /* relative to the output directory */
    uint64_t size;         /* bytes */
    XXH128_hash_t hash;    /* XXH3-128 of the contents */
} em_file;

/* Everything em_write needs while it works. */
typedef struct em_ctx {
    em_run *run;           /* the caller's description of the output */
    xj_status *st;         /* where errors go */
    int dirfd;             /* the temporary output directory */
    const char *tmp_path;  /* its path, for messages */
    em_file *files;        /* files written so far */
    size_t n_files, cap_files;
} em_ctx;

/* A file being written: buffered, hashed, counted. */
typedef struct em_writer {
    em_ctx *ctx;           /* owner */
    int fd;                /* -1 once closed */
    char *path;            /* relative path */
    xj_buf buf;            /* pending bytes */
    XXH3_state_t hash;     /* over every byte written */
    uint64_t size;         /* bytes written */
    int unlisted;          /* not recorded for MANIFEST (MANIFEST itself) */
} em_writer;

/* Creates (O_EXCL) `rel` inside the output directory; parents must exist. */
xj_error em_open(em_ctx *ctx, em_writer *w, const char *rel);
xj_error em_put(em_writer *w, const void *p, size_t n);
xj_error em_putBuf(em_writer *w, const xj_buf *b);
/* Flushes, fsyncs, closes and records the file for MANIFEST. */
xj_error em_close(em_writer *w);
/* Closes without recording (error paths). */
void em_abandon(em_writer *w);
/* mkdir inside the output directory; an existing directory is fine. */
xj_error em_mkdir(em_ctx *ctx, const char *rel);

/* Rendering. `zh` selects the per-school wording. Appends one whole line. */
xj_error em_renderHeader(xj_buf *out, const em_run *run, int zh);
xj_error em_renderRow(xj_buf *out, const em_run *run, const em_row *row, int zh);

/* 1 when the school code is exactly 10 ASCII digits. */
int em_schoolIsValid(const char *s, size_t n);

/* The stages of em_write, each writing its own files. */
xj_error em_writeProblems(em_ctx *ctx);       /* sorts rows, problems.csv, schools/ */
xj_error em_writeRejects(em_ctx *ctx);        /* rejects.csv */
xj_error em_writeSummary(em_ctx *ctx, double write_seconds); /* summary.json */
xj_error em_writeManifest(em_ctx *ctx);       /* MANIFEST, last */

#endif
