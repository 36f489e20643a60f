/*
 * cli_text — small text helpers every command prints with, so that numbers
 * and messages look the same whichever command printed them.
 */
#ifndef XJ_CLI_TEXT_H
#define XJ_CLI_TEXT_H

#include <stdint.h>

/* 1234567 → "1,234,567" in `out`; returns out. */
const char *cli_grouped(uint64_t v, char out[32]);

/* "problem" or "problems" after n. */
const char *cli_plural(uint64_t n, const char *one, const char *many);

/* The long option closest to `typed` ("--forse" → "force"), or NULL when
 * none is close. `names` is NULL-terminated. */
const char *cli_closestOption(const char *typed, const char *const *names);

/* Parses a run date for a command's --run-date. Returns 0 and sets *out,
 * or prints why not (naming `cmd`) and returns -1. Warns on stderr when the
 * date is after today. */
int cli_runDate(const char *cmd, const char *text, uint32_t *out);

#endif
