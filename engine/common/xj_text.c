/* xj_text — see xj_text.h. */
#include "xj_text.h"

static int tx_isAsciiSpace(unsigned char c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
}

/* U+3000 is E3 80 80 in UTF-8. */
static int tx_isIdeoSpaceAt(const unsigned char *s, size_t n)
{
    return n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80;
}

void xj_trimEnds(const char **s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t len = *n;
    for (;;) {
        if (len > 0 && tx_isAsciiSpace(p[0])) { p++; len--; }
        else if (tx_isIdeoSpaceAt(p, len)) { p += 3; len -= 3; }
        else break;
    }
    for (;;) {
        if (len > 0 && tx_isAsciiSpace(p[len - 1])) len--;
        else if (len >= 3 && tx_isIdeoSpaceAt(p + len - 3, 3)) len -= 3;
        else break;
    }
    *s = (const char *)p;
    *n = len;
}
