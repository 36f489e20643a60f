/*
 * test_emit_output — the whole output directory from a synthetic run.
 *
 * A generated em_run (4 inputs, two of them with the same base name; rows in
 * 20+ schools, among them codes that must never become paths: "../../x",
 * "/etc", "a/b", a control character, a 10,000-character code, "." and
 * "..", codes alike in their first 16 bytes; id_invalid rows whose group fields hold garbage that must not show)
 * is written several times, each time with the rows in another order and
 * another thread count. Checked:
 *  - every file is byte-identical between the runs (summary.json up to its
 *    timing member, MANIFEST except the line of summary.json);
 *  - problems.csv re-parsed with libcsv: header, every field of every row
 *    against the pb_row it came from, and the sort order of rules §6;
 *  - one per-school file per school, at the path computed here independently
 *    (schools/<d3d4>/<code>.csv or schools/_invalid/x<XXH3_64>.csv), holding
 *    that school's rows in the same order with the Chinese wording;
 *  - rejects.csv sorted by (source, line) with raw bytes preserved;
 *  - MANIFEST equals the list recomputed from the files on disk;
 *  - nothing is written outside OUTDIR and no temporary is left.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "em_internal.h"
#include "xj_clock.h"
#include "emit_testlib.h"
#include "test_check.h"

/* ---- generator ---- */

static uint64_t rng;
static uint64_t rnd(void) { return tc_random(&rng); }

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#define N_SCHOOLS 28
static const char *schools[N_SCHOOLS];
static char long_school[10001];

static void initSchools(void)
{
    static const char *const fixed[] = {
        "1101050001", "1101050002", "3201020003", "4401000004", "0000000000", "9999999999", "6501990123",
        "../../x", "/etc", "a/b", "ab\x01" "cd", "", "110105000", "11010500011", "１１０１０５０００１",
        " 1101050001", "1101050001 ", "..", ".", "schools", "MANIFEST", "x,\"y\"\nz", "\\\\server\\share",
        "1101050001/",
        /* the same first 16 bytes: em_sortRows orders these by their rows, not its prefix key */
        "1101050001-ABCDE-2", "1101050001-ABCDE-10", "1101050001-ABCDE", NULL};
    int i = 0;
    for (; fixed[i]; i++) schools[i] = fixed[i];
    for (int k = 0; k < 10000; k++) long_school[k] = "../"[k % 3];
    long_school[10000] = '\0';
    schools[i++] = long_school;
    if (i != N_SCHOOLS) {
        fprintf(stderr, "school table: %d entries, want %d\n", i, N_SCHOOLS);
        abort();
    }
}

static const char *const kOthers[] = {"", "1101050002", "3201020003;4401000004", "a/b;ab\x01" "cd", " lead,comma\"q"};
/* two-record groups for other_members: a row names the member it is not */
static const pb_member kPairs[][2] = {{{"G1@1101050001", "", 13, 0}, {"G2@1101050002", "", 13, 0}},
                                      {{" lead,@x", "", 8, 0}, {"q\"uote@\n", "", 9, 0}}};
static const char *const kNotes[] = {"", "plain", "a,b", "say \"hi\"", "two\nlines", " edge ", "张三", "=1+1",
                                     "crlf\r\nend"};
static const xj_reject kErrors[] = {XJ_REJECT_FIELD_COUNT, XJ_REJECT_BAD_QUOTE, XJ_REJECT_ENCODING,
                                    XJ_REJECT_MISSING_NAME, XJ_REJECT_BAD_SEX};

enum { N_INPUTS = 4, N_RECORDS = 2500, N_REJECTS = 60 };

typedef struct record {
    const char *school;
    const char *note;
    char *tail;
    uint32_t source;
    uint64_t line;
    pb_row *by_problem[PB_PROBLEM_COUNT]; /* the generated rows of this record */
} record;

static record records[N_RECORDS];
static pb_row *gen_rows;
static size_t n_gen_rows;
static em_reject gen_rejects[N_REJECTS];
static char *reject_raw[N_REJECTS];
static em_input inputs[N_INPUTS];
static const char *const headers[] = {"rid", "school_code", "src", " note,备注"};

static char *encodeTail(unsigned rid, const char *school, uint32_t source, const char *note)
{
    xj_buf b;
    buf_init(&b, 1 << 20);
    char num[32];
    snprintf(num, sizeof num, ",%u,", rid);
    buf_appendStr(&b, num);
    em_appendCsvField(&b, school, strlen(school));
    snprintf(num, sizeof num, ",%u,", (unsigned)source);
    buf_appendStr(&b, num);
    em_appendCsvField(&b, note, strlen(note));
    char *const s = tl_xstrdup(b.data);
    buf_free(&b);
    return s;
}

static void generate(void)
{
    initSchools();
    static const char *const names[N_INPUTS] = {"b.csv", "a.csv", "a.csv", "c,\"d\".csv"};
    for (int i = 0; i < N_INPUTS; i++) {
        inputs[i].name = names[i];
        inputs[i].path = names[i];
        inputs[i].bytes = 1000u * (unsigned)(i + 1);
        inputs[i].decoded_bytes = inputs[i].bytes;
        snprintf(inputs[i].xxh3_128, sizeof inputs[i].xxh3_128, "%032x", i);
        inputs[i].school_name_col = -1;
        inputs[i].student_no_col = -1;
        inputs[i].school_code_col = 1;
    }
    rng = 0x1234567887654321ull;
    uint64_t next_line[N_INPUTS] = {1, 1, 1, 1};
    gen_rows = tl_xmalloc(sizeof *gen_rows * N_RECORDS * 2);
    for (unsigned r = 0; r < N_RECORDS; r++) {
        record *const rec = &records[r];
        rec->source = (uint32_t)(rnd() % N_INPUTS);
        rec->line = next_line[rec->source] += 1 + rnd() % 3;
        rec->school = schools[rnd() % N_SCHOOLS];
        rec->note = kNotes[rnd() % (sizeof kNotes / sizeof kNotes[0])];
        rec->tail = encodeTail(r, rec->school, rec->source, rec->note);
        int const first = (int)(rnd() % PB_PROBLEM_COUNT);
        int const count = rnd() % 4 == 0 ? 2 : 1;
        for (int k = 0; k < count; k++) {
            pb_problem const p = (pb_problem)((first + k) % PB_PROBLEM_COUNT);
            pb_row *const row = &gen_rows[n_gen_rows++];
            memset(row, 0, sizeof *row);
            row->school = rec->school;
            row->school_len = (uint32_t)strlen(rec->school);
            row->tail = rec->tail;
            row->tail_len = (uint32_t)strlen(rec->tail);
            row->line = rec->line;
            row->source = rec->source;
            row->problem = (uint8_t)p;
            const char *const others = kOthers[rnd() % (sizeof kOthers / sizeof kOthers[0])];
            row->others = others;
            row->others_len = (uint32_t)strlen(others);
            row->members = kPairs[rnd() % 2];
            row->n_members = 2;
            row->self = (uint32_t)(rnd() % 2);
            row->status = (uint8_t)(rnd() % PB_STATUS_COUNT);
            row->first_seen = rnd() % 2 ? 0 : 20240101 + (uint32_t)(rnd() % 12) * 100;
            if (p == PB_ID_INVALID) {
                /* garbage in the group fields: none of it may show or order */
                row->group_id = rnd();
                row->group_size = (uint32_t)(rnd() % 7);
                row->scope = (uint8_t)(rnd() % PB_SCOPE_COUNT);
                row->reason = (uint8_t)(1 + rnd() % (XJ_ID_REASON_COUNT - 1));
                row->keeper = (uint8_t)(rnd() % 3);
                row->hint = PB_HINT_CORRECT_ID;
            } else {
                unsigned const g = (unsigned)(rnd() % 40);
                row->group_id = mix(g * 2 + (unsigned)p);
                if (g % 7 == 0) row->group_id &= 0x0000ffffffffffffull; /* leading zero digits */
                row->group_size = 2 + g % 4;
                row->scope = (uint8_t)(g % PB_SCOPE_COUNT);
                row->arbiter = row->scope;
                if (p == PB_ID_DUPLICATE) {
                    row->keeper = (uint8_t)(rnd() % 2);
                    row->hint = row->keeper ? PB_HINT_KEEP : (uint8_t)(PB_HINT_DELETE_COPY + rnd() % 3);
                    row->reason = PB_REASON_NONE;
                } else {
                    row->keeper = PB_KEEPER_NONE;
                    row->hint = rnd() % 2 ? PB_HINT_ATTEST : PB_HINT_DELETE_COPY;
                    row->reason = rnd() % 3 == 0 ? PB_REASON_MIXED : PB_REASON_NONE;
                }
            }
            rec->by_problem[p] = row;
        }
    }
    for (int i = 0; i < N_REJECTS; i++) {
        em_reject *const j = &gen_rejects[i];
        j->source = (uint32_t)(rnd() % N_INPUTS);
        j->line = next_line[j->source] += 1 + rnd() % 5;
        j->reason = kErrors[rnd() % (sizeof kErrors / sizeof kErrors[0])];
        size_t const n = i == 0 ? 0 : rnd() % 40;
        static const char kBytes[] = {',', '"', '\r', '\n', ' ', 'a', (char)0xff, (char)0xc3, '\x01', 'z', '\0'};
        char *const raw = tl_xmalloc(n + 1);
        for (size_t k = 0; k < n; k++) raw[k] = kBytes[rnd() % sizeof kBytes];
        raw[n] = '\0';
        reject_raw[i] = raw;
        j->raw = raw;
        j->raw_len = n;
    }
}

static void fillRun(em_run *run, const char *outdir, pb_row *rows, em_reject *rejects, int threads)
{
    memset(run, 0, sizeof *run);
    run->outdir = outdir;
    run->inputs = inputs;
    run->n_inputs = N_INPUTS;
    run->headers = headers;
    run->n_headers = sizeof headers / sizeof headers[0];
    run->rows = rows;
    run->n_rows = n_gen_rows;
    run->rejects = rejects;
    run->n_rejects = N_REJECTS;
    run->rows_accepted = N_RECORDS;
    run->rows_read = N_RECORDS + N_REJECTS;
    run->run_date = 20261128;
    run->attr_scope = "noid";
    run->encoding = "utf-8";
    run->timing.start = xj_now();
    run->threads = threads;
}

/* Writes the run with the rows and rejects in the order given by `order`
 * (0 as generated, 1 reversed, else shuffled with that seed). */
static int writeRun(const char *outdir, int order, int threads)
{
    pb_row *const rows = tl_xmalloc(sizeof *rows * n_gen_rows);
    em_reject *const rejects = tl_xmalloc(sizeof *rejects * N_REJECTS);
    memcpy(rows, gen_rows, sizeof *rows * n_gen_rows);
    memcpy(rejects, gen_rejects, sizeof *rejects * N_REJECTS);
    if (order == 1) {
        for (size_t i = 0; i < n_gen_rows / 2; i++) {
            pb_row const t = rows[i];
            rows[i] = rows[n_gen_rows - 1 - i];
            rows[n_gen_rows - 1 - i] = t;
        }
        for (size_t i = 0; i < N_REJECTS / 2; i++) {
            em_reject const t = rejects[i];
            rejects[i] = rejects[N_REJECTS - 1 - i];
            rejects[N_REJECTS - 1 - i] = t;
        }
    } else if (order > 1) {
        rng = (uint64_t)order * 0x9e3779b97f4a7c15ull;
        for (size_t i = n_gen_rows - 1; i > 0; i--) {
            size_t const k = rnd() % (i + 1);
            pb_row const t = rows[i];
            rows[i] = rows[k];
            rows[k] = t;
        }
        for (size_t i = N_REJECTS - 1; i > 0; i--) {
            size_t const k = rnd() % (i + 1);
            em_reject const t = rejects[i];
            rejects[i] = rejects[k];
            rejects[k] = t;
        }
    }
    em_run run;
    fillRun(&run, outdir, rows, rejects, threads);
    xj_status st;
    st_init(&st);
    xj_error const err = em_write(&run, &st);
    TC_CHECK(err == XJ_OK, "em_write %s: %s", outdir, st.message);
    free(rows);
    free(rejects);
    return err == XJ_OK ? 0 : -1;
}

/* ---- checks ---- */

static char sandbox[4096];

static void pathIn(char *out, size_t cap, const char *dir, const char *rel)
{
    snprintf(out, cap, "%s/%s", dir, rel);
}

/* The per-school path, computed here without the code under test. */
static void expectedSchoolPath(const char *school, char *out, size_t cap)
{
    size_t const n = strlen(school);
    int digits = n == 10;
    for (size_t i = 0; i < n && digits; i++) digits = school[i] >= '0' && school[i] <= '9';
    if (digits) snprintf(out, cap, "schools/%c%c/%s.csv", school[2], school[3], school);
    else snprintf(out, cap, "schools/_invalid/x%016" PRIx64 ".csv", (uint64_t)XXH3_64bits(school, n));
}

static int cmpBytes(const tl_field *a, const tl_field *b)
{
    size_t const n = a->n < b->n ? a->n : b->n;
    int const c = n ? memcmp(a->s, b->s, n) : 0;
    if (c) return c;
    return a->n < b->n ? -1 : a->n > b->n;
}

enum { F_PROBLEM, F_REASON, F_GROUP, F_SIZE, F_SCOPE, F_ARBITER, F_KEEPER, F_HINT, F_OTHERS, F_MEMBERS, F_STATUS, F_FIRST, F_SOURCE, F_LINE,
       F_RID, F_SCHOOL, F_SRC, F_NOTE, F_COUNT };

static int fieldIsStr(const tl_field *f, const char *s) { return tl_fieldIs(f, s, strlen(s)); }

/* Every field of one problems.csv row against the pb_row it came from. */
static void checkRow(const tl_record *rec, size_t i)
{
    if (rec->n != F_COUNT) {
        TC_CHECK(0, "problems.csv row %zu: %zu fields, want %d", i, rec->n, F_COUNT);
        return;
    }
    unsigned const rid = (unsigned)strtoul(rec->f[F_RID].s, NULL, 10);
    int p = -1;
    for (int k = 0; k < PB_PROBLEM_COUNT; k++)
        if (fieldIsStr(&rec->f[F_PROBLEM], pb_problemCode((pb_problem)k))) p = k;
    if (rid >= N_RECORDS || p < 0 || records[rid].by_problem[p] == NULL) {
        TC_CHECK(0, "problems.csv row %zu: unknown record %u / problem %s", i, rid, rec->f[F_PROBLEM].s);
        return;
    }
    const record *const r = &records[rid];
    const pb_row *const row = r->by_problem[p];
    char want[64];
    TC_CHECK(fieldIsStr(&rec->f[F_REASON], row->reason == PB_REASON_MIXED ? "mixed"
                                               : row->reason ? xj_idReasonName((xj_idReason)row->reason) : ""),
             "row %zu: reason %s", i, rec->f[F_REASON].s);
    if (p == PB_ID_INVALID) {
        for (int k = F_GROUP; k <= F_KEEPER; k++)
            TC_CHECK(rec->f[k].n == 0, "row %zu: id_invalid column %d not empty: %s", i, k, rec->f[k].s);
        TC_CHECK(rec->f[F_OTHERS].n == 0, "row %zu: id_invalid other_schools not empty", i);
        TC_CHECK(rec->f[F_MEMBERS].n == 0, "row %zu: id_invalid other_members not empty", i);
        TC_CHECK(fieldIsStr(&rec->f[F_HINT], "correct_id"), "row %zu: hint %s", i, rec->f[F_HINT].s);
    } else {
        snprintf(want, sizeof want, "%016" PRIx64, row->group_id);
        TC_CHECK(fieldIsStr(&rec->f[F_GROUP], want), "row %zu: group_id %s want %s", i, rec->f[F_GROUP].s, want);
        snprintf(want, sizeof want, "%u", (unsigned)row->group_size);
        TC_CHECK(fieldIsStr(&rec->f[F_SIZE], want), "row %zu: group_size", i);
        static const char *const kScope[] = {"school", "county", "city", "province", "national"};
        static const char *const kArbiter[] = {"school", "county", "city", "province", "ministry"};
        TC_CHECK(fieldIsStr(&rec->f[F_SCOPE], kScope[row->scope]), "row %zu: scope %s", i, rec->f[F_SCOPE].s);
        TC_CHECK(fieldIsStr(&rec->f[F_ARBITER], kArbiter[row->scope]), "row %zu: arbiter", i);
        TC_CHECK(fieldIsStr(&rec->f[F_KEEPER], p == PB_ID_DUPLICATE ? (row->keeper ? "1" : "0") : ""),
                 "row %zu: keeper [%s]", i, rec->f[F_KEEPER].s);
        static const char *const kHint[] = {"keep", "delete_copy", "agree_transfer", "check_id", "correct_id",
                                            "attest"};
        TC_CHECK(fieldIsStr(&rec->f[F_HINT], kHint[row->hint]), "row %zu: hint %s", i, rec->f[F_HINT].s);
        TC_CHECK(tl_fieldIs(&rec->f[F_OTHERS], row->others, row->others_len), "row %zu: other_schools", i);
        const pb_member *const other = &row->members[1 - row->self];
        TC_CHECK(tl_fieldIs(&rec->f[F_MEMBERS], other->text, other->text_len), "row %zu: other_members [%s]", i,
                 rec->f[F_MEMBERS].s);
    }
    static const char *const kStatus[] = {"new", "persisting", "reopened"};
    TC_CHECK(fieldIsStr(&rec->f[F_STATUS], kStatus[row->status]), "row %zu: status %s", i, rec->f[F_STATUS].s);
    if (row->first_seen) snprintf(want, sizeof want, "%04u-%02u-01", row->first_seen / 10000, row->first_seen / 100 % 100);
    else snprintf(want, sizeof want, "2026-11-28"); /* the run date */
    TC_CHECK(fieldIsStr(&rec->f[F_FIRST], want), "row %zu: first_seen %s want %s", i, rec->f[F_FIRST].s, want);
    TC_CHECK(fieldIsStr(&rec->f[F_SOURCE], inputs[r->source].name), "row %zu: source %s", i, rec->f[F_SOURCE].s);
    snprintf(want, sizeof want, "%" PRIu64, r->line);
    TC_CHECK(fieldIsStr(&rec->f[F_LINE], want), "row %zu: line %s want %s", i, rec->f[F_LINE].s, want);
    TC_CHECK(fieldIsStr(&rec->f[F_SCHOOL], r->school), "row %zu: school column", i);
    snprintf(want, sizeof want, "%u", (unsigned)r->source);
    TC_CHECK(fieldIsStr(&rec->f[F_SRC], want), "row %zu: src column", i);
    TC_CHECK(fieldIsStr(&rec->f[F_NOTE], r->note), "row %zu: note column", i);
}

/* rules §6 order, with the input index (column src) as the last tie-break. */
static int cmpOutputRows(const tl_record *a, const tl_record *b)
{
    static const int kKeys[] = {F_SCHOOL, F_PROBLEM, F_GROUP, F_SOURCE};
    for (size_t k = 0; k < sizeof kKeys / sizeof kKeys[0]; k++) {
        int const c = cmpBytes(&a->f[kKeys[k]], &b->f[kKeys[k]]);
        if (c) return c;
    }
    unsigned long long const la = strtoull(a->f[F_LINE].s, NULL, 10), lb = strtoull(b->f[F_LINE].s, NULL, 10);
    if (la != lb) return la < lb ? -1 : 1;
    unsigned long const sa = strtoul(a->f[F_SRC].s, NULL, 10), sb = strtoul(b->f[F_SRC].s, NULL, 10);
    return sa < sb ? -1 : sa > sb;
}

static const char *zhOf(const char *code, const char *const *codes, const char *const *zh, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(code, codes[i]) == 0) return zh[i];
    return NULL;
}

/* The school file's rows must be exactly the school's problems.csv rows,
 * translated where rules §6 says. */
static void checkSchoolFile(const char *outdir, const tl_table *all, size_t from, size_t to)
{
    const tl_field *const code = &all->r[from].f[F_SCHOOL];
    char rel[256], path[8192];
    expectedSchoolPath(code->s, rel, sizeof rel);
    pathIn(path, sizeof path, outdir, rel);
    size_t n = 0;
    char *const data = tl_readFile(path, &n);
    TC_CHECK(data != NULL, "school file %s missing (school [%.40s])", rel, code->s);
    if (data == NULL) return;
    /* Chinese headers in UTF-8: a BOM first, so Excel reads the encoding */
    int const bom = n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0;
    TC_CHECK(bom, "%s: no UTF-8 BOM", rel);
    tl_table t;
    TC_CHECK(tl_parseCsv(data + (bom ? 3 : 0), n - (bom ? 3 : 0), &t) == 0, "%s: libcsv rejects it", rel);
    TC_CHECK(t.n == to - from + 1, "%s: %zu records, want %zu", rel, t.n, to - from + 1);
    static const char *const kZhHeader[] = {"问题类型", "问题原因", "问题组号", "组内人数", "范围", "仲裁层级",
                                            "先入保有", "建议处理", "组内其他学校", "组内其他记录", "状态",
                                            "首次发现", "来源文件", "行号"};
    if (t.n > 0) {
        TC_CHECK(t.r[0].n == F_COUNT, "%s: header has %zu fields", rel, t.r[0].n);
        for (int k = 0; k < F_COUNT && k < (int)t.r[0].n; k++) {
            const char *const want = k < 14 ? kZhHeader[k] : headers[k - 14];
            TC_CHECK(fieldIsStr(&t.r[0].f[k], want), "%s: header %d is %s", rel, k, t.r[0].f[k].s);
        }
    }
    static const char *const kProblems[] = {"attr_duplicate", "id_duplicate", "id_invalid", "suspect_duplicate"};
    static const char *const kProblemsZh[] = {"无身份证号学籍重复", "身份证件号重复", "身份证件号错误", "疑似重复学籍"};
    static const char *const kScopes[] = {"school", "county", "city", "province", "national"};
    static const char *const kScopesZh[] = {"本校", "同县", "跨县", "跨市", "跨省"};
    static const char *const kArbiters[] = {"school", "county", "city", "province", "ministry"};
    static const char *const kArbitersZh[] = {"学校", "县级教育行政部门", "市级教育行政部门", "省级教育行政部门",
                                              "教育部"};
    static const char *const kHints[] = {"keep", "delete_copy", "agree_transfer", "check_id", "correct_id", "attest"};
    static const char *const kStatuses[] = {"new", "persisting", "reopened"};
    static const char *const kStatusesZh[] = {"新增", "未解决", "重新处理"};
    static const char *const kHintsZh[] = {"保留（先入者保有）", "删除重复导入的记录",
                                           "同一学生在多校建籍，与对方学校协商由一方删除", "核对身份证件号，错误则变更",
                                           "变更身份证件号（虚假记录则删除）", "提交佐证材料"};
    for (size_t i = 1; i < t.n && from + i - 1 < to; i++) {
        const tl_record *const got = &t.r[i], *const ref = &all->r[from + i - 1];
        if (got->n != F_COUNT) {
            TC_CHECK(0, "%s row %zu: %zu fields", rel, i, got->n);
            continue;
        }
        for (int k = 0; k < F_COUNT; k++) {
            const char *want = ref->f[k].s;
            size_t wn = ref->f[k].n;
            const char *zh = NULL;
            if (k == F_PROBLEM) zh = zhOf(want, kProblems, kProblemsZh, 4);
            if (k == F_SCOPE && wn) zh = zhOf(want, kScopes, kScopesZh, 5);
            if (k == F_ARBITER && wn) zh = zhOf(want, kArbiters, kArbitersZh, 5);
            if (k == F_HINT) zh = zhOf(want, kHints, kHintsZh, 6);
            if (k == F_STATUS) zh = zhOf(want, kStatuses, kStatusesZh, 3);
            if (zh) want = zh, wn = strlen(zh);
            TC_CHECK(tl_fieldIs(&got->f[k], want, wn), "%s row %zu column %d: [%s] want [%s]", rel, i, k,
                     got->f[k].s, want);
        }
    }
    tl_tableFree(&t);
    free(data);
}

static void checkProblems(const char *outdir, tl_list *expected_schools)
{
    char path[8192];
    pathIn(path, sizeof path, outdir, "problems.csv");
    size_t n = 0;
    char *const data = tl_readFile(path, &n);
    TC_CHECK(data != NULL, "problems.csv missing");
    if (data == NULL) return;
    tl_table t;
    TC_CHECK(tl_parseCsv(data, n, &t) == 0, "problems.csv: libcsv rejects it");
    static const char *const kHeader[] = {"problem", "reason", "group_id", "group_size", "scope", "arbiter",
                                          "keeper", "hint", "other_schools", "other_members", "status", "first_seen",
                                          "source", "line"};
    TC_CHECK(t.n == n_gen_rows + 1, "problems.csv: %zu records, want %zu", t.n, n_gen_rows + 1);
    if (t.n == 0) return;
    TC_CHECK(t.r[0].n == F_COUNT, "header: %zu fields", t.r[0].n);
    for (int k = 0; k < F_COUNT && k < (int)t.r[0].n; k++)
        TC_CHECK(fieldIsStr(&t.r[0].f[k], k < 14 ? kHeader[k] : headers[k - 14]), "header field %d: %s", k,
                 t.r[0].f[k].s);
    /* each (record, problem) exactly once, each field right */
    static unsigned char seen[N_RECORDS][PB_PROBLEM_COUNT];
    memset(seen, 0, sizeof seen);
    for (size_t i = 1; i < t.n; i++) {
        checkRow(&t.r[i], i);
        if (t.r[i].n != F_COUNT) continue;
        unsigned const rid = (unsigned)strtoul(t.r[i].f[F_RID].s, NULL, 10);
        for (int p = 0; p < PB_PROBLEM_COUNT; p++)
            if (rid < N_RECORDS && fieldIsStr(&t.r[i].f[F_PROBLEM], pb_problemCode((pb_problem)p))) {
                TC_CHECK(!seen[rid][p], "record %u problem %d twice", rid, p);
                seen[rid][p] = 1;
            }
        if (i > 1 && t.r[i - 1].n == F_COUNT)
            TC_CHECK(cmpOutputRows(&t.r[i - 1], &t.r[i]) < 0, "problems.csv rows %zu and %zu out of order", i - 1, i);
    }
    /* school files: one per run of equal school codes */
    for (size_t i = 1; i < t.n;) {
        size_t j = i + 1;
        while (j < t.n && cmpBytes(&t.r[i].f[F_SCHOOL], &t.r[j].f[F_SCHOOL]) == 0) j++;
        checkSchoolFile(outdir, &t, i, j);
        char rel[256];
        expectedSchoolPath(t.r[i].f[F_SCHOOL].s, rel, sizeof rel);
        TC_CHECK(!tl_listHas(expected_schools, rel), "two schools map to %s", rel);
        tl_listAdd(expected_schools, rel);
        i = j;
    }
    tl_tableFree(&t);
    free(data);
}

static int cmpRejects(const void *pa, const void *pb)
{
    const em_reject *const a = pa, *const b = pb;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static void checkRejects(const char *outdir)
{
    char path[8192];
    pathIn(path, sizeof path, outdir, "rejects.csv");
    size_t n = 0;
    char *const data = tl_readFile(path, &n);
    TC_CHECK(data != NULL, "rejects.csv missing");
    if (data == NULL) return;
    tl_table t;
    TC_CHECK(tl_parseCsv(data, n, &t) == 0, "rejects.csv: libcsv rejects it");
    TC_CHECK(strncmp(data, "source,line,error,raw\n", 22) == 0, "rejects.csv header");
    em_reject sorted[N_REJECTS];
    memcpy(sorted, gen_rejects, sizeof sorted);
    qsort(sorted, N_REJECTS, sizeof *sorted, cmpRejects);
    TC_CHECK(t.n == N_REJECTS + 1, "rejects.csv: %zu records", t.n);
    for (size_t i = 1; i < t.n && i <= N_REJECTS; i++) {
        const tl_record *const r = &t.r[i];
        const em_reject *const w = &sorted[i - 1];
        if (r->n != 4) {
            TC_CHECK(0, "rejects row %zu: %zu fields", i, r->n);
            continue;
        }
        char line[32];
        snprintf(line, sizeof line, "%" PRIu64, w->line);
        TC_CHECK(fieldIsStr(&r->f[0], inputs[w->source].name) && fieldIsStr(&r->f[1], line) &&
                     fieldIsStr(&r->f[2], rj_code(w->reason)) && tl_fieldIs(&r->f[3], w->raw, w->raw_len),
                 "rejects row %zu differs (line %s)", i, line);
    }
    tl_tableFree(&t);
    free(data);
}

/* MANIFEST recomputed from the files on disk, compared byte for byte. */
static void checkManifest(const char *outdir, const tl_list *files)
{
    xj_buf want;
    buf_init(&want, (size_t)1 << 26);
    for (size_t i = 0; i < files->n; i++) {
        if (strcmp(files->items[i], "MANIFEST") == 0) continue;
        char path[8192];
        pathIn(path, sizeof path, outdir, files->items[i]);
        size_t n = 0;
        char *const data = tl_readFile(path, &n);
        TC_CHECK(data != NULL, "cannot read %s", path);
        if (data == NULL) continue;
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits(data, n));
        for (int k = 0; k < 16; k++) buf_printf(&want, "%02x", c.digest[k]);
        buf_printf(&want, " %zu %s\n", n, files->items[i]);
        free(data);
    }
    char path[8192];
    pathIn(path, sizeof path, outdir, "MANIFEST");
    size_t n = 0;
    char *const got = tl_readFile(path, &n);
    TC_CHECK(got != NULL && n == want.len && memcmp(got, want.data, n) == 0, "MANIFEST differs:\n%s\nwant:\n%s",
             got ? got : "(missing)", want.data);
    free(got);
    buf_free(&want);
}

/* The bytes two runs must share: all of a file, but summary.json up to
 * "timing" and MANIFEST without summary.json's line. */
static void comparable(const char *rel, char *data, size_t *n)
{
    if (strcmp(rel, "summary.json") == 0) {
        char *const t = strstr(data, "\"timing\"");
        if (t) *n = (size_t)(t - data);
    } else if (strcmp(rel, "MANIFEST") == 0) {
        char *const s = strstr(data, " summary.json\n");
        if (s) {
            char *start = s;
            while (start > data && start[-1] != '\n') start--;
            memmove(start, s + 14, *n - (size_t)(s + 14 - data));
            *n -= (size_t)(s + 14 - start);
        }
    }
}

static void compareTrees(const char *a, const char *b)
{
    tl_list fa, fb;
    tl_walk(a, &fa);
    tl_walk(b, &fb);
    TC_CHECK(fa.n == fb.n, "%s has %zu files, %s has %zu", a, fa.n, b, fb.n);
    for (size_t i = 0; i < fa.n && i < fb.n; i++) {
        TC_CHECK(strcmp(fa.items[i], fb.items[i]) == 0, "file lists differ: %s vs %s", fa.items[i], fb.items[i]);
        char pa[8192], pb[8192];
        pathIn(pa, sizeof pa, a, fa.items[i]);
        pathIn(pb, sizeof pb, b, fb.items[i]);
        size_t na = 0, nb = 0;
        char *const da = tl_readFile(pa, &na), *const db = tl_readFile(pb, &nb);
        if (da && db) {
            comparable(fa.items[i], da, &na);
            comparable(fb.items[i], db, &nb);
        }
        TC_CHECK(da && db && na == nb && memcmp(da, db, na) == 0, "%s differs between %s and %s", fa.items[i], a, b);
        free(da);
        free(db);
    }
    tl_listFree(&fa);
    tl_listFree(&fb);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_emit_output SCRATCHDIR\n");
        return 2;
    }
    generate();
    /* OUTDIRs live two levels down, so the sandbox itself can be listed to
     * prove nothing else appeared beside them */
    snprintf(sandbox, sizeof sandbox, "%s/sandbox", argv[1]);
    tl_rmtree(argv[1]);
    tl_mkdirs(sandbox);

    static const struct { const char *name; int order, threads; } kRuns[] = {
        {"out-gen-t1", 0, 1}, {"out-rev-t4", 1, 4}, {"out-shuf-t2", 7, 2}, {"out-shuf-t1", 11, 1}, {"out-shuf-t8", 13, 8},
    };
    enum { kNRuns = sizeof kRuns / sizeof kRuns[0] };
    char outdirs[kNRuns][4200];
    for (int i = 0; i < kNRuns; i++) {
        snprintf(outdirs[i], sizeof outdirs[i], "%s/%s", sandbox, kRuns[i].name);
        writeRun(outdirs[i], kRuns[i].order, kRuns[i].threads);
    }

    /* nothing but the OUTDIRs beside them: no temporaries, no escaped paths */
    tl_list beside;
    tl_listDir(sandbox, &beside);
    TC_CHECK(beside.n == kNRuns, "%zu entries in the sandbox, want %d", beside.n, kNRuns);
    for (size_t i = 0; i < beside.n; i++) {
        int ours = 0;
        for (int k = 0; k < kNRuns; k++) ours |= strcmp(beside.items[i], kRuns[k].name) == 0;
        TC_CHECK(ours, "unexpected entry beside the OUTDIRs: %s", beside.items[i]);
    }
    tl_listFree(&beside);
    tl_list up;
    tl_listDir(argv[1], &up);
    TC_CHECK(up.n == 1 && strcmp(up.items[0], "sandbox") == 0, "unexpected entries in %s", argv[1]);
    tl_listFree(&up);

    const char *const out = outdirs[0];
    tl_list schools_want = {0};
    checkProblems(out, &schools_want);
    checkRejects(out);

    /* the file set: the fixed files plus exactly the expected school files */
    tl_list files;
    tl_walk(out, &files);
    static const char *const kRequired[] = {"MANIFEST", "problems.csv", "rejects.csv", "summary.json"};
    for (size_t k = 0; k < sizeof kRequired / sizeof kRequired[0]; k++)
        TC_CHECK(tl_listHas(&files, kRequired[k]), "%s missing", kRequired[k]);
    size_t school_files = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *const f = files.items[i];
        TC_CHECK(f[0] != '?', "not a regular file: %s", f + 1);
        if (strncmp(f, "schools/", 8) != 0 || strcmp(f, "schools/README.txt") == 0) continue;
        school_files++;
        TC_CHECK(tl_listHas(&schools_want, f), "unexpected school file %s", f);
    }
    TC_CHECK(school_files == schools_want.n, "%zu school files, want %zu", school_files, schools_want.n);
    TC_CHECK(schools_want.n == N_SCHOOLS, "%zu schools with rows, want %d (generator)", schools_want.n, N_SCHOOLS);
    checkManifest(out, &files);
    tl_listFree(&files);
    tl_listFree(&schools_want);

    for (int i = 1; i < kNRuns; i++) compareTrees(outdirs[0], outdirs[i]);

    if (tc_failures == 0) tl_rmtree(argv[1]);
    for (size_t r = 0; r < N_RECORDS; r++) free(records[r].tail);
    for (int i = 0; i < N_REJECTS; i++) free(reject_raw[i]);
    free(gen_rows);
    return tc_finish("emit_output");
}
