/* cli_progress — see cli_progress.h. */
#include "cli_progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_text.h"

volatile sig_atomic_t cli_signal;

static void on_signal(int sig)
{
    cli_signal = sig;
}

void cli_watchSignals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

double cli_now(void)
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

int cli_onProgress(const xj_progress *p, void *user)
{
    cli_progress *const ps = user;
    if (cli_signal) return 1;
    if (!ps->draw) return 0;
    double const t = cli_now();
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

