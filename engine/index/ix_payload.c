/*
 * ix_payload — see ix_payload.h.
 */
#include "ix_payload.h"

#include "xj_status.h"

#include <string.h>

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
    xj_error const err = ix_putVarint(b, n);
    return err ? err : buf_append(b, s, n);
}

xj_error ix_blockBegin(xj_buf *raw)
{
    buf_clear(raw);
    return buf_append(raw, "\0\0\0\0", 4);
}

void ix_blockEnd(xj_buf *raw, uint32_t count)
{
    for (int i = 0; i < 4; i++) raw->data[i] = (char)(count >> (8 * i));
}

xj_error ix_encodeRecord(xj_buf *raw, const ix_record *r, const ix_record *prev)
{
    uint64_t const line = prev && prev->source == r->source && r->line >= prev->line ? r->line - prev->line : r->line;
    unsigned char const small[3] = {(unsigned char)(r->sex | r->has_id << 2), (unsigned char)r->id_type, r->reason};
    FORWARD_IF_ERROR(ix_putVarint(raw, r->source));
    FORWARD_IF_ERROR(ix_putVarint(raw, line));
    FORWARD_IF_ERROR(ix_putVarint(raw, r->registered));
    FORWARD_IF_ERROR(ix_putVarint(raw, r->birth));
    FORWARD_IF_ERROR(buf_append(raw, small, 3));
    FORWARD_IF_ERROR(ix_putString(raw, r->school, r->school_len));
    FORWARD_IF_ERROR(ix_putString(raw, r->county, r->county_len));
    FORWARD_IF_ERROR(ix_putString(raw, r->student_no, r->student_no_len));
    return ix_putString(raw, r->name, r->name_len);
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
    ix_reader rd = {u + 4, u + len, 0};
    for (uint32_t i = 0; i < count; i++) {
        ix_record *const r = &out[i];
        uint64_t const source = ix_getVarint(&rd);
        uint64_t const line = ix_getVarint(&rd);
        uint64_t const registered = ix_getVarint(&rd);
        uint64_t const birth = ix_getVarint(&rd);
        if (rd.bad || source > UINT16_MAX || registered > UINT32_MAX || birth > UINT32_MAX || rd.end - rd.p < 3)
            return -1;
        r->source = (uint32_t)source;
        uint64_t const base = i && out[i - 1].source == r->source ? out[i - 1].line : 0;
        if (line > UINT64_MAX / 2 || base > UINT64_MAX / 2) return -1;
        r->line = base + line;
        r->registered = (uint32_t)registered;
        r->birth = (uint32_t)birth;
        r->sex = rd.p[0] & 3;
        r->has_id = (rd.p[0] >> 2) & 1;
        r->id_type = (char)rd.p[1];
        r->reason = rd.p[2];
        rd.p += 3;
        r->school = ix_getString(&rd, &r->school_len);
        r->county = ix_getString(&rd, &r->county_len);
        r->student_no = ix_getString(&rd, &r->student_no_len);
        r->name = ix_getString(&rd, &r->name_len);
        if (rd.bad) return -1;
    }
    if (rd.p != rd.end) return -1;
    *n = count;
    return 0;
}
