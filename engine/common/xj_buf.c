/*
 * xj_buf — see xj_buf.h. Capacity doubles, so appends are amortized O(1);
 * the cap is clamped to max + 1 so a bounded buffer never over-allocates.
 */
#include "xj_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xj_alloc.h"

void buf_init(xj_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_free(xj_buf *b)
{
    xj_free(b->data);
    buf_init(b, b->max);
}

void buf_clear(xj_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

xj_error buf_reserve(xj_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) return XJ_ERR_LIMIT;
    size_t const need = b->len + extra + 1;
    if (need <= b->cap) return XJ_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1) cap = b->max + 1;
    char *const grown = xj_realloc(b->data, cap);
    if (grown == NULL) return XJ_ERR_NOMEM;
    b->data = grown;
    b->cap = cap;
    return XJ_OK;
}

xj_error buf_append(xj_buf *b, const void *src, size_t n)
{
    xj_error const err = buf_reserve(b, n);
    if (err) return err;
    if (n) memcpy(b->data + b->len, src, n);
    b->len += n;
    b->data[b->len] = '\0';
    return XJ_OK;
}

xj_error buf_appendByte(xj_buf *b, char c)
{
    return buf_append(b, &c, 1);
}

xj_error buf_appendStr(xj_buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

xj_error buf_appendU64(xj_buf *b, unsigned long long v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return buf_append(b, digits + sizeof digits - n, n);
}

xj_error buf_printf(xj_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int const n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return XJ_ERR_INTERNAL;
    if ((size_t)n < sizeof small) return buf_append(b, small, (size_t)n);
    xj_error const err = buf_reserve(b, (size_t)n);
    if (err) return err;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return XJ_OK;
}
