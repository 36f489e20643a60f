/*
 * em_csv — CSV encoding of output values and the rendering of one output
 * row, in English (problems.csv) or Chinese (per-school files) wording.
 *
 * Quoting (docs/decisions.md): a value is quoted when it holds a comma, a
 * quote, CR or LF, or starts or ends with a space; quotes are doubled. Any
 * byte is kept as it is, so a re-parse gives back the exact value.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_date.h"

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

xj_error em_renderHeader(xj_buf *out, const em_run *run, int zh)
{
    for (int i = 0; i < PB_COLUMN_COUNT; i++) {
        if (i) FORWARD_IF_ERROR(buf_appendByte(out, ','));
        FORWARD_IF_ERROR(buf_appendStr(out, zh ? pb_columnZh(i) : pb_columnEn(i)));
    }
    for (size_t j = 0; j < run->n_headers; j++) {
        FORWARD_IF_ERROR(buf_appendByte(out, ','));
        const char *const h = zh && run->headers_zh ? run->headers_zh[j] : run->headers[j];
        FORWARD_IF_ERROR(em_appendCsvField(out, h, strlen(h)));
    }
    return buf_appendByte(out, '\n');
}

/* Raw writers for em_renderRow, which reserves the room first. */
static char *em_putHex16(char *o, uint64_t v)
{
    static const char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4) o[i] = kHex[v & 15];
    return o + 16;
}

void em_groupIdText(uint64_t group_id, char out[17])
{
    em_putHex16(out, group_id)[0] = '\0';
}

static char *em_putU64(char *o, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    while (n) *o++ = tmp[--n];
    return o;
}

static char *em_putText(char *o, const char *s, size_t n)
{
    if (n) memcpy(o, s, n);
    return o + n;
}

/* em_appendCsvField's quoting into room already reserved (2n + 2). */
static char *em_putCsv(char *o, const char *s, size_t n)
{
    int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) return em_putText(o, s, n);
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') *o++ = '"';
        *o++ = s[i];
    }
    *o++ = '"';
    return o;
}

/* ---- other_members (rules §6) ---- */

/* The cell names the group's records but the row's own, at most
 * PB_MEMBERS_SHOWN of them (*shown); returns how many it leaves out. */
static uint32_t em_membersShown(const pb_row *row, uint32_t *shown)
{
    uint32_t const others = row->n_members ? row->n_members - 1 : 0;
    *shown = others < PB_MEMBERS_SHOWN ? others : PB_MEMBERS_SHOWN;
    return others - *shown;
}

/* Bytes of the cell before quoting. `named`: each entry followed by a space
 * and its school's name (the Chinese per-school files). */
static size_t em_membersRoom(const pb_row *row, int named)
{
    uint32_t shown;
    uint32_t const more = em_membersShown(row, &shown);
    size_t room = more ? 2 + 10 : 0; /* ";+N" */
    for (uint32_t k = 0, taken = 0; k < row->n_members && taken < shown; k++) {
        if (k == row->self) continue;
        const pb_member *const m = &row->members[k];
        room += 1 + m->text_len + (named && m->school_name_len ? 1 + m->school_name_len : 0);
        taken++;
    }
    return room;
}

static char *em_putU64(char *o, uint64_t v);
static char *em_putText(char *o, const char *s, size_t n);

static char *em_putMembers(char *o, const pb_row *row, int named)
{
    uint32_t shown;
    uint32_t const more = em_membersShown(row, &shown);
    char *const start = o;
    for (uint32_t k = 0, taken = 0; k < row->n_members && taken < shown; k++) {
        if (k == row->self) continue;
        const pb_member *const m = &row->members[k];
        if (o != start) *o++ = ';';
        o = em_putText(o, m->text, m->text_len);
        if (named && m->school_name_len) {
            *o++ = ' ';
            o = em_putText(o, m->school_name, m->school_name_len);
        }
        taken++;
    }
    if (more) {
        *o++ = ';';
        *o++ = '+';
        o = em_putU64(o, more);
    }
    return o;
}

/* Quotes s[0..n) where it lies, when em_appendCsvField would; the room
 * after it must hold n + 2 more bytes. Returns the new end. Filled from the
 * back, so no byte is overwritten before it is read. */
static char *em_quoteInPlace(char *s, size_t n)
{
    int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++) {
        quote |= s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
        quotes += s[i] == '"';
    }
    if (!quote) return s + n;
    char *o = s + n + quotes + 2;
    char *const end = o;
    *--o = '"';
    for (size_t i = n; i-- > 0;) {
        *--o = s[i];
        if (s[i] == '"') *--o = '"';
    }
    *--o = '"';
    return end;
}

/* One row: the room is computed and reserved once, then written with plain
 * stores; the vocabulary never needs quoting (no ASCII comma, quote or line
 * break in any code or Chinese wording). */
xj_error em_renderRow(xj_buf *out, const em_run *run, const pb_row *row, int zh)
{
    pb_problem const p = (pb_problem)row->problem;
    pb_scope const sc = (pb_scope)row->scope, arb = (pb_scope)row->arbiter;
    pb_hint const h = (pb_hint)row->hint;
    int const grouped = p != PB_ID_INVALID;
    const char *const problem = zh ? pb_problemZh(p) : pb_problemCode(p);
    const char *const reason = pb_reasonCode(row->reason);
    const char *const scope = grouped ? (zh ? pb_scopeZh(sc) : pb_scopeCode(sc)) : "";
    const char *const arbiter = grouped ? (zh ? pb_arbiterZh(arb) : pb_arbiterCode(arb)) : "";
    const char *const hint = zh ? pb_hintZh(h) : pb_hintCode(h);
    pb_status const stt = (pb_status)row->status;
    const char *const status = zh ? pb_statusZh(stt) : pb_statusCode(stt);
    char first_seen[16];
    dt_text(row->first_seen ? row->first_seen : run->run_date, first_seen);
    const char *const src = run->inputs[row->source].name;
    size_t const n_problem = strlen(problem), n_reason = strlen(reason), n_scope = strlen(scope),
                 n_arbiter = strlen(arbiter), n_hint = strlen(hint), n_src = strlen(src),
                 n_status = strlen(status), n_first = strlen(first_seen);
    size_t const n_others = grouped ? row->others_len : 0;
    int const named = zh; /* the Chinese files name the other records' schools */
    size_t const n_members = grouped && row->members ? em_membersRoom(row, named) : 0;
    /* 13 commas + LF, 16 hex, 2 x 20 digits, keeper, quoting of others, members and source */
    size_t const need = n_problem + n_reason + n_scope + n_arbiter + n_hint + 2 * n_others + 2 + 2 * n_members + 2 +
                        n_status + n_first + 2 * n_src + 2 + (size_t)row->tail_len + 14 + 16 + 40 + 1;
    FORWARD_IF_ERROR(buf_reserve(out, need));
    char *const start = out->data + out->len;
    char *o = start;
    o = em_putText(o, problem, n_problem);
    *o++ = ',';
    o = em_putText(o, reason, n_reason);
    *o++ = ',';
    if (grouped) o = em_putHex16(o, row->group_id);
    *o++ = ',';
    if (grouped) o = em_putU64(o, row->group_size);
    *o++ = ',';
    o = em_putText(o, scope, n_scope);
    *o++ = ',';
    o = em_putText(o, arbiter, n_arbiter);
    *o++ = ',';
    if (p == PB_ID_DUPLICATE && row->keeper != PB_KEEPER_NONE) *o++ = row->keeper ? '1' : '0';
    *o++ = ',';
    o = em_putText(o, hint, n_hint);
    *o++ = ',';
    if (grouped) o = em_putCsv(o, row->others, n_others);
    *o++ = ',';
    if (n_members) o = em_quoteInPlace(o, (size_t)(em_putMembers(o, row, named) - o));
    *o++ = ',';
    o = em_putText(o, status, n_status);
    *o++ = ',';
    o = em_putText(o, first_seen, n_first);
    *o++ = ',';
    o = em_putCsv(o, src, n_src);
    *o++ = ',';
    o = em_putU64(o, row->line);
    o = em_putText(o, row->tail, row->tail_len);
    *o++ = '\n';
    assert((size_t)(o - start) <= need);
    out->len += (size_t)(o - start);
    out->data[out->len] = '\0';
    return XJ_OK;
}

static int em_cmpSpan(const void *pa, const void *pb, void *base)
{
    const em_span *const a = pa, *const b = pb;
    const char *const s = base;
    int const c = memcmp(s + a->at, s + b->at, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

xj_error em_appendSortedLines(xj_buf *out, const char *base, em_span *spans, size_t n)
{
    if (n) qsort_r(spans, n, sizeof *spans, em_cmpSpan, (void *)base);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || em_cmpSpan(&spans[i - 1], &spans[i], (void *)base) != 0)
            FORWARD_IF_ERROR(buf_append(out, base + spans[i].at, spans[i].len));
    return XJ_OK;
}
