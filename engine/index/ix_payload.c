/*
 * ix_payload — see ix_payload.h.
 */
#include "ix_payload.h"

#include <string.h>

#include "idcheck.h"
#include "ix_format.h"
#include "xj_status.h"

/* a block holds at most IX_BLOCK_RECORDS records of fields up to 64 KiB */
#define IX_BLOCK_MAX ((size_t)1 << 30)
#define IX_BASE_YEAR 1990u
#define IX_NO_CODE UINT32_MAX

enum { F0_SEX = 3u, F0_HAS_ID = 1u << 2, F0_NEXT_LINE = 1u << 3, F0_SAME_SCHOOL = 1u << 4,
       F0_SAME_COUNTY = 1u << 5, F0_EXTRA = 1u << 6 };
enum { SN_BYTES = 0, SN_PACKED = 1, SN_COMPACT_G = 2 };
enum { X_DATES_RAW = 1u };
#define CJK_FIRST 0x3400u      /* CJK Extension A .. Unified Ideographs: 27,648 code points */
#define CJK_LAST 0x9FFFu
#define CJK_MAX_CHARS 15u

/* ---- encoding ---- */

typedef struct ix_w {
    unsigned char *p;
} ix_w;

static void ix_putVarint(ix_w *w, uint64_t v)
{
    while (v >= 0x80) {
        *w->p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *w->p++ = (unsigned char)v;
}

static void ix_putBytes(ix_w *w, const char *s, uint32_t n)
{
    ix_putVarint(w, n);
    memcpy(w->p, s, n);
    w->p += n;
}

static void ix_putLE(ix_w *w, uint64_t v, int bytes)
{
    ix_storeLE(w->p, v, bytes);
    w->p += bytes;
}

static int ix_isDigit(char c)
{
    return c >= '0' && c <= '9';
}

/* 1 when the 8 bytes at s are ASCII digits: a byte 0x30..0x39 has high
 * nibble 3, and adding 6 does not carry it into 4. */
static inline int ix_digitsIn(uint64_t v)
{
    return (v & 0xF0F0F0F0F0F0F0F0ull) == 0x3030303030303030ull &&
           ((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) == 0x3030303030303030ull;
}

static inline int ix_eightAreDigits(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return ix_digitsIn(v);
}

/* The value of 8 ASCII digits, or UINT64_MAX when one is not a digit: one
 * 8-byte load and three multiply-shift steps that pair up digits, then
 * pairs, then quads, instead of eight dependent multiply-adds. */
static uint64_t ix_eightDigits(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8); /* s[0], the most significant digit, in the low byte */
    if (!ix_digitsIn(v)) return UINT64_MAX;
    v &= 0x0F0F0F0F0F0F0F0Full;
    v = (v * (10 * 256 + 1)) >> 8;
    v = ((v & 0x00FF00FF00FF00FFull) * (100 * 65536 + 1)) >> 16;
    v = ((v & 0x0000FFFF0000FFFFull) * (10000 * 4294967296ull + 1)) >> 32;
    return v & 0xFFFFFFFFull;
}

/* memcmp(a, b, n) == 0 for the short values compared once a record (codes,
 * an ID) without a library call: 8-byte loads at 0, 8 and n - 8 cover
 * 8..24 bytes. */
static inline uint64_t ix_load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t ix_load4(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline int ix_sameBytes(const char *a, const char *b, uint32_t n)
{
    if (n >= 4 && n < 8) return ix_load4(a) == ix_load4(b) && ix_load4(a + n - 4) == ix_load4(b + n - 4);
    if (n >= 8 && n <= 24)
        return ix_load8(a) == ix_load8(b) && ix_load8(a + n - 8) == ix_load8(b + n - 8) &&
               (n <= 16 || ix_load8(a + 8) == ix_load8(b + 8));
    if (n > 24) return memcmp(a, b, n) == 0;
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* A YYYYMMDD date as ((year - 1990) x 12 + month - 1) x 31 + day: two
 * varint bytes up to 2033, exact for any month 1-12 and day 1-31; 0 for no
 * date; -1 for what this cannot hold (the record then stores its dates as
 * numbers). */
static int64_t ix_dateCode(uint32_t yyyymmdd)
{
    if (yyyymmdd == 0) return 0;
    uint32_t const y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
    if (y < IX_BASE_YEAR || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
    return ((int64_t)(y - IX_BASE_YEAR) * 12 + (m - 1)) * 31 + d;
}

static int ix_dateDecode(uint64_t code, uint32_t *out)
{
    if (code == 0) {
        *out = 0;
        return 0;
    }
    uint64_t const d = (code - 1) % 31 + 1, ym = (code - 1) / 31;
    uint64_t const y = ym / 12 + IX_BASE_YEAR, m = ym % 12 + 1;
    if (y > 9999) return -1;
    *out = (uint32_t)(y * 10000 + m * 100 + d);
    return 0;
}

/* Writes the student number in the smallest form that holds it and returns
 * the form: SN_COMPACT_G for `G` + an 18-character ID whose region is the
 * county, whose date is the birth date and whose check character is right
 * (known right when it is the record's valid ID); SN_PACKED for letter +
 * 17 digits + [0-9X]; else SN_BYTES. */
static int ix_putStudentNo(ix_w *w, const ix_record *r)
{
    const char *const s = r->student_no;
    if (r->student_no_len != 19) goto bytes;
    /* letter + 17 digits (1-8 and 10-17 tested whole, 9 with the date) +
     * [0-9X]: tested even when the caller vouches for the ID, so a wrong
     * promise costs a larger form, never an undecodable block */
    uint64_t const date = ix_eightDigits(s + 7);
    if (date == UINT64_MAX || !ix_eightAreDigits(s + 1) || !ix_eightAreDigits(s + 10) ||
        (!ix_isDigit(s[18]) && s[18] != 'X'))
        goto bytes;
    uint64_t const seq = (uint64_t)(s[15] - '0') * 100 + (uint64_t)(s[16] - '0') * 10 + (uint64_t)(s[17] - '0');
    /* the common case: G + the record's own valid ID (its check character
     * known right), region = county, date = birth date */
    if (s[0] == 'G' && date == r->birth && r->county_len == 6 && ix_sameBytes(s + 1, r->county, 6) &&
        ((r->valid_id && ix_sameBytes(s + 1, r->valid_id, 18)) || id_checkChar(s + 1) == s[18])) {
        ix_putLE(w, seq, 2);
        return SN_COMPACT_G;
    }
    uint64_t region = 0;
    for (int i = 1; i <= 6; i++) region = region * 10 + (uint64_t)(s[i] - '0');
    *w->p++ = (unsigned char)s[0];
    ix_putLE(w, ((region * 100000000 + date) * 1000 + seq) * 11 + (s[18] == 'X' ? 10u : (uint64_t)(s[18] - '0')), 8);
    return SN_PACKED;
bytes:
    ix_putBytes(w, s, r->student_no_len);
    return SN_BYTES;
}

/* Writes the name and returns its CJK character count: 1..CJK_MAX_CHARS
 * ideographs (3-byte UTF-8 each) as u16 offsets; anything else as bytes
 * (count 0). */
static unsigned ix_putName(ix_w *w, const ix_record *r)
{
    const unsigned char *const s = (const unsigned char *)r->name;
    uint32_t const n = r->name_len;
    if (n == 0 || n % 3 || n / 3 > CJK_MAX_CHARS) goto bytes;
    unsigned char *const start = w->p;
    for (uint32_t i = 0; i < n; i += 3) {
        uint32_t const cp = (uint32_t)(s[i] & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
        if ((s[i] & 0xF0) != 0xE0 || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 || cp < CJK_FIRST ||
            cp > CJK_LAST) {
            w->p = start;
            goto bytes;
        }
        ix_putLE(w, cp - CJK_FIRST, 2);
    }
    return n / 3;
bytes:
    ix_putBytes(w, r->name, n);
    return 0;
}

/* A code: 1 when it is the previous record's (nothing written), else 0,
 * written and remembered. */
static inline int ix_putCode(ix_w *w, const char *s, uint32_t n, char *prev, uint32_t *prev_len)
{
    if (*prev_len == n && ix_sameBytes(prev, s, n)) return 1;
    ix_putBytes(w, s, n);
    *prev_len = n < 48 ? n : IX_NO_CODE;
    if (n < 48) memcpy(prev, s, n);
    return 0;
}

void ix_builderInit(ix_blockBuilder *b)
{
    memset(b, 0, sizeof *b);
    buf_init(&b->out, IX_BLOCK_MAX);
}

void ix_builderFree(ix_blockBuilder *b)
{
    buf_free(&b->out);
}

xj_error ix_blockBegin(ix_blockBuilder *b, uint32_t source, uint64_t first_line)
{
    buf_clear(&b->out);
    b->n = 0;
    b->source = source;
    b->prev_line = first_line - 1; /* so the first record is "the next line" */
    b->school_len = b->county_len = IX_NO_CODE;
    FORWARD_IF_ERROR(buf_reserve(&b->out, 4 + 20));
    ix_w w = {(unsigned char *)b->out.data};
    ix_putLE(&w, 0, 4); /* the count, set as records come */
    ix_putVarint(&w, source);
    ix_putVarint(&w, first_line);
    b->out.len = (size_t)((char *)w.p - b->out.data);
    return XJ_OK;
}

xj_error ix_encodeRecord(ix_blockBuilder *b, const ix_record *r)
{
    if (r->source != b->source || r->line <= b->prev_line || r->sex > 3 || r->has_id > 1) return XJ_ERR_INTERNAL;
    /* fixed parts take at most 2 + 10 + 3 + 2 x 10 + 9 bytes, each string
     * a varint length more than its bytes */
    size_t const most = 64 + (size_t)r->student_no_len + r->name_len + r->school_len + r->county_len;
    if (b->out.len + most >= b->out.cap) FORWARD_IF_ERROR(buf_reserve(&b->out, most)); /* room beyond len */
    unsigned char *const flags = (unsigned char *)b->out.data + b->out.len; /* filled last */
    ix_w w = {flags + 2};
    int const next_line = r->line == b->prev_line + 1;
    if (!next_line) ix_putVarint(&w, r->line - b->prev_line);
    int64_t const birth = ix_dateCode(r->birth), registered = ix_dateCode(r->registered);
    int const dates_raw = birth < 0 || registered < 0;
    int const extra = r->id_type != '1' || r->reason != 0 || dates_raw;
    if (extra) {
        *w.p++ = (unsigned char)r->id_type;
        *w.p++ = r->reason;
        *w.p++ = dates_raw ? X_DATES_RAW : 0;
    }
    ix_putVarint(&w, dates_raw ? r->birth : (uint64_t)birth);
    ix_putVarint(&w, dates_raw ? r->registered : (uint64_t)registered);
    int const same_school = ix_putCode(&w, r->school, r->school_len, b->school, &b->school_len);
    int const same_county = ix_putCode(&w, r->county, r->county_len, b->county, &b->county_len);
    int const sn_form = ix_putStudentNo(&w, r);
    unsigned const cjk = ix_putName(&w, r);
    flags[0] = (unsigned char)(r->sex | (r->has_id ? F0_HAS_ID : 0) | (next_line ? F0_NEXT_LINE : 0) |
                               (same_school ? F0_SAME_SCHOOL : 0) | (same_county ? F0_SAME_COUNTY : 0) |
                               (extra ? F0_EXTRA : 0));
    flags[1] = (unsigned char)(sn_form | cjk << 2);
    b->out.len = (size_t)((char *)w.p - b->out.data);
    b->prev_line = r->line;
    b->n++;
    ix_storeLE((unsigned char *)b->out.data, b->n, 4); /* the count so far */
    return XJ_OK;
}

const char *ix_blockBytes(const ix_blockBuilder *b, size_t *len)
{
    *len = b->out.len;
    return b->out.data;
}

char *ix_blockTake(ix_blockBuilder *b, size_t *len)
{
    xj_buf next;
    buf_init(&next, b->out.max);
    if (buf_reserve(&next, b->out.cap ? b->out.cap - 1 : 0) != XJ_OK) return NULL; /* cap counts the NUL */
    char *const bytes = b->out.data;
    *len = b->out.len;
    b->out = next;
    return bytes;
}

/* ---- decoding ---- */

typedef struct ix_reader {
    const unsigned char *p, *end;
    int bad;
} ix_reader;

static uint64_t ix_getVarint(ix_reader *rd)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (rd->p == rd->end) break;
        unsigned char const byte = *rd->p++;
        v |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) return v;
    }
    rd->bad = 1;
    return 0;
}

static uint64_t ix_getLE(ix_reader *rd, int bytes)
{
    if (rd->end - rd->p < bytes) {
        rd->bad = 1;
        return 0;
    }
    uint64_t const v = ix_loadLE(rd->p, bytes);
    rd->p += bytes;
    return v;
}

static const char *ix_getBytes(ix_reader *rd, uint32_t *len)
{
    uint64_t const n = ix_getVarint(rd);
    if (rd->bad || n > (uint64_t)(rd->end - rd->p)) {
        rd->bad = 1;
        *len = 0;
        return "";
    }
    const char *const s = (const char *)rd->p;
    rd->p += n;
    *len = (uint32_t)n;
    return s;
}

/* The student number of form `form` into `text`. */
static const char *ix_getStudentNo(ix_reader *rd, int form, const ix_record *r, char *text, uint32_t *len)
{
    if (form == SN_BYTES) return ix_getBytes(rd, len);
    char letter = 'G';
    uint64_t v;
    if (form == SN_PACKED) {
        letter = (char)ix_getLE(rd, 1);
        v = ix_getLE(rd, 8);
        if (v >= 100000000000000000ull * 11) rd->bad = 1;
    } else {
        uint64_t const seq = ix_getLE(rd, 2);
        /* region and date come from the record's county and birth date */
        if (seq > 999 || r->county_len != 6 || r->birth > 99999999) rd->bad = 1;
        v = 0;
        for (int i = 0; !rd->bad && i < 6; i++) {
            if (!ix_isDigit(r->county[i])) rd->bad = 1;
            v = v * 10 + (uint64_t)(r->county[i] - '0');
        }
        v = ((v * 100000000 + r->birth) * 1000 + seq) * 11; /* check character below */
    }
    if (rd->bad) {
        *len = 0;
        return "";
    }
    text[0] = letter;
    uint64_t const last = v % 11;
    uint64_t digits = v / 11;
    for (int i = 17; i >= 1; i--, digits /= 10) text[i] = (char)('0' + digits % 10);
    text[18] = form == SN_COMPACT_G ? id_checkChar(text + 1) : last == 10 ? 'X' : (char)('0' + last);
    *len = 19;
    return text;
}

static const char *ix_getCjkName(ix_reader *rd, unsigned chars, char *text, uint32_t *len)
{
    for (unsigned i = 0; i < chars; i++) {
        uint32_t const cp = (uint32_t)ix_getLE(rd, 2) + CJK_FIRST;
        if (rd->bad || cp > CJK_LAST) {
            rd->bad = 1;
            *len = 0;
            return "";
        }
        text[3 * i] = (char)(0xE0 | cp >> 12);
        text[3 * i + 1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        text[3 * i + 2] = (char)(0x80 | (cp & 0x3F));
    }
    *len = 3 * chars;
    return text;
}

int ix_decodeBlock(const char *raw, size_t len, ix_record *out, size_t max, char *text, size_t *n)
{
    *n = 0;
    ix_reader rd = {(const unsigned char *)raw, (const unsigned char *)raw + len, 0};
    uint64_t const count = ix_getLE(&rd, 4);
    uint64_t const source = ix_getVarint(&rd);
    uint64_t line = ix_getVarint(&rd);
    if (rd.bad || count > max || source > UINT16_MAX || line == 0 || line > UINT64_MAX / 2) return -1;
    line--;
    for (uint64_t i = 0; i < count; i++) {
        ix_record *const r = &out[i];
        ix_record const *const prev = i ? &out[i - 1] : NULL;
        char *const t = text + i * IX_TEXT_PER_RECORD;
        unsigned const f0 = (unsigned)ix_getLE(&rd, 1), f1 = (unsigned)ix_getLE(&rd, 1);
        if (rd.bad || (f0 & 0x80) || (f1 & 0xC0) || (!prev && (f0 & (F0_SAME_SCHOOL | F0_SAME_COUNTY))) ||
            (f1 & 3) == 3)
            return -1;
        uint64_t const step = (f0 & F0_NEXT_LINE) ? 1 : ix_getVarint(&rd);
        if (step == 0 || step > UINT64_MAX / 2 - line) return -1;
        line += step;
        r->line = line;
        r->valid_id = NULL;
        r->source = (uint32_t)source;
        r->sex = f0 & F0_SEX;
        r->has_id = (f0 & F0_HAS_ID) != 0;
        r->id_type = '1';
        r->reason = 0;
        unsigned x = 0;
        if (f0 & F0_EXTRA) {
            r->id_type = (char)ix_getLE(&rd, 1);
            r->reason = (uint8_t)ix_getLE(&rd, 1);
            x = (unsigned)ix_getLE(&rd, 1);
            if (x & ~X_DATES_RAW) return -1;
        }
        uint64_t const birth = ix_getVarint(&rd), registered = ix_getVarint(&rd);
        if (rd.bad) return -1;
        if (x & X_DATES_RAW) {
            if (birth > UINT32_MAX || registered > UINT32_MAX) return -1;
            r->birth = (uint32_t)birth;
            r->registered = (uint32_t)registered;
        } else if (ix_dateDecode(birth, &r->birth) != 0 || ix_dateDecode(registered, &r->registered) != 0) {
            return -1;
        }
        if (f0 & F0_SAME_SCHOOL) {
            r->school = prev->school;
            r->school_len = prev->school_len;
        } else {
            r->school = ix_getBytes(&rd, &r->school_len);
        }
        if (f0 & F0_SAME_COUNTY) {
            r->county = prev->county;
            r->county_len = prev->county_len;
        } else {
            r->county = ix_getBytes(&rd, &r->county_len);
        }
        int const sn_form = (int)(f1 & 3);
        unsigned const cjk = (f1 >> 2) & 0xF;
        r->student_no = ix_getStudentNo(&rd, sn_form, r, t, &r->student_no_len);
        r->name = cjk ? ix_getCjkName(&rd, cjk, t + 19, &r->name_len) : ix_getBytes(&rd, &r->name_len);
        if (rd.bad) return -1;
    }
    if (rd.p != rd.end) return -1;
    *n = count;
    return 0;
}
