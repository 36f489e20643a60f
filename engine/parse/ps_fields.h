/*
 * ps_fields — splits one record into its fields (RFC 4180, via libcsv).
 *
 * In: the bytes of one record, without its line end, as found by rd_split;
 * already UTF-8 (decoded from GB 18030 first when the input is GBK).
 * Out: field values, unquoted, with doubled quotes undone (no allocation per
 * field). libcsv runs in strict mode with no space trimming and no record
 * terminators, so a value keeps every byte it had, a lone CR included; a
 * stray quote is an error, not a guess.
 *
 * Fast paths, each giving what libcsv would give at a fraction of the
 * cost, with commas and quotes found 64 bytes at a time (rd_simd, with AVX2
 * where the CPU has it):
 *  - a record without any quote character is split at its commas in place:
 *    the values point into the record itself;
 *  - a record up to 2 KiB whose quoted fields are all well formed is
 *    unquoted into the arena, as libcsv's values are.
 * Everything else — a stray quote, a field left open, too many fields, a
 * longer record — goes to libcsv, which decides and names the problem.
 * Values are not NUL-terminated; use the lengths.
 */
#ifndef XJ_PS_FIELDS_H
#define XJ_PS_FIELDS_H

#include <csv.h>
#include <stddef.h>
#include <stdint.h>

#include "xj_buf.h"

#define XJ_MAX_FIELD (64u << 10) /* bytes; a longer value rejects the record */

typedef enum ps_fieldError {
    PS_FIELDS_OK = 0,
    PS_FIELDS_BAD_QUOTE,      /* quote inside an unquoted field, text after a closing quote */
    PS_FIELDS_UNTERMINATED,   /* a quoted field still open at the end of input */
    PS_FIELDS_TOO_LONG,       /* a value over XJ_MAX_FIELD */
    PS_FIELDS_TOO_MANY,       /* more fields than the limit given */
    PS_FIELDS_NOMEM
} ps_fieldError;

typedef struct ps_fields {
    struct csv_parser parser; /* reused record after record */
    xj_buf arena;             /* quoted and libcsv paths: values back to back */
    const char *base;         /* value i starts at base + off[i] (arena or record) */
    int force_libcsv;         /* tests: never take the fast path */
    uint32_t *off;            /* value i starts at base + off[i] */
    uint32_t *len;            /* and has len[i] bytes */
    size_t n;                 /* values in the current record */
    size_t cap;               /* entries allocated in off/len */
    size_t max_fields;        /* more than this is PS_FIELDS_TOO_MANY */
    ps_fieldError error;      /* first problem seen while splitting */
} ps_fields;

/* XJ_ERR_NOMEM when libcsv cannot start. */
xj_error ps_fieldsInit(ps_fields *f, size_t max_fields);
void ps_fieldsFree(ps_fields *f);

/* Splits `rec`; `unterminated` says the splitter saw the input end inside a
 * quoted field. Returns PS_FIELDS_OK or the first problem. */
ps_fieldError ps_splitFields(ps_fields *f, const char *rec, size_t n, int unterminated);

static inline const char *ps_value(const ps_fields *f, size_t i) { return f->base + f->off[i]; }

#endif
