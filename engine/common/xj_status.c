/* xj_status — see xj_status.h. */
#include "xj_status.h"

#include <stdarg.h>
#include <stdio.h>

void st_init(xj_status *st)
{
    st->code = XJ_OK;
    st->message[0] = '\0';
}

xj_error st_fail(xj_status *st, xj_error code, const char *fmt, ...)
{
    if (st->code != XJ_OK) return st->code;
    st->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    return code;
}
