/*
 * em_csv — CSV encoding of output values and the rendering of one output
 * row, in English (problems.csv) or Chinese (per-school files) wording.
 *
 * Quoting (docs/decisions.md): a value is quoted when it holds a comma, a
 * quote, CR or LF, or starts or ends with a space; quotes are doubled. Any
 * byte is kept as it is, so a re-parse gives back the exact value.
 */
#include <string.h>

#include "em_internal.h"

xj_error em_appendCsvField(xj_buf *out, const char *s, size_t n)
{
    int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++) {
        char const c = s[i];
        if (c == ',' || c == '\r' || c == '\n') quote = 1;
        if (c == '"') quote = 1, quotes++;
    }
    if (!quote) return buf_append(out, s, n);
    FORWARD_IF_ERROR(buf_reserve(out, n + quotes + 2));
    char *p = out->data + out->len;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') *p++ = '"';
        *p++ = s[i];
    }
    *p++ = '"';
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
    return XJ_OK;
}

int em_schoolIsValid(const char *s, size_t n)
{
    if (n != 10) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

xj_error em_renderHeader(xj_buf *out, const em_run *run, int zh)
{
    for (int i = 0; i < PB_COLUMN_COUNT; i++) {
        if (i) FORWARD_IF_ERROR(buf_appendByte(out, ','));
        FORWARD_IF_ERROR(buf_appendStr(out, zh ? pb_columnZh(i) : pb_columnEn(i)));
    }
    for (size_t j = 0; j < run->n_headers; j++) {
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
        FORWARD_IF_ERROR(em_appendCsvField(out, run->headers[j], strlen(run->headers[j])));
    }
    return buf_appendByte(out, '\n');
}

static xj_error em_appendHex16(xj_buf *out, uint64_t v)
{
    static const char kHex[] = "0123456789abcdef";
    char hex[16];
    for (int i = 15; i >= 0; i--, v >>= 4) hex[i] = kHex[v & 15];
    return buf_append(out, hex, 16);
}

xj_error em_renderRow(xj_buf *out, const em_run *run, const em_row *row, int zh)
{
    pb_problem const p = (pb_problem)row->problem;
    int const grouped = p != PB_ID_INVALID;
    FORWARD_IF_ERROR(buf_appendStr(out, zh ? pb_problemZh(p) : pb_problemCode(p)));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    FORWARD_IF_ERROR(buf_appendStr(out, pb_reasonCode(row->reason)));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    if (grouped) FORWARD_IF_ERROR(em_appendHex16(out, row->group_id));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    if (grouped) FORWARD_IF_ERROR(buf_appendU64(out, row->group_size));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    if (grouped) {
        pb_scope const s = (pb_scope)row->scope;
        FORWARD_IF_ERROR(buf_appendStr(out, zh ? pb_scopeZh(s) : pb_scopeCode(s)));
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
        FORWARD_IF_ERROR(buf_appendStr(out, zh ? pb_arbiterZh(s) : pb_arbiterCode(s)));
    } else {
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
    }
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    if (row->keeper != PB_KEEPER_NONE) FORWARD_IF_ERROR(buf_appendByte(out, row->keeper ? '1' : '0'));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    pb_hint const h = (pb_hint)row->hint;
    FORWARD_IF_ERROR(buf_appendStr(out, zh ? pb_hintZh(h) : pb_hintCode(h)));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    if (grouped) FORWARD_IF_ERROR(em_appendCsvField(out, row->others, row->others_len));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    const char *const src = run->inputs[row->source].name;
    FORWARD_IF_ERROR(em_appendCsvField(out, src, strlen(src)));
    FORWARD_IF_ERROR(buf_appendByte(out, ','));
    FORWARD_IF_ERROR(buf_appendU64(out, row->line));
    FORWARD_IF_ERROR(buf_append(out, row->tail, row->tail_len));
    return buf_appendByte(out, '\n');
}
