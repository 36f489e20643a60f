/*
 * test_split — the record splitter and field parser against inputs whose
 * records, fields and line numbers are known by construction.
 *
 * A random table of fields (with commas, quotes, CR, LF, spaces and CJK text)
 * is written as RFC 4180 CSV, with random blank lines and LF or CRLF ends,
 * optionally behind a BOM or compressed with zstd; then read back through
 * rd_input + rd_split at a small chunk size (so records straddle chunk and
 * read boundaries) and ps_splitFields. Every record must come back with its
 * fields and its starting line. The same files are also read in parts, cut
 * after LFs as the processes of a distributed scan read them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "ps_fields.h"
#include "rd_split.h"
#include "test_check.h"

#define CHECK TC_CHECK
#define g_failures tc_failures

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static ps_fields g_ref; /* libcsv only, the reference for the fast path */
static uint64_t rnd(void) { return tc_random(&g_rng); }

#define MAX_RECS 3000
#define NCOLS 5

typedef struct expect {
    char *field[NCOLS];
    uint64_t line;
} expect;

static const char *const kPieces[] = {"a", "张三", ",", "\"", "\n", "\r\n", " ", "x y", "阿依古丽·买买提", "0", ""};

static char *random_field(int *needs_quotes)
{
    char buf[256] = "";
    int const parts = (int)(rnd() % 5);
    for (int i = 0; i < parts; i++) strcat(buf, kPieces[rnd() % (sizeof kPieces / sizeof kPieces[0])]);
    *needs_quotes = strpbrk(buf, ",\"\r\n") != NULL || (rnd() % 7 == 0);
    return strdup(buf);
}

/* Writes the table; returns its bytes. Fills expectations. */
static char *write_table(expect *ex, size_t n, int crlf, int bom, size_t *out_len)
{
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    uint64_t line = 1;
#define PUT(s, n_)                                                     \
    do {                                                               \
        size_t const k_ = (n_);                                        \
        while (len + k_ + 1 > cap) out = realloc(out, cap *= 2);       \
        memcpy(out + len, (s), k_);                                    \
        len += k_;                                                     \
    } while (0)
    if (bom) PUT("\xEF\xBB\xBF", 3);
    const char *const eol = crlf ? "\r\n" : "\n";
    PUT("c1,c2,c3,c4,c5", 14);
    PUT(eol, strlen(eol));
    line++;
    for (size_t r = 0; r < n; r++) {
        while (rnd() % 10 == 0) { /* blank lines */
            PUT(eol, strlen(eol));
            line++;
        }
        ex[r].line = line;
        for (int c = 0; c < NCOLS; c++) {
            int q;
            ex[r].field[c] = random_field(&q);
            /* a record whose only field is empty would be a blank line */
            if (c == 0 && ex[r].field[c][0] == '\0') q = 1;
            if (c) PUT(",", 1);
            const char *f = ex[r].field[c];
            if (q) PUT("\"", 1);
            for (; *f; f++) {
                if (*f == '"') PUT("\"\"", 2);
                else PUT(f, 1);
                if (*f == '\n') line++;
            }
            if (q) PUT("\"", 1);
        }
        if (r + 1 < n || rnd() % 2) PUT(eol, strlen(eol));
        line++;
    }
    *out_len = len;
    return out;
#undef PUT
}

/* data as zstd frames cut where pzstd would cut them: anywhere, inside a
 * record, a quoted field or a CRLF; a quarter end after an LF (as `xjdedup
 * gen` and `split -C` cut), some are a few bytes, some skippable frames
 * come between. */
static void write_frames(FILE *f, const char *data, size_t n, size_t max_frame)
{
    size_t const bound = ZSTD_compressBound(max_frame);
    char *z = malloc(bound);
    for (size_t at = 0; at < n;) {
        size_t k = rnd() % 8 == 0 ? 1 + rnd() % 8 : max_frame / 3 + rnd() % (max_frame - max_frame / 3);
        if (k > n - at) k = n - at;
        if (rnd() % 4 == 0) {
            const char *const lf = memchr(data + at + k - 1, '\n', n - at - k + 1);
            size_t const to_lf = lf ? (size_t)(lf - data) + 1 - at : n - at;
            if (to_lf <= max_frame) k = to_lf;
        }
        if (at > 0 && rnd() % 5 == 0) fwrite("\x50\x2A\x4D\x18\x02\x00\x00\x00" "ab", 1, 10, f);
        size_t const zn = ZSTD_compress(z, bound, data + at, k, 1);
        CHECK(!ZSTD_isError(zn), "compress: %s", ZSTD_getErrorName(zn));
        if (!ZSTD_isError(zn)) fwrite(z, 1, zn, f);
        at += k;
    }
    free(z);
}

/* zstd: 0 plain, 1 one frame, 2 many frames (write_frames). */
static void write_file(const char *path, const char *data, size_t n, int zstd, size_t target)
{
    FILE *f = fopen(path, "wb");
    if (zstd == 2) {
        write_frames(f, data, n, 4 * target); /* most larger than a chunk, as real frames are */
    } else if (zstd) {
        size_t const bound = ZSTD_compressBound(n);
        char *z = malloc(bound);
        size_t const zn = ZSTD_compress(z, bound, data, n, 3);
        fwrite(z, 1, zn, f);
        free(z);
    } else {
        fwrite(data, 1, n, f);
    }
    fclose(f);
}

static void run_case(int seed, int crlf, int bom, int zstd, size_t target)
{
    g_rng = 0x9E3779B97F4A7C15ull * (uint64_t)(seed + 1);
    size_t const n = 200 + rnd() % (MAX_RECS - 200);
    expect *ex = calloc(n, sizeof *ex);
    size_t len;
    char *data = write_table(ex, n, crlf, bom, &len);
    char path[] = "/tmp/xj_test_split_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    write_file(path, data, len, zstd, target);

    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    rd_splitter *sp = NULL;
    CHECK(rd_open(path, NULL, &in, &st) == XJ_OK, "%s", st.message);
    rd_setThreads(in, 3); /* frames on workers, whatever this machine's cores */
    CHECK(rd_splitterCreate(in, 0, target, &sp, &st) == XJ_OK, "%s", st.message);
    rd_splitterTakeFrames(sp); /* no effect but on many frames */
    xj_buf header;
    buf_init(&header, 1 << 20);
    int found = 0;
    CHECK(rd_readHeader(sp, &header, &found, &st) == XJ_OK && found, "header");
    CHECK(header.len == 14 && memcmp(header.data, "c1,c2,c3,c4,c5", 14) == 0, "header text '%s'", header.data);
    ps_fields pf;
    ps_fieldsInit(&pf, 100);
    size_t r = 0;
    int done = 0;
    size_t chunks = 0, taken = 0;
    while (!done && g_failures < 20) {
        rd_chunk c;
        CHECK(rd_nextChunk(sp, &c, &done, &st) == XJ_OK, "%s", st.message);
        if (done) break;
        chunks++;
        taken += c.alloc != NULL;
        for (size_t i = 0; i < c.n_recs && r < n; i++, r++) {
            rd_record const rec = c.recs[i];
            uint64_t const line = c.first_line + rec.line_delta;
            /* where pass 2 looks for it again: its offset in the text */
            CHECK(c.offset + rec.end <= len && memcmp(data + c.offset + rec.start, c.data + rec.start,
                                                      rec.end - rec.start) == 0,
                  "seed %d record %zu: not at offset %llu of the text", seed, r,
                  (unsigned long long)(c.offset + rec.start));
            CHECK(line == ex[r].line, "seed %d record %zu: line %llu, expected %llu", seed, r,
                  (unsigned long long)line, (unsigned long long)ex[r].line);
            ps_fieldError const e = ps_splitFields(&pf, c.data + rec.start, rec.end - rec.start, 0);
            CHECK(e == PS_FIELDS_OK && pf.n == NCOLS, "seed %d record %zu: error %d, %zu fields", seed, r, e, pf.n);
            for (size_t k = 0; e == PS_FIELDS_OK && k < NCOLS && k < pf.n; k++)
                CHECK(pf.len[k] == strlen(ex[r].field[k]) && memcmp(ps_value(&pf, k), ex[r].field[k], pf.len[k]) == 0,
                      "seed %d record %zu field %zu: '%.*s' vs '%s'", seed, r, k, (int)pf.len[k], ps_value(&pf, k),
                      ex[r].field[k]);
            /* the fast path (no quotes) must agree with libcsv */
            ps_fields *const ref = &g_ref;
            ps_fieldError const e2 = ps_splitFields(ref, c.data + rec.start, rec.end - rec.start, 0);
            CHECK(e2 == e && ref->n == pf.n, "seed %d record %zu: libcsv error %d/%zu fields", seed, r, e2, ref->n);
            for (size_t k = 0; e2 == e && k < ref->n && k < pf.n; k++)
                CHECK(ref->len[k] == pf.len[k] && memcmp(ps_value(ref, k), ps_value(&pf, k), pf.len[k]) == 0,
                      "seed %d record %zu field %zu differs between fast path and libcsv", seed, r, k);
        }
        rd_chunkFree(&c);
    }
    CHECK(r == n, "seed %d: %zu records read, %zu written", seed, r, n);
    /* a chunk holds whole records up to one read block past the target */
    CHECK(chunks > 1 || len < 2 * target, "seed %d: expected several chunks", seed);
    /* frames handed over whole (rd_takeFrame) only from many frames, and
     * then some (the first chunk, with the header, is read as before) */
    CHECK(zstd == 2 ? taken > 0 || chunks == 1 : taken == 0, "seed %d (zstd %d): %zu of %zu chunks were frames", seed, zstd, taken,
          chunks);
    ps_fieldsFree(&pf);
    buf_free(&header);
    rd_splitterFree(sp);
    rd_close(in);
    unlink(path);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOLS; c++) free(ex[i].field[c]);
    free(ex);
    free(data);
}

/* ---- parts of one file (rd_setRange, rd_splitterStartAt), as processes
 * of a distributed scan read them (scan_split.c) ---- */

typedef struct seen_rec {
    uint64_t line, offset, len;
} seen_rec;

/* Records of [lo, hi) of `path` (the whole file: 0, len), appended to *v;
 * returns whether the part ended inside a quoted field. */
static int read_part(const char *path, uint64_t lo, uint64_t hi, uint64_t line, size_t target, seen_rec **v,
                     size_t *n, size_t *cap)
{
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    rd_splitter *sp = NULL;
    CHECK(rd_open(path, NULL, &in, &st) == XJ_OK, "%s", st.message);
    CHECK(rd_setRange(in, lo, hi, &st) == XJ_OK, "%s", st.message);
    CHECK(rd_splitterCreate(in, 0, target, &sp, &st) == XJ_OK, "%s", st.message);
    if (lo > 0) {
        rd_splitterStartAt(sp, line, lo);
    } else {
        xj_buf h;
        buf_init(&h, 1 << 20);
        int found = 0;
        CHECK(rd_readHeader(sp, &h, &found, &st) == XJ_OK && found, "part header");
        buf_free(&h);
    }
    for (int done = 0; !done;) {
        rd_chunk c;
        CHECK(rd_nextChunk(sp, &c, &done, &st) == XJ_OK, "%s", st.message);
        if (done) break;
        for (size_t i = 0; i < c.n_recs; i++) {
            if (*n == *cap) *v = realloc(*v, (*cap = *cap ? *cap * 2 : 1024) * sizeof **v);
            (*v)[(*n)++] = (seen_rec){c.first_line + c.recs[i].line_delta, c.offset + c.recs[i].start,
                                      c.recs[i].end - c.recs[i].start};
        }
        rd_chunkFree(&c);
    }
    int const in_quote = rd_splitterInQuote(sp);
    CHECK(rd_rawBytes(in) == hi - lo, "part [%llu, %llu): %llu bytes read", (unsigned long long)lo,
          (unsigned long long)hi, (unsigned long long)rd_rawBytes(in));
    rd_splitterFree(sp);
    rd_close(in);
    return in_quote;
}

/* Cut into k parts after LFs, each part read alone and started on its true
 * line: the records are the whole file's, or a part says it ended inside a
 * quoted value, and then a record of the whole file spans that cut. */
static void run_parts(int seed, int *clean, int *flagged)
{
    g_rng = 0x2545F4914F6CDD1Dull * (uint64_t)(seed + 1);
    size_t const n = 200 + rnd() % 800;
    expect *ex = calloc(n, sizeof *ex);
    size_t len;
    char *data = write_table(ex, n, seed % 2, seed % 3 == 0, &len);
    char path[] = "/tmp/xj_test_parts_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    write_file(path, data, len, 0, 0);
    size_t const target = 4096 + (size_t)seed * 331;
    seen_rec *whole = NULL, *parts = NULL;
    size_t n_whole = 0, cap_whole = 0;
    read_part(path, 0, len, 1, target, &whole, &n_whole, &cap_whole);
    CHECK(n_whole == n, "seed %d: %zu records of %zu whole", seed, n_whole, n);
    for (int k = 2; k <= 6; k++) {
        uint64_t cut[7];
        cut[0] = 0;
        cut[k] = len;
        for (int r = 1; r < k; r++) { /* as scan_split.c: after the first LF at or after len·r/k − 1 */
            const char *const lf = memchr(data + len * (size_t)r / (size_t)k - 1, '\n',
                                          len - (len * (size_t)r / (size_t)k - 1));
            cut[r] = lf ? (uint64_t)(lf - data) + 1 : len;
        }
        size_t n_parts = 0, cap_parts = 0;
        int wrong = -1;
        for (int r = 0; r < k; r++) {
            uint64_t line = 1;
            for (uint64_t b = 0; b < cut[r]; b++) line += data[b] == '\n';
            int const in_quote = read_part(path, cut[r], cut[r + 1] > cut[r] ? cut[r + 1] : cut[r], line, target,
                                           &parts, &n_parts, &cap_parts);
            if (in_quote && r + 1 < k && wrong < 0) wrong = r;
        }
        if (wrong < 0) {
            ++*clean;
            int same = n_parts == n_whole;
            for (size_t i = 0; same && i < n_parts; i++)
                same = parts[i].line == whole[i].line && parts[i].offset == whole[i].offset &&
                       parts[i].len == whole[i].len;
            CHECK(same, "seed %d, %d parts: no part ended in a quote, yet the records differ from the whole file's",
                  seed, k);
        } else {
            ++*flagged;
            uint64_t const at = cut[wrong + 1];
            int spans = 0;
            for (size_t i = 0; i < n_whole && !spans; i++) spans = whole[i].offset < at && at <= whole[i].offset +
                                                                                          whole[i].len;
            CHECK(spans, "seed %d, %d parts: part %d says it ended in a quote, but no record spans byte %llu", seed,
                  k, wrong, (unsigned long long)at);
        }
        free(parts);
        parts = NULL;
    }
    free(whole);
    unlink(path);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < NCOLS; c++) free(ex[i].field[c]);
    free(ex);
    free(data);
}

static void run_overlong(const char *text, size_t len, int zstd);

/* Hand-made cases: stray quotes, unterminated quote at EOF, overlong record. */
static void run_edge_cases(void)
{
    char path[] = "/tmp/xj_test_split_edge_XXXXXX";
    int fd = mkstemp(path);
    const char *text = "h1,h2\n" "a,b\"c\n" "\"x\"y,z\n" "\n" "ok,1\n" "\"open,2\nstill\n";
    if (write(fd, text, strlen(text)) < 0) abort();
    close(fd);
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    rd_splitter *sp = NULL;
    rd_open(path, NULL, &in, &st);
    rd_splitterCreate(in, 0, 4096, &sp, &st);
    xj_buf h;
    buf_init(&h, 1 << 20);
    int found, done;
    rd_readHeader(sp, &h, &found, &st);
    rd_chunk c;
    rd_nextChunk(sp, &c, &done, &st);
    CHECK(c.n_recs == 4, "%zu records", c.n_recs);
    CHECK(c.blank_lines == 1, "%llu blank", (unsigned long long)c.blank_lines);
    CHECK(c.unterminated == 1, "unterminated flag");
    ps_fields pf;
    ps_fieldsInit(&pf, 100);
    static const ps_fieldError kWant[4] = {PS_FIELDS_BAD_QUOTE, PS_FIELDS_BAD_QUOTE, PS_FIELDS_OK,
                                           PS_FIELDS_UNTERMINATED};
    static const uint64_t kLine[4] = {2, 3, 5, 6};
    for (size_t i = 0; i < c.n_recs && i < 4; i++) {
        ps_fieldError const e =
            ps_splitFields(&pf, c.data + c.recs[i].start, c.recs[i].end - c.recs[i].start, i == 3);
        CHECK(e == kWant[i], "record %zu: error %d, want %d", i, e, kWant[i]);
        CHECK(c.first_line + c.recs[i].line_delta == kLine[i], "record %zu line", i);
    }
    rd_chunkFree(&c);
    ps_fieldsFree(&pf);
    buf_free(&h);
    rd_splitterFree(sp);
    rd_close(in);
    unlink(path);

    /* A record longer than XJ_MAX_RECORD is cut, its head kept, and the
     * record after it still found on its own line; in a plain file and in
     * a .zst of frames taken over whole (rd_takeFrame) where they can be:
     * not while the record is skipped, nor while it is pending and longer
     * than the room in front of the next frame. */
    xj_buf big;
    buf_init(&big, 2u << 20);
    buf_append(&big, "h1,h2\nfirst,1\n\"", 15);
    /* a long record, 200 kB (longer than the room before a frame), then an
     * overlong one: 1.5 MB quoted fields with newlines */
    for (int i = 0; i < 40000; i++) buf_append(&big, "abc\nd", 5);
    buf_append(&big, "\",2\n\"", 5);
    for (int i = 0; i < 300000; i++) buf_append(&big, "abc\nd", 5);
    buf_append(&big, "\",2\nlast,3\n", 12);
    for (int i = 0; i < 20000; i++) buf_append(&big, "z,9\n", 4);
    for (int zstd = 0; zstd <= 2; zstd += 2)
        run_overlong(big.data, big.len, zstd);
    buf_free(&big);
}

static void run_overlong(const char *text, size_t len, int zstd)
{
    char path[] = "/tmp/xj_test_split_edge_XXXXXX";
    int const fd = mkstemp(path);
    FILE *const f = fdopen(fd, "w");
    if (zstd) write_frames(f, text, len, 30000);
    else fwrite(text, 1, len, f);
    fclose(f);
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    rd_splitter *sp = NULL;
    xj_buf h;
    int found, done;
    rd_chunk c;
    rd_open(path, NULL, &in, &st);
    rd_setThreads(in, 3);
    rd_splitterCreate(in, 0, 4096, &sp, &st);
    rd_splitterTakeFrames(sp);
    buf_init(&h, 1 << 20);
    rd_readHeader(sp, &h, &found, &st);
    size_t recs = 0, overlong = 0, taken = 0;
    uint64_t last_line = 0, overlong_line = 0;
    for (;;) {
        CHECK(rd_nextChunk(sp, &c, &done, &st) == XJ_OK, "%s", st.message);
        if (done) break;
        recs += c.n_recs;
        taken += c.alloc != NULL;
        if (c.n_recs) last_line = c.first_line + c.recs[c.n_recs - 1].line_delta;
        overlong += c.n_overlong;
        if (c.n_overlong) {
            overlong_line = c.overlong[0].line;
            CHECK(c.overlong[0].raw_len == XJ_MAX_RECORD, "overlong raw %zu", c.overlong[0].raw_len);
        }
        rd_chunkFree(&c);
    }
    CHECK(recs == 20003, "%zu records around the overlong one", recs);
    CHECK(overlong == 1 && overlong_line == 40004, "overlong %zu at line %llu", overlong,
          (unsigned long long)overlong_line);
    CHECK(last_line == 5 + 40000 + 300000 + 20000, "last line: %llu", (unsigned long long)last_line);
    CHECK(zstd ? taken > 0 : taken == 0, "zstd %d: %zu chunks were frames", zstd, taken);
    buf_free(&h);
    rd_splitterFree(sp);
    rd_close(in);
    unlink(path);
}

int main(void)
{
    ps_fieldsInit(&g_ref, 100);
    g_ref.force_libcsv = 1;
    for (int seed = 0; seed < 24 && g_failures < 20; seed++)
        run_case(seed, seed % 2, seed % 3 == 0, seed % 4 == 1 ? 1 : seed % 4 == 3 ? 2 : 0,
                 seed % 5 == 0 ? 4096 : 4096 + (size_t)seed * 997);
    run_edge_cases();
    int clean = 0, flagged = 0;
    for (int seed = 0; seed < 16 && g_failures < 20; seed++) run_parts(seed, &clean, &flagged);
    /* both outcomes, or the test checked only one of them */
    CHECK(clean > 0 && flagged > 0, "parts: %d cuts all at record ends, %d with one inside a quote", clean, flagged);
    printf("parts: %d ways of cutting a file found every cut at a record end, %d found one inside a quote\n", clean,
           flagged);
    ps_fieldsFree(&g_ref);
    return tc_finish("test_split");
}
