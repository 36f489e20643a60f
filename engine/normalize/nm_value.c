/*
 * nm_value — sex, dates and ID types: small closed vocabularies parsed from
 * trimmed field text. Each parser returns a sentinel (0, or '1' with
 * *unknown set) instead of failing, and the parse stage decides whether that
 * rejects the row (docs/decisions.md, "Required values", "ID type").
 *
 * ID type vocabulary (matched after trimming; ASCII case ignored):
 *   1  1, 居民身份证, 身份证, 中华人民共和国居民身份证,
 *      港澳台居民居住证, 港澳居民居住证, 台湾居民居住证 (the permits, rules §4)
 *   6  6, 香港特区护照/身份证明, 香港特区护照, 香港特区身份证明
 *   7  7, 澳门特区护照/身份证明, 澳门特区护照, 澳门特区身份证明
 *   8  8, 台湾居民来往大陆通行证, 台胞证
 *   9  9, 境外永久居住证, 外国人永久居留身份证, 外国人永久居留证
 *   A  A, 护照, passport
 *   Z  Z, 其他, 其它, other
 * The English forms cover exports whose code lists were translated; the
 * short Chinese forms are the names officers actually type. Nothing is
 * matched by prefix: a near miss is an unknown type, counted in summary.json.
 */
#include "normalize.h"

#include <string.h>

#include "xj_date.h"
#include "xj_digits.h"

/* ASCII case-insensitive; bytes >= 0x80 compare exactly. */
static int nm_equalsNoCase(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)lit[i];
        if (a >= 'A' && a <= 'Z') a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z') b = (unsigned char)(b + 32);
        if (a != b) return 0;
    }
    return 1;
}

/* Which of the two a record holds is a coin toss, so the answer is
 * computed without a branch on it: branching on 男 or 女 was mispredicted
 * every other record (perf: 60 % of the function on two branches). */
int nm_parseSex(const char *s, size_t n)
{
    xj_trim(&s, &n);
    if (n == 1) {
        char const c = s[0];
        return ((c == '1') | (c == 'M') | (c == 'm')) | ((c == '2') | (c == 'F') | (c == 'f')) << 1;
    }
    if (n != 3) return 0;
    /* the three UTF-8 bytes of 男 (E7 94 B7) and 女 (E5 A5 B3), first byte lowest */
    uint32_t const v = (uint32_t)(unsigned char)s[0] | (uint32_t)(unsigned char)s[1] << 8 |
                       (uint32_t)(unsigned char)s[2] << 16;
    return (v == 0xB794E7u) | (v == 0xB3A5E5u) << 1;
}

/* Reads 1..max ASCII digits at s[*i]; -1 when there is none. */
static int nm_readNumber(const char *s, size_t n, size_t *i, size_t max)
{
    int v = 0;
    size_t k = 0;
    while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k == 0 ? -1 : v;
}

#define nm_allDigits xj_allDigits

uint32_t nm_parseDate(const char *s, size_t n)
{
    xj_trim(&s, &n);
    int y, m, d;
    char digits[8]; /* the shape nearly every date has: its eight digits read as one number */
    if (n == 10 && (s[4] == '-' || s[4] == '/') && s[7] == s[4] &&
        (memcpy(digits, s, 4), memcpy(digits + 4, s + 5, 2), memcpy(digits + 6, s + 8, 2), xj_eightDigits(digits))) {
        uint32_t const v = (uint32_t)xj_eightValue(digits);
        y = (int)(v / 10000);
        m = (int)(v / 100 % 100);
        d = (int)(v % 100);
    } else if (n == 8 && nm_allDigits(s, 8)) {
        size_t i = 0;
        y = nm_readNumber(s, n, &i, 4);
        m = nm_readNumber(s, n, &i, 2);
        d = nm_readNumber(s, n, &i, 2);
    } else {
        /* YYYY sep M[M] sep D[D], one separator used twice. */
        if (n < 8 || n > 10 || !nm_allDigits(s, 4) || (s[4] != '-' && s[4] != '/')) return 0;
        char const sep = s[4];
        size_t i = 0;
        y = nm_readNumber(s, n, &i, 4);
        i++;
        m = nm_readNumber(s, n, &i, 2);
        if (m < 0 || i >= n || s[i] != sep) return 0;
        i++;
        d = nm_readNumber(s, n, &i, 2);
        if (d < 0 || i != n) return 0;
    }
    if (y < 1000) return 0;
    return dt_make(y, m, d);
}

typedef struct nm_typeName {
    const char *text; /* as it appears in input, trimmed */
    char code;        /* the student system's code */
} nm_typeName;

static const nm_typeName kTypeNames[] = {
    {"1", '1'}, {"居民身份证", '1'}, {"身份证", '1'}, {"中华人民共和国居民身份证", '1'},
    {"港澳台居民居住证", '1'}, {"港澳居民居住证", '1'}, {"台湾居民居住证", '1'},
    {"6", '6'}, {"香港特区护照/身份证明", '6'}, {"香港特区护照", '6'}, {"香港特区身份证明", '6'},
    {"7", '7'}, {"澳门特区护照/身份证明", '7'}, {"澳门特区护照", '7'}, {"澳门特区身份证明", '7'},
    {"8", '8'}, {"台湾居民来往大陆通行证", '8'}, {"台胞证", '8'},
    {"9", '9'}, {"境外永久居住证", '9'}, {"外国人永久居留身份证", '9'}, {"外国人永久居留证", '9'},
    {"A", 'A'}, {"护照", 'A'}, {"passport", 'A'},
    {"Z", 'Z'}, {"其他", 'Z'}, {"其它", 'Z'}, {"other", 'Z'},
};

char nm_parseIdType(const char *s, size_t n, int *unknown)
{
    xj_trim(&s, &n);
    *unknown = 0;
    if (n == 0) return '1';
    /* exports mostly hold the one-character code: every record asks */
    if (n == 1) {
        switch (s[0]) {
        case '1': case '6': case '7': case '8': case '9': return s[0];
        default: break;
        }
    }
    for (size_t i = 0; i < sizeof kTypeNames / sizeof kTypeNames[0]; i++)
        if (nm_equalsNoCase(s, n, kTypeNames[i].text)) return kTypeNames[i].code;
    *unknown = 1;
    return '1';
}
