/* cli_text — see cli_text.h. */
#include "cli_text.h"

#include <stdio.h>
#include <string.h>

#include "xjdedup.h"

const char *cli_grouped(uint64_t v, char out[32])
{
    return xj_formatCount(v, out);
}

const char *cli_plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Edit distance of two short strings (option names), capped at 9. */
static unsigned cli_distance(const char *a, const char *b)
{
    size_t const la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 9;
    unsigned row[41];
    for (size_t j = 0; j <= lb; j++) row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned const up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            if (up + 1 < best) best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > 9 ? 9 : row[lb];
}

const char *cli_closestOption(const char *typed, const char *const *names)
{
    while (*typed == '-') typed++;
    char name[48];
    size_t n = strcspn(typed, "=");
    if (n == 0 || n >= sizeof name) return NULL;
    memcpy(name, typed, n);
    name[n] = '\0';
    const char *best = NULL;
    unsigned best_d = 3; /* more than two edits away is no suggestion */
    for (; *names; names++) {
        unsigned d = cli_distance(name, *names);
        /* a prefix of one option only ("--out") is as good as one edit */
        if (d > 1 && strncmp(*names, name, n) == 0) d = 1;
        if (d < best_d) {
            best_d = d;
            best = *names;
        }
    }
    return best;
}

/* YYYY-MM-DD, YYYY/MM/DD (one-digit month and day allowed) or YYYYMMDD. */
static int cli_looksLikeDate(const char *t)
{
    size_t const len = strlen(t);
    if (len == 8 && strspn(t, "0123456789") == 8) return 1;
    if (strspn(t, "0123456789") != 4 || (t[4] != '-' && t[4] != '/')) return 0;
    const char *p = t + 5;
    size_t m = strspn(p, "0123456789");
    if (m < 1 || m > 2 || p[m] != t[4]) return 0;
    p += m + 1;
    m = strspn(p, "0123456789");
    return m >= 1 && m <= 2 && p[m] == '\0';
}

int cli_runDate(const char *cmd, const char *text, uint32_t *out)
{
    uint32_t d = 0;
    if (xj_parseDate(text, &d) != XJ_OK) {
        if (cli_looksLikeDate(text))
            fprintf(stderr, "xjdedup %s: --run-date %s: not a real date (check the month and the day)\n", cmd, text);
        else
            fprintf(stderr, "xjdedup %s: --run-date %s: give a date as YYYY-MM-DD\n", cmd, text);
        return -1;
    }
    uint32_t const today = xj_today();
    char a[16], b[16];
    if (d > today)
        fprintf(stderr,
                "xjdedup %s: warning: the run date %s is after today (%s); IDs with birth dates up to it will "
                "pass the birth-date check\n",
                cmd, xj_formatDate(d, a), xj_formatDate(today, b));
    *out = d;
    return 0;
}
