/*
 * ps_csvfile — a small CSV file read record by record, for the side files
 * a run reads besides its inputs (officers' decisions, an earlier run's
 * problems.csv for `attest`): untrusted, usually small, and every error must
 * name its line.
 *
 * The file is streamed through libcsv (strict quoting) one physical line at
 * a time, so the line where each record starts is known; a UTF-8 BOM before
 * the first value is dropped; blank lines are skipped; a value over
 * XJ_MAX_FIELD bytes, more than PS_CSV_MAX_FIELDS values, a bad or unclosed
 * quote is an XJ_ERR_INPUT naming the file (as `what path`) and the line.
 * A file whose name ends in `.zst` is decompressed on the fly; a damaged or
 * truncated one is an XJ_ERR_INPUT too.
 * Memory: one record at a time.
 */
#ifndef XJ_PS_CSVFILE_H
#define XJ_PS_CSVFILE_H

#include <stddef.h>
#include <stdint.h>

#include "xj_status.h"

#define PS_CSV_MAX_FIELDS 4096

typedef struct ps_csvRecord {
    const char *const *val;  /* the values, unquoted (NUL-terminated, untrimmed) */
    const size_t *len;
    size_t n;
    uint64_t line;           /* where the record starts (the header is line 1) */
} ps_csvRecord;

/* Called for every record, the header first; an error stops the reading
 * (the callback reports it in `st`). */
typedef xj_error (*ps_csvRecordFn)(void *user, const ps_csvRecord *rec, xj_status *st);

/* Reads `path`. `what` starts every message ("--decisions"); a physical
 * line over `max_line` bytes is an error. With `missing_ok`, a file that
 * does not exist reads as no records and *found is 0 (found may be NULL). */
xj_error ps_readCsvFile(const char *path, const char *what, size_t max_line, int missing_ok, ps_csvRecordFn fn,
                        void *user, int *found, xj_status *st);

#endif
