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

#include "cli_text.h"
#include "commands.h"
#include "xjdedup.h"

/* What the shared option parser drives: a scan, a batch check, or an index
 * build or update (the input options are the same for all four). */
typedef enum scan_mode { MODE_SCAN, MODE_CHECK, MODE_INDEX_BUILD, MODE_INDEX_UPDATE } scan_mode;

static const char *const kModeName[] = {"scan", "check", "index build", "index update"};

static void index_usage(FILE *out, scan_mode mode)
{
    if (mode == MODE_INDEX_BUILD)
        fputs("usage: xjdedup index build REGISTER... -o REGISTER.xji [options]\n"
              "\n"
              "Builds a register index: every record's ID and attribute keys and what a\n"
              "school needs of it (student number, school and county codes, registration\n"
              "date, its ID problem), in a checksummed binary file (docs/index-format.md)\n"
              "written atomically. Rows that cannot be read go to REGISTER.xji.rejects.csv.\n",
              out);
    else
        fputs("usage: xjdedup index update OLD.xji [BATCH...] [--remove FILE] -o NEW.xji [options]\n"
              "\n"
              "Writes a new index: OLD's records without those whose student number is\n"
              "listed in FILE (one a line: deleted or transferred out), plus the accepted\n"
              "records of the BATCH files. OLD stays valid; NEW may be the same path (it is\n"
              "replaced atomically). NEW keeps OLD's run date and attribute scope unless\n"
              "they are given: --attr-scope is applied to OLD's records too (NEW is what a\n"
              "build with it gives); --run-date applies to the batch only, as OLD's records\n"
              "keep the ID reasons they were checked with (a warning says so). Numbers in\n"
              "FILE that match no record of OLD are listed in NEW.xji.unmatched.txt.\n"
              "\n"
              "      --remove FILE       student numbers to take out, one a line\n",
              out);
    fputs("\n"
          "options:\n"
          "  -o, --output FILE       the index to write (required)\n"
          "      --force             replace FILE if it exists\n"
          "  -t, --threads N         worker threads (default: one per core)\n"
          "      --run-date DATE     YYYY-MM-DD: latest valid birth date (default: today)\n"
          "      --attr-scope SCOPE  noid (default) or mixed: mixed also keeps the attribute\n"
          "                          keys of records with an ID, for `check --attr-scope mixed`\n"
          "      --encoding ENC      input encoding: utf-8 (default) or gbk\n"
          "      --map FIELD=HEADER  read FIELD from the column named HEADER (repeatable)\n"
          "      --region-table FILE 6-digit region codes; adds the reason region_unknown\n"
          "      --chunk-size BYTES  bytes per parallel parse chunk (default 8 MiB)\n"
          "  -q, --quiet             no progress line and no summary\n"
          "      --progress          show the progress line even when stderr is not a terminal\n"
          "  -h, --help              this text\n"
          "\n"
          "exit status: 0 success; 2 bad usage or input; 3 the index could not be written.\n",
          out);
}

static void scan_usage(FILE *out, scan_mode mode)
{
    if (mode == MODE_INDEX_BUILD || mode == MODE_INDEX_UPDATE) {
        index_usage(out, mode);
        return;
    }
    if (mode == MODE_CHECK)
        fputs("usage: xjdedup check BATCH... --against REGISTER.xji -o OUTDIR [options]\n"
              "\n"
              "Checks a batch of new records against a register index (xjdedup index build)\n"
              "before they are submitted: every batch record that duplicates another batch\n"
              "record, duplicates a register record by ID or (without ID) by name, sex and\n"
              "birth date, or has an invalid ID. OUTDIR is a scan's, for the batch records,\n"
              "with one more column, register_matches (在籍库匹配记录), before the input's\n"
              "columns: the register members of the row's group as student_no@school_code,\n"
              "';'-joined, '(reason)' after one whose own ID is invalid. Register members\n"
              "also count in group_size, scope, keeper and other_schools, exactly as a scan\n"
              "of register and batch together would report them. A batch record with the\n"
              "student number and school code of a register record is that record, not\n"
              "its duplicate (e.g. checked again after 'xjdedup index update'): it is\n"
              "counted and listed in already_registered.csv. The summary names the index,\n"
              "tells duplicates with the register from those inside the batch and counts\n"
              "the clean rows.\n"
              "\n"
              "      --against FILE      the register index (required)\n",
              out);
    else
        fputs("usage: xjdedup scan INPUT... -o OUTDIR [options]\n"
          "\n"
          "Finds problem records (docs/rules.md §1): ID duplicates, invalid IDs and attribute\n"
          "duplicates of records without ID, and writes OUTDIR atomically:\n"
          "problems.csv, schools/<province>/<school_code>.csv, schools/README.txt,\n"
          "rejects.csv, summary.json, report.html and MANIFEST.\n", out);
    fprintf(out, "\n"
          "%s is a CSV file (UTF-8, with or without BOM; LF or CRLF), a zstd-compressed\n"
          "one (.zst), or - for standard input.\n", mode == MODE_CHECK ? "BATCH" : "INPUT");
    fputs("\n"
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
        snprintf(rate, sizeof rate, "%s rows/s", cli_grouped((uint64_t)((double)p->rows_done / in_stage), el));
    else snprintf(rate, sizeof rate, "- rows/s");
    n += snprintf(line + n, sizeof line - (size_t)n, ", %s rows (%s), %s %s so far, %s elapsed",
                  cli_grouped(p->rows_done, rows), rate, cli_grouped(p->problems_so_far, probs),
                  cli_plural(p->problems_so_far, "problem", "problems"), clock_text(elapsed, el));
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
    char a[32], b[32], c[32];
    printf("rows read      %12s  (accepted %s, rejected %s)\n", cli_grouped(s->rows_read, a),
           cli_grouped(s->rows_accepted, b), cli_grouped(s->rows_rejected, c));
    printf("problems       %12s\n",
           cli_grouped(s->id_duplicate_records + s->id_invalid_records + s->attr_duplicate_records, a));
    printf("output         %s/\n", outdir);
}

enum { OPT_FORCE = 256, OPT_RUN_DATE, OPT_ATTR_SCOPE, OPT_ENCODING, OPT_MAP, OPT_REGION, OPT_FAIL, OPT_CHUNK,
       OPT_PROGRESS, OPT_EXCEL, OPT_OUT_ENCODING, OPT_HEADERS, OPT_PREVIOUS, OPT_AGAINST, OPT_REMOVE };

/* An option getopt did not take: unknown (with the closest known one, if
 * any is close) or missing its value. */
static void bad_option(const char *cmd, const char *typed, int missing_value, const struct option *options)
{
    if (missing_value) {
        fprintf(stderr, "xjdedup %s: %s needs a value; see 'xjdedup %s --help'\n", cmd, typed, cmd);
        return;
    }
    const char *names[64];
    size_t n = 0;
    for (; options->name && n < 63; options++) names[n++] = options->name;
    names[n] = NULL;
    const char *const near = strncmp(typed, "--", 2) == 0 ? cli_closestOption(typed, names) : NULL;
    if (near) fprintf(stderr, "xjdedup %s: unknown option %s; did you mean --%s?\n", cmd, typed, near);
    else fprintf(stderr, "xjdedup %s: unknown option %s\n", cmd, typed);
    fprintf(stderr, "run 'xjdedup %s --help' for the options\n", cmd);
}

/* Options that only some modes take. */
static int option_fits(int opt, scan_mode mode)
{
    int const index = mode == MODE_INDEX_BUILD || mode == MODE_INDEX_UPDATE;
    switch (opt) {
    case OPT_FAIL: case OPT_EXCEL: case OPT_OUT_ENCODING: case OPT_HEADERS: case OPT_PREVIOUS: return !index;
    case OPT_AGAINST: return mode == MODE_CHECK;
    case OPT_REMOVE: return mode == MODE_INDEX_UPDATE;
    default: return 1;
    }
}

static int scan_main(int argc, char **argv, scan_mode mode)
{
    const char *const cmd = kModeName[mode];
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
        {"against", required_argument, NULL, OPT_AGAINST},
        {"remove", required_argument, NULL, OPT_REMOVE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    xj_scan *const scan = xj_scan_create();
    if (scan == NULL) {
        fprintf(stderr, "xjdedup %s: out of memory\n", cmd);
        return EXIT_USAGE;
    }
    const char *outdir = NULL, *previous = NULL, *against = NULL, *remove_list = NULL;
    int force = 0, fail_on_problems = 0, quiet = 0, progress = -1;
    int date_given = 0, scope_given = 0; /* an index update keeps the old index's otherwise */
    xj_error err = XJ_OK;
    int opt;
    optind = 1;
    opterr = 0; /* our own messages: with the command's name and a suggestion */
    while (err == XJ_OK && (opt = getopt_long(argc, argv, ":o:t:qh", kOptions, NULL)) != -1) {
        char *end = NULL;
        if (opt == '?' || opt == ':') {
            bad_option(cmd, argv[optind - 1], opt == ':', kOptions);
            xj_scan_free(scan);
            return EXIT_USAGE;
        }
        if (!option_fits(opt, mode)) {
            fprintf(stderr, "xjdedup %s: %s is not an option of this command; see 'xjdedup %s --help'\n", cmd,
                    argv[optind - 1], cmd);
            xj_scan_free(scan);
            return EXIT_USAGE;
        }
        switch (opt) {
        case 'o': outdir = optarg; break;
        case OPT_FORCE: force = 1; break;
        case 't': {
            long const n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 0 || n > 1024) {
                fprintf(stderr, "xjdedup %s: --threads %s: give a number from 1 to 1024\n", cmd, optarg);
                xj_scan_free(scan);
                return EXIT_USAGE;
            }
            err = xj_scan_setThreads(scan, (int)n);
            break;
        }
        case OPT_RUN_DATE: {
            uint32_t d = 0;
            if (cli_runDate(cmd, optarg, &d) != 0) {
                xj_scan_free(scan);
                return EXIT_USAGE;
            }
            err = xj_scan_setRunDate(scan, d);
            date_given = 1;
            break;
        }
        case OPT_ATTR_SCOPE:
            if (strcmp(optarg, "noid") == 0) err = xj_scan_setAttrScope(scan, XJ_ATTR_NOID);
            else if (strcmp(optarg, "mixed") == 0) err = xj_scan_setAttrScope(scan, XJ_ATTR_MIXED);
            else {
                fprintf(stderr, "xjdedup %s: --attr-scope %s: use noid or mixed\n", cmd, optarg);
                xj_scan_free(scan);
                return EXIT_USAGE;
            }
            scope_given = 1;
            break;
        case OPT_ENCODING: err = xj_scan_setEncoding(scan, optarg); break;
        case OPT_MAP: err = xj_scan_addHeaderMap(scan, optarg); break;
        case OPT_REGION: err = xj_scan_setRegionTable(scan, optarg); break;
        case OPT_FAIL: fail_on_problems = 1; break;
        case OPT_CHUNK: {
            unsigned long long const n = strtoull(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0') {
                fprintf(stderr, "xjdedup %s: --chunk-size %s: give a number of bytes\n", cmd, optarg);
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
        case OPT_AGAINST: against = optarg; break;
        case OPT_REMOVE: remove_list = optarg; break;
        case 'q': quiet = 1; break;
        case OPT_PROGRESS: progress = 1; break;
        case 'h':
            scan_usage(stdout, mode);
            xj_scan_free(scan);
            return EXIT_OK;
        default:
            fprintf(stderr, "run 'xjdedup %s --help' for the options\n", cmd);
            xj_scan_free(scan);
            return EXIT_USAGE;
        }
    }
    const char *old_index = NULL;
    if (err == XJ_OK && mode == MODE_INDEX_UPDATE && optind < argc) old_index = argv[optind++];
    int const index = mode == MODE_INDEX_BUILD || mode == MODE_INDEX_UPDATE;
    const char *missing = NULL;
    if (mode == MODE_INDEX_UPDATE && old_index == NULL) missing = "no index to update; give OLD.xji first";
    else if (mode != MODE_INDEX_UPDATE && optind >= argc)
        missing = "no input files; give one or more CSV files (or - for stdin)";
    else if (outdir == NULL) missing = index ? "no index file; add -o FILE.xji" : "no output directory; add -o OUTDIR";
    else if (mode == MODE_CHECK && against == NULL) missing = "no register index; add --against REGISTER.xji";
    else if (mode == MODE_INDEX_UPDATE && optind >= argc && remove_list == NULL)
        missing = "nothing to update; give batch files, --remove FILE, or both";
    if (err == XJ_OK && missing) {
        fprintf(stderr, "xjdedup %s: %s\n", cmd, missing);
        xj_scan_free(scan);
        return EXIT_USAGE;
    }
    if (err == XJ_OK && index && !force && access(outdir, F_OK) == 0 &&
        !(mode == MODE_INDEX_UPDATE && strcmp(outdir, old_index) == 0)) {
        fprintf(stderr, "xjdedup %s: %s exists; add --force to replace it\n", cmd, outdir);
        xj_scan_free(scan);
        return EXIT_USAGE;
    }
    if (err == XJ_OK && against) err = xj_scan_setAgainst(scan, against);
    if (err == XJ_OK && previous) {
        /* fail now, not after the whole scan */
        char path[4096];
        snprintf(path, sizeof path, "%s/problems.csv", previous);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "xjdedup %s: --previous %s: cannot read %s; name the output directory of an "
                            "earlier run\n", cmd, previous, path);
            xj_scan_free(scan);
            return EXIT_USAGE;
        }
        err = xj_scan_setPrevious(scan, previous);
    }
    for (int i = optind; err == XJ_OK && i < argc; i++) err = xj_scan_addInput(scan, argv[i]);
    if (err == XJ_OK && !index) err = xj_scan_setOutput(scan, outdir, force);

    /* -q means quiet, even beside --progress (a script's -q must hold) */
    if (progress < 0 || quiet) progress = !quiet && isatty(STDERR_FILENO);
    progress_state ps = {0, now_seconds(), 0, progress, isatty(STDERR_FILENO), "", 0};
    watch_signals();
    if (err == XJ_OK) err = xj_scan_setProgress(scan, on_progress, &ps);
    if (err == XJ_OK) {
        if (mode == MODE_INDEX_BUILD) err = xj_scan_buildIndex(scan, outdir);
        else if (mode == MODE_INDEX_UPDATE) err = xj_scan_updateIndex(scan, old_index, remove_list, outdir);
        else err = xj_scan_run(scan);
    }
    if (ps.shown) fputs("\r\033[K", stderr); /* the summary replaces the progress line */
    if (g_signal) {
        fprintf(stderr, "xjdedup %s: stopped by signal %d; %s\n", cmd, (int)g_signal,
                err == XJ_OK ? "the output was already complete" : "no output was written");
        xj_scan_free(scan);
        return 128 + (int)g_signal;
    }
    if (err != XJ_OK) {
        fprintf(stderr, "xjdedup %s: %s\n", cmd, xj_scan_message(scan)[0] ? xj_scan_message(scan) : xj_errorName(err));
        xj_scan_free(scan);
        return exit_for(err);
    }
    for (size_t i = 0; xj_scan_warning(scan, i) != NULL; i++)
        fprintf(stderr, "xjdedup %s: warning: %s\n", cmd, xj_scan_warning(scan, i));
    const xj_scanStats *const s = xj_scan_stats(scan);
    if (index) {
        if (!quiet) index_printResult(s, outdir, mode == MODE_INDEX_UPDATE ? old_index : NULL, date_given, scope_given);
        xj_scan_free(scan);
        return EXIT_OK;
    }
    if (!quiet) {
        fflush(stderr);
        if (summary_print(outdir, stdout) != EXIT_OK) print_stats(s, outdir);
    }
    uint64_t const problems = s->id_duplicate_records + s->id_invalid_records + s->attr_duplicate_records;
    xj_scan_free(scan);
    return fail_on_problems && problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

int cmd_scan(int argc, char **argv)
{
    return scan_main(argc, argv, MODE_SCAN);
}

int cmd_check(int argc, char **argv)
{
    return scan_main(argc, argv, MODE_CHECK);
}

int cmd_indexWrite(int argc, char **argv, int update)
{
    return scan_main(argc, argv, update ? MODE_INDEX_UPDATE : MODE_INDEX_BUILD);
}
