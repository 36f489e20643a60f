/*
 * ix_payload — see ix_payload.h.
 */
#include "ix_payload.h"

#include <string.h>

#include "xj_status.h"

/* a block holds at most IX_BLOCK_RECORDS records of fields up to 64 KiB */
#define IX_COLUMN_MAX ((size_t)1 << 30)

enum { COL_PLACE, COL_DATES, COL_FLAGS, COL_SCHOOL, COL_COUNTY, COL_STUDENT_NO, COL_NAME };

static xj_error ix_putVarint(xj_buf *b, uint64_t v)
{
    char tmp[10];
    size_t n = 0;
    do {
        unsigned char byte = (unsigned char)(v & 0x7F);
        v >>= 7;
        if (v) byte |= 0x80;
        tmp[n++] = (char)byte;
    } while (v);
    return buf_append(b, tmp, n);
}

static xj_error ix_putString(xj_buf *b, const char *s, uint32_t n)
{
    FORWARD_IF_ERROR(ix_putVarint(b, n));
    return buf_append(b, s, n);
}

/* School and county codes repeat from record to record (a register lists a
 * school's students together): 0 means "as the previous record", n + 1 a
 * value of n bytes. Fewer raw bytes make compression cheaper. *at is where
 * the column holds the value (kept for the next record; offsets, as the
 * column may move when it grows). */
static xj_error ix_putRepeat(xj_buf *b, const char *s, uint32_t n, size_t *at, uint32_t *at_len, int have_prev)
{
    if (have_prev && *at_len == n && memcmp(b->data + *at, s, n) == 0) return ix_putVarint(b, 0);
    FORWARD_IF_ERROR(ix_putVarint(b, (uint64_t)n + 1));
    *at = b->len;
    *at_len = n;
    return buf_append(b, s, n);
}

void ix_builderInit(ix_blockBuilder *b)
{
    memset(b, 0, sizeof *b);
    for (int c = 0; c < IX_COLUMNS; c++) buf_init(&b->col[c], IX_COLUMN_MAX);
}

void ix_builderFree(ix_blockBuilder *b)
{
    for (int c = 0; c < IX_COLUMNS; c++) buf_free(&b->col[c]);
}

void ix_blockBegin(ix_blockBuilder *b)
{
    for (int c = 0; c < IX_COLUMNS; c++) buf_clear(&b->col[c]);
    b->n = 0;
}

xj_error ix_encodeRecord(ix_blockBuilder *b, const ix_record *r)
{
    int const same = b->n && b->prev_source == r->source;
    if (same && r->line < b->prev_line) return XJ_ERR_INTERNAL; /* a block's records are in input order */
    unsigned char const flags[3] = {(unsigned char)(r->sex | r->has_id << 2), (unsigned char)r->id_type, r->reason};
    FORWARD_IF_ERROR(ix_putVarint(&b->col[COL_PLACE], r->source));
    FORWARD_IF_ERROR(ix_putVarint(&b->col[COL_PLACE], same ? r->line - b->prev_line : r->line));
    FORWARD_IF_ERROR(ix_putVarint(&b->col[COL_DATES], r->registered));
    FORWARD_IF_ERROR(ix_putVarint(&b->col[COL_DATES], r->birth));
    FORWARD_IF_ERROR(buf_append(&b->col[COL_FLAGS], flags, 3));
    FORWARD_IF_ERROR(ix_putRepeat(&b->col[COL_SCHOOL], r->school, r->school_len, &b->prev_school_at,
                                  &b->prev_school_len, b->n > 0));
    FORWARD_IF_ERROR(ix_putRepeat(&b->col[COL_COUNTY], r->county, r->county_len, &b->prev_county_at,
                                  &b->prev_county_len, b->n > 0));
    FORWARD_IF_ERROR(ix_putString(&b->col[COL_STUDENT_NO], r->student_no, r->student_no_len));
    FORWARD_IF_ERROR(ix_putString(&b->col[COL_NAME], r->name, r->name_len));
    b->prev_source = r->source;
    b->prev_line = r->line;
    b->n++;
    return XJ_OK;
}

xj_error ix_blockFinish(const ix_blockBuilder *b, xj_buf *raw)
{
    buf_clear(raw);
    unsigned char const count[4] = {(unsigned char)b->n, (unsigned char)(b->n >> 8), (unsigned char)(b->n >> 16),
                                     (unsigned char)(b->n >> 24)};
    FORWARD_IF_ERROR(buf_append(raw, count, 4));
    for (int c = 0; c < IX_COLUMNS; c++) {
        FORWARD_IF_ERROR(ix_putVarint(raw, b->col[c].len));
        if (b->col[c].len) FORWARD_IF_ERROR(buf_append(raw, b->col[c].data, b->col[c].len));
    }
    return XJ_OK;
}

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

/* ix_putRepeat's encoding; `prev` is the previous record's value. */
static const char *ix_getRepeat(ix_reader *rd, uint32_t *len, const char *prev, uint32_t prev_len, int have_prev)
{
    uint64_t const code = ix_getVarint(rd);
    if (!rd->bad && code == 0 && have_prev) {
        *len = prev_len;
        return prev;
    }
    if (rd->bad || code == 0 || code - 1 > (uint64_t)(rd->end - rd->p)) {
        rd->bad = 1;
        *len = 0;
        return "";
    }
    const char *const s = (const char *)rd->p;
    rd->p += code - 1;
    *len = (uint32_t)(code - 1);
    return s;
}

static const char *ix_getString(ix_reader *rd, uint32_t *len)
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

int ix_decodeBlock(const char *raw, size_t len, ix_record *out, size_t max, size_t *n)
{
    *n = 0;
    if (len < 4) return -1;
    const unsigned char *const u = (const unsigned char *)raw;
    uint32_t const count = (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
    if (count > max) return -1;
    ix_reader all = {u + 4, u + len, 0};
    ix_reader col[IX_COLUMNS];
    for (int c = 0; c < IX_COLUMNS; c++) {
        uint64_t const n_bytes = ix_getVarint(&all);
        if (all.bad || n_bytes > (uint64_t)(all.end - all.p)) return -1;
        col[c] = (ix_reader){all.p, all.p + n_bytes, 0};
        all.p += n_bytes;
    }
    if (all.p != all.end) return -1;
    for (uint32_t i = 0; i < count; i++) {
        ix_record *const r = &out[i];
        uint64_t const source = ix_getVarint(&col[COL_PLACE]);
        uint64_t const line = ix_getVarint(&col[COL_PLACE]);
        uint64_t const registered = ix_getVarint(&col[COL_DATES]);
        uint64_t const birth = ix_getVarint(&col[COL_DATES]);
        ix_reader *const fl = &col[COL_FLAGS];
        if (col[COL_PLACE].bad || col[COL_DATES].bad || source > UINT16_MAX || registered > UINT32_MAX ||
            birth > UINT32_MAX || fl->end - fl->p < 3)
            return -1;
        uint64_t const base = i && out[i - 1].source == source ? out[i - 1].line : 0;
        if (line > UINT64_MAX / 2 || base > UINT64_MAX / 2) return -1;
        r->source = (uint32_t)source;
        r->line = base + line;
        r->registered = (uint32_t)registered;
        r->birth = (uint32_t)birth;
        r->sex = fl->p[0] & 3;
        r->has_id = (fl->p[0] >> 2) & 1;
        r->id_type = (char)fl->p[1];
        r->reason = fl->p[2];
        fl->p += 3;
        ix_record const *const p = i ? &out[i - 1] : NULL;
        r->school = ix_getRepeat(&col[COL_SCHOOL], &r->school_len, p ? p->school : "", p ? p->school_len : 0, i > 0);
        r->county = ix_getRepeat(&col[COL_COUNTY], &r->county_len, p ? p->county : "", p ? p->county_len : 0, i > 0);
        r->student_no = ix_getString(&col[COL_STUDENT_NO], &r->student_no_len);
        r->name = ix_getString(&col[COL_NAME], &r->name_len);
        for (int c = COL_SCHOOL; c <= COL_NAME; c++)
            if (col[c].bad) return -1;
    }
    for (int c = 0; c < IX_COLUMNS; c++)
        if (col[c].p != col[c].end) return -1;
    *n = count;
    return 0;
}
