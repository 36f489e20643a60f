/*
 * xj_buf — a growable byte buffer with a hard maximum.
 *
 * Like curl's dynbuf, every buffer is created with the largest size it may
 * reach; growing past it is an error the caller reports (XJ_ERR_LIMIT), never
 * a crash or an unbounded allocation. The contents are always NUL-terminated
 * (the NUL is not counted in len) so they can be handed to C string APIs.
 */
#ifndef XJ_BUF_H
#define XJ_BUF_H

#include <stddef.h>

#include "xjdedup.h"

typedef struct xj_buf {
    char *data;   /* NULL until the first append */
    size_t len;   /* bytes in use, excluding the trailing NUL */
    size_t cap;   /* bytes allocated */
    size_t max;   /* len may never exceed this */
} xj_buf;

/* Cannot fail: allocates nothing. */
void buf_init(xj_buf *b, size_t max);
void buf_free(xj_buf *b);
/* Keeps the memory, forgets the contents. Cannot fail. */
void buf_clear(xj_buf *b);

/* XJ_ERR_LIMIT past max, XJ_ERR_NOMEM when memory runs out. */
xj_error buf_reserve(xj_buf *b, size_t extra);
xj_error buf_append(xj_buf *b, const void *src, size_t n);
xj_error buf_appendByte(xj_buf *b, char c);
xj_error buf_appendStr(xj_buf *b, const char *s);
xj_error buf_appendU64(xj_buf *b, unsigned long long v);
xj_error buf_printf(xj_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
