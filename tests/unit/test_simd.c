/*
 * test_simd — the structural scans give the same answers at every SIMD
 * level the CPU has (scalar, SSE2, AVX2), and the same as simple byte-by-byte
 * references written here:
 *  - rd_mask2 against a byte loop, at every length up to 300 and every
 *    start offset in a 64-byte block;
 *  - the record splitter (rd_splitRange, and the streaming splitter over a
 *    file read in 4 KiB pieces, so quotes and line ends fall at read and
 *    window ends) against an RFC 4180 state machine;
 *  - the field splitter's quote-free and quoted paths against libcsv
 *    (force_libcsv), and libcsv cleared after a refused record against a
 *    fresh one.
 * The inputs are chosen to break vector code: a quote at every offset mod
 * 64, LF and CR at block and window boundaries, bytes >= 0x80 and NUL, 64
 * commas in a block around the field limit, records over XJ_MAX_FIELD.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ps_fields.h"
#include "rd_simd.h"
#include "rd_split.h"
#include "test_check.h"

static uint64_t ts_state = 0x2545F4914F6CDD1Dull;

static uint32_t ts_rand(uint32_t n)
{
    ts_state ^= ts_state << 13;
    ts_state ^= ts_state >> 7;
    ts_state ^= ts_state << 17;
    return (uint32_t)((ts_state >> 11) % n);
}

static const char *const kLevelName[] = {"scalar", "sse2", "avx2"};
static rd_simdLevel ts_best;

/* Text drawn from bytes the scans care about, and a few they must not. */
static void ts_fill(char *p, size_t n, const char *alphabet, size_t k)
{
    for (size_t i = 0; i < n; i++) p[i] = alphabet[ts_rand((uint32_t)k)];
}

static const char kDense[] = {'a', ',', '"', '\n', '\r', '\0', (char)0x80, (char)0xE4, (char)0xFF, 'b', ','};
static const char kSparse[] = "abcdefgh,,,ijklmnopqrs\xe5\xad\xa6\xe7\xb1\x8d" "0123456789-";

/* ---- masks ---- */

static void ts_masks(void)
{
    char buf[64 + 300];
    uint64_t a[8], b[8];
    for (int round = 0; round < 4; round++) {
        ts_fill(buf, sizeof buf, kDense, sizeof kDense);
        for (size_t off = 0; off < 64; off++)
            for (size_t n = 0; n <= 300; n++)
                for (int lv = 0; lv <= (int)ts_best; lv++) {
                    const char *const p = buf + off;
                    memset(a, 0xAA, sizeof a);
                    memset(b, 0xAA, sizeof b);
                    rd_mask2At((rd_simdLevel)lv, p, n, '\n', '"', a, b);
                    for (size_t w = 0; w < rd_maskWords(n); w++) {
                        uint64_t wa = 0, wb = 0;
                        for (size_t i = 64 * w; i < n && i < 64 * w + 64; i++) {
                            wa |= (uint64_t)(p[i] == '\n') << (i % 64);
                            wb |= (uint64_t)(p[i] == '"') << (i % 64);
                        }
                        TC_CHECK(a[w] == wa && b[w] == wb, "%s: offset %zu, %zu bytes, word %zu", kLevelName[lv],
                                 off, n, w);
                    }
                }
    }
}

/* ---- records ---- */

typedef struct ts_rec {
    size_t start, end;
    uint64_t line;
} ts_rec;

typedef struct ts_split {
    ts_rec *recs;
    size_t n, cap;
    uint64_t blank;
    int unterminated;
} ts_split;

static void ts_push(ts_split *s, const char *d, size_t start, size_t end, uint64_t line)
{
    size_t const len = end - start;
    if (len == 0 || (len == 1 && d[start] == '\r')) {
        s->blank++;
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->recs = realloc(s->recs, s->cap * sizeof *s->recs);
        if (s->recs == NULL) abort();
    }
    s->recs[s->n++] = (ts_rec){start, end, line};
}

/* RFC 4180 one byte at a time: a quote opens a quoted field only at the
 * start of a field; inside, "" is a quote and LF is text. */
static void ts_refSplit(const char *d, size_t n, ts_split *out)
{
    memset(out, 0, sizeof *out);
    size_t rec_start = 0;
    uint64_t line = 1, rec_line = 1;
    int in_quote = 0;
    for (size_t i = 0; i < n; i++) {
        char const c = d[i];
        if (in_quote) {
            if (c == '\n') line++;
            else if (c == '"') {
                if (i + 1 < n && d[i + 1] == '"') i++;
                else in_quote = 0;
            }
        } else if (c == '"') {
            if (i == rec_start || d[i - 1] == ',') in_quote = 1;
        } else if (c == '\n') {
            ts_push(out, d, rec_start, i, rec_line);
            line++;
            rec_start = i + 1;
            rec_line = line;
        }
    }
    if (rec_start < n) {
        out->unterminated = in_quote;
        ts_push(out, d, rec_start, n, rec_line);
    }
}

static void ts_sameSplit(const ts_split *want, const ts_split *got, const char *what, const char *level)
{
    TC_CHECK(want->n == got->n && want->blank == got->blank && want->unterminated == got->unterminated,
             "%s, %s: %zu records, %llu blank, unterminated %d; expected %zu, %llu, %d", what, level, got->n,
             (unsigned long long)got->blank, got->unterminated, want->n, (unsigned long long)want->blank,
             want->unterminated);
    for (size_t i = 0; i < want->n && i < got->n; i++)
        if (want->recs[i].start != got->recs[i].start || want->recs[i].end != got->recs[i].end ||
            want->recs[i].line != got->recs[i].line) {
            TC_CHECK(0, "%s, %s: record %zu is [%zu, %zu) line %llu; expected [%zu, %zu) line %llu", what, level, i,
                     got->recs[i].start, got->recs[i].end, (unsigned long long)got->recs[i].line, want->recs[i].start,
                     want->recs[i].end, (unsigned long long)want->recs[i].line);
            return;
        }
}

/* rd_splitRange over the whole text, at the current level. */
static void ts_rangeSplit(const char *d, size_t n, ts_split *out)
{
    memset(out, 0, sizeof *out);
    rd_chunk c;
    memset(&c, 0, sizeof c);
    xj_status st;
    st_init(&st);
    TC_CHECK(rd_splitRange(d, n, 1, &c, &st) == XJ_OK, "rd_splitRange: %s", st.message);
    for (size_t i = 0; i < c.n_recs; i++) {
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 256;
            out->recs = realloc(out->recs, out->cap * sizeof *out->recs);
            if (out->recs == NULL) abort();
        }
        out->recs[out->n++] = (ts_rec){c.recs[i].start, c.recs[i].end, 1 + c.recs[i].line_delta};
    }
    out->blank = c.blank_lines;
    out->unterminated = c.unterminated;
    c.data = NULL; /* not owned */
    rd_chunkFree(&c);
}

/* The streaming splitter over a file, read 4 KiB at a time. */
static void ts_streamSplit(const char *d, size_t n, ts_split *out)
{
    memset(out, 0, sizeof *out);
    char path[] = "/tmp/xj-test-simd-XXXXXX";
    int const fd = mkstemp(path);
    TC_CHECK(fd >= 0, "mkstemp");
    if (fd < 0) return;
    TC_CHECK(write(fd, d, n) == (ssize_t)n, "write");
    close(fd);
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    rd_splitter *sp = NULL;
    TC_CHECK(rd_open(path, NULL, &in, &st) == XJ_OK, "rd_open: %s", st.message);
    TC_CHECK(in && rd_splitterCreate(in, 0, 4096, &sp, &st) == XJ_OK, "rd_splitterCreate: %s", st.message);
    for (int done = 0; sp && !done;) {
        rd_chunk c;
        if (rd_nextChunk(sp, &c, &done, &st) != XJ_OK) {
            TC_CHECK(0, "rd_nextChunk: %s", st.message);
            break;
        }
        for (size_t i = 0; i < c.n_recs; i++) {
            if (out->n == out->cap) {
                out->cap = out->cap ? 2 * out->cap : 256;
                out->recs = realloc(out->recs, out->cap * sizeof *out->recs);
                if (out->recs == NULL) abort();
            }
            out->recs[out->n++] = (ts_rec){c.offset + c.recs[i].start, c.offset + c.recs[i].end,
                                           c.first_line + c.recs[i].line_delta};
        }
        out->blank += c.blank_lines;
        out->unterminated |= c.unterminated;
        rd_chunkFree(&c);
    }
    rd_splitterFree(sp);
    rd_close(in);
    unlink(path);
}

/* Every level's splitters against the reference, on one text. */
static void ts_checkSplit(const char *d, size_t n, const char *what, int stream)
{
    ts_split want, got;
    ts_refSplit(d, n, &want);
    for (int lv = 0; lv <= (int)ts_best; lv++) {
        rd_simdSet((rd_simdLevel)lv);
        ts_rangeSplit(d, n, &got);
        ts_sameSplit(&want, &got, what, kLevelName[lv]);
        free(got.recs);
        if (stream) {
            ts_streamSplit(d, n, &got);
            ts_sameSplit(&want, &got, what, kLevelName[lv]);
            free(got.recs);
        }
    }
    rd_simdSet(ts_best);
    free(want.recs);
}

static void ts_records(void)
{
    char what[96];
    /* a quoted field (with a doubled quote and an LF in it) opening at
     * every offset mod 64 of a record, and ending at every offset; also
     * around the 4 KiB window, with the record going on past the window
     * (its LF then falls in a window without quotes) */
    static char text[40000];
    for (size_t k = 0; k < 192 + 160; k++) {
        size_t const at = k < 192 ? k : 4096 - 140 + (k - 192);
        size_t n = 0;
        for (size_t i = 0; i < at; i++) text[n++] = (i % 7 == 6) ? ',' : 'x';
        text[n++] = ',';
        text[n++] = '"';
        for (size_t i = 0; i < at % 67; i++) text[n++] = (i % 5 == 4) ? '\n' : (i % 11 == 3 ? '"' : 'q');
        if (text[n - 1] == '"') text[n++] = '"';
        text[n++] = '"';
        for (size_t i = 0; i < (at % 3) * 60; i++) text[n++] = (i % 9 == 0) ? ',' : 'y';
        text[n++] = ',';
        text[n++] = '\r';
        text[n++] = '\n';
        for (int r = 0; r < 3; r++) {
            memcpy(text + n, "after,the,quote\n", 16);
            n += 16;
        }
        snprintf(what, sizeof what, "quote at %zu", at);
        ts_checkSplit(text, n, what, k % 8 == 0);
    }
    /* line ends at each offset around 64-byte blocks and 4 KiB windows */
    static const size_t kEdges[] = {1, 2, 62, 63, 64, 65, 127, 128, 129, 4094, 4095, 4096, 4097, 8191, 8192};
    for (size_t e = 0; e < sizeof kEdges / sizeof kEdges[0]; e++)
        for (int cr = 0; cr < 2; cr++) {
            size_t n = 0;
            for (int r = 0; r < 3; r++) {
                size_t const len = kEdges[e] - (size_t)cr;
                for (size_t i = 0; i < len && n < sizeof text - 2; i++) text[n++] = (char)(0x80 + (int)(i % 64));
                if (cr) text[n++] = '\r';
                text[n++] = '\n';
            }
            snprintf(what, sizeof what, "records of %zu bytes, cr %d", kEdges[e], cr);
            ts_checkSplit(text, n, what, 1);
        }
    /* dense random text: every byte a scan cares about, often */
    for (int round = 0; round < 60; round++) {
        size_t const n = ts_rand(round < 40 ? 600 : (uint32_t)sizeof text);
        ts_fill(text, n, kDense, sizeof kDense);
        snprintf(what, sizeof what, "dense text, round %d (%zu bytes)", round, n);
        ts_checkSplit(text, n, what, round % 4 == 0);
    }
    /* registry-like text with a few quotes */
    for (int round = 0; round < 20; round++) {
        size_t const n = sizeof text - ts_rand(2000);
        ts_fill(text, n, kSparse, sizeof kSparse - 1);
        for (size_t i = 0; i < n; i += 60 + ts_rand(120)) text[i] = '\n';
        for (int q = 0; q < round; q++) text[ts_rand((uint32_t)n)] = '"';
        snprintf(what, sizeof what, "sparse text, round %d", round);
        ts_checkSplit(text, n, what, 1);
    }
}

/* ---- fields ---- */

static ps_fields ts_fast, ts_libcsv;

static void ts_checkFields(const char *rec, size_t n, size_t max_fields, const char *what)
{
    /* rd_split counts "" and "\r" as blank lines, never records; libcsv
     * sees no value in them, the fast path one empty value */
    if (n == 0 || (n == 1 && rec[0] == '\r')) return;
    ts_libcsv.max_fields = max_fields;
    ps_fieldError const want = ps_splitFields(&ts_libcsv, rec, n, 0);
    for (int lv = 0; lv <= (int)ts_best; lv++) {
        rd_simdSet((rd_simdLevel)lv);
        ts_fast.max_fields = max_fields;
        ps_fieldError const got = ps_splitFields(&ts_fast, rec, n, 0);
        TC_CHECK(got == want, "%s, %s: error %d, libcsv %d", what, kLevelName[lv], (int)got, (int)want);
        if (got != want || got != PS_FIELDS_OK) continue;
        TC_CHECK(ts_fast.n == ts_libcsv.n, "%s, %s: %zu fields, libcsv %zu", what, kLevelName[lv], ts_fast.n,
                 ts_libcsv.n);
        for (size_t i = 0; i < ts_fast.n && i < ts_libcsv.n; i++)
            if (ts_fast.len[i] != ts_libcsv.len[i] ||
                memcmp(ps_value(&ts_fast, i), ps_value(&ts_libcsv, i), ts_fast.len[i]) != 0) {
                TC_CHECK(0, "%s, %s: field %zu differs from libcsv's", what, kLevelName[lv], i);
                break;
            }
    }
    rd_simdSet(ts_best);
}

/* libcsv after refused records (cleared, not made anew) against a parser
 * made for this record alone. */
static void ts_checkReused(const char *rec, size_t n, const char *what)
{
    if (n == 0 || (n == 1 && rec[0] == '\r')) return;
    ps_fields fresh;
    TC_CHECK(ps_fieldsInit(&fresh, 1000) == XJ_OK, "ps_fieldsInit");
    fresh.force_libcsv = 1;
    ts_libcsv.max_fields = 1000;
    ps_fieldError const want = ps_splitFields(&fresh, rec, n, 0);
    ps_fieldError const got = ps_splitFields(&ts_libcsv, rec, n, 0);
    TC_CHECK(got == want, "%s: reused libcsv error %d, fresh %d", what, (int)got, (int)want);
    if (got == want && got == PS_FIELDS_OK) {
        TC_CHECK(fresh.n == ts_libcsv.n, "%s: reused libcsv %zu fields, fresh %zu", what, ts_libcsv.n, fresh.n);
        for (size_t i = 0; i < fresh.n && i < ts_libcsv.n; i++)
            TC_CHECK(fresh.len[i] == ts_libcsv.len[i] &&
                         memcmp(ps_value(&fresh, i), ps_value(&ts_libcsv, i), fresh.len[i]) == 0,
                     "%s: reused libcsv field %zu differs", what, i);
    }
    ps_fieldsFree(&fresh);
}

/* Appends to rec a field drawn at random: unquoted, or quoted around
 * commas, doubled quotes, line ends, NUL and high bytes. */
static size_t ts_field(char *rec, size_t at, size_t longest)
{
    static const char kPlain[] = {'a', 'b', '\r', '\n', '\0', (char)0x80, (char)0xE4, (char)0xFF, ' '};
    static const char kInside[] = {'a', ',', '\r', '\n', '\0', (char)0xE4, (char)0xFF, ' ', '"'};
    size_t const len = ts_rand((uint32_t)longest + 1);
    if (ts_rand(2) == 0) {
        ts_fill(rec + at, len, kPlain, sizeof kPlain);
        return at + len;
    }
    rec[at++] = '"';
    for (size_t i = 0; i < len; i++) {
        char const c = kInside[ts_rand(sizeof kInside)];
        rec[at++] = c;
        if (c == '"') rec[at++] = '"';
    }
    rec[at++] = '"';
    return at;
}

/* Records with quoted fields: well formed ones are split without libcsv
 * (the splitter's parser is never started) into libcsv's values; each is
 * then broken at one byte — a quote or a comma anywhere — and must still
 * give what libcsv gives. Lengths reach past PS_QUOTED_MAX (2,048). */
static void ts_quotedRecords(char *rec)
{
    char what[96];
    ps_fields untouched;
    TC_CHECK(ps_fieldsInit(&untouched, 1000) == XJ_OK, "ps_fieldsInit");
    for (int round = 0; round < 4000; round++) {
        size_t const fields = 1 + ts_rand(round % 4 == 0 ? 80 : 14);
        size_t const longest = round % 10 == 0 ? 200 : 20;
        size_t n = 0;
        for (size_t i = 0; i < fields; i++) {
            if (i) rec[n++] = ',';
            n = ts_field(rec, n, longest);
        }
        size_t const max_fields = 1 + ts_rand(90);
        snprintf(what, sizeof what, "quoted record, round %d, %zu bytes", round, n);
        ts_checkFields(rec, n, max_fields, what);
        if (n < 2048 && fields <= max_fields && memchr(rec, '"', n) && rec[n - 1] != '\r') {
            untouched.max_fields = max_fields;
            TC_CHECK(ps_splitFields(&untouched, rec, n, 0) == PS_FIELDS_OK && untouched.n == fields,
                     "%s: %zu fields", what, untouched.n);
        }
        if (n == 0) continue;
        size_t const at = ts_rand((uint32_t)n);
        char const keep = rec[at];
        rec[at] = ts_rand(2) ? '"' : ',';
        snprintf(what, sizeof what, "quoted record, round %d, byte %zu changed", round, at);
        ts_checkFields(rec, n, max_fields, what);
        ts_checkReused(rec, n, what);
        rec[at] = keep;
    }
    TC_CHECK(untouched.parser.entry_buf == NULL, "well formed quoted records went through libcsv");
    ps_fieldsFree(&untouched);
}

static void ts_fields(void)
{
    char what[96];
    static char rec[(64u << 10) + 4096];
    /* commas at every offset, records of every length to 200 */
    for (size_t n = 0; n <= 200; n++) {
        for (size_t i = 0; i < n; i++) rec[i] = (char)(i % 3 == 0 ? ',' : 0xE4 + (int)(i % 3));
        snprintf(what, sizeof what, "%zu bytes, commas every 3", n);
        ts_checkFields(rec, n, 1000, what);
        /* a quote at each offset of the same record */
        for (size_t q = 0; q < n; q++) {
            char const keep = rec[q];
            rec[q] = '"';
            snprintf(what, sizeof what, "%zu bytes, quote at %zu", n, q);
            ts_checkFields(rec, n, 1000, what);
            rec[q] = keep;
        }
    }
    /* a CR at the end (dropped) or inside (kept), NUL and high bytes */
    for (size_t n = 1; n <= 140; n++) {
        ts_fill(rec, n, "ab,\0\x80\xff\r", 7);
        snprintf(what, sizeof what, "%zu bytes with CR, NUL and high bytes", n);
        ts_checkFields(rec, n, 1000, what);
        rec[n - 1] = '\r';
        ts_checkFields(rec, n, 1000, what);
    }
    /* the field limit reached at and around block edges: 0..130 commas */
    for (size_t commas = 0; commas <= 130; commas++) {
        size_t n = 0;
        for (size_t i = 0; i < commas; i++) {
            if (i % 5 == 0) rec[n++] = 'v';
            rec[n++] = ',';
        }
        static const size_t kMax[] = {1, 2, 11, 12, 63, 64, 65, 66, 100, 129, 130, 131};
        for (size_t m = 0; m < sizeof kMax / sizeof kMax[0]; m++) {
            snprintf(what, sizeof what, "%zu commas, limit %zu", commas, kMax[m]);
            ts_checkFields(rec, n, kMax[m], what);
        }
    }
    /* past XJ_MAX_FIELD: a value too long, or many short ones, or a quote
     * at the very end */
    size_t const big = XJ_MAX_FIELD + 100;
    memset(rec, 'z', big);
    ts_checkFields(rec, big, 16, "one value over the limit");
    for (size_t i = 50; i < big; i += 50) rec[i] = ',';
    ts_checkFields(rec, big, 100000, "a long record of short values");
    ts_checkFields(rec, big, 1000, "a long record over the field limit");
    rec[big - 1] = '"';
    ts_checkFields(rec, big, 100000, "a long record ending in a quote");
    /* random dense records */
    for (int round = 0; round < 3000; round++) {
        size_t const n = ts_rand(300);
        ts_fill(rec, n, kDense, sizeof kDense);
        snprintf(what, sizeof what, "dense record, round %d", round);
        ts_checkFields(rec, n, 1 + ts_rand(40), what);
        ts_checkReused(rec, n, what);
    }
    ts_quotedRecords(rec);
}

int main(void)
{
    ts_best = rd_simdBest();
    printf("test_simd: levels up to %s\n", kLevelName[ts_best]);
    TC_CHECK(rd_simdCurrent() == ts_best, "the level in use is %d, the best %d", (int)rd_simdCurrent(), (int)ts_best);
    TC_CHECK(rd_simdSet(RD_SIMD_SCALAR) == RD_SIMD_SCALAR && rd_simdCurrent() == RD_SIMD_SCALAR, "set scalar");
    TC_CHECK(rd_simdSet(RD_SIMD_AVX2) == ts_best, "a level above the best falls back to it");
    ts_masks();
    ts_records();
    TC_CHECK(ps_fieldsInit(&ts_fast, 16) == XJ_OK && ps_fieldsInit(&ts_libcsv, 16) == XJ_OK, "ps_fieldsInit");
    ts_libcsv.force_libcsv = 1;
    ts_fields();
    ps_fieldsFree(&ts_fast);
    ps_fieldsFree(&ts_libcsv);
    return tc_finish("test_simd");
}
