/*
 * ps_schema — maps a file's header row to the fields of rules §2.
 *
 * In: the header's column names (as split by ps_fields), the user's
 * --map FIELD=HEADER pairs. Out: for each field the column that holds it, and
 * for each column its place among the run's output columns (the union of all
 * files' headers, so several files with different layouts share one output
 * table). Fatal problems — a required column missing, two columns claiming
 * one field — come back as XJ_ERR_INPUT with a message naming the columns.
 */
#ifndef XJ_PS_SCHEMA_H
#define XJ_PS_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "xj_status.h"

typedef enum ps_field {
    PS_STUDENT_NO = 0,
    PS_NAME,
    PS_SEX,
    PS_BIRTH_DATE,
    PS_ID_TYPE,
    PS_ID_NUMBER,
    PS_SCHOOL_CODE,
    PS_SCHOOL_NAME,
    PS_REGION_CODE,
    PS_REGISTERED_AT,
    PS_FIELD_COUNT
} ps_field;

const char *ps_fieldName(ps_field f);   /* English name: "student_no" */
const char *ps_fieldZh(ps_field f);     /* Chinese header: "学籍号" */
int ps_fieldRequired(ps_field f);       /* column must exist */

typedef struct ps_userMap {
    ps_field field;      /* the field named before '=' */
    const char *header;  /* the header after '=', trimmed */
    size_t header_len;
    int seen;            /* set by ps_mapHeader when a file has that header */
} ps_userMap;

/* Parses "FIELD=HEADER". XJ_ERR_USAGE with a message when malformed. */
xj_error ps_parseUserMap(const char *text, ps_userMap *out, xj_status *st);

/* The run's output columns: names in order of first appearance. A name that
 * appears k times in one file stands k times here. */
typedef struct ps_columns {
    char **names;        /* trimmed header names (owned) */
    size_t n;
    size_t cap;
} ps_columns;

void ps_columnsFree(ps_columns *c);

typedef struct ps_schema {
    size_t n_columns;              /* fields a record of this file must have */
    int col_of[PS_FIELD_COUNT];    /* column holding each field, -1 when absent */
    uint32_t *out_col;             /* per column: index in ps_columns (owned) */
} ps_schema;

void ps_schemaFree(ps_schema *s);

/* Maps one file's header. `names`/`lens` are its column names as read;
 * `source` names the file in messages. New names are appended to `cols`;
 * maps whose header this file has are marked `seen`. */
xj_error ps_mapHeader(const char *const *names, const uint32_t *lens, size_t n,
                      ps_userMap *maps, size_t n_maps, const char *source,
                      ps_columns *cols, ps_schema *out, xj_status *st);

/* After the last file's header: a --map whose header no file has is a
 * mistake (a typo, the wrong file) that would otherwise pass unnoticed.
 * The message lists `cols`, the columns the inputs do have. */
xj_error ps_checkMapsSeen(const ps_userMap *maps, size_t n_maps, const ps_columns *cols, xj_status *st);

#endif
