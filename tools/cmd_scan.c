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
          "problems.csv, schools/<province>/<school_code>.csv, rejects.csv,\n"
          "summary.json and MANIFEST.\n"
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
          "      --encoding ENC      utf-8 (default) or gbk (GB 18030 / GBK exports)\n"
          "      --map FIELD=HEADER  read FIELD from the column named HEADER (repeatable);\n"
          "                          FIELD is one of student_no, name, sex, birth_date,\n"
          "                          id_type, id_number, school_code, school_name,\n"
          "                          region_code, registered_at\n"
          "      --region-table FILE 6-digit region codes, one a line (current and\n"
          "                          abolished); adds the reason region_unknown\n"
          "      --fail-on-problems  exit 1 when any problem record is found\n"
          "      --chunk-size BYTES  bytes per parallel parse chunk (default 8 MiB)\n"
          "  -q, --quiet             no progress line and no summary\n"
          "      --progress          show the progress line even when stderr is not a terminal\n"
          "  -h, --help              this text\n"
          "\n"
          "exit status: 0 success; 1 problems found with --fail-on-problems; 2 bad usage\n"
          "or input that cannot be processed; 3 output could not be written.\n",
          out);
}

typedef struct progress_state {
    double last;        /* when the line was last drawn */
    double start;       /* when the scan started */
    int shown;          /* a line is on screen */
    int draw;           /* draw the line (else only watch for signals) */
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

static int on_progress(const xj_progress *p, void *user)
{
    progress_state *const ps = user;
    if (g_signal) return 1;
    if (!ps->draw) return 0;
    double const t = now_seconds();
    if (t - ps->last < 0.25) return 0;
    ps->last = t;
    double const elapsed = t - ps->start;
    double const mb = (double)p->input_bytes_done / 1e6;
    fprintf(stderr, "\r%s: %.0f MB, %llu rows (%.0f rows/s), %llu invalid IDs, %.0fs", p->stage, mb,
            (unsigned long long)p->rows_done, elapsed > 0 ? (double)p->rows_done / elapsed : 0.0,
            (unsigned long long)p->problems_so_far, elapsed);
    if (p->input_bytes_total > 0 && p->input_bytes_done > 0 && p->input_bytes_done <= p->input_bytes_total &&
        strcmp(p->stage, "reading") == 0) {
        double const eta = elapsed * (double)(p->input_bytes_total - p->input_bytes_done) / (double)p->input_bytes_done;
        fprintf(stderr, ", ETA %.0fs", eta);
    }
    fputs("   ", stderr);
    ps->shown = 1;
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

static void print_summary(const xj_scanStats *s, const char *outdir)
{
    printf("rows read      %12llu  (accepted %llu, rejected %llu, blank lines %llu)\n",
           (unsigned long long)s->rows_read, (unsigned long long)s->rows_accepted,
           (unsigned long long)s->rows_rejected, (unsigned long long)s->blank_lines);
    printf("id_duplicate   %12llu  records in %llu groups\n", (unsigned long long)s->id_duplicate_records,
           (unsigned long long)s->id_duplicate_groups);
    printf("id_invalid     %12llu  records\n", (unsigned long long)s->id_invalid_records);
    printf("attr_duplicate %12llu  records in %llu groups\n", (unsigned long long)s->attr_duplicate_records,
           (unsigned long long)s->attr_duplicate_groups);
    double const secs = s->wall_seconds;
    printf("wall time      %12.2f s  (%.0f rows/s, %.1f MB/s)\n", secs, secs > 0 ? (double)s->rows_read / secs : 0.0,
           secs > 0 ? (double)s->bytes_read / 1e6 / secs : 0.0);
    printf("output         %s/  (problems.csv, schools/, rejects.csv, summary.json)\n", outdir);
}

enum { OPT_FORCE = 256, OPT_RUN_DATE, OPT_ATTR_SCOPE, OPT_ENCODING, OPT_MAP, OPT_REGION, OPT_FAIL, OPT_CHUNK,
       OPT_PROGRESS };

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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    xj_scan *const scan = xj_scan_create();
    if (scan == NULL) {
        fputs("xjdedup scan: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    const char *outdir = NULL;
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
    for (int i = optind; err == XJ_OK && i < argc; i++) err = xj_scan_addInput(scan, argv[i]);
    if (err == XJ_OK) err = xj_scan_setOutput(scan, outdir, force);

    if (progress < 0) progress = !quiet && isatty(STDERR_FILENO);
    progress_state ps = {0, now_seconds(), 0, progress};
    watch_signals();
    if (err == XJ_OK) err = xj_scan_setProgress(scan, on_progress, &ps);
    if (err == XJ_OK) err = xj_scan_run(scan);
    if (ps.shown) fputs("\n", stderr);
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
    if (!quiet) print_summary(s, outdir);
    uint64_t const problems = s->id_duplicate_records + s->id_invalid_records + s->attr_duplicate_records;
    xj_scan_free(scan);
    return fail_on_problems && problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
}
