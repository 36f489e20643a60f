/*
 * em_commit — the output directory appears complete or not at all.
 *
 * Everything is written into a temporary sibling, `.NAME.tmp-PID-RANDOM`
 * next to OUTDIR (same file system, so rename is atomic), MANIFEST last, the
 * whole tree synced (syncfs); then the temporary is renamed to OUTDIR and
 * the parent synced (xj_syncDir, as for a single file in xj_file.h). With
 * --force and an existing OUTDIR, the two are swapped in one
 * renameat2(RENAME_EXCHANGE), so OUTDIR is at every instant either the old
 * complete result or the new one; the old one is removed afterwards. Only an
 * earlier result of ours is replaced: a directory whose MANIFEST is in our
 * format and lists everything it holds (em_checkReplaceable). That is
 * checked before anything is written and again just before the swap, so a
 * file put there during the run is not deleted with it.
 *
 * A run killed half-way leaves its temporary behind; the next run removes
 * siblings named `.NAME.tmp-PID-*` whose PID is no longer alive (a live PID
 * may be a concurrent run and is left alone). Only our own names are ever
 * removed, and removal never follows symlinks.
 *
 * This file is the protocol alone: em_write (em_write.c) calls
 * em_commitBegin, writes the files into the temporary, and hands the outcome
 * to em_commitEnd, which puts the result in place or removes the attempt.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "em_internal.h"
#include "xj_clock.h"
#include "xj_file.h"

/* Removes `name` in `dirfd` and, for a directory, all it holds (depth-limited:
 * our outputs are at most 3 levels deep). Symlinks are unlinked, not followed. */
static void em_removeTree(int dirfd, const char *name, int depth)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
    if (depth > 4) return;
    int const fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    DIR *const d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        em_removeTree(fd, e->d_name, depth + 1);
    }
    closedir(d);
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Splits OUTDIR into its parent and last component (trailing slashes off). */
static xj_error em_splitPath(const char *outdir, char *parent, size_t pcap, char *name, size_t ncap, xj_status *st)
{
    size_t n = strlen(outdir);
    while (n > 1 && outdir[n - 1] == '/') n--;
    RETURN_ERROR_IF(n == 0 || n >= PATH_MAX, st, XJ_ERR_USAGE, "the output directory path is empty or too long");
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (outdir[i] == '/') slash = outdir + i;
    const char *const base = slash ? slash + 1 : outdir;
    size_t const bn = (size_t)(outdir + n - base);
    RETURN_ERROR_IF(bn == 0 || bn >= ncap - 64 || (bn == 1 && base[0] == '.') || (bn == 2 && memcmp(base, "..", 2) == 0),
                    st, XJ_ERR_USAGE, "output directory %s: name a directory to create, e.g. -o out", outdir);
    memcpy(name, base, bn);
    name[bn] = '\0';
    if (slash == NULL) snprintf(parent, pcap, ".");
    else if (slash == outdir) snprintf(parent, pcap, "/");
    else snprintf(parent, pcap, "%.*s", (int)(slash - outdir), outdir);
    return XJ_OK;
}

/* Removes temporaries of earlier runs of this output whose process is gone. */
static void em_removeStale(int parentfd, const char *name)
{
    int const fd = dup(parentfd);
    if (fd < 0) return;
    DIR *const d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    char prefix[NAME_MAX + 16];
    snprintf(prefix, sizeof prefix, ".%s.tmp-", name);
    char old_prefix[NAME_MAX + 16];
    snprintf(old_prefix, sizeof old_prefix, ".%s.old-", name);
    size_t const pn = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *rest = NULL;
        if (strncmp(e->d_name, prefix, pn) == 0) rest = e->d_name + pn;
        else if (strncmp(e->d_name, old_prefix, pn) == 0) rest = e->d_name + pn;
        if (rest == NULL) continue;
        char *end = NULL;
        long const pid = strtol(rest, &end, 10);
        if (end == rest || *end != '-' || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno == EPERM) continue; /* still running */
        em_removeTree(parentfd, e->d_name, 0);
    }
    closedir(d);
}

/* Everything written under the temporary directory reaches the disk before
 * it is renamed: one syncfs for the file system (files, their directories),
 * then the directory itself. */
static xj_error em_syncTree(const em_commit *c, xj_status *st)
{
    RETURN_ERROR_IF(syncfs(c->dirfd) != 0, st, XJ_ERR_IO, "cannot sync %s: %s", c->tmp_path, strerror(errno));
    RETURN_ERROR_IF(xj_syncDir(c->dirfd) != 0, st, XJ_ERR_IO, "cannot sync %s: %s", c->tmp_path, strerror(errno));
    return XJ_OK;
}

/* Whether `name` in `parentfd` may become the output: absent, or (with
 * force) an earlier result of ours. *exists says which. */
static xj_error em_checkExisting(int parentfd, const char *name, const char *outdir, int force, int *exists,
                                 xj_status *st)
{
    struct stat sb;
    *exists = fstatat(parentfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
    if (!*exists) return XJ_OK;
    RETURN_ERROR_IF(!force, st, XJ_ERR_USAGE, "output directory %s exists; use --force to replace it, or choose another",
                    outdir);
    RETURN_ERROR_IF(!S_ISDIR(sb.st_mode), st, XJ_ERR_USAGE, "%s exists and is not a directory; refusing to replace it",
                    outdir);
    int const dirfd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* the directory is there but cannot be read: the output cannot be
     * written (exit 3), as when any other step of writing it fails */
    RETURN_ERROR_IF(dirfd < 0, st, XJ_ERR_IO, "cannot open %s: %s; refusing to replace it", outdir,
                    strerror(errno));
    xj_error const err = em_checkReplaceable(dirfd, outdir, st);
    close(dirfd);
    return err;
}

xj_error em_checkOutdir(const char *outdir, int force, xj_status *st)
{
    RETURN_ERROR_IF(outdir == NULL, st, XJ_ERR_USAGE, "no output directory given (-o DIR)");
    char parent[PATH_MAX], name[NAME_MAX + 1];
    FORWARD_IF_ERROR(em_splitPath(outdir, parent, sizeof parent, name, sizeof name, st));
    int const parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    RETURN_ERROR_IF(parentfd < 0, st, XJ_ERR_IO, "cannot open %s (the parent of the output directory): %s", parent,
                    strerror(errno));
    int exists = 0;
    xj_error const err = em_checkExisting(parentfd, name, outdir, force, &exists, st);
    close(parentfd);
    return err;
}

xj_error em_commitBegin(em_commit *c, const char *outdir, int force, xj_status *st)
{
    c->outdir = outdir;
    c->force = force;
    c->dirfd = -1;
    c->exists = 0;
    c->before = NULL;
    c->before_user = NULL;
    FORWARD_IF_ERROR(em_splitPath(outdir, c->parent, sizeof c->parent, c->name, sizeof c->name, st));
    c->parentfd = open(c->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    RETURN_ERROR_IF(c->parentfd < 0, st, XJ_ERR_IO, "cannot open %s (the parent of the output directory): %s",
                    c->parent, strerror(errno));
    xj_error err = em_checkExisting(c->parentfd, c->name, outdir, force, &c->exists, st);
    if (err) {
        close(c->parentfd);
        return err;
    }
    em_removeStale(c->parentfd, c->name);

    snprintf(c->tmp, sizeof c->tmp, ".%s.tmp-%ld-%08llx", c->name, (long)getpid(),
             (unsigned long long)(xj_random() & 0xffffffffu));
    snprintf(c->tmp_path, sizeof c->tmp_path, "%s/%s", c->parent, c->tmp);
    if (mkdirat(c->parentfd, c->tmp, 0755) != 0) {
        err = st_fail(st, XJ_ERR_IO, "cannot create %s: %s; check that its directory is writable", c->tmp_path,
                      strerror(errno));
        close(c->parentfd);
        return err;
    }
    c->dirfd = openat(c->parentfd, c->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->dirfd >= 0) return XJ_OK;
    err = st_fail(st, XJ_ERR_IO, "cannot open %s: %s", c->tmp_path, strerror(errno));
    em_removeTree(c->parentfd, c->tmp, 0);
    close(c->parentfd);
    return err;
}

/* A file system without RENAME_EXCHANGE: the old result is moved aside,
 * then the new one in; OUTDIR is missing for that instant, never
 * half-written, and restored on failure. */
static xj_error em_swapAside(em_commit *c, xj_status *st)
{
    snprintf(c->gone, sizeof c->gone, ".%s.old-%ld-%08llx", c->name, (long)getpid(),
             (unsigned long long)(xj_random() & 0xffffffffu));
    xj_error err = XJ_OK;
    if (renameat(c->parentfd, c->name, c->parentfd, c->gone) != 0) {
        err = st_fail(st, XJ_ERR_IO, "cannot move %s aside: %s", c->outdir, strerror(errno));
    } else if (renameat(c->parentfd, c->tmp, c->parentfd, c->name) != 0) {
        err = st_fail(st, XJ_ERR_IO, "cannot rename %s to %s: %s", c->tmp_path, c->outdir, strerror(errno));
        renameat(c->parentfd, c->gone, c->parentfd, c->name);
    } else {
        c->aside = 1;
        return XJ_OK;
    }
    snprintf(c->gone, sizeof c->gone, "%s", c->tmp);
    return err;
}

/* Puts the synced temporary in OUTDIR's place: a rename when OUTDIR is
 * absent, else an exchange with the earlier result, which then has the
 * temporary's name (c->gone names it either way). */
static xj_error em_putInPlace(em_commit *c, xj_status *st)
{
    if (c->exists) { /* again: the old result may have gained files during the run */
        int still = 0;
        FORWARD_IF_ERROR(em_checkExisting(c->parentfd, c->name, c->outdir, c->force, &still, st));
        if (!still) c->exists = 0; /* removed meanwhile: a plain rename below */
    }
    if (!c->exists) {
        RETURN_ERROR_IF(renameat(c->parentfd, c->tmp, c->parentfd, c->name) != 0, st, XJ_ERR_IO,
                        "cannot rename %s to %s: %s", c->tmp_path, c->outdir, strerror(errno));
        return XJ_OK;
    }
    if (renameat2(c->parentfd, c->tmp, c->parentfd, c->name, RENAME_EXCHANGE) == 0) return XJ_OK;
    if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) return em_swapAside(c, st);
    return st_fail(st, XJ_ERR_IO, "cannot replace %s: %s", c->outdir, strerror(errno));
}

/* The rename reaches the disk (the parent synced); when it cannot, it is
 * undone, so that a failed run never leaves a new OUTDIR behind. */
static xj_error em_makeDurable(em_commit *c, xj_status *st)
{
    if (xj_syncDir(c->parentfd) == 0) return XJ_OK;
    xj_error const err = st_fail(st, XJ_ERR_IO, "cannot sync %s: %s", c->parent, strerror(errno));
    if (c->aside) {
        renameat(c->parentfd, c->name, c->parentfd, c->tmp);
        renameat(c->parentfd, c->gone, c->parentfd, c->name);
        snprintf(c->gone, sizeof c->gone, "%s", c->tmp);
    } else if (c->exists) {
        renameat2(c->parentfd, c->tmp, c->parentfd, c->name, RENAME_EXCHANGE);
    } else {
        renameat(c->parentfd, c->name, c->parentfd, c->tmp);
    }
    return err;
}

xj_error em_commitEnd(em_commit *c, xj_error err, xj_status *st)
{
    if (!err) err = em_syncTree(c, st);
    if (c->before) err = c->before(c->before_user, err, st);
    close(c->dirfd);
    c->dirfd = -1;
    /* after the swap `gone` names what must be removed: the old result (with
     * --force) or, on failure, the temporary */
    snprintf(c->gone, sizeof c->gone, "%s", c->tmp);
    c->aside = 0;
    if (!err) err = em_putInPlace(c, st);
    if (!err) err = em_makeDurable(c, st);
    /* the failed attempt, or the replaced old result; should this fail, the
     * next run removes it (em_removeStale) */
    em_removeTree(c->parentfd, c->gone, 0);
    close(c->parentfd);
    return err;
}
