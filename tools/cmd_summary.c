/*
 * cmd_summary — `xjdedup summary OUTDIR`: the end-of-run table, printed
 * from a finished run's summary.json. `xjdedup scan` prints its own summary
 * with the same function after writing OUTDIR, so the two never differ.
 *
 * summary.json is read as untrusted text (json_lite: bounded size, depth
 * and node count); a file that is missing, too large, not JSON, or lacks the
 * counts is a clear message and exit 2, never a crash. Missing optional
 * parts (timing, provinces) are simply not printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json_lite.h"
#include "xjdedup.h"

/* Province names for the table (GB/T 2260; digits 3-4 of a school code). */
static const struct { const char *code, *name; } kProvinces[] = {
    {"11", "北京"}, {"12", "天津"}, {"13", "河北"}, {"14", "山西"}, {"15", "内蒙古"}, {"21", "辽宁"},
    {"22", "吉林"}, {"23", "黑龙江"}, {"31", "上海"}, {"32", "江苏"}, {"33", "浙江"}, {"34", "安徽"},
    {"35", "福建"}, {"36", "江西"}, {"37", "山东"}, {"41", "河南"}, {"42", "湖北"}, {"43", "湖南"},
    {"44", "广东"}, {"45", "广西"}, {"46", "海南"}, {"50", "重庆"}, {"51", "四川"}, {"52", "贵州"},
    {"53", "云南"}, {"54", "西藏"}, {"61", "陕西"}, {"62", "甘肃"}, {"63", "青海"}, {"64", "宁夏"},
    {"65", "新疆"}, {"_invalid", "学校标识码无效"},
};

static const char *province_name(const char *code)
{
    for (size_t i = 0; i < sizeof kProvinces / sizeof kProvinces[0]; i++)
        if (strcmp(kProvinces[i].code, code) == 0) return kProvinces[i].name;
    return "";
}

static const struct { const char *code, *zh; } kProblems[] = {
    {"id_duplicate", "身份证件号重复"}, {"id_invalid", "身份证件号错误"}, {"attr_duplicate", "无身份证号学籍重复"},
    {"suspect_duplicate", "疑似重复学籍"},
};
#define N_PROBLEMS (sizeof kProblems / sizeof kProblems[0])
static const char *const kScopes[] = {"school", "county", "city", "province", "national"};

/* 1234567 → "1,234,567" (a JSON number may be anything: clamp). */
static const char *grouped(double v, char out[32])
{
    if (!(v >= 0)) v = 0;
    if (v > 1e18) v = 1e18;
    return xj_formatCount((uint64_t)v, out);
}

/* Text from the file, made safe for a terminal: control bytes become '?',
 * at most 40 bytes, cut at a UTF-8 character boundary. */
static const char *safe(const char *s, char out[48])
{
    size_t n = 0;
    if (s == NULL) s = "?";
    for (; s[n] && n < 40; n++) out[n] = ((unsigned char)s[n] < 0x20 || s[n] == 0x7f) ? '?' : s[n];
    if (s[n]) /* cut: drop a partial character */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    out[n] = '\0';
    return out;
}

static double num(const jl_doc *d, int node, const char *k1, const char *k2)
{
    return jl_number(d, k2 ? jl_path(d, node, k1, k2, (char *)NULL) : jl_get(d, node, k1), 0);
}

typedef struct prov_row {
    const char *code;   /* province key */
    double total;       /* problem rows */
    double n[N_PROBLEMS]; /* per problem, in kProblems order */
} prov_row;

static int cmp_prov(const void *pa, const void *pb)
{
    const prov_row *const a = pa, *const b = pb;
    if (a->total != b->total) return a->total > b->total ? -1 : 1;
    return strcmp(a->code, b->code);
}

/* A check's register (summary.json "register"): what the batch was checked
 * against; a note when the two run dates differ. */
static void print_register(const jl_doc *d, int reg, const char *date, FILE *out)
{
    char a[32], n[48], k[48], s[48];
    const char *const reg_date = jl_string(d, jl_get(d, reg, "run_date"));
    fprintf(out, "%-24s %s  (%s records, run date %s, attribute scope %s)\n", "checked against",
            safe(jl_string(d, jl_get(d, reg, "index")), n), grouped(num(d, reg, "records", NULL), a),
            safe(reg_date, k), safe(jl_string(d, jl_get(d, reg, "attr_scope")), s));
    if (reg_date && date && strcmp(reg_date, date) != 0)
        fprintf(out, "  (the batch was checked for %s, the register's ID reasons for %s)\n", safe(date, n),
                safe(reg_date, k));
}

/* A check's results (summary.json "check"): duplicates with the register and
 * inside the batch, clean rows, rows already registered. */
static void print_check(const jl_doc *d, int check, FILE *out)
{
    char a[32], b[32];
    static const struct { const char *key, *en, *zh; } kSides[] = {
        {"with_register", "with the register", "与在籍库重复"},
        {"in_batch", "inside the batch", "批次内重复"},
    };
    fprintf(out, "%-24s %10s %10s\n", "duplicates", "records", "groups");
    for (size_t s = 0; s < 2; s++) {
        int const side = jl_get(d, check, kSides[s].key);
        double records = 0, groups = 0;
        for (size_t i = 0; i < N_PROBLEMS; i++) {
            records += num(d, jl_get(d, side, kProblems[i].code), "records", NULL);
            groups += num(d, jl_get(d, side, kProblems[i].code), "groups", NULL);
        }
        fprintf(out, "  %-22s %10s %10s  %s\n", kSides[s].en, grouped(records, a), grouped(groups, b), kSides[s].zh);
        for (size_t i = 0; i < N_PROBLEMS; i++) {
            int const p = jl_get(d, side, kProblems[i].code);
            if (p < 0) continue;
            fprintf(out, "    %-20s %10s %10s\n", kProblems[i].code, grouped(num(d, p, "records", NULL), a),
                    grouped(num(d, p, "groups", NULL), b));
        }
    }
    double const clean = num(d, check, "clean_rows", NULL), registered = num(d, check, "already_registered", NULL);
    fprintf(out, "%-24s %10s  (no problem: may be submitted; %s of them already registered)\n", "clean rows",
            grouped(clean, a), grouped(num(d, check, "clean_already_registered", NULL), b));
    fprintf(out, "%-24s %10s  (a register record has the same student number and school code: %s)\n",
            "already registered", grouped(registered, a), "already_registered.csv");
}

/* The monthly cycle (summary.json "monthly", docs/monthly.md §7), when the
 * run had --previous or --decisions: per problem the rows new / persisting /
 * reopened / attested and the identities resolved (per province they are in
 * report.html); the decisions in effect, and those that matched nothing
 * when there are any. */
static void print_monthly(const jl_doc *d, int mo, FILE *out)
{
    static const char *const kCounts[] = {"new", "persisting", "reopened", "resolved", "attested"};
    char a[32], b[32], c[32], k[48];
    if (mo < 0) return; /* a summary.json from before the monthly counts */
    const char *const prev = jl_string(d, jl_get(d, mo, "previous_run_date"));
    double const in_effect = num(d, mo, "decisions_in_effect", NULL);
    if (prev == NULL && in_effect <= 0) return;
    if (prev) fprintf(out, "%-24s %10s  (the previous run; resolved since: resolved.csv)\n", "compared with", safe(prev, k));
    fprintf(out, "%-24s", "monthly");
    for (size_t i = 0; i < 5; i++) fprintf(out, " %10s", kCounts[i]);
    fputc('\n', out);
    int const problems = jl_get(d, mo, "problems");
    double all[5] = {0};
    for (size_t p = 0; p < N_PROBLEMS; p++) {
        int const counts = jl_get(d, problems, kProblems[p].code);
        fprintf(out, "  %-22s", kProblems[p].code);
        for (size_t i = 0; i < 5; i++) {
            double const v = num(d, counts, kCounts[i], NULL);
            all[i] += v;
            fprintf(out, " %10s", grouped(v, a));
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-22s", "all problems");
    for (size_t i = 0; i < 5; i++) fprintf(out, " %10s", grouped(all[i], a));
    fputc('\n', out);
    if (in_effect <= 0) return;
    fprintf(out, "%-24s %10s  (matched %s; approved members %s, attested groups %s)\n", "decisions in effect",
            grouped(in_effect, a), grouped(num(d, mo, "decisions_matched", NULL), b),
            grouped(num(d, mo, "approved_members", NULL), c), grouped(num(d, mo, "attested_groups", NULL), k));
    double const unmatched = num(d, mo, "decisions_unmatched", NULL);
    if (unmatched > 0)
        fprintf(out, "  %-22s %10s  (no current member of their group: decisions_unmatched.csv)\n", "unmatched",
                grouped(unmatched, a));
}

/* docs/population.md §5: what --population compared (when given), and
 * the formal numbers assignments.csv lists (when there are any). */
static void print_population(const jl_doc *d, int pop, int assign, FILE *out)
{
    char a[32], b[32], c[32];
    if (pop >= 0 && d->nodes[pop].type == JL_OBJECT)
        fprintf(out, "%-24s %10s  (records compared with %s ID numbers of the extracts)\n", "population compared",
                grouped(num(d, pop, "compared", NULL), a), grouped(num(d, pop, "ids", NULL), b));
    if (assign < 0) return;
    double const v = num(d, assign, "id_verified", NULL), u = num(d, assign, "no_id_unique", NULL);
    if (v + u <= 0) return;
    fprintf(out, "%-24s %10s  (G + ID %s, J number due %s: assignments.csv)\n", "formal numbers",
            grouped(v + u, a), grouped(v, b), grouped(u, c));
}

static void print_table(const jl_doc *d, const char *outdir, FILE *out)
{
    char a[32], b[32], c[32], k[48];
    int const root = 0;
    const char *const version = jl_string(d, jl_get(d, root, "version"));
    const char *const date = jl_string(d, jl_get(d, root, "run_date"));
    char v[48];
    fprintf(out, "xjdedup %s, run date %s\n", safe(version, v), safe(date, k));
    int const reg = jl_get(d, root, "register"), check = jl_get(d, root, "check");
    if (reg >= 0) print_register(d, reg, date, out);
    int const rows = jl_get(d, root, "rows");
    fprintf(out, "%-24s %10s  (accepted %s, rejected %s, blank lines %s)\n", "rows read",
            grouped(num(d, rows, "read", NULL), a), grouped(num(d, rows, "accepted", NULL), b),
            grouped(num(d, rows, "rejected", NULL), c), grouped(num(d, rows, "blank_lines", NULL), k));
    /* reasons under their own line, indented like id_invalid's: the longest
     * (unterminated_quote) fits the 20 columns left of the numbers */
    int const rejects = jl_get(d, root, "rejects");
    int const first_reject = rejects >= 0 ? d->nodes[rejects].first : -1;
    if (first_reject >= 0) fprintf(out, "  %-22s %10s\n", "rejected by reason", "");
    for (int r = first_reject; r >= 0; r = d->nodes[r].next)
        fprintf(out, "    %-20s %10s\n", safe(jl_key(d, r), k), grouped(jl_number(d, r, 0), a));

    int const problems = jl_get(d, root, "problems");
    double total = 0;
    for (size_t i = 0; i < N_PROBLEMS; i++) total += num(d, problems, kProblems[i].code, "records");
    fprintf(out, "%-24s %10s %10s\n", "problems", "records", "groups");
    for (size_t i = 0; i < N_PROBLEMS; i++) {
        int const p = jl_get(d, problems, kProblems[i].code);
        int const groups = jl_get(d, p, "groups");
        fprintf(out, "  %-22s %10s %10s  %s\n", kProblems[i].code, grouped(num(d, p, "records", NULL), a),
                groups >= 0 ? grouped(jl_number(d, groups, 0), b) : "", kProblems[i].zh);
        int const reasons = jl_get(d, p, "reasons");
        for (int r = reasons >= 0 ? d->nodes[reasons].first : -1; r >= 0; r = d->nodes[r].next)
            fprintf(out, "    %-20s %10s\n", safe(jl_key(d, r), k), grouped(jl_number(d, r, 0), a));
    }
    fprintf(out, "  %-22s %10s\n", "all problems", grouped(total, a));
    if (check >= 0) print_check(d, check, out);
    print_monthly(d, jl_get(d, root, "monthly"), out);
    print_population(d, jl_get(d, root, "population"), jl_get(d, root, "assignments"), out);

    fprintf(out, "%-24s", "groups by scope");
    for (size_t s = 0; s < 5; s++) fprintf(out, " %10s", kScopes[s]);
    fputc('\n', out);
    for (size_t i = 0; i < N_PROBLEMS; i++) {
        int const scopes = jl_path(d, problems, kProblems[i].code, "scopes", (char *)NULL);
        if (scopes < 0) continue;
        fprintf(out, "  %-22s", kProblems[i].code);
        for (size_t s = 0; s < 5; s++) fprintf(out, " %10s", grouped(num(d, scopes, kScopes[s], NULL), a));
        fputc('\n', out);
    }

    int const provinces = jl_get(d, root, "provinces");
    prov_row top[128];
    size_t n = 0;
    for (int p = provinces >= 0 ? d->nodes[provinces].first : -1; p >= 0 && n < 128; p = d->nodes[p].next) {
        prov_row *const r = &top[n++];
        r->code = jl_key(d, p);
        r->total = 0;
        for (size_t i = 0; i < N_PROBLEMS; i++) r->total += r->n[i] = num(d, p, kProblems[i].code, NULL);
    }
    qsort(top, n, sizeof *top, cmp_prov);
    if (n > 0) fprintf(out, "%-24s %10s %10s %10s %10s %10s\n", "top provinces", "rows", "id_dup", "id_invalid",
                       "attr_dup", "suspect");
    for (size_t i = 0; i < n && i < 10; i++) {
        char e[32], f[48], g[32];
        fprintf(out, "  %-22s %10s %10s %10s %10s %10s  %s\n", safe(top[i].code, k), grouped(top[i].total, a),
                grouped(top[i].n[0], b), grouped(top[i].n[1], c), grouped(top[i].n[2], e), grouped(top[i].n[3], g),
                safe(province_name(top[i].code), f));
    }
    if (n > 10) fprintf(out, "  (%zu provinces with problems: all of them in report.html)\n", n);

    int const timing = jl_get(d, root, "timing");
    if (timing >= 0) {
        double const wall = num(d, timing, "wall_seconds", NULL);
        double bytes = 0;
        int const inputs = jl_get(d, root, "inputs");
        for (int i = inputs >= 0 ? d->nodes[inputs].first : -1; i >= 0; i = d->nodes[i].next)
            bytes += num(d, i, "decoded_bytes", NULL);
        fprintf(out, "%-24s %10.2f s  (%s rows/s, %.1f MB/s)\n", "wall time", wall,
                grouped(num(d, timing, "rows_per_second", NULL), a), wall > 0 ? bytes / 1e6 / wall : 0.0);
    }
    fprintf(out, "%-24s %s/  (report.html, problems.csv, schools/, rejects.csv, summary.json%s)\n", "output",
            outdir, check >= 0 ? ", already_registered.csv" : "");
}

int summary_print(const char *outdir, FILE *out)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/summary.json", outdir) >= sizeof path) {
        fprintf(stderr, "xjdedup summary: the path %s is too long\n", outdir);
        return EXIT_USAGE;
    }
    FILE *const f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "xjdedup summary: cannot open %s: %s; give the output directory of 'xjdedup scan'\n", path,
                strerror(errno));
        return EXIT_USAGE;
    }
    char *const text = malloc(JL_MAX_TEXT + 1);
    size_t const n = text ? fread(text, 1, JL_MAX_TEXT + 1, f) : 0;
    int const read_error = ferror(f);
    fclose(f);
    if (text == NULL || read_error || n > JL_MAX_TEXT) {
        fprintf(stderr, "xjdedup summary: cannot read %s: %s\n", path,
                text == NULL ? "out of memory" : read_error ? "read error" : "larger than 16 MiB, not a summary.json");
        free(text);
        return EXIT_USAGE;
    }
    jl_doc doc;
    int rc = EXIT_OK;
    if (jl_parse(&doc, text, n) != 0) {
        fprintf(stderr, "xjdedup summary: %s is not valid JSON (%s); was it written by xjdedup scan?\n", path,
                doc.error);
        rc = EXIT_USAGE;
    } else if (jl_get(&doc, 0, "rows") < 0 || jl_get(&doc, 0, "problems") < 0 ||
               jl_number(&doc, jl_path(&doc, 0, "rows", "read", (char *)NULL), -1) < 0) {
        fprintf(stderr, "xjdedup summary: %s has no rows/problems counts; it is not a summary.json of xjdedup\n",
                path);
        rc = EXIT_USAGE;
    } else {
        print_table(&doc, outdir, out);
    }
    jl_free(&doc);
    free(text);
    return rc;
}

static void summary_usage(FILE *out)
{
    fputs("usage: xjdedup summary OUTDIR\n"
          "\n"
          "Prints the summary table of a finished scan from OUTDIR/summary.json: rows\n"
          "read, accepted and rejected; problems by type and reason; groups by scope;\n"
          "the provinces with most problems; wall time and throughput. It is the same\n"
          "table 'xjdedup scan' prints at the end of a run. For the OUTDIR of a check,\n"
          "it also names the register index (records, run date, scope), splits the\n"
          "duplicates with the register from those inside the batch, and counts the\n"
          "clean rows and those already registered. For a run with --previous or\n"
          "--decisions, it also counts per problem the rows new, persisting, reopened\n"
          "and attested and the problems resolved since the previous run, and the\n"
          "decisions in effect (and those that matched nothing, when any).\n"
          "\n"
          "options:\n"
          "  -h, --help              this text\n"
          "\n"
          "exit status: 0 success; 2 OUTDIR has no readable, valid summary.json.\n",
          out);
}

int cmd_summary(int argc, char **argv)
{
    static const struct option kOptions[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", kOptions, NULL)) != -1) {
        if (opt == 'h') {
            summary_usage(stdout);
            return EXIT_OK;
        }
        fputs("run 'xjdedup summary --help' for the options\n", stderr);
        return EXIT_USAGE;
    }
    if (argc - optind != 1) {
        fputs("xjdedup summary: give one output directory, e.g. xjdedup summary out\n", stderr);
        return EXIT_USAGE;
    }
    return summary_print(argv[optind], stdout);
}
