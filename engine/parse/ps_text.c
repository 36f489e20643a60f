/* ps_text — see ps_text.h. */
#include "ps_text.h"

#include <stdint.h>
#include <string.h>

#include "xj_alloc.h"

int ps_isCleanUtf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *const end = p + n;
    while (p < end) {
        /* ASCII runs are the common case: test 8 bytes at a time */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            /* high bit set, or a zero byte, stops the fast path */
            if ((w & 0x8080808080808080ull) || ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)) break;
            p += 8;
        }
        if (p == end) break;
        unsigned const c = *p;
        if (c < 0x80) {
            if (c == 0) return 0;
            p++;
            continue;
        }
        if ((c & 0xF0) == 0xE0 && end - p >= 3) {
            /* three bytes, the common case (CJK): no overlong form (E0 needs
             * A0..BF next), no surrogate (ED needs 80..9F next) */
            unsigned const c1 = p[1], c2 = p[2];
            if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80) return 0;
            if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return 0;
            p += 3;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
        else return 0; /* continuation byte first, C0/C1 overlong lead, or > F4 */
        if ((size_t)(end - p) <= need) return 0;
        for (size_t i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000)) return 0; /* overlong */
        if (cp >= 0xD800 && cp <= 0xDFFF) return 0;                             /* surrogate */
        if (cp > 0x10FFFF) return 0;
        p += need + 1;
    }
    return 1;
}

ps_decoder *ps_decoderCreateGb18030(void)
{
    xj_conv *c = NULL;
    return cv_open("UTF-8", "GB18030", &c) == XJ_OK ? c : NULL;
}

void ps_decoderFree(ps_decoder *d)
{
    cv_close(d);
}

xj_error ps_decodeGb18030(ps_decoder *d, const char *s, size_t n, xj_buf *out)
{
    return cv_convert(d, s, n, out);
}
