/*
 * fuzz_csv — the reader, the record splitter, the field parser, the header
 * mapping and the record checks, on arbitrary bytes.
 *
 * The input is one file, read the way a scan reads it: rd_open (plain, or
 * zstd when it starts with the zstd magic; several frames decoded on two
 * workers and handed to the splitter whole where they can be), rd_split
 * with a 4 KiB target so records straddle chunks and reads, the header mapped to a schema, then
 * every record parsed by a UTF-8 worker and, when it holds a byte of 0x80
 * or more, by a GB 18030 worker, and checked.
 *
 * Invariants, each an abort when broken:
 *  - the chunks, concatenated, are the input (its BOM dropped) byte for byte,
 *    as long as no record was overlong; between records lie only blank lines
 *    ("" or "\r", counted exactly in blank_lines) and the header;
 *  - every record lies in its chunk, ends at an LF outside quotes (or at the
 *    end of input), holds no LF outside quotes, is not blank, and starts on
 *    the line given by counting LFs before it; lines strictly increase;
 *  - a record still inside quotes is the last one and flagged unterminated;
 *  - the fast field splitter and libcsv agree on every record;
 *  - the chunk-wide UTF-8 check agrees with the per-record one, and a chunk
 *    found clean holds only clean records;
 *  - a record of ASCII bytes decodes from GB 18030 to itself;
 *  - ps_parseRecord's verdict follows from encoding, split and schema; the
 *    view points at the schema's columns; ck_analyze gives facts in range;
 *  - a zstd input decodes to the same bytes and verdict as a one-shot
 *    reference decode (fuzz_zstd.h).
 * When the header does not map (most random inputs), records are parsed with
 * an identity schema, so the record path is fuzzed whatever the header says.
 *
 * Only the first FZ_PARSE_RECORDS records of an input are parsed; the
 * records after them get the reader's checks (bytes, bounds, lines, quotes,
 * blank lines, overlong records) but not the parse checks. A .zst input of
 * a few hundred bytes that decodes to a MiB of one-byte records otherwise
 * cost the parse checks of half a million records, half a second, and
 * taught the fuzzer nothing the first thousands had not. No plain input of
 * the corpus or of a run's corpus has come near the bound (none had 2,048
 * lines).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ck_record.h"
#include "idcheck.h"
#include "normalize.h"
#include "ps_record.h"
#include "ps_schema.h"
#include "ps_text.h"
#include "rd_input.h"
#include "rd_simd.h"
#include "rd_split.h"

#include "fuzz_common.h"
#include "fuzz_zstd.h"

#define FZ_TARGET 4096              /* chunk target: the smallest the splitter takes */
#define FZ_MAX_DECODED (2u << 20)   /* zstd inputs decoding to more are skipped: twice the
                                       record limit, so overlong records and headers stay in */
#define FZ_PARSE_RECORDS 8192       /* records of an input parsed, at most */
#define FZ_MAX_COLUMNS 4096         /* the scan's header limit (scan_internal.h) */
#define FZ_RUN_DATE 20261128u

/* What the harness knows about the input stream, to check chunks against. */
typedef struct fz_stream {
    const char *exp;      /* decoded input without its BOM; NULL: unknown */
    size_t exp_len;
    size_t pos;           /* offset in exp of the next chunk's first byte */
    size_t lf_at;         /* LFs in exp[0..lf_at) are counted in lf_count */
    uint64_t lf_count;
    int exact;            /* chunks still map onto exp (no overlong so far) */
    int header_pending;   /* the header's bytes are still to be met in a gap */
    int header_open;      /* the header ends inside quotes (at the end of input) */
    int ended;            /* a chunk ended without LF: it must be the last */
    uint64_t last_line;   /* line of the previous record */
    size_t parsed;        /* records parsed so far (FZ_PARSE_RECORDS) */
} fz_stream;

/* Parsing state. All but the schema lives for the whole run (fz_parseState). */
typedef struct fz_parse {
    ps_schema schema;      /* mapped, or the identity fallback */
    ps_fields plain;       /* splitter taking the fast path when it can */
    ps_fields forced;      /* splitter always using libcsv */
    ps_worker utf8;        /* record parser for UTF-8 input */
    ps_worker gbk;         /* record parser for GB 18030 input */
    ck_scratch ck;         /* ck_analyze's scratch */
    id_context ctx;        /* run date, no region table */
    xj_buf header;         /* the input's header line */
    xj_buf text;           /* the header as UTF-8 */
} fz_parse;

/* Walks a record with RFC 4180 quoting as the splitter defines it (a quote
 * opens a quoted field only at the start of a field). Aborts on an LF
 * outside quotes; returns 1 when the record ends inside quotes. It moves by
 * memchr, not byte by byte: libFuzzer traces every compare in this file,
 * and a traced compare per byte of every record cost a fifth of the run. */
static int fz_quoteWalk(const char *s, size_t n)
{
    size_t i = 0; /* the start of a field */
    for (;;) {
        if (i < n && s[i] == '"') {
            /* a quoted part: up to a quote that is not doubled */
            size_t j = i + 1;
            for (;;) {
                const char *const q = memchr(s + j, '"', n - j);
                if (q == NULL) return 1;
                j = (size_t)(q - s) + 1;
                if (j < n && s[j] == '"') j++;
                else break;
            }
            i = j;
        }
        /* the rest of the field is plain (a quote in it is a literal) */
        const char *const comma = memchr(s + i, ',', n - i);
        size_t const end = comma ? (size_t)(comma - s) : n;
        FZ_ASSERT(memchr(s + i, '\n', end - i) == NULL);
        if (comma == NULL) return 0;
        i = end + 1;
    }
}

/* Line of exp's byte at `off`: 1 + LFs before it (offsets never go back). */
static uint64_t fz_lineAt(fz_stream *z, size_t off)
{
    FZ_ASSERT(off >= z->lf_at && off <= z->exp_len);
    if (off == z->lf_at) return 1 + z->lf_count; /* exp may be NULL when empty */
    const char *p = z->exp + z->lf_at, *const end = z->exp + off;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        z->lf_count++;
        p++;
    }
    z->lf_at = off;
    return 1 + z->lf_count;
}

/* Consumes the bytes between records, data[*p..stop): blank lines and, once,
 * the header. Returns the blank lines seen. */
static uint64_t fz_walkGap(fz_stream *z, const rd_chunk *c, size_t *p, size_t stop, const xj_buf *header)
{
    const char *const d = c->data;
    uint64_t blanks = 0;
    while (*p < stop) {
        size_t i = *p;
        if (d[i] == '\n') {
            blanks++;
            *p = i + 1;
            continue;
        }
        if (d[i] == '\r' && (i + 1 == c->len || d[i + 1] == '\n')) {
            blanks++;
            *p = i + 1 + (i + 1 < c->len);
            continue;
        }
        /* anything else is the header: its bytes, one CR it lost, its LF */
        FZ_ASSERT(z->header_pending);
        FZ_ASSERT(header->len > 0 && c->len - i >= header->len);
        FZ_ASSERT(memcmp(d + i, header->data, header->len) == 0);
        i += header->len;
        if (i < c->len && d[i] == '\r' && (i + 1 == c->len || d[i + 1] == '\n')) i++;
        FZ_ASSERT(i == c->len || d[i] == '\n');
        if (i < c->len) i++;
        z->header_pending = 0;
        *p = i;
    }
    FZ_ASSERT(*p == stop);
    return blanks;
}

/* Reasons are numbers (xj_reject), so the harness's own checks, several a
 * record, compare no strings: libFuzzer hooks strcmp and memcmp to learn the
 * compared bytes, which for those checks had been a tenth of the run. */

/* The reasons parsing a record can give (not out of memory, not an
 * overlong record, which the splitter finds, nor sex or birth date). */
static int fz_isParseReject(xj_reject r)
{
    switch (r) {
    case XJ_REJECT_ENCODING:
    case XJ_REJECT_BAD_QUOTE:
    case XJ_REJECT_UNTERMINATED_QUOTE:
    case XJ_REJECT_FIELD_TOO_LONG:
    case XJ_REJECT_FIELD_COUNT:
    case XJ_REJECT_MISSING_STUDENT_NO:
    case XJ_REJECT_MISSING_NAME:
    case XJ_REJECT_MISSING_SEX:
    case XJ_REJECT_MISSING_BIRTH_DATE:
    case XJ_REJECT_MISSING_SCHOOL_CODE: return 1;
    default: return 0;
    }
}

static int fz_isMissingField(xj_reject r)
{
    return r >= XJ_REJECT_MISSING_STUDENT_NO && r <= XJ_REJECT_MISSING_SCHOOL_CODE;
}

static xj_reject fz_fieldErrorReason(ps_fieldError e)
{
    switch (e) {
    case PS_FIELDS_OK: return XJ_REJECT_NONE;
    case PS_FIELDS_BAD_QUOTE: return XJ_REJECT_BAD_QUOTE;
    case PS_FIELDS_UNTERMINATED: return XJ_REJECT_UNTERMINATED_QUOTE;
    case PS_FIELDS_TOO_LONG: return XJ_REJECT_FIELD_TOO_LONG;
    case PS_FIELDS_TOO_MANY: return XJ_REJECT_FIELD_COUNT;
    case PS_FIELDS_NOMEM: break;
    }
    FZ_ASSERT(0 && "splitting ran out of memory");
    return XJ_REJECT_NONE;
}

static int fz_isDate(uint32_t d)
{
    uint32_t const y = d / 10000, m = d / 100 % 100, day = d % 100;
    return y >= 1000 && y <= 9999 && m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

/* The facts ck_analyze gave for an accepted record. */
static void fz_checkFacts(const ps_view *v, const ck_facts *f)
{
    FZ_ASSERT(f->sex == 1 || f->sex == 2);
    FZ_ASSERT(fz_isDate(f->birth));
    uint32_t const registered = ck_registered(v);
    FZ_ASSERT(registered == 0 || fz_isDate(registered));
    FZ_ASSERT(f->id_type != 0 && strchr("16789AZ", f->id_type) != NULL);
    FZ_ASSERT(f->id_len <= v->len[PS_ID_NUMBER]);
    FZ_ASSERT((unsigned)f->id_res.reason < XJ_ID_REASON_COUNT);
    if (f->id_len == 0) FZ_ASSERT(f->id_res.space == ID_KEY_NONE);
    if (f->id_res.space == ID_KEY_GB) {
        char id18[18];
        id_unpack18(f->id_res.gb, id18);
        FZ_ASSERT(id_pack18(id18) == f->id_res.gb);
    }
}

/* 1 when no byte has its high bit set: such text reads the same in GB 18030
 * as in UTF-8 (both are ASCII there). */
static int fz_isAscii(const char *s, size_t n)
{
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080u) return 0;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* What a worker made of a record: a parse reject, or a view of the schema's
 * columns whose facts are in range. */
static void fz_parsed(fz_parse *p, ps_worker *w, xj_reject reject, const ps_view *v)
{
    if (reject != XJ_REJECT_NONE) {
        FZ_ASSERT(fz_isParseReject(reject));
        return;
    }
    FZ_ASSERT(v->fields == &w->fields && w->fields.n == p->schema.n_columns);
    for (int f = 0; f < PS_FIELD_COUNT; f++) {
        int const col = p->schema.col_of[f];
        if (col < 0) {
            FZ_ASSERT(v->len[f] == 0);
            continue;
        }
        FZ_ASSERT(v->val[f] == ps_value(&w->fields, (size_t)col) && v->len[f] == w->fields.len[col]);
    }
    ck_facts facts;
    xj_reject const bad = ck_analyze(&p->ctx, v, &p->ck, &facts);
    if (bad != XJ_REJECT_NONE) {
        FZ_ASSERT(bad == XJ_REJECT_BAD_SEX || bad == XJ_REJECT_BAD_BIRTH_DATE);
        return;
    }
    fz_checkFacts(v, &facts);
    /* the record is clean UTF-8 by now: only the buffer limit can fail */
    xj_error const err = ck_name(v, &p->ck);
    FZ_ASSERT(err == XJ_OK || err == XJ_ERR_LIMIT);
}

/* One record through both splitters, both workers and the checks.
 *
 * Each distinct piece of work is done once (fixtures/fuzz/README.md, "csv,
 * second pass"): the fast splitter's answer is the UTF-8 worker's own split when the
 * worker splits (clean UTF-8), and a split by `plain` only when it does not;
 * either way libcsv splits the record too and must agree. A record of ASCII
 * bytes decodes from GB 18030 to itself, which is checked; the GB 18030
 * worker would then split and check those very bytes again, so it parses
 * only records with a byte of 0x80 or more. */
static void fz_record(fz_parse *p, const char *rec, size_t n, int unterminated)
{
    size_t const max_fields = p->schema.n_columns + 1; /* as pass 1 sets it */
    p->plain.max_fields = p->forced.max_fields = max_fields;
    p->utf8.fields.max_fields = p->gbk.fields.max_fields = max_fields;

    int const clean = ps_isCleanUtf8(rec, n);
    FZ_ASSERT(ps_isCleanUtf8Bulk(rec, n) == clean); /* the chunk-wide check answers the same */
    if (p->utf8.text_checked) FZ_ASSERT(clean);      /* a clean chunk holds clean records */
    ps_view v;
    xj_reject const reject = ps_parseRecord(&p->utf8, &p->schema, rec, n, unterminated, &v);
    /* ps_splitFields returns the splitter's error field, so after the
     * worker's split that field is what the split returned */
    ps_fields *const fast = clean ? &p->utf8.fields : &p->plain;
    ps_fieldError const ea = clean ? fast->error : ps_splitFields(&p->plain, rec, n, unterminated);
    ps_fieldError const eb = ps_splitFields(&p->forced, rec, n, unterminated);
    FZ_ASSERT(ea == eb);
    if (ea == PS_FIELDS_OK) {
        FZ_ASSERT(fast->n == p->forced.n && fast->n >= 1);
        size_t total = 0;
        for (size_t i = 0; i < fast->n; i++) {
            FZ_ASSERT(fast->len[i] == p->forced.len[i]);
            FZ_ASSERT(memcmp(ps_value(fast, i), ps_value(&p->forced, i), fast->len[i]) == 0);
            total += fast->len[i];
        }
        size_t const body = n && rec[n - 1] == '\r' && !unterminated ? n - 1 : n;
        if (memchr(rec, '"', n) == NULL) FZ_ASSERT(total + fast->n - 1 == body);
        else FZ_ASSERT(total + fast->n - 1 <= body);
    }

    /* the UTF-8 verdict follows from what was checked above */
    xj_reject expect = XJ_REJECT_NONE;
    if (!clean) expect = XJ_REJECT_ENCODING;
    else if (ea != PS_FIELDS_OK) expect = fz_fieldErrorReason(ea);
    else if (fast->n != p->schema.n_columns) expect = XJ_REJECT_FIELD_COUNT;
    if (expect != XJ_REJECT_NONE) FZ_ASSERT(reject == expect);
    else FZ_ASSERT(reject == XJ_REJECT_NONE || fz_isMissingField(reject));
    fz_parsed(p, &p->utf8, reject, &v);

    if (fz_isAscii(rec, n)) {
        FZ_ASSERT(ps_decodeGb18030(p->gbk.gbk, rec, n, &p->gbk.decoded) == XJ_OK);
        FZ_ASSERT(p->gbk.decoded.len == n && memcmp(p->gbk.decoded.data, rec, n) == 0);
        return;
    }
    ps_view g;
    xj_reject const greject = ps_parseRecord(&p->gbk, &p->schema, rec, n, unterminated, &g);
    fz_parsed(p, &p->gbk, greject, &g);
}

/* The splitters, workers and scratch, made once and kept for every input,
 * as a scan keeps them for every chunk of a file: making them (an iconv
 * descriptor among them) cost more than most inputs. Only capacity carries
 * over: each split starts from a cleared arena and a finished or fresh
 * libcsv parser, each GB 18030 decode from iconv's initial state. The
 * schema is the input's own; it starts zeroed. */
static fz_parse *fz_parseState(void)
{
    static fz_parse p;
    static int ready;
    if (!ready) {
        p.ctx.run_date = FZ_RUN_DATE;
        FZ_ASSERT(ps_fieldsInit(&p.plain, FZ_MAX_COLUMNS) == XJ_OK);
        FZ_ASSERT(ps_fieldsInit(&p.forced, FZ_MAX_COLUMNS) == XJ_OK);
        p.forced.force_libcsv = 1;
        FZ_ASSERT(ps_workerInit(&p.utf8, 0, FZ_MAX_COLUMNS) == XJ_OK);
        FZ_ASSERT(ps_workerInit(&p.gbk, 1, FZ_MAX_COLUMNS) == XJ_OK); /* XJ_ERR_INPUT: iconv lacks GB 18030 */
        FZ_ASSERT(ck_scratchInit(&p.ck) == XJ_OK);
        buf_init(&p.header, 2u * XJ_MAX_RECORD);
        buf_init(&p.text, 4u * XJ_MAX_RECORD);
        ready = 1;
    }
    memset(&p.schema, 0, sizeof p.schema);
    return &p;
}

/* Maps the header like the scan does (UTF-8, else GB 18030), or falls back
 * to an identity schema over however many columns the header seems to have. */
static void fz_header(fz_parse *p, const xj_buf *raw, int found)
{
    static const char *const kMaps[] = {"student_no=学号", "name = 名字 "};
    static ps_userMap maps[2];
    static int maps_ready;
    xj_status st;
    for (size_t i = 0; i < 2; i++) {
        if (!maps_ready) {
            st_init(&st);
            FZ_ASSERT(ps_parseUserMap(kMaps[i], &maps[i], &st) == XJ_OK);
        }
        maps[i].seen = 0; /* as parsed: ps_mapHeader sets it */
    }
    maps_ready = 1;
    xj_buf *const text = &p->text;
    buf_clear(text);
    int have_text = 0;
    if (found && memchr(raw->data, '\0', raw->len) == NULL) {
        if (ps_isCleanUtf8(raw->data, raw->len)) {
            FZ_ASSERT(buf_append(text, raw->data, raw->len) == XJ_OK);
            have_text = 1;
        } else if (ps_decodeGb18030(p->gbk.gbk, raw->data, raw->len, text) == XJ_OK) {
            have_text = ps_isCleanUtf8(text->data, text->len);
        }
    }
    size_t columns = PS_FIELD_COUNT;
    int mapped = 0;
    ps_fields *const f = &p->plain;
    if (have_text) {
        f->max_fields = p->forced.max_fields = FZ_MAX_COLUMNS;
        ps_fieldError const e = ps_splitFields(f, text->data, text->len, 0);
        FZ_ASSERT(ps_splitFields(&p->forced, text->data, text->len, 0) == e);
        if (e == PS_FIELDS_OK) {
            columns = f->n;
            const char **const names = malloc(f->n * sizeof *names);
            FZ_ASSERT(names != NULL);
            for (size_t c = 0; c < f->n; c++) names[c] = ps_value(f, c);
            ps_columns cols = {0};
            st_init(&st);
            xj_error const err = ps_mapHeader(names, f->len, f->n, maps, 2, "fuzz.csv", &cols, &p->schema, &st);
            if (err == XJ_OK) {
                mapped = 1;
                FZ_ASSERT(p->schema.n_columns == f->n);
                unsigned char *const seen = calloc(cols.n + 1, 1);
                FZ_ASSERT(seen != NULL);
                for (size_t c = 0; c < f->n; c++) {
                    /* each column's output name is its trimmed header */
                    const char *h = names[c];
                    size_t hn = f->len[c];
                    xj_trim(&h, &hn);
                    uint32_t const oc = p->schema.out_col[c];
                    FZ_ASSERT(oc < cols.n && strlen(cols.names[oc]) == hn && memcmp(cols.names[oc], h, hn) == 0);
                    /* no two columns share an output name (a mark per name:
                     * a pairwise check cost 8 million compares a 4096-column header) */
                    FZ_ASSERT(!seen[oc]);
                    seen[oc] = 1;
                }
                free(seen);
                for (int a = 0; a < PS_FIELD_COUNT; a++) {
                    int const col = p->schema.col_of[a];
                    FZ_ASSERT(col >= -1 && col < (int)f->n);
                    if (ps_fieldRequired((ps_field)a)) FZ_ASSERT(col >= 0);
                    for (int b = 0; b < a; b++) FZ_ASSERT(col < 0 || p->schema.col_of[b] != col);
                }
            } else {
                FZ_ASSERT(err == XJ_ERR_INPUT && st.code == XJ_ERR_INPUT && strstr(st.message, "line 1") != NULL);
                ps_schemaFree(&p->schema);
            }
            ps_columnsFree(&cols);
            free(names);
        }
    }
    if (!mapped) {
        memset(&p->schema, 0, sizeof p->schema);
        p->schema.n_columns = columns;
        for (int a = 0; a < PS_FIELD_COUNT; a++) p->schema.col_of[a] = (size_t)a < columns ? a : -1;
    }
}

/* Checks one chunk against the stream and parses its records. */
static void fz_chunk(fz_stream *z, fz_parse *p, const rd_chunk *c, const xj_buf *header)
{
    FZ_ASSERT(c->len <= c->cap && c->n_recs <= c->cap_recs);
    FZ_ASSERT(!z->ended || (c->len == 0 && c->n_recs == 0)); /* nothing after the end */
    if (c->n_overlong > 0) z->exact = 0; /* its skipped bytes are gone from data */
    for (size_t i = 0; i < c->n_overlong; i++) {
        FZ_ASSERT(c->overlong[i].raw_len == XJ_MAX_RECORD && c->overlong[i].line >= 1);
    }
    if (z->exact) {
        FZ_ASSERT(z->pos + c->len <= z->exp_len && memcmp(c->data, z->exp + z->pos, c->len) == 0);
        FZ_ASSERT(c->first_line == fz_lineAt(z, z->pos));
    }
    /* as pass 1 does: a chunk found clean UTF-8 as a whole spares the UTF-8
     * worker its check of each record */
    if (z->parsed < FZ_PARSE_RECORDS) p->utf8.text_checked = ps_isCleanUtf8Bulk(c->data, c->len);
    size_t at = 0;
    uint64_t blanks = 0;
    for (size_t i = 0; i < c->n_recs; i++) {
        rd_record const r = c->recs[i];
        FZ_ASSERT(r.start < r.end && r.end <= c->len);
        FZ_ASSERT(r.end == c->len || c->data[r.end] == '\n');
        FZ_ASSERT(!(r.end - r.start == 1 && c->data[r.start] == '\r'));
        if (i > 0) FZ_ASSERT(c->recs[i - 1].end < r.start);
        uint64_t const line = c->first_line + r.line_delta;
        FZ_ASSERT(line > z->last_line);
        z->last_line = line;
        const char *const rec = c->data + r.start;
        size_t const n = r.end - r.start;
        int const open_quote = fz_quoteWalk(rec, n);
        int const last = i + 1 == c->n_recs;
        if (open_quote) FZ_ASSERT(last && r.end == c->len && c->unterminated);
        if (last && c->unterminated) FZ_ASSERT(open_quote);
        if (z->exact) {
            blanks += fz_walkGap(z, c, &at, r.start, header);
            FZ_ASSERT(line == fz_lineAt(z, z->pos + r.start));
            at = r.end + (r.end < c->len);
        }
        if (z->parsed < FZ_PARSE_RECORDS) {
            z->parsed++;
            fz_record(p, rec, n, last && c->unterminated);
        }
    }
    /* the flag may be left over from the header: with no data record after
     * it, it then names no record (rd_readHeader does not clear it) */
    if (c->n_recs == 0) FZ_ASSERT(!c->unterminated || z->header_open);
    if (z->exact) {
        blanks += fz_walkGap(z, c, &at, c->len, header);
        FZ_ASSERT(blanks == c->blank_lines);
        z->pos += c->len;
    }
    if (c->len > 0 && c->data[c->len - 1] != '\n') z->ended = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t kMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    int const zstd = size >= 4 && memcmp(data, kMagic, 4) == 0;
    static uint8_t *decoded; /* allocated once: a fresh 4 MiB per input is slow */
    size_t decoded_len = size;
    fz_zstdVerdict verdict = FZ_ZSTD_OK;
    if (zstd) {
        if (decoded == NULL) decoded = malloc(FZ_MAX_DECODED);
        FZ_ASSERT(decoded != NULL);
        verdict = fz_zstdDecode(data, size, decoded, FZ_MAX_DECODED, &decoded_len);
        if (verdict == FZ_ZSTD_TOO_BIG) return 0; /* a bomb: the zst target covers those */
    }
    const char *const bytes = zstd ? (const char *)decoded : (const char *)data;
    if (verdict == FZ_ZSTD_OK)
        FZ_ASSERT(ps_isCleanUtf8Bulk(bytes, decoded_len) == ps_isCleanUtf8(bytes, decoded_len));
    fz_stream z = {0};
    if (verdict == FZ_ZSTD_OK) {
        int const bom = decoded_len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0;
        z.exp = bytes + 3 * bom;
        z.exp_len = decoded_len - 3 * bom;
        z.exact = 1;
    }

    /* the splitters' SIMD level (rd_simd.h) varies with the input, so the
     * invariants hold the scalar, SSE2 and AVX2 scans alike */
    rd_simdSet((rd_simdLevel)(size % 3));
    xj_status st;
    st_init(&st);
    rd_input *in = NULL;
    xj_error err = rd_open(fz_path(data, size, 0), NULL, &in, &st);
    FZ_ASSERT(err == XJ_OK);
    rd_setThreads(in, 2); /* a .zst of several frames decoded on workers, whatever the machine */
    rd_splitter *sp = NULL;
    FZ_ASSERT(rd_splitterCreate(in, 0, FZ_TARGET, &sp, &st) == XJ_OK);
    rd_splitterTakeFrames(sp); /* as a scan's pass 1: frames handed over whole where they can be */

    fz_parse *const p = fz_parseState();
    xj_buf *const header = &p->header;
    buf_clear(header);
    int found = 0;
    err = rd_readHeader(sp, header, &found, &st);
    if (err == XJ_OK) {
        if (found) FZ_ASSERT(header->len > 0); /* a header is never blank */
        z.header_pending = found;
        z.header_open = found && fz_quoteWalk(header->data, header->len);
        fz_header(p, header, found);
        for (int done = 0; err == XJ_OK && !done;) {
            rd_chunk c;
            err = rd_nextChunk(sp, &c, &done, &st);
            if (err == XJ_OK && !done) fz_chunk(&z, p, &c, header);
            rd_recycleChunk(sp, &c);
        }
        ps_schemaFree(&p->schema);
    }
    if (err != XJ_OK) {
        /* the only failures: bad zstd data, or a header over the record limit */
        FZ_ASSERT(err == XJ_ERR_INPUT && st.code == XJ_ERR_INPUT && st.message[0] != '\0');
        FZ_ASSERT(zstd || size > XJ_MAX_RECORD);
        /* on data libzstd decodes whole, rd_input refuses only a frame shorter
         * than its header declares, on purpose (fuzz_zst.c) */
        if (zstd && verdict == FZ_ZSTD_OK)
            FZ_ASSERT(strstr(st.message, "header line is longer") != NULL ||
                      strstr(st.message, "but its header declares") != NULL);
    } else {
        FZ_ASSERT(verdict == FZ_ZSTD_OK); /* rd_input accepted what the reference refused */
        if (z.exact && z.header_pending) {
            /* no chunk came after the header: the input ends with it */
            size_t const rest = z.exp_len - z.pos;
            FZ_ASSERT(rest >= header->len && memcmp(z.exp + z.pos, header->data, header->len) == 0);
            size_t i = z.pos + header->len;
            if (i < z.exp_len && z.exp[i] == '\r') i++;
            if (i < z.exp_len && z.exp[i] == '\n') i++;
            z.pos = i;
        }
        if (z.exact) FZ_ASSERT(z.pos == z.exp_len);
        FZ_ASSERT(rd_decodedBytes(in) == decoded_len);
        FZ_ASSERT(rd_rawBytes(in) == size);
    }

    rd_splitterFree(sp);
    rd_close(in);
    return 0;
}
