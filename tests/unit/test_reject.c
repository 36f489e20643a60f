/*
 * test_reject — the reject reasons' table (common/xj_reject): every reason
 * has its code and its Chinese wording, the codes are the ones rejects.csv
 * has always written (docs/decisions.md, "Reject reasons"), no two alike,
 * and a code leads back to its reason. Also: an empty required field gives
 * the reason named after that field, as the missing_* codes promise.
 */
#include <string.h>

#include "ps_record.h"
#include "test_check.h"
#include "xj_reject.h"

/* The codes of rejects.csv as they were when they were strings, by reason. */
static const struct {
    xj_reject r;
    const char *code;
} kCodes[] = {
    {XJ_REJECT_ENCODING, "encoding"},
    {XJ_REJECT_BAD_QUOTE, "bad_quote"},
    {XJ_REJECT_UNTERMINATED_QUOTE, "unterminated_quote"},
    {XJ_REJECT_FIELD_TOO_LONG, "field_too_long"},
    {XJ_REJECT_FIELD_COUNT, "field_count"},
    {XJ_REJECT_RECORD_TOO_LONG, "record_too_long"},
    {XJ_REJECT_OUT_OF_MEMORY, "out_of_memory"},
    {XJ_REJECT_BAD_SEX, "bad_sex"},
    {XJ_REJECT_BAD_BIRTH_DATE, "bad_birth_date"},
    {XJ_REJECT_MISSING_STUDENT_NO, "missing_student_no"},
    {XJ_REJECT_MISSING_NAME, "missing_name"},
    {XJ_REJECT_MISSING_SEX, "missing_sex"},
    {XJ_REJECT_MISSING_BIRTH_DATE, "missing_birth_date"},
    {XJ_REJECT_MISSING_SCHOOL_CODE, "missing_school_code"},
};

static void test_table(void)
{
    TC_CHECK(sizeof kCodes / sizeof kCodes[0] == XJ_REJECT_COUNT - 1, "%d reasons, %zu known codes",
             XJ_REJECT_COUNT - 1, sizeof kCodes / sizeof kCodes[0]);
    for (size_t i = 0; i < sizeof kCodes / sizeof kCodes[0]; i++)
        TC_CHECK(strcmp(rj_code(kCodes[i].r), kCodes[i].code) == 0, "reason %d: code '%s', want '%s'",
                 (int)kCodes[i].r, rj_code(kCodes[i].r), kCodes[i].code);
    for (int r = XJ_REJECT_NONE + 1; r < XJ_REJECT_COUNT; r++) {
        const char *const code = rj_code((xj_reject)r);
        TC_CHECK(code[0] != '\0', "reason %d has no code", r);
        TC_CHECK(rj_zh((xj_reject)r)[0] != '\0', "reason %d (%s) has no Chinese text", r, code);
        for (int q = XJ_REJECT_NONE + 1; q < r; q++)
            TC_CHECK(strcmp(code, rj_code((xj_reject)q)) != 0, "reasons %d and %d share the code '%s'", q, r, code);
        for (const char *c = code; *c; c++) /* a bare CSV field and JSON key */
            TC_CHECK((*c >= 'a' && *c <= 'z') || *c == '_', "reason %d: code '%s' holds '%c'", r, code, *c);
        TC_CHECK(rj_fromCode(code, strlen(code)) == (xj_reject)r, "code '%s' leads to reason %d, not %d", code,
                 (int)rj_fromCode(code, strlen(code)), r);
    }
}

static void test_edges(void)
{
    TC_CHECK(rj_code(XJ_REJECT_NONE)[0] == '\0' && rj_zh(XJ_REJECT_NONE)[0] == '\0', "NONE has a name");
    TC_CHECK(rj_code(XJ_REJECT_COUNT)[0] == '\0' && rj_zh(XJ_REJECT_COUNT)[0] == '\0', "COUNT has a name");
    TC_CHECK(rj_code((xj_reject)-1)[0] == '\0' && rj_zh((xj_reject)1000)[0] == '\0', "out of range has a name");
    static const char *const kNot[] = {"", "ENCODING", "encodin", "encodingx", "missing_", "other", "field_count "};
    for (size_t i = 0; i < sizeof kNot / sizeof kNot[0]; i++)
        TC_CHECK(rj_fromCode(kNot[i], strlen(kNot[i])) == XJ_REJECT_NONE, "'%s' is taken for a code", kNot[i]);
    TC_CHECK(rj_fromCode("bad_sexual", 7) == XJ_REJECT_BAD_SEX, "a code is not told by its length");
}

/* ps_missingField: each required field, left empty (or blank) alone, gives
 * "missing_" and the field's name; every other field may be empty. */
static void test_missing(void)
{
    static const char *const kBlank[] = {"", " \t", "\xe3\x80\x80"};
    for (int empty = 0; empty < PS_FIELD_COUNT; empty++)
        for (size_t b = 0; b < sizeof kBlank / sizeof kBlank[0]; b++) {
            ps_view v = {0};
            for (int f = 0; f < PS_FIELD_COUNT; f++) {
                v.val[f] = f == empty ? kBlank[b] : "x";
                v.len[f] = (uint32_t)strlen(v.val[f]);
            }
            ps_field which = PS_FIELD_COUNT;
            xj_reject const r = ps_missingField(&v, &which);
            const char *const name = ps_fieldName((ps_field)empty);
            int const required = r != XJ_REJECT_NONE;
            if (!required) continue;
            TC_CHECK(which == (ps_field)empty, "field %s empty: named field %d", name, (int)which);
            TC_CHECK(strncmp(rj_code(r), "missing_", 8) == 0 && strcmp(rj_code(r) + 8, name) == 0,
                     "field %s empty: reason '%s'", name, rj_code(r));
        }
    static const ps_field kRequired[] = {PS_STUDENT_NO, PS_NAME, PS_SEX, PS_BIRTH_DATE, PS_SCHOOL_CODE};
    for (size_t i = 0; i < sizeof kRequired / sizeof kRequired[0]; i++) {
        ps_view v = {0};
        for (int f = 0; f < PS_FIELD_COUNT; f++) {
            v.val[f] = f == (int)kRequired[i] ? "" : "x";
            v.len[f] = (uint32_t)strlen(v.val[f]);
        }
        TC_CHECK(ps_missingField(&v, NULL) != XJ_REJECT_NONE, "field %s empty: no reject",
                 ps_fieldName(kRequired[i]));
    }
}

int main(void)
{
    test_table();
    test_edges();
    test_missing();
    return tc_finish("test_reject");
}
