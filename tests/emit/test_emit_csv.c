/*
 * test_emit_csv — CSV encoding of output values and the row renderers.
 *
 * em_appendCsvField is checked against hand-written expectations for each
 * quoting rule of docs/decisions.md (comma, quote, CR, LF, leading/trailing
 * space, empty, bytes that are not UTF-8), then by round trip: random records
 * of hostile bytes are encoded and parsed back with libcsv (strict), and every
 * field must come back byte for byte. The row renderers are compared with
 * whole lines written out by hand, in both wordings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "emit_testlib.h"
#include "test_check.h"

static int bufIs(const xj_buf *b, const char *want, size_t n)
{
    return b->len == n && (n == 0 || memcmp(b->data, want, n) == 0);
}

#define S(lit) lit, sizeof(lit) - 1

static void test_quoting(void)
{
    static const struct {
        const char *in;
        size_t in_n;
        const char *out;
        size_t out_n;
    } kCases[] = {
        {S(""), S("")},
        {S("plain"), S("plain")},
        {S("a,b"), S("\"a,b\"")},
        {S("say \"hi\""), S("\"say \"\"hi\"\"\"")},
        {S("\""), S("\"\"\"\"")},
        {S("two\nlines"), S("\"two\nlines\"")},
        {S("cr\ronly"), S("\"cr\ronly\"")},
        {S("crlf\r\n"), S("\"crlf\r\n\"")},
        {S(" lead"), S("\" lead\"")},
        {S("trail "), S("\"trail \"")},
        {S(" "), S("\" \"")},
        {S("in side"), S("in side")},         /* inner spaces need no quotes */
        {S("\ttab"), S("\ttab")},             /* only the space is special */
        {S("张三"), S("张三")},                /* UTF-8 kept as is */
        {S("\xff\xfe\x80"), S("\xff\xfe\x80")}, /* not UTF-8: bytes kept */
        {S("\xff,\xfe"), S("\"\xff,\xfe\"")},
        {S("a\0b"), S("a\0b")},               /* NUL is a byte like any other */
        {S("'=1+1"), S("'=1+1")},
    };
    xj_buf b;
    buf_init(&b, 1 << 20);
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        buf_clear(&b);
        xj_error const err = em_appendCsvField(&b, kCases[i].in, kCases[i].in_n);
        TC_CHECK(err == XJ_OK && bufIs(&b, kCases[i].out, kCases[i].out_n), "case %zu: got [%.*s] want [%s]", i,
                 (int)b.len, b.data ? b.data : "", kCases[i].out);
    }
    /* appending keeps what was there */
    buf_clear(&b);
    TC_CHECK(buf_appendStr(&b, "x,") == XJ_OK && em_appendCsvField(&b, S("a\"b")) == XJ_OK &&
                 bufIs(&b, S("x,\"a\"\"b\"")),
             "append after existing bytes: [%.*s]", (int)b.len, b.data);
    buf_free(&b);

    /* the buffer's maximum is a reported error, not an overflow */
    xj_buf small;
    buf_init(&small, 8);
    TC_CHECK(em_appendCsvField(&small, S("\"\"\"\"\"")) == XJ_ERR_LIMIT, "quoted growth past max must fail");
    buf_free(&small);
}

/* ---- round trip through libcsv ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { return tc_random(&rng_state); }

static size_t randomValue(char *v, size_t cap)
{
    static const char kAlphabet[] = {',', '"', '\r', '\n', ' ', '\t', 'a', 'Z', '0', ';', '\'', '=', (char)0x80,
                                     (char)0xff, (char)0xe5, (char)0xbc, (char)0xa0, '\\', '/', '\x01'};
    size_t const n = rnd() % 4 == 0 ? 0 : rnd() % (cap < 24 ? cap : 24);
    for (size_t i = 0; i < n; i++) v[i] = kAlphabet[rnd() % sizeof kAlphabet];
    return n;
}

static void test_roundTrip(void)
{
    enum { kRecords = 3000, kMaxFields = 7 };
    static char values[kRecords][kMaxFields][32];
    static size_t lens[kRecords][kMaxFields];
    static size_t nfields[kRecords];
    xj_buf all;
    buf_init(&all, (size_t)1 << 26);
    for (int r = 0; r < kRecords; r++) {
        nfields[r] = 2 + rnd() % (kMaxFields - 1);
        for (size_t k = 0; k < nfields[r]; k++) {
            lens[r][k] = randomValue(values[r][k], sizeof values[r][k]);
            if (k) TC_CHECK(buf_appendByte(&all, ',') == XJ_OK, "append");
            TC_CHECK(em_appendCsvField(&all, values[r][k], lens[r][k]) == XJ_OK, "encode");
        }
        TC_CHECK(buf_appendByte(&all, '\n') == XJ_OK, "append");
    }
    tl_table t;
    int const bad = tl_parseCsv(all.data, all.len, &t);
    TC_CHECK(bad == 0, "libcsv (strict) rejects our encoding");
    TC_CHECK(t.n == kRecords, "%zu records parsed, want %d", t.n, kRecords);
    for (size_t r = 0; r < t.n && r < kRecords; r++) {
        TC_CHECK(t.r[r].n == nfields[r], "record %zu: %zu fields, want %zu", r, t.r[r].n, nfields[r]);
        for (size_t k = 0; k < t.r[r].n && k < nfields[r]; k++)
            TC_CHECK(tl_fieldIs(&t.r[r].f[k], values[r][k], lens[r][k]), "record %zu field %zu differs", r, k);
    }
    tl_tableFree(&t);
    buf_free(&all);
}

/* ---- row renderers ---- */

static void test_render(void)
{
    static const char *const headers[] = {"student_no", "name, full", " note"};
    em_input inputs[2];
    memset(inputs, 0, sizeof inputs);
    inputs[0].name = "a.csv";
    inputs[1].name = "b,\"c\".csv";
    em_run run;
    memset(&run, 0, sizeof run);
    run.inputs = inputs;
    run.n_inputs = 2;
    run.headers = headers;
    run.n_headers = 3;
    run.run_date = 20261128;
    xj_buf b;
    buf_init(&b, 1 << 20);

    TC_CHECK(em_renderHeader(&b, &run, 0) == XJ_OK, "header");
    static const char kHeaderEn[] = "problem,reason,group_id,group_size,scope,arbiter,keeper,hint,other_schools,"
                                    "other_members,status,first_seen,source,line,student_no,\"name, full\",\" note\"\n";
    TC_CHECK(bufIs(&b, S(kHeaderEn)), "English header: [%s]", b.data);
    buf_clear(&b);
    TC_CHECK(em_renderHeader(&b, &run, 1) == XJ_OK, "header zh");
    static const char kHeaderZh[] = "问题类型,问题原因,问题组号,组内人数,范围,仲裁层级,先入保有,建议处理,"
                                    "组内其他学校,组内其他记录,状态,首次发现,来源文件,行号,student_no,\"name, full\",\" note\"\n";
    TC_CHECK(bufIs(&b, S(kHeaderZh)), "Chinese header: [%s]", b.data);

    static const char kTail[] = ",G1,\"张,三\",";
    static const pb_member kMembers[] = {{"G1@1101050001", "", 13, 0},
                                         {"G2@3201020003", "金山实验小学", 13, 18},
                                         {"G3@4401000004", "", 13, 0}};
    pb_row dup = {.school = "1101050001", .school_len = 10, .others = "3201020003;4401000004", .others_len = 21,
                  .members = kMembers, .n_members = 3, .self = 0, .tail = kTail, .tail_len = sizeof kTail - 1, .group_id = 0x00ab0000000000cdull, .line = 42,
                  .source = 1, .group_size = 3, .problem = PB_ID_DUPLICATE, .reason = PB_REASON_NONE,
                  .scope = PB_SCOPE_NATIONAL, .arbiter = PB_SCOPE_NATIONAL, .keeper = 1, .hint = PB_HINT_KEEP};
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &dup, 0) == XJ_OK, "render");
    static const char kDupEn[] = "id_duplicate,,00ab0000000000cd,3,national,ministry,1,keep,3201020003;4401000004,"
                                 "G2@3201020003;G3@4401000004,new,2026-11-28,\"b,\"\"c\"\".csv\",42,G1,\"张,三\",\n";
    TC_CHECK(bufIs(&b, S(kDupEn)), "id_duplicate row: [%s]", b.data);
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &dup, 1) == XJ_OK, "render zh");
    static const char kDupZh[] = "身份证件号重复,,00ab0000000000cd,3,跨省,教育部,1,保留（先入者保有）,"
                                 "3201020003;4401000004,G2@3201020003 金山实验小学;G3@4401000004,新增,2026-11-28,\"b,\"\"c\"\".csv\",42,G1,\"张,三\",\n";
    TC_CHECK(bufIs(&b, S(kDupZh)), "id_duplicate row zh: [%s]", b.data);

    dup.keeper = 0;
    dup.hint = PB_HINT_AGREE_TRANSFER;
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &dup, 0) == XJ_OK && strstr(b.data, ",national,ministry,0,agree_transfer,"),
             "keeper 0: [%s]", b.data);

    /* a row seen in an earlier run: its status and the date it first appeared */
    dup.status = PB_STATUS_PERSISTING;
    dup.first_seen = 20260315;
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &dup, 0) == XJ_OK && strstr(b.data, ";G3@4401000004,persisting,2026-03-15,"),
             "persisting: [%s]", b.data);
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &dup, 1) == XJ_OK && strstr(b.data, ";G3@4401000004,未解决,2026-03-15,"),
             "persisting zh: [%s]", b.data);
    dup.status = PB_STATUS_NEW;
    dup.first_seen = 0;

    /* id_invalid: every group column empty, whatever the struct holds */
    pb_row inv = {.school = "../../x", .school_len = 7, .others = "junk", .others_len = 4, .members = kMembers,
                  .n_members = 3, .tail = ",x,y,z",
                  .tail_len = 6, .group_id = 0xdeadbeefull, .line = 7, .source = 0, .group_size = 9,
                  .problem = PB_ID_INVALID, .reason = XJ_ID_CHECKSUM, .scope = PB_SCOPE_CITY,
                  .keeper = PB_KEEPER_NONE, .hint = PB_HINT_CORRECT_ID};
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &inv, 0) == XJ_OK, "render invalid");
    static const char kInvEn[] = "id_invalid,checksum,,,,,,correct_id,,,new,2026-11-28,a.csv,7,x,y,z\n";
    TC_CHECK(bufIs(&b, S(kInvEn)), "id_invalid row: [%s]", b.data);
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &inv, 1) == XJ_OK, "render invalid zh");
    static const char kInvZh[] = "身份证件号错误,checksum,,,,,,变更身份证件号（虚假记录则删除）,,,新增,2026-11-28,a.csv,7,"
                                 "x,y,z\n";
    TC_CHECK(bufIs(&b, S(kInvZh)), "id_invalid row zh: [%s]", b.data);

    /* attr_duplicate with mixed: keeper empty, other_schools and other_members
     * quoted if needed (a student number with a quote and a comma) */
    static const pb_member kOdd[] = {{"J\"1,@x", "", 6, 0}, {"J2@x", "", 4, 0}};
    pb_row attr = {.school = "x", .school_len = 1, .others = " a,b", .others_len = 4, .members = kOdd,
                   .n_members = 2, .self = 1, .tail = ",1,2,3",
                   .tail_len = 6, .group_id = UINT64_MAX, .line = 1, .source = 0, .group_size = 2,
                   .problem = PB_ATTR_DUPLICATE, .reason = PB_REASON_MIXED, .scope = PB_SCOPE_SCHOOL, .arbiter = PB_SCOPE_SCHOOL,
                   .keeper = PB_KEEPER_NONE, .hint = PB_HINT_ATTEST};
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &attr, 0) == XJ_OK, "render attr");
    static const char kAttrEn[] = "attr_duplicate,mixed,ffffffffffffffff,2,school,school,,attest,\" a,b\",\"J\"\"1,@x\","
                                  "new,2026-11-28,a.csv,1,1,2,3\n";
    TC_CHECK(bufIs(&b, S(kAttrEn)), "attr row: [%s]", b.data);
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &attr, 1) == XJ_OK, "render attr zh");
    static const char kAttrZh[] = "无身份证号学籍重复,mixed,ffffffffffffffff,2,本校,学校,,提交佐证材料,\" a,b\","
                                  "\"J\"\"1,@x\",新增,2026-11-28,a.csv,1,1,2,3\n";
    TC_CHECK(bufIs(&b, S(kAttrZh)), "attr row zh: [%s]", b.data);

    /* a group of 25: the row names 20 of the 24 others, then ";+4" */
    pb_member big[25];
    char texts[25][8];
    for (int i = 0; i < 25; i++) {
        snprintf(texts[i], sizeof texts[i], "G%02d@s", i);
        big[i] = (pb_member){texts[i], "", 5, 0};
    }
    attr.members = big;
    attr.n_members = 25;
    attr.self = 3;
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &attr, 0) == XJ_OK, "render a large group");
    TC_CHECK(strstr(b.data, ",\" a,b\",G00@s;G01@s;G02@s;G04@s;") != NULL &&
                 strstr(b.data, ";G19@s;G20@s;+4,new,") != NULL,
             "20 others then ;+4: [%s]", b.data);
    attr.n_members = 21; /* exactly 20 others: no count */
    buf_clear(&b);
    TC_CHECK(em_renderRow(&b, &run, &attr, 0) == XJ_OK && strstr(b.data, ";G20@s,new,") != NULL &&
                 strstr(b.data, "+") == NULL,
             "20 others, all shown: [%s]", b.data);
    buf_free(&b);
}

static void test_schoolValid(void)
{
    TC_CHECK(em_schoolIsValid("1101050001", 10), "10 digits");
    TC_CHECK(!em_schoolIsValid("110105000", 9), "9 digits");
    TC_CHECK(!em_schoolIsValid("11010500011", 11), "11 digits");
    TC_CHECK(!em_schoolIsValid("110105000a", 10), "a letter");
    TC_CHECK(!em_schoolIsValid("../../x/yz", 10), "dots and slashes");
    TC_CHECK(!em_schoolIsValid("1101050001", 0), "empty");
    TC_CHECK(em_provinceIndex("1101050001", 10) == 1 && em_provinceIndex("0099000000", 10) == 99 &&
                 em_provinceIndex("/etc", 4) == EM_PROVINCES - 1,
             "province index");
}

int main(void)
{
    test_quoting();
    test_roundTrip();
    test_render();
    test_schoolValid();
    return tc_finish("emit_csv");
}
