/*
 * fuzz_population — extracts of the population database (--population FILE,
 * engine/check/pop_extract.c over engine/parse/ps_csvfile.c, and the table
 * engine/check/pop_table.c builds of them) on arbitrary bytes.
 *
 * Input: a mode byte, a parameter byte, then an extract; a second extract
 * may follow after the marker "%%XJ%%". Bits 0-1 of the mode say how the
 * first extract is stored, bits 2-3 the second:
 *   0  as it is, in a file named a.csv (b.csv);
 *   1  compressed by the harness with libzstd, in a.csv.zst (b.csv.zst);
 *   2  the same, then cut short (by 1 byte up to 7/8 of it);
 *   3  the bytes themselves in a.csv.zst: a zstd stream made by the fuzzer.
 * The parameter byte sets the compression: level 1 + (p & 3), a checksum
 * when p & 4, the content size in the frame header when p & 8, two frames
 * (cut at the middle of the content) when p & 16; and (p >> 5) sets how
 * much a cut takes. The files are symbolic links to memfds in a temporary
 * directory made once per process.
 *
 * Invariants, each an abort when broken:
 *  - a refusal is XJ_ERR_INPUT with a message naming one of the files;
 *  - a compressed extract reads exactly as its content does uncompressed:
 *    same verdict, same message (but for the file's name), same table;
 *    a cut one (unless cut at its frames' boundary) and a stream libzstd
 *    finds corrupt or unfinished when given it whole are refused; when
 *    the whole extracts read well, a cut one is refused as ending early
 *    (not for the line the cut left half);
 *  - a table read: pop_tableValid; its counts are those of its entries
 *    (distinct numbers, numbers under several names; ids <= n); every entry
 *    is found by pop_lookup, a name it does not list is a mismatch, a
 *    number it does not list not found; the example of a number under
 *    several names is one;
 *  - when no extract holds a quote or a CR, the harness reads them itself
 *    (lines, values split at commas, spaces and tabs around a value
 *    dropped, blank lines skipped, a BOM before the first value dropped;
 *    the rules of docs/population.md §1) and the engine refuses exactly
 *    what that reading finds malformed, and otherwise holds exactly the
 *    (number, name) pairs it finds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "idcheck.h"
#include "normalize.h"
#include "pop_extract.h"
#include "pop_table.h"
#include "ps_csvfile.h"
#include "ps_fields.h"
#include "xj_buf.h"
#include "xj_text.h"

#include "fuzz_common.h"
#include "fuzz_pop.h"

#define FP_MARK "%%XJ%%"
#define FP_MAX_LINE ((size_t)64 << 10)  /* docs/population.md §1 */
#define FP_RAW_LIMIT ((size_t)1 << 20) /* content of a fuzzer-made stream read at most */

enum { FP_PLAIN, FP_ZSTD, FP_CUT, FP_RAW };
enum { FP_FILES = 2 };

/* ---- the files ---- */

static const char *const kPlainName[FP_FILES] = {"a.csv", "b.csv"};
static const char *const kZstName[FP_FILES] = {"a.csv.zst", "b.csv.zst"};
static int fp_plainFd[FP_FILES] = {-1, -1}, fp_zstFd[FP_FILES] = {-1, -1};
static char fp_root[256], fp_plainPath[FP_FILES][320], fp_zstPath[FP_FILES][320];

static void fp_cleanup(void)
{
    for (int f = 0; f < FP_FILES; f++) {
        if (fp_plainPath[f][0]) unlink(fp_plainPath[f]);
        if (fp_zstPath[f][0]) unlink(fp_zstPath[f]);
    }
    if (fp_root[0]) rmdir(fp_root);
}

static void fp_setup(void)
{
    if (fp_plainFd[0] >= 0) return;
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
    snprintf(fp_root, sizeof fp_root, "%s/xjfuzz-pop-XXXXXX", tmp);
    if (mkdtemp(fp_root) == NULL) fz_die("mkdtemp");
    atexit(fp_cleanup);
    for (int f = 0; f < FP_FILES; f++) {
        snprintf(fp_plainPath[f], sizeof fp_plainPath[f], "%s/%s", fp_root, kPlainName[f]);
        snprintf(fp_zstPath[f], sizeof fp_zstPath[f], "%s/%s", fp_root, kZstName[f]);
        fp_plainFd[f] = fz_linkedMemfd(kPlainName[f], fp_plainPath[f]);
        fp_zstFd[f] = fz_linkedMemfd(kZstName[f], fp_zstPath[f]);
    }
}

/* ---- zstd: the harness's compression and its reference decoding ---- */

/* A growing byte buffer kept from input to input. */
typedef struct fp_bytes {
    uint8_t *p;
    size_t n, cap;
} fp_bytes;

static void fp_reserve(fp_bytes *b, size_t need)
{
    if (need <= b->cap) return;
    b->cap = need > 2 * b->cap ? need : 2 * b->cap;
    b->p = realloc(b->p, b->cap);
    FZ_ASSERT(b->p != NULL);
}

/* Appends s[0..n) compressed as one frame with the parameter's settings. */
static void fp_compressFrame(fp_bytes *out, const char *s, size_t n, uint8_t param)
{
    static ZSTD_CCtx *cctx; /* kept: a context per input costs more than the input */
    if (cctx == NULL) cctx = ZSTD_createCCtx();
    FZ_ASSERT(cctx != NULL);
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    FZ_ASSERT(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1 + (param & 3))));
    FZ_ASSERT(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, (param & 4) != 0)));
    FZ_ASSERT(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, (param & 8) != 0)));
    size_t const bound = ZSTD_compressBound(n);
    fp_reserve(out, out->n + bound);
    size_t const got = ZSTD_compress2(cctx, out->p + out->n, bound, s, n);
    FZ_ASSERT(!ZSTD_isError(got));
    out->n += got;
}

/* s[0..n) compressed; *first: the bytes of the first frame. */
static void fp_compress(fp_bytes *out, const char *s, size_t n, uint8_t param, size_t *first)
{
    out->n = 0;
    if (param & 16) {
        fp_compressFrame(out, s, n / 2, param);
        *first = out->n;
        fp_compressFrame(out, s + n / 2, n - n / 2, param);
    } else {
        fp_compressFrame(out, s, n, param);
        *first = out->n;
    }
}

/* libzstd's verdict on src[0..n) given whole: 1 when it is complete (the
 * content in out, at most FP_RAW_LIMIT bytes), 0 when corrupt or
 * unfinished, -1 when the content goes past the limit. An empty stream is
 * unfinished: the engine reads an empty .zst as cut short. */
static int fp_zstdDecode(const uint8_t *src, size_t n, fp_bytes *out)
{
    static ZSTD_DCtx *dctx;
    if (dctx == NULL) dctx = ZSTD_createDCtx();
    FZ_ASSERT(dctx != NULL);
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
    fp_reserve(out, FP_RAW_LIMIT);
    out->n = 0;
    if (n == 0) return 0;
    ZSTD_inBuffer in = {src, n, 0};
    size_t ret;
    for (;;) {
        if (out->n == FP_RAW_LIMIT) return -1;
        ZSTD_outBuffer o = {out->p, FP_RAW_LIMIT, out->n};
        ret = ZSTD_decompressStream(dctx, &o, &in);
        out->n = o.pos;
        if (ZSTD_isError(ret)) return 0;
        if (in.pos == in.size && o.pos < o.size) break; /* all taken, room left: drained */
    }
    return ret == 0;
}

/* ---- the harness's own reading of an extract without quotes or CRs ---- */

static pop_entry *fp_want;
static size_t fp_nWant, fp_capWant;
static xj_buf fp_name;

static void fp_addWant(pop_entry e)
{
    if (fp_nWant == fp_capWant) {
        fp_capWant = fp_capWant ? 2 * fp_capWant : 256;
        fp_want = realloc(fp_want, fp_capWant * sizeof *fp_want);
        FZ_ASSERT(fp_want != NULL);
    }
    fp_want[fp_nWant++] = e;
}

static int fp_isSpace(char c)
{
    return c == ' ' || c == '\t';
}

static int fp_isOne(const char *v, size_t n, const char *name)
{
    size_t const k = strlen(name);
    return n == k && memcmp(v, name, k) == 0;
}

/* The column a header value names: 0 the number, 1 the name, -1 neither. */
static int fp_column(const char *v, size_t n)
{
    static const char *const kId[] = {"id_number", "身份证件号", "身份证号", "身份证号码", "公民身份号码"};
    for (size_t i = 0; i < sizeof kId / sizeof *kId; i++)
        if (fp_isOne(v, n, kId[i])) return 0;
    return fp_isOne(v, n, "name") || fp_isOne(v, n, "姓名") ? 1 : -1;
}

/* Appends the entries of s[0..n) to fp_want; 0 when the engine must refuse
 * the file. */
static int fp_read(const char *s, size_t n)
{
    int col[2] = {-1, -1};
    size_t header = 0; /* values in the header; 0 until it is read */
    for (size_t at = 0; at < n;) {
        const char *const lf = memchr(s + at, '\n', n - at);
        size_t const end = lf ? (size_t)(lf - s) : n, next = lf ? end + 1 : n;
        if (next - at > FP_MAX_LINE) return 0;
        size_t k = at;
        while (k < end && fp_isSpace(s[k])) k++;
        if (k == end) { /* blank */
            at = next;
            continue;
        }
        size_t values = 1;
        for (const char *c = s + at; (c = memchr(c, ',', (size_t)(s + end - c))) != NULL; c++) values++;
        if (values > PS_CSV_MAX_FIELDS) return 0;
        if (header > 0 && values != header) return 0;
        const char *val[2] = {NULL, NULL};
        size_t len[2] = {0, 0};
        size_t idx = 0;
        for (size_t i = at;; idx++) {
            const char *const c = memchr(s + i, ',', end - i);
            size_t const e = c ? (size_t)(c - s) : end;
            const char *v = s + i;
            size_t vn = e - i;
            while (vn && fp_isSpace(*v)) v++, vn--;
            while (vn && fp_isSpace(v[vn - 1])) vn--;
            if (header == 0) {
                if (idx == 0 && vn >= 3 && memcmp(v, "\xEF\xBB\xBF", 3) == 0) v += 3, vn -= 3;
                xj_trim(&v, &vn);
                int const which = fp_column(v, vn);
                if (which >= 0) {
                    if (col[which] >= 0) return 0; /* two columns of one field */
                    col[which] = (int)idx;
                }
            } else {
                for (int j = 0; j < 2; j++)
                    if (col[j] == (int)idx) val[j] = v, len[j] = vn;
            }
            if (c == NULL) break;
            i = e + 1;
        }
        if (header == 0) {
            if (col[0] < 0 || col[1] < 0) return 0;
            header = values;
        } else {
            static char id[XJ_MAX_FIELD];
            pop_entry e;
            FZ_ASSERT(len[0] <= sizeof id);
            if (!id_gbShape(id, nm_normalizeId(val[0], len[0], id), &e.id)) return 0;
            if (nm_normalizeName(val[1], len[1], &fp_name) != XJ_OK || fp_name.len == 0) return 0;
            e.name = XXH3_64bits(fp_name.data, fp_name.len) & ~(uint64_t)3; /* as pop_nameHash */
            fp_addWant(e);
        }
        at = next;
    }
    return header > 0; /* an empty file (or blank lines only) is refused */
}

/* ---- checking a table ---- */

/* A table read from extracts: the checks of fuzz_pop.h, and the example
 * of a number under several names is one. */
static void fp_checkTable(const pop_table *t, const char *example)
{
    fz_popCheckTable(t);
    FZ_ASSERT((example[0] != '\0') == (t->several_names > 0));
    if (example[0]) {
        uint64_t id;
        FZ_ASSERT(strlen(example) == 18 && id_gbShape(example, 18, &id));
        unsigned names = 0;
        for (uint64_t i = 0; i < fz_popN; i++) names += fz_popSorted[i].id == id;
        FZ_ASSERT(names >= 2);
    }
}

/* The table last checked (fz_popSorted) holds exactly fp_want's pairs. */
static void fp_checkWant(void)
{
    if (fp_nWant) qsort(fp_want, fp_nWant, sizeof *fp_want, fz_popCmp);
    size_t u = 0; /* fp_want without repeats */
    for (size_t i = 0; i < fp_nWant; i++)
        if (u == 0 || fz_popCmp(&fp_want[u - 1], &fp_want[i]) != 0) fp_want[u++] = fp_want[i];
    FZ_ASSERT(u == fz_popN);
    FZ_ASSERT(u == 0 || memcmp(fz_popSorted, fp_want, u * sizeof *fp_want) == 0);
}

/* ---- the target ---- */

typedef struct fp_result {
    xj_error err;
    char message[sizeof ((xj_status *)0)->message];
    pop_table t;
    char example[19];
} fp_result;

/* Reads the files at `paths`; checks a refusal names one of them and a
 * table is sound. The caller frees r->t. */
static void fp_run(const char *const *paths, size_t n, fp_result *r)
{
    xj_status st;
    st_init(&st);
    memcpy(r->example, "unset-example-xxx", 18);
    r->err = pop_readExtracts(paths, n, &r->t, r->example, &st);
    snprintf(r->message, sizeof r->message, "%s", st.message);
    if (r->err) {
        FZ_ASSERT(r->err == XJ_ERR_INPUT && st.code == r->err && st.message[0] != '\0');
        int named = 0;
        for (size_t i = 0; i < n; i++) named |= strstr(st.message, paths[i]) != NULL;
        FZ_ASSERT(named);
        return;
    }
    fp_checkTable(&r->t, r->example);
}

/* A message "--population PATH: ...": which file it names first (either
 * of its names) in *file, and what it says after the name. */
static const char *fp_afterName(const char *m, int *file)
{
    static const char kWhat[] = "--population ";
    if (strncmp(m, kWhat, sizeof kWhat - 1) != 0) return NULL;
    m += sizeof kWhat - 1;
    for (int f = 0; f < FP_FILES; f++) {
        const char *const names[2] = {fp_zstPath[f], fp_plainPath[f]};
        for (int k = 0; k < 2; k++) {
            size_t const n = strlen(names[k]);
            if (strncmp(m, names[k], n) == 0 && m[n] == ':') {
                *file = f;
                return m + n;
            }
        }
    }
    return NULL;
}

static int fp_quoteOrCr(const char *s, size_t n)
{
    return memchr(s, '"', n) != NULL || memchr(s, '\r', n) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_setup();
    if (size < 2) return 0;
    uint8_t const mode = data[0], param = data[1];
    const char *part[FP_FILES];
    size_t len[FP_FILES];
    int const parts = fz_split(data + 2, size - 2, FP_MARK, part, len, FP_FILES);
    if (fp_name.max == 0) buf_init(&fp_name, XJ_MAX_FIELD * 4);

    static fp_bytes packed[FP_FILES], content[FP_FILES];
    const char *zpaths[FP_FILES], *ppaths[FP_FILES];
    const char *text[FP_FILES]; /* what each file holds, uncompressed */
    size_t text_len[FP_FILES];
    int compressed = 0, refuse = 0, raw_bad = 0, skip = 0;
    for (int f = 0; f < parts; f++) {
        int const how = (mode >> (2 * f)) & 3;
        ppaths[f] = fp_plainPath[f];
        text[f] = part[f];
        text_len[f] = len[f];
        if (how == FP_PLAIN) {
            zpaths[f] = fp_plainPath[f];
            fz_storeInto(fp_plainFd[f], part[f], len[f]);
            continue;
        }
        compressed = 1;
        zpaths[f] = fp_zstPath[f];
        if (how == FP_RAW) {
            fz_storeInto(fp_zstFd[f], part[f], len[f]);
            int const v = fp_zstdDecode((const uint8_t *)part[f], len[f], &content[f]);
            if (v < 0) skip = 1; /* a bomb: reading it through would cost too much */
            if (v == 0) refuse = raw_bad = 1;
            text[f] = (const char *)content[f].p;
            text_len[f] = content[f].n;
        } else {
            size_t first;
            fp_compress(&packed[f], part[f], len[f], param, &first);
            size_t keep = packed[f].n;
            if (how == FP_CUT) {
                keep -= 1 + (size_t)(param >> 5) * packed[f].n / 8;
                if (keep == first && first < packed[f].n) text_len[f] = len[f] / 2; /* whole first frame */
                else refuse = 1;
            }
            fz_storeInto(fp_zstFd[f], packed[f].p, keep);
        }
        fz_storeInto(fp_plainFd[f], text[f], text_len[f]);
    }
    if (skip) return 0;

    static fp_result got, plain;
    fp_run(zpaths, (size_t)parts, &got);
    if (refuse) {
        FZ_ASSERT(got.err == XJ_ERR_INPUT);
        if (!raw_bad) { /* cut only: the plain files hold the whole contents */
            fp_run(ppaths, (size_t)parts, &plain);
            if (plain.err == XJ_OK && strstr(got.message, "ends early") == NULL) {
                fprintf(stderr, "a cut extract, refused as: %s\n", got.message);
                FZ_ASSERT(0);
            }
            pop_tableFree(&plain.t);
        }
        return 0;
    }
    const fp_result *ref = &got;
    if (compressed) {
        fp_run(ppaths, (size_t)parts, &plain);
        FZ_ASSERT(got.err == plain.err);
        if (got.err) {
            int gf = -1, pf = -2;
            const char *const g = fp_afterName(got.message, &gf), *const p = fp_afterName(plain.message, &pf);
            if (g == NULL || p == NULL || gf != pf || strcmp(g, p) != 0) {
                fprintf(stderr, "compressed: %s\nplain:      %s\n", got.message, plain.message);
                FZ_ASSERT(0);
            }
        } else {
            FZ_ASSERT(got.t.n == plain.t.n && got.t.n_slots == plain.t.n_slots && got.t.n_home == plain.t.n_home &&
                      got.t.ids == plain.t.ids && got.t.several_names == plain.t.several_names &&
                      strcmp(got.example, plain.example) == 0);
            FZ_ASSERT(got.t.n_slots == 0 || memcmp(got.t.v, plain.t.v, got.t.n_slots * sizeof *got.t.v) == 0);
        }
        pop_tableFree(&plain.t);
        ref = &plain;
    }

    int known = 1;
    for (int f = 0; f < parts && known; f++) known = !fp_quoteOrCr(text[f], text_len[f]);
    if (known) {
        int ok = 1;
        fp_nWant = 0;
        for (int f = 0; f < parts && ok; f++) ok = fp_read(text[f], text_len[f]);
        if (ok != (ref->err == XJ_OK)) {
            fprintf(stderr, "the harness reads the extracts as %s; the engine %s: %s\n", ok ? "well formed" : "malformed",
                    ref->err ? "refused them" : "read them", ref->message);
            FZ_ASSERT(0);
        }
        if (ok) fp_checkWant();
    }
    pop_tableFree(&got.t);
    return 0;
}
