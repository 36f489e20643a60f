/*
 * test_emit_summary — summary.json byte for byte.
 *
 * A small run with hand-counted rows (groups spread over rows, reasons out of
 * their numeric order, a province key "_invalid", input names that need
 * JSON escapes; rows persisting and reopened, attested rows, decisions lines
 * in effect or overridden, matched or not) is written, and summary.json up
 * to its `timing` member is
 * compared with the text below, written by hand in the layout of Python's
 * json.dumps(obj, indent=2, ensure_ascii=False). The timing member must be
 * last and hold its six numbers; the float printer is checked against
 * values Python prints.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_clock.h"
#include "emit_testlib.h"
#include "test_check.h"

static const char kExpected[] =
    "{\n"
    "  \"version\": \"" XJ_VERSION_STRING "\",\n"
    "  \"run_date\": \"2026-03-09\",\n"
    "  \"options\": {\n"
    "    \"attr_scope\": \"mixed\",\n"
    "    \"encoding\": \"gbk\",\n"
    "    \"region_table\": \"regions \\\"v2\\\".csv\",\n"
    "    \"suspects\": false\n"
    "  },\n"
    "  \"inputs\": [\n"
    "    {\n"
    "      \"name\": \"a\\\"b\\\\c\\t\\u0001\x7f\\n.csv\",\n"
    "      \"bytes\": 123,\n"
    "      \"decoded_bytes\": 456,\n"
    "      \"xxh3_128\": \"0123456789abcdef0123456789abcdef\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"学籍.csv\",\n"
    "      \"bytes\": 0,\n"
    "      \"decoded_bytes\": 18446744073709551615,\n"
    "      \"xxh3_128\": \"ffffffffffffffffffffffffffffffff\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"bad\xEF\xBF\xBD\xEF\xBF\xBD.csv\",\n"
    "      \"bytes\": 1,\n"
    "      \"decoded_bytes\": 1,\n"
    "      \"xxh3_128\": \"00000000000000000000000000000000\"\n"
    "    }\n"
    "  ],\n"
    "  \"rows\": {\n"
    "    \"read\": 14,\n"
    "    \"accepted\": 10,\n"
    "    \"rejected\": 4,\n"
    "    \"blank_lines\": 3\n"
    "  },\n"
    "  \"unknown_id_types\": 5,\n"
    "  \"rejects\": {\n"
    "    \"bad_quote\": 1,\n"
    "    \"encoding\": 1,\n"
    "    \"field_count\": 2\n"
    "  },\n"
    "  \"problems\": {\n"
    "    \"attr_duplicate\": {\n"
    "      \"records\": 2,\n"
    "      \"groups\": 1,\n"
    "      \"reasons\": {\n"
    "        \"mixed\": 1\n"
    "      },\n"
    "      \"scopes\": {\n"
    "        \"school\": 0,\n"
    "        \"county\": 0,\n"
    "        \"city\": 0,\n"
    "        \"province\": 0,\n"
    "        \"national\": 1\n"
    "      }\n"
    "    },\n"
    "    \"id_duplicate\": {\n"
    "      \"records\": 4,\n"
    "      \"groups\": 2,\n"
    "      \"reasons\": {},\n"
    "      \"scopes\": {\n"
    "        \"school\": 1,\n"
    "        \"county\": 1,\n"
    "        \"city\": 0,\n"
    "        \"province\": 0,\n"
    "        \"national\": 0\n"
    "      }\n"
    "    },\n"
    "    \"id_invalid\": {\n"
    "      \"records\": 5,\n"
    "      \"reasons\": {\n"
    "        \"birthdate\": 1,\n"
    "        \"birthdate_mismatch\": 1,\n"
    "        \"checksum\": 2,\n"
    "        \"format\": 1\n"
    "      }\n"
    "    },\n"
    "    \"suspect_duplicate\": {\n"
    "      \"records\": 0,\n"
    "      \"groups\": 0,\n"
    "      \"reasons\": {},\n"
    "      \"scopes\": {\n"
    "        \"school\": 0,\n"
    "        \"county\": 0,\n"
    "        \"city\": 0,\n"
    "        \"province\": 0,\n"
    "        \"national\": 0\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"provinces\": {\n"
    "    \"01\": {\n"
    "      \"attr_duplicate\": 1,\n"
    "      \"id_duplicate\": 2,\n"
    "      \"id_invalid\": 1,\n"
    "      \"suspect_duplicate\": 0\n"
    "    },\n"
    "    \"02\": {\n"
    "      \"attr_duplicate\": 0,\n"
    "      \"id_duplicate\": 2,\n"
    "      \"id_invalid\": 2,\n"
    "      \"suspect_duplicate\": 0\n"
    "    },\n"
    "    \"_invalid\": {\n"
    "      \"attr_duplicate\": 1,\n"
    "      \"id_duplicate\": 0,\n"
    "      \"id_invalid\": 2,\n"
    "      \"suspect_duplicate\": 0\n"
    "    }\n"
    "  },\n"
    /* docs/monthly.md §7: rows by status, attested rows, decisions lines */
    "  \"monthly\": {\n"
    "    \"previous_run_date\": null,\n"
    "    \"decisions_in_effect\": 6,\n"
    "    \"decisions_matched\": 4,\n"
    "    \"decisions_unmatched\": 2,\n"
    "    \"approved_members\": 3,\n"
    "    \"attested_groups\": 2,\n"
    "    \"problems\": {\n"
    "      \"attr_duplicate\": {\n"
    "        \"new\": 1,\n"
    "        \"persisting\": 0,\n"
    "        \"reopened\": 1,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 3\n"
    "      },\n"
    "      \"id_duplicate\": {\n"
    "        \"new\": 3,\n"
    "        \"persisting\": 1,\n"
    "        \"reopened\": 0,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 0\n"
    "      },\n"
    "      \"id_invalid\": {\n"
    "        \"new\": 4,\n"
    "        \"persisting\": 1,\n"
    "        \"reopened\": 0,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 0\n"
    "      },\n"
    "      \"suspect_duplicate\": {\n"
    "        \"new\": 0,\n"
    "        \"persisting\": 0,\n"
    "        \"reopened\": 0,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 0\n"
    "      }\n"
    "    },\n"
    "    \"provinces\": {\n"
    "      \"01\": {\n"
    "        \"attr_duplicate\": {\n"
    "          \"new\": 1,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 2\n"
    "        },\n"
    "        \"id_duplicate\": {\n"
    "          \"new\": 1,\n"
    "          \"persisting\": 1,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        },\n"
    "        \"id_invalid\": {\n"
    "          \"new\": 1,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        },\n"
    "        \"suspect_duplicate\": {\n"
    "          \"new\": 0,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        }\n"
    "      },\n"
    "      \"02\": {\n"
    "        \"attr_duplicate\": {\n"
    "          \"new\": 0,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 1\n"
    "        },\n"
    "        \"id_duplicate\": {\n"
    "          \"new\": 2,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        },\n"
    "        \"id_invalid\": {\n"
    "          \"new\": 1,\n"
    "          \"persisting\": 1,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        },\n"
    "        \"suspect_duplicate\": {\n"
    "          \"new\": 0,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        }\n"
    "      },\n"
    "      \"_invalid\": {\n"
    "        \"attr_duplicate\": {\n"
    "          \"new\": 0,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 1,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        },\n"
    "        \"id_duplicate\": {\n"
    "          \"new\": 0,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        },\n"
    "        \"id_invalid\": {\n"
    "          \"new\": 2,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        },\n"
    "        \"suspect_duplicate\": {\n"
    "          \"new\": 0,\n"
    "          \"persisting\": 0,\n"
    "          \"reopened\": 0,\n"
    "          \"resolved\": 0,\n"
    "          \"attested\": 0\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  },\n";

/* The same run with nothing found: empty objects print as {} */
static const char kExpectedEmpty[] =
    "  \"rejects\": {},\n"
    "  \"problems\": {\n"
    "    \"attr_duplicate\": {\n"
    "      \"records\": 0,\n"
    "      \"groups\": 0,\n"
    "      \"reasons\": {},\n"
    "      \"scopes\": {\n"
    "        \"school\": 0,\n"
    "        \"county\": 0,\n"
    "        \"city\": 0,\n"
    "        \"province\": 0,\n"
    "        \"national\": 0\n"
    "      }\n"
    "    },\n"
    "    \"id_duplicate\": {\n"
    "      \"records\": 0,\n"
    "      \"groups\": 0,\n"
    "      \"reasons\": {},\n"
    "      \"scopes\": {\n"
    "        \"school\": 0,\n"
    "        \"county\": 0,\n"
    "        \"city\": 0,\n"
    "        \"province\": 0,\n"
    "        \"national\": 0\n"
    "      }\n"
    "    },\n"
    "    \"id_invalid\": {\n"
    "      \"records\": 0,\n"
    "      \"reasons\": {}\n"
    "    },\n"
    "    \"suspect_duplicate\": {\n"
    "      \"records\": 0,\n"
    "      \"groups\": 0,\n"
    "      \"reasons\": {},\n"
    "      \"scopes\": {\n"
    "        \"school\": 0,\n"
    "        \"county\": 0,\n"
    "        \"city\": 0,\n"
    "        \"province\": 0,\n"
    "        \"national\": 0\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"provinces\": {},\n"
    "  \"monthly\": {\n"
    "    \"previous_run_date\": null,\n"
    "    \"decisions_in_effect\": 0,\n"
    "    \"decisions_matched\": 0,\n"
    "    \"decisions_unmatched\": 0,\n"
    "    \"approved_members\": 0,\n"
    "    \"attested_groups\": 0,\n"
    "    \"problems\": {\n"
    "      \"attr_duplicate\": {\n"
    "        \"new\": 0,\n"
    "        \"persisting\": 0,\n"
    "        \"reopened\": 0,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 0\n"
    "      },\n"
    "      \"id_duplicate\": {\n"
    "        \"new\": 0,\n"
    "        \"persisting\": 0,\n"
    "        \"reopened\": 0,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 0\n"
    "      },\n"
    "      \"id_invalid\": {\n"
    "        \"new\": 0,\n"
    "        \"persisting\": 0,\n"
    "        \"reopened\": 0,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 0\n"
    "      },\n"
    "      \"suspect_duplicate\": {\n"
    "        \"new\": 0,\n"
    "        \"persisting\": 0,\n"
    "        \"reopened\": 0,\n"
    "        \"resolved\": 0,\n"
    "        \"attested\": 0\n"
    "      }\n"
    "    },\n"
    "    \"provinces\": {}\n"
    "  },\n"
    "  \"population\": null,\n"
    "  \"assignments\": {\n"
    "    \"id_verified\": 0,\n"
    "    \"no_id_unique\": 0,\n"
    "    \"by_province\": {}\n"
    "  },\n"
    "  \"timing\": {\n";

static pb_row row(const char *school, pb_problem p, uint64_t gid, pb_scope scope, uint8_t reason, uint64_t line)
{
    pb_row r;
    memset(&r, 0, sizeof r);
    r.school = school;
    r.school_len = (uint32_t)strlen(school);
    r.others = "";
    r.tail = ",x";
    r.tail_len = 2;
    r.group_id = p == PB_ID_INVALID ? 0x5555 + line : gid; /* garbage for id_invalid: must not count */
    r.line = line;
    r.group_size = p == PB_ID_INVALID ? 0 : 2;
    r.problem = (uint8_t)p;
    r.reason = reason;
    r.scope = (uint8_t)(p == PB_ID_INVALID ? PB_SCOPE_CITY : scope);
    r.arbiter = r.scope;
    r.keeper = p == PB_ID_DUPLICATE ? 0 : PB_KEEPER_NONE;
    r.hint = p == PB_ID_INVALID ? PB_HINT_CORRECT_ID : PB_HINT_ATTEST;
    return r;
}

static void checkTiming(const char *text, const char *what)
{
    const char *const t = strstr(text, "  \"timing\": {\n");
    TC_CHECK(t != NULL, "%s: no timing member", what);
    if (t == NULL) return;
    static const char *const kKeys[] = {"wall_seconds",  "read_parse_seconds", "group_seconds", "gather_seconds",
                                        "write_seconds", "rows_per_second",    "ranks",         "threads",
                                        "exchanged_bytes", "split_inputs", "shared_files"};
    size_t const n_keys = sizeof kKeys / sizeof *kKeys, last = n_keys - 1;
    const char *p = t + strlen("  \"timing\": {\n");
    for (size_t k = 0; k < n_keys; k++) {
        char want[64];
        snprintf(want, sizeof want, "    \"%s\": ", kKeys[k]);
        TC_CHECK(strncmp(p, want, strlen(want)) == 0, "%s: timing key %zu: [%.40s]", what, k, p);
        p += strlen(want);
        char *end = NULL;
        double const v = strtod(p, &end);
        TC_CHECK(end != p && v >= 0 && strchr(".e", *(end - 1)) == NULL, "%s: timing value of %s", what, kKeys[k]);
        p = end;
        TC_CHECK(strncmp(p, k < last ? ",\n" : "\n", k < last ? 2 : 1) == 0, "%s: after %s", what, kKeys[k]);
        p += k < last ? 2 : 1;
    }
    TC_CHECK(strcmp(p, "  }\n}\n") == 0, "%s: timing must be last: [%s]", what, p);
}

static char *writeAndRead(em_run *run, const char *outdir)
{
    tl_rmtree(outdir);
    xj_status st;
    st_init(&st);
    xj_error const err = em_write(run, &st);
    TC_CHECK(err == XJ_OK, "em_write: %s", st.message);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    size_t n = 0;
    char *const text = tl_readFile(path, &n);
    TC_CHECK(text != NULL, "no summary.json");
    TC_CHECK(text == NULL || strlen(text) == n, "summary.json holds a NUL byte");
    return text;
}

static void test_summary(const char *scratch)
{
    em_input inputs[3];
    memset(inputs, 0, sizeof inputs);
    inputs[0] = (em_input){.name = "a\"b\\c\t\x01\x7f\n.csv", .path = "x", .bytes = 123, .decoded_bytes = 456,
                           .xxh3_128 = "0123456789abcdef0123456789abcdef", -1, -1, -1};
    inputs[1] = (em_input){.name = "学籍.csv", .path = "-", .bytes = 0, .decoded_bytes = UINT64_MAX,
                           .xxh3_128 = "ffffffffffffffffffffffffffffffff", -1, -1, -1};
    inputs[2] = (em_input){.name = "bad\xff\xc3.csv", .path = "y", .bytes = 1, .decoded_bytes = 1,
                           .xxh3_128 = "00000000000000000000000000000000", -1, -1, -1};
    pb_row rows[] = {
        row("1101050001", PB_ID_DUPLICATE, 0, PB_SCOPE_COUNTY, 0, 2),
        row("1101050002", PB_ID_DUPLICATE, 0, PB_SCOPE_COUNTY, 0, 3),
        row("3202010003", PB_ID_DUPLICATE, 2, PB_SCOPE_SCHOOL, 0, 4),
        row("3202010003", PB_ID_DUPLICATE, 2, PB_SCOPE_SCHOOL, 0, 5),
        row("1101050001", PB_ATTR_DUPLICATE, 3, PB_SCOPE_NATIONAL, PB_REASON_NONE, 6),
        row("/etc", PB_ATTR_DUPLICATE, 3, PB_SCOPE_NATIONAL, PB_REASON_MIXED, 7),
        row("1101050001", PB_ID_INVALID, 0, 0, XJ_ID_CHECKSUM, 8),
        row("bad", PB_ID_INVALID, 0, 0, XJ_ID_CHECKSUM, 9),
        row("4402000004", PB_ID_INVALID, 0, 0, XJ_ID_FORMAT, 10),
        row("4402000004", PB_ID_INVALID, 0, 0, XJ_ID_BIRTHDATE_MISMATCH, 11),
        row("", PB_ID_INVALID, 0, 0, XJ_ID_BIRTHDATE, 12),
    };
    rows[1].status = PB_STATUS_PERSISTING;
    rows[5].status = PB_STATUS_REOPENED;
    rows[8].status = PB_STATUS_PERSISTING;
    /* two attested groups: 4 (two rows in province 01), 5 (one in 02) */
    pb_row attested[] = {
        row("1101050003", PB_ATTR_DUPLICATE, 4, PB_SCOPE_COUNTY, 0, 20),
        row("1101050004", PB_ATTR_DUPLICATE, 4, PB_SCOPE_COUNTY, 0, 21),
        row("3202010005", PB_ATTR_DUPLICATE, 5, PB_SCOPE_SCHOOL, 0, 22),
    };
    /* in effect: 6 (the sixth line is overridden); matched: 4, of which 3
     * approvals; unmatched: an approval and a revocation */
    static const struct { uint8_t approved, in_effect, matched; } kDecisions[] = {
        {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1}, {1, 1, 0}, {1, 0, 1}, {0, 1, 0},
    };
    em_decision decisions[sizeof kDecisions / sizeof kDecisions[0]];
    for (size_t i = 0; i < sizeof decisions / sizeof decisions[0]; i++)
        decisions[i] = (em_decision){"0000000000000004", "S", "1101050003", 16, 1, 10, "d.csv", i + 2,
                                     kDecisions[i].approved, kDecisions[i].in_effect, kDecisions[i].matched};
    em_reject rejects[] = {
        {XJ_REJECT_FIELD_COUNT, "a,b", 13, 3, 0},
        {XJ_REJECT_BAD_QUOTE, "\"x", 14, 2, 1},
        {XJ_REJECT_FIELD_COUNT, "", 15, 0, 0},
        {XJ_REJECT_ENCODING, "\xff", 16, 1, 2},
    };
    em_run run;
    memset(&run, 0, sizeof run);
    char outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/out", scratch);
    run.outdir = outdir;
    run.inputs = inputs;
    run.n_inputs = 3;
    static const char *const headers[] = {"x"};
    run.headers = headers;
    run.n_headers = 1;
    run.rows = rows;
    run.n_rows = sizeof rows / sizeof rows[0];
    run.rejects = rejects;
    run.n_rejects = 4;
    run.rows_read = 14;
    run.rows_accepted = 10;
    run.blank_lines = 3;
    run.unknown_id_types = 5;
    run.run_date = 20260309;
    run.attr_scope = "mixed";
    run.encoding = "gbk";
    run.region_table = "regions \"v2\".csv";
    run.timing = (em_timing){.read_parse_seconds = 1234567.0, .group_seconds = 1e-05, .gather_seconds = 0,
                             .start = xj_now()};
    run.threads = 1;
    run.attested = attested;
    run.n_attested = sizeof attested / sizeof attested[0];
    run.decisions = decisions;
    run.n_decisions = sizeof decisions / sizeof decisions[0];
    run.monthly = 1;

    char *text = writeAndRead(&run, outdir);
    if (text) {
        size_t const n = sizeof kExpected - 1;
        TC_CHECK(strncmp(text, kExpected, n) == 0, "summary.json differs from the expected text:\n%s\nwant:\n%s", text,
                 kExpected);
        TC_CHECK(strstr(text, "\"read_parse_seconds\": 1234570.0,\n") != NULL, "read_parse_seconds printed as Python");
        TC_CHECK(strstr(text, "\"group_seconds\": 1e-05,\n") != NULL, "group_seconds printed as Python");
        TC_CHECK(strstr(text, "\"gather_seconds\": 0.0,\n") != NULL, "gather_seconds printed as Python");
        checkTiming(text, "full run");
    }
    free(text);

    /* nothing found, no region table */
    run.n_rows = 0;
    run.n_rejects = 0;
    run.n_attested = 0;
    run.n_decisions = 0;
    run.monthly = 0;
    run.region_table = NULL;
    run.force = 1;
    text = writeAndRead(&run, outdir);
    if (text) {
        TC_CHECK(strstr(text, "    \"region_table\": null,\n    \"suspects\": false\n  },\n") != NULL, "region_table null");
        TC_CHECK(strstr(text, "    \"rejected\": 0,\n") != NULL, "rejected 0");
        TC_CHECK(strstr(text, kExpectedEmpty) != NULL, "empty run:\n%s\nwant (inside):\n%s", text, kExpectedEmpty);
        checkTiming(text, "empty run");
    }
    free(text);
}

static void test_formatDouble(void)
{
    /* what Python prints for json.dumps(float('%.6g' % v)) */
    static const struct { double v; const char *want; } kCases[] = {
        {0.0, "0.0"},           {0.12, "0.12"},          {83.33333333, "83.3333"},
        {1234567.0, "1234570.0"}, {2e6, "2000000.0"},     {1e-05, "1e-05"},
        {0.0001, "0.0001"},     {0.000123456789, "0.000123457"}, {1.5e16, "1.5e+16"},
        {123456789012345678.0, "1.23457e+17"}, {3.0, "3.0"}, {0.1 + 0.2, "0.3"},
        {999999.5, "1000000.0"}, {1e15 + 3, "1000000000000000.0"}, {5e-324, "5e-324"},
        {12.5, "12.5"},
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        char got[EM_DOUBLE_MAX];
        em_formatDouble(got, kCases[i].v);
        TC_CHECK(strcmp(got, kCases[i].want) == 0, "%.17g printed as %s, want %s", kCases[i].v, got, kCases[i].want);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_emit_summary SCRATCHDIR\n");
        return 2;
    }
    tl_rmtree(argv[1]);
    tl_mkdirs(argv[1]);
    test_formatDouble();
    test_summary(argv[1]);
    if (tc_failures == 0) tl_rmtree(argv[1]);
    return tc_finish("emit_summary");
}
