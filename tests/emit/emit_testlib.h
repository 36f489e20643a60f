/*
 * emit_testlib — what the emit tests share: reading files back, walking an
 * output tree, removing test directories, and an independent CSV reader
 * (libcsv, strict, no whitespace trimming) so every check of an output file
 * goes through a parser that is not ours.
 *
 * Header-only (static functions) so each test stays one executable built
 * from one source; the helpers abort on impossible test-setup failures
 * rather than threading errors through every check.
 */
#ifndef XJ_EMIT_TESTLIB_H
#define XJ_EMIT_TESTLIB_H

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small allocation helpers (tests may abort on out-of-memory) ---- */

static inline void *tl_xmalloc(size_t n)
{
    void *const p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "test: out of memory\n");
        abort();
    }
    return p;
}

static inline void *tl_xrealloc(void *p, size_t n)
{
    void *const q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "test: out of memory\n");
        abort();
    }
    return q;
}

static inline char *tl_xstrdup(const char *s)
{
    size_t const n = strlen(s);
    char *const p = tl_xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

/* ---- files ---- */

/* The whole file, NUL-terminated (not counted); NULL when it cannot be read. */
static inline char *tl_readFile(const char *path, size_t *len)
{
    FILE *const f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *data = tl_xmalloc(cap + 1);
    size_t k;
    while ((k = fread(data + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) data = tl_xrealloc(data, (cap *= 2) + 1);
    }
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

static inline int tl_writeFile(const char *path, const char *s)
{
    FILE *const f = fopen(path, "wb");
    if (f == NULL) return -1;
    size_t const n = strlen(s);
    int const ok = fwrite(s, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static inline int tl_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* rm -rf without following symlinks. */
static inline void tl_rmtree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        chmod(path, 0755);
        DIR *const d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
                size_t const n = strlen(path) + strlen(e->d_name) + 2;
                char *const sub = tl_xmalloc(n);
                snprintf(sub, n, "%s/%s", path, e->d_name);
                tl_rmtree(sub);
                free(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline void tl_mkdirs(const char *path)
{
    char *const tmp = tl_xstrdup(path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
    free(tmp);
}

/* ---- a sorted list of strings (relative paths of a tree) ---- */

typedef struct tl_list {
    char **items;      /* owned strings */
    size_t n, cap;
} tl_list;

static inline void tl_listAdd(tl_list *l, const char *s)
{
    if (l->n == l->cap) l->items = tl_xrealloc(l->items, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof *l->items);
    l->items[l->n++] = tl_xstrdup(s);
}

static inline int tl_cmpStr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void tl_listFree(tl_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static inline int tl_listHas(const tl_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0) return 1;
    return 0;
}

/* Every regular file under root (relative paths, sorted by bytes); entries
 * that are neither files nor directories are listed with a "?" prefix so a
 * test notices them. */
static inline void tl_walkInto(const char *root, const char *rel, tl_list *out)
{
    char *path = NULL;
    if (asprintf(&path, "%s%s%s", root, rel[0] ? "/" : "", rel) < 0) abort();
    DIR *const d = opendir(path);
    free(path);
    if (d == NULL) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *sub = NULL, *full = NULL;
        if (asprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) < 0) abort();
        if (asprintf(&full, "%s/%s", root, sub) < 0) abort();
        struct stat sb;
        if (lstat(full, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) tl_walkInto(root, sub, out);
            else if (S_ISREG(sb.st_mode)) tl_listAdd(out, sub);
            else {
                char *odd = NULL;
                if (asprintf(&odd, "?%s", sub) < 0) abort();
                tl_listAdd(out, odd);
                free(odd);
            }
        }
        free(sub);
        free(full);
    }
    closedir(d);
}

static inline void tl_walk(const char *root, tl_list *out)
{
    memset(out, 0, sizeof *out);
    tl_walkInto(root, "", out);
    if (out->n) qsort(out->items, out->n, sizeof *out->items, tl_cmpStr);
}

/* Names directly inside a directory (files and directories), sorted. */
static inline void tl_listDir(const char *dir, tl_list *out)
{
    memset(out, 0, sizeof *out);
    DIR *const d = opendir(dir);
    if (d == NULL) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) tl_listAdd(out, e->d_name);
    closedir(d);
    if (out->n) qsort(out->items, out->n, sizeof *out->items, tl_cmpStr);
}

/* ---- CSV through libcsv ---- */

typedef struct tl_field {
    char *s;           /* owned, NUL-terminated (not counted) */
    size_t n;
} tl_field;

typedef struct tl_record {
    tl_field *f;
    size_t n, cap;
} tl_record;

typedef struct tl_table {
    tl_record *r;      /* r[0] is the header */
    size_t n, cap;
    tl_record cur;     /* being filled */
} tl_table;

static inline void tl_onField(void *s, size_t n, void *data)
{
    tl_table *const t = data;
    tl_record *const r = &t->cur;
    if (r->n == r->cap) r->f = tl_xrealloc(r->f, (r->cap = r->cap ? r->cap * 2 : 16) * sizeof *r->f);
    char *const copy = tl_xmalloc(n + 1);
    if (n) memcpy(copy, s, n);
    copy[n] = '\0';
    r->f[r->n++] = (tl_field){copy, n};
}

static inline void tl_onRecord(int c, void *data)
{
    (void)c;
    tl_table *const t = data;
    if (t->n == t->cap) t->r = tl_xrealloc(t->r, (t->cap = t->cap ? t->cap * 2 : 64) * sizeof *t->r);
    t->r[t->n++] = t->cur;
    memset(&t->cur, 0, sizeof t->cur);
}

static inline int tl_noSpace(unsigned char c)
{
    (void)c;
    return 0; /* keep every byte: our writer quotes values with edge spaces */
}

static inline void tl_tableFree(tl_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; k < t->r[i].n; k++) free(t->r[i].f[k].s);
        free(t->r[i].f);
    }
    for (size_t k = 0; k < t->cur.n; k++) free(t->cur.f[k].s);
    free(t->cur.f);
    free(t->r);
    memset(t, 0, sizeof *t);
}

/* Parses `n` bytes strictly; 0 on success. Every record must end with LF,
 * as ours do: a missing final line end is reported as an error too. */
static inline int tl_parseCsv(const char *s, size_t n, tl_table *t)
{
    memset(t, 0, sizeof *t);
    if (n > 0 && s[n - 1] != '\n') return -1;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) return -1;
    csv_set_space_func(&p, tl_noSpace);
    int bad = csv_parse(&p, s, n, tl_onField, tl_onRecord, t) != n;
    if (!bad && csv_fini(&p, tl_onField, tl_onRecord, t) != 0) bad = 1;
    csv_free(&p);
    return bad ? -1 : 0;
}

static inline int tl_fieldIs(const tl_field *f, const char *s, size_t n)
{
    return f->n == n && (n == 0 || memcmp(f->s, s, n) == 0);
}

#endif
