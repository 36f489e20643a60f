/*
 * em_report — report.html: the run at a glance for registry officers, in
 * Chinese with English labels.
 *
 * One self-contained file: inline CSS and SVG, no script, no network, no
 * web font (the font list names fonts a Chinese desktop already has), so it
 * opens from a USB stick or an e-mail attachment and prints cleanly.
 * Sections: headline numbers; problems by type and reason; groups by scope
 * and arbiter; provinces (a tile-grid map and a table with a bar each); the
 * 20 schools with most problem rows; with --previous or --decisions, the
 * monthly cycle's counts per province (new / persisting / reopened /
 * resolved / attested, docs/monthly.md §7) and, with --previous, the oldest
 * unresolved groups of each province.
 *
 * Every number comes from em_counts (the same counts as summary.json) or
 * from the sorted rows, and nothing depends on time: the file is
 * byte-identical across runs, threads and machines. Every text that comes
 * from the input (school names and codes, file names) is HTML-escaped.
 * Elements carry ids / data- attributes so a test can read the numbers back
 * from the browser's DOM.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "em_internal.h"
#include "xj_date.h"
#include "xj_alloc.h"

#define EM_TOP_SCHOOLS 20

/* An HTML writer with a sticky error, so the page reads top to bottom. */
typedef struct hw {
    xj_buf *b;      /* the page */
    xj_error err;   /* first failure */
} hw;

static void hw_s(hw *h, const char *s)
{
    if (!h->err) h->err = buf_appendStr(h->b, s);
}

static void hw_f(hw *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hw_f(hw *h, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int const n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) { /* our formats are short: a longer one is a bug */
        if (!h->err) h->err = XJ_ERR_INTERNAL;
        return;
    }
    if (!h->err) h->err = buf_append(h->b, tmp, (size_t)n);
}

static void hw_esc(hw *h, const char *s, size_t n)
{
    if (!h->err) h->err = em_appendHtml(h->b, s, n);
}

/* 1234567 → "1,234,567". */
static void hw_num(hw *h, uint64_t v)
{
    char digits[24], out[32];
    int const n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    int o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    hw_s(h, out);
}

/* A bar's width in percent of `max`; a non-zero value stays visible. */
static double em_width(uint64_t v, uint64_t max)
{
    if (v == 0 || max == 0) return 0;
    double const w = 100.0 * (double)v / (double)max;
    return w < 0.5 ? 0.5 : w;
}

static void hw_bar(hw *h, const char *cls, uint64_t v, uint64_t max)
{
    hw_f(h, "<div class=\"bar\"><i class=\"%s\" style=\"width:%.1f%%\"></i></div>", cls, em_width(v, max));
}

static const char *const kProblemClass[PB_PROBLEM_COUNT] = {"p-attr", "p-dup", "p-inv", "p-sus"}; /* bar colours */
static const char *const kCardClass[PB_PROBLEM_COUNT] = {"c-attr", "c-dup", "c-inv", "c-sus"};   /* card accents */
static const pb_problem kProblemOrder[PB_PROBLEM_COUNT] = {PB_ID_DUPLICATE, PB_ID_INVALID, PB_ATTR_DUPLICATE,
                                                           PB_SUSPECT_DUPLICATE};

static const char kStyle[] =
    "<style>\n"
    ":root{--ink:#1d2733;--mute:#5d6b7a;--line:#dfe5ec;--bg:#f6f8fa;--dup:#d0493e;--inv:#e3912b;--attr:#3f74c9;--sus:#8a5cc2}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 \"Noto Sans CJK SC\",\"Source Han Sans SC\","
    "\"PingFang SC\",\"Microsoft YaHei\",\"WenQuanYi Zen Hei\",\"Helvetica Neue\",Arial,sans-serif}\n"
    "main{max-width:1080px;margin:0 auto;padding:24px 20px 40px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}\n"
    ".en{color:var(--mute);font-weight:normal;font-size:.82em;margin-left:.4em}\n"
    ".meta{color:var(--mute);margin:0 0 18px}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin:0 0 18px}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;background:none;"
    "border:0;padding:0}\n"
    ".card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px;border-top:4px solid #8796a8}\n"
    ".card.c-dup{border-top-color:var(--dup)}.card.c-inv{border-top-color:var(--inv)}"
    ".card.c-attr{border-top-color:var(--attr)}.card.c-sus{border-top-color:var(--sus)}\n"
    ".card .k{color:var(--mute);font-size:13px}.card .v{font-size:26px;font-weight:600;margin:2px 0}"
    ".card .s{color:var(--mute);font-size:12px}\n"
    "table{border-collapse:collapse;width:100%}th,td{padding:5px 8px;border-bottom:1px solid var(--line);"
    "text-align:left;vertical-align:middle}\n"
    "th{font-size:12px;color:var(--mute);font-weight:600;background:#fafbfc}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.b{width:34%;min-width:80px}.bar{height:12px;background:#eef1f4;border-radius:3px;display:flex;overflow:hidden}\n"
    ".bar i{display:block;height:100%}.p-dup{background:var(--dup)}.p-inv{background:var(--inv)}"
    ".p-attr{background:var(--attr)}.p-sus{background:var(--sus)}.p-all{background:#5f7187}\n"
    "tr.sub td:first-child{padding-left:24px;color:var(--mute)}tr.tot td{font-weight:600}\n"
    "code{font-family:\"DejaVu Sans Mono\",Consolas,monospace;font-size:12px;color:#4a5868}\n"
    ".legend{color:var(--mute);font-size:12px;margin:6px 0 0}.legend b{display:inline-block;width:10px;height:10px;"
    "margin:0 4px 0 12px;border-radius:2px}\n"
    ".geo{display:grid;grid-template-columns:minmax(240px,360px) 1fr;gap:18px;align-items:start}\n"
    "@media (max-width:760px){.geo{grid-template-columns:1fr}}\n"
    "td.pv{white-space:nowrap}td.pv .en{font-size:11px}\n"
    "svg text{font-family:inherit}.tile-a{font-size:15px;font-weight:600}.tile-n{font-size:10px}\n"
    "a{color:#2a5db0;text-decoration:none}a:hover{text-decoration:underline}\n"
    "footer{color:var(--mute);font-size:12px}\n"
    "@media print{body{background:#fff}section,.card{break-inside:avoid}}\n"
    "</style>\n";

/* ---- schools with most problems ---- */

typedef struct em_school {
    size_t first;                   /* index of its first row in run->rows */
    uint64_t n[PB_PROBLEM_COUNT];   /* rows per problem */
    uint64_t total;                 /* all its rows */
} em_school;

/* a ranks before b: more rows, then the school code's bytes */
static int em_schoolBefore(const em_run *run, const em_school *a, const em_school *b)
{
    if (a->total != b->total) return a->total > b->total;
    const pb_row *const ra = &run->rows[a->first], *const rb = &run->rows[b->first];
    size_t const n = ra->school_len < rb->school_len ? ra->school_len : rb->school_len;
    int const c = memcmp(ra->school, rb->school, n);
    return c ? c < 0 : ra->school_len < rb->school_len;
}

/* Rows are sorted by school: one pass keeps the best EM_TOP_SCHOOLS. */
static size_t em_topSchools(const em_run *run, em_school top[EM_TOP_SCHOOLS])
{
    size_t n_top = 0;
    for (size_t i = 0; i < run->n_rows;) {
        em_school s = {i, {0}, 0};
        size_t j = i;
        while (j < run->n_rows && run->rows[j].school_len == run->rows[i].school_len &&
               memcmp(run->rows[j].school, run->rows[i].school, run->rows[i].school_len) == 0) {
            s.n[run->rows[j].problem]++;
            s.total++;
            j++;
        }
        i = j;
        size_t at = n_top;
        while (at > 0 && em_schoolBefore(run, &s, &top[at - 1])) at--;
        if (at >= EM_TOP_SCHOOLS) continue;
        size_t const keep = n_top < EM_TOP_SCHOOLS ? n_top : EM_TOP_SCHOOLS - 1;
        memmove(&top[at + 1], &top[at], (keep - at) * sizeof *top);
        top[at] = s;
        if (n_top < EM_TOP_SCHOOLS) n_top++;
    }
    return n_top;
}

/* ---- sections ---- */

static void em_card(hw *h, const char *cls, const char *zh, const char *en, const char *id, uint64_t v)
{
    hw_f(h, "<div class=\"card %s\"><div class=\"k\">%s<span class=\"en\">%s</span></div>", cls, zh, en);
    hw_f(h, "<div class=\"v\" id=\"%s\" data-value=\"%llu\">", id, (unsigned long long)v);
    hw_num(h, v);
    hw_s(h, "</div>");
}

static void em_headline(hw *h, const em_run *run, const em_counts *c)
{
    uint64_t const total = c->records[0] + c->records[1] + c->records[2];
    hw_s(h, "<section class=\"cards\" id=\"headline\">\n");
    em_card(h, "", "读入学籍", "Rows read", "rows-read", run->rows_read);
    hw_s(h, "<div class=\"s\">接受 accepted ");
    hw_num(h, run->rows_accepted);
    hw_s(h, " · 拒绝 rejected <span id=\"rows-rejected\">");
    hw_num(h, run->n_rejects);
    hw_s(h, "</span></div></div>\n");
    em_card(h, "", "问题记录", "Problem rows", "problems-total", total);
    hw_s(h, "<div class=\"s\">涉及学校 schools <span id=\"schools-affected\">");
    hw_num(h, c->schools);
    hw_s(h, "</span></div></div>\n");
    for (int k = 0; k < PB_PROBLEM_COUNT; k++) {
        pb_problem const p = kProblemOrder[k];
        char id[48];
        snprintf(id, sizeof id, "%s-records", pb_problemCode(p));
        em_card(h, kCardClass[p], pb_problemZh(p), pb_problemCode(p), id, c->records[p]);
        if (p == PB_ID_INVALID) hw_s(h, "<div class=\"s\">条记录 records</div></div>\n");
        else {
            hw_f(h, "<div class=\"s\">条记录，分 <span id=\"%s-groups\">", pb_problemCode(p));
            hw_num(h, c->groups[p]);
            hw_s(h, "</span> 组 groups</div></div>\n");
        }
    }
    hw_s(h, "</section>\n");
}

static void em_problemsSection(hw *h, const em_counts *c)
{
    uint64_t max = 0;
    for (int p = 0; p < PB_PROBLEM_COUNT; p++) max = c->records[p] > max ? c->records[p] : max;
    hw_s(h, "<section id=\"by-problem\"><h2>问题类型与原因<span class=\"en\">Problems by type and reason</span></h2>\n"
            "<table><thead><tr><th>问题 / 原因 <span class=\"en\">problem / reason</span></th><th>代码 code</th>"
            "<th class=\"n\">记录数 records</th><th class=\"n\">组数 groups</th><th></th></tr></thead><tbody>\n");
    for (int k = 0; k < PB_PROBLEM_COUNT; k++) {
        pb_problem const p = kProblemOrder[k];
        hw_f(h, "<tr class=\"tot\" data-problem=\"%s\"><td>%s</td><td><code>%s</code></td><td class=\"n\">",
             pb_problemCode(p), pb_problemZh(p), pb_problemCode(p));
        hw_num(h, c->records[p]);
        hw_s(h, "</td><td class=\"n\">");
        if (p != PB_ID_INVALID) hw_num(h, c->groups[p]);
        hw_s(h, "</td><td class=\"b\">");
        hw_bar(h, kProblemClass[p], c->records[p], max);
        hw_s(h, "</td></tr>\n");
        /* reasons in the order they are checked (rules §4), then the group
         * problems' own: mixed, the monthly cycle's, id_typo */
        static const uint8_t kGroupReasons[] = {PB_REASON_MIXED, PB_REASON_DOUBLE_ATTESTED, PB_REASON_APPROVED,
                                                PB_REASON_OLD_ID, PB_REASON_ID_TYPO};
        int const n_group_reasons = (int)sizeof kGroupReasons;
        for (int r = 0; r < XJ_ID_REASON_COUNT - 1 + n_group_reasons; r++) {
            uint8_t const reason = r < XJ_ID_REASON_COUNT - 1 ? pb_idReasonOrder[r]
                                                              : kGroupReasons[r - (XJ_ID_REASON_COUNT - 1)];
            uint64_t const v = c->reasons[p][reason];
            if (v == 0) continue;
            hw_f(h, "<tr class=\"sub\" data-problem=\"%s\" data-reason=\"%s\"><td>%s</td><td><code>%s</code></td>"
                    "<td class=\"n\">", pb_problemCode(p), pb_reasonCode(reason), pb_reasonZh(reason),
                 pb_reasonCode(reason));
            hw_num(h, v);
            hw_s(h, "</td><td></td><td class=\"b\">");
            hw_bar(h, kProblemClass[p], v, max);
            hw_s(h, "</td></tr>\n");
        }
    }
    hw_s(h, "</tbody></table>\n<p class=\"legend\">处理方式 how resolved: ");
    for (int k = 0; k < PB_PROBLEM_COUNT; k++) {
        pb_problem const p = kProblemOrder[k];
        hw_f(h, "%s<b class=\"%s\"></b>%s", k ? "<br>" : "", kProblemClass[p], pb_problemZh(p));
        hw_s(h, " — ");
        hw_s(h, pb_problemActionZh(p));
    }
    hw_s(h, "</p></section>\n");
}

static void em_scopeSection(hw *h, const em_counts *c)
{
    uint64_t max = 0;
    for (int s = 0; s < PB_SCOPE_COUNT; s++) {
        uint64_t const t =
            c->scopes[PB_ID_DUPLICATE][s] + c->scopes[PB_ATTR_DUPLICATE][s] + c->scopes[PB_SUSPECT_DUPLICATE][s];
        max = t > max ? t : max;
    }
    hw_s(h, "<section id=\"by-scope\"><h2>重复组的范围与仲裁层级<span class=\"en\">Groups by scope and arbiter</span>"
            "</h2>\n<table><thead><tr><th>范围 scope</th><th>仲裁层级 arbiter</th>"
            "<th class=\"n\">身份证件号重复 id_duplicate</th><th class=\"n\">无身份证号学籍重复 attr_duplicate</th>"
            "<th class=\"n\">疑似重复学籍 suspect_duplicate</th><th class=\"n\">合计 total</th><th></th></tr></thead>"
            "<tbody>\n");
    for (int s = 0; s < PB_SCOPE_COUNT; s++) {
        pb_scope const sc = (pb_scope)s;
        uint64_t const d = c->scopes[PB_ID_DUPLICATE][s], a = c->scopes[PB_ATTR_DUPLICATE][s];
        uint64_t const u = c->scopes[PB_SUSPECT_DUPLICATE][s];
        hw_f(h, "<tr data-scope=\"%s\"><td class=\"pv\">%s <code>%s</code></td><td class=\"pv\">%s <code>%s</code></td><td class=\"n\" "
                "data-problem=\"id_duplicate\">", pb_scopeCode(sc), pb_scopeZh(sc), pb_scopeCode(sc),
             pb_arbiterZh(sc), pb_arbiterCode(sc));
        hw_num(h, d);
        hw_s(h, "</td><td class=\"n\" data-problem=\"attr_duplicate\">");
        hw_num(h, a);
        hw_s(h, "</td><td class=\"n\" data-problem=\"suspect_duplicate\">");
        hw_num(h, u);
        hw_s(h, "</td><td class=\"n\">");
        hw_num(h, d + a + u);
        hw_f(h, "</td><td class=\"b\"><div class=\"bar\"><i class=\"p-dup\" style=\"width:%.1f%%\"></i>"
                "<i class=\"p-attr\" style=\"width:%.1f%%\"></i><i class=\"p-sus\" style=\"width:%.1f%%\"></i>"
                "</div></td></tr>\n",
             em_width(d, max), em_width(a, max), em_width(u, max));
    }
    hw_s(h, "</tbody></table>\n<p class=\"legend\"><b class=\"p-dup\"></b>身份证件号重复 id_duplicate"
            "<b class=\"p-attr\"></b>无身份证号学籍重复 attr_duplicate<b class=\"p-sus\"></b>疑似重复学籍 suspect_duplicate"
            "</p></section>\n");
}

static uint64_t em_provinceTotal(const em_counts *c, int p)
{
    uint64_t t = 0;
    for (int q = 0; q < PB_PROBLEM_COUNT; q++) t += c->provinces[p][q];
    return t;
}

/* A tile's fill: from pale to deep blue by the square root of its share of
 * the busiest province, so small counts still show. */
static void em_tileColor(uint64_t v, uint64_t max, char out[8], int *dark)
{
    if (v == 0 || max == 0) {
        snprintf(out, 8, "#eef0f3");
        *dark = 0;
        return;
    }
    double const t = sqrt((double)v / (double)max);
    int const r = (int)lround(226 + (28 - 226) * t), g = (int)lround(236 + (78 - 236) * t),
              b = (int)lround(250 + (156 - 250) * t);
    snprintf(out, 8, "#%02x%02x%02x", (unsigned)r & 255, (unsigned)g & 255, (unsigned)b & 255);
    *dark = t > 0.55;
}

static void em_tileMap(hw *h, const em_counts *c, uint64_t max)
{
    hw_s(h, "<svg viewBox=\"0 0 448 470\" width=\"100%\" role=\"img\" aria-label=\"各省问题记录 problem rows by "
            "province\" id=\"tile-map\">\n");
    for (size_t i = 0; i < em_provinceCount(); i++) {
        const em_province *const pv = em_provinceAt(i);
        uint64_t const v = em_provinceTotal(c, pv->code);
        char fill[8];
        int dark = 0;
        em_tileColor(v, max, fill, &dark);
        int const x = pv->col * 64, y = pv->row * 56;
        hw_f(h, "<g data-province=\"%02d\"><rect x=\"%d\" y=\"%d\" width=\"60\" height=\"52\" rx=\"6\" fill=\"%s\">"
                "<title>%s %s (%02d): ", pv->code, x + 2, y + 2, fill, pv->name, pv->name_en, pv->code);
        hw_num(h, v);
        hw_f(h, "</title></rect><text class=\"tile-a\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>",
             x + 32, y + 25, dark ? "#ffffff" : "#1d2733", pv->abbr);
        hw_f(h, "<text class=\"tile-n\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">", x + 32, y + 42,
             dark ? "#ffffff" : "#4a5868");
        hw_num(h, v);
        hw_s(h, "</text></g>\n");
    }
    /* legend: the scale from 0 to the maximum */
    hw_s(h, "<g id=\"tile-legend\">");
    for (int k = 0; k <= 4; k++) {
        char fill[8];
        int dark = 0;
        uint64_t const v = max == 0 ? 0 : (k == 0 ? 0 : (uint64_t)((double)max * (k * k) / 16.0 + 0.5));
        em_tileColor(k == 0 ? 0 : (v ? v : 1), max, fill, &dark);
        hw_f(h, "<rect x=\"%d\" y=\"452\" width=\"28\" height=\"12\" fill=\"%s\"/>", 2 + k * 30, fill);
    }
    hw_s(h, "<text x=\"160\" y=\"462\" class=\"tile-n\" fill=\"#5d6b7a\">0 → ");
    hw_num(h, max);
    hw_s(h, " 条 rows</text></g>\n</svg>\n");
}

static void em_provinceName(hw *h, int p)
{
    const em_province *const pv = p < EM_PROVINCES - 1 ? em_provinceByCode(p) : NULL;
    if (pv) hw_f(h, "%s <span class=\"en\">%s</span>", pv->name, pv->name_en);
    else if (p == EM_PROVINCES - 1) hw_s(h, "学校标识码无效 <span class=\"en\">invalid school code</span>");
    else hw_s(h, "—");
}

static void em_provinceSection(hw *h, const em_counts *c)
{
    int order[EM_PROVINCES], n = 0;
    uint64_t max = 0;
    for (int p = 0; p < EM_PROVINCES; p++) {
        uint64_t const t = em_provinceTotal(c, p);
        if (t == 0) continue;
        order[n++] = p;
        max = t > max ? t : max;
    }
    /* busiest first; ties by code */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && em_provinceTotal(c, order[b]) > em_provinceTotal(c, order[b - 1]); b--) {
            int const t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    hw_s(h, "<section id=\"by-province\"><h2>各省问题记录<span class=\"en\">Problem rows by province</span></h2>\n"
            "<div class=\"geo\"><div>");
    em_tileMap(h, c, max);
    hw_s(h, "</div><div><table><thead><tr><th>省份 province</th>"
            "<th class=\"n\">证件号重复<br><span class=\"en\">id_duplicate</span></th>"
            "<th class=\"n\">证件号错误<br><span class=\"en\">id_invalid</span></th>"
            "<th class=\"n\">无证件号重复<br><span class=\"en\">attr_duplicate</span></th>"
            "<th class=\"n\">疑似重复<br><span class=\"en\">suspect_duplicate</span></th>"
            "<th class=\"n\">合计 total</th><th></th></tr></thead><tbody>\n");
    if (n == 0) hw_s(h, "<tr><td colspan=\"7\">没有问题记录 no problem rows</td></tr>\n");
    for (int i = 0; i < n; i++) {
        int const p = order[i];
        char key[12];
        em_provinceKey(p, key);
        hw_f(h, "<tr data-province=\"%s\"><td class=\"pv\"><code>%s</code> ", key, key);
        em_provinceName(h, p);
        hw_s(h, "</td>");
        static const pb_problem kCols[4] = {PB_ID_DUPLICATE, PB_ID_INVALID, PB_ATTR_DUPLICATE, PB_SUSPECT_DUPLICATE};
        for (int k = 0; k < 4; k++) {
            hw_f(h, "<td class=\"n\" data-problem=\"%s\">", pb_problemCode(kCols[k]));
            hw_num(h, c->provinces[p][kCols[k]]);
            hw_s(h, "</td>");
        }
        hw_s(h, "<td class=\"n\" data-problem=\"total\">");
        hw_num(h, em_provinceTotal(c, p));
        hw_s(h, "</td><td class=\"b\"><div class=\"bar\">");
        for (int k = 0; k < 4; k++)
            hw_f(h, "<i class=\"%s\" style=\"width:%.1f%%\"></i>", kProblemClass[kCols[k]],
                 c->provinces[p][kCols[k]] ? 100.0 * (double)c->provinces[p][kCols[k]] / (double)max : 0.0);
        hw_s(h, "</div></td></tr>\n");
    }
    hw_s(h, "</tbody></table>\n<p class=\"legend\"><b class=\"p-dup\"></b>身份证件号重复<b class=\"p-inv\"></b>"
            "身份证件号错误<b class=\"p-attr\"></b>无身份证号学籍重复<b class=\"p-sus\"></b>疑似重复学籍</p></div></div>"
            "</section>\n");
}

/* Distinct groups in an office's list (sorted by problem, then group id). */
static uint64_t em_officeGroups(const em_office *o)
{
    uint64_t n = 0;
    for (size_t i = 0; i < o->n; i++)
        n += i == 0 || o->rows[i]->group_id != o->rows[i - 1]->group_id ||
             o->rows[i]->problem != o->rows[i - 1]->problem;
    return n;
}

/* A link to one office's file: its code, its groups in brackets. */
static void em_officeLink(hw *h, const em_office *o)
{
    hw_f(h, "<a href=\"%s\" data-office=\"%s\">", o->rel, o->rel);
    if (o->scope == PB_SCOPE_NATIONAL) hw_s(h, "教育部 ministry");
    else hw_f(h, "%06u", o->office % 1000000u);
    hw_s(h, "</a> (");
    hw_num(h, em_officeGroups(o));
    hw_s(h, ") ");
}

/* Who must decide what, per province (the office's first two digits): the
 * groups each level of office arbitrates, and links to every office's
 * work list (arbiters/). The ministry's list spans provinces: its own row. */
static void em_officesSection(hw *h, const em_offices *offices)
{
    hw_s(h, "<section id=\"arbiters\"><h2>各级教育行政部门的裁定清单<span class=\"en\">Work lists of the "
            "supervising offices (arbiters/)</span></h2>\n<p>跨校的重复组由其范围对应的部门裁定；每个部门一份清单，"
            "含组内全部学校的记录。括号内为组数。<span class=\"en\">A cross-school group is decided by the office its "
            "scope names; each office gets one list holding every school's rows of its groups. Groups in "
            "brackets.</span></p>\n<table><thead><tr><th>省份 province</th>"
            "<th class=\"n\">县级 county</th><th class=\"n\">市级 city</th><th class=\"n\">省级 province</th>"
            "<th>清单 lists</th></tr></thead><tbody>\n");
    int any = 0;
    for (int p = 0; p < 100; p++) {
        uint64_t groups[PB_SCOPE_COUNT] = {0};
        size_t from = SIZE_MAX, to = 0;
        for (size_t k = 0; k < offices->n; k++) {
            const em_office *const o = &offices->v[k];
            if (o->scope == PB_SCOPE_NATIONAL || o->office / 10000u != (uint32_t)p) continue;
            groups[o->scope] += em_officeGroups(o);
            from = k < from ? k : from;
            to = k + 1;
        }
        if (to == 0) continue;
        any = 1;
        hw_f(h, "<tr data-office-province=\"%02d\"><td class=\"pv\"><code>%02d</code> ", p, p);
        em_provinceName(h, p);
        hw_s(h, "</td>");
        for (int sc = PB_SCOPE_COUNTY; sc <= PB_SCOPE_PROVINCE; sc++) {
            hw_f(h, "<td class=\"n\" data-level=\"%s\">", pb_arbiterCode((pb_scope)sc));
            hw_num(h, groups[sc]);
            hw_s(h, "</td>");
        }
        hw_s(h, "<td><details><summary>");
        size_t files = 0;
        for (size_t k = from; k < to; k++)
            files += offices->v[k].scope != PB_SCOPE_NATIONAL && offices->v[k].office / 10000u == (uint32_t)p;
        hw_num(h, files);
        hw_s(h, " 份 files</summary>");
        for (size_t k = from; k < to; k++)
            if (offices->v[k].scope != PB_SCOPE_NATIONAL && offices->v[k].office / 10000u == (uint32_t)p)
                em_officeLink(h, &offices->v[k]);
        hw_s(h, "</details></td></tr>\n");
    }
    for (size_t i = 0; i < offices->n; i++) {
        if (offices->v[i].scope != PB_SCOPE_NATIONAL) continue;
        any = 1;
        hw_s(h, "<tr data-office-province=\"national\"><td class=\"pv\">跨省 <span class=\"en\">several "
                "provinces</span></td><td class=\"n\"></td><td class=\"n\"></td><td class=\"n\"></td><td>");
        em_officeLink(h, &offices->v[i]);
        hw_s(h, "</td></tr>\n");
    }
    if (!any) hw_s(h, "<tr><td colspan=\"5\">没有跨校的重复组 no cross-school groups</td></tr>\n");
    hw_s(h, "</tbody></table></section>\n");
}

static xj_error em_schoolsSection(hw *h, const em_run *run)
{
    em_school top[EM_TOP_SCHOOLS];
    size_t const n_top = em_topSchools(run, top);
    xj_buf name;
    buf_init(&name, (size_t)1 << 20);
    hw_f(h, "<section id=\"top-schools\"><h2>问题记录最多的学校<span class=\"en\">The %d schools with most problem "
            "rows</span></h2>\n<table><thead><tr><th class=\"n\">#</th><th>学校标识码 school code</th>"
            "<th>学校名称 school name</th><th>省份 province</th><th class=\"n\">证件号重复</th>"
            "<th class=\"n\">证件号错误</th><th class=\"n\">无证件号重复</th><th class=\"n\">合计 total</th>"
            "</tr></thead><tbody>\n", EM_TOP_SCHOOLS);
    if (n_top == 0) hw_s(h, "<tr><td colspan=\"8\">没有问题记录 no problem rows</td></tr>\n");
    for (size_t i = 0; i < n_top && !h->err; i++) {
        const pb_row *const row = &run->rows[top[i].first];
        char path[96], dir[64];
        em_schoolPath(row, path, sizeof path, dir, sizeof dir);
        hw_f(h, "<tr data-rank=\"%zu\"><td class=\"n\">%zu</td><td><a href=\"%s\"><code>", i + 1, i + 1, path);
        /* a code that is not 10 digits may be anything: cut it for the table */
        hw_esc(h, row->school, row->school_len < 40 ? row->school_len : 40);
        hw_s(h, "</code></a></td><td>");
        int const col = row->source < run->n_inputs ? run->inputs[row->source].school_name_col : -1;
        xj_error const err = em_tailField(row->tail, row->tail_len, col, &name);
        if (err && !h->err) h->err = err;
        size_t len = name.len < 120 ? name.len : 120;
        while (len < name.len && len > 0 && ((unsigned char)name.data[len] & 0xC0) == 0x80) len--;
        hw_esc(h, name.data ? name.data : "", len);
        hw_s(h, "</td><td>");
        em_provinceName(h, em_provinceIndex(row->school, row->school_len));
        hw_s(h, "</td>");
        static const pb_problem kCols[3] = {PB_ID_DUPLICATE, PB_ID_INVALID, PB_ATTR_DUPLICATE};
        for (int k = 0; k < 3; k++) {
            hw_s(h, "<td class=\"n\">");
            hw_num(h, top[i].n[kCols[k]]);
            hw_s(h, "</td>");
        }
        hw_s(h, "<td class=\"n\" data-problem=\"total\">");
        hw_num(h, top[i].total);
        hw_s(h, "</td></tr>\n");
    }
    buf_free(&name);
    hw_s(h, "</tbody></table>\n<p class=\"legend\">学校标识码链接到该校的问题文件；各列含义见 schools/README.txt。"
            " The school code links to its file in schools/.</p></section>\n");
    return h->err;
}

static void em_rejectsSection(hw *h, const em_run *run)
{
    if (run->n_rejects == 0) return;
    uint64_t counts[XJ_REJECT_COUNT];
    xj_reject order[XJ_REJECT_COUNT];
    size_t const n = em_rejectReasons(run, counts, order); /* by code: stable bytes */
    hw_s(h, "<section id=\"rejects\"><h2>拒绝的行<span class=\"en\">Rejected rows (rejects.csv)</span></h2>\n"
            "<table><thead><tr><th>原因 error</th><th class=\"n\">行数 rows</th></tr></thead><tbody>\n");
    for (size_t k = 0; k < n; k++) {
        const char *const zh = rj_zh(order[k]), *const code = rj_code(order[k]);
        hw_s(h, "<tr><td>");
        hw_esc(h, zh, strlen(zh));
        hw_s(h, zh[0] ? " <code>" : "<code>");
        hw_esc(h, code, strlen(code));
        hw_s(h, "</code></td><td class=\"n\">");
        hw_num(h, counts[order[k]]);
        hw_s(h, "</td></tr>\n");
    }
    hw_s(h, "</tbody></table>\n<p class=\"legend\">这些行无法读取，未参加查重；原文见 rejects.csv。"
            " These rows could not be read and were not checked.</p></section>\n");
}

/* ---- the monthly cycle (docs/monthly.md §7) ---- */

/* docs/population.md §3 and §5: what --population compared, and per
 * province the L records that may now receive their formal number. */
static void em_assignmentsSection(hw *h, const em_run *run)
{
    const em_assignments *const a = run->assignments;
    hw_s(h, "<section id=\"assignments\"><h2>可转正式学籍号<span class=\"en\">Formal student numbers now "
            "possible</span></h2>\n<p class=\"meta\">");
    if (run->population)
        hw_f(h, "与人口信息库比对 compared with the population extract: <b id=\"population-compared\">%llu</b> "
                "records, %llu ID numbers listed", (unsigned long long)run->population->compared,
             (unsigned long long)run->population->ids);
    else
        hw_s(h, "未与人口信息库比对（--population） not compared with a population extract");
    hw_s(h, "</p>\n<table><thead><tr><th>省 province</th><th class=\"n\">证件号有效 id_verified</th>"
            "<th class=\"n\">无证件号且不重复 no_id_unique</th></tr></thead><tbody>\n");
    uint64_t all[2] = {0, 0};
    for (int p = 0; a && p < EM_PROVINCES; p++) {
        if (a->by_province[p][0] + a->by_province[p][1] == 0) continue;
        char key[12];
        em_provinceKey(p, key);
        hw_f(h, "<tr data-assign-province=\"%s\"><td><code>%s</code> ", key, key);
        em_provinceName(h, p);
        for (int b = 0; b < 2; b++) {
            hw_s(h, "</td><td class=\"n\">");
            hw_num(h, a->by_province[p][b]);
            all[b] += a->by_province[p][b];
        }
        hw_s(h, "</td></tr>\n");
    }
    hw_s(h, "<tr class=\"tot\"><td>合计 total</td><td class=\"n\" id=\"assign-id-verified\">");
    hw_num(h, all[0]);
    hw_s(h, "</td><td class=\"n\" id=\"assign-no-id\">");
    hw_num(h, all[1]);
    hw_s(h, "</td></tr>\n</tbody></table>\n<p class=\"legend\">临时学籍号（L字头）且本次没有任何问题的学籍：证件号有效的可转为"
            "G字头正式学籍号，无证件号且不重复的由系统分配J字头学籍号。明细见 assignments.csv。 L records without any "
            "problem in this run: a valid ID earns G + the ID, no ID and no duplicate a J number (assignments.csv)."
            "</p></section>\n");
}

/* A province's monthly count over the three problems. */
static uint64_t em_monthlyOf(const em_counts *c, int p, em_monthlyCount k)
{
    return c->monthly[p][0][k] + c->monthly[p][1][k] + c->monthly[p][2][k];
}

/* With --previous or --decisions: per province the rows new, persisting and
 * reopened, the identities resolved and the rows attested, as summary.json's
 * "monthly" counts them; above it what was compared and the decisions. */
static void em_monthlySection(hw *h, const em_counts *c)
{
    hw_s(h, "<section id=\"trend\"><h2>月度跟踪<span class=\"en\">Monthly follow-up</span></h2>\n<p class=\"meta\">");
    if (c->previous_run_date) {
        char date[16];
        hw_f(h, "与上次查重比较 compared with the run of <b id=\"previous-run-date\">%s</b>",
             dt_text(c->previous_run_date, date));
    } else {
        hw_s(h, "未与上次查重比较 not compared with an earlier run");
    }
    hw_f(h, "<br>有效的核办决定 decisions in effect <b id=\"decisions-in-effect\" data-value=\"%llu\">",
         (unsigned long long)c->decisions_in_effect);
    hw_num(h, c->decisions_in_effect);
    hw_s(h, "</b>（匹配 matched ");
    hw_num(h, c->decisions_matched);
    hw_f(h, " · 未匹配 unmatched <b id=\"decisions-unmatched\" data-value=\"%llu\">",
         (unsigned long long)c->decisions_unmatched);
    hw_num(h, c->decisions_unmatched);
    hw_s(h, "</b>，见 decisions_unmatched.csv）· 佐证通过的记录 approved members ");
    hw_num(h, c->approved_members);
    hw_s(h, " · 整组佐证 attested groups <b id=\"attested-groups\">");
    hw_num(h, c->attested_groups);
    hw_s(h, "</b></p>\n<table><thead><tr><th>代码 code</th><th>省份 province</th>");
    for (int k = 0; k < EM_MONTHLY_COUNTS; k++)
        hw_f(h, "<th class=\"n\">%s <span class=\"en\">%s</span></th>", em_monthlyZh((em_monthlyCount)k),
             em_monthlyCode((em_monthlyCount)k));
    hw_s(h, "</tr></thead><tbody>\n");
    uint64_t sum[EM_MONTHLY_COUNTS] = {0};
    for (int p = 0; p < EM_PROVINCES; p++) {
        uint64_t any = 0;
        for (int k = 0; k < EM_MONTHLY_COUNTS; k++) any |= em_monthlyOf(c, p, (em_monthlyCount)k);
        if (any == 0) continue;
        char key[12];
        em_provinceKey(p, key);
        hw_f(h, "<tr data-province=\"%s\"><td><code>%s</code></td><td>", key, key);
        em_provinceName(h, p);
        hw_s(h, "</td>");
        for (int k = 0; k < EM_MONTHLY_COUNTS; k++) {
            uint64_t const v = em_monthlyOf(c, p, (em_monthlyCount)k);
            sum[k] += v;
            hw_f(h, "<td class=\"n\" data-trend=\"%s\">", em_monthlyCode((em_monthlyCount)k));
            hw_num(h, v);
            hw_s(h, "</td>");
        }
        hw_s(h, "</tr>\n");
    }
    hw_s(h, "<tr class=\"tot\" data-province=\"all\"><td></td><td>合计 total</td>");
    for (int k = 0; k < EM_MONTHLY_COUNTS; k++) {
        hw_f(h, "<td class=\"n\" data-trend=\"%s\">", em_monthlyCode((em_monthlyCount)k));
        hw_num(h, sum[k]);
        hw_s(h, "</td>");
    }
    hw_s(h, "</tr>\n</tbody></table>\n<p class=\"legend\">按（问题类型，问题组号，学籍号，学校标识码）与上次的 "
            "problems.csv 和 attested.csv 对比。新增：上次没有；未解决：上次已报告；重新处理：佐证过的组有了变化，"
            "需重新核办；已解决：上次报告、本次不再出现（resolved.csv，按身份计）；已佐证：全组佐证通过，"
            "列入 attested.csv，不再下发学校。前三项与已佐证为记录数。"
            " Rows of problems.csv by status, identities of resolved.csv, rows of attested.csv.</p></section>\n");
}

/* The oldest unresolved groups of each province. An officer chasing what
 * stalls needs, per group: since when it is open (the group's earliest
 * first_seen: the month it was first reported in any form), what it is and
 * its group_id (to find it in problems.csv and the office's list), its size,
 * who must decide (the arbiter) and which schools to call. Only duplicate
 * groups are listed: an id_invalid row is one school's own correction, while
 * a group needs several schools and an arbiter to agree, and that is what
 * stays open. A group spanning provinces is listed in each of them. */
#define EM_OLDEST_GROUPS 10
#define EM_OLDEST_SCHOOLS 5 /* school codes shown per group, then "+N" */

typedef struct em_openGroup {
    uint64_t group_id;
    size_t row;          /* its first row in this province (problems.csv order) */
    uint32_t first_seen; /* the group's earliest, over all its rows */
    uint8_t problem;
    uint8_t province;    /* em_provinceIndex */
    uint8_t status;      /* the group's: reopened over persisting over new */
} em_openGroup;

static int em_cmpOpenGroup(const void *pa, const void *pb)
{
    const em_openGroup *const a = pa, *const b = pb;
    if (a->problem != b->problem) return a->problem < b->problem ? -1 : 1;
    if (a->group_id != b->group_id) return a->group_id < b->group_id ? -1 : 1;
    if (a->province != b->province) return a->province < b->province ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static int em_cmpOpenAge(const void *pa, const void *pb)
{
    const em_openGroup *const a = pa, *const b = pb;
    if (a->province != b->province) return a->province < b->province ? -1 : 1;
    if (a->first_seen != b->first_seen) return a->first_seen < b->first_seen ? -1 : 1;
    return em_cmpOpenGroup(pa, pb);
}

/* Open addressing over (problem, group_id[, province]): group ids are
 * uniform hashes, so their low bits spread. */
static size_t em_ageSlot(uint64_t group_id, uint8_t problem, uint8_t province, size_t mask)
{
    return (size_t)((group_id ^ (uint64_t)problem << 56 ^ (uint64_t)province << 48) * 0x9E3779B97F4A7C15ull >> 20) &
           mask;
}

/* One entry per (group, province), the group's first_seen and status on
 * each. Groups are found by hashing, not sorting, as a national run has
 * millions of duplicate rows. */
typedef struct em_groupAge {
    uint64_t group_id;
    uint32_t first_seen; /* the earliest of its rows */
    uint8_t problem;
    uint8_t status;      /* its rows': reopened over persisting over new; + 1, 0 marks an empty slot */
} em_groupAge;

/* What the section shows of each province: how many groups are open there
 * and the oldest EM_OLDEST_GROUPS of them, oldest first. */
typedef struct em_oldest {
    em_openGroup *v; /* every (group, province) */
    size_t n;
    uint64_t open[EM_PROVINCES];
    uint32_t top[EM_PROVINCES][EM_OLDEST_GROUPS]; /* indexes into v */
    uint8_t n_top[EM_PROVINCES];
} em_oldest;

/* Rows are looked at a block at a time: their slots in both tables are
 * asked for first, so that the cache misses of a block overlap. */
#define EM_AGE_BLOCK 16

static xj_error em_openGroupsOf(const em_run *run, em_oldest *out)
{
    size_t cap = 16; /* groups have two rows or more: at most half full */
    while (cap < run->n_rows) cap *= 2;
    em_openGroup *const v = xj_mallocArray(run->n_rows ? run->n_rows : 1, sizeof *v);
    em_groupAge *const groups = xj_callocTable(cap, sizeof *groups);
    uint32_t *const at = xj_callocTable(2 * cap, sizeof *at); /* (group, province) -> its entry in v, + 1 */
    if (v == NULL || groups == NULL || at == NULL || run->n_rows > UINT32_MAX - 1) {
        xj_free(v), xj_free(groups), xj_free(at);
        return XJ_ERR_NOMEM;
    }
    size_t n = 0;
    for (size_t b = 0; b < run->n_rows; b += EM_AGE_BLOCK) {
        size_t const e = b + EM_AGE_BLOCK < run->n_rows ? b + EM_AGE_BLOCK : run->n_rows;
        uint8_t prov[EM_AGE_BLOCK];
        for (size_t i = b; i < e; i++) {
            const pb_row *const r = &run->rows[i];
            em_prefetchSchoolAhead(run, i);
            prov[i - b] = (uint8_t)em_provinceIndex(r->school, r->school_len);
            __builtin_prefetch(&groups[em_ageSlot(r->group_id, r->problem, 0, cap - 1)]);
            __builtin_prefetch(&at[em_ageSlot(r->group_id, r->problem, prov[i - b], 2 * cap - 1)]);
        }
        for (size_t i = b; i < e; i++) {
            const pb_row *const r = &run->rows[i];
            if (r->problem == PB_ID_INVALID) continue;
            uint32_t const first = r->first_seen ? r->first_seen : run->run_date;
            uint8_t const pv = prov[i - b];
            size_t g = em_ageSlot(r->group_id, r->problem, 0, cap - 1);
            while (groups[g].status && (groups[g].group_id != r->group_id || groups[g].problem != r->problem))
                g = (g + 1) & (cap - 1);
            em_groupAge *const grp = &groups[g];
            if (grp->status == 0) *grp = (em_groupAge){r->group_id, first, r->problem, PB_STATUS_NEW + 1};
            if (first < grp->first_seen) grp->first_seen = first;
            if (r->status == PB_STATUS_REOPENED ||
                (r->status == PB_STATUS_PERSISTING && grp->status == PB_STATUS_NEW + 1))
                grp->status = (uint8_t)(r->status + 1);
            /* the province's first row (problems.csv order) stands for the group there */
            size_t k = em_ageSlot(r->group_id, r->problem, pv, 2 * cap - 1);
            while (at[k] && (v[at[k] - 1].group_id != r->group_id || v[at[k] - 1].problem != r->problem ||
                             v[at[k] - 1].province != pv))
                k = (k + 1) & (2 * cap - 1);
            if (at[k]) continue;
            v[n] = (em_openGroup){r->group_id, i, 0, r->problem, pv, 0};
            at[k] = (uint32_t)++n;
        }
    }
    xj_free(at);
    memset(out, 0, sizeof *out);
    out->v = v;
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        size_t g = em_ageSlot(v[i].group_id, v[i].problem, 0, cap - 1);
        while (groups[g].group_id != v[i].group_id || groups[g].problem != v[i].problem) g = (g + 1) & (cap - 1);
        v[i].first_seen = groups[g].first_seen;
        v[i].status = (uint8_t)(groups[g].status - 1);
        /* the province's oldest few, kept sorted: only they are shown */
        int const p = v[i].province;
        out->open[p]++;
        size_t j = out->n_top[p];
        if (j == EM_OLDEST_GROUPS && em_cmpOpenAge(&v[i], &v[out->top[p][j - 1]]) >= 0) continue;
        if (j == EM_OLDEST_GROUPS) j--;
        for (; j > 0 && em_cmpOpenAge(&v[i], &v[out->top[p][j - 1]]) < 0; j--) out->top[p][j] = out->top[p][j - 1];
        out->top[p][j] = (uint32_t)i;
        if (out->n_top[p] < EM_OLDEST_GROUPS) out->n_top[p]++;
    }
    xj_free(groups);
    return XJ_OK;
}

/* The group's schools: the row's own (linked to its file), then the others
 * in their sorted order, at most EM_OLDEST_SCHOOLS, then how many more. */
static void em_openSchools(hw *h, const pb_row *r)
{
    char path[96], dir[64];
    em_schoolPath(r, path, sizeof path, dir, sizeof dir);
    hw_f(h, "<a href=\"%s\"><code>", path);
    hw_esc(h, r->school, r->school_len < 40 ? r->school_len : 40);
    hw_s(h, "</code></a>");
    size_t shown = 1, more = 0;
    for (size_t at = 0; at < r->others_len;) {
        size_t end = at;
        while (end < r->others_len && r->others[end] != ';') end++;
        if (shown < EM_OLDEST_SCHOOLS) {
            hw_s(h, "、<code>");
            hw_esc(h, r->others + at, end - at < 40 ? end - at : 40);
            hw_s(h, "</code>");
            shown++;
        } else {
            more++;
        }
        at = end + 1;
    }
    if (more) hw_f(h, " +%zu", more);
}

static xj_error em_oldestSection(hw *h, const em_run *run)
{
    em_oldest *const o = xj_malloc(sizeof *o);
    if (o == NULL) return XJ_ERR_NOMEM;
    xj_error const err = em_openGroupsOf(run, o);
    if (err) {
        xj_free(o);
        return err;
    }
    hw_f(h, "<section id=\"oldest\"><h2>各省最早发现的未解决问题组<span class=\"en\">The oldest unresolved groups "
            "of each province (at most %d)</span></h2>\n<table><thead><tr><th>首次发现 first_seen</th>"
            "<th>问题类型 problem</th><th>问题组号 group_id</th><th class=\"n\">组内人数 size</th>"
            "<th>仲裁层级 arbiter</th><th>状态 status</th><th>涉及学校 schools</th></tr></thead><tbody>\n",
         EM_OLDEST_GROUPS);
    if (o->n == 0) hw_s(h, "<tr><td colspan=\"7\">没有未解决的重复组 no unresolved groups</td></tr>\n");
    for (int p = 0; p < EM_PROVINCES; p++) {
        if (o->open[p] == 0) continue;
        const em_openGroup *const oldest = &o->v[o->top[p][0]];
        char key[12], date[16];
        em_provinceKey(p, key);
        hw_f(h, "<tr class=\"tot\" data-oldest-province=\"%s\"><td colspan=\"7\"><code>%s</code> ", key, key);
        em_provinceName(h, p);
        hw_s(h, " — 未解决的组 open groups <span class=\"count\">");
        hw_num(h, o->open[p]);
        hw_f(h, "</span>，最早 since %s</td></tr>\n", dt_text(oldest->first_seen, date));
        for (int k = 0; k < o->n_top[p]; k++) {
            const em_openGroup *const g = &o->v[o->top[p][k]];
            const pb_row *const r = &run->rows[g->row];
            char gid[17];
            em_groupIdText(g->group_id, gid);
            hw_f(h, "<tr data-oldest=\"%s\" data-problem=\"%s\" data-group=\"%s\"><td class=\"pv\">%s</td><td>%s</td>"
                    "<td><code>%s</code></td><td class=\"n\">", key, pb_problemCode((pb_problem)r->problem), gid,
                 dt_text(g->first_seen, date), pb_problemZh((pb_problem)r->problem), gid);
            hw_num(h, r->group_size);
            hw_f(h, "</td><td>%s</td><td>%s</td><td>", pb_arbiterZh((pb_scope)r->arbiter),
                 pb_statusZh((pb_status)g->status));
            em_openSchools(h, r);
            hw_s(h, "</td></tr>\n");
        }
    }
    xj_free(o->v);
    xj_free(o);
    hw_s(h, "</tbody></table>\n<p class=\"legend\">按首次发现的日期排列，每省最多列 10 组；跨省的组在各省都列出。"
            "首次发现：组内最早报告的记录的日期。身份证件号错误由学校自行变更，不在此列。"
            " Oldest first, by the earliest first_seen of the group's rows; a group spanning provinces is listed in "
            "each; id_invalid rows are each school's own correction and are not listed.</p></section>\n");
    return h->err;
}

/* One line of the check's table: a label, then records and groups (or only
 * records) with ids a test can read. */
static void em_checkRow(hw *h, const char *cls, const char *label, const char *id, uint64_t records,
                        const uint64_t *groups)
{
    hw_f(h, "<tr%s><td>%s</td><td class=\"n\" id=\"%s\" data-value=\"%llu\">", cls, label, id,
         (unsigned long long)records);
    hw_num(h, records);
    hw_s(h, "</td><td class=\"n\">");
    if (groups) {
        hw_f(h, "<span id=\"%s-groups\" data-value=\"%llu\">", id, (unsigned long long)*groups);
        hw_num(h, *groups);
        hw_s(h, "</span>");
    }
    hw_s(h, "</td></tr>\n");
}

/* A batch check: the register index it was checked against, the batch's
 * duplicates with the register apart from those inside the batch, the
 * clean rows and the rows already registered (summary.json's "register"
 * and "check"). */
static void em_checkSection(hw *h, const em_run *run, const em_counts *c)
{
    const em_check *const k = run->check;
    char date[16];
    dt_text(k->run_date, date);
    hw_s(h, "<section id=\"register\"><h2>核对在籍库<span class=\"en\">Checked against the register</span></h2>\n"
            "<p class=\"meta\">在籍库索引 index <code id=\"register-index\">");
    hw_esc(h, k->index, strlen(k->index) < 200 ? strlen(k->index) : 200);
    hw_f(h, "</code> · 记录 records <b id=\"register-records\" data-value=\"%llu\">", (unsigned long long)k->records);
    hw_num(h, k->records);
    hw_f(h, "</b> · 建库查重日期 run date <b id=\"register-run-date\">%s</b> · 属性重复范围 attr scope "
            "<code>%s</code>", date, k->attr_scope);
    if (k->run_date != run->run_date)
        hw_s(h, "<br>注意：批次与在籍库的查重日期不同，在籍库记录的证件号错误原因按建库日期判断。"
                " Note: the batch was checked for another date than the register's ID reasons.");
    hw_s(h, "</p>\n<table><thead><tr><th></th><th class=\"n\">记录数 records</th><th class=\"n\">组数 groups</th>"
            "</tr></thead><tbody>\n");
    static const struct { const char *zh, *en, *id; } kSide[2] = {
        {"与在籍库重复", "duplicates with the register", "with-register"},
        {"批次内重复", "duplicates inside the batch", "in-batch"},
    };
    static const pb_problem kDup[2] = {PB_ID_DUPLICATE, PB_ATTR_DUPLICATE};
    for (int s = 0; s < 2; s++) {
        uint64_t rows[2], groups[2];
        for (int i = 0; i < 2; i++) {
            pb_problem const p = kDup[i];
            rows[i] = s == 0 ? k->register_rows[p] : c->records[p] - k->register_rows[p];
            groups[i] = s == 0 ? k->register_groups[p] : c->groups[p] - k->register_groups[p];
        }
        char label[160], id[64];
        uint64_t const all_groups = groups[0] + groups[1];
        snprintf(label, sizeof label, "%s <span class=\"en\">%s</span>", kSide[s].zh, kSide[s].en);
        em_checkRow(h, " class=\"tot\"", label, kSide[s].id, rows[0] + rows[1], &all_groups);
        for (int i = 0; i < 2; i++) {
            snprintf(label, sizeof label, "%s <code>%s</code>", pb_problemZh(kDup[i]), pb_problemCode(kDup[i]));
            snprintf(id, sizeof id, "%s-%s", kSide[s].id, pb_problemCode(kDup[i]));
            em_checkRow(h, " class=\"sub\"", label, id, rows[i], &groups[i]);
        }
    }
    em_checkRow(h, " class=\"tot\"", "无问题，可提交 <span class=\"en\">clean rows: may be submitted</span>",
                "clean-rows", k->clean_rows, NULL);
    em_checkRow(h, " class=\"sub\"", "其中已在籍 <span class=\"en\">of them already registered</span>",
                "clean-already-registered", k->clean_registered, NULL);
    em_checkRow(h, " class=\"tot\"", "已在籍 <span class=\"en\">already registered</span>", "already-registered",
                k->already_registered, NULL);
    hw_s(h, "</tbody></table>\n<p class=\"legend\">与在籍库重复：问题组中有在籍库记录（见 register_matches 列）；"
            "批次内重复：问题组的成员都在本批次。已在籍：在籍库中已有学籍号与学校标识码相同的记录，"
            "不算作自身的重复，明细见 already_registered.csv。"
            " With the register: the row's group has a register record (column register_matches). Already "
            "registered: the register holds a record with the same student number and school code; a record is "
            "not its own duplicate (already_registered.csv).</p></section>\n");
}

static void em_header(hw *h, const em_run *run)
{
    char date[16];
    dt_text(run->run_date, date);
    hw_f(h, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>问题学籍查重报告 Problem records report %s</title>\n", date);
    hw_s(h, kStyle);
    /* a check says so first: its rows are a batch's, next to a register */
    hw_f(h, "</head>\n<body>\n<main>\n<h1>%s</h1>\n"
            "<p class=\"meta\">查重日期 run date <b id=\"run-date\">%s</b> · xjdedup %s · %s: ",
         run->check ? "批次核对报告<span class=\"en\">Batch checked against the register</span>"
                    : "问题学籍查重报告<span class=\"en\">Problem records report</span>",
         date, xj_versionString(), run->check ? "批次 batch" : "输入 inputs");
    for (size_t i = 0; i < run->n_inputs && i < 50; i++) {
        if (i) hw_s(h, ", ");
        const char *const name = run->inputs[i].name;
        size_t const n = strlen(name);
        hw_esc(h, name, n < 200 ? n : 200);
        hw_s(h, " (");
        hw_num(h, run->inputs[i].bytes);
        hw_s(h, " B)");
    }
    if (run->n_inputs > 50) hw_f(h, " … (%zu)", run->n_inputs);
    hw_f(h, " · 属性重复范围 attr scope <code>%s</code></p>\n", run->attr_scope ? run->attr_scope : "noid");
}

xj_error em_writeReport(em_ctx *ctx)
{
    const em_run *const run = ctx->run;
    xj_buf page;
    buf_init(&page, (size_t)1 << 26);
    hw h = {&page, XJ_OK};
    em_header(&h, run);
    em_headline(&h, run, ctx->counts);
    if (run->check) em_checkSection(&h, run, ctx->counts);
    if (run->monthly) em_monthlySection(&h, ctx->counts);
    em_problemsSection(&h, ctx->counts);
    em_scopeSection(&h, ctx->counts);
    em_provinceSection(&h, ctx->counts);
    if (ctx->offices) em_officesSection(&h, ctx->offices);
    em_schoolsSection(&h, run);
    if (ctx->trend && !h.err) h.err = em_oldestSection(&h, run);
    em_assignmentsSection(&h, run);
    em_rejectsSection(&h, run);
    hw_s(&h, "<footer>本报告由 xjdedup 生成，数字与同目录的 summary.json 一致；明细见 problems.csv 和 schools/ "
             "（说明见 schools/README.txt）。建议处理仅供参考，以审核结论为准。<br>Generated by xjdedup; the numbers "
             "match summary.json. Details in problems.csv and schools/.</footer>\n</main>\n</body>\n</html>\n");
    xj_error err = h.err;
    if (err) {
        buf_free(&page);
        return st_fail(ctx->st, err, "cannot build report.html: %s", xj_errorName(err));
    }
    err = em_writeWhole(ctx, "report.html", &page);
    buf_free(&page);
    return err;
}
