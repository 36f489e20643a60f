/*
 * test_emit_text — the emit stage's text helpers for the files people open:
 * the CSV field scanner, tail field lookup, formula neutralization (--excel),
 * GB 18030 conversion (--output-encoding gbk) and HTML escaping
 * (report.html). Expected values are written out by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "test_check.h"

static int eq(const xj_buf *b, const char *want)
{
    size_t const n = strlen(want);
    return b->len == n && (n == 0 || memcmp(b->data, want, n) == 0);
}

static void test_fields(void)
{
    static const char line[] = "a,\"b,\"\"c\"\"\",,\"x\ny\",last\n";
    static const char *const want[] = {"a", "b,\"c\"", "", "x\ny", "last"};
    xj_buf f;
    buf_init(&f, 1 << 20);
    size_t pos = 0;
    xj_error err = XJ_OK;
    int i = 0;
    while (em_csvNextField(line, sizeof line - 1, &pos, &f, &err)) {
        TC_CHECK(i < 5, "more than 5 fields");
        if (i < 5) TC_CHECK(eq(&f, want[i]), "field %d is '%.*s', want '%s'", i, (int)f.len, f.data, want[i]);
        i++;
    }
    TC_CHECK(i == 5 && err == XJ_OK, "%d fields, err %d", i, (int)err);

    /* a trailing empty field is a field */
    static const char trail[] = "a,\n";
    pos = 0;
    i = 0;
    while (em_csvNextField(trail, sizeof trail - 1, &pos, &f, &err)) i++;
    TC_CHECK(i == 2, "'a,' has %d fields, want 2", i);

    /* tails: ",v1,...,vn" */
    static const char tail[] = ",G1,\"张,三\",男,,\"第一\"\"小学\"\"\"";
    TC_CHECK(em_tailField(tail, sizeof tail - 1, 1, &f) == XJ_OK && eq(&f, "张,三"), "tail field 1");
    TC_CHECK(em_tailField(tail, sizeof tail - 1, 3, &f) == XJ_OK && eq(&f, ""), "tail field 3");
    TC_CHECK(em_tailField(tail, sizeof tail - 1, 4, &f) == XJ_OK && eq(&f, "第一\"小学\""), "tail field 4");
    TC_CHECK(em_tailField(tail, sizeof tail - 1, 5, &f) == XJ_OK && eq(&f, ""), "tail field past the end");
    TC_CHECK(em_tailField(tail, sizeof tail - 1, -1, &f) == XJ_OK && eq(&f, ""), "no column");
    TC_CHECK(em_tailField("", 0, 0, &f) == XJ_OK && eq(&f, ""), "empty tail");
    buf_free(&f);
}

static void test_neutralize(void)
{
    TC_CHECK(em_looksLikeFormula("=1", 2) && em_looksLikeFormula("+1", 2) && em_looksLikeFormula("-1", 2) &&
                 em_looksLikeFormula("@x", 2) && em_looksLikeFormula("\tx", 2) && em_looksLikeFormula("\rx", 2),
             "formula starts");
    TC_CHECK(!em_looksLikeFormula("a=1", 3) && !em_looksLikeFormula("", 0) && !em_looksLikeFormula(" =1", 3),
             "not formulas");
    static const struct { const char *in, *out; } kCases[] = {
        {"a,=SUM(A1:A9),b\n", "a,'=SUM(A1:A9),b\n"},
        {"\"-2,x\",+1,@cmd\n", "\"'-2,x\",'+1,'@cmd\n"},
        {"2016-08-08,110105201501010017,\"a\"\"b\"\n", "2016-08-08,110105201501010017,\"a\"\"b\"\n"},
        {"x,\"\tab\",\n", "x,'\tab,\n"},
        {"\"=a\"\"b\"\n", "\"'=a\"\"b\"\n"},
        {"\"\rx\"\n", "\"'\rx\"\n"},
    };
    xj_buf out, scratch;
    buf_init(&out, 1 << 20);
    buf_init(&scratch, 1 << 20);
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        xj_error const err = em_neutralizeLine(kCases[i].in, strlen(kCases[i].in), &out, &scratch);
        TC_CHECK(err == XJ_OK && eq(&out, kCases[i].out), "case %zu: got '%.*s', want '%s'", i, (int)out.len,
                 out.data, kCases[i].out);
    }
    buf_free(&out);
    buf_free(&scratch);
}

static void test_gbk(void)
{
    em_gbk *g = NULL;
    TC_CHECK(em_gbkOpen(&g) == XJ_OK, "iconv GB18030 available");
    if (g == NULL) return;
    xj_buf out;
    buf_init(&out, 1 << 24);
    /* 中 = D6 D0 in GBK; U+20000 (outside GBK) = 95 32 82 36 in GB 18030; € = A2 E3 */
    static const char in[] = "中A\xF0\xA0\x80\x80\xE2\x82\xAC";
    static const char want[] = "\xD6\xD0" "A" "\x95\x32\x82\x36" "\xA2\xE3";
    TC_CHECK(em_gbkConvert(g, in, sizeof in - 1, &out) == XJ_OK && out.len == sizeof want - 1 &&
                 memcmp(out.data, want, out.len) == 0,
             "GB 18030 bytes (%zu)", out.len);
    /* malformed UTF-8 is an error, and the converter recovers for the next text */
    TC_CHECK(em_gbkConvert(g, "a\xC3", 2, &out) == XJ_ERR_INPUT, "cut UTF-8 is refused");
    TC_CHECK(em_gbkConvert(g, "\xFF", 1, &out) == XJ_ERR_INPUT, "0xFF is refused");
    TC_CHECK(em_gbkConvert(g, "中", 3, &out) == XJ_OK && eq(&out, "\xD6\xD0"), "after an error");
    /* a long text grows the output */
    size_t const n = 300000;
    char *const big = malloc(n * 3);
    for (size_t i = 0; big && i < n; i++) memcpy(big + 3 * i, "中", 3);
    TC_CHECK(big && em_gbkConvert(g, big, n * 3, &out) == XJ_OK && out.len == 2 * n, "long text: %zu", out.len);
    free(big);
    buf_free(&out);
    em_gbkClose(g);
    em_gbkClose(NULL);
}

static void test_html(void)
{
    xj_buf out;
    buf_init(&out, 1 << 20);
    static const char in[] = "<script>alert('x&y')</script>\"\x01" "中";
    TC_CHECK(em_appendHtml(&out, in, sizeof in - 1) == XJ_OK &&
                 eq(&out, "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot; 中"),
             "escaped: %s", out.data);
    buf_free(&out);
}

int main(void)
{
    test_fields();
    test_neutralize();
    test_gbk();
    test_html();
    return tc_finish("test_emit_text");
}
