/*
 * xj_notes — warnings a run collects for the person who started it: things
 * that did not stop the run but that a user must not miss (a file whose rows
 * mostly failed to decode, a date that looks wrong). The library never
 * prints; the CLI prints these on stderr.
 */
#ifndef XJ_NOTES_H
#define XJ_NOTES_H

#include <stddef.h>

#include "xjdedup.h"

typedef struct xj_notes {
    char **text;
    size_t n, cap;
} xj_notes;

/* Appends one formatted warning. XJ_ERR_NOMEM when it cannot. */
xj_error nt_add(xj_notes *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The i-th warning, or NULL past the end. */
const char *nt_get(const xj_notes *notes, size_t i);
void nt_clear(xj_notes *notes);

#endif
