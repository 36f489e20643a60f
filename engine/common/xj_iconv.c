/* xj_iconv — see xj_iconv.h. */
#include "xj_iconv.h"

#include <errno.h>
#include <iconv.h>

#include "xj_alloc.h"
#include "xj_status.h"

struct xj_conv {
    iconv_t cd;
};

xj_error cv_open(const char *to, const char *from, xj_conv **out)
{
    *out = NULL;
    xj_conv *const c = xj_malloc(sizeof *c);
    if (c == NULL) return XJ_ERR_NOMEM;
    c->cd = iconv_open(to, from);
    if (c->cd == (iconv_t)-1) {
        xj_free(c);
        return XJ_ERR_INPUT;
    }
    *out = c;
    return XJ_OK;
}

void cv_close(xj_conv *c)
{
    if (c == NULL) return;
    iconv_close(c->cd);
    xj_free(c);
}

/* One iconv call into the free room of out; `in` NULL ends the shift state. */
static size_t cv_step(xj_conv *c, char **in, size_t *in_left, xj_buf *out)
{
    size_t const room = out->cap - out->len - 1;
    char *dst = out->data + out->len;
    size_t dst_left = room;
    size_t const r = in ? iconv(c->cd, in, in_left, &dst, &dst_left) : iconv(c->cd, NULL, NULL, &dst, &dst_left);
    out->len += room - dst_left;
    return r;
}

xj_error cv_convert(xj_conv *c, const char *s, size_t n, xj_buf *out)
{
    buf_clear(out);
    iconv(c->cd, NULL, NULL, NULL, NULL);
    /* GB 18030 and UTF-8 both take 1 to 4 bytes a character, so twice the
     * input is room enough nearly always; E2BIG grows it */
    FORWARD_IF_ERROR(buf_reserve(out, n * 2 + 16));
    char *in = (char *)s;
    size_t in_left = n;
    xj_error err = XJ_OK;
    while (!err && in_left > 0) {
        if (cv_step(c, &in, &in_left, out) != (size_t)-1) break;
        if (errno == E2BIG) err = buf_reserve(out, in_left * 4 + 16);
        else err = XJ_ERR_INPUT; /* EILSEQ, EINVAL: not text of that encoding */
    }
    if (!err && cv_step(c, NULL, NULL, out) == (size_t)-1) err = XJ_ERR_INPUT;
    out->data[out->len] = '\0';
    return err;
}
