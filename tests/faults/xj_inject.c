/*
 * xj_inject — an LD_PRELOAD shim that makes the k-th call of one output
 * function fail, the cheapest way to prove "disk full" and I/O errors are
 * handled (the idea of jq's inject_errors.c).
 *
 *   XJ_FAIL_CALL   write | pwrite | close | fsync | syncfs | openat | mkdirat | rename |
 *                  renameat | renameat2
 *   XJ_FAIL_AT     k: the k-th call (1-based) fails; 0 = only count
 *   XJ_FAIL_ERRNO  ENOSPC (default) or EIO
 *   XJ_FAIL_COUNT  a file: the number of calls made is written there at exit
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *g_call;   /* the function to fail */
static long g_at;            /* fail the g_at-th call */
static int g_errno = ENOSPC; /* with this error */
static long g_calls;         /* calls seen so far */

__attribute__((constructor)) static void inject_init(void)
{
    g_call = getenv("XJ_FAIL_CALL");
    const char *const at = getenv("XJ_FAIL_AT");
    g_at = at ? atol(at) : 0;
    const char *const e = getenv("XJ_FAIL_ERRNO");
    if (e && strcmp(e, "EIO") == 0) g_errno = EIO;
}

__attribute__((destructor)) static void inject_fini(void)
{
    const char *const path = getenv("XJ_FAIL_COUNT");
    if (path == NULL) return;
    FILE *const f = fopen(path, "w");
    if (f) {
        fprintf(f, "%ld\n", g_calls);
        fclose(f);
    }
}

/* 1 when this call of `name` must fail. */
static int inject_now(const char *name)
{
    if (g_call == NULL || strcmp(g_call, name) != 0) return 0;
    return ++g_calls == g_at;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*fd_fn)(int);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*mkdirat_fn)(int, const char *, mode_t);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*rename_fn)(const char *, const char *);
#define REAL(name, type) type const real = (type)dlsym(RTLD_NEXT, name)

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL("write", write_fn);
    /* standard error stays usable, so the failure can be reported */
    if (fd != STDERR_FILENO && inject_now("write")) return errno = g_errno, -1;
    return real(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t at)
{
    REAL("pwrite", pwrite_fn);
    if (inject_now("pwrite")) return errno = g_errno, -1;
    return real(fd, buf, n, at);
}

int close(int fd)
{
    REAL("close", fd_fn);
    if (inject_now("close")) {
        real(fd);
        return errno = g_errno, -1;
    }
    return real(fd);
}

int fsync(int fd)
{
    REAL("fsync", fd_fn);
    if (inject_now("fsync")) return errno = g_errno, -1;
    return real(fd);
}

int syncfs(int fd)
{
    REAL("syncfs", fd_fn);
    if (inject_now("syncfs")) return errno = g_errno, -1;
    return real(fd);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    REAL("openat", openat_fn);
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (inject_now("openat")) return errno = g_errno, -1;
    return real(dirfd, path, flags, mode);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
    REAL("mkdirat", mkdirat_fn);
    if (inject_now("mkdirat")) return errno = g_errno, -1;
    return real(dirfd, path, mode);
}

int rename(const char *p, const char *q)
{
    REAL("rename", rename_fn);
    if (inject_now("rename")) return errno = g_errno, -1;
    return real(p, q);
}

int renameat(int a, const char *p, int b, const char *q)
{
    REAL("renameat", renameat_fn);
    if (inject_now("renameat")) return errno = g_errno, -1;
    return real(a, p, b, q);
}

int renameat2(int a, const char *p, int b, const char *q, unsigned flags)
{
    REAL("renameat2", renameat2_fn);
    if (inject_now("renameat2")) return errno = g_errno, -1;
    return real(a, p, b, q, flags);
}
