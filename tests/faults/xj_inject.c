/*
 * xj_inject — an LD_PRELOAD shim that makes the k-th call of one output
 * function fail, the cheapest way to prove "disk full" and I/O errors are
 * handled (the idea of jq's inject_errors.c).
 *
 *   XJ_FAIL_CALL   write | pwrite | writev | close | fsync | syncfs | openat | mkdirat |
 *                  rename | renameat | renameat2
 *   XJ_FAIL_AT     k: the k-th call (1-based) fails; 0 = only count
 *   XJ_FAIL_ERRNO  ENOSPC (default) or EIO
 *   XJ_FAIL_COUNT  a file: the number of calls made is written there at exit
 *   XJ_SHORT_WRITES  1: write, pwrite and writev write only part of what they
 *                  are given (as a pipe or a full disk may), to prove callers
 *                  resume where a short write stopped
 *
 * XJ_FAIL_CALL=pthread_create only counts (XJ_FAIL_AT is not looked at): how
 * many threads a run starts, to prove --threads 1 starts none.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *g_call;   /* the function to fail */
static long g_at;            /* fail the g_at-th call */
static int g_errno = ENOSPC; /* with this error */
static long g_calls;         /* calls seen so far */
static int g_short;          /* XJ_SHORT_WRITES */

__attribute__((constructor)) static void inject_init(void)
{
    g_call = getenv("XJ_FAIL_CALL");
    const char *const at = getenv("XJ_FAIL_AT");
    g_at = at ? atol(at) : 0;
    const char *const e = getenv("XJ_FAIL_ERRNO");
    if (e && strcmp(e, "EIO") == 0) g_errno = EIO;
    const char *const sh = getenv("XJ_SHORT_WRITES");
    g_short = sh && strcmp(sh, "1") == 0;
}

/* How much of an n-byte write to do: a third and one byte when short
 * writes are asked for, so a caller must come back at least twice. */
static size_t short_len(int fd, size_t n)
{
    return g_short && fd != STDERR_FILENO && n > 1 ? n / 3 + 1 : n;
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
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef int (*rename_fn)(const char *, const char *);
#define REAL(name, type) type const real = (type)dlsym(RTLD_NEXT, name)

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL("write", write_fn);
    /* standard error stays usable, so the failure can be reported */
    if (fd != STDERR_FILENO && inject_now("write")) return errno = g_errno, -1;
    return real(fd, buf, short_len(fd, n));
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t at)
{
    REAL("pwrite", pwrite_fn);
    if (inject_now("pwrite")) return errno = g_errno, -1;
    return real(fd, buf, short_len(fd, n), at);
}

ssize_t writev(int fd, const struct iovec *v, int n)
{
    REAL("writev", writev_fn);
    if (inject_now("writev")) return errno = g_errno, -1;
    size_t total = 0;
    for (int i = 0; i < n; i++) total += v[i].iov_len;
    size_t const keep = short_len(fd, total);
    if (keep == total || n <= 0) return real(fd, v, n);
    /* the same vector cut after `keep` bytes */
    struct iovec part[64];
    int k = 0;
    for (size_t left = keep; k < n && k < 64 && left; k++) {
        part[k] = v[k];
        if (part[k].iov_len > left) part[k].iov_len = left;
        left -= part[k].iov_len;
    }
    return real(fd, part, k);
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

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    REAL("pthread_create", pthread_create_fn);
    if (g_call && strcmp(g_call, "pthread_create") == 0) __atomic_add_fetch(&g_calls, 1, __ATOMIC_RELAXED);
    return real(t, attr, start, arg);
}
