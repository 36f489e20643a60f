/*
 * ps_record — one record from raw bytes to named field values.
 *
 * In: a record's bytes (as rd_split found them) and its file's schema.
 * Out: either a view of its values by field (pointing into the worker's
 * scratch, valid until the worker's next record) or the reject reason
 * (xj_reject.h; docs/decisions.md). The same function serves both passes of a scan, so
 * the second pass sees exactly the records the first pass accepted.
 */
#ifndef XJ_PS_RECORD_H
#define XJ_PS_RECORD_H

#include "ps_fields.h"
#include "ps_schema.h"
#include "ps_text.h"
#include "xj_reject.h"

typedef struct ps_view {
    const char *val[PS_FIELD_COUNT]; /* each field's value, "" when the column is absent */
    uint32_t len[PS_FIELD_COUNT];    /* its length in bytes */
    const ps_fields *fields;         /* every column of the record */
} ps_view;

typedef struct ps_worker {
    ps_fields fields;   /* field splitter and value arena */
    ps_decoder *gbk;    /* GB 18030 decoder, NULL for UTF-8 input */
    xj_buf decoded;     /* the record in UTF-8 when decoded */
    int text_checked;   /* set by the caller: the records now parsed lie in text already
                         * found clean UTF-8 (a whole chunk at once), so each needs no check */
} ps_worker;

/* `gbk`: decode records from GB 18030. XJ_ERR_NOMEM, or XJ_ERR_INPUT when the
 * system's iconv lacks GB 18030. */
xj_error ps_workerInit(ps_worker *w, int gbk, size_t max_fields);
void ps_workerFree(ps_worker *w);

/* XJ_REJECT_NONE on success (view filled), else the reason
 * (XJ_REJECT_FIELD_COUNT, ...). */
xj_reject ps_parseRecord(ps_worker *w, const ps_schema *schema, const char *rec, size_t n, int unterminated,
                         ps_view *view);

/* The reason of the first required field that is empty after trimming
 * (XJ_REJECT_MISSING_NAME, ...), and that field in *which (may be NULL);
 * XJ_REJECT_NONE when all are there. ps_parseRecord applies it to every
 * record. */
xj_reject ps_missingField(const ps_view *view, ps_field *which);

#endif
