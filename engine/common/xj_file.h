/*
 * xj_file — a file that appears whole or not at all, for every writer of a
 * single file (the index, the lists beside it).
 *
 * The bytes go to a temporary sibling (the same directory, so the rename
 * is atomic); at commit the temporary is fsync'd, closed and renamed over
 * the target, and then the directory is fsync'd so that the rename itself
 * survives a crash. A reader sees the old file or the new one, never a
 * mix; a failure before the rename removes the temporary and leaves the
 * target as it was. Cost: two fsyncs per file, the file's and its
 * directory's; committing allocates nothing (the names are taken at open),
 * so an out-of-memory failure cannot strike between the rename and the
 * directory's sync.
 *
 * The temporary is named `PATH.tmpPID`, or with `keep_suffix` (a suffix of
 * PATH) `BASE.tmpPID.SUFFIX`, so that a build's files are told apart by
 * their owner's PID: ix_write removes those of dead runs.
 *
 * A whole output directory is committed by em_commit instead (a temporary
 * directory renamed into place); the two share xj_syncDir.
 */
#ifndef XJ_FILE_H
#define XJ_FILE_H

#include <stddef.h>

#include "xj_status.h"

typedef struct xj_atomicFile {
    int fd;        /* the temporary, open for writing; -1 when closed */
    char *path;    /* the target */
    char *tmp;     /* the temporary sibling; NULL once renamed or removed */
    char *dir;     /* path's directory ("." without a slash) */
} xj_atomicFile;

/* Creates the temporary (a leftover of the same name is truncated).
 * XJ_ERR_NOMEM, or XJ_ERR_IO naming the temporary; on an error nothing is
 * left open or allocated. */
xj_error af_open(xj_atomicFile *f, const char *path, const char *keep_suffix, xj_status *st);
/* Syncs, closes and renames the temporary over the target, then syncs the
 * directory. A failure before the rename is "PATH: cannot write WHAT"
 * (XJ_ERR_IO) and removes the temporary; a failed directory sync after it
 * is XJ_ERR_IO too, though the new file is in place. Frees the names
 * either way. */
xj_error af_commit(xj_atomicFile *f, const char *what, xj_status *st);
/* Closes and removes the temporary, frees the names; a closed or never
 * opened file is fine (fd -1, NULL names). */
void af_abort(xj_atomicFile *f);

/* A whole file from one buffer: open, write (short writes resumed),
 * commit; on a failure the target is as it was. */
xj_error af_writeFile(const char *path, const char *keep_suffix, const void *data, size_t n, const char *what,
                      xj_status *st);

/* fsync of a directory: what makes a rename (or a file created) inside it
 * survive a crash. 0, or -1 with errno. */
int xj_syncDir(int dirfd);

#endif
