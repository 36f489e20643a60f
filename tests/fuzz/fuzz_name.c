/*
 * fuzz_name — name normalization (rules §3: NFKC, white space removed,
 * middle dots unified, Latin lower-cased) on arbitrary bytes.
 *
 * Invariants:
 *  - the verdict is XJ_ERR_INPUT exactly when the input is not valid UTF-8
 *    (utf8proc's reading), else XJ_OK (the buffer is large enough here);
 *  - the fast path and the utf8proc-only path (nm_normalizeNameSlow) give
 *    the same verdict and the same bytes;
 *  - the output is valid UTF-8, holds no White_Space code point, no middle
 *    dot variant other than U+00B7, no upper-case letter of the Latin blocks
 *    and no NUL unless the input had one;
 *  - normalizing the output again gives the output (NFKC of NFKC), also
 *    when removing white space or lower-casing leaves text NFKC composes
 *    (fixtures/fuzz/crashes/README.md: found here, fixed in nm_name.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "normalize.h"
#include "nm_utf8.h"
#include "xj_buf.h"

#include "fuzz_common.h"

#define FZ_NAME_MAX (4u * (64u << 10)) /* ck_scratch's limit for a name */

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

static int fz_isLatinBlock(utf8proc_int32_t c)
{
    return (c >= 0x41 && c <= 0x24F) || (c >= 0x1E00 && c <= 0x1EFF);
}

static void fz_checkOutput(const char *s, size_t n, int input_has_nul)
{
    FZ_ASSERT(fz_validUtf8(s, n));
    FZ_ASSERT(s[n] == '\0'); /* xj_buf keeps its contents terminated */
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t const len = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        FZ_ASSERT(!fz_isSpace(cp));
        FZ_ASSERT(cp != 0x2022 && cp != 0x2027 && cp != 0x2219 && cp != 0x30FB && cp != 0xFF65);
        if (fz_isLatinBlock(cp)) FZ_ASSERT(utf8proc_tolower(cp) == cp);
        if (cp == 0) FZ_ASSERT(input_has_nul);
        i += (size_t)len;
    }
}

/* Normalizing the output again must change nothing. The steps after NFKC
 * (white space removed, Latin lower-cased) once left text a second pass
 * composed ("e \u0301", "e\u00A8", "\u0130\u0308"; the found-* inputs of
 * the corpus); the key must be a fixed point whatever the input. */
static void fz_checkIdempotent(const xj_buf *out, xj_buf *again)
{
    FZ_ASSERT(nm_normalizeName(out->data, out->len, again) == XJ_OK);
    FZ_ASSERT(again->len == out->len && memcmp(again->data, out->data, out->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *const s = (const char *)data;
    /* kept from input to input (each call clears its output): only their
     * capacity carries over */
    static xj_buf out, slow, again;
    if (out.max == 0) {
        buf_init(&out, FZ_NAME_MAX);
        buf_init(&slow, FZ_NAME_MAX);
        buf_init(&again, FZ_NAME_MAX);
    }
    xj_error const err = nm_normalizeName(s, size, &out);
    xj_error const err_slow = nm_normalizeNameSlow(s, size, &slow);
    FZ_ASSERT(err == err_slow);
    int const valid = fz_validUtf8(s, size);
    if (!valid) FZ_ASSERT(err == XJ_ERR_INPUT);
    else FZ_ASSERT(err == XJ_OK || err == XJ_ERR_LIMIT);
    if (err == XJ_OK) {
        FZ_ASSERT(out.len == slow.len && memcmp(out.data ? out.data : "", slow.data ? slow.data : "", out.len) == 0);
        if (out.len > 0) {
            fz_checkOutput(out.data, out.len, memchr(s, '\0', size) != NULL);
            fz_checkIdempotent(&out, &again);
        }
    }
    return 0;
}
