/*
 * em_manifest — MANIFEST, the last file written: every other file with its
 * XXH3-128 and size, sorted by path. A downstream system that finds MANIFEST
 * and every listed file matching knows the result is complete.
 *
 * The format, one line per file, sorted by path bytes, LF after each:
 *   <32 lower-case hex digits> <size, decimal> <relative path>
 * It is also what tells an earlier result of ours from any other directory
 * (em_checkReplaceable): --force replaces only a directory whose MANIFEST is
 * in this format and that holds nothing the MANIFEST does not list.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "em_internal.h"
#include "xj_alloc.h"

#define EM_MANIFEST_MAX ((size_t)1 << 30) /* bytes: a million school files take ~100 MB */
#define EM_MANIFEST_MAX_PARTS 4            /* path parts: ours have at most 3 (schools/11/x.csv) */

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

/* ---- reading an existing MANIFEST back (--force) ---- */

typedef struct em_listed {
    const char *path;      /* into the MANIFEST's text */
    uint64_t size;
} em_listed;

typedef struct em_listing {
    char *text;            /* the MANIFEST, its LFs made NULs */
    em_listed *v;
    size_t n;
    const char *outdir;    /* for messages */
    xj_status *st;
} em_listing;

/* A path as em_write makes it: relative, parts separated by one '/', none
 * empty, "." or "..", at most EM_MANIFEST_MAX_PARTS of them, and nothing but
 * printable bytes (control characters never appear in our names). */
static int em_pathIsOurs(const char *p)
{
    size_t parts = 0;
    for (const char *part = p;; part++) {
        const char *end = part;
        while (*end && *end != '/') {
            if ((unsigned char)*end < 0x20 || *end == 0x7f) return 0;
            end++;
        }
        size_t const n = (size_t)(end - part);
        if (n == 0 || (n == 1 && part[0] == '.') || (n == 2 && part[0] == '.' && part[1] == '.')) return 0;
        if (++parts > EM_MANIFEST_MAX_PARTS) return 0;
        if (*end == '\0') return 1;
        part = end;
    }
}

/* One line "<32 hex> <size> <path>" (its LF already a NUL) into `out`. */
static int em_parseLine(char *line, em_listed *out)
{
    for (int i = 0; i < 32; i++)
        if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f'))) return 0;
    if (line[32] != ' ') return 0;
    const char *p = line + 33;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] != ' ')) return 0; /* %llu: no sign, no leading zero */
    uint64_t size = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (size > (UINT64_MAX - 9) / 10) return 0;
        size = size * 10 + (uint64_t)(*p - '0');
    }
    if (*p != ' ' || !em_pathIsOurs(p + 1)) return 0;
    out->path = p + 1;
    out->size = size;
    return 1;
}

/* Why a directory's MANIFEST is not ours, for the caller to word its refusal. */
typedef struct em_notOurs {
    char why[160];
} em_notOurs;

static xj_error em_notOurManifest(em_notOurs *no, size_t line, const char *why)
{
    if (line) snprintf(no->why, sizeof no->why, "its MANIFEST is not one xjdedup writes (line %zu: %s)", line, why);
    else snprintf(no->why, sizeof no->why, "its MANIFEST is not one xjdedup writes (%s)", why);
    return XJ_ERR_USAGE;
}

/* Reads and checks `dirfd`/MANIFEST into `l`. XJ_ERR_USAGE with no->why
 * when it is missing or not ours; XJ_ERR_NOMEM. */
static xj_error em_readListing(int dirfd, em_listing *l, em_notOurs *no)
{
    int const fd = openat(dirfd, "MANIFEST", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ELOOP) snprintf(no->why, sizeof no->why, "no MANIFEST");
        else snprintf(no->why, sizeof no->why, "cannot read its MANIFEST: %s", strerror(errno));
        return XJ_ERR_USAGE;
    }
    struct stat sb;
    xj_error err = XJ_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) err = em_notOurManifest(no, 0, "not a regular file");
    else if ((uint64_t)sb.st_size > EM_MANIFEST_MAX) err = em_notOurManifest(no, 0, "far too large");
    size_t const cap = err ? 0 : (size_t)sb.st_size;
    if (!err && (l->text = xj_malloc(cap + 1)) == NULL) err = XJ_ERR_NOMEM;
    size_t got = 0;
    while (!err && got < cap) {
        ssize_t const r = read(fd, l->text + got, cap - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            snprintf(no->why, sizeof no->why, "cannot read its MANIFEST: %s",
                     r < 0 ? strerror(errno) : "it shrank while read");
            err = XJ_ERR_USAGE;
        } else got += (size_t)r;
    }
    close(fd);
    if (err) return err;
    l->text[cap] = '\0';
    if (cap > 0 && l->text[cap - 1] != '\n') return em_notOurManifest(no, 0, "the last line does not end");
    if (memchr(l->text, '\0', cap) != NULL) return em_notOurManifest(no, 0, "it holds NUL bytes");
    size_t lines = 0;
    for (size_t i = 0; i < cap; i++) lines += l->text[i] == '\n';
    l->v = xj_mallocArray(lines ? lines : 1, sizeof *l->v);
    if (l->v == NULL) return XJ_ERR_NOMEM;
    char *line = l->text;
    for (size_t k = 0; k < lines; k++) {
        char *const lf = strchr(line, '\n');
        *lf = '\0';
        if (!em_parseLine(line, &l->v[k])) return em_notOurManifest(no, k + 1, "not \"<hash> <size> <path>\"");
        if (k > 0 && strcmp(l->v[k - 1].path, l->v[k].path) >= 0)
            return em_notOurManifest(no, k + 1, "the paths are not in order");
        line = lf + 1;
    }
    l->n = lines;
    return XJ_OK;
}

/* The listed entry `rel`, or NULL. */
static const em_listed *em_findListed(const em_listing *l, const char *rel)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        int const c = strcmp(l->v[mid].path, rel);
        if (c == 0) return &l->v[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* 1 when some listed path starts with `prefix` (the listing is sorted). */
static int em_anyListedUnder(const em_listing *l, const char *prefix)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (strcmp(l->v[mid].path, prefix) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < l->n && strncmp(l->v[lo].path, prefix, strlen(prefix)) == 0;
}

static xj_error em_unlisted(em_listing *l, const char *rel, const char *what)
{
    return st_fail(l->st, XJ_ERR_USAGE,
                   "%s holds %s %s, which its MANIFEST does not list, so it is not only an earlier xjdedup output; "
                   "refusing to replace it: move that out of it, or choose another output directory",
                   l->outdir, what, rel);
}

/* Every entry of `dirfd` (the directory `prefix`, "" at the top) is a
 * listed file of the listed size, or a directory that holds listed files
 * and, recursively, nothing else. */
static xj_error em_walkListed(em_listing *l, int dirfd, const char *prefix)
{
    int const fd = dup(dirfd);
    DIR *const d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0) close(fd);
        return st_fail(l->st, XJ_ERR_USAGE, "cannot read %s/%s: %s; refusing to replace %s", l->outdir, prefix,
                       strerror(errno), l->outdir);
    }
    xj_error err = XJ_OK;
    char rel[PATH_MAX];
    struct dirent *e;
    while (!err && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (*prefix == '\0' && strcmp(e->d_name, "MANIFEST") == 0) continue;
        if ((size_t)snprintf(rel, sizeof rel, "%s%s%s", prefix, *prefix ? "/" : "", e->d_name) >= sizeof rel - 1) {
            err = em_unlisted(l, e->d_name, "the deeply nested");
            break;
        }
        struct stat sb;
        if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue; /* gone meanwhile */
            err = st_fail(l->st, XJ_ERR_USAGE, "cannot look at %s/%s: %s; refusing to replace %s", l->outdir, rel,
                          strerror(errno), l->outdir);
        } else if (S_ISREG(sb.st_mode)) {
            const em_listed *const f = em_findListed(l, rel);
            if (f == NULL) err = em_unlisted(l, rel, "the file");
            else if ((uint64_t)sb.st_size != f->size)
                err = st_fail(l->st, XJ_ERR_USAGE,
                              "%s/%s has %llu bytes, but its MANIFEST says %llu: it was changed after xjdedup wrote "
                              "it; refusing to replace %s: keep a copy of it elsewhere and delete it, or choose "
                              "another output directory",
                              l->outdir, rel, (unsigned long long)sb.st_size, (unsigned long long)f->size, l->outdir);
        } else if (S_ISDIR(sb.st_mode)) {
            size_t const n = strlen(rel);
            rel[n] = '/';
            rel[n + 1] = '\0';
            int const listed = em_anyListedUnder(l, rel);
            rel[n] = '\0';
            int const sub = listed ? openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
            if (!listed) err = em_unlisted(l, rel, "the folder");
            else if (sub < 0)
                err = st_fail(l->st, XJ_ERR_USAGE, "cannot open %s/%s: %s; refusing to replace %s", l->outdir, rel,
                              strerror(errno), l->outdir);
            else err = em_walkListed(l, sub, rel);
            if (sub >= 0) close(sub);
        } else {
            err = em_unlisted(l, rel, S_ISLNK(sb.st_mode) ? "the symbolic link" : "the special file");
        }
    }
    closedir(d);
    return err;
}

xj_error em_checkReplaceable(int dirfd, const char *outdir, xj_status *st)
{
    em_listing l = {.outdir = outdir, .st = st};
    em_notOurs no;
    xj_error err = em_readListing(dirfd, &l, &no);
    if (err == XJ_ERR_NOMEM) st_fail(st, err, "out of memory");
    else if (err)
        st_fail(st, err, "%s exists but is not an earlier xjdedup output (%s); refusing to replace it: remove it "
                "yourself if it may go, or choose another output directory", outdir, no.why);
    if (!err) err = em_walkListed(&l, dirfd, "");
    xj_free(l.v);
    xj_free(l.text);
    return err;
}

xj_error em_checkPrevious(const char *dir, xj_status *st)
{
    int const dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    RETURN_ERROR_IF(dirfd < 0, st, XJ_ERR_INPUT, "--previous: cannot open the directory %s: %s; name the output "
                    "directory of an earlier run", dir, strerror(errno));
    em_listing l = {.outdir = dir, .st = st};
    em_notOurs no;
    xj_error err = em_readListing(dirfd, &l, &no);
    close(dirfd);
    static const char *const kNeeded[] = {"problems.csv", "summary.json"};
    for (size_t i = 0; i < 2 && !err; i++)
        if (em_findListed(&l, kNeeded[i]) == NULL) {
            snprintf(no.why, sizeof no.why, "its MANIFEST lists no %s", kNeeded[i]);
            err = XJ_ERR_USAGE;
        }
    xj_free(l.v);
    xj_free(l.text);
    if (err == XJ_ERR_NOMEM) return st_fail(st, err, "out of memory reading --previous");
    /* a run that stopped early, or a copy made by hand, has no MANIFEST of ours */
    if (err) return st_fail(st, XJ_ERR_INPUT, "--previous: %s is not a complete xjdedup output (%s); name the "
                            "output directory of an earlier, finished run (its MANIFEST is written last)", dir, no.why);
    return XJ_OK;
}
