/*
 * cmd_scan — `xjdedup scan`: options in, engine run, summary and exit status
 * out. The engine never prints; everything a person reads is written here.
 */
#include <getopt.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "xjdedup.h"

static void scan_usage(FILE *out)
{
    fputs("usage: xjdedup scan INPUT... -o OUTDIR [options]\n"
          "\n"
          "Finds problem records (SPEC §1): ID duplicates, invalid IDs and attribute\n"
          "duplicates of records without ID, and writes OUTDIR atomically:\n"
          "problems.csv, schools/<province>/<school_code>.csv, schools/README.txt,\n"
          "rejects.csv, summary.json, report.html and MANIFEST.\n"
          "\n"
          "INPUT is a CSV file (UTF-8, with or without BOM; LF or CRLF), a zstd-compressed\n"
          "one (.zst), or - for standard input.\n"
          "\n"
          "options:\n"
          "  -o, --output DIR        output directory (required); created atomically\n"
          "      --force             replace DIR if it is an earlier xjdedup output\n"
          "  -t, --threads N         worker threads (default: one per core)\n"
          "      --run-date DATE     YYYY-MM-DD: latest valid birth date (default: today)\n"
          "      --attr-scope SCOPE  noid (default): attribute duplicates among records\n"
          "                          without ID; mixed: records with an ID join a group\n"
          "                          that has a member without one (reason 'mixed')\n"
          "      --encoding ENC      input encoding: utf-8 (default) or gbk (GB 18030 / GBK)\n"
          "      --map FIELD=HEADER  read FIELD from the column named HEADER (repeatable);\n"
          "                          FIELD is one of student_no, name, sex, birth_date,\n"
          "                          id_type, id_number, school_code, school_name,\n"
          "                          region_code, registered_at\n"
          "      --region-table FILE 6-digit region codes, one a line (current and\n"
          "                          abolished); adds the reason region_unknown\n"
          "      --fail-on-problems  exit 1 when any problem record is found\n"
          "      --chunk-size BYTES  bytes per parallel parse chunk (default 8 MiB)\n"
          "\n"
          "per-school files (problems.csv never changes with these):\n"
          "      --excel             UTF-8 with BOM, and values Excel would run as a\n"
          "                          formula (= + - @ TAB CR first) prefixed with '\n"
          "      --output-encoding ENC  utf-8 (default) or gbk: write them in GB 18030,\n"
          "                          for Excel versions that do not read UTF-8\n"
          "      --headers LANG      zh (default): Chinese headers and wording; en: English\n"
          "                          headers and codes, as in problems.csv\n"
          "\n"
          "report:\n"
          "      --previous DIR      an earlier run's OUTDIR: report.html then shows new,\n"
          "                          persisting and resolved problems per province\n"
          "\n"
          "terminal:\n"
          "  -q, --quiet             no progress line and no summary table\n"
          "      --progress          show the progress line even when stderr is not a terminal\n"
          "  -h, --help              this text\n"
          "\n"
          "On a terminal a progress line on stderr shows bytes and rows done, rows/s,\n"
          "problems found so far, elapsed time and ETA; at the end a summary table goes\n"
          "to stdout ('xjdedup summary OUTDIR' prints it again later).\n"
          "\n"
          "exit status: 0 success; 1 problems found with --fail-on-problems; 2 bad usage\n"
          "or input that cannot be processed; 3 output could not be written.\n",
          out);
}

typedef struct progress_state {
    double last;        /* when the line was last drawn */
    double start;       /* when the scan started */
    int shown;          /* a line is on screen (terminal) */
    int draw;           /* draw the line (else only watch for signals) */
    int tty;            /* stderr is a terminal: redraw one line; else one line per update */
    char stage[16];     /* the stage of the last update */
    double stage_start; /* when that stage began (for its ETA) */
} progress_state;

/* SIGINT/SIGTERM: the scan stops at its next progress call, its temporary
 * output is removed by the engine, and the exit status is 128 + signal. A
 * second signal kills at once (SA_RESETHAND). */
static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
    g_signal = sig;
}

static void watch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "1:05" or "1:02:03" */
static const char *clock_text(double secs, char out[24])
{
    if (!(secs >= 0) || secs > 359999) secs = 359999;
    unsigned const s = (unsigned)lround(secs);
    if (s >= 3600) snprintf(out, 24, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
    else snprintf(out, 24, "%u:%02u", s / 60, s % 60);
    return out;
}

/* 1234567 → "1,234,567" */
static const char *grouped_u64(unsigned long long v, char out[32])
{
    char digits[24];
    int const n = snprintf(digits, sizeof digits, "%llu", v);
    int o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

static int on_progress(const xj_progress *p, void *user)
{
    progress_state *const ps = user;
    if (g_signal) return 1;
    if (!ps->draw) return 0;
    double const t = now_seconds();
    if (strncmp(ps->stage, p->stage, sizeof ps->stage - 1) != 0) { /* a new pass: its own ETA */
        ps->stage_start = ps->stage[0] ? t : ps->start; /* the first pass starts with the run */
        snprintf(ps->stage, sizeof ps->stage, "%s", p->stage);
    } else if (t - ps->last < (ps->tty ? 0.25 : 1.0)) {
        return 0;
    }
    ps->last = t;
    double const elapsed = t - ps->start, in_stage = t - ps->stage_start;
    char line[256], rows[32], rate[48], probs[32], el[32], eta[24];
    int n = snprintf(line, sizeof line, "%s: %.1f", p->stage, (double)p->input_bytes_done / 1e6);
    int const sized = p->input_bytes_total > 0 && p->input_bytes_done <= p->input_bytes_total;
    if (sized)
        n += snprintf(line + n, sizeof line - (size_t)n, "/%.1f MB (%.0f%%)", (double)p->input_bytes_total / 1e6,
                      100.0 * (double)p->input_bytes_done / (double)p->input_bytes_total);
    else n += snprintf(line + n, sizeof line - (size_t)n, " MB");
    if (in_stage > 0.1)
        snprintf(rate, sizeof rate, "%s rows/s", grouped_u64((unsigned long long)((double)p->rows_done / in_stage), el));
    else snprintf(rate, sizeof rate, "- rows/s");
    n += snprintf(line + n, sizeof line - (size_t)n, ", %s rows (%s), %s problems so far, %s elapsed",
                  grouped_u64(p->rows_done, rows), rate, grouped_u64(p->problems_so_far, probs),
                  clock_text(elapsed, el));
    if (sized && p->input_bytes_done > 0 && in_stage > 0.5)
        snprintf(line + n, sizeof line - (size_t)n, ", ETA %s",
                 clock_text(in_stage * (double)(p->input_bytes_total - p->input_bytes_done) /
                            (double)p->input_bytes_done, eta));
    if (ps->tty) fprintf(stderr, "\r%s\033[K", line);
    else fprintf(stderr, "%s\n", line);
    ps->shown = ps->tty;
    return 0;
}

static int exit_for(xj_error e)
{
    switch (e) {
    case XJ_OK: return EXIT_OK;
    case XJ_ERR_IO: return EXIT_IO;
    case XJ_ERR_INTERRUPTED: return 130;
    default: return EXIT_USAGE;
    }
}

/* Only when summary.json cannot be read back (it was just written). */
static void print_stats(const xj_scanStats *s, const char *outdir)
{
    printf("rows read      %12llu  (accepted %llu, rejected %llu)\n", (unsigned long long)s->rows_read,
           (unsigned long long)s->rows_accepted, (unsigned long long)s->rows_rejected);
    printf("problems       %12llu\n", (unsigned long long)(s->id_duplicate_records + s->id_invalid_records +
                                                         s->attr_duplicate_records));
    printf("output         %s/\n", outdir);
}

enum { OPT_FORCE = 256, OPT_RUN_DATE, OPT_ATTR_SCOPE, OPT_ENCODING, OPT_MAP, OPT_REGION, OPT_FAIL, OPT_CHUNK,
       OPT_PROGRESS, OPT_EXCEL, OPT_OUT_ENCODING, OPT_HEADERS, OPT_PREVIOUS };

int cmd_scan(int argc, char **argv)
{
    static const struct option kOptions[] = {
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, OPT_FORCE},
        {"threads", required_argument, NULL, 't'},
        {"run-date", required_argument, NULL, OPT_RUN_DATE},
        {"attr-scope", required_argument, NULL, OPT_ATTR_SCOPE},
        {"encoding", required_argument, NULL, OPT_ENCODING},
        {"map", required_argument, NULL, OPT_MAP},
        {"region-table", required_argument, NULL, OPT_REGION},
        {"fail-on-problems", no_argument, NULL, OPT_FAIL},
        {"chunk-size", required_argument, NULL, OPT_CHUNK},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"excel", no_argument, NULL, OPT_EXCEL},
        {"output-encoding", required_argument, NULL, OPT_OUT_ENCODING},
        {"headers", required_argument, NULL, OPT_HEADERS},
        {"previous", required_argument, NULL, OPT_PREVIOUS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    xj_scan *const scan = xj_scan_create();
    if (scan == NULL) {
        fputs("xjdedup scan: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    const char *outdir = NULL, *previous = NULL;
    int force = 0, fail_on_problems = 0, quiet = 0, progress = -1;
    xj_error err = XJ_OK;
    int opt;
    optind = 1;
    while (err == XJ_OK && (opt = getopt_long(argc, argv, "o:t:qh", kOptions, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'o': outdir = optarg; break;
        case OPT_FORCE: force = 1; break;
        case 't': {
            long const n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 0 || n > 1024) {
                fprintf(stderr, "xjdedup scan: --threads %s: give a number from 1 to 1024\n", optarg);
                xj_scan_free(scan);
                return EXIT_USAGE;
            }
            err = xj_scan_setThreads(scan, (int)n);
            break;
        }
        case OPT_RUN_DATE: {
            uint32_t d = 0;
            if (xj_parseDate(optarg, &d) != XJ_OK) {
                fprintf(stderr, "xjdedup scan: --run-date %s: give a date as YYYY-MM-DD\n", optarg);
                xj_scan_free(scan);
                return EXIT_USAGE;
            }
            err = xj_scan_setRunDate(scan, d);
            break;
        }
        case OPT_ATTR_SCOPE:
            if (strcmp(optarg, "noid") == 0) err = xj_scan_setAttrScope(scan, XJ_ATTR_NOID);
            else if (strcmp(optarg, "mixed") == 0) err = xj_scan_setAttrScope(scan, XJ_ATTR_MIXED);
            else {
                fprintf(stderr, "xjdedup scan: --attr-scope %s: use noid or mixed\n", optarg);
                xj_scan_free(scan);
                return EXIT_USAGE;
            }
            break;
        case OPT_ENCODING: err = xj_scan_setEncoding(scan, optarg); break;
        case OPT_MAP: err = xj_scan_addHeaderMap(scan, optarg); break;
        case OPT_REGION: err = xj_scan_setRegionTable(scan, optarg); break;
        case OPT_FAIL: fail_on_problems = 1; break;
        case OPT_CHUNK: {
            unsigned long long const n = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0') {
                fprintf(stderr, "xjdedup scan: --chunk-size %s: give a number of bytes\n", optarg);
                xj_scan_free(scan);
                return EXIT_USAGE;
            }
            err = xj_scan_setChunkSize(scan, (size_t)n);
            break;
        }
        case OPT_EXCEL: err = xj_scan_setExcel(scan, 1); break;
        case OPT_OUT_ENCODING: err = xj_scan_setOutputEncoding(scan, optarg); break;
        case OPT_HEADERS: err = xj_scan_setHeaders(scan, optarg); break;
        case OPT_PREVIOUS: previous = optarg; break;
        case 'q': quiet = 1; break;
        case OPT_PROGRESS: progress = 1; break;
        case 'h':
            scan_usage(stdout);
            xj_scan_free(scan);
            return EXIT_OK;
        default:
            fputs("run 'xjdedup scan --help' for the options\n", stderr);
            xj_scan_free(scan);
            return EXIT_USAGE;
        }
    }
    if (err == XJ_OK && optind >= argc) {
        fputs("xjdedup scan: no input files; give one or more CSV files (or - for stdin)\n", stderr);
        xj_scan_free(scan);
        return EXIT_USAGE;
    }
    if (err == XJ_OK && outdir == NULL) {
        fputs("xjdedup scan: no output directory; add -o OUTDIR\n", stderr);
        xj_scan_free(scan);
        return EXIT_USAGE;
    }
    if (err == XJ_OK && previous) {
        /* fail now, not after the whole scan */
        char path[4096];
        snprintf(path, sizeof path, "%s/problems.csv", previous);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "xjdedup scan: --previous %s: cannot read %s; name the output directory of an "
                            "earlier run\n", previous, path);
            xj_scan_free(scan);
            return EXIT_USAGE;
        }
        err = xj_scan_setPrevious(scan, previous);
    }
    for (int i = optind; err == XJ_OK && i < argc; i++) err = xj_scan_addInput(scan, argv[i]);
    if (err == XJ_OK) err = xj_scan_setOutput(scan, outdir, force);

    if (progress < 0) progress = !quiet && isatty(STDERR_FILENO);
    progress_state ps = {0, now_seconds(), 0, progress, isatty(STDERR_FILENO), "", 0};
    watch_signals();
    if (err == XJ_OK) err = xj_scan_setProgress(scan, on_progress, &ps);
    if (err == XJ_OK) err = xj_scan_run(scan);
    if (ps.shown) fputs("\r\033[K", stderr); /* the summary replaces the progress line */
    if (g_signal) {
        fprintf(stderr, "xjdedup scan: stopped by signal %d; %s\n", (int)g_signal,
                err == XJ_OK ? "the output was already complete" : "no output was written");
        xj_scan_free(scan);
        return 128 + (int)g_signal;
    }
    if (err != XJ_OK) {
        fprintf(stderr, "xjdedup scan: %s\n", xj_scan_message(scan)[0] ? xj_scan_message(scan) : xj_errorName(err));
        xj_scan_free(scan);
        return exit_for(err);
    }
    const xj_scanStats *const s = xj_scan_stats(scan);
    if (!quiet) {
        fflush(stderr);
        if (summary_print(outdir, stdout) != EXIT_OK) print_stats(s, outdir);
    }
    uint64_t const problems = s->id_duplicate_records + s->id_invalid_records + s->attr_duplicate_records;
    xj_scan_free(scan);
    return fail_on_problems && problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
}
