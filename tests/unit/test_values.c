/*
 * test_values — the sex, date and ID-type parsers (rules §2, §4 and
 * docs/decisions.md "Required values", "ID type").
 */
#include <stdint.h>
#include <string.h>

#include "normalize.h"
#include "test_check.h"
#include "xjdedup.h"

static void test_sex(void)
{
    static const struct { const char *in; int out; } kCases[] = {
        {"男", 1}, {"女", 2}, {"1", 1}, {"2", 2}, {"M", 1}, {"F", 2}, {"m", 1}, {"f", 2},
        {" 男 ", 1}, {"\xe3\x80\x80女\xe3\x80\x80", 2}, {"\t1\r", 1},
        {"", 0}, {"0", 0}, {"3", 0}, {"9", 0}, {"男性", 0}, {"male", 0}, {"MF", 0},
        {"11", 0}, {"Ｍ", 0}, {"１", 0}, {"x", 0}, {"男女", 0}, {"\xe7\x94", 0},
        /* three bytes that are neither, one byte off each */
        {"中", 0}, {"\xe7\x94\xb3", 0}, {"\xe5\xa5\xb7", 0}, {"\xe6\x94\xb7", 0}, {"\xe5\xa4\xb3", 0},
        {"\x11", 0}, {"\x12", 0}, {"N", 0}, {"q", 0},
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        int const got = nm_parseSex(kCases[i].in, strlen(kCases[i].in));
        TC_CHECK(got == kCases[i].out, "sex '%s': got %d, want %d", kCases[i].in, got, kCases[i].out);
    }
}

static void test_date(void)
{
    static const struct { const char *in; uint32_t out; } kCases[] = {
        {"2020-01-31", 20200131}, {"2020/01/31", 20200131}, {"20200131", 20200131},
        {"2020-1-5", 20200105}, {"2020/1/05", 20200105}, {"2020-12-5", 20201205},
        {" 2020-01-31 ", 20200131}, {"\xe3\x80\x80" "20200131", 20200131},
        {"2000-02-29", 20000229}, {"2024/2/29", 20240229}, {"19000228", 19000228},
        {"1900-02-29", 0}, {"2023-02-29", 0}, {"2020-04-31", 0}, {"2020-13-01", 0},
        {"2020-00-10", 0}, {"2020-01-00", 0}, {"2020-01-32", 0},
        {"1000-01-01", 10000101}, {"0999-12-31", 0}, {"9999-12-31", 99991231},
        {"2020-01/31", 0}, {"2020/01-31", 0}, {"2020.01.31", 0}, {"2020-001-31", 0},
        {"2020-01-031", 0}, {"2020--01", 0}, {"2020-01-", 0}, {"202001311", 0},
        {"2020013", 0}, {"2020-01-31T00", 0}, {"2020-01-31 00:00:00", 0}, {"", 0},
        {"abcd-01-01", 0}, {"２０２０-01-31", 0}, {"+2020-01-31", 0}, {"2020-1-1x", 0},
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        uint32_t const got = nm_parseDate(kCases[i].in, strlen(kCases[i].in));
        TC_CHECK(got == kCases[i].out, "date '%s': got %u, want %u", kCases[i].in,
                 (unsigned)got, (unsigned)kCases[i].out);
    }
}

/* Random ten-character texts over digits, both separators and a letter,
 * mostly of the YYYY-MM-DD shape: the fast reading of that shape against
 * the rule written out here (at ten characters, no other shape is a date). */
static void test_dateShapes(void)
{
    static const char kOther[] = "0123456789-/x";
    static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    uint64_t x = 0x2545F4914F6CDD1Dull;
    int dates = 0;
    for (int round = 0; round < 300000; round++) {
        char s[10];
        for (int i = 0; i < 10; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int const sep = i == 4 || i == 7;
            s[i] = x % 16 == 0 ? kOther[(x >> 8) % 13] : sep ? ((x >> 8) % 2 ? '-' : '/') : (char)('0' + (x >> 8) % 10);
        }
        uint32_t want = 0;
        int digits = 1;
        for (int i = 0; i < 10; i++)
            if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) digits = 0;
        if (digits && (s[4] == '-' || s[4] == '/') && s[7] == s[4]) {
            int const y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
            int const m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
            int const leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            if (y >= 1000 && m >= 1 && m <= 12 && d >= 1 && d <= kDays[m - 1] + (m == 2 && leap))
                want = (uint32_t)(y * 10000 + m * 100 + d);
        }
        dates += want != 0;
        uint32_t const got = nm_parseDate(s, 10);
        TC_CHECK(got == want, "date '%.10s': got %u, want %u", s, (unsigned)got, (unsigned)want);
    }
    TC_CHECK(dates > 1000, "only %d real dates among the texts", dates);
}

static void test_idType(void)
{
    static const struct { const char *in; char out; int unknown; } kCases[] = {
        {"", '1', 0}, {"  ", '1', 0}, {"1", '1', 0}, {"居民身份证", '1', 0}, {"身份证", '1', 0},
        {"中华人民共和国居民身份证", '1', 0}, {"港澳台居民居住证", '1', 0},
        {"港澳居民居住证", '1', 0}, {"台湾居民居住证", '1', 0},
        {"6", '6', 0}, {"香港特区护照/身份证明", '6', 0}, {"香港特区护照", '6', 0},
        {"香港特区身份证明", '6', 0},
        {"7", '7', 0}, {"澳门特区护照/身份证明", '7', 0}, {"澳门特区护照", '7', 0},
        {"8", '8', 0}, {"台湾居民来往大陆通行证", '8', 0}, {"台胞证", '8', 0},
        {"9", '9', 0}, {"境外永久居住证", '9', 0}, {"外国人永久居留身份证", '9', 0},
        {"A", 'A', 0}, {"a", 'A', 0}, {"护照", 'A', 0}, {"Passport", 'A', 0},
        {"Z", 'Z', 0}, {"z", 'Z', 0}, {"其他", 'Z', 0}, {"其它", 'Z', 0}, {"OTHER", 'Z', 0},
        {" 8 ", '8', 0}, {"\xe3\x80\x80护照\xe3\x80\x80", 'A', 0},
        {"2", '1', 1}, {"B", '1', 1}, {"居民身份", '1', 1}, {"护照 ", 'A', 0}, {"护 照", '1', 1},
        {"10", '1', 1}, {"香港特区", '1', 1}, {"\xff", '1', 1}, {"1 ", '1', 0},
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        int unknown = -1;
        char const got = nm_parseIdType(kCases[i].in, strlen(kCases[i].in), &unknown);
        TC_CHECK(got == kCases[i].out && unknown == kCases[i].unknown,
                 "id type '%s': got %c/%d, want %c/%d", kCases[i].in, got, unknown,
                 kCases[i].out, kCases[i].unknown);
    }
}

/* xj_formatDate, the one way outputs and the CLI write a date: the text
 * xj_parseDate reads back, zero-padded, the year modulo 10000. */
static void test_formatDate(void)
{
    static const struct { uint32_t in; const char *out; } kCases[] = {
        {20261128, "2026-11-28"}, {10000101, "1000-01-01"}, {99991231, "9999-12-31"}, {20240229, "2024-02-29"},
        {19000105, "1900-01-05"}, {0, "0000-00-00"}, {4294967295u, "9496-72-95"},
    };
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        char out[16];
        const char *const got = xj_formatDate(kCases[i].in, out);
        TC_CHECK(got == out && strcmp(out, kCases[i].out) == 0, "%u: got '%s', want '%s'", kCases[i].in, out,
                 kCases[i].out);
        uint32_t back = 0;
        if (i < 5)
            TC_CHECK(xj_parseDate(out, &back) == XJ_OK && back == kCases[i].in, "'%s' reads back as %u", out, back);
    }
}

int main(void)
{
    test_sex();
    test_date();
    test_dateShapes();
    test_idType();
    test_formatDate();
    return tc_finish("test_values");
}
