/*
 * idcheck — the validity rules of rules §4 and the duplicate keys of §5.
 *
 * Every number goes through one function, id_check, that walks the reasons in
 * the order of rules §4 and stops at the first failure, so the reason reported is always
 * the earliest one. The key is computed independently of the reason: invalid
 * numbers still take part in duplicate detection (docs/decisions.md, "Keys of
 * invalid numbers").
 *
 * GB 11643 numbers (type 1, which covers the residence permits, and 18-char
 * type 9) are packed into one uint64_t: 17 digits read as a decimal number
 * (< 10^17) times 11 plus the check value (0..10). The largest key is below
 * 1.1e18, so it fits with room to spare and the map is injective.
 *
 * Choices where docs/rules.md and decisions.md are silent:
 *  - region_unknown (with a region table) applies to type 1 numbers whose
 *    region is a mainland province. Residence permits (810000/820000/830000)
 *    are exempt: their six digits are a fixed permit prefix, not a county,
 *    and 830000 is not a GB/T 2260 code at all. Type 9 is exempt too: on the
 *    2023 card digits 4-6 are the holder's nationality, not a county.
 *  - The old type 9 card takes its 3 letters in either case (ASCII only).
 *  - Types 6/7: "[HM] + 8 or 10 digits" is a subset of "5-20 printable ASCII",
 *    so the check is the latter: bytes 0x21..0x7E (whitespace is already gone).
 *  - A type code other than 1/6/7/8/9/A/Z is treated like 1, as rules §4 does
 *    for unknown types.
 */
#include "idcheck.h"

#include <string.h>

#include "xj_date.h"
#include "xj_digits.h"

#define ID_BIRTH_MIN 19000101u /* rules §4: birth dates from 1900-01-01 */

#define id_isDigit xj_isDigit
#define id_allDigits xj_allDigits
static int id_isAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static const unsigned char kGbWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char kGbChars[12] = "10X98765432"; /* by weighted sum mod 11 */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The weighted digit sum of s[0..8) with weights w[0..8): the even-placed
 * digits and the odd ones each sit in four 16-bit lanes; multiplying by
 * the weights laid out in reverse puts the sum of the products in the top
 * lane (no lane below it reaches 2^16: 4 x 9 x 10 at most). */
static unsigned id_eightWeighted(const char *s, const unsigned char w[8])
{
    uint64_t d;
    memcpy(&d, s, 8);
    d -= 0x3030303030303030ull;
    uint64_t const even = d & 0x00FF00FF00FF00FFull, odd = (d >> 8) & 0x00FF00FF00FF00FFull;
    uint64_t const we = (uint64_t)w[0] << 48 | (uint64_t)w[2] << 32 | (uint64_t)w[4] << 16 | w[6];
    uint64_t const wo = (uint64_t)w[1] << 48 | (uint64_t)w[3] << 32 | (uint64_t)w[5] << 16 | w[7];
    return (unsigned)((even * we) >> 48) + (unsigned)((odd * wo) >> 48);
}
#endif

/* [0-9]{17}[0-9X], the shape every GB 11643 number has: then its packed key
 * (id_pack18) and the check character its 17 digits call for, from one
 * pass over the digits (the scan does this for every record). */
static int id_scanGb(const char *s, size_t n, uint64_t *packed, char *check)
{
    if (n != 18 || !xj_eightDigits(s) || !xj_eightDigits(s + 8) || !id_isDigit(s[16])) return 0;
    if (!id_isDigit(s[17]) && s[17] != 'X') return 0;
    unsigned const last = (unsigned)(s[16] - '0');
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t const v = (xj_eightValue(s) * 100000000u + xj_eightValue(s + 8)) * 10 + last;
    unsigned const sum = id_eightWeighted(s, kGbWeights) + id_eightWeighted(s + 8, kGbWeights + 8) +
                         kGbWeights[16] * last;
#else
    uint64_t v = 0;
    unsigned sum = 0;
    for (int i = 0; i < 17; i++) {
        v = v * 10 + (unsigned)(s[i] - '0');
        sum += kGbWeights[i] * (unsigned)(s[i] - '0');
    }
#endif
    *packed = v * 11 + (s[17] == 'X' ? 10u : (uint64_t)(s[17] - '0'));
    *check = kGbChars[sum % 11];
    return 1;
}

int id_gbShape(const char *num, size_t n, uint64_t *packed)
{
    char check;
    return id_scanGb(num, n, packed, &check);
}

/* The weighted sum mod 11 that gives check character c; -1 for none. */
static int id_sumFor(char c)
{
    for (int i = 0; i < 11; i++)
        if (kGbChars[i] == c) return i;
    return -1;
}

static unsigned id_sum17(const char d17[17])
{
    unsigned sum = 0;
    for (int i = 0; i < 17; i++) sum += kGbWeights[i] * (unsigned)(d17[i] - '0');
    return sum % 11;
}

size_t id_slipNeighbours(const char id18[18], uint64_t out[ID_SLIPS_MAX])
{
    uint64_t packed;
    char check;
    if (!id_scanGb(id18, 18, &packed, &check)) return 0;
    size_t n = 0;
    char k[18];
    memcpy(k, id18, 18);
    unsigned const sum = id_sum17(id18);
    int const want = id_sumFor(id18[17]);
    /* one digit of the 17 changed: the weight is invertible mod 11, so the
     * sum the check character asks for fixes the new digit, if any */
    for (int p = 0; p < 17 && want >= 0; p++) {
        int const d = id18[p] - '0';
        for (int e = 0; e < 10; e++) {
            if (e == d || (sum + 11 * 10 + kGbWeights[p] * (unsigned)e - kGbWeights[p] * (unsigned)d) % 11 != (unsigned)want)
                continue;
            k[p] = (char)('0' + e);
            out[n++] = id_pack18(k);
            k[p] = id18[p];
        }
    }
    /* the check character itself mistyped */
    k[17] = kGbChars[sum];
    if (k[17] != id18[17]) out[n++] = id_pack18(k);
    k[17] = id18[17];
    /* two adjacent digits swapped */
    for (int p = 0; p + 1 < 17; p++) {
        if (id18[p] == id18[p + 1]) continue;
        k[p] = id18[p + 1], k[p + 1] = id18[p];
        if (id_sum17(k) == (unsigned)want) out[n++] = id_pack18(k);
        k[p] = id18[p], k[p + 1] = id18[p + 1];
    }
    /* the last digit and the check character swapped: both must be digits */
    if (id18[17] != 'X' && id18[16] != id18[17]) {
        k[16] = id18[17], k[17] = id18[16];
        if (kGbChars[id_sum17(k)] == k[17]) out[n++] = id_pack18(k);
    }
    return n;
}

/* k, when it has GB shape and a wrong check character, into out. */
static void id_addMistype(const char k[18], uint64_t *out, size_t *n)
{
    uint64_t packed;
    char check;
    if (id_scanGb(k, 18, &packed, &check) && check != k[17]) out[(*n)++] = packed;
}

size_t id_slipMistypes(const char id18[18], uint64_t out[ID_MISTYPES_MAX])
{
    uint64_t packed;
    char check;
    if (!id_scanGb(id18, 18, &packed, &check)) return 0;
    static const char kSymbols[] = "0123456789X";
    char k[18];
    memcpy(k, id18, 18);
    size_t n = 0;
    for (int p = 0; p < 18; p++) /* 17 x 9 digits, then 10 check characters */
        for (int c = p < 17 ? 9 : 10; c >= 0; c--) {
            if (kSymbols[c] == id18[p]) continue;
            k[p] = kSymbols[c];
            id_addMistype(k, out, &n);
            k[p] = id18[p];
        }
    for (int p = 0; p < 17; p++) { /* 17 swaps */
        if (id18[p] == id18[p + 1]) continue;
        k[p] = id18[p + 1], k[p + 1] = id18[p];
        id_addMistype(k, out, &n);
        k[p] = id18[p], k[p + 1] = id18[p + 1];
    }
    return n;
}

char id_checkChar(const char d17[17])
{
    unsigned sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!id_isDigit(d17[i])) return 0;
        sum += kGbWeights[i] * (unsigned)(d17[i] - '0');
    }
    return kGbChars[sum % 11];
}

uint64_t id_pack18(const char id18[18])
{
    uint64_t v = 0;
    for (int i = 0; i < 17; i++) v = v * 10 + (uint64_t)(id18[i] - '0');
    uint64_t const check = id18[17] == 'X' ? 10 : (uint64_t)(id18[17] - '0');
    return v * 11 + check;
}

void id_unpack18(uint64_t key, char out18[18])
{
    uint64_t const check = key % 11;
    uint64_t v = key / 11;
    out18[17] = check == 10 ? 'X' : (char)('0' + check);
    for (int i = 16; i >= 0; i--) {
        out18[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void id_upgrade15(const char id15[15], char out18[18])
{
    memcpy(out18, id15, 6);
    out18[6] = '1';
    out18[7] = '9';
    memcpy(out18 + 8, id15 + 6, 9);
    out18[17] = id_checkChar(out18);
}

/* Two ASCII digits as a GB/T 2260 province code (rules §4 list). */
static int id_isProvince(const char p[2])
{
    if (!id_isDigit(p[0]) || !id_isDigit(p[1])) return 0;
    int const c = (p[0] - '0') * 10 + (p[1] - '0');
    return (c >= 11 && c <= 15) || (c >= 21 && c <= 23) || (c >= 31 && c <= 37)
        || (c >= 41 && c <= 46) || (c >= 50 && c <= 54) || (c >= 61 && c <= 65);
}

static int id_isPermitPrefix(const char *s)
{
    return memcmp(s, "810000", 6) == 0 || memcmp(s, "820000", 6) == 0
        || memcmp(s, "830000", 6) == 0;
}

static uint32_t id_digitsValue(const char *s, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (uint32_t)(s[i] - '0');
    return v;
}

/* Reasons REGION .. SEX_MISMATCH for a GB-shaped 18-char number. */
static xj_idReason id_checkGb(const id_context *ctx, char type, const char *s, char check,
                              int sex, uint32_t birth)
{
    if (type == '9') {
        if (s[0] != '9' || !id_isProvince(s + 1)) return XJ_ID_REGION;
    } else {
        int const permit = id_isPermitPrefix(s);
        if (!permit && !id_isProvince(s)) return XJ_ID_REGION;
        if (!permit && ctx->regions && !id_regionKnown(ctx->regions, s))
            return XJ_ID_REGION_UNKNOWN;
    }

    uint32_t const y = id_digitsValue(s + 6, 4), m = id_digitsValue(s + 10, 2),
                   d = id_digitsValue(s + 12, 2);
    uint32_t const idBirth = dt_make((int)y, (int)m, (int)d);
    if (idBirth == 0 || idBirth < ID_BIRTH_MIN || idBirth > ctx->run_date)
        return XJ_ID_BIRTHDATE;

    if (check != s[17]) return XJ_ID_CHECKSUM;

    if (birth != 0 && birth != idBirth) return XJ_ID_BIRTHDATE_MISMATCH;

    /* 17th digit odd = male (1), even = female (2). */
    int const idSex = ((s[16] - '0') & 1) ? 1 : 2;
    if ((sex == 1 || sex == 2) && sex != idSex) return XJ_ID_SEX_MISMATCH;
    return XJ_ID_OK;
}

static int id_isPrintableAscii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E) return 0;
    return 1;
}

static int id_isAlnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!id_isDigit(s[i]) && !id_isAsciiLetter(s[i])) return 0;
    return 1;
}

/* Format of the non-GB types; 1 when the number has its type's shape. */
static int id_otherFormatOk(char type, const char *s, size_t n)
{
    switch (type) {
    case '8': return (n == 8 || n == 10) && id_allDigits(s, n);
    case '6':
    case '7': return n >= 5 && n <= 20 && id_isPrintableAscii(s, n);
    case 'A': return n >= 5 && n <= 20 && id_isAlnum(s, n);
    case '9': return n == 15 && id_isAsciiLetter(s[0]) && id_isAsciiLetter(s[1])
                     && id_isAsciiLetter(s[2]) && id_allDigits(s + 3, 12);
    default: return 1; /* 'Z': anything */
    }
}

/* Each return builds its result from scalars: a result whose `gb` was
 * filled through a pointer lived on the stack and was copied out with a
 * 16-byte load over a 4-byte store just made, which the CPU cannot forward
 * (perf put 60 % of id_check on that copy). */
id_result id_check(const id_context *ctx, char type, const char *num, size_t n,
                   int sex, uint32_t birth)
{
    switch (type) {
    case '1': case '6': case '7': case '8': case '9': case 'A': case 'Z': break;
    default: type = '1';
    }

    if (n == 0) return (id_result){type == 'Z' ? XJ_ID_OK : XJ_ID_MISSING, ID_KEY_NONE, 0, 0};

    uint64_t gb;
    char check;
    if ((type == '1' || type == '9') && id_scanGb(num, n, &gb, &check)) {
        xj_idReason const reason = id_checkGb(ctx, type, num, check, sex, birth);
        return (id_result){reason, ID_KEY_GB, gb, check != num[17]};
    }

    if (type == '1' && n == 15 && id_allDigits(num, 15)) {
        char up[18];
        id_upgrade15(num, up);
        return (id_result){XJ_ID_LEGACY15, ID_KEY_GB, id_pack18(up), 0};
    }

    int const bad = type == '1' || !id_otherFormatOk(type, num, n);
    return (id_result){bad ? XJ_ID_FORMAT : XJ_ID_OK, ID_KEY_OTHER, 0, 0};
}
