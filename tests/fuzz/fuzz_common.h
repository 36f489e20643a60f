/*
 * fuzz_common — what every fuzz target shares: an invariant check that
 * aborts (so libFuzzer and the regression driver both see a crash), and a
 * way to hand an input to rd_open as if it were a file.
 *
 * The reader opens paths, so each input is written to one memfd per process
 * (no disk traffic, nothing left behind when a run is killed) and named by
 * its /proc/self/fd path, which open(2) reopens from offset 0. rd_open
 * chooses zstd by the name's ".zst" suffix, so for that case a symlink
 * "<tmpdir>/input.zst" points at the memfd; the directory is removed at exit.
 * Any failure to set this up is a broken test machine, not a finding: it
 * aborts with a message instead of passing quietly.
 */
#ifndef XJ_FUZZ_COMMON_H
#define XJ_FUZZ_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A broken invariant is a finding: say which, then crash for the fuzzer. */
#define FZ_ASSERT(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_fd = -1;          /* the memfd every input is written to */
static char fz_fdPath[64];      /* "/proc/self/fd/N" */
static char fz_dir[256];        /* temporary directory of the .zst symlink */
static char fz_zstPath[320];    /* fz_dir + "/input.zst" */

static inline void fz_die(const char *what)
{
    fprintf(stderr, "fuzz harness: %s: %s\n", what, strerror(errno));
    abort();
}

static inline void fz_cleanup(void)
{
    if (fz_zstPath[0]) unlink(fz_zstPath);
    if (fz_dir[0]) rmdir(fz_dir);
}

static inline void fz_setup(void)
{
    if (fz_fd >= 0) return;
    fz_fd = memfd_create("xjdedup-fuzz", MFD_CLOEXEC);
    if (fz_fd < 0) fz_die("memfd_create");
    snprintf(fz_fdPath, sizeof fz_fdPath, "/proc/self/fd/%d", fz_fd);
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
    snprintf(fz_dir, sizeof fz_dir, "%s/xjfuzz-XXXXXX", tmp);
    if (mkdtemp(fz_dir) == NULL) fz_die("mkdtemp");
    snprintf(fz_zstPath, sizeof fz_zstPath, "%s/input.zst", fz_dir);
    if (symlink(fz_fdPath, fz_zstPath) != 0) fz_die("symlink");
    atexit(fz_cleanup);
}

/* Replaces the contents of the memfd `fd` with data[0..size). */
static inline void fz_storeInto(int fd, const void *data, size_t size)
{
    if (ftruncate(fd, 0) != 0) fz_die("ftruncate");
    size_t done = 0;
    while (done < size) {
        ssize_t const w = pwrite(fd, (const char *)data + done, size - done, (off_t)done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fz_die("pwrite");
        done += (size_t)w;
    }
}

/* Replaces the memfd's contents with data[0..size). */
static inline void fz_store(const uint8_t *data, size_t size)
{
    fz_setup();
    fz_storeInto(fz_fd, data, size);
}

/* A memfd named `name` and a symbolic link `link` to it, for a target whose
 * code under test opens files by name in a directory. */
static inline int fz_linkedMemfd(const char *name, const char *link)
{
    int const fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) fz_die("memfd_create");
    char target[64];
    snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
    if (symlink(target, link) != 0) fz_die("symlink");
    return fd;
}

/* Cuts an input into at most `max` parts at the marker `mark` (the targets
 * whose input is several files); returns how many. */
static inline int fz_split(const uint8_t *data, size_t size, const char *mark, const char **part, size_t *len,
                           int max)
{
    size_t const mn = strlen(mark);
    part[0] = (const char *)data;
    len[0] = size;
    int n = 1;
    while (n < max) {
        const char *const cut = memmem(part[n - 1], len[n - 1], mark, mn);
        if (cut == NULL) break;
        part[n] = cut + mn;
        len[n] = len[n - 1] - (size_t)(part[n] - part[n - 1]);
        len[n - 1] = (size_t)(cut - part[n - 1]);
        n++;
    }
    return n;
}

/* A path whose contents are the input: the plain one, or the ".zst" one. */
static inline const char *fz_path(const uint8_t *data, size_t size, int zst_name)
{
    fz_store(data, size);
    return zst_name ? fz_zstPath : fz_fdPath;
}

#endif
