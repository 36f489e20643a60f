/*
 * em_commit — the output directory appears complete or not at all.
 *
 * Everything is written into a temporary sibling, `.NAME.tmp-PID-RANDOM`
 * next to OUTDIR (same file system, so rename is atomic), MANIFEST last, the
 * whole tree synced (syncfs); then the temporary is renamed to OUTDIR. With
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
#include "xj_alloc.h"
#include "xj_clock.h"

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

static xj_error em_writeAllFiles(em_ctx *ctx, double t0)
{
    FORWARD_IF_ERROR(em_writeProblems(ctx)); /* sorts the rows: counting needs them by school */
    ctx->counts = xj_malloc(sizeof *ctx->counts);
    RETURN_ERROR_IF(ctx->counts == NULL, ctx->st, XJ_ERR_NOMEM, "out of memory counting the problems");
    RETURN_ERROR_IF(em_countRows(ctx->run, ctx->counts) != XJ_OK, ctx->st, XJ_ERR_NOMEM,
                    "out of memory counting the problems");
    FORWARD_IF_ERROR(em_writeSchoolReadme(ctx));
    FORWARD_IF_ERROR(em_writeRejects(ctx));
    FORWARD_IF_ERROR(em_writeReport(ctx));
    FORWARD_IF_ERROR(em_writeSummary(ctx, xj_now() - t0));
    FORWARD_IF_ERROR(em_writeManifest(ctx));
    return XJ_OK;
}

/* Everything written under the temporary directory reaches the disk before
 * it is renamed: one syncfs for the file system (files, their directories),
 * then the directory itself. */
static xj_error em_syncTree(em_ctx *ctx)
{
    RETURN_ERROR_IF(syncfs(ctx->dirfd) != 0, ctx->st, XJ_ERR_IO, "cannot sync %s: %s", ctx->tmp_path,
                    strerror(errno));
    RETURN_ERROR_IF(fsync(ctx->dirfd) != 0, ctx->st, XJ_ERR_IO, "cannot sync %s: %s", ctx->tmp_path, strerror(errno));
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
    RETURN_ERROR_IF(dirfd < 0, st, XJ_ERR_USAGE, "cannot open %s: %s; refusing to replace it", outdir,
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

xj_error em_write(em_run *run, xj_status *st)
{
    double const t0 = xj_now();
    char parent[PATH_MAX], name[NAME_MAX + 1];
    FORWARD_IF_ERROR(em_splitPath(run->outdir, parent, sizeof parent, name, sizeof name, st));
    int const parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    RETURN_ERROR_IF(parentfd < 0, st, XJ_ERR_IO, "cannot open %s (the parent of the output directory): %s", parent,
                    strerror(errno));

    int exists = 0;
    xj_error err = em_checkExisting(parentfd, name, run->outdir, run->force, &exists, st);
    if (err) {
        close(parentfd);
        return err;
    }
    em_removeStale(parentfd, name);

    char tmp[NAME_MAX + 64], tmp_path[PATH_MAX + NAME_MAX + 64];
    snprintf(tmp, sizeof tmp, ".%s.tmp-%ld-%08llx", name, (long)getpid(), (unsigned long long)(xj_random() & 0xffffffffu));
    snprintf(tmp_path, sizeof tmp_path, "%s/%s", parent, tmp);
    if (mkdirat(parentfd, tmp, 0755) != 0) {
        err = st_fail(st, XJ_ERR_IO, "cannot create %s: %s; check that its directory is writable", tmp_path,
                      strerror(errno));
        close(parentfd);
        return err;
    }
    em_ctx ctx = {.run = run, .st = st, .tmp_path = tmp_path};
    ctx.dirfd = openat(parentfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ctx.dirfd < 0) err = st_fail(st, XJ_ERR_IO, "cannot open %s: %s", tmp_path, strerror(errno));
    if (!err) err = em_writeAllFiles(&ctx, t0);
    if (!err) err = em_syncTree(&ctx);
    if (ctx.dirfd >= 0) close(ctx.dirfd);

    /* After the swap `gone` names what must be removed: the old result (with
     * --force) or, on failure, the temporary. */
    char gone[NAME_MAX + 64];
    snprintf(gone, sizeof gone, "%s", tmp);
    int aside = 0; /* the old result was renamed aside, not exchanged */
    if (!err && exists) { /* again: the old result may have gained files during the run */
        int still = 0;
        err = em_checkExisting(parentfd, name, run->outdir, run->force, &still, st);
        if (!err && !still) exists = 0; /* removed meanwhile: a plain rename below */
    }
    if (!err && exists) {
        if (renameat2(parentfd, tmp, parentfd, name, RENAME_EXCHANGE) != 0) {
            if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
                /* a file system without RENAME_EXCHANGE: move the old result
                 * aside, then the new one in; OUTDIR is missing for that
                 * instant, never half-written, and restored on failure */
                snprintf(gone, sizeof gone, ".%s.old-%ld-%08llx", name, (long)getpid(),
                         (unsigned long long)(xj_random() & 0xffffffffu));
                if (renameat(parentfd, name, parentfd, gone) != 0) {
                    err = st_fail(st, XJ_ERR_IO, "cannot move %s aside: %s", run->outdir, strerror(errno));
                    snprintf(gone, sizeof gone, "%s", tmp);
                } else if (renameat(parentfd, tmp, parentfd, name) != 0) {
                    err = st_fail(st, XJ_ERR_IO, "cannot rename %s to %s: %s", tmp_path, run->outdir,
                                  strerror(errno));
                    renameat(parentfd, gone, parentfd, name);
                    snprintf(gone, sizeof gone, "%s", tmp);
                } else {
                    aside = 1;
                }
            } else {
                err = st_fail(st, XJ_ERR_IO, "cannot replace %s: %s", run->outdir, strerror(errno));
            }
        }
        /* after an exchange the old result has the temporary's name */
    }
    if (!err && !exists) {
        if (renameat(parentfd, tmp, parentfd, name) != 0)
            err = st_fail(st, XJ_ERR_IO, "cannot rename %s to %s: %s", tmp_path, run->outdir, strerror(errno));
    }
    if (!err && fsync(parentfd) != 0) {
        /* the rename may not survive a crash: undo it, so that a failed run
         * never leaves a new OUTDIR behind */
        err = st_fail(st, XJ_ERR_IO, "cannot sync %s: %s", parent, strerror(errno));
        if (aside) {
            renameat(parentfd, name, parentfd, tmp);
            renameat(parentfd, gone, parentfd, name);
            snprintf(gone, sizeof gone, "%s", tmp);
        } else if (exists) {
            renameat2(parentfd, tmp, parentfd, name, RENAME_EXCHANGE);
        } else {
            renameat(parentfd, name, parentfd, tmp);
        }
    }
    /* the failed attempt, or the replaced old result; should this fail, the
     * next run removes it (em_removeStale) */
    em_removeTree(parentfd, gone, 0);
    close(parentfd);
    for (size_t i = 0; i < ctx.n_files; i++) xj_free(ctx.files[i].path);
    xj_free(ctx.files);
    xj_free(ctx.counts);
    return err;
}
