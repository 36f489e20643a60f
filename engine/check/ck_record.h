/*
 * ck_record — the facts of one parsed record that duplicate detection needs.
 *
 * In: a record's field view (ps_record). Out: sex (1/2), birth date, the ID
 * type and normalized number with its validity (idcheck), the registration
 * date; or a reject reason when sex or birth date cannot be understood. The
 * normalized name is computed on demand only (ck_name), because in the
 * default mode only records without an ID need it.
 */
#ifndef XJ_CK_RECORD_H
#define XJ_CK_RECORD_H

#include "idcheck.h"
#include "normalize.h"
#include "ps_record.h"
#include "xj_buf.h"

typedef struct ck_scratch {
    char *id;        /* normalized ID number, XJ_MAX_FIELD bytes */
    char old[NM_OLD_ID_BYTES]; /* the old ID of a G student number, normalized */
    xj_buf name;     /* normalized name */
} ck_scratch;

typedef struct ck_facts {
    int sex;             /* 1 male, 2 female */
    uint32_t birth;      /* YYYYMMDD */
    char id_type;        /* '1','6','7','8','9','A','Z' */
    int unknown_type;    /* the id_type value was not recognized */
    const char *id;      /* normalized number (in the scratch) */
    size_t id_len;
    id_result id_res;    /* validity and key space */
    /* The old ID of a `G` student number when it is not the record's own
     * (docs/monthly.md §6): the record is also filed under it. */
    id_keySpace old_space; /* ID_KEY_NONE: no such old ID */
    uint64_t old_gb;       /* packed, when old_space is ID_KEY_GB */
    const char *old;       /* normalized (in the scratch) */
    size_t old_len;
} ck_facts;

xj_error ck_scratchInit(ck_scratch *s);
void ck_scratchFree(ck_scratch *s);

/* XJ_REJECT_NONE and *out filled, or XJ_REJECT_BAD_SEX /
 * XJ_REJECT_BAD_BIRTH_DATE. A valid ID that differs from a GB-shaped old
 * ID gets the reason XJ_ID_CHANGED. */
xj_reject ck_analyze(const id_context *ctx, const ps_view *v, ck_scratch *s, ck_facts *out);

/* The record's registration date, YYYYMMDD, 0 when missing or not a date.
 * Not part of ck_analyze: it decides nothing (no key, no check, no reject)
 * and is read only for the records that reach the output or an index, so a
 * scan's pass 1 does not parse it for every record. */
static inline uint32_t ck_registered(const ps_view *v)
{
    return nm_parseDate(v->val[PS_REGISTERED_AT], v->len[PS_REGISTERED_AT]);
}

/* Normalizes the name into s->name. "encoding" style failures cannot happen
 * here (the record is valid UTF-8); XJ_ERR_LIMIT/NOMEM can. */
xj_error ck_name(const ps_view *v, ck_scratch *s);

#endif
