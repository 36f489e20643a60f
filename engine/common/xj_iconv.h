/*
 * xj_iconv — one conversion between two text encodings, whole values at a
 * time: GB 18030 input to UTF-8 (parse, --encoding gbk) and UTF-8 to GB 18030
 * for the per-school files (emit, --output-encoding gbk). One converter per
 * thread: iconv descriptors carry state.
 */
#ifndef XJ_ICONV_H
#define XJ_ICONV_H

#include <stddef.h>

#include "xj_buf.h"
#include "xjdedup.h"

typedef struct xj_conv xj_conv;

/* A converter from `from` to `to` (iconv names, e.g. "GB18030", "UTF-8").
 * XJ_ERR_INPUT when this system's iconv has no such conversion, XJ_ERR_NOMEM. */
xj_error cv_open(const char *to, const char *from, xj_conv **out);
/* cv_close(NULL) does nothing. */
void cv_close(xj_conv *c);
/* s[0..n) converted whole into out (cleared first, grown as needed, NUL
 * terminated). XJ_ERR_INPUT when s is not valid text of `from` or ends inside
 * a character; out then holds what came before. XJ_ERR_NOMEM / XJ_ERR_LIMIT
 * from the buffer. */
xj_error cv_convert(xj_conv *c, const char *s, size_t n, xj_buf *out);

#endif
