/*
 * xj_status — an error code with its message, passed down the pipeline.
 *
 * The first error wins: once a status holds an error, later xj_fail calls
 * keep the original, so the message names the root cause. RETURN_ERROR_IF /
 * FORWARD_IF_ERROR keep each check to one line.
 */
#ifndef XJ_STATUS_H
#define XJ_STATUS_H

#include "xjdedup.h"

#define XJ_MESSAGE_MAX 1024

typedef struct xj_status {
    xj_error code;               /* XJ_OK until the first failure */
    char message[XJ_MESSAGE_MAX]; /* what happened, where, what to do */
} xj_status;

void st_init(xj_status *st);
/* Records the error (if none yet) and returns it. */
xj_error st_fail(xj_status *st, xj_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define RETURN_ERROR_IF(cond, st, code, ...) \
    do { if (cond) return st_fail((st), (code), __VA_ARGS__); } while (0)
#define FORWARD_IF_ERROR(expr) \
    do { xj_error const fwd_err_ = (expr); if (fwd_err_) return fwd_err_; } while (0)

/* For conditions believed impossible (SQLite's ALWAYS/NEVER): checked by
 * assert in debug builds, and still tested in release builds. */
#include <assert.h>
#ifdef NDEBUG
#  define XJ_NEVER(x) (x)
#else
#  define XJ_NEVER(x) ((x) ? (assert(0 && #x), 1) : 0)
#endif

#endif
