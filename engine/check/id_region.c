/*
 * id_region — the optional table of GB/T 2260 county codes (--region-table).
 *
 * A code is six ASCII digits, so the table is a bitmap of 10^6 bits (125 KB)
 * indexed by the code's value: fixed size whatever the file holds, O(1)
 * lookups, read-only and thus thread-safe once loaded. The file is hostile
 * input: lines are read into a bounded buffer, an overlong line is an error
 * naming its line, and nothing but "six digits" (with surrounding ASCII
 * whitespace and an optional CR) is accepted on a data line.
 */
#include "idcheck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xj_alloc.h"

#define RG_CODES 1000000u        /* every 6-digit value */
#define RG_LINE_MAX 256          /* longer lines are an error, not truncated */

struct id_regionTable {
    uint8_t bits[RG_CODES / 8];  /* bit v set when code v is in the table */
};

static int rg_isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

/* Six digits as 0..999999, or -1 when any byte is not a digit. */
static long rg_codeValue(const char code6[6])
{
    long v = 0;
    for (int i = 0; i < 6; i++) {
        if (code6[i] < '0' || code6[i] > '9') return -1;
        v = v * 10 + (code6[i] - '0');
    }
    return v;
}

/* One line (without its LF); 0 when it is blank, a comment or a code. */
static int rg_parseLine(id_regionTable *t, const char *s, size_t n)
{
    while (n > 0 && rg_isSpace(s[0])) { s++; n--; }
    while (n > 0 && rg_isSpace(s[n - 1])) n--;
    if (n == 0 || s[0] == '#') return 0;
    if (n != 6) return -1;
    long const v = rg_codeValue(s);
    if (v < 0) return -1;
    t->bits[v >> 3] |= (uint8_t)(1u << (v & 7));
    return 0;
}

xj_error id_loadRegionTable(const char *path, id_regionTable **out, xj_status *st)
{
    *out = NULL;
    FILE *const f = fopen(path, "rb");
    RETURN_ERROR_IF(f == NULL, st, XJ_ERR_INPUT,
                    "%s: cannot open region table: %s; check the --region-table path",
                    path, strerror(errno));
    id_regionTable *const t = xj_calloc(1, sizeof *t);
    if (t == NULL) {
        fclose(f);
        return st_fail(st, XJ_ERR_NOMEM, "out of memory loading region table %s", path);
    }

    /* getc, not fgets: a NUL byte in the file must not cut a line short. */
    char line[RG_LINE_MAX];
    size_t len = 0;
    unsigned long lineNo = 1;
    xj_error err = XJ_OK;
    for (;;) {
        int const c = getc(f);
        if (c != EOF && c != '\n') {
            if (len == sizeof line) {
                err = st_fail(st, XJ_ERR_INPUT,
                              "%s:%lu: line longer than %d bytes; a region table has one 6-digit code a line",
                              path, lineNo, RG_LINE_MAX);
                break;
            }
            line[len++] = (char)c;
            continue;
        }
        if (rg_parseLine(t, line, len) != 0) {
            err = st_fail(st, XJ_ERR_INPUT,
                          "%s:%lu: not a 6-digit region code; fix the line or comment it out with '#'",
                          path, lineNo);
            break;
        }
        if (c == EOF) break;
        len = 0;
        lineNo++;
    }
    if (err == XJ_OK && ferror(f))
        err = st_fail(st, XJ_ERR_INPUT, "%s: read error in region table", path);
    fclose(f);
    if (err != XJ_OK) {
        xj_free(t);
        return err;
    }
    *out = t;
    return XJ_OK;
}

void id_freeRegionTable(id_regionTable *t)
{
    xj_free(t);
}

int id_regionKnown(const id_regionTable *t, const char code6[6])
{
    long const v = rg_codeValue(code6);
    if (t == NULL || v < 0) return 0;
    return (t->bits[v >> 3] >> (v & 7)) & 1;
}
