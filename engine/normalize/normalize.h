/*
 * normalize — turns raw field values into the comparison keys of rules §3.
 *
 * In: one field's bytes (UTF-8, already decoded from GBK if needed).
 * Out: the normalized form, or a "cannot parse" signal the parse stage turns
 * into a reject. Pure functions: no allocation except into the caller's
 * xj_buf, no global state, safe from any thread.
 */
#ifndef XJ_NORMALIZE_H
#define XJ_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "xj_buf.h"

#include "xj_text.h" /* values are trimmed with xj_trim before they are read */

/* ID number: removes all whitespace (ASCII, U+3000 and the other Unicode
 * space separators), maps full-width ASCII U+FF01..U+FF5E to ASCII, and 'x'
 * to 'X'. `out` must hold n bytes (the result is never longer). Bytes that
 * are not valid UTF-8 are copied unchanged. Returns the new length. */
size_t nm_normalizeId(const char *s, size_t n, char *out);

/* The old ID of a `G` student number (docs/monthly.md §6): when the number,
 * trimmed, is 'G' followed by exactly 18 characters (code points; the text
 * is valid UTF-8), those characters normalized as an ID number into `out`,
 * and their length; else 0 (also when they normalize to nothing). */
#define NM_OLD_ID_BYTES 72 /* 18 characters of at most 4 bytes */
size_t nm_oldId(const char *student_no, size_t n, char out[NM_OLD_ID_BYTES]);

/* Name: Unicode NFKC, all whitespace removed, middle-dot variants (U+00B7,
 * U+2022, U+2027, U+2219, U+30FB, U+FF65) mapped to U+00B7, Latin letters
 * lower-cased. Appends to `out` (cleared first). XJ_ERR_INPUT when `s` is
 * not valid UTF-8, XJ_ERR_LIMIT / XJ_ERR_NOMEM from the buffer. */
xj_error nm_normalizeName(const char *s, size_t n, xj_buf *out);

/* Sex: 男/女, 1/2, M/F, m/f (trimmed) → 1 (male) or 2 (female); 0 otherwise. */
int nm_parseSex(const char *s, size_t n);

/* Date: YYYY-MM-DD, YYYY/MM/DD (month and day may have one digit) or
 * YYYYMMDD, trimmed, a real calendar date with year 1000..9999 →
 * YYYYMMDD; 0 when it is not one. */
uint32_t nm_parseDate(const char *s, size_t n);

/* ID type (code or Chinese name, trimmed) → '1','6','7','8','9','A','Z'.
 * Empty → '1'. Anything unknown → '1' with *unknown set to 1 (else 0). */
char nm_parseIdType(const char *s, size_t n, int *unknown);

#endif
