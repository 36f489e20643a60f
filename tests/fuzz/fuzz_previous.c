/*
 * fuzz_previous — the reader of an earlier run's output (--previous DIR,
 * engine/emit/em_previous.c) on arbitrary bytes, held to a reading of the
 * same files of the harness's own.
 *
 * Input: PREV's problems.csv; then, each after the marker "%%XJ%%" and all
 * optional: its attested.csv, its summary.json, its MANIFEST. The files sit
 * in a temporary directory made once per process: problems.csv,
 * attested.csv and summary.json are symbolic links to memfds rewritten for
 * each input, so an input costs no directory work; MANIFEST is a real file
 * (PREV's is opened with O_NOFOLLOW), ours listing those three, unless the
 * input brings its own (a third directory, where it is rewritten through a
 * descriptor kept open); an input without a summary.json gets a valid one
 * of ours (written again only after an input that brought its own), and
 * one without an attested.csv uses a directory that has none (as a PREV
 * without decisions). What the harness keeps from input to input is kept
 * in buffers that are reused, and its own reading of the files is left
 * out of the fuzzer's instrumentation (FP_NO_COVERAGE), so that an input
 * costs about what the engine's code does.
 *
 * Each input goes the way a scan takes PREV: em_prevOpen (this run's
 * student number and school code columns are 学籍号 and 学校标识码, its
 * scope noid); pass 1's em_prevSawPerson and em_prevDrain for pairs
 * taken from PREV's own rows and a few others, some before em_prevRead
 * reads the rows (kept for later, as when pass 1 starts while PREV is read
 * on another thread), some after; em_compareWithPrevious for
 * rows of "this run" made from PREV's rows (some the same identity, some
 * attested, some changed); em_writeResolved, which reads the rows of the
 * resolved identities back from problems.csv by their byte offsets.
 *
 * Invariants, each an abort when broken:
 *  - em_prevOpen or em_prevRead fails, with a message, exactly when the
 *    harness's reading (fp_read, written from docs/monthly.md and
 *    em_previous.c's header comment, not from its code) finds the files
 *    malformed: a quote out of place, a quoted value never closed, a
 *    missing column, a first_seen that is not a date, summary.json without
 *    run_date or of another attr_scope. With a MANIFEST from the input, a
 *    refusal the harness did not expect must name the MANIFEST;
 *  - every row of this run gets the status and first_seen PREV's
 *    identities give it (docs/monthly.md §2);
 *  - the resolved counts per province and problem, and resolved.csv byte
 *    for byte, are those of PREV's identities no row of this run has, each
 *    `fixed` exactly when pass 1 saw its student number and school code.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "em_internal.h"
#include "xj_date.h"
#include "xj_text.h"

#include "fuzz_common.h"

#define FP_MARK "%%XJ%%"
#define FP_FIELD_MAX 4096u  /* bytes of a field PREV's reader keeps (em_previous.c) */
#define FP_MAX_MADE 256u    /* PREV rows that become rows of this run or pairs pass 1 sees */

static const char kSno[] = "学籍号", kSchool[] = "学校标识码";
static const char kSummary[] = "{\n  \"version\": \"0.1.0\",\n  \"run_date\": \"2026-09-01\",\n  \"options\": {\n"
                               "    \"attr_scope\": \"noid\",\n    \"encoding\": \"utf-8\"\n  }\n}\n";
static const char kManifest[] = "00000000000000000000000000000000 0 attested.csv\n"
                                "00000000000000000000000000000000 0 problems.csv\n"
                                "00000000000000000000000000000000 0 summary.json\n";
static const char kResolvedHeader[] = "problem,group_id,student_no,school_code,first_seen,resolution\n";

/* ---- the temporary PREV directories ---- */

enum { FP_PROBLEMS, FP_ATTESTED, FP_SUMMARY, FP_FILES };
static const char *const kFile[FP_FILES] = {"problems.csv", "attested.csv", "summary.json"};
enum { FP_DIR_ALL, FP_DIR_NO_ATTESTED, FP_DIR_OWN_MANIFEST, FP_DIRS };

static int fp_fd[FP_FILES] = {-1, -1, -1};
static int fp_manifestFd = -1; /* the input's MANIFEST, in FP_DIR_OWN_MANIFEST */
static char fp_root[256];
static char fp_dir[FP_DIRS][300];
static char fp_out[300];
static int fp_outfd = -1;

static void fp_join(char *out, size_t cap, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap) fz_die("path too long");
}

static void fp_writeFile(const char *path, const char *data, size_t n)
{
    int const fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fz_die(path);
    for (size_t done = 0; done < n;) {
        ssize_t const w = write(fd, data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fz_die("write");
        done += (size_t)w;
    }
    if (close(fd) != 0) fz_die("close");
}

static void fp_cleanup(void)
{
    char path[400];
    for (int d = 0; d < FP_DIRS; d++) {
        if (!fp_dir[d][0]) continue;
        for (int f = 0; f < FP_FILES; f++) {
            fp_join(path, sizeof path, fp_dir[d], kFile[f]);
            unlink(path);
        }
        fp_join(path, sizeof path, fp_dir[d], "MANIFEST");
        unlink(path);
        rmdir(fp_dir[d]);
    }
    if (fp_out[0]) {
        fp_join(path, sizeof path, fp_out, "resolved.csv");
        unlink(path);
        rmdir(fp_out);
    }
    if (fp_root[0]) rmdir(fp_root);
}

static void fp_setup(void)
{
    if (fp_outfd >= 0) return;
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
    snprintf(fp_root, sizeof fp_root, "%s/xjfuzz-prev-XXXXXX", tmp);
    if (mkdtemp(fp_root) == NULL) fz_die("mkdtemp");
    atexit(fp_cleanup);
    static const char *const kDir[FP_DIRS] = {"all", "no-attested", "own-manifest"};
    char path[400], target[64];
    for (int d = 0; d < FP_DIRS; d++) {
        fp_join(fp_dir[d], sizeof fp_dir[d], fp_root, kDir[d]);
        if (mkdir(fp_dir[d], 0700) != 0) fz_die("mkdir");
        for (int f = 0; f < FP_FILES; f++) {
            if (f == FP_ATTESTED && d == FP_DIR_NO_ATTESTED) continue;
            fp_join(path, sizeof path, fp_dir[d], kFile[f]);
            if (d == 0) {
                fp_fd[f] = fz_linkedMemfd(kFile[f], path);
                continue;
            }
            snprintf(target, sizeof target, "/proc/self/fd/%d", fp_fd[f]);
            if (symlink(target, path) != 0) fz_die("symlink");
        }
        fp_join(path, sizeof path, fp_dir[d], "MANIFEST");
        if (d != FP_DIR_OWN_MANIFEST) fp_writeFile(path, kManifest, sizeof kManifest - 1);
        else if ((fp_manifestFd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) fz_die(path);
    }
    fp_join(fp_out, sizeof fp_out, fp_root, "out");
    if (mkdir(fp_out, 0700) != 0) fz_die("mkdir");
    if ((fp_outfd = open(fp_out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) fz_die("open");
}

/* ---- the harness's own reading of PREV ---- */

/* Functions left out of the fuzzer's instrumentation (clang; not inlined,
 * or they would be instrumented where they are inlined): the harness's own
 * reading of the files, its buffers and its byte comparisons. They test
 * every byte of an input several times, and with a callback per test the
 * reading alone was a fifth of the target's time; their branches are the
 * file format's, which the engine's reader has too, and the fuzzer is
 * steered by the engine's. memcmp and strstr still tell the fuzzer what an
 * input was compared with (the sanitizer's interceptors do). */
#if defined(__clang__)
#define FP_NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))
#else
#define FP_NO_COVERAGE
#endif

/* Text kept for the whole run (capacity carries over from input to input). */
typedef struct fp_text {
    char *data;
    size_t len, cap;
} fp_text;

/* Room for n more bytes and a NUL: the text does not move before then. */
FP_NO_COVERAGE static void fp_reserve(fp_text *t, size_t n)
{
    if (t->len + n + 1 <= t->cap) return;
    size_t cap = t->cap ? t->cap : 4096;
    while (t->len + n + 1 > cap) cap *= 2;
    char *const grown = realloc(t->data, cap);
    FZ_ASSERT(grown != NULL);
    t->data = grown;
    t->cap = cap;
}

FP_NO_COVERAGE static size_t fp_put(fp_text *t, const char *s, size_t n)
{
    fp_reserve(t, n);
    size_t const at = t->len;
    if (n) memcpy(t->data + at, s, n);
    t->len += n;
    t->data[t->len] = '\0';
    return at;
}

FP_NO_COVERAGE static void *fp_grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return v;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *const grown = realloc(v, c * size);
    FZ_ASSERT(grown != NULL);
    *cap = c;
    return grown;
}

enum { FP_COL_PROBLEM, FP_COL_GROUP, FP_COL_FIRST_SEEN, FP_COL_SNO, FP_COL_SCHOOL, FP_COLS };
static const char *const kColName[FP_COLS] = {"problem", "group_id", "first_seen", kSno, kSchool};

typedef struct fp_span {
    size_t at, len;  /* into fp_file.text */
} fp_span;

/* One data row of a PREV file: the fields looked at, as kept (their first
 * FP_FIELD_MAX bytes, one CR at the end dropped), not trimmed. */
typedef struct fp_row {
    fp_span f[FP_COLS];
    uint32_t first_seen;
} fp_row;

/* One PREV file as the harness reads it, and its identities. */
typedef struct fp_file {
    const char *why;   /* NULL: well formed; else what the reader must refuse it for */
    fp_text text;
    fp_row *rows;
    size_t n, cap;
    /* identities: the rows' indexes sorted by identity, then by place */
    size_t *order;
    size_t order_cap;
    fp_span *id;       /* per row: its identity's bytes, in text */
    size_t id_cap;
} fp_file;

static const char *fp_at(const fp_file *f, fp_span s)
{
    return f->text.data + s.at;
}

/* A value trimmed as every stage trims (xj_trim). */
static fp_span fp_trimmed(const fp_file *f, fp_span s)
{
    const char *p = fp_at(f, s);
    size_t n = s.len;
    xj_trim(&p, &n);
    return (fp_span){(size_t)(p - f->text.data), n};
}

/* How a field ended. */
enum { FP_COMMA, FP_LF, FP_EOF, FP_BAD_QUOTE, FP_UNCLOSED };

/* Where the plain bytes from s[k] end: at a comma, an LF, a quote or n. */
FP_NO_COVERAGE static size_t fp_plainEnd(const char *s, size_t n, size_t k)
{
    while (k < n && s[k] != ',' && s[k] != '\n' && s[k] != '"') k++;
    return k;
}

/* Appends m bytes to a value, of which only the first FP_FIELD_MAX are kept
 * (*len counts them all). */
static void fp_keep(char *val, size_t *len, const char *s, size_t m)
{
    if (*len < FP_FIELD_MAX) memcpy(val + *len, s, m < FP_FIELD_MAX - *len ? m : FP_FIELD_MAX - *len);
    *len += m;
}

/* Reads the field at s[*i] (RFC 4180: a quote opens a quoted value only as
 * the field's first byte; inside, "" is a quote; the closing quote is
 * followed by a comma, a line end (LF, or a CR that then belongs to the
 * value) or the end of the file). Its value's first FP_FIELD_MAX bytes go
 * to `val`; *i is left on what ended it. */
FP_NO_COVERAGE static int fp_field(const char *s, size_t n, size_t *i, char *val, size_t *vlen)
{
    size_t k = *i, len = 0;
    if (k < n && s[k] == '"') {
        for (k++;;) {
            const char *const q = memchr(s + k, '"', n - k);
            size_t const e = q ? (size_t)(q - s) : n;
            fp_keep(val, &len, s + k, e - k);
            if (e == n) return FP_UNCLOSED;
            if (e + 1 < n && s[e + 1] == '"') { /* a doubled quote: one of the value's */
                fp_keep(val, &len, "\"", 1);
                k = e + 2;
                continue;
            }
            k = e;
            break;
        }
        k++; /* past the closing quote */
        if (k < n && s[k] != ',' && s[k] != '\n' && s[k] != '\r') return FP_BAD_QUOTE;
    }
    size_t const e = fp_plainEnd(s, n, k);
    if (e < n && s[e] == '"') return FP_BAD_QUOTE;
    fp_keep(val, &len, s + k, e - k);
    k = e;
    *i = k;
    *vlen = len < FP_FIELD_MAX ? len : FP_FIELD_MAX;
    return k == n ? FP_EOF : s[k] == ',' ? FP_COMMA : FP_LF;
}

/* The header's rules (em_previous.c): `problem` is the first column;
 * group_id and first_seen are among our columns, up to `line`; the student
 * number and school code columns come after it; the first of a name wins. */
static void fp_headerField(int col[FP_COLS], size_t *ours, size_t idx, const char *v, size_t n)
{
    for (int k = 0; k < FP_COLS; k++) {
        int const allowed = k == FP_COL_PROBLEM ? idx == 0
                            : k == FP_COL_GROUP || k == FP_COL_FIRST_SEEN ? *ours == 0
                                                                          : *ours > 0 && idx >= *ours;
        if (col[k] < 0 && allowed && n == strlen(kColName[k]) && memcmp(v, kColName[k], n) == 0) col[k] = (int)idx;
    }
    if (*ours == 0 && n == 4 && memcmp(v, "line", 4) == 0) *ours = idx + 1;
}

/* Reads a PREV problems.csv or attested.csv; f->why says why the engine must
 * refuse it, or is NULL. A row is a record whose problem is not empty; a
 * record ends at an LF outside quotes, or at the end of the file. */
FP_NO_COVERAGE static void fp_read(fp_file *f, const char *s, size_t n, uint32_t run_date)
{
    static char val[FP_FIELD_MAX];
    f->why = NULL;
    f->n = 0;
    f->text.len = 0;
    fp_put(&f->text, "", 0);
    int col[FP_COLS];
    for (int k = 0; k < FP_COLS; k++) col[k] = -1;
    size_t ours = 0;
    uint64_t records = 0;
    for (size_t i = 0; i < n; records++) {
        fp_row row;
        memset(&row, 0, sizeof row);
        for (size_t idx = 0;; idx++) {
            size_t vlen = 0;
            int const end = fp_field(s, n, &i, val, &vlen);
            if (end == FP_BAD_QUOTE) {
                f->why = "a quote out of place";
                return;
            }
            if (end == FP_UNCLOSED) {
                f->why = "a quoted value never closed";
                return;
            }
            if (records == 0) fp_headerField(col, &ours, idx, val, vlen);
            else
                for (int k = 0; k < FP_COLS; k++)
                    if (col[k] == (int)idx) {
                        size_t keep = vlen;
                        if (keep > 0 && val[keep - 1] == '\r') keep--; /* a CRLF file's CR */
                        row.f[k] = (fp_span){fp_put(&f->text, val, keep), keep};
                    }
            if (end == FP_EOF) break;
            i++;
            if (end == FP_LF) break;
        }
        if (records == 0 || row.f[FP_COL_PROBLEM].len == 0) continue;
        row.first_seen = run_date;
        if (col[FP_COL_FIRST_SEEN] >= 0) {
            row.first_seen = dt_parseIso(fp_at(f, row.f[FP_COL_FIRST_SEEN]), row.f[FP_COL_FIRST_SEEN].len);
            if (row.first_seen == 0) {
                f->why = "a first_seen that is not a date";
                return;
            }
        }
        f->rows = fp_grow(f->rows, &f->cap, f->n + 1, sizeof *f->rows);
        f->rows[f->n++] = row;
    }
    for (int k = 0; k < FP_COLS; k++)
        if (col[k] < 0 && k != FP_COL_FIRST_SEEN) {
            f->why = "a missing column";
            return;
        }
}

/* Identities, as docs/monthly.md §1 defines them: (problem, group_id,
 * student number, school code), the last three trimmed, NUL-joined. */
static const fp_file *fp_sortFile;

/* Bytes in memcmp's order, the shorter first on a tie. Not memcmp: the
 * sorts and lookups below compare input with input thousands of times an
 * input, and each memcmp is the sanitizer's and the fuzzer's call (a
 * comparison of input with input gives the fuzzer nothing to go by). */
FP_NO_COVERAGE static int fp_cmpBytes(const char *a, size_t an, const char *b, size_t bn)
{
    size_t const n = an < bn ? an : bn;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { /* to the first word that differs */
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y) break;
    }
    for (; i < n; i++)
        if (a[i] != b[i]) return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
    return (an > bn) - (an < bn);
}

static int fp_cmpSpan(const char *base, fp_span a, fp_span b)
{
    return fp_cmpBytes(base + a.at, a.len, base + b.at, b.len);
}

static int fp_cmpOrder(const void *pa, const void *pb)
{
    size_t const a = *(const size_t *)pa, b = *(const size_t *)pb;
    int const c = fp_cmpSpan(fp_sortFile->text.data, fp_sortFile->id[a], fp_sortFile->id[b]);
    return c ? c : (a > b) - (a < b);
}

FP_NO_COVERAGE static fp_span fp_joined(fp_text *t, const char *const *v, const size_t *n, int count)
{
    size_t const at = t->len;
    for (int i = 0; i < count; i++) {
        fp_put(t, v[i], n[i]);
        if (i + 1 < count) fp_put(t, "", 1);
    }
    return (fp_span){at, t->len - at};
}

static fp_span fp_identityOf(fp_text *t, const char *problem, size_t pn, const char *group, size_t gn, const char *sno,
                             size_t sn, const char *school, size_t cn)
{
    xj_trim(&group, &gn);
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    const char *const v[] = {problem, group, sno, school};
    size_t const n[] = {pn, gn, sn, cn};
    return fp_joined(t, v, n, 4);
}

static void fp_identities(fp_file *f)
{
    f->id = fp_grow(f->id, &f->id_cap, f->n + 1, sizeof *f->id);
    f->order = fp_grow(f->order, &f->order_cap, f->n + 1, sizeof *f->order);
    for (size_t r = 0; r < f->n; r++) {
        const fp_row *const w = &f->rows[r];
        /* the identity goes into the text its values are in: room first, so
         * that the text does not move while they are copied */
        fp_reserve(&f->text, w->f[FP_COL_PROBLEM].len + w->f[FP_COL_GROUP].len + w->f[FP_COL_SNO].len +
                                 w->f[FP_COL_SCHOOL].len + 4);
        const char *const b = f->text.data;
        f->id[r] = fp_identityOf(&f->text, b + w->f[FP_COL_PROBLEM].at, w->f[FP_COL_PROBLEM].len,
                                 b + w->f[FP_COL_GROUP].at, w->f[FP_COL_GROUP].len, b + w->f[FP_COL_SNO].at,
                                 w->f[FP_COL_SNO].len, b + w->f[FP_COL_SCHOOL].at, w->f[FP_COL_SCHOOL].len);
        f->order[r] = r;
    }
    fp_sortFile = f;
    if (f->n > 1) qsort(f->order, f->n, sizeof *f->order, fp_cmpOrder);
}

/* The identity `id` (bytes in `base`) among f's: the position in f->order
 * of its first row, or SIZE_MAX. */
static size_t fp_find(const fp_file *f, const char *base, fp_span id)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        fp_span const at = f->id[f->order[mid]];
        int const c = fp_cmpBytes(f->text.data + at.at, at.len, base + id.at, id.len);
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo == f->n) return SIZE_MAX;
    fp_span const got = f->id[f->order[lo]];
    if (fp_cmpBytes(f->text.data + got.at, got.len, base + id.at, id.len) != 0) return SIZE_MAX;
    return lo;
}

/* The rows of the identity starting at order position `pos`: how many,
 * the earliest first_seen and the first row that has it (the one
 * resolved.csv shows). */
static size_t fp_identityRows(const fp_file *f, size_t pos, uint32_t *first, size_t *shown)
{
    size_t end = pos + 1;
    while (end < f->n && fp_cmpSpan(f->text.data, f->id[f->order[end]], f->id[f->order[pos]]) == 0) end++;
    *first = UINT32_MAX;
    for (size_t j = pos; j < end; j++) {
        const fp_row *const r = &f->rows[f->order[j]];
        if (r->first_seen < *first) *first = r->first_seen, *shown = f->order[j];
    }
    return end - pos;
}

/* summary.json as em_previous.c documents it: "run_date" and "attr_scope"
 * within the first 4 KiB. 0 when refused. */
static uint32_t fp_summaryDate(const char *s, size_t n, const char **why)
{
    static char text[4096];
    size_t const k = n < sizeof text - 1 ? n : sizeof text - 1;
    memcpy(text, s, k);
    text[k] = '\0';
    static const char kDate[] = "\"run_date\": \"", kScope[] = "\"attr_scope\": \"";
    const char *const at = strstr(text, kDate);
    uint32_t const date = at ? dt_parseIso(at + sizeof kDate - 1, strnlen(at + sizeof kDate - 1, 10)) : 0;
    const char *const sc = strstr(text, kScope);
    const char *const scope = sc ? sc + sizeof kScope - 1 : "";
    size_t const scope_len = strcspn(scope, "\""); /* up to its closing quote, or the text's end */
    *why = date == 0 ? "no run_date" : scope_len != 4 || memcmp(scope, "noid", 4) != 0 ? "another attr_scope" : NULL;
    return *why ? 0 : date;
}

/* ---- this run ---- */

typedef struct fp_made {
    pb_row *rows;       /* this run's rows, then its attested rows */
    size_t n, n_attested, cap;
    fp_text tails;      /* their tails, then their texts for the identities */
    size_t *tail_at;
    size_t tail_cap;
    fp_span *id;        /* per row: its identity */
    size_t id_cap;
    fp_text lines;      /* resolved.csv's lines as the harness expects them */
    fp_text pairs;      /* the pairs pass 1 saw, trimmed and NUL-joined */
    fp_span *pair;
    size_t n_pairs, pair_cap;
} fp_made;

static fp_file fp_prevRep, fp_prevAtt;
static fp_made fp_run;

static int fp_problemOf(const char *s, size_t n)
{
    for (int p = 0; p < PB_PROBLEM_COUNT; p++) {
        const char *const code = pb_problemCode((pb_problem)p);
        if (n == strlen(code) && memcmp(s, code, n) == 0) return p;
    }
    return PB_PROBLEM_COUNT;
}

static uint64_t fp_hexPrefix(const char *s, size_t n)
{
    xj_trim(&s, &n);
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        char const c = s[i];
        int const d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) break;
        v = v << 4 | (uint64_t)d;
    }
    return v;
}

/* A row of this run from PREV row r of f: its problem (id_duplicate when
 * PREV's is none of ours), group, student number (`suffix` appended) and
 * school code. */
static void fp_makeRow(fp_made *m, const fp_file *f, const fp_row *r, const char *suffix, int attested)
{
    m->rows = fp_grow(m->rows, &m->cap, m->n + 1, sizeof *m->rows);
    m->tail_at = fp_grow(m->tail_at, &m->tail_cap, m->n + 1, sizeof *m->tail_at);
    pb_row *const row = &m->rows[m->n];
    memset(row, 0, sizeof *row);
    int const p = fp_problemOf(fp_at(f, r->f[FP_COL_PROBLEM]), r->f[FP_COL_PROBLEM].len);
    row->problem = (uint8_t)(p < PB_PROBLEM_COUNT ? p : PB_ID_DUPLICATE);
    row->group_id = fp_hexPrefix(fp_at(f, r->f[FP_COL_GROUP]), r->f[FP_COL_GROUP].len);
    row->attested = (uint8_t)attested;
    row->status = PB_STATUS_NEW;
    /* the tail ",<student number>" then the school code, in one text
     * (the two buffers are kept for the next row) */
    static xj_buf sno = {.max = (size_t)1 << 20}, tail = {.max = (size_t)1 << 20};
    buf_clear(&sno);
    buf_clear(&tail);
    FZ_ASSERT(buf_append(&sno, fp_at(f, r->f[FP_COL_SNO]), r->f[FP_COL_SNO].len) == XJ_OK);
    FZ_ASSERT(buf_appendStr(&sno, suffix) == XJ_OK);
    FZ_ASSERT(buf_appendByte(&tail, ',') == XJ_OK);
    FZ_ASSERT(em_appendCsvField(&tail, sno.data ? sno.data : "", sno.len) == XJ_OK);
    m->tail_at[m->n] = fp_put(&m->tails, tail.data, tail.len);
    row->tail_len = (uint32_t)tail.len;
    fp_put(&m->tails, fp_at(f, r->f[FP_COL_SCHOOL]), r->f[FP_COL_SCHOOL].len);
    row->school_len = (uint32_t)r->f[FP_COL_SCHOOL].len;
    /* its identity as the engine makes it: the values cut where PREV's are */
    m->id = fp_grow(m->id, &m->id_cap, m->n + 1, sizeof *m->id);
    char group[17] = "";
    if (row->problem != PB_ID_INVALID) em_groupIdText(row->group_id, group);
    const char *const code = pb_problemCode((pb_problem)row->problem);
    size_t const sn = sno.len < FP_FIELD_MAX ? sno.len : FP_FIELD_MAX;
    size_t const cn = row->school_len < FP_FIELD_MAX ? row->school_len : FP_FIELD_MAX;
    m->id[m->n] = fp_identityOf(&m->tails, code, strlen(code), group, strlen(group), sno.data ? sno.data : "", sn,
                                fp_at(f, r->f[FP_COL_SCHOOL]), cn);
    m->n++;
}

/* A pair pass 1 sees: handed over untrimmed, remembered trimmed (while
 * PREV is read, or after it failed, too: the engine keeps it for later, or
 * drops it). Not one
 * with a NUL byte: the engine joins the two values with a NUL, so such a
 * pair can equal another one split elsewhere, and whether it is found then
 * depends on the filter (which reads the values apart). */
static void fp_see(fp_made *m, em_prev *p, em_personPending *b, const char *sno, size_t sn, const char *school,
                   size_t cn)
{
    if (memchr(sno, '\0', sn) != NULL || memchr(school, '\0', cn) != NULL) return;
    FZ_ASSERT(em_prevSawPerson(p, b, sno, sn, school, cn) == XJ_OK);
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    m->pair = fp_grow(m->pair, &m->pair_cap, m->n_pairs + 1, sizeof *m->pair);
    const char *const v[] = {sno, school};
    size_t const n[] = {sn, cn};
    m->pair[m->n_pairs++] = fp_joined(&m->pairs, v, n, 2);
}

static int fp_cmpPairs(const void *pa, const void *pb)
{
    return fp_cmpSpan(fp_run.pairs.data, *(const fp_span *)pa, *(const fp_span *)pb);
}

/* Sorts the pairs pass 1 saw, for fp_saw: once they are all seen. */
static void fp_sortPairs(fp_made *m)
{
    if (m->n_pairs > 1) qsort(m->pair, m->n_pairs, sizeof *m->pair, fp_cmpPairs);
}

/* Whether pass 1 saw the pair (trimmed, as it was remembered); the pairs
 * are sorted (fp_sortPairs). A value with a NUL byte matches none: no pair
 * kept has one but the one between its two values. */
static int fp_saw(const fp_made *m, const char *sno, size_t sn, const char *school, size_t cn)
{
    xj_trim(&sno, &sn);
    xj_trim(&school, &cn);
    static fp_text key; /* sno NUL school, as the pairs are kept */
    key.len = 0;
    const char *const v[] = {sno, school};
    size_t const n[] = {sn, cn};
    fp_span const want = fp_joined(&key, v, n, 2);
    size_t lo = 0, hi = m->n_pairs;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        int const c = fp_cmpBytes(m->pairs.data + m->pair[mid].at, m->pair[mid].len, key.data + want.at, want.len);
        if (c == 0) return 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* Pass 1's pairs: those of the PREV rows r (among the first FP_MAX_MADE)
 * with r % 3 == `which`, a chunk's end after row 7. */
static void fp_seeRows(fp_made *m, em_prev *p, em_personPending *b, size_t which)
{
    const fp_file *const rep = &fp_prevRep;
    for (size_t r = which; r < rep->n && r < FP_MAX_MADE; r += 3) {
        const fp_row *const w = &rep->rows[r];
        fp_see(m, p, b, fp_at(rep, w->f[FP_COL_SNO]), w->f[FP_COL_SNO].len, fp_at(rep, w->f[FP_COL_SCHOOL]),
               w->f[FP_COL_SCHOOL].len);
        if (r >= 7 && r < 10) em_prevDrain(p, b); /* a chunk ends */
    }
}

/* ---- the target ---- */

/* Makes the file `fd` hold data[0..n): its pages are written over and the
 * file cut, not freed first and allocated again (fz_storeInto). */
static void fp_store(int fd, const char *data, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t const w = pwrite(fd, data + done, n - done, (off_t)done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fz_die("pwrite");
        done += (size_t)w;
    }
    if (ftruncate(fd, (off_t)n) != 0) fz_die("ftruncate");
}

static char *fp_readBack(size_t *n)
{
    int const fd = openat(fp_outfd, "resolved.csv", O_RDONLY | O_CLOEXEC);
    FZ_ASSERT(fd >= 0);
    static char *data;
    static size_t cap;
    size_t len = 0;
    for (;;) {
        data = fp_grow(data, &cap, len + 4096, 1);
        ssize_t const r = read(fd, data + len, cap - len);
        FZ_ASSERT(r >= 0);
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    FZ_ASSERT(unlinkat(fp_outfd, "resolved.csv", 0) == 0);
    *n = len;
    return data;
}

static int fp_cmpLines(const void *pa, const void *pb)
{
    return fp_cmpSpan(fp_run.lines.data, *(const fp_span *)pa, *(const fp_span *)pb);
}

/* This run against the loaded PREV, checked against the harness's reading. */
static void fp_againstPrevious(em_prev *p)
{
    fp_made *const m = &fp_run;
    m->n = m->n_attested = 0;
    m->tails.len = m->lines.len = 0;
    fp_put(&m->tails, "", 0);
    fp_put(&m->lines, "", 0);
    const fp_file *const rep = &fp_prevRep, *const att = &fp_prevAtt;

    /* this run's rows: PREV's again (1 of 4), attested (2), changed (3) */
    for (size_t r = 0; r < rep->n && r < FP_MAX_MADE; r++)
        if (r % 4 == 1 || r % 4 == 3) fp_makeRow(m, rep, &rep->rows[r], r % 4 == 3 ? "#" : "", 0);
    for (size_t r = 0; r < att->n && r < FP_MAX_MADE; r++)
        if (r % 2 == 0) fp_makeRow(m, att, &att->rows[r], "", 0);
    size_t const plain = m->n;
    for (size_t r = 0; r < rep->n && r < FP_MAX_MADE; r++)
        if (r % 4 == 2) fp_makeRow(m, rep, &rep->rows[r], "", 1);
    m->n_attested = m->n - plain;
    for (size_t i = 0; i < m->n; i++) {
        m->rows[i].tail = m->tails.data + m->tail_at[i];
        m->rows[i].school = m->tails.data + m->tail_at[i] + m->rows[i].tail_len;
    }

    em_input const input = {.name = "this.csv", .path = "this.csv", .school_name_col = -1, .student_no_col = 0,
                            .school_code_col = -1};
    em_run run = {.outdir = fp_out, .inputs = &input, .n_inputs = 1, .rows = m->rows, .n_rows = plain,
                  .attested = m->rows ? m->rows + plain : NULL, .n_attested = m->n_attested, .monthly = 1, .attr_scope = "noid",
                  .threads = 1, .previous = fp_dir[0], .prev = p};
    xj_status st;
    st_init(&st);
    em_ctx ctx = {.run = &run, .st = &st, .dirfd = fp_outfd, .tmp_path = fp_out};
    static em_trend trend;
    FZ_ASSERT(em_compareWithPrevious(&ctx, &trend) == XJ_OK);

    /* each row: persisting or reopened by PREV's identities, else new */
    static unsigned char *seen; /* kept for the next input */
    static size_t seen_cap;
    seen = fp_grow(seen, &seen_cap, rep->n + 1, 1);
    memset(seen, 0, rep->n + 1);
    for (size_t i = 0; i < m->n; i++) {
        const pb_row *const row = &m->rows[i];
        size_t const rp = fp_find(rep, m->tails.data, m->id[i]), ap = fp_find(att, m->tails.data, m->id[i]);
        uint32_t rep_first = 0, att_first = 0;
        size_t shown = 0;
        if (rp != SIZE_MAX) {
            fp_identityRows(rep, rp, &rep_first, &shown);
            seen[rp] = 1;
        }
        if (ap != SIZE_MAX) fp_identityRows(att, ap, &att_first, &shown);
        int const want = ap != SIZE_MAX && !row->attested ? PB_STATUS_REOPENED
                         : rp != SIZE_MAX || ap != SIZE_MAX ? PB_STATUS_PERSISTING
                                                            : PB_STATUS_NEW;
        uint32_t first = rep_first;
        if (ap != SIZE_MAX && (first == 0 || att_first < first)) first = att_first;
        FZ_ASSERT(row->status == want);
        FZ_ASSERT(row->first_seen == first);
    }

    /* resolved.csv: every identity no row has, as its earliest row shows it */
    fp_sortPairs(m);
    static uint64_t want_resolved[EM_PROVINCES][PB_PROBLEM_COUNT];
    memset(want_resolved, 0, sizeof want_resolved);
    static fp_span *lines;
    static size_t lines_cap;
    size_t n_lines = 0;
    for (size_t pos = 0; pos < rep->n;) {
        uint32_t first = 0;
        size_t shown = 0;
        size_t const count = fp_identityRows(rep, pos, &first, &shown);
        size_t const owner = rep->order[pos]; /* the identity's first row: its pair, province and problem */
        if (!seen[pos]) {
            const fp_row *const o = &rep->rows[owner], *const s = &rep->rows[shown];
            fp_span const school = fp_trimmed(rep, o->f[FP_COL_SCHOOL]);
            int const problem = fp_problemOf(fp_at(rep, o->f[FP_COL_PROBLEM]), o->f[FP_COL_PROBLEM].len);
            if (problem < PB_PROBLEM_COUNT)
                want_resolved[em_provinceIndex(fp_at(rep, school), school.len)][problem]++;
            size_t const ap = fp_find(att, rep->text.data, rep->id[owner]);
            if (ap != SIZE_MAX) {
                uint32_t att_first = 0;
                size_t unused = 0;
                fp_identityRows(att, ap, &att_first, &unused);
                if (att_first < first) first = att_first;
            }
            static xj_buf line = {.max = (size_t)1 << 20}; /* kept for the next line */
            buf_clear(&line);
            static const int kShown[] = {FP_COL_PROBLEM, FP_COL_GROUP, FP_COL_SNO, FP_COL_SCHOOL};
            for (size_t c = 0; c < 4; c++) {
                fp_span const v = fp_trimmed(rep, s->f[kShown[c]]);
                FZ_ASSERT(em_appendCsvField(&line, fp_at(rep, v), v.len) == XJ_OK);
                FZ_ASSERT(buf_appendByte(&line, ',') == XJ_OK);
            }
            char date[16];
            FZ_ASSERT(buf_appendStr(&line, dt_text(first, date)) == XJ_OK);
            int const fixed = fp_saw(m, fp_at(rep, o->f[FP_COL_SNO]), o->f[FP_COL_SNO].len, fp_at(rep, o->f[FP_COL_SCHOOL]),
                                     o->f[FP_COL_SCHOOL].len);
            FZ_ASSERT(buf_appendStr(&line, fixed ? ",fixed\n" : ",gone\n") == XJ_OK);
            lines = fp_grow(lines, &lines_cap, n_lines + 1, sizeof *lines);
            lines[n_lines].at = fp_put(&m->lines, line.data, line.len);
            lines[n_lines++].len = line.len;
        }
        pos += count;
    }
    FZ_ASSERT(memcmp(trend.resolved, want_resolved, sizeof want_resolved) == 0);

    FZ_ASSERT(em_writeResolved(&ctx) == XJ_OK);
    for (size_t i = 0; i < ctx.n_files; i++) free(ctx.files[i].path);
    free(ctx.files);
    if (n_lines > 1) qsort(lines, n_lines, sizeof *lines, fp_cmpLines);
    size_t got_len = 0;
    const char *const got = fp_readBack(&got_len);
    size_t at = sizeof kResolvedHeader - 1;
    FZ_ASSERT(got_len >= at && memcmp(got, kResolvedHeader, at) == 0);
    for (size_t i = 0; i < n_lines; i++) {
        if (i > 0 && fp_cmpSpan(m->lines.data, lines[i - 1], lines[i]) == 0) continue; /* each line once */
        FZ_ASSERT(got_len - at >= lines[i].len &&
                  fp_cmpBytes(got + at, lines[i].len, m->lines.data + lines[i].at, lines[i].len) == 0);
        at += lines[i].len;
    }
    FZ_ASSERT(at == got_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_setup();
    /* the parts: problems.csv, attested.csv, summary.json, MANIFEST */
    const char *part[4];
    size_t len[4];
    int const parts = fz_split(data, size, FP_MARK, part, len, 4);
    const char *const summary = parts > 2 ? part[2] : kSummary;
    size_t const summary_len = parts > 2 ? len[2] : sizeof kSummary - 1;
    fp_store(fp_fd[FP_PROBLEMS], part[0], len[0]);
    if (parts > 1) fp_store(fp_fd[FP_ATTESTED], part[1], len[1]);
    static int summary_ours; /* the summary.json memfd holds kSummary: most inputs bring none */
    if (parts > 2 || !summary_ours) fp_store(fp_fd[FP_SUMMARY], summary, summary_len);
    summary_ours = parts <= 2;
    int const dir = parts > 3 ? FP_DIR_OWN_MANIFEST : parts > 1 ? FP_DIR_ALL : FP_DIR_NO_ATTESTED;
    if (parts > 3) fp_store(fp_manifestFd, part[3], len[3]);

    /* the harness's reading */
    const char *why = NULL;
    uint32_t const run_date = fp_summaryDate(summary, summary_len, &why);
    fp_prevRep.n = fp_prevAtt.n = 0;
    fp_prevRep.why = fp_prevAtt.why = NULL;
    if (!why) {
        fp_read(&fp_prevRep, part[0], len[0], run_date);
        why = fp_prevRep.why;
    }
    if (!why && parts > 1) {
        fp_read(&fp_prevAtt, part[1], len[1], run_date);
        why = fp_prevAtt.why;
    }

    /* the engine's, as a scan goes: PREV opened, pass 1 started while its
     * rows are read (the pairs it sees meanwhile are kept for later), the
     * rest of pass 1, every pair looked up */
    xj_status st;
    st_init(&st);
    em_prev *p = NULL;
    static em_personPending batch;
    fp_made *const m = &fp_run;
    m->n_pairs = m->pairs.len = 0;
    fp_put(&m->pairs, "", 0);
    xj_error err = em_prevOpen(fp_dir[dir], kSno, kSchool, "noid", &p, &st);
    FZ_ASSERT((err == XJ_OK) == (p != NULL));
    if (!err) {
        fp_see(m, p, &batch, " L1101010001 ", 13, "2111010001", 10);
        fp_seeRows(m, p, &batch, 1);
        err = em_prevRead(p, &st);
    }
    if (p) {
        fp_seeRows(m, p, &batch, 0);
        fp_see(m, p, &batch, "", 0, "", 0);
        em_prevDrain(p, &batch);
        em_personPendingFree(&batch);
    }
    if (err) {
        FZ_ASSERT(st.code == err && st.message[0] != '\0');
        FZ_ASSERT(err == XJ_ERR_INPUT);
        em_prevFree(p);
        if (why == NULL && !(parts > 3 && strstr(st.message, "MANIFEST") != NULL)) {
            fprintf(stderr, "refused a PREV the harness reads as well formed: %s\n", st.message);
            FZ_ASSERT(0);
        }
        return 0;
    }
    if (why != NULL) {
        fprintf(stderr, "accepted a PREV with %s\n", why);
        FZ_ASSERT(0);
    }
    fp_identities(&fp_prevRep);
    fp_identities(&fp_prevAtt);
    fp_againstPrevious(p);
    em_prevFree(p);
    return 0;
}
