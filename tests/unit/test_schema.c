/*
 * test_schema — ps_mapHeader's output columns: a file's k-th column named h
 * (trimmed) takes the run's k-th output column named h, or a new one, and
 * several files share the output columns. Checked against the plain
 * definition (count the earlier columns of the same name, then the k-th
 * match among the output columns) on small hand-made headers, on headers of
 * 4,096 columns drawn from a handful of names, in several files in a row,
 * and on names holding a NUL (kept cut at the NUL). Also: the field mapping
 * and its two errors on a wide header.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_schema.h"
#include "test_check.h"
#include "xj_text.h"

#define TS_WIDE 4096

static uint64_t ts_state = 0x9E3779B97F4A7C15ull;

static uint32_t ts_rand(uint32_t n)
{
    ts_state ^= ts_state << 13;
    ts_state ^= ts_state >> 7;
    ts_state ^= ts_state << 17;
    return (uint32_t)((ts_state >> 11) % n);
}

/* The definition, pairwise: what the output columns must come out as. */
typedef struct ts_ref {
    char *name[4 * TS_WIDE];
    size_t n;
} ts_ref;

static int ts_eq(const char *a, size_t n, const char *b) { return strlen(b) == n && memcmp(a, b, n) == 0; }

static void ts_refMap(ts_ref *r, const char *const *names, const uint32_t *lens, size_t n, uint32_t *out)
{
    for (size_t c = 0; c < n; c++) {
        const char *h = names[c];
        size_t hn = lens[c];
        xj_trim(&h, &hn);
        size_t k = 0;
        for (size_t j = 0; j < c; j++) {
            const char *o = names[j];
            size_t on = lens[j];
            xj_trim(&o, &on);
            k += on == hn && memcmp(o, h, hn) == 0;
        }
        size_t seen = 0, i = 0;
        for (; i < r->n; i++)
            if (ts_eq(h, hn, r->name[i]) && seen++ == k) break;
        if (i == r->n) {
            r->name[r->n] = malloc(hn + 1);
            memcpy(r->name[r->n], h, hn);
            r->name[r->n][hn] = '\0';
            r->n++;
        }
        out[c] = (uint32_t)i;
    }
}

static void ts_refFree(ts_ref *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->name[i]);
    r->n = 0;
}

/* Maps one header both ways and compares the output columns; returns
 * ps_mapHeader's result, its schema in *schema (the caller frees it). */
static xj_error ts_map(const char *what, const char *const *names, const uint32_t *lens, size_t n, ps_columns *cols,
                       ts_ref *ref, ps_schema *schema, xj_status *st)
{
    static uint32_t want[TS_WIDE];
    ts_refMap(ref, names, lens, n, want);
    st_init(st);
    xj_error const err = ps_mapHeader(names, lens, n, NULL, 0, what, cols, schema, st);
    if (err != XJ_OK && err != XJ_ERR_INPUT) {
        TC_CHECK(0, "%s: error %d: %s", what, (int)err, st->message);
        return err;
    }
    /* an input error stops at the column naming a field twice; the required
     * check comes after all columns */
    TC_CHECK(cols->n == ref->n, "%s: %zu output columns, want %zu", what, cols->n, ref->n);
    for (size_t i = 0; i < cols->n && i < ref->n; i++)
        TC_CHECK(strcmp(cols->names[i], ref->name[i]) == 0, "%s: output column %zu is '%s', want '%s'", what, i,
                 cols->names[i], ref->name[i]);
    if (err == XJ_OK)
        for (size_t c = 0; c < n; c++)
            TC_CHECK(schema->out_col[c] == want[c], "%s: column %zu goes to output column %u, want %u", what, c,
                     schema->out_col[c], want[c]);
    return err;
}

static const char *const kRequired[] = {"学籍号", "姓名", "性别", "出生日期", "身份证件号", "学校标识码"};
#define TS_REQUIRED (sizeof kRequired / sizeof kRequired[0])

/* A header of n columns (>= 6): the required ones at random places, the rest
 * drawn from a few names, some of them equal after trimming. */
static void ts_wideHeader(const char **names, uint32_t *lens, size_t n)
{
    static const char *const kOthers[] = {"x", " x ", "y", "", "  ", "备注", "备注 ", "z\t", "学校名称2"};
    for (size_t c = 0; c < n; c++) names[c] = kOthers[ts_rand(sizeof kOthers / sizeof kOthers[0])];
    for (size_t i = 0; i < TS_REQUIRED; i++) {
        size_t c;
        do c = ts_rand((uint32_t)n);
        while (names[c] == kRequired[0] || names[c] == kRequired[1] || names[c] == kRequired[2] ||
               names[c] == kRequired[3] || names[c] == kRequired[4] || names[c] == kRequired[5]);
        names[c] = kRequired[i];
    }
    for (size_t c = 0; c < n; c++) lens[c] = (uint32_t)strlen(names[c]);
}

static void test_small(void)
{
    ps_columns cols = {0};
    ts_ref ref = {0};
    ps_schema s;
    xj_status st;
    static const char *const a[] = {"学籍号", "a", "姓名", " a", "性别", "b", "出生日期", "a ", "身份证件号", "学校标识码"};
    uint32_t la[10];
    for (size_t c = 0; c < 10; c++) la[c] = (uint32_t)strlen(a[c]);
    TC_CHECK(ts_map("small 1", a, la, 10, &cols, &ref, &s, &st) == XJ_OK, "%s", st.message);
    static const uint32_t kWant1[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    for (size_t c = 0; c < 10; c++) TC_CHECK(s.out_col[c] == kWant1[c], "small 1: column %zu -> %u", c, s.out_col[c]);
    ps_schemaFree(&s);
    /* a second file: the a's take the first three a's, a fourth is new */
    static const char *const b[] = {"a", "学校标识码", "a", "b", "姓名", "a", "出生日期", "性别", "a", "身份证件号", "学籍号"};
    uint32_t lb[11];
    for (size_t c = 0; c < 11; c++) lb[c] = (uint32_t)strlen(b[c]);
    TC_CHECK(ts_map("small 2", b, lb, 11, &cols, &ref, &s, &st) == XJ_OK, "%s", st.message);
    static const uint32_t kWant2[] = {1, 9, 3, 5, 2, 7, 6, 4, 10, 8, 0};
    for (size_t c = 0; c < 11; c++) TC_CHECK(s.out_col[c] == kWant2[c], "small 2: column %zu -> %u", c, s.out_col[c]);
    TC_CHECK(cols.n == 11 && strcmp(cols.names[10], "a") == 0, "small 2: %zu output columns", cols.n);
    ps_schemaFree(&s);
    ps_columnsFree(&cols);
    ts_refFree(&ref);
}

/* Wide headers of repeated names, several files sharing the output columns. */
static void test_wide(void)
{
    static const char *names[TS_WIDE];
    static uint32_t lens[TS_WIDE];
    for (int round = 0; round < 2; round++) {
        ps_columns cols = {0};
        ts_ref ref = {0};
        for (int file = 0; file < 3; file++) {
            size_t const n = file == 0 ? TS_WIDE : TS_REQUIRED + ts_rand(TS_WIDE - TS_REQUIRED + 1);
            ts_wideHeader(names, lens, n);
            char what[64];
            snprintf(what, sizeof what, "wide round %d file %d (%zu columns)", round, file, n);
            ps_schema s;
            xj_status st;
            TC_CHECK(ts_map(what, names, lens, n, &cols, &ref, &s, &st) == XJ_OK, "%s: %s", what, st.message);
            /* each column's output name is its trimmed name, no two share one */
            unsigned char *const taken = calloc(cols.n, 1);
            for (size_t c = 0; c < n; c++) {
                const char *h = names[c];
                size_t hn = lens[c];
                xj_trim(&h, &hn);
                uint32_t const oc = s.out_col[c];
                TC_CHECK(oc < cols.n && ts_eq(h, hn, cols.names[oc]) && !taken[oc], "%s: column %zu", what, c);
                if (oc < cols.n) taken[oc] = 1;
            }
            free(taken);
            for (size_t i = 0; i < TS_REQUIRED; i++) {
                int const col = s.col_of[i == 4 ? PS_ID_NUMBER : i == 5 ? PS_SCHOOL_CODE : (ps_field)i];
                TC_CHECK(col >= 0 && strcmp(names[col], kRequired[i]) == 0, "%s: field %s at %d", what,
                         kRequired[i], col);
            }
            ps_schemaFree(&s);
        }
        ps_columnsFree(&cols);
        ts_refFree(&ref);
    }
}

/* A name holding a NUL is kept as the part before it: it never matches
 * itself, and the shorter name it stands under can be taken by a later
 * column of that name. */
static void test_nul(void)
{
    ps_columns cols = {0};
    ts_ref ref = {0};
    static const char *const h[] = {"a\0b", "a", "a", "a\0b", "学籍号", "姓名", "性别", "出生日期", "身份证件号", "学校标识码", "a"};
    uint32_t lens[11];
    for (size_t c = 0; c < 11; c++) lens[c] = (uint32_t)strlen(h[c]);
    lens[0] = lens[3] = 3;
    ps_schema s;
    xj_status st;
    TC_CHECK(ts_map("nul", h, lens, 11, &cols, &ref, &s, &st) == XJ_OK, "%s", st.message);
    /* a\0b -> new 0 ("a"); a -> 0; a -> new 1; a\0b -> new 2 ("a"); ...; a -> 2 */
    TC_CHECK(s.out_col[0] == 0 && s.out_col[1] == 0 && s.out_col[2] == 1 && s.out_col[3] == 2 && s.out_col[10] == 2,
             "nul: %u %u %u %u %u", s.out_col[0], s.out_col[1], s.out_col[2], s.out_col[3], s.out_col[10]);
    ps_schemaFree(&s);
    ps_columnsFree(&cols);
    ts_refFree(&ref);
}

/* The errors on a wide header: a field named twice (the output columns stop
 * at the second), a required column missing (all columns mapped). */
static void test_errors(void)
{
    static const char *names[TS_WIDE];
    static uint32_t lens[TS_WIDE];
    ts_wideHeader(names, lens, TS_WIDE);
    size_t first = 0;
    while (strcmp(names[first], "姓名") != 0) first++;
    size_t second = (first + 1 + ts_rand(TS_WIDE - 1)) % TS_WIDE;
    while (lens[second] > 0 && names[second][0] != 'x' && names[second][0] != ' ' && names[second][0] != 'y')
        second = (second + 1) % TS_WIDE;
    names[second] = "学生姓名";
    lens[second] = (uint32_t)strlen(names[second]);
    size_t const later = first > second ? first : second;
    ps_columns cols = {0};
    ts_ref ref = {0};
    ps_schema s;
    xj_status st;
    TC_CHECK(ts_map("twice", names, lens, later + 1, &cols, &ref, &s, &st) == XJ_ERR_INPUT, "no error");
    TC_CHECK(strstr(st.message, "both name the field name") != NULL, "message: %s", st.message);
    ps_schemaFree(&s);
    ps_columnsFree(&cols);
    ts_refFree(&ref);
    names[later] = "y";
    lens[later] = 1;
    for (size_t c = 0; c < TS_WIDE; c++)
        if (strcmp(names[c], "性别") == 0) names[c] = "x", lens[c] = 1;
    TC_CHECK(ts_map("missing", names, lens, TS_WIDE, &cols, &ref, &s, &st) == XJ_ERR_INPUT, "no error");
    TC_CHECK(strstr(st.message, "required column 性别") != NULL, "message: %s", st.message);
    ps_schemaFree(&s);
    ps_columnsFree(&cols);
    ts_refFree(&ref);
}

int main(void)
{
    test_small();
    test_wide();
    test_nul();
    test_errors();
    return tc_finish("test_schema");
}
