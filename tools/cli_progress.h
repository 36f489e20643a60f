/*
 * cli_progress — the live progress line of a long run on stderr, and the
 * signals that stop one. SIGINT/SIGTERM: the run stops at its next progress
 * call, the engine removes its temporary output, and the exit status is
 * 128 + signal; a second signal kills at once (SA_RESETHAND).
 */
#ifndef XJ_CLI_PROGRESS_H
#define XJ_CLI_PROGRESS_H

#include <signal.h>

#include "xjdedup.h"

typedef struct cli_progress {
    double last;        /* when the line was last drawn */
    double start;       /* when the scan started */
    int shown;          /* a line is on screen (terminal) */
    int draw;           /* draw the line (else only watch for signals) */
    int tty;            /* stderr is a terminal: redraw one line; else one line per update */
    char stage[16];     /* the stage of the last update */
    double stage_start; /* when that stage began (for its ETA) */
} cli_progress;

/* The signal that asked the run to stop, 0 if none. */
extern volatile sig_atomic_t cli_signal;

/* Installs the SIGINT/SIGTERM handlers. */
void cli_watchSignals(void);
/* Monotonic seconds. */
double cli_now(void);
/* An xj_progressFn; `user` is a cli_progress. Draws the line (rate-limited:
 * 4 a second on a terminal, 1 a second otherwise) when `draw` is set, and
 * cancels the run once a signal arrived. */
int cli_onProgress(const xj_progress *p, void *user);

#endif
