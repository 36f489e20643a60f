/*
 * api — the small public functions that belong to no stage: version, error
 * names, date helpers, and joining a job of several processes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "normalize.h"
#include "xj_comm.h"
#include "xj_date.h"
#include "xjdedup.h"

const char *xj_versionString(void)
{
    return XJ_VERSION_STRING;
}

const char *xj_errorName(xj_error code)
{
    switch (code) {
    case XJ_OK: return "no error";
    case XJ_ERR_USAGE: return "bad usage";
    case XJ_ERR_INPUT: return "input cannot be processed";
    case XJ_ERR_IO: return "output could not be written";
    case XJ_ERR_NOMEM: return "out of memory";
    case XJ_ERR_LIMIT: return "a limit of the engine was exceeded";
    case XJ_ERR_INTERRUPTED: return "interrupted";
    case XJ_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

xj_error xj_parseDate(const char *text, uint32_t *out)
{
    if (text == NULL) return XJ_ERR_USAGE;
    uint32_t const date = nm_parseDate(text, strlen(text));
    if (date == 0 || date < 10000000u) return XJ_ERR_USAGE;
    *out = date;
    return XJ_OK;
}

const char *xj_formatCount(uint64_t count, char out[32])
{
    char digits[24];
    int const n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)count);
    int o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

const char *xj_formatDate(uint32_t date, char out[16])
{
    return dt_text(date, out);
}

uint32_t xj_today(void)
{
    time_t const now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL) return 19700101u;
    return dt_make(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

xj_error xj_processesStart(char *message, size_t cap)
{
    xj_status st;
    st_init(&st);
    xj_error const err = xc_start(&st);
    if (err && message && cap) snprintf(message, cap, "%s", st.message);
    return err;
}

void xj_processesEnd(int failed)
{
    xc_end(failed, "it stopped before the scan began (out of memory, or an error it printed alone); run it "
                    "alone to see the message");
}

int xj_processRank(void)
{
    return xc_rank();
}

int xj_processCount(void)
{
    return xc_size();
}
