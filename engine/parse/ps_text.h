/*
 * ps_text — checks and converts the text encoding of a record.
 *
 * UTF-8 is validated strictly (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF) and NUL bytes are refused: a record that fails is
 * rejected with reason `encoding` before any field is looked at. GB 18030
 * input is converted to UTF-8 with iconv, one converter per worker thread.
 */
#ifndef XJ_PS_TEXT_H
#define XJ_PS_TEXT_H

#include <stddef.h>

#include "xj_buf.h"
#include "xj_iconv.h"

/* 1 when s[0..n) is valid UTF-8 without NUL bytes. */
int ps_isCleanUtf8(const char *s, size_t n);
/* The same answer, for long texts (a chunk): 32 bytes a step where the CPU
 * has AVX2 (ps_utf8_bulk.c). */
int ps_isCleanUtf8Bulk(const char *s, size_t n);

/* GB 18030 → UTF-8 is one common/xj_iconv converter. */
typedef xj_conv ps_decoder;

/* NULL when iconv has no GB18030 converter or memory runs out. */
ps_decoder *ps_decoderCreateGb18030(void);
void ps_decoderFree(ps_decoder *d);
/* Appends the UTF-8 form of s[0..n) to out (cleared first). XJ_ERR_INPUT on
 * bytes that are not GB 18030; XJ_ERR_LIMIT / XJ_ERR_NOMEM from the buffer. */
xj_error ps_decodeGb18030(ps_decoder *d, const char *s, size_t n, xj_buf *out);

#endif
