/*
 * cmd_scan — `xjdedup scan`: options in, engine run, summary and exit status
 * out. The engine never prints; everything a person reads is written here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_progress.h"
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
              "written atomically. Rows that cannot be read go to REGISTER.xji.rejects.csv.\n"
              "\n"
              "       xjdedup index build --population EXTRACT... -o POP.xjp\n"
              "\n"
              "Builds a population index instead (docs/population.md §4): the extracts'\n"
              "(ID number, name) pairs sorted for lookup, checksummed, written atomically;\n"
              "give it to scan and check with --population POP.xjp.\n"
              "\n"
              "      --population FILE   an extract (CSV or .zst, columns id_number,name);\n"
              "                          repeatable\n",
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
          "one (.zst), or - for standard input (not under mpirun, where every input must\n"
          "be a regular file).\n", mode == MODE_CHECK ? "BATCH" : "INPUT");
    fputs("\n"
          "options:\n"
          "  -o, --output DIR        output directory (required); created atomically\n"
          "      --force             replace DIR if it is an earlier xjdedup output\n"
          "  -t, --threads N         worker threads (default: one per core)\n"
          "      --run-date DATE     YYYY-MM-DD: latest valid birth date (default: today)\n"
          "      --attr-scope SCOPE  noid (default): attribute duplicates among records\n"
          "                          without ID; mixed: records with an ID join a group\n"
          "                          that has a member without one (reason 'mixed')\n"
          "      --no-suspects       no suspected duplicates (suspect_duplicate: an ID with\n"
          "                          a wrong check character one typing slip from another\n"
          "                          record's valid ID, same name, sex and birth date)\n"
          "      --encoding ENC      input encoding: utf-8 (default) or gbk (GB 18030 / GBK)\n"
          "      --map FIELD=HEADER  read FIELD from the column named HEADER (repeatable);\n"
          "                          FIELD is one of student_no, name, sex, birth_date,\n"
          "                          id_type, id_number, school_code, school_name,\n"
          "                          region_code, registered_at\n"
          "      --region-table FILE 6-digit region codes, one a line (current and\n"
          "                          abolished); adds the reason region_unknown\n"
          "      --fail-on-problems  exit 1 when any problem record is found\n"
          "      --chunk-size BYTES  bytes per parallel parse chunk (default 1 MiB)\n"
          "\n"
          "per-school files (problems.csv never changes with these):\n"
          "      --excel             UTF-8 with BOM, and values Excel would run as a\n"
          "                          formula (= + - @ TAB CR first) prefixed with '\n"
          "      --xlsx              also a .xlsx workbook beside each: every cell text\n"
          "                          (IDs intact), frozen header, filter, groups banded\n"
          "      --output-encoding ENC  utf-8 (default) or gbk: write them in GB 18030,\n"
          "                          for Excel versions that do not read UTF-8\n"
          "      --headers LANG      zh (default): Chinese headers and wording; en: English\n"
          "                          headers and codes, as in problems.csv\n"
          "\n"
          "monthly cycle (docs/monthly.md):\n"
          "      --previous DIR      an earlier run's OUTDIR: each row's status (new,\n"
          "                          persisting, reopened) and first_seen come from it,\n"
          "                          resolved.csv lists what it reported and this run\n"
          "                          does not, the summary and report.html count new /\n"
          "                          persisting / reopened / resolved / attested, and\n"
          "                          DIR's decisions.csv (approvals) stays in effect\n"
          "      --decisions FILE    officers' decisions, CSV group_id,student_no,\n"
          "                          school_code,decision (approved or revoked);\n"
          "                          repeatable, later lines win; writes attested.csv,\n"
          "                          decisions.csv and decisions_unmatched.csv\n"
          "\n"
          "identity verification (docs/population.md):\n"
          "      --population FILE   an extract of the population database (CSV or .zst,\n"
          "                          columns id_number,name) or a population index built\n"
          "                          from extracts; repeatable. Valid IDs not listed get\n"
          "                          the reason not_found, listed under another name\n"
          "                          name_mismatch. assignments.csv (always written) lists\n"
          "                          the L records that may receive a formal number\n"
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
       OPT_PROGRESS, OPT_EXCEL, OPT_XLSX, OPT_OUT_ENCODING, OPT_HEADERS, OPT_PREVIOUS, OPT_DECISIONS, OPT_AGAINST, OPT_REMOVE,
       OPT_NO_SUSPECTS, OPT_POPULATION };

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
    case OPT_NO_SUSPECTS: case OPT_FAIL: case OPT_EXCEL: case OPT_XLSX: case OPT_OUT_ENCODING: case OPT_HEADERS: case OPT_PREVIOUS: case OPT_DECISIONS: return !index;
    case OPT_AGAINST: return mode == MODE_CHECK;
    case OPT_REMOVE: return mode == MODE_INDEX_UPDATE;
    case OPT_POPULATION: return mode != MODE_INDEX_UPDATE;
    default: return 1;
    }
}

/* A command line, read. The engine's own settings go straight into the
 * xj_scan handle while parsing; these are what the CLI itself acts on. */
typedef struct scan_options {
    scan_mode mode;
    const char *cmd;          /* "scan", "index build", ... for messages */
    const char *outdir;       /* -o: output directory, or the index file */
    const char *previous, *against, *remove_list;
    const char *old_index;    /* index update: OLD.xji */
    char **inputs;            /* the remaining arguments */
    int n_inputs;
    int force, fail_on_problems, quiet, progress; /* progress: -1 = when stderr is a terminal */
    int date_given, scope_given; /* an index update keeps the old index's otherwise */
    int population;           /* --population given (index build: a population index) */
} scan_options;

/* "Go on" from the steps below; any other value is the exit status. */
enum { CONTINUE = -1 };

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
    {"xlsx", no_argument, NULL, OPT_XLSX},
    {"no-suspects", no_argument, NULL, OPT_NO_SUSPECTS},
    {"output-encoding", required_argument, NULL, OPT_OUT_ENCODING},
    {"headers", required_argument, NULL, OPT_HEADERS},
    {"previous", required_argument, NULL, OPT_PREVIOUS},
    {"decisions", required_argument, NULL, OPT_DECISIONS},
    {"population", required_argument, NULL, OPT_POPULATION},
    {"against", required_argument, NULL, OPT_AGAINST},
    {"remove", required_argument, NULL, OPT_REMOVE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option with a value the CLI checks itself; CONTINUE or EXIT_USAGE. */
static int take_number_option(const scan_options *o, int opt, const char *arg, xj_scan *scan, xj_error *err)
{
    char *end = NULL;
    if (opt == 't') {
        long const n = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || n < 0 || n > 1024) {
            fprintf(stderr, "xjdedup %s: --threads %s: give a number from 1 to 1024\n", o->cmd, arg);
            return EXIT_USAGE;
        }
        *err = xj_scan_setThreads(scan, (int)n);
    } else { /* OPT_CHUNK */
        unsigned long long const n = strtoull(arg, &end, 10);
        if (*arg == '\0' || *end != '\0') {
            fprintf(stderr, "xjdedup %s: --chunk-size %s: give a number of bytes\n", o->cmd, arg);
            return EXIT_USAGE;
        }
        *err = xj_scan_setChunkSize(scan, (size_t)n);
    }
    return CONTINUE;
}

/* One option; CONTINUE, or the exit status (--help, a bad value). Engine
 * settings that fail leave their error in *err (the handle has the message). */
static int take_option(scan_options *o, int opt, const char *arg, xj_scan *scan, xj_error *err)
{
    switch (opt) {
    case 'o': o->outdir = arg; break;
    case OPT_FORCE: o->force = 1; break;
    case 't': case OPT_CHUNK: return take_number_option(o, opt, arg, scan, err);
    case OPT_RUN_DATE: {
        uint32_t d = 0;
        if (cli_runDate(o->cmd, arg, &d) != 0) return EXIT_USAGE;
        *err = xj_scan_setRunDate(scan, d);
        o->date_given = 1;
        break;
    }
    case OPT_ATTR_SCOPE:
        if (strcmp(arg, "noid") == 0) *err = xj_scan_setAttrScope(scan, XJ_ATTR_NOID);
        else if (strcmp(arg, "mixed") == 0) *err = xj_scan_setAttrScope(scan, XJ_ATTR_MIXED);
        else {
            fprintf(stderr, "xjdedup %s: --attr-scope %s: use noid or mixed\n", o->cmd, arg);
            return EXIT_USAGE;
        }
        o->scope_given = 1;
        break;
    case OPT_ENCODING: *err = xj_scan_setEncoding(scan, arg); break;
    case OPT_MAP: *err = xj_scan_addHeaderMap(scan, arg); break;
    case OPT_REGION: *err = xj_scan_setRegionTable(scan, arg); break;
    case OPT_FAIL: o->fail_on_problems = 1; break;
    case OPT_EXCEL: *err = xj_scan_setExcel(scan, 1); break;
    case OPT_XLSX: *err = xj_scan_setXlsx(scan, 1); break;
    case OPT_NO_SUSPECTS: *err = xj_scan_setSuspects(scan, 0); break;
    case OPT_OUT_ENCODING: *err = xj_scan_setOutputEncoding(scan, arg); break;
    case OPT_HEADERS: *err = xj_scan_setHeaders(scan, arg); break;
    case OPT_PREVIOUS: o->previous = arg; break;
    case OPT_DECISIONS: *err = xj_scan_addDecisions(scan, arg); break;
    case OPT_POPULATION: *err = xj_scan_addPopulation(scan, arg); o->population = 1; break;
    case OPT_AGAINST: o->against = arg; break;
    case OPT_REMOVE: o->remove_list = arg; break;
    case 'q': o->quiet = 1; break;
    case OPT_PROGRESS: o->progress = 1; break;
    case 'h':
        scan_usage(stdout, o->mode);
        return EXIT_OK;
    default:
        fprintf(stderr, "run 'xjdedup %s --help' for the options\n", o->cmd);
        return EXIT_USAGE;
    }
    return CONTINUE;
}

/* Reads the command line into *o and the handle; CONTINUE or the exit status. */
static int parse_options(int argc, char **argv, scan_options *o, xj_scan *scan, xj_error *err)
{
    int opt;
    optind = 1;
    opterr = 0; /* our own messages: with the command's name and a suggestion */
    while (*err == XJ_OK && (opt = getopt_long(argc, argv, ":o:t:qh", kOptions, NULL)) != -1) {
        if (opt == '?' || opt == ':') {
            bad_option(o->cmd, argv[optind - 1], opt == ':', kOptions);
            return EXIT_USAGE;
        }
        if (!option_fits(opt, o->mode)) {
            fprintf(stderr, "xjdedup %s: %s is not an option of this command; see 'xjdedup %s --help'\n", o->cmd,
                    argv[optind - 1], o->cmd);
            return EXIT_USAGE;
        }
        int const status = take_option(o, opt, optarg, scan, err);
        if (status != CONTINUE) return status;
    }
    if (o->mode == MODE_INDEX_UPDATE && optind < argc) o->old_index = argv[optind++];
    o->inputs = argv + optind;
    o->n_inputs = argc - optind;
    return CONTINUE;
}

static int is_index_mode(scan_mode mode)
{
    return mode == MODE_INDEX_BUILD || mode == MODE_INDEX_UPDATE;
}

/* What must be there before anything runs; CONTINUE or EXIT_USAGE. */
static int check_arguments(const scan_options *o)
{
    int const index = is_index_mode(o->mode);
    const char *missing = NULL;
    if (o->mode == MODE_INDEX_UPDATE && o->old_index == NULL) missing = "no index to update; give OLD.xji first";
    else if (o->mode == MODE_INDEX_BUILD && o->population && o->n_inputs > 0)
        missing = "a population index is built from extracts only (--population FILE), without other inputs";
    else if (o->mode != MODE_INDEX_UPDATE && o->n_inputs == 0 && !(o->mode == MODE_INDEX_BUILD && o->population))
        missing = "no input files; give one or more CSV files (or - for stdin)";
    else if (o->outdir == NULL) missing = index ? "no index file; add -o FILE.xji" : "no output directory; add -o OUTDIR";
    else if (o->mode == MODE_CHECK && o->against == NULL) missing = "no register index; add --against REGISTER.xji";
    else if (o->mode == MODE_INDEX_UPDATE && o->n_inputs == 0 && o->remove_list == NULL)
        missing = "nothing to update; give batch files, --remove FILE, or both";
    if (missing) {
        fprintf(stderr, "xjdedup %s: %s\n", o->cmd, missing);
        return EXIT_USAGE;
    }
    if (index && !o->force && access(o->outdir, F_OK) == 0 &&
        !(o->mode == MODE_INDEX_UPDATE && strcmp(o->outdir, o->old_index) == 0)) {
        fprintf(stderr, "xjdedup %s: %s exists; add --force to replace it\n", o->cmd, o->outdir);
        return EXIT_USAGE;
    }
    if (o->previous) { /* fail now, not after the whole scan */
        char path[4096];
        snprintf(path, sizeof path, "%s/problems.csv", o->previous);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "xjdedup %s: --previous %s: cannot read %s; name the output directory of an earlier run\n",
                    o->cmd, o->previous, path);
            return EXIT_USAGE;
        }
    }
    return CONTINUE;
}

/* The inputs, register, earlier run and output into the handle. */
static xj_error configure(xj_scan *scan, const scan_options *o)
{
    xj_error err = XJ_OK;
    if (o->against) err = xj_scan_setAgainst(scan, o->against);
    if (!err && o->previous) err = xj_scan_setPrevious(scan, o->previous);
    for (int i = 0; !err && i < o->n_inputs; i++) err = xj_scan_addInput(scan, o->inputs[i]);
    if (!err && !is_index_mode(o->mode)) err = xj_scan_setOutput(scan, o->outdir, o->force);
    return err;
}

/* Runs the configured job with the progress line; returns the engine's verdict. */
static xj_error run_job(xj_scan *scan, const scan_options *o)
{
    int const tty = isatty(STDERR_FILENO);
    /* -q means quiet, even beside --progress (a script's -q must hold) */
    int const draw = !o->quiet && (o->progress > 0 || tty);
    cli_progress ps = {0, cli_now(), 0, draw, tty, "", 0};
    xj_error err = xj_scan_setProgress(scan, cli_onProgress, &ps);
    if (!err) {
        if (o->mode == MODE_INDEX_BUILD && o->population) err = xj_scan_buildPopulationIndex(scan, o->outdir);
        else if (o->mode == MODE_INDEX_BUILD) err = xj_scan_buildIndex(scan, o->outdir);
        else if (o->mode == MODE_INDEX_UPDATE) err = xj_scan_updateIndex(scan, o->old_index, o->remove_list, o->outdir);
        else err = xj_scan_run(scan);
    }
    if (ps.shown) fputs("\r\033[K", stderr); /* the summary replaces the progress line */
    return err;
}

/* What a person reads after the run, and the exit status. */
static int report(xj_scan *scan, const scan_options *o, xj_error err)
{
    if (cli_signal) {
        fprintf(stderr, "xjdedup %s: stopped by signal %d; %s\n", o->cmd, (int)cli_signal,
                err == XJ_OK ? "the output was already complete" : "no output was written");
        return 128 + (int)cli_signal;
    }
    if (err != XJ_OK) {
        const char *const msg = xj_scan_message(scan);
        fprintf(stderr, "xjdedup %s: %s\n", o->cmd, msg[0] ? msg : xj_errorName(err));
        return exit_for(err);
    }
    for (size_t i = 0; xj_scan_warning(scan, i) != NULL; i++)
        fprintf(stderr, "xjdedup %s: warning: %s\n", o->cmd, xj_scan_warning(scan, i));
    const xj_scanStats *const s = xj_scan_stats(scan);
    if (o->mode == MODE_INDEX_BUILD && o->population) {
        if (!o->quiet) printf("population index %s  ('xjdedup index info' describes it)\n", o->outdir);
        return EXIT_OK;
    }
    if (is_index_mode(o->mode)) {
        if (!o->quiet)
            index_printResult(s, o->outdir, o->mode == MODE_INDEX_UPDATE ? o->old_index : NULL, o->date_given,
                              o->scope_given);
        return EXIT_OK;
    }
    if (!o->quiet) {
        fflush(stderr);
        if (summary_print(o->outdir, stdout) != EXIT_OK) print_stats(s, o->outdir);
    }
    uint64_t const problems = s->id_duplicate_records + s->id_invalid_records + s->attr_duplicate_records;
    return o->fail_on_problems && problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

static int scan_main(int argc, char **argv, scan_mode mode)
{
    /* first: an interrupt while the options are read is still a clean stop
     * (the run then cancels at once), not the default death by signal */
    cli_watchSignals();
    scan_options o = {.mode = mode, .cmd = kModeName[mode], .progress = -1};
    xj_scan *const scan = xj_scan_create();
    if (scan == NULL) {
        fprintf(stderr, "xjdedup %s: out of memory\n", o.cmd);
        return EXIT_USAGE;
    }
    xj_error err = XJ_OK;
    int status = parse_options(argc, argv, &o, scan, &err);
    if (status == CONTINUE && err == XJ_OK) status = check_arguments(&o);
    if (status == CONTINUE && err == XJ_OK) err = configure(scan, &o);
    if (status == CONTINUE && err == XJ_OK) err = run_job(scan, &o);
    if (status == CONTINUE) status = report(scan, &o, err);
    xj_scan_free(scan);
    return status;
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
