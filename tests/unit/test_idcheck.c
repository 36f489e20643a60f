/*
 * test_idcheck — the ID validation table of rules §4 and docs/decisions.md.
 *
 * Expected check characters were worked out independently of the code under
 * test (ISO 7064 MOD 11-2 by a separate script, starting from the published
 * samples 11010519491231002X and 440524188001010014); none is computed here.
 * Every reason has a case, and every boundary the brief lists (leap days,
 * 1900-01-01, the run date, X / x, full width, spaces, U+3000, legacy15,
 * permits, type 9, the other types' formats, region_unknown).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idcheck.h"
#include "test_check.h"
#include "xjdedup.h"

#define RUN_DATE 20261128u

typedef struct idCase {
    const char *type;     /* as in input; NULL = type 1 */
    const char *number;   /* raw, before normalization */
    xj_idReason expect;   /* from xj_checkId */
} idCase;

static const idCase kCases[] = {
    /* missing, and type Z may be empty */
    {NULL, "", XJ_ID_MISSING},
    {"1", "   ", XJ_ID_MISSING},
    {"6", "", XJ_ID_MISSING}, {"7", "", XJ_ID_MISSING}, {"8", "", XJ_ID_MISSING},
    {"9", "", XJ_ID_MISSING}, {"A", "", XJ_ID_MISSING}, {"Z", "", XJ_ID_OK},
    /* the published sample, its X and normalization variants */
    {NULL, "11010519491231002X", XJ_ID_OK},
    {"1", "11010519491231002x", XJ_ID_OK},
    {"居民身份证", "１１０１０５１９４９１２３１００２Ｘ", XJ_ID_OK},
    {NULL, "１１０１０５１９４９１２３１００２ｘ", XJ_ID_OK},
    {NULL, " 110105 19491231 002X ", XJ_ID_OK},
    {NULL, "110105\xe3\x80\x80" "19491231\t002X", XJ_ID_OK},        /* U+3000, tab inside */
    {NULL, "\xe3\x80\x80" "11010519491231002X\xe3\x80\x80", XJ_ID_OK},
    {NULL, "110105\xc2\xa0" "19491231\xe2\x80\x83" "002X", XJ_ID_OK}, /* U+00A0, U+2003 */
    {NULL, "110105194912310021", XJ_ID_CHECKSUM},
    {NULL, "110105194912310020", XJ_ID_CHECKSUM},
    {NULL, "440524188001010014", XJ_ID_BIRTHDATE}, /* right check char, but 1880 */
    /* format */
    {NULL, "11010519491231002", XJ_ID_FORMAT},      /* 17 */
    {NULL, "11010519491231002X1", XJ_ID_FORMAT},    /* 19 */
    {NULL, "11010519491231002Y", XJ_ID_FORMAT},
    {NULL, "X1010519491231002X", XJ_ID_FORMAT},
    {NULL, "1101051949123100X2", XJ_ID_FORMAT},
    {NULL, "1101051949-231002X", XJ_ID_FORMAT},
    {NULL, "11010519491231002\xff", XJ_ID_FORMAT},  /* not UTF-8 */
    {NULL, "张三", XJ_ID_FORMAT},
    {NULL, "1101054912310021", XJ_ID_FORMAT},       /* 16 digits */
    {NULL, "11010549123100X", XJ_ID_FORMAT},        /* 15 chars, not all digits */
    /* legacy 15 */
    {NULL, "110105491231002", XJ_ID_LEGACY15},
    {"1", "１１０１０５４９１２３１００２", XJ_ID_LEGACY15},
    /* region: provinces, permits */
    {NULL, "160105200001010015", XJ_ID_REGION},
    {NULL, "710105200001010018", XJ_ID_REGION},     /* 71 not on the list */
    {NULL, "000000200001010013", XJ_ID_REGION},
    {NULL, "650101198001010016", XJ_ID_OK},
    {NULL, "810000200001010014", XJ_ID_OK},
    {"港澳台居民居住证", "820000199912310022", XJ_ID_OK},
    {NULL, "830000200506150032", XJ_ID_OK},
    {NULL, "84000020000101001X", XJ_ID_REGION},
    {NULL, "810001200001010010", XJ_ID_REGION},
    /* every edge of the province list (rules §4), type 1 then type 9 */
    {NULL, "100105200001010014", XJ_ID_REGION}, {NULL, "110105200001010016", XJ_ID_OK},
    {NULL, "150105200001010013", XJ_ID_OK}, {NULL, "160105200001010015", XJ_ID_REGION},
    {NULL, "200105200001010018", XJ_ID_REGION}, {NULL, "21010520000101001X", XJ_ID_OK},
    {NULL, "230105200001010013", XJ_ID_OK}, {NULL, "240105200001010015", XJ_ID_REGION},
    {NULL, "300105200001010011", XJ_ID_REGION}, {NULL, "310105200001010013", XJ_ID_OK},
    {NULL, "370105200001010014", XJ_ID_OK}, {NULL, "380105200001010016", XJ_ID_REGION},
    {NULL, "400105200001010015", XJ_ID_REGION}, {NULL, "410105200001010017", XJ_ID_OK},
    {NULL, "460105200001010016", XJ_ID_OK}, {NULL, "470105200001010018", XJ_ID_REGION},
    {NULL, "490105200001010011", XJ_ID_REGION}, {NULL, "500105200001010019", XJ_ID_OK},
    {NULL, "540105200001010016", XJ_ID_OK}, {NULL, "550105200001010018", XJ_ID_REGION},
    {NULL, "600105200001010012", XJ_ID_REGION}, {NULL, "610105200001010014", XJ_ID_OK},
    {NULL, "650105200001010011", XJ_ID_OK}, {NULL, "660105200001010013", XJ_ID_REGION},
    {"9", "910840199001011239", XJ_ID_REGION}, {"9", "91184019900101123X", XJ_ID_OK},
    {"9", "94684019900101123X", XJ_ID_OK}, {"9", "947840199001011230", XJ_ID_REGION},
    {"9", "965840199001011232", XJ_ID_OK}, {"9", "966840199001011233", XJ_ID_REGION},
    /* region fails before birthdate (month 13) is looked at */
    {NULL, "160105200013010019", XJ_ID_REGION},
    /* birthdate boundaries */
    {NULL, "110105200002290013", XJ_ID_OK},         /* 2000-02-29 */
    {NULL, "110105190002290017", XJ_ID_BIRTHDATE},  /* 1900 is no leap year */
    {NULL, "11010520240229002X", XJ_ID_OK},         /* 2024-02-29 */
    {NULL, "110105190001010036", XJ_ID_OK},         /* 1900-01-01 */
    {NULL, "11010518991231004X", XJ_ID_BIRTHDATE},  /* 1899-12-31 */
    {NULL, "110105202611280055", XJ_ID_OK},         /* the run date */
    {NULL, "110105202611290069", XJ_ID_BIRTHDATE},  /* run date + 1 */
    {NULL, "110105202602300018", XJ_ID_BIRTHDATE},  /* Feb 30 */
    {NULL, "110105200013010013", XJ_ID_BIRTHDATE},  /* month 13 */
    /* type 9: the 2023 card (GB checks, type-9 region) and the old card */
    {"9", "91184019900101123X", XJ_ID_OK},
    {"境外永久居住证", "91184019900101123x", XJ_ID_OK},
    {"9", "911840199001011231", XJ_ID_CHECKSUM},
    {"9", "811840199001011236", XJ_ID_REGION},      /* does not start with 9 */
    {"9", "901840199001011238", XJ_ID_REGION},      /* 01 no province */
    {"1", "91184019900101123X", XJ_ID_REGION},      /* 91 is no type-1 province */
    {"9", "USA123456789012", XJ_ID_OK},
    {"9", "usa123456789012", XJ_ID_OK},
    {"9", "US1234567890123", XJ_ID_FORMAT},
    {"9", "USA12345678901", XJ_ID_FORMAT},
    {"9", "110105491231002", XJ_ID_FORMAT},         /* no legacy15 for type 9 */
    {"9", "9118401990010112", XJ_ID_FORMAT},
    /* type 8: 8 or 10 digits */
    {"8", "12345678", XJ_ID_OK},
    {"台湾居民来往大陆通行证", "1234567890", XJ_ID_OK},
    {"8", "123456789", XJ_ID_FORMAT},
    {"8", "H1234567", XJ_ID_FORMAT},
    {"8", "810000200001010014", XJ_ID_FORMAT},      /* a permit filed under 8 keeps 8's rules */
    /* types 6 / 7: [HM] + 8/10 digits or 5-20 printable ASCII */
    {"6", "H12345678", XJ_ID_OK},
    {"7", "M1234567890", XJ_ID_OK},
    {"6", "AB-12", XJ_ID_OK},
    {"6", "ABCD", XJ_ID_FORMAT},
    {"7", "12345678901234567890", XJ_ID_OK},
    {"7", "123456789012345678901", XJ_ID_FORMAT},
    {"6", "香港12345", XJ_ID_FORMAT},
    {"6", "810000200001010014", XJ_ID_OK},
    /* type A: 5-20 letters and digits */
    {"A", "E12345678", XJ_ID_OK},
    {"护照", "E1234", XJ_ID_OK},
    {"A", "E123", XJ_ID_FORMAT},
    {"A", "E-1234567", XJ_ID_FORMAT},
    {"A", "E1234567890123456789X", XJ_ID_FORMAT},
    /* type Z: anything */
    {"Z", "anything at all 中文", XJ_ID_OK},
    {"其他", "?", XJ_ID_OK},
    /* unknown type: like 1 */
    {"foo", "11010519491231002X", XJ_ID_OK},
    {"foo", "12345678", XJ_ID_FORMAT},
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
        const idCase *const c = &kCases[i];
        xj_idReason const got = xj_checkId(c->number, strlen(c->number), c->type, RUN_DATE);
        TC_CHECK(got == c->expect, "case %zu type %s number '%s': got %s, want %s", i,
                 c->type ? c->type : "(null)", c->number, xj_idReasonName(got),
                 xj_idReasonName(c->expect));
    }
}

static void test_checkChar(void)
{
    TC_CHECK(xj_idCheckChar("11010519491231002") == 'X', "sample X");
    TC_CHECK(xj_idCheckChar("44052418800101001") == '4', "sample 4");
    TC_CHECK(xj_idCheckChar("11010520000229001") == '3', "2000 leap");
    TC_CHECK(xj_idCheckChar("81000020000101001") == '4', "permit");
    TC_CHECK(xj_idCheckChar("1101051949123100a") == 0, "non-digit");
    TC_CHECK(id_checkChar("91184019900101123") == 'X', "type 9");
}

static void test_reasonNames(void)
{
    static const char *const kNames[] = {"", "missing", "format", "legacy15", "region",
        "region_unknown", "birthdate", "checksum", "birthdate_mismatch", "sex_mismatch", "id_changed", "not_found",
        "name_mismatch"};
    TC_CHECK(sizeof kNames / sizeof kNames[0] == XJ_ID_REASON_COUNT, "reason count");
    for (int r = 0; r < XJ_ID_REASON_COUNT; r++)
        TC_CHECK(strcmp(xj_idReasonName((xj_idReason)r), kNames[r]) == 0, "reason %d", r);
    TC_CHECK(strcmp(xj_idReasonName(XJ_ID_REASON_COUNT), "") == 0, "out of range");
}

static id_result check(const id_context *ctx, char type, const char *num, int sex, uint32_t birth)
{
    return id_check(ctx, type, num, strlen(num), sex, birth);
}

typedef struct recordCase {
    char type;          /* code as nm_parseIdType gives it */
    const char *number; /* normalized */
    int sex;            /* record's sex, 0 = skip */
    uint32_t birth;     /* record's birth date, 0 = skip */
    xj_idReason expect;
    const char *why;
} recordCase;

/* 11010519491231002X: born 1949-12-31, 17th digit 2 → female.
 * 110105200001010016: 17th digit 1 → male. 91184019900101123X: 3 → male. */
static const recordCase kRecordCases[] = {
    {'1', "11010519491231002X", 2, 19491231, XJ_ID_OK, "match"},
    {'1', "11010519491231002X", 0, 0, XJ_ID_OK, "skipped"},
    {'1', "11010519491231002X", 1, 19491231, XJ_ID_SEX_MISMATCH, "sex"},
    {'1', "11010519491231002X", 1, 0, XJ_ID_SEX_MISMATCH, "sex, birth skipped"},
    {'1', "11010519491231002X", 2, 19491230, XJ_ID_BIRTHDATE_MISMATCH, "birth"},
    {'1', "11010519491231002X", 1, 19491230, XJ_ID_BIRTHDATE_MISMATCH, "birth before sex"},
    {'1', "11010519491231002X", 0, 19491230, XJ_ID_BIRTHDATE_MISMATCH, "birth, sex skipped"},
    {'1', "110105194912310021", 1, 19000101, XJ_ID_CHECKSUM, "checksum before mismatches"},
    {'1', "110105200001010016", 1, 20000101, XJ_ID_OK, "male"},
    {'1', "110105200001010016", 2, 20000101, XJ_ID_SEX_MISMATCH, "male filed as 2"},
    {'9', "91184019900101123X", 1, 19900101, XJ_ID_OK, "type 9 male"},
    {'9', "91184019900101123X", 2, 19900101, XJ_ID_SEX_MISMATCH, "type 9 sex"},
    {'9', "91184019900101123X", 2, 19900102, XJ_ID_BIRTHDATE_MISMATCH, "type 9 birth"},
    {'1', "110105491231002", 1, 20000101, XJ_ID_LEGACY15, "legacy15 even when the record disagrees"},
};

static void test_mismatch(void)
{
    id_context const ctx = {RUN_DATE, NULL};
    for (size_t i = 0; i < sizeof kRecordCases / sizeof kRecordCases[0]; i++) {
        const recordCase *const c = &kRecordCases[i];
        xj_idReason const got = check(&ctx, c->type, c->number, c->sex, c->birth).reason;
        TC_CHECK(got == c->expect, "%s: %s sex %d birth %u gave %s", c->why, c->number, c->sex,
                 (unsigned)c->birth, xj_idReasonName(got));
    }
}

static void test_keys(void)
{
    id_context const ctx = {RUN_DATE, NULL};
    id_result const full = check(&ctx, '1', "11010519491231002X", 0, 0);
    id_result const old = check(&ctx, '1', "110105491231002", 0, 0);
    TC_CHECK(full.space == ID_KEY_GB && old.space == ID_KEY_GB, "GB space");
    TC_CHECK(full.gb == old.gb, "legacy15 key equals the 18-digit key");
    char up[18];
    id_upgrade15("110105491231002", up);
    TC_CHECK(memcmp(up, "11010519491231002X", 18) == 0, "upgrade15 gives %.18s", up);
    id_upgrade15("440524800101001", up);
    TC_CHECK(memcmp(up, "440524198001010013", 18) == 0, "upgrade15 inserts 19: %.18s", up);

    /* invalid GB-shaped numbers still get GB keys; the packing is injective */
    id_result const bad = check(&ctx, '1', "110105194912310021", 0, 0);
    TC_CHECK(bad.space == ID_KEY_GB && bad.gb != full.gb, "checksum-bad key");
    id_result const zero = check(&ctx, '1', "110105194912310020", 0, 0);
    TC_CHECK(zero.gb != bad.gb && zero.gb != full.gb, "check chars kept apart");
    id_result const t9 = check(&ctx, '9', "91184019900101123X", 0, 0);
    id_result const t1 = check(&ctx, '1', "91184019900101123X", 0, 0);
    TC_CHECK(t9.space == ID_KEY_GB && t1.space == ID_KEY_GB && t9.gb == t1.gb,
             "types 1 and 9 share the GB space");

    static const struct { char type; const char *number; id_keySpace space; } kSpaces[] = {
        {'1', "1234", ID_KEY_OTHER}, {'9', "USA123456789012", ID_KEY_OTHER},
        {'8', "12345678", ID_KEY_OTHER}, {'6', "810000200001010014", ID_KEY_OTHER},
        {'Z', "11010519491231002X", ID_KEY_OTHER}, {'1', "", ID_KEY_NONE}, {'Z', "", ID_KEY_NONE},
        {'1', "160105200013010019", ID_KEY_GB}, {'9', "811840199001011236", ID_KEY_GB},
    };
    for (size_t i = 0; i < sizeof kSpaces / sizeof kSpaces[0]; i++)
        TC_CHECK(check(&ctx, kSpaces[i].type, kSpaces[i].number, 0, 0).space == kSpaces[i].space,
                 "key space of %c '%s'", kSpaces[i].type, kSpaces[i].number);

    static const char *const kRound[] = {"11010519491231002X", "000000000000000000",
        "99999999999999999X", "810000200001010014", "123456789012345670"};
    for (size_t i = 0; i < sizeof kRound / sizeof kRound[0]; i++) {
        char back[18];
        id_unpack18(id_pack18(kRound[i]), back);
        TC_CHECK(memcmp(back, kRound[i], 18) == 0, "round trip %s → %.18s", kRound[i], back);
    }
    TC_CHECK(id_pack18("000000000000000001") == 1, "pack 1");
    TC_CHECK(id_pack18("00000000000000001X") == 21, "pack 1*11+10");
}

static const char *writeFile(const char *dir, const char *name, const char *text, size_t n)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *const f = fopen(path, "wb");
    if (f == NULL) return NULL;
    fwrite(text, 1, n, f);
    fclose(f);
    return path;
}

static void test_regionTable(const char *dir)
{
    static const char kTable[] = "# test table\n110105\r\n\n  650101  \n#110106\n440524";
    const char *path = writeFile(dir, "regions_ok.txt", kTable, sizeof kTable - 1);
    TC_CHECK(path != NULL, "cannot write %s", dir);
    if (path == NULL) return;
    xj_status st;
    st_init(&st);
    id_regionTable *t = NULL;
    TC_CHECK(id_loadRegionTable(path, &t, &st) == XJ_OK, "load: %s", st.message);
    if (t == NULL) return;
    TC_CHECK(id_regionKnown(t, "110105"), "110105");
    TC_CHECK(id_regionKnown(t, "650101"), "650101 (spaces)");
    TC_CHECK(id_regionKnown(t, "440524"), "440524 (no final LF)");
    TC_CHECK(!id_regionKnown(t, "110106"), "commented out");
    TC_CHECK(!id_regionKnown(t, "000000"), "000000");
    TC_CHECK(!id_regionKnown(t, "11010a"), "non-digit");

    id_context const ctx = {RUN_DATE, t};
    TC_CHECK(check(&ctx, '1', "11010519491231002X", 0, 0).reason == XJ_ID_OK, "known");
    TC_CHECK(check(&ctx, '1', "110106200001010012", 0, 0).reason == XJ_ID_REGION_UNKNOWN, "unknown county");
    TC_CHECK(check(&ctx, '1', "160105200001010015", 0, 0).reason == XJ_ID_REGION, "region first");
    TC_CHECK(check(&ctx, '1', "110106200013010013", 0, 0).reason == XJ_ID_REGION_UNKNOWN,
             "region_unknown before birthdate");
    TC_CHECK(check(&ctx, '1', "810000200001010014", 0, 0).reason == XJ_ID_OK, "permit exempt");
    TC_CHECK(check(&ctx, '9', "91184019900101123X", 0, 0).reason == XJ_ID_OK, "type 9 exempt");
    id_context const noTable = {RUN_DATE, NULL};
    TC_CHECK(check(&noTable, '1', "110106200001010012", 0, 0).reason == XJ_ID_OK, "province level only");
    id_freeRegionTable(t);
    id_freeRegionTable(NULL);

    /* hostile files: each an XJ_ERR_INPUT naming the line, nothing loaded */
    static const struct { const char *name, *text; size_t n; const char *where; } kBad[] = {
        {"bad_short.txt", "110105\n11010\n", 13, ":2:"},
        {"bad_long.txt", "1101055\n", 8, ":1:"},
        {"bad_alpha.txt", "#x\n11010X\n", 10, ":2:"},
        {"bad_nul.txt", "110105\n110\000105\n", 15, ":2:"},
        {"bad_two.txt", "110105 110106\n", 14, ":1:"},
    };
    for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++) {
        path = writeFile(dir, kBad[i].name, kBad[i].text, kBad[i].n);
        st_init(&st);
        t = (id_regionTable *)1;
        xj_error const err = id_loadRegionTable(path, &t, &st);
        TC_CHECK(err == XJ_ERR_INPUT && t == NULL, "%s accepted", kBad[i].name);
        TC_CHECK(strstr(st.message, kBad[i].where) != NULL, "%s: message '%s'", kBad[i].name, st.message);
        if (err == XJ_OK) id_freeRegionTable(t);
    }
    /* a line of a megabyte is refused without reading it into memory whole */
    size_t const big = 1u << 20;
    char *const huge = malloc(big);
    if (huge) {
        memset(huge, '1', big);
        path = writeFile(dir, "bad_huge.txt", huge, big);
        free(huge);
        st_init(&st);
        TC_CHECK(id_loadRegionTable(path, &t, &st) == XJ_ERR_INPUT, "huge line");
    }
    st_init(&st);
    TC_CHECK(id_loadRegionTable("/nonexistent/regions.txt", &t, &st) == XJ_ERR_INPUT
             && strstr(st.message, "/nonexistent/regions.txt") != NULL, "missing file: %s", st.message);
}

/* The slow way: every one-character change and adjacent swap of id18
 * that has GB shape and a right check character. */
static size_t slipsBrute(const char id18[18], uint64_t *out)
{
    size_t n = 0;
    char k[19] = {0};
    memcpy(k, id18, 18);
    static const char kSymbols[] = "0123456789X";
    for (int p = 0; p < 18; p++)
        for (int c = 0; c < 11; c++) {
            if (kSymbols[c] == id18[p] || (kSymbols[c] == 'X' && p < 17)) continue;
            k[p] = kSymbols[c];
            if (id_checkChar(k) == k[17]) out[n++] = id_pack18(k);
            k[p] = id18[p];
        }
    for (int p = 0; p < 17; p++) {
        if (id18[p] == id18[p + 1] || (p == 16 && id18[17] == 'X')) continue;
        k[p] = id18[p + 1], k[p + 1] = id18[p];
        if (id_checkChar(k) == k[17]) out[n++] = id_pack18(k);
        k[p] = id18[p], k[p + 1] = id18[p + 1];
    }
    return n;
}

static int cmpU64(const void *a, const void *b)
{
    uint64_t const x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* docs/suspects.md §3: id_slipNeighbours finds exactly what trying every
 * slip finds, on numbers with a wrong check character (and on right ones). */
static void test_slips(void)
{
    uint64_t seed = 42;
    size_t checked = 0, found = 0;
    for (int t = 0; t < 20000; t++) {
        char id[18];
        for (int i = 0; i < 17; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            id[i] = (char)('0' + (seed >> 33) % 10);
        }
        id[17] = "0123456789X"[(seed >> 40) % 11];
        uint64_t fast[ID_SLIPS_MAX], slow[64];
        size_t const nf = id_slipNeighbours(id, fast), ns = slipsBrute(id, slow);
        qsort(fast, nf, sizeof *fast, cmpU64);
        qsort(slow, ns, sizeof *slow, cmpU64);
        TC_CHECK(nf == ns && memcmp(fast, slow, nf * sizeof *fast) == 0, "slips of %.18s: %zu, brute force %zu", id, nf,
                 ns);
        checked++;
        found += nf;
    }
    uint64_t none[ID_SLIPS_MAX];
    TC_CHECK(id_slipNeighbours("11010519491231002Y", none) == 0, "not GB shape: no neighbours");
    TC_CHECK(id_slipNeighbours("1101051949123100A2", none) == 0, "a letter inside: no neighbours");
    printf("slips: %zu numbers, %zu neighbours, as brute force\n", checked, found);
}

/* The word-at-a-time reading of a number's 17 digits (id_check's key and
 * check character) against the plain loops of id_pack18 and id_checkChar,
 * on random numbers and on the extremes of every digit. */
static void test_wordDigits(void)
{
    id_context const ctx = {RUN_DATE, NULL};
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char num[18];
    for (int round = 0; round < 200000 + 18 * 10; round++) {
        for (int i = 0; i < 18; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            num[i] = (char)('0' + x % 10);
        }
        if (round >= 200000) { /* one position at 0..9, the rest at 9 */
            memset(num, '9', 18);
            num[(round - 200000) / 10] = (char)('0' + (round - 200000) % 10);
        }
        if (x % 11 == 10) num[17] = 'X';
        id_result const r = id_check(&ctx, '1', num, 18, 0, 0);
        TC_CHECK(r.space == ID_KEY_GB && r.gb == id_pack18(num), "%.18s: key %llu, expected %llu", num,
              (unsigned long long)r.gb, (unsigned long long)id_pack18(num));
        TC_CHECK(r.bad_check == (id_checkChar(num) != num[17]), "%.18s: check character judged %d", num, r.bad_check);
    }
}

int main(int argc, char **argv)
{
    const char *const dir = argc > 1 ? argv[1] : ".";
    test_table();
    test_checkChar();
    test_reasonNames();
    test_mismatch();
    test_keys();
    test_wordDigits();
    test_slips();
    test_regionTable(dir);
    return tc_finish("test_idcheck");
}
