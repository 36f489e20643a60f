/*
 * em_excel — text transforms for the files people open: the per-school
 * files with --excel / --output-encoding gbk, and HTML escaping for
 * report.html.
 *
 * The per-school transforms work on lines we rendered ourselves, so the CSV
 * they read is well-formed by construction (em_appendCsvField's quoting);
 * the scanner is still bounded by the line's length and never reads past it.
 * Neutralizing a formula-like value prefixes it with an apostrophe, the
 * common defence (OWASP "CSV injection"): Excel then shows the text instead
 * of evaluating it. Values are never turned into formulas or dates: a date
 * stays the text it was in the input.
 */
#include <string.h>

#include "em_internal.h"
#include "xj_alloc.h"

int em_csvNextField(const char *s, size_t n, size_t *pos, xj_buf *field, xj_error *err)
{
    size_t i = *pos;
    buf_clear(field);
    *err = XJ_OK;
    if (i > n) return 0; /* the last field was read */
    if (i < n && s[i] == '"') {
        i++;
        while (i < n) {
            if (s[i] == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    *err = buf_appendByte(field, '"');
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            size_t j = i;
            while (j < n && s[j] != '"') j++;
            *err = buf_append(field, s + i, j - i);
            i = j;
            if (*err) return 0;
        }
    } else {
        size_t j = i;
        while (j < n && s[j] != ',' && s[j] != '\n') j++;
        *err = buf_append(field, s + i, j - i);
        i = j;
    }
    if (*err) return 0;
    if (i < n && s[i] == ',') i++;
    else i = n + 1; /* LF or end: this was the last field */
    *pos = i;
    return 1;
}

xj_error em_tailField(const char *tail, size_t n, int k, xj_buf *out)
{
    buf_clear(out);
    if (k < 0 || n == 0 || tail[0] != ',') return XJ_OK;
    size_t pos = 1;
    xj_error err = XJ_OK;
    for (int i = 0; em_csvNextField(tail, n, &pos, out, &err); i++)
        if (i == k) return XJ_OK;
    buf_clear(out);
    return err;
}

int em_looksLikeFormula(const char *s, size_t n)
{
    if (n == 0) return 0;
    switch (s[0]) {
    case '=': case '+': case '-': case '@': case '\t': case '\r': return 1;
    default: return 0;
    }
}

xj_error em_neutralizeLine(const char *line, size_t n, xj_buf *out, xj_buf *scratch)
{
    buf_clear(out);
    size_t pos = 0;
    xj_error err = XJ_OK;
    for (int i = 0; em_csvNextField(line, n, &pos, scratch, &err); i++) {
        if (i) FORWARD_IF_ERROR(buf_appendByte(out, ','));
        if (em_looksLikeFormula(scratch->data, scratch->len)) {
            FORWARD_IF_ERROR(buf_reserve(scratch, 1));
            memmove(scratch->data + 1, scratch->data, scratch->len + 1);
            scratch->data[0] = '\'';
            scratch->len++;
        }
        FORWARD_IF_ERROR(em_appendCsvField(out, scratch->data, scratch->len));
    }
    FORWARD_IF_ERROR(err);
    return buf_appendByte(out, '\n');
}

xj_error em_gbkOpen(em_gbk **out)
{
    return cv_open("GB18030", "UTF-8", out);
}

void em_gbkClose(em_gbk *g)
{
    cv_close(g);
}

xj_error em_gbkConvert(em_gbk *g, const char *s, size_t n, xj_buf *out)
{
    return cv_convert(g, s, n, out);
}

xj_error em_appendHtml(xj_buf *out, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') rep = " "; /* controls are not HTML text */
        if (rep == NULL) continue;
        FORWARD_IF_ERROR(buf_append(out, s + from, i - from));
        FORWARD_IF_ERROR(buf_appendStr(out, rep));
        from = i + 1;
    }
    return buf_append(out, s + from, n - from);
}
