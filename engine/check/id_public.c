/*
 * id_public — the public ID functions of xjdedup.h, thin wrappers over the
 * normalize and check stages so that `xjdedup id` and a scan judge a number
 * the same way.
 *
 * xj_checkId normalizes into a small stack buffer: a number whose normalized
 * form is longer than ID_NORM_MAX bytes is malformed for every type but Z
 * (the longest valid shape has 20 characters), so it is `format` without
 * being kept whole.
 * A run_date of 0 means today, as for xj_scan_setRunDate.
 */
#include "xjdedup.h"

#include <string.h>

#include "idcheck.h"
#include "normalize.h"

#define ID_NORM_MAX 32 /* normalized bytes kept: every valid shape has <= 20 */
#define ID_CHUNK 64    /* raw bytes normalized per step */

static const char *const kReasonNames[XJ_ID_REASON_COUNT] = {
    [XJ_ID_OK] = "",
    [XJ_ID_MISSING] = "missing",
    [XJ_ID_FORMAT] = "format",
    [XJ_ID_LEGACY15] = "legacy15",
    [XJ_ID_REGION] = "region",
    [XJ_ID_REGION_UNKNOWN] = "region_unknown",
    [XJ_ID_BIRTHDATE] = "birthdate",
    [XJ_ID_CHECKSUM] = "checksum",
    [XJ_ID_BIRTHDATE_MISMATCH] = "birthdate_mismatch",
    [XJ_ID_SEX_MISMATCH] = "sex_mismatch",
    [XJ_ID_CHANGED] = "id_changed",
    [XJ_ID_NOT_FOUND] = "not_found",
    [XJ_ID_NAME_MISMATCH] = "name_mismatch",
};

XJ_API const char *xj_idReasonName(xj_idReason reason)
{
    if ((unsigned)reason >= XJ_ID_REASON_COUNT) return "";
    return kReasonNames[reason];
}

/* Normalizes number into norm (ID_NORM_MAX bytes) a chunk at a time, so a
 * long field costs no allocation; 0 when the result would not fit. Chunks end
 * before a UTF-8 lead byte, so each code point is decoded whole, exactly as
 * one nm_normalizeId call over the whole text would. */
static int id_normalizeBounded(const char *number, size_t len, char *norm, size_t *n)
{
    char part[ID_CHUNK];
    size_t used = 0;
    for (size_t i = 0; i < len;) {
        size_t e = len - i > ID_CHUNK ? i + ID_CHUNK : len;
        while (e < len && e > i && ((unsigned char)number[e] & 0xC0) == 0x80) e--;
        if (e == i) e = i + ID_CHUNK; /* a run of stray continuation bytes */
        size_t const m = nm_normalizeId(number + i, e - i, part);
        if (m > ID_NORM_MAX - used) return 0;
        memcpy(norm + used, part, m);
        used += m;
        i = e;
    }
    *n = used;
    return 1;
}

XJ_API xj_idReason xj_checkId(const char *number, size_t len, const char *type,
                              uint32_t run_date)
{
    int unknown;
    char const code = type ? nm_parseIdType(type, strlen(type), &unknown) : '1';
    if (number == NULL) len = 0;
    char norm[ID_NORM_MAX];
    size_t n = 0;
    if (!id_normalizeBounded(number, len, norm, &n))
        return code == 'Z' ? XJ_ID_OK : XJ_ID_FORMAT; /* longer than any shape */
    id_context const ctx = {run_date ? run_date : xj_today(), NULL};
    return id_check(&ctx, code, norm, n, 0, 0).reason;
}

XJ_API char xj_idCheckChar(const char digits17[17])
{
    return id_checkChar(digits17);
}
