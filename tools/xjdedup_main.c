/*
 * xjdedup — the command-line tool. One binary, several commands; each lives
 * in its own file (cmd_*.c, gen/) and uses only the public header.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "xjdedup.h"

typedef struct command {
    const char *name;                 /* as typed */
    int (*run)(int argc, char **argv);
    const char *summary;              /* one line for the overview */
} command;

static const command kCommands[] = {
    {"scan", cmd_scan, "find problem records in registry dumps and write per-school files"},
    {"index", cmd_index, "build, update or describe a register index (index build|update|info)"},
    {"check", cmd_check, "check a batch against a register index before it is submitted"},
    {"id", cmd_id, "check ID numbers (arguments, or one per line on stdin)"},
    {"attest", cmd_attest, "write officers' approvals (decisions) from a finished run, for --decisions"},
    {"summary", cmd_summary, "print the summary table of a finished scan (OUTDIR/summary.json)"},
    {"gen", cmd_gen, "generate a synthetic national population with known problems"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "xjdedup %s — problem records (问题学籍) of the student registry\n"
            "\n"
            "usage: xjdedup COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "commands:\n",
            xj_versionString());
    for (size_t i = 0; i < sizeof kCommands / sizeof kCommands[0]; i++)
        fprintf(out, "  %-8s %s\n", kCommands[i].name, kCommands[i].summary);
    fprintf(out,
            "\n"
            "'xjdedup COMMAND --help' describes a command's options, 'man xjdedup' all of\n"
            "them and the output; 'xjdedup --version' prints the version.\n"
            "exit status: 0 success, 1 problems found (with --fail-on-problems), 2 bad usage or\n"
            "input, 3 output could not be written.\n");
}

/* Under mpirun (docs/mpi.md) every process runs the command; rank 0 alone
 * speaks, since it writes the output and hears of every other process's
 * error. Only scan and index build spread over several processes. */
static int run_command(const command *c, int argc, char **argv)
{
    char message[1024];
    if (xj_processesStart(message, sizeof message) != XJ_OK) {
        fprintf(stderr, "xjdedup %s: %s\n", c->name, message);
        return EXIT_USAGE;
    }
    int rc;
    int const spread = strcmp(c->name, "scan") == 0 ||
                       (strcmp(c->name, "index") == 0 && argc > 1 && strcmp(argv[1], "build") == 0);
    if (xj_processCount() > 1 && !spread) {
        if (xj_processRank() == 0)
            fprintf(stderr, "xjdedup %s: only 'scan' and 'index build' run on several processes; start '%s' "
                            "without mpirun\n", c->name, c->name);
        rc = EXIT_USAGE;
    } else {
        if (xj_processRank() > 0) {
            (void)!freopen("/dev/null", "w", stdout);
            (void)!freopen("/dev/null", "w", stderr);
        }
        rc = c->run(argc, argv);
    }
    xj_processesEnd(rc >= EXIT_USAGE);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *const name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("xjdedup %s\n", xj_versionString());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof kCommands / sizeof kCommands[0]; i++)
        if (strcmp(name, kCommands[i].name) == 0) return run_command(&kCommands[i], argc - 1, argv + 1);
    fprintf(stderr, "xjdedup: unknown command '%s'; run 'xjdedup --help' for the list\n", name);
    return EXIT_USAGE;
}
