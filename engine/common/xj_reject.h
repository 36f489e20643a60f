/*
 * xj_reject — why a row could not be read as a record (docs/decisions.md,
 * "Reject reasons"). Parse and check return a reason as a number; emit
 * looks up its code, the `error` column of rejects.csv and the keys of
 * summary.json's `rejects`, and its Chinese wording for report.html. One
 * table holds both, so the code that decides a reject and the files that
 * name it cannot drift apart. In common/ because parse, check, emit and
 * the scan (which rejects read's overlong records) all meet it.
 *
 * The codes are a machine contract: a new reason gets a new code, and an
 * existing code never changes.
 */
#ifndef XJ_REJECT_H
#define XJ_REJECT_H

#include <stddef.h>

typedef enum xj_reject {
    XJ_REJECT_NONE = 0,           /* the row was read: not a reject */
    XJ_REJECT_ENCODING,           /* not text in the input's encoding (or a NUL byte) */
    XJ_REJECT_BAD_QUOTE,          /* a quote where CSV allows none */
    XJ_REJECT_UNTERMINATED_QUOTE, /* a quoted field open at the end of the file */
    XJ_REJECT_FIELD_TOO_LONG,     /* a field over XJ_MAX_FIELD bytes */
    XJ_REJECT_FIELD_COUNT,        /* not as many fields as the header */
    XJ_REJECT_RECORD_TOO_LONG,    /* a record over XJ_MAX_RECORD bytes */
    XJ_REJECT_OUT_OF_MEMORY,      /* splitting the record ran out of memory */
    XJ_REJECT_BAD_SEX,            /* sex not understood */
    XJ_REJECT_BAD_BIRTH_DATE,     /* birth date not a date */
    XJ_REJECT_MISSING_STUDENT_NO, /* a required field empty after trimming, */
    XJ_REJECT_MISSING_NAME,       /* one reason per field */
    XJ_REJECT_MISSING_SEX,
    XJ_REJECT_MISSING_BIRTH_DATE,
    XJ_REJECT_MISSING_SCHOOL_CODE,
    XJ_REJECT_COUNT
} xj_reject;

/* The reason's code as rejects.csv writes it ("field_count"); "" for
 * XJ_REJECT_NONE and for a number that is no reason. Cannot fail. */
const char *rj_code(xj_reject r);

/* The reason in Chinese for people ("列数与表头不符"); "" as rj_code. */
const char *rj_zh(xj_reject r);

/* The reason whose code is s[0..n), XJ_REJECT_NONE when none is. */
xj_reject rj_fromCode(const char *s, size_t n);

#endif
