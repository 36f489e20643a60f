/*
 * cmd_id — `xjdedup id`: checks ID numbers the way a scan does (docs/rules.md §4,
 * reasons missing..checksum) and prints one verdict a line.
 *
 * Uses only the public header. Numbers come from the arguments, or one a line
 * from standard input when there are none; every input line gets exactly one
 * output line, so the output can be pasted next to the input. Input lines are
 * bounded (ID_LINE_MAX bytes): a longer line is no ID, reported on stderr and
 * counted as invalid, and reading goes on with the next line.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xjdedup.h"

#define ID_LINE_MAX 4096 /* bytes of one stdin line, CR/LF excluded */

typedef struct id_options {
    uint32_t run_date;   /* YYYYMMDD upper bound for birth dates */
    const char *type;    /* ID type as given with --type, NULL for 1 */
    int first_id;        /* argv index of the first ID, argc when none */
} id_options;

static const char kUsage[] =
    "usage: xjdedup id [--run-date YYYY-MM-DD] [--type T] [ID...]\n"
    "\n"
    "Checks identity-document numbers as `xjdedup scan` does (docs/rules.md, section 4:\n"
    "missing, format, legacy15, region, birthdate, checksum). The numbers are\n"
    "the arguments, or one a line on standard input when none are given (CRLF\n"
    "line ends are fine; every line gets one output line).\n"
    "\n"
    "Prints `ID<TAB>ok` or `ID<TAB>reason`, the ID as given.\n"
    "\n"
    "options:\n"
    "  --run-date DATE  latest valid birth date (YYYY-MM-DD, YYYY/MM/DD or\n"
    "                   YYYYMMDD); default today\n"
    "  --type T         ID type, code or Chinese name: 1 居民身份证 (default),\n"
    "                   6, 7, 8, 9, A, Z; unknown values count as 1, as in a scan\n"
    "  --help           this text\n"
    "  --               end of options\n"
    "\n"
    "exit status: 0 all valid, 1 some invalid, 2 bad usage, 3 output error\n";

static int id_usageError(const char *what)
{
    fprintf(stderr, "xjdedup id: %s\nrun `xjdedup id --help` for usage\n", what);
    return EXIT_USAGE;
}

/* The value of --name V or --name=V at argv[*i]; NULL when this is not it. */
static const char *id_optionValue(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t const len = strlen(name);
    const char *const arg = argv[*i];
    if (strncmp(arg, name, len) != 0) return NULL;
    if (arg[len] == '=') return arg + len + 1;
    if (arg[len] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* Parses options into *o; returns -1 to go on, or an exit status. */
static int id_parseArgs(int argc, char **argv, id_options *o)
{
    o->run_date = 0;
    o->type = NULL;
    o->first_id = argc;
    for (int i = 1; i < argc; i++) {
        const char *const arg = argv[i];
        int missing = 0;
        const char *v;
        if (strcmp(arg, "--") == 0) {
            o->first_id = i + 1;
            break;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(kUsage, stdout);
            return EXIT_OK;
        }
        if ((v = id_optionValue(argc, argv, &i, "--run-date", &missing)) != NULL) {
            if (xj_parseDate(v, &o->run_date) != XJ_OK) {
                char msg[256];
                snprintf(msg, sizeof msg, "--run-date wants a date like 2026-11-28, got '%.64s'", v);
                return id_usageError(msg);
            }
            continue;
        }
        if (!missing && (v = id_optionValue(argc, argv, &i, "--type", &missing)) != NULL) {
            o->type = v;
            continue;
        }
        if (missing) {
            char msg[128];
            snprintf(msg, sizeof msg, "%s needs a value", arg);
            return id_usageError(msg);
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option '%.64s' (put `--` before an ID that starts with '-')", arg);
            return id_usageError(msg);
        }
        o->first_id = i;
        break;
    }
    if (o->run_date == 0) o->run_date = xj_today();
    return -1;
}

/* Checks one number and prints its line; returns 1 when it is invalid. */
static int id_report(const id_options *o, const char *id, size_t n)
{
    xj_idReason const r = xj_checkId(id, n, o->type, o->run_date);
    fwrite(id, 1, n, stdout);
    putchar('\t');
    fputs(r == XJ_ID_OK ? "ok" : xj_idReasonName(r), stdout);
    putchar('\n');
    return r != XJ_ID_OK;
}

/* One complete stdin line (LF removed); returns 1 when it is invalid. */
static int id_finishLine(const id_options *o, const char *line, size_t len, int tooLong,
                         unsigned long lineNo)
{
    if (!tooLong && len > 0 && line[len - 1] == '\r') len--;
    if (tooLong || len > ID_LINE_MAX) {
        fprintf(stderr, "xjdedup id: stdin line %lu is longer than %d bytes; not an ID, skipped\n",
                lineNo, ID_LINE_MAX);
        return 1;
    }
    return id_report(o, line, len);
}

static int id_readStdin(const id_options *o)
{
    static char line[ID_LINE_MAX + 1]; /* + 1: room for the CR of a CRLF end */
    size_t len = 0;
    int tooLong = 0;
    int pending = 0; /* bytes seen since the last LF */
    unsigned long lineNo = 1;
    int anyInvalid = 0;
    int c;
    while ((c = getchar()) != EOF) {
        pending = 1;
        if (c != '\n') {
            if (len < sizeof line) line[len++] = (char)c;
            else tooLong = 1;
            continue;
        }
        anyInvalid |= id_finishLine(o, line, len, tooLong, lineNo);
        len = 0;
        tooLong = 0;
        pending = 0;
        lineNo++;
    }
    if (pending)
        anyInvalid |= id_finishLine(o, line, len, tooLong, lineNo);
    if (ferror(stdin)) {
        fputs("xjdedup id: error reading standard input\n", stderr);
        return EXIT_USAGE;
    }
    return anyInvalid ? EXIT_PROBLEMS : EXIT_OK;
}

int cmd_id(int argc, char **argv)
{
    id_options o;
    int const early = id_parseArgs(argc, argv, &o);
    if (early >= 0) return early;

    int status;
    if (o.first_id >= argc) {
        status = id_readStdin(&o);
    } else {
        int anyInvalid = 0;
        for (int i = o.first_id; i < argc; i++)
            anyInvalid |= id_report(&o, argv[i], strlen(argv[i]));
        status = anyInvalid ? EXIT_PROBLEMS : EXIT_OK;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("xjdedup id: cannot write standard output\n", stderr);
        return EXIT_IO;
    }
    return status;
}
