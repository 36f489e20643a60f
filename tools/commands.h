/*
 * commands — the CLI's subcommands. Each takes argv after the command name
 * (argv[0] is the command) and returns the process exit status (rules §7).
 * Tools use only the public header xjdedup.h.
 */
#ifndef XJ_COMMANDS_H
#define XJ_COMMANDS_H

#include "xjdedup.h"

int cmd_scan(int argc, char **argv);
int cmd_id(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_attest(int argc, char **argv);
/* `index build` / `index update` share scan's options (cmd_scan.c); argv[0]
 * is the subcommand. */
int cmd_indexWrite(int argc, char **argv, int update);
/* After an index build (old_path NULL) or update (cmd_index.c): what went
 * in, what was removed, and the run date and scope used and where they came
 * from. */
void index_printResult(const xj_scanStats *s, const char *path, const char *old_path, int date_given,
                       int scope_given);

#include <stdio.h>
/* Prints the summary table of OUTDIR/summary.json on `out` (cmd_summary.c);
 * returns an exit status, with a message on stderr when it is not EXIT_OK. */
int summary_print(const char *outdir, FILE *out);

/* Exit codes of rules §7. */
enum { EXIT_OK = 0, EXIT_PROBLEMS = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

#endif
