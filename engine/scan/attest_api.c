/*
 * attest_api — decision lines for officers from a finished run
 * (xj_scan_attest, docs/monthly.md §4): nobody types a group id by hand.
 *
 * A selector is a group id or a student number. Every attr_duplicate or
 * id_duplicate row of OUTDIR's problems.csv and attested.csv that has it as
 * its group_id or its student number (trimmed) gives one line
 * "group_id,student_no,school_code,decision"; lines are unique and sorted
 * as bytes, under the decisions header. The student number and school code
 * columns are found among the run's input columns (after `line`) the way a
 * scan finds them in an input header (header variants and this handle's
 * --map options).
 */
#include <stdio.h>
#include <string.h>

#include "ps_csvfile.h"
#include "scan_internal.h"
#include "xj_alloc.h"
#include "xj_text.h"

typedef struct at_pick {
    xj_scan *scan;
    const char *const *selectors;
    size_t n_selectors;
    unsigned char *used;          /* per selector: it matched a row */
    const char *decision;         /* "approved" or "revoked" */
    const char *path;             /* the file being read, for messages */
    int problem, group, student, school; /* columns; -1 until the header is read */
    xj_buf lines;
    em_span *spans;
    size_t n, cap;
} at_pick;

/* Finds our columns and, after `line`, the input's student number and
 * school code columns as a scan would. */
static xj_error at_header(at_pick *p, const ps_csvRecord *rec, xj_status *st)
{
    size_t ours = 0;
    for (size_t i = 0; i < rec->n && ours == 0; i++) {
        if (strcmp(rec->val[i], "problem") == 0 && i == 0) p->problem = 0;
        if (strcmp(rec->val[i], "group_id") == 0) p->group = (int)i;
        if (strcmp(rec->val[i], "line") == 0) ours = i + 1;
    }
    RETURN_ERROR_IF(p->problem != 0 || p->group < 0 || ours == 0, st, XJ_ERR_INPUT,
                    "%s is not a problems.csv of xjdedup (no problem, group_id and line columns)", p->path);
    xj_scan *const s = p->scan;
    ps_userMap *const maps = xj_calloc(s->n_maps ? s->n_maps : 1, sizeof *maps);
    RETURN_ERROR_IF(maps == NULL, st, XJ_ERR_NOMEM, "out of memory");
    ps_columns cols = {0};
    ps_schema schema = {0};
    xj_error err = XJ_OK;
    for (size_t i = 0; i < s->n_maps && !err; i++) err = ps_parseUserMap(s->maps[i], &maps[i], st);
    uint32_t *const lens = xj_mallocArray(rec->n - ours + 1, sizeof *lens);
    if (!err && lens == NULL) err = st_fail(st, XJ_ERR_NOMEM, "out of memory");
    for (size_t i = ours; i < rec->n && !err; i++) lens[i - ours] = (uint32_t)rec->len[i];
    if (!err) err = ps_mapHeader(rec->val + ours, lens, rec->n - ours, maps, s->n_maps, p->path, &cols, &schema, st);
    if (!err) {
        p->student = (int)ours + schema.col_of[PS_STUDENT_NO];
        p->school = (int)ours + schema.col_of[PS_SCHOOL_CODE];
    }
    xj_free(lens);
    ps_schemaFree(&schema);
    ps_columnsFree(&cols);
    xj_free(maps);
    return err;
}

static int at_is(const char *v, size_t n, const char *sel)
{
    xj_trim(&v, &n);
    return n == strlen(sel) && memcmp(v, sel, n) == 0;
}

static xj_error at_record(void *user, const ps_csvRecord *rec, xj_status *st)
{
    at_pick *const p = user;
    if (p->group < 0) return at_header(p, rec, st);
    int const last = p->student > p->school ? p->student : p->school;
    RETURN_ERROR_IF(rec->n <= (size_t)last, st, XJ_ERR_INPUT, "%s: line %llu has %zu fields", p->path,
                    (unsigned long long)rec->line, rec->n);
    const char *const problem = rec->val[p->problem];
    if (strcmp(problem, "attr_duplicate") != 0 && strcmp(problem, "id_duplicate") != 0) return XJ_OK;
    int hit = 0;
    for (size_t k = 0; k < p->n_selectors; k++)
        if (at_is(rec->val[p->group], rec->len[p->group], p->selectors[k]) ||
            at_is(rec->val[p->student], rec->len[p->student], p->selectors[k]))
            hit = p->used[k] = 1;
    if (!hit) return XJ_OK;
    if (xj_growArray(&p->spans, &p->cap, p->n + 1, sizeof *p->spans, 64) != 0) return XJ_ERR_NOMEM;
    size_t const at = p->lines.len;
    int const cols[3] = {p->group, p->student, p->school};
    for (int c = 0; c < 3; c++) {
        const char *v = rec->val[cols[c]];
        size_t n = rec->len[cols[c]];
        xj_trim(&v, &n);
        FORWARD_IF_ERROR(em_appendCsvField(&p->lines, v, n));
        FORWARD_IF_ERROR(buf_appendByte(&p->lines, ','));
    }
    FORWARD_IF_ERROR(buf_appendStr(&p->lines, p->decision));
    FORWARD_IF_ERROR(buf_appendByte(&p->lines, '\n'));
    p->spans[p->n++] = (em_span){at, p->lines.len - at};
    return XJ_OK;
}

/* Reads one file of the run; attested.csv may be absent. */
static xj_error at_read(at_pick *p, const char *outdir, const char *file, int missing_ok)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, file);
    p->path = path;
    p->problem = p->group = p->student = p->school = -1;
    return ps_readCsvFile(path, "the run's", (size_t)XJ_MAX_FIELD * PS_CSV_MAX_FIELDS, missing_ok, at_record, p, NULL, &p->scan->st);
}

xj_error xj_scan_attest(xj_scan *s, const char *outdir, const char *const *selectors, size_t n, int approve,
                        FILE *out)
{
    st_init(&s->st);
    RETURN_ERROR_IF(outdir == NULL || out == NULL || (n && selectors == NULL), &s->st, XJ_ERR_USAGE,
                    "name a run's output directory and at least one group id or student number");
    RETURN_ERROR_IF(n == 0, &s->st, XJ_ERR_USAGE, "name at least one group id or student number");
    at_pick p = {.scan = s, .selectors = selectors, .n_selectors = n, .decision = approve ? "approved" : "revoked"};
    p.used = xj_calloc(n, 1);
    buf_init(&p.lines, (size_t)1 << 30);
    xj_buf text;
    buf_init(&text, (size_t)1 << 30);
    xj_error err = p.used ? XJ_OK : st_fail(&s->st, XJ_ERR_NOMEM, "out of memory");
    if (!err) err = at_read(&p, outdir, "problems.csv", 0);
    if (!err) err = at_read(&p, outdir, "attested.csv", 1);
    for (size_t k = 0; k < n && !err; k++)
        if (!p.used[k])
            err = st_fail(&s->st, XJ_ERR_USAGE, "%s names no row of a duplicate group in %s (give a "
                          "group_id or a student number from its problems.csv)", selectors[k], outdir);
    /* one line per member, even when selected twice (by group and by number) */
    if (!err) err = buf_appendStr(&text, "group_id,student_no,school_code,decision\n");
    if (!err) err = em_appendSortedLines(&text, p.lines.data, p.spans, p.n);
    if (!err && fwrite(text.data, 1, text.len, out) != text.len)
        err = st_fail(&s->st, XJ_ERR_IO, "cannot write the decisions");
    if (err == XJ_ERR_NOMEM && s->st.code == XJ_OK) st_fail(&s->st, err, "out of memory");
    xj_free(p.used);
    xj_free(p.spans);
    buf_free(&p.lines);
    buf_free(&text);
    return err;
}
