/*
 * em_summary — summary.json, byte for byte what Python's
 * json.dumps(obj, indent=2, ensure_ascii=False) prints (docs/decisions.md),
 * so any consumer's pretty-printer round-trips it and tests can compare it.
 *
 * Counts come from the rows themselves (records, distinct groups, reasons,
 * scopes per group, provinces), so summary.json cannot disagree with
 * problems.csv; em_countRows (em_counts.c) computes them once for
 * summary.json and report.html alike.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_date.h"
#include "xj_alloc.h"
#include "xj_clock.h"

/* A JSON writer with Python's indent=2 layout. */
typedef struct jw {
    xj_buf *out;
    int depth;          /* open containers */
    int has_items[16];  /* per depth: something was written inside */
    xj_error err;       /* first failure */
} jw;

static void jw_raw(jw *j, const char *s, size_t n)
{
    if (!j->err) j->err = buf_append(j->out, s, n);
}

static void jw_str(jw *j, const char *s) { jw_raw(j, s, strlen(s)); }

static void jw_newline(jw *j)
{
    jw_raw(j, "\n", 1);
    for (int i = 0; i < j->depth; i++) jw_raw(j, "  ", 2);
}

/* Before a value or a key inside a container. */
static void jw_item(jw *j)
{
    if (j->depth == 0) return;
    if (j->has_items[j->depth]) jw_raw(j, ",", 1);
    j->has_items[j->depth] = 1;
    jw_newline(j);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t jw_utf8Len(const unsigned char *s, size_t n)
{
    unsigned char const c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

/* A JSON string as Python's json.dumps(ensure_ascii=False) writes it. Bytes
 * that are not UTF-8 (a file name can hold any bytes) become U+FFFD, so the
 * file stays valid JSON that every parser accepts. */
static void jw_quoted(jw *j, const char *s, size_t n)
{
    jw_raw(j, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char const c = (unsigned char)s[i];
        char esc[8];
        switch (c) {
        case '"': jw_raw(j, "\\\"", 2); break;
        case '\\': jw_raw(j, "\\\\", 2); break;
        case '\n': jw_raw(j, "\\n", 2); break;
        case '\r': jw_raw(j, "\\r", 2); break;
        case '\t': jw_raw(j, "\\t", 2); break;
        case '\b': jw_raw(j, "\\b", 2); break;
        case '\f': jw_raw(j, "\\f", 2); break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                jw_raw(j, esc, 6);
            } else {
                size_t const len = jw_utf8Len((const unsigned char *)s + i, n - i);
                if (len == 0) {
                    jw_raw(j, "\xEF\xBF\xBD", 3);
                    i++;
                    continue;
                }
                jw_raw(j, s + i, len);
                i += len;
                continue;
            }
        }
        i++;
    }
    jw_raw(j, "\"", 1);
}

static void jw_key(jw *j, const char *k)
{
    jw_item(j);
    jw_quoted(j, k, strlen(k));
    jw_raw(j, ": ", 2);
}

static void jw_open(jw *j, char c)
{
    jw_raw(j, &c, 1);
    j->depth++;
    j->has_items[j->depth] = 0;
}

static void jw_close(jw *j, char c)
{
    int const had = j->has_items[j->depth];
    j->depth--;
    if (had) jw_newline(j);
    jw_raw(j, &c, 1);
}

static void jw_u64(jw *j, uint64_t v)
{
    if (!j->err) j->err = buf_appendU64(j->out, v);
}

/* Python prints a float with the shortest digits that read back to the same
 * double, in fixed notation when its decimal exponent is in [-4, 16) and
 * with ".0" when it is whole, else as 1.5e+16 / 1e-05. Rounding to 6
 * significant digits first (docs/decisions.md) keeps the timing readable. */
void em_formatDouble(char out[EM_DOUBLE_MAX], double v)
{
    if (!isfinite(v)) v = 0; /* Python would print NaN/Infinity, which is not JSON */
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.5e", v);
    v = strtod(tmp, NULL); /* the %.6g value */
    if (v == 0) {
        snprintf(out, EM_DOUBLE_MAX, "0.0");
        return;
    }
    int p = 1;
    for (; p < 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v) break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
    /* tmp is "[-]d[.ddd]e±XX": collect the digits and the exponent */
    const char *q = tmp;
    int const neg = *q == '-';
    if (neg) q++;
    char digits[24];
    int nd = 0;
    for (; *q && *q != 'e'; q++)
        if (*q != '.' && nd < (int)sizeof digits - 1) digits[nd++] = *q;
    digits[nd] = '\0';
    int const e = *q == 'e' ? atoi(q + 1) : 0;
    char *o = out;
    if (neg) *o++ = '-';
    if (e >= -4 && e < 16) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++) *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > e + 1) for (int i = e + 1; i < nd; i++) *o++ = digits[i];
            else *o++ = '0';
        } else {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -e - 1; i++) *o++ = '0';
            for (int i = 0; i < nd; i++) *o++ = digits[i];
        }
        *o = '\0';
    } else {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            for (int i = 1; i < nd; i++) *o++ = digits[i];
        }
        snprintf(o, (size_t)(out + EM_DOUBLE_MAX - o), "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
}

static void jw_double(jw *j, double v)
{
    char num[EM_DOUBLE_MAX];
    em_formatDouble(num, v);
    jw_str(j, num);
}

static void jw_keyU64(jw *j, const char *k, uint64_t v)
{
    jw_key(j, k);
    jw_u64(j, v);
}

static void jw_keyStr(jw *j, const char *k, const char *v)
{
    jw_key(j, k);
    if (v) jw_quoted(j, v, strlen(v));
    else jw_str(j, "null");
}

/* Reason values of one problem, in the byte order of their codes. */
static void jw_reasons(jw *j, const uint64_t counts[256])
{
    int order[256], n = 0;
    for (int v = 1; v < 256; v++)
        if (counts[v] && pb_reasonCode((uint8_t)v)[0]) order[n++] = v;
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && strcmp(pb_reasonCode((uint8_t)order[b - 1]), pb_reasonCode((uint8_t)order[b])) > 0; b--) {
            int const t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    jw_open(j, '{');
    for (int i = 0; i < n; i++) jw_keyU64(j, pb_reasonCode((uint8_t)order[i]), counts[order[i]]);
    jw_close(j, '}');
}

/* Rejected rows per reason, the codes in byte order. */
static void jw_rejects(jw *j, const em_run *run)
{
    uint64_t counts[XJ_REJECT_COUNT];
    xj_reject order[XJ_REJECT_COUNT];
    size_t const n = em_rejectReasons(run, counts, order);
    jw_open(j, '{');
    for (size_t i = 0; i < n; i++) jw_keyU64(j, rj_code(order[i]), counts[order[i]]);
    jw_close(j, '}');
}

static void jw_problem(jw *j, const em_counts *c, pb_problem p)
{
    jw_key(j, pb_problemCode(p));
    jw_open(j, '{');
    jw_keyU64(j, "records", c->records[p]);
    if (p != PB_ID_INVALID) jw_keyU64(j, "groups", c->groups[p]);
    jw_key(j, "reasons");
    jw_reasons(j, c->reasons[p]);
    if (p != PB_ID_INVALID) {
        jw_key(j, "scopes");
        jw_open(j, '{');
        for (int s = 0; s < PB_SCOPE_COUNT; s++) jw_keyU64(j, pb_scopeCode((pb_scope)s), c->scopes[p][s]);
        jw_close(j, '}');
    }
    jw_close(j, '}');
}

/* A duplicate problem's rows and groups, with the register or inside the
 * batch. */
static void jw_split(jw *j, const em_check *k, const em_counts *c, int with_register)
{
    static const pb_problem kDup[3] = {PB_ATTR_DUPLICATE, PB_ID_DUPLICATE, PB_SUSPECT_DUPLICATE};
    jw_open(j, '{');
    for (int i = 0; i < 3; i++) {
        pb_problem const p = kDup[i];
        jw_key(j, pb_problemCode(p));
        jw_open(j, '{');
        jw_keyU64(j, "records", with_register ? k->register_rows[p] : c->records[p] - k->register_rows[p]);
        jw_keyU64(j, "groups", with_register ? k->register_groups[p] : c->groups[p] - k->register_groups[p]);
        jw_close(j, '}');
    }
    jw_close(j, '}');
}

/* A batch check: the register index it was checked against, and what the
 * batch is next to it. */
static void jw_check(jw *j, const em_check *k, const em_counts *c)
{
    char date[16];
    dt_text(k->run_date, date);
    jw_key(j, "register");
    jw_open(j, '{');
    jw_keyStr(j, "index", k->index);
    jw_keyU64(j, "records", k->records);
    jw_keyStr(j, "run_date", date);
    jw_keyStr(j, "attr_scope", k->attr_scope);
    jw_close(j, '}');
    jw_key(j, "check");
    jw_open(j, '{');
    jw_keyU64(j, "clean_rows", k->clean_rows);
    jw_keyU64(j, "already_registered", k->already_registered);
    jw_keyU64(j, "clean_already_registered", k->clean_registered);
    jw_key(j, "with_register");
    jw_split(j, k, c, 1);
    jw_key(j, "in_batch");
    jw_split(j, k, c, 0);
    jw_close(j, '}');
}

static void jw_inputs(jw *j, const em_run *run)
{
    jw_key(j, "inputs");
    jw_open(j, '[');
    for (size_t i = 0; i < run->n_inputs; i++) {
        jw_item(j);
        jw_open(j, '{');
        jw_keyStr(j, "name", run->inputs[i].name);
        jw_keyU64(j, "bytes", run->inputs[i].bytes);
        jw_keyU64(j, "decoded_bytes", run->inputs[i].decoded_bytes);
        jw_keyStr(j, "xxh3_128", run->inputs[i].xxh3_128);
        jw_close(j, '}');
    }
    jw_close(j, ']');
}

/* Problem rows per province ("00".."99", "_invalid"), provinces without
 * any left out. */
static void jw_provinces(jw *j, const em_counts *c)
{
    jw_key(j, "provinces");
    jw_open(j, '{');
    for (int p = 0; p < EM_PROVINCES; p++) {
        uint64_t const *const v = c->provinces[p];
        if (v[0] + v[1] + v[2] == 0) continue;
        char key[12];
        jw_key(j, em_provinceKey(p, key));
        jw_open(j, '{');
        for (int q = 0; q < PB_PROBLEM_COUNT; q++) jw_keyU64(j, pb_problemCode((pb_problem)q), v[q]);
        jw_close(j, '}');
    }
    jw_close(j, '}');
}

/* The five monthly counts of one province and problem. */
static void jw_monthlyCounts(jw *j, const uint64_t v[EM_MONTHLY_COUNTS])
{
    jw_open(j, '{');
    for (int k = 0; k < EM_MONTHLY_COUNTS; k++) jw_keyU64(j, em_monthlyCode((em_monthlyCount)k), v[k]);
    jw_close(j, '}');
}

/* docs/monthly.md §7, on every run: the run it was compared with (null
 * without --previous), the decisions counts, and per problem and per
 * province x problem the rows new / persisting / reopened (problems.csv),
 * the identities resolved (resolved.csv) and the rows attested
 * (attested.csv); provinces with none of these left out, as in "provinces". */
static void jw_monthly(jw *j, const em_counts *c)
{
    char date[16];
    jw_key(j, "monthly");
    jw_open(j, '{');
    jw_keyStr(j, "previous_run_date", c->previous_run_date ? dt_text(c->previous_run_date, date) : NULL);
    jw_keyU64(j, "decisions_in_effect", c->decisions_in_effect);
    jw_keyU64(j, "decisions_matched", c->decisions_matched);
    jw_keyU64(j, "decisions_unmatched", c->decisions_unmatched);
    jw_keyU64(j, "approved_members", c->approved_members);
    jw_keyU64(j, "attested_groups", c->attested_groups);
    uint64_t all[PB_PROBLEM_COUNT][EM_MONTHLY_COUNTS] = {{0}};
    for (int p = 0; p < EM_PROVINCES; p++)
        for (int q = 0; q < PB_PROBLEM_COUNT; q++)
            for (int k = 0; k < EM_MONTHLY_COUNTS; k++) all[q][k] += c->monthly[p][q][k];
    jw_key(j, "problems");
    jw_open(j, '{');
    for (int q = 0; q < PB_PROBLEM_COUNT; q++) {
        jw_key(j, pb_problemCode((pb_problem)q));
        jw_monthlyCounts(j, all[q]);
    }
    jw_close(j, '}');
    jw_key(j, "provinces");
    jw_open(j, '{');
    for (int p = 0; p < EM_PROVINCES; p++) {
        uint64_t any = 0;
        for (int q = 0; q < PB_PROBLEM_COUNT; q++)
            for (int k = 0; k < EM_MONTHLY_COUNTS; k++) any |= c->monthly[p][q][k];
        if (any == 0) continue;
        char key[12];
        jw_key(j, em_provinceKey(p, key));
        jw_open(j, '{');
        for (int q = 0; q < PB_PROBLEM_COUNT; q++) {
            jw_key(j, pb_problemCode((pb_problem)q));
            jw_monthlyCounts(j, c->monthly[p][q]);
        }
        jw_close(j, '}');
    }
    jw_close(j, '}');
    jw_close(j, '}');
}

/* docs/population.md §5: null without --population. */
static void jw_population(jw *j, const em_population *p)
{
    jw_key(j, "population");
    if (p == NULL) {
        jw_str(j, "null");
        return;
    }
    jw_open(j, '{');
    jw_key(j, "files");
    jw_open(j, '[');
    for (size_t i = 0; i < p->n_files; i++) {
        jw_item(j);
        jw_quoted(j, p->files[i], strlen(p->files[i]));
    }
    jw_close(j, ']');
    jw_keyU64(j, "entries", p->entries);
    jw_keyU64(j, "ids", p->ids);
    jw_keyU64(j, "ids_with_several_names", p->several_names);
    jw_keyU64(j, "compared", p->compared);
    jw_close(j, '}');
}

/* docs/population.md §5: the lines of assignments.csv by basis, in all and
 * per province (those with a line). */
static void jw_assignments(jw *j, const em_assignments *a)
{
    static const char *const kBasis[2] = {"id_verified", "no_id_unique"};
    uint64_t all[2] = {0, 0};
    for (int p = 0; a && p < EM_PROVINCES; p++) all[0] += a->by_province[p][0], all[1] += a->by_province[p][1];
    jw_key(j, "assignments");
    jw_open(j, '{');
    for (int b = 0; b < 2; b++) jw_keyU64(j, kBasis[b], all[b]);
    jw_key(j, "by_province");
    jw_open(j, '{');
    for (int p = 0; a && p < EM_PROVINCES; p++) {
        if (a->by_province[p][0] + a->by_province[p][1] == 0) continue;
        char key[12];
        jw_key(j, em_provinceKey(p, key));
        jw_open(j, '{');
        for (int b = 0; b < 2; b++) jw_keyU64(j, kBasis[b], a->by_province[p][b]);
        jw_close(j, '}');
    }
    jw_close(j, '}');
    jw_close(j, '}');
}

/* The only part that changes from run to run of the same input. */
static void jw_timing(jw *j, const em_run *run, double write_seconds)
{
    double const wall = xj_now() - run->timing.start;
    jw_key(j, "timing");
    jw_open(j, '{');
    jw_key(j, "wall_seconds");
    jw_double(j, wall);
    jw_key(j, "read_parse_seconds");
    jw_double(j, run->timing.read_parse_seconds);
    jw_key(j, "group_seconds");
    jw_double(j, run->timing.group_seconds);
    jw_key(j, "gather_seconds");
    jw_double(j, run->timing.gather_seconds);
    jw_key(j, "write_seconds");
    jw_double(j, write_seconds);
    jw_key(j, "rows_per_second");
    jw_double(j, wall > 0 ? (double)run->rows_read / wall : 0);
    jw_keyU64(j, "ranks", (uint64_t)(run->ranks > 0 ? run->ranks : 1));
    jw_keyU64(j, "threads", (uint64_t)(run->threads > 0 ? run->threads : 1));
    jw_keyU64(j, "exchanged_bytes", run->timing.exchanged_bytes);
    jw_keyU64(j, "split_inputs", run->timing.split_inputs);
    jw_keyU64(j, "shared_files", run->timing.shared_files);
    jw_close(j, '}');
}

/* The whole object, its keys in their fixed order. */
static xj_error jw_summary(jw *j, const em_run *run, const em_counts *c, double write_seconds)
{
    char date[16];
    dt_text(run->run_date, date);
    jw_open(j, '{');
    jw_keyStr(j, "version", xj_versionString());
    jw_keyStr(j, "run_date", date);
    jw_key(j, "options");
    jw_open(j, '{');
    jw_keyStr(j, "attr_scope", run->attr_scope);
    jw_keyStr(j, "encoding", run->encoding);
    jw_keyStr(j, "region_table", run->region_table);
    jw_key(j, "suspects");
    jw_str(j, run->suspects ? "true" : "false");
    jw_close(j, '}');
    jw_inputs(j, run);
    if (run->check) jw_check(j, run->check, c);
    jw_key(j, "rows");
    jw_open(j, '{');
    jw_keyU64(j, "read", run->rows_read);
    jw_keyU64(j, "accepted", run->rows_accepted);
    jw_keyU64(j, "rejected", run->n_rejects);
    jw_keyU64(j, "blank_lines", run->blank_lines);
    jw_close(j, '}');
    jw_keyU64(j, "unknown_id_types", run->unknown_id_types);
    jw_key(j, "rejects");
    jw_rejects(j, run);
    jw_key(j, "problems");
    jw_open(j, '{');
    jw_problem(j, c, PB_ATTR_DUPLICATE);
    jw_problem(j, c, PB_ID_DUPLICATE);
    jw_problem(j, c, PB_ID_INVALID);
    jw_problem(j, c, PB_SUSPECT_DUPLICATE);
    jw_close(j, '}');
    jw_provinces(j, c);
    jw_monthly(j, c);
    jw_population(j, run->population);
    jw_assignments(j, run->assignments);
    jw_timing(j, run, write_seconds);
    jw_close(j, '}');
    jw_raw(j, "\n", 1);
    return j->err;
}

xj_error em_writeSummary(em_ctx *ctx, double write_seconds)
{
    xj_buf out;
    buf_init(&out, (size_t)1 << 30);
    jw j = {&out, 0, {0}, XJ_OK};
    xj_error err = jw_summary(&j, ctx->run, ctx->counts, write_seconds);
    if (err) {
        buf_free(&out);
        return st_fail(ctx->st, err, "cannot build summary.json: %s", xj_errorName(err));
    }
    err = em_writeWhole(ctx, "summary.json", &out);
    buf_free(&out);
    return err;
}
