/*
 * nm_name — the name normalization of rules §3: NFKC, white space removed,
 * middle-dot variants unified, Latin letters lower-cased.
 *
 * It runs on every record, so there are two paths with one result:
 *  - the fast path handles names made only of code points that NFKC leaves
 *    alone *and* that never take part in a composition (ASCII, CJK Unified
 *    Ideographs and Extension A, U+3000, the middle dots other than U+FF65).
 *    Such a text is already NFKC whatever surrounds each character, so the
 *    remaining steps can be applied code point by code point, in one pass,
 *    without allocating;
 *  - anything else (full-width forms, compatibility ideographs, combining
 *    marks, other scripts) goes through utf8proc_map for NFKC, then the same
 *    per-code-point steps.
 * Both paths reject invalid UTF-8 (the decoder of nm_utf8.h is as strict as
 * utf8proc's). tests/unit checks that the two paths agree on random input.
 * A name longer than out's maximum is XJ_ERR_LIMIT even when removing its
 * white space would make it fit: such a field is garbage anyway.
 */
#include "normalize.h"

#include <stdlib.h>
#include <utf8proc.h>

#include "nm_utf8.h"
#include "xj_status.h"

#define NM_MIDDLE_DOT 0xB7u

static int nm_isMiddleDotVariant(uint32_t c)
{
    /* U+FF65 is absent: NFKC has already turned it into U+30FB. */
    return c == 0x00B7 || c == 0x2022 || c == 0x2027 || c == 0x2219 || c == 0x30FB;
}

static int nm_isLatinBlock(uint32_t c)
{
    return (c >= 0x41 && c <= 0x24F) || (c >= 0x1E00 && c <= 0x1EFF);
}

/* Code points the fast path may take: NFKC-stable, never composed with a
 * neighbour, and with trivial remaining steps. */
static int nm_isFastCodePoint(uint32_t c)
{
    return c < 0x80 || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)
        || c == 0x3000 || nm_isMiddleDotVariant(c);
}

/* The steps after NFKC, for one code point of NFKC text. Sets *changed when
 * a space is dropped or a letter lowered: the text may then need NFKC again. */
static xj_error nm_appendFolded(xj_buf *out, uint32_t c, int *changed)
{
    if (nm_isWhiteSpace(c)) {
        *changed = 1;
        return XJ_OK;
    }
    if (nm_isMiddleDotVariant(c)) c = NM_MIDDLE_DOT;
    else if (nm_isLatinBlock(c)) {
        uint32_t const lower = (uint32_t)utf8proc_tolower((utf8proc_int32_t)c);
        *changed |= lower != c;
        c = lower;
    }
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t const len = utf8proc_encode_char((utf8proc_int32_t)c, enc);
    return buf_append(out, enc, (size_t)len);
}

/* 1 when the whole name was handled; 0 to fall back to the slow path (out
 * then holds a partial result the caller clears); -1 on invalid UTF-8. */
static int nm_nameFast(const unsigned char *s, size_t n, char *dst, size_t *outLen)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char const b = s[i];
        if (b < 0x80) { /* the common case, kept free of the decoder */
            i++;
            if (b == ' ' || (b >= 0x09 && b <= 0x0D)) continue;
            dst[o++] = (char)(b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b);
            continue;
        }
        uint32_t cp;
        size_t const len = nm_decodeUtf8(s + i, n - i, &cp);
        if (len == 0) return -1;
        if (!nm_isFastCodePoint(cp)) return 0;
        if (cp == 0x3000) {
            /* white space: dropped */
        } else if (nm_isMiddleDotVariant(cp)) {
            dst[o++] = (char)0xC2;
            dst[o++] = (char)0xB7;
        } else {
            for (size_t k = 0; k < len; k++) dst[o++] = (char)s[i + k];
        }
        i += len;
    }
    *outLen = o;
    return 1;
}

/* NFKC of s[0..n), then the per-code-point steps, into out. */
static xj_error nm_nfkcFold(const char *s, size_t n, xj_buf *out, int *changed)
{
    buf_clear(out);
    utf8proc_uint8_t *nfkc = NULL;
    utf8proc_ssize_t const m = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n,
                                            &nfkc, UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_STABLE);
    if (m < 0) {
        switch (m) {
        case UTF8PROC_ERROR_NOMEM: return XJ_ERR_NOMEM;
        case UTF8PROC_ERROR_OVERFLOW: return XJ_ERR_LIMIT;
        default: return XJ_ERR_INPUT; /* INVALIDUTF8, NOTASSIGNED */
        }
    }
    xj_error err = XJ_OK;
    for (utf8proc_ssize_t i = 0; i < m && err == XJ_OK;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t const len = utf8proc_iterate(nfkc + i, m - i, &cp);
        if (XJ_NEVER(len <= 0)) { err = XJ_ERR_INTERNAL; break; } /* utf8proc wrote it */
        err = nm_appendFolded(out, (uint32_t)cp, changed);
        i += len;
    }
    free(nfkc); /* utf8proc allocates with malloc */
    return err;
}

xj_error nm_normalizeNameSlow(const char *s, size_t n, xj_buf *out)
{
    int changed = 0;
    FORWARD_IF_ERROR(nm_nfkcFold(s, n, out, &changed));
    if (!changed) return XJ_OK;
    /* Dropping a space or lowering a letter can leave a sequence NFKC would
     * compose ("e" U+0020 U+0301 → "e" U+0301; U+0130 U+0308 → "i" U+0308):
     * one more pass makes the key NFKC, so normalizing is idempotent (found
     * by fuzz_name). A second fold changes nothing that NFKC could undo. */
    xj_buf first;
    buf_init(&first, out->max);
    xj_error err = buf_append(&first, out->data, out->len);
    int again = 0;
    if (!err) err = nm_nfkcFold(first.data, first.len, out, &again);
    buf_free(&first);
    return err;
}

xj_error nm_normalizeName(const char *s, size_t n, xj_buf *out)
{
    buf_clear(out);
    /* The fast path never lengthens the text (a 3-byte dot becomes 2 bytes). */
    xj_error const err = buf_reserve(out, n);
    if (err) return err;
    size_t len = 0;
    int const fast = nm_nameFast((const unsigned char *)s, n, out->data, &len);
    if (fast < 0) {
        buf_clear(out);
        return XJ_ERR_INPUT;
    }
    if (fast > 0) {
        out->len = len;
        out->data[len] = '\0';
        return XJ_OK;
    }
    return nm_normalizeNameSlow(s, n, out);
}
