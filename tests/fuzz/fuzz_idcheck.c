/*
 * fuzz_idcheck — ID normalization, ID type parsing and ID validity on
 * arbitrary bytes, through the internal functions and the public xj_checkId.
 *
 * Input layout: up to five LF-separated parts — ID type, ID number, sex,
 * birth date, run date (the last part keeps any further LFs; missing parts
 * are empty; an unparsable run date means 2026-11-28). Text layout keeps the
 * seeds readable and lets the fuzzer move bytes between parts.
 *
 * Invariants:
 *  - nm_normalizeId never lengthens; on valid UTF-8 its output is valid
 *    UTF-8 without white space, full-width forms or 'x', and normalizing it
 *    again changes nothing (on invalid UTF-8 idempotence is not promised:
 *    removing a space can join two stray byte runs into a character);
 *  - nm_parseIdType gives one of the seven codes, '1' when unknown;
 *  - id_check: reason in range; the mismatch reasons appear only when sex or
 *    birth are given, and then only after an otherwise valid number; the key
 *    does not depend on sex or birth; an empty number has no key and any
 *    other one has; a GB key unpacks to the number (or its 18-digit form for
 *    a 15-digit legacy number) and packs back to itself; a valid type 1
 *    number has the right check character and was born by the run date;
 *  - xj_checkId (which normalizes in bounded pieces) agrees with id_check
 *    on the whole normalized number.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "idcheck.h"
#include "normalize.h"
#include "xjdedup.h"

#include "fuzz_common.h"

#define FZ_PARTS 5
#define FZ_RUN_DATE 20261128u

/* 1 when s[0..n) is valid UTF-8 by utf8proc's reading (NUL allowed). */
static int fz_validUtf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t const len = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (len <= 0 || cp < 0) return 0;
        i += (size_t)len;
    }
    return 1;
}

static int fz_isSpace(utf8proc_int32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

static void fz_checkNormalized(const char *norm, size_t n)
{
    FZ_ASSERT(fz_validUtf8(norm, n));
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t const len = utf8proc_iterate((const utf8proc_uint8_t *)norm + i, (utf8proc_ssize_t)(n - i), &cp);
        FZ_ASSERT(!fz_isSpace(cp) && !(cp >= 0xFF01 && cp <= 0xFF5E) && cp != 'x');
        i += (size_t)len;
    }
    char *const again = malloc(n ? n : 1);
    FZ_ASSERT(again != NULL);
    size_t const m = nm_normalizeId(norm, n, again);
    FZ_ASSERT(m == n && memcmp(again, norm, n) == 0);
    free(again);
}

static int fz_allDigits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void fz_checkResult(const id_context *ctx, char type, const char *num, size_t n, int sex, uint32_t birth)
{
    id_result const r0 = id_check(ctx, type, num, n, 0, 0);
    id_result const r1 = id_check(ctx, type, num, n, sex, birth);
    FZ_ASSERT((unsigned)r0.reason < XJ_ID_REASON_COUNT && (unsigned)r1.reason < XJ_ID_REASON_COUNT);
    FZ_ASSERT(r0.reason != XJ_ID_BIRTHDATE_MISMATCH && r0.reason != XJ_ID_SEX_MISMATCH);
    FZ_ASSERT(r0.reason != XJ_ID_REGION_UNKNOWN); /* no region table given */
    if (r0.reason != XJ_ID_OK) FZ_ASSERT(r1.reason == r0.reason);
    else FZ_ASSERT(r1.reason == XJ_ID_OK || r1.reason == XJ_ID_BIRTHDATE_MISMATCH || r1.reason == XJ_ID_SEX_MISMATCH);
    if (birth == 0) FZ_ASSERT(r1.reason != XJ_ID_BIRTHDATE_MISMATCH);
    if (sex == 0) FZ_ASSERT(r1.reason != XJ_ID_SEX_MISMATCH);
    FZ_ASSERT(r0.space == r1.space && r0.gb == r1.gb);

    if (n == 0) {
        FZ_ASSERT(r0.space == ID_KEY_NONE);
        FZ_ASSERT(r0.reason == (type == 'Z' ? XJ_ID_OK : XJ_ID_MISSING));
        return;
    }
    FZ_ASSERT(r0.space == ID_KEY_GB || r0.space == ID_KEY_OTHER);
    FZ_ASSERT(r0.reason != XJ_ID_MISSING);
    if (r0.space == ID_KEY_GB) {
        char id18[18];
        id_unpack18(r0.gb, id18);
        FZ_ASSERT(id_pack18(id18) == r0.gb);
        if (n == 18) {
            FZ_ASSERT(memcmp(id18, num, 18) == 0);
        } else {
            FZ_ASSERT(n == 15 && fz_allDigits(num, 15) && r0.reason == XJ_ID_LEGACY15);
            char up[18];
            id_upgrade15(num, up);
            FZ_ASSERT(memcmp(id18, up, 18) == 0);
        }
    }
    if (r0.reason == XJ_ID_OK && (type == '1' || (type == '9' && n == 18))) {
        FZ_ASSERT(r0.space == ID_KEY_GB && n == 18 && id_checkChar(num) == num[17]);
        uint32_t const born = (uint32_t)strtoul((char[9]){num[6], num[7], num[8], num[9], num[10], num[11],
                                                          num[12], num[13], 0}, NULL, 10);
        FZ_ASSERT(born >= 19000101u && born <= ctx->run_date);
    }
    if (n >= 17) {
        char const c = id_checkChar(num);
        FZ_ASSERT(fz_allDigits(num, 17) ? (c == 'X' || (c >= '0' && c <= '9')) : c == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *part[FZ_PARTS];
    size_t len[FZ_PARTS];
    const char *p = (const char *)data;
    size_t left = size;
    for (int i = 0; i < FZ_PARTS; i++) {
        const char *const lf = i + 1 < FZ_PARTS ? memchr(p, '\n', left) : NULL;
        part[i] = p;
        len[i] = lf ? (size_t)(lf - p) : left;
        p += len[i] + (lf != NULL);
        left -= len[i] + (lf != NULL);
    }
    int const sex = nm_parseSex(part[2], len[2]);
    uint32_t const birth = nm_parseDate(part[3], len[3]);
    uint32_t run = nm_parseDate(part[4], len[4]);
    if (run == 0) run = FZ_RUN_DATE;
    FZ_ASSERT(sex >= 0 && sex <= 2);

    /* the ID number */
    char *const norm = malloc(len[1] ? len[1] : 1);
    FZ_ASSERT(norm != NULL);
    size_t const nn = nm_normalizeId(part[1], len[1], norm);
    FZ_ASSERT(nn <= len[1]);
    for (size_t i = 0; i < nn; i++) FZ_ASSERT(norm[i] != ' ' && !(norm[i] >= 0x09 && norm[i] <= 0x0D) && norm[i] != 'x');
    if (fz_validUtf8(part[1], len[1])) fz_checkNormalized(norm, nn);

    /* the type */
    int unknown = -1;
    char const type = nm_parseIdType(part[0], len[0], &unknown);
    FZ_ASSERT(type != 0 && strchr("16789AZ", type) != NULL);
    FZ_ASSERT(unknown == 0 || (unknown == 1 && type == '1'));
    const char *tt = part[0], *tt2 = part[0];
    size_t tn = len[0], tt2n = len[0];
    xj_trim(&tt, &tn);
    xj_trimEnds(&tt2, &tt2n);
    FZ_ASSERT(tt == tt2 && tn == tt2n); /* the inline shortcut agrees with the loop */
    if (tn == 0) FZ_ASSERT(type == '1' && unknown == 0);

    id_context const ctx = {run, NULL};
    fz_checkResult(&ctx, type, norm, nn, sex, birth);

    /* the public function: type as a C string, number as given */
    char *const tstr = malloc(len[0] + 1);
    FZ_ASSERT(tstr != NULL);
    memcpy(tstr, part[0], len[0]);
    tstr[len[0]] = '\0';
    int u2;
    char const t2 = nm_parseIdType(tstr, strlen(tstr), &u2);
    FZ_ASSERT(xj_checkId(part[1], len[1], tstr, run) == id_check(&ctx, t2, norm, nn, 0, 0).reason);
    FZ_ASSERT(xj_checkId(part[1], len[1], NULL, run) == id_check(&ctx, '1', norm, nn, 0, 0).reason);
    const char *const name = xj_idReasonName(xj_checkId(part[1], len[1], tstr, run));
    FZ_ASSERT(name != NULL);
    free(tstr);
    free(norm);
    return 0;
}
