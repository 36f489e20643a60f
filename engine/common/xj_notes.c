/* xj_notes — see xj_notes.h. */
#include "xj_notes.h"

#include <stdarg.h>
#include <stdio.h>

#include "xj_alloc.h"

xj_error nt_add(xj_notes *notes, const char *fmt, ...)
{
    if (xj_growArray(&notes->text, &notes->cap, notes->n + 1, sizeof *notes->text, 4) != 0) return XJ_ERR_NOMEM;
    va_list ap;
    va_start(ap, fmt);
    int const len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) return XJ_ERR_INTERNAL;
    char *const text = xj_malloc((size_t)len + 1);
    if (text == NULL) return XJ_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(text, (size_t)len + 1, fmt, ap);
    va_end(ap);
    notes->text[notes->n++] = text;
    return XJ_OK;
}

const char *nt_get(const xj_notes *notes, size_t i)
{
    return i < notes->n ? notes->text[i] : NULL;
}

void nt_clear(xj_notes *notes)
{
    for (size_t i = 0; i < notes->n; i++) xj_free(notes->text[i]);
    xj_free(notes->text);
    notes->text = NULL;
    notes->n = notes->cap = 0;
}
