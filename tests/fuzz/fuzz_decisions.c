/*
 * fuzz_decisions — the officers' decisions files (--decisions FILE,
 * engine/scan/scan_decisions.c over engine/parse/ps_csvfile.c) on
 * arbitrary bytes.
 *
 * Input: a decisions file; then, each after the marker "%%XJ%%" and both
 * optional: a second one, and PREV's decisions.csv. They are symbolic
 * links to memfds (first.csv, second.csv, prev/decisions.csv) in a
 * temporary directory made once per process, and are loaded the way a
 * scan loads them: sc_decisionsLoad with PREV (from two parts on: a PREV
 * without decisions.csv, from three: with it) and the files in order.
 *
 * Invariants, each an abort when broken:
 *  - a refusal is XJ_ERR_INPUT with a message naming the file;
 *  - every line read keeps its file, and its line number, which grows
 *    within a file; its values are trimmed and end in a NUL; the files
 *    come in reading order (PREV's first);
 *  - per member (group_id, student number, school code) exactly its last
 *    line is in effect, and asking for the member (its values padded with
 *    white space, as a record's may be) answers that line's decision and
 *    marks it matched; a member no line names is not approved;
 *  - when no part holds a quote or a CR, the harness reads the files
 *    itself (lines, fields split at commas, spaces and tabs around a value
 *    dropped, white-space-only lines skipped, a BOM before the first
 *    value dropped) and the engine accepts exactly what that reading finds
 *    well formed (every line within 64 KiB, at most 4,096 values, a header
 *    naming the four columns, every record as many values as the header,
 *    each decision approved or revoked), with the same lines.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_csvfile.h"
#include "scan_internal.h"
#include "xj_text.h"

#include "fuzz_common.h"

#define FD_MARK "%%XJ%%"
#define FD_MAX_LINE ((size_t)64 << 10) /* scan_decisions.c: bytes of a physical line */

enum { FD_FIRST, FD_SECOND, FD_PREV, FD_FILES };
static const char *const kName[FD_FILES] = {"first.csv", "second.csv", "decisions.csv"};
static int fd_fd[FD_FILES] = {-1, -1, -1};
static char fd_root[256], fd_path[FD_FILES][320], fd_prevWith[300], fd_prevWithout[300];

static void fd_cleanup(void)
{
    for (int f = 0; f < FD_FILES; f++)
        if (fd_path[f][0]) unlink(fd_path[f]);
    if (fd_prevWith[0]) rmdir(fd_prevWith);
    if (fd_prevWithout[0]) rmdir(fd_prevWithout);
    if (fd_root[0]) rmdir(fd_root);
}

static void fd_setup(void)
{
    if (fd_fd[0] >= 0) return;
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
    snprintf(fd_root, sizeof fd_root, "%s/xjfuzz-dec-XXXXXX", tmp);
    if (mkdtemp(fd_root) == NULL) fz_die("mkdtemp");
    atexit(fd_cleanup);
    snprintf(fd_prevWith, sizeof fd_prevWith, "%s/prev", fd_root);
    snprintf(fd_prevWithout, sizeof fd_prevWithout, "%s/prev-without", fd_root);
    if (mkdir(fd_prevWith, 0700) != 0 || mkdir(fd_prevWithout, 0700) != 0) fz_die("mkdir");
    for (int f = 0; f < FD_FILES; f++) {
        snprintf(fd_path[f], sizeof fd_path[f], "%s/%s", f == FD_PREV ? fd_prevWith : fd_root, kName[f]);
        fd_fd[f] = fz_linkedMemfd(kName[f], fd_path[f]);
    }
}

/* ---- the harness's reading of a file without quotes or CRs ---- */

enum { FD_GROUP, FD_STUDENT, FD_SCHOOL, FD_DECISION, FD_COLUMNS };
static const char *const kColumn[FD_COLUMNS] = {"group_id", "student_no", "school_code", "decision"};

typedef struct fd_line {
    const char *v[3];  /* group id, student number, school code: into the input */
    size_t n[3];
    uint64_t line;
    int file;
    int approved;
} fd_line;

static fd_line *fd_want;
static size_t fd_nWant, fd_capWant;

static int fd_isSpace(char c)
{
    return c == ' ' || c == '\t';
}

/* A value as the reader gives it: spaces and tabs around it dropped, a BOM
 * before the file's first value, then trimmed (xj_trim). */
static void fd_value(const char **v, size_t *n, int first_of_file)
{
    while (*n && fd_isSpace(**v)) (*v)++, (*n)--;
    while (*n && fd_isSpace((*v)[*n - 1])) (*n)--;
    if (first_of_file && *n >= 3 && memcmp(*v, "\xEF\xBB\xBF", 3) == 0) *v += 3, *n -= 3;
    xj_trim(v, n);
}

/* Appends the lines of file `file` (s[0..n)) to fd_want; 0 when the engine
 * must refuse it (an empty file too: it has no header). */
static int fd_read(const char *s, size_t n, int file)
{
    int col[FD_COLUMNS] = {-1, -1, -1, -1};
    size_t header = 0; /* values in the header; 0 until it is read */
    uint64_t line = 0;
    for (size_t at = 0; at < n;) {
        const char *const lf = memchr(s + at, '\n', n - at);
        size_t const end = lf ? (size_t)(lf - s) : n, next = lf ? end + 1 : n;
        line++;
        if (next - at > FD_MAX_LINE) return 0;
        size_t k = at;
        while (k < end && fd_isSpace(s[k])) k++;
        if (k == end) { /* blank */
            at = next;
            continue;
        }
        size_t values = 1;
        for (size_t i = at; i < end; i++) values += s[i] == ',';
        if (values > PS_CSV_MAX_FIELDS) return 0;
        /* the header names the columns; a record fills them */
        fd_line w = {.line = line, .file = file};
        const char *word = NULL;
        size_t wn = 0, idx = 0;
        if (header > 0 && values != header) return 0;
        for (size_t i = at;; idx++) {
            const char *c = memchr(s + i, ',', end - i);
            size_t const e = c ? (size_t)(c - s) : end;
            const char *v = s + i;
            size_t vn = e - i;
            fd_value(&v, &vn, header == 0 && idx == 0);
            for (int j = 0; j < FD_COLUMNS; j++) {
                if (header == 0 && col[j] < 0 && vn == strlen(kColumn[j]) && memcmp(v, kColumn[j], vn) == 0)
                    col[j] = (int)idx;
                if (header > 0 && col[j] == (int)idx && j < 3) w.v[j] = v, w.n[j] = vn;
                if (header > 0 && col[j] == (int)idx && j == FD_DECISION) word = v, wn = vn;
            }
            if (c == NULL) break;
            i = e + 1;
        }
        if (header == 0) {
            for (int j = 0; j < FD_COLUMNS; j++)
                if (col[j] < 0) return 0;
            header = values;
        } else {
            if (wn == 8 && memcmp(word, "approved", 8) == 0) w.approved = 1;
            else if (!(wn == 7 && memcmp(word, "revoked", 7) == 0)) return 0;
            if (fd_nWant == fd_capWant) {
                fd_capWant = fd_capWant ? 2 * fd_capWant : 256;
                fd_want = realloc(fd_want, fd_capWant * sizeof *fd_want);
                FZ_ASSERT(fd_want != NULL);
            }
            fd_want[fd_nWant++] = w;
        }
        at = next;
    }
    return header > 0; /* an empty file (or blank lines only) is refused */
}

/* ---- the decisions in effect ---- */

static const sc_decisions *fd_sortD;

static int fd_cmpKey(const em_decision *a, const em_decision *b)
{
    const char *const av[] = {a->group_id, a->student_no, a->school_code}, *const bv[] = {b->group_id, b->student_no,
                                                                                          b->school_code};
    size_t const an[] = {a->group_id_len, a->student_no_len, a->school_code_len},
                 bn[] = {b->group_id_len, b->student_no_len, b->school_code_len};
    for (int i = 0; i < 3; i++) {
        if (an[i] != bn[i]) return an[i] < bn[i] ? -1 : 1;
        int const c = memcmp(av[i], bv[i], an[i]);
        if (c) return c;
    }
    return 0;
}

static int fd_cmpIndex(const void *pa, const void *pb)
{
    size_t const a = *(const size_t *)pa, b = *(const size_t *)pb;
    int const c = fd_cmpKey(&fd_sortD->v[a], &fd_sortD->v[b]);
    return c ? c : (a > b) - (a < b);
}

/* 16 lower-case hex digits, as em_groupIdText writes a group id. */
static int fd_groupId(const char *s, size_t n, uint64_t *out)
{
    if (n != 16) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        int const d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 1;
}

/* Asks for the member (sno, school) of group g, with its values padded. */
static int fd_ask(gd_verdicts v, uint64_t g, const char *sno, size_t sn, const char *school, size_t cn)
{
    static char pad_sno[(64u << 10) + 8], pad_school[(64u << 10) + 8];
    FZ_ASSERT(sn + 4 <= sizeof pad_sno && cn + 4 <= sizeof pad_school);
    memcpy(pad_sno, " \t", 2);
    memcpy(pad_sno + 2, sno, sn);
    pad_sno[sn + 2] = ' ';
    memcpy(pad_school, "\xE3\x80\x80", 3); /* U+3000 */
    memcpy(pad_school + 3, school, cn);
    gr_record m;
    memset(&m, 0, sizeof m);
    m.student_no = pad_sno;
    m.student_no_len = (uint32_t)(sn + 3);
    m.school = pad_school;
    m.school_len = (uint32_t)(cn + 3);
    return v.approved(v.user, g, &m);
}

static void fd_checkInEffect(sc_decisions *d)
{
    static size_t *order;
    static size_t cap;
    if (d->n > cap) {
        cap = d->n;
        order = realloc(order, cap * sizeof *order);
        FZ_ASSERT(order != NULL);
    }
    for (size_t i = 0; i < d->n; i++) order[i] = i;
    fd_sortD = d;
    if (d->n > 1) qsort(order, d->n, sizeof *order, fd_cmpIndex);
    gd_verdicts const v = sc_decisionsVerdicts(d);
    for (size_t i = 0; i < d->n; i++) {
        int const last = i + 1 == d->n || fd_cmpKey(&d->v[order[i]], &d->v[order[i + 1]]) != 0;
        const em_decision *const e = &d->v[order[i]];
        FZ_ASSERT(e->in_effect == last);
        uint64_t g;
        if (!last || !fd_groupId(e->group_id, e->group_id_len, &g)) continue;
        FZ_ASSERT(fd_ask(v, g, e->student_no, e->student_no_len, e->school_code, e->school_code_len) == e->approved);
        FZ_ASSERT(e->matched);
        /* the same member of another group: approved only when a line says so */
        uint64_t const other = g ^ 1;
        em_decision probe = *e;
        char text[17];
        em_groupIdText(other, text);
        probe.group_id = text;
        size_t lo = 0, hi = d->n; /* the last line of probe's key, if any */
        while (lo < hi) {
            size_t const mid = lo + (hi - lo) / 2;
            if (fd_cmpKey(&d->v[order[mid]], &probe) <= 0) lo = mid + 1;
            else hi = mid;
        }
        int const want = lo > 0 && fd_cmpKey(&d->v[order[lo - 1]], &probe) == 0 ? d->v[order[lo - 1]].approved : 0;
        FZ_ASSERT(fd_ask(v, other, e->student_no, e->student_no_len, e->school_code, e->school_code_len) == want);
    }
}

/* ---- the target ---- */

static int fd_trimmed(const char *s, size_t n)
{
    const char *t = s;
    size_t k = n;
    xj_trim(&t, &k);
    return t == s && k == n && s[n] == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fd_setup();
    const char *part[FD_FILES];
    size_t len[FD_FILES];
    int const parts = fz_split(data, size, FD_MARK, part, len, FD_FILES);
    for (int f = 0; f < parts; f++) fz_storeInto(fd_fd[f], part[f], len[f]);

    /* reading order: PREV's, then the files as given */
    static const int kOrder[FD_FILES] = {FD_PREV, FD_FIRST, FD_SECOND};
    int known = 1;
    for (int f = 0; f < parts; f++)
        if (memchr(part[f], '"', len[f]) != NULL || memchr(part[f], '\r', len[f]) != NULL) known = 0;
    int want_ok = 1;
    fd_nWant = 0;
    if (known)
        for (int i = 0; i < FD_FILES && want_ok; i++)
            if (kOrder[i] < parts) want_ok = fd_read(part[kOrder[i]], len[kOrder[i]], kOrder[i]);

    char *files[2] = {fd_path[FD_FIRST], fd_path[FD_SECOND]};
    const char *const prev = parts == 3 ? fd_prevWith : parts == 2 ? fd_prevWithout : NULL;
    xj_status st;
    st_init(&st);
    sc_decisions d;
    xj_error const err = sc_decisionsLoad(&d, prev, files, parts >= 2 ? 2 : 1, &st);
    if (err) {
        FZ_ASSERT(err == XJ_ERR_INPUT && st.code == err && st.message[0] != '\0');
        int named = 0;
        for (int f = 0; f < parts; f++) named |= strstr(st.message, kName[f]) != NULL;
        FZ_ASSERT(named);
        if (known && want_ok) {
            fprintf(stderr, "refused files the harness reads as well formed: %s\n", st.message);
            FZ_ASSERT(0);
        }
        sc_decisionsFree(&d);
        return 0;
    }
    if (known && !want_ok) {
        fprintf(stderr, "accepted files the harness reads as malformed\n");
        FZ_ASSERT(0);
    }
    FZ_ASSERT(d.given == 1);
    int file = -1;
    uint64_t line = 0;
    for (size_t i = 0; i < d.n; i++) {
        const em_decision *const e = &d.v[i];
        int f = -1;
        for (int k = 0; k < parts; k++)
            if (strcmp(e->file, kName[k]) == 0) f = k;
        FZ_ASSERT(f >= 0);
        int const rank = f == FD_PREV ? 0 : f + 1, was = file < 0 ? -1 : file == FD_PREV ? 0 : file + 1;
        /* lines grow within a file (two records share one when a CR ends
         * the first: a CR is a line end to libcsv, not to the count) */
        FZ_ASSERT(rank >= was);
        FZ_ASSERT(rank > was || e->line >= line);
        file = f;
        line = e->line;
        FZ_ASSERT(e->line >= 1 && e->approved <= 1);
        FZ_ASSERT(fd_trimmed(e->group_id, e->group_id_len) && fd_trimmed(e->student_no, e->student_no_len) &&
                  fd_trimmed(e->school_code, e->school_code_len));
        if (known) {
            FZ_ASSERT(i < fd_nWant);
            const fd_line *const w = &fd_want[i];
            FZ_ASSERT(w->file == f && w->line == e->line && w->approved == e->approved);
            const char *const got[3] = {e->group_id, e->student_no, e->school_code};
            uint32_t const got_n[3] = {e->group_id_len, e->student_no_len, e->school_code_len};
            for (int j = 0; j < 3; j++) FZ_ASSERT(got_n[j] == w->n[j] && memcmp(got[j], w->v[j], w->n[j]) == 0);
        }
    }
    FZ_ASSERT(!known || d.n == fd_nWant);
    fd_checkInEffect(&d);
    sc_decisionsFree(&d);
    return 0;
}
