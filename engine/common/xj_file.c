/* xj_file — see xj_file.h. */
#include "xj_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xj_alloc.h"

int xj_syncDir(int dirfd)
{
    return fsync(dirfd);
}

/* The directory part of `path`: "." without a slash, "/" for a file in
 * the root. */
static char *af_dirOf(const char *path)
{
    const char *const slash = strrchr(path, '/');
    if (slash == NULL) return xj_strndup(".", 1);
    return xj_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

void af_abort(xj_atomicFile *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp) unlink(f->tmp);
    xj_free(f->tmp);
    xj_free(f->path);
    xj_free(f->dir);
    f->tmp = f->path = f->dir = NULL;
}

xj_error af_open(xj_atomicFile *f, const char *path, const char *keep_suffix, xj_status *st)
{
    size_t const plen = strlen(path);
    size_t const slen = keep_suffix && strlen(keep_suffix) <= plen ? strlen(keep_suffix) : 0;
    f->fd = -1;
    f->path = xj_strndup(path, plen);
    f->dir = af_dirOf(path);
    f->tmp = xj_malloc(plen + 32);
    if (!f->path || !f->dir || !f->tmp) {
        xj_free(f->tmp);
        f->tmp = NULL; /* nothing was created: nothing to remove */
        af_abort(f);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory writing %s", path);
    }
    snprintf(f->tmp, plen + 32, "%.*s.tmp%ld%s", (int)(plen - slen), path, (long)getpid(), path + plen - slen);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd >= 0) return XJ_OK;
    xj_error const err = st_fail(st, XJ_ERR_IO, "%s: cannot create: %m", f->tmp);
    xj_free(f->tmp);
    f->tmp = NULL; /* not ours: never removed */
    af_abort(f);
    return err;
}

xj_error af_commit(xj_atomicFile *f, const char *what, xj_status *st)
{
    int failed = fsync(f->fd) != 0 ? errno : 0;
    if (close(f->fd) != 0 && !failed) failed = errno;
    f->fd = -1;
    if (!failed && rename(f->tmp, f->path) != 0) failed = errno;
    if (failed) {
        errno = failed;
        xj_error const err = st_fail(st, XJ_ERR_IO, "%s: cannot write %s: %m", f->path, what);
        af_abort(f);
        return err;
    }
    xj_free(f->tmp);
    f->tmp = NULL; /* renamed: nothing left to remove */
    /* make the rename itself durable; the file is complete either way, but
     * a caller told "written" must be able to rely on it */
    xj_error err = XJ_OK;
    int const dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || xj_syncDir(dfd) != 0)
        err = st_fail(st, XJ_ERR_IO, "%s: written, but its directory %s could not be synced: %m", f->path, f->dir);
    if (dfd >= 0) close(dfd);
    af_abort(f); /* frees the names */
    return err;
}

xj_error af_writeFile(const char *path, const char *keep_suffix, const void *data, size_t n, const char *what,
                      xj_status *st)
{
    xj_atomicFile f;
    FORWARD_IF_ERROR(af_open(&f, path, keep_suffix, st));
    const char *p = data;
    while (n) {
        ssize_t const k = write(f.fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k == 0) errno = ENOSPC;
            xj_error const err = st_fail(st, XJ_ERR_IO, "%s: cannot write %s: %m", path, what);
            af_abort(&f);
            return err;
        }
        p += k;
        n -= (size_t)k;
    }
    return af_commit(&f, what, st);
}
