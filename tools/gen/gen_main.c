/*
 * gen_main — `xjdedup gen`: options and the parallel driver.
 *
 * The driver cuts the rows into blocks of GEN_BLOCK_ROWS, makes a batch of
 * blocks in parallel (OpenMP; each block: rows -> CSV text -> GB 18030 ->
 * zstd frame, all on one thread); a writer thread writes the batch in block
 * order while the workers make the next one into the other half of the
 * slots (double buffering). Block contents depend only on (seed, options,
 * block index), never on the thread that made them, which is what makes the
 * output independent of --threads. Without OpenMP the same code runs on one thread.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "commands.h"
#include "gen.h"

static const char USAGE[] =
"usage: xjdedup gen --rows N [--seed S] -o FILE [--truth FILE] [options]\n"
"       xjdedup gen --rows N [--seed S] --months M -o DIR [options]\n"
"       xjdedup gen --rows N [--seed S] --suspects K -o FILE [options]\n"
"       xjdedup gen --rows N [--seed S] -o FILE --population EXTRACT [options]\n"
"\n"
"Writes a synthetic national student population as CSV (the layout of\n"
"docs/rules.md §2, Chinese headers, plus a pass-through 年级 column). FILE ending\n"
"in .zst is zstd-compressed; '-' is standard output. Same seed and options give\n"
"the same bytes whatever --threads is.\n"
"\n"
"Output\n"
"  --rows N            rows to write (suffixes k, M, G: 10M = 10 000 000)\n"
"  --seed S            64-bit seed (default 1)\n"
"  -o, --output FILE   output file, .zst for zstd, - for stdout\n"
"  --truth FILE        write what was injected (format: docs/generator.md)\n"
"  --threads N         worker threads (default: all cores)\n"
"  --run-date DATE     YYYY-MM-DD, the date the data is as of (default today);\n"
"                      no birth or registration date is after it\n"
"  --zstd-level L      zstd level (default 3)\n"
"  --single-frame      FILE.zst as one zstd frame (as the zstd tool writes one\n"
"                      file); by default one frame per 32 768 rows (about 4 MB\n"
"                      of CSV), which scan decodes on all cores\n"
"  --encoding ENC      utf-8 (default) or gbk (written as GB 18030)\n"
"  --months M          2..24: DIR/month1.csv .. monthM.csv, the population as\n"
"                      exported in M consecutive months (month M on --run-date,\n"
"                      month k M-k months before), with known changes between\n"
"                      them, DIR/decisions2.csv .. decisionsM.csv (officers'\n"
"                      approvals for scan --decisions) and DIR/truth.json\n"
"                      (docs/generator.md, \"Month sequences\")\n"
"  --changes C         with --months: instances of each kind of change per month\n"
"                      (default rows/5000, at least 4, at most 250; up to 5000)\n"
"  --suspects K        1..1000: after the population, K instances of every kind\n"
"                      of typing slip (a student registered again under an ID\n"
"                      with one character mistyped or two adjacent ones swapped,\n"
"                      at every position) and of every look-alike that is none\n"
"                      (namesakes, twins, one-slip IDs of other students), and\n"
"                      FILE.suspects.json, the suspect_duplicate groups a scan\n"
"                      must find (docs/generator.md, \"Suspected duplicates\")\n"
"  --population EXTRACT  also write a population extract (CSV, .zst for zstd)\n"
"                      for scan --population: the (id_number, name) of every\n"
"                      GB 11643 number of the register, with known\n"
"                      differences, and after the register's rows planted\n"
"                      students with a temporary L number of every kind\n"
"                      assignments.csv tells apart; EXTRACT.truth.json says\n"
"                      which records must be not_found or name_mismatch and\n"
"                      the basis of every L record (docs/generator.md,\n"
"                      \"Population extracts\")\n"
"  --population-changes PCT  0..10: per cent of the register's numbers the\n"
"                      extract leaves out, lists under another name, writes\n"
"                      in another form of the same name, lists twice with\n"
"                      the same name, lists twice with another name; and\n"
"                      people added who are not in the register [2]\n"
"  --messy             BOM, CRLF, quoted school names with commas, line breaks\n"
"                      and quotes, and a few rows with a wrong field count\n"
"  --profile P         default, or varied: a second population distributed\n"
"                      otherwise on purpose (docs/generator.md, \"The varied\n"
"                      profile\"), so a benchmark is not tuned to one generator:\n"
"                      flatter surnames with 4% compound and 3% joined ones,\n"
"                      given-name pools three times as large, more and longer\n"
"                      minority names (dotted names in 2-3 parts); western and\n"
"                      minority provinces weighted x3; 33% teaching points,\n"
"                      Pareto school sizes, one school per 300 students; school\n"
"                      names with commas, quotes or line breaks (12%); every\n"
"                      field quoted in 15% of the counties; 年级 as a code; a\n"
"                      pass-through 家庭住址 column (20% filled, half of\n"
"                      those quoted). Not with --months, --suspects,\n"
"                      --population or --school-sigma\n"
"\n"
"Injected problems (fraction of rows; defaults in brackets)\n"
"  --dup-rate R        extra rows repeating another row's ID [0.004]: 45% the same\n"
"                      student in another school (county 40%, city 25%, province\n"
"                      20%, other province 15%), 20% another student typed with\n"
"                      that ID (same school 50%, county 30%, city 10%, province 5%,\n"
"                      national 5%; 30% of them also disagree with the ID's birth\n"
"                      date or sex), 20% the same row imported twice into one\n"
"                      school, 15% a further member of an existing group (3+)\n"
"  --invalid-rate R    type-1 rows with an invalid ID [0.002]: format 20%,\n"
"                      legacy15 8%, region 10%, birthdate 15%, checksum 22%,\n"
"                      birthdate_mismatch 15%, sex_mismatch 10%\n"
"  --noid-rate R       students without ID: type Z, empty number, J number [0.01]\n"
"  --attr-rate R       no-ID rows repeating a no-ID student's name, sex and birth\n"
"                      date [0.002] (school 35%, county 30%, city 15%, province\n"
"                      12%, national 8%)\n"
"  --mixed-rate R      no-ID rows repeating a student who has an ID [0.0005];\n"
"                      found by scan --attr-scope mixed\n"
"  --other-rate R      ID types 8 (30%), 9 (30%: old 15-char and 2023 18-digit\n"
"                      cards) and A (40%) [0.001]\n"
"  --other-invalid F   share of those with a bad format [0.2]\n"
"  --noise-rate R      rows with noise normalization must undo [0.02]: spaces or\n"
"                      full-width digits or lower-case x in IDs, spaces in names,\n"
"                      middle-dot variants, upper-case Latin names, sex as 1/2 or\n"
"                      M/F, dates as YYYYMMDD or YYYY/M/D, type names for codes\n"
"  --malformed-rate R  with --messy: rows with a wrong field count [0.00005]\n"
"\n"
"Population\n"
"  --migrant-rate R    IDs issued in another province (migrant children) [0.04]\n"
"  --local-migrant-rate R  IDs issued in another county of the province [0.04]\n"
"  --temp-rate R       valid-ID students with a temporary L number [0.02]\n"
"  --school-size N     mean students per school [650]\n"
"  --school-sigma S    log-normal spread of school sizes [0.8]\n"
"\n"
"Terminal\n"
"  -q, --quiet         no progress line\n"
"  --progress          progress line on stderr even when it is not a terminal\n"
"                      (by default: only on a terminal)\n"
"\n"
"Distributions (sources in docs/generator.md)\n"
"  provinces   31, weighted by population aged 0-14, 2020 census (七普)\n"
"  counties    ~2 840 with GB/T 2260-style codes: PP + city 01.. + districts\n"
"              02.., counties 21.., county-level cities 81.., counts per\n"
"              province as in the 2022 division statistics (approximate)\n"
"  schools     ~1 per 650 students; code AABBCCCCCC: 21 primary (incl. teaching\n"
"              points), 31 junior (incl. nine-year), 34 senior (incl. complete\n"
"              and twelve-year), 36 vocational; shares and mean sizes from the\n"
"              2023 education statistics communiqué; size log-normal (sigma 0.8)\n"
"  ages        grade g born 1 Sep .. 31 Aug, 6+g years before the school year\n"
"  sex         111.3 boys per 100 girls (0-14, 2020 census)\n"
"  surnames    top 100 of the 2020 name report (公安部), ~86% of people\n"
"  given names 1 or 2 characters from rank-weighted pools, 10% popular names\n"
"  minorities  Uyghur names with a middle dot (新疆 45%), Tibetan (西藏 85%,\n"
"              青海 20%), Mongolian (内蒙古 12%)\n"
"  IDs         region of the school's county (92%), another county (4%) or\n"
"              province (4%); birth date and sex digit of the record; student\n"
"              number G+ID, L+18 (temporary), J+18 (no ID)\n"
"  registered  late Aug .. mid Oct of the year the student entered grade 1\n";

static int gen_parseRows(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0) return -1;
    if (*end == 'k' || *end == 'K') { v *= 1e3; end++; }
    else if (*end == 'm' || *end == 'M') { v *= 1e6; end++; }
    else if (*end == 'g' || *end == 'G') { v *= 1e9; end++; }
    if (*end != '\0' || v < 0 || v > 1e12 - 1 || v != (double)(uint64_t)v) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int gen_parseRate(const char *s, double *out)
{
    char *end;
    double const v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= 0 && v <= 1)) return -1;
    *out = v;
    return 0;
}

static int gen_parseInt(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long const v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static void gen_defaults(gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->zstd_level = 3;
    o->dup_rate = 0.004;
    o->invalid_rate = 0.002;
    o->noid_rate = 0.01;
    o->attr_rate = 0.002;
    o->mixed_rate = 0.0005;
    o->other_rate = 0.001;
    o->other_invalid = 0.2;
    o->migrant_rate = 0.04;
    o->local_migrant_rate = 0.04;
    o->temp_rate = 0.02;
    o->noise_rate = 0.02;
    o->malformed_rate = 0.00005;
    o->school_size_sigma = 0.8;
    o->rows_per_school = 650;
    o->population_changes = 2;
    o->progress = -1;
#ifdef _OPENMP
    o->threads = omp_get_num_procs();
#else
    o->threads = 1;
#endif
}

enum {
    OPT_ROWS = 256, OPT_SEED, OPT_TRUTH, OPT_THREADS, OPT_RUNDATE, OPT_LEVEL, OPT_ENCODING,
    OPT_MESSY, OPT_DUP, OPT_INVALID, OPT_NOID, OPT_ATTR, OPT_MIXED, OPT_OTHER, OPT_OTHERBAD,
    OPT_NOISE, OPT_MALFORMED, OPT_MIGRANT, OPT_LMIGRANT, OPT_TEMP, OPT_SCHOOL, OPT_SIGMA, OPT_HELP,
    OPT_PROGRESS, OPT_SINGLE_FRAME, OPT_MONTHS, OPT_CHANGES, OPT_SUSPECTS, OPT_POPULATION, OPT_POPCHANGES,
    OPT_PROFILE
};

static const struct option LONG_OPTS[] = {
    {"rows", required_argument, 0, OPT_ROWS}, {"seed", required_argument, 0, OPT_SEED},
    {"output", required_argument, 0, 'o'}, {"truth", required_argument, 0, OPT_TRUTH},
    {"threads", required_argument, 0, OPT_THREADS}, {"run-date", required_argument, 0, OPT_RUNDATE},
    {"zstd-level", required_argument, 0, OPT_LEVEL}, {"encoding", required_argument, 0, OPT_ENCODING},
    {"messy", no_argument, 0, OPT_MESSY}, {"dup-rate", required_argument, 0, OPT_DUP},
    {"invalid-rate", required_argument, 0, OPT_INVALID}, {"noid-rate", required_argument, 0, OPT_NOID},
    {"attr-rate", required_argument, 0, OPT_ATTR}, {"mixed-rate", required_argument, 0, OPT_MIXED},
    {"other-rate", required_argument, 0, OPT_OTHER}, {"other-invalid", required_argument, 0, OPT_OTHERBAD},
    {"noise-rate", required_argument, 0, OPT_NOISE}, {"malformed-rate", required_argument, 0, OPT_MALFORMED},
    {"migrant-rate", required_argument, 0, OPT_MIGRANT}, {"local-migrant-rate", required_argument, 0, OPT_LMIGRANT},
    {"temp-rate", required_argument, 0, OPT_TEMP}, {"school-size", required_argument, 0, OPT_SCHOOL},
    {"school-sigma", required_argument, 0, OPT_SIGMA}, {"help", no_argument, 0, OPT_HELP},
    {"quiet", no_argument, 0, 'q'}, {"progress", no_argument, 0, OPT_PROGRESS},
    {"single-frame", no_argument, 0, OPT_SINGLE_FRAME},
    {"months", required_argument, 0, OPT_MONTHS}, {"changes", required_argument, 0, OPT_CHANGES},
    {"suspects", required_argument, 0, OPT_SUSPECTS},
    {"population", required_argument, 0, OPT_POPULATION},
    {"population-changes", required_argument, 0, OPT_POPCHANGES},
    {"profile", required_argument, 0, OPT_PROFILE},
    {0, 0, 0, 0},
};

/* Parses argv into o; returns -1 after printing the problem, 1 for --help. */
static int gen_parseArgs(int argc, char **argv, gen_opts *o)
{
    int have_rows = 0, have_popchanges = 0, have_school = 0, have_sigma = 0;
    optind = 0; /* GNU: full re-initialization */
    opterr = 0;
    for (;;) {
        int li = -1;
        int const c = getopt_long(argc, argv, ":o:hq", LONG_OPTS, &li);
        if (c == -1) break;
        const char *const a = optarg;
        long l = 0;
        double *rate = NULL;
        int bad = 0;
        switch (c) {
        case OPT_ROWS: bad = gen_parseRows(a, &o->rows); have_rows = 1; break;
        case OPT_SEED: { char *end; errno = 0; o->seed = strtoull(a, &end, 0); bad = (end == a || *end || errno); break; }
        case 'o': o->out = a; break;
        case OPT_TRUTH: o->truth = a; break;
        case OPT_THREADS: bad = gen_parseInt(a, 1, 1024, &l); o->threads = (int)l; break;
        case OPT_RUNDATE: bad = xj_parseDate(a, &o->run_date) != XJ_OK
                                || o->run_date < 19500101u || o->run_date > 20991231u; break;
        case OPT_LEVEL: bad = gen_parseInt(a, 1, 19, &l); o->zstd_level = (int)l; break;
        case OPT_ENCODING:
            if (strcmp(a, "gbk") == 0 || strcmp(a, "GBK") == 0 || strcmp(a, "gb18030") == 0) o->gbk = 1;
            else if (strcmp(a, "utf-8") == 0 || strcmp(a, "utf8") == 0 || strcmp(a, "UTF-8") == 0) o->gbk = 0;
            else bad = 1;
            break;
        case OPT_MESSY: o->messy = 1; break;
        case OPT_SINGLE_FRAME: o->single_frame = 1; break;
        case OPT_DUP: rate = &o->dup_rate; break;
        case OPT_INVALID: rate = &o->invalid_rate; break;
        case OPT_NOID: rate = &o->noid_rate; break;
        case OPT_ATTR: rate = &o->attr_rate; break;
        case OPT_MIXED: rate = &o->mixed_rate; break;
        case OPT_OTHER: rate = &o->other_rate; break;
        case OPT_OTHERBAD: rate = &o->other_invalid; break;
        case OPT_NOISE: rate = &o->noise_rate; break;
        case OPT_MALFORMED: rate = &o->malformed_rate; break;
        case OPT_MIGRANT: rate = &o->migrant_rate; break;
        case OPT_LMIGRANT: rate = &o->local_migrant_rate; break;
        case OPT_TEMP: rate = &o->temp_rate; break;
        case OPT_SCHOOL: bad = gen_parseInt(a, 10, 100000, &l); o->rows_per_school = (uint32_t)l; have_school = 1; break;
        case OPT_SIGMA: { char *end; o->school_size_sigma = strtod(a, &end); have_sigma = 1;
                          bad = (end == a || *end || !(o->school_size_sigma >= 0 && o->school_size_sigma <= 3)); break; }
        case OPT_MONTHS: bad = gen_parseInt(a, 2, 24, &l); o->months = (uint32_t)l; break;
        case OPT_CHANGES: bad = gen_parseInt(a, 1, 5000, &l); o->changes = (uint32_t)l; break;
        case OPT_SUSPECTS: bad = gen_parseInt(a, 1, 1000, &l); o->suspects = (uint32_t)l; break;
        case OPT_POPULATION: o->population = a; bad = *a == '\0'; break;
        case OPT_POPCHANGES: { char *end; o->population_changes = strtod(a, &end); have_popchanges = 1;
                               bad = (end == a || *end || !(o->population_changes >= 0 && o->population_changes <= 10)); break; }
        case OPT_PROFILE:
            if (strcmp(a, "default") == 0) o->profile = GEN_PROFILE_DEFAULT;
            else if (strcmp(a, "varied") == 0) o->profile = GEN_PROFILE_VARIED;
            else bad = 1;
            break;
        case 'q': o->progress = 0; break;
        case OPT_PROGRESS: o->progress = 1; break;
        case OPT_HELP: case 'h': fputs(USAGE, stdout); return 1;
        case ':': fprintf(stderr, "xjdedup gen: option %s needs a value\n", argv[optind - 1]); return -1;
        default: fprintf(stderr, "xjdedup gen: unknown option %s (see xjdedup gen --help)\n", argv[optind - 1]); return -1;
        }
        if (rate != NULL) bad = gen_parseRate(a, rate);
        if (bad) {
            fprintf(stderr, "xjdedup gen: bad value '%s' for --%s (see xjdedup gen --help)\n", a,
                    li >= 0 ? LONG_OPTS[li].name : "output");
            return -1;
        }
    }
    if (optind < argc) { fprintf(stderr, "xjdedup gen: unexpected argument '%s'\n", argv[optind]); return -1; }
    if (!have_rows || o->out == NULL) {
        fputs("xjdedup gen: --rows and -o are required (see xjdedup gen --help)\n", stderr);
        return -1;
    }
    if (o->migrant_rate + o->local_migrant_rate > 1) {
        fputs("xjdedup gen: --migrant-rate plus --local-migrant-rate exceeds 1\n", stderr);
        return -1;
    }
    if (o->run_date == 0) o->run_date = xj_today();
    if (o->profile == GEN_PROFILE_VARIED) {
        if (o->months || o->suspects || o->population || have_sigma) {
            fputs("xjdedup gen: --profile varied makes a plain population (with --truth): not with --months,"
                  " --suspects, --population or --school-sigma (its school sizes are Pareto)\n", stderr);
            return -1;
        }
        if (!have_school) o->rows_per_school = 300;
    }
    if (o->months && (o->truth != NULL || strcmp(o->out, "-") == 0)) {
        fputs("xjdedup gen: with --months, -o names a directory and the truth is DIR/truth.json"
              " (no --truth, no -o -)\n", stderr);
        return -1;
    }
    if (!o->months && o->changes) {
        fputs("xjdedup gen: --changes needs --months\n", stderr);
        return -1;
    }
    if (o->suspects && (o->months || strcmp(o->out, "-") == 0 || o->rows < 1000)) {
        fputs("xjdedup gen: --suspects needs -o FILE (its truth is FILE.suspects.json), at least 1000"
              " --rows and no --months\n", stderr);
        return -1;
    }
    if (!o->population && have_popchanges) {
        fputs("xjdedup gen: --population-changes needs --population\n", stderr);
        return -1;
    }
    if (o->population && (o->months || o->suspects || strcmp(o->out, "-") == 0 || o->rows < 1000
                          || strcmp(o->population, "-") == 0 || strcmp(o->population, o->out) == 0)) {
        fputs("xjdedup gen: --population needs -o FILE (not -), another file for the extract (not -),"
              " at least 1000 --rows and no --months or --suspects\n", stderr);
        return -1;
    }
    return 0;
}

typedef struct gen_slot {
    gen_buf text;             /* the block as UTF-8 CSV */
    gen_buf enc;              /* encoded (GB 18030 and/or zstd) */
    int failed;               /* encoding failed */
} gen_slot;

static int gen_inSorted(const uint64_t *v, size_t n, uint64_t x, size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t const mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1; else hi = mid;
    }
    *at = lo;
    return lo < n && v[lo] == x;
}

/* Base row i as this month has it: 0 when the month leaves it out, else
 * the person (replaced by the month's version when it changed). */
static int gen_monthRow(const gen_ctx *ctx, uint64_t i, const gen_loc *loc, gen_person *p)
{
    const gen_monthView *const m = ctx->month;
    size_t at;
    if (m != NULL && m->n_skip && gen_inSorted(m->skip, m->n_skip, i, &at)) return 0;
    if (m != NULL && m->n_repl && gen_inSorted(m->repl_row, m->n_repl, i, &at)) { *p = m->repl[at]; return 1; }
    gen_makeRow(ctx, i, loc, p);
    return 1;
}

/* The month's appended rows go at the end of the last block. */
static int gen_appendExtra(const gen_ctx *ctx, gen_buf *t)
{
    const gen_monthView *const m = ctx->month;
    for (size_t j = 0; m != NULL && j < m->n_extra; j++) {
        if (gen_bufReserve(t, GEN_ROW_MAX) != 0) return -1;
        t->len += gen_formatRow(ctx, &m->extra[j], t->p + t->len);
    }
    return 0;
}

/* Block b of the register: the header first, then its rows, the month's
 * appended rows after the last one. */
static int gen_registerBlock(const gen_ctx *ctx, void *arg, uint64_t b, gen_buf *t)
{
    (void)arg;
    uint64_t const first = b * GEN_BLOCK_ROWS;
    uint64_t const end = (first + GEN_BLOCK_ROWS < ctx->o.rows) ? first + GEN_BLOCK_ROWS : ctx->o.rows;
    t->len = 0;
    if (b == 0) {
        if (gen_bufReserve(t, GEN_ROW_MAX) != 0) return -1;
        t->len += gen_formatHeader(ctx, t->p);
    }
    gen_loc loc;
    if (first < end) gen_locate(ctx, first, &loc);
    for (uint64_t i = first; i < end; i++) {
        if (t->cap - t->len < GEN_ROW_MAX && gen_bufReserve(t, (end - i) * 200 + GEN_ROW_MAX) != 0) return -1;
        gen_person p;
        if (gen_monthRow(ctx, i, &loc, &p)) t->len += gen_formatRow(ctx, &p, t->p + t->len);
        if (i + 1 < end) gen_locNext(ctx, &loc, i + 1);
    }
    uint64_t const nblocks = ctx->o.rows ? (ctx->o.rows + GEN_BLOCK_ROWS - 1) / GEN_BLOCK_ROWS : 1;
    if (b + 1 == nblocks && gen_appendExtra(ctx, t) != 0) return -1;
    return 0;
}

static void gen_makeBlock(const gen_ctx *ctx, gen_blockFn fn, void *arg, uint64_t b, gen_slot *sl,
                          gen_encoder *enc)
{
    sl->failed = fn(ctx, arg, b, &sl->text) != 0;
    if (!sl->failed && enc != NULL && gen_encode(enc, &sl->text, &sl->enc) != 0) sl->failed = 1;
}

/* The writer thread: writes one finished batch in block order while the
 * workers make the next one (double buffering; the driver joins it before
 * reusing that half of the slots). */
typedef struct gen_writer {
    gen_sink *sink;           /* where to */
    gen_zstream *zs;          /* --single-frame: compress here first, else NULL */
    gen_slot *slots;          /* the batch */
    uint64_t cnt;             /* blocks in it */
    int encode;               /* write slot.enc rather than slot.text */
    int rc;                   /* EXIT_OK or EXIT_IO */
    int err;                  /* errno of a failed write */
    int failed_block;         /* a block failed to encode */
} gen_writer;

static void *gen_writeBatch(void *arg)
{
    gen_writer *const w = arg;
    for (uint64_t j = 0; j < w->cnt; j++) {
        if (w->slots[j].failed) { w->failed_block = 1; w->rc = EXIT_IO; return NULL; }
        const gen_buf *const out = w->encode ? &w->slots[j].enc : &w->slots[j].text;
        int const bad = w->zs ? gen_zstreamWrite(w->zs, w->sink, out->p, out->len, 0)
                              : gen_sinkWrite(w->sink, out->p, out->len);
        if (bad != 0) { w->err = errno; w->rc = EXIT_IO; return NULL; }
    }
    return NULL;
}

static int gen_joinWriterInline(const char *path, gen_writer *w)
{
    if (w->rc == EXIT_OK) return EXIT_OK;
    if (w->failed_block) fputs("xjdedup gen: out of memory or encoding failure while making a block\n", stderr);
    else fprintf(stderr, "xjdedup gen: cannot write %s: %s\n", path, w->err ? strerror(w->err) : "zstd failed");
    return w->rc;
}

static int gen_joinWriter(const char *path, pthread_t th, gen_writer *w)
{
    pthread_join(th, NULL);
    return gen_joinWriterInline(path, w);
}

/* The progress line on stderr (rows are known up front, so the ETA is
 * exact up to the rate); drawn from the driver thread between batches. */
typedef struct gen_progress {
    int on;                   /* draw at all */
    int tty;                  /* redraw one line; else one line per update */
    double start, last;       /* monotonic seconds */
    int shown;                /* a terminal line is on screen */
} gen_progress;

static double gen_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gen_showProgress(gen_progress *pg, uint64_t done, uint64_t total)
{
    double const t = gen_now();
    if (!pg->on || t - pg->last < (pg->tty ? 0.25 : 1.0)) return;
    pg->last = t;
    double const el = t - pg->start;
    double const rate = el > 0 ? (double)done / el : 0;
    double const eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "%sgen: %llu/%llu rows (%.0f%%), %.0f rows/s, %u:%02u elapsed, ETA %u:%02u%s",
            pg->tty ? "\r" : "", (unsigned long long)done, (unsigned long long)total,
            total ? 100.0 * (double)done / (double)total : 100.0, rate, (unsigned)el / 60, (unsigned)el % 60,
            (unsigned)eta / 60, (unsigned)eta % 60, pg->tty ? "\033[K" : "\n");
    pg->shown = pg->tty;
}

int gen_writeBlocks(const gen_ctx *ctx, const char *path, uint64_t nblocks, int gbk, gen_blockFn fn,
                    void *arg, uint64_t progress_rows)
{
    gen_sink sink;
    if (gen_sinkOpen(&sink, path) != 0) {
        fprintf(stderr, "xjdedup gen: cannot create %s: %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    int const T = ctx->o.threads;
    int const frames = sink.zstd && !ctx->o.single_frame; /* a zstd frame per block, made by the workers */
    int const encode = frames || gbk;
    gen_zstream *const zs = sink.zstd && ctx->o.single_frame ? gen_zstreamCreate(ctx->o.zstd_level) : NULL;
    size_t const nslots = (size_t)T * 2;   /* blocks per batch */
    gen_slot *const slots = calloc(nslots * 2, sizeof *slots);
    gen_encoder **const encs = calloc((size_t)T, sizeof *encs);
    gen_writer w = { 0 };
    pthread_t wth;
    int writing = 0;
    int rc = EXIT_OK;
    gen_progress progress = {0, isatty(STDERR_FILENO), gen_now(), 0, 0};
    progress.on = progress_rows > 0 && (ctx->o.progress > 0 || (ctx->o.progress < 0 && progress.tty));
    progress.last = progress.start; /* the first line after a quarter second */
    if (slots == NULL || encs == NULL || (sink.zstd && ctx->o.single_frame && zs == NULL)) {
        fputs("xjdedup gen: out of memory\n", stderr);
        rc = EXIT_IO;
        goto done;
    }
    for (int i = 0; i < T && encode; i++)
        if ((encs[i] = gen_encoderCreate(frames, ctx->o.zstd_level, gbk)) == NULL) {
            fputs("xjdedup gen: cannot set up zstd or GB 18030 conversion\n", stderr);
            rc = EXIT_IO; goto done;
        }
    uint64_t k = 0;
    for (uint64_t base = 0; base < nblocks; base += nslots, k++) {
        uint64_t const cnt = nblocks - base < nslots ? nblocks - base : nslots;
        gen_slot *const set = slots + (k & 1) * nslots;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
#endif
        for (uint64_t j = 0; j < cnt; j++) {
#ifdef _OPENMP
            int const th = omp_get_thread_num();
#else
            int const th = 0;
#endif
            gen_makeBlock(ctx, fn, arg, base + j, &set[j], encode ? encs[th] : NULL);
        }
        if (writing) { writing = 0; if ((rc = gen_joinWriter(path, wth, &w)) != EXIT_OK) goto done; }
        w = (gen_writer){ .sink = &sink, .zs = zs, .slots = set, .cnt = cnt, .encode = encode, .rc = EXIT_OK };
        if (pthread_create(&wth, NULL, gen_writeBatch, &w) != 0) {
            gen_writeBatch(&w);            /* no thread: write inline */
            if ((rc = gen_joinWriterInline(path, &w)) != EXIT_OK) goto done;
        } else {
            writing = 1;
        }
        uint64_t const made = (base + cnt) * GEN_BLOCK_ROWS;
        gen_showProgress(&progress, made < progress_rows ? made : progress_rows, progress_rows);
    }
done:
    if (progress.shown) fputs("\r\033[K", stderr);
    if (writing && gen_joinWriter(path, wth, &w) != EXIT_OK && rc == EXIT_OK) rc = EXIT_IO;
    if (zs != NULL && rc == EXIT_OK && gen_zstreamWrite(zs, &sink, NULL, 0, 1) != 0) {
        fprintf(stderr, "xjdedup gen: cannot write %s: %s\n", path, errno ? strerror(errno) : "zstd failed");
        rc = EXIT_IO;
    }
    gen_zstreamFree(zs);
    if (gen_sinkClose(&sink) != 0 && rc == EXIT_OK) {
        fprintf(stderr, "xjdedup gen: cannot write %s: %s\n", path, strerror(errno));
        rc = EXIT_IO;
    }
    for (size_t i = 0; slots && i < nslots * 2; i++) { gen_bufFree(&slots[i].text); gen_bufFree(&slots[i].enc); }
    for (int i = 0; encs && i < T; i++) gen_encoderFree(encs[i]);
    free(slots);
    free(encs);
    return rc;
}

int gen_run(gen_ctx *ctx)
{
    uint64_t const nblocks = (ctx->o.rows + GEN_BLOCK_ROWS - 1) / GEN_BLOCK_ROWS;
    return gen_writeBlocks(ctx, ctx->o.out, nblocks ? nblocks : 1, ctx->o.gbk, gen_registerBlock, NULL, ctx->o.rows);
}

int cmd_gen(int argc, char **argv)
{
    gen_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    gen_defaults(&ctx.o);
    int const pr = gen_parseArgs(argc, argv, &ctx.o);
    if (pr != 0) return pr > 0 ? EXIT_OK : EXIT_USAGE;
    uint64_t const s = ctx.o.seed;
    ctx.k_role = gen_mix(s ^ 0x524F4C45ULL);
    ctx.k_row = gen_mix(s ^ 0x524F5753ULL) + 1;
    ctx.k_noise = gen_mix(s ^ 0x4E4F4953ULL) + 2;
    ctx.k_layout = gen_mix(s ^ 0x4C41594FULL) + 3;
    ctx.k_addr = gen_mix(s ^ 0x41444452ULL) + 4;
    if (gen_setupRoles(&ctx) != 0) {
        fputs("xjdedup gen: the injected rates add up to more than 0.5 of the rows\n", stderr);
        return EXIT_USAGE;
    }
    if (ctx.o.months) { /* the layout is month 1's: later months keep its rows */
        ctx.o.last_date = ctx.o.run_date;
        ctx.o.run_date = gen_monthsBefore(ctx.o.last_date, ctx.o.months - 1);
    }
    gen_setupCohorts(&ctx);
    if (gen_namesInit(ctx.o.profile) != 0 || gen_buildLayout(&ctx) != 0) {
        fputs("xjdedup gen: out of memory building the layout\n", stderr);
        gen_freeLayout(&ctx);
        return EXIT_IO;
    }
    int rc = ctx.o.months ? gen_runMonths(&ctx) : ctx.o.suspects ? gen_runSuspects(&ctx)
           : ctx.o.population ? gen_runPopulation(&ctx) : gen_run(&ctx);
    if (rc == EXIT_OK && ctx.o.truth != NULL && gen_writeTruth(&ctx, ctx.o.truth) != 0) {
        fprintf(stderr, "xjdedup gen: cannot write the truth file %s: %s\n", ctx.o.truth, strerror(errno));
        rc = EXIT_IO;
    }
    gen_freeLayout(&ctx);
    return rc;
}
